"""The character set: labels to CTC indices and back."""

from __future__ import annotations

import argparse

import os

# PaddleOCR's character set when Global.character_dict_path is left empty.
DEFAULT_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyz"


class TrainError(Exception):
    """A problem with the run's inputs, reported as one line and a non-zero exit."""


class NonFiniteLoss(TrainError):
    """Training stopped at a loss that is NaN or infinite (exit status 1)."""


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one ``error: ...`` line (the usage is in --help)."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


class CharacterSet:
    """Index 0 is the CTC blank; characters are 1..n in dictionary order."""

    def __init__(self, characters: str | list[str], max_text_length: int):
        self.characters = list(characters)
        if not self.characters:
            raise TrainError("the character set is empty")
        dupes = sorted({c for c in self.characters if self.characters.count(c) > 1})
        if dupes:
            raise TrainError(f"the character set repeats {''.join(dupes)!r}")
        self.index = {c: i + 1 for i, c in enumerate(self.characters)}
        self.max_text_length = max_text_length

    @classmethod
    def from_config(cls, global_config: dict) -> "CharacterSet":
        path = global_config.get("character_dict_path")
        max_len = global_config["max_text_length"]
        if not path:
            chars = list(DEFAULT_CHARACTERS)
        else:
            if not os.path.isfile(path):
                raise TrainError(f"Global.character_dict_path: {path!r} does not exist")
            with open(path, encoding="utf-8") as f:
                chars = [line.rstrip("\r\n") for line in f if line.rstrip("\r\n")]
        if global_config.get("use_space_char") and " " not in chars:
            chars.append(" ")
        return cls(chars, max_len)

    @property
    def num_classes(self) -> int:
        """Characters plus the blank."""
        return len(self.characters) + 1

    def encode(self, text: str, where: str = "") -> list[int]:
        """CTC targets for ``text``; a clear error for unknown characters or overlong text."""
        if len(text) > self.max_text_length:
            raise TrainError(
                f"{where}label {text!r} has {len(text)} characters, more than "
                f"Global.max_text_length ({self.max_text_length})"
            )
        unknown = sorted({c for c in text if c not in self.index})
        if unknown:
            raise TrainError(
                f"{where}label {text!r} has characters not in the dictionary: "
                f"{''.join(unknown)!r} (Global.character_dict_path)"
            )
        if not text:
            raise TrainError(f"{where}empty label")
        return [self.index[c] for c in text]

    def text(self, indices, length: int) -> str:
        """A label back to text (no CTC merging)."""
        return "".join(self.characters[int(i) - 1] for i in indices[:length])

    def decode(self, indices) -> str:
        """Greedy CTC: merge repeats, drop blanks."""
        out, previous = [], 0
        for i in indices:
            i = int(i)
            if i != previous and i != 0:
                out.append(self.characters[i - 1])
            previous = i
        return "".join(out)
