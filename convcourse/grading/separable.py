"""Checks for assignment ``05-separable``.

One check per exercise, called by the notebook's test cells with the student's
function::

    check_depthwise_conv2d(depthwise_conv2d)                       # visible cell
    check_depthwise_conv2d(depthwise_conv2d, points=4, hidden=True)  # hidden cell

As in :mod:`convcourse.grading.convolution`: the visible form runs the public
cases and raises ``AssertionError`` with the report when one fails; the hidden
form runs the fixed edge cases plus random cases seeded for the submission,
prints the report and returns the score, a plain ``float`` between 0 and
``points``, one equal share per group of cases.

Answers are compared with the reference (:mod:`convcourse.separable`,
:mod:`convcourse.arithmetic`) and with an independent oracle:
a numpy sliding-window correlation (:mod:`._oracle`) for the separable and depthwise correlations,
``np.einsum`` for the pointwise convolution, the closed formulas for
:func:`check_count_mults`.  Array answers must have the expected shape and
agree within ``1e-5 * (1 + max|expected|) + 1e-4 * |expected|`` (float32
results pass).

``separate_kernel`` returns a pair, and any pair whose outer product is the
kernel is right (the factors are unique only up to a scale), so its check
compares ``np.outer(column, row)`` with the kernel: the exercise's ``adapt``
hook wraps the student's function with :func:`outer_of_pair`.  A printed seed
replays with ``convcourse.grading.reproduce`` (or this module's :func:`reproduce`),
which wraps the same way.
"""

from __future__ import annotations

import functools

import numpy as np

from ..arithmetic import conv_mults, depthwise_separable_mults
from ..kernels import emboss, laplacian, sharpen, sobel
from ..separable import depthwise_conv2d as _ref_depthwise
from ..separable import pointwise_conv2d as _ref_pointwise
from ..separable import separable_correlate2d as _ref_separable
from ..separable import separate_kernel as _ref_separate
from . import _oracle
from ._builders import arange as _arange, as_float as _as_float, normal
from ._cases import Case, Exercise, make_check, make_reproduce
from ._mistakes import Mistake
from ._runner import Forbidden

__all__ = [
    "EXERCISES", "NotAPair", "outer_of_pair", "reproduce",
    "check_separate_kernel", "check_separable_correlate2d", "check_depthwise_conv2d",
    "check_pointwise_conv2d", "check_count_mults",
]

_LIBRARIES = ("scipy.signal", "scipy.ndimage", "torch", "tensorflow", "jax", "skimage", "cv2",
              "convcourse.filtering", "convcourse.conv", "convcourse.separable", "convcourse.nn")
_NUMPY_CONV = (("numpy", "convolve"), ("numpy", "correlate"), ("numpy", "correlate2"))
_SEPARATE_FORBIDDEN = Forbidden(modules=_LIBRARIES)
_SEPARATE_TEXT = ("find the factors yourself (np.linalg.svd is allowed); "
                  "convcourse.separable and torch are not")
_PASSES_FORBIDDEN = Forbidden(
    modules=_LIBRARIES, functions=_NUMPY_CONV + (("numpy", "outer"), ("numpy", "kron")))
_PASSES_TEXT = ("write the two 1-D passes yourself, without building the 2-D kernel; "
                "np.outer, np.kron, np.convolve, np.correlate, scipy.signal, scipy.ndimage, "
                "torch and convcourse's convolutions are not allowed")
_NETWORK_FORBIDDEN = Forbidden(modules=_LIBRARIES, functions=_NUMPY_CONV)
_NETWORK_TEXT = ("write it with numpy yourself; torch, scipy.signal, scipy.ndimage, "
                 "np.convolve, np.correlate and convcourse's convolutions are not allowed")
_COUNT_FORBIDDEN = Forbidden(modules=("torch", "convcourse.arithmetic", "convcourse._padding",
                                      "convcourse.conv", "convcourse.separable"))
_COUNT_TEXT = "write the formulas yourself; convcourse.arithmetic and torch are not allowed"


#: separable cases round to 2 places (their kernels are products of 2-place taps)
_normal = functools.partial(normal, decimals=2)


def _taps(rng, n) -> np.ndarray:
    """A random 1-D factor with no zero entry (so no row or column of the kernel vanishes)."""
    v = np.round(rng.uniform(0.2, 2.0, size=n) * rng.choice([-1.0, 1.0], size=n), 2)
    return v


# ------------------------------------------------------------ separate_kernel

