"""Pictures for assignment 01-convolution.

Every function returns a matplotlib ``Figure`` (or, for
:func:`animate_conv2d`, a ``FuncAnimation``) and draws nothing else, so a
notebook cell is one call.  Figures are closed in pyplot before they are
returned: a notebook shows each once, as the cell's value (in a script, call
``fig.savefig``).  Arrays are drawn as grids of cells with their values
written in, the way the convolution is worked out by hand.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = sliding_dot_product_1d([1, 2, 0, -1, 3], [1, 0, -1])
>>> len(fig.axes)
3
"""

from __future__ import annotations

import numpy as np

from .._picture_cache import picture
from .._padding import output_length
from .._validation import ntuple
from ._draw import animation, patches, plt  # imported when first drawn
from ._draw import OUTPUT_COLOR as _OUTPUT
from ._draw import PAD_COLOR as _PAD
from ._draw import WINDOW_COLOR as _WINDOW
from ._draw import cell_axes as _cell_axes
from ._draw import correlate_valid as _correlate_valid
from ._draw import draw_cells as _draw_cells
from ._draw import finish as _finish
from ._draw import translate_figure
from ._draw import fmt as _fmt

__all__ = [
    "sliding_dot_product_1d", "sliding_dot_product_2d", "correlation_vs_convolution",
    "conv_dimensions", "animate_conv2d", "show_animation", "image_grid", "kernel_gallery",
    "corners_overlay",
]

@picture
def sliding_dot_product_1d(signal, kernel, positions=None):
    """The kernel sliding along a 1-D signal, one dot product per position.

    Parameters
    ----------
    signal : array_like, shape (L,)
        The input signal.
    kernel : array_like, shape (K,)
        The kernel, with K <= L.
    positions : sequence of int, optional
        The output positions to draw, one panel each (default: the first
        three, or all when fewer).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per position: the signal with the window highlighted, the
        kernel under it, the products and their sum written out.

    Notes
    -----
    ``out[i] = sum_k signal[i + k] * kernel[k]``, for ``i = 0 .. L - K``.

    Examples
    --------
    >>> fig = sliding_dot_product_1d([1, 2, 3, 4], [1, -1], positions=[0, 2])
    >>> len(fig.axes)
    2
    """
    x = np.asarray(signal, dtype=float).ravel()
    k = np.asarray(kernel, dtype=float).ravel()
    if k.size > x.size:
        raise ValueError(f"kernel must not be longer than signal, got {k.size} > {x.size}")
    out = _correlate_valid(x, k)
    if positions is None:
        positions = range(min(3, out.size))
    positions = list(positions)
    fig, axes = plt.subplots(len(positions), 1, figsize=(max(6, 0.7 * x.size + 3), 2.3 * len(positions)),
                             squeeze=False)
    for ax, i in zip(axes[:, 0], positions):
        window = np.zeros((1, x.size), bool)
        window[0, i:i + k.size] = True
        _draw_cells(ax, x[None], 0, 0, highlight=window)
        _draw_cells(ax, k[None], i, -1.4, face="#fde0c5")
        done = np.full((1, out.size), False)
        done[0, i] = True
        shown = np.where(np.arange(out.size) <= i, out, np.nan)
        for j in range(out.size):
            ax.add_patch(patches.Rectangle((j + (k.size - 1) / 2, -4.0), 1, 1,
                                           facecolor=_OUTPUT if j == i else "white",
                                           edgecolor="black"))
            if j <= i:
                ax.text(j + (k.size - 1) / 2 + 0.5, -3.5, _fmt(shown[j]), ha="center", va="center")
        terms = " + ".join(f"({_fmt(a)})({_fmt(b)})" for a, b in zip(x[i:i + k.size], k))
        ax.text(-0.1, -0.5, "signal", ha="right", va="center")
        ax.text(-0.1, -1.9, "kernel", ha="right", va="center")
        ax.text(-0.1, -3.5, "output", ha="right", va="center")
        ax.set_title(f"position {i}:  {terms} = {_fmt(out[i])}", fontsize=11)
        _cell_axes(ax, x.size, 4.2)
        ax.set_xlim(-1.6, x.size + 0.2)
    return _finish(fig)


