"""Pictures for the course notebooks, one module per assignment.

Every function returns a matplotlib ``Figure`` (or, for the animations, a
``FuncAnimation``; :func:`show_animation` renders one inline in JupyterLab), so
a notebook cell is one call and a student never sees plotting code.

- :mod:`convcourse.viz.convolution` (01): sliding dot products, correlation
  against convolution, the dimension of a convolution, the padded, strided and
  dilated kernel animation, kernel galleries on a photo.
- :mod:`convcourse.viz.conv_layer` (02), :mod:`convcourse.viz.pooling` (03),
  :mod:`convcourse.viz.backprop` (04), :mod:`convcourse.viz.separable` (05),
  :mod:`convcourse.viz.cnn` (06).

The functions of 01 are also available here directly (``viz.animate_conv2d``).
"""

from . import backprop, cnn, conv_layer, convolution, pooling, separable
from .convolution import (animate_conv2d, conv_dimensions, corners_overlay,
                          correlation_vs_convolution, image_grid, kernel_gallery,
                          show_animation, sliding_dot_product_1d, sliding_dot_product_2d)

__all__ = [
    "convolution", "conv_layer", "pooling", "backprop", "separable", "cnn",
    "sliding_dot_product_1d", "sliding_dot_product_2d", "correlation_vs_convolution",
    "conv_dimensions", "animate_conv2d", "show_animation", "image_grid", "kernel_gallery",
    "corners_overlay",
]