class NotAPair(Exception):
    """What a wrapped ``separate_kernel`` raises when it does not return ``(column, row)``."""


def outer_of_pair(func):
    """Wrap a ``separate_kernel`` so that it returns ``np.outer(column, row)``.

    The check then compares that outer product with the kernel: every correct
    pair, whatever its scale, gives the kernel back.

    Parameters
    ----------
    func : callable
        A student's ``separate_kernel(kernel)``, returning ``(column, row)``.

    Returns
    -------
    callable
        ``kernel -> np.outer(np.ravel(column), np.ravel(row))``; it returns
        None when ``func`` does, and raises :class:`NotAPair` (saying what
        came back) when ``func`` returns something other than two real arrays.

    Examples
    --------
    >>> wrapped = outer_of_pair(lambda kernel: ([1, 2], [3, 0, -1]))
    >>> wrapped(None)
    array([[ 3.,  0., -1.],
           [ 6.,  0., -2.]])
    """
    @functools.wraps(func)
    def separate_kernel(*args, **kwargs):
        value = func(*args, **kwargs)
        if value is None:
            return None
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] != 2:
            raise NotAPair(f"separate_kernel must return a pair (column, row); it returned one "
                           f"array of shape {value.shape} (return the two factors, "
                           "not their product)")
        try:
            column, row = value
        except (TypeError, ValueError):
            raise NotAPair(f"separate_kernel must return a pair (column, row); it returned "
                           f"{_kind(value)}") from None
        factors = []
        for name, part in (("column", column), ("row", row)):
            try:
                arr = np.asarray(part)
            except Exception:
                arr = np.asarray(None)
            if arr.dtype.kind not in "biuf" or arr.size == 0:
                raise NotAPair(f"the {name} separate_kernel returned is {_kind(part)}; "
                               "it must be a 1-D array of real numbers")
            factors.append(arr.astype(np.float64).ravel())
        return np.outer(*factors)

    return separate_kernel


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _rank_two(rng, shape) -> np.ndarray:
    """A random kernel of rank exactly 2, clearly so (s2 > 0.1 s1)."""
    while True:
        k = (np.outer(_taps(rng, shape[0]), _taps(rng, shape[1]))
             + np.outer(_taps(rng, shape[0]), _taps(rng, shape[1])))
        s = np.linalg.svd(k, compute_uv=False)
        if s[1] > 0.1 * s[0]:
            return k


_NOT_RANK_ONE = "a kernel of rank {} is not separable: its second singular value is not zero"


def _separate_fixed() -> list:
    gauss3 = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16.0
    return [
        Case("basic", (sobel(1),)),
        Case("basic", (np.ones((3, 3)),)),
        Case("basic", (gauss3,)),
        Case("non-square", (np.outer([1.0, 2.0, 1.0], [1.0, 0.0, 0.0, 0.0, -1.0]),)),
        Case("non-square", (np.outer([2.0, -1.0, 3.0, 1.0], [1.0, -2.0]),)),
        Case("edge", (np.array([[5.0]]),)),
        Case("edge", (np.array([[1.0, -2.0, 3.0]]),)),
        Case("edge", (np.array([[1.0], [2.0], [-3.0]]),)),
        Case("edge", (np.outer([0.0, 1.0, -1.0], [2.0, 3.0, 1.0]),)),  # a zero row
        Case("edge", (sobel(0).astype(np.int64),)),
        Case("edge", (np.outer([0.5, -1.5, 2.0], [0.25, 1.0, -0.75]).astype(np.float32),)),
        _not_separable(np.eye(2)),
        _not_separable(laplacian()),
        _not_separable(sharpen()),
        _not_separable(emboss()),
        _not_separable(np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])
                       + np.outer([0.0, 1.0, 0.0], [0.0, 1.0, 0.0])),
    ]


def _not_separable(kernel) -> Case:
    """An error case: a kernel of rank 2 or more, its rank in the explanation."""
    rank = int(np.linalg.matrix_rank(_as_float(kernel)))
    return Case("errors", (kernel,), error=ValueError, why=_NOT_RANK_ONE.format(rank))