@picture
def sliding_dot_product_2d(image, kernel, position=(0, 0)):
    """One step of 2-D cross-correlation: window, kernel, products, output cell.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A small input (values are written in the cells).
    kernel : array_like, shape (kH, kW)
        The kernel.
    position : tuple of int (i, j), optional
        The output position to show (default the top-left one).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: the input with the window, the kernel, and the output
        with the computed cell; the sum of products is in the title.

    Notes
    -----
    ``out[i, j] = sum_{a, b} image[i + a, j + b] * kernel[a, b]``; the output
    has shape ``(H - kH + 1, W - kW + 1)``.

    Examples
    --------
    >>> fig = sliding_dot_product_2d(np.arange(16).reshape(4, 4), np.eye(2), position=(1, 2))
    >>> len(fig.axes)
    3
    """
    x = np.asarray(image, dtype=float)
    k = np.asarray(kernel, dtype=float)
    out = _correlate_valid(x, k)
    i, j = ntuple(position, 2, "position", minimum=0)
    if i >= out.shape[0] or j >= out.shape[1]:
        raise ValueError(f"position must index the output of shape {out.shape}, got {position!r}")
    kh, kw = k.shape
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8),
                             gridspec_kw={"width_ratios": [x.shape[1], max(kw, 2), out.shape[1]]})
    window = np.zeros(x.shape, bool)
    window[i:i + kh, j:j + kw] = True
    _draw_cells(axes[0], x, highlight=window)
    _cell_axes(axes[0], x.shape[1], x.shape[0], "input (window in orange)")
    _draw_cells(axes[1], k, face="#fde0c5")
    _cell_axes(axes[1], kw, x.shape[0], "kernel")
    cell = np.zeros(out.shape, bool)
    cell[i, j] = True
    _draw_cells(axes[2], out, highlight=cell, highlight_color=_OUTPUT)
    _cell_axes(axes[2], out.shape[1], x.shape[0], f"output, shape {out.shape}")
    window_values = x[i:i + kh, j:j + kw].ravel()
    terms = " + ".join(f"{_fmt(a)}·{_fmt(b) if b >= 0 else '(' + _fmt(b) + ')'}"
                       for a, b in zip(window_values, k.ravel()))
    fig.suptitle(f"out[{i}, {j}] = {terms} = {_fmt(out[i, j])}", fontsize=11)
    return _finish(fig)


@picture
def correlation_vs_convolution(signal=None, kernel=(1.0, 2.0, 3.0)):
    """Cross-correlation against convolution on a 1-D signal with an asymmetric kernel.

    Parameters
    ----------
    signal : array_like, shape (L,), optional
        Default: a single spike, which makes the difference plain (the
        correlation writes the kernel backwards, the convolution forwards).
    kernel : array_like, shape (K,), optional
        An asymmetric kernel (default ``[1, 2, 3]``).

    Returns
    -------
    matplotlib.figure.Figure
        Four panels: the signal, the kernel, the cross-correlation and the
        convolution (= cross-correlation with the flipped kernel), 'full' output.

    Notes
    -----
    Cross-correlation: ``(x ⋆ k)[i] = sum_m x[i + m] k[m]``.  Convolution:
    ``(x * k)[i] = sum_m x[i - m] k[m]``, the cross-correlation with ``k``
    reversed.  Deep learning's "convolution" layers compute the cross-correlation.
    Each output is drawn at the index ``i`` of its formula (0 outside the signal),
    so a spike at ``p`` gives the reversed kernel over ``p - K + 1 .. p`` and
    the kernel as it is over ``p .. p + K - 1``.

    Examples
    --------
    >>> fig = correlation_vs_convolution()
    >>> [ax.get_title(loc="left").split(":")[0] for ax in fig.axes]
    ['signal', 'kernel', 'cross-correlation', 'convolution']
    """
    k = np.asarray(kernel, dtype=float).ravel()
    if signal is None:
        signal = np.zeros(9)
        signal[4] = 1.0
    x = np.asarray(signal, dtype=float).ravel()
    padded = np.concatenate([np.zeros(k.size - 1), x, np.zeros(k.size - 1)])
    corr = _correlate_valid(padded, k)
    conv = _correlate_valid(padded, k[::-1])
    fig, axes = plt.subplots(4, 1, figsize=(7, 6.5), sharex=False)
    panels = [
        (x, "signal: a single spike" if np.count_nonzero(x) == 1 else "signal", "#1f77b4",
         np.arange(x.size)),
        (k, f"kernel: {np.array2string(k, precision=2, separator=', ')}", "#ff7f0e",
         np.arange(k.size)),
        (corr, "cross-correlation: the kernel comes out backwards", "#9467bd",
         np.arange(corr.size) - (k.size - 1)),
        # conv[j] = (x * k)[j]: the 'full' output's first value is the formula's i = 0
        (conv, "convolution: flip the kernel, then slide; the kernel comes out as it is",
         "#2ca02c", np.arange(conv.size)),
    ]
    for ax, (values, title, color, pos) in zip(axes, panels):
        ax.bar(pos, values, color=color, width=0.8)
        for p, v in zip(pos, values):
            if v:
                ax.text(p, v, _fmt(v), ha="center", va="bottom", fontsize=9)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_ylim(min(0, values.min()) * 1.3 - 0.1, values.max() * 1.35 + 0.1)
        ax.set_xticks(pos)
        ax.set_xlim(-(k.size - 1) - 0.6, x.size + k.size - 1.4)
        ax.spines[["top", "right"]].set_visible(False)
    return _finish(fig)


