"""Pictures for assignment 04-backprop.

Every function returns a matplotlib ``Figure``, closed in pyplot (a notebook
shows it once, as the cell's value).  Arrays are drawn as grids of cells with
their values written in, as in :mod:`convcourse.viz.convolution`.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = gradient_flow_1d([1, 2, 3, 4, 5], [1, 2, -1], [1, -1, 2])
>>> len(fig.axes)
2
"""

from __future__ import annotations

import numpy as np

from .._picture_cache import picture
from .._validation import check_int, ntuple
from ._draw import patches, plt  # imported when first drawn
from ._draw import OUTPUT_COLOR as _OUTPUT
from ._draw import PAD_COLOR as _PAD
from ._draw import WINDOW_COLOR as _WINDOW
from ._draw import cell_axes as _cell_axes
from ._draw import correlate_valid as _correlate_valid
from ._draw import draw_cells as _draw_cells
from ._draw import finish as _finish
from ._draw import fmt as _fmt

__all__ = ["gradient_flow_1d", "backward_2d", "finite_difference_error", "checks_compared"]

_EDGE = "#c7c7c7"
_WEIGHT_COLORS = ("#1f77b4", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _signed(v) -> str:
    return _fmt(v) if v >= 0 else f"({_fmt(v)})"


def _vector(values, name) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return arr


@picture
def gradient_flow_1d(x, w, grad_output, weight_index=None, input_index=None):
    """The computation graph of y = x ⋆ w and the gradient flowing back through it.

    Parameters
    ----------
    x : array_like, shape (L,)
        The input signal.
    w : array_like, shape (K,)
        The kernel, K <= L.
    grad_output : array_like, shape (L - K + 1,)
        ``g = dL/dy``, written under the outputs.
    weight_index : int, optional
        The weight ``k`` whose gradient the left panel follows (default the middle one).
    input_index : int, optional
        The input ``j`` whose gradient the right panel follows (default the middle one).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels over the same graph (inputs on top, outputs below, one edge
        per product ``x[i + k] w[k]``, coloured by ``k``).  Left: the edges that
        use ``w[k]``, one per output, so ``dL/dw[k] = sum_i g[i] x[i + k]``, the
        cross-correlation of ``x`` with ``g``.  Right: the edges leaving
        ``x[j]``, at most ``K``, so ``dL/dx[j] = sum_k g[j - k] w[k]``, the
        'full' convolution of ``g`` with ``w``.

    Raises
    ------
    ValueError
        If the shapes do not fit together or an index is out of range.

    Notes
    -----
    ``y[i] = sum_k x[i + k] w[k]`` for ``i = 0 .. L - K``; by the chain rule
    ``dL/dw[k] = sum_i g[i] dy[i]/dw[k] = sum_i g[i] x[i + k]`` and
    ``dL/dx[j] = sum_i g[i] dy[i]/dx[j] = sum_i g[i] w[j - i]``.

    Examples
    --------
    >>> fig = gradient_flow_1d([1, 2, 3, 4, 5], [1, 2, -1], [1, -1, 2], weight_index=0)
    >>> fig.axes[0].get_title().splitlines()[-1]
    'dL/dw[0] = (1)(1) + (-1)(2) + (2)(3) = 5'
    """
    x, w, g = _vector(x, "x"), _vector(w, "w"), _vector(grad_output, "grad_output")
    n, k = x.size, w.size
    if k > n:
        raise ValueError(f"w must not be longer than x, got {k} > {n}")
    if g.size != n - k + 1:
        raise ValueError(f"grad_output must have length {n - k + 1}, got {g.size}")
    kk = k // 2 if weight_index is None else check_int(weight_index, "weight_index", minimum=0)
    jj = n // 2 if input_index is None else check_int(input_index, "input_index", minimum=0)
    if kk >= k:
        raise ValueError(f"weight_index must be below {k}, got {weight_index!r}")
    if jj >= n:
        raise ValueError(f"input_index must be below {n}, got {input_index!r}")
    y = _correlate_valid(x, w)
    off = (k - 1) / 2  # centre the outputs under their windows
    fig, axes = plt.subplots(1, 2, figsize=(max(11, 1.5 * n + 3), 5))
    for panel, ax in enumerate(axes):
        _draw_cells(ax, x[None], 0, 0, face="#deebf7")
        _draw_cells(ax, y[None], off, -3)
        _draw_cells(ax, g[None], off, -4.2, face="#e5f5e0")
        ax.text(-0.15, -0.5, "x", ha="right", va="center", fontsize=12)
        ax.text(off - 0.15, -3.5, "y", ha="right", va="center", fontsize=12)
        ax.text(off - 0.15, -4.7, "g = dL/dy", ha="right", va="center", fontsize=10)
        for i in range(y.size):
            for m in range(k):
                active = (m == kk) if panel == 0 else (i + m == jj)
                color = _WEIGHT_COLORS[m % len(_WEIGHT_COLORS)] if active else _EDGE
                ax.annotate("", xy=(i + m + 0.5, -1.0), xytext=(i + off + 0.5, -3.0),
                            arrowprops=dict(arrowstyle="->" if active else "-", color=color,
                                            lw=2.2 if active else 0.8),
                            zorder=3 if active else 1)
                if active:
                    tx, ty = (i + m + 0.5) * 0.3 + (i + off + 0.5) * 0.7, -2.4
                    ax.text(tx, ty, f"w[{m}]", color=color, fontsize=9, ha="center",
                            va="center", bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        _cell_axes(ax, n, 5.2)
        ax.set_xlim(-1.8, n + 0.2)
    terms = " + ".join(f"({_fmt(g[i])})({_fmt(x[i + kk])})" for i in range(g.size))
    grad_w = float(np.dot(g, x[kk:kk + g.size]))
    axes[0].set_title(f"w[{kk}] multiplies x[i + {kk}] in every output y[i]:\n"
                      f"dL/dw[{kk}] = {terms} = {_fmt(grad_w)}", fontsize=11)
    pairs = [(i, jj - i) for i in range(g.size) if 0 <= jj - i < k]
    terms = " + ".join(f"({_fmt(g[i])})({_fmt(w[m])})" for i, m in pairs)
    grad_x = float(sum(g[i] * w[m] for i, m in pairs))
    axes[1].set_title(f"x[{jj}] reaches {len(pairs)} output{'s' if len(pairs) != 1 else ''}, "
                      f"through a different weight each:\n"
                      f"dL/dx[{jj}] = {terms} = {_fmt(grad_x)}", fontsize=11)
    for ax, cell in ((axes[0], None), (axes[1], jj)):
        if cell is not None:
            ax.add_patch(patches.Rectangle((cell, -1), 1, 1, fill=False, edgecolor=_WINDOW, lw=3))
    _finish(fig)
    fig.subplots_adjust(top=0.8)  # room for the two-line titles
    return fig


@picture
def backward_2d(x, weight, grad_output, stride=1, weight_position=(0, 0), input_position=None):
    """The two gradients of a 2-D convolution layer drawn as cross-correlations.

    Parameters
    ----------
    x : array_like, shape (H, W)
        One input channel (values are written in the cells).
    weight : array_like, shape (kH, kW)
        One kernel.
    grad_output : array_like, shape (H_out, W_out)
        ``G = dL/dy`` for ``y`` the stride-``stride`` cross-correlation (no padding).
    stride : int or tuple of int (sH, sW), optional
        The forward stride (default 1).
    weight_position : tuple of int (u, v), optional
        The weight whose gradient the top row computes.
    input_position : tuple of int (r, c), optional
        The input pixel whose gradient the bottom row computes (default the centre).

    Returns
    -------
    matplotlib.figure.Figure
        Top row: ``x`` with the pixels that ``weight[u, v]`` multiplied
        highlighted, ``G``, and ``grad_weight = x ⋆ G`` (``G`` spread out by
        the stride).  Bottom row: ``G`` with ``stride - 1`` zeros inserted
        between its entries and ``k - 1`` zeros of padding (grey) around, the
        flipped kernel's window, the flipped kernel, and ``grad_x``.

    Raises
    ------
    ValueError
        If ``grad_output`` does not have the forward output's shape, or a
        position is out of range.

    Notes
    -----
    ``grad_weight[u, v] = sum_{i, j} G[i, j] x[i sH + u, j sW + v]`` and
    ``grad_x[r, c] = sum_{i, j} G[i, j] weight[r - i sH, c - j sW]`` (terms
    with the index inside the kernel): with ``D`` the zero-inserted, padded
    ``G``, ``grad_x = D ⋆ weight[::-1, ::-1]``, the 'full' convolution.

    Examples
    --------
    >>> fig = backward_2d(np.arange(9.0).reshape(3, 3), np.ones((2, 2)), np.ones((2, 2)))
    >>> len(fig.axes)
    6
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(weight, dtype=float)
    g = np.asarray(grad_output, dtype=float)
    if x.ndim != 2 or w.ndim != 2 or g.ndim != 2:
        raise ValueError(f"x, weight and grad_output must be 2-D, got shapes {x.shape}, "
                         f"{w.shape}, {g.shape}")
    sh, sw = ntuple(stride, 2, "stride", minimum=1)
    (h, wd), (kh, kw) = x.shape, w.shape
    out = ((h - kh) // sh + 1, (wd - kw) // sw + 1)
    if kh > h or kw > wd or g.shape != out:
        raise ValueError(f"grad_output must have shape {out} for x {x.shape}, weight {w.shape} "
                         f"and stride {(sh, sw)}, got {g.shape}")
    u, v = ntuple(weight_position, 2, "weight_position", minimum=0)
    if u >= kh or v >= kw:
        raise ValueError(f"weight_position must index weight of shape {w.shape}, "
                         f"got {weight_position!r}")
    r, c = (h // 2, wd // 2) if input_position is None else ntuple(
        input_position, 2, "input_position", minimum=0)
    if r >= h or c >= wd:
        raise ValueError(f"input_position must index x of shape {x.shape}, got {input_position!r}")
    spread = np.zeros(((out[0] - 1) * sh + 1, (out[1] - 1) * sw + 1))
    spread[::sh, ::sw] = g
    grad_w = _correlate_valid(x[:spread.shape[0] + kh - 1, :spread.shape[1] + kw - 1], spread)
    big = np.zeros((h + kh - 1, wd + kw - 1))
    big[kh - 1:kh - 1 + spread.shape[0], kw - 1:kw - 1 + spread.shape[1]] = spread
    flipped = w[::-1, ::-1]
    grad_x = _correlate_valid(big, flipped)

    fig, axes = plt.subplots(2, 3, figsize=(12, 8.5), gridspec_kw={
        "width_ratios": [big.shape[1], max(out[1], kw, 2) + 1, wd]})
    height = big.shape[0]
    used = np.zeros(x.shape, bool)
    used[u:u + spread.shape[0]:sh, v:v + spread.shape[1]:sw] = True
    _draw_cells(axes[0, 0], x, highlight=used)
    _cell_axes(axes[0, 0], big.shape[1], height,
               f"x: the pixels weight[{u}, {v}] multiplied")
    _draw_cells(axes[0, 1], g, face="#e5f5e0")
    _cell_axes(axes[0, 1], max(out[1], kw, 2) + 1, height, "G = dL/dy")
    cell = np.zeros(w.shape, bool)
    cell[u, v] = True
    _draw_cells(axes[0, 2], grad_w, highlight=cell, highlight_color=_OUTPUT)
    _cell_axes(axes[0, 2], wd, height, "grad_weight = x ⋆ G")
    terms = " + ".join(f"{_signed(a)}·{_signed(b)}" for a, b in zip(g.ravel(), x[used]))
    axes[0, 0].text(0, -height - 0.6, f"grad_weight[{u}, {v}] = {terms} = {_fmt(grad_w[u, v])}",
                    fontsize=10, va="top")

    face = np.full(big.shape, "white", dtype=object)
    face[:, :] = _PAD
    face[kh - 1:kh - 1 + spread.shape[0], kw - 1:kw - 1 + spread.shape[1]] = "white"
    window = np.zeros(big.shape, bool)
    window[r:r + kh, c:c + kw] = True
    ax = axes[1, 0]
    for i in range(big.shape[0]):
        for j in range(big.shape[1]):
            color = _WINDOW if window[i, j] else face[i, j]
            is_g = (i - kh + 1) % sh == 0 and (j - kw + 1) % sw == 0 and \
                0 <= i - kh + 1 < spread.shape[0] and 0 <= j - kw + 1 < spread.shape[1]
            ax.add_patch(patches.Rectangle((j, -i - 1), 1, 1, facecolor=color, edgecolor="black"))
            ax.text(j + 0.5, -i - 0.5, _fmt(big[i, j]), ha="center", va="center",
                    fontsize=11, fontweight="bold" if is_g else "normal",
                    color="black" if is_g else "#737373")
    title = "G padded by k - 1 (grey)"
    if (sh, sw) != (1, 1):
        title += ",\nstride - 1 zeros inserted"
    _cell_axes(ax, big.shape[1], height, title)
    _draw_cells(axes[1, 1], flipped, face="#fde0c5")
    _cell_axes(axes[1, 1], max(out[1], kw, 2) + 1, height, "weight flipped")
    cell = np.zeros(x.shape, bool)
    cell[r, c] = True
    _draw_cells(axes[1, 2], grad_x, highlight=cell, highlight_color=_OUTPUT)
    _cell_axes(axes[1, 2], wd, height, "grad_x: the full convolution")
    axes[1, 0].text(0, -height - 0.6, f"grad_x[{r}, {c}] = sum(window · flipped weight) = "
                    f"{_fmt(grad_x[r, c])}", fontsize=10, va="top")
    for a in axes.ravel():
        a.set_ylim(-height - 1.6, 0.3)
    return _finish(fig)


@picture
def finite_difference_error(f, x, grad, eps=None):
    """Error of forward and central differences against the exact gradient, for each eps.

    Parameters
    ----------
    f : callable
        A scalar function of an array; called ``4 x.size`` times per eps.
    x : array_like, shape (...)
        The point (float64; copied, never modified).
    grad : array_like, shape of x
        The exact gradient of ``f`` at ``x``.
    eps : array_like, shape (E,), optional
        The steps (default 40 values from 1e-13 to 1e-1, log-spaced).

    Returns
    -------
    matplotlib.figure.Figure
        The relative error ``max|num - grad| / max(|num| + |grad|)`` of both
        estimates against ``eps``, log-log, with eps = 1e-6 marked.

    Raises
    ------
    ValueError
        If ``grad`` does not have the shape of ``x`` or an eps is not > 0.

    Notes
    -----
    Taylor: ``(f(x + e) - f(x)) / e = f'(x) + e f''(x) / 2 + ...`` (error of
    order ``e``); ``(f(x + e) - f(x - e)) / (2 e) = f'(x) + e² f'''(x) / 6 + ...``
    (order ``e²``).  Rounding adds about ``u |f| / e`` (``u ≈ 1.1e-16``), which
    grows as ``e`` shrinks: the curves are V-shaped, with their best ``e``
    near ``u^(1/2)`` (forward) and ``u^(1/3)`` (central).

    Examples
    --------
    >>> x = np.array([0.5, -1.0])
    >>> fig = finite_difference_error(lambda v: np.sum(np.sin(v)), x, np.cos(x), eps=[1e-4, 1e-2])
    >>> [line.get_label() for line in fig.axes[0].lines[:2]]
    ['forward differences', 'central differences']
    """
    x = np.array(x, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(f"grad must have the shape of x, {x.shape}, got {grad.shape}")
    eps = np.logspace(-13, -1, 40) if eps is None else np.asarray(eps, dtype=float).ravel()
    if eps.size == 0 or np.any(~(eps > 0)):
        raise ValueError(f"eps must hold numbers > 0, got {eps!r}")

    def rel(num):
        return float(np.max(np.abs(num - grad)) / max(np.max(np.abs(num) + np.abs(grad)), 1e-300))

    forward, central = [], []
    for e in eps:
        fwd, cen = np.zeros(x.shape), np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            old = x[index]
            x[index] = old + e
            plus = f(x)
            x[index] = old - e
            minus = f(x)
            x[index] = old
            base = f(x)
            fwd[index] = (plus - base) / e
            cen[index] = (plus - minus) / (2 * e)
        forward.append(rel(fwd))
        central.append(rel(cen))
    floor = 1e-17
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.loglog(eps, np.maximum(forward, floor), "o-", color="#d62728", ms=4,
              label="forward differences")
    ax.loglog(eps, np.maximum(central, floor), "o-", color="#1f77b4", ms=4,
              label="central differences")
    ax.axvline(1e-6, color="gray", ls=":", lw=1)
    ax.text(1e-6, ax.get_ylim()[1], " eps = 1e-6", va="top", fontsize=9, color="gray")
    ax.set_xlabel("step eps")
    ax.set_ylabel("relative error against the exact gradient")
    ax.set_title("Too large a step: truncation error (∝ eps or eps²);\n"
                 "too small: rounding error (∝ 1/eps)", fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left")
    return _finish(fig)


def checks_compared(labels, gradient_errors, forward_errors, threshold=1e-6):
    """Two checks side by side: the gradient check and a check of the forward output.

    Parameters
    ----------
    labels : sequence of str, length M
        One name per implementation.
    gradient_errors : array_like, shape (M,)
        Relative error of each implementation's backward against numerical
        gradients of its own forward.
    forward_errors : array_like, shape (M,)
        Relative error of each implementation's forward against a trusted reference.
    threshold : float, optional
        The error below which a check passes (default 1e-6), drawn as a line.

    Returns
    -------
    matplotlib.figure.Figure
        Grouped bars on a log scale; a bar under the line passes.

    Raises
    ------
    ValueError
        If the lengths differ.

    Notes
    -----
    A gradient check compares the backward with differences of the forward,
    so a forward and a backward that are wrong in the same way pass it: only
    a comparison of the forward with an independent reference catches them.

    The errors are drawn rounded to 3 significant digits: on this scale a bar's
    height moves by less than a hundredth of a pixel, and two runs whose errors
    differ only in their last bits (two correct implementations) make the same
    picture, which the grader then draws once.

    Examples
    --------
    >>> fig = checks_compared(["right", "flipped"], [1e-10, 1e-10], [0.0, 0.6])
    >>> len(fig.axes[0].patches)
    4
    """
    labels = [str(v) for v in labels]
    ge = np.asarray(gradient_errors, dtype=float).ravel()
    fe = np.asarray(forward_errors, dtype=float).ravel()
    if not (len(labels) == ge.size == fe.size):
        raise ValueError(f"labels, gradient_errors and forward_errors must have the same length, "
                         f"got {len(labels)}, {ge.size}, {fe.size}")
    return _checks_compared(labels, _significant(ge), _significant(fe), threshold)


def _significant(values, digits=3) -> list:
    """``values`` rounded to ``digits`` significant digits, as plain floats."""
    return [float(f"{v:.{digits - 1}e}") for v in values]


@picture
def _checks_compared(labels, ge, fe, threshold):
    ge, fe = np.array(ge), np.array(fe)
    floor = 1e-16
    pos = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(8, 2.2 * len(labels) + 3), 4.6))
    ax.bar(pos - 0.2, np.maximum(ge, floor), 0.38, color="#1f77b4",
           label="gradient check: backward vs numerical gradient of the forward")
    ax.bar(pos + 0.2, np.maximum(fe, floor), 0.38, color="#ff7f0e",
           label="forward vs reference")
    ax.axhline(threshold, color="black", ls="--", lw=1)
    ax.text(-0.55, threshold * 2, f"pass below {threshold:g}", ha="left", fontsize=9)
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 1e5)
    ax.set_xticks(pos, labels)
    ax.set_ylabel("relative error")
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title("A gradient check tests the backward against the forward,\n"
                 "not the forward itself", fontsize=11)
    return _finish(fig)
