"""Pictures for assignment 06-cnn: a small CNN, its training, and what it learned.

Every function returns a matplotlib ``Figure``, closed in pyplot (a notebook
shows it once, as the cell's value; in a script, call ``fig.savefig``).

- :func:`stacked_3x3`: two 3x3 convolutions against one 5x5 (receptive field
  and weights), and the cost of growing the receptive field either way;
- :func:`softmax_bars`: logits, their softmax and the cross-entropy of a label;
- :func:`digit_samples`: examples of the 8x8 handwritten digits;
- :func:`architecture`: a model as a row of layers with the shape after each;
- :func:`training_curve`, :func:`confusion_matrix`, :func:`misclassified`;
- :func:`filters` and :func:`feature_maps`: looking inside a trained network.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
>>> model = Sequential(Conv2d(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
...                    Flatten(), Linear(64, 10, rng=0))
>>> fig = architecture(model)
>>> fig.axes[0].get_title()
'input 1 x 8 x 8 \u2192 10 outputs; 690 weights'
"""

from __future__ import annotations

import copy

import numpy as np

from .._picture_cache import picture
from ..arithmetic import conv_params, receptive_field
from ..nn.layers import (AvgPool2d, Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU,
                         Sequential)
from ._draw import patches, plt  # imported when first drawn
from ._draw import OUTPUT_COLOR as _OUTPUT
from ._draw import WINDOW_COLOR as _WINDOW
from ._draw import cell_axes as _cell_axes
from ._draw import draw_cells as _draw_cells
from ._draw import finish as _finish

__all__ = ["stacked_3x3", "softmax_bars", "digit_samples", "architecture", "training_curve",
           "confusion_matrix", "misclassified", "filters", "feature_maps"]

_LAYER_COLORS = {Conv2d: "#9ecae1", ReLU: "#c7e9c0", MaxPool2d: "#fdd0a2", AvgPool2d: "#fdd0a2",
                 GlobalAvgPool2d: "#fdd0a2", Flatten: "#d9d9d9", Linear: "#dadaeb"}


