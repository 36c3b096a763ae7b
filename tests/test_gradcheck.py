"""Tests for convcourse.gradcheck: central differences against analytic gradients."""

import numpy as np
import pytest
import scipy.signal

from convcourse.gradcheck import numerical_gradient, rel_error


# --- numerical_gradient -----------------------------------------------------------------

@pytest.mark.parametrize(
    "f, grad",
    [
        (lambda x: np.sum(x ** 2), lambda x: 2 * x),
        (lambda x: np.sum(np.sin(x) * x), lambda x: np.cos(x) * x + np.sin(x)),
        (lambda x: np.log(np.sum(np.exp(x))), lambda x: np.exp(x) / np.sum(np.exp(x))),
        (lambda x: float(x.prod()), lambda x: x.prod() / x),
    ],
)
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 1, 2, 2)])
def test_scalar_functions(f, grad, shape, rng):
    x = rng.uniform(0.5, 1.5, size=shape)
    got = numerical_gradient(f, x)
    assert got.shape == shape and got.dtype == np.float64
    assert rel_error(got, grad(x)) < 1e-8


def test_matrix_product_vjp(rng):
    """f(X) = X @ W: the vector-Jacobian product with G is G @ W.T."""
    x, w, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    got = numerical_gradient(lambda v: v @ w, x, grad_output=g)
    np.testing.assert_allclose(got, g @ w.T, atol=1e-8)
    got_w = numerical_gradient(lambda v: x @ v, w, grad_output=g)
    np.testing.assert_allclose(got_w, x.T @ g, atol=1e-8)


def test_correlation_vjp_is_full_convolution(rng):
    """The gradient of a 'valid' correlation w.r.t. the image is the 'full' convolution with G."""
    image, kernel = rng.standard_normal((6, 5)), rng.standard_normal((3, 2))
    g = rng.standard_normal((4, 4))
    got = numerical_gradient(lambda v: scipy.signal.correlate2d(v, kernel, "valid"), image, g)
    np.testing.assert_allclose(got, scipy.signal.convolve2d(g, kernel, "full"), atol=1e-8)
    got_k = numerical_gradient(lambda v: scipy.signal.correlate2d(image, v, "valid"), kernel, g)
    np.testing.assert_allclose(got_k, scipy.signal.correlate2d(image, g, "valid"), atol=1e-8)


def test_hand_worked_values():
    x = np.array([1.0, 2.0, -1.0])
    # f = x0 * x1 + x2^2 -> (x1, x0, 2 x2)
    got = numerical_gradient(lambda v: v[0] * v[1] + v[2] ** 2, x)
    np.testing.assert_allclose(got, [2.0, 1.0, -2.0], atol=1e-8)
    # elementwise square with grad_output (1, 10, 100): (2, 40, -200)
    got = numerical_gradient(lambda v: v ** 2, x, grad_output=np.array([1.0, 10.0, 100.0]))
    np.testing.assert_allclose(got, [2.0, 40.0, -200.0], atol=1e-6)


def test_zero_dimensional_x_and_scalar_grad_output():
    x = np.array(3.0)
    np.testing.assert_allclose(numerical_gradient(lambda v: v ** 2, x), 6.0, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: v ** 2, x, grad_output=2.0), 12.0, atol=1e-7)


def test_relu_kink_averages_both_sides():
    x = np.array([-1.0, 0.0, 2.0])
    got = numerical_gradient(lambda v: np.sum(np.maximum(v, 0)), x)
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0], atol=1e-9)


def test_x_restored_and_perturbed_in_place(rng):
    x = rng.standard_normal((3, 3))
    before = x.copy()
    seen = []

    def f(v):
        seen.append(v is x)
        return float(np.sum(v))

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert all(seen) and len(seen) == 1 + 2 * x.size


def test_x_restored_when_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(calls[2], [1.0 - 1e-6, 2.0])


def test_non_contiguous_view(rng):
    base = rng.standard_normal((4, 6))
    x = base[:, ::2]
    got = numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(got, 3 * x ** 2, rtol=1e-7)


