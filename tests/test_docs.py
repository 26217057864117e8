"""The README stays true: its commands, its table of names and keys."""

import os
import re

import ppocr_lr
from ppocr_lr.registry import scheduler_class

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("# 1.") and block[2].startswith("# 2. run the tests")
    assert "pip install" in block[1] and "pip install" in block[3] and "pytest" in block[3]
    ci = open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8").read()
    assert "# 2\\. run the tests" in ci


def test_every_name_and_key_is_in_the_readme_table():
    table = README.split("\n## YAML names\n", 1)[1].split("\n## ", 1)[0]
    for name in ppocr_lr.available_schedulers():
        cls = scheduler_class(name)
        if not cls.__module__.startswith("ppocr_lr."):
            continue
        row = re.search(rf"^\| `{name}`[^\n]*$", table, re.M)
        assert row, name
        for param in cls.params:
            for key in param.keys:
                assert f"`{key}`" in row.group(0) or (
                    name == "NoisyLinearCosine" and key in README
                ), (name, key)


def test_the_table_of_keys_paddleocr_ignores_is_the_code():
    table = README.split("| key PaddleOCR does not read", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    listed = {
        (name, key)
        for keys, names in rows
        for name in re.findall(r"`(\w+)`", names)
        for key in re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", keys))
    }
    in_code = {
        (name, key)
        for name in ppocr_lr.available_schedulers()
        for key in scheduler_class(name).paddleocr_drops
    }
    assert listed == in_code


def test_the_yaml_reference_is_current():
    """docs/reference.md is generated from the Param declarations: rerun
    python tools/make_reference.py when a key changes."""
    from ppocr_lr.preview.listing import reference_markdown

    with open(os.path.join(ROOT, "docs", "reference.md"), encoding="utf-8") as f:
        written = f.read()
    assert written == reference_markdown(), "run python tools/make_reference.py"
    for name in ppocr_lr.available_schedulers():
        assert f"\n## {name}\n" in written
