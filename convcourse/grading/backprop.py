"""Checks for assignment ``04-backprop``.

One check per exercise, called by the notebook's test cells with the student's
function::

    check_conv1d_backward(conv1d_backward)                      # visible cell
    check_conv1d_backward(conv1d_backward, points=4, hidden=True)  # hidden cell

as in :mod:`convcourse.grading.convolution`: the visible form runs the public
cases and raises ``AssertionError`` with the report; the hidden form runs the
fixed cases and random cases seeded for the submission, prints the report and
returns a plain ``float`` score, one equal share per group of cases.

Two of the graded functions return a tuple of arrays (``(grad_x, grad_w)``,
``(grad_x, grad_weight, grad_bias)``), which the shared
:class:`~convcourse.grading._cases.Exercise` compares as one array.  Their
exercises' ``adapt`` hook therefore calls the student's function through an
adapter that checks the tuple and packs it into one flat array (the parts
raveled, in order; when a part has the wrong shape, the shapes are appended,
so the packed answer cannot pass), and their ``revise`` hook rewrites the
report of a failing case part by part ("grad_w: largest error 2", "grad_x:
expected shape (5,), received shape (3,)").  A printed seed replays with
``convcourse.grading.reproduce`` (or this module's :func:`reproduce`).

Answers are compared with the reference (``convcourse.conv.conv1d_backward``,
``conv2d_backward``, ``convcourse.gradcheck.numerical_gradient``) and with an
independent oracle (``np.convolve``/``np.correlate`` in 1-D, a loop over output
positions in 2-D, a loop of central differences); every part must have the
expected shape and agree within ``1e-5 * (1 + max|expected|) + 1e-4 * |expected|``
(float32 results pass).
"""

from __future__ import annotations

import copy
import re

import numpy as np

from ..conv import conv1d_backward as _ref_conv1d_backward
from ..conv import conv2d_backward as _ref_conv2d_backward
from ..gradcheck import numerical_gradient as _ref_numerical_gradient
from ._builders import arange as _arange, as_float as _as_float, normal as _normal, pair as _pair
from ._cases import Case, Exercise, make_check, make_reproduce
from ._mistakes import Mistake, arrays_close, as_answer_array, format_array, max_error
from ._runner import Forbidden

__all__ = [
    "EXERCISES", "ScalarFunction", "BadReturnValue",
    "check_conv1d_backward", "check_numerical_gradient", "check_conv2d_backward", "reproduce",
]

_LIBRARIES = ("scipy.signal", "scipy.ndimage", "scipy.optimize", "scipy.differentiate",
              "torch", "tensorflow", "jax", "autograd", "convcourse.conv",
              "convcourse.filtering", "convcourse.separable", "convcourse.nn",
              "convcourse.gradcheck", "convcourse.pooling")
_BACKWARD_FORBIDDEN = Forbidden(
    modules=_LIBRARIES,
    functions=(("numpy", "convolve"), ("numpy", "correlate"), ("numpy", "correlate2")),
)
_BACKWARD_TEXT = ("write the sums yourself (loops over positions, numpy on slices); "
                  "np.convolve, np.correlate, scipy.signal, scipy.ndimage, torch and "
                  "convcourse's convolutions and their backward functions are not allowed")
_NUMERICAL_FORBIDDEN = Forbidden(modules=_LIBRARIES)
_NUMERICAL_TEXT = ("perturb one entry at a time yourself; convcourse.gradcheck, "
                   "scipy.optimize (approx_fprime, check_grad), torch and jax are not allowed")


class BadReturnValue(Exception):
    """A graded function returned something other than the tuple its contract asks for."""


# ------------------------------------------------------------------ helpers


def _pack(parts, expected_shapes) -> np.ndarray:
    """Parts raveled into one array; wrong shapes append the shapes (so it cannot pass)."""
    arrays = [_as_float(p) for p in parts]
    flat = [a.ravel() for a in arrays]
    if tuple(a.shape for a in arrays) != tuple(tuple(s) for s in expected_shapes):
        flat += [np.array([a.ndim, *a.shape], dtype=float) for a in arrays]
        flat.append(np.array([-1.0]))
    return np.concatenate(flat)