def _separate_random(rng) -> list:
    cases = []
    for _ in range(3):
        k = int(rng.integers(2, 6))
        cases.append(Case("basic", (np.outer(_taps(rng, k), _taps(rng, k)),)))
    for _ in range(3):
        kh, kw = (int(v) for v in rng.choice(np.arange(2, 7), size=2, replace=False))
        cases.append(Case("non-square", (np.outer(_taps(rng, kh), _taps(rng, kw)),)))
    for _ in range(2):
        shape = tuple(int(v) for v in rng.integers(2, 6, size=2))
        cases.append(_not_separable(_rank_two(rng, shape)))
    # drawn last, so that the cases above stay those of the seed: one row, one column,
    # and a factor with a zero entry (a zero row of the kernel)
    cases.append(Case("edge", (_taps(rng, int(rng.integers(2, 6)))[None, :],)))
    cases.append(Case("edge", (_taps(rng, int(rng.integers(2, 6)))[:, None],)))
    column = _taps(rng, int(rng.integers(2, 5)))
    column[int(rng.integers(column.size))] = 0.0
    cases.append(Case("edge", (np.outer(column, _taps(rng, int(rng.integers(2, 5)))),)))
    return cases


def _separate_mistakes(case: Case) -> list:
    (kernel,) = case.args
    k = _as_float(kernel)
    u, s, vt = np.linalg.svd(k)
    mistakes = [
        Mistake("column and row swapped", "return (column, row): the column runs down the "
                "kernel (kH entries), the row across it (kW entries), and "
                "np.outer(column, row)[i, j] = column[i] * row[j]", k.T),
        Mistake("singular value left out", "kernel = s1 * outer(u1, v1): the first singular "
                "value must go into the factors (sqrt(s1) in each, or all of it in one)",
                np.outer(u[:, 0], vt[0])),
        Mistake("square root of the singular value in one factor only",
                "put sqrt(s1) in BOTH factors (or s1 in one of them)",
                np.sqrt(s[0]) * np.outer(u[:, 0], vt[0])),
    ]
    if k.shape[0] == k.shape[1]:
        mistakes.append(Mistake(
            "row taken from a column of Vt", "np.linalg.svd returns Vt, whose ROWS are the "
            "right singular vectors: the row factor comes from vt[0], not vt[:, 0]",
            s[0] * np.outer(u[:, 0], vt[:, 0])))
        mistakes.append(Mistake(
            "column taken from a row of U", "the left singular vectors are the COLUMNS of U: "
            "the column factor comes from u[:, 0], not u[0]",
            s[0] * np.outer(u[0], vt[0])))
    return mistakes


_SEPARATE = Exercise(
    name="separate_kernel", arg_names=("kernel",),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_SEPARATE_FORBIDDEN, forbidden_text=_SEPARATE_TEXT,
    fixed_cases=_separate_fixed, random_cases=_separate_random,
    # the kernel as given: the reference's rank tolerance follows its dtype (float32's eps)
    reference=lambda c: np.outer(*_ref_separate(np.asarray(c.args[0]))),
    oracle=lambda c: _as_float(c.args[0]),  # any right pair gives the kernel back
    mistakes=_separate_mistakes, default_points=4.0, adapt=outer_of_pair,
)


# ------------------------------------------------------ separable_correlate2d

def _oracle_separable(image, column, row, mode="valid") -> np.ndarray:
    kernel = np.outer(_as_float(column), _as_float(row))
    return _oracle.correlate2d(_as_float(image), kernel, mode=mode)


def _pass(image, taps, axis, mode):
    """One 1-D pass (the reference with a one-tap factor on the other axis), or None."""
    one = np.ones(1)
    try:
        if axis == 1:
            return _as_float(_ref_separable(_as_float(image), one, _as_float(taps), mode))
        return _as_float(_ref_separable(_as_float(image), _as_float(taps), one, mode))
    except ValueError:
        return None


def _two_passes(image, first, first_axis, first_mode, second, second_axis, second_mode):
    tmp = _pass(image, first, first_axis, first_mode)
    return None if tmp is None else _pass(tmp, second, second_axis, second_mode)


def _separable_fixed() -> list:
    too_big = "the kernel (len(column), len(row)) is larger than the image"
    return [
        Case("basic", (_arange((4, 4)), np.array([1.0, 2.0]), np.array([1.0, -1.0]))),
        Case("basic", (_arange((5, 5)) ** 1.5, np.array([1.0, 2.0, 1.0]),
                       np.array([-1.0, 0.0, 1.0]))),
        Case("non-square", (_arange((3, 6)), np.array([1.0, -1.0]), np.array([1.0, 2.0, 3.0]))),
        Case("non-square", (_arange((6, 4)) % 5, np.array([1.0, 0.0, 2.0]),
                            np.array([3.0, 1.0]))),
        Case("edge", (_arange((3, 4)), np.array([2.0]), np.array([-3.0]))),
        Case("edge", (_arange((3, 4)) % 3, np.array([1.0, 2.0, 3.0]),
                      np.array([1.0, 0.0, -1.0, 2.0]))),
        Case("edge", (_arange((1, 6)), np.array([1.5]), np.array([1.0, -2.0]))),
        Case("edge", (np.arange(20).reshape(4, 5), np.array([1, 2, 1]), np.array([1, -1]))),
        Case("edge", (_arange((4, 5)), [0.5, 0.25], [1.0, 0.0, -1.0])),
        Case("errors", (_arange((2, 5)), np.ones(3), np.ones(2)), error=ValueError, why=too_big),
        Case("errors", (_arange((4, 3)), np.ones(2), np.ones(4)), error=ValueError, why=too_big),
    ]


