"""The README and the documents beside it stay true: the commands, the tables of names."""

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


def test_every_name_has_its_formula_in_the_guide():
    guide = open(os.path.join(ROOT, "docs", "guide.md"), encoding="utf-8").read()
    table = guide.split("| name | learning rate | past the end of the run |", 1)[1]
    table = table.split("\n\n", 1)[0]
    first_cells = "".join(line.split(" | ")[0] for line in table.splitlines())
    named = set(re.findall(r"`(\w+)`", first_cells))
    for name in ppocr_lr.available_schedulers():
        cls = scheduler_class(name)
        if cls.__module__ in ("ppocr_lr.classic",):
            continue  # the classic family has one row pointing to the class docstrings
        assert name in named or name == "NoisyLinearCosine", name
    assert "classic family" in table


def test_the_readme_points_to_the_reference_and_the_guide():
    documents = ("reference", "guide", "speed", "testing", "range_test")
    for document in (f"docs/{name}.md" for name in documents):
        assert f"]({document})" in README and os.path.exists(os.path.join(ROOT, document))


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
