"""Print the learning rate a YAML lr block gives at each epoch, before training with it.

    python tools/lr_table.py -c configs/lr/cosine.yml --epochs 500 --steps-per-epoch 1200

``-c`` takes a file holding an ``lr:`` block, an ``Optimizer:`` block, or a whole
PaddleOCR config (then ``--epochs`` defaults to ``Global.epoch_num``).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's, irrelevant here


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Print a learning-rate schedule per epoch.")
    parser.add_argument("-c", "--config", required=True, help="YAML file with an lr block")
    parser.add_argument("--epochs", type=int, help="run length in epochs")
    parser.add_argument("--steps-per-epoch", type=int, required=True,
                        help="batches per epoch (the training loader's length)")
    parser.add_argument("--rows", type=int, default=12, help="epochs to print at most")
    args = parser.parse_args(argv)
    try:
        import ppocr_lr
        with open(args.config, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        if not isinstance(config, dict):
            raise ValueError(f"{args.config}: expected a YAML mapping")
        block = (config.get("Optimizer", config).get("lr") if isinstance(
            config.get("Optimizer", config), dict) else None)
        if block is None:
            raise ValueError(f"{args.config}: no lr block (expected lr: or Optimizer.lr:)")
        epochs = args.epochs or (config.get("Global") or {}).get("epoch_num")
        if epochs is None:
            raise ValueError("the run length is unknown: pass --epochs")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ppocr_lr.ConfigWarning)
            schedule = ppocr_lr.build_lr_scheduler(block, epochs, args.steps_per_epoch)
    except (OSError, ValueError, TypeError, yaml.YAMLError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    spe = schedule.run.step_each_epoch
    values = schedule.lr_array(np.arange(schedule.total_steps + 1))
    print(schedule.describe())
    print(f"min {values.min():.6g}  max {values.max():.6g}  final {values[-1]:.6g}")
    shown = np.unique(np.linspace(0, schedule.run.epochs, min(args.rows, schedule.run.epochs + 1))
                      .round().astype(int))
    print(f"{'epoch':>7} {'step':>10} {'lr':>14}")
    for epoch in shown:
        print(f"{epoch:>7} {epoch * spe:>10} {values[epoch * spe]:>14.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