def _separable_random(rng) -> list:
    cases = []
    for _ in range(3):
        n, k = int(rng.integers(4, 9)), int(rng.integers(2, 4))
        cases.append(Case("basic", (_normal(rng, (n, n)), _normal(rng, k), _normal(rng, k))))
    for dtype in (np.float64, np.float32, np.float64):
        h, w = (int(v) for v in rng.choice(np.arange(4, 10), size=2, replace=False))
        kh, kw = (int(v) for v in rng.choice([1, 2, 3, 4], size=2, replace=False))
        cases.append(Case("non-square", (_normal(rng, (h, w), dtype), _normal(rng, kh, dtype),
                                         _normal(rng, kw, dtype))))
    return cases


def _separable_mistakes(case: Case) -> list:
    image, column, row = (_as_float(a) for a in case.args)
    mistakes = [
        Mistake("column and row swapped", "the row factor runs ALONG each row (axis 1, "
                "len(row) = kW), the column factor down each column (axis 0)",
                _two_passes(image, column, 1, "valid", row, 0, "valid")),
        Mistake("kernel flipped", "cross-correlation uses the taps as they are, "
                "out[i, j] = sum_a sum_b column[a] row[b] image[i + a, j + b]: do not reverse them",
                _two_passes(image, row[::-1], 1, "valid", column[::-1], 0, "valid")),
        Mistake("one factor flipped", "use both taps as they are (no reversal)",
                _two_passes(image, row[::-1], 1, "valid", column, 0, "valid")),
        Mistake("one factor flipped", "use both taps as they are (no reversal)",
                _two_passes(image, row, 1, "valid", column[::-1], 0, "valid")),
        Mistake("only one pass", "you filtered along the rows only: the column pass is "
                "missing", _pass(image, row, 1, "valid")),
        Mistake("only one pass", "you filtered down the columns only: the row pass is "
                "missing", _pass(image, column, 0, "valid")),
        Mistake("both passes along the same axis", "the row pass runs along axis 1, the "
                "column pass along axis 0", _two_passes(image, row, 1, "valid", column, 1, "valid")),
        Mistake("both passes along the same axis", "the row pass runs along axis 1, the "
                "column pass along axis 0", _two_passes(image, row, 0, "valid", column, 0, "valid")),
    ]
    for m1 in ("valid", "same", "full"):
        for m2 in ("valid", "same", "full"):
            if m1 == m2 == "valid":
                continue
            which = (f"both passes in '{m1}' mode" if m1 == m2 else
                     f"the row pass in '{m1}' and the column pass in '{m2}' mode")
            mistakes.append(Mistake(
                "a pass in the wrong mode", f"{which}: both must be 'valid' (the row pass "
                "leaves W - kW + 1 columns, the column pass H - kH + 1 rows)",
                _two_passes(image, row, 1, m1, column, 0, m2)))
    kh, kw = column.size, row.size
    for before_h, before_w in ((kh // 2, kw // 2), ((kh - 1) // 2, (kw - 1) // 2)):
        padded = np.pad(image, ((before_h, kh - 1 - before_h), (before_w, kw - 1 - before_w)))
        mistakes.append(Mistake(
            "a pass in the wrong mode", "your output has the size of the image: the image was "
            "padded ('same' mode); both passes must be 'valid', with no padding",
            _two_passes(padded, row, 1, "valid", column, 0, "valid")))
    return mistakes


_SEPARABLE = Exercise(
    name="separable_correlate2d", arg_names=("image", "column", "row"),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_PASSES_FORBIDDEN, forbidden_text=_PASSES_TEXT,
    fixed_cases=_separable_fixed, random_cases=_separable_random,
    reference=lambda c: _as_float(_ref_separable(*(_as_float(a) for a in c.args))),
    oracle=lambda c: _oracle_separable(*c.args),
    mistakes=_separable_mistakes, default_points=4.0,
)


# ------------------------------------------------------------ depthwise_conv2d

def _oracle_depthwise(x, weight) -> np.ndarray:
    """Each channel on its own with the sliding-window correlation."""
    x, weight = _as_float(x), _as_float(weight)
    return np.stack([np.stack([_oracle.correlate2d(x[n, c], weight[c, 0], "valid")
                               for c in range(x.shape[1])]) for n in range(x.shape[0])])


def _reference_depthwise(x, weight, **kwargs) -> np.ndarray:
    return _as_float(_ref_depthwise(_as_float(x), _as_float(weight), **kwargs))


def _depthwise_fixed() -> list:
    return [
        Case("basic", (_arange((1, 2, 3, 3)),
                       np.array([[[[1.0, 0.0], [0.0, -1.0]]], [[[2.0, 1.0], [0.0, 0.0]]]]))),
        Case("basic", (_arange((1, 3, 4, 4)) % 7, _arange((3, 1, 3, 3), start=-13) / 4)),
        Case("non-square", (_arange((1, 2, 4, 6)), _arange((2, 1, 2, 3), start=-5))),
        Case("non-square", (_arange((1, 3, 5, 3)) ** 0.5, _arange((3, 1, 3, 1), start=-4))),
        Case("batch", (_arange((3, 2, 4, 4)) % 5, _arange((2, 1, 3, 3), start=-9))),
        Case("batch", (np.arange(2 * 4 * 5 * 5).reshape(2, 4, 5, 5) % 3,
                       np.array([1, -1, 2, 0]).reshape(4, 1, 1, 1) * np.ones((4, 1, 2, 2), int))),
        Case("errors", (_arange((1, 2, 4, 4)), np.ones((3, 1, 2, 2))), error=ValueError,
             why="weight has 3 kernels but x has 2 channels"),
        Case("errors", (_arange((1, 2, 4, 4)), np.ones((2, 2, 2, 2))), error=ValueError,
             why="weight must have shape (C, 1, kh, kw)"),
        Case("errors", (_arange((1, 2, 3, 3)), np.ones((2, 1, 4, 2))), error=ValueError,
             why="the kernel is larger than the image"),
        Case("errors", (_arange((2, 4, 4)), np.ones((2, 1, 2, 2))), error=ValueError,
             why="x must be 4-D (N, C, H, W)"),
    ]


def _depthwise_random(rng) -> list:
    cases = []
    for group, dtype in (("basic", np.float64), ("basic", np.float64),
                         ("non-square", np.float64), ("non-square", np.float32),
                         ("batch", np.float64), ("batch", np.float32)):
        n = int(rng.integers(2, 4)) if group == "batch" else 1
        c = int(rng.integers(2, 5))
        if group == "non-square":
            h, w = (int(v) for v in rng.choice(np.arange(3, 9), size=2, replace=False))
            kh, kw = (int(v) for v in rng.choice([1, 2, 3], size=2, replace=False))
        else:
            h = w = int(rng.integers(3, 8))
            kh = kw = int(rng.integers(2, 4))
        cases.append(Case(group, (_normal(rng, (n, c, h, w), dtype),
                                  _normal(rng, (c, 1, kh, kw), dtype))))
    return cases


def _depthwise_mistakes(case: Case) -> list:
    x, weight = (_as_float(a) for a in case.args)
    c = x.shape[1]
    right = _reference_depthwise(x, weight)
    # every kernel applied to every channel, the results summed: a full convolution
    mixed = np.einsum("nc...->n...", _oracle_depthwise_all(x, weight))
    return [
        Mistake("channels mixed (summed over C)", "a depthwise convolution filters each "
                "channel on its own: output channel c = input channel c correlated with "
                "weight[c, 0], with no sum over channels", mixed),
        Mistake("channels mixed (summed over C)", "do not add the channels up: the output "
                "keeps C channels, one per input channel", right.sum(axis=1, keepdims=True)),
        Mistake("channels mixed (summed over C)", "do not add the channels up: the output "
                "keeps C channels, one per input channel", right.sum(axis=1)),
        Mistake("channels mixed (one ordinary convolution repeated)", "you summed the C "
                "filtered channels (an ordinary convolution's channel sum) and gave every "
                "output channel that sum: output channel c is input channel c correlated with "
                "weight[c, 0] alone", np.repeat(right.sum(axis=1, keepdims=True), c, axis=1)),
        Mistake("channels mixed (every kernel on each channel)", "channel c went through all C "
                "kernels and the results were added: it goes through its own kernel "
                "weight[c, 0] only",
                _reference_depthwise(x, np.repeat(weight.sum(axis=0, keepdims=True), c, axis=0))),
        Mistake("channels mixed (channel 0 for every kernel)", "kernel c must filter input "
                "channel c, x[:, c]; you filtered channel 0 with every kernel",
                _reference_depthwise(x[:, [0] * c], weight)),
        Mistake("kernel flipped", "cross-correlation uses the kernel as it is",
                _reference_depthwise(x, weight[..., ::-1, ::-1])),
        Mistake("one kernel for every channel", "channel c has its own kernel, weight[c, 0]",
                _reference_depthwise(x, weight[[0] * c])),
        Mistake("'same' output", "'valid': no padding, output (H - kh + 1, W - kw + 1)",
                _reference_depthwise(x, weight, padding="same")),
        Mistake("only the first image", "x holds a batch of N images: filter every one",
                right[:1] if x.shape[0] > 1 else None),
    ]


def _oracle_depthwise_all(x, weight):
    """(N, C, C, H', W'): channel c' correlated with kernel c, for the 'mixed' mistake."""
    c = x.shape[1]
    return np.stack([_oracle_depthwise(x[:, [ci] * c], weight) for ci in range(c)], axis=1)


_DEPTHWISE = Exercise(
    name="depthwise_conv2d", arg_names=("x", "weight"),
    groups={"basic": 1, "non-square": 1, "batch": 1, "errors": 1},
    forbidden=_NETWORK_FORBIDDEN, forbidden_text=_NETWORK_TEXT,
    fixed_cases=_depthwise_fixed, random_cases=_depthwise_random,
    reference=lambda c: _reference_depthwise(*c.args),
    oracle=lambda c: _oracle_depthwise(*c.args),
    mistakes=_depthwise_mistakes, default_points=4.0,
)


# ------------------------------------------------------------ pointwise_conv2d

def _pointwise_fixed() -> list:
    return [
        Case("basic", (_arange((1, 2, 2, 2)), np.array([[1.0, 1.0], [1.0, -1.0]]))),
        Case("basic", (_arange((1, 3, 2, 3)) % 4, np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0],
                                                             [3.0, 0.0, 1.0]]))),
        Case("channels", (_arange((1, 3, 2, 2)), np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]))),
        Case("channels", (_arange((1, 1, 3, 3)), np.array([[1.0], [-2.0], [0.5], [3.0]]))),
        Case("channels", (_arange((1, 4, 2, 2)) % 3, np.array([[1.0, -1.0, 2.0, 0.0]]))),
        Case("batch", (_arange((3, 2, 3, 3)) % 5, np.array([[2.0, -1.0], [1.0, 3.0]]))),
        Case("batch", (np.arange(2 * 3 * 4 * 2).reshape(2, 3, 4, 2),
                       np.array([[1, 0, 0], [0, 2, 0], [1, 1, 1], [0, 0, -1], [3, 2, 1]]))),
        Case("errors", (_arange((1, 2, 3, 3)), np.ones((4, 3))), error=ValueError,
             why="weight has 3 input channels but x has 2"),
        Case("errors", (_arange((2, 3, 3)), np.ones((4, 2))), error=ValueError,
             why="x must be 4-D (N, C, H, W)"),
    ]


