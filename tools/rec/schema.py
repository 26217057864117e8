"""The recognizer config as this trainer reads it: its sections, ``Global``'s keys, the
Loss/PostProcess/Metric it implements, and what ``-o`` may add."""

from __future__ import annotations

import logging

import ppocr_lr.config
from ppocr_lr.errors import ConfigTypeError, did_you_mean
from ppocr_lr.config import section
from ppocr_lr.optimizer import optimizer_known_keys
from ppocr_lr.params import Flag, Integer, Number, NumberList, Param, Text, parse_block

from .text import TrainError

logger = logging.getLogger("ppocr")

GLOBAL_PARAMS = (
    Param("epoch_num", Integer(minimum=1), 10, "epochs to train"),
    Param("print_batch_step", Integer(minimum=1), 10, "log every this many steps"),
    Param("save_model_dir", Text(), "./output/rec", "where checkpoints and logs go"),
    Param("save_epoch_step", Integer(minimum=1), 1000, "also keep iter_epoch_N every N epochs"),
    Param(
        "eval_batch_step",
        NumberList(Number(minimum=0.0)),
        [0, 500],
        "[start, every]: evaluate every `every` steps after step `start`",
    ),
    Param("checkpoints", Text(), None, "resume from this checkpoint prefix"),
    Param("pretrained_model", Text(), None, "start from these weights (schedule fresh)"),
    Param("seed", Integer(minimum=0), 1024, "seed of weights and data order"),
    Param("character_dict_path", Text(), None, "one character per line; empty: PaddleOCR's 0-9a-z"),
    Param("max_text_length", Integer(minimum=1), 25, "longest label"),
    Param("use_space_char", Flag(), False, "add ' ' to the character set"),
    Param("cal_metric_during_train", Flag(), True, "log the training batches' accuracy"),
    Param("log_smooth_window", Integer(minimum=1), 20, "steps averaged in log lines"),
    Param("use_gpu", Flag(), False, "accepted for PaddleOCR configs; this trainer runs on CPU"),
    Param("use_wandb", Flag(), False, "log to Weights & Biases (also: a wandb section)"),
    Param("use_tensorboard", Flag(), False, "write TensorBoard scalars (tensorboardX)"),
    Param(
        "use_visualdl", Flag(), False, "PaddleOCR's old key: VisualDL is gone, a warning says so"
    ),
    Param(
        "target_accuracy",
        Number(0.0, 1.0, minimum_open=True),
        None,
        "the word accuracy the run aims at: a line on train_curves.png",
    ),
)
# Keys PaddleOCR's Global holds that matter to inference or export, not to training here.
NOT_FOR_TRAINING = (
    "save_inference_dir",
    "infer_img",
    "infer_mode",
    "save_res_path",
    "character_type",
    "distributed",
    "d2s_train_image_shape",
    "use_amp",
    "scale_loss",
    "use_dynamic_loss_scaling",
    "amp_level",
    "pretrained_model_ignore_keys",
    "calc_epoch_interval",
)
SECTIONS = (
    "Global",
    "Architecture",
    "Loss",
    "Optimizer",
    "PostProcess",
    "Metric",
    "Train",
    "Eval",
    "wandb",  # wandb.init's keys, as PaddleOCR reads them
)

# PaddleOCR's logger name: ppocr_lr's notices go to its console and train.log, as they
# do in PaddleOCR's own trainer.


def load_config(path: str) -> dict:
    config = ppocr_lr.config.load_yaml(path)
    if not isinstance(config, dict):
        raise TrainError(
            f"config file {path}: expected a mapping of sections ({', '.join(SECTIONS)})"
        )
    unknown = [k for k in config if k not in SECTIONS]
    if unknown:
        raise TrainError(
            f"config file {path}: unknown section {unknown[0]!r}"
            f"{did_you_mean(str(unknown[0]), SECTIONS)}"
        )
    return config


def known_keys(config: dict, block) -> list | None:
    """What ``-o`` may add: Global's keys and ppocr_lr's; the trainer's other readers
    (datasets, loaders, model) check their blocks themselves."""
    if list(block) == ["Global"]:
        return [k for p in GLOBAL_PARAMS for k in p.keys] + list(NOT_FOR_TRAINING)
    return optimizer_known_keys(config, block)


SUPPORTED = {
    "Loss": ("CTCLoss", ()),
    "PostProcess": ("CTCLabelDecode", ()),
    "Metric": ("RecMetric", ("main_indicator",)),
}


def check_sections(config: dict) -> str:
    """The Loss, PostProcess and Metric this trainer implements; returns the metric that
    picks the best checkpoint (``Metric.main_indicator``)."""
    for part, (name, keys) in SUPPORTED.items():
        block = config.get(part) or {"name": name}
        if not isinstance(block, dict) or block.get("name") != name:
            got = block.get("name") if isinstance(block, dict) else block
            raise TrainError(f"{part}.name: got {got!r}; this trainer implements {name}")
        extra = [k for k in block if k not in ("name", *keys)]
        if extra:
            raise TrainError(
                f"{part}.{extra[0]}: not a key of {name} here"
                + (f" (keys: {', '.join(keys)})" if keys else "")
            )
    indicator = (config.get("Metric") or {}).get("main_indicator", "acc")
    if indicator not in ("acc", "norm_edit_dis"):
        raise TrainError(
            f"Metric.main_indicator: got {indicator!r}"
            f"{did_you_mean(str(indicator), ('acc', 'norm_edit_dis'))}; expected "
            "acc or norm_edit_dis"
        )
    return indicator


def block_of(config: dict, name: str) -> dict:
    """A section of the config as a dict (absent: empty); anything else is an error."""
    try:
        return dict(section(config, name) or {})
    except ConfigTypeError as err:
        raise TrainError(str(err)) from None


def read_global(config: dict) -> dict:
    block = block_of(config, "Global")
    unused = [k for k in block if k in NOT_FOR_TRAINING]
    for key in unused:
        logger.info(f"Global.{key} is not used by this trainer")
        block.pop(key)
    values = parse_block(block, GLOBAL_PARAMS, "Global", strict=True).values
    steps = values["eval_batch_step"]
    if len(steps) != 2 or any(s != int(s) for s in steps) or steps[1] < 1:
        raise TrainError(
            f"Global.eval_batch_step: got {steps!r}; expected [start, every] "
            "(whole steps, every >= 1)"
        )
    values["eval_batch_step"] = [int(s) for s in steps]
    return values
