"""Reading back what a tracked run wrote, written here from the file formats (not with
the writers' own readers): W&B's offline ``.wandb`` log and TensorBoard's event files."""

from __future__ import annotations

import glob
import json
import os
import struct

WANDB_HEADER = 7  # ":W&B", the magic 0xBEE1 (little-endian), a version byte
WANDB_BLOCK = 32768  # records are split over blocks of this size (LevelDB's log format)
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def wandb_records(path: str) -> list[bytes]:
    """The records of a ``.wandb`` file: LevelDB's log, each chunk a 7-byte header
    (checksum 4, length 2, type 1) and its data; chunks never cross a block."""
    data = open(path, "rb").read()
    assert data[:4] == b":W&B", data[:8]
    records, pending, pos = [], b"", WANDB_HEADER
    while pos + 7 <= len(data):
        left_in_block = WANDB_BLOCK - pos % WANDB_BLOCK
        if left_in_block < 7:  # the block's tail is padding
            pos += left_in_block
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + 7])
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind == FULL:
            records.append(chunk)
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            records.append(pending + chunk)
        else:
            break  # zeros: the end of what was written
    return records


def wandb_history(run_folder: str) -> list[tuple[int, dict]]:
    """``(step, {key: value})`` of every ``run.log`` of an offline run, in order."""
    from wandb.proto import wandb_internal_pb2

    (path,) = glob.glob(os.path.join(run_folder, "wandb", "offline-run-*", "run-*.wandb"))
    history = []
    for raw in wandb_records(path):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "history":
            items = {
                item.key or "/".join(item.nested_key): json.loads(item.value_json)
                for item in record.history.item
            }
            history.append((record.history.step.num, items))
    return history


def tensorboard_scalars(folder: str) -> dict[str, list[tuple[int, float]]]:
    """``{tag: [(step, value), ...]}`` from the TFRecord event files in ``folder``: each
    record a length (8 bytes), its checksum (4), an ``Event`` and its checksum (4)."""
    from tensorboardX.proto import event_pb2

    scalars: dict[str, list] = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        data, pos = open(path, "rb").read(), 0
        while pos + 12 <= len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[pos + 12 : pos + 12 + length])
            pos += 12 + length + 4
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars
