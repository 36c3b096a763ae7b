"""Pictures for assignment 05-separable.

Every function returns a matplotlib ``Figure`` and draws nothing else, so a
notebook cell is one call; figures are closed in pyplot before they are
returned (see :func:`convcourse.viz._draw.finish`).

- :func:`outer_product`: a separable kernel as a multiplication table, the
  column down the side, the row across the top;
- :func:`singular_values`: kernels and their singular values, rank 1 or not;
- :func:`two_passes`: an image, the row pass, the column pass, with shapes;
- :func:`depthwise_separable_diagram`: C channels to C depthwise maps to K
  pointwise maps, against a standard convolution;
- :func:`mults_vs_out_channels`: multiplications of both against K;
- :func:`image_row`: images side by side;
- :func:`channel_maps`: the channels of several stages of a network, one row each.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = outer_product([1, 2, 1], [-1, 0, 1])
>>> fig.axes[0].get_title()
'np.outer(column, row): 3 + 3 = 6 numbers give 3 × 3 = 9'
"""

from __future__ import annotations

import numpy as np

from .._picture_cache import picture
from ._draw import patches, plt  # imported when first drawn
from ._draw import OUTPUT_COLOR as _OUTPUT
from ._draw import WINDOW_COLOR as _WINDOW
from ._draw import cell_axes as _cell_axes
from ._draw import correlate_valid as _correlate_valid
from ._draw import draw_cells as _draw_cells
from ._draw import finish as _finish

__all__ = [
    "outer_product", "singular_values", "two_passes", "depthwise_separable_diagram",
    "mults_vs_out_channels", "image_row", "channel_maps",
]

_COLUMN_FACE = "#c6dbef"   # the column factor (blue)
_ROW_FACE = "#fde0c5"      # the row factor (orange)
_RANK1 = "#2ca02c"
_RANK_MORE = "#d62728"
#: one colour per input channel of the diagram (R, G, B, then more)
_CHANNEL_COLORS = ["#e6550d", "#31a354", "#3182bd", "#756bb1", "#636363", "#e7ba52"]


def _vector(values, name) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {v.shape}")
    return v


@picture
def outer_product(column, row, title=None):
    """A separable kernel drawn as a multiplication table: ``kernel = column · row``.

    Parameters
    ----------
    column : array_like, shape (kH,)
        The vertical factor, drawn down the left side (blue).
    row : array_like, shape (kW,)
        The horizontal factor, drawn across the top (orange).
    title : str, optional
        Default: how many numbers the factors hold against the kernel.

    Returns
    -------
    matplotlib.figure.Figure
        One panel: the row above, the column to the left, and the kernel with
        ``kernel[i, j] = column[i] * row[j]`` written in each cell.

    Raises
    ------
    ValueError
        If ``column`` or ``row`` is not a non-empty 1-D array.

    Notes
    -----
    ``np.outer(column, row)[i, j] = column[i] row[j]``: ``kH + kW`` numbers
    describe all ``kH kW`` weights.

    Examples
    --------
    >>> fig = outer_product([1, 2], [3, 0, -1], title="small")
    >>> len(fig.axes[0].patches)    # 2 + 3 factor cells and 2 * 3 kernel cells
    11
    """
    c, r = _vector(column, "column"), _vector(row, "row")
    kernel = np.outer(c, r)
    kh, kw = kernel.shape
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * (kw + 1.6), 0.9 + 0.75 * (kh + 1.6)))
    _draw_cells(ax, r[None], 1.6, 0, face=_ROW_FACE)
    _draw_cells(ax, c[:, None], 0, -1.6, face=_COLUMN_FACE)
    _draw_cells(ax, kernel, 1.6, -1.6, face="#f0f0f0")
    ax.text(0.5, -0.5, "·", ha="center", va="center", fontsize=22)
    ax.text(1.6 + kw / 2, 0.35, "row", ha="center", va="bottom", fontsize=10, color="#a65000")
    ax.text(-0.15, -1.6 - kh / 2, "column", ha="right", va="center", rotation=90, fontsize=10,
            color="#08519c")
    _cell_axes(ax, 1.6 + kw, 1.6 + kh)
    ax.set_xlim(-0.9, 1.6 + kw + 0.2)
    ax.set_ylim(-1.6 - kh - 0.2, 1.0)
    ax.set_title(title if title is not None else
                 f"np.outer(column, row): {kh} + {kw} = {kh + kw} numbers give "
                 f"{kh} × {kw} = {kh * kw}", fontsize=11)
    return _finish(fig)


