"""PaddleOCR's logging: the ``ppocr`` logger on standard output and, on rank 0, in
``<save_model_dir>/train.log``; other ranks log only warnings.  ppocr_lr's notices go to
the same logger (as child ``ppocr.ppocr_lr``), as they do in PaddleOCR's own trainer."""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger("ppocr")


def setup_logging(save_dir: str, rank: int, filename: str | None = "train.log") -> None:
    """Log to the screen and, on rank 0 unless ``filename`` is None, to a file in
    ``save_dir``."""
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    form = logging.Formatter(
        "[%(asctime)s] %(name)s %(levelname)s: %(message)s", datefmt="%Y/%m/%d %H:%M:%S"
    )
    screen = logging.StreamHandler(sys.stdout)
    screen.setFormatter(form)
    logger.addHandler(screen)
    if rank == 0 and filename:
        os.makedirs(save_dir, exist_ok=True)
        file = logging.FileHandler(os.path.join(save_dir, filename), encoding="utf-8")
        file.setFormatter(form)
        logger.addHandler(file)
