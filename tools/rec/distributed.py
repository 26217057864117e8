"""What several processes agree on beyond the gradients DataParallel averages."""

from __future__ import annotations

import paddle
import paddle.distributed as dist


def average_statistics(model, world: int) -> None:
    """Average the non-trained tensors (BatchNorm's running mean and variance) over the
    ranks: each rank has only seen its shard, and the checkpoint should speak for all."""
    with paddle.no_grad():
        for layer in model.sublayers():
            if isinstance(layer, paddle.nn.BatchNorm2D):
                for tensor in (layer._mean, layer._variance):
                    dist.all_reduce(tensor)
                    tensor.set_value(tensor / world)
