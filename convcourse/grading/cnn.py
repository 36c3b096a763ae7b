"""Checks for assignment ``06-cnn``.

One check per exercise, called by the notebook's test cells with the student's
function::

    check_relu_forward(relu_forward)                           # visible cell
    check_relu_forward(relu_forward, points=3, hidden=True)    # hidden cell

as in :mod:`convcourse.grading.convolution`: the visible form runs the public
cases and raises ``AssertionError`` with the report when one fails; the hidden
form runs the fixed and seeded random cases, prints the report and returns a
plain ``float`` score, one equal share per group of cases.

- ``relu_forward`` and ``relu_backward`` are ordinary array exercises
  (reference: :class:`convcourse.nn.ReLU`; oracle: ``np.where`` written here).
- ``softmax_cross_entropy`` returns a pair ``(loss, grad)``; its exercise's
  ``runner`` runs two exercises over the same cases, one on the loss and one on
  the gradient (their ``adapt`` hook makes the student's function return one of
  the two), and merges their groups: *loss*, *gradient*, *large logits* (both
  must pass), *errors*.
  Reference: :func:`convcourse.nn.softmax_cross_entropy`; oracle:
  ``scipy.special.logsumexp`` and ``softmax``.
- ``build_model`` returns a model.  The check never runs the student's
  objects' methods: it reads each layer's type and hyperparameters
  (``vars(layer)``), checks the structure ``((Conv2d -> ReLU) x k -> pool) x m
  -> Flatten -> Linear`` and the shapes for an 8x8 digit, rebuilds the model
  from fresh :mod:`convcourse.nn` layers (weights seeded with 0), trains it
  with :data:`convcourse.nn.train.DIGITS_RECIPE` on
  ``train_test_split(*load_digits(), seed=0)`` and requires at least
  :data:`MIN_ACCURACY` held-out accuracy (its exercise's ``runner``).  Groups:
  *model*, *structure*, *shapes*, *accuracy* (the last needs the others); the
  visible cell checks the first three without training.

A printed seed replays with ``convcourse.grading.reproduce`` (or this module's
:func:`reproduce`).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from .._padding import output_length, resolve_padding
from ..data import load_digits, train_test_split
from ..nn.layers import (AvgPool2d, Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU,
                         Sequential)
from ..nn.loss import softmax_cross_entropy as _package_softmax_cross_entropy
from ..nn._replay import feed_model
from ..nn.train import DIGITS_RECIPE, accuracy, fit
from ._builders import as_float as _as_float, normal as _normal
from ._cases import (Case, CaseResult, Exercise, Outcome, _report, make_check, make_reproduce,
                     run_exercise)
from ._mistakes import Mistake
from ._runner import Forbidden, call_student

__all__ = [
    "EXERCISES", "MIN_ACCURACY", "MAX_PARAMETERS", "MAX_MULTIPLICATIONS", "NUM_CLASSES",
    "IMAGE_SHAPE", "check_relu_forward", "check_relu_backward", "check_softmax_cross_entropy",
    "check_build_model", "describe_model", "rebuild_model", "reproduce",
]

#: held-out accuracy the rebuilt, trained model must reach
MIN_ACCURACY = 0.95
#: size limits of build_model's network (they bound the grading time): weights with the
#: biases, multiplications without the bias additions (as the notebook states)
MAX_PARAMETERS = 50_000
MAX_MULTIPLICATIONS = 250_000
#: the digits: ten classes of (1, 8, 8) images
NUM_CLASSES = 10
IMAGE_SHAPE = (1, 8, 8)

_FRAMEWORKS = ("torch", "tensorflow", "jax", "keras")
_ACTIVATION_FORBIDDEN = Forbidden(modules=_FRAMEWORKS + ("convcourse.nn", "scipy.special"))
_ACTIVATION_TEXT = "write it with numpy; torch and convcourse.nn (its ReLU layer) are not allowed"
_LOSS_FORBIDDEN = Forbidden(modules=_FRAMEWORKS + ("convcourse.nn", "scipy.special", "sklearn"))
_LOSS_TEXT = ("write it with numpy; scipy.special (softmax, logsumexp), sklearn, torch and "
              "convcourse.nn (its softmax_cross_entropy) are not allowed")
_MODEL_FORBIDDEN = Forbidden(modules=_FRAMEWORKS + ("convcourse.nn.train",))
_MODEL_TEXT = ("build it from the convcourse.nn layers yourself; convcourse.nn.train "
               "(make_cnn, digits_cnn) and torch are not allowed")


def _random_shape(rng, ndim) -> tuple:
    return tuple(int(v) for v in rng.integers(1, 5, size=ndim))


# ------------------------------------------------------------------- ReLU

def _relu_reference(x) -> np.ndarray:
    """The package's ReLU layer, forward."""
    return _as_float(ReLU().forward(_as_float(x)))


def _relu_oracle(x) -> np.ndarray:
    x = _as_float(x)
    return np.where(x > 0, x, 0.0)


def _relu_forward_fixed() -> list:
    return [
        Case("basic", (np.array([-2.0, -0.5, 0.0, 0.5, 3.0]),)),
        Case("basic", (np.array([[[[-1.0, 2.0], [0.0, -3.0]]]]),)),
        Case("shapes", (np.arange(-12.0, 12.0).reshape(2, 3, 2, 2),)),
        Case("shapes", (np.array([[1.5, -1.5, 0.0]], dtype=np.float32),)),
        Case("edge", (-np.ones((3, 4)),)),
        Case("edge", (np.full((2, 1, 3, 3), 2.5),)),
        Case("edge", (np.array([[1e6, -1e6], [1e-6, -1e-6]]),)),
    ]


