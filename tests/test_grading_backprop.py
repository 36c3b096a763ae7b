"""The checks of assignment 04-backprop.

Differently written correct implementations pass with full points; each
deliberately wrong one loses points and is named; the tuple-returning
functions are reported part by part; seeds reproduce.
"""

import dataclasses

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convcourse.grading import backprop
from convcourse.grading.backprop import (EXERCISES, ScalarFunction, check_conv1d_backward,
                                         check_conv2d_backward, check_numerical_gradient,
                                         reproduce)

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "04-backprop", "CONVCOURSE_NOTEBOOK": "04-backprop"}


# ------------------------------------------------------- correct implementations

def _check_1d(g, x, w):
    if w.size > x.size:
        raise ValueError(f"w of length {w.size} is longer than x of length {x.size}")
    if g.size != x.size - w.size + 1:
        raise ValueError(f"grad_output must have length {x.size - w.size + 1}, got {g.size}")


def conv1d_loops(grad_output, x, w):
    g, x, w = (np.asarray(a, dtype=float) for a in (grad_output, x, w))
    _check_1d(g, x, w)
    gx, gw = np.zeros(x.size), np.zeros(w.size)
    for i in range(g.size):          # output i used x[i:i+k] and all of w
        gx[i:i + w.size] += g[i] * w
        gw += g[i] * x[i:i + w.size]
    return gx, gw


def conv1d_formulas(grad_output, x, w):
    # grad_w = x correlated with g ('valid'); grad_x = g convolved with w ('full')
    g, x, w = (np.asarray(a, dtype=float) for a in (grad_output, x, w))
    _check_1d(g, x, w)
    gw = sliding_window_view(x, g.size) @ g
    padded = np.pad(g, w.size - 1)
    gx = sliding_window_view(padded, w.size) @ w[::-1]
    return [gx, gw]


def conv1d_float32_lists(grad_output, x, w):
    gx, gw = conv1d_loops(grad_output, x, w)
    return gx.astype(np.float32).tolist(), gw.astype(np.float32).tolist()


def conv1d_by_index(grad_output, x, w):
    # grad_x[j] = sum_k g[j - k] w[k] over the k with 0 <= j - k < len(g)
    _check_1d(np.asarray(grad_output), np.asarray(x), np.asarray(w))
    gx = np.zeros(len(x))
    for j in range(len(x)):
        for k in range(len(w)):
            if 0 <= j - k < len(grad_output):
                gx[j] += grad_output[j - k] * w[k]
    gw = np.array([sum(grad_output[i] * x[i + k] for i in range(len(grad_output)))
                   for k in range(len(w))], dtype=float)
    return gx, gw


def numerical_restore(f, x, eps=1e-6):
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f(x)
        x[index] = old - eps
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def numerical_copies(f, x, eps=1e-6):
    if not eps > 0:
        raise ValueError("eps")
    flat = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        flat.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.array(flat).reshape(x.shape).tolist()


