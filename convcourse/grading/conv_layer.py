"""Checks for assignment ``02-conv-layer``.

One check per exercise, called by the notebook's test cells with the student's
function, exactly as in :mod:`convcourse.grading.convolution`::

    check_conv2d_forward(conv2d_forward)                          # visible cell
    check_conv2d_forward(conv2d_forward, points=6, hidden=True)   # hidden cell

The visible form runs the public cases and raises ``AssertionError`` with the
report when one fails; the hidden form runs the fixed edge cases plus random
cases seeded for the submission, prints the report and returns the score, a
plain ``float`` in ``[0, points]``, one equal share per group of cases.

Every answer is compared with the reference and an independent oracle, which
must agree:

========================  ====================================  ===================================
exercise                  reference                             oracle
========================  ====================================  ===================================
``conv_layer_params``     ``convcourse.arithmetic.conv_params``  ``K * (kh*kw*C + bias)``
``conv2d_forward``        ``convcourse.conv.conv2d``            ``_oracle.correlate2d`` summed     
                                                                over channels, padded, subsampled
``conv1x1``               ``convcourse.separable.               ``np.einsum('kc,nchw->nkhw')``
                          pointwise_conv2d``
``conv_matrix``           ``convcourse.conv.conv2d`` on the     four loops placing the kernel
                          unit images (one column each)         in each row
``receptive_field``       ``convcourse.arithmetic.              the backward recursion
                          receptive_field``                     ``r = s*r + (k - s)``
========================  ====================================  ===================================

Array answers must have the expected shape and agree within ``1e-5 * (1 +
max|expected|) + 1e-4 * |expected|`` (float32 results pass); counts must be
ints equal to the expected one.
"""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv_params
from ..arithmetic import receptive_field as _reference_receptive_field
from ..conv import conv2d
from ..separable import pointwise_conv2d
from . import _oracle
from ._builders import arange as _arange, as_float as _as_float, normal as _normal, pair as _pair
from ._cases import Case, Exercise, make_check, make_reproduce
from ._mistakes import Mistake
from ._runner import Forbidden

__all__ = [
    "EXERCISES", "reproduce", "check_conv_layer_params", "check_conv2d_forward", "check_conv1x1",
    "check_conv_matrix", "check_receptive_field",
]

_LIBRARIES = ("scipy.signal", "scipy.ndimage", "torch", "tensorflow", "jax", "skimage", "cv2",
              "convcourse.filtering", "convcourse.conv", "convcourse.separable", "convcourse.nn",
              "convcourse.viz")
_CONV_FORBIDDEN = Forbidden(
    modules=_LIBRARIES,
    functions=(("numpy", "convolve"), ("numpy", "correlate"), ("numpy", "correlate2")),
)
_CONV_TEXT = ("write the sliding window yourself; scipy.signal, scipy.ndimage, np.convolve, "
              "np.correlate, torch and convcourse's own convolutions are not allowed")
_COUNT_FORBIDDEN = Forbidden(modules=("torch", "convcourse.arithmetic", "convcourse.nn",
                                      "convcourse.conv", "convcourse._padding"))
_COUNT_TEXT = ("count it yourself; convcourse.arithmetic, convcourse.nn and torch are "
               "not allowed")


# ---------------------------------------------------------- conv_layer_params

def _params_args(case: Case):
    c, k, size = case.args
    kh, kw = _pair(size)
    return c, k, kh, kw, case.kwargs.get("bias", True)


def _params_oracle(case: Case) -> int:
    c, k, kh, kw, bias = _params_args(case)
    return k * (kh * kw * c + (1 if bias else 0))


