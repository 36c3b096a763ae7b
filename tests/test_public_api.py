"""The public API of DESIGN.md is importable from ``convcourse`` and documented."""

import inspect

import pytest

import convcourse

DESIGN_API = [
    "conv_output_size", "conv_params", "conv_mults", "depthwise_separable_mults", "receptive_field",
    "correlate2d", "convolve2d", "correlate", "convolve",
    "conv1d", "conv2d", "conv3d", "conv1d_backward", "conv2d_backward", "conv3d_backward",
    "max_pool2d", "avg_pool2d", "global_max_pool2d", "global_avg_pool2d",
    "max_pool2d_backward", "avg_pool2d_backward", "global_max_pool2d_backward",
    "global_avg_pool2d_backward",
    "separate_kernel", "is_separable", "separable_correlate2d", "depthwise_conv2d",
    "pointwise_conv2d", "depthwise_separable_conv2d",
    "numerical_gradient", "rel_error",
]
# issue 12, pooling: the rest of torch's pooling family (each has *_backward and *_naive twins)
DESIGN_API += [
    f"{name}{suffix}"
    for name in ["max_pool1d", "max_pool3d", "avg_pool1d", "avg_pool3d",
                 "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                 "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]
    for suffix in ["", "_backward", "_naive", "_backward_naive"]
]
KERNELS = ["box", "gaussian", "sobel", "prewitt", "scharr", "laplacian", "sharpen", "emboss",
           "harris_response", "gradient_magnitude"]
NN = ["Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "ReLU", "Flatten", "Linear",
      "Sequential", "softmax_cross_entropy", "SGD", "Adam"]


def test_all_is_exactly_what_the_package_exports():
    for name in convcourse.__all__:
        assert hasattr(convcourse, name), name
    assert len(set(convcourse.__all__)) == len(convcourse.__all__)


@pytest.mark.parametrize("module, names", [(convcourse, DESIGN_API), (convcourse.kernels, KERNELS),
                                           (convcourse.nn, NN)])
def test_design_api_is_importable_and_documented(module, names):
    for name in names:
        obj = getattr(module, name)
        assert name in module.__all__
        doc = inspect.getdoc(obj) or ""
        assert "Parameters" in doc or not inspect.signature(obj).parameters, f"{name} lacks numpydoc"
        if inspect.isfunction(obj):
            assert "Examples" in doc, f"{name} has no Examples"


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d"])
def test_network_operations_have_torchs_signature(name):
    params = list(inspect.signature(getattr(convcourse, name)).parameters.items())
    assert [p for p, _ in params] == ["x", "weight", "bias", "stride", "padding", "dilation", "groups"]
    assert [v.default for _, v in params[2:]] == [None, 1, 0, 1, 1]


def test_each_naive_version_sits_beside_its_vectorised_twin():
    for name in convcourse.__all__:
        if name.endswith("_naive"):
            assert hasattr(convcourse, name[: -len("_naive")]), name


POOLING_SIGNATURES = {  # issue 12: torch.nn.functional's argument names, order and defaults
    "max_pool{}d": ["x", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
    "avg_pool1d": ["x", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"],
    "avg_pool{}d": ["x", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                    "divisor_override"],
    "adaptive_avg_pool{}d": ["x", "output_size"],
    "adaptive_max_pool{}d": ["x", "output_size", "return_indices"],
}


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("pattern, params", list(POOLING_SIGNATURES.items()))
def test_pooling_has_torchs_signature_and_backward_takes_the_same_arguments(nd, pattern, params):
    if pattern == "avg_pool{}d" and nd == 1:
        return                                   # torch's avg_pool1d has no divisor_override
    name = pattern.format(nd)
    for suffix, expected in [("", params), ("_naive", params),
                             ("_backward", ["grad_output"] + params),
                             ("_backward_naive", ["grad_output"] + params)]:
        assert list(inspect.signature(getattr(convcourse, name + suffix)).parameters) == expected, \
            name + suffix