def _conv2d_setup(grad_output, x, weight, stride, padding):
    (sh, sw), (ph, pw) = (np.broadcast_to(v, (2,)).astype(int) for v in (stride, padding))
    n, c, h, w = x.shape
    k, c2, kh, kw = weight.shape
    if c != c2:
        raise ValueError(f"x has {c} channels, weight {c2}")
    out = (n, k, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
    if grad_output.shape != out:
        raise ValueError(f"grad_output must have shape {out}, got {grad_output.shape}")
    return sh, sw, ph, pw


def conv2d_scatter(grad_output, x, weight, stride=1, padding=0):
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    kh, kw = weight.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp, gw = np.zeros(xp.shape), np.zeros(weight.shape)
    for i in range(grad_output.shape[2]):
        for j in range(grad_output.shape[3]):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = grad_output[:, :, i, j]
            gw += np.einsum("nk,nchw->kchw", g, xp[:, :, rows, cols])
            gxp[:, :, rows, cols] += np.einsum("nk,kchw->nchw", g, weight)
    gx = gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
    return gx, gw, grad_output.sum(axis=(0, 2, 3))


def conv2d_zero_insertion_float32(grad_output, x, weight, stride=1, padding=0):
    # the convolution picture: zeros between grad_output's entries, then correlations
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    g, x, weight = (a.astype(np.float32) for a in (grad_output, x, weight))
    n, k, ho, wo = g.shape
    kh, kw = weight.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    big = np.zeros((n, k, (ho - 1) * sh + 1, (wo - 1) * sw + 1), np.float32)
    big[:, :, ::sh, ::sw] = g
    used = xp[:, :, :big.shape[2] + kh - 1, :big.shape[3] + kw - 1]
    gw = np.einsum("nchwuv,nkuv->kchw", sliding_window_view(used, big.shape[2:], axis=(2, 3)), big)
    full = np.pad(big, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    gused = np.einsum("nkhwuv,kcuv->nchw", sliding_window_view(full, (kh, kw), axis=(2, 3)),
                      weight[:, :, ::-1, ::-1])
    gxp = np.zeros(xp.shape, np.float32)
    gxp[:, :, :gused.shape[2], :gused.shape[3]] = gused
    return gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], gw, g.sum(axis=(0, 2, 3))


def conv2d_seven_loops(grad_output, x, weight, stride=1, padding=0):
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    n, c, h, w = x.shape
    k, _, kh, kw = weight.shape
    gx, gw, gb = np.zeros(x.shape), np.zeros(weight.shape), np.zeros(k)
    for b in range(n):
        for f in range(k):
            for i in range(grad_output.shape[2]):
                for j in range(grad_output.shape[3]):
                    g = grad_output[b, f, i, j]
                    gb[f] += g
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                r, s = i * sh + u - ph, j * sw + v - pw
                                if 0 <= r < h and 0 <= s < w:
                                    gw[f, ch, u, v] += g * x[b, ch, r, s]
                                    gx[b, ch, r, s] += g * weight[f, ch, u, v]
    return gx, gw, gb


CORRECT = [
    (check_conv1d_backward, conv1d_loops),
    (check_conv1d_backward, conv1d_formulas),
    (check_conv1d_backward, conv1d_float32_lists),
    (check_conv1d_backward, conv1d_by_index),
    (check_numerical_gradient, numerical_restore),
    (check_numerical_gradient, numerical_copies),
    (check_conv2d_backward, conv2d_scatter),
    (check_conv2d_backward, conv2d_zero_insertion_float32),
    (check_conv2d_backward, conv2d_seven_loops),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None
    score = check(func, points=5, hidden=True)
    assert type(score) is float and score == 5.0
    captured = capsys.readouterr()
    assert captured.err == "" and "score 5/5" in captured.out


# --------------------------------------------------------- wrong implementations

def conv1d_grad_w_flipped(grad_output, x, w):
    gx, gw = conv1d_loops(grad_output, x, w)
    return gx, gw[::-1]


def conv1d_grad_x_not_flipped(grad_output, x, w):
    g, w = np.asarray(grad_output, float), np.asarray(w, float)
    _, gw = conv1d_loops(grad_output, x, w)
    return sliding_window_view(np.pad(g, w.size - 1), w.size) @ w, gw


def conv1d_grad_x_valid(grad_output, x, w):
    g, w = np.asarray(grad_output, float), np.asarray(w, float)
    _, gw = conv1d_loops(grad_output, x, w)
    return sliding_window_view(g, w.size) @ w[::-1], gw


def conv1d_swapped(grad_output, x, w):
    gx, gw = conv1d_loops(grad_output, x, w)
    return gw, gx


def numerical_forward(f, x, eps=1e-6):
    if eps <= 0:
        raise ValueError("eps")
    x = x.copy()
    f0, grad = f(x), np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        grad[index] = (f(x) - f0) / eps
        x[index] = old
    return grad


def numerical_one_eps(f, x, eps=1e-6):
    return 2 * numerical_restore(f, x, eps) if eps > 0 else numerical_restore(f, x, eps)


def numerical_fixed_eps(f, x, eps=1e-6):
    if eps <= 0:
        raise ValueError("eps")
    return numerical_restore(f, x, 1e-6)


def numerical_not_restored(f, x, eps=1e-6):
    if eps <= 0:
        raise ValueError("eps")
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps
        plus = f(x)
        x[index] -= 2 * eps
        minus = f(x)
        grad[index] = (plus - minus) / (2 * eps)   # x[index] is left at old - eps
    return grad


def numerical_all_at_once(f, x, eps=1e-6):
    if eps <= 0:
        raise ValueError("eps")
    return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))


def conv2d_weight_flipped(grad_output, x, weight, stride=1, padding=0):
    gx, gw, gb = conv2d_scatter(grad_output, x, weight, stride, padding)
    return gx, gw[:, :, ::-1, ::-1], gb


def conv2d_x_not_flipped(grad_output, x, weight, stride=1, padding=0):
    gx, gw, gb = conv2d_scatter(grad_output, x, weight[:, :, ::-1, ::-1], stride, padding)
    return gx, conv2d_scatter(grad_output, x, weight, stride, padding)[1], gb