def _pointwise_random(rng) -> list:
    cases = []
    for group, dtype in (("basic", np.float64), ("basic", np.float64),
                         ("channels", np.float64), ("channels", np.float32),
                         ("batch", np.float64), ("batch", np.float32)):
        n = int(rng.integers(2, 4)) if group == "batch" else 1
        c = int(rng.integers(2, 6))
        k = c if group == "basic" else int(rng.choice([v for v in range(1, 7) if v != c]))
        h, w = (int(v) for v in rng.integers(1, 6, size=2))
        cases.append(Case(group, (_normal(rng, (n, c, h, w), dtype), _normal(rng, (k, c), dtype))))
    return cases


def _pointwise_mistakes(case: Case) -> list:
    x, weight = (_as_float(a) for a in case.args)
    right = np.einsum("kc,nchw->nkhw", weight, x)
    square = weight.shape[0] == weight.shape[1]
    return [
        Mistake("weight transposed", "weight has shape (K, C): output channel k is "
                "sum over c of weight[k, c] * x[:, c]; you used weight[c, k]",
                np.einsum("ck,nchw->nkhw", weight, x) if square else None),
        Mistake("channels last", "the output is (N, K, H, W), channels second (NCHW)",
                np.moveaxis(right, 1, -1)),
        Mistake("channels not summed", "each output channel is a SUM over the input "
                "channels: weight[k, c] * x[:, c] added up over c",
                np.einsum("kc,nchw->nkchw", weight, x)),
        Mistake("only the first image", "x holds a batch of N images: mix the channels of "
                "every one", right[:1] if x.shape[0] > 1 else None),
    ]


