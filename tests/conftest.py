"""Shared test settings.

Tests that need torch as an oracle call ``pytest.importorskip("torch")`` so they
skip cleanly where it is not installed.
"""

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=60, derandomize=True)
settings.load_profile("default")


@pytest.fixture
def rng():
    """A seeded generator, so every failure reproduces."""
    return np.random.default_rng(20241102)