@picture
def conv_dimensions():
    """The dimension of a convolution: the number of directions the kernel moves.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: a 1-D signal (the kernel moves along one axis), a 2-D
        image (two axes) and a 3-D volume (three axes), the kernel in orange
        and its directions of motion as arrows.

    Notes
    -----
    The input's number of channels does not count: a colour image is 2-D
    convolution with a (C, kH, kW) kernel that spans all channels and moves
    along H and W only.

    Examples
    --------
    >>> fig = conv_dimensions()
    >>> len(fig.axes)
    3
    """
    fig = plt.figure(figsize=(12, 4.6))
    ax1 = fig.add_subplot(1, 3, 1)
    values = np.zeros((1, 8))
    window = np.zeros((1, 8), bool)
    window[0, 2:5] = True
    _draw_cells(ax1, values, 0, 0, highlight=window, text=False)
    ax1.annotate("", xy=(7.5, 0.6), xytext=(3.5, 0.6),
                 arrowprops={"arrowstyle": "->", "lw": 2, "color": "black"})
    _cell_axes(ax1, 8, 1)
    ax1.set_ylim(-3.5, 3.5)
    ax1.set_title("1-D: a signal (audio, text)\nthe kernel moves along 1 axis")

    ax2 = fig.add_subplot(1, 3, 2)
    grid = np.zeros((6, 6))
    window = np.zeros((6, 6), bool)
    window[1:4, 1:4] = True
    _draw_cells(ax2, grid, highlight=window, text=False)
    ax2.annotate("", xy=(6.0, -2.5), xytext=(4.1, -2.5),
                 arrowprops={"arrowstyle": "->", "lw": 2})
    ax2.annotate("", xy=(2.5, -6.0), xytext=(2.5, -4.1),
                 arrowprops={"arrowstyle": "->", "lw": 2})
    _cell_axes(ax2, 6, 6)
    ax2.set_title("2-D: an image\nthe kernel moves along 2 axes")

    ax3 = fig.add_subplot(1, 3, 3, projection="3d")
    n = 5
    filled = np.ones((n, n, n), bool)
    colors = np.empty(filled.shape, dtype=object)
    colors[:] = "#d9e6f2"
    colors[3:5, 0:2, 3:5] = _WINDOW
    ax3.voxels(filled, facecolors=colors, edgecolor="#555555", linewidth=0.3, alpha=0.55)
    for direction in np.eye(3):
        start = np.array([2.0, 2.0, 3.0]) + 1.2 * direction
        ax3.quiver(*start, *(2.2 * direction), color="black", linewidth=2, arrow_length_ratio=0.3)
    ax3.set_axis_off()
    ax3.set_title("3-D: a volume (CT scan, video)\nthe kernel moves along 3 axes")
    translate_figure(fig)  # not finished by _finish (its layout is its own)
    fig.tight_layout()
    fig.subplots_adjust(top=0.85)
    plt.close(fig)
    return fig


