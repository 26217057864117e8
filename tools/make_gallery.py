"""Regenerate the README's gallery of schedules (one figure per family) with ppocr_lr.

python tools/make_gallery.py --out docs/gallery
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppocr_lr import preview  # noqa: E402

EPOCHS, SPE = 100, 100  # a 10,000-step run for every figure

# file name -> (title, log_y, [(label, lr block)])
GALLERY = {
    "polynomial": (
        "Polynomial decay, power 0.5 / 1 / 2",
        False,
        [
            (
                f"power {p}",
                {"name": "Polynomial", "learning_rate": 0.1, "end_lr": 0.001, "power": p},
            )
            for p in (0.5, 1.0, 2.0)
        ],
    ),
    "exponential": (
        "Exponential and natural exponential, continuous and staircase",
        False,
        [
            (
                "exponential",
                {
                    "name": "Exponential",
                    "learning_rate": 0.1,
                    "decay_rate": 0.5,
                    "decay_epochs": 20,
                },
            ),
            (
                "exponential, staircase",
                {
                    "name": "Exponential",
                    "learning_rate": 0.1,
                    "decay_rate": 0.5,
                    "decay_epochs": 20,
                    "staircase": True,
                },
            ),
            (
                "natural exp",
                {"name": "NaturalExp", "learning_rate": 0.1, "decay_rate": 0.5, "decay_epochs": 20},
            ),
            (
                "natural exp, staircase",
                {
                    "name": "NaturalExp",
                    "learning_rate": 0.1,
                    "decay_rate": 0.5,
                    "decay_epochs": 20,
                    "staircase": True,
                },
            ),
        ],
    ),
    "cosine": (
        "Cosine, cosine with warm-up, cyclical cosine",
        False,
        [
            ("Cosine", {"name": "Cosine", "learning_rate": 0.1}),
            (
                "Cosine, 5-epoch warm-up",
                {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 5},
            ),
            (
                "CyclicalCosine, cycle 25",
                {"name": "CyclicalCosine", "learning_rate": 0.1, "cycle": 25},
            ),
        ],
    ),
    "linear_cosine": (
        "Linear cosine and noisy linear cosine",
        False,
        [
            (
                "NoisyLinearCosine, 2 periods",
                {
                    "name": "NoisyLinearCosine",
                    "learning_rate": 0.1,
                    "num_periods": 2.0,
                    "initial_variance": 0.05,
                },
            ),
            (
                "LinearCosine, 2 periods",
                {"name": "LinearCosine", "learning_rate": 0.1, "num_periods": 2.0},
            ),
        ],
    ),
    "piecewise": (
        "Piecewise and multi-step decay",
        False,
        [
            (
                "Piecewise [30, 60, 90]",
                {
                    "name": "Piecewise",
                    "decay_epochs": [30, 60, 90],
                    "values": [0.1, 0.05, 0.02, 0.005],
                },
            ),
            (
                "MultiStepDecay [20, 50, 80] x0.3",
                {
                    "name": "MultiStepDecay",
                    "learning_rate": 0.08,
                    "milestones": [20, 50, 80],
                    "gamma": 0.3,
                },
            ),
            (
                "Step every 25 x0.5",
                {"name": "Step", "learning_rate": 0.06, "step_size": 25, "gamma": 0.5},
            ),
        ],
    ),
    "one_cycle": (
        "One-cycle policy",
        False,
        [
            ("cos", {"name": "OneCycle", "max_lr": 0.1}),
            ("linear", {"name": "OneCycle", "max_lr": 0.1, "anneal_strategy": "linear"}),
            ("cos, three phases", {"name": "OneCycle", "max_lr": 0.1, "three_phase": True}),
        ],
    ),
    "restarts": (
        "Cosine with restarts (SGDR) and inverse time decay",
        False,
        [
            (
                "CosineRestarts t_mul 2",
                {
                    "name": "CosineRestarts",
                    "learning_rate": 0.1,
                    "first_decay_epochs": 10,
                    "m_mul": 0.8,
                },
            ),
            (
                "CosineRestarts t_mul 1",
                {
                    "name": "CosineRestarts",
                    "learning_rate": 0.1,
                    "first_decay_epochs": 20,
                    "t_mul": 1.0,
                },
            ),
            (
                "InverseTime",
                {
                    "name": "InverseTime",
                    "learning_rate": 0.1,
                    "decay_rate": 1.0,
                    "decay_epochs": 10,
                },
            ),
        ],
    ),
    "warmup_end": (
        "Cosine after a 20-epoch warm-up: PaddleOCR's and ending on time",
        True,
        [
            (
                "PaddleOCR (decay runs 20 epochs past the end)",
                {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 20},
            ),
            (
                "decay_ends_at_last_step: true",
                {
                    "name": "Cosine",
                    "learning_rate": 0.1,
                    "warmup_epoch": 20,
                    "decay_ends_at_last_step": True,
                },
            ),
        ],
    ),
    "cycles": (
        "timm's cycles: cycle_mul 2, cycle_decay 0.5, and k_decay",
        False,
        [
            (
                "CosineCycles, k_decay 1",
                {
                    "name": "CosineCycles",
                    "learning_rate": 0.1,
                    "cycle_epochs": 15,
                    "cycle_mul": 2,
                    "cycle_decay": 0.5,
                    "cycle_limit": 3,
                },
            ),
            (
                "CosineCycles, k_decay 2",
                {
                    "name": "CosineCycles",
                    "learning_rate": 0.1,
                    "cycle_epochs": 15,
                    "cycle_mul": 2,
                    "cycle_decay": 0.5,
                    "cycle_limit": 3,
                    "k_decay": 2,
                },
            ),
            (
                "PolyCycles, power 2",
                {
                    "name": "PolyCycles",
                    "learning_rate": 0.1,
                    "cycle_epochs": 25,
                    "cycle_limit": 4,
                    "power": 2.0,
                },
            ),
            (
                "TanhCycles, overlapping warm-up",
                {
                    "name": "TanhCycles",
                    "learning_rate": 0.1,
                    "warmup_epoch": 5,
                    "warmup_prefix": False,
                },
            ),
        ],
    ),
    "wsd": (
        "Warmup-stable-decay: the three decay types",
        False,
        [
            (
                kind,
                {
                    "name": "WarmupStableDecay",
                    "learning_rate": 0.1,
                    "warmup_epoch": 5,
                    "decay_ratio": 0.3,
                    "decay_type": kind,
                },
            )
            for kind in ("cosine", "linear", "1-sqrt")
        ],
    ),
    "sequential": (
        "Sequential: linear ramp, constant, cosine with its own warm-up",
        False,
        [
            (
                "Sequential",
                {
                    "name": "Sequential",
                    "boundary_epochs": [10, 40],
                    "phases": [
                        {"name": "Linear", "learning_rate": 0.0, "end_lr": 0.1},
                        {"name": "Const", "learning_rate": 0.1},
                        {"name": "Cosine", "learning_rate": 0.05, "warmup_epoch": 5},
                    ],
                },
            )
        ],
    ),
    "cyclic": (
        "Cyclic: triangular, triangular2, exp_range",
        False,
        [
            (
                mode,
                {
                    "name": "Cyclic",
                    "learning_rate": 0.01,
                    "max_lr": 0.1,
                    "up_epochs": 10,
                    "mode": mode,
                    "exp_gamma": 0.9997,
                },
            )
            for mode in ("triangular", "triangular2", "exp_range")
        ],
    ),
}


def one_cycle_momentum(path: str, size=(900, 450)) -> str:
    """OneCycle's rate and, on a second axis, the momentum it cycles opposite to it."""
    import numpy as np
    from matplotlib.figure import Figure

    import ppocr_lr

    s = ppocr_lr.build_lr_scheduler(
        {"name": "OneCycle", "max_lr": 0.1, "three_phase": True, "cycle_momentum": True},
        EPOCHS,
        SPE,
    )
    steps = np.arange(s.total_steps + 1)
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    ax = fig.subplots()
    ax.plot(steps / SPE, s.lr_array(steps), color="tab:blue", lw=1.6, label="learning rate")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate", color="tab:blue")
    right = ax.twinx()
    right.plot(
        steps / SPE,
        [s.momentum_at(int(t)) for t in steps],
        color="tab:orange",
        lw=1.6,
        label="momentum (beta1)",
    )
    right.set_ylabel("momentum (beta1)", color="tab:orange")
    ax.grid(alpha=0.3)
    ax.set_title(
        f"OneCycle, three phases, cycle_momentum: true ({EPOCHS} epochs x {SPE} steps)",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def make(out: str, size=(900, 450)) -> list[str]:
    """Write every figure of the gallery into ``out``; returns the paths."""
    import json

    os.makedirs(out, exist_ok=True)
    paths = [one_cycle_momentum(os.path.join(out, "one_cycle_momentum.png"), size)]
    for name, (title, log_y, curves) in GALLERY.items():
        previews = [
            preview.load(inline=json.dumps(block), epochs=EPOCHS, steps_per_epoch=SPE, label=label)
            for label, block in curves
        ]
        paths.append(
            preview.plot(
                previews,
                os.path.join(out, f"{name}.png"),
                log_y=log_y,
                size=size,
                title=f"{title} ({EPOCHS} epochs x {SPE} steps)",
            )
        )
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/gallery", help="output folder")
    args = parser.parse_args(argv)
    for path in make(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