def _check_model(model) -> list:
    """A copy of the model's layers: a picture runs them (their caches of the last batch
    change), and drawing a model leaves it as it was (a stored picture, which runs
    nothing, leaves it the same)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a convcourse.nn.Sequential, got {type(model).__name__}")
    return copy.deepcopy(list(model))


def _as_images(images, name: str) -> np.ndarray:
    """(N, H, W) from (N, H, W) or (N, 1, H, W)."""
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (N, 1, H, W) or (N, H, W), got shape {arr.shape}")
    return arr


def _hide_ticks(ax):
    ax.set_xticks([])
    ax.set_yticks([])


# ------------------------------------------------------- stacking 3x3 kernels

@picture
def stacked_3x3(channels=64, max_layers=4):
    """Two stacked 3x3 convolutions against one 5x5, and the cost of a large field.

    Parameters
    ----------
    channels : int, optional
        ``C``: input and output channels of every layer, for the weight counts.
    max_layers : int, optional
        The bar chart compares stacks of 1 .. ``max_layers`` 3x3 layers with
        one kernel of the same receptive field.

    Returns
    -------
    matplotlib.figure.Figure
        Left: one output unit of two 3x3 layers, its 3x3 window in the middle
        layer and its 5x5 receptive field in the input.  Middle: one 5x5
        layer, the same field.  Right: weights of ``n`` stacked 3x3 layers
        (``n * 9 C^2``) and of one ``(2n+1) x (2n+1)`` layer (``(2n+1)^2 C^2``),
        counted by :func:`convcourse.arithmetic.conv_params`.

    Notes
    -----
    The receptive field of ``n`` stacked 3x3 layers with stride 1 is
    ``2n + 1`` (:func:`convcourse.arithmetic.receptive_field`).

    Examples
    --------
    >>> fig = stacked_3x3(channels=64, max_layers=3)
    >>> [t.get_text() for t in fig.axes[2].texts]
    ['73,728', '102,400', '110,592', '200,704']
    """
    if not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    if not isinstance(max_layers, (int, np.integer)) or max_layers < 2:
        raise ValueError(f"max_layers must be an int >= 2, got {max_layers!r}")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2),
                             gridspec_kw={"width_ratios": [1.35, 1.0, 1.25]})
    full = np.ones((5, 5), dtype=bool)
    # two 3x3 layers: input 5x5 -> middle 3x3 -> one output
    ax = axes[0]
    _draw_cells(ax, np.zeros((5, 5)), 0, 0, highlight=full, text=False)
    _draw_cells(ax, np.zeros((3, 3)), 6.5, -1, highlight=np.ones((3, 3), dtype=bool),
                highlight_color="#fdd0a2", text=False)
    _draw_cells(ax, np.zeros((1, 1)), 11, -2, highlight=np.ones((1, 1), dtype=bool),
                highlight_color=_OUTPUT, text=False)
    for x0, x1, y in ((5.1, 6.4, -2.5), (9.6, 10.9, -2.5)):
        ax.add_patch(patches.FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=14))
    ax.text(2.5, -5.6, "input: 5x5 pixels", ha="center", fontsize=9)
    ax.text(8.0, -4.6, "layer 1: 3x3", ha="center", fontsize=9)
    ax.text(11.5, -3.6, "layer 2", ha="center", fontsize=9)
    ax.text(5.75, -2.2, "3x3\nconv", ha="center", va="bottom", fontsize=9)
    ax.text(10.25, -2.2, "3x3\nconv", ha="center", va="bottom", fontsize=9)
    rf2 = receptive_field([(3, 1), (3, 1)])
    w2 = 2 * conv_params(channels, channels, 3, bias=False)
    _cell_axes(ax, 12.2, 5.9, f"two 3x3 layers: receptive field {rf2}x{rf2}\n"
               f"2 x 9C\u00b2 = 18C\u00b2 weights ({w2:,} for C = {channels})\ntwo ReLUs")
    # one 5x5 layer
    ax = axes[1]
    _draw_cells(ax, np.zeros((5, 5)), 0, 0, highlight=full, text=False)
    _draw_cells(ax, np.zeros((1, 1)), 7.5, -2, highlight=np.ones((1, 1), dtype=bool),
                highlight_color=_OUTPUT, text=False)
    ax.add_patch(patches.FancyArrowPatch((5.1, -2.5), (7.4, -2.5), arrowstyle="-|>",
                                         mutation_scale=14))
    ax.text(6.25, -2.2, "5x5 conv", ha="center", va="bottom", fontsize=9)
    ax.text(2.5, -5.6, "input: 5x5 pixels", ha="center", fontsize=9)
    ax.text(8.0, -3.6, "layer 1", ha="center", fontsize=9)
    rf1 = receptive_field([(5, 1)])
    w1 = conv_params(channels, channels, 5, bias=False)
    _cell_axes(ax, 8.7, 5.9, f"one 5x5 layer: receptive field {rf1}x{rf1}\n"
               f"25C\u00b2 weights ({w1:,} for C = {channels})\none ReLU")
    # bars: n stacked 3x3 against one (2n+1)x(2n+1)
    ax = axes[2]
    ns = np.arange(2, max_layers + 1)
    stacked = [n * conv_params(channels, channels, 3, bias=False) for n in ns]
    single = [conv_params(channels, channels, receptive_field([(3, 1)] * n), bias=False)
              for n in ns]
    x = np.arange(len(ns))
    b1 = ax.bar(x - 0.2, stacked, 0.4, color=_WINDOW, label="stack of 3x3 layers")
    b2 = ax.bar(x + 0.2, single, 0.4, color="#6baed6", label="one large kernel")
    for bars in zip(b1, b2):
        for bar in bars:
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(),
                    f"{int(bar.get_height()):,}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{2 * n + 1}x{2 * n + 1}\n({n} layers)" for n in ns])
    ax.set_xlabel("receptive field")
    ax.set_ylabel(f"weights (C = {channels}, no bias)")
    ax.set_title("same receptive field, fewer weights", fontsize=11)
    ax.legend(fontsize=9, loc="upper left")
    ax.set_ylim(0, max(single) * 1.18)
    return _finish(fig)


# ------------------------------------------------------------------ softmax

@picture
def softmax_bars(logits, label):
    """One sample's logits, their softmax, and its cross-entropy loss.

    Parameters
    ----------
    logits : array_like, shape (K,)
        The class scores of one sample.
    label : int
        Its true class, in ``[0, K)``.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the logits.  Right: the probabilities ``softmax(logits)``, the
        true class highlighted and the loss ``-log p[label]`` in the title.

    Notes
    -----
    ``p_k = exp(z_k - m) / sum_j exp(z_j - m)`` with ``m = max_j z_j``.

    Examples
    --------
    >>> fig = softmax_bars([2.0, 1.0, 0.1], 0)
    >>> fig.axes[1].get_title()
    'softmax: p[0] = 0.659,  loss = -log p[0] = 0.417'
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"logits must be a 1-D array of at least 2 scores, got shape {z.shape}")
    if not isinstance(label, (int, np.integer)) or not 0 <= label < z.size:
        raise ValueError(f"label must be an int in [0, {z.size - 1}], got {label!r}")
    p = np.exp(z - z.max())
    p /= p.sum()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    colors = ["#9ecae1"] * z.size
    colors[label] = _OUTPUT
    k = np.arange(z.size)
    axes[0].bar(k, z, color=colors)
    axes[0].axhline(0, color="black", linewidth=0.8)
    axes[0].set_title("logits z (any real numbers)")
    axes[1].bar(k, p, color=colors)
    axes[1].set_ylim(0, 1)
    axes[1].set_title(f"softmax: p[{label}] = {p[label]:.3f},  "
                      f"loss = -log p[{label}] = {-np.log(p[label]):.3f}")
    for ax in axes:
        ax.set_xticks(k)
        ax.set_xlabel("class")
    return _finish(fig)


