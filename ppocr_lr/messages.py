"""Where ppocr_lr's notices go, so that they reach the user wherever they train, and
strict mode.

A *notice* is something about a configuration or a checkpoint that does not stop the
run but that the user has to see: an unknown key, a key PaddleOCR ignores, a warm-up
longer than the run, a checkpoint from a schedule of another shape.  Every notice names
the YAML path it is about, and is delivered so that it is seen once:

* as a :class:`~ppocr_lr.errors.ConfigWarning` through :func:`warnings.warn`.  Capture
  notices with ``pytest.warns(ConfigWarning)`` or ``warnings.catch_warnings(record=True)``
  (these set their own filters).  Whether the filters showed it is seen through the
  documented hook ``warnings.showwarning``, wrapped for that one call;
* as a log record at ``WARNING`` when PaddleOCR's ``ppocr`` logger is set up (its trainer
  sets it up before it builds the optimizer), or when the warnings filters hid a notice
  not shown before: PaddleOCR's trainer switches Python warnings off for its whole
  process (``warnings.simplefilter("ignore")``).  With PaddleOCR's logger the record goes
  to its child ``ppocr.ppocr_lr``, and so to PaddleOCR's console and ``train.log``;
  otherwise to the ``ppocr_lr`` logger (which propagates: pytest's ``caplog`` sees it).
  A repeat the filters hold back ("default": once per place) is not logged.

Only rank 0 of a ``paddle.distributed.launch`` job says anything.

Strict mode turns every notice into a :class:`~ppocr_lr.errors.ConfigValueError` naming
the path: ``strict=True`` in the API, ``strict: true`` in the ``Optimizer`` block (or in
the ``lr`` block given to ``build_lr_scheduler``), or ``PPOCR_LR_STRICT=1`` in the
environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Iterator

from .errors import ConfigValueError, ConfigWarning, describe

STRICT_ENV = "PPOCR_LR_STRICT"
PADDLEOCR_LOGGER = "ppocr"
OWN_LOGGER = "ppocr_lr"


@dataclass(frozen=True)
class Notice:
    """What a notice says: the YAML path, the problem, what ppocr_lr does about it (the
    ``outcome``, which strict mode replaces with an error) and what the user can do."""

    path: str
    problem: str
    hint: str = ""
    outcome: str = ""

    def __str__(self) -> str:
        problem = f"{self.problem}; {self.outcome}" if self.outcome else self.problem
        return describe(self.path, problem, self.hint)


_collectors: list[list[Notice]] = []


@contextlib.contextmanager
def collecting() -> Iterator[list[Notice]]:
    """Gather the notices raised inside the block into a list instead of emitting them
    (``ppocr-lr show`` lists them).  Strict mode still raises."""
    found: list[Notice] = []
    _collectors.append(found)
    try:
        yield found
    finally:  # by identity: two empty lists are equal
        del _collectors[next(i for i, c in enumerate(_collectors) if c is found)]


def strict_from_env() -> bool:
    """Whether ``PPOCR_LR_STRICT`` asks for strict mode (unset or empty: no)."""
    raw = os.environ.get(STRICT_ENV, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigValueError(
        STRICT_ENV,
        f"the environment variable is {raw!r}; expected 1, "
        "true or yes (strict) or 0, false, no or empty (not strict)",
    )


def notice(
    path: str, problem: str, hint: str = "", *, outcome: str = "", strict: bool = False
) -> None:
    """Tell the user about ``path``: ``path: problem; outcome. hint``.  In strict mode an
    error instead: ``path: problem. hint. This is an error because ...``."""
    said = Notice(path, problem, hint, outcome)
    if strict or strict_from_env():
        why = (
            f"This is an error because strict mode is on "
            f"({'strict: true' if strict else STRICT_ENV + '=1'})."
        )
        raise ConfigValueError(path, problem, f"{hint.rstrip('.')}. {why}" if hint else why)
    if _collectors:
        _collectors[-1].append(said)
        return
    if rank() != 0:
        return
    text = str(said)
    if _warn(text):
        _shown.add(text)
        if logging.getLogger(PADDLEOCR_LOGGER).handlers:  # PaddleOCR's log has it too
            _logger().warning(text)
    elif text not in _shown:  # hidden by the filters (PaddleOCR's trainer ignores all)
        _logger().warning(text)
    # else: a repeat the filters hold back ("default", "once"): seen already


def info(text: str) -> None:
    """An informational line for the training log (rank 0 only): PaddleOCR's log when
    it is set up, otherwise standard output."""
    if rank() != 0:
        return
    if logging.getLogger(PADDLEOCR_LOGGER).handlers:
        _logger().info(text)
    else:
        print(text, flush=True)


def rank() -> int:
    """This process's rank in a ``paddle.distributed.launch`` job (0 otherwise)."""
    try:
        return int(os.environ.get("PADDLE_TRAINER_ID", "0") or 0)
    except ValueError:
        return 0


def _logger() -> logging.Logger:
    if logging.getLogger(PADDLEOCR_LOGGER).handlers:
        return logging.getLogger(f"{PADDLEOCR_LOGGER}.{OWN_LOGGER}")
    return logging.getLogger(OWN_LOGGER)


# Where a warning points: the first line outside this package (Python 3.12 finds it);
# before 3.12, the line in ppocr_lr that raised the notice.
_WHERE = (
    {"skip_file_prefixes": (os.path.dirname(os.path.abspath(__file__)),)}
    if sys.version_info >= (3, 12)
    else {"stacklevel": 3}
)


#: Notices the warnings filters have shown in this process.
_shown: set[str] = set()


def _warn(text: str) -> bool:
    """Warn, and say whether the warnings filters let the warning through: it passes
    through ``warnings.showwarning`` (the documented hook, here wrapped for the one call)
    only when they show it."""
    shown = []
    forward = warnings.showwarning

    def show(*args, **kwargs):
        shown.append(True)
        forward(*args, **kwargs)

    warnings.showwarning = show
    try:
        warnings.warn(text, ConfigWarning, **_WHERE)
    finally:
        warnings.showwarning = forward
    return bool(shown)


__all__ = ["Notice", "notice", "info", "collecting", "strict_from_env", "rank", "STRICT_ENV"]