def _corr1d(x, k) -> np.ndarray:
    """'valid' 1-D cross-correlation by a loop over positions (oracle and mistakes)."""
    x, k = _as_float(x), _as_float(k)
    if k.size > x.size:
        return None
    return np.array([np.dot(x[i:i + k.size], k) for i in range(x.size - k.size + 1)])


# ------------------------------------------------------------------ adapter

class _Adapter:
    """The student's tuple-returning function as the one-array function `run_exercise` calls.

    Records every call (the arguments before the call and the returned parts),
    so the report of a failing case can be written part by part.
    """

    def __init__(self, spec, func):
        self.spec, self.func, self.calls = spec, func, []

    def __call__(self, *args, **kwargs):
        record = {"args": copy.deepcopy(args), "kwargs": copy.deepcopy(kwargs), "parts": None,
                  "changed": None}
        self.calls.append(record)
        value = self.func(*args, **kwargs)
        if self.spec.numerical:
            x_before, x_after = record["args"][1], args[1]
            if isinstance(x_after, np.ndarray) and x_after.shape == x_before.shape:
                with np.errstate(all="ignore"):
                    record["changed"] = float(np.max(np.abs(x_after - x_before), initial=0.0))
            return value
        names = self.spec.part_names
        if value is None:
            return None  # the shared check says "did you forget `return`?"
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            raise BadReturnValue(
                f"{self.spec.name} must return a tuple of {len(names)} arrays "
                f"({', '.join(names)}); yours returned {_describe_return(value)}")
        arrays = []
        for name, part in zip(names, value):
            arr, why = as_answer_array(part)
            if arr is None:
                raise BadReturnValue(f"{name}, part of the tuple returned, is not an array of "
                                     f"numbers: {why.replace('your function returned ', '')}")
            arrays.append(arr)
        record["parts"] = arrays
        return _pack(arrays, self.spec.shapes(*args, **kwargs))


def _describe_return(value) -> str:
    if isinstance(value, np.ndarray):
        return f"one array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a is b or a == b


_VALUE_LINES = ("expected shape", "shape (", "expected: ", "received: ", "the output is",
                "your output contains")


def _explain(spec, outcome, adapter: _Adapter) -> None:
    """Rewrite the messages of failing cases part by part (the exercises' ``revise``)."""
    for result in outcome.results:
        if result.passed or not result.message:
            continue
        case = result.case
        record = next((r for r in adapter.calls
                       if _same(r["args"], case.args) and _same(r["kwargs"], case.kwargs)), None)
        header, *rest = result.message.split("\n")
        items = []
        for line in rest:  # items start after 4 spaces; continuation lines have more
            if line.startswith("     ") and items:
                items[-1] += "\n" + line[4:]
            else:
                items.append(line[4:])
        new = []
        for item in items:
            item = item.replace("your function raised BadReturnValue: ", "")
            item = re.sub(r"returned a value of shape \([0-9, ]*\)", "returned a result", item)
            if item.startswith(_VALUE_LINES) and record is not None and record["parts"] is not None:
                if not _has_parts(new):  # the packed array's lines, said part by part
                    new += _part_lines(spec, case, record["parts"])
                continue
            changed = record["changed"] if record is not None else None
            if spec.numerical and "modified its input x" in item and changed:
                item += f"; x changed by up to {changed:.2g}: " + (
                    "rounding, since x[i] + eps - eps is not always exactly x[i]: save the old "
                    "value and assign it back" if changed < 1e-9 else
                    "put each entry back after perturbing it (save the old value first)")
            new.append(item)
        result.message = header + "\n    " + "\n    ".join(
            part.replace("\n", "\n    ") for part in new)


_PART_PREFIX = "part "


def _has_parts(lines) -> bool:
    return any(line.startswith(_PART_PREFIX) for line in lines)


