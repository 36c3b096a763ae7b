"""Winograd minimal filtering F(4x4, 3x3): a 3x3, stride-1 convolution with 4x fewer products.

Why
---
A direct 3x3 convolution spends 9 multiplications per output pixel per
(input, output) channel pair, and :mod:`convcourse.conv` already makes them at
nearly the BLAS peak.  The remaining lever is fewer multiplications.
Winograd's F(m, r) computes ``m`` outputs of an ``r``-tap correlation from
``m + r - 1`` inputs with ``m + r - 1`` multiplications instead of ``m*r``;
nested in 2-D, F(4x4, 3x3) computes a 4x4 output tile from a 6x6 input tile
with 36 element-wise products instead of 144.  Lavin & Gray, "Fast Algorithms
for Convolutional Neural Networks" (CVPR 2016), is the reference; oneDNN,
NNPACK and cuDNN all ship this algorithm.

How (per chunk of images)
-------------------------
``Y = A^T [ (G g G^T) * (B^T d B) ] A`` for one tile ``d`` and one filter ``g``;
over channels the element-wise product becomes a sum, i.e. a matrix product:

1. weight transform, once per call (:meth:`WinogradF4x4.transform_weight`):
   ``U[xi] = (G w G^T)[xi]`` for each of the 36 tile positions ``xi``,
   ``(36, C_in, C_out)``;
2. input transform: ``B^T d B`` for every overlapping 6x6 tile ``d`` (stride
   4) of the padded image, in two passes with the 6 x 6 ``B^T``: along the
   rows, straight on the padded image (a tile row's six rows are a strided
   view), then along the columns, after cutting them: ``V (36, T, C_in)``
   (channels last, so that every cut copies contiguous runs of channels);
3. 36 batched products over the channels, ``M[xi] = V[xi] @ U[xi]^T``:
   ``(36, T, C_out)``; this is where the work is, 4x less than direct;
4. output transform ``A^T m A`` (one product with ``kron(A^T, A^T)``, 16 x 36)
   and the 4x4 tiles put back in place.

Precision
---------
The transforms have coefficients up to 8 (``A``) and 5 (``B``) and ``G`` has
1/6 and 1/24, so rounding errors grow: in float32 the result is off by up to
~1e-5 relative to the output's scale, against ~1e-7 for the direct path
(measured bounds are in :func:`convcourse.conv.conv2d`'s Notes and tested in
``tests/test_winograd.py``).  The weight transform is computed in float64.
Non-finite values are another matter: a NaN or inf spreads over a whole tile
(and ``inf - inf`` is NaN), so a chunk whose result is not all finite is
recomputed by the direct path (see ``conv._winograd_forward``).
"""

from __future__ import annotations

import numpy as np

from ._scratch import scratch

__all__ = ["WinogradF4x4"]

M_OUT, ALPHA = 4, 6  # output tile side, input tile side (4 + 3 - 1)

# Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray, section 4.2)
_BT = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
_G = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
_AT = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)


_KRON_G = np.kron(_G, _G)  # (36, 9): vec(G w G^T) = kron(G, G) vec(w), row-major vec
_TRANSFORMS = {}


def _transforms(dtype):
    """(B^T (6, 6), kron(A^T, A^T) (16, 36)) in ``dtype``, made once per dtype."""
    if dtype not in _TRANSFORMS:
        _TRANSFORMS[dtype] = (_BT.astype(dtype), np.kron(_AT, _AT).astype(dtype))
    return _TRANSFORMS[dtype]


def _zero_border(xp, corner, size):
    """Zero ``xp (m, H', W', C)`` outside ``[top:top+h, left:left+w]`` (the padding), not inside."""
    (top, left), (h, w) = corner, size
    xp[:, :top] = 0
    xp[:, top + h:] = 0
    xp[:, top:top + h, :left] = 0
    xp[:, top:top + h, left + w:] = 0


