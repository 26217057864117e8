"""Greedy CTC decoding, word accuracy and normalised edit distance (PaddleOCR's RecMetric)."""

from __future__ import annotations

import numpy as np

from .text import CharacterSet


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def decode_batch(logits, charset: CharacterSet) -> list[str]:
    """Best class per column, repeats merged, blanks dropped."""
    best = np.asarray(logits).argmax(axis=-1)
    return [charset.decode(row) for row in best]


class RecMetric:
    """Accumulates ``acc`` (exact matches) and ``norm_edit_dis``
    (1 - mean edit distance / max(len(pred), len(label), 1))."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.correct = self.total = 0
        self.distance = 0.0

    def update(self, predictions: list[str], labels: list[str]) -> float:
        """Add a batch; returns the batch's accuracy."""
        correct = sum(p == t for p, t in zip(predictions, labels))
        self.correct += correct
        self.total += len(labels)
        self.distance += sum(
            edit_distance(p, t) / max(len(p), len(t), 1) for p, t in zip(predictions, labels)
        )
        return correct / max(len(labels), 1)

    def result(self) -> dict:
        n = max(self.total, 1)
        return {
            "acc": self.correct / n,
            "norm_edit_dis": 1 - self.distance / n,
            "samples": self.total,
        }
