"""What the case builders of every assignment share: arrays and int-or-pair values.

One copy of each helper for the six assignment modules (``convolution``,
``conv_layer``, ``pooling``, ``backprop``, ``separable``, ``cnn``).  The random
values are rounded so that a case printed in a report can be typed back in;
changing how they are drawn changes every seed's cases (and so the sample
class's expected grades), so change them only on purpose.
"""

from __future__ import annotations

import numpy as np

from .._validation import ntuple

__all__ = ["as_float", "arange", "normal", "pair"]


def as_float(a) -> np.ndarray:
    """``a`` as a float64 array (the dtype every expected answer is compared in).

    Examples
    --------
    >>> as_float([1, 2]).dtype
    dtype('float64')
    """
    return np.asarray(a, dtype=np.float64)


def arange(shape, start=1) -> np.ndarray:
    """``start, start + 1, ...`` in ``shape``: a hand-checkable array with no two values equal.

    Examples
    --------
    >>> arange((2, 2))
    array([[1., 2.],
           [3., 4.]])
    """
    return np.arange(start, start + int(np.prod(shape)), dtype=np.float64).reshape(shape)


def normal(rng, shape, dtype=np.float64, *, decimals: int = 3, scale: float = 1.0) -> np.ndarray:
    """Standard normal values rounded to ``decimals`` places, times ``scale``, as ``dtype``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The case generator (seeded from the submission).
    shape : tuple of int
        Shape of the array.
    dtype : numpy dtype, optional
        Dtype of the result (default float64).
    decimals : int, optional
        Decimal places kept (default 3), so a printed case can be retyped.
    scale : float, optional
        Factor applied after rounding (default 1.0).

    Returns
    -------
    ndarray of ``shape``

    Examples
    --------
    >>> normal(np.random.default_rng(0), (2,))
    array([ 0.126, -0.132])
    """
    return (np.round(rng.normal(size=shape), decimals) * scale).astype(dtype)


def pair(value, name: str = "value") -> tuple:
    """An int or a pair as ``(rows, columns)``: :func:`convcourse._validation.ntuple`, any sign.

    The case builders pass negative paddings to error cases, so no minimum is
    imposed here.

    Examples
    --------
    >>> pair(2, "stride"), pair((1, 3), "stride")
    ((2, 2), (1, 3))
    """
    return ntuple(value, 2, name, minimum=None)
