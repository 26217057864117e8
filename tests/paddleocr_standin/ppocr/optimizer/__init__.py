"""``build_optimizer`` and ``build_lr_scheduler`` with PaddleOCR's signatures and habits
(the lr block is mutated; unknown keys vanish)."""

import copy

import paddle

from . import learning_rate


def build_lr_scheduler(lr_config, epochs, step_each_epoch):
    lr_config.update({"epochs": epochs, "step_each_epoch": step_each_epoch})
    name = lr_config.pop("name", "Const")
    return getattr(learning_rate, name)(**lr_config)


def build_optimizer(config, epochs, step_each_epoch, model):
    config = copy.deepcopy(config)
    lr = build_lr_scheduler(config.pop("lr"), epochs, step_each_epoch)
    name = config.pop("name")
    regularizer = config.pop("regularizer", None)
    weight_decay = float(regularizer.get("factor", 0.0)) if regularizer else None
    if name == "Momentum":
        optimizer = paddle.optimizer.Momentum(
            lr,
            momentum=config["momentum"],
            weight_decay=weight_decay,
            parameters=model.parameters(),
        )
    elif name in ("Adam", "AdamW"):
        moments = dict(
            beta1=config.get("beta1", 0.9),
            beta2=config.get("beta2", 0.999),
            epsilon=config.get("epsilon", 1e-8),
            parameters=model.parameters(),
        )
        if name == "Adam":
            optimizer = paddle.optimizer.Adam(lr, weight_decay=weight_decay, **moments)
        else:
            optimizer = paddle.optimizer.AdamW(
                lr, weight_decay=config.get("weight_decay", 0.01), **moments
            )
    else:
        raise NotImplementedError(f"the stand-in has no {name}")
    return optimizer, lr
