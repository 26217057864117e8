"""PaddleOCR's ``tools/train.py`` in small: the imports in PaddleOCR's order (``ppocr.data``
first, which switches Python warnings off), ``build_optimizer`` from ``ppocr.optimizer``
called as PaddleOCR calls it, resume through ``load_model``."""

import os
import sys

__dir__ = os.path.dirname(os.path.abspath(__file__))
sys.path.append(__dir__)
sys.path.insert(0, os.path.abspath(os.path.join(__dir__, "..")))

import paddle  # noqa: E402
import paddle.distributed as dist  # noqa: E402

from ppocr.data import FEATURES, build_dataloader, set_signal_handlers  # noqa: E402
from ppocr.optimizer import build_optimizer  # noqa: E402
from ppocr.utils.save_load import load_model  # noqa: E402
import tools.program as program  # noqa: E402


def main(config, device, logger, vdl_writer, seed):
    if config["Global"]["distributed"]:
        dist.init_parallel_env()
    set_signal_handlers()
    train_dataloader = build_dataloader(config, "Train", device, logger, seed)
    paddle.seed(seed)
    model = paddle.nn.Linear(FEATURES, 1)
    optimizer, lr_scheduler = build_optimizer(
        config["Optimizer"],
        epochs=config["Global"]["epoch_num"],
        step_each_epoch=len(train_dataloader),
        model=model,
    )
    logger.info(f"train dataloader has {len(train_dataloader)} iters")
    states = load_model(config, model, optimizer)
    if config["Global"]["distributed"]:
        model = paddle.DataParallel(model)
    program.train(config, train_dataloader, model, optimizer, lr_scheduler, states, logger)


if __name__ == "__main__":
    config, device, logger, vdl_writer = program.preprocess(is_train=True)
    seed = config["Global"].get("seed", 1024)
    main(config, device, logger, vdl_writer, seed)
