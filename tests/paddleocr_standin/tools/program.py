"""PaddleOCR's ``tools/program.py`` in small: ``preprocess`` (``-c``/``-o``, ``config.yml``
and the ``ppocr`` logger on ``<save_model_dir>/train.log``), ``train`` with PaddleOCR's
arguments (the forward for the config's ``model_type``, one ``lr_scheduler.step()`` after
each ``optimizer.step()``, the lr logged as ``optimizer.get_lr()``, an evaluation every
``eval_batch_step`` on rank 0 only through ``eval``, a checkpoint at the end of each epoch)
and ``eval``.  Each rank records every step's lr and loss in ``lr_trace.jsonl`` (rank 0) or
``lr_trace.rank<r>.jsonl``, and rank 0 every evaluation in ``eval.jsonl``, for the tests."""

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
    os.makedirs(save_dir, exist_ok=True)
    with open(os.path.join(save_dir, "config.yml"), "w") as f:
        yaml.dump(dict(config), f, default_flow_style=False, sort_keys=False)
    logger = get_logger(log_file=os.path.join(save_dir, "train.log"))
    logger.info(f"config: {config}")
    return config, "cpu", logger, None


def forward(model, batch, config):
    arch = config.get("Architecture") or {}
    if arch.get("model_type") in ("kie", "sr"):
        return model(batch)
    return model(batch[0])


def train(
    config,
    train_dataloader,
    valid_dataloader,
    device,
    model,
    loss_class,
    optimizer,
    lr_scheduler,
    post_process_class,
    eval_class,
    pre_best_model_dict,
    logger,
    step_pre_epoch,
    vdl_writer,
    scaler=None,
    amp_level="O2",
    amp_custom_black_list=[],
    amp_custom_white_list=[],
    amp_dtype="float16",
):
    g = config["Global"]
    global_step = pre_best_model_dict.get("global_step", 0)
    start_epoch = pre_best_model_dict.get("epoch", 0) + 1
    start_eval_step, eval_batch_step = g.get("eval_batch_step", [0, 10**9])
    rank = dist.get_rank()
    name = "lr_trace.jsonl" if rank == 0 else f"lr_trace.rank{rank}.jsonl"
    trace = open(os.path.join(g["save_model_dir"], name), "a")
    evals = open(os.path.join(g["save_model_dir"], "eval.jsonl"), "a") if rank == 0 else None
    for epoch in range(start_epoch, g["epoch_num"] + 1):
        for batch in train_dataloader:
            loss = loss_class(forward(model, batch, config), batch)["loss"]
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            if not isinstance(lr_scheduler, float):
                lr_scheduler.step()
            global_step += 1
            lr = optimizer.get_lr()
            trace.write(
                json.dumps({"global_step": global_step, "lr": lr, "loss": float(loss)}) + "\n"
            )
            if global_step % g.get("print_batch_step", 10) == 0:
                logger.info(
                    f"epoch: [{epoch}/{g['epoch_num']}], global_step: {global_step}, "
                    f"lr: {lr:.6f}, loss: {float(loss):.5f}"
                )
            if (
                valid_dataloader is not None
                and global_step > start_eval_step
                and (global_step - start_eval_step) % eval_batch_step == 0
                and rank == 0
            ):
                cur_metric = eval(model, valid_dataloader, post_process_class, eval_class)
                logger.info("cur metric, " + ", ".join(f"{k}: {v}" for k, v in cur_metric.items()))
                evals.write(json.dumps({"global_step": global_step, **cur_metric}) + "\n")
        if rank == 0:
            save_model(
                model,
                optimizer,
                os.path.join(g["save_model_dir"], "latest"),
                epoch=epoch,
                global_step=global_step,
            )
    trace.close()
    if evals:
        evals.close()
    logger.info("training finished")


def eval(
    model,
    valid_dataloader,
    post_process_class,
    eval_class,
    model_type=None,
    extra_input=False,
    scaler=None,
    amp_level="O2",
    amp_custom_black_list=[],
    amp_custom_white_list=[],
    amp_dtype="float16",
):
    model.eval()
    with paddle.no_grad():
        for batch in valid_dataloader:
            preds = model(batch[0])
            eval_class(post_process_class(preds.numpy(), batch), [b.numpy() for b in batch])
    metric = eval_class.get_metric()
    model.train()
    return metric
