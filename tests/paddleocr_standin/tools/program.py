"""PaddleOCR's ``tools/program.py`` in small: ``preprocess`` (``-c``/``-o``, the ``ppocr``
logger on ``<save_model_dir>/train.log``) and ``train`` (one ``lr_scheduler.step()`` after
each ``optimizer.step()``, the lr logged as ``optimizer.get_lr()``, a checkpoint at the end
of each epoch).  ``lr_trace.jsonl`` records every step's lr and loss for the tests."""

import argparse
import json
import os

import paddle
import paddle.distributed as dist
import yaml

from ppocr.utils.logging import get_logger
from ppocr.utils.save_load import save_model


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-o", "--opt", nargs="+", default=[])
    return parser.parse_args()


def merge_config(config, opts):
    for item in opts:
        key, value = item.split("=", 1)
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = yaml.safe_load(value)
    return config


def preprocess(is_train=True):
    args = parse_args()
    with open(args.config) as f:
        config = merge_config(yaml.safe_load(f), args.opt)
    config["Global"]["distributed"] = dist.get_world_size() != 1
    save_dir = config["Global"]["save_model_dir"]
    logger = get_logger(log_file=os.path.join(save_dir, "train.log"))
    logger.info(f"config: {config}")
    return config, "cpu", logger, None


def train(config, train_dataloader, model, optimizer, lr_scheduler, states, logger):
    g = config["Global"]
    global_step = states.get("global_step", 0)
    start_epoch = states.get("epoch", 0) + 1
    rank = dist.get_rank()
    trace = open(os.path.join(g["save_model_dir"], "lr_trace.jsonl"), "a") if rank == 0 else None
    for epoch in range(start_epoch, g["epoch_num"] + 1):
        for x, y in train_dataloader:
            loss = paddle.nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            if not isinstance(lr_scheduler, float):
                lr_scheduler.step()
            global_step += 1
            lr = optimizer.get_lr()
            if trace:
                trace.write(json.dumps({"global_step": global_step, "lr": lr,
                                        "loss": float(loss)}) + "\n")
            if global_step % g.get("print_batch_step", 10) == 0:
                logger.info(f"epoch: [{epoch}/{g['epoch_num']}], global_step: {global_step}, "
                            f"lr: {lr:.6f}, loss: {float(loss):.5f}")
        if rank == 0:
            save_model(model, optimizer, os.path.join(g["save_model_dir"], "latest"),
                       epoch=epoch, global_step=global_step)
    if trace:
        trace.close()
    logger.info("training finished")