def _params_fixed() -> list:
    below = "every count and kernel size must be at least 1"
    return [
        Case("square", (3, 10, 3)),                      # the seed's 10 * (3*3*3 + 1) = 280
        Case("square", (1, 1, 1)),
        Case("square", (64, 128, 3)),
        Case("pair", (3, 8, (1, 5))),
        Case("pair", (16, 4, (5, 3))),
        Case("bias flag", (3, 10, 3), {"bias": False}),
        Case("bias flag", (8, 2, (3, 1)), {"bias": False}),
        Case("bias flag", (5, 7, 2), {"bias": True}),
        Case("errors", (0, 4, 3), error=ValueError, why=below),
        Case("errors", (3, 4, (3, 0)), error=ValueError, why=below),
        Case("errors", (3, 0, 3), error=ValueError, why=below),
    ]


def _params_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for _ in range(3):
        c, k = pick(2, 64), pick(2, 64)
        while k == c:
            k = pick(2, 64)
        cases.append(Case("square", (c, k, pick(2, 7))))
    for _ in range(3):
        kh, kw = pick(1, 7), pick(1, 7)
        while kh == kw:
            kw = pick(1, 7)
        cases.append(Case("pair", (pick(2, 32), pick(2, 32), (kh, kw))))
    for _ in range(2):
        cases.append(Case("bias flag", (pick(2, 32), pick(2, 32), pick(2, 5)), {"bias": False}))
    # drawn last, so that the cases above stay those of the seed: one count or size is 0
    below = "every count and kernel size must be at least 1"
    args = [pick(1, 32), pick(1, 32), (pick(1, 7), pick(1, 7))]
    where = pick(0, 3)
    if where < 2:
        args[where] = 0
    else:
        args[2] = tuple(0 if i == where - 2 else v for i, v in enumerate(args[2]))
    cases.append(Case("errors", tuple(args), error=ValueError, why=below))
    return cases


def _params_mistakes(case: Case) -> list:
    c, k, kh, kw, bias = _params_args(case)
    b = 1 if bias else 0
    return [
        Mistake("bias forgotten", "each of the K filters has one bias: K * (kh*kw*C + 1)",
                k * kh * kw * c),
        Mistake("bias counted with bias=False", "bias=False means no bias terms at all",
                k * (kh * kw * c + 1)),
        Mistake("input channels ignored", "each filter spans all C input channels: it has "
                "kh*kw*C weights, not kh*kw", k * (kh * kw + b)),
        Mistake("one bias for the whole layer", "every filter has its own bias: K of them",
                k * kh * kw * c + b),
        Mistake("in and out channels swapped", "the K filters each have kh*kw*C weights and "
                "one bias: K * (kh*kw*C + 1), not C * (kh*kw*K + 1) (which is also one bias "
                "per input channel)", c * (kh * kw * k + b)),
        Mistake("kernel_size used as one side only", "a kernel of size k is k x k (an int) "
                "or kh x kw (a pair)", k * (kh * c + b)),
        Mistake("kernel_size used as one side only", "a kernel of size k is k x k (an int) "
                "or kh x kw (a pair)", k * (kw * c + b)),
        Mistake("kernel area as kh + kw", "a kh x kw kernel has kh*kw weights per channel",
                k * ((kh + kw) * c + b)),
    ]


_PARAMS = Exercise(
    name="conv_layer_params", arg_names=("in_channels", "out_channels", "kernel_size"),
    groups={"square": 1, "pair": 1, "bias flag": 1, "errors": 1},
    forbidden=_COUNT_FORBIDDEN, forbidden_text=_COUNT_TEXT,
    fixed_cases=_params_fixed, random_cases=_params_random,
    reference=lambda c: int(conv_params(*c.args, bias=c.kwargs.get("bias", True))),
    oracle=_params_oracle, mistakes=_params_mistakes, integer_answer=True,
    default_points=4.0,
)


# ------------------------------------------------------------- conv2d_forward

def _forward_reference(x, weight, bias, stride=1, padding=0) -> np.ndarray:
    return _as_float(conv2d(_as_float(x), _as_float(weight), _as_float(bias),
                            stride=stride, padding=padding))


