"""The forward's algorithm choice: Winograd F(4x4, 3x3) where intended, the direct path elsewhere.

Both must agree with each other and with ``conv2d_naive``; Winograd's float32
error is larger than the direct path's, within the bound stated in
:func:`convcourse.conv.conv2d`'s Notes.
"""

import numpy as np
import pytest

import convcourse.conv as conv
from convcourse.conv import conv2d, conv2d_naive


@pytest.fixture
def few_tiles(monkeypatch):
    """Winograd from one tile on, so that small (fast) arrays take it; chunks of one image."""
    monkeypatch.setattr(conv, "_WINOGRAD_TILES", 1)
    monkeypatch.setattr(conv, "_WINOGRAD_CHUNK_TILES", 1)


def parsed(x, weight, **kw):
    """The validated arrays and spec, as conv2d sees them."""
    (x, weight, _, _), spec = conv._parse(x, weight, None, kw.get("stride", 1), kw.get("padding", 0),
                                          kw.get("dilation", 1), kw.get("groups", 1), 2)
    return x, weight, spec


def window_scale(x, weight, **kw):
    """The largest sum of |w| |x| over one window: the scale rounding errors are relative to."""
    x64, w64, spec = parsed(np.abs(x).astype(np.float64), np.abs(weight).astype(np.float64), **kw)
    return float(conv._direct_forward(x64, w64, None, spec).max())


@pytest.mark.parametrize(
    "x_shape, w_shape, kw, dtype, expected",
    [
        ((2, 16, 9, 11), (16, 16, 3, 3), dict(padding=1), np.float32, "winograd"),
        ((1, 32, 8, 8), (20, 32, 3, 3), dict(), np.float64, "winograd"),
        ((2, 16, 9, 11), (16, 16, 3, 3), dict(padding=(2, 0)), np.float32, "winograd"),
        ((2, 16, 9, 11), (16, 16, 3, 3), dict(padding="same"), np.float32, "winograd"),
        ((2, 3, 16, 16), (16, 3, 3, 3), dict(padding=1), np.float32, "direct"),   # a first layer
        ((2, 16, 9, 9), (8, 16, 3, 3), dict(padding=1), np.float32, "direct"),    # few filters
        ((2, 16, 9, 9), (16, 16, 3, 3), dict(stride=2), np.float32, "direct"),
        ((2, 16, 9, 9), (16, 16, 3, 3), dict(dilation=2), np.float32, "direct"),
        ((2, 16, 9, 9), (16, 8, 3, 3), dict(groups=2), np.float32, "direct"),
        ((2, 16, 9, 9), (16, 16, 5, 5), dict(), np.float32, "direct"),
        ((2, 16, 9, 9), (16, 16, 3, 1), dict(), np.float32, "direct"),
        ((2, 16, 5, 5), (16, 16, 3, 3), dict(), np.float32, "direct"),            # 3x3 output: < one tile
    ],
)
def test_dispatch_picks_winograd_where_intended(x_shape, w_shape, kw, dtype, expected, rng, few_tiles):
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal(w_shape).astype(dtype)
    assert conv._algorithm(*parsed(x, weight, **kw)) == expected


@pytest.mark.parametrize(
    "x_shape, w_shape, expected",
    [
        ((1, 16, 64, 64), (16, 16, 3, 3), "winograd"),  # 16 x 16 = 256 tiles
        ((2, 16, 20, 20), (16, 16, 3, 3), "direct"),    # 2 x 5 x 5 = 50 tiles
        ((8, 64, 7, 7), (64, 64, 3, 3), "direct"),      # 8 x 2 x 2 = 32 tiles
    ],
)
def test_dispatch_needs_enough_tiles(x_shape, w_shape, expected):
    x, weight = np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)
    assert conv._algorithm(*parsed(x, weight, padding=1)) == expected


def test_dispatch_keeps_non_finite_weights_direct(rng, few_tiles):
    weight = rng.standard_normal((16, 16, 3, 3))
    weight[3, 2, 1, 1] = np.inf
    assert conv._algorithm(*parsed(rng.standard_normal((1, 16, 8, 8)), weight)) == "direct"


