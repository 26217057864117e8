"""Learning-rate range test on the recognizer a PaddleOCR-style config describes.

    python tools/find_lr.py -c configs/rec/rec_synth_ctc.yml
    python tools/find_lr.py -c configs/rec/rec_synth_ctc.yml --num-iters 300 -o Global.seed=7
    python -m paddle.distributed.launch --nproc_per_node 2 \
        tools/find_lr.py -c configs/rec/rec_synth_ctc.yml

Prints the suggested learning rate and the line to paste, writes the loss-against-rate
curve (``--out``, default ``<Global.save_model_dir>/lr_range_test.png``); the run's
checkpoints and logs are not touched.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's, irrelevant here

from tools.lr_range import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