_POINTWISE = Exercise(
    name="pointwise_conv2d", arg_names=("x", "weight"),
    groups={"basic": 1, "channels": 1, "batch": 1, "errors": 1},
    forbidden=_NETWORK_FORBIDDEN, forbidden_text=_NETWORK_TEXT,
    fixed_cases=_pointwise_fixed, random_cases=_pointwise_random,
    reference=lambda c: _as_float(_ref_pointwise(_as_float(c.args[0]), _as_float(c.args[1]))),
    oracle=lambda c: np.einsum("kc,nchw->nkhw", _as_float(c.args[1]), _as_float(c.args[0])),
    mistakes=_pointwise_mistakes, default_points=4.0,
)


# ----------------------------------------------------------------- count_mults

def _count_args(case: Case):
    (c, h, w), k, size = case.args
    kh, kw = (size, size) if np.isscalar(size) else size
    ds = case.kwargs.get("depthwise_separable", case.args[3] if len(case.args) > 3 else False)
    return c, h, w, k, kh, kw, ds


def _count_formula(case: Case) -> int:
    c, h, w, k, kh, kw, ds = _count_args(case)
    ho, wo = h - kh + 1, w - kw + 1
    return ho * wo * c * (kh * kw + k) if ds else ho * wo * k * kh * kw * c