def _forward_oracle(x, weight, bias, stride=(1, 1), pads=((0, 0), (0, 0)), kernels=None,
                   channel_sum=True):
    """Per image and filter: sum over channels of the oracle's 'valid' correlation, + bias.

    Also builds the answers of the mistakes (``kernels`` transforms each 2-D kernel,
    ``channel_sum=False`` keeps channel 0 only).  None when the kernel does not fit.
    """
    x, weight, bias = _as_float(x), _as_float(weight), _as_float(bias)
    n, c, h, w = x.shape
    k = weight.shape[0]
    xp = np.zeros((n, c, h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]))
    xp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w] = x
    kh, kw = weight.shape[2:]
    if kh > xp.shape[2] or kw > xp.shape[3]:
        return None
    full = np.zeros((n, k, xp.shape[2] - kh + 1, xp.shape[3] - kw + 1))
    for i in range(n):
        for f in range(k):
            for ch in range(c if channel_sum else 1):
                kern = weight[f, ch] if kernels is None else kernels(weight[f, ch])
                full[i, f] += _oracle.correlate2d(xp[i, ch], kern, mode="valid")
            full[i, f] += bias[f]
    return full[:, :, ::stride[0], ::stride[1]]


def _forward_kwargs(case: Case):
    s = _pair(case.kwargs.get("stride", 1))
    p = _pair(case.kwargs.get("padding", 0))
    return s, ((p[0], p[0]), (p[1], p[1]))


