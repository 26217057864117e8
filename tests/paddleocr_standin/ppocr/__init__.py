"""A small stand-in for PaddleOCR's ``ppocr`` package, in PaddleOCR's layout, for the tests
that run "PaddleOCR's own trainer": ``ppocr.data`` (whose import switches Python warnings
off, as PaddleOCR's transforms do), ``ppocr.utils.logging`` (the ``ppocr`` logger as
PaddleOCR sets it up), ``ppocr.utils.save_load`` and ``ppocr.optimizer`` (PaddleOCR's
schedules composed of Paddle's built-ins, written from the semantics spec).  It imports
nothing from ppocr_lr."""
