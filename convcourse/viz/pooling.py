"""Pictures for assignment 03-pooling.

Every function returns a matplotlib ``Figure``, closed in pyplot (a notebook
shows it once, as the cell's value), and computes with the reference
(:mod:`convcourse.pooling`), never with a student's code.  Small arrays are
drawn as grids of cells with their values written in.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = pooling_grid(np.arange(16).reshape(4, 4) % 5)
>>> [ax.get_title().split(":")[0] for ax in fig.axes]
['input', 'max pooling', 'average pooling']
"""

from __future__ import annotations

import numpy as np

from .._picture_cache import picture
from .._validation import check_choice, check_int, ntuple
from ..kernels import gradient_magnitude
from ..pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from ._draw import patches, plt  # imported when first drawn
from ._draw import cell_axes as _cell_axes
from ._draw import draw_cells as _draw_cells
from ._draw import finish as _finish

__all__ = [
    "RESNET18_STAGES", "activation_memory", "memory_per_stage", "pooling_grid",
    "pooling_photo", "global_pooling", "shift_invariance", "gradient_routing",
]

#: ResNet-18 on a 224 x 224 image: (stage, channels, side of the square feature map)
RESNET18_STAGES = (
    ("input image", 3, 224),
    ("conv1 (7×7, stride 2)", 64, 112),
    ("layer1 (after max pool)", 64, 56),
    ("layer2", 128, 28),
    ("layer3", 256, 14),
    ("layer4", 512, 7),
    ("global average pool", 512, 1),
)

#: one colour per pooling window
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def _tint(color, alpha=0.35):
    rgb = np.array(plt.matplotlib.colors.to_rgb(color))
    return tuple(1 - alpha * (1 - rgb))


def _fmt3(v) -> str:
    """Up to three significant digits (1.75 stays 1.75)."""
    v = float(v)
    return f"{v:.0f}" if v.is_integer() else f"{v:.3g}"


def _plane(x, name="x") -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (H, W), got shape {x.shape}")
    return x


def activation_memory(stages=RESNET18_STAGES, batch=32, bytes_per_value=4):
    """Memory of one activation tensor per stage, with and without downsampling.

    Parameters
    ----------
    stages : sequence of (str, int, int)
        ``(name, channels, side)`` for each stage; the first stage's side is the
        input's size (default: ResNet-18 on a 224 × 224 RGB image).
    batch : int, optional
        Images per batch (default 32).
    bytes_per_value : int, optional
        4 for float32 (default), 2 for float16, 8 for float64.

    Returns
    -------
    list of dict
        One per stage: ``name``, ``channels``, ``side`` (with the network's
        strides and pooling), ``bytes`` and ``bytes_without`` (every stage
        kept at the input's side: no stride and no pooling; a stage of side 1
        is a global pooling, whose output is 1 × 1 at any resolution, so it
        stays 1 × 1).

    Notes
    -----
    A tensor of shape ``(N, C, H, W)`` holds ``N·C·H·W`` values; training keeps
    every layer's output until the backward pass, so these add up.

    Examples
    --------
    >>> rows = activation_memory(batch=32)
    >>> rows[5]["name"], rows[5]["bytes"], rows[5]["bytes_without"]
    ('layer4', 3211264, 3288334336)
    >>> rows[6]["name"], rows[6]["bytes"], rows[6]["bytes_without"]
    ('global average pool', 65536, 65536)
    """
    batch = check_int(batch, "batch", minimum=1)
    bytes_per_value = check_int(bytes_per_value, "bytes_per_value", minimum=1)
    stages = list(stages)
    if not stages:
        raise ValueError("stages must not be empty")
    full = stages[0][2]
    rows = []
    for name, channels, side in stages:
        per_value = batch * int(channels) * bytes_per_value
        side_without = 1 if int(side) == 1 else full  # a global pooling gives 1 x 1 anyway
        rows.append({"name": name, "channels": int(channels), "side": int(side),
                     "bytes": per_value * int(side) ** 2,
                     "bytes_without": per_value * side_without ** 2})
    return rows


def _human(n_bytes: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes:.0f} B"