# ------------------------------------------------------------------- digits

@picture
def digit_samples(images, labels, per_class=2):
    """A few examples of each digit, one column per class.

    Parameters
    ----------
    images : array_like, shape (N, 1, H, W)
    labels : array_like of int, shape (N,)
    per_class : int, optional
        Rows: examples shown of each class (the first ones in ``images``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> images = np.random.default_rng(0).random((20, 1, 8, 8))
    >>> fig = digit_samples(images, np.arange(20) % 10, per_class=2)
    >>> len(fig.axes)
    20
    """
    images = _as_images(images, "images")
    labels = np.asarray(labels)
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape ({images.shape[0]},), got {labels.shape}")
    classes = np.unique(labels)
    fig, axes = plt.subplots(per_class, len(classes), figsize=(1.0 * len(classes), 1.1 * per_class),
                             squeeze=False)
    for j, c in enumerate(classes):
        members = np.flatnonzero(labels == c)
        for i in range(per_class):
            ax = axes[i, j]
            _hide_ticks(ax)
            if i < members.size:
                ax.imshow(images[members[i]], cmap="gray_r", vmin=0, vmax=images.max())
            if i == 0:
                ax.set_title(str(c))
    return _finish(fig)


# ---------------------------------------------------------------- the model

def _layer_label(layer) -> str:
    if isinstance(layer, Conv2d):
        kh, kw = layer.kernel_size
        text = f"Conv2d {kh}x{kw}\n{layer.in_channels} \u2192 {layer.out_channels}"
        pad = layer.padding
        if isinstance(pad, str):
            text += f"\npad '{pad}'"
        elif pad != (0, 0):
            text += f"\npad {pad[0] if pad[0] == pad[1] else pad}"
        if layer.stride != (1, 1):
            text += f"\nstride {layer.stride}"
        return text
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        kind = "MaxPool2d" if isinstance(layer, MaxPool2d) else "AvgPool2d"
        kh, kw = layer.kernel_size
        return f"{kind}\n{kh}x{kw}"
    if isinstance(layer, Linear):
        return f"Linear\n{layer.in_features} \u2192 {layer.out_features}"
    return type(layer).__name__


