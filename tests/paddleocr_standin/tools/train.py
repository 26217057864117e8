"""PaddleOCR's ``tools/train.py`` in small: the imports in PaddleOCR's order (``ppocr.data``
first, which switches Python warnings off), ``main`` building the dataloaders, post-process,
model, loss, optimizer (``build_optimizer`` from ``ppocr.optimizer``, called as PaddleOCR
calls it), metric and AMP scaler, resume through ``load_model``, then ``program.train``
with PaddleOCR's arguments."""

import os
import sys

__dir__ = os.path.dirname(os.path.abspath(__file__))
sys.path.append(__dir__)
sys.path.insert(0, os.path.abspath(os.path.join(__dir__, "..")))

import paddle  # noqa: E402
import paddle.distributed as dist  # noqa: E402

from ppocr.data import build_dataloader, set_signal_handlers  # noqa: E402
from ppocr.modeling.architectures import apply_to_static, build_model  # noqa: E402
from ppocr.losses import build_loss  # noqa: E402
from ppocr.optimizer import build_optimizer  # noqa: E402
from ppocr.postprocess import build_post_process  # noqa: E402
from ppocr.metrics import build_metric  # noqa: E402
from ppocr.utils.save_load import load_model  # noqa: E402
import tools.program as program  # noqa: E402


def main(config, device, logger, vdl_writer, seed):
    if config["Global"]["distributed"]:
        dist.init_parallel_env()
    global_config = config["Global"]
    set_signal_handlers()
    train_dataloader = build_dataloader(config, "Train", device, logger, seed)
    valid_dataloader = (
        build_dataloader(config, "Eval", device, logger, seed) if config.get("Eval") else None
    )
    step_pre_epoch = len(train_dataloader)
    post_process_class = build_post_process(config.get("PostProcess"), global_config)
    paddle.seed(seed)
    model = build_model(config.get("Architecture"))
    model = apply_to_static(model, config, logger)
    loss_class = build_loss(config.get("Loss"))
    optimizer, lr_scheduler = build_optimizer(
        config["Optimizer"],
        epochs=config["Global"]["epoch_num"],
        step_each_epoch=len(train_dataloader),
        model=model,
    )
    eval_class = build_metric(config.get("Metric"))
    logger.info(f"train dataloader has {len(train_dataloader)} iters")
    use_amp = config["Global"].get("use_amp", False)
    amp_level = config["Global"].get("amp_level", "O2")
    scaler = paddle.amp.GradScaler(init_loss_scaling=1.0) if use_amp else None
    pre_best_model_dict = load_model(config, model, optimizer)
    if config["Global"]["distributed"]:
        model = paddle.DataParallel(model)
    program.train(
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
        scaler,
        amp_level,
        [],
        [],
        "float16",
    )


if __name__ == "__main__":
    config, device, logger, vdl_writer = program.preprocess(is_train=True)
    seed = config["Global"].get("seed", 1024)
    main(config, device, logger, vdl_writer, seed)