def _forward_fixed() -> list:
    x1 = _arange((1, 1, 4, 4))
    w_asym = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    x2 = _arange((1, 2, 3, 4))
    w2 = np.stack([np.stack([np.eye(2), -np.ones((2, 2))]),
                   np.stack([np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.5, 0.0], [0.0, 2.0]])]),
                   np.stack([np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]])])])
    return [
        Case("basic", (x1, w_asym, np.array([0.5]))),
        Case("basic", (np.eye(3)[None, None], np.array([[[[0.0, 1.0], [2.0, 0.0]]]]),
                       np.array([-1.0]))),
        Case("channels", (x2, w2, np.array([1.0, -2.0, 0.0]))),
        Case("channels", (_arange((1, 3, 3, 3)), np.ones((2, 3, 3, 3)), np.array([0.0, 10.0]))),
        Case("batch", (np.stack([_arange((1, 4, 3)), -_arange((1, 4, 3))]), _arange((2, 1, 2, 2)),
                       np.array([1.0, 2.0]))),
        Case("stride", (_arange((1, 1, 5, 5)), _arange((1, 1, 3, 3)), np.array([0.0])),
             {"stride": 2}),
        Case("stride", (_arange((1, 2, 6, 7)), w2[:2], np.array([1.0, 1.0])), {"stride": (3, 2)}),
        Case("padding", (_arange((1, 1, 3, 3)), w_asym, np.array([0.0])), {"padding": 1}),
        Case("padding", (_arange((1, 2, 2, 3)), w2, np.array([0.5, 0.0, 1.0])),
             {"padding": (2, 1)}),
        Case("padding", (_arange((1, 1, 5, 4)), w_asym, np.array([2.0])),
             {"stride": 2, "padding": 1}),
        Case("errors", (_arange((1, 2, 4, 4)), np.ones((1, 3, 2, 2)), np.zeros(1)),
             error=ValueError, why="x has 2 channels, weight expects 3"),
        Case("errors", (_arange((2, 4, 4)), np.ones((1, 2, 2, 2)), np.zeros(1)),
             error=ValueError, why="x must be 4-D (N, C, H, W): an unbatched image"),
        Case("errors", (_arange((1, 1, 4, 4)), np.ones((2, 1, 2, 2)), np.zeros(3)),
             error=ValueError, why="bias must have shape (K,) = (2,)"),
        Case("errors", (_arange((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1)),
             error=ValueError, why="the kernel is larger than the padded input"),
    ]


def _forward_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731

    def case(group, n, c, k, kwargs, dtype=np.float64):
        kh, kw = pick(1, 3), pick(1, 3)
        h, w = pick(kh + 1, 7), pick(kw + 1, 7)
        return Case(group, (_normal(rng, (n, c, h, w), dtype), _normal(rng, (k, c, kh, kw), dtype),
                            _normal(rng, (k,), dtype)), kwargs)

    for _ in range(2):
        cases.append(case("basic", 1, 1, 1, {}))
    for _ in range(2):
        c, k = pick(2, 4), pick(2, 4)
        while k == c:
            k = pick(2, 4)
        cases.append(case("channels", 1, c, k, {}))
    for dtype in (np.float64, np.float32):
        cases.append(case("batch", pick(2, 4), pick(2, 3), pick(2, 3), {}, dtype))
    for _ in range(2):
        cases.append(case("stride", 1, pick(1, 3), pick(1, 3), {"stride": pick(2, 3)}))
    for _ in range(2):
        cases.append(case("padding", pick(1, 2), pick(1, 3), pick(1, 3), {"padding": pick(1, 2)}))
    return cases


def _unstrided_windows(stride_one, right):
    """The first H_out x W_out outputs of stride 1: the size of the strided output, with
    windows that move one step at a time."""
    if stride_one is None or right is None:
        return None
    return stride_one[:, :, :right.shape[2], :right.shape[3]]


def _forward_mistakes(case: Case) -> list:
    x, weight, bias = case.args
    s, pads = _forward_kwargs(case)
    bias = _as_float(bias)
    weight = _as_float(weight)
    c = np.shape(x)[1]
    k = weight.shape[0]
    g = lambda **kw: _forward_oracle(x, kw.pop("weight", weight), kw.pop("bias", bias), **{  # noqa: E731
        "stride": s, "pads": pads, **kw})
    right = g()
    out = [
        Mistake("bias ignored", "add bias[k] to every position of output channel k",
                g(bias=np.zeros_like(bias))),
        Mistake("bias added once per input channel", "the bias is added once, after the sum "
                "over channels", g(bias=bias * c)),
        Mistake("input channels not summed", "output channel k sums the correlations of ALL "
                "input channels with weight[k, c]; you used channel 0 only",
                g(channel_sum=False)),
        Mistake("kernel flipped", "a convolutional layer computes the cross-correlation: "
                "use weight[k, c] as it is", g(kernels=lambda a: a[::-1, ::-1])),
        Mistake("stride ignored", "output row i starts at input row i * stride", g(stride=(1, 1))),
        Mistake("windows not strided", "the output size is right, but output (i, j) reads the "
                "window that starts at (i, j): it starts at (i * stride, j * stride)",
                _unstrided_windows(g(stride=(1, 1)), right)),
        Mistake("padding ignored", "pad each image with zeros first",
                g(pads=((0, 0), (0, 0)))),
        Mistake("padding on one side only", "zeros go before AND after each axis",
                g(pads=((pads[0][0], 0), (pads[1][0], 0)))),
        Mistake("padding on one side only", "zeros go before AND after each axis",
                g(pads=((0, pads[0][1]), (0, pads[1][1])))),
        Mistake("stride pair swapped", "stride=(sH, sW): sH steps down the rows",
                g(stride=(s[1], s[0]))),
    ]
    if right is not None:
        channels_mean = g(bias=np.zeros_like(bias))
        if channels_mean is not None:
            out.append(Mistake("channels averaged", "sum over the input channels, do not "
                               "average", channels_mean / c + bias[None, :, None, None]))
        out.append(Mistake("output axes in the wrong order", "return (N, K, H_out, W_out): "
                           "batch first, then filters", np.swapaxes(right, 0, 1)))
        out.append(Mistake("only the first image of the batch", "loop over all N images",
                           right[:1]))
    if k == c and weight.shape[2] == weight.shape[3]:
        out.append(Mistake("weight axes swapped", "weight[k, c] is filter k's kernel for input "
                           "channel c: (K, C, kh, kw)", g(weight=np.swapaxes(weight, 0, 1))))
    return out


_FORWARD = Exercise(
    name="conv2d_forward", arg_names=("x", "weight", "bias"),
    groups={"basic": 1, "channels": 1, "batch": 1, "stride": 1, "padding": 1, "errors": 1},
    forbidden=_CONV_FORBIDDEN, forbidden_text=_CONV_TEXT,
    fixed_cases=_forward_fixed, random_cases=_forward_random,
    reference=lambda c: _forward_reference(*c.args, **c.kwargs),
    oracle=lambda c: _forward_oracle(*c.args, *_forward_kwargs(c)),
    mistakes=_forward_mistakes, default_points=6.0,
)


# -------------------------------------------------------------------- conv1x1

def _conv1x1_fixed() -> list:
    x = _arange((1, 2, 2, 3))
    return [
        Case("basic", (x, np.array([[1.0, 1.0], [1.0, -1.0]]))),
        Case("basic", (_arange((1, 3, 2, 2)), np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0],
                                                        [0.5, 0.5, 0.5]]))),
        Case("channels", (x, np.array([[1.0, -2.0]]))),                     # reduce 2 -> 1
        Case("channels", (_arange((1, 1, 3, 2)), np.array([[1.0], [-1.0], [0.5]]))),  # 1 -> 3
        Case("channels", (_arange((1, 4, 1, 5)), _arange((2, 4), start=-3))),
        Case("batch", (np.stack([_arange((3, 2, 2)), -_arange((3, 2, 2))]), _arange((2, 3)))),
        Case("errors", (x, np.ones((2, 3))), error=ValueError,
             why="x has 2 channels, weight expects 3"),
        Case("errors", (_arange((2, 3, 3)), np.ones((2, 2))), error=ValueError,
             why="x must be 4-D (N, C, H, W): an unbatched image"),
    ]


