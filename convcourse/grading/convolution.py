"""Checks for assignment ``01-convolution``.

One check per exercise, called by the notebook's test cells with the student's
function::

    check_correlate2d_valid(correlate2d_valid)                      # visible cell
    check_correlate2d_valid(correlate2d_valid, points=4, hidden=True)  # hidden cell

The visible form runs the public cases and raises ``AssertionError`` with the
report when one fails.  The hidden form runs the same fixed edge cases plus
random cases seeded for the submission (see :mod:`convcourse.grading._cases`),
prints the report and returns the score, a plain ``float`` between 0 and
``points``: each group of cases (basic, non-square, padding, stride, ...) is
worth an equal share of the points and is earned when all its cases pass.

Answers are compared with the reference (``convcourse.filtering``,
``convcourse.conv``, ``convcourse.arithmetic``) and, for the 2-D correlations,
with a numpy sliding-window correlation (:mod:`._oracle`, scipy.signal's
semantics) as an independent oracle; array answers must
have the expected shape and agree within ``1e-5 * (1 + max|expected|) + 1e-4 *
|expected|`` (float32 results pass).
"""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv_output_size
from ..conv import conv2d
from ..filtering import correlate2d
from ..kernels import gradient_magnitude
from . import _oracle
from ._builders import arange as _arange, as_float as _as_float, normal as _normal, pair as _pair
from ._cases import Case, Exercise, make_check, make_reproduce
from ._mistakes import Mistake
from ._runner import Forbidden

__all__ = [
    "SOBEL_X", "SOBEL_Y", "EXERCISES", "reproduce",
    "check_correlate2d_valid", "check_convolve2d_valid", "check_pad2d",
    "check_output_size", "check_correlate2d_general", "check_sobel_edges",
]

#: the Sobel kernels the notebook gives (cross-correlate with them); equal to
#: ``convcourse.kernels.sobel(1)`` (change from left to right) and ``sobel(0)``
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y = SOBEL_X.T.copy()

_LIBRARIES = ("scipy.signal", "scipy.ndimage", "torch", "tensorflow", "jax", "skimage", "cv2",
              "convcourse.filtering", "convcourse.conv", "convcourse.separable", "convcourse.nn")
_CORRELATION_FORBIDDEN = Forbidden(
    modules=_LIBRARIES,
    functions=(("numpy", "convolve"), ("numpy", "correlate"), ("numpy", "correlate2"),
               ("convcourse.kernels", "gradient_magnitude"),
               ("convcourse.kernels", "harris_response")),
)
_CORRELATION_TEXT = ("write the sliding window yourself; scipy.signal, scipy.ndimage, "
                     "np.convolve, np.correlate, torch and convcourse's own convolutions "
                     "are not allowed")
_PAD_FORBIDDEN = Forbidden(
    modules=_LIBRARIES + ("convcourse._padding",),
    functions=(("numpy", "pad"),),
)
_PAD_TEXT = "build the padded array yourself; np.pad, scipy, torch and convcourse are not allowed"
_SIZE_FORBIDDEN = Forbidden(
    modules=("torch", "convcourse.arithmetic", "convcourse._padding", "convcourse.conv",
             "convcourse.pooling"),
)
_SIZE_TEXT = "write the formula yourself; convcourse.arithmetic and torch are not allowed"


# ---------------------------------------------------------------- references


def _reference_correlate(image, kernel, mode="valid") -> np.ndarray:
    """The package's scipy-compatible correlate2d (the reference)."""
    return _as_float(correlate2d(_as_float(image), _as_float(kernel), mode=mode))


def _oracle_correlate(image, kernel, mode="valid") -> np.ndarray:
    return _oracle.correlate2d(_as_float(image), _as_float(kernel), mode=mode)


