"""The ``ppocr`` logger as PaddleOCR's ``get_logger`` sets it up: a standard-output
handler, a file handler on rank 0, ``[time] name LEVEL: message``, ``propagate = False``,
and on ranks other than 0 errors only."""

import logging
import os
import sys

import paddle.distributed as dist

_done = set()


def get_logger(name="ppocr", log_file=None, log_level=logging.DEBUG):
    logger = logging.getLogger(name)
    if name in _done:
        return logger
    form = logging.Formatter(
        "[%(asctime)s] %(name)s %(levelname)s: %(message)s", datefmt="%Y/%m/%d %H:%M:%S"
    )
    screen = logging.StreamHandler(stream=sys.stdout)
    screen.setFormatter(form)
    logger.addHandler(screen)
    if log_file is not None and dist.get_rank() == 0:
        os.makedirs(os.path.dirname(log_file), exist_ok=True)
        file = logging.FileHandler(log_file, "a")
        file.setFormatter(form)
        logger.addHandler(file)
    logger.setLevel(log_level if dist.get_rank() == 0 else logging.ERROR)
    logger.propagate = False
    _done.add(name)
    return logger
