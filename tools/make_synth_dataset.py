"""Write a synthetic text-line dataset to disk in PaddleOCR's SimpleDataSet format.

    python tools/make_synth_dataset.py --out data/synth_train --num 2000 --seed 1

writes ``<out>/images/000000.png ...`` and ``<out>/label.txt`` with ``images/000000.png<TAB>text``
lines; point ``Train.dataset`` at it with ``name: SimpleDataSet``, ``data_dir: <out>``,
``label_file_list: [<out>/label.txt]``.  The lines are exactly those ``SynthTextDataset``
renders for the same seed and settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's, irrelevant here

from PIL import Image  # noqa: E402

from tools.rec.data import SynthTextDataset  # noqa: E402
from tools.rec.text import DEFAULT_CHARACTERS, CharacterSet, TrainError  # noqa: E402


def write(
    out: str,
    num: int,
    seed: int,
    max_text_length: int,
    height: int,
    width: int,
    characters: str = DEFAULT_CHARACTERS,
) -> str:
    """Render and write the dataset; returns the label file's path."""
    charset = CharacterSet(characters, max_text_length)
    data = SynthTextDataset(
        {"num_samples": num, "seed": seed, "image_shape": [1, height, width]}, charset, "synth"
    )
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    label_file = os.path.join(out, "label.txt")
    with open(label_file, "w", encoding="utf-8") as f:
        for i, (pixels, text) in enumerate(zip(data.images, data.texts)):
            name = f"images/{i:06d}.png"
            Image.fromarray(pixels).save(os.path.join(out, name))
            f.write(f"{name}\t{text}\n")
    return label_file


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--num", type=int, default=1000, help="number of lines")
    parser.add_argument("--seed", type=int, default=0, help="rendering seed")
    parser.add_argument("--max-text-length", type=int, default=8, help="longest line")
    parser.add_argument("--height", type=int, default=32, help="image height")
    parser.add_argument("--width", type=int, default=128, help="image width")
    args = parser.parse_args(argv)
    try:
        label_file = write(
            args.out, args.num, args.seed, args.max_text_length, args.height, args.width
        )
    except (TrainError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.num} images and {label_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
