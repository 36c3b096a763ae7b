"""The checks of assignment 02-conv-layer.

Differently written correct implementations must pass with full points; each
deliberately wrong one must lose points and have its mistake named; the
references agree with their independent oracles on hand-worked cases.
"""

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convcourse.grading import conv_layer as grading_module
from convcourse.grading.conv_layer import (EXERCISES, check_conv1x1, check_conv2d_forward,
                                           check_conv_layer_params, check_conv_matrix,
                                           check_receptive_field)

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "02-conv-layer", "CONVCOURSE_NOTEBOOK": "02-conv-layer"}


# ------------------------------------------------------- correct implementations

def params_formula(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if min(in_channels, out_channels, kh, kw) < 1:
        raise ValueError(f"counts must be >= 1, got {in_channels, out_channels, kernel_size}")
    return out_channels * (kh * kw * in_channels + (1 if bias else 0))


def params_numpy(in_channels, out_channels, kernel_size, bias=True):
    shape = (out_channels, in_channels) + tuple(np.broadcast_to(kernel_size, (2,)))
    if min(shape) < 1:
        raise ValueError("bad shape")
    return np.int64(np.prod(shape) + (out_channels if bias else 0))


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _check_forward_args(x, weight, bias):
    x, weight, bias = np.asarray(x), np.asarray(weight), np.asarray(bias)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"x and weight must be 4-D, got {x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels, weight {weight.shape[1]}")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return x, weight, bias


def forward_loops(x, weight, bias, stride=1, padding=0):
    x, weight, bias = _check_forward_args(x, weight, bias)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, w = x.shape
    k, _, kh, kw = weight.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + w] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError("kernel larger than the padded input")
    out = np.zeros((n, k, oh, ow))
    for i in range(n):
        for f in range(k):
            for r in range(oh):
                for s in range(ow):
                    window = xp[i, :, r * sh:r * sh + kh, s * sw:s * sw + kw]
                    out[i, f, r, s] = np.sum(window * weight[f]) + bias[f]
    return out


def forward_einsum_float32(x, weight, bias, stride=1, padding=0):
    x, weight, bias = _check_forward_args(x, weight, bias)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).astype(np.float32)
    if weight.shape[2] > xp.shape[2] or weight.shape[3] > xp.shape[3]:
        raise ValueError("kernel does not fit")
    win = sliding_window_view(xp, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.einsum("ncijab,kcab->nkij", win, weight.astype(np.float32))
    return out + bias.astype(np.float32)[None, :, None, None]


def forward_shift_sum_list(x, weight, bias, stride=1, padding=0):
    x, weight, bias = _check_forward_args(x, weight, bias)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = weight.shape[2:]
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    if oh < 1 or ow < 1 or kh > xp.shape[2] or kw > xp.shape[3]:
        raise ValueError("no room for the kernel")
    out = np.zeros((x.shape[0], weight.shape[0], oh, ow)) + bias[None, :, None, None]
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, :, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw]
            out += np.tensordot(patch, weight[:, :, a, b], axes=([1], [1])).transpose(0, 3, 1, 2)
    return out.tolist()


def conv1x1_einsum(x, weight):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"shapes {x.shape} and {weight.shape} do not match")
    return np.einsum("kc,nchw->nkhw", weight, x)


def conv1x1_loops_float32(x, weight):
    x, weight = np.asarray(x, np.float32), np.asarray(weight, np.float32)
    if x.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("channel mismatch")
    n, c, h, w = x.shape
    out = np.zeros((n, weight.shape[0], h, w), np.float32)
    for i in range(n):
        for k in range(weight.shape[0]):
            for ch in range(c):
                out[i, k] += weight[k, ch] * x[i, ch]
    return out


def conv1x1_matmul(x, weight):
    if np.ndim(x) != 4 or np.shape(x)[1] != np.shape(weight)[1]:
        raise ValueError("channel mismatch")
    n, c, h, w = x.shape
    flat = x.transpose(1, 0, 2, 3).reshape(c, -1)             # (C, N*H*W)
    return (weight @ flat).reshape(-1, n, h, w).transpose(1, 0, 2, 3)


def matrix_loops(image_shape, kernel, row_length=None):
    h, w = image_shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel {kernel.shape} larger than image {image_shape}")
    oh, ow = h - kh + 1, w - kw + 1
    step = w if row_length is None else row_length(ow)   # pixels per image row: W
    m = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    m[i * ow + j, (i + a) * step + j + b] = kernel[a, b]
    return m