def _relu_forward_random(rng) -> list:
    cases = [Case("basic", (_normal(rng, _random_shape(rng, 2)),)) for _ in range(2)]
    cases += [Case("shapes", (_normal(rng, _random_shape(rng, 4), dtype),))
              for dtype in (np.float64, np.float32, np.float64)]
    cases.append(Case("edge", (-np.abs(_normal(rng, _random_shape(rng, 3))),)))
    return cases


def _relu_forward_mistakes(case: Case) -> list:
    x = _as_float(case.args[0])
    right = np.where(x > 0, x, 0.0)
    return [
        Mistake("negative values kept", "ReLU sets every negative value to 0: "
                "np.maximum(x, 0)", x),
        Mistake("absolute value", "negative values become 0, not positive: "
                "np.maximum(x, 0), not np.abs(x)", np.abs(x)),
        Mistake("min instead of max", "ReLU keeps the positive part: np.maximum(x, 0), "
                "not np.minimum", np.minimum(x, 0.0)),
        Mistake("the mask returned", "return the values max(x, 0), not the mask x > 0",
                (x > 0).astype(float)),
        Mistake("leaky ReLU", "plain ReLU gives exactly 0 for negative inputs",
                np.where(x > 0, x, 0.01 * x)),
        Mistake("output flattened", "return an array of x's shape", right.ravel()),
    ]


_RELU_FORWARD = Exercise(
    name="relu_forward", arg_names=("x",), groups={"basic": 1, "shapes": 1, "edge": 1},
    forbidden=_ACTIVATION_FORBIDDEN, forbidden_text=_ACTIVATION_TEXT,
    fixed_cases=_relu_forward_fixed, random_cases=_relu_forward_random,
    reference=lambda c: _relu_reference(c.args[0]),
    oracle=lambda c: _relu_oracle(c.args[0]),
    mistakes=_relu_forward_mistakes, default_points=3.0,
)


def _relu_backward_reference(grad_output, x) -> np.ndarray:
    """The package's ReLU layer: forward on x, then backward."""
    layer = ReLU()
    layer.forward(_as_float(x))
    return _as_float(layer.backward(_as_float(grad_output)))


def _relu_backward_fixed() -> list:
    mismatch = "grad_output and x have different shapes"
    # every valid case has entries where the signs of x and grad_output disagree, both ways:
    # there the mask taken from grad_output and no mask at all give different answers
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    g = np.array([[10.0, -20.0, 30.0], [40.0, 50.0, -60.0]])
    return [
        Case("basic", (g, x)),
        Case("basic", (np.array([-1.0, 2.0, -3.0, 4.0]), np.array([0.5, 0.5, -0.5, -0.5]))),
        Case("zeros", (np.array([[-1.0, 2.0, -3.0, 4.0]]), np.array([[0.0, 1.0, -1.0, 0.0]]))),
        Case("zeros", (np.array([[[[-1.0, 2.0], [3.0, -4.0]], [[5.0, -6.0], [-7.0, 8.0]]]]),
                       np.array([[[[0.0, 3.0], [0.0, 0.0]], [[-2.0, 0.0], [0.0, 7.0]]]]))),
        Case("shapes", (np.arange(11.5, -12.0, -1.0).reshape(2, 3, 2, 2),
                        np.arange(-12.0, 12.0).reshape(2, 3, 2, 2) + 0.5)),
        Case("shapes", (np.array([[2.0, -3.0]], dtype=np.float32),
                        np.array([[-1.0, 4.0]], dtype=np.float32))),
        # shapes that numpy would broadcast silently
        Case("errors", (np.ones((2, 3)), np.array([1.0, -1.0, 2.0])), error=ValueError,
             why=mismatch),
        Case("errors", (np.ones((1, 1, 2, 2)), np.arange(-4.0, 4.0).reshape(1, 2, 2, 2)),
             error=ValueError, why=mismatch),
    ]


def _relu_backward_random(rng) -> list:
    cases = []
    for _ in range(2):
        shape = _random_shape(rng, 2)
        cases.append(Case("basic", (_normal(rng, shape), _normal(rng, shape) + 0.0005)))
    for _ in range(2):
        shape = _random_shape(rng, 4)
        # integers from -2 to 2: about one input in five is exactly 0
        x = rng.integers(-2, 3, size=shape).astype(np.float64)
        cases.append(Case("zeros", (_normal(rng, shape), x)))
    for dtype in (np.float64, np.float32):
        shape = _random_shape(rng, 4)
        cases.append(Case("shapes", (_normal(rng, shape, dtype), _normal(rng, shape, dtype))))
    return cases


