"""Errors and warnings that point at the YAML key a user has to change.

Every problem with a configuration is reported as a :class:`ConfigValueError` (a
``ValueError``) or a :class:`ConfigTypeError` (a ``TypeError``) whose message names the
full YAML path (``Optimizer.lr.warmup_epoch``), the value found and what was expected.
Problems that do not stop a build (an unknown key, a PaddleOCR quirk reproduced on
purpose) are notices (:mod:`ppocr_lr.messages`), delivered as log records and as
:class:`ConfigWarning` warnings.
"""

from __future__ import annotations

import difflib
import reprlib
from typing import Any, Iterable

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 6, 4, 60, 60


class ConfigWarning(UserWarning):
    """A configuration was accepted, but something in it deserves a look (a notice of
    :mod:`ppocr_lr.messages`)."""


class _ConfigProblem(Exception):
    """Shared part of the two error classes: the key, the value, what was expected.

    ``path`` is the YAML location (``Optimizer.lr.gamma``).  A schedule built directly
    from Python reports paths relative to the schedule (``Cosine.eta_min``).
    """

    def __init__(self, path: str, problem: str, hint: str = ""):
        self.path = path
        self.problem = problem
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        return describe(self.path, self.problem, self.hint)


class ConfigValueError(_ConfigProblem, ValueError):
    """A value (or a missing or unknown key) that the schedule cannot use."""


class ConfigTypeError(_ConfigProblem, TypeError):
    """A value of the wrong type, e.g. a list where a number belongs."""


def shown(value: Any) -> str:
    """``repr(value)`` cut short: a message never prints a huge (or alias-bombed) value."""
    return _SHORT.repr(value)


def describe(path: str, problem: str, hint: str = "") -> str:
    """``path: problem. hint``, the shape of every error and notice."""
    text = f"{path}: {problem}" if path else problem
    return f"{text}. {hint}" if hint else text


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a misspelt ``word`` most likely meant, or None."""
    candidates = list(candidates)
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if match:
        return lowered[match[0]]
    # an abbreviation or a longer spelling: 'accuracy' for 'acc', 'lr' for 'lr_scheduler'
    related = [
        c
        for c in lowered
        if len(c) >= 3
        and len(word) >= 3
        and (word.lower().startswith(c) or c.startswith(word.lower()))
    ]
    return lowered[max(related, key=len)] if related else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    guess = closest(word, candidates)
    return f" (did you mean {guess!r}?)" if guess else ""