def _conv1x1_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for _ in range(2):
        c = pick(2, 5)
        cases.append(Case("basic", (_normal(rng, (1, c, pick(2, 6), pick(2, 6))),
                                    _normal(rng, (c, c)))))
    for _ in range(3):
        c, k = pick(1, 6), pick(1, 6)
        while k == c:
            k = pick(1, 6)
        cases.append(Case("channels", (_normal(rng, (1, c, pick(1, 6), pick(1, 6))),
                                       _normal(rng, (k, c)))))
    for dtype in (np.float64, np.float32):
        c, k = pick(2, 4), pick(2, 4)
        cases.append(Case("batch", (_normal(rng, (pick(2, 4), c, pick(2, 5), pick(2, 5)), dtype),
                                    _normal(rng, (k, c), dtype))))
    return cases


def _conv1x1_mistakes(case: Case) -> list:
    x, weight = _as_float(case.args[0]), _as_float(case.args[1])
    right = np.einsum("kc,nchw->nkhw", weight, x)
    k, c = weight.shape
    n, _, h, w = x.shape
    reshaped = "reshape keeps numpy's memory order, it does not move an axis"
    out = [
        Mistake("channels last", "return (N, K, H, W): the channel axis comes second",
                np.moveaxis(right, 1, -1)),
        Mistake("reshape instead of moving the channel axis", f"{reshaped}: x.reshape(-1, C) "
                "does not give one row of C channel values per pixel; move the axis first, "
                "np.moveaxis(x, 1, -1).reshape(-1, C), and move it back at the end (or use "
                "np.einsum('kc,nchw->nkhw', weight, x))",
                (x.reshape(-1, c) @ weight.T).reshape(n, k, h, w)),
        Mistake("reshape instead of moving the channel axis", f"{reshaped}: x.reshape(C, -1) "
                "mixes the images of the batch; take x[n].reshape(C, -1) image by image, or "
                "np.moveaxis(x, 1, 0).reshape(C, -1) and move the axes back at the end",
                (weight @ x.reshape(c, -1)).reshape(n, k, h, w)),
        Mistake("channels not mixed", "output channel k is sum_c weight[k, c] * x[:, c]: "
                "every output channel mixes all input channels",
                x * np.diag(weight)[None, :, None, None] if k == c else None),
        Mistake("summed over the pixels", "a 1x1 convolution keeps every pixel: "
                "y[n, k, i, j] = sum_c weight[k, c] * x[n, c, i, j]",
                right.sum(axis=(2, 3), keepdims=True)),
        Mistake("only the first image of the batch", "loop over all N images", right[:1]),
    ]
    if k == c:
        out.append(Mistake("weight transposed", "weight has shape (K, C): row k holds the "
                           "weights of output channel k", np.einsum("ck,nchw->nkhw", weight, x)))
    return out


