import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
warnings.filterwarnings("ignore", message="No ccache found")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True)
settings.load_profile("ci")


def assert_rel(actual, expected, rel=1e-9, what=""):
    """Every element within ``rel`` relative error (exact zeros must match exactly)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = np.maximum(np.abs(actual), np.abs(expected))
    bad = np.abs(actual - expected) > rel * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(f"{what}: {bad.sum()} steps differ; first at step {i}: "
                             f"{actual[i]!r} vs expected {expected[i]!r}")


@pytest.fixture
def quiet():
    """Silence ConfigWarnings a test provokes on purpose."""
    import ppocr_lr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
        yield
