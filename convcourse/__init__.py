"""convcourse: a numpy reference for every operation of a course on CNNs.

Network operations follow ``torch.nn.functional`` (names, argument order, NCHW
layout); image filtering follows ``scipy.signal``.  Each operation has a
readable loop version (``*_naive``) beside the vectorised default.

Modules: :mod:`~convcourse.arithmetic`, :mod:`~convcourse.filtering`,
:mod:`~convcourse.conv`, :mod:`~convcourse.pooling`, :mod:`~convcourse.separable`,
:mod:`~convcourse.kernels`, :mod:`~convcourse.gradcheck`, :mod:`~convcourse.data`,
:mod:`~convcourse.nn`; for the course itself :mod:`~convcourse.viz` (pictures) and
:mod:`~convcourse.grading` (the checks), imported on demand.

Examples
--------
>>> import numpy as np
>>> import convcourse as cc
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> cc.conv2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
array([[10., 18.],
       [42., 50.]])
"""

from . import data, kernels, nn
from .arithmetic import (conv_mults, conv_output_size, conv_params, depthwise_separable_mults,
                         receptive_field)
from .conv import (conv1d, conv1d_backward, conv2d, conv2d_backward, conv2d_backward_naive,
                   conv2d_naive, conv3d, conv3d_backward)
from .data import load_digits, load_photo
from .filtering import (convolve, convolve2d, convolve2d_naive, convolve_naive, correlate,
                        correlate2d, correlate2d_naive, correlate_naive)
from .gradcheck import numerical_gradient, rel_error
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool1d_backward,
                      adaptive_avg_pool1d_backward_naive, adaptive_avg_pool1d_naive,
                      adaptive_avg_pool2d, adaptive_avg_pool2d_backward,
                      adaptive_avg_pool2d_backward_naive, adaptive_avg_pool2d_naive,
                      adaptive_avg_pool3d, adaptive_avg_pool3d_backward,
                      adaptive_avg_pool3d_backward_naive, adaptive_avg_pool3d_naive,
                      adaptive_max_pool1d, adaptive_max_pool1d_backward,
                      adaptive_max_pool1d_backward_naive, adaptive_max_pool1d_naive,
                      adaptive_max_pool2d, adaptive_max_pool2d_backward,
                      adaptive_max_pool2d_backward_naive, adaptive_max_pool2d_naive,
                      adaptive_max_pool3d, adaptive_max_pool3d_backward,
                      adaptive_max_pool3d_backward_naive, adaptive_max_pool3d_naive, avg_pool1d,
                      avg_pool1d_backward, avg_pool1d_backward_naive, avg_pool1d_naive, avg_pool2d,
                      avg_pool2d_backward, avg_pool2d_backward_naive, avg_pool2d_naive, avg_pool3d,
                      avg_pool3d_backward, avg_pool3d_backward_naive, avg_pool3d_naive,
                      global_avg_pool2d, global_avg_pool2d_backward, global_max_pool2d,
                      global_max_pool2d_backward, max_pool1d, max_pool1d_backward,
                      max_pool1d_backward_naive, max_pool1d_naive, max_pool2d, max_pool2d_backward,
                      max_pool2d_backward_naive, max_pool2d_naive, max_pool3d, max_pool3d_backward,
                      max_pool3d_backward_naive, max_pool3d_naive)
from .separable import (depthwise_conv2d, depthwise_conv2d_naive, depthwise_separable_conv2d,
                        depthwise_separable_conv2d_naive, is_separable, pointwise_conv2d,
                        pointwise_conv2d_naive, separable_correlate2d, separable_correlate2d_naive,
                        separate_kernel)

__version__ = "0.1.0"

__all__ = [
    # modules
    "data", "kernels", "nn",
    # arithmetic
    "conv_output_size", "conv_params", "conv_mults", "depthwise_separable_mults", "receptive_field",
    # image filtering (scipy.signal semantics)
    "correlate2d", "convolve2d", "correlate", "convolve",
    "correlate2d_naive", "convolve2d_naive", "correlate_naive", "convolve_naive",
    # network operations (torch.nn.functional semantics)
    "conv1d", "conv2d", "conv3d", "conv1d_backward", "conv2d_backward", "conv3d_backward",
    "conv2d_naive", "conv2d_backward_naive",
    # pooling
    "max_pool2d", "avg_pool2d", "global_max_pool2d", "global_avg_pool2d",
    "max_pool2d_backward", "avg_pool2d_backward", "global_max_pool2d_backward",
    "global_avg_pool2d_backward", "max_pool2d_naive", "avg_pool2d_naive",
    "max_pool2d_backward_naive", "avg_pool2d_backward_naive",
    # pooling: the rest of torch's family (issue 12)
    "max_pool1d", "max_pool1d_backward", "max_pool1d_naive", "max_pool1d_backward_naive",
    "max_pool3d", "max_pool3d_backward", "max_pool3d_naive", "max_pool3d_backward_naive",
    "avg_pool1d", "avg_pool1d_backward", "avg_pool1d_naive", "avg_pool1d_backward_naive",
    "avg_pool3d", "avg_pool3d_backward", "avg_pool3d_naive", "avg_pool3d_backward_naive",
    "adaptive_avg_pool1d", "adaptive_avg_pool1d_backward", "adaptive_avg_pool1d_naive",
    "adaptive_avg_pool1d_backward_naive",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "adaptive_avg_pool2d_naive",
    "adaptive_avg_pool2d_backward_naive",
    "adaptive_avg_pool3d", "adaptive_avg_pool3d_backward", "adaptive_avg_pool3d_naive",
    "adaptive_avg_pool3d_backward_naive",
    "adaptive_max_pool1d", "adaptive_max_pool1d_backward", "adaptive_max_pool1d_naive",
    "adaptive_max_pool1d_backward_naive",
    "adaptive_max_pool2d", "adaptive_max_pool2d_backward", "adaptive_max_pool2d_naive",
    "adaptive_max_pool2d_backward_naive",
    "adaptive_max_pool3d", "adaptive_max_pool3d_backward", "adaptive_max_pool3d_naive",
    "adaptive_max_pool3d_backward_naive",
    # separable
    "separate_kernel", "is_separable", "separable_correlate2d", "depthwise_conv2d",
    "pointwise_conv2d", "depthwise_separable_conv2d", "separable_correlate2d_naive",
    "depthwise_conv2d_naive", "pointwise_conv2d_naive", "depthwise_separable_conv2d_naive",
    # gradient checking and data
    "numerical_gradient", "rel_error", "load_photo", "load_digits",
]
