"""The training program behind ``tools/train.py``: PaddleOCR's config shape and habits,
with the optimizer and learning-rate schedule built by ``ppocr_lr.build_optimizer``.

Config blocks read here: ``Global``, ``Architecture``, ``Loss``, ``Optimizer``,
``PostProcess``, ``Metric``, ``Train`` and ``Eval`` (``dataset`` and ``loader``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import random
import sys
import time
import warnings

import numpy as np
import paddle
import paddle.distributed as dist

import ppocr_lr
import ppocr_lr.config
from ppocr_lr.errors import ConfigTypeError, ConfigValueError, did_you_mean
from ppocr_lr.params import Flag, Integer, NumberList, Number, Param, Text, parse_block

from .rec import checkpoint
from .rec.data import build_loader
from .rec.metric import RecMetric, decode_batch
from .rec.model import CRNN, CTCLoss
from .rec.text import CharacterSet, TrainError

GLOBAL_PARAMS = (
    Param("epoch_num", Integer(minimum=1), 10, "epochs to train"),
    Param("print_batch_step", Integer(minimum=1), 10, "log every this many steps"),
    Param("save_model_dir", Text(), "./output/rec", "where checkpoints and logs go"),
    Param("save_epoch_step", Integer(minimum=1), 1000, "also keep iter_epoch_N every N epochs"),
    Param("eval_batch_step", NumberList(Number(minimum=0.0)), [0, 500],
          "[start, every]: evaluate every `every` steps after step `start`"),
    Param("checkpoints", Text(), None, "resume from this checkpoint prefix"),
    Param("pretrained_model", Text(), None, "start from these weights (schedule fresh)"),
    Param("seed", Integer(minimum=0), 1024, "seed of weights and data order"),
    Param("character_dict_path", Text(), None,
          "one character per line; empty: PaddleOCR's 0-9a-z"),
    Param("max_text_length", Integer(minimum=1), 25, "longest label"),
    Param("use_space_char", Flag(), False, "add ' ' to the character set"),
    Param("cal_metric_during_train", Flag(), True, "log the training batches' accuracy"),
    Param("log_smooth_window", Integer(minimum=1), 20, "steps averaged in log lines"),
    Param("use_gpu", Flag(), False, "accepted for PaddleOCR configs; this trainer runs on CPU"),
)
# Keys PaddleOCR's Global holds that matter to inference or export, not to training here.
NOT_FOR_TRAINING = ("save_inference_dir", "use_visualdl", "infer_img", "infer_mode",
                    "save_res_path", "character_type", "distributed", "d2s_train_image_shape",
                    "use_amp", "scale_loss", "use_dynamic_loss_scaling", "amp_level",
                    "pretrained_model_ignore_keys", "calc_epoch_interval")
SECTIONS = ("Global", "Architecture", "Loss", "Optimizer", "PostProcess", "Metric", "Train",
            "Eval")

# PaddleOCR's logger name: ppocr_lr's notices go to its console and train.log, as they
# do in PaddleOCR's own trainer.
logger = logging.getLogger("ppocr")


# ------------------------------------------------------------------ configuration


def load_config(path: str) -> dict:
    config = ppocr_lr.config.load_yaml(path)
    if not isinstance(config, dict):
        raise TrainError(f"config file {path}: expected a mapping of sections "
                         f"({', '.join(SECTIONS)})")
    unknown = [k for k in config if k not in SECTIONS]
    if unknown:
        raise TrainError(f"config file {path}: unknown section {unknown[0]!r}"
                         f"{did_you_mean(str(unknown[0]), SECTIONS)}")
    return config


def known_keys(config: dict, block) -> list | None:
    """What ``-o`` may add: Global's keys and ppocr_lr's; the trainer's other readers
    (datasets, loaders, model) check their blocks themselves."""
    if list(block) == ["Global"]:
        return [k for p in GLOBAL_PARAMS for k in p.keys] + list(NOT_FOR_TRAINING)
    return ppocr_lr.config.optimizer_known_keys(config, block)


SUPPORTED = {"Loss": ("CTCLoss", ()), "PostProcess": ("CTCLabelDecode", ()),
             "Metric": ("RecMetric", ("main_indicator",))}


def check_sections(config: dict) -> str:
    """The Loss, PostProcess and Metric this trainer implements; returns the metric that
    picks the best checkpoint (``Metric.main_indicator``)."""
    for section, (name, keys) in SUPPORTED.items():
        block = config.get(section) or {"name": name}
        if not isinstance(block, dict) or block.get("name") != name:
            got = block.get("name") if isinstance(block, dict) else block
            raise TrainError(f"{section}.name: got {got!r}; this trainer implements {name}")
        extra = [k for k in block if k not in ("name", *keys)]
        if extra:
            raise TrainError(f"{section}.{extra[0]}: not a key of {name} here"
                             + (f" (keys: {', '.join(keys)})" if keys else ""))
    indicator = (config.get("Metric") or {}).get("main_indicator", "acc")
    if indicator not in ("acc", "norm_edit_dis"):
        raise TrainError(f"Metric.main_indicator: got {indicator!r}"
                         f"{did_you_mean(str(indicator), ('acc', 'norm_edit_dis'))}; expected "
                         "acc or norm_edit_dis")
    return indicator


def read_global(config: dict) -> dict:
    block = dict(config.get("Global") or {})
    unused = [k for k in block if k in NOT_FOR_TRAINING]
    for key in unused:
        logger.info(f"Global.{key} is not used by this trainer")
        block.pop(key)
    values = parse_block(block, GLOBAL_PARAMS, "Global", strict=True).values
    steps = values["eval_batch_step"]
    if len(steps) != 2 or any(s != int(s) for s in steps) or steps[1] < 1:
        raise TrainError(f"Global.eval_batch_step: got {steps!r}; expected [start, every] "
                         "(whole steps, every >= 1)")
    values["eval_batch_step"] = [int(s) for s in steps]
    return values


# ------------------------------------------------------------------ logging and files


def setup_logging(save_dir: str, rank: int) -> None:
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    form = logging.Formatter("[%(asctime)s] %(name)s %(levelname)s: %(message)s",
                             datefmt="%Y/%m/%d %H:%M:%S")
    screen = logging.StreamHandler(sys.stdout)
    screen.setFormatter(form)
    logger.addHandler(screen)
    if rank == 0:
        os.makedirs(save_dir, exist_ok=True)
        file = logging.FileHandler(os.path.join(save_dir, "train.log"), encoding="utf-8")
        file.setFormatter(form)
        logger.addHandler(file)


class MetricsFile:
    """One JSON object per line: every step's ``lr`` and ``loss``, every evaluation."""

    def __init__(self, path: str, resume_step: int):
        self.path = path
        if resume_step and os.path.exists(path):  # drop what the resumed steps will redo
            with open(path, encoding="utf-8") as f:
                kept = [line for line in f if json.loads(line).get("global_step", 0)
                        <= resume_step]
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(kept)
        elif os.path.exists(path):
            os.remove(path)
        self.file = open(path, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read_metrics(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_curves(metrics_path: str, png_path: str, title: str) -> None:
    """Learning rate, loss and accuracy against the global step."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(metrics_path)
    steps = [r for r in records if r["kind"] == "step"]
    evals = [r for r in records if r["kind"] == "eval"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    x = [r["global_step"] for r in steps]
    axes[0].plot(x, [r["lr"] for r in steps], color="tab:blue")
    axes[0].set_ylabel("learning rate")
    loss = np.array([r["loss"] for r in steps])
    axes[1].plot(x, loss, color="tab:orange", alpha=0.35, label="loss")
    if len(loss) >= 20:
        k = max(len(loss) // 50, 5)
        axes[1].plot(x[k - 1:], np.convolve(loss, np.ones(k) / k, "valid"), color="tab:red",
                     label=f"mean of {k}")
    axes[1].set_ylabel("CTC loss")
    axes[1].set_yscale("log")
    axes[1].legend()
    if any("acc" in r for r in steps):
        axes[2].plot(x, [r.get("acc", np.nan) for r in steps], color="tab:gray", alpha=0.3,
                     label="train batch")
    if evals:
        axes[2].plot([r["global_step"] for r in evals], [r["acc"] for r in evals], "o-",
                     color="tab:green", label="eval")
    axes[2].set_ylabel("word accuracy")
    axes[2].set_ylim(0, 1.02)
    axes[2].set_xlabel("global step")
    axes[2].legend()
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------ training


def weights_digest(model) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(value.numpy()).tobytes())
    return digest.hexdigest()


def average_statistics(model, world: int) -> None:
    """Average the non-trained tensors (BatchNorm's running mean and variance) over the
    ranks: each rank has only seen its shard, and the checkpoint should speak for all."""
    with paddle.no_grad():
        for layer in model.sublayers():
            if isinstance(layer, paddle.nn.BatchNorm2D):
                for tensor in (layer._mean, layer._variance):
                    dist.all_reduce(tensor)
                    tensor.set_value(tensor / world)


def evaluate(model, loader, charset) -> dict:
    model.eval()
    metric = RecMetric()
    with paddle.no_grad():
        for images, labels, lengths in loader:
            predictions = decode_batch(model(images).numpy(), charset)
            texts = [charset.text(l, int(n)) for l, n in zip(labels.numpy(), lengths.numpy())]
            metric.update(predictions, texts)
    model.train()
    return metric.result()


def train(config: dict) -> dict:
    """Run the training a config describes; returns a summary."""
    # Fresh parameter and optimizer-slot names (conv2d_0.w_0_moment1_0, ...) on every call,
    # as in a new process, so optimizer states saved by one run load into the next.
    with paddle.utils.unique_name.guard():
        return Trainer(config).run()


class Trainer:
    """One training run: data, model, optimizer and schedule, counters, checkpoints."""

    def __init__(self, config: dict):
        self.config = config
        self.world = dist.get_world_size()
        if self.world > 1:
            dist.init_parallel_env()
        self.rank = dist.get_rank()
        self.g = g = read_global(config)
        self.indicator = check_sections(config)
        setup_logging(g["save_model_dir"], self.rank)
        random.seed(g["seed"])
        np.random.seed(g["seed"])
        paddle.seed(g["seed"])
        self.started = time.time()
        self.charset = CharacterSet.from_config(g)
        train_set, self.loader, self.batches = build_loader(config, "Train", self.charset,
                                                            g["seed"])
        self.eval_loader = (build_loader(config, "Eval", self.charset, g["seed"])[1]
                            if self.rank == 0 and config.get("Eval") else None)
        logger.info(f"data: {len(train_set)} training samples, {len(self.loader)} batches per "
                    f"epoch on each of {self.world} process(es), built in "
                    f"{time.time() - self.started:.1f}s")
        self.layer = CRNN(config.get("Architecture") or {}, self.charset.num_classes)
        if g["pretrained_model"] and not g["checkpoints"]:
            checkpoint.set_weights(self.layer, checkpoint.load_weights(g["pretrained_model"]),
                                   "Global.pretrained_model")
            logger.info(f"loaded weights from {g['pretrained_model']} (schedule starts fresh)")
        self.loss_fn = CTCLoss()
        self.epochs, self.step_each_epoch = g["epoch_num"], len(self.loader)
        self.optimizer, self.lr = ppocr_lr.build_optimizer(
            config.get("Optimizer", {}), epochs=self.epochs,
            step_each_epoch=self.step_each_epoch, model=self.layer)
        logger.info(f"schedule: {self.lr.describe()}")
        self.epoch, self.global_step, self.step_in_epoch = 1, 0, 0
        self.best = {self.indicator: -1.0}
        if g["checkpoints"]:
            self.resume(g["checkpoints"])
        self.model = paddle.DataParallel(self.layer) if self.world > 1 else self.layer
        self.save_dir = g["save_model_dir"]
        os.makedirs(self.save_dir, exist_ok=True)
        self.metrics_path = os.path.join(
            self.save_dir, "metrics.jsonl" if self.rank == 0 else f"metrics.rank{self.rank}.jsonl")
        self.metrics = MetricsFile(self.metrics_path, self.global_step)
        self.window: list = []  # the last log_smooth_window (record, seconds) pairs
        self.timings = {"step": 0.0, "scheduler": 0.0, "n": 0}

    def resume(self, prefix: str) -> None:
        model_state, optimizer_state, record = checkpoint.load(prefix)
        checkpoint.set_weights(self.layer, model_state, "Global.checkpoints")
        self.optimizer.set_state_dict(optimizer_state)
        self.global_step, self.step_in_epoch = record["global_step"], record["step_in_epoch"]
        self.epoch, self.best = record["epoch"], record.get("best_model_dict", self.best)
        if record.get("step_each_epoch") != self.step_each_epoch:
            logger.warning(f"the checkpoint was trained with {record.get('step_each_epoch')} "
                           f"steps per epoch, this run has {self.step_each_epoch}")
        if self.lr.last_epoch != self.global_step:
            raise TrainError(f"Global.checkpoints: the schedule's step ({self.lr.last_epoch}) "
                             f"and the training step ({self.global_step}) disagree")
        logger.info(f"resumed from {prefix} at epoch {self.epoch}, global step "
                    f"{self.global_step}, lr {self.lr.last_lr:.6g}")

    def save(self, name: str, next_epoch: int, in_epoch: int) -> None:
        if self.rank == 0:
            checkpoint.save(os.path.join(self.save_dir, name), self.layer.state_dict(),
                            self.optimizer.state_dict(),
                            {"epoch": next_epoch, "global_step": self.global_step,
                             "step_in_epoch": in_epoch, "best_model_dict": self.best,
                             "step_each_epoch": self.step_each_epoch, "world_size": self.world,
                             "config": self.config})

    def step(self, images, labels, lengths) -> dict:
        """One update and one ``lr.step()``; returns the step's metrics record."""
        t0 = time.perf_counter()
        logits = self.model(images)
        loss = self.loss_fn(logits, labels, lengths)
        loss.backward()
        self.optimizer.step()
        self.optimizer.clear_grad()
        t1 = time.perf_counter()
        self.lr.step()
        lr_value = self.optimizer.get_lr()  # PaddleOCR logs the lr after the step
        t2 = time.perf_counter()
        self.global_step += 1
        self.step_in_epoch += 1
        record = {"kind": "step", "global_step": self.global_step, "epoch": self.epoch,
                  "lr": lr_value, "loss": float(loss)}
        if self.g["cal_metric_during_train"]:
            predictions = decode_batch(logits.numpy(), self.charset)
            texts = [self.charset.text(l, int(n)) for l, n in zip(labels.numpy(),
                                                                  lengths.numpy())]
            record["acc"] = RecMetric().update(predictions, texts)
        self.metrics.write(record)
        seconds = time.perf_counter() - t0
        self.timings["step"] += seconds
        self.timings["scheduler"] += t2 - t1
        self.timings["n"] += 1
        self.window = (self.window + [(record, seconds)])[-self.g["log_smooth_window"]:]
        return record

    def log_progress(self, record: dict) -> None:
        total = self.epochs * self.step_each_epoch
        if self.rank or not (self.global_step % self.g["print_batch_step"] == 0
                             or self.global_step == total):
            return
        seconds = sum(t for _, t in self.window) / len(self.window)
        line = (f"epoch: [{self.epoch}/{self.epochs}], global_step: {self.global_step}, "
                f"lr: {record['lr']:.6f}, loss: "
                f"{np.mean([r['loss'] for r, _ in self.window]):.4f}")
        if "acc" in record:
            line += f", acc: {np.mean([r['acc'] for r, _ in self.window]):.4f}"
        eta = datetime.timedelta(seconds=int(seconds * (total - self.global_step)))
        samples = self.batches.sampler.batch_size * self.world / seconds
        logger.info(f"{line}, samples/s: {samples:.1f}, eta: {eta}")

    def evaluate_due(self) -> None:
        start, every = self.g["eval_batch_step"]
        if self.eval_loader is None or self.global_step <= start or (
                self.global_step - start) % every:
            return
        result = evaluate(self.layer, self.eval_loader, self.charset)
        self.metrics.write({"kind": "eval", "global_step": self.global_step,
                            "epoch": self.epoch, **result})
        logger.info(f"cur metric, acc: {result['acc']:.4f}, norm_edit_dis: "
                    f"{result['norm_edit_dis']:.4f}")
        if result[self.indicator] > self.best.get(self.indicator, -1.0):
            self.best = dict(result, global_step=self.global_step, epoch=self.epoch)
            self.save("best_accuracy", self.epoch, self.step_in_epoch)
            logger.info(f"save best model to {os.path.join(self.save_dir, 'best_accuracy')}")
        logger.info(f"best metric, {self.indicator}: {self.best[self.indicator]:.4f}, at "
                    f"global step {self.best['global_step']}")

    def end_epoch(self) -> None:
        self.step_in_epoch = 0
        if self.world > 1:
            average_statistics(self.layer, self.world)
        self.save("latest", self.epoch + 1, 0)
        logger.info(f"save model in {os.path.join(self.save_dir, 'latest')} "
                    f"(epoch {self.epoch})")
        if self.epoch % self.g["save_epoch_step"] == 0:
            self.save(f"iter_epoch_{self.epoch}", self.epoch + 1, 0)

    def run(self) -> dict:
        self.model.train()
        for epoch in range(self.epoch, self.epochs + 1):
            self.epoch = epoch
            self.batches.start_epoch(epoch, skip=self.step_in_epoch)
            for images, labels, lengths in self.loader:
                self.log_progress(self.step(images, labels, lengths))
                self.evaluate_due()
            self.end_epoch()
        return self.finish()

    def finish(self) -> dict:
        t = self.timings
        summary = {"kind": "summary", "global_step": self.global_step, "rank": self.rank,
                   "weights_sha256": weights_digest(self.layer),
                   "seconds": time.time() - self.started,
                   "step_seconds": t["step"] / max(t["n"], 1),
                   "scheduler_share": t["scheduler"] / max(t["step"], 1e-12)}
        if self.eval_loader is not None:
            final = evaluate(self.layer, self.eval_loader, self.charset)
            summary.update(final_acc=final["acc"], final_norm_edit_dis=final["norm_edit_dis"])
            logger.info(f"final eval: acc {final['acc']:.4f}, norm_edit_dis "
                        f"{final['norm_edit_dis']:.4f}")
        self.metrics.write(summary)
        self.metrics.close()
        if self.rank == 0:
            png = os.path.join(self.save_dir, "train_curves.png")
            plot_curves(self.metrics_path, png,
                        f"{self.lr.name}, {self.epochs} epochs x {self.step_each_epoch} steps "
                        f"x {self.world} process(es)")
            logger.info(f"curves in {png}; {summary['seconds']:.0f}s in all, "
                        f"{summary['step_seconds'] * 1e3:.1f} ms per step, scheduler "
                        f"{summary['scheduler_share'] * 100:.4f}% of it")
        return summary


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Train a text recognizer with ppocr_lr.")
    parser.add_argument("-c", "--config", required=True, help="YAML config")
    parser.add_argument("-o", "--opt", nargs="+", default=[],
                        help="overrides such as Global.epoch_num=4 (values parsed as YAML)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="When training, we now always track")
    # ppocr_lr's notices are log records here (console and train.log), not also warnings
    warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
    try:
        config = load_config(args.config)
        ppocr_lr.config.apply_overrides(config, args.opt, known_keys)
        train(config)
    except (TrainError, ConfigValueError, ConfigTypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
