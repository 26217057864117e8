"""CRNN: a convolutional backbone, a sequence encoder and a CTC head, plus the CTC loss.

``Architecture`` in PaddleOCR's shape::

    Architecture:
      model_type: rec
      algorithm: CRNN
      Backbone: {name: ConvStack, channels: [32, 64, 96, 128]}
      Neck: {name: SequenceEncoder, encoder_type: rnn, hidden_size: 64}
      Head: {name: CTCHead}
"""

from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppocr_lr.errors import shown
from ppocr_lr.params import Choice, Integer, NumberList, Number, Param, parse_block

from .text import TrainError

BACKBONE_PARAMS = (
    Param(
        "channels",
        NumberList(Number(minimum=1.0)),
        [32, 64, 96, 128],
        "output channels of the four convolution stages",
    ),
)
NECK_PARAMS = (
    Param(
        "encoder_type",
        Choice(("rnn", "reshape")),
        "rnn",
        "rnn: a bidirectional LSTM over the columns; reshape: none",
    ),
    Param("hidden_size", Integer(minimum=1), 64, "LSTM units per direction"),
)
KNOWN = {"Backbone": ("ConvStack",), "Neck": ("SequenceEncoder",), "Head": ("CTCHead",)}


def _conv(cin: int, cout: int, kernel, stride, padding) -> list:
    return [
        nn.Conv2D(cin, cout, kernel, stride=stride, padding=padding, bias_attr=False),
        nn.BatchNorm2D(cout),
        nn.ReLU(),
    ]


class ConvStack(nn.Layer):
    """Four convolution stages for a ``[1, 32, W]`` image: strides (2, 2), (2, 2), (2, 1),
    then a (4, 1) convolution that folds the height away: ``[C, 1, W / 4]``, one feature
    column per four pixels of width."""

    def __init__(self, channels):
        super().__init__()
        c1, c2, c3, c4 = (int(c) for c in channels)
        self.layers = nn.Sequential(
            *_conv(1, c1, 3, 2, 1),
            *_conv(c1, c2, 3, 2, 1),
            *_conv(c2, c3, 3, (2, 1), 1),
            *_conv(c3, c4, (4, 1), 1, 0),
        )
        self.out_channels = c4

    def forward(self, x):
        return self.layers(x)


class CRNN(nn.Layer):
    """Image ``[B, 1, 32, W]`` to per-column class scores ``[B, W / 4, num_classes]``."""

    def __init__(self, architecture: dict, num_classes: int):
        super().__init__()
        blocks = {}
        for part, names in KNOWN.items():
            block = architecture.get(part) or {"name": names[0]}
            if not isinstance(block, dict):
                raise TrainError(
                    f"Architecture.{part}: got {shown(block)}; expected a block "
                    f"such as {{name: {names[0]}}}"
                )
            block = dict(block)
            if block.get("name") not in names:
                raise TrainError(
                    f"Architecture.{part}.name: got {block.get('name')!r}; "
                    f"expected {' or '.join(names)}"
                )
            block.pop("name")
            blocks[part] = block
        backbone = parse_block(
            blocks["Backbone"], BACKBONE_PARAMS, "Architecture.Backbone", strict=True
        ).values
        neck = parse_block(blocks["Neck"], NECK_PARAMS, "Architecture.Neck", strict=True).values
        parse_block(blocks["Head"], (), "Architecture.Head", strict=True)
        if len(backbone["channels"]) != 4:
            raise TrainError(
                f"Architecture.Backbone.channels: got {backbone['channels']!r}; "
                "expected four numbers"
            )
        self.backbone = ConvStack(backbone["channels"])
        width = self.backbone.out_channels
        if neck["encoder_type"] == "rnn":
            self.encoder = nn.LSTM(width, neck["hidden_size"], direction="bidirect")
            width = 2 * neck["hidden_size"]
        else:
            self.encoder = None
        self.head = nn.Linear(width, num_classes)

    def forward(self, images):
        features = self.backbone(images).squeeze(2).transpose([0, 2, 1])  # [B, T, C]
        if self.encoder is not None:
            features, _ = self.encoder(features)
        return self.head(features)


class CTCLoss(nn.Layer):
    """Mean over the batch of the CTC loss (blank = 0), as PaddleOCR's ``CTCLoss``."""

    def forward(self, logits, labels, lengths):
        log_probs = F.log_softmax(logits, axis=-1).transpose([1, 0, 2])  # [T, B, C]
        steps = paddle.full([logits.shape[0]], logits.shape[1], dtype="int64")
        loss = F.ctc_loss(log_probs, labels, steps, lengths, blank=0, reduction="none")
        return loss.mean()
