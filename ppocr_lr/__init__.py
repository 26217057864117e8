"""ppocr_lr: PaddleOCR's learning-rate schedules and optimizer builder, exact and resumable.

A drop-in for PaddleOCR's ``ppocr.optimizer``::

    from ppocr_lr import build_lr_scheduler, build_optimizer
    lr = build_lr_scheduler({"name": "Cosine", "learning_rate": 0.001, "warmup_epoch": 5},
                            epochs=500, step_each_epoch=1200)
    optimizer, lr = build_optimizer(config["Optimizer"], epochs=500, step_each_epoch=1200,
                                    model=model)

Where things live: the formulas as pure functions of the step in
:mod:`ppocr_lr.functions`; the Paddle adapter (step counter, warm-up, state) in
:mod:`ppocr_lr.scheduler`; YAML keys in :mod:`ppocr_lr.params`; the registry in
:mod:`ppocr_lr.registry`; the named schedules in :mod:`ppocr_lr.paddleocr` and
:mod:`ppocr_lr.classic` and :mod:`ppocr_lr.modern`; the optimizer builder in
:mod:`ppocr_lr.optimizer`; where
notices go, and strict mode, in :mod:`ppocr_lr.messages`; the learning-rate range test in
:mod:`ppocr_lr.range_test`; the command line in
:mod:`ppocr_lr.cli`, and ``ppocr-lr train`` (PaddleOCR's trainer with ppocr_lr swapped in)
in :mod:`ppocr_lr.paddleocr_swap`.
"""

import warnings

# Paddle warns on import that ccache is missing, which only matters for compiling custom C++
# operators; it is noise for every user of this package.
warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)

try:
    import paddle  # noqa: F401
except ImportError as missing:
    raise ImportError(
        "ppocr_lr needs PaddlePaddle >= 3.0: pip install paddlepaddle (CPU) or "
        "paddlepaddle-gpu, or install ppocr-lr with the [cpu] extra"
    ) from missing

from . import classic, functions, modern, paddleocr  # noqa: E402,F401  (registers the schedules)
from .classic import (
    CosineDecay,
    CosineRestarts,
    Exponential,
    InverseTime,  # noqa: E402
    LinearCosine,
    NaturalExp,
    NoisyLinearCosine,
    Polynomial,
)
from .errors import ConfigTypeError, ConfigValueError, ConfigWarning
from .messages import STRICT_ENV
from .modern import (
    CosineCycles,
    Cyclic,
    InverseSqrt,
    Noam,
    PolyCycles,  # noqa: E402
    ReduceOnPlateau,
    Sequential,
    TanhCycles,
    WarmupStableDecay,
)
from .optimizer import build_optimizer
from .paddleocr import (
    Const,
    Cosine,
    CyclicalCosine,
    DecayLearningRate,
    Linear,
    LinearWarmupCosine,
    MultiStepDecay,
    OneCycle,
    Piecewise,
    Step,
    TwoStepCosine,
)
from .params import Param
from .range_test import range_test
from .registry import available_schedulers, build_lr_scheduler, register_scheduler
from .scheduler import LRSchedule

__version__ = "0.1.0"

__all__ = [
    "build_lr_scheduler",
    "build_optimizer",
    "register_scheduler",
    "available_schedulers",
    "LRSchedule",
    "Param",
    "range_test",
    "ConfigValueError",
    "ConfigTypeError",
    "ConfigWarning",
    "STRICT_ENV",
    "Const",
    "Linear",
    "Cosine",
    "Step",
    "Piecewise",
    "CyclicalCosine",
    "OneCycle",
    "DecayLearningRate",
    "MultiStepDecay",
    "TwoStepCosine",
    "LinearWarmupCosine",
    "Exponential",
    "NaturalExp",
    "InverseTime",
    "Polynomial",
    "CosineDecay",
    "CosineRestarts",
    "LinearCosine",
    "NoisyLinearCosine",
    "WarmupStableDecay",
    "CosineCycles",
    "PolyCycles",
    "TanhCycles",
    "InverseSqrt",
    "Noam",
    "Cyclic",
    "Sequential",
    "ReduceOnPlateau",
]