def _part_lines(spec, case: Case, parts) -> list:
    expected = spec.reference_parts(case)
    lines = []
    for name, got, want, what in zip(spec.part_names, parts, expected, spec.shape_words):
        if got.shape != want.shape:
            lines.append(f"{_PART_PREFIX}{name}: expected shape {want.shape} ({what}), "
                         f"received shape {got.shape}")
        elif arrays_close(got, want):
            lines.append(f"{_PART_PREFIX}{name}: right")
        else:
            line = f"{_PART_PREFIX}{name}: shape {got.shape} is right; largest error " \
                   f"{max_error(got, want):.3g}"
            if got.size <= 12:
                line += f"\n  expected: {format_array(want)}\n  received: {format_array(got)}"
            lines.append(line)
    return lines


class _Spec:
    """How to adapt one exercise: names of the returned parts and their shapes."""

    def __init__(self, name, part_names=(), shapes=None, reference_parts=None,
                 shape_words=(), numerical=False):
        self.name, self.part_names, self.shapes = name, tuple(part_names), shapes
        self.reference_parts, self.shape_words = reference_parts, tuple(shape_words)
        self.numerical = numerical


# ------------------------------------------------------------ conv1d_backward

def _conv1d_parts(case: Case) -> tuple:
    """convcourse.conv.conv1d_backward on a batch of one single-channel signal."""
    g, x, w = (_as_float(a) for a in case.args)
    gx, gw, _ = _ref_conv1d_backward(g[None, None], x[None, None], w[None, None])
    return gx[0, 0], gw[0, 0]


def _conv1d_oracle_parts(case: Case) -> tuple:
    """numpy alone: grad_x = convolve(g, w, 'full'), grad_w = correlate(x, g, 'valid')."""
    g, x, w = (_as_float(a) for a in case.args)
    return np.convolve(g, w, "full"), np.correlate(x, g, "valid")


def _conv1d_shapes(grad_output, x, w):
    return (np.shape(x), np.shape(w))


def _conv1d_fixed() -> list:
    x5, w3 = _arange(5), np.array([1.0, 2.0, -1.0])
    too_long = "w is longer than x"
    wrong_g = "grad_output must have length len(x) - len(w) + 1"
    return [
        Case("basic", (np.array([1.0, 0.0, 0.0]), x5, w3)),
        Case("basic", (np.array([1.0, -1.0, 2.0]), x5, w3)),
        Case("basic", (np.array([0.5, 2.0, -1.0, 3.0]), np.array([2.0, -1.0, 0.0, 3.0, 1.0, 4.0]),
                       np.array([3.0, 1.0, -2.0]))),
        Case("edge", (np.array([2.0, -1.0, 0.5, 1.0]), np.array([1.0, 3.0, -2.0, 4.0]),
                      np.array([3.0]))),
        Case("edge", (np.array([2.0]), x5, np.array([1.0, -1.0, 2.0, 0.0, 3.0]))),
        Case("edge", (np.array([1, -2, 3]), np.array([4, 0, -1, 2]), np.array([1, 2]))),
        Case("float32", (np.array([1.0, -2.0, 0.5], np.float32), x5.astype(np.float32),
                         w3.astype(np.float32))),
        Case("errors", (np.array([1.0]), np.ones(3), np.ones(4)), error=ValueError, why=too_long),
        Case("errors", (np.ones(4), x5, w3), error=ValueError, why=wrong_g),
        Case("errors", (np.ones(2), x5, w3), error=ValueError, why=wrong_g),
    ]


def _conv1d_random(rng) -> list:
    cases = []
    for group, dtype in (("basic", np.float64), ("basic", np.float64), ("basic", np.float64),
                         ("edge", np.float64), ("float32", np.float32), ("float32", np.float32)):
        n = int(rng.integers(5, 11))
        k = int(rng.integers(2, 5)) if group != "edge" else int(rng.choice([1, n]))
        cases.append(Case(group, (_normal(rng, n - k + 1, dtype), _normal(rng, n, dtype),
                                  _normal(rng, k, dtype))))
    return cases


