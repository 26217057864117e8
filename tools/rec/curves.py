"""``train_curves.png``: learning rate, loss and accuracy against the global step, drawn
with matplotlib's ``Figure`` (the caller's pyplot backend is left as it is)."""

from __future__ import annotations

import numpy as np

from .records import read_metrics


def plot_curves(metrics_path: str, png_path: str, title: str, target: float | None = None) -> str:
    """Learning rate, loss and accuracy against the global step; the final and the best
    evaluation in the title, the best marked, and a line at ``target`` (an accuracy, 0-1)
    when one is set.  Returns the figure's path."""
    from matplotlib.figure import Figure

    records = read_metrics(metrics_path)
    steps = [r for r in records if r["kind"] == "step"]
    evals = [r for r in records if r["kind"] == "eval"]
    fig = Figure(figsize=(8, 9))
    axes = fig.subplots(3, 1, sharex=True)
    x = [r["global_step"] for r in steps]
    axes[0].plot(x, [r["lr"] for r in steps], color="tab:blue")
    axes[0].set_ylabel("learning rate")
    loss = np.array([r["loss"] for r in steps])
    axes[1].plot(x, loss, color="tab:orange", alpha=0.35, label="loss")
    if len(loss) >= 20:
        k = max(len(loss) // 50, 5)
        axes[1].plot(
            x[k - 1 :],
            np.convolve(loss, np.ones(k) / k, "valid"),
            color="tab:red",
            label=f"mean of {k}",
        )
    axes[1].set_ylabel("CTC loss")
    axes[1].set_yscale("log")
    axes[1].legend()
    if any("acc" in r for r in steps):
        axes[2].plot(
            x,
            [r.get("acc", np.nan) for r in steps],
            color="tab:gray",
            alpha=0.3,
            label="train batch",
        )
    if evals:
        axes[2].plot(
            [r["global_step"] for r in evals],
            [r["acc"] for r in evals],
            "o-",
            color="tab:green",
            label="eval",
        )
        best = max(evals, key=lambda r: (r["acc"], -r["global_step"]))  # the first best
        axes[2].plot(
            [best["global_step"]],
            [best["acc"]],
            "*",
            markersize=16,
            color="tab:purple",
            label=f"best eval {best['acc']:.1%} (step {best['global_step']:,})",
            zorder=5,
        )
        final = evals[-1]
        title += (
            f"\nfinal eval acc {final['acc']:.1%} (step {final['global_step']:,}), "
            f"best {best['acc']:.1%}"
        )
    if target is not None:
        axes[2].axhline(
            target, color="tab:red", linestyle="--", linewidth=1, label=f"target {target:.1%}"
        )
    axes[2].set_ylabel("word accuracy")
    axes[2].set_ylim(0, 1.02)
    axes[2].set_xlabel("global step")
    axes[2].legend(loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    return png_path