def _relu_backward_mistakes(case: Case) -> list:
    g, x = (_as_float(a) for a in case.args)
    if g.shape != x.shape:
        return []
    unmasked, masked_by_g = g, np.where(g > 0, g, 0.0)
    # the two differ only where grad_output is negative; a case without such an entry cannot
    # tell them apart, so it names neither (the report would offer both, one of them wrong)
    apart = not np.array_equal(unmasked, masked_by_g)
    return [
        Mistake("gradient passed where x == 0", "the derivative of max(x, 0) at x = 0 is "
                "taken as 0 (as torch does): use the mask x > 0, not x >= 0",
                np.where(x >= 0, g, 0.0)),
        Mistake("gradient passed where x < 0", "where the input was negative ReLU output a "
                "constant 0, so no gradient flows back there: grad_output * (x > 0)",
                unmasked if apart else None),
        Mistake("multiplied by the output instead of the input mask", "multiply grad_output "
                "by the 0/1 mask x > 0, not by relu(x)", g * np.maximum(x, 0.0)),
        Mistake("multiplied by x", "multiply grad_output by the mask x > 0, not by x", g * x),
        Mistake("mask taken from grad_output", "the mask comes from the forward input x: "
                "grad_output * (x > 0)", masked_by_g if apart else None),
        Mistake("arguments swapped", "the signature is relu_backward(grad_output, x)",
                np.where(g > 0, x, 0.0)),
        Mistake("the mask returned", "multiply the mask by grad_output",
                (x > 0).astype(float)),
    ]


_RELU_BACKWARD = Exercise(
    name="relu_backward", arg_names=("grad_output", "x"),
    groups={"basic": 1, "zeros": 1, "shapes": 1, "errors": 1},
    forbidden=_ACTIVATION_FORBIDDEN, forbidden_text=_ACTIVATION_TEXT,
    fixed_cases=_relu_backward_fixed, random_cases=_relu_backward_random,
    reference=lambda c: _relu_backward_reference(*c.args),
    oracle=lambda c: np.where(_as_float(c.args[1]) > 0, _as_float(c.args[0]), 0.0),
    mistakes=_relu_backward_mistakes, default_points=4.0,
)


# ------------------------------------------------------- softmax cross-entropy

class WrongReturnValue(Exception):
    """What the softmax_cross_entropy check reports when the pair returned is unusable."""


def _sce_reference(logits, labels):
    """The package's softmax_cross_entropy, as float64."""
    loss, grad = _package_softmax_cross_entropy(_as_float(logits), np.asarray(labels))
    return float(loss), _as_float(grad)


def _sce_oracle(logits, labels):
    """The same from scipy.special alone (imported here: only 06's checks pay for it)."""
    import scipy.special

    z, y = _as_float(logits), np.asarray(labels)
    n = z.shape[0]
    rows = np.arange(n)
    loss = float(np.mean(scipy.special.logsumexp(z, axis=1) - z[rows, y]))
    grad = scipy.special.softmax(z, axis=1)
    grad[rows, y] -= 1.0
    return loss, grad / n


def _sce_variant(logits, labels, *, reduce="mean", divide=True, onehot=True, axis=1, sign=1.0):
    """A (possibly wrong) softmax cross-entropy, computed stably, for the named mistakes."""
    import scipy.special

    z, y = _as_float(logits), np.asarray(labels)
    n = z.shape[0]
    rows = np.arange(n)
    log_p = z - scipy.special.logsumexp(z, axis=axis, keepdims=True)
    per_sample = -log_p[rows, y]
    if reduce == "mean":
        loss = np.mean(per_sample)
    elif reduce == "sum":
        loss = np.sum(per_sample)
    elif reduce == "none":
        loss = per_sample
    else:
        raise ValueError(f"reduce must be 'mean', 'sum' or 'none', got {reduce!r}")
    grad = np.exp(log_p)
    if onehot:
        grad[rows, y] -= 1.0
    if divide:
        grad = grad / n
    return sign * loss, sign * grad


def _sce_cases_fixed(part: str):
    def fixed() -> list:
        main = part  # the group of ordinary cases: 'loss' or 'gradient'
        out_of_range = "a label is outside [0, K)"
        cases = [
            Case(main, (np.zeros((2, 2)), np.array([0, 1]))),
            Case(main, (np.array([[1.0, 2.0, 3.0]]), np.array([2]))),
            Case(main, (np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0], [1.0, 1.0, 1.0],
                                  [-2.0, 4.0, 0.0]]), np.array([0, 1, 2, 1]))),
            # exp overflows (or every exp underflows to 0) unless each row's maximum is
            # subtracted; no probability of a label is below 1e-300, so log(softmax) works
            Case("large logits", (np.array([[1000.0, 999.0, 998.0], [-1000.0, 1000.0, 990.0]]),
                                  np.array([0, 2]))),
            Case("large logits", (np.array([[-1000.0, -1001.0, -1002.0]]), np.array([1]))),
        ]
        if part == "loss":
            cases += [
                Case("errors", (np.zeros((2, 3)), np.array([0, 1, 2])), error=ValueError,
                     why="labels must have shape (N,), one label per row of logits"),
                Case("errors", (np.zeros((2, 3)), np.array([0, 3])), error=ValueError,
                     why=out_of_range),
                Case("errors", (np.zeros((2, 3)), np.array([-1, 0])), error=ValueError,
                     why=out_of_range),
            ]
        return cases
    return fixed


