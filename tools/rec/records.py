"""``metrics.jsonl``: one JSON object per line, every step's ``lr`` and ``loss``, every
evaluation and a closing summary; a resumed run drops what it will redo."""

from __future__ import annotations

import json
import os


class MetricsFile:
    """One JSON object per line: every step's ``lr`` and ``loss``, every evaluation."""

    def __init__(self, path: str, resume_step: int):
        self.path = path
        if resume_step and os.path.exists(path):  # drop what the resumed steps will redo
            with open(path, encoding="utf-8") as f:
                kept = [line for line in f if json.loads(line).get("global_step", 0) <= resume_step]
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