def _conv1d_mistakes(case: Case) -> list:
    g, x, w = (_as_float(a) for a in case.args)
    gx, gw = _conv1d_parts(case)
    shapes = (x.shape, w.shape)
    pack = lambda a, b: _pack((a, b), shapes)  # noqa: E731
    zeros = np.zeros(w.size - 1)
    padded = np.concatenate([zeros, g, zeros])
    out = [
        Mistake("grad_w flipped", "grad_w[k] = sum_i grad_output[i] * x[i + k]: the "
                "cross-correlation of x with grad_output, not the convolution (nothing is "
                "reversed)", pack(gx, gw[::-1])),
        Mistake("grad_w flipped", "grad_w[k] = sum_i grad_output[i] * x[i + k]: a "
                "cross-correlation; np.convolve-style indexing x[k + m - 1 - i] reverses it",
                pack(gx, _as_float(np.convolve(x, g, "valid")))),
        Mistake("grad_x kernel not flipped", "grad_x is the FULL CONVOLUTION of grad_output "
                "with w: grad_x[j] = sum_k grad_output[j - k] * w[k]; you used w[::-1] "
                "(a correlation)", pack(_corr1d(padded, w), gw)),
        Mistake("grad_w and grad_x swapped", "return (grad_x, grad_w) in this order: grad_x "
                "has the shape of x, grad_w the shape of w", _pack((gw, gx), shapes)),
    ]
    if g.size >= w.size:
        out += [
            Mistake("grad_x 'valid' instead of 'full'", "grad_x must have the shape of x: "
                    "every x[j] gets a gradient; pad grad_output with len(w) - 1 zeros on each "
                    "side (the 'full' convolution)", pack(_corr1d(g, w[::-1]), gw)),
            Mistake("grad_x 'valid' instead of 'full'", "grad_x must have the shape of x: "
                    "pad grad_output with len(w) - 1 zeros on each side and flip w",
                    pack(_corr1d(g, w), gw)),
        ]
    return out


# -------------------------------------------------------- numerical_gradient

class ScalarFunction:
    """A scalar function of an array for the cases, with a readable ``repr``.

    Parameters
    ----------
    text : str
        What the reports print, e.g. ``'sum(x**3)'``.
    fn : callable
        ``fn(x)`` for an ndarray ``x``; its result is returned as a float.

    Examples
    --------
    >>> f = ScalarFunction("sum(x**2)", lambda x: np.sum(x ** 2))
    >>> f(np.array([1.0, 2.0])), f
    (5.0, sum(x**2))
    """

    def __init__(self, text: str, fn):
        self.text, self.fn = text, fn

    def __call__(self, x):
        return float(self.fn(np.asarray(x)))

    def __repr__(self) -> str:
        return self.text

    def __deepcopy__(self, memo):
        return self  # the function is not an input a student could modify


def _functions(rng, shape) -> list:
    c = np.round(rng.normal(size=shape), 2)
    return [
        ScalarFunction("sum(x**2)", lambda x: np.sum(x ** 2)),
        ScalarFunction("sum(x**3)", lambda x: np.sum(x ** 3)),
        ScalarFunction("sum(sin(x) * x)", lambda x: np.sum(np.sin(x) * x)),
        ScalarFunction("log(sum(exp(x)))", lambda x: np.log(np.sum(np.exp(x)))),
        ScalarFunction("sum(c * tanh(x)) with a fixed array c", lambda x: np.sum(c * np.tanh(x))),
        ScalarFunction("sum(x)**2", lambda x: np.sum(x) ** 2),
    ]


def _conv_loss(g, signal) -> ScalarFunction:
    """L(w) = sum(g * (signal correlated with w)): the loss of a conv layer, as a function of w."""
    def loss(w):
        windows = np.lib.stride_tricks.sliding_window_view(signal, w.shape[-1])
        return np.sum(g * (windows @ w))
    return ScalarFunction("L(w) = sum(g * correlate(s, w)), a conv layer's loss as a "
                          "function of its weights w", loss)


_CUBE = ScalarFunction("sum(x**3)", lambda x: np.sum(x ** 3))
_EXP = ScalarFunction("sum(exp(x))", lambda x: np.sum(np.exp(x)))
_SQUARE = ScalarFunction("sum(x**2)", lambda x: np.sum(x ** 2))


def _numerical_kwargs(case: Case) -> dict:
    return {"eps": case.kwargs.get("eps", 1e-6)}


