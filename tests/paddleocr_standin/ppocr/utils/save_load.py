"""Checkpoints as PaddleOCR writes them: ``<prefix>.pdparams``, ``<prefix>.pdopt`` (the
optimizer's ``state_dict()``, holding the scheduler's under ``LR_Scheduler``) and
``<prefix>.states``."""

import os
import pickle

import paddle


def load_model(config, model, optimizer=None):
    prefix = config["Global"].get("checkpoints")
    if not prefix:
        return {}
    model.set_state_dict(paddle.load(prefix + ".pdparams"))
    if optimizer is not None:
        optimizer.set_state_dict(paddle.load(prefix + ".pdopt"))
    with open(prefix + ".states", "rb") as f:
        return pickle.load(f)


def save_model(model, optimizer, prefix, **states):
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    paddle.save(model.state_dict(), prefix + ".pdparams")
    paddle.save(optimizer.state_dict(), prefix + ".pdopt")
    with open(prefix + ".states", "wb") as f:
        pickle.dump(states, f)
