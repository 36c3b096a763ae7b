"""Layers of convcourse.nn: forward against hand-worked values and torch, backward
against central differences and torch autograd, hyperparameters and plumbing."""

import math

import numpy as np
import pytest

from convcourse.gradcheck import numerical_gradient
from convcourse.nn import (
    AvgPool2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    Parameter,
    ReLU,
    Sequential,
)


# -- helpers -------------------------------------------------------------------

def check_layer_gradients(layer, x, rng, atol=1e-6):
    """backward(g) equals central differences for the input and every parameter."""
    x = np.array(x, dtype=np.float64)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    layer.zero_grad()
    grad_x = layer.backward(g)
    assert grad_x.shape == x.shape
    np.testing.assert_allclose(grad_x, numerical_gradient(layer.forward, x, g), atol=atol)
    for name, p in layer.named_parameters():
        # numerical_gradient perturbs p.data in place; forward reads it
        expected = numerical_gradient(lambda _: layer.forward(x), p.data, g)
        np.testing.assert_allclose(p.grad, expected, atol=atol, err_msg=name)


def to_torch(model, torch):
    """The torch.nn equivalent of a convcourse.nn layer or Sequential, weights copied."""
    nn = torch.nn
    if isinstance(model, Sequential):
        return nn.Sequential(*[to_torch(layer, torch) for layer in model])
    if isinstance(model, Linear):
        t = nn.Linear(model.in_features, model.out_features, bias=model.bias is not None)
    elif isinstance(model, Conv2d):
        t = nn.Conv2d(model.in_channels, model.out_channels, model.kernel_size, model.stride,
                      model.padding, model.dilation, model.groups, bias=model.bias is not None)
    elif isinstance(model, MaxPool2d):
        t = nn.MaxPool2d(model.kernel_size, model.stride, model.padding, model.dilation,
                         ceil_mode=model.ceil_mode)
    elif isinstance(model, AvgPool2d):
        t = nn.AvgPool2d(model.kernel_size, model.stride, model.padding, model.ceil_mode,
                         model.count_include_pad)
    elif isinstance(model, GlobalAvgPool2d):
        t = nn.AdaptiveAvgPool2d(1)
    elif isinstance(model, ReLU):
        t = nn.ReLU()
    elif isinstance(model, Flatten):
        t = nn.Flatten(model.start_dim, model.end_dim)
    else:
        raise TypeError(type(model))
    t = t.double()
    t.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return t


def check_against_torch(layer, x, rng, atol=1e-10):
    """Forward, input gradient and parameter gradients equal torch's."""
    torch = pytest.importorskip("torch")
    tlayer = to_torch(layer, torch)
    x = np.asarray(x, dtype=np.float64)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    layer.zero_grad()
    grad_x = layer.backward(g)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    ty = tlayer(tx)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=atol)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), atol=atol)
    tparams = dict(tlayer.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), atol=atol, err_msg=name)


# -- Linear --------------------------------------------------------------------

def test_linear_forward_hand_worked():
    layer = Linear(2, 3)
    layer.weight.data[...] = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]
    layer.bias.data[...] = [0.5, 0.0, -1.0]
    y = layer.forward(np.array([[2.0, 3.0]]))
    np.testing.assert_array_equal(y, [[2.5, 3.0, -2.0]])
    gx = layer.backward(np.array([[1.0, 1.0, 1.0]]))
    np.testing.assert_array_equal(gx, [[2.0, 0.0]])
    np.testing.assert_array_equal(layer.weight.grad, [[2.0, 3.0]] * 3)
    np.testing.assert_array_equal(layer.bias.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(rng, bias):
    layer = Linear(4, 3, bias=bias, rng=1)
    check_layer_gradients(layer, rng.standard_normal((5, 4)), rng)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng, bias):
    check_against_torch(Linear(6, 4, bias=bias, rng=2), rng.standard_normal((3, 6)), rng)


def test_linear_attributes_and_layout():
    layer = Linear(5, 2, bias=False, rng=0)
    assert (layer.in_features, layer.out_features, layer.bias) == (5, 2, None)
    assert layer.weight.shape == (2, 5)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer) == "Linear(in_features=5, out_features=2, bias=False)"


