"""Drawing helpers shared by the picture modules of :mod:`convcourse.viz`.

Arrays are drawn as grids of cells with their values written in, the way a
convolution is worked out by hand; every picture function ends with
:func:`finish` so a notebook shows its figure once, as the cell's value.
"""

from __future__ import annotations

import importlib

import numpy as np

__all__ = ["lazy_module", "WINDOW_COLOR", "OUTPUT_COLOR", "PAD_COLOR", "correlate_valid", "finish",
           "fmt", "draw_cells", "cell_axes", "translate_figure"]

WINDOW_COLOR = "#ff7f0e"   # the kernel's window on the input
OUTPUT_COLOR = "#2ca02c"   # the output cell being computed
PAD_COLOR = "#d9d9d9"      # padding cells


class lazy_module:  # noqa: N801 - stands for a module, named like one
    """A module imported the first time one of its attributes is used.

    The picture modules reach pyplot, its patches and animations through these.  A
    grading kernel whose pictures are all stored (:mod:`convcourse._picture_cache`)
    then never imports pyplot, about 0.5 s of every kernel; the first picture that is
    really drawn imports it.

    Examples
    --------
    >>> patches = lazy_module("matplotlib.patches")
    >>> patches.Rectangle.__name__
    'Rectangle'
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"lazy_module({self._name!r})"


plt = lazy_module("matplotlib.pyplot")
patches = lazy_module("matplotlib.patches")
animation = lazy_module("matplotlib.animation")


def correlate_valid(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Plain 'valid' cross-correlation for the pictures (1-D or 2-D)."""
    from numpy.lib.stride_tricks import sliding_window_view
    windows = sliding_window_view(x, k.shape)
    return np.einsum(windows, list(range(2 * k.ndim)), k, list(range(k.ndim, 2 * k.ndim)))


def translate_figure(fig, lang: str | None = None):
    """Put every text of ``fig`` (titles, axis labels, legends, annotations) in ``lang``.

    The pictures are drawn in English; the text is translated here, where the
    figure is finished, through the ``convcourse`` catalog
    (:func:`convcourse.i18n.translate`), so one drawing function serves every
    language.  ``lang`` defaults to :func:`convcourse.i18n.get_language`.
    """
    from matplotlib.text import Text

    from ..i18n import DEFAULT_LANGUAGE, get_language, translate

    lang = get_language() if lang is None else lang
    if lang == DEFAULT_LANGUAGE:
        return fig
    for text in fig.findobj(Text):
        english = text.get_text()
        if english:
            text.set_text(translate(english, lang))
    return fig


def finish(fig):
    """Lay out ``fig`` and detach it from pyplot.

    A notebook then shows it once, as the cell's value (pyplot would show it a
    second time at the end of the cell).  Its texts follow the course's
    language (:func:`translate_figure`).
    """
    translate_figure(fig)
    fig.tight_layout()
    plt.close(fig)
    return fig


def fmt(v: float) -> str:
    v = float(v)
    return f"{v:.0f}" if v.is_integer() else f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


def draw_cells(ax, values, x0=0.0, y0=0.0, *, face="white", highlight=None,
                highlight_color=WINDOW_COLOR, text=True, fontsize=11):
    """Draw a 2-D array as cells, row 0 at the top, cell (i, j) at (x0 + j, y0 - i)."""
    values = np.atleast_2d(values)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            color = face
            if highlight is not None and highlight[i, j]:
                color = highlight_color
            ax.add_patch(patches.Rectangle((x0 + j, y0 - i - 1), 1, 1, facecolor=color,
                                           edgecolor="black", linewidth=1))
            if text:
                ax.text(x0 + j + 0.5, y0 - i - 0.5, fmt(values[i, j]), ha="center",
                        va="center", fontsize=fontsize)


def cell_axes(ax, width, height, title=None):
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-height - 0.2, 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
