"""``python -m ppocr_lr``: the ``ppocr-lr`` command."""

import sys

from .cli import main

sys.exit(main())
