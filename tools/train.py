"""Train a text recognizer from a PaddleOCR-style config, with ppocr_lr's schedules.

    python tools/train.py -c configs/rec/rec_synth_ctc.yml
    python tools/train.py -c configs/rec/rec_synth_ctc.yml \
        -o Optimizer.lr.name=OneCycle Optimizer.lr.max_lr=0.003
    python tools/train.py -c configs/rec/rec_synth_ctc.yml \
        -o Global.checkpoints=output/rec_synth_ctc/latest
    python -m paddle.distributed.launch --nproc_per_node 2 \
        tools/train.py -c configs/rec/rec_synth_ctc.yml
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's, irrelevant here

from tools.program import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