@picture
def singular_values(kernels, atol=1e-8):
    """Kernels and their singular values: one non-zero value means separable.

    Parameters
    ----------
    kernels : dict of str to array_like, each shape (kH, kW)
        Named 2-D kernels.
    atol : float, optional
        Singular values at or below ``atol * s_1`` count as zero (default 1e-8).

    Returns
    -------
    matplotlib.figure.Figure
        Two rows, one column per kernel: the kernel (values written in when
        it is at most 5 × 5), and a bar chart of its singular values divided
        by the largest; green when the rank is 1 (separable), red otherwise.
        Each bar chart's title gives the rank.

    Raises
    ------
    ValueError
        If ``kernels`` is empty or a kernel is not 2-D.

    Notes
    -----
    ``kernel = sum_i s_i u_i v_i^T`` with ``s_1 >= s_2 >= ... >= 0``; the
    kernel is an outer product ``column · row`` exactly when ``s_2 = 0``.

    Examples
    --------
    >>> fig = singular_values({"box": np.ones((3, 3)), "identity": np.eye(3)})
    >>> [ax.get_title() for ax in fig.axes[2:]]
    ['rank 1: separable', 'rank 3: not separable']
    """
    items = [(name, np.asarray(k, dtype=float)) for name, k in dict(kernels).items()]
    if not items:
        raise ValueError("kernels must name at least one kernel, got an empty dict")
    for name, k in items:
        if k.ndim != 2 or k.size == 0:
            raise ValueError(f"kernel {name!r} must be a non-empty 2-D array, got shape {k.shape}")
    n = len(items)
    fig, axes = plt.subplots(2, n, figsize=(2.4 * n, 4.8), squeeze=False,
                             gridspec_kw={"height_ratios": [1.1, 1]})
    for col, (name, k) in enumerate(items):
        s = np.linalg.svd(k, compute_uv=False)
        ratio = s / s[0] if s[0] > 0 else s
        rank = int(np.sum(ratio > atol))
        color = _RANK1 if rank <= 1 else _RANK_MORE
        top, bottom = axes[0, col], axes[1, col]
        if max(k.shape) <= 5:
            _draw_cells(top, k, fontsize=9)
            _cell_axes(top, k.shape[1], k.shape[0])
        else:
            lim = float(np.max(np.abs(k))) or 1.0
            top.imshow(k, cmap="coolwarm", vmin=-lim, vmax=lim)
            top.axis("off")
        top.set_title(name, fontsize=11)
        bottom.bar(np.arange(1, s.size + 1), ratio, color=color)
        bottom.set_ylim(0, 1.08)
        bottom.set_xticks(np.arange(1, s.size + 1))
        bottom.set_xlabel("i", fontsize=9)
        if col == 0:
            bottom.set_ylabel("$s_i / s_1$")
        else:
            bottom.set_yticklabels([])
        bottom.set_title(f"rank {rank}: {'separable' if rank <= 1 else 'not separable'}",
                         fontsize=10, color=color)
    return _finish(fig)