def test_linear_init_is_torch_uniform_and_seeded():
    a, b, c = Linear(100, 200, rng=7), Linear(100, 200, rng=7), Linear(100, 200, rng=8)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    bound = 1 / math.sqrt(100)
    w = a.weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    # uniform on [-b, b] has standard deviation b / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(a.bias.data).max() <= bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_dtype(dtype):
    layer = Linear(3, 2, rng=0, dtype=dtype)
    assert layer.weight.dtype == dtype and layer.bias.dtype == dtype
    assert layer.forward(np.ones((1, 3), dtype=dtype)).dtype == dtype


def test_linear_integer_input_computes_in_float64():
    layer = Linear(3, 2, rng=0)
    assert layer.forward(np.ones((2, 3), dtype=np.int64)).dtype == np.float64


@pytest.mark.parametrize("x, exc, match", [
    (np.ones(4), ValueError, r"x must be a 2-D array .* got shape \(4,\)"),
    (np.ones((2, 3)), ValueError, r"in_features=4 .* got shape \(2, 3\)"),
    (np.ones((2, 4), dtype=complex), TypeError, "x must be .* complex128"),
])
def test_linear_rejects_bad_input(x, exc, match):
    with pytest.raises(exc, match=match):
        Linear(4, 2, rng=0).forward(x)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(in_features=0, out_features=2), ValueError, "in_features must be >= 1, got 0"),
    (dict(in_features=2.5, out_features=2), TypeError, "in_features must be an int, got 2.5"),
    (dict(in_features=2, out_features=-1), ValueError, "out_features must be >= 1, got -1"),
    (dict(in_features=2, out_features=2, bias="yes"), TypeError, "bias must be a bool, got 'yes'"),
    (dict(in_features=2, out_features=2, dtype=np.int32), TypeError, "dtype must be a floating"),
])
def test_linear_rejects_bad_hyperparameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Linear(**kwargs)


# -- ReLU, Flatten ---------------------------------------------------------------

def test_relu_hand_worked():
    relu = ReLU()
    x = np.array([[-2.0, 0.0, 0.5], [3.0, -0.1, 0.0]])
    np.testing.assert_array_equal(relu.forward(x), [[0, 0, 0.5], [3, 0, 0]])
    # the gradient at exactly 0 is 0, as in torch
    np.testing.assert_array_equal(relu.backward(np.full((2, 3), 2.0)), [[0, 0, 2], [2, 0, 0]])


