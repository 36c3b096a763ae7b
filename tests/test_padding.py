"""Tests for convcourse._padding: the output-size formula and the padding helper."""

import numpy as np
import pytest

from convcourse._padding import output_length, pad_spatial, resolve_padding


@pytest.mark.parametrize("size, k, s, p, d, expected", [
    (5, 3, 1, 0, 1, 3),     # (5 - 3)/1 + 1
    (5, 3, 1, 1, 1, 5),     # 'same' for k=3
    (7, 3, 2, 0, 1, 3),     # (7 - 3)/2 + 1
    (8, 3, 2, 0, 1, 3),     # floor((8 - 3)/2) + 1
    (7, 3, 1, 0, 2, 3),     # dilated kernel spans 5: (7 - 5) + 1
    (15, 3, 1, 0, 1, 13),   # the 15x15 lecture example
    (56, 3, 1, 1, 1, 56),
])
def test_output_length_floor_formula(size, k, s, p, d, expected):
    assert output_length(size, k, s, p, p, d) == expected


def test_output_length_matches_brute_force_window_count():
    # count window start positions directly: a window fits when start + d(k-1) < size + 2p
    for size in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, 3):
                    for d in range(1, 3):
                        starts = [t for t in range(0, size + 2 * p, s) if t + d * (k - 1) < size + 2 * p]
                        # a negative result means "no window fits"; callers report it
                        assert max(output_length(size, k, s, p, p, d), 0) == len(starts)


@pytest.mark.parametrize("size, k, s, p, expected_floor, expected_ceil", [
    (5, 2, 2, 0, 2, 3),   # ceil mode adds a partial window at the end
    (4, 2, 2, 0, 2, 2),   # exact fit: both agree
    (6, 3, 2, 1, 3, 4),
    (5, 3, 3, 1, 2, 3),
    (4, 3, 2, 1, 2, 3),
    (3, 2, 2, 1, 2, 2),   # ceil would add a window starting in the right padding: torch drops it
])
def test_output_length_ceil_mode_follows_torch(size, k, s, p, expected_floor, expected_ceil):
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, size, size)
    for ceil_mode, expected in ((False, expected_floor), (True, expected_ceil)):
        got = output_length(size, k, s, p, p, 1, ceil_mode=ceil_mode)
        ref = torch.nn.functional.max_pool2d(x, k, s, p, ceil_mode=ceil_mode).shape[-1]
        assert got == ref


def test_resolve_padding_forms():
    assert resolve_padding(1, (3, 3), (1, 1), (1, 1)) == ((1, 1), (1, 1))
    assert resolve_padding((0, 2), (3, 5), (1, 1), (1, 1)) == ((0, 0), (2, 2))
    assert resolve_padding("valid", (3,), (2,), (1,)) == ((0, 0),)
    # torch splits an odd total with the extra pixel after
    assert resolve_padding("same", (4, 3), (1, 1), (1, 2)) == ((1, 2), (2, 2))


def test_resolve_padding_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions, got stride=2"):
        resolve_padding("same", (3,), (2,), (1,))
    with pytest.raises(ValueError, match=r"padding must be an int, a tuple of 2 ints, 'valid' or 'same'; got 'full'"):
        resolve_padding("full", (3, 3), (1, 1), (1, 1))
    with pytest.raises(ValueError, match=r"padding must be >= 0"):
        resolve_padding(-1, (3, 3), (1, 1), (1, 1))


def test_pad_spatial_pads_trailing_axes_only():
    x = np.arange(6.0).reshape(1, 2, 3)
    out = pad_spatial(x, ((1, 0), (0, 2)), value=-1)
    assert out.shape == (1, 3, 5)
    np.testing.assert_array_equal(out[0, 1:, :3], x[0])
    assert (out[0, 0] == -1).all() and (out[0, :, 3:] == -1).all()
    assert pad_spatial(x, ((0, 0), (0, 0))) is x


def test_output_length_ceil_mode_kernel_overshooting_by_less_than_stride():
    """Regression: ceil_mode made 0 windows where torch makes one (2x2 input, kernel 3, stride 2)."""
    assert output_length(2, 3, 2, 0, 0, 1, ceil_mode=True) == 1
    assert output_length(2, 3, 2, 0, 0, 1, ceil_mode=False) == 0
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, 2, 2)
    assert torch.nn.functional.max_pool2d(x, 3, 2, ceil_mode=True).shape[-1] == 1