@picture
def two_passes(image, column, row):
    """Cross-correlation with ``column · row`` as two 1-D passes, with the shapes.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A small image (values are written in the cells).
    column : array_like, shape (kH,)
    row : array_like, shape (kW,)

    Returns
    -------
    matplotlib.figure.Figure
        Four panels: the image with the first window of the row pass, the
        row pass ``(H, W - kW + 1)`` with the window of the column pass, the
        column pass ``(H - kH + 1, W - kW + 1)``, and the same result from the
        2-D kernel for comparison.  Titles give the multiplications per
        output pixel.

    Raises
    ------
    ValueError
        If the factors are not 1-D or the kernel is larger than the image.

    Notes
    -----
    ``tmp[i, j] = sum_b row[b] image[i, j + b]`` then
    ``out[i, j] = sum_a column[a] tmp[i + a, j]``: ``kH + kW`` multiplications
    per output pixel (plus the extra rows of ``tmp``) instead of ``kH kW``.

    Examples
    --------
    >>> fig = two_passes(np.arange(16).reshape(4, 4), [1, 1], [1, 0, -1])
    >>> [ax.get_title().split(":")[0] for ax in fig.axes]
    ['image (4, 4)', 'row pass (4, 2)', 'column pass (3, 2)', '2-D kernel (3, 2)']
    """
    x = np.asarray(image, dtype=float)
    c, r = _vector(column, "column"), _vector(row, "row")
    if x.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {x.shape}")
    if c.size > x.shape[0] or r.size > x.shape[1]:
        raise ValueError(f"the kernel ({c.size}, {r.size}) must fit in the image {x.shape}")
    tmp = _correlate_valid(x, r[None])
    out = _correlate_valid(tmp, c[:, None])
    direct = _correlate_valid(x, np.outer(c, r))
    h, w = x.shape
    widths = [w, tmp.shape[1] + 1.3, out.shape[1], direct.shape[1]]
    fig, axes = plt.subplots(1, 4, figsize=(2.0 + 0.8 * sum(widths), 1.4 + 0.62 * (h + 2)),
                             gridspec_kw={"width_ratios": [v + 0.6 for v in widths]})
    window = np.zeros(x.shape, bool)
    window[0, :r.size] = True
    _draw_cells(axes[0], x, highlight=window)
    _draw_cells(axes[0], r[None], 0, -h - 0.6, face=_ROW_FACE)
    _cell_axes(axes[0], w, h + 1.6, f"image {x.shape}:\nrow {r.size} taps (orange)")
    column_window = np.zeros(tmp.shape, bool)
    column_window[:c.size, 0] = True
    first = np.zeros(tmp.shape, bool)
    first[0, 0] = True
    _draw_cells(axes[1], tmp, highlight=column_window, highlight_color="#9ecae1")
    _cell_axes(axes[1], tmp.shape[1], h + 1.6, f"row pass {tmp.shape}:\n{r.size} mults each")
    _draw_cells(axes[1], c[:, None], tmp.shape[1] + 0.3, 0, face=_COLUMN_FACE)
    axes[1].set_xlim(-0.2, tmp.shape[1] + 1.5)
    done = np.zeros(out.shape, bool)
    done[0, 0] = True
    _draw_cells(axes[2], out, highlight=done, highlight_color=_OUTPUT)
    _cell_axes(axes[2], out.shape[1], h + 1.6,
               f"column pass {out.shape}:\n{c.size} mults each")
    _draw_cells(axes[3], direct, face="#f0f0f0")
    _cell_axes(axes[3], direct.shape[1], h + 1.6,
               f"2-D kernel {direct.shape}:\n{c.size * r.size} mults each")
    return _finish(fig)


def _slab(ax, x, y, width, height, depth, color, *, label=None, alpha=1.0):
    """A block of ``depth`` stacked slices (a feature map seen from the front)."""
    dx, dy = 0.18, 0.14
    for k in reversed(range(depth)):
        face = color[k] if isinstance(color, (list, tuple)) else color
        ox, oy = x + k * dx, y + k * dy
        ax.add_patch(patches.Rectangle((ox, oy), width, height, facecolor=face, edgecolor="black",
                                       linewidth=0.8, alpha=alpha))
    if label:
        ax.text(x + width / 2 + (depth - 1) * dx / 2, y - 0.35, label, ha="center", va="top",
                fontsize=9)