_CONV1X1 = Exercise(
    name="conv1x1", arg_names=("x", "weight"),
    groups={"basic": 1, "channels": 1, "batch": 1, "errors": 1},
    forbidden=_CONV_FORBIDDEN, forbidden_text=_CONV_TEXT,
    fixed_cases=_conv1x1_fixed, random_cases=_conv1x1_random,
    reference=lambda c: _as_float(pointwise_conv2d(_as_float(c.args[0]), _as_float(c.args[1]))),
    oracle=lambda c: np.einsum("kc,nchw->nkhw", _as_float(c.args[1]), _as_float(c.args[0])),
    mistakes=_conv1x1_mistakes, default_points=4.0,
)


# ---------------------------------------------------------------- conv_matrix

def _matrix_reference(image_shape, kernel) -> np.ndarray:
    """Column q of M is the layer's answer to the unit image e_q (linearity)."""
    h, w = _pair(image_shape)
    units = np.eye(h * w).reshape(h * w, 1, h, w)
    out = conv2d(units, _as_float(kernel)[None, None])       # (H*W, 1, Ho, Wo)
    return out.reshape(h * w, -1).T.copy()


def _matrix_loops(image_shape, kernel, flip=False, order="C", row_length=None) -> np.ndarray | None:
    """The kernel written into each row; also builds the mistakes' answers (``row_length``:
    the pixels per image row used for the column numbers, W unless a mistake says otherwise)."""
    h, w = _pair(image_shape)
    kernel = _as_float(kernel)
    if flip:
        kernel = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    if oh < 1 or ow < 1:
        return None
    m = np.zeros((oh * ow, h * w))
    step = w if row_length is None else row_length
    for i in range(oh):
        for j in range(ow):
            row = i * ow + j if order == "C" else j * oh + i
            for a in range(kh):
                for b in range(kw):
                    col = (i + a) * step + (j + b) if order == "C" else (j + b) * h + (i + a)
                    m[row, col] = kernel[a, b]
    return m


def _matrix_fixed() -> list:
    too_big = "the kernel is larger than the image"
    return [
        Case("basic", ((3, 3), np.array([[1.0, 2.0], [3.0, 4.0]]))),
        Case("basic", ((4, 4), _arange((3, 3)))),
        Case("non-square", ((3, 5), np.array([[1.0, 0.0, -1.0]]))),
        Case("non-square", ((5, 3), np.array([[1.0], [2.0]]))),
        Case("non-square", ((4, 6), _arange((2, 3), start=-2))),
        Case("edge", ((2, 3), np.array([[5.0]]))),
        Case("edge", ((3, 3), _arange((3, 3), start=-4))),
        Case("edge", ((1, 6), np.array([[1.0, -2.0]]))),
        Case("errors", ((2, 5), np.ones((3, 3))), error=ValueError, why=too_big),
        Case("errors", ((4, 3), np.ones((1, 4))), error=ValueError, why=too_big),
    ]


def _matrix_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for _ in range(2):
        n, k = pick(3, 7), pick(2, 3)
        cases.append(Case("basic", ((n, n), _normal(rng, (k, k)))))
    for dtype in (np.float64, np.float32):
        h, w = (int(v) for v in rng.choice(np.arange(3, 8), size=2, replace=False))
        kh, kw = (int(v) for v in rng.choice([1, 2, 3], size=2, replace=False))
        cases.append(Case("non-square", ((h, w), _normal(rng, (kh, kw), dtype))))
    return cases


