"""Checkpoints that lose nothing: ``<prefix>.pdparams`` (model weights), ``<prefix>.pdopt``
(optimizer state, holding the schedule's under ``LR_Scheduler``) and ``<prefix>.states``
(training state), PaddleOCR's three files.

Saving is a small journaled commit: the three files are written under ``.tmp`` names and
flushed to disk; the ``.states`` file, written last, records the SHA-256 of the other two;
then the files are renamed over the old ones (each rename is atomic).  A crash before the
renames leaves the previous checkpoint as it was; a crash during them is finished on the
next load from the complete ``.tmp`` set.  Loading checks the hashes, so a corrupt or
mismatched checkpoint is an error, never a silent restart.
"""

from __future__ import annotations

import hashlib
import os
import pickle

import numpy as np
import paddle

from .text import TrainError

DATA = (".pdparams", ".pdopt")
STATES = ".states"
FORMAT = 1


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _flush(path: str) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def save(prefix: str, model_state: dict, optimizer_state: dict, train_state: dict) -> None:
    """Write the three files for ``prefix`` (e.g. ``output/rec/latest``) atomically."""
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    hashes = {}
    for suffix, obj in zip(DATA, (model_state, optimizer_state)):
        tmp = prefix + suffix + ".tmp"
        paddle.save(obj, tmp)
        _flush(tmp)
        hashes[suffix] = _sha256(tmp)
    record = dict(train_state, format=FORMAT, files=hashes)
    tmp = prefix + STATES + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    _commit(prefix)


def _commit(prefix: str) -> None:
    for suffix in (*DATA, STATES):  # the record last: it names what belongs together
        if os.path.exists(prefix + suffix + ".tmp"):
            os.replace(prefix + suffix + ".tmp", prefix + suffix)
    directory = os.open(os.path.dirname(prefix) or ".", os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _read_record(path: str) -> dict:
    with open(path, "rb") as f:
        record = pickle.load(f)
    if not isinstance(record, dict):
        raise ValueError("not a training-state record")
    return record


def _recover(prefix: str) -> None:
    """Finish a commit that a crash interrupted, or drop one that never started."""
    journal = prefix + STATES + ".tmp"
    if not os.path.exists(journal):
        return
    try:
        record = _read_record(journal)
        hashes = record["files"]
    except Exception:  # the crash hit while the record was written: nothing was renamed
        for suffix in (*DATA, STATES):
            if os.path.exists(prefix + suffix + ".tmp"):
                os.remove(prefix + suffix + ".tmp")
        return
    for suffix in DATA:
        for candidate in (prefix + suffix + ".tmp", prefix + suffix):
            if os.path.exists(candidate) and _sha256(candidate) == hashes[suffix]:
                break
        else:
            raise TrainError(
                f"checkpoint {prefix}: an interrupted save left {suffix} that "
                "matches neither the old nor the new state"
            )
    _commit(prefix)


def load(prefix: str) -> tuple[dict, dict, dict]:
    """``(model_state, optimizer_state, train_state)`` of a complete, verified checkpoint."""
    prefix = prefix[: -len(STATES)] if prefix.endswith(STATES) else prefix
    for suffix in DATA:
        prefix = prefix[: -len(suffix)] if prefix.endswith(suffix) else prefix
    _recover(prefix)
    missing = [prefix + s for s in (*DATA, STATES) if not os.path.exists(prefix + s)]
    if missing:
        raise TrainError(
            f"Global.checkpoints: {prefix!r} is not a complete checkpoint "
            f"(missing {', '.join(missing)})"
        )
    try:
        record = _read_record(prefix + STATES)
    except Exception as err:
        raise TrainError(f"Global.checkpoints: {prefix}{STATES} is corrupt ({err})") from None
    hashes = record.get("files", {})
    for suffix in DATA:
        if hashes.get(suffix) != _sha256(prefix + suffix):
            raise TrainError(
                f"Global.checkpoints: {prefix}{suffix} does not belong to "
                f"{prefix}{STATES} (corrupt, or copied from another checkpoint)"
            )
    try:
        model_state, optimizer_state = (paddle.load(prefix + s) for s in DATA)
    except Exception as err:
        raise TrainError(f"Global.checkpoints: cannot read {prefix}: {err}") from None
    return model_state, optimizer_state, record


def load_weights(prefix: str) -> dict:
    """Model weights only (``Global.pretrained_model``): ``<prefix>.pdparams``."""
    path = prefix if prefix.endswith(".pdparams") else prefix + ".pdparams"
    if not os.path.exists(path):
        raise TrainError(f"Global.pretrained_model: {path!r} does not exist")
    try:
        return paddle.load(path)
    except Exception as err:
        raise TrainError(f"Global.pretrained_model: cannot read {path}: {err}") from None


def set_weights(model, state: dict, what: str) -> None:
    """Load ``state`` into ``model``; any missing, extra or reshaped tensor is an error."""
    own = model.state_dict()
    problems = [f"missing {k}" for k in own if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in own]
    problems += [
        f"{k}: shape {list(state[k].shape)} vs the model's {list(v.shape)}"
        for k, v in own.items()
        if k in state and list(state[k].shape) != list(v.shape)
    ]
    if problems:
        shown = "; ".join(problems[:4]) + (
            f"; and {len(problems) - 4} more" if len(problems) > 4 else ""
        )
        raise TrainError(f"{what}: the weights do not fit this model ({shown})")
    model.set_state_dict(state)


def weights_digest(model) -> str:
    """SHA-256 of every tensor of a model's state, in name order: equal digests mean equal
    weights, bit for bit."""
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(value.numpy()).tobytes())
    return digest.hexdigest()