@pytest.mark.parametrize("padding", [0, 1, (2, 0), (0, 3), "same"])
@pytest.mark.parametrize("size", [(6, 7), (9, 11), (13, 6)])  # outputs of 1 to 4 tiles per axis
def test_winograd_agrees_with_direct_and_naive_in_float64(padding, size, rng, few_tiles):
    x = rng.standard_normal((2, 16) + size)
    weight = rng.standard_normal((17, 16, 3, 3))
    bias = rng.standard_normal(17)
    xs, ws, spec = parsed(x, weight, padding=padding)
    assert conv._algorithm(xs, ws, spec) == "winograd"
    out = conv2d(x, weight, bias, padding=padding)
    direct = conv._direct_forward(xs, ws, bias, spec)
    scale = window_scale(x, weight, padding=padding)
    np.testing.assert_allclose(out, direct, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(out, conv2d_naive(x, weight, bias, padding=padding), rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("seed", range(6))
def test_float32_error_bounds_against_float64(seed, few_tiles):
    """The bounds in conv2d's Notes: |err| <= 1e-5 * S for Winograd, 1e-6 * S for the direct path,
    with S the largest sum of |w| |x| over a window; Winograd's error is the larger one."""
    rng = np.random.default_rng(seed)
    c, k = [(16, 16), (64, 32), (128, 64)][seed % 3]
    size = tuple(rng.integers(6, 30, 2))
    kinds = [rng.standard_normal, lambda s: rng.random(s),
             lambda s: rng.standard_normal(s) * 10.0 ** rng.integers(-3, 4, s)]
    x = kinds[seed % 3]((2, c) + size)
    weight = rng.standard_normal((k, c, 3, 3))
    x64, w64, spec64 = parsed(x, weight, padding=1)
    exact = conv._direct_forward(x64, w64, None, spec64)  # float64: 1e-16 relative, the reference
    scale = window_scale(x, weight, padding=1)
    x32, w32, spec = parsed(x.astype(np.float32), weight.astype(np.float32), padding=1)
    assert conv._algorithm(x32, w32, spec) == "winograd"
    winograd = np.abs(conv.conv2d(x32, w32, padding=1) - exact).max() / scale
    direct = np.abs(conv._direct_forward(x32, w32, None, spec) - exact).max() / scale
    assert winograd <= 1e-5
    assert direct <= 1e-6
    assert winograd > direct


def test_non_finite_input_gives_the_direct_paths_nans(rng, few_tiles):
    """A NaN or inf would spread over a whole Winograd tile: such chunks are redone directly."""
    x = rng.standard_normal((3, 16, 12, 12))
    x[1, 4, 5, 6] = np.nan
    x[2, 0, 0, 0] = np.inf
    weight = rng.standard_normal((16, 16, 3, 3))
    xs, ws, spec = parsed(x, weight, padding=1)
    assert conv._algorithm(xs, ws, spec) == "winograd"
    with np.errstate(all="raise"):  # and numpy stays silent
        out = conv2d(x, weight, padding=1)
    expected = conv2d_naive(x, weight, padding=1)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(out[finite], expected[finite], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[0], conv2d(x[:1], weight, padding=1)[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_winograd_chunks_and_threads_agree(n, rng, monkeypatch, few_tiles):
    x = rng.standard_normal((n, 16, 10, 10))
    weight = rng.standard_normal((16, 16, 3, 3))
    out = conv2d(x, weight, padding=1)
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "_PARALLEL_FLOPS", 0)  # the thread pool whenever BLAS has 2+ threads
    np.testing.assert_allclose(conv2d(x, weight, padding=1), out, rtol=1e-13, atol=1e-13)
    assert out.shape == (n, 16, 10, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_matches_torch_at_its_default_threshold(dtype, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, 16, 64, 64)).astype(dtype)
    weight = rng.standard_normal((24, 16, 3, 3)).astype(dtype)
    bias = rng.standard_normal(24).astype(dtype)
    assert conv._algorithm(*parsed(x, weight, padding=1)) == "winograd"
    expected = torch.nn.functional.conv2d(*map(torch.from_numpy, (x, weight, bias)), padding=1).numpy()
    out = conv2d(x, weight, bias, padding=1)
    assert out.dtype == dtype
    bound = (1e-5 if dtype == np.float32 else 1e-13) * window_scale(x, weight, padding=1)
    np.testing.assert_allclose(out, expected, rtol=0, atol=bound)


@pytest.mark.parametrize("padding", [0, 1, 2, (2, 0), "same"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_input_gradient_by_winograd_within_its_bound(padding, dtype, rng, few_tiles, monkeypatch):
    """grad_input is the forward of grad_output with the kernel flipped and the channels swapped:
    the backward takes Winograd for it (grad_weight stays direct), within Winograd's bound."""
    x = rng.standard_normal((2, 16, 11, 9)).astype(dtype)
    weight = rng.standard_normal((20, 16, 3, 3)).astype(dtype)
    grad = rng.standard_normal(conv2d(x, weight, padding=padding).shape).astype(dtype)
    used = []
    monkeypatch.setattr(conv, "_winograd_forward",
                        lambda *a, _f=conv._winograd_forward: used.append(a[1].shape) or _f(*a))
    gi, gw, gb = conv.conv2d_backward(grad, x, weight, padding=padding)
    assert used == [(16, 20, 3, 3)]  # one Winograd call, on the flipped, swapped kernel
    gi0, gw0, gb0 = conv.conv2d_backward_naive(grad.astype(np.float64), x.astype(np.float64),
                                                weight.astype(np.float64), padding=padding)
    # the scale of the input gradient's rounding: its formula on absolute values, sum |G| |w|
    scale = conv.conv2d_backward_naive(np.abs(grad.astype(np.float64)), x.astype(np.float64),
                                       np.abs(weight.astype(np.float64)), padding=padding)[0].max()
    bound = 1e-5 if dtype == np.float32 else 1e-13
    assert np.abs(gi - gi0).max() <= bound * scale
    np.testing.assert_allclose(gw, gw0, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4 * np.abs(gw0).max())


def test_backward_non_finite_grad_output_lands_where_the_formula_puts_it(rng, few_tiles):
    x = rng.standard_normal((3, 16, 12, 12))
    weight = rng.standard_normal((16, 16, 3, 3))
    grad = rng.standard_normal((3, 16, 12, 12))
    grad[1, 4, 5, 6] = np.nan
    grad[2, 0, 0, 0] = -np.inf
    with np.errstate(all="raise"):  # and numpy stays silent
        gi, gw, gb = conv.conv2d_backward(grad, x, weight, padding=1)
    gi0, gw0, gb0 = conv.conv2d_backward_naive(grad, x, weight, padding=1)
    for got, want in ((gi, gi0), (gw, gw0), (gb, gb0)):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reused_work_arrays_after_garbage_and_other_paddings(dtype, rng, monkeypatch, few_tiles):
    """Winograd's work arrays are the thread's and reused (convcourse._scratch): the padded buffer
    must get its border zeroed again, whatever the last call left there."""
    from convcourse._scratch import scratch

    monkeypatch.setattr(conv, "_PARALLEL_FLOPS", float("inf"))  # on this thread, whose slots we poison
    x = rng.standard_normal((2, 16, 10, 9)).astype(dtype)
    weight = rng.standard_normal((16, 16, 3, 3)).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-3) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for padding in [2, 0, (1, 0), "same", 1]:
        for slot in ("winograd.xp", "winograd.rows", "winograd.r", "winograd.v", "winograd.prod",
                     "winograd.y"):
            scratch(slot, (1 << 16,), dtype)[:] = 7.0  # finite: NaN would send the chunk to the direct path
        assert conv._algorithm(*parsed(x, weight, padding=padding)) == "winograd"
        np.testing.assert_allclose(conv2d(x, weight, padding=padding),
                                   conv2d_naive(x.astype(np.float64), weight.astype(np.float64),
                                                padding=padding), **tol, err_msg=str(padding))
