"""Plot learning-rate schedules, for people who run PaddleOCR-style tools/ scripts.

    python tools/plot_lr.py -c configs/rec/rec_synth_ctc.yml --steps-per-epoch 250 -O schedule.png

The same as ``ppocr-lr plot`` (see ``ppocr-lr plot --help``); ``ppocr-lr show`` prints the
resolved schedule and ``ppocr-lr check`` validates a config.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppocr_lr.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["plot", *sys.argv[1:]]))