@picture
def memory_per_stage(stages=RESNET18_STAGES, batch=32, bytes_per_value=4):
    """Table and bar chart of :func:`activation_memory`.

    Parameters
    ----------
    stages, batch, bytes_per_value
        As in :func:`activation_memory`.

    Returns
    -------
    matplotlib.figure.Figure
        Left, a table (stage, shape of one image's activation, memory for the
        batch with and without downsampling); right, the same memories as bars
        on a logarithmic scale.

    Examples
    --------
    >>> fig = memory_per_stage(batch=1)
    >>> len(fig.axes)
    2
    """
    rows = activation_memory(stages, batch, bytes_per_value)
    fig, (ax_t, ax_b) = plt.subplots(1, 2, figsize=(13, 4.2),
                                     gridspec_kw={"width_ratios": [1.35, 1]})
    cells = [[r["name"], f"{r['channels']} × {r['side']} × {r['side']}", _human(r["bytes"]),
              _human(r["bytes_without"])] for r in rows]
    table = ax_t.table(cellText=cells, colLabels=["stage", "C × H × W", "with downsampling",
                                                  "without"], loc="center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.5)
    table.auto_set_column_width(range(4))
    ax_t.axis("off")
    ax_t.set_title(f"one activation tensor per stage: batch {batch}, "
                   f"{bytes_per_value} bytes per value", fontsize=11)
    pos = np.arange(len(rows))
    ax_b.barh(pos + 0.2, [r["bytes_without"] for r in rows], height=0.4, color="#d62728",
              label="without downsampling (every stage 224 × 224)" if rows[0]["side"] == 224
              else "without downsampling")
    ax_b.barh(pos - 0.2, [r["bytes"] for r in rows], height=0.4, color="#1f77b4",
              label="with strides and pooling")
    ax_b.set_xscale("log")
    ax_b.set_yticks(pos, [r["name"] for r in rows])
    ax_b.invert_yaxis()
    ax_b.set_xlabel("bytes (log scale)")
    ax_b.legend(loc="upper center", bbox_to_anchor=(0.4, -0.16), fontsize=9, ncol=2,
                frameon=False)
    ax_b.spines[["top", "right"]].set_visible(False)
    return _finish(fig)


def _window_boxes(ax, shape, k, s, x0=0.0, y0=0.0, inset=0.08):
    """Outline every window in its own colour, slightly inset so overlaps stay visible."""
    oh = (shape[0] - k[0]) // s[0] + 1
    ow = (shape[1] - k[1]) // s[1] + 1
    overlap = s[0] < k[0] or s[1] < k[1]
    n = 0
    for i in range(oh):
        for j in range(ow):
            d = inset * (1 + (n % 3)) if overlap else 1.5 * inset
            ax.add_patch(patches.Rectangle((x0 + j * s[1] + d, y0 - i * s[0] - k[0] + d),
                                           k[1] - 2 * d, k[0] - 2 * d, fill=False,
                                           edgecolor=_COLORS[n % len(_COLORS)], linewidth=2.5))
            n += 1
    return oh, ow


def _output_cells(ax, values, x0=0.0, y0=0.0):
    """The output grid, each cell tinted with its window's colour."""
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            color = _COLORS[(i * values.shape[1] + j) % len(_COLORS)]
            ax.add_patch(patches.Rectangle((x0 + j, y0 - i - 1), 1, 1, facecolor=_tint(color),
                                           edgecolor="black"))
            ax.text(x0 + j + 0.5, y0 - i - 0.5, _fmt3(values[i, j]), ha="center", va="center",
                    fontsize=11)


@picture
def pooling_grid(x, kernel_size=2, stride=None):
    """Max and average pooling of a small grid, each window in its own colour.

    Parameters
    ----------
    x : array_like, shape (H, W)
        A small grid (its values are written in the cells).
    kernel_size : int or tuple (kH, kW), optional
        The window (default 2).
    stride : int or tuple (sH, sW), optional
        Step between windows (default: the window size).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: the input with the windows outlined, the max-pooled and
        the average-pooled outputs (each cell tinted like its window).

    Notes
    -----
    ``max: out[i, j] = max_{a, b} x[i sH + a, j sW + b]``;
    ``average: out[i, j] = (1 / (kH kW)) sum_{a, b} x[i sH + a, j sW + b]``;
    ``H_out = floor((H - kH) / sH) + 1``.

    Examples
    --------
    >>> fig = pooling_grid(np.arange(16).reshape(4, 4), 2)
    >>> [t.get_text() for t in fig.axes[1].texts]
    ['5', '7', '13', '15']
    """
    x = _plane(x)
    k = ntuple(kernel_size, 2, "kernel_size")
    s = k if stride is None else ntuple(stride, 2, "stride")
    mx = max_pool2d(x[None, None], k, s)[0, 0]
    av = avg_pool2d(x[None, None], k, s)[0, 0]
    h, w = x.shape
    side = max(mx.shape[1], 3)
    fig, axes = plt.subplots(1, 3, figsize=(2.0 + 0.65 * (w + 2 * side), 1.2 + 0.6 * h),
                             gridspec_kw={"width_ratios": [w, side, side]})
    _draw_cells(axes[0], x)
    _window_boxes(axes[0], x.shape, k, s)
    overlap = " (overlapping)" if s[0] < k[0] or s[1] < k[1] else ""
    _cell_axes(axes[0], w, h, f"input: windows {k[0]}×{k[1]},\nstride {s[0]}×{s[1]}{overlap}")
    for ax, values, what in ((axes[1], mx, "max pooling:\nthe largest of each window"),
                             (axes[2], av, "average pooling:\nthe mean of each window")):
        x0 = (side - values.shape[1]) / 2
        _output_cells(ax, values, x0=x0)
        _cell_axes(ax, side, h, what)
    return _finish(fig)


@picture
def pooling_photo(image, kernel_size=8):
    """Max against average pooling on a photograph and on its edge map.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grey-level image (for example :func:`convcourse.data.load_photo`).
    kernel_size : int, optional
        Window and stride of the pooling (default 8).

    Returns
    -------
    matplotlib.figure.Figure
        Two rows of three panels: the image, its max pooling and its average
        pooling; then the same for its Sobel gradient magnitude, where max
        pooling keeps the thin edges that averaging dilutes.

    Examples
    --------
    >>> fig = pooling_photo(np.random.default_rng(0).random((32, 40)), 4)
    >>> fig.axes[1].images[0].get_array().shape
    (8, 10)
    """
    image = _plane(image, "image")
    k = check_int(kernel_size, "kernel_size", minimum=1)
    edges = gradient_magnitude(image, "sobel")
    fig, axes = plt.subplots(2, 3, figsize=(11, 8.2))
    for row, (picture, label) in enumerate(((image, "photo"), (edges, "edges (Sobel magnitude)"))):
        batch = picture[None, None]
        mx, av = max_pool2d(batch, k)[0, 0], avg_pool2d(batch, k)[0, 0]
        size = f"{mx.shape[0]}×{mx.shape[1]}"
        panels = [(picture, f"{label}, {picture.shape[0]}×{picture.shape[1]}"),
                  (mx, f"max pooling {k}×{k} → {size}"),
                  (av, f"average pooling {k}×{k} → {size}")]
        vmax = float(picture.max()) if row == 0 else float(np.percentile(picture, 99.5))
        for ax, (values, title) in zip(axes[row], panels):
            ax.imshow(values, cmap="gray", vmin=0, vmax=vmax)
            ax.set_title(title, fontsize=11)
            ax.axis("off")
    return _finish(fig)


@picture
def global_pooling(feature_maps=None):
    """Global average pooling: each channel plane becomes one number.

    Parameters
    ----------
    feature_maps : array_like, shape (C, H, W), optional
        One image's feature maps (default: three small integer 4 × 4 maps).

    Returns
    -------
    matplotlib.figure.Figure
        The C planes with their values, and the (C, 1, 1) vector of their
        means that a linear layer receives.

    Notes
    -----
    ``out[c, 0, 0] = (1 / (H W)) sum_{h, w} x[c, h, w]``: the output no longer
    depends on H and W, so the same linear layer works for any input size.

    Examples
    --------
    >>> fig = global_pooling(np.arange(8.0).reshape(2, 2, 2))
    >>> [t.get_text() for t in fig.axes[-1].texts][:2]
    ['1.5', '5.5']
    """
    if feature_maps is None:
        feature_maps = np.array([[[0, 1, 0, 0], [1, 3, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]],
                                 [[2, 2, 2, 2], [2, 2, 2, 2], [1, 1, 1, 1], [1, 1, 1, 1]],
                                 [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 8, 0], [0, 0, 0, 0]]])
    x = np.asarray(feature_maps, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"feature_maps must have shape (C, H, W), got shape {x.shape}")
    c, h, w = x.shape
    means = x.mean(axis=(1, 2))
    fig, axes = plt.subplots(1, c + 1, figsize=(2.2 + (0.55 * w + 0.5) * c, 1.4 + 0.55 * h),
                             gridspec_kw={"width_ratios": [w] * c + [2]})
    for ch in range(c):
        color = _COLORS[ch % len(_COLORS)]
        _draw_cells(axes[ch], x[ch], face=_tint(color, 0.25))
        _cell_axes(axes[ch], w, h, f"channel {ch}: mean {_fmt3(means[ch])}")
    ax = axes[-1]
    for ch in range(c):
        ax.add_patch(patches.Rectangle((0.5, -ch - 1), 1, 1,
                                       facecolor=_tint(_COLORS[ch % len(_COLORS)]),
                                       edgecolor="black"))
        ax.text(1.0, -ch - 0.5, _fmt3(means[ch]), ha="center", va="center", fontsize=11)
    _cell_axes(ax, 2, max(h, c), f"output ({c}, 1, 1)\n→ linear layer")
    return _finish(fig)