def conv2d_stride_ignored(grad_output, x, weight, stride=1, padding=0):
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    kh, kw = weight.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp, gw = np.zeros(xp.shape), np.zeros(weight.shape)
    for i in range(grad_output.shape[2]):
        for j in range(grad_output.shape[3]):
            g = grad_output[:, :, i, j]
            gw += np.einsum("nk,nchw->kchw", g, xp[:, :, i:i + kh, j:j + kw])
            gxp[:, :, i:i + kh, j:j + kw] += np.einsum("nk,kchw->nchw", g, weight)
    return gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], gw, grad_output.sum(axis=(0, 2, 3))


def conv2d_stride_ignored_in_grad_x(grad_output, x, weight, stride=1, padding=0):
    # the common half-mistake: grad_weight strided, grad_x scattered at (i, j)
    gx = conv2d_stride_ignored(grad_output, x, weight, stride, padding)[0]
    return (gx,) + conv2d_scatter(grad_output, x, weight, stride, padding)[1:]


def conv2d_stride_ignored_in_grad_weight(grad_output, x, weight, stride=1, padding=0):
    gx, _, gb = conv2d_scatter(grad_output, x, weight, stride, padding)
    return gx, conv2d_stride_ignored(grad_output, x, weight, stride, padding)[1], gb


def conv2d_crop_end(grad_output, x, weight, stride=1, padding=0):
    # the padding cut from the end only: grad_x_padded[:, :, :h, :w]
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp, gw, gb = conv2d_scatter(grad_output, padded, weight, stride, 0)
    return gxp[:, :, :x.shape[2], :x.shape[3]], gw, gb