class WinogradF4x4:
    """A 3x3, stride-1, dilation-1, groups-1 correlation of image chunks by F(4x4, 3x3).

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in, 3, 3)
    pads : ((top, bottom), (left, right))
    in_size : (H, W) of the input images
    out_size : (H_out, W_out) = (H + top + bottom - 2, W + left + right - 2)
    dtype : the computation's float dtype
    """

    def __init__(self, weight, pads, in_size, out_size, dtype):
        self.c_out, self.c_in = weight.shape[:2]
        self.pads, self.in_size, self.out_size, self.dtype = pads, in_size, out_size, dtype
        self.tiles = tuple(-(-o // M_OUT) for o in out_size)  # tiles per axis, the last maybe partial
        self.weight, self.u_t = weight, None
        self.bt, self.a = _transforms(np.dtype(dtype))  # V = B^T d B and Y = a @ M, per tile

    def transform_weight(self):
        """Compute ``U`` once, before the chunks; a product, so call it with BLAS single-threaded.

        U[xi] = (G w G^T)[xi] for the 36 tile positions xi: vec(G w G^T) = kron(G, G) vec(w),
        one (36, 9) x (9, C_in*C_out) product in float64, then rounded once.  Stored as
        (36, C_in, C_out): the tiles are (36, T, C_in), channels last.  (Two products with G
        and the transposes between them took 2.3x as long: 0.95 ms of a 22 ms layer.)  Made
        on the calling thread with numpy's BLAS at two threads, this product woke OpenBLAS's
        own worker, which then spins for milliseconds on the core our second chunk thread
        needs: the 22 ms layer took 39 ms.
        """
        w9 = np.ascontiguousarray(self.weight.reshape(self.c_out, self.c_in, 9).transpose(1, 0, 2),
                                  dtype=np.float64)  # (C_in, C_out, 9)
        u = _KRON_G @ w9.reshape(self.c_in * self.c_out, 9).T
        self.u_t = u.reshape(ALPHA * ALPHA, self.c_in, self.c_out).astype(self.dtype)
        return self

    def bytes_per_image(self) -> int:
        """The chunk's working set per image: tiles, their transforms and the products."""
        th, tw = self.tiles
        return 2 * ALPHA * ALPHA * th * tw * (self.c_in + self.c_out) * np.dtype(self.dtype).itemsize

    def flops(self, n_images) -> int:
        th, tw = self.tiles
        return 2 * n_images * ALPHA * ALPHA * th * tw * self.c_in * self.c_out

    def __call__(self, x, out=None, bias=None):
        """(m, C_in, H, W) -> (m, C_out, H_out, W_out), plus ``bias`` (C_out,) if given.

        ``out``: a C-contiguous array of the result's shape to write into (the tiles go
        straight to their place, with the bias, in one pass); returned.
        """
        if self.u_t is None:  # callers that make chunks on threads call it first (see there)
            self.transform_weight()
        m = x.shape[0]
        (th, tw), (pt, pl) = self.tiles, (self.pads[0][0], self.pads[1][0])
        h, w = self.in_size
        t = m * th * tw
        # padded images, channels last, zeros up to the last whole tile: a tile's pixel is then
        # a contiguous run of C_in values, so cutting the tiles below copies whole cache lines
        # (channels first, it gathered single values 4 apart: 2x the CPU time, measured under load)
        # (the work arrays are this thread's, reused from call to call: see convcourse._scratch)
        xp = scratch("winograd.xp", (m, th * M_OUT + 2, tw * M_OUT + 2, self.c_in), self.dtype)
        _zero_border(xp, (pt, pl), (h, w))
        xp[:, pt:pt + h, pl:pl + w, :] = x.transpose(0, 2, 3, 1)
        v = scratch("winograd.v", (ALPHA * ALPHA, t, self.c_in), self.dtype)
        # V = B^T d B for every 6x6 tile d, in two passes with the 6x6 B^T, without cutting the
        # tiles first: (1) along the rows, straight on the padded images, where the six rows of a
        # tile row are a strided view (rows 4 ty .. 4 ty + 5, each a run of W' * C_in values),
        # one product per tile row; (2) cut the columns 4 tx + j of that into (a, j, T, C_in)
        # and apply B^T along j.  Measured idle against cutting the 36 tile positions first and
        # transforming them: 7% faster for the float32 layer, 5% for float64 (fewer bytes
        # moved: these passes are bound by memory); one product with kron(B^T, B^T) (36 x 36)
        # does 3x the arithmetic and was slower still in float64.
        wp = tw * M_OUT + 2
        rows = np.ndarray((m, th, ALPHA, wp * self.c_in), self.dtype, buffer=xp,
                          strides=(xp.strides[0], M_OUT * xp.strides[1], xp.strides[1], xp.itemsize))
        by_rows = scratch("winograd.rows", (m, th, ALPHA, wp, self.c_in), self.dtype)
        np.matmul(self.bt, rows, out=by_rows.reshape(m, th, ALPHA, wp * self.c_in))
        r = scratch("winograd.r", (ALPHA, ALPHA, m, th, tw, self.c_in), self.dtype)
        for j in range(ALPHA):  # r[a, j, n, ty, tx, c] = by_rows[n, ty, a, 4 tx + j, c]
            r[:, j] = by_rows[:, :, :, j:j + M_OUT * tw:M_OUT, :].transpose(2, 0, 1, 3, 4)
        np.matmul(self.bt, r.reshape(ALPHA, ALPHA, -1), out=v.reshape(ALPHA, ALPHA, -1))
        prod = scratch("winograd.prod", (ALPHA * ALPHA, t, self.c_out), self.dtype)
        np.matmul(v, self.u_t, out=prod)  # (36, T, C_out): the 36 products over the channels
        y = scratch("winograd.y", (M_OUT, M_OUT, m, th, tw, self.c_out), self.dtype)
        np.matmul(self.a, prod.reshape(ALPHA * ALPHA, -1), out=y.reshape(M_OUT * M_OUT, -1))
        # y[p, q, n, ty, tx, k] is output pixel (4 ty + p, 4 tx + q) of channel k
        tiles = y.transpose(2, 5, 3, 0, 4, 1)  # (m, C_out, ty, p, tx, q)
        if out is None:
            out = np.empty((m, self.c_out) + tuple(self.out_size), dtype=self.dtype)
        if tuple(self.out_size) == (th * M_OUT, tw * M_OUT):
            dst, src = out.reshape(m, self.c_out, th, M_OUT, tw, M_OUT), tiles  # whole tiles
        else:  # the last tiles overhang the output: crop them
            dst = out
            src = tiles.reshape(m, self.c_out, th * M_OUT, tw * M_OUT)[:, :, :self.out_size[0], :self.out_size[1]]
        if bias is None:
            np.copyto(dst, src)
        else:
            np.add(src, bias.reshape((self.c_out,) + (1,) * (dst.ndim - 2)), out=dst)
        return out