def _sce_cases_random(part: str):
    def random(rng) -> list:
        cases = []
        for dtype in (np.float64, np.float64, np.float32):
            n, k = int(rng.integers(2, 9)), int(rng.integers(2, 11))
            cases.append(Case(part, (_normal(rng, (n, k), dtype, scale=2.0),
                                     rng.integers(0, k, size=n))))
        for _ in range(2):
            n, k = int(rng.integers(2, 6)), int(rng.integers(2, 8))
            logits = _normal(rng, (n, k), scale=5.0) + float(rng.choice([-1, 1])) * 800.0
            cases.append(Case("large logits", (logits, rng.integers(0, k, size=n))))
        if part == "loss":
            # drawn last, so that the cases above stay those of the seed
            n, k = int(rng.integers(2, 6)), int(rng.integers(2, 8))
            labels = rng.integers(0, k, size=n)
            labels[int(rng.integers(n))] = int(rng.choice([-1, k]))
            cases.append(Case("errors", (_normal(rng, (n, k)), labels), error=ValueError,
                              why="a label is outside [0, K)"))
            cases.append(Case("errors", (_normal(rng, (n, k)), rng.integers(0, k, size=n + 1)),
                              error=ValueError,
                              why="labels must have shape (N,), one label per row of logits"))
        return cases
    return random


def _unpack_sce(result, logits, part: str):
    """The loss (a 0-d array) or the gradient out of the student's pair, or WrongReturnValue."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = "None" if result is None else f"a {type(result).__name__}"
        if isinstance(result, (tuple, list)):
            what += f" of length {len(result)}"
        raise WrongReturnValue(f"softmax_cross_entropy must return a pair (loss, grad); "
                               f"it returned {what}")
    loss, grad = result
    big = float(np.max(np.abs(_as_float(logits)))) if np.size(logits) else 0.0
    hint = (" for logits as large as {:g}: np.exp overflows to inf (or underflows to 0, and "
            "log(0) = -inf). Likely mistake: softmax without max-subtraction (subtract each "
            "row's maximum before np.exp: softmax(z) = softmax(z - max(z)))".format(big)
            if big > 80 else "")
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(loss if part == "loss" else grad)
    except Exception:  # a ragged list
        value = np.asarray(None)
    if value.dtype.kind not in "biuf":
        name = "loss" if part == "loss" else "gradient"
        kind = "a number" if part == "loss" else "an array"
        raise WrongReturnValue(f"the {name} must be {kind}, "
                               f"got a {type(loss if part == 'loss' else grad).__name__}")
    if part == "loss" and value.size == 1:
        value = value.reshape(())
    if not np.all(np.isfinite(value)):
        name = "loss" if part == "loss" else "gradient"
        raise WrongReturnValue(f"the {name} returned contains NaN or infinity{hint}")
    return value


def _adapt_sce(func, part: str):
    """The student's function, returning only the loss or only the gradient."""
    def softmax_cross_entropy(logits, labels):
        return _unpack_sce(func(logits, labels), logits, part)
    return softmax_cross_entropy


def _sce_loss_mistakes(case: Case) -> list:
    z, y = case.args
    v = functools.partial(_sce_variant, z, y)
    return [
        Mistake("loss summed, not averaged", "the loss is the MEAN over the batch: divide "
                "the sum by N", v(reduce="sum")[0]),
        Mistake("loss not averaged: one value per sample", "return one number, the mean "
                "of the per-sample losses", v(reduce="none")[0]),
        Mistake("minus sign missing", "cross-entropy is -log p[label], a positive number",
                -v()[0]),
        Mistake("softmax over the wrong axis", "normalise each ROW (one sample): "
                "sum over axis=1", v(axis=0)[0]),
        Mistake("log base 10", "use the natural logarithm, np.log", v()[0] / np.log(10.0)),
    ]


def _sce_grad_mistakes(case: Case) -> list:
    z, y = case.args
    v = functools.partial(_sce_variant, z, y)
    return [
        Mistake("gradient not divided by the batch size", "the loss is a mean over N samples, "
                "so its gradient is (softmax - onehot) / N", v(divide=False)[1]),
        Mistake("gradient missing the one-hot subtraction", "subtract 1 at each sample's "
                "label: (softmax - onehot(labels)) / N", v(onehot=False)[1]),
        Mistake("gradient missing the one-hot subtraction and the division by N",
                "the gradient is (softmax - onehot(labels)) / N", v(onehot=False, divide=False)[1]),
        Mistake("gradient sign flipped", "the gradient of -log p is softmax - onehot, "
                "not onehot - softmax", -v()[1]),
        Mistake("softmax over the wrong axis", "normalise each ROW (one sample): "
                "sum over axis=1", v(axis=0)[1]),
    ]


def _sce_exercise(part: str) -> Exercise:
    index = 0 if part == "loss" else 1
    return Exercise(
        name="softmax_cross_entropy", arg_names=("logits", "labels"),
        groups=({part: 1, "large logits": 1, "errors": 1} if part == "loss"
                else {part: 1, "large logits": 1}),
        forbidden=_LOSS_FORBIDDEN, forbidden_text=_LOSS_TEXT,
        fixed_cases=_sce_cases_fixed(part), random_cases=_sce_cases_random(part),
        reference=lambda c: np.asarray(_sce_reference(*c.args)[index], dtype=np.float64),
        oracle=lambda c: np.asarray(_sce_oracle(*c.args)[index], dtype=np.float64),
        mistakes=_sce_loss_mistakes if part == "loss" else _sce_grad_mistakes,
        adapt=lambda func: _adapt_sce(func, part),
    )


_SCE_PARTS = {"loss": _sce_exercise("loss"), "gradient": _sce_exercise("gradient")}
_SCE_GROUPS = {"loss": 1, "gradient": 1, "large logits": 1, "errors": 1}


# ------------------------------------------------------------------ the model