def test_relu_gradients_and_torch(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    check_layer_gradients(ReLU(), x, rng)
    check_against_torch(ReLU(), x, rng)


def test_relu_keeps_float32():
    assert ReLU().forward(np.ones((1, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("start_dim, end_dim, shape", [
    (1, -1, (2, 60)), (0, -1, (120,)), (2, 3, (2, 3, 20)), (1, 2, (2, 12, 5)),
])
def test_flatten_shapes_and_backward(rng, start_dim, end_dim, shape):
    x = rng.standard_normal((2, 3, 4, 5))
    layer = Flatten(start_dim, end_dim)
    y = layer.forward(x)
    assert y.shape == shape
    np.testing.assert_array_equal(y.ravel(), x.ravel())
    np.testing.assert_array_equal(layer.backward(y), x)
    check_against_torch(layer, x, rng)


def test_flatten_rejects_bad_dims():
    with pytest.raises(ValueError, match="start_dim must be an axis of x .* got 4"):
        Flatten(4).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_output must have 6 elements .* got shape \(5,\)"):
        layer = Flatten()
        layer.forward(np.ones((2, 3)))
        layer.backward(np.ones(5))


# -- plumbing shared by every layer ----------------------------------------------

@pytest.mark.parametrize("layer", [Linear(3, 2, rng=0), ReLU(), Flatten()], ids=repr)
def test_backward_before_forward_is_an_error(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("layer, x, g_shape", [
    (Linear(3, 2, rng=0), np.ones((4, 3)), (4, 3)),
    (ReLU(), np.ones((4, 3)), (3, 4)),
])
def test_grad_output_of_wrong_shape_is_rejected(layer, x, g_shape):
    layer.forward(x)
    with pytest.raises(ValueError, match=rf"grad_output must have shape .* got shape \({g_shape[0]}, {g_shape[1]}\)"):
        layer.backward(np.ones(g_shape))


def test_gradients_accumulate_until_zero_grad(rng):
    layer = Linear(3, 2, rng=0)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    assert layer.grads == {"weight": None, "bias": None}


def test_parameter_accumulate_checks_shape():
    p = Parameter(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"grad must have the parameter's shape \(2, 2\), got shape \(3,\)"):
        p.accumulate(np.zeros(3))


# -- Sequential ------------------------------------------------------------------

def mlp():
    return Sequential(Flatten(), Linear(8, 5, rng=0), ReLU(), Linear(5, 3, rng=1))


def test_sequential_forward_is_the_chain(rng):
    model = mlp()
    x = rng.standard_normal((4, 2, 2, 2))
    h = x.reshape(4, 8) @ model[1].weight.data.T + model[1].bias.data
    expected = np.maximum(h, 0) @ model[3].weight.data.T + model[3].bias.data
    np.testing.assert_allclose(model.forward(x), expected)


def test_sequential_gradients(rng):
    check_layer_gradients(mlp(), rng.standard_normal((3, 2, 2, 2)), rng)


def test_sequential_matches_torch(rng):
    check_against_torch(mlp(), rng.standard_normal((3, 2, 2, 2)), rng)


def test_sequential_names_index_and_repr():
    model = mlp()
    assert len(model) == 4 and isinstance(model[2], ReLU)
    assert [type(m).__name__ for m in model[1:3]] == ["Linear", "ReLU"]
    assert isinstance(model[1:3], Sequential)
    assert list(model.state_dict()) == ["1.weight", "1.bias", "3.weight", "3.bias"]
    assert len(model.parameters()) == 4
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Linear(in_features=8, out_features=5, bias=True)\n"
        "  (2): ReLU()\n"
        "  (3): Linear(in_features=5, out_features=3, bias=True)\n"
        ")"
    )


def test_sequential_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    model = mlp()
    assert list(model.state_dict()) == list(to_torch(model, torch).state_dict())


def test_load_state_dict_round_trip_and_errors():
    a, b = mlp(), Sequential(Flatten(), Linear(8, 5, rng=5), ReLU(), Linear(5, 3, rng=6))
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    with pytest.raises(ValueError, match=r"missing \['3.bias'\]"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "3.bias"})
    bad = a.state_dict()
    bad["1.weight"] = np.zeros((8, 5))
    with pytest.raises(ValueError, match=r"state\['1.weight'\] must have shape \(5, 8\), got shape \(8, 5\)"):
        b.load_state_dict(bad)


def test_sequential_train_eval_propagates():
    model = mlp()
    model.eval()
    assert not model.training and not any(m.training for m in model)
    model.train()
    assert model.training and all(m.training for m in model)


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="layers must be Module instances, got 3 at position 1"):
        Sequential(ReLU(), 3)


# -- Conv2d ----------------------------------------------------------------------

CONV_CASES = [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=2),
    dict(in_channels=4, out_channels=2, kernel_size=2, groups=2, bias=False),
    dict(in_channels=3, out_channels=3, kernel_size=3, padding=1, groups=3),
    dict(in_channels=1, out_channels=2, kernel_size=3, padding="valid", stride=2),
]


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=str)
def test_conv2d_gradients(rng, kwargs):
    layer = Conv2d(**kwargs, rng=3)
    check_layer_gradients(layer, rng.standard_normal((2, kwargs["in_channels"], 5, 6)), rng)


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=str)
def test_conv2d_matches_torch(rng, kwargs):
    layer = Conv2d(**kwargs, rng=4)
    check_against_torch(layer, rng.standard_normal((3, kwargs["in_channels"], 7, 6)), rng)


def test_conv2d_hand_worked():
    layer = Conv2d(1, 1, 2)
    layer.weight.data[...] = [[[[1.0, 0.0], [0.0, -1.0]]]]
    layer.bias.data[...] = 10.0
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    # y[i, j] = x[i, j] - x[i+1, j+1] + 10 = -4 + 10
    np.testing.assert_array_equal(layer.forward(x), np.full((1, 1, 2, 2), 6.0))
    layer.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(layer.bias.grad, [4.0])
    np.testing.assert_array_equal(layer.weight.grad, [[[[8.0, 12.0], [20.0, 24.0]]]])


def test_conv2d_attributes_and_repr():
    layer = Conv2d(4, 6, (3, 5), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False, rng=0)
    assert (layer.in_channels, layer.out_channels, layer.groups) == (4, 6, 2)
    assert layer.kernel_size == (3, 5) and layer.stride == (2, 2)
    assert layer.padding == (1, 1) and layer.dilation == (1, 2)
    assert layer.weight.shape == (6, 2, 3, 5) and layer.bias is None
    assert repr(layer) == ("Conv2d(4, 6, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), "
                           "dilation=(1, 2), groups=2, bias=False)")
    same = Conv2d(1, 1, 3, padding="same")
    assert same.padding == "same"
    assert repr(same) == "Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), padding=same)"