def _count_reference(case: Case) -> int:
    shape, k, size = case.args[:3]
    ds = _count_args(case)[-1]
    mults = depthwise_separable_mults if ds else conv_mults
    return int(mults(tuple(shape), k, size))


def _count_case(group, shape, k, size, ds=None, error=None, why=""):
    kwargs = {} if ds is None else {"depthwise_separable": ds}
    return Case(group, (shape, k, size), kwargs, error=error, why=why)


def _count_fixed() -> list:
    too_big = "the kernel is larger than the input: there is no output"
    return [
        _count_case("standard", (3, 15, 15), 10, 3),              # the worked example: 45,630
        _count_case("standard", (1, 5, 5), 1, 3, False),
        _count_case("standard", (16, 8, 8), 32, 1),
        _count_case("depthwise-separable", (3, 15, 15), 10, 3, True),   # 9,633
        _count_case("depthwise-separable", (8, 10, 10), 16, 3, True),
        _count_case("depthwise-separable", (2, 6, 6), 5, 5, True),
        _count_case("non-square", (3, 10, 12), 4, (3, 5)),
        _count_case("non-square", (2, 7, 9), 5, (1, 3), True),
        _count_case("non-square", (4, 6, 10), 8, (5, 3), True),
        _count_case("errors", (3, 4, 4), 2, 5, error=ValueError, why=too_big),
        _count_case("errors", (3, 5, 5), 2, (3, 6), True, error=ValueError, why=too_big),
    ]


def _count_random(rng) -> list:
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    cases = []
    for group in ("standard", "depthwise-separable", "non-square"):
        for _ in range(3):
            c, k = pick(2, 64), pick(2, 128)
            if group == "non-square":
                kh, kw = (int(v) for v in rng.choice([1, 3, 5, 7], size=2, replace=False))
                size = (kh, kw)
                ds = bool(rng.integers(2))
            else:
                kh = kw = size = int(rng.choice([3, 5, 7]))
                ds = group == "depthwise-separable"
            h, w = pick(kh + 1, 64), pick(kw + 1, 64)
            if group == "non-square":
                while h == w:
                    w = pick(kw + 1, 64)
            cases.append(_count_case(group, (c, h, w), k, size, ds))
    # drawn last, so that the cases above stay those of the seed: a kernel taller or wider
    # than the input
    kh, kw = pick(2, 7), pick(2, 7)
    h, w = pick(1, 9), pick(1, 9)
    if rng.integers(2):
        h = pick(1, kh - 1)
    else:
        w = pick(1, kw - 1)
    cases.append(_count_case("errors", (pick(1, 16), h, w), pick(1, 16), (kh, kw),
                             bool(rng.integers(2)), error=ValueError,
                             why="the kernel is larger than the input: there is no output"))
    return cases