_KINDS = {Conv2d: "C", ReLU: "R", MaxPool2d: "P", AvgPool2d: "P", GlobalAvgPool2d: "P",
          Flatten: "F", Linear: "L"}
_STRUCTURE = "((Conv2d -> ReLU) x k -> pooling) x m -> Flatten -> Linear"


@dataclass
class _Finding:
    """One rule a model breaks: the group it costs, a name and an explanation."""

    group: str
    name: str
    text: str


def _layers_of(model):
    """``(layers, finding)``: the layers of a Sequential, read without calling its methods."""
    if type(model) is not Sequential:
        if isinstance(model, Sequential):
            return None, _Finding("model", "not a Sequential", "return a convcourse.nn."
                                  "Sequential itself, not a subclass of it")
        if isinstance(model, (list, tuple)):
            return None, _Finding("model", "not a Sequential", f"build_model returned a "
                                  f"{type(model).__name__} of layers: wrap them, "
                                  "Sequential(*layers)")
        what = "None (did you forget `return`?)" if model is None else \
            f"a {type(model).__module__}.{type(model).__name__}"
        return None, _Finding("model", "not a Sequential", "build_model must return a "
                              f"convcourse.nn.Sequential, it returned {what}")
    layers = vars(model).get("layers")
    if not isinstance(layers, list) or not layers:
        return None, _Finding("model", "empty model", "the Sequential has no layers")
    for i, layer in enumerate(layers):
        if type(layer) not in _KINDS:
            allowed = ", ".join(k.__name__ for k in _KINDS)
            return None, _Finding("model", "unknown layer", f"layer {i} is a "
                                  f"{type(layer).__module__}.{type(layer).__name__}; use only "
                                  f"the convcourse.nn layers {allowed}")
    return layers, None


def _structure_findings(layers) -> list:
    kinds = "".join(_KINDS[type(layer)] for layer in layers)
    names = [type(layer).__name__ for layer in layers]
    found = []
    if "C" not in kinds:
        found.append(_Finding("structure", "no convolution", "a convolutional network needs "
                              "Conv2d layers: " + _STRUCTURE))
    for i, kind in enumerate(kinds):
        if kind == "C" and (i + 1 == len(kinds) or kinds[i + 1] != "R"):
            after = names[i + 1] if i + 1 < len(kinds) else "nothing"
            found.append(_Finding("structure", "no activation after a convolution",
                                  f"layer {i} (Conv2d) is followed by {after}: put a ReLU after "
                                  "every Conv2d (without it, two convolutions in a row are "
                                  "just one linear map)"))
            break
    if "P" not in kinds:
        found.append(_Finding("structure", "no pooling", "end each block of convolutions "
                              "with a pooling layer (MaxPool2d(2) halves the image)"))
    if "F" not in kinds:
        found.append(_Finding("structure", "no Flatten", "put a Flatten between the last "
                              "pooling layer and the Linear layer"))
    if kinds[-1:] != "L":
        found.append(_Finding("structure", "does not end in a Linear layer", "the last layer "
                              "must be a Linear giving the 10 class scores (logits); the loss "
                              f"applies the softmax itself. Your last layer is a {names[-1]}"))
    if not found:
        if not re.fullmatch(r"((CR)+P)+FL(RL)*", kinds):
            found.append(_Finding("structure", "layers out of order", f"expected {_STRUCTURE} "
                                  "(and optionally more ReLU -> Linear at the end); yours is "
                                  + " -> ".join(names)))
    return found


def _describe_shape(shape) -> str:
    return " x ".join(str(v) for v in shape)


