from . import make_border_map  # noqa: F401  (PaddleOCR imports its transforms with ppocr.data)
