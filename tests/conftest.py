import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
warnings.filterwarnings("ignore", message="No ccache found")

from hypothesis import settings  # noqa: E402

# CI draws the same examples on every machine (derandomised); a run elsewhere explores new
# ones each time.  HYPOTHESIS_PROFILE=ci or =explore chooses; by default CI=true picks ci.
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True)
settings.register_profile("explore", max_examples=100, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore")
)


def assert_rel(actual, expected, rel=1e-9, what=""):
    """Every element within ``rel`` relative error (exact zeros must match exactly)."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = np.maximum(np.abs(actual), np.abs(expected))
    bad = np.abs(actual - expected) > rel * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: {bad.sum()} steps differ; first at step {i}: "
            f"{actual[i]!r} vs expected {expected[i]!r}"
        )


def assert_array_matches_steps(array, stepped, what=""):
    """``lr_array`` against ``step()``/``lr_at``: numpy's vectorised functions may differ
    from ``math``'s in the last bit, so a few ulp: 1e-14 relative, plus 1e-15 of the run's
    largest learning rate where a cosine cancels near zero."""
    array, stepped = np.asarray(array, float), np.asarray(stepped, float)
    assert array.shape == stepped.shape, (array.shape, stepped.shape)
    scale = np.max(np.abs(stepped)) if stepped.size else 0.0
    bad = np.abs(array - stepped) > 1e-14 * np.abs(stepped) + 1e-15 * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: {bad.sum()} steps differ; first at index {i}: "
            f"{array[i]!r} (array) vs {stepped[i]!r} (stepped)"
        )


# Hostile YAML: nesting deeper than any parser should follow, and an "alias bomb" (nine
# levels of nine aliases each: 9**9 values once expanded, from a few lines).
DEEP_YAML = "a: " + "[" * 3000 + "]" * 3000
ALIAS_BOMB_YAML = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.fixture
def quiet():
    """Silence ConfigWarnings a test provokes on purpose."""
    import ppocr_lr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ppocr_lr.ConfigWarning)
        yield