def _central(f, x, eps) -> np.ndarray:
    """The oracle: central differences, one entry at a time, on a copy."""
    x = _as_float(x).copy()
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f(x)
        x[index] = old - eps
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _one_sided(f, x, eps, sign) -> np.ndarray:
    x = _as_float(x).copy()
    grad = np.zeros(x.shape)
    f0 = f(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + sign * eps
        grad[index] = sign * (f(x) - f0) / eps
        x[index] = old
    return grad


def _numerical_fixed() -> list:
    signal = np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    positive = "eps must be > 0"
    return [
        Case("basic", (_SQUARE, np.array([1.0, -2.0, 3.0]))),
        Case("basic", (_conv_loss(np.array([1.0, -1.0, 2.0]), signal), np.array([0.5, 2.0, -1.0]))),
        Case("any shape", (_CUBE, np.array([[1.0, -0.5, 2.0], [0.25, -1.5, 0.75]]))),
        Case("any shape", (_SQUARE, np.array(1.5))),
        Case("eps", (_CUBE, np.array([1.0, 2.0, -1.0])), {"eps": 0.1}),
        Case("eps", (_EXP, np.array([[0.0, 0.5], [-1.0, 1.0]])), {"eps": 0.05}),
        Case("errors", (_SQUARE, np.array([1.0, 2.0])), {"eps": 0.0}, error=ValueError,
             why=positive),
        Case("errors", (_SQUARE, np.array([1.0, 2.0])), {"eps": -1e-3}, error=ValueError,
             why=positive),
    ]


def _numerical_random(rng) -> list:
    cases = []
    for _ in range(3):
        shape = (int(rng.integers(3, 8)),)
        f = _functions(rng, shape)[int(rng.integers(0, 6))]
        cases.append(Case("basic", (f, _normal(rng, shape))))
    for shape in ((int(rng.integers(2, 5)), int(rng.integers(2, 5))), (2, 2, 3)):
        f = _functions(rng, shape)[int(rng.integers(1, 6))]
        cases.append(Case("any shape", (f, _normal(rng, shape))))
    for _ in range(2):
        shape = (int(rng.integers(3, 7)),)
        f = (_CUBE, _EXP)[int(rng.integers(0, 2))]
        x = np.round(rng.uniform(-1.5, 1.5, size=shape), 3)
        cases.append(Case("eps", (f, x), {"eps": float(rng.choice([0.05, 0.1, 0.2]))}))
    return cases


def _numerical_mistakes(case: Case) -> list:
    f, x = case.args
    eps = _numerical_kwargs(case)["eps"]
    x = _as_float(x)
    if eps <= 0:
        return []
    ones = np.ones(x.shape)
    return [
        Mistake("forward differences instead of central", "(f(x + eps) - f(x)) / eps has an "
                "error of order eps; central differences (f(x + eps) - f(x - eps)) / (2 eps) "
                "of order eps**2", _one_sided(f, x, eps, +1)),
        Mistake("backward differences instead of central", "(f(x) - f(x - eps)) / eps has an "
                "error of order eps; use (f(x + eps) - f(x - eps)) / (2 eps)",
                _one_sided(f, x, eps, -1)),
        Mistake("divided by eps instead of 2*eps", "the two points x + eps and x - eps are "
                "2*eps apart", 2 * _central(f, x, eps)),
        Mistake("eps ignored", "use the eps argument for the step, not a fixed 1e-6",
                _central(f, x, 1e-6) if eps != 1e-6 else None),
        Mistake("every entry perturbed at once", "perturb ONE entry x[i] at a time: "
                "adding eps to the whole array gives the slope along (1, 1, ..., 1)",
                ones * (f(x + eps) - f(x - eps)) / (2 * eps)),
    ]


# ------------------------------------------------------------ conv2d_backward

def _conv2d_args(case: Case):
    g, x, w = (_as_float(a) for a in case.args)
    return g, x, w, _pair(case.kwargs.get("stride", 1)), _pair(case.kwargs.get("padding", 0))


def _conv2d_parts(case: Case) -> tuple:
    g, x, w = (_as_float(a) for a in case.args)
    return _ref_conv2d_backward(g, x, w, stride=case.kwargs.get("stride", 1),
                                padding=case.kwargs.get("padding", 0))


def _scatter(g, x, w, stride, padding, *, use_stride=True, flip=False):
    """The backward as a loop over output positions: (padded grad_x, grad_weight, grad_bias).

    Each output value was ``sum(window * weight[k])``, so its gradient flows
    back as ``g * weight[k]`` into its window and ``g * window`` into ``weight[k]``.
    """
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp, gw = np.zeros(xp.shape), np.zeros(w.shape)
    kh, kw = w.shape[2:]
    wx = w[:, :, ::-1, ::-1] if flip else w
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            r, c = (i * sh, j * sw) if use_stride else (i, j)
            gij = g[:, :, i, j]
            gw += np.einsum("nk,nchw->kchw", gij, xp[:, :, r:r + kh, c:c + kw])
            gxp[:, :, r:r + kh, c:c + kw] += np.einsum("nk,kchw->nchw", gij, wx)
    return gxp, gw, g.sum(axis=(0, 2, 3))


def _crop(a, padding):
    ph, pw = padding
    h, w = a.shape[2] - 2 * ph, a.shape[3] - 2 * pw
    if h < 1 or w < 1:
        return None
    return a[:, :, ph:ph + h, pw:pw + w]


def _conv2d_oracle_parts(case: Case) -> tuple:
    g, x, w, s, p = _conv2d_args(case)
    gxp, gw, gb = _scatter(g, x, w, s, p)
    return _crop(gxp, p), gw, gb


def _conv2d_shapes(grad_output, x, weight, stride=1, padding=0):
    return (np.shape(x), np.shape(weight), np.shape(weight)[:1])


def _case2d(group, n, c, k, hw, khw, kwargs=None, *, rng=None, dtype=np.float64, error=None,
            why="", g_shape=None):
    kwargs = dict(kwargs or {})
    (sh, sw), (ph, pw) = _pair(kwargs.get("stride", 1)), _pair(kwargs.get("padding", 0))
    ho = (hw[0] + 2 * ph - khw[0]) // sh + 1
    wo = (hw[1] + 2 * pw - khw[1]) // sw + 1
    shapes = ((n, c) + tuple(hw), (k, c) + tuple(khw), g_shape or (n, k, ho, wo))
    if rng is None:
        x, w = _arange(shapes[0]) / 4, _arange(shapes[1], start=-3)
        g = (_arange(shapes[2]) % 5) - 2
    else:
        x, w, g = (_normal(rng, s, dtype) for s in shapes[:2] + shapes[2:])
    return Case(group, (g, x, w), kwargs, error=error, why=why)


def _conv2d_fixed() -> list:
    x = _arange((1, 1, 4, 4))
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    spike = np.zeros((1, 1, 3, 3))
    spike[0, 0, 0, 0] = 1.0
    mismatch = "x has 2 channels, weight 3"
    wrong_g = "grad_output must have the forward output's shape (N, K, H_out, W_out)"
    return [
        Case("basic", (np.ones((1, 1, 3, 3)), x, w)),
        Case("basic", (spike, x, w)),
        _case2d("batch and channels", 2, 2, 3, (3, 4), (2, 2)),
        _case2d("padding", 1, 1, 1, (3, 3), (2, 2), {"padding": 1}),
        _case2d("padding", 1, 2, 1, (3, 4), (3, 3), {"padding": 2}),
        _case2d("stride", 1, 1, 1, (5, 5), (3, 3), {"stride": 2}),
        _case2d("stride", 1, 1, 2, (6, 6), (3, 3), {"stride": 2}),
        _case2d("stride and padding", 1, 1, 1, (5, 5), (3, 3), {"stride": 2, "padding": 1}),
        _case2d("stride and padding", 2, 1, 1, (5, 4), (2, 3),
                {"stride": (2, 1), "padding": (0, 1)}),
        Case("errors", (np.ones((1, 1, 3, 3)), np.ones((1, 2, 4, 4)), np.ones((1, 3, 2, 2))),
             error=ValueError, why=mismatch),
        _case2d("errors", 1, 1, 1, (4, 4), (2, 2), g_shape=(1, 1, 2, 2), error=ValueError,
                why=wrong_g),
        _case2d("errors", 2, 1, 3, (4, 4), (2, 2), {"stride": 2}, g_shape=(2, 3, 3, 3),
                error=ValueError, why=wrong_g),
    ]


def _conv2d_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    groups = ("basic", "batch and channels", "batch and channels", "padding", "stride",
              "stride", "stride and padding", "stride and padding")
    for index, group in enumerate(groups):
        n, c, k = (1, 1, 1) if group == "basic" else (pick(1, 3), pick(1, 3), pick(1, 3))
        if group == "batch and channels":
            n, c, k = pick(2, 3), pick(2, 3), pick(2, 3)
        kh, kw = pick(1, 3), pick(1, 3)
        kwargs = {}
        if group == "padding":
            kwargs["padding"] = pick(1, 2)
        elif group == "stride":
            kwargs["stride"] = pick(2, 3)
        elif group == "stride and padding":
            kwargs = {"stride": (pick(1, 3), pick(2, 3)), "padding": (pick(0, 2), pick(1, 2))}
        hw = (pick(max(kh, 3), 7), pick(max(kw, 3), 7))
        dtype = np.float32 if index == 2 else np.float64  # the second batch case in float32
        cases.append(_case2d(group, n, c, k, hw, (kh, kw), kwargs, rng=rng, dtype=dtype))
    return cases


def _conv2d_mistakes(case: Case) -> list:
    g, x, w, s, p = _conv2d_args(case)
    gx, gw, gb = _conv2d_parts(case)
    shapes = (x.shape, w.shape, (w.shape[0],))
    pack = lambda a, b, c: _pack((a, b, c), shapes) if a is not None else None  # noqa: E731
    n = x.shape[0]
    noflip = _scatter(g, x, w, s, p, flip=True)
    nostride = _scatter(g, x, w, s, p, use_stride=False)
    out = [
        Mistake("grad_weight flipped", "grad_weight[k, c, u, v] = sum over n, i, j of "
                "grad_output[n, k, i, j] * x_padded[n, c, i*s + u, j*s + v]: a "
                "cross-correlation of x with grad_output, nothing reversed",
                pack(gx, gw[:, :, ::-1, ::-1], gb)),
        Mistake("grad_x kernel not flipped", "grad_x is the full CONVOLUTION of grad_output "
                "with the weight (the kernel flipped); scattering "
                "grad_output[n, k, i, j] * weight[k] into the window never flips anything",
                pack(_crop(noflip[0], p), gw, gb)),
        Mistake("stride ignored in the backward", "output (i, j) read the window that starts "
                "at (i*stride, j*stride): send its gradient back there (in the convolution "
                "picture: insert stride - 1 zeros between the entries of grad_output)",
                pack(_crop(nostride[0], p), nostride[1], gb)),
        Mistake("padding not cropped from grad_x", "compute the gradient of the padded input, "
                "then cut the padding off: grad_x has the shape of x", pack(_scatter(g, x, w, s, p)[0], gw, gb)),
        Mistake("grad_bias not summed over the batch and space", "bias[k] is added to every "
                "output position of every image: grad_bias[k] = grad_output[:, k].sum()",
                pack(gx, gw, g.sum(axis=(2, 3)))),
        Mistake("grad_bias not summed over the batch and space", "grad_bias[k] = "
                "grad_output[:, k].sum(), over images AND positions",
                pack(gx, gw, g.sum(axis=0))),
        Mistake("grad_bias averaged instead of summed", "grad_bias[k] is the sum of "
                "grad_output[:, k], not its mean", pack(gx, gw, g.mean(axis=(0, 2, 3)))),
    ]
    if n > 1:
        out += [
            Mistake("grad_weight not summed over the batch", "every image used the same "
                    "weight: add up the contributions of all N images",
                    pack(gx, _scatter(g[:1], x[:1], w, s, p)[1], gb)),
            Mistake("grad_weight averaged over the batch", "add up the images' "
                    "contributions, do not average them", pack(gx, gw / n, gb)),
            Mistake("grad_bias not summed over the batch", "add up grad_output over all "
                    "images too", pack(gx, gw, g[0].sum(axis=(1, 2)))),
        ]
    return out


# ---------------------------------------------------------------- exercises

_SPECS = {
    "conv1d_backward": _Spec("conv1d_backward", ("grad_x", "grad_w"), _conv1d_shapes,
                             _conv1d_parts, ("the shape of x", "the shape of w")),
    "numerical_gradient": _Spec("numerical_gradient", numerical=True),
    "conv2d_backward": _Spec("conv2d_backward", ("grad_x", "grad_weight", "grad_bias"),
                             _conv2d_shapes, _conv2d_parts,
                             ("the shape of x", "the shape of weight", "(K,)")),
}


def _packed(spec_name, parts_fn):
    spec = _SPECS[spec_name]
    return lambda case: _pack(parts_fn(case), spec.shapes(*case.args, **case.kwargs))


def _hooks(spec_name) -> dict:
    """The ``adapt`` and ``revise`` hooks of an exercise: call through an adapter, explain by part."""
    spec = _SPECS[spec_name]
    return {"adapt": lambda func: _Adapter(spec, func),
            "revise": lambda outcome, adapter: _explain(spec, outcome, adapter)}


_CONV1D = Exercise(
    name="conv1d_backward", arg_names=("grad_output", "x", "w"),
    groups={"basic": 1, "edge": 1, "float32": 1, "errors": 1},
    forbidden=_BACKWARD_FORBIDDEN, forbidden_text=_BACKWARD_TEXT,
    fixed_cases=_conv1d_fixed, random_cases=_conv1d_random,
    reference=_packed("conv1d_backward", _conv1d_parts),
    oracle=_packed("conv1d_backward", _conv1d_oracle_parts),
    mistakes=_conv1d_mistakes, default_points=4.0, **_hooks("conv1d_backward"),
)

_NUMERICAL = Exercise(
    name="numerical_gradient", arg_names=("f", "x"),
    groups={"basic": 1, "any shape": 1, "eps": 1, "errors": 1},
    forbidden=_NUMERICAL_FORBIDDEN, forbidden_text=_NUMERICAL_TEXT,
    fixed_cases=_numerical_fixed, random_cases=_numerical_random,
    reference=lambda c: _ref_numerical_gradient(c.args[0], _as_float(c.args[1]).copy(),
                                                **_numerical_kwargs(c)),
    oracle=lambda c: _central(c.args[0], c.args[1], _numerical_kwargs(c)["eps"]),
    mistakes=_numerical_mistakes, default_points=4.0, **_hooks("numerical_gradient"),
)

_CONV2D = Exercise(
    name="conv2d_backward", arg_names=("grad_output", "x", "weight"),
    groups={"basic": 1, "batch and channels": 1, "padding": 1, "stride": 1,
            "stride and padding": 1, "errors": 1},
    forbidden=_BACKWARD_FORBIDDEN, forbidden_text=_BACKWARD_TEXT,
    fixed_cases=_conv2d_fixed, random_cases=_conv2d_random,
    reference=_packed("conv2d_backward", _conv2d_parts),
    oracle=_packed("conv2d_backward", _conv2d_oracle_parts),
    mistakes=_conv2d_mistakes, default_points=6.0, **_hooks("conv2d_backward"),
)

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_CONV1D, _NUMERICAL, _CONV2D)}


# -------------------------------------------------------------------- checks

_ANSWER = """Every array returned must have the expected shape and agree within
    ``1e-5 * (1 + max|expected|) + 1e-4 * |expected|``; lists and float32 are
    accepted; the report says which part of the answer is wrong."""

check_conv1d_backward = make_check(
    EXERCISES, "conv1d_backward",
    "(grad_x, grad_w) of y = x ⋆ w, the 'valid' cross-correlation of 1-D arrays: "
    "grad_x = grad_output convolved ('full') with w, grad_w = x ⋆ grad_output.",
    __name__, answer=_ANSWER)
check_numerical_gradient = make_check(
    EXERCISES, "numerical_gradient",
    "central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) of a scalar function, "
    "x left exactly as it was.", __name__, answer=_ANSWER)
check_conv2d_backward = make_check(
    EXERCISES, "conv2d_backward",
    "(grad_x, grad_weight, grad_bias) of conv2d with stride and padding, "
    "x (N, C, H, W), weight (K, C, kh, kw).", __name__, answer=_ANSWER)

reproduce = make_reproduce(EXERCISES, __name__)
