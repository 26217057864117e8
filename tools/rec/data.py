"""Datasets and loaders: rendered synthetic text lines, and PaddleOCR's SimpleDataSet.

Both return ``(image, label, length)``: a float32 ``[C, H, W]`` image scaled to [-1, 1],
the label's CTC indices padded to ``Global.max_text_length``, and the label's length.
"""

from __future__ import annotations

import os

import numpy as np
import paddle
from PIL import Image, ImageDraw, ImageFont

from ppocr_lr.errors import ConfigTypeError, ConfigValueError, did_you_mean
from ppocr_lr.messages import notice
from ppocr_lr.params import (
    REQUIRED,
    Flag,
    Integer,
    Number,
    NumberList,
    Param,
    Text,
    TextList,
    parse_block,
)

from .text import CharacterSet, TrainError

IMAGE_SHAPE = Param(
    "image_shape",
    NumberList(Number(minimum=1.0)),
    [1, 32, 128],
    "[channels, height, width] of the network input (channels: 1)",
)


def normalise(gray: np.ndarray) -> np.ndarray:
    """uint8 ``[H, W]`` to float32 ``[1, H, W]`` in [-1, 1], as PaddleOCR's rec configs."""
    return ((gray.astype(np.float32) / 255.0 - 0.5) / 0.5)[None]


class _LabelledImages(paddle.io.Dataset):
    """Shared part: labels already encoded, images as uint8 ``[H, W]`` (padded to W)."""

    def __init__(self, charset: CharacterSet):
        self.charset = charset
        self.labels: list[list[int]] = []

    def label_array(self, i: int):
        label = self.labels[i]
        padded = np.zeros(self.charset.max_text_length, dtype=np.int32)
        padded[: len(label)] = label
        return padded, np.int64(len(label))

    def __len__(self) -> int:
        return len(self.labels)


class SynthTextDataset(_LabelledImages):
    """Random text lines rendered in process with Pillow's bundled font.

    Every sample is drawn from ``numpy.random.default_rng(seed)``: random text (length
    ``min_text_length`` .. ``Global.max_text_length``, from the character set), font size,
    position, ink and paper shade, and Gaussian noise; the same seed gives the same data
    in every run and on every rank.  Images are rendered once, when the dataset is built."""

    PARAMS = (
        Param("num_samples", Integer(minimum=1), 20000, "how many lines"),
        Param("seed", Integer(minimum=0), 0, "seed of the rendering"),
        IMAGE_SHAPE,
        Param("min_text_length", Integer(minimum=1), 1, "shortest line"),
        Param(
            "font_size_range",
            NumberList(Number(minimum=6.0), increasing=True),
            [18, 28],
            "[smallest, largest] font size in pixels",
        ),
        Param("noise", Number(minimum=0.0), 8.0, "standard deviation of the pixel noise"),
    )

    def __init__(self, config: dict, charset: CharacterSet, path: str):
        super().__init__(charset)
        p = parse_block(config, self.PARAMS, path, ignore=("name",), strict=True).values
        channels, self.height, self.width = _image_shape(p["image_shape"], path)
        rng = np.random.default_rng(p["seed"])
        alphabet = [c for c in charset.characters if c != " "]
        low, high = p["font_size_range"]
        longest = charset.max_text_length
        if p["min_text_length"] > longest:
            raise TrainError(
                f"{path}.min_text_length ({p['min_text_length']}) is more than "
                f"Global.max_text_length ({longest})"
            )
        fonts = {}
        self.images = np.empty((p["num_samples"], self.height, self.width), dtype=np.uint8)
        self.texts = []
        for i in range(p["num_samples"]):
            n = int(rng.integers(p["min_text_length"], longest + 1))
            text = "".join(alphabet[j] for j in rng.integers(0, len(alphabet), n))
            size = int(rng.integers(int(low), int(high) + 1))
            self.images[i] = self._render(text, size, fonts, rng, p["noise"])
            self.labels.append(charset.encode(text, f"{path}: "))
            self.texts.append(text)

    def _render(self, text, size, fonts, rng, noise):
        paper, ink = int(rng.integers(150, 256)), int(rng.integers(0, 100))
        image = Image.new("L", (self.width, self.height), paper)
        draw = ImageDraw.Draw(image)
        while True:  # the largest size up to `size` at which the line fits
            font = fonts.get(size) or fonts.setdefault(size, ImageFont.load_default(size=size))
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            if (right - left <= self.width - 2 and bottom - top <= self.height - 2) or size <= 6:
                break
            size -= 1
        x = int(rng.integers(0, max(1, self.width - (right - left)))) - left
        y = int(rng.integers(0, max(1, self.height - (bottom - top)))) - top
        draw.text((x, y), text, fill=ink, font=font)
        pixels = np.asarray(image, dtype=np.float32)
        if noise:
            pixels = pixels + rng.normal(0.0, noise, pixels.shape)
        return np.clip(pixels, 0, 255).astype(np.uint8)

    def __getitem__(self, i):
        label, length = self.label_array(i)
        return normalise(self.images[i]), label, length