@picture
def animate_conv2d(input_shape, kernel_size, stride=1, padding=0, dilation=1, *, interval=600):
    """Animate a kernel moving over a padded input: one frame per output position.

    Parameters
    ----------
    input_shape : int or tuple of int (H, W)
        The input's size (a single number for a square input).
    kernel_size : int or tuple of int (kH, kW)
        The kernel's size.
    stride : int or tuple of int (sH, sW), optional
        Step between windows (default 1).
    padding : int or tuple of int (pH, pW), optional
        Zeros added on each side (default 0), drawn in grey.
    dilation : int or tuple of int (dH, dW), optional
        Spacing between the kernel's taps (default 1: no gaps).
    interval : int, optional
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        ``H_out * W_out`` frames, row by row; show it inline with
        :func:`show_animation`.  Extra attributes: ``figure``, ``output_shape``
        ``(H_out, W_out)`` and ``n_frames``.

    Raises
    ------
    ValueError
        If the dilated kernel does not fit in the padded input, or a size is below 1.

    Notes
    -----
    For each axis, ``H_out = floor((H + 2P - D(K - 1) - 1) / S) + 1``; with
    ``D = 1`` this is ``(H - K + 2P) / S + 1`` rounded down.

    Examples
    --------
    >>> anim = animate_conv2d(5, 3, stride=2, padding=1)
    >>> anim.output_shape, anim.n_frames
    ((3, 3), 9)
    >>> html = show_animation(anim)  # render it (matplotlib warns about unrendered animations)
    """
    h, w = ntuple(input_shape, 2, "input_shape")
    kh, kw = ntuple(kernel_size, 2, "kernel_size")
    sh, sw = ntuple(stride, 2, "stride")
    ph, pw = ntuple(padding, 2, "padding", minimum=0)
    dh, dw = ntuple(dilation, 2, "dilation")
    oh = output_length(h, kh, sh, ph, ph, dh)
    ow = output_length(w, kw, sw, pw, pw, dw)
    if oh < 1 or ow < 1:
        raise ValueError(
            f"kernel_size={(kh, kw)} with dilation={(dh, dw)} does not fit in input_shape="
            f"{(h, w)} padded by {(ph, pw)}")
    H, W = h + 2 * ph, w + 2 * pw
    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(min(4 + 0.45 * (W + ow), 11), min(1.5 + 0.45 * max(H, 4), 6)),
        gridspec_kw={"width_ratios": [W, max(ow, 3)]})
    for i in range(H):
        for j in range(W):
            inside = ph <= i < ph + h and pw <= j < pw + w
            ax_in.add_patch(patches.Rectangle((j, -i - 1), 1, 1,
                                              facecolor="white" if inside else _PAD,
                                              edgecolor="#888888", linewidth=0.8))
    taps = [patches.Rectangle((0, 0), 1, 1, facecolor=_WINDOW, alpha=0.75, edgecolor="black")
            for _ in range(kh * kw)]
    for t in taps:
        ax_in.add_patch(t)
    outline = patches.Rectangle((0, 0), 1, 1, fill=False, edgecolor=_WINDOW, linewidth=2,
                                linestyle="--")
    ax_in.add_patch(outline)
    _cell_axes(ax_in, W, H)
    ax_in.set_title(f"input {h}×{w}, padding {(ph, pw)} (grey)\n"
                    f"kernel {kh}×{kw}, stride {(sh, sw)}, dilation {(dh, dw)}", fontsize=10)
    cells = []
    for i in range(oh):
        for j in range(ow):
            r = patches.Rectangle((j, -i - 1), 1, 1, facecolor="white", edgecolor="#888888")
            ax_out.add_patch(r)
            cells.append(r)
    _cell_axes(ax_out, max(ow, 3), H)
    ax_out.set_title(f"output {oh}×{ow}\nH_out = ⌊(H + 2P − D(K−1) − 1)/S⌋ + 1", fontsize=10)
    fig.tight_layout()

    def draw(frame):
        i, j = divmod(frame, ow)
        top, left = i * sh, j * sw
        for n, t in enumerate(taps):
            a, b = divmod(n, kw)
            t.set_xy((left + b * dw, -(top + a * dh) - 1))
        outline.set_xy((left, -(top + dh * (kh - 1)) - 1))
        outline.set_width(dw * (kw - 1) + 1)
        outline.set_height(dh * (kh - 1) + 1)
        for n, c in enumerate(cells):
            c.set_facecolor(_OUTPUT if n == frame else ("#c7e9c0" if n < frame else "white"))
        return taps + [outline] + cells

    anim = animation.FuncAnimation(fig, draw, frames=oh * ow, interval=interval, blit=False,
                                   repeat=True)
    draw(0)
    anim.figure = fig
    anim.output_shape = (oh, ow)
    anim.n_frames = oh * ow
    return anim