def test_conv2d_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for kwargs in CONV_CASES:
        assert repr(Conv2d(**kwargs)) == repr(torch.nn.Conv2d(**kwargs)), kwargs


def test_conv2d_init_bound_uses_fan_in_per_group():
    layer = Conv2d(8, 16, 3, groups=4, rng=0)
    bound = 1 / math.sqrt(2 * 3 * 3)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    np.testing.assert_array_equal(layer.weight.data, Conv2d(8, 16, 3, groups=4, rng=0).weight.data)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), ValueError,
     "in_channels must be divisible by groups=2, got 3"),
    (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), ValueError,
     "out_channels must be divisible by groups=2, got 3"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, stride=0), ValueError, "stride must be >= 1"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, stride=1.5), TypeError, "stride .* got 1.5"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, padding=-1), ValueError, "padding must be >= 0"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, padding="same", stride=2), ValueError,
     "padding='same' .* stride"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, padding="full"), ValueError, "padding .* 'full'"),
    (dict(in_channels=1, out_channels=1, kernel_size=(3, 3, 3)), ValueError, r"kernel_size .* \(3, 3, 3\)"),
])
def test_conv2d_rejects_bad_hyperparameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Conv2d(**kwargs)


def test_conv2d_rejects_channel_mismatch():
    with pytest.raises(ValueError, match=r"x .*\(1, 3, 5, 5\)"):
        Conv2d(2, 4, 3, rng=0).forward(np.ones((1, 3, 5, 5)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_keeps_dtype(dtype):
    layer = Conv2d(1, 2, 3, rng=0, dtype=dtype)
    y = layer.forward(np.ones((1, 1, 4, 4), dtype=dtype))
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert layer.weight.grad.dtype == dtype


# -- pooling layers ----------------------------------------------------------------

POOL_LAYERS = [
    MaxPool2d(2),
    MaxPool2d(3, stride=1, padding=1),
    MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1), ceil_mode=True),
    AvgPool2d(2),
    AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
    GlobalAvgPool2d(),
]


@pytest.mark.parametrize("layer", POOL_LAYERS, ids=repr)
def test_pool_gradients(rng, layer):
    # distinct values, so no max window has a tie and central differences apply
    x = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0
    check_layer_gradients(layer, x, rng)


@pytest.mark.parametrize("layer", POOL_LAYERS, ids=repr)
def test_pool_matches_torch(rng, layer):
    check_against_torch(layer, rng.standard_normal((2, 3, 7, 6)), rng)


def test_max_pool_tie_gradient_goes_to_first_maximum():
    layer = MaxPool2d(2)
    x = np.array([[[[1.0, 1.0], [1.0, 0.0]]]])
    np.testing.assert_array_equal(layer.forward(x), [[[[1.0]]]])
    np.testing.assert_array_equal(layer.backward(np.array([[[[3.0]]]])), [[[[3.0, 0.0], [0.0, 0.0]]]])


def test_global_avg_pool_hand_worked():
    layer = GlobalAvgPool2d()
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(layer.forward(x), [[[[1.5]], [[5.5]]]])
    np.testing.assert_array_equal(layer.backward(np.array([[[[4.0]], [[8.0]]]])),
                                  [[[[1.0, 1.0], [1.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]]])


def test_pool_attributes():
    pool = MaxPool2d(3, padding=1)
    assert pool.kernel_size == (3, 3) and pool.stride == (3, 3) and pool.padding == (1, 1)
    assert pool.dilation == (1, 1) and pool.ceil_mode is False
    avg = AvgPool2d((2, 4), stride=1, count_include_pad=False)
    assert avg.kernel_size == (2, 4) and avg.stride == (1, 1) and avg.count_include_pad is False
    assert pool.parameters() == [] and avg.parameters() == [] and GlobalAvgPool2d().parameters() == []


@pytest.mark.parametrize("make, exc, match", [
    (lambda: MaxPool2d(0), ValueError, "kernel_size must be >= 1"),
    (lambda: MaxPool2d(2, stride=-1), ValueError, "stride must be >= 1"),
    (lambda: AvgPool2d(2, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: AvgPool2d(2.5), TypeError, "kernel_size .* got 2.5"),
    (lambda: MaxPool2d(2, ceil_mode=1), TypeError, "ceil_mode must be a bool, got 1"),
])
def test_pool_rejects_bad_hyperparameters(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