def conv2d_not_cropped(grad_output, x, weight, stride=1, padding=0):
    sh, sw, ph, pw = _conv2d_setup(grad_output, x, weight, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return conv2d_scatter(grad_output, padded, weight, stride, 0)   # grad of the padded x


def conv2d_bias_per_image(grad_output, x, weight, stride=1, padding=0):
    gx, gw, _ = conv2d_scatter(grad_output, x, weight, stride, padding)
    return gx, gw, grad_output.sum(axis=(2, 3))


def conv2d_batch_mean(grad_output, x, weight, stride=1, padding=0):
    gx, gw, gb = conv2d_scatter(grad_output, x, weight, stride, padding)
    return gx, gw / x.shape[0], gb


WRONG = [
    (check_conv1d_backward, conv1d_grad_w_flipped, "grad_w flipped"),
    (check_conv1d_backward, conv1d_grad_x_not_flipped, "grad_x kernel not flipped"),
    (check_conv1d_backward, conv1d_grad_x_valid, "grad_x 'valid' instead of 'full'"),
    (check_conv1d_backward, conv1d_swapped, "grad_w and grad_x swapped"),
    (check_numerical_gradient, numerical_forward, "forward differences instead of central"),
    (check_numerical_gradient, numerical_one_eps, "divided by eps instead of 2\\*eps"),
    (check_numerical_gradient, numerical_fixed_eps, "eps ignored"),
    (check_numerical_gradient, numerical_not_restored, "modified its input x"),
    (check_numerical_gradient, numerical_all_at_once, "every entry perturbed at once"),
    (check_conv2d_backward, conv2d_weight_flipped, "grad_weight flipped"),
    (check_conv2d_backward, conv2d_x_not_flipped, "grad_x kernel not flipped"),
    (check_conv2d_backward, conv2d_stride_ignored, "stride ignored in the backward"),
    (check_conv2d_backward, conv2d_not_cropped, "padding not cropped from grad_x"),
    (check_conv2d_backward, conv2d_stride_ignored_in_grad_x, "stride ignored in grad_x"),
    (check_conv2d_backward, conv2d_stride_ignored_in_grad_weight, "stride ignored in grad_weight"),
    (check_conv2d_backward, conv2d_crop_end, "padding cut from the end only"),
    (check_conv2d_backward, conv2d_bias_per_image, "grad_bias not summed over the batch"),
    (check_conv2d_backward, conv2d_batch_mean, "grad_weight averaged over the batch"),
]


@pytest.mark.parametrize("check, func, mistake", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_implementations_are_named(check, func, mistake, graded_env, capsys):
    with pytest.raises(AssertionError, match=mistake):
        check(func)
    score = check(func, points=5, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and 0.0 <= score < 5.0
    assert mistake.replace("\\", "") in out
    assert "convcourse.grading.reproduce(" in out


# ------------------------------------------------------------- reports, credit

def test_failure_is_reported_part_by_part():
    with pytest.raises(AssertionError) as info:
        check_conv1d_backward(conv1d_grad_w_flipped)
    text = str(info.value)
    # the first basic case: grad_output [1, 0, 0] picks the first window of x = [1..5]
    assert "conv1d_backward(grad_output shape (3,), x shape (5,), w shape (3,))" in text
    assert "part grad_x: right" in text
    assert "part grad_w: shape (3,) is right; largest error 2" in text
    assert "expected: [1., 2., 3.]" in text and "received: [3., 2., 1.]" in text


def test_wrong_shape_is_reported_with_the_shape_it_should_have():
    with pytest.raises(AssertionError) as info:
        check_conv1d_backward(conv1d_grad_x_valid)
    text = str(info.value)
    assert "part grad_x: expected shape (5,) (the shape of x), received shape (1,)" in text
    assert "part grad_w: right" in text


def test_raveled_parts_never_pass():
    # the same numbers in the wrong shape: the packed answer carries the shapes
    def raveled(grad_output, x, weight, stride=1, padding=0):
        gx, gw, gb = conv2d_scatter(grad_output, x, weight, stride, padding)
        return gx.ravel(), gw, gb

    with pytest.raises(AssertionError, match=r"part grad_x: expected shape \(1, 1, 4, 4\)"):
        check_conv2d_backward(raveled)


@pytest.mark.parametrize("value, says", [
    (lambda gx, gw: gx, "must return a tuple of 2 arrays .grad_x, grad_w.; yours returned one array"),
    (lambda gx, gw: (gx, gw, 0.0), "yours returned a tuple of 3"),
    (lambda gx, gw: (gx, None), "grad_w, part of the tuple returned, is not an array"),
    (lambda gx, gw: None, "forget the `return`"),
])
def test_a_wrong_return_value_is_explained(value, says):
    def func(grad_output, x, w):
        return value(*conv1d_loops(grad_output, x, w))

    with pytest.raises(AssertionError, match=says):
        check_conv1d_backward(func)


def test_restoring_x_is_explained():
    def restored_by_arithmetic(f, x, eps=1e-6):
        if eps <= 0:
            raise ValueError("eps")
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            x[index] += eps
            plus = f(x)
            x[index] -= 2 * eps
            minus = f(x)
            x[index] += eps           # (a + e - 2e) + e is not always a
            grad[index] = (plus - minus) / (2 * eps)
        return grad

    with pytest.raises(AssertionError, match="x changed by up to .*: rounding.*assign it back"):
        check_numerical_gradient(restored_by_arithmetic)
    with pytest.raises(AssertionError, match="x changed by up to 1e-06: put each entry back"):
        check_numerical_gradient(numerical_not_restored)


def test_partial_credit_by_group(graded_env, capsys):
    # stride ignored: basic, batch and channels, padding and errors still pass
    assert check_conv2d_backward(conv2d_stride_ignored, points=6, hidden=True) == pytest.approx(4.0)
    out = capsys.readouterr().out
    assert "PASS padding" in out and "FAIL stride (" in out and "FAIL stride and padding" in out
    # forward differences are right to O(eps) = 1e-6: only the eps group catches them
    assert check_numerical_gradient(numerical_forward, points=4, hidden=True) == 3.0


def test_stub_scores_zero_and_says_so(graded_env, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for check in (check_conv1d_backward, check_numerical_gradient, check_conv2d_backward):
        assert check(stub, points=4, hidden=True) == 0.0
        with pytest.raises(AssertionError, match="NotImplementedError"):
            check(stub)
    assert "NotImplementedError" in capsys.readouterr().out


def test_missing_validation_is_reported():
    def no_check(grad_output, x, weight, stride=1, padding=0):
        return conv2d_scatter(grad_output, x, weight[:, :x.shape[1]], stride, padding)

    with pytest.raises(AssertionError, match="expected ValueError .x has 2 channels, weight 3.; "
                                             "your function returned a result"):
        check_conv2d_backward(no_check)


# ---------------------------------------------------------------- rule breaking

def test_library_calls_fail(graded_env, capsys):
    def by_numpy(grad_output, x, w):
        return np.convolve(grad_output, w), np.correlate(x, grad_output)

    assert check_conv1d_backward(by_numpy, points=4, hidden=True) == 0.0
    assert "calls numpy.convolve" in capsys.readouterr().out

    from convcourse.conv import conv2d_backward as ref

    def by_reference(grad_output, x, weight, stride=1, padding=0):
        return ref(grad_output, x, weight, stride=stride, padding=padding)

    with pytest.raises(AssertionError, match="calls convcourse.conv"):
        check_conv2d_backward(by_reference)

    from convcourse.gradcheck import numerical_gradient as ng
    with pytest.raises(AssertionError, match="calls convcourse.gradcheck"):
        check_numerical_gradient(lambda f, x, eps=1e-6: ng(f, x, eps=eps))


def test_modifying_the_input_fails():
    def in_place(grad_output, x, weight, stride=1, padding=0):
        out = conv2d_scatter(grad_output, x, weight, stride, padding)
        weight[...] = 0
        return out

    with pytest.raises(AssertionError, match="modified its input weight"):
        check_conv2d_backward(in_place)


def test_not_a_function():
    with pytest.raises(TypeError, match="needs your function"):
        check_conv2d_backward("conv2d_backward")


def test_reference_and_oracle_must_agree(monkeypatch):
    broken = dataclasses.replace(EXERCISES["conv2d_backward"],
                                 reference=lambda case: np.zeros(3))
    monkeypatch.setitem(EXERCISES, "conv2d_backward", broken)
    with pytest.raises(RuntimeError, match="grading error"):
        check_conv2d_backward(conv2d_scatter)


# -------------------------------------------------------------------- seeds

def test_printed_seed_reproduces_the_failure(graded_env, capsys):
    check_conv2d_backward(conv2d_stride_ignored, points=6, hidden=True)
    out = capsys.readouterr().out
    seed = int(out.split("(seed ")[1].split(")")[0])
    assert f"seed={seed}" in out
    again = reproduce("conv2d_backward", conv2d_stride_ignored, seed=seed, verbose=False)
    first = [line for line in out.splitlines() if line.strip().startswith("[stride]")][0]
    assert first.strip() in again.report
    assert "stride ignored in the backward" in again.mistakes
    with pytest.raises(ValueError, match="exercise must be one of .* got 'pad2d'"):
        reproduce("pad2d", conv2d_scatter, seed=seed)


def test_students_get_different_cases(monkeypatch, graded_env):
    from convcourse.grading._cases import grading_seed

    def random_inputs():
        seed = grading_seed("conv1d_backward")[0]
        return [c.args[1] for c in EXERCISES["conv1d_backward"].cases(seed)][-6:]

    mine = random_inputs()
    monkeypatch.setenv("CONVCOURSE_STUDENT", "bob")
    theirs = random_inputs()
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(mine, theirs))


# ------------------------------------------------------- references and oracles

def test_scalar_function_is_readable_and_not_copied():
    import copy

    f = ScalarFunction("sum(x**2)", lambda x: np.sum(x ** 2))
    assert repr(f) == "sum(x**2)" and copy.deepcopy(f) is f
    assert f(np.array([1.0, 2.0])) == 5.0


def test_conv1d_reference_matches_hand_worked_case():
    # y = x ⋆ w with x = [1..5], w = [1, 2, -1]; g = [1, -1, 2]
    # grad_w[k] = sum_i g[i] x[i+k]: 1 - 2 + 6 = 5, 2 - 3 + 8 = 7, 3 - 4 + 10 = 9
    # grad_x = g * w (full): [1, 2-1, -1-2+2, 1+4, -2] = [1, 1, -1, 5, -2]
    case = backprop.Case("basic", (np.array([1.0, -1.0, 2.0]), np.arange(1.0, 6.0),
                                   np.array([1.0, 2.0, -1.0])))
    gx, gw = backprop._conv1d_parts(case)
    np.testing.assert_allclose(gx, [1, 1, -1, 5, -2])
    np.testing.assert_allclose(gw, [5, 7, 9])


def test_numerical_reference_and_oracle_on_a_cubic():
    # central differences of x**3 are exact up to eps**2: 3x^2 + eps^2
    f = ScalarFunction("sum(x**3)", lambda x: np.sum(x ** 3))
    x = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(backprop._central(f, x, 0.1), 3 * x ** 2 + 0.01)
    np.testing.assert_allclose(backprop._one_sided(f, x, 0.1, +1), 3 * x ** 2 + 0.3 * x + 0.01)


def test_conv2d_cases_agree_with_torch_autograd():
    torch = pytest.importorskip("torch")
    for case in EXERCISES["conv2d_backward"].cases(seed=3):
        if case.error is not None:
            continue
        g, x, w = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in case.args)
        x.requires_grad_(True)
        w.requires_grad_(True)
        b = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.conv2d(x, w, b, **case.kwargs)
        y.backward(g)
        expected = backprop._conv2d_parts(case)
        for got, want in zip((x.grad, w.grad, b.grad), expected):
            np.testing.assert_allclose(want, got.numpy(), rtol=1e-10, atol=1e-10)
