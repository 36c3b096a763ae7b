"""The checks' numpy oracle (convcourse/grading/_oracle.py) against scipy.signal itself."""

import itertools

import numpy as np
import pytest
import scipy.signal

from convcourse.grading import _oracle

SHAPES = list(itertools.product(range(1, 6), repeat=4))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("name", ["correlate2d", "convolve2d"])
def test_the_oracle_agrees_with_scipy_signal_on_every_small_shape(name, mode, rng):
    ours, theirs = getattr(_oracle, name), getattr(scipy.signal, name)
    compared = 0
    for ah, aw, kh, kw in SHAPES:
        a, k = rng.normal(size=(ah, aw)), rng.normal(size=(kh, kw))
        try:
            expected = theirs(a, k, mode)
        except ValueError:  # 'valid' with neither input the larger on both axes
            with pytest.raises(ValueError, match="at least as large"):
                ours(a, k, mode)
            continue
        got = ours(a, k, mode)
        assert got.shape == expected.shape, (ah, aw, kh, kw)
        np.testing.assert_allclose(got, expected, atol=1e-12, err_msg=f"{(ah, aw, kh, kw)}")
        compared += 1
    assert compared >= 400


def test_the_oracle_names_a_bad_mode_and_a_bad_shape():
    with pytest.raises(ValueError, match="mode must be one of"):
        _oracle.correlate2d(np.ones((3, 3)), np.ones((2, 2)), mode="circular")
    with pytest.raises(ValueError, match="mode must be one of"):
        _oracle.convolve2d(np.ones((3, 3)), np.ones((2, 2)), mode="circular")
    with pytest.raises(ValueError, match="must be 2-D"):
        _oracle.correlate2d(np.ones(3), np.ones((2, 2)))
    for mode in ("full", "same", "valid"):
        with pytest.raises(ValueError, match="must be 2-D"):
            _oracle.convolve2d(np.ones((3, 3)), np.ones(2), mode)


def test_the_grading_package_does_not_import_scipy_signal():
    """Every graded notebook imports convcourse.grading: scipy.signal costs 1 to 3 s there."""
    import subprocess
    import sys

    code = ("import sys, convcourse.grading; "
            "print(sorted(m for m in sys.modules if m.startswith('scipy.signal') "
            "or m == 'scipy.special'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