@picture
def architecture(model, input_shape=(1, 8, 8)):
    """A model drawn as a row of layers, with the shape of the data after each.

    Parameters
    ----------
    model : Sequential
        A :class:`convcourse.nn.Sequential` (run once on zeros to find the shapes).
    input_shape : tuple of int, optional
        ``(C, H, W)`` of one input image.

    Returns
    -------
    matplotlib.figure.Figure
        One box per layer (colour by kind: convolution, activation, pooling,
        flatten, linear) with its hyperparameters; under each box, the shape
        of one image's data after the layer (``channels x height x width``) and
        the layer's number of weights.

    Examples
    --------
    >>> from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
    >>> m = Sequential(Conv2d(1, 2, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(32, 10))
    >>> fig = architecture(m)
    >>> fig.axes[0].get_title()
    'input 1 x 8 x 8 \u2192 10 outputs; 350 weights'
    """
    layers = _check_model(model)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    x = np.zeros((1,) + tuple(int(v) for v in input_shape))
    shapes = [x.shape[1:]]
    for layer in layers:
        x = layer.forward(x)
        shapes.append(x.shape[1:])
    n = len(layers)
    step = 1.3
    fig, ax = plt.subplots(figsize=(max(8.0, step * (n + 1) + 0.6), 2.6))
    total = 0
    in_text = " x ".join(map(str, shapes[0]))
    ax.text(0.0, 1.075, f"input\n{in_text}", ha="center", va="center", fontsize=9,
            fontweight="bold")
    for i, layer in enumerate(layers):
        cx = step * (i + 1)
        ax.add_patch(patches.FancyBboxPatch((cx - 0.5, 0.45), 1.0, 1.25, boxstyle="round,pad=0.03",
                                            facecolor=_LAYER_COLORS.get(type(layer), "white"),
                                            edgecolor="black"))
        ax.text(cx, 1.075, _layer_label(layer), ha="center", va="center", fontsize=8)
        ax.add_patch(patches.FancyArrowPatch((cx - step + 0.53, 1.075), (cx - 0.53, 1.075),
                                             arrowstyle="-|>", mutation_scale=10, color="#555555"))
        ax.text(cx, 0.12, " x ".join(map(str, shapes[i + 1])), ha="center", va="center",
                fontsize=9, fontweight="bold")
        params = sum(p.data.size for p in layer.parameters())
        total += params
        if params:
            ax.text(cx, -0.2, f"{params:,} weights", ha="center", va="center", fontsize=7.5,
                    color="#555555")
    ax.text(step * 0.5, 0.12, "shape:", ha="right", va="center", fontsize=8, color="#555555")
    ax.set_xlim(-0.6, step * n + 0.6)
    ax.set_ylim(-0.4, 1.8)
    ax.axis("off")
    ax.set_title(f"input {in_text} \u2192 {int(np.prod(shapes[-1]))} outputs; "
                 f"{total:,} weights", fontsize=11)
    return _finish(fig)


# ---------------------------------------------------------------- training

@picture
def training_curve(history, test_accuracy=None):
    """The mean training loss of each epoch.

    Parameters
    ----------
    history : sequence of float
        What :func:`convcourse.nn.train.fit` returns.
    test_accuracy : float, optional
        Held-out accuracy after training, written on the plot.

    Returns
    -------
    matplotlib.figure.Figure
        The loss against the epoch, on a log scale.

    Examples
    --------
    >>> fig = training_curve([2.0, 0.5, 0.2], test_accuracy=0.97)
    >>> fig.axes[0].get_title()
    'training loss; held-out accuracy 97.0%'
    """
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 1 or h.size == 0:
        raise ValueError(f"history must be a non-empty sequence of losses, got shape {h.shape}")
    fig, ax = plt.subplots(figsize=(6, 3.4))
    epochs = np.arange(1, h.size + 1)
    ax.plot(epochs, h, "o-", color="#3182bd")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy")
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    title = "training loss"
    if test_accuracy is not None:
        title += f"; held-out accuracy {float(test_accuracy):.1%}"
    ax.set_title(title)
    return _finish(fig)