@picture
def show_animation(anim):
    """An animation as interactive HTML that JupyterLab renders inline.

    Closes the animation's figure, so the notebook shows the player only.

    Parameters
    ----------
    anim : matplotlib.animation.Animation

    Returns
    -------
    IPython.display.HTML
        The ``to_jshtml()`` player (frames embedded as PNG).

    Examples
    --------
    >>> html = show_animation(animate_conv2d(3, 2))
    >>> "<script" in html.data
    True
    """
    import tempfile
    from pathlib import Path

    from IPython.display import HTML
    translate_figure(anim._fig)  # the animation's titles follow the course's language
    # what ``anim.to_jshtml(default_mode="loop")`` makes, with one draw per frame
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "player.html"
        writer = _DrawnFrameWriter(fps=1000 / getattr(anim, "_interval", 200),
                                   embed_frames=True, default_mode="loop")
        anim.save(str(path), writer=writer)
        html = path.read_text()
    plt.close(anim._fig)  # the figure FuncAnimation draws on
    return HTML(html)


class _DrawnFrameWriter(animation.HTMLWriter):
    """matplotlib's HTML player writer, taking each frame from the canvas as drawn.

    ``FuncAnimation`` draws the figure after updating it for a frame; the stock writer then
    draws it twice more in ``savefig``.  Three full draws per frame made the two animations
    of 01-convolution 3.6 s of every graded notebook; the pixels of the first draw are the
    frame.  A figure changed since its last draw (``stale``) is drawn first.
    """

    def grab_frame(self, **savefig_kwargs):
        import base64
        import io

        from PIL import Image

        if not self._canvas_is_the_frame(savefig_kwargs):
            return super().grab_frame(**savefig_kwargs)
        if self.fig.stale:
            self.fig.canvas.draw()
        png = io.BytesIO()
        Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba())).save(png, format="png")
        self._saved_frames.append(base64.encodebytes(png.getvalue()).decode("ascii"))

    def _canvas_is_the_frame(self, savefig_kwargs) -> bool:
        """Whether ``savefig(**savefig_kwargs)`` would give the canvas's pixels: an Agg
        canvas, an opaque figure, and only the facecolor ``Animation.save`` passes (the
        figure's own, composited on white) or no keyword at all."""
        from matplotlib.colors import to_rgba

        kwargs = dict(savefig_kwargs)
        face = to_rgba(self.fig.get_facecolor())
        wanted = kwargs.pop("facecolor", face)
        transparent = kwargs.pop("transparent", False)
        return (hasattr(self.fig.canvas, "buffer_rgba") and not kwargs and not transparent
                and face[3] == 1 and np.allclose(to_rgba(wanted), face))


