"""``build_metric``: PaddleOCR's metric protocol (``__call__(preds, batch)``,
``get_metric()`` then reset, ``main_indicator``).  ``acc`` is ``1 / (1 + mse)`` over the
evaluation set: better when higher, like PaddleOCR's indicators."""

import numpy as np


class RegressionMetric:
    def __init__(self, main_indicator="acc", **kwargs):
        self.main_indicator = main_indicator
        self.reset()

    def __call__(self, preds, batch):
        error = np.asarray(preds, dtype=np.float64) - np.asarray(batch[1], dtype=np.float64)
        self.total += float(np.sum(error**2))
        self.count += error.size

    def get_metric(self):
        mse = self.total / max(self.count, 1)
        self.reset()
        return {"acc": 1.0 / (1.0 + mse), "mse": mse}

    def reset(self):
        self.total, self.count = 0.0, 0


def build_metric(config):
    config = dict(config or {})
    config.pop("name", None)
    return RegressionMetric(**config)
