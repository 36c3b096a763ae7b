"""softmax_cross_entropy: hand-worked values, stability, gradient, torch, validation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcourse.gradcheck import numerical_gradient
from convcourse.nn import softmax_cross_entropy, softmax_cross_entropy_naive

BOTH = pytest.mark.parametrize("fn", [softmax_cross_entropy, softmax_cross_entropy_naive],
                               ids=["vectorised", "naive"])


@BOTH
def test_two_class_hand_worked(fn):
    # sample 0: logits (log 3, 0) -> p = (3/4, 1/4), label 0 -> -log(3/4)
    # sample 1: logits (0, 0)     -> p = (1/2, 1/2), label 1 -> log 2
    logits = np.array([[math.log(3.0), 0.0], [0.0, 0.0]])
    loss, grad = fn(logits, np.array([0, 1]))
    assert loss == pytest.approx((-math.log(0.75) + math.log(2.0)) / 2, abs=1e-12)
    np.testing.assert_allclose(grad, [[(0.75 - 1) / 2, 0.25 / 2], [0.5 / 2, (0.5 - 1) / 2]],
                               atol=1e-12)


@BOTH
def test_stable_for_huge_logits(fn):
    logits = np.array([[1000.0, 0.0, -1000.0], [-5e4, 5e4, 0.0]])
    loss, grad = fn(logits, np.array([0, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # sample 0 is certain and right (loss 0); sample 1 is wrong by 1e5
    assert loss == pytest.approx(1e5 / 2)
    np.testing.assert_allclose(grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-12)


def test_gradient_matches_central_differences(rng):
    logits = rng.standard_normal((4, 5))
    labels = rng.integers(0, 5, size=4)
    _, grad = softmax_cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, labels)[0], logits)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


@settings(max_examples=25)
@given(n=st.integers(1, 6), k=st.integers(1, 7), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([0.1, 1.0, 30.0]))
def test_naive_equals_vectorised(n, k, seed, scale):
    r = np.random.default_rng(seed)
    logits = scale * r.standard_normal((n, k))
    labels = r.integers(0, k, size=n)
    loss, grad = softmax_cross_entropy(logits, labels)
    loss_n, grad_n = softmax_cross_entropy_naive(logits, labels)
    assert loss == pytest.approx(loss_n, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, grad_n, atol=1e-12)
    # each row of the gradient sums to zero (softmax sums to one)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (16, 10)])
def test_matches_torch_cross_entropy(rng, shape):
    torch = pytest.importorskip("torch")
    logits = 3 * rng.standard_normal(shape)
    labels = rng.integers(0, shape[1], size=shape[0])
    loss, grad = softmax_cross_entropy(logits, labels)
    tz = torch.from_numpy(logits.copy()).requires_grad_(True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.from_numpy(labels))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, tz.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_keeps_dtype_and_loss_is_a_float(dtype):
    loss, grad = softmax_cross_entropy(np.zeros((2, 3), dtype=dtype), np.array([0, 2]))
    assert isinstance(loss, float) and grad.dtype == dtype


@BOTH
@pytest.mark.parametrize("logits, labels, exc, match", [
    (np.zeros((2, 3)), np.array([0, 3]), ValueError, r"labels must be class indices in \[0, 2\], got 3"),
    (np.zeros((2, 3)), np.array([-1, 0]), ValueError, r"labels must be class indices .* got -1"),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError, "labels must be an array of ints .* float64"),
    (np.zeros((2, 3)), np.array([True, False]), TypeError, "labels must be .* bool"),
    (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError, r"labels must have shape \(2,\) .* got shape \(3,\)"),
    (np.zeros((2, 3)), np.array([[0], [1]]), ValueError, r"labels must have shape \(2,\) .* got shape \(2, 1\)"),
    (np.zeros(3), np.array([0]), ValueError, r"logits must be a 2-D array .* got shape \(3,\)"),
    (np.zeros((2, 3), dtype=complex), np.array([0, 1]), TypeError, "logits must be .* complex128"),
    (np.zeros((0, 3)), np.zeros(0, dtype=int), ValueError, r"logits must have at least one row .* \(0, 3\)"),
])
def test_rejects_bad_input(fn, logits, labels, exc, match):
    with pytest.raises(exc, match=match):
        fn(logits, labels)