class SimpleDataSet(_LabelledImages):
    """PaddleOCR's format: ``label_file_list`` files of ``image_path<TAB>label`` lines,
    image paths relative to ``data_dir``.  Images are resized to the input height keeping
    their aspect ratio (squeezed when wider than the input) and padded on the right."""

    PARAMS = (
        Param("data_dir", Text(), "", "folder the image paths are relative to"),
        Param("label_file_list", TextList(), REQUIRED, "label files"),
        Param(
            "ratio_list",
            NumberList(Number(0.0, 1.0, True)),
            None,
            "share of each label file to use (a seeded sample)",
        ),
        IMAGE_SHAPE,
        Param("delimiter", Text(), "\t", "separator between path and label"),
        Param("seed", Integer(minimum=0), 0, "seed of the ratio_list sample"),
    )

    def __init__(self, config: dict, charset: CharacterSet, path: str):
        super().__init__(charset)
        if "transforms" in config:
            notice(
                f"{path}.transforms",
                "the built-in pipeline is used (decode, grayscale, "
                "resize keeping the aspect ratio, pad right, scale to [-1, 1]); the listed "
                "transforms are not applied",
            )
        p = parse_block(
            config, self.PARAMS, path, ignore=("name", "transforms"), strict=True
        ).values
        channels, self.height, self.width = _image_shape(p["image_shape"], path)
        files, ratios = p["label_file_list"], p["ratio_list"] or []
        if ratios and len(ratios) != len(files):
            raise TrainError(f"{path}.ratio_list: {len(ratios)} ratios for {len(files)} files")
        rng = np.random.default_rng(p["seed"])
        self.paths: list[str] = []
        for k, file in enumerate(files):
            try:
                with open(file, encoding="utf-8") as f:
                    lines = [
                        (n, line) for n, line in enumerate(f.read().splitlines(), 1) if line.strip()
                    ]
            except (OSError, UnicodeDecodeError) as err:
                raise TrainError(f"{path}.label_file_list: cannot read {file!r}: {err}") from None
            if ratios and ratios[k] < 1.0:
                keep = sorted(rng.choice(len(lines), round(ratios[k] * len(lines)), replace=False))
                lines = [lines[i] for i in keep]
            for number, line in lines:
                if p["delimiter"] not in line:
                    raise TrainError(
                        f"{file}:{number}: expected 'image_path"
                        f"{p['delimiter']!r}label', got {line!r}"
                    )
                image, label = line.split(p["delimiter"], 1)
                self.labels.append(charset.encode(label, f"{file}:{number}: "))
                self.paths.append(os.path.join(p["data_dir"], image))
        if not self.labels:
            raise TrainError(f"{path}: the dataset is empty ({', '.join(files)} hold no samples)")

    def __getitem__(self, i):
        try:
            with Image.open(self.paths[i]) as image:
                gray = image.convert("L")
        except (OSError, ValueError) as err:
            raise TrainError(f"cannot read image {self.paths[i]!r}: {err}") from None
        width = min(self.width, max(1, round(gray.width * self.height / gray.height)))
        resized = np.asarray(gray.resize((width, self.height), Image.BILINEAR))
        image = np.zeros((1, self.height, self.width), dtype=np.float32)  # 0: PaddleOCR's pad
        image[:, :, :width] = normalise(resized)
        label, length = self.label_array(i)
        return image, label, length


