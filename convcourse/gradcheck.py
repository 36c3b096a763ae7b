"""Gradient checking: central-difference gradients and a relative error.

Every backward function in the package is tested against
:func:`numerical_gradient`; :func:`rel_error` says how close two gradients are.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import _describe, as_array

__all__ = ["numerical_gradient", "rel_error"]


def _as_output(value):
    out = as_array(value, "the value f returns")
    if out.dtype.kind not in "biuf":
        raise TypeError(f"f must return real values, got dtype {out.dtype}")
    return out


def numerical_gradient(f, x, grad_output=None, eps=1e-6):
    """Gradient of ``f`` at ``x`` by central differences.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar, or an array (any shape ``S``).  It is
        called ``2 x.size`` times with ``x`` perturbed in place (one element
        at a time), so it must read the array it is given.
    x : ndarray, shape (...)
        A floating-point array (use float64: ``eps=1e-6`` is below float32
        resolution).  Perturbed in place and restored, even if ``f`` raises.
    grad_output : ndarray, shape S, optional
        Required when ``f`` returns an array: the upstream gradient
        ``dL/df``.  Must be omitted (or a scalar) when ``f`` returns a scalar.
    eps : float, optional
        Step, > 0.  Default ``1e-6``.

    Returns
    -------
    ndarray, shape of x
        ``dL/dx``: the gradient of the scalar ``f``, or the vector-Jacobian
        product ``grad_output^T J`` of an array-valued ``f``; float64.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a floating ndarray, ``eps`` is
        not a number, or ``f`` returns non-real values.
    ValueError
        If ``eps`` is not finite and > 0, ``f`` returns an array but no
        ``grad_output`` is given, or ``grad_output`` has another shape than
        ``f(x)``.

    Notes
    -----
    For each element :math:`x_i`, with :math:`e_i` the unit vector,

    .. math:: \\frac{\\partial L}{\\partial x_i} \\approx
              \\sum_j g_j\\, \\frac{f_j(x + \\varepsilon e_i) - f_j(x - \\varepsilon e_i)}
              {2\\varepsilon}

    with ``g = grad_output`` (``g = 1`` for a scalar ``f``).  The error is
    ``O(eps^2)`` from truncation plus ``O(u/eps)`` from rounding (``u`` the
    unit roundoff), so ``eps = 1e-6`` gives about 1e-9 relative accuracy in
    float64 for smooth ``f``.  At a kink (``max``, ``relu``, a tie in max
    pooling) the two sides disagree and the estimate is their average.

    Examples
    --------
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> numerical_gradient(lambda v: np.sum(v ** 2), x).round(6)      # 2 x
    array([ 2., -4.,  6.])
    >>> numerical_gradient(lambda v: v ** 3, x, grad_output=np.ones(3)).round(6)
    array([ 3., 12., 27.])
    >>> x                                                            # restored
    array([ 1., -2.,  3.])
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {_describe(f)}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            f"x must be a floating-point numpy array (it is perturbed in place), got {_describe(x)}"
        )
    if not x.flags.writeable:
        raise ValueError("x must be writeable: it is perturbed in place and restored")
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number, got {_describe(eps)}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")

    out_shape = _as_output(f(x)).shape
    if grad_output is None:
        if out_shape != ():
            raise ValueError(
                f"f returns an array of shape {out_shape}: pass grad_output of that shape "
                f"(the upstream gradient), got grad_output=None"
            )
        g = np.float64(1.0)
    else:
        g = np.asarray(grad_output)
        if g.dtype.kind not in "biuf":
            raise TypeError(f"grad_output must be real-valued, got dtype {g.dtype}")
        if g.shape != out_shape:
            raise ValueError(
                f"grad_output must have the shape of f(x), {out_shape}, got shape {g.shape}"
            )
        g = g.astype(np.float64)

    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + eps
            plus = _as_output(f(x)).astype(np.float64)
            x[index] = original - eps
            minus = _as_output(f(x)).astype(np.float64)
        finally:
            x[index] = original
        if plus.shape != out_shape or minus.shape != out_shape:
            raise ValueError(
                f"f must return the same shape for every x, got {out_shape} and then "
                f"{plus.shape if plus.shape != out_shape else minus.shape}"
            )
        grad[index] = np.sum(g * (plus - minus)) / (2.0 * eps)
    return grad


def rel_error(a, b):
    """Relative error between two arrays, for comparing gradients.

    Parameters
    ----------
    a, b : array_like, shape (...)
        Real arrays of the same shape (scalars allowed).

    Returns
    -------
    float
        0 when equal, NaN when either holds a NaN.  Roughly: below 1e-7 is excellent agreement in float64,
        1e-4 suspicious, above 1e-2 a bug.

    Raises
    ------
    TypeError
        If an input is not real-valued.
    ValueError
        If the shapes differ.

    Notes
    -----
    .. math:: \\text{rel\\_error}(a, b) = \\frac{\\max_i |a_i - b_i|}
              {\\max\\left(\\max_i (|a_i| + |b_i|),\\ \\text{tiny}\\right)}

    with ``tiny`` the smallest positive normal float64 (so two zero arrays
    give 0, not NaN).  The largest difference is scaled by the largest
    magnitude, not element by element, so gradients with many (near-)zero
    entries, as after a ReLU or a max pooling, are not penalised for
    rounding noise in those entries.  It is symmetric and at most 1.

    Examples
    --------
    >>> rel_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> rel_error([1.0, 0.0], [1.0, 1e-6])                 # 1e-6 / 2
    5e-07
    >>> rel_error([1.0, -1.0], [-1.0, 1.0])
    1.0
    """
    arrays = []
    for value, name in ((a, "a"), (b, "b")):
        arr = as_array(value, name)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
        arrays.append(arr.astype(np.float64))
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    numerator = np.max(np.abs(a - b))
    denominator = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(numerator / denominator)