def _arrow(ax, x0, x1, y, text):
    ax.add_patch(patches.FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=14,
                                         color="black", linewidth=1.2))
    ax.text((x0 + x1) / 2, y + 0.25, text, ha="center", va="bottom", fontsize=9)


@picture
def depthwise_separable_diagram(in_channels=3, out_channels=4, kernel_size=3):
    """A standard convolution against a depthwise-separable one, drawn as blocks.

    Parameters
    ----------
    in_channels : int, optional
        ``C``, input channels (each drawn in its own colour; default 3, RGB).
    out_channels : int, optional
        ``K``, output channels (default 4).
    kernel_size : int, optional
        ``k`` of the ``k × k`` kernels (default 3).

    Returns
    -------
    matplotlib.figure.Figure
        Two rows.  Top: the ``C``-channel input, ``K`` filters of shape
        ``(C, k, k)``, ``K`` output maps.  Bottom: the input, ``C`` kernels of
        ``k × k`` (one per channel, same colour), ``C`` depthwise maps, ``K``
        pointwise filters of ``1 × 1 × C``, ``K`` output maps.  Each row's
        title gives its weight count.

    Raises
    ------
    ValueError
        If a size is below 1, or the picture would be unreadable (``C > 6``
        or ``K > 8``).

    Notes
    -----
    Weights: standard ``K C k^2``; depthwise separable ``C k^2 + C K``.

    Examples
    --------
    >>> fig = depthwise_separable_diagram(3, 4, 3)
    >>> fig.axes[0].get_title(loc="left")
    'standard convolution: 4 filters of 3 × 3 × 3 = 108 weights'
    """
    for name, value, high in (("in_channels", in_channels, 6), ("out_channels", out_channels, 8),
                              ("kernel_size", kernel_size, 7)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
                not 1 <= value <= high:
            raise ValueError(f"{name} must be an int from 1 to {high} for this picture, "
                             f"got {value!r}")
    c, kout, k = int(in_channels), int(out_channels), int(kernel_size)
    colors = _CHANNEL_COLORS[:c]
    gray = "#bdbdbd"
    fig, axes = plt.subplots(2, 1, figsize=(12, 6.4))
    side, ks = 2.2, 0.22 * k  # size of a map and of a kernel on the page
    # --- standard
    ax = axes[0]
    _slab(ax, 0, 0, side, side, c, list(colors), label=f"input\n{c} × H × W")
    x = side + c * 0.18 + 1.2
    _arrow(ax, x - 1.0, x - 0.1, side / 2, "")
    for f in range(kout):
        _slab(ax, x + f * (ks + 0.5), side / 2 - ks / 2, ks, ks, c, list(colors))
    ax.text(x + kout * (ks + 0.5) / 2, side / 2 - ks / 2 - 0.35,
            f"{kout} filters,\neach {c} × {k} × {k}", ha="center", va="top", fontsize=9)
    x2 = x + kout * (ks + 0.5) + 0.9
    _arrow(ax, x2 - 0.8, x2 - 0.1, side / 2, "")
    _slab(ax, x2, 0, side, side, kout, gray, label=f"output\n{kout} × H' × W'")
    top_end = x2 + side + kout * 0.18
    ax.set_title(f"standard convolution: {kout} filters of {c} × {k} × {k} = "
                 f"{kout * c * k * k} weights", fontsize=11, loc="left")
    # --- depthwise separable
    ax = axes[1]
    _slab(ax, 0, 0, side, side, c, list(colors), label=f"input\n{c} × H × W")
    x = side + c * 0.18 + 1.2
    _arrow(ax, x - 1.0, x - 0.1, side / 2, "")
    for ch in range(c):
        ax.add_patch(patches.Rectangle((x + ch * (ks + 0.35), side / 2 - ks / 2), ks, ks,
                                       facecolor=colors[ch], edgecolor="black"))
    ax.text(x + c * (ks + 0.35) / 2, side / 2 - ks / 2 - 0.35,
            f"depthwise:\n{c} kernels of {k} × {k},\none per channel", ha="center", va="top",
            fontsize=9)
    x2 = x + c * (ks + 0.35) + 0.9
    _arrow(ax, x2 - 0.8, x2 - 0.1, side / 2, "")
    _slab(ax, x2, 0, side, side, c, list(colors), label=f"{c} depthwise maps\n{c} × H' × W'")
    x3 = x2 + side + c * 0.18 + 1.2
    _arrow(ax, x3 - 1.0, x3 - 0.1, side / 2, "")
    cell = 0.3
    for f in range(kout):
        for ch in range(c):
            ax.add_patch(patches.Rectangle(
                (x3 + f * (cell + 0.35), side / 2 + (c / 2 - ch - 1) * cell),
                cell, cell, facecolor=colors[ch], edgecolor="black"))
    ax.text(x3 + kout * (cell + 0.35) / 2, side / 2 - c / 2 * cell - 0.35,
            f"pointwise:\n{kout} filters\nof 1 × 1 × {c}", ha="center", va="top", fontsize=9)
    x4 = x3 + kout * (cell + 0.35) + 0.9
    _arrow(ax, x4 - 0.8, x4 - 0.1, side / 2, "")
    _slab(ax, x4, 0, side, side, kout, gray, label=f"output\n{kout} × H' × W'")
    ax.set_title(f"depthwise separable: {c} × {k} × {k} + {kout} × {c} = "
                 f"{c * k * k + kout * c} weights", fontsize=11, loc="left")
    right = max(x4 + side + kout * 0.18, top_end) + 0.3
    for ax in axes:
        ax.set_xlim(-0.3, right)
        ax.set_ylim(-1.7, side + 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
    return _finish(fig)


@picture
def mults_vs_out_channels(input_shape, kernel_size, out_channels=(8, 16, 32, 64, 128, 256)):
    """Multiplications of a standard and a depthwise-separable convolution against K.

    Parameters
    ----------
    input_shape : tuple of int (C, H, W)
        One input image.
    kernel_size : int
        ``k`` of the ``k × k`` kernels; no padding, stride 1.
    out_channels : sequence of int, optional
        The values of ``K`` to compare.

    Returns
    -------
    matplotlib.figure.Figure
        Grouped bars on a log scale, standard and depthwise-separable, with
        the ratio written above each pair.

    Raises
    ------
    ValueError
        If the kernel does not fit in the input or ``out_channels`` is empty.

    Notes
    -----
    With ``H' = H - k + 1`` and ``W' = W - k + 1``: standard
    ``H' W' K k^2 C``, depthwise separable ``H' W' C (k^2 + K)``; the ratio is
    ``1/K + 1/k^2``.

    Examples
    --------
    >>> fig = mults_vs_out_channels((3, 15, 15), 3, out_channels=[10])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['× 4.7']
    """
    c, h, w = (int(v) for v in input_shape)
    k = int(kernel_size)
    ks = [int(v) for v in out_channels]
    if not ks:
        raise ValueError("out_channels must hold at least one value, got an empty sequence")
    ho, wo = h - k + 1, w - k + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"kernel_size {k} does not fit in input_shape {tuple(input_shape)}")
    standard = np.array([ho * wo * kk * k * k * c for kk in ks], dtype=float)
    separable = np.array([ho * wo * c * (k * k + kk) for kk in ks], dtype=float)
    pos = np.arange(len(ks))
    fig, ax = plt.subplots(figsize=(max(5.5, 1.1 * len(ks) + 2), 3.8))
    ax.bar(pos - 0.2, standard, width=0.4, color="#9e9ac8", label="standard")
    ax.bar(pos + 0.2, separable, width=0.4, color=_WINDOW, label="depthwise separable")
    for p, a, b in zip(pos, standard, separable):
        ax.text(p, a * 1.15, f"× {a / b:.1f}", ha="center", va="bottom", fontsize=9)
    ax.set_yscale("log")
    ax.set_ylim(top=standard.max() * 4)
    ax.set_xticks(pos)
    ax.set_xticklabels([str(v) for v in ks])
    ax.set_xlabel("output channels K")
    ax.set_ylabel("multiplications (log scale)")
    ax.set_title(f"input {c} × {h} × {w}, {k} × {k} kernels, no padding", fontsize=11)
    ax.legend(loc="upper left", fontsize=9)
    return _finish(fig)


@picture
def image_row(images, size=3.2, cmap="gray", vmin=None, vmax=None):
    """Images side by side, each under its title.

    Parameters
    ----------
    images : dict of str to ndarray, each shape (H, W) or (H, W, 3)
        Titles and images.
    size : float, optional
        Inches per image.
    cmap : str, optional
        Colour map of the 2-D images (default ``'gray'``).
    vmin, vmax : float, optional
        A grey range shared by every image (default: each its own).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``images`` is empty or an image is neither 2-D nor (H, W, 3).

    Examples
    --------
    >>> fig = image_row({"ones": np.ones((4, 4)), "eye": np.eye(4)})
    >>> [ax.get_title() for ax in fig.axes]
    ['ones', 'eye']
    """
    items = [(title, np.asarray(img)) for title, img in dict(images).items()]
    if not items:
        raise ValueError("images must name at least one image, got an empty dict")
    for title, img in items:
        if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
            raise ValueError(f"image {title!r} must have shape (H, W) or (H, W, 3), "
                             f"got shape {img.shape}")
    fig, axes = plt.subplots(1, len(items), figsize=(size * len(items), size), squeeze=False)
    for ax, (title, img) in zip(axes[0], items):
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    return _finish(fig)


@picture
def channel_maps(stages, names=None, size=1.9, cmap="gray"):
    """The channels of several stages of a network, one row per stage.

    Parameters
    ----------
    stages : dict of str to ndarray, each shape (C, H, W)
        Named stages (for example ``{"input": x[0], "depthwise": d[0]}``).
    names : dict of str to sequence of str, optional
        Channel titles of some stages (default ``"<stage> <channel>"``).
    size : float, optional
        Inches per map.
    cmap : str, optional
        Colour map (default ``'gray'``); each map gets its own range.

    Returns
    -------
    matplotlib.figure.Figure
        A grid: row ``i`` shows the channels of stage ``i``, titled by
        ``names`` or ``"<stage> 0"``, ``"<stage> 1"``, ...

    Raises
    ------
    ValueError
        If ``stages`` is empty, a stage is not 3-D, or a stage's ``names``
        do not match its channels.

    Examples
    --------
    >>> fig = channel_maps({"in": np.ones((2, 4, 4)), "out": np.zeros((3, 2, 2))})
    >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
    ['in 0', 'in 1', 'out 0', 'out 1', 'out 2']
    >>> fig = channel_maps({"in": np.ones((2, 4, 4))}, names={"in": ["red", "green"]})
    >>> [ax.get_title() for ax in fig.axes]
    ['red', 'green']
    """
    items = [(name, np.asarray(a, dtype=float)) for name, a in dict(stages).items()]
    if not items:
        raise ValueError("stages must name at least one stage, got an empty dict")
    for name, a in items:
        if a.ndim != 3:
            raise ValueError(f"stage {name!r} must have shape (C, H, W), got shape {a.shape}")
    names = dict(names or {})
    for name, a in items:
        if name in names and len(names[name]) != a.shape[0]:
            raise ValueError(f"names[{name!r}] must give {a.shape[0]} channel titles, "
                             f"got {list(names[name])!r}")
    ncols = max(a.shape[0] for _, a in items)
    fig, axes = plt.subplots(len(items), ncols, figsize=(size * ncols, size * len(items) + 0.2),
                             squeeze=False)
    for row, (name, a) in enumerate(items):
        for col in range(ncols):
            ax = axes[row, col]
            ax.axis("off")
            if col >= a.shape[0]:
                ax.set_visible(False)
                continue
            ax.imshow(a[col], cmap=cmap)
            ax.set_title(names[name][col] if name in names else f"{name} {col}", fontsize=9)
    return _finish(fig)