def _general_oracle(image, kernel, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """Strided, padded, dilated correlation from the oracle alone (also for the mistakes)."""
    image, kernel = _as_float(image), _as_float(kernel)
    padded = np.zeros((image.shape[0] + pads[0][0] + pads[0][1],
                       image.shape[1] + pads[1][0] + pads[1][1]))
    padded[pads[0][0]:pads[0][0] + image.shape[0], pads[1][0]:pads[1][0] + image.shape[1]] = image
    dh, dw = dilation
    big = np.zeros(((kernel.shape[0] - 1) * dh + 1, (kernel.shape[1] - 1) * dw + 1))
    big[::dh, ::dw] = kernel
    if big.shape[0] > padded.shape[0] or big.shape[1] > padded.shape[1]:
        return None
    full = _oracle.correlate2d(padded, big, mode="valid")
    return full[::stride[0], ::stride[1]]


def _reference_general(image, kernel, stride=1, padding=0, dilation=1) -> np.ndarray:
    """convcourse.conv.conv2d on a batch of one single-channel image."""
    out = conv2d(_as_float(image)[None, None], _as_float(kernel)[None, None],
                 stride=stride, padding=padding, dilation=dilation)
    return _as_float(out[0, 0])


def _reference_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> int:
    return int(conv_output_size(size, kernel_size, stride=stride, padding=padding,
                                dilation=dilation))


# ------------------------------------------------------------ case builders


_ASYM_2X2 = np.array([[1.0, 2.0], [3.0, 4.0]])
_DIFF_1X3 = np.array([[1.0, 0.0, -1.0]])


def _valid_fixed() -> list:
    too_big = "the kernel is larger than the image"
    return [
        Case("basic", (_arange((4, 4)), _ASYM_2X2)),
        Case("basic", (np.eye(3), np.array([[0.0, 1.0], [2.0, 0.0]]))),
        Case("non-square", (_arange((3, 5)), _DIFF_1X3)),
        Case("non-square", (_arange((5, 3)), _DIFF_1X3.T * np.array([[1.0], [2.0], [3.0]]))),
        Case("edge", (_arange((3, 4)), np.array([[2.0]]))),
        Case("edge", (_arange((3, 3)), _arange((3, 3), start=-4))),
        Case("edge", (_arange((1, 6)), np.array([[1.0, -2.0]]))),
        Case("edge", (np.arange(12).reshape(3, 4), np.array([[0.5, 0.25], [0.1, 0.3]]))),
        Case("errors", (_arange((2, 5)), np.ones((3, 3))), error=ValueError, why=too_big),
        Case("errors", (_arange((3, 3)), np.ones((1, 4))), error=ValueError, why=too_big),
    ]


def _valid_random(rng) -> list:
    cases = []
    for _ in range(3):
        n, k = int(rng.integers(4, 9)), int(rng.integers(2, 4))
        cases.append(Case("basic", (_normal(rng, (n, n)), _normal(rng, (k, k)))))
    for dtype in (np.float64, np.float32, np.float64):
        h, w = (int(v) for v in rng.choice(np.arange(3, 10), size=2, replace=False))
        kh, kw = (int(v) for v in rng.choice([1, 2, 3], size=2, replace=False))
        cases.append(Case("non-square", (_normal(rng, (h, w), dtype), _normal(rng, (kh, kw), dtype))))
    return cases


def _flip_mistakes(image, kernel, correct_is_flipped: bool) -> list:
    kernel = _as_float(kernel)
    rows, cols = kernel[::-1, :], kernel[:, ::-1]
    if correct_is_flipped:
        m = [Mistake("kernel not flipped",
                     "you computed the cross-correlation: convolution flips the kernel on "
                     "both axes, kernel[::-1, ::-1]", _reference_correlate(image, kernel))]
    else:
        m = [Mistake("kernel flipped",
                     "you computed the convolution: cross-correlation uses the kernel as it "
                     "is, without flipping it", _reference_correlate(image, kernel[::-1, ::-1]))]
    m += [
        Mistake("kernel flipped on one axis only",
                "the kernel's rows were reversed but not its columns",
                _reference_correlate(image, cols if correct_is_flipped else rows)),
        Mistake("kernel flipped on one axis only",
                "the kernel's columns were reversed but not its rows",
                _reference_correlate(image, rows if correct_is_flipped else cols)),
        Mistake("kernel transposed", "rows and columns of the kernel swapped: kernel[a, b] "
                "multiplies image[i + a, j + b]",
                _reference_correlate(image, kernel.T[::-1, ::-1] if correct_is_flipped else kernel.T)
                if kernel.shape[0] == kernel.shape[1] else None),
    ]
    if np.asarray(image).dtype.kind in "iub":
        right = _reference_correlate(image, kernel[::-1, ::-1] if correct_is_flipped else kernel)
        m.append(Mistake("integer output", "the output array took the integer dtype of the "
                         "image, so values were truncated: create it with dtype=float",
                         np.trunc(right)))
    return m


def _valid_mistakes(case: Case, correct_is_flipped: bool) -> list:
    image, kernel = case.args
    k = _as_float(kernel)[::-1, ::-1] if correct_is_flipped else _as_float(kernel)
    return _flip_mistakes(image, kernel, correct_is_flipped) + [
        Mistake("'full' output", "this is the 'full' output (zero padding all around); "
                "'valid' keeps only positions where the kernel fits inside the image",
                _reference_correlate(image, k, "full")),
        Mistake("'same' output", "this is the 'same' output; 'valid' keeps only positions "
                "where the kernel fits inside the image", _reference_correlate(image, k, "same")),
    ]


# ---------------------------------------------------------------- exercises

_CORRELATE = Exercise(
    name="correlate2d_valid", arg_names=("image", "kernel"),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_CORRELATION_FORBIDDEN, forbidden_text=_CORRELATION_TEXT,
    fixed_cases=_valid_fixed, random_cases=_valid_random,
    reference=lambda c: _reference_correlate(*c.args),
    oracle=lambda c: _oracle_correlate(*c.args),
    mistakes=lambda c: _valid_mistakes(c, correct_is_flipped=False),
    default_points=4.0,
)

_CONVOLVE = Exercise(
    name="convolve2d_valid", arg_names=("image", "kernel"),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_CORRELATION_FORBIDDEN, forbidden_text=_CORRELATION_TEXT,
    fixed_cases=_valid_fixed, random_cases=_valid_random,
    reference=lambda c: _reference_correlate(c.args[0], _as_float(c.args[1])[::-1, ::-1]),
    oracle=lambda c: _oracle.convolve2d(_as_float(c.args[0]), _as_float(c.args[1]), "valid"),
    mistakes=lambda c: _valid_mistakes(c, correct_is_flipped=True),
    default_points=4.0,
)


def _pad_reference(image, padding):
    ph, pw = _pair(padding)
    return np.pad(_as_float(image), ((ph, ph), (pw, pw)))


def _pad_fixed() -> list:
    negative = "padding cannot be negative"
    return [
        Case("int", (np.ones((2, 3)), 1)),
        Case("int", (_arange((1, 1)), 2)),
        Case("pair", (_arange((2, 3)), (1, 2))),
        Case("pair", (_arange((3, 2)), (2, 1))),
        Case("zero", (_arange((2, 3)), 0)),
        Case("zero", (_arange((2, 3)), (0, 1))),
        Case("zero", (_arange((3, 2)), (2, 0))),
        Case("errors", (_arange((2, 2)), -1), error=ValueError, why=negative),
        Case("errors", (_arange((2, 2)), (1, -2)), error=ValueError, why=negative),
    ]


def _pad_random(rng) -> list:
    cases = []
    for _ in range(2):
        shape = tuple(int(v) for v in rng.integers(1, 7, size=2))
        cases.append(Case("int", (_normal(rng, shape), int(rng.integers(1, 4)))))
    for _ in range(3):
        shape = tuple(int(v) for v in rng.integers(1, 7, size=2))
        ph, pw = (int(v) for v in rng.choice([1, 2, 3], size=2, replace=False))
        cases.append(Case("pair", (_normal(rng, shape), (ph, pw))))
    return cases


def _pad_mistakes(case: Case) -> list:
    image, padding = case.args
    ph, pw = _pair(padding)
    image = _as_float(image)
    return [
        Mistake("padding on one side only", "zeros were added before (top/left) but not after: "
                "pad both sides", np.pad(image, ((ph, 0), (pw, 0)))),
        Mistake("padding on one side only", "zeros were added after (bottom/right) but not "
                "before: pad both sides", np.pad(image, ((0, ph), (0, pw)))),
        Mistake("padding on the wrong axis", "ph pads the rows (top and bottom), pw the columns "
                "(left and right): yours are swapped", np.pad(image, ((pw, pw), (ph, ph)))),
        Mistake("padding on the wrong axis", "only the rows were padded",
                np.pad(image, ((ph, ph), (0, 0)))),
        Mistake("padding on the wrong axis", "only the columns were padded",
                np.pad(image, ((0, 0), (pw, pw)))),
        Mistake("padding doubled", "padding p adds p zeros on EACH side, not 2p",
                np.pad(image, ((2 * ph, 2 * ph), (2 * pw, 2 * pw)))),
    ]


_PAD = Exercise(
    name="pad2d", arg_names=("image", "padding"),
    groups={"int": 1, "pair": 1, "zero": 1, "errors": 1},
    forbidden=_PAD_FORBIDDEN, forbidden_text=_PAD_TEXT,
    fixed_cases=_pad_fixed, random_cases=_pad_random,
    reference=lambda c: _pad_reference(*c.args),
    mistakes=_pad_mistakes, default_points=4.0,
)


def _size_case(group, size, k, s=1, p=0, d=1, error=None, why=""):
    kwargs = {name: v for name, v, default in (("stride", s, 1), ("padding", p, 0),
                                               ("dilation", d, 1)) if v != default}
    return Case(group, (size, k), kwargs, error=error, why=why)


def _size_fixed() -> list:
    no_fit = "the dilated kernel does not fit in the padded input"
    return [
        _size_case("basic", 5, 3), _size_case("basic", 7, 1), _size_case("basic", 3, 3),
        _size_case("padding", 5, 3, p=1), _size_case("padding", 4, 3, p=2),
        _size_case("stride", 7, 3, s=2), _size_case("stride", 8, 3, s=2),
        _size_case("stride", 6, 2, s=3, p=1),
        _size_case("dilation", 7, 3, d=2), _size_case("dilation", 10, 3, s=2, p=1, d=3),
        _size_case("errors", 2, 3, error=ValueError, why=no_fit),
        _size_case("errors", 5, 3, d=3, error=ValueError, why=no_fit),
    ]


def _size_random(rng) -> list:
    cases = []
    for group in ("basic", "padding", "stride", "dilation"):
        for _ in range(4):
            k = int(rng.integers(1, 6))
            s = int(rng.integers(2, 5)) if group in ("stride", "dilation") else 1
            p = int(rng.integers(1, 4)) if group != "basic" else 0
            d = int(rng.integers(2, 4)) if group == "dilation" else 1
            size = int(rng.integers(d * (k - 1) + 1, 40))
            cases.append(_size_case(group, size, k, s=s, p=p, d=d))
    # drawn last, so that the cases above stay those of the seed: the dilated kernel
    # spans more than the padded input
    k, d, p = int(rng.integers(2, 6)), int(rng.integers(1, 4)), int(rng.integers(0, 3))
    span = d * (k - 1) + 1
    size = int(rng.integers(1, span - 2 * p)) if span - 2 * p > 1 else 1
    if size + 2 * p >= span:
        p = 0
        size = int(rng.integers(1, span))
    cases.append(_size_case("errors", size, k, s=int(rng.integers(1, 4)), p=p, d=d,
                            error=ValueError,
                            why="the dilated kernel does not fit in the padded input"))
    return cases


def _size_args(case: Case):
    size, k = case.args
    kw = case.kwargs
    return size, k, kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1)