def _shape_findings(layers) -> tuple:
    """``(findings, n_parameters, n_multiplications)`` for an 8x8 digit through the layers."""
    shape = IMAGE_SHAPE
    params = mults = 0
    where = "the input digit"
    for i, layer in enumerate(layers):
        a = vars(layer)
        name = f"layer {i} ({type(layer).__name__})"
        if type(layer) is ReLU:
            continue
        if type(layer) is Flatten:
            if (a.get("start_dim"), a.get("end_dim")) != (1, -1):
                return [_Finding("shapes", "Flatten settings", f"{name}: use Flatten() with its "
                                 "defaults (start_dim=1, end_dim=-1)")], params, mults
            if len(shape) == 3:
                where = f"the {_describe_shape(shape)} feature map flattened by layer {i}"
                shape = (math.prod(shape),)
            continue
        if type(layer) is Linear:
            if len(shape) != 1:
                return [_Finding("shapes", "no Flatten", f"{name} receives a "
                                 f"{_describe_shape(shape)} feature map: Flatten it "
                                 "first")], params, mults
            if a["in_features"] != shape[0]:
                return [_Finding("shapes", "flatten size wrong", f"{name} has in_features="
                                 f"{a['in_features']}, but {where} has {shape[0]} values: the "
                                 "in_features of the first Linear is channels x height x width "
                                 "of the last feature map")], params, mults
            params += a["in_features"] * a["out_features"] + (a["out_features"] if
                                                              a.get("bias") is not None else 0)
            mults += a["in_features"] * a["out_features"]
            shape, where = (a["out_features"],), f"layer {i}"
            continue
        if len(shape) != 3:
            return [_Finding("shapes", "layers out of order", f"{name} receives "
                             f"{shape[0]} flat features, not an image")], params, mults
        c, h, w = shape
        if type(layer) is GlobalAvgPool2d:
            shape, where = (c, 1, 1), f"layer {i}"
            continue
        k, s = a["kernel_size"], a["stride"]
        if type(layer) is Conv2d:
            if a["in_channels"] != c:
                source = "the digits have 1 channel" if i == 0 else \
                    f"the layer before gives {c} channels"
                return [_Finding("shapes", "channel mismatch", f"{name} has in_channels="
                                 f"{a['in_channels']}, but {source}")], params, mults
            d = a["dilation"]
            pads = resolve_padding(a["padding"], k, s, d)
            out = tuple(output_length(n, k[j], s[j], pads[j][0], pads[j][1], d[j])
                        for j, n in enumerate((h, w)))
            f, g = a["out_channels"], a["groups"]
            params += f * (c // g) * k[0] * k[1] + (f if a.get("bias") is not None else 0)
            if min(out) >= 1:
                mults += out[0] * out[1] * f * (c // g) * k[0] * k[1]
            new = (f,) + out
        else:  # MaxPool2d, AvgPool2d
            p = a["padding"]
            d = a.get("dilation", (1, 1))
            out = tuple(output_length(n, k[j], s[j], p[j], p[j], d[j], a["ceil_mode"])
                        for j, n in enumerate((h, w)))
            new = (c,) + out
        if min(new[1:]) < 1:
            return [_Finding("shapes", "the image shrinks to nothing", f"{name} receives a "
                             f"{_describe_shape(shape)} feature map and has no room for its "
                             f"{k[0]}x{k[1]} window: an 8x8 digit allows two halvings at most "
                             "(8 -> 4 -> 2); pad the convolutions (padding=1 for 3x3)")],\
                params, mults
        shape, where = new, f"layer {i}"
    if shape != (NUM_CLASSES,):
        return [_Finding("shapes", "wrong number of outputs", f"the model gives "
                         f"{_describe_shape(shape)} values per image; it must give "
                         f"{NUM_CLASSES} class scores (the last Linear's out_features="
                         f"{NUM_CLASSES})")], params, mults
    if params > MAX_PARAMETERS or mults > MAX_MULTIPLICATIONS:
        return [_Finding("shapes", "model too large", f"{params:,} weights (biases included) "
                         f"and {mults:,} multiplications per image; the limits are "
                         f"{MAX_PARAMETERS:,} and "
                         f"{MAX_MULTIPLICATIONS:,} (fewer channels, or pool earlier)")], \
            params, mults
    return [], params, mults


def rebuild_model(model, *, rng=0):
    """A fresh copy of ``model`` from its layers' types and hyperparameters only.

    The model's methods are never called: the hyperparameters are read with
    ``vars(layer)`` and new :mod:`convcourse.nn` layers are built from them,
    with new weights drawn from ``rng``.

    Parameters
    ----------
    model : Sequential
        Layers of the types :class:`~convcourse.nn.Conv2d`, ``ReLU``,
        ``MaxPool2d``, ``AvgPool2d``, ``GlobalAvgPool2d``, ``Flatten``, ``Linear``.
    rng : numpy.random.Generator or int, optional
        Seeds the new weights, layer after layer (default 0).

    Returns
    -------
    Sequential

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential of those layer types.

    Examples
    --------
    >>> model = Sequential(Conv2d(1, 4, 3, padding=1, rng=5), ReLU(), MaxPool2d(2),
    ...                    Flatten(), Linear(64, 10, rng=5))
    >>> copy = rebuild_model(model)
    >>> copy
    Sequential(
      (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (1): ReLU()
      (2): MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)
      (3): Flatten(start_dim=1, end_dim=-1)
      (4): Linear(in_features=64, out_features=10, bias=True)
    )
    >>> bool(np.all(copy[0].weight.data == model[0].weight.data))
    False
    """
    layers, finding = _layers_of(model)
    if finding is not None:
        raise TypeError(f"model: {finding.text}")
    rng = np.random.default_rng(rng)
    new = []
    for layer in layers:
        a, kind = vars(layer), type(layer)
        if kind is Conv2d:
            new.append(Conv2d(a["in_channels"], a["out_channels"], a["kernel_size"],
                              stride=a["stride"], padding=a["padding"], dilation=a["dilation"],
                              groups=a["groups"], bias=a.get("bias") is not None, rng=rng))
        elif kind is Linear:
            new.append(Linear(a["in_features"], a["out_features"],
                              bias=a.get("bias") is not None, rng=rng))
        elif kind is MaxPool2d:
            new.append(MaxPool2d(a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                                 a["ceil_mode"]))
        elif kind is AvgPool2d:
            new.append(AvgPool2d(a["kernel_size"], a["stride"], a["padding"], a["ceil_mode"],
                                 a["count_include_pad"]))
        elif kind is Flatten:
            new.append(Flatten(a["start_dim"], a["end_dim"]))
        elif kind in (ReLU, GlobalAvgPool2d):
            new.append(kind())
        else:  # pragma: no cover - _layers_of admits only the kinds above
            raise TypeError(f"cannot rebuild a layer of type {kind.__name__}")
    return Sequential(*new)


def describe_model(model) -> dict:
    """What the build_model check sees in ``model``, without training it.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    dict
        ``findings``: list of ``(group, mistake name, explanation)`` for every
        rule broken (empty for a model of the required structure and shapes);
        ``parameters`` and ``multiplications``: its size for one 8x8 digit
        (``None`` when the layers cannot be read).

    Examples
    --------
    >>> model = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2),
    ...                    Flatten(), Linear(8 * 4 * 4, 10))
    >>> info = describe_model(model)
    >>> info["findings"], info["parameters"], info["multiplications"]
    ([], 1370, 5888)
    >>> describe_model(Sequential(Flatten(), Linear(64, 10)))["findings"][0][1]
    'no convolution'
    """
    layers, finding = _layers_of(model)
    if finding is not None:
        return {"findings": [(finding.group, finding.name, finding.text)],
                "parameters": None, "multiplications": None}
    found = _structure_findings(layers)
    try:
        shape_found, params, mults = _shape_findings(layers)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        shape_found, params, mults = [_Finding("shapes", "unreadable layer", f"a layer's "
                                               f"settings could not be read ({exc})")], None, None
    found += shape_found
    return {"findings": [(f.group, f.name, f.text) for f in found],
            "parameters": params, "multiplications": mults}


@functools.lru_cache(maxsize=1)
def _digits_split():
    images, labels = load_digits()
    return train_test_split(images, labels, seed=0)


#: ``(accuracy, history)`` of the models this process has trained, by :func:`_start_key`
#: (a grading process judges many notebooks, and a class's models are often the same)
_TRAINED: dict = {}
_TRAINED_KEEP = 32


def _train_and_score(model) -> tuple:
    """``(accuracy, history)`` of a rebuilt ``model`` trained with the fixed recipe.

    Training is a function of the rebuilt model's starting state alone (the data, the
    split and the recipe are fixed), so a model that starts where one trained before in
    this process gets that training's result: the same numbers, without the 3 to 4 s.
    """
    x_train, x_test, y_train, y_test = _digits_split()
    fresh = rebuild_model(model, rng=0)
    key = _start_key(fresh)
    if key not in _TRAINED:
        history = fit(fresh, x_train, y_train, **DIGITS_RECIPE)
        if len(_TRAINED) >= _TRAINED_KEEP:
            del _TRAINED[next(iter(_TRAINED))]
        _TRAINED[key] = (accuracy(fresh, x_test, y_test), tuple(history))
    score, history = _TRAINED[key]
    return score, list(history)


def _start_key(model) -> str:
    """A digest of everything a model's training starts from: each layer's type and
    attributes, its parameters' values (dtype, shape, bytes), in order
    (:func:`convcourse.nn._replay.feed_model`, which raises a TypeError for anything it
    cannot hash by value; rebuild_model makes nothing else)."""
    import hashlib

    digest = hashlib.sha256()
    feed_model(digest, model)
    return digest.hexdigest()


_MODEL_GROUPS = {"model": 1, "structure": 1, "shapes": 1, "accuracy": 1}


def _run_build_model(ex: Exercise, func, *, seed: int, points: float, title: str = "",
                     notes=(), full=False) -> Outcome:
    """The runner of build_model (and of its visible check, which has no 'accuracy' group)."""
    train = "accuracy" in ex.groups
    res = call_student(func, (), {}, forbidden=_MODEL_FORBIDDEN, time_limit=5.0)
    failures: dict = {}
    if res.timed_out:
        failures["model"] = [_Finding("model", "too slow", "build_model() did not finish "
                                      "within 5 s")]
    elif res.forbidden:
        failures["model"] = [_Finding("model", "forbidden call", f"build_model calls "
                                      f"{res.forbidden}, which this exercise does not allow: "
                                      f"{_MODEL_TEXT}")]
    elif res.error is not None:
        failures["model"] = [_Finding("model", "error", f"build_model() raised "
                                      f"{res.error_summary}")]
    info = None
    if not failures:
        info = describe_model(res.value)
        for group, name, text in info["findings"]:
            failures.setdefault(group, []).append(_Finding(group, name, text))
    accuracy_note = ""
    if "model" in failures:
        for group in list(_MODEL_GROUPS)[1:]:
            failures.setdefault(group, [_Finding(group, "", "not checked: build_model() "
                                                 "gave no usable model")])
    elif not train:
        accuracy_note = "not run here: the graded check trains your model"
    elif failures:
        failures["accuracy"] = [_Finding("accuracy", "", "not trained: fix the structure "
                                         "and shapes first")]
    else:
        score, history = _train_and_score(res.value)
        accuracy_note = (f"held-out accuracy {score:.1%} after {len(history)} epochs "
                         f"(final training loss {history[-1]:.3f})")
        if score < MIN_ACCURACY:
            failures["accuracy"] = [_Finding("accuracy", "accuracy below 95%", f"rebuilt and "
                                             f"trained with the fixed recipe, your model "
                                             f"reaches {score:.1%} held-out accuracy; it needs "
                                             f"{MIN_ACCURACY:.0%} (more channels, or a second "
                                             "block of convolutions)")]
    groups = ex.groups
    results = []
    for group in groups:
        found = failures.get(group, [])
        mistakes = [Mistake(f.name, f.text, None) for f in found if f.name]
        lines = [(f"likely mistake: {f.name} ({f.text})" if f.name else f.text) for f in found]
        message = f"[{group}] build_model()\n    " + "\n    ".join(lines) if found else ""
        results.append(CaseResult(Case(group, ()), not found, message, mistakes))
    group_passed = {g: g not in failures for g in groups}
    outcome = Outcome("build_model", 0, results, group_passed, ex.score(group_passed, points),
                      float(points), warnings=list(res.warnings))
    extra = list(notes)
    if info is not None and info["parameters"] is not None:
        extra.append(f"(your model: {info['parameters']:,} weights, biases included; "
                     f"{info['multiplications']:,} multiplications per 8x8 digit)")
    if accuracy_note:
        extra.append(f"(accuracy: {accuracy_note})")
    outcome.report = _report(ex, outcome, title, extra)
    return outcome


# ------------------------------------------------- softmax cross-entropy runner

def _run_softmax(ex: Exercise, func, *, seed: int, points: float, title: str = "", notes=(),
                 full=False) -> Outcome:
    """The runner of softmax_cross_entropy: its two part exercises, merged."""
    parts = {part: run_exercise(part_ex, func, seed=seed, points=1.0, full=full)
             for part, part_ex in _SCE_PARTS.items()}
    group_passed = {}
    for group in _SCE_GROUPS:
        verdicts = [o.group_passed[group] for o in parts.values() if group in o.group_passed]
        group_passed[group] = all(verdicts)
    results = parts["loss"].results + parts["gradient"].results
    warned = []
    for o in parts.values():
        warned += [w for w in o.warnings if w not in warned]
    outcome = Outcome("softmax_cross_entropy", seed, results, group_passed,
                      ex.score(group_passed, points), float(points), warnings=warned)
    loss_messages = {r.message for r in parts["loss"].results if not r.passed}
    gradient_only = [r for r in parts["gradient"].results
                     if not r.passed and r.message not in loss_messages]
    sections = [("The loss (the first value returned):", parts["loss"].results),
                ("The gradient (the second value returned):", gradient_only)]
    outcome.report = _report(ex, outcome, title, notes, sections=sections)
    return outcome


# ---------------------------------------------------------------- registry

def _registry_softmax() -> Exercise:
    """softmax_cross_entropy: the cases of both parts, run by :func:`_run_softmax`."""
    loss, gradient = _SCE_PARTS["loss"], _SCE_PARTS["gradient"]
    return Exercise(
        name="softmax_cross_entropy", arg_names=("logits", "labels"), groups=_SCE_GROUPS,
        forbidden=_LOSS_FORBIDDEN, forbidden_text=_LOSS_TEXT,
        fixed_cases=lambda: loss.fixed_cases() + [c for c in gradient.fixed_cases()
                                                  if c.group == "gradient"],
        random_cases=lambda rng: _sce_both_random(rng),
        runner=_run_softmax, default_points=float(len(_SCE_GROUPS)),
    )


def _sce_both_random(rng) -> list:
    seed_state = rng.bit_generator.state
    loss_cases = _SCE_PARTS["loss"].random_cases(rng)
    rng.bit_generator.state = seed_state
    return loss_cases + [c for c in _SCE_PARTS["gradient"].random_cases(rng)
                         if c.group == "gradient"]


def _model_exercise(groups, **extra) -> Exercise:
    return Exercise(
        name="build_model", arg_names=(), groups=groups,
        forbidden=_MODEL_FORBIDDEN, forbidden_text=_MODEL_TEXT,
        fixed_cases=lambda: [Case(g, ()) for g in groups], random_cases=lambda rng: [],
        runner=_run_build_model, seeded=False, default_points=float(sum(groups.values())),
        time_limit=5.0, **extra)


_BUILD_MODEL = _model_exercise(_MODEL_GROUPS, visible=_model_exercise(
    # the visible cell reads the architecture only; the hidden one trains
    {g: w for g, w in _MODEL_GROUPS.items() if g != "accuracy"},
    passed_message="build_model: the architecture passes every rule (model, structure, "
                   f"shapes). The graded check also trains it and needs {MIN_ACCURACY:.0%} "
                   "held-out accuracy."))

#: every exercise of the assignment, by function name
EXERCISES = {ex.name: ex for ex in (_RELU_FORWARD, _RELU_BACKWARD, _registry_softmax(),
                                    _BUILD_MODEL)}


# -------------------------------------------------------------------- checks

check_relu_forward = make_check(
    EXERCISES, "relu_forward", "max(x, 0) element-wise, x's shape.", __name__)
check_relu_backward = make_check(
    EXERCISES, "relu_backward", "grad_output * (x > 0); ValueError when the shapes differ.",
    __name__)
check_softmax_cross_entropy = make_check(
    EXERCISES, "softmax_cross_entropy",
    "the pair (mean loss, gradient with respect to the logits).", __name__,
    answer="The loss (any real scalar) and the gradient (shape (N, K)) are compared "
    "separately, each\n    within ``1e-5 * (1 + max|expected|) + 1e-4 * |expected|``; a "
    "NaN or infinity fails the case.")
check_build_model = make_check(
    EXERCISES, "build_model",
    "a convcourse.nn.Sequential of the structure ((Conv2d -> ReLU) x k -> pooling) x m "
    "-> Flatten -> Linear that reaches 95% on the digits.", __name__,
    answer="The model's methods are never called: its layers' types and hyperparameters "
    "are read,\n    a fresh copy is built (weights seeded with 0) and trained with "
    "``DIGITS_RECIPE`` on\n    ``train_test_split(*load_digits(), seed=0)``.  The visible "
    "form checks the architecture\n    only (model, structure, shapes); the hidden form also "
    f"trains.  At most {MAX_PARAMETERS:,}\n    weights (biases included) and "
    f"{MAX_MULTIPLICATIONS:,} multiplications per digit (bias additions not counted).")

reproduce = make_reproduce(EXERCISES, __name__)
