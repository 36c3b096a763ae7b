"""Independent oracles of the 2-D correlation and convolution, in numpy alone.

The checks cross-check the reference (``convcourse.conv``, ``convcourse.filtering``,
``convcourse.pooling``) against an oracle computed another way: every window of the input
as a strided view (``sliding_window_view``), multiplied by the kernel and summed
(``np.einsum``), with the semantics of ``scipy.signal.correlate2d`` and ``convolve2d``
(``boundary='fill'``, zeros; modes ``'full'``, ``'same'`` and ``'valid'``).  The oracle
was ``scipy.signal`` itself, but importing it (scipy.stats, scipy.interpolate, ...) took
1 to 3 s of every graded notebook's kernel; ``tests/test_grading_oracle.py`` checks these
against ``scipy.signal`` on every mode and every small shape.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_MODES = ("full", "same", "valid")


def correlate2d(in1, in2, mode: str = "valid") -> np.ndarray:
    """2-D cross-correlation of real arrays, as ``scipy.signal.correlate2d``.

    Parameters
    ----------
    in1 : array_like, shape (H, W)
    in2 : array_like, shape (kh, kw)
    mode : {'full', 'same', 'valid'}
        ``'valid'`` needs one input at least as large as the other on both axes (when
        ``in2`` is the larger, the result is ``correlate2d(in2, in1)`` reversed, as scipy's).

    Returns
    -------
    ndarray of float64, shape (H + kh - 1, W + kw - 1), (H, W) or
        (|H - kh| + 1, |W - kw| + 1)

    Examples
    --------
    >>> correlate2d([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, -1]])
    array([[-4., -4.]])
    >>> correlate2d([[1, 2]], [[1, 1]], mode="full")
    array([[1., 3., 2.]])
    """
    a, k = _as_2d(in1, in2)
    if mode == "valid":
        if k.shape != a.shape and all(n >= m for n, m in zip(k.shape, a.shape)):
            return correlate2d(k, a)[::-1, ::-1]
        if any(n > m for n, m in zip(k.shape, a.shape)):
            raise ValueError(f"mode 'valid' needs one input at least as large as the other "
                             f"on both axes, got shapes {a.shape} and {k.shape}")
    elif mode == "full":
        a = np.pad(a, [(n - 1, n - 1) for n in k.shape])
    elif mode == "same":
        a = np.pad(a, [((n - 1) // 2, n - 1 - (n - 1) // 2) for n in k.shape])
    else:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    return np.einsum("ijkl,kl->ij", sliding_window_view(a, k.shape), k)


def convolve2d(in1, in2, mode: str = "valid") -> np.ndarray:
    """2-D convolution of real arrays (the kernel flipped), as ``scipy.signal.convolve2d``.

    Parameters and shapes as :func:`correlate2d`; ``'same'`` is centred on the ``'full'``
    output, as scipy's.

    Examples
    --------
    >>> convolve2d([[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 2], [3, 4]], mode="same")
    array([[0., 0., 0.],
           [0., 1., 2.],
           [0., 3., 4.]])
    """
    a, k = _as_2d(in1, in2)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if mode != "same":
        return correlate2d(a, k[::-1, ::-1], mode)
    full = correlate2d(a, k[::-1, ::-1], "full")
    top, left = (k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2
    return full[top:top + a.shape[0], left:left + a.shape[1]]


def _as_2d(in1, in2) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as float64 arrays, checked to be 2-D."""
    a = np.asarray(in1, dtype=np.float64)
    k = np.asarray(in2, dtype=np.float64)
    if a.ndim != 2 or k.ndim != 2:
        raise ValueError(f"in1 and in2 must be 2-D, got shapes {a.shape} and {k.shape}")
    return a, k
