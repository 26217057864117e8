"""What PaddleOCR's module of this name does at import, and what matters here: it switches
Python warnings off for the whole process."""

import warnings

warnings.simplefilter("ignore")