DATASETS = {"SynthTextDataset": SynthTextDataset, "SimpleDataSet": SimpleDataSet}


def _image_shape(shape, path):
    if len(shape) != 3 or shape[0] != 1:
        raise TrainError(
            f"{path}.image_shape: got {shape!r}; expected [1, height, width] (grayscale)"
        )
    return tuple(int(v) for v in shape)


LOADER_PARAMS = (
    Param("shuffle", Flag(), False, "shuffle every epoch"),
    Param("batch_size_per_card", Integer(minimum=1), 64, "batch size of each process"),
    Param("drop_last", Flag(), False, "drop the last incomplete batch"),
    Param("num_workers", Integer(minimum=0), 0, "loader worker processes"),
)


class ResumableBatches(paddle.io.BatchSampler):
    """A ``DistributedBatchSampler`` epoch, optionally without its first ``skip`` batches
    (to continue mid-epoch after a resume).  The order of an epoch depends only on
    ``(seed, epoch)``, so every rank and every resumed run sees the same batches."""

    def __init__(self, sampler: paddle.io.DistributedBatchSampler, seed: int):
        self.sampler, self.seed, self.skip = sampler, seed, 0

    def start_epoch(self, epoch: int, skip: int = 0) -> None:
        self.sampler.set_epoch(self.seed * 100003 + epoch)
        self.skip = skip

    def __iter__(self):
        for i, batch in enumerate(self.sampler):
            if i >= self.skip:
                yield batch

    def __len__(self) -> int:
        return len(self.sampler) - self.skip


def build_loader(config: dict, mode: str, charset: CharacterSet, seed: int):
    """``(dataset, loader, batches)`` for ``config[mode]`` (``Train`` or ``Eval``)."""
    block = config.get(mode)
    if not isinstance(block, dict) or not isinstance(block.get("dataset"), dict):
        raise TrainError(
            f"{mode}.dataset: missing; expected a block with name: {' or '.join(DATASETS)}"
        )
    name = block["dataset"].get("name")
    if name not in DATASETS:
        raise TrainError(
            f"{mode}.dataset.name: got {name!r}"
            f"{did_you_mean(str(name), DATASETS)}; expected one of "
            f"{', '.join(DATASETS)}"
        )
    try:
        dataset = DATASETS[name](dict(block["dataset"]), charset, f"{mode}.dataset")
        loader_cfg = parse_block(
            block.get("loader") or {},
            LOADER_PARAMS,
            f"{mode}.loader",
            ignore=("use_shared_memory",),
            strict=True,
        ).values
    except (ConfigValueError, ConfigTypeError) as err:
        raise TrainError(str(err)) from None
    # Training batches are sharded over the processes; evaluation (on rank 0) reads the
    # whole held-out set, whatever the number of processes.
    sampler = (paddle.io.DistributedBatchSampler if mode == "Train" else paddle.io.BatchSampler)(
        dataset,
        batch_size=loader_cfg["batch_size_per_card"],
        shuffle=loader_cfg["shuffle"],
        drop_last=loader_cfg["drop_last"],
    )
    if len(sampler) == 0:
        raise TrainError(
            f"{mode}: {len(dataset)} samples make no batch of "
            f"{loader_cfg['batch_size_per_card']} per process with drop_last"
        )
    batches = ResumableBatches(sampler, seed)
    loader = paddle.io.DataLoader(
        dataset, batch_sampler=batches, num_workers=loader_cfg["num_workers"], return_list=True
    )
    return dataset, loader, batches