def _spike_input(background, position, value):
    x = background.copy()
    x[position] = value
    return x


@picture
def shift_invariance(positions=((1, 1), (2, 0), (0, 3), (1, 5)), kernel_size=4, size=8,
                     value=9, seed=0):
    """A strong feature moved around: max pooling reports that it is there, not where.

    Parameters
    ----------
    positions : sequence of (int, int), optional
        Where the feature (one large value) sits, one column each.  The
        default keeps it in the top-left window three times, then moves it
        into the next window.
    kernel_size : int, optional
        Window and stride of the pooling (default 4).
    size : int, optional
        Side of the square input (default 8).
    value : float, optional
        The feature's value (default 9), above the background's 0 to 2.
    seed : int, optional
        Seed of the background's small random integers.

    Returns
    -------
    matplotlib.figure.Figure
        Three rows: the inputs, their max pooling and their average pooling.
        Max pooling gives the same output wherever the feature sits inside a
        window; it changes only when the feature crosses into another window.

    Examples
    --------
    >>> fig = shift_invariance(positions=[(0, 0), (1, 1)], kernel_size=2, size=4)
    >>> len(fig.axes)
    6
    """
    k = check_int(kernel_size, "kernel_size", minimum=1)
    size = check_int(size, "size", minimum=k)
    positions = [ntuple(p, 2, "positions", minimum=0) for p in positions]
    for p in positions:
        if max(p) >= size:
            raise ValueError(f"positions must lie inside the {size}×{size} input, got {p}")
    background = np.random.default_rng(seed).integers(0, 3, size=(size, size)).astype(float)
    n = len(positions)
    unit = 2.6 / size   # inches per cell
    low = size / k + 1.4
    fig, axes = plt.subplots(3, n, figsize=(2.6 * n + 0.6, unit * (size + 2 * low) + 1.2),
                             squeeze=False, gridspec_kw={"height_ratios": [size, low, low]})
    first = None
    for col, p in enumerate(positions):
        x = _spike_input(background, p, value)
        mark = np.zeros(x.shape, bool)
        mark[p] = True
        _draw_cells(axes[0, col], x, highlight=mark, fontsize=8)
        _window_boxes(axes[0, col], x.shape, (k, k), (k, k), inset=0.04)
        _cell_axes(axes[0, col], size, size, f"feature at {p}")
        mx = max_pool2d(x[None, None], k)[0, 0]
        av = avg_pool2d(x[None, None], k)[0, 0]
        first = mx if first is None else first
        same = "same as the first" if np.array_equal(mx, first) else "changed"
        for row, values, title in ((1, mx, f"max pooling: {same}"), (2, av, "average pooling")):
            _output_cells(axes[row, col], values)
            _cell_axes(axes[row, col], values.shape[1], values.shape[0], title)
            axes[row, col].set_xlim(-0.5 * (size / k), values.shape[1] + 0.5 * (size / k))
    return _finish(fig)