@picture
def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts of (true class, predicted class): the diagonal is right, the rest wrong.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
    num_classes : int, optional
        Default: one more than the largest label.

    Returns
    -------
    matplotlib.figure.Figure
        The ``(K, K)`` matrix of counts, row = true class, column = prediction.

    Examples
    --------
    >>> fig = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got shapes "
                         f"{t.shape} and {p.shape}")
    k = int(max(t.max(), p.max()) + 1) if num_classes is None else int(num_classes)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)
    fig, ax = plt.subplots(figsize=(0.45 * k + 2.2, 0.45 * k + 1.6))
    ax.imshow(counts, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    wrong = int(counts.sum() - np.trace(counts))
    ax.set_title(f"{wrong} of {int(counts.sum())} wrong")
    return _finish(fig)


@picture
def misclassified(images, y_true, y_pred, max_images=12):
    """The images the model gets wrong, titled ``true -> predicted``.

    Parameters
    ----------
    images : array_like, shape (N, 1, H, W)
    y_true, y_pred : array_like of int, shape (N,)
    max_images : int, optional

    Returns
    -------
    matplotlib.figure.Figure
        Up to ``max_images`` panels (a single message panel when none is wrong).

    Examples
    --------
    >>> images = np.zeros((3, 1, 8, 8))
    >>> fig = misclassified(images, [1, 2, 3], [1, 5, 3])
    >>> [ax.get_title() for ax in fig.axes]
    ['2 \u2192 5']
    """
    images = _as_images(images, "images")
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != (images.shape[0],) or p.shape != t.shape:
        raise ValueError("y_true and y_pred must have one label per image")
    wrong = np.flatnonzero(t != p)[:max_images]
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no image misclassified", ha="center", va="center")
        return _finish(fig)
    ncols = min(6, wrong.size)
    nrows = -(-wrong.size // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.7 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=max(images.max(), 1e-12))
        ax.set_title(f"{t[i]} \u2192 {p[i]}", color="#cb181d")
    return _finish(fig)


# ------------------------------------------------------------- looking inside

@picture
def filters(weight, channel=0, ncols=8):
    """The kernels of a convolution layer, one panel each, on one colour scale.

    Parameters
    ----------
    weight : array_like, shape (F, C, kH, kW)
        E.g. ``model[0].weight.data``.
    channel : int, optional
        The input channel shown (the first layer of the digits model has one).
    ncols : int, optional

    Returns
    -------
    matplotlib.figure.Figure
        Red for positive weights, blue for negative, white for 0; the same
        scale for every filter so they can be compared.

    Examples
    --------
    >>> fig = filters(np.random.default_rng(0).normal(size=(6, 1, 3, 3)), ncols=3)
    >>> len(fig.axes), fig.axes[0].get_title()
    (6, 'filter 0')
    """
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (F, C, kH, kW), got shape {w.shape}")
    if not 0 <= channel < w.shape[1]:
        raise ValueError(f"channel must be in [0, {w.shape[1] - 1}], got {channel!r}")
    f = w.shape[0]
    ncols = min(ncols, f)
    nrows = -(-f // ncols)
    vmax = float(np.abs(w[:, channel]).max()) or 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.35 * ncols, 1.45 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, ax in enumerate(axes.ravel()[:f]):
        ax.imshow(w[i, channel], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"filter {i}", fontsize=9)
    return _finish(fig)


@picture
def feature_maps(model, image, max_maps=8):
    """What one image becomes at each depth of a model, and the model's answer.

    Parameters
    ----------
    model : Sequential
        A trained :class:`convcourse.nn.Sequential` of the course's structure.
    image : array_like, shape (1, H, W) or (H, W)
        One input image.
    max_maps : int, optional
        Channels shown per layer (the first ones).

    Returns
    -------
    matplotlib.figure.Figure
        A row for the input, then a row after every ReLU and every pooling
        layer (each map on its own colour scale, darker = larger), and a last
        row with the predicted probabilities of the classes.

    Examples
    --------
    >>> from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
    >>> m = Sequential(Conv2d(1, 3, 3, padding=1, rng=0), ReLU(), MaxPool2d(2), Flatten(),
    ...                Linear(48, 10, rng=0))
    >>> fig = feature_maps(m, np.ones((8, 8)))
    >>> [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    ['input\\n1 x 8 x 8', 'after 1: ReLU\\n3 x 8 x 8', 'after 2: MaxPool2d\\n3 x 4 x 4', 'softmax']
    """
    layers = _check_model(model)
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = img[None]
    if img.ndim != 3:
        raise ValueError(f"image must have shape (C, H, W) or (H, W), got shape {img.shape}")
    x = img[None]
    stages = [("input", x[0])]
    for i, layer in enumerate(layers):
        x = layer.forward(x)
        if isinstance(layer, (ReLU, MaxPool2d, AvgPool2d)) and x.ndim == 4:
            stages.append((f"after {i}: {type(layer).__name__}", x[0]))
    logits = x[0]
    ncols = max_maps
    fig = plt.figure(figsize=(1.25 * ncols + 1.0, 1.3 * (len(stages) + 1) + 0.4))
    grid = fig.add_gridspec(len(stages) + 1, ncols)
    for row, (name, maps) in enumerate(stages):
        for j in range(min(ncols, maps.shape[0])):
            ax = fig.add_subplot(grid[row, j])
            _hide_ticks(ax)
            ax.imshow(maps[j], cmap="gray_r" if row == 0 else "magma_r")
            if j == 0:
                ax.set_ylabel(f"{name}\n{' x '.join(map(str, maps.shape))}", fontsize=8,
                              rotation=0, ha="right", va="center")
            if row == 1:
                ax.set_title(f"channel {j}", fontsize=8)
    ax = fig.add_subplot(grid[len(stages), :])
    if logits.ndim == 1:
        p = np.exp(logits - logits.max())
        p /= p.sum()
        colors = ["#9ecae1"] * p.size
        colors[int(np.argmax(p))] = _OUTPUT
        ax.bar(np.arange(p.size), p, color=colors)
        ax.set_xticks(np.arange(p.size))
        ax.set_ylim(0, 1)
        ax.set_ylabel("softmax", rotation=0, ha="right", va="center", fontsize=8)
        ax.set_title(f"prediction: {int(np.argmax(p))} ({p.max():.0%})", fontsize=9)
    else:
        ax.axis("off")
    return _finish(fig)
