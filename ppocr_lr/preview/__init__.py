"""Look at a schedule before training with it: the Python side of ``ppocr-lr``::

    from ppocr_lr import preview
    p = preview.load("configs/rec/rec_synth_ctc.yml", steps_per_epoch=1200)
    print(preview.report(p))
    preview.plot([p], "schedule.png")
    problems = preview.check(preview.read_source("my_rec.yml").config, steps_per_epoch=1200)

A source is a whole PaddleOCR config (its ``Global.epoch_num`` and ``Optimizer.lr``), a
file holding only an ``lr`` block (``lr: {...}`` or the block itself), or an inline block.
A PaddleOCR config has no ``step_each_epoch`` (the trainer counts the loader's batches):
give ``steps_per_epoch``, or ``dataset_size`` with ``batch_size`` (and ``nproc``).

Where each part lives: reading a source and its ``-o`` overrides in
:mod:`~ppocr_lr.preview.sources`; the run length in :mod:`~ppocr_lr.preview.run_length`;
building a :class:`Preview` (the schedule, its notices, its curve) in
:mod:`~ppocr_lr.preview.resolve`; what the numbers say in
:mod:`~ppocr_lr.preview.findings`; the text of ``show`` in :mod:`~ppocr_lr.preview.report`
and of ``list`` in :mod:`~ppocr_lr.preview.listing`; figures in
:mod:`~ppocr_lr.preview.plotting`; ``check`` in :mod:`~ppocr_lr.preview.checking`.
"""

from .checking import NOMINAL_STEPS_PER_EPOCH, check, check_with_warnings
from .listing import list_schedules
from .plotting import plot
from .report import epoch_rows, report
from .resolve import Preview, build, load
from .run_length import run_length
from .sources import Source, read_source

__all__ = [
    "Source",
    "Preview",
    "read_source",
    "run_length",
    "build",
    "load",
    "report",
    "epoch_rows",
    "plot",
    "check",
    "check_with_warnings",
    "list_schedules",
    "NOMINAL_STEPS_PER_EPOCH",
]