def test_accuracy_depends_on_eps(rng):
    x = rng.uniform(0.5, 1.5, size=4)
    exact = np.exp(x)
    good = rel_error(numerical_gradient(lambda v: np.sum(np.exp(v)), x), exact)
    coarse = rel_error(numerical_gradient(lambda v: np.sum(np.exp(v)), x, eps=1e-1), exact)
    assert good < 1e-9 < 1e-4 < coarse    # truncation error grows like eps**2


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.sum, [1.0, 2.0]), {}, TypeError, r"x must be a floating-point numpy array.*\[1\.0, 2\.0\]"),
        ((np.sum, np.array([1, 2])), {}, TypeError, r"x must be a floating-point.*int64"),
        (("sum", np.ones(2)), {}, TypeError, r"f must be callable, got 'sum'"),
        ((lambda v: v * 2, np.ones(2)), {}, ValueError, r"f returns an array of shape \(2,\): pass grad_output"),
        ((lambda v: v * 2, np.ones(2)), {"grad_output": np.ones(3)}, ValueError, r"grad_output must have the shape of f\(x\), \(2,\), got shape \(3,\)"),
        ((np.sum, np.ones(2)), {"grad_output": np.ones(2)}, ValueError, r"grad_output must have the shape of f\(x\), \(\), got shape \(2,\)"),
        ((np.sum, np.ones(2)), {"eps": 0.0}, ValueError, r"eps must be a finite number > 0, got 0\.0"),
        ((np.sum, np.ones(2)), {"eps": "1e-6"}, TypeError, r"eps must be a real number, got '1e-6'"),
        ((lambda v: "a", np.ones(2)), {}, TypeError, r"f must return real values, got dtype <U1"),
        ((lambda v: v * 1j, np.ones(2)), {"grad_output": np.ones(2)}, TypeError, r"f must return real values.*complex128"),
        ((np.sum, np.ones(2)), {"grad_output": np.array("x")}, TypeError, r"grad_output must be real-valued, got dtype <U1"),
    ],
)
def test_numerical_gradient_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        numerical_gradient(*args, **kwargs)


def test_numerical_gradient_rejects_read_only_and_changing_shapes():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="x must be writeable"):
        numerical_gradient(np.sum, x)
    calls = []

    def growing(v):
        calls.append(None)
        return np.ones(len(calls))            # shape (1,), then (2,), ...

    with pytest.raises(ValueError, match=r"same shape for every x, got \(1,\) and then \(2,\)"):
        numerical_gradient(growing, np.ones(2), grad_output=np.ones(1))


# --- rel_error ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([1.0, 2.0], [1.0, 2.0], 0.0),
        ([0.0, 0.0], [0.0, 0.0], 0.0),
        ([1.0, -1.0], [-1.0, 1.0], 1.0),
        ([2.0, 0.0], [2.0, 1e-3], 1e-3 / 4.0),      # largest diff over largest |a|+|b|
        ([[1.0, 3.0]], [[1.5, 3.0]], 0.5 / 6.0),
        (5.0, 4.0, 1.0 / 9.0),
        ([1, 2], [1, 3], 1.0 / 5.0),                # integers accepted
        ([], [], 0.0),
    ],
)
def test_rel_error_hand_worked(a, b, expected):
    assert rel_error(a, b) == pytest.approx(expected, rel=1e-12, abs=0)
    assert rel_error(b, a) == pytest.approx(expected, rel=1e-12, abs=0)
    assert isinstance(rel_error(a, b), float)


def test_rel_error_scale_invariant_and_bounded(rng):
    a, b = rng.standard_normal(10), rng.standard_normal(10)
    assert rel_error(1e-20 * a, 1e-20 * b) == pytest.approx(rel_error(a, b))
    assert 0.0 < rel_error(a, b) <= 1.0
    assert np.isnan(rel_error([np.nan], [1.0]))


@pytest.mark.parametrize(
    "a, b, error, match",
    [
        (np.ones(3), np.ones(4), ValueError, r"a and b must have the same shape, got \(3,\) and \(4,\)"),
        (np.ones(3), np.ones(3, complex), TypeError, r"b must be a real-valued array, got dtype complex128"),
        (["x"], [1.0], TypeError, r"a must be a real-valued array, got dtype <U1"),
    ],
)
def test_rel_error_rejects(a, b, error, match):
    with pytest.raises(error, match=match):
        rel_error(a, b)