def _matrix_mistakes(case: Case) -> list:
    shape, kernel = case.args
    h, w = _pair(shape)
    kernel = _as_float(kernel)
    right = _matrix_loops(shape, kernel)
    out = [
        Mistake("kernel flipped", "row r must reproduce the cross-correlation: the kernel as "
                "it is, not flipped", _matrix_loops(shape, kernel, flip=True)),
        Mistake("matrix transposed", "M has one ROW per output position and one COLUMN per "
                "input pixel: shape (H_out*W_out, H*W)", right.T),
        Mistake("column-major ravel", "ravel row by row (numpy's default order 'C'): pixel "
                "(i, j) is number i*W + j", _matrix_loops(shape, kernel, order="F")),
        Mistake("image row length taken as W_out", "the columns number the INPUT pixels: pixel "
                "(i + a, j + b) is column (i + a) * W + (j + b), with the image's width W, not "
                "the output's W_out", _matrix_loops(shape, kernel, row_length=w - kernel.shape[1] + 1)),
    ]
    if kernel.shape[0] == kernel.shape[1]:
        out.append(Mistake("kernel transposed", "kernel[a, b] multiplies image[i + a, j + b]",
                           _matrix_loops(shape, kernel.T)))
    # every row a copy of the first one shifted by j only (row offset i*W forgotten)
    oh, ow = h - kernel.shape[0] + 1, w - kernel.shape[1] + 1
    rows = np.zeros_like(right)
    for i in range(oh):
        for j in range(ow):
            for a in range(kernel.shape[0]):
                for b in range(kernel.shape[1]):
                    rows[i * ow + j, a * w + j + b] = kernel[a, b]
    out.append(Mistake("output row ignored", "output position (i, j) starts at input pixel "
                       "(i, j), number i*W + j: the window moves down too", rows))
    return out


_MATRIX = Exercise(
    name="conv_matrix", arg_names=("image_shape", "kernel"),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_CONV_FORBIDDEN, forbidden_text=_CONV_TEXT,
    fixed_cases=_matrix_fixed, random_cases=_matrix_random,
    reference=lambda c: _matrix_reference(*c.args),
    oracle=lambda c: _matrix_loops(*c.args),
    mistakes=_matrix_mistakes, default_points=4.0,
)


# ------------------------------------------------------------ receptive_field

def _field_backward(layers) -> int:
    """From one output unit back to the input: r <- s*r + (k - s)."""
    r = 1
    for k, s in reversed([tuple(layer) for layer in layers]):
        r = s * r + (k - s)
    return r


def _field_fixed() -> list:
    below = "kernel sizes and strides must be at least 1"
    return [
        Case("no stride", ([(3, 1), (3, 1)],)),                 # 5
        Case("no stride", ([(3, 1), (3, 1), (3, 1)],)),         # 7
        Case("no stride", ([(5, 1), (1, 1), (7, 1)],)),         # 11
        Case("stride", ([(3, 1), (2, 2), (3, 1)],)),            # 8
        Case("stride", ([(3, 2), (3, 2)],)),                    # 7
        Case("stride", ([(7, 2), (3, 2), (3, 1), (3, 1)],)),    # 27
        Case("stride", ([(2, 2), (3, 1), (2, 2), (3, 1)],)),    # 16
        Case("edge", ([],)),                                    # 1
        Case("edge", ([(4, 1)],)),
        Case("edge", ([(1, 1), (1, 2), (1, 3)],)),              # 1x1 kernels see one pixel
        Case("edge", ([(3, 3)],)),
        Case("errors", ([(3, 1), (0, 1)],), error=ValueError, why=below),
        Case("errors", ([(3, 0)],), error=ValueError, why=below),
    ]


