"""The training program behind ``tools/train.py``: PaddleOCR's config shape and habits,
with the optimizer and learning-rate schedule built by ``ppocr_lr.build_optimizer``.

The run itself is here (:class:`Trainer`); the config's schema is in
``tools/rec/schema.py``, logging in ``logs.py``, the metrics file in ``records.py``, the
curves in ``curves.py``, what processes agree on in ``distributed.py``, checkpoints in
``checkpoint.py``, data, model and metric in ``data.py``, ``model.py`` and ``metric.py``.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import random
import sys
import time
import warnings
from types import SimpleNamespace

import numpy as np
import paddle
import paddle.distributed as dist

import ppocr_lr
import ppocr_lr.config
from ppocr_lr.errors import ConfigTypeError, ConfigValueError
from ppocr_lr.modern import plateau_hears_higher

from .rec import checkpoint
from .rec.curves import plot_curves
from .rec.data import build_loader
from .rec.distributed import average_statistics
from .rec.logs import logger, setup_logging
from .rec.metric import RecMetric, decode_batch
from .rec.model import CRNN, CTCLoss
from .rec.records import MetricsFile
from .rec.schema import block_of, check_sections, known_keys, load_config, read_global
from .rec.text import CharacterSet, NonFiniteLoss, OneLineParser, TrainError
from .rec.tracking import Tracking

__all__ = ["train", "main", "known_keys", "Trainer"]


class Timings:
    """Where a training step's time goes (the benchmark's figures): the whole step and
    the part the schedule takes."""

    def __init__(self):
        self.seconds = {"step": 0.0, "scheduler": 0.0}
        self.steps = 0

    @contextlib.contextmanager
    def measure(self, part: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - start

    def per_step(self) -> float:
        return self.seconds["step"] / max(self.steps, 1)

    def scheduler_share(self) -> float:
        return self.seconds["scheduler"] / max(self.seconds["step"], 1e-12)


def evaluate(model, loader, charset) -> dict:
    model.eval()
    metric = RecMetric()
    with paddle.no_grad():
        for images, labels, lengths in loader:
            predictions = decode_batch(model(images).numpy(), charset)
            texts = [
                charset.text(label, int(n)) for label, n in zip(labels.numpy(), lengths.numpy())
            ]
            metric.update(predictions, texts)
    model.train()
    return metric.result()


def train(config: dict) -> dict:
    """Run the training a config describes; returns a summary."""
    # Fresh parameter and optimizer-slot names (conv2d_0.w_0_moment1_0, ...) on every call,
    # as in a new process, so optimizer states saved by one run load into the next.
    with paddle.utils.unique_name.guard():
        return Trainer(config).run()


def plateau_follows_the_metric(optimizer: dict, indicator: str) -> dict:
    """Every ReduceOnPlateau (top-level or a phase) hears ``Metric.main_indicator`` (acc,
    norm_edit_dis: higher is better), so its ``mode`` is ``max``: filled in when left out,
    an error otherwise."""
    try:
        return plateau_hears_higher(optimizer, indicator)
    except ConfigValueError as err:
        raise TrainError(str(err)) from None


def prepare(config: dict, evaluation: bool = True, log_file: str | None = "train.log"):
    """What every program on a config starts with: processes, logging, seeds, the
    character set, the data and the network (with ``Global.pretrained_model`` loaded).
    ``evaluation``: also the held-out loader (rank 0).  Returns a namespace."""
    world = dist.get_world_size()
    if world > 1:
        dist.init_parallel_env()
    rank = dist.get_rank()
    g = read_global(config)
    indicator = check_sections(config)
    setup_logging(g["save_model_dir"], rank, log_file)
    random.seed(g["seed"])
    np.random.seed(g["seed"])
    paddle.seed(g["seed"])
    started = time.time()
    charset = CharacterSet.from_config(g)
    train_set, loader, batches = build_loader(config, "Train", charset, g["seed"])
    eval_loader = (
        build_loader(config, "Eval", charset, g["seed"])[1]
        if evaluation and rank == 0 and config.get("Eval")
        else None
    )
    logger.info(
        f"data: {len(train_set)} training samples, {len(loader)} batches per "
        f"epoch on each of {world} process(es), built in "
        f"{time.time() - started:.1f}s"
    )
    layer = CRNN(block_of(config, "Architecture"), charset.num_classes)
    if g["pretrained_model"] and not g["checkpoints"]:
        checkpoint.set_weights(
            layer, checkpoint.load_weights(g["pretrained_model"]), "Global.pretrained_model"
        )
        logger.info(f"loaded weights from {g['pretrained_model']} (schedule starts fresh)")
    return SimpleNamespace(
        world=world,
        rank=rank,
        g=g,
        indicator=indicator,
        started=started,
        charset=charset,
        loader=loader,
        batches=batches,
        eval_loader=eval_loader,
        layer=layer,
        global_batch=batches.sampler.batch_size * world,
    )


class Trainer:
    """One training run: data, model, optimizer and schedule, counters, checkpoints."""

    def __init__(self, config: dict):
        self.config = config
        parts = prepare(config)
        self.world, self.rank, self.g, self.indicator = (
            parts.world,
            parts.rank,
            parts.g,
            parts.indicator,
        )
        self.started, self.charset, self.loader, self.batches = (
            parts.started,
            parts.charset,
            parts.loader,
            parts.batches,
        )
        self.eval_loader, self.layer = parts.eval_loader, parts.layer
        g = self.g
        self.loss_fn = CTCLoss()
        self.epochs, self.step_each_epoch = g["epoch_num"], len(self.loader)
        self.optimizer, self.lr = ppocr_lr.build_optimizer(
            plateau_follows_the_metric(config.get("Optimizer", {}), self.indicator),
            epochs=self.epochs,
            step_each_epoch=self.step_each_epoch,
            model=self.layer,
            global_batch_size=parts.global_batch,
        )
        logger.info(f"schedule: {self.lr.describe()}")
        self.epoch, self.global_step, self.step_in_epoch = 1, 0, 0
        self.best = {self.indicator: -1.0}
        if g["checkpoints"]:
            self.resume(g["checkpoints"])
        self.model = paddle.DataParallel(self.layer) if self.world > 1 else self.layer
        self.save_dir = g["save_model_dir"]
        self.total = self.epochs * self.step_each_epoch
        self.metrics_path = os.path.join(
            self.save_dir, "metrics.jsonl" if self.rank == 0 else f"metrics.rank{self.rank}.jsonl"
        )
        self.metrics = None
        self.tracking = None
        if self.global_step < self.total:  # a finished run's outputs are left as they are
            os.makedirs(self.save_dir, exist_ok=True)
            self.metrics = MetricsFile(self.metrics_path, self.global_step)
            self.tracking = Tracking(config, g, self.save_dir, self.rank)
        self.window: list = []  # the last log_smooth_window (record, seconds) pairs
        self.timings = Timings()
        self.last_eval: dict | None = None  # the latest evaluation, with its global step

    def resume(self, prefix: str) -> None:
        model_state, optimizer_state, record = checkpoint.load(prefix)
        checkpoint.set_weights(self.layer, model_state, "Global.checkpoints")
        self.optimizer.set_state_dict(optimizer_state)
        self.global_step, self.step_in_epoch = record["global_step"], record["step_in_epoch"]
        self.epoch, self.best = record["epoch"], record.get("best_model_dict", self.best)
        if record.get("step_each_epoch") != self.step_each_epoch:
            logger.warning(
                f"the checkpoint was trained with {record.get('step_each_epoch')} "
                f"steps per epoch, this run has {self.step_each_epoch}"
            )
        if self.lr.last_epoch != self.global_step:
            raise TrainError(
                f"Global.checkpoints: the schedule's step ({self.lr.last_epoch}) "
                f"and the training step ({self.global_step}) disagree"
            )
        where = (
            f"after epoch {self.epochs} of {self.epochs} (the run is complete)"
            if self.epoch > self.epochs
            else f"at epoch {self.epoch}"
        )
        logger.info(
            f"resumed from {prefix} {where}, global step {self.global_step}, "
            f"lr {self.lr.last_lr:.6g}"
        )

    def save(self, name: str, next_epoch: int, in_epoch: int) -> None:
        if self.rank == 0:
            checkpoint.save(
                os.path.join(self.save_dir, name),
                self.layer.state_dict(),
                self.optimizer.state_dict(),
                {
                    "epoch": next_epoch,
                    "global_step": self.global_step,
                    "step_in_epoch": in_epoch,
                    "best_model_dict": self.best,
                    "step_each_epoch": self.step_each_epoch,
                    "world_size": self.world,
                    "config": self.config,
                },
            )

    def step(self, images, labels, lengths) -> dict:
        """One update and one ``lr.step()``; returns the step's metrics record."""
        started = time.perf_counter()
        with self.timings.measure("step"):
            logits = self.model(images)
            loss = self.loss_fn(logits, labels, lengths)
            loss_value = self.finite_loss(loss)
            loss.backward()
            self.optimizer.step()
            self.optimizer.clear_grad()
            with self.timings.measure("scheduler"):
                self.lr.step()
                lr_value = self.optimizer.get_lr()  # PaddleOCR logs the lr after the step
        self.timings.steps += 1
        self.global_step += 1
        self.step_in_epoch += 1
        record = {
            "kind": "step",
            "global_step": self.global_step,
            "epoch": self.epoch,
            "lr": lr_value,
            "loss": loss_value,
        }
        if self.g["cal_metric_during_train"]:
            predictions = decode_batch(logits.numpy(), self.charset)
            texts = [
                self.charset.text(label, int(n))
                for label, n in zip(labels.numpy(), lengths.numpy())
            ]
            record["acc"] = RecMetric().update(predictions, texts)
        self.metrics.write(record)
        seconds = time.perf_counter() - started
        self.window = (self.window + [(record, seconds)])[-self.g["log_smooth_window"] :]
        if self.tracking.active:
            tracked = {k: record[k] for k in ("lr", "loss", "acc") if k in record}
            tracked["samples_per_sec"] = self.batches.sampler.batch_size * self.world / seconds
            if self.lr.drives_momentum:  # OneCycle's cycle_momentum: the optimizer's now
                tracked["momentum"] = self.lr.momentum_at(self.global_step)
            self.tracking.log(tracked, "TRAIN", self.global_step)
        return record

    def finite_loss(self, loss) -> float:
        """This rank's loss as a float; a NaN or infinite loss stops the run before it
        reaches the weights (on every rank at once: the loss is summed over the ranks),
        with the step and the rate it was taken at."""
        value = total = float(loss)
        if self.world > 1:
            shared = paddle.to_tensor([value], dtype="float64")
            dist.all_reduce(shared)
            total = float(shared.numpy()[0])
        if math.isfinite(total):
            return value
        latest = os.path.join(self.save_dir, "latest")
        kept = (
            f"the last good checkpoint is {latest} (epoch {self.epoch - 1})"
            if self.epoch > 1 or self.global_step > self.step_in_epoch
            else "no checkpoint was written yet"
        )
        raise NonFiniteLoss(
            f"the loss is {value} at global step {self.global_step + 1} (epoch "
            f"{self.epoch}, lr {self.optimizer.get_lr():.6g}); training stopped before it "
            f"reached the weights, and {kept}"
        )

    def log_progress(self, record: dict) -> None:
        total = self.epochs * self.step_each_epoch
        if self.rank or not (
            self.global_step % self.g["print_batch_step"] == 0 or self.global_step == total
        ):
            return
        seconds = sum(t for _, t in self.window) / len(self.window)
        line = (
            f"epoch: [{self.epoch}/{self.epochs}], global_step: {self.global_step}, "
            f"lr: {record['lr']:.6f}, loss: "
            f"{np.mean([r['loss'] for r, _ in self.window]):.4f}"
        )
        if "acc" in record:
            line += f", acc: {np.mean([r['acc'] for r, _ in self.window]):.4f}"
        eta = datetime.timedelta(seconds=int(seconds * (total - self.global_step)))
        samples = self.batches.sampler.batch_size * self.world / seconds
        logger.info(f"{line}, samples/s: {samples:.1f}, eta: {eta}")

    def evaluate_due(self) -> None:
        start, every = self.g["eval_batch_step"]
        if self.global_step <= start or (self.global_step - start) % every:
            return
        if self.world > 1:  # every rank, so that rank 0 evaluates what the checkpoint holds
            average_statistics(self.layer, self.world)
        result = (
            evaluate(self.layer, self.eval_loader, self.charset)
            if self.eval_loader is not None
            else None
        )
        if self.lr.takes_reports:  # a plateau schedule hears the metric on every rank
            self.report_metric(result[self.indicator] if result else 0.0)
        if result is None:
            return
        self.last_eval = dict(result, global_step=self.global_step)
        self.metrics.write(
            {"kind": "eval", "global_step": self.global_step, "epoch": self.epoch, **result}
        )
        logger.info(
            f"cur metric, acc: {result['acc']:.4f}, norm_edit_dis: {result['norm_edit_dis']:.4f}"
        )
        self.tracking.log(result, "EVAL", self.global_step)
        if result[self.indicator] > self.best.get(self.indicator, -1.0):
            self.best = dict(result, global_step=self.global_step, epoch=self.epoch)
            self.save("best_accuracy", self.epoch, self.step_in_epoch)
            logger.info(f"save best model to {os.path.join(self.save_dir, 'best_accuracy')}")
        logger.info(
            f"best metric, {self.indicator}: {self.best[self.indicator]:.4f}, at "
            f"global step {self.best['global_step']}"
        )
        self.tracking.log(
            {f"best_{self.indicator}": self.best[self.indicator]}, "EVAL", self.global_step
        )

    def report_metric(self, value: float) -> None:
        """Rank 0's evaluation of ``Metric.main_indicator`` to the schedule, on every rank
        (so the learning rate stays the same everywhere)."""
        if self.world > 1:
            shared = paddle.to_tensor([value], dtype="float64")
            dist.broadcast(shared, src=0)
            value = float(shared.numpy()[0])
        before = self.lr.last_lr
        self.lr.report(value)
        if self.lr.last_lr != before:
            logger.info(
                f"{self.indicator} stopped improving: the learning rate is now "
                f"{self.lr.last_lr:.6g}"
            )

    def end_epoch(self) -> None:
        self.step_in_epoch = 0
        if self.world > 1:
            average_statistics(self.layer, self.world)
        self.save("latest", self.epoch + 1, 0)
        logger.info(f"save model in {os.path.join(self.save_dir, 'latest')} (epoch {self.epoch})")
        if self.epoch % self.g["save_epoch_step"] == 0:
            self.save(f"iter_epoch_{self.epoch}", self.epoch + 1, 0)

    def run(self) -> dict:
        if self.metrics is None:
            logger.info(
                f"the run is already complete (global step {self.global_step:,} of "
                f"{self.total:,}); nothing to do, the outputs are left as they are"
            )
            return {
                "kind": "summary",
                "global_step": self.global_step,
                "rank": self.rank,
                "already_complete": True,
            }
        self.model.train()
        try:
            for epoch in range(self.epoch, self.epochs + 1):
                self.epoch = epoch
                self.batches.start_epoch(epoch, skip=self.step_in_epoch)
                for images, labels, lengths in self.loader:
                    self.log_progress(self.step(images, labels, lengths))
                    self.evaluate_due()
                self.end_epoch()
            return self.finish()
        finally:
            self.tracking.close()  # the tracked run ends with this one, finished or not

    def finish(self) -> dict:
        summary = {
            "kind": "summary",
            "global_step": self.global_step,
            "rank": self.rank,
            "weights_sha256": checkpoint.weights_digest(self.layer),
            "seconds": time.time() - self.started,
            "step_seconds": self.timings.per_step(),
            "scheduler_share": self.timings.scheduler_share(),
        }
        if self.eval_loader is not None:
            # the weights have not changed since an evaluation at the last step
            final = (
                self.last_eval
                if (self.last_eval or {}).get("global_step") == self.global_step
                else evaluate(self.layer, self.eval_loader, self.charset)
            )
            summary.update(final_acc=final["acc"], final_norm_edit_dis=final["norm_edit_dis"])
            logger.info(
                f"final eval: acc {final['acc']:.4f}, norm_edit_dis {final['norm_edit_dis']:.4f}"
            )
        self.metrics.write(summary)
        self.metrics.close()
        if self.rank == 0:
            png = os.path.join(self.save_dir, "train_curves.png")
            plot_curves(
                self.metrics_path,
                png,
                f"{self.lr.name}, {self.epochs} epochs x {self.step_each_epoch} steps "
                f"x {self.world} process(es)",
                target=self.g["target_accuracy"],
            )
            logger.info(
                f"curves in {png}; {summary['seconds']:.0f}s in all, "
                f"{summary['step_seconds'] * 1e3:.1f} ms per step, scheduler "
                f"{summary['scheduler_share'] * 100:.4f}% of it"
            )
        return summary


def main(argv=None) -> int:
    parser = OneLineParser(description="Train a text recognizer with ppocr_lr.")
    parser.add_argument("-c", "--config", required=True, help="YAML config")
    parser.add_argument(
        "-o",
        "--opt",
        nargs="+",
        default=[],
        help="overrides such as Global.epoch_num=4 (values parsed as YAML)",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="When training, we now always track")
    # ppocr_lr's notices are log records here (console and train.log), not also warnings
    warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
    try:
        config = load_config(args.config)
        ppocr_lr.config.apply_overrides(config, args.opt, known_keys)
        train(config)
    except NonFiniteLoss as err:  # the run started and went wrong: 1, as a failed run
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (TrainError, ConfigValueError, ConfigTypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
