"""Pictures for assignment 02-conv-layer.

Every function returns a matplotlib ``Figure`` and draws nothing else, so a
notebook cell is one call; figures are closed in pyplot before they are
returned (see :func:`convcourse.viz._draw.finish`).  :func:`save_gif` writes
an animation of :func:`convcourse.viz.convolution.animate_conv2d` to a GIF.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = layer_diagram(3, 4, 3)
>>> fig.axes[0].get_title()
'4 filters of 3×3×3 over a 3-channel input: 4 × (3·3·3 + 1) = 112 weights'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._picture_cache import StoredAnimation, picture, record_file, stored_file
from .._validation import check_int, ntuple
from ..arithmetic import conv_params, receptive_field
from ..conv import conv2d, conv2d_backward
from ._draw import animation, patches, plt  # imported when first drawn
from ._draw import OUTPUT_COLOR as _OUTPUT
from ._draw import WINDOW_COLOR as _WINDOW
from ._draw import finish as _finish
from ._draw import translate_figure

__all__ = ["layer_diagram", "conv_matrix_sparsity", "receptive_field_growth",
           "learning_a_kernel", "channel_mixing", "save_gif"]

_CHANNEL_COLORS = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9"]


def _stack(ax, x, y, width, height, depth, colors, step=0.35, label=None):
    """``depth`` rectangles, each shifted up-right by ``step``: a volume seen from the front."""
    for d in range(depth - 1, -1, -1):
        ax.add_patch(patches.Rectangle((x + d * step, y + d * step), width, height,
                                       facecolor=colors[d % len(colors)], edgecolor="black",
                                       linewidth=1))
    if label:
        ax.text(x + width / 2 + (depth - 1) * step / 2, y - 0.45, label, ha="center", va="top",
                fontsize=10)


@picture
def layer_diagram(in_channels, out_channels, kernel_size, input_size=8):
    """A convolutional layer: K filters, each spanning all D input channels.

    Parameters
    ----------
    in_channels : int
        Input channels ``D`` (drawn as stacked slices; at most 6 are drawn).
    out_channels : int
        Filters ``K``, one output channel each (at most 6 are drawn).
    kernel_size : int or tuple of int (kh, kw)
        Spatial size of each filter.
    input_size : int, optional
        Side of the (square) input drawn; the output is the 'valid' size.

    Returns
    -------
    matplotlib.figure.Figure
        The input volume (D × H × W), the K filters (each D × kh × kw, one
        colour per channel, with its bias), and the output volume
        (K × H_out × W_out); the title gives the weight count.

    Notes
    -----
    Filter ``k`` computes ``out[k] = b[k] + sum_d x[d] ⋆ w[k, d]``, so the
    layer has ``K · (kh · kw · D + 1)`` trainable weights, whatever the
    image size.

    Examples
    --------
    >>> fig = layer_diagram(1, 2, (1, 3))
    >>> "2 × (1·3·1 + 1) = 8 weights" in fig.axes[0].get_title()
    True
    """
    d = check_int(in_channels, "in_channels", minimum=1)
    k = check_int(out_channels, "out_channels", minimum=1)
    kh, kw = ntuple(kernel_size, 2, "kernel_size")
    n = check_int(input_size, "input_size", minimum=max(kh, kw))
    shown_d, shown_k = min(d, 5), min(k, 4)
    n_params = conv_params(d, k, (kh, kw))
    fig, ax = plt.subplots(figsize=(11, 4.8))
    size, step = 3.2, 0.3
    cell = size / n
    _stack(ax, 0, 0, size, size, shown_d, _CHANNEL_COLORS, step=step,
           label=f"input: {d} channel{'s' * (d > 1)} × {n} × {n}")
    # the window of one filter on the input (front slice)
    ax.add_patch(patches.Rectangle((cell, size - cell * (kh + 1)), cell * kw, cell * kh, fill=False,
                                   edgecolor=_WINDOW, linewidth=2.5))
    in_right = size + (shown_d - 1) * step
    fx = in_right + 2.0
    spacing = (size + 1.0) / shown_k
    fcell = min(0.3, (spacing - 0.3 - (shown_d - 1) * 0.1) / max(kh, kw))
    for f in range(shown_k):
        top = size + 0.6 - f * spacing
        _stack(ax, fx, top - fcell * kh - (shown_d - 1) * 0.1, fcell * kw, fcell * kh, shown_d,
               _CHANNEL_COLORS, step=0.1)
        ax.text(fx + fcell * kw + (shown_d - 1) * 0.1 + 0.2, top - (fcell * kh) / 2 - 0.1,
                f"filter {f + 1}, bias b{f + 1}", va="center", fontsize=9)
    if k > shown_k:
        ax.text(fx, -0.9, f"... {k} filters in all", fontsize=9, ha="left")
    ax.text(fx + 1.0, size + 1.3, f"{k} filter{'s' * (k > 1)}, each {d} × {kh} × {kw}",
            ha="center", fontsize=10)
    f_right = fx + 2.6
    ox = f_right + 1.8
    oh, ow = n - kh + 1, n - kw + 1
    shown_out = min(k, 5)
    out_colors = ["#a1d99b", "#74c476", "#c7e9c0", "#41ab5d", "#e5f5e0"]
    _stack(ax, ox, 0, cell * ow, cell * oh, shown_out, out_colors, step=step,
           label=f"output: {k} channel{'s' * (k > 1)} × {oh} × {ow}")
    for x0, x1, text in ((in_right + 0.2, fx - 0.25, "slide each\nfilter"),
                         (f_right, ox - 0.2, "one map\nper filter")):
        ax.add_patch(patches.FancyArrowPatch((x0, size / 2), (x1, size / 2), arrowstyle="-|>",
                                             mutation_scale=18, linewidth=1.5, color="#444444"))
        ax.text((x0 + x1) / 2, size / 2 + 0.3, text, ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.5, ox + cell * ow + (shown_out - 1) * step + 0.5)
    ax.set_ylim(-1.6, size + 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{k} filters of {d}×{kh}×{kw} over a {d}-channel input: "
                 f"{k} × ({kh}·{kw}·{d} + 1) = {n_params} weights", fontsize=11)
    return _finish(fig)


def _conv_matrix(image_shape, kernel) -> np.ndarray:
    """Column q: the 'valid' cross-correlation of the q-th unit image."""
    h, w = image_shape
    units = np.eye(h * w).reshape(h * w, 1, h, w)
    return conv2d(units, np.asarray(kernel, dtype=float)[None, None]).reshape(h * w, -1).T


@picture
def conv_matrix_sparsity(image_shape, kernel, matrix=None, row=None):
    """The matrix of a convolution, drawn: mostly zeros, the kernel repeated on each row.

    Parameters
    ----------
    image_shape : tuple of int (H, W)
        The input image's shape.
    kernel : array_like, shape (kh, kw)
    matrix : array_like, shape (H_out·W_out, H·W), optional
        The matrix to draw (for example a student's ``conv_matrix``); default:
        the one built from the kernel.
    row : int, optional
        The row shown reshaped to the image (default: the middle one).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: the matrix (zeros white) with its share of zeros in the
        title; one row reshaped to ``(H, W)``: the kernel placed at one
        output position; the share of zeros as the image grows.

    Raises
    ------
    ValueError
        If the kernel is larger than the image, or ``matrix`` has the wrong shape.

    Notes
    -----
    Every row holds the ``kh · kw`` weights once (weight sharing) and zeros
    elsewhere (sparse connectivity), so the share of zeros is
    ``1 - kh · kw / (H · W)``.

    Examples
    --------
    >>> fig = conv_matrix_sparsity((4, 4), np.ones((2, 2)))
    >>> fig.axes[0].get_title()
    'M: 9 × 16, 75% zeros'
    """
    h, w = ntuple(image_shape, 2, "image_shape")
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {kernel.shape}")
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel of shape {kernel.shape} is larger than image_shape {(h, w)}")
    oh, ow = h - kh + 1, w - kw + 1
    m = _conv_matrix((h, w), kernel) if matrix is None else np.asarray(matrix, dtype=float)
    if m.shape != (oh * ow, h * w):
        raise ValueError(f"matrix must have shape {(oh * ow, h * w)}, got {m.shape}")
    row = m.shape[0] // 2 + (ow // 2 if oh > 1 else 0) if row is None else row
    row = check_int(row, "row", minimum=0)
    if row >= m.shape[0]:
        raise ValueError(f"row must be below {m.shape[0]}, got {row}")
    zeros = float(np.mean(m == 0))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4),
                             gridspec_kw={"width_ratios": [2.2, 1, 1.2]})
    lim = float(np.abs(m).max()) or 1.0
    masked = np.ma.masked_equal(m, 0)
    cmap = plt.get_cmap("coolwarm").with_extremes(bad="white")
    axes[0].imshow(masked, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest",
                   aspect="auto")
    axes[0].add_patch(patches.Rectangle((-0.5, row - 0.5), m.shape[1], 1, fill=False,
                                        edgecolor=_OUTPUT, linewidth=2))
    axes[0].set_title(f"M: {m.shape[0]} × {m.shape[1]}, {zeros:.0%} zeros")
    axes[0].set_xlabel(f"input pixel (H·W = {h}·{w})")
    axes[0].set_ylabel(f"output position (H_out·W_out = {oh}·{ow})")
    i, j = divmod(row, ow)
    axes[1].imshow(np.ma.masked_equal(m[row].reshape(h, w), 0), cmap=cmap, vmin=-lim, vmax=lim,
                   interpolation="nearest")
    axes[1].set_xticks(np.arange(-0.5, w, 1), minor=True)
    axes[1].set_yticks(np.arange(-0.5, h, 1), minor=True)
    axes[1].grid(which="minor", color="#bbbbbb", linewidth=0.5)
    axes[1].tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    axes[1].set_title(f"row {row} as an image:\nthe kernel at output ({i}, {j})")
    sides = np.arange(max(kh, kw, 3), 65)
    share = 1 - kh * kw / (sides.astype(float) ** 2)
    axes[2].plot(sides, 100 * share, color="#1f77b4")
    axes[2].set_xlabel("image side N (an N × N image)")
    axes[2].set_ylabel("% zeros in M")
    axes[2].set_title(f"{kh}×{kw} kernel: 1 − {kh * kw}/N² zeros")
    axes[2].set_ylim(min(0, 100 * share.min()), 100)
    axes[2].grid(alpha=0.3)
    return _finish(fig)


@picture
def receptive_field_growth(layers, labels=None):
    """The units one output unit depends on, layer by layer, down to the input (1-D).

    Parameters
    ----------
    layers : sequence of tuple (kernel_size, stride)
        First layer first.
    labels : sequence of str, optional
        A name per layer (default ``'conv k×k'`` or ``'… stride s'``).

    Returns
    -------
    matplotlib.figure.Figure
        One row of units per layer, the input at the bottom; the top unit in
        the middle and every unit it depends on are coloured, with lines to
        their inputs; each row is labelled with its receptive field, in input
        pixels.

    Raises
    ------
    ValueError
        If ``layers`` is empty, or a kernel size or stride is below 1.

    Notes
    -----
    ``r_l = r_{l-1} + (k_l - 1) · s_1 ⋯ s_{l-1}``, ``r_0 = 1``: each layer
    adds ``k - 1`` units of the layer below, and a unit of that layer is as
    far from its neighbour as the product of the strides below it.

    Examples
    --------
    >>> fig = receptive_field_growth([(3, 1), (3, 1)])
    >>> fig.axes[0].get_title().splitlines()[0]
    'receptive field of one unit after 2 layers: 5 input pixels'
    """
    layers = [tuple(layer) for layer in layers]
    if not layers:
        raise ValueError("layers must hold at least one (kernel_size, stride), got []")
    fields = [receptive_field(layers[:i]) for i in range(len(layers) + 1)]
    jumps = [1]
    for _, s in layers:
        jumps.append(jumps[-1] * s)
    top = len(layers)
    # enough input so the top layer has 5 units (3 when strides make that large)
    n_top = 5 if fields[-1] + 4 * jumps[-1] <= 64 else 3
    length = fields[-1] + (n_top - 1) * jumps[-1]
    counts = [length]
    for k, s in layers:
        counts.append((counts[-1] - k) // s + 1)
    active = [set() for _ in range(top + 1)]
    active[top] = {counts[top] // 2}
    for lvl in range(top, 0, -1):
        k, s = layers[lvl - 1]
        for u in active[lvl]:
            active[lvl - 1].update(range(u * s, u * s + k))
    if labels is None:
        labels = [f"conv {k}×{k}" + (f", stride {s}" if s > 1 else "") for k, s in layers]
    labels = ["input"] + list(labels)

    def centre(lvl, u):
        return u * jumps[lvl] + (fields[lvl] - 1) / 2

    fig, ax = plt.subplots(figsize=(max(7, 0.32 * length + 3.5), 1.25 * (top + 1) + 0.8))
    for lvl in range(top, 0, -1):
        k, s = layers[lvl - 1]
        for u in active[lvl]:
            for v in range(u * s, u * s + k):
                ax.plot([centre(lvl, u), centre(lvl - 1, v)], [lvl, lvl - 1], color=_WINDOW,
                        alpha=0.6, linewidth=1, zorder=1)
    for lvl in range(top + 1):
        xs = [centre(lvl, u) for u in range(counts[lvl])]
        colors = [(_OUTPUT if lvl == top else _WINDOW) if u in active[lvl] else "white"
                  for u in range(counts[lvl])]
        ax.scatter(xs, [lvl] * len(xs), s=110, c=colors, edgecolors="black", zorder=2)
        text = f"{labels[lvl]}" if lvl == 0 else f"{labels[lvl]}: r = {fields[lvl]}"
        ax.text(-1.2, lvl, text, ha="right", va="center", fontsize=10)
    ax.set_xlim(-0.6 - 0.2 * length - 4, length)
    ax.set_ylim(-0.6, top + 0.6)
    ax.axis("off")
    ax.set_title(f"receptive field of one unit after {top} layer{'s' * (top > 1)}: "
                 f"{fields[-1]} input pixels\n(one row of each layer shown; in 2-D the field "
                 f"is {fields[-1]} × {fields[-1]})")
    return _finish(fig)


@picture
def learning_a_kernel(image, target_kernel, steps=150, lr=0.05, seed=0, snapshots=(0, 10, 40)):
    """Learn a kernel by gradient descent so that it imitates a hand-made one.

    The target output is ``image ⋆ target_kernel``; a random kernel of the
    same shape is trained with Adam on the mean squared error, using the
    reference :func:`convcourse.conv.conv2d` and its backward.

    Parameters
    ----------
    image : ndarray, shape (H, W)
        A grey image (a small crop keeps it fast).
    target_kernel : array_like, shape (kh, kw)
        The hand-made kernel to imitate.
    steps : int, optional
        Training steps (default 150).
    lr : float, optional
        Adam's learning rate.
    seed : int, optional
        Seed of the random initial kernel.
    snapshots : sequence of int, optional
        Steps at which the kernel is shown (the final one is always added).

    Returns
    -------
    matplotlib.figure.Figure
        The kernel at each snapshot, the target, and the loss curve (log
        scale).  ``fig.learned`` holds the final kernel, ``fig.losses`` the
        loss per step.

    Notes
    -----
    Loss ``L = mean((image ⋆ w - image ⋆ w*)²)``; its gradient with respect
    to ``w`` is the cross-correlation of the image with ``2 (image ⋆ w -
    image ⋆ w*) / n``.  The loss is a quadratic in ``w``, so the kernel
    converges to ``w*`` whenever the image has enough texture.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = learning_a_kernel(rng.random((12, 12)), [[1.0, 0.0], [0.0, -1.0]], steps=300)
    >>> bool(np.allclose(fig.learned, [[1.0, 0.0], [0.0, -1.0]], atol=0.05))
    True
    """
    from ..nn.module import Parameter
    from ..nn.optim import Adam

    x = np.asarray(image, dtype=float)[None, None]
    target = np.asarray(target_kernel, dtype=float)
    if target.ndim != 2:
        raise ValueError(f"target_kernel must be 2-D, got shape {target.shape}")
    steps = check_int(steps, "steps", minimum=1)
    y = conv2d(x, target[None, None])
    rng = np.random.default_rng(seed)
    w = Parameter(rng.uniform(-1, 1, size=(1, 1) + target.shape))
    opt = Adam([w], lr=lr)
    losses, kept = [], {}
    wanted = sorted({int(s) for s in snapshots if 0 <= s < steps} | {steps})
    for step in range(steps + 1):
        if step in wanted:
            kept[step] = w.data[0, 0].copy()
        if step == steps:
            break
        diff = conv2d(x, w.data) - y
        losses.append(float(np.mean(diff ** 2)))
        _, grad_w, _ = conv2d_backward(2 * diff / diff.size, x, w.data)
        opt.zero_grad()
        w.accumulate(grad_w)
        opt.step()
    n = len(kept) + 1
    fig = plt.figure(figsize=(2.3 * n + 3.8, 3.2))
    grid = fig.add_gridspec(1, n + 1, width_ratios=[1] * n + [1.9])
    lim = float(np.abs(target).max()) or 1.0
    panels = list(kept.items()) + [("target", target)]
    for col, (step, kern) in enumerate(panels):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(kern, cmap="coolwarm", vmin=-lim, vmax=lim)
        if kern.size <= 25:
            for (a, b), v in np.ndenumerate(kern):
                ax.text(b, a, f"{v:.1f}", ha="center", va="center", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("hand-made target" if step == "target" else f"step {step}", fontsize=10)
    ax = fig.add_subplot(grid[0, n])
    ax.semilogy(np.arange(1, len(losses) + 1), losses, color="#1f77b4")
    ax.set_xlabel("step")
    ax.set_title("mean squared error", fontsize=10)
    ax.grid(alpha=0.3)
    fig.learned = kept[steps]
    fig.losses = np.array(losses)
    return _finish(fig)


@picture
def channel_mixing(x, y, weight, in_names=None, out_names=None):
    """A 1×1 convolution as channel mixing: the input channels, the weights, the outputs.

    Parameters
    ----------
    x : ndarray, shape (C, H, W)
        The input channels of one image.
    y : ndarray, shape (K, H, W)
        The output channels (``y[k] = sum_c weight[k, c] x[c]``).
    weight : array_like, shape (K, C)
    in_names, out_names : sequence of str, optional
        Titles of the channels.

    Returns
    -------
    matplotlib.figure.Figure
        Top row: the C input channels; middle: the weight matrix with its
        values; bottom row: the K output channels (grey, or blue-white-red
        around zero for a channel with negative values).

    Raises
    ------
    ValueError
        If the shapes do not match.

    Examples
    --------
    >>> x = np.ones((2, 4, 4))
    >>> fig = channel_mixing(x, np.ones((1, 4, 4)) * 3, [[1.0, 2.0]])
    >>> len(fig.axes)
    4
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    weight = np.asarray(weight, dtype=float)
    if x.ndim != 3 or y.ndim != 3 or weight.shape != (y.shape[0], x.shape[0]):
        raise ValueError(f"x (C, H, W), y (K, H, W) and weight (K, C) do not match: got "
                         f"{x.shape}, {y.shape} and {weight.shape}")
    c, k = x.shape[0], y.shape[0]
    in_names = list(in_names) if in_names else [f"input channel {i}" for i in range(c)]
    out_names = list(out_names) if out_names else [f"output channel {i}" for i in range(k)]
    cols = max(c, k)
    fig = plt.figure(figsize=(3.0 * cols, 7.6))
    grid = fig.add_gridspec(3, cols, height_ratios=[1, 0.55, 1])
    for i in range(c):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(x[i], cmap="gray")
        ax.set_title(in_names[i], fontsize=10)
        ax.axis("off")
    ax = fig.add_subplot(grid[1, :])
    lim = float(np.abs(weight).max()) or 1.0
    ax.imshow(weight, cmap="coolwarm", vmin=-lim, vmax=lim, aspect="auto")
    for (a, b), v in np.ndenumerate(weight):
        ax.text(b, a, f"{v:.3g}", ha="center", va="center", fontsize=10)
    ax.set_xticks(range(c), in_names, fontsize=8)
    ax.set_yticks(range(k), out_names, fontsize=8)
    ax.set_title(f"weight (K, C) = {weight.shape}: y[k] = Σ_c weight[k, c] · x[c], "
                 "at every pixel", fontsize=10)
    for i in range(k):
        ax = fig.add_subplot(grid[2, i])
        if y[i].min() < 0:   # a difference of channels: blue negative, red positive
            lim = float(np.abs(y[i]).max()) or 1.0
            ax.imshow(y[i], cmap="coolwarm", vmin=-lim, vmax=lim)
        else:
            ax.imshow(y[i], cmap="gray")
        ax.set_title(out_names[i], fontsize=10)
        ax.axis("off")
    return _finish(fig)


def save_gif(anim, path, fps=2):
    """Write an animation to a GIF file with matplotlib's PillowWriter.

    Parameters
    ----------
    anim : matplotlib.animation.FuncAnimation
        For example from :func:`convcourse.viz.convolution.animate_conv2d`
        (one frame per output position).
    path : str or pathlib.Path
        The file to write (its folder must exist); ``.gif`` is the usual suffix.
    fps : int or float, optional
        Frames per second (default 2).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``anim`` is not a matplotlib animation.
    ValueError
        If ``fps`` is not positive.

    Notes
    -----
    The GIF holds one frame per frame of the animation and loops forever.
    The animation's figure is closed afterwards, so a notebook does not show it
    a second time.

    Examples
    --------
    >>> import tempfile
    >>> from convcourse.viz.convolution import animate_conv2d
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_gif(animate_conv2d(3, 2), Path(folder) / "conv.gif")
    ...     path.read_bytes()[:6]
    b'GIF89a'
    """
    # a stored animation first: checking for matplotlib's would import it
    if not isinstance(anim, StoredAnimation) and not isinstance(anim, animation.Animation):
        raise TypeError(f"anim must be a matplotlib animation, got {type(anim).__name__}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    path = Path(path)
    stored = stored_file(save_gif, (anim, fps), ".gif")  # the grader drew it already?
    if stored is not None:
        path.write_bytes(stored)
        return path
    translate_figure(anim._fig)  # the titles follow the course's language
    anim.save(path, writer=animation.PillowWriter(fps=fps))
    plt.close(anim._fig)
    record_file(save_gif, (anim, fps), ".gif", path)
    return path