def _field_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for _ in range(3):
        cases.append(Case("no stride", ([(pick(1, 7), 1) for _ in range(pick(2, 5))],)))
    for _ in range(4):
        layers = [(pick(1, 5), pick(1, 3)) for _ in range(pick(3, 6))]
        layers[0] = (layers[0][0], 2)       # a stride on an early layer matters
        layers[-1] = (max(layers[-1][0], 2), layers[-1][1])
        cases.append(Case("stride", (layers,)))
    # drawn last, so that the cases above stay those of the seed
    cases.append(Case("edge", ([(pick(1, 7), pick(1, 3))],)))       # one layer sees k pixels
    cases.append(Case("edge", ([(1, pick(1, 3)) for _ in range(pick(2, 4))],)))  # 1x1 only
    layers = [(pick(1, 5), pick(1, 3)) for _ in range(pick(1, 4))]
    bad = pick(0, len(layers) - 1)
    layers[bad] = (0, layers[bad][1]) if rng.integers(2) else (layers[bad][0], 0)
    cases.append(Case("errors", (layers,), error=ValueError,
                      why="kernel sizes and strides must be at least 1"))
    return cases


def _field_mistakes(case: Case) -> list:
    layers = [tuple(layer) for layer in case.args[0]]

    def forward(layers, start=1, jump_first=False, own_stride=False):
        r, j = start, 1
        for k, s in layers:
            if jump_first:
                j *= s
            r += (k - 1) * (s if own_stride else j)
            if not jump_first:
                j *= s
        return r

    return [
        Mistake("strides ignored", "after a layer with stride s, neighbouring units are s "
                "input pixels apart: each later kernel reaches further",
                forward([(k, 1) for k, _ in layers])),
        Mistake("stride applied too early", "a layer's own stride does not widen its own "
                "kernel: multiply the jump by s after adding (k - 1) * jump",
                forward(layers, jump_first=True)),
        Mistake("only the layer's own stride", "the jump is the product of the strides of "
                "ALL earlier layers", forward(layers, own_stride=True)),
        Mistake("off by one", "a single pixel sees itself: start from 1", forward(layers, 0)),
        Mistake("kernel sizes added", "each layer adds (k - 1) * jump, not k",
                1 + sum(k for k, _ in layers)),
        Mistake("kernel sizes added", "each layer adds (k - 1) * jump, not k",
                sum(k for k, _ in layers)),
        Mistake("layers in reverse order", "layers[0] is the first layer, next to the input",
                forward(layers[::-1])),
    ]


_FIELD = Exercise(
    name="receptive_field", arg_names=("layers",),
    groups={"no stride": 1, "stride": 1, "edge": 1, "errors": 1},
    forbidden=_COUNT_FORBIDDEN, forbidden_text=_COUNT_TEXT,
    fixed_cases=_field_fixed, random_cases=_field_random,
    reference=lambda c: int(_reference_receptive_field(c.args[0])),
    oracle=lambda c: _field_backward(c.args[0]),
    mistakes=_field_mistakes, integer_answer=True, default_points=4.0,
)

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_PARAMS, _FORWARD, _CONV1X1, _MATRIX, _FIELD)}


# -------------------------------------------------------------------- checks

check_conv_layer_params = make_check(
    EXERCISES, "conv_layer_params",
    "the trainable weights of a layer, K * (kh*kw*C + 1) with a bias.", __name__)
check_conv2d_forward = make_check(
    EXERCISES, "conv2d_forward",
    "a convolutional layer's forward pass, (N, C, H, W) -> (N, K, H_out, W_out).", __name__)
check_conv1x1 = make_check(
    EXERCISES, "conv1x1",
    "a 1x1 convolution, y[n, k] = sum_c weight[k, c] * x[n, c].", __name__)
check_conv_matrix = make_check(
    EXERCISES, "conv_matrix",
    "the (H_out*W_out, H*W) matrix of a 'valid' cross-correlation.", __name__)
check_receptive_field = make_check(
    EXERCISES, "receptive_field",
    "the receptive field, in input pixels, of a stack of (k, s) layers.", __name__)

reproduce = make_reproduce(EXERCISES, __name__)
