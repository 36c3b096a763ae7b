"""Classic image kernels, gradient magnitude and the Harris corner response.

Every kernel is a 2-D float64 array meant for **cross-correlation**
(:func:`convcourse.filtering.correlate2d`, ``scipy.signal.correlate2d``): the
derivative kernels are oriented so that correlating gives the derivative in
the direction of increasing index (down the rows for ``axis=0``, to the right
along the columns for ``axis=1``), as ``scipy.ndimage.sobel`` and
``scipy.ndimage.prewitt`` do.  Convolving with them instead flips the sign.

==================  ==========  ====================================================
kernel              sum         responds to
==================  ==========  ====================================================
``box``             1           nothing: it averages (smoothing)
``gaussian``        1           nothing: a weighted average (smoothing)
``sobel(axis)``     0           change along ``axis`` (``axis=1``: vertical edges)
``prewitt(axis)``   0           same as Sobel, without the centre weighting
``scharr(axis)``    0           same as Sobel, better rotational symmetry
``laplacian()``     0           second derivative in every direction: blobs, lines
``sharpen()``       1           identity minus the Laplacian: boosts fine detail
``emboss()``        1           change from top-left to bottom-right (a relief)
==================  ==========  ====================================================
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import _describe, as_array, check_choice, check_int, ntuple
from .filtering import correlate2d

__all__ = [
    "box",
    "gaussian",
    "sobel",
    "prewitt",
    "scharr",
    "laplacian",
    "sharpen",
    "emboss",
    "gradient_magnitude",
    "harris_response",
]

_DERIVATIVE = np.array([-1.0, 0.0, 1.0])
_SMOOTHING = {
    "sobel": np.array([1.0, 2.0, 1.0]),
    "prewitt": np.array([1.0, 1.0, 1.0]),
    "scharr": np.array([3.0, 10.0, 3.0]),
}
_MODES = ("full", "valid", "same")
_BOUNDARIES = ("fill", "wrap", "symm")


def _positive_real(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_axis(axis):
    axis = check_int(axis, "axis")
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 (along rows, y) or 1 (along columns, x), got {axis}")
    return axis % 2


def box(size):
    """Box (mean) filter: every weight equal, summing to 1.

    Parameters
    ----------
    size : int or tuple (kH, kW)
        Side length, or height and width.

    Returns
    -------
    ndarray, shape (kH, kW)
        ``1 / (kH kW)`` everywhere.

    Raises
    ------
    TypeError
        If ``size`` is not an int or a pair of ints.
    ValueError
        If a side is below 1.

    Notes
    -----
    :math:`k[a, b] = 1 / (k_H k_W)`.  It smooths (averages); it is separable,
    ``np.outer(np.ones(kH) / kH, np.ones(kW) / kW)``.

    Examples
    --------
    >>> box(2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    >>> float(box((1, 4)).sum())
    1.0
    """
    kh, kw = ntuple(size, 2, "size")
    return np.full((kh, kw), 1.0 / (kh * kw))


def gaussian(size, sigma):
    """Sampled 2-D Gaussian, normalised to sum to 1.

    Parameters
    ----------
    size : int or tuple (kH, kW)
        Side length, or height and width; the centre is at ``((kH-1)/2,
        (kW-1)/2)``.  ``2 * ceil(3 * sigma) + 1`` keeps 99.7% of the weight.
    sigma : float or tuple (sigma_H, sigma_W)
        Standard deviation in pixels, > 0.

    Returns
    -------
    ndarray, shape (kH, kW)
        Symmetric under flips of either axis (and transposition when square
        with equal sigmas).

    Raises
    ------
    TypeError
        If ``size`` is not an int or pair of ints, or ``sigma`` not a number
        or pair of numbers.
    ValueError
        If a side is below 1, or a sigma is not finite and > 0.

    Notes
    -----
    .. math:: k[a, b] \\propto \\exp\\left(-\\frac{(a - c_H)^2}{2\\sigma_H^2}
              - \\frac{(b - c_W)^2}{2\\sigma_W^2}\\right),\\quad c = (k - 1)/2

    It is the outer product of two 1-D Gaussians, so separable; it smooths
    (a weighted average).  With ``size = 2 r + 1`` it is the kernel
    ``scipy.ndimage.gaussian_filter`` uses with ``truncate = r / sigma``.

    Examples
    --------
    >>> g = gaussian(3, 1.0)
    >>> g.round(4)
    array([[0.0751, 0.1238, 0.0751],
           [0.1238, 0.2042, 0.1238],
           [0.0751, 0.1238, 0.0751]])
    >>> float(g.sum())
    1.0
    """
    kh, kw = ntuple(size, 2, "size")
    if isinstance(sigma, (tuple, list)):
        if len(sigma) != 2:
            raise ValueError(f"sigma must be a number or a pair (sigma_H, sigma_W), got {sigma!r}")
        sh, sw = (_positive_real(s, "sigma") for s in sigma)
    else:
        sh = sw = _positive_real(sigma, "sigma")
    gh = np.exp(-0.5 * ((np.arange(kh) - (kh - 1) / 2) / sh) ** 2)
    gw = np.exp(-0.5 * ((np.arange(kw) - (kw - 1) / 2) / sw) ** 2)
    return np.outer(gh / gh.sum(), gw / gw.sum())


def _derivative_kernel(kind, axis):
    axis = _check_axis(axis)
    k = np.outer(_DERIVATIVE, _SMOOTHING[kind])   # derivative down the rows
    return k if axis == 0 else k.T.copy()


def sobel(axis):
    """Sobel derivative kernel: a smoothed central difference along ``axis``.

    Parameters
    ----------
    axis : int {0, 1}
        ``1`` (or ``-1``): the x derivative, change from left to right; it
        responds to **vertical** edges.  ``0`` (or ``-2``): the y derivative,
        change from top to bottom; it responds to **horizontal** edges.

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 0.  ``sobel(0) == sobel(1).T``.

    Raises
    ------
    TypeError
        If ``axis`` is not an int.
    ValueError
        If ``axis`` is not 0, 1, -1 or -2.

    Notes
    -----
    ``sobel(1) = [1, 2, 1]^T [-1, 0, 1]``: a central difference along x,
    smoothed along y.  Cross-correlating an image with it gives
    ``I(x+1) - I(x-1)`` (weighted), positive where the image gets brighter to
    the right; it equals ``scipy.ndimage.sobel(image, axis=1)`` away from the
    border.

    Examples
    --------
    >>> sobel(1)
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    >>> sobel(0)
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]])
    """
    return _derivative_kernel("sobel", axis)


def prewitt(axis):
    """Prewitt derivative kernel: a box-smoothed central difference along ``axis``.

    Parameters
    ----------
    axis : int {0, 1}
        ``1`` (or ``-1``): change from left to right (vertical edges);
        ``0`` (or ``-2``): change from top to bottom (horizontal edges).

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 0.

    Raises
    ------
    TypeError
        If ``axis`` is not an int.
    ValueError
        If ``axis`` is not 0, 1, -1 or -2.

    Notes
    -----
    ``prewitt(1) = [1, 1, 1]^T [-1, 0, 1]``; equals
    ``scipy.ndimage.prewitt(image, axis=1)`` away from the border.

    Examples
    --------
    >>> prewitt(1)
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.],
           [-1.,  0.,  1.]])
    """
    return _derivative_kernel("prewitt", axis)


def scharr(axis):
    """Scharr derivative kernel: Sobel with weights tuned for rotation invariance.

    Parameters
    ----------
    axis : int {0, 1}
        ``1`` (or ``-1``): change from left to right (vertical edges);
        ``0`` (or ``-2``): change from top to bottom (horizontal edges).

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 0; unnormalised integer weights, as OpenCV's.

    Raises
    ------
    TypeError
        If ``axis`` is not an int.
    ValueError
        If ``axis`` is not 0, 1, -1 or -2.

    Notes
    -----
    ``scharr(1) = [3, 10, 3]^T [-1, 0, 1]``.  Divide by 32 for a gradient
    in intensity per pixel (Sobel: divide by 8).

    Examples
    --------
    >>> scharr(1)
    array([[ -3.,   0.,   3.],
           [-10.,   0.,  10.],
           [ -3.,   0.,   3.]])
    """
    return _derivative_kernel("scharr", axis)


def laplacian(diagonal=False):
    """Discrete Laplacian: the sum of second derivatives.

    Parameters
    ----------
    diagonal : bool, optional
        False (default): the 4-neighbour (5-point) stencil; True: the
        8-neighbour stencil, which also counts the diagonals.

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 0; symmetric, so correlation and convolution agree.

    Raises
    ------
    TypeError
        If ``diagonal`` is not a bool.

    Notes
    -----
    :math:`\\nabla^2 I \\approx I(x+1) + I(x-1) + I(y+1) + I(y-1) - 4 I`.
    It responds to change in every direction (no preferred orientation):
    it is zero on flat regions and linear ramps, large at thin lines,
    blobs and either side of an edge (where it crosses zero).  Not separable.

    Examples
    --------
    >>> laplacian()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    >>> float(laplacian(diagonal=True)[1, 1])
    -8.0
    """
    if not isinstance(diagonal, (bool, np.bool_)):
        raise TypeError(f"diagonal must be a bool, got {_describe(diagonal)}")
    if diagonal:
        k = np.ones((3, 3))
        k[1, 1] = -8.0
        return k
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen():
    """Sharpening kernel: the identity minus the Laplacian.

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 1, so flat regions keep their value.

    Notes
    -----
    ``sharpen() = delta - laplacian()``: :math:`I - \\nabla^2 I` adds back
    the detail (high frequencies) that blurring removes.  No preferred
    direction.

    Examples
    --------
    >>> sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    """
    identity = np.zeros((3, 3))
    identity[1, 1] = 1.0
    return identity - laplacian()


def emboss():
    """Emboss kernel: a diagonal derivative plus the image, for a relief look.

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 1 (flat regions keep their value); antisymmetric about the
        centre apart from the centre weight.

    Notes
    -----
    Cross-correlation gives the image plus its change along the diagonal
    from top-left to bottom-right: edges across that diagonal become
    bright on one side and dark on the other, as if lit from one corner.

    Examples
    --------
    >>> emboss()
    array([[-2., -1.,  0.],
           [-1.,  1.,  1.],
           [ 0.,  1.,  2.]])
    """
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def _check_image(image):
    arr = as_array(image, "image")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"image must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"image must be a 2-D array of shape (H, W), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"image must not be empty, got shape {arr.shape}")
    return arr.astype(np.float64) if arr.dtype.kind in "biu" else arr


def gradient_magnitude(image, operator="sobel", mode="same", boundary="symm"):
    """Gradient magnitude ``sqrt(gx**2 + gy**2)`` from a pair of derivative kernels.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A gray image (real values).
    operator : str {'sobel', 'prewitt', 'scharr'}, optional
        Which derivative kernels to use.  Default ``'sobel'``.
    mode : str {'full', 'valid', 'same'}, optional
        Output size, as in ``scipy.signal.correlate2d``.  Default ``'same'``.
    boundary : str {'fill', 'wrap', 'symm'}, optional
        How the image is extended past its border, as in
        ``scipy.signal.correlate2d`` (``'fill'`` pads zeros, which makes an
        edge at the border of any non-black image).  Default ``'symm'``
        (mirror).

    Returns
    -------
    ndarray, shape (H_out, W_out)
        Non-negative; float64 for integer images, float32 for float32 ones.

    Raises
    ------
    TypeError
        If ``image`` is not real-valued.
    ValueError
        If ``image`` is not 2-D or is empty, or a string argument is not
        one of the listed values.

    Notes
    -----
    With ``gx = correlate2d(image, K(axis=1))`` and
    ``gy = correlate2d(image, K(axis=0))``,

    .. math:: |\\nabla I| = \\sqrt{g_x^2 + g_y^2}

    Uses :func:`convcourse.filtering.correlate2d`.  For Sobel a unit step
    gives a peak of 4 (divide by 8 for intensity per pixel).

    Examples
    --------
    >>> step = np.repeat([[0, 0, 0, 1, 1, 1]], 3, axis=0)
    >>> gradient_magnitude(step, mode="valid")
    array([[0., 4., 4., 0.]])
    """
    image = _check_image(image)
    operator = check_choice(operator, tuple(_SMOOTHING), "operator")
    mode = check_choice(mode, _MODES, "mode")
    boundary = check_choice(boundary, _BOUNDARIES, "boundary")
    if mode == "valid" and (image.shape[0] < 3 or image.shape[1] < 3):
        raise ValueError(f"image must be at least 3x3 for mode='valid', got shape {image.shape}")
    kernel_dtype = np.float32 if image.dtype == np.float32 else np.float64
    gx = correlate2d(image, _derivative_kernel(operator, 1).astype(kernel_dtype), mode, boundary)
    gy = correlate2d(image, _derivative_kernel(operator, 0).astype(kernel_dtype), mode, boundary)
    return np.sqrt(gx * gx + gy * gy)


def harris_response(image, k=0.05, sigma=1.0, boundary="symm"):
    """Harris corner response: large positive at corners, negative along edges.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A gray image (real values).
    k : float, optional
        Sensitivity, usually 0.04 to 0.06; must be >= 0.  Larger ``k``
        suppresses edges more and finds fewer corners.  Default 0.05.
    sigma : float, optional
        Standard deviation, in pixels, of the Gaussian window that sums the
        structure tensor; > 0.  Default 1.0.
    boundary : str {'fill', 'wrap', 'symm'}, optional
        Border rule for every correlation, as in ``scipy.signal.correlate2d``.
        Default ``'symm'``.

    Returns
    -------
    ndarray, shape (H, W)
        ``R`` at every pixel (same size as the image), float64 (float32 for a
        float32 image).

    Raises
    ------
    TypeError
        If ``image`` is not real-valued or ``k``/``sigma`` not numbers.
    ValueError
        If ``image`` is not 2-D or is empty, ``k < 0``, ``sigma <= 0``, or
        ``boundary`` is unknown.

    Notes
    -----
    With Sobel gradients ``Ix = I * sobel(1)``, ``Iy = I * sobel(0)`` and a
    Gaussian window ``w`` of size ``2 ceil(3 sigma) + 1``, the structure tensor
    is

    .. math:: M = \\begin{pmatrix} w * I_x^2 & w * I_x I_y \\\\
                                   w * I_x I_y & w * I_y^2 \\end{pmatrix},
              \\qquad R = \\det M - k\\,(\\operatorname{tr} M)^2

    (``*`` is ``'same'`` cross-correlation).  Both eigenvalues large (a
    corner): ``R > 0``; one large (an edge): ``R < 0``; both small (flat):
    ``R`` near 0.

    Examples
    --------
    >>> image = np.zeros((16, 16))
    >>> image[4:12, 4:12] = 1.0            # a white square
    >>> R = harris_response(image)
    >>> np.unravel_index(np.argmax(R), R.shape) in {(4, 4), (4, 11), (11, 4), (11, 11)}
    True
    >>> bool(R[4, 4] > 0), bool(R[4, 8] < 0)   # a corner, the middle of an edge
    (True, True)
    """
    image = _check_image(image)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Real):
        raise TypeError(f"k must be a real number, got {_describe(k)}")
    if not (math.isfinite(k) and k >= 0):
        raise ValueError(f"k must be a finite number >= 0, got {k!r}")
    sigma = _positive_real(sigma, "sigma")
    boundary = check_choice(boundary, _BOUNDARIES, "boundary")
    dtype = np.float32 if image.dtype == np.float32 else np.float64
    ix = correlate2d(image, sobel(1).astype(dtype), "same", boundary)
    iy = correlate2d(image, sobel(0).astype(dtype), "same", boundary)
    window = gaussian(2 * math.ceil(3 * sigma) + 1, sigma).astype(dtype)
    sxx = correlate2d(ix * ix, window, "same", boundary)
    syy = correlate2d(iy * iy, window, "same", boundary)
    sxy = correlate2d(ix * iy, window, "same", boundary)
    return (sxx * syy - sxy * sxy) - dtype(k) * (sxx + syy) ** 2
