"""The checks of assignment 03-pooling.

Differently written correct implementations must pass with full points; each
deliberately wrong one must lose points and be named; partial credit follows
the groups; the reference and the independent oracles agree.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convcourse.grading import pooling
from convcourse.grading._mistakes import arrays_close
from convcourse.grading.pooling import (EXERCISES, check_avg_pool2d_backward,
                                        check_avg_pool2d_forward, check_global_avg_pool2d,
                                        check_max_pool2d_backward, check_max_pool2d_forward)

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "03-pooling", "CONVCOURSE_NOTEBOOK": "03-pooling"}


# ------------------------------------------------------- correct implementations

def _geometry(x, kernel_size, stride):
    """Validation as the notebook asks: ((kh, kw), (sh, sw), (oh, ow))."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    if min(kh, kw, sh, sw) < 1:
        raise ValueError("kernel_size and stride must be >= 1")
    if kh > x.shape[2] or kw > x.shape[3]:
        raise ValueError("window larger than the input")
    return (kh, kw), (sh, sw), ((x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1)


def _check_grad(grad_output, x, kernel_size, stride):
    _, _, out = _geometry(x, kernel_size, stride)
    if np.shape(grad_output) != np.shape(x)[:2] + out:
        raise ValueError(f"grad_output has shape {np.shape(grad_output)}")


def max_loops(x, kernel_size, stride):
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    n, c = x.shape[:2]
    out = np.zeros((n, c, oh, ow))
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best = x[b, ch, i * sh, j * sw]
                    for a in range(kh):
                        for q in range(kw):
                            best = max(best, x[b, ch, i * sh + a, j * sw + q])
                    out[b, ch, i, j] = best
    return out


def max_windows(x, kernel_size, stride):
    k, (sh, sw), _ = _geometry(x, kernel_size, stride)
    return sliding_window_view(x, k, axis=(2, 3))[:, :, ::sh, ::sw].max(axis=(4, 5))


def max_float32_list(x, kernel_size, stride):
    return max_windows(np.asarray(x, dtype=np.float32), kernel_size, stride).tolist()


def avg_loops(x, kernel_size, stride):
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].mean(axis=(2, 3))
    return out


def avg_shift_sum_float32(x, kernel_size, stride):
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    x = np.asarray(x, dtype=np.float32)
    total = np.zeros(x.shape[:2] + (oh, ow), dtype=np.float32)
    for a in range(kh):
        for b in range(kw):
            total += x[:, :, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw]
    return total / (kh * kw)