def _count_mistakes(case: Case) -> list:
    c, h, w, k, kh, kw, ds = _count_args(case)
    ho, wo = h - kh + 1, w - kw + 1
    standard, separable = ho * wo * k * kh * kw * c, ho * wo * c * (kh * kw + k)
    out_hint = ("count output positions, (H - kh + 1)(W - kw + 1): the kernel is applied once "
                "per OUTPUT pixel, not per input pixel")
    if not ds:
        return [
            Mistake("input size instead of output size", out_hint, h * w * k * kh * kw * c),
            Mistake("channel factor forgotten", "each of the K filters spans all C input "
                    "channels: kh * kw * C multiplications per output value", ho * wo * k * kh * kw),
            Mistake("depthwise_separable flag inverted", "depthwise_separable=False asks for "
                    "the standard convolution", separable),
            Mistake("kernel height used twice", "a (kh, kw) kernel has kh * kw weights",
                    ho * wo * k * kh * kh * c),
            Mistake("output size off by one", "with no padding there are H - kh + 1 positions "
                    "down and W - kw + 1 across", (h - kh) * (w - kw) * k * kh * kw * c),
        ]
    return [
        Mistake("input size instead of output size", out_hint, h * w * c * (kh * kw + k)),
        Mistake("pointwise term forgotten", "after the depthwise step comes the 1x1 "
                "convolution from C to K channels: + H_out * W_out * C * K", ho * wo * c * kh * kw),
        Mistake("depthwise term forgotten", "first the depthwise step: H_out * W_out * C * kh * kw",
                ho * wo * c * k),
        Mistake("channel factor forgotten", "both steps run over all C channels: "
                "H_out * W_out * C * (kh * kw + K)", ho * wo * (kh * kw + k)),
        Mistake("channel factor forgotten", "the depthwise step filters every one of the C "
                "channels: H_out * W_out * C * kh * kw", ho * wo * (kh * kw + c * k)),
        Mistake("channel factor forgotten", "the pointwise step mixes C channels into each of "
                "the K outputs: H_out * W_out * C * K", ho * wo * (c * kh * kw + k)),
        Mistake("depthwise_separable flag ignored", "depthwise_separable=True asks for the "
                "depthwise step plus the pointwise step", standard),
        Mistake("kernel height used twice", "a (kh, kw) kernel has kh * kw weights",
                ho * wo * c * (kh * kh + k)),
        Mistake("output size off by one", "with no padding there are H - kh + 1 positions "
                "down and W - kw + 1 across", (h - kh) * (w - kw) * c * (kh * kw + k)),
    ]


_COUNT = Exercise(
    name="count_mults", arg_names=("input_shape", "out_channels", "kernel_size"),
    groups={"standard": 1, "depthwise-separable": 1, "non-square": 1, "errors": 1},
    forbidden=_COUNT_FORBIDDEN, forbidden_text=_COUNT_TEXT,
    fixed_cases=_count_fixed, random_cases=_count_random,
    reference=_count_reference, oracle=_count_formula,
    mistakes=_count_mistakes, integer_answer=True, default_points=4.0,
)

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_SEPARATE, _SEPARABLE, _DEPTHWISE, _POINTWISE, _COUNT)}


# -------------------------------------------------------------------- checks

check_separate_kernel = make_check(
    EXERCISES, "separate_kernel",
    "a pair (column, row) with np.outer(column, row) equal to the kernel, ValueError when "
    "the kernel is not rank 1 (the check compares the outer product).", __name__)
check_separable_correlate2d = make_check(
    EXERCISES, "separable_correlate2d",
    "'valid' cross-correlation with np.outer(column, row), as two 1-D passes.", __name__)
check_depthwise_conv2d = make_check(
    EXERCISES, "depthwise_conv2d",
    "x (N, C, H, W), weight (C, 1, kh, kw): each channel correlated with its own kernel, "
    "'valid'.", __name__)
check_pointwise_conv2d = make_check(
    EXERCISES, "pointwise_conv2d",
    "x (N, C, H, W), weight (K, C): the 1x1 convolution, (N, K, H, W).", __name__)
check_count_mults = make_check(
    EXERCISES, "count_mults",
    "multiplications of a standard or depthwise-separable convolution on one (C, H, W) "
    "image, no padding, stride 1.", __name__)

reproduce = make_reproduce(EXERCISES, __name__)