def _size_mistakes(case: Case) -> list:
    h, k, s, p, d = _size_args(case)

    def f(h, k, s, p, d):
        return (h + 2 * p - d * (k - 1) - 1) // s + 1

    right = f(h, k, s, p, d)
    return [
        Mistake("stride ignored", "divide by the stride: (... - 1) // stride + 1", f(h, k, 1, p, d)),
        Mistake("dilation ignored", "a kernel of size K with dilation D spans D*(K-1)+1 inputs",
                f(h, k, s, p, 1)),
        Mistake("dilation used as a stride", "dilation spreads the kernel out, it does not "
                "skip output positions", f(h, k, s * d, p, 1)),
        Mistake("padding counted once", "padding P adds P zeros on each side: 2*P in all",
                f(h, k, s, 0, d) if p == 0 else (h + p - d * (k - 1) - 1) // s + 1),
        Mistake("padding ignored", "add 2*padding to the input size", f(h, k, s, 0, d)),
        Mistake("off by one", "the formula ends in + 1 (the first position counts too)", right - 1),
        Mistake("off by one", "count positions where the whole kernel fits: "
                "(H + 2P - D(K-1) - 1) // S + 1", right + 1),
        Mistake("dilated kernel size wrong", "the dilated kernel spans D*(K-1)+1, not D*K",
                (h + 2 * p - d * k) // s + 1),
        Mistake("rounded up", "the division rounds down (floor, //)",
                -(-(h + 2 * p - d * (k - 1) - 1) // s) + 1),
        Mistake("true division", "use // (floor division): the output size is an int",
                (h + 2 * p - d * (k - 1) - 1) / s + 1),
    ]


_OUTPUT_SIZE = Exercise(
    name="output_size", arg_names=("size", "kernel_size"),
    groups={"basic": 1, "padding": 1, "stride": 1, "dilation": 1, "errors": 1},
    forbidden=_SIZE_FORBIDDEN, forbidden_text=_SIZE_TEXT,
    fixed_cases=_size_fixed, random_cases=_size_random,
    reference=lambda c: _reference_output_size(*c.args, **c.kwargs),
    oracle=lambda c: (lambda h, k, s, p, d: (h + 2 * p - d * (k - 1) - 1) // s + 1)(*_size_args(c)),
    mistakes=_size_mistakes, integer_answer=True, default_points=5.0,
)


def _general_fixed() -> list:
    no_fit = "the dilated kernel does not fit in the padded image"
    return [
        Case("basic", (_arange((4, 4)), _ASYM_2X2)),
        Case("basic", (_arange((3, 5)), _DIFF_1X3)),
        Case("padding", (_arange((3, 3)), _ASYM_2X2), {"padding": 1}),
        Case("padding", (_arange((2, 3)), _arange((3, 3))), {"padding": 2}),
        Case("stride", (_arange((5, 5)), _arange((3, 3))), {"stride": 2}),
        Case("stride", (_arange((6, 7)), _ASYM_2X2), {"stride": 3}),
        Case("dilation", (_arange((5, 5)), _ASYM_2X2), {"dilation": 2}),
        Case("dilation", (_arange((7, 6)), _arange((2, 2))), {"dilation": 3}),
        Case("pairs", (_arange((6, 7)), _arange((2, 3))),
             {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}),
        Case("pairs", (_arange((5, 4)), _ASYM_2X2), {"stride": (1, 2), "padding": (0, 2)}),
        Case("errors", (_arange((3, 3)), np.ones((3, 3))), {"dilation": 2},
             error=ValueError, why=no_fit),
        Case("errors", (_arange((3, 3)), np.ones((2, 2))), {"stride": 0},
             error=ValueError, why="stride must be at least 1"),
        Case("errors", (_arange((3, 3)), np.ones((2, 2))), {"padding": -1},
             error=ValueError, why="padding cannot be negative"),
    ]


def _general_random(rng) -> list:
    cases = []
    pick = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    for group in ("basic", "padding", "stride", "dilation", "pairs"):
        for _ in range(3):
            kh, kw = pick(1, 3), pick(1, 3)
            if group == "pairs":
                s = (pick(1, 3), pick(1, 3))
                while s[0] == s[1]:
                    s = (pick(1, 3), pick(1, 3))
                p, d = (pick(0, 2), pick(0, 2)), (pick(1, 2), pick(1, 2))
                kwargs = {"stride": s, "padding": p, "dilation": d}
            else:
                value = {"basic": None, "padding": pick(1, 2), "stride": pick(2, 3),
                         "dilation": pick(2, 3)}[group]
                kwargs = {} if value is None else {group: value}
                if group == "dilation":
                    kh, kw = pick(2, 3), pick(2, 3)
            d = _pair(kwargs.get("dilation", 1))
            h = pick(d[0] * (kh - 1) + 1, 9)
            w = pick(d[1] * (kw - 1) + 1, 9)
            cases.append(Case(group, (_normal(rng, (h, w)), _normal(rng, (kh, kw))), kwargs))
    return cases


def _general_mistakes(case: Case) -> list:
    image, kernel = case.args
    s = _pair(case.kwargs.get("stride", 1))
    p = _pair(case.kwargs.get("padding", 0))
    d = _pair(case.kwargs.get("dilation", 1))
    pads = ((p[0], p[0]), (p[1], p[1]))
    g = lambda **kw: _general_oracle(image, kw.pop("kernel", kernel), **{  # noqa: E731
        "stride": s, "pads": pads, "dilation": d, **kw})
    return [
        Mistake("kernel flipped", "cross-correlation uses the kernel as it is",
                g(kernel=_as_float(kernel)[::-1, ::-1])),
        Mistake("stride ignored", "step the window by the stride: output row i starts at "
                "input row i * stride", g(stride=(1, 1))),
        Mistake("stride on one axis only", "the stride applies to rows and columns",
                g(stride=(s[0], 1))),
        Mistake("stride on one axis only", "the stride applies to rows and columns",
                g(stride=(1, s[1]))),
        Mistake("stride pair swapped", "stride=(sH, sW): sH steps down the rows",
                g(stride=(s[1], s[0]))),
        Mistake("dilation ignored", "dilation D takes every D-th input under the kernel: "
                "image[i*s + a*D, j*s + b*D]", g(dilation=(1, 1))),
        Mistake("dilation used as a stride", "dilation spreads the kernel out, it does not "
                "move the window further", g(dilation=(1, 1), stride=(s[0] * d[0], s[1] * d[1]))),
        Mistake("dilation pair swapped", "dilation=(dH, dW): dH spreads the kernel's rows",
                g(dilation=(d[1], d[0]))),
        Mistake("padding on one side only", "zeros go before AND after each axis",
                g(pads=((p[0], 0), (p[1], 0)))),
        Mistake("padding on one side only", "zeros go before AND after each axis",
                g(pads=((0, p[0]), (0, p[1])))),
        Mistake("padding on the wrong axis", "padding=(pH, pW): pH pads the rows",
                g(pads=((p[1], p[1]), (p[0], p[0])))),
        Mistake("padding ignored", "pad the image with zeros first", g(pads=((0, 0), (0, 0)))),
    ]


_GENERAL = Exercise(
    name="correlate2d_general", arg_names=("image", "kernel"),
    groups={"basic": 1, "padding": 1, "stride": 1, "dilation": 1, "pairs": 1, "errors": 1},
    forbidden=_CORRELATION_FORBIDDEN, forbidden_text=_CORRELATION_TEXT,
    fixed_cases=_general_fixed, random_cases=_general_random,
    reference=lambda c: _reference_general(*c.args, **c.kwargs),
    oracle=lambda c: _general_oracle(
        *c.args, stride=_pair(c.kwargs.get("stride", 1)),
        pads=tuple((q, q) for q in _pair(c.kwargs.get("padding", 0))),
        dilation=_pair(c.kwargs.get("dilation", 1))),
    mistakes=_general_mistakes, default_points=6.0,
)


def _sobel_parts(image, correlate=_reference_correlate):
    return correlate(image, SOBEL_X), correlate(image, SOBEL_Y)


def _reference_sobel(image) -> np.ndarray:
    """convcourse.kernels.gradient_magnitude, 'valid'."""
    return _as_float(gradient_magnitude(_as_float(image), "sobel", mode="valid"))


def _sobel_fixed() -> list:
    step = np.repeat([[0.0, 0.0, 1.0, 1.0, 1.0]], 5, axis=0)
    return [
        Case("basic", (step,)),
        Case("basic", (step.T * 2.0,)),
        Case("non-square", (_arange((4, 6)) ** 1.5,)),
        Case("edge", (np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]),)),
        Case("edge", (np.full((4, 5), 7.0),)),
        Case("errors", (np.ones((2, 5)),), error=ValueError, why="the image is smaller than 3x3"),
    ]


def _sobel_random(rng) -> list:
    cases = []
    for _ in range(2):
        n = int(rng.integers(4, 9))
        cases.append(Case("basic", (_normal(rng, (n, n)),)))
    for dtype in (np.float64, np.float32):
        h, w = (int(v) for v in rng.choice(np.arange(3, 10), size=2, replace=False))
        cases.append(Case("non-square", (_normal(rng, (h, w), dtype),)))
    return cases


def _sobel_mistakes(case: Case) -> list:
    (image,) = case.args
    gx, gy = _sobel_parts(image)
    pad_x = _reference_correlate(image, SOBEL_X, "same")
    pad_y = _reference_correlate(image, SOBEL_Y, "same")
    return [
        Mistake("only one Sobel direction", "you returned the horizontal gradient alone: "
                "combine both, sqrt(gx**2 + gy**2)", np.abs(gx)),
        Mistake("only one Sobel direction", "you returned the horizontal gradient alone: "
                "combine both, sqrt(gx**2 + gy**2)", gx),
        Mistake("only one Sobel direction", "you returned the vertical gradient alone: "
                "combine both, sqrt(gx**2 + gy**2)", np.abs(gy)),
        Mistake("only one Sobel direction", "you returned the vertical gradient alone: "
                "combine both, sqrt(gx**2 + gy**2)", gy),
        Mistake("squared magnitude without the square root", "take np.sqrt of gx**2 + gy**2",
                gx ** 2 + gy ** 2),
        Mistake("sum of absolute values", "the magnitude is sqrt(gx**2 + gy**2), "
                "not |gx| + |gy|", np.abs(gx) + np.abs(gy)),
        Mistake("gradients added before the magnitude", "square each gradient separately",
                np.abs(gx + gy)),
        Mistake("'same' output", "use the 'valid' correlation (output (H-2, W-2))",
                np.hypot(pad_x, pad_y)),
        Mistake("normalised kernels", "use the Sobel kernels as given (no division by 8)",
                np.hypot(gx, gy) / 8),
    ]


_SOBEL = Exercise(
    name="sobel_edges", arg_names=("image",),
    groups={"basic": 1, "non-square": 1, "edge": 1, "errors": 1},
    forbidden=_CORRELATION_FORBIDDEN, forbidden_text=_CORRELATION_TEXT,
    fixed_cases=_sobel_fixed, random_cases=_sobel_random,
    reference=lambda c: _reference_sobel(c.args[0]),
    oracle=lambda c: np.hypot(*_sobel_parts(c.args[0], _oracle_correlate)),
    mistakes=_sobel_mistakes, default_points=4.0,
)

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_CORRELATE, _CONVOLVE, _PAD, _OUTPUT_SIZE, _GENERAL, _SOBEL)}


# -------------------------------------------------------------------- checks

check_correlate2d_valid = make_check(
    EXERCISES, "correlate2d_valid",
    "2-D cross-correlation, 'valid' output of shape (H-kh+1, W-kw+1).", __name__)
check_convolve2d_valid = make_check(
    EXERCISES, "convolve2d_valid",
    "2-D convolution (kernel flipped on both axes), 'valid' output.", __name__)
check_pad2d = make_check(
    EXERCISES, "pad2d", "zero padding by an int or a pair (ph, pw).", __name__)
check_output_size = make_check(
    EXERCISES, "output_size",
    "the output length floor((H + 2P - D(K-1) - 1)/S) + 1, an int.", __name__)
check_correlate2d_general = make_check(
    EXERCISES, "correlate2d_general",
    "cross-correlation with stride, padding and dilation.", __name__)
check_sobel_edges = make_check(
    EXERCISES, "sobel_edges",
    "gradient magnitude sqrt(gx**2 + gy**2) of the 'valid' Sobel correlations.", __name__)

reproduce = make_reproduce(EXERCISES, __name__)