def global_mean(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D, got {x.ndim}-D")
    return x.mean(axis=(2, 3), keepdims=True)


def global_loops_list(x):
    if np.ndim(x) != 4:
        raise ValueError("x must be 4-D")
    n, c, h, w = x.shape
    return [[[[sum(float(v) for v in x[b, ch].ravel()) / (h * w)]] for ch in range(c)]
            for b in range(n)]


def max_backward_loops(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    grad = np.zeros(x.shape)
    for b in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(oh):
                for j in range(ow):
                    window = x[b, ch, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    a, q = np.unravel_index(np.argmax(window), window.shape)
                    grad[b, ch, i * sh + a, j * sw + q] += grad_output[b, ch, i, j]
    return grad


def max_backward_add_at(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    arg = win.reshape(win.shape[:4] + (-1,)).argmax(axis=-1)
    rows = np.arange(oh)[:, None] * sh + arg // kw
    cols = np.arange(ow)[None, :] * sw + arg % kw
    n, c = np.indices(x.shape[:2])
    grad = np.zeros(x.shape, dtype=np.float32)
    np.add.at(grad, (n[..., None, None], c[..., None, None], rows, cols), grad_output)
    return grad


def avg_backward_loops(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    grad = np.zeros(x.shape)
    for i in range(oh):
        for j in range(ow):
            share = grad_output[:, :, i, j] / (kh * kw)
            grad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += share[:, :, None, None]
    return grad


def avg_backward_offsets(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    grad = np.zeros(x.shape, dtype=np.float32)
    for a in range(kh):
        for b in range(kw):
            rows = slice(a, a + sh * (oh - 1) + 1, sh)
            cols = slice(b, b + sw * (ow - 1) + 1, sw)
            grad[:, :, rows, cols] += grad_output / (kh * kw)
    return grad.tolist()


CORRECT = [
    (check_max_pool2d_forward, max_loops),
    (check_max_pool2d_forward, max_windows),
    (check_max_pool2d_forward, max_float32_list),
    (check_avg_pool2d_forward, avg_loops),
    (check_avg_pool2d_forward, avg_shift_sum_float32),
    (check_global_avg_pool2d, global_mean),
    (check_global_avg_pool2d, global_loops_list),
    (check_max_pool2d_backward, max_backward_loops),
    (check_max_pool2d_backward, max_backward_add_at),
    (check_avg_pool2d_backward, avg_backward_loops),
    (check_avg_pool2d_backward, avg_backward_offsets),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None  # the visible form: public cases, no exception
    score = check(func, points=5, hidden=True)
    assert type(score) is float and score == 5.0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "score 5/5" in captured.out


# --------------------------------------------------------- wrong implementations

def max_no_stride(x, kernel_size, stride):
    _geometry(x, kernel_size, stride)
    return max_windows(x, kernel_size, 1)


def max_stride_is_window(x, kernel_size, stride):
    _geometry(x, kernel_size, stride)
    return max_windows(x, kernel_size, kernel_size)


def max_swapped(x, kernel_size, stride):
    _geometry(x, kernel_size, stride)
    return max_windows(x, stride, kernel_size)


def max_averages(x, kernel_size, stride):
    return avg_loops(x, kernel_size, stride)


def max_from_zero(x, kernel_size, stride):
    return np.maximum(max_windows(x, kernel_size, stride), 0)


def max_pair_swapped(x, kernel_size, stride):
    _geometry(x, kernel_size, stride)
    flip = lambda v: v if np.isscalar(v) else tuple(v)[::-1]  # noqa: E731
    return max_windows(x, flip(kernel_size), flip(stride))


def max_ceil(x, kernel_size, stride):
    (kh, kw), (sh, sw), _ = _geometry(x, kernel_size, stride)
    oh, ow = -(-(x.shape[2] - kh) // sh) + 1, -(-(x.shape[3] - kw) // sw) + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return out


def max_plane_only(x, kernel_size, stride):
    return max_windows(x, kernel_size, stride)[0, 0]


def max_over_channels(x, kernel_size, stride):
    out = max_windows(x, kernel_size, stride)
    return np.broadcast_to(out.max(axis=1, keepdims=True), out.shape)


def avg_sums(x, kernel_size, stride):
    k, _, _ = _geometry(x, kernel_size, stride)
    return avg_loops(x, kernel_size, stride) * k[0] * k[1]


def avg_maximum(x, kernel_size, stride):
    return max_windows(x, kernel_size, stride)


def avg_no_stride(x, kernel_size, stride):
    _geometry(x, kernel_size, stride)
    return avg_loops(x, kernel_size, 1)


def avg_integer(x, kernel_size, stride):
    out = avg_loops(x, kernel_size, stride)
    return out.astype(np.asarray(x).dtype)


def avg_by_side(x, kernel_size, stride):
    k, _, _ = _geometry(x, kernel_size, stride)
    return avg_loops(x, kernel_size, stride) * k[1]


def global_n_c(x):
    return global_mean(x)[:, :, 0, 0]


def global_all_axes(x):
    global_mean(x)
    return np.asarray(x).mean(axis=(1, 2, 3), keepdims=True)


def global_max(x):
    global_mean(x)
    return np.asarray(x).max(axis=(2, 3), keepdims=True)


def global_sum(x):
    global_mean(x)
    return np.asarray(x).sum(axis=(2, 3), keepdims=True)


def _route(grad_output, x, kernel_size, stride, pick, add=True, step=None):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), s, (oh, ow) = _geometry(x, kernel_size, stride)
    sh, sw = step or s
    grad = np.zeros(x.shape)
    for b in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for i in range(oh):
                for j in range(ow):
                    window = x[b, ch, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    for a in range(kh):
                        for q in range(kw):
                            if pick(window, a, q):
                                if add:
                                    grad[b, ch, i * sh + a, j * sw + q] += grad_output[b, ch, i, j]
                                else:
                                    grad[b, ch, i * sh + a, j * sw + q] = grad_output[b, ch, i, j]
    return grad


def _first(window, a, q):
    return (a, q) == np.unravel_index(np.argmax(window), window.shape)


def max_backward_all_ties(grad_output, x, kernel_size, stride):
    return _route(grad_output, x, kernel_size, stride, lambda w, a, q: w[a, q] == w.max())


def max_backward_every_element(grad_output, x, kernel_size, stride):
    # each window's whole gradient to each of its inputs, the maximum or not
    return _route(grad_output, x, kernel_size, stride, lambda w, a, q: True)


def max_backward_last(grad_output, x, kernel_size, stride):
    def last(w, a, q):
        hits = np.argwhere(w == w.max())
        return (a, q) == tuple(hits[-1])
    return _route(grad_output, x, kernel_size, stride, last)


def max_backward_column_major(grad_output, x, kernel_size, stride):
    def column(w, a, q):
        q0, a0 = np.unravel_index(np.argmax(w.T), w.T.shape)
        return (a, q) == (a0, q0)
    return _route(grad_output, x, kernel_size, stride, column)


def max_backward_overwrite(grad_output, x, kernel_size, stride):
    return _route(grad_output, x, kernel_size, stride, _first, add=False)


def max_backward_spread(grad_output, x, kernel_size, stride):
    return avg_backward_loops(grad_output, x, kernel_size, stride)


def max_backward_no_stride(grad_output, x, kernel_size, stride):
    return _route(grad_output, x, kernel_size, stride, _first, step=(1, 1))


def max_backward_mask_only(grad_output, x, kernel_size, stride):
    return max_backward_loops(np.ones_like(grad_output), x, kernel_size, stride)


def avg_backward_undivided(grad_output, x, kernel_size, stride):
    k, _, _ = _geometry(x, kernel_size, stride)
    return avg_backward_loops(grad_output, x, kernel_size, stride) * k[0] * k[1]


def avg_backward_overwrite(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), (sh, sw), (oh, ow) = _geometry(x, kernel_size, stride)
    grad = np.zeros(x.shape)
    for i in range(oh):
        for j in range(ow):
            share = grad_output[:, :, i, j] / (kh * kw)
            grad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] = share[:, :, None, None]
    return grad


def avg_backward_no_stride(grad_output, x, kernel_size, stride):
    _check_grad(grad_output, x, kernel_size, stride)
    (kh, kw), _, (oh, ow) = _geometry(x, kernel_size, stride)
    grad = np.zeros(x.shape)
    for i in range(oh):
        for j in range(ow):
            share = grad_output[:, :, i, j] / (kh * kw)
            grad[:, :, i:i + kh, j:j + kw] += share[:, :, None, None]
    return grad


def avg_backward_plane_only(grad_output, x, kernel_size, stride):
    return avg_backward_loops(grad_output, x, kernel_size, stride)[0, 0]


def avg_backward_to_max(grad_output, x, kernel_size, stride):
    return max_backward_loops(grad_output, x, kernel_size, stride)


WRONG = [
    (check_max_pool2d_forward, max_no_stride, "stride ignored"),
    (check_max_pool2d_forward, max_stride_is_window, "stride taken to be the window size"),
    (check_max_pool2d_forward, max_swapped, "window and stride swapped"),
    (check_max_pool2d_forward, max_averages, "average instead of maximum"),
    (check_max_pool2d_forward, max_from_zero, "maximum started at 0"),
    (check_max_pool2d_forward, max_pair_swapped, "pair swapped"),
    (check_max_pool2d_forward, max_ceil, "leftover rows or columns pooled"),
    (check_max_pool2d_forward, max_over_channels, "channels mixed"),
    (check_max_pool2d_forward, max_plane_only, "batch and channel axes dropped"),
    (check_avg_pool2d_forward, avg_sums, "sum instead of average"),
    (check_avg_pool2d_forward, avg_maximum, "maximum instead of average"),
    (check_avg_pool2d_forward, avg_no_stride, "stride ignored"),
    (check_avg_pool2d_forward, avg_integer, "integer output"),
    (check_avg_pool2d_forward, avg_by_side, "divided by the window's side"),
    (check_global_avg_pool2d, global_n_c, r"output of shape \(N, C\)"),
    (check_global_avg_pool2d, global_all_axes, "averaged over the wrong axes"),
    (check_global_avg_pool2d, global_max, "global maximum instead of average"),
    (check_global_avg_pool2d, global_sum, "sum instead of mean"),
    (check_max_pool2d_backward, max_backward_all_ties, "gradient to every tied maximum"),
    (check_max_pool2d_backward, max_backward_last, "gradient to the last maximum"),
    (check_max_pool2d_backward, max_backward_column_major, "first maximum in column-major order"),
    (check_max_pool2d_backward, max_backward_overwrite,
     "overlapping windows overwrite instead of adding"),
    (check_max_pool2d_backward, max_backward_spread, "gradient spread over the window"),
    (check_max_pool2d_backward, max_backward_every_element,
     "gradient to every element of the window"),
    (check_max_pool2d_backward, max_backward_no_stride, "stride ignored"),
    (check_max_pool2d_backward, max_backward_mask_only, "grad_output not used"),
    (check_avg_pool2d_backward, avg_backward_undivided, "not divided by the window size"),
    (check_avg_pool2d_backward, avg_backward_overwrite,
     "overlapping windows overwrite instead of adding"),
    (check_avg_pool2d_backward, avg_backward_no_stride, "stride ignored"),
    (check_avg_pool2d_backward, avg_backward_to_max, "gradient routed to the maximum"),
    (check_avg_pool2d_backward, avg_backward_plane_only, "batch and channel axes dropped"),
]


@pytest.mark.parametrize("check, func, mistake", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_implementations_are_named(check, func, mistake, graded_env, capsys):
    with pytest.raises(AssertionError, match=mistake):
        check(func)
    score = check(func, points=5, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and 0.0 <= score < 5.0
    assert mistake.replace("\\", "") in out
    assert "reproduce" in out


@pytest.mark.parametrize("func, named, not_named", [
    (max_backward_every_element, "gradient to every element of the window",
     "gradient to every tied maximum"),
    (max_backward_all_ties, "gradient to every tied maximum",
     "gradient to every element of the window"),
])
def test_every_element_and_every_tie_are_told_apart(func, named, not_named, graded_env, names_one_cause):
    # on a constant window both give the same answer: such a case names neither, and every
    # report shows a case that tells them apart
    names_one_cause(check_max_pool2d_backward, func, 6, named, not_named)


# ------------------------------------------------------------- partial credit

@pytest.mark.parametrize("check, func, points, passed, failed", [
    # only a tie tells the first maximum from the last: every other group passes
    (check_max_pool2d_backward, max_backward_last, 6, ["basic", "overlapping", "pairs"], ["ties"]),
    # non-overlapping windows never overwrite one another
    (check_avg_pool2d_backward, avg_backward_overwrite, 5, ["basic"], ["overlapping"]),
    # the stride only matters where it differs from the window
    (check_max_pool2d_forward, max_stride_is_window, 5, ["basic", "errors"], ["stride"]),
])
def test_partial_credit_by_group(check, func, points, passed, failed, graded_env, capsys):
    score = check(func, points=points, hidden=True)
    out = capsys.readouterr().out
    groups = EXERCISES[check.__name__[len("check_"):]].groups
    n_passed = sum(f"PASS {g} " in out for g in groups)
    assert score == pytest.approx(points * n_passed / len(groups))
    for group in passed:
        assert f"PASS {group} " in out
    for group in failed:
        assert f"FAIL {group} " in out


def test_the_failure_says_case_shapes_and_values():
    with pytest.raises(AssertionError) as info:
        check_max_pool2d_forward(max_averages)
    text = str(info.value)
    assert "max_pool2d_forward(x shape (1, 1, 4, 4), kernel_size=2, stride=2)" in text
    # hand-worked on the first grid: maxima [[4, 6], [7, 8]], means [[1.75, 3.25], [2.5, 2]]
    assert "shape (1, 1, 2, 2) is right; largest error 6" in text
    with pytest.raises(AssertionError) as info:
        check_global_avg_pool2d(global_n_c)
    assert "expected shape (1, 1, 1, 1), received shape (1, 1)" in str(info.value)


def test_missing_errors_are_reported():
    def no_shape_check(grad_output, x, kernel_size, stride):
        return avg_backward_loops(np.zeros((1, 1, 2, 2)), x, kernel_size, stride)

    with pytest.raises(AssertionError, match="expected ValueError .grad_output must have"):
        check_avg_pool2d_backward(no_shape_check)


def test_the_reference_and_torch_are_forbidden(graded_env, capsys):
    from convcourse.pooling import max_pool2d
    from convcourse.nn import MaxPool2d

    with pytest.raises(AssertionError, match="calls convcourse.pooling"):
        check_max_pool2d_forward(lambda x, kernel_size, stride: max_pool2d(x, kernel_size, stride))

    def layer(x, kernel_size, stride):
        return MaxPool2d(kernel_size, stride).forward(x)

    assert check_max_pool2d_forward(layer, points=5, hidden=True) == 0.0
    assert "calls convcourse." in capsys.readouterr().out
    torch = pytest.importorskip("torch")

    def with_torch(x, kernel_size, stride):
        t = torch.nn.functional.avg_pool2d(torch.as_tensor(np.asarray(x, dtype=float)),
                                           kernel_size, stride)
        return t.numpy()

    with pytest.raises(AssertionError, match="calls torch"):
        check_avg_pool2d_forward(with_torch)


def test_modifying_the_input_fails(graded_env, capsys):
    def in_place(grad_output, x, kernel_size, stride):
        out = max_backward_loops(grad_output, x, kernel_size, stride)
        x[...] = 0
        return out

    assert check_max_pool2d_backward(in_place, points=6, hidden=True) < 6.0
    assert "modified its input x" in capsys.readouterr().out


def test_stub_scores_zero(graded_env, capsys):
    def stub(x):
        raise NotImplementedError()

    assert check_global_avg_pool2d(stub, points=3, hidden=True) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out


# ------------------------------------------------------ references and oracles

@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_and_oracle_agree_on_many_seeds(name):
    ex = EXERCISES[name]
    for seed in range(8):
        for case in ex.cases(seed):
            if case.error is None:
                assert arrays_close(np.asarray(ex.reference(case), dtype=float),
                                    np.asarray(ex.oracle(case), dtype=float)), case


def test_the_hand_worked_gradient_routes():
    # the centre 9 is the maximum of all four 2x2 windows (stride 1): it gets 1 + 2 + 3 + 4
    x = np.array([[[[1.0, 2.0, 0.0], [3.0, 9.0, 4.0], [0.0, 5.0, 2.0]]]])
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 10.0
    np.testing.assert_allclose(pooling._route_max(g, x, 2, 1), expected)
    np.testing.assert_allclose(pooling._oracle_avg_backward(g, x, 2, 1)[0, 0],
                               [[0.25, 0.75, 0.5], [1.0, 2.5, 1.5], [0.75, 1.75, 1.0]])
    # a tie: [[0, 5], [5, 0]] sends the gradient to (0, 1), first in row-major order
    tie = np.array([[[[0.0, 5.0], [5.0, 0.0]]]])
    one = np.ones((1, 1, 1, 1))
    assert pooling._route_max(one, tie, 2, 2)[0, 0].tolist() == [[0, 1], [0, 0]]
    assert pooling._route_max(one, tie, 2, 2, pick="column")[0, 0].tolist() == [[0, 0], [1, 0]]
    assert pooling._route_max(one, tie, 2, 2, pick="last")[0, 0].tolist() == [[0, 0], [1, 0]]
    assert pooling._route_max(one, tie, 2, 2, pick="all")[0, 0].tolist() == [[0, 1], [1, 0]]


def test_every_exercise_names_at_least_two_mistakes():
    for name, ex in EXERCISES.items():
        names = set()
        for case in ex.cases(0):
            if case.error is None:
                names |= {m.name for m in ex.mistakes(case) if m.answer is not None}
        assert len(names) >= 2, name


def test_oracles_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 3, 7, 6))
    g = rng.normal(size=(2, 3, 3, 2))
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(xt, (3, 2), (2, 3))
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(pooling._oracle_max(x, (3, 2), (2, 3)), out.detach().numpy())
    np.testing.assert_allclose(pooling._route_max(g, x, (3, 2), (2, 3)), xt.grad.numpy())
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.avg_pool2d(xt, (3, 2), (2, 3))
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(pooling._oracle_avg(x, (3, 2), (2, 3)), out.detach().numpy())
    np.testing.assert_allclose(pooling._oracle_avg_backward(g, x, (3, 2), (2, 3)), xt.grad.numpy())