def matrix_unit_images(image_shape, kernel):
    h, w = image_shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    columns = []
    for q in range(h * w):
        unit = np.zeros(h * w)
        unit[q] = 1.0
        win = sliding_window_view(unit.reshape(h, w), kernel.shape)
        columns.append(np.einsum("ijab,ab->ij", win, kernel).ravel())
    return np.stack(columns, axis=1).astype(np.float32)


def matrix_embedded_rows(image_shape, kernel):
    h, w = image_shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    rows = []
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            canvas = np.zeros((h, w))
            canvas[i:i + kh, j:j + kw] = kernel
            rows.append(canvas.ravel().tolist())
    return rows


def field_forward(layers):
    r, jump = 1, 1
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel size and stride must be >= 1, got {(k, s)}")
        r += (k - 1) * jump
        jump *= s
    return r


def field_backward(layers):
    if any(k < 1 or s < 1 for k, s in layers):
        raise ValueError("bad layer")
    r = 1
    for k, s in reversed(layers):
        r = s * r + (k - s)
    return r


def field_products(layers):
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError("bad layer")
    strides = [s for _, s in layers]
    return np.int64(1 + sum((k - 1) * math.prod(strides[:i]) for i, (k, _) in enumerate(layers)))


CORRECT = [
    (check_conv_layer_params, params_formula),
    (check_conv_layer_params, params_numpy),
    (check_conv2d_forward, forward_loops),
    (check_conv2d_forward, forward_einsum_float32),
    (check_conv2d_forward, forward_shift_sum_list),
    (check_conv1x1, conv1x1_einsum),
    (check_conv1x1, conv1x1_loops_float32),
    (check_conv1x1, conv1x1_matmul),
    (check_conv_matrix, matrix_loops),
    (check_conv_matrix, matrix_unit_images),
    (check_conv_matrix, matrix_embedded_rows),
    (check_receptive_field, field_forward),
    (check_receptive_field, field_backward),
    (check_receptive_field, field_products),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None  # the visible form: public cases, no exception
    score = check(func, points=5, hidden=True)
    captured = capsys.readouterr()
    assert type(score) is float and score == 5.0, captured.out
    assert captured.err == ""  # nbgrader gives 0 to a cell that writes to stderr
    assert "score 5/5" in captured.out


# --------------------------------------------------------- wrong implementations

def params_no_bias(in_channels, out_channels, kernel_size, bias=True):
    return params_formula(in_channels, out_channels, kernel_size, bias=False)


def params_no_channels(in_channels, out_channels, kernel_size, bias=True):
    params_formula(in_channels, out_channels, kernel_size, bias)
    return params_formula(1, out_channels, kernel_size, bias)


def params_swapped(in_channels, out_channels, kernel_size, bias=True):
    return params_formula(out_channels, in_channels, kernel_size, bias)


def params_always_bias(in_channels, out_channels, kernel_size, bias=True):
    return params_formula(in_channels, out_channels, kernel_size, True)


def params_one_bias(in_channels, out_channels, kernel_size, bias=True):
    n = params_formula(in_channels, out_channels, kernel_size, False)
    return n + (1 if bias else 0)


def forward_no_bias(x, weight, bias, stride=1, padding=0):
    return forward_loops(x, weight, np.zeros_like(np.asarray(bias)), stride, padding)


def forward_first_channel(x, weight, bias, stride=1, padding=0):
    x, weight, bias = _check_forward_args(x, weight, bias)
    return forward_loops(x[:, :1], weight[:, :1], bias, stride, padding)


def forward_flipped(x, weight, bias, stride=1, padding=0):
    return forward_loops(x, np.asarray(weight)[:, :, ::-1, ::-1], bias, stride, padding)


def forward_no_stride(x, weight, bias, stride=1, padding=0):
    return forward_loops(x, weight, bias, 1, padding)


def forward_windows_not_strided(x, weight, bias, stride=1, padding=0):
    # the output size computed with the stride, the windows moved one step at a time
    right = forward_loops(x, weight, bias, stride, padding)
    return forward_loops(x, weight, bias, 1, padding)[:, :, :right.shape[2], :right.shape[3]]


def conv1x1_reshape_pixels(x, weight):
    # (N, C, H, W).reshape(-1, C) is not one row of channels per pixel
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError("channel mismatch")
    n, c, h, w = x.shape
    return (x.reshape(-1, c) @ weight.T).reshape(n, -1, h, w)


def conv1x1_reshape_channels(x, weight):
    # (N, C, H, W).reshape(C, -1) is right for one image only
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError("channel mismatch")
    n, c, h, w = x.shape
    return (weight @ x.reshape(c, -1)).reshape(n, -1, h, w)


def matrix_row_length_w_out(image_shape, kernel):
    # column (i + a) * W_out + (j + b): the output's row length for the input's
    return matrix_loops(image_shape, kernel, row_length=lambda w_out: w_out)


def forward_no_padding(x, weight, bias, stride=1, padding=0):
    return forward_loops(x, weight, bias, stride, 0)


def forward_first_image(x, weight, bias, stride=1, padding=0):
    return forward_loops(np.asarray(x)[:1], weight, bias, stride, padding)


def forward_bias_per_channel(x, weight, bias, stride=1, padding=0):
    x, weight, bias = _check_forward_args(x, weight, bias)
    return forward_loops(x, weight, bias * x.shape[1], stride, padding)


def conv1x1_channels_last(x, weight):
    return np.moveaxis(conv1x1_einsum(x, weight), 1, -1)


def conv1x1_transposed(x, weight):
    conv1x1_einsum(x, weight)
    return np.einsum("ck,nchw->nkhw", weight, x)


def conv1x1_diagonal(x, weight):
    conv1x1_einsum(x, weight)
    return x * np.diag(weight)[None, :, None, None]


def matrix_flipped(image_shape, kernel):
    return matrix_loops(image_shape, kernel[::-1, ::-1])


def matrix_transposed(image_shape, kernel):
    return matrix_loops(image_shape, kernel).T


def matrix_column_major(image_shape, kernel):
    h, w = image_shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    oh, ow = h - kh + 1, w - kw + 1
    m = np.zeros((oh * ow, h * w))
    for i in range(oh):
        for j in range(ow):
            canvas = np.zeros((h, w))
            canvas[i:i + kh, j:j + kw] = kernel
            m[j * oh + i] = canvas.ravel(order="F")
    return m


def field_no_strides(layers):
    return field_forward([(k, 1) for k, _ in layers])


def field_stride_too_early(layers):
    r, jump = 1, 1
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError("bad layer")
        jump *= s
        r += (k - 1) * jump
    return r


def field_own_stride(layers):
    field_forward(layers)
    return 1 + sum((k - 1) * s for k, s in layers)


def field_reversed(layers):
    return field_forward(list(layers)[::-1])


WRONG = [
    (check_conv_layer_params, params_no_bias, "bias forgotten"),
    (check_conv_layer_params, params_no_channels, "input channels ignored"),
    (check_conv_layer_params, params_swapped, "in and out channels swapped"),
    (check_conv_layer_params, params_always_bias, "bias counted with bias=False"),
    (check_conv_layer_params, params_one_bias, "one bias for the whole layer"),
    (check_conv2d_forward, forward_no_bias, "bias ignored"),
    (check_conv2d_forward, forward_first_channel, "input channels not summed"),
    (check_conv2d_forward, forward_flipped, "kernel flipped"),
    (check_conv2d_forward, forward_no_stride, "stride ignored"),
    (check_conv2d_forward, forward_no_padding, "padding ignored"),
    (check_conv2d_forward, forward_first_image, "only the first image of the batch"),
    (check_conv2d_forward, forward_bias_per_channel, "bias added once per input channel"),
    (check_conv1x1, conv1x1_channels_last, "channels last"),
    (check_conv1x1, conv1x1_transposed, "weight transposed"),
    (check_conv1x1, conv1x1_diagonal, "channels not mixed"),
    (check_conv1x1, conv1x1_reshape_pixels, "reshape instead of moving the channel axis"),
    (check_conv1x1, conv1x1_reshape_channels, "reshape instead of moving the channel axis"),
    (check_conv2d_forward, forward_windows_not_strided, "windows not strided"),
    (check_conv_matrix, matrix_row_length_w_out, "image row length taken as W_out"),
    (check_conv_matrix, matrix_flipped, "kernel flipped"),
    (check_conv_matrix, matrix_transposed, "matrix transposed"),
    (check_conv_matrix, matrix_column_major, "column-major ravel"),
    (check_receptive_field, field_no_strides, "strides ignored"),
    (check_receptive_field, field_stride_too_early, "stride applied too early"),
    (check_receptive_field, field_own_stride, "only the layer's own stride"),
    (check_receptive_field, field_reversed, "layers in reverse order"),
]


@pytest.mark.parametrize("check, func, mistake", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_implementations_are_named(check, func, mistake, graded_env, capsys):
    with pytest.raises(AssertionError, match=mistake):
        check(func)
    score = check(func, points=5, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and 0.0 <= score < 5.0
    assert mistake in out
    assert "reproduce" in out


# ------------------------------------------------------------- partial credit

def test_partial_credit_by_group(graded_env, capsys):
    # sums the channels and handles a batch, but ignores stride and padding
    def no_stride_no_padding(x, weight, bias, stride=1, padding=0):
        return forward_loops(x, weight, bias)

    score = check_conv2d_forward(no_stride_no_padding, points=6, hidden=True)
    assert score == pytest.approx(4.0)
    out = capsys.readouterr().out
    assert "PASS channels" in out and "PASS batch" in out and "PASS errors" in out
    assert "FAIL stride" in out and "FAIL padding" in out


def test_missing_validation_loses_only_the_errors_group(graded_env, capsys):
    def unchecked(in_channels, out_channels, kernel_size, bias=True):
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        return out_channels * (kh * kw * in_channels + int(bias))

    assert check_conv_layer_params(unchecked, points=4, hidden=True) == 3.0
    assert "expected ValueError" in capsys.readouterr().out


def test_stub_scores_zero_and_says_so(graded_env, capsys):
    def stub(x, weight):
        raise NotImplementedError()

    assert check_conv1x1(stub, points=4, hidden=True) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out


# ---------------------------------------------------------------- rule breaking

@pytest.mark.parametrize("check, cheat, called", [
    (check_conv2d_forward,
     lambda x, weight, bias, stride=1, padding=0: __import__("convcourse.conv").conv.conv2d(
         x, weight, bias, stride, padding), "convcourse.conv"),
    (check_conv1x1,
     lambda x, weight: __import__("convcourse.separable").separable.pointwise_conv2d(x, weight),
     "convcourse.separable"),
    (check_receptive_field,
     lambda layers: __import__("convcourse.arithmetic").arithmetic.receptive_field(layers),
     "convcourse.arithmetic"),
    (check_conv_layer_params,
     lambda c, k, size, bias=True: __import__("convcourse.arithmetic").arithmetic.conv_params(
         c, k, size, bias), "convcourse.arithmetic"),
])
def test_the_reference_is_forbidden(check, cheat, called):
    with pytest.raises(AssertionError, match=f"calls {called}"):
        check(cheat)


def test_torch_is_forbidden():
    torch = pytest.importorskip("torch")

    def with_torch(x, weight):
        return torch.einsum("kc,nchw->nkhw", torch.as_tensor(weight), torch.as_tensor(x)).numpy()

    with pytest.raises(AssertionError, match="calls torch"):
        check_conv1x1(with_torch)


def test_modifying_the_input_fails(graded_env, capsys):
    def in_place(layers):
        r = field_forward(layers)
        layers.clear()
        return r

    assert check_receptive_field(in_place, points=4, hidden=True) < 4.0
    assert "modified its input layers" in capsys.readouterr().out


# ------------------------------------------------------ references and oracles

@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_and_oracle_agree_on_every_case(name):
    ex = EXERCISES[name]
    for seed in (0, 1, 2):
        for case in ex.cases(seed):
            if case.error is None:
                ref, oracle = ex.reference(case), ex.oracle(case)
                if ex.integer_answer:
                    assert ref == oracle
                else:
                    np.testing.assert_allclose(ref, oracle, atol=1e-10)


def test_hand_worked_conv_matrix():
    # a 2x3 image, kernel [1, 2]: outputs (0,0), (0,1), (1,0), (1,1) each read two pixels
    m = grading_module._matrix_reference((2, 3), np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(m, [[1, 2, 0, 0, 0, 0],
                                      [0, 1, 2, 0, 0, 0],
                                      [0, 0, 0, 1, 2, 0],
                                      [0, 0, 0, 0, 1, 2]])


def test_hand_worked_layer_forward():
    # two channels of ones, a 2x2 kernel of ones per channel, bias 1: every output 2*4 + 1
    x = np.ones((1, 2, 3, 3))
    out = grading_module._forward_oracle(x, np.ones((1, 2, 2, 2)), np.array([1.0]))
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 9.0))


@pytest.mark.parametrize("layers, expected", [
    ([], 1), ([(3, 1), (3, 1)], 5), ([(3, 1), (2, 2), (3, 1)], 8), ([(3, 2), (3, 2)], 7),
])
def test_hand_worked_receptive_fields(layers, expected):
    assert grading_module._field_backward(layers) == expected


def test_matrix_against_torch_unfold():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(2, 3))
    image = rng.normal(size=(4, 5))
    m = grading_module._matrix_reference((4, 5), kernel)
    expected = torch.nn.functional.conv2d(torch.tensor(image)[None, None],
                                          torch.tensor(kernel)[None, None]).numpy().ravel()
    np.testing.assert_allclose(m @ image.ravel(), expected)