@picture
def image_grid(images, titles=None, ncols=None, cmap="gray", size=3.2, vmin=None, vmax=None):
    """Images side by side, each with its title and no axes.

    Parameters
    ----------
    images : sequence of ndarray, each shape (H, W) or (H, W, 3)
    titles : sequence of str, optional
    ncols : int, optional
        Images per row (default: all in one row, at most 4).
    cmap : str, optional
        Colour map for 2-D images (default ``'gray'``).
    size : float, optional
        Inches per image.
    vmin, vmax : float, optional
        The grey-scale range shared by every image (default: each image its own
        range).  Give ``vmin=0, vmax=1`` to compare images in [0, 1] fairly.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = image_grid([np.eye(4), np.ones((4, 4))], ["eye", "ones"])
    >>> [ax.get_title() for ax in fig.axes]
    ['eye', 'ones']
    """
    images = list(images)
    titles = list(titles) if titles is not None else [""] * len(images)
    ncols = ncols or min(len(images), 4)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.ravel()[len(images):]:
        ax.remove()
    for ax, img, title in zip(axes.ravel(), images, titles):
        ax.imshow(img, cmap=cmap if np.ndim(img) == 2 else None, vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    return _finish(fig)


@picture
def kernel_gallery(image, kernels, *, absolute=()):
    """Each kernel and what it does to the image ('same'-size cross-correlation).

    Parameters
    ----------
    image : ndarray, shape (H, W)
        A grey-scale image.
    kernels : dict of str to ndarray, shape (kH, kW)
        The kernels to apply, by name.
    absolute : collection of str, optional
        Names whose result is shown as an absolute value (edge detectors,
        whose responses are positive and negative), with the grey scale
        saturating at the 99.5th percentile.

    Returns
    -------
    matplotlib.figure.Figure
        Top row: the kernels (values written in for small ones); bottom row:
        the filtered images.

    Examples
    --------
    >>> fig = kernel_gallery(np.random.default_rng(0).random((20, 20)), {"box": np.ones((3, 3)) / 9})
    >>> len(fig.axes)
    2
    """
    from ..filtering import correlate2d
    image = np.asarray(image, dtype=float)
    n = len(kernels)
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n, 6.2), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 2]})
    for col, (name, k) in enumerate(kernels.items()):
        k = np.asarray(k, dtype=float)
        ax = axes[0, col]
        lim = np.abs(k).max() or 1.0
        ax.imshow(k, cmap="coolwarm", vmin=-lim, vmax=lim)
        if k.size <= 25:
            for (a, b), v in np.ndenumerate(k):
                ax.text(b, a, f"{v:.2g}", ha="center", va="center", fontsize=8)
        ax.set_title(name if "×" in name else f"{name} {k.shape[0]}×{k.shape[1]}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        out = correlate2d(image, k, mode="same", boundary="symm")
        vmax = None
        if name in absolute:
            out = np.abs(out)
            vmax = float(np.percentile(out, 99.5)) or None  # a few strong edges would hide the rest
        axes[1, col].imshow(out, cmap="gray", vmin=0 if vmax else None, vmax=vmax)
        axes[1, col].axis("off")
    return _finish(fig)


@picture
def corners_overlay(image, response, n=60, min_distance=5):
    """The image with its strongest corners (local maxima of a corner response) marked.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    response : ndarray, shape (H, W)
        A corner response such as Harris's, same shape as ``image``.
    n : int, optional
        How many corners to mark (default 60).
    min_distance : int, optional
        Corners closer than this (in pixels) to a stronger one are dropped.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: the response (heat map) and the image with corners in red.

    Examples
    --------
    >>> img = np.zeros((20, 20)); img[5:15, 5:15] = 1
    >>> fig = corners_overlay(img, img, n=4)
    >>> len(fig.axes)
    2
    """
    from scipy.ndimage import maximum_filter
    image = np.asarray(image, dtype=float)
    r = np.asarray(response, dtype=float)
    if r.shape != image.shape:
        raise ValueError(f"response must have the image's shape {image.shape}, got {r.shape}")
    peaks = (r == maximum_filter(r, size=2 * min_distance + 1)) & (r > 0)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(r[ys, xs])[::-1][:n]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    lim = float(np.percentile(np.abs(r), 99.5)) or 1.0
    axes[0].imshow(r, cmap="coolwarm", vmin=-lim, vmax=lim)
    axes[0].set_title("corner response (red: corner, blue: edge)", fontsize=10)
    axes[1].imshow(image, cmap="gray")
    axes[1].scatter(xs[order], ys[order], s=40, facecolors="none", edgecolors="red", linewidths=1.5)
    axes[1].set_title(f"the {len(order)} strongest corners", fontsize=10)
    for ax in axes:
        ax.axis("off")
    return _finish(fig)
