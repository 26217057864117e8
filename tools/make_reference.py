"""Write docs/reference.md, every YAML name with its keys, from the Param declarations.

python tools/make_reference.py
"""

import os
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's, irrelevant here

from ppocr_lr.preview.listing import reference_markdown  # noqa: E402

if __name__ == "__main__":
    path = os.path.join(ROOT, "docs", "reference.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(reference_markdown())
    print(f"wrote {path}")
