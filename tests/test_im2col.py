"""``convcourse.im2col``: unfold (im2col) and fold (col2im).

Oracles: the naive loops, the convolution (a matrix product with the
unfolded input), the adjoint identity, and torch where it is installed.
"""

import numpy as np
import pytest

from convcourse.conv import conv2d
from convcourse.im2col import fold, fold_naive, unfold, unfold_naive


def random_case(seed):
    """Random sizes and every option, asymmetric per axis; the block grid is never empty."""
    rng = np.random.default_rng(seed)
    while True:
        kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(p) for p in rng.integers(0, 3, 2))
        stride = tuple(int(s) for s in rng.integers(1, 4, 2))
        size = tuple(int(n) for n in rng.integers(1, 8, 2))
        grid = [(n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, d, p, s in zip(size, kernel, dilation, padding, stride)]
        if min(grid) >= 1:
            break
    x = rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 4))) + size)
    kw = dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    return x, kw, grid


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_naive_matches_vectorised(seed):
    x, kw, grid = random_case(seed)
    cols = unfold(x, **kw)
    assert cols.shape == (x.shape[0], x.shape[1] * np.prod(kw["kernel_size"]), np.prod(grid))
    np.testing.assert_array_equal(cols, unfold_naive(x, **kw))
    y = np.random.default_rng(seed).standard_normal(cols.shape)
    np.testing.assert_allclose(fold(y, x.shape[2:], **kw), fold_naive(y, x.shape[2:], **kw),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
def test_fold_is_the_adjoint_of_unfold(seed):
    x, kw, _ = random_case(seed)
    cols = unfold(x, **kw)
    y = np.random.default_rng(seed).standard_normal(cols.shape)
    folded = fold(y, x.shape[2:], **kw)
    assert folded.shape == x.shape
    np.testing.assert_allclose(np.sum(folded * x), np.sum(y * cols), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_convolution_is_a_matrix_product_with_the_unfolded_input(seed):
    x, kw, grid = random_case(seed)
    weight = np.random.default_rng(seed).standard_normal((4, x.shape[1]) + kw["kernel_size"])
    out = (weight.reshape(4, -1) @ unfold(x, **kw)).reshape((x.shape[0], 4) + tuple(grid))
    conv_kw = {k: kw[k] for k in ("stride", "padding", "dilation")}
    np.testing.assert_allclose(out, conv2d(x, weight, **conv_kw), rtol=1e-12, atol=1e-12)


def test_fold_of_unfold_counts_the_blocks_covering_each_pixel():
    counts = fold(unfold(np.ones((1, 1, 4, 5)), 3, padding=1), (4, 5), 3, padding=1)[0, 0]
    np.testing.assert_array_equal(counts, [[4, 6, 6, 6, 4], [6, 9, 9, 9, 6], [6, 9, 9, 9, 6], [4, 6, 6, 6, 4]])


def test_row_order_is_channel_then_kernel_row_then_column():
    x = np.arange(2 * 2 * 3, dtype=float).reshape(1, 2, 2, 3)
    cols = unfold(x, (1, 2))  # 2 channels x 2 taps, 2 x 2 blocks
    np.testing.assert_array_equal(cols[0], [[0, 1, 3, 4], [1, 2, 4, 5], [6, 7, 9, 10], [7, 8, 10, 11]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_dtype(dtype):
    x = np.ones((1, 2, 4, 4), dtype)
    assert unfold(x, 2).dtype == dtype and fold(unfold(x, 2), 4, 2).dtype == dtype
    assert unfold(np.ones((1, 1, 3, 3), int), 2).dtype == np.float64


@pytest.mark.parametrize("fn", [unfold, unfold_naive])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x=np.zeros((2, 4, 4))), ValueError, r"x must be a batched 4-D .*got shape \(2, 4, 4\) \(unbatched"),
        (dict(kernel_size=0), ValueError, r"kernel_size must be >= 1 .*got 0"),
        (dict(stride=1.5), TypeError, r"stride must be an int .*got 1.5"),
        (dict(padding=-1), ValueError, r"padding must be >= 0 .*got -1"),
        (dict(kernel_size=(5, 1)), ValueError, r"kernel_size=\(5, 1\) .*larger than the padded input \(4, 4\)"),
        (dict(x=np.zeros((1, 1, 4, 4), complex)), TypeError, r"x must be a real-valued .*complex128"),
    ],
)
def test_unfold_rejects(fn, kwargs, error, match):
    call = dict(x=np.zeros((1, 2, 4, 4)), kernel_size=2) | kwargs
    with pytest.raises(error, match=match):
        fn(**call)


@pytest.mark.parametrize("fn", [fold, fold_naive])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x=np.zeros((8, 9))), ValueError, r"x must be a batched 3-D .*got shape \(8, 9\) \(unbatched"),
        (dict(x=np.zeros((1, 7, 9))), ValueError, r"x.shape\[1\] must be C \* kH \* kW, a multiple of 4 .*\(1, 7, 9\)"),
        (dict(x=np.zeros((1, 8, 10))), ValueError, r"x must have L = 3 \* 3 = 9 blocks .*got x shape \(1, 8, 10\)"),
        (dict(output_size=(4, 4, 4)), ValueError, r"output_size must be an int or a sequence of 2 ints, got \(4, 4, 4\)"),
        (dict(output_size=0), ValueError, r"output_size must be >= 1 .*got 0"),
        (dict(kernel_size=5), ValueError, r"kernel_size=\(5, 5\) .*larger than the padded output \(4, 4\)"),
    ],
)
def test_fold_rejects(fn, kwargs, error, match):
    call = dict(x=np.zeros((1, 8, 9)), output_size=4, kernel_size=2) | kwargs
    with pytest.raises(error, match=match):
        fn(**call)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", SEEDS)
def test_match_torch(seed, dtype):
    torch = pytest.importorskip("torch")
    x, kw, _ = random_case(seed)
    x = x.astype(dtype)
    cols = unfold(x, **kw)
    np.testing.assert_array_equal(cols, torch.nn.functional.unfold(torch.tensor(x), **kw).numpy())
    y = np.random.default_rng(seed).standard_normal(cols.shape).astype(dtype)
    expected = torch.nn.functional.fold(torch.tensor(y), x.shape[2:], **kw).numpy()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fold(y, x.shape[2:], **kw), expected, rtol=tol, atol=tol)