@picture
def gradient_routing(x=None, grad_output=None, kernel_size=3, stride=2, mode="max"):
    """Where each window's gradient goes in the backward pass of pooling.

    Parameters
    ----------
    x : array_like, shape (H, W), optional
        The forward's input (default: a 5 × 5 grid whose 9 is the maximum of
        two overlapping 3 × 3 windows).
    grad_output : array_like, shape (H_out, W_out), optional
        The gradient arriving at each output (default 1, 2, 3, ...).
    kernel_size : int or tuple (kH, kW), optional
        Window (default 3).
    stride : int or tuple (sH, sW), optional
        Step between windows (default 2: windows overlap by one row/column).
    mode : str {'max', 'avg'}, optional
        Max pooling routes a window's gradient to its first maximum; average
        pooling spreads it evenly, ``grad / (kH kW)`` to each cell.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: ``x`` with the windows (for max pooling, each window's
        maximum circled in its colour), ``grad_output`` coloured by window, and
        ``grad_input`` with arrows from each output's gradient to where it goes
        (for max pooling), where overlapping windows add up.

    Raises
    ------
    ValueError
        If ``mode`` is not 'max' or 'avg', or the shapes do not fit.

    Notes
    -----
    Max: ``grad_x[r, q] = sum of grad_out[i, j]`` over the windows ``(i, j)``
    whose first maximum is at ``(r, q)``.  Average: ``grad_x[r, q] = sum of
    grad_out[i, j] / (kH kW)`` over the windows that contain ``(r, q)``.

    Examples
    --------
    >>> fig = gradient_routing()
    >>> sorted(t.get_text() for t in fig.axes[2].texts if t.get_text() != "0")
    ['1 + 2', '3', '3', '4']
    """
    mode = check_choice(mode, ("max", "avg"), "mode")
    if x is None:
        x = [[1, 4, 2, 0, 1], [3, 0, 9, 2, 1], [2, 1, 5, 1, 0], [0, 7, 1, 3, 2], [1, 2, 0, 6, 1]]
    x = _plane(x)
    k = ntuple(kernel_size, 2, "kernel_size")
    s = ntuple(stride, 2, "stride")
    out_shape = max_pool2d(x[None, None], k, s).shape[2:]
    if grad_output is None:
        grad_output = np.arange(1.0, out_shape[0] * out_shape[1] + 1).reshape(out_shape)
    g = np.asarray(grad_output, dtype=float)
    if g.shape != out_shape:
        raise ValueError(f"grad_output must have the output's shape {out_shape}, got {g.shape}")
    if mode == "max":
        grad = max_pool2d_backward(g[None, None], x[None, None], k, s)[0, 0]
        _, idx = max_pool2d(x[None, None], k, s, return_indices=True)
        targets = [divmod(int(v), x.shape[1]) for v in idx[0, 0].ravel()]
        rule = "max pooling:\neach gradient to its window's maximum"
    elif mode == "avg":
        grad = avg_pool2d_backward(g[None, None], x[None, None], k, s)[0, 0]
        targets = None
        rule = f"average pooling:\neach gradient shared, 1/{k[0] * k[1]} per cell"
    else:
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    h, w = x.shape
    oh, ow = g.shape
    fig, axes = plt.subplots(1, 3, figsize=(3.0 + 0.7 * (2 * w + max(ow, 2)), 1.5 + 0.7 * h),
                             gridspec_kw={"width_ratios": [w, max(ow, 2) + 1, w]})
    _draw_cells(axes[0], x)
    _window_boxes(axes[0], x.shape, k, s)
    if targets is not None:
        for n, (r, q) in enumerate(targets):
            axes[0].add_patch(plt.Circle((q + 0.5, -r - 0.5), 0.36 - 0.05 * (n % 3), fill=False,
                                         edgecolor=_COLORS[n % len(_COLORS)], linewidth=2))
    _cell_axes(axes[0], w, h, f"x: windows {k[0]}×{k[1]}, stride {s[0]}×{s[1]}" +
               ("\n(each window's maximum circled)" if mode == "max" else ""))
    _output_cells(axes[1], g, x0=0.5)
    _cell_axes(axes[1], max(ow, 2) + 1, h, "grad_output")
    _draw_cells(axes[2], grad, face="white")
    if targets is not None:
        received = {}
        for n, (r, q) in enumerate(targets):
            i, j = divmod(n, ow)
            received.setdefault((r, q), []).append(g[i, j])
            axes[2].add_patch(patches.Rectangle((q, -r - 1), 1, 1,
                                                facecolor=_COLORS[n % len(_COLORS)],
                                                alpha=0.3, edgecolor="none", zorder=1.5))
            fig.add_artist(patches.ConnectionPatch(
                xyA=(j + 1.5, -i - 0.5), coordsA=axes[1].transData,
                xyB=(q + 0.15, -r - 0.2), coordsB=axes[2].transData,
                arrowstyle="->", color=_COLORS[n % len(_COLORS)], linewidth=1.6,
                connectionstyle=f"arc3,rad={-0.25 + 0.1 * (n % 3)}", shrinkA=2, shrinkB=2))
        for (r, q), parts in received.items():
            if len(parts) > 1:
                axes[2].text(q + 0.5, -r - 0.85, " + ".join(_fmt3(v) for v in parts),
                             ha="center", va="center", fontsize=8)
    else:
        _window_boxes(axes[2], x.shape, k, s)
    _cell_axes(axes[2], w, h, f"grad_input, {rule}")
    return _finish(fig)
