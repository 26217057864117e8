"""``build_model`` and ``apply_to_static`` as PaddleOCR's ``tools/train.py`` calls them: a
linear regressor over the stand-in's features (``Architecture.model_type`` and
``algorithm`` are read by the trainer's forward, as in PaddleOCR)."""

import paddle

from ppocr.data import FEATURES


def build_model(config):
    return paddle.nn.Linear(FEATURES, 1)


def apply_to_static(model, config, logger):
    return model
