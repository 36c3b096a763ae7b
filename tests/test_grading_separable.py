"""The checks of assignment 05-separable.

Differently written correct implementations must pass with full points; each
deliberately wrong one must lose points and be named; scores are plain floats
by group; ``separate_kernel`` is graded by the outer product of its pair.
"""

import dataclasses
import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convcourse import grading
from convcourse.grading import separable
from convcourse.grading.separable import (EXERCISES, NotAPair, check_count_mults,
                                          check_depthwise_conv2d, check_pointwise_conv2d,
                                          check_separable_correlate2d, check_separate_kernel,
                                          outer_of_pair, reproduce)

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "05-separable", "CONVCOURSE_NOTEBOOK": "05-separable"}


# ------------------------------------------------------- correct implementations

def separate_svd(kernel):
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    if s.size > 1 and s[1] > 1e-8 * s[0]:
        raise ValueError(f"kernel has rank > 1 (singular values {s})")
    return u[:, 0] * np.sqrt(s[0]), vt[0] * np.sqrt(s[0])


def separate_all_scale_in_column(kernel):
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=np.float32))
    if np.linalg.matrix_rank(np.asarray(kernel, dtype=float)) != 1:
        raise ValueError("not separable")
    return (u[:, 0] * s[0]).tolist(), list(vt[0])


def separate_by_division(kernel):
    # no SVD: a row with the largest entry gives the row factor, a column the column factor
    k = np.asarray(kernel, dtype=float)
    i, j = np.unravel_index(np.argmax(np.abs(k)), k.shape)
    column, row = k[:, j], k[i] / k[i, j]
    if not np.allclose(np.outer(column, row), k, atol=1e-9):
        raise ValueError("kernel is not an outer product")
    return column[:, None], row[None, :]  # (kH, 1) and (1, kW): np.outer flattens them


def separable_loops(image, column, row):
    image, column, row = (np.asarray(a, dtype=float) for a in (image, column, row))
    (h, w), kh, kw = image.shape, column.size, row.size
    if kh > h or kw > w:
        raise ValueError("kernel larger than image")
    tmp = np.zeros((h, w - kw + 1))
    for i in range(h):
        for j in range(w - kw + 1):
            tmp[i, j] = np.dot(image[i, j:j + kw], row)
    out = np.zeros((h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[i, j] = np.dot(tmp[i:i + kh, j], column)
    return out


def separable_shift_sum_float32(image, column, row):
    image = np.asarray(image, dtype=np.float32)
    column, row = np.asarray(column, np.float32), np.asarray(row, np.float32)
    (h, w), kh, kw = image.shape, column.size, row.size
    if kh > h or kw > w:
        raise ValueError("kernel larger than image")
    tmp = sum(row[b] * image[:, b:b + w - kw + 1] for b in range(kw))
    return sum(column[a] * tmp[a:a + h - kh + 1] for a in range(kh))


def separable_windows(image, column, row):
    image = np.asarray(image, dtype=float)
    column, row = np.asarray(column, float), np.asarray(row, float)
    if column.size > image.shape[0] or row.size > image.shape[1]:
        raise ValueError("kernel larger than image")
    tmp = sliding_window_view(image, row.size, axis=1) @ row
    return (sliding_window_view(tmp, column.size, axis=0) @ column).tolist()


def _check_depthwise_args(x, weight):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got {x.shape}")
    if weight.ndim != 4 or weight.shape[:2] != (x.shape[1], 1):
        raise ValueError(f"weight must be (C, 1, kh, kw), got {weight.shape}")
    if weight.shape[2] > x.shape[2] or weight.shape[3] > x.shape[3]:
        raise ValueError("kernel larger than image")
    return x, weight


def depthwise_loops(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    n, c, h, w = x.shape
    kh, kw = weight.shape[2:]
    out = np.zeros((n, c, h - kh + 1, w - kw + 1))
    for b in range(n):
        for ch in range(c):
            for i in range(h - kh + 1):
                for j in range(w - kw + 1):
                    out[b, ch, i, j] = np.sum(x[b, ch, i:i + kh, j:j + kw] * weight[ch, 0])
    return out


def depthwise_einsum_float32(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    windows = sliding_window_view(x.astype(np.float32), weight.shape[2:], axis=(2, 3))
    return np.einsum("ncijab,cab->ncij", windows, weight[:, 0].astype(np.float32))


def depthwise_shift_sum(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    kh, kw = weight.shape[2:]
    ho, wo = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    return sum(weight[None, :, 0, a, b, None, None] * x[:, :, a:a + ho, b:b + wo]
               for a in range(kh) for b in range(kw))


def _check_pointwise_args(x, weight):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4 or weight.ndim != 2 or weight.shape[1] != x.shape[1]:
        raise ValueError(f"x {x.shape} and weight {weight.shape} do not fit")
    return x, weight


def pointwise_einsum(x, weight):
    x, weight = _check_pointwise_args(x, weight)
    return np.einsum("kc,nchw->nkhw", weight, x)


def pointwise_matmul(x, weight):
    x, weight = _check_pointwise_args(x, weight)
    return np.moveaxis(np.moveaxis(x, 1, -1) @ weight.T, -1, 1)


def pointwise_loops_float32(x, weight):
    x, weight = _check_pointwise_args(x, weight)
    n, c, h, w = x.shape
    out = np.zeros((n, weight.shape[0], h, w), dtype=np.float32)
    for k in range(weight.shape[0]):
        for ch in range(c):
            out[:, k] += weight[k, ch] * x[:, ch]
    return out


def count_formula(input_shape, out_channels, kernel_size, depthwise_separable=False):
    c, h, w = input_shape
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    ho, wo = h - kh + 1, w - kw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"kernel {kernel_size} larger than input {input_shape}")
    if depthwise_separable:
        return ho * wo * c * kh * kw + ho * wo * c * out_channels
    return ho * wo * out_channels * kh * kw * c


def count_numpy(input_shape, out_channels, kernel_size, depthwise_separable=False):
    c, h, w = input_shape
    kernel = np.broadcast_to(np.asarray(kernel_size), (2,))
    out = np.array([h, w]) - kernel + 1
    if np.any(out < 1):
        raise ValueError("no output")
    per_position = c * (np.prod(kernel) + out_channels) if depthwise_separable else \
        c * np.prod(kernel) * out_channels
    return np.prod(out) * per_position   # an np.int64


CORRECT = [
    (check_separate_kernel, separate_svd),
    (check_separate_kernel, separate_all_scale_in_column),
    (check_separate_kernel, separate_by_division),
    (check_separable_correlate2d, separable_loops),
    (check_separable_correlate2d, separable_shift_sum_float32),
    (check_separable_correlate2d, separable_windows),
    (check_depthwise_conv2d, depthwise_loops),
    (check_depthwise_conv2d, depthwise_einsum_float32),
    (check_depthwise_conv2d, depthwise_shift_sum),
    (check_pointwise_conv2d, pointwise_einsum),
    (check_pointwise_conv2d, pointwise_matmul),
    (check_pointwise_conv2d, pointwise_loops_float32),
    (check_count_mults, count_formula),
    (check_count_mults, count_numpy),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None  # the visible form: public cases, no exception
    score = check(func, points=4, hidden=True)
    assert type(score) is float and score == 4.0
    captured = capsys.readouterr()
    assert captured.err == ""  # nbgrader gives 0 to a cell that writes to stderr
    assert "score 4/4" in captured.out


# --------------------------------------------------------- wrong implementations

def separate_swapped(kernel):
    column, row = separate_svd(kernel)
    return row, column


def separate_accepts_rank_two(kernel):
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    return u[:, 0] * np.sqrt(s[0]), vt[0] * np.sqrt(s[0])


def separate_without_singular_value(kernel):
    separate_svd(kernel)  # raises where it must
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    return u[:, 0], vt[0]


def separate_vt_column(kernel):
    separate_svd(kernel)
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    return u[:, 0] * s[0], vt[:, 0]


def separable_swapped(image, column, row):
    return separable_loops(image, row, column)


def separable_same_passes(image, column, row):
    image, column, row = (np.asarray(a, dtype=float) for a in (image, column, row))
    if column.size > image.shape[0] or row.size > image.shape[1]:
        raise ValueError("kernel larger than image")
    padded = np.pad(image, ((column.size // 2, (column.size - 1) // 2),
                            (row.size // 2, (row.size - 1) // 2)))
    return separable_loops(padded, column, row)


def separable_flipped(image, column, row):
    return separable_loops(image, np.asarray(column)[::-1], np.asarray(row)[::-1])


def separable_one_pass(image, column, row):
    separable_loops(image, column, row)  # raises where it must
    return separable_loops(image, [1.0], row)


def depthwise_summed_over_channels(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    # every kernel over every channel, summed: a full convolution
    return sum(depthwise_loops(x[:, [c] * x.shape[1]], weight) for c in range(x.shape[1]))


def depthwise_sum_repeated(x, weight):
    # an ordinary convolution's channel sum, given to every output channel
    out = depthwise_loops(x, weight)
    return np.repeat(out.sum(axis=1, keepdims=True), out.shape[1], axis=1)


def depthwise_every_kernel_on_each_channel(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    return sum(depthwise_loops(x, weight[[k] * x.shape[1]]) for k in range(x.shape[1]))


def depthwise_channel_zero(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    return depthwise_loops(x[:, [0] * x.shape[1]], weight)


def depthwise_flipped(x, weight):
    return depthwise_loops(x, np.asarray(weight)[..., ::-1, ::-1])


def depthwise_first_kernel(x, weight):
    x, weight = _check_depthwise_args(x, weight)
    return depthwise_loops(x, np.repeat(weight[:1], x.shape[1], axis=0))


def pointwise_transposed(x, weight):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4:
        raise ValueError("x must be 4-D")
    return np.einsum("ck,nchw->nkhw", weight, x)


def pointwise_channels_last(x, weight):
    return np.moveaxis(pointwise_einsum(x, weight), 1, -1)


def count_input_size(input_shape, out_channels, kernel_size, depthwise_separable=False):
    count_formula(input_shape, out_channels, kernel_size)  # raises where it must
    c, h, w = input_shape
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return h * w * c * (kh * kw + out_channels) if depthwise_separable else \
        h * w * out_channels * kh * kw * c


def count_no_pointwise(input_shape, out_channels, kernel_size, depthwise_separable=False):
    if depthwise_separable:
        return count_formula(input_shape, 0, kernel_size, True)
    return count_formula(input_shape, out_channels, kernel_size)


def count_no_channel_factor(input_shape, out_channels, kernel_size, depthwise_separable=False):
    c, h, w = input_shape
    return count_formula((1, h, w), out_channels, kernel_size, depthwise_separable)


def count_flag_ignored(input_shape, out_channels, kernel_size, depthwise_separable=False):
    return count_formula(input_shape, out_channels, kernel_size)


WRONG = [
    (check_separate_kernel, separate_swapped, "column and row swapped"),
    (check_separate_kernel, separate_accepts_rank_two, "rank 2 is not separable"),
    (check_separate_kernel, separate_without_singular_value, "singular value left out"),
    (check_separate_kernel, separate_vt_column, "row taken from a column of Vt"),
    (check_separable_correlate2d, separable_swapped, "column and row swapped"),
    (check_separable_correlate2d, separable_same_passes, "a pass in the wrong mode"),
    (check_separable_correlate2d, separable_flipped, "kernel flipped"),
    (check_separable_correlate2d, separable_one_pass, "only one pass"),
    (check_depthwise_conv2d, depthwise_summed_over_channels, "channels mixed (summed over C)"),
    (check_depthwise_conv2d, depthwise_sum_repeated,
     "channels mixed (one ordinary convolution repeated)"),
    (check_depthwise_conv2d, depthwise_every_kernel_on_each_channel,
     "channels mixed (every kernel on each channel)"),
    (check_depthwise_conv2d, depthwise_channel_zero, "channels mixed (channel 0 for every kernel)"),
    (check_depthwise_conv2d, depthwise_flipped, "kernel flipped"),
    (check_depthwise_conv2d, depthwise_first_kernel, "one kernel for every channel"),
    (check_pointwise_conv2d, pointwise_transposed, "weight transposed"),
    (check_pointwise_conv2d, pointwise_channels_last, "channels last"),
    (check_count_mults, count_input_size, "input size instead of output size"),
    (check_count_mults, count_no_pointwise, "pointwise term forgotten"),
    (check_count_mults, count_no_channel_factor, "channel factor forgotten"),
    (check_count_mults, count_flag_ignored, "depthwise_separable flag ignored"),
]


@pytest.mark.parametrize("check, func, mistake", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_implementations_are_named(check, func, mistake, graded_env, capsys):
    with pytest.raises(AssertionError, match=re.escape(mistake)):
        check(func)
    score = check(func, points=4, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and 0.0 <= score < 4.0
    assert mistake in out
    assert "convcourse.grading.reproduce(" in out


def test_failure_message_for_a_swapped_pair_gives_shapes():
    with pytest.raises(AssertionError) as info:
        check_separate_kernel(separate_swapped)
    text = str(info.value)
    # the first non-square fixed case: outer([1, 2, 1], [1, 0, 0, 0, -1]) is 3x5
    assert "separate_kernel(kernel shape (3, 5))" in text
    assert "expected shape (3, 5), received shape (5, 3)" in text


def test_failure_message_for_mixed_channels_gives_the_largest_error():
    with pytest.raises(AssertionError) as info:
        check_depthwise_conv2d(depthwise_summed_over_channels)
    text = str(info.value)
    # the first fixed case, worked by hand in the next test: the largest error is 16
    assert "depthwise_conv2d(x shape (1, 2, 3, 3), weight shape (2, 1, 2, 2))" in text
    assert "largest error 16" in text


def test_hand_worked_depthwise_case_behind_the_message():
    x = np.arange(1.0, 19.0).reshape(1, 2, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]], [[[2.0, 1.0], [0.0, 0.0]]]])
    right = depthwise_loops(x, w)
    # channel 0: x[i, j] - x[i+1, j+1] = -4; channel 1: 2 x[i, j] + x[i, j+1]
    np.testing.assert_allclose(right[0, 0], [[-4, -4], [-4, -4]])
    np.testing.assert_allclose(right[0, 1], [[2 * 10 + 11, 2 * 11 + 12], [2 * 13 + 14, 2 * 14 + 15]])
    mixed = depthwise_summed_over_channels(x, w)
    # mixed channel 1 adds channel 0 through kernel 1: 2*1 + 2 = 4 at (0, 0), ... 2*5 + 6 = 16
    # at (1, 1); mixed channel 0 adds channel 1 through kernel 0: -4; the largest error is 16
    np.testing.assert_allclose(mixed - right, [[[[-4, -4], [-4, -4]], [[4, 7], [13, 16]]]])


# ------------------------------------------------------------ separate_kernel

def test_outer_of_pair_turns_the_pair_into_the_kernel():
    wrapped = outer_of_pair(lambda kernel: ([1, 2, 1], np.array([1.0, 0.0, -1.0])))
    np.testing.assert_array_equal(wrapped(None), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    assert outer_of_pair(lambda kernel: None)(None) is None


@pytest.mark.parametrize("returned, says", [
    (np.ones((3, 3)), "one array of shape (3, 3)"),
    ((np.ones(3), np.ones(3), np.ones(3)), "a tuple of 3 items"),
    (7.0, "a float"),
    ((np.ones(3), "abc"), "the row separate_kernel returned is a str"),
])
def test_a_value_that_is_not_a_pair_is_explained(returned, says):
    with pytest.raises(NotAPair, match=re.escape(says)):
        outer_of_pair(lambda kernel: returned)(np.ones((3, 3)))
    with pytest.raises(AssertionError, match=re.escape(says)):
        check_separate_kernel(lambda kernel: returned)


def test_returning_none_is_explained():
    with pytest.raises(AssertionError, match="forget the `return`"):
        check_separate_kernel(lambda kernel: None)


def test_the_reference_is_forbidden():
    from convcourse.separable import separate_kernel

    with pytest.raises(AssertionError, match="calls convcourse.separable.separate_kernel"):
        check_separate_kernel(separate_kernel)


def test_separate_kernel_check_rejects_a_non_callable():
    with pytest.raises(TypeError, match="needs your function"):
        check_separate_kernel("separate_kernel")


def test_reproduce_wraps_separate_kernel(graded_env, capsys):
    check_separate_kernel(separate_swapped, points=4, hidden=True)
    out = capsys.readouterr().out
    seed = int(out.split("(seed ")[1].split(")")[0])
    assert f"reproduce('separate_kernel', separate_kernel, seed={seed})" in out
    again = reproduce("separate_kernel", separate_swapped, seed=seed, verbose=False)
    assert again.mistakes == ["column and row swapped"]
    assert reproduce("separate_kernel", separate_svd, seed=seed, verbose=False).score == 4.0
    with pytest.raises(ValueError, match="exercise must be one of .* got 'conv9d'"):
        reproduce("conv9d", separate_svd, seed=1)


# ----------------------------------------------------- other rules and scoring

def test_building_the_2d_kernel_is_forbidden():
    def via_outer(image, column, row):
        k = np.outer(column, row)
        windows = sliding_window_view(np.asarray(image, float), k.shape)
        return np.einsum("ijab,ab->ij", windows, k)

    with pytest.raises(AssertionError, match="calls numpy.outer"):
        check_separable_correlate2d(via_outer)


def test_torch_is_forbidden(graded_env, capsys):
    torch = pytest.importorskip("torch")

    def via_torch(x, weight):
        x, weight = _check_depthwise_args(x, weight)
        return torch.nn.functional.conv2d(torch.as_tensor(x, dtype=torch.float64),
                                          torch.as_tensor(weight, dtype=torch.float64),
                                          groups=x.shape[1]).numpy()

    # the errors group counts only when the function computes valid cases of its own (issue 9):
    # a function that cannot compute without torch earns nothing, errors included
    assert check_depthwise_conv2d(via_torch, points=4, hidden=True) == 0.0
    assert "calls torch" in capsys.readouterr().out


def test_partial_credit_by_group(graded_env, capsys):
    # correct for one image, wrong for a batch: the batch group fails, the rest pass
    def first_image_only(x, weight):
        return depthwise_loops(x, weight)[:1]

    assert check_depthwise_conv2d(first_image_only, points=4, hidden=True) == pytest.approx(3.0)
    out = capsys.readouterr().out
    assert "PASS basic" in out and "PASS non-square" in out and "FAIL batch" in out
    assert "only the first image" in out


def test_missing_error_is_reported():
    def no_check(input_shape, out_channels, kernel_size, depthwise_separable=False):
        c, h, w = input_shape
        k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
        return max(h - k + 1, 0) * max(w - k + 1, 0) * c * k * k * out_channels

    with pytest.raises(AssertionError, match="expected ValueError .the kernel is larger"):
        check_count_mults(no_check)


def test_modifying_the_input_fails(graded_env, capsys):
    def in_place(x, weight):
        out = pointwise_einsum(x, weight)
        x *= 0
        return out

    assert check_pointwise_conv2d(in_place, points=4, hidden=True) < 4.0
    assert "modified its input x" in capsys.readouterr().out


def test_reference_and_oracle_must_agree(monkeypatch):
    broken = dataclasses.replace(EXERCISES["pointwise_conv2d"],
                                 reference=lambda case: np.zeros((1, 1, 1, 1)))
    monkeypatch.setitem(EXERCISES, "pointwise_conv2d", broken)
    with pytest.raises(RuntimeError, match="grading error"):
        check_pointwise_conv2d(pointwise_einsum)


# -------------------------------------------------------------- the registry

def test_the_course_registry_knows_every_exercise():
    assert grading.ASSIGNMENT_MODULES["05-separable"] is separable
    for name, exercise in EXERCISES.items():
        assert grading.EXERCISES[name] is exercise
        assert exercise.default_points == len(exercise.groups)


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_exercise_names_at_least_two_mistakes(name):
    cases = EXERCISES[name].cases(seed=5)
    names = {m.name for case in cases if case.error is None
             for m in EXERCISES[name].mistakes(case) if m.answer is not None}
    assert len(names) >= 2, names


@pytest.mark.parametrize("name", list(EXERCISES))
def test_cases_are_reproducible_and_cover_every_group(name):
    ex = EXERCISES[name]
    first, again = ex.cases(seed=11), ex.cases(seed=11)
    assert [c.group for c in first] == [c.group for c in again]
    assert {c.group for c in first} == set(ex.groups)
    assert any(c.error is not None for c in first)
    other = ex.cases(seed=12)
    assert repr([c.args for c in first]) != repr([c.args for c in other])


def test_worked_example_counts():
    # 15x15 RGB, 10 filters of 3x3, no padding: 13*13 positions
    assert count_formula((3, 15, 15), 10, 3) == 13 * 13 * 10 * 27 == 45_630
    assert count_formula((3, 15, 15), 10, 3, True) == 13 * 13 * 3 * 9 + 13 * 13 * 3 * 10 == 9_633
    fixed = EXERCISES["count_mults"].fixed_cases()
    worked = [c for c in fixed if c.args == ((3, 15, 15), 10, 3)]
    assert [EXERCISES["count_mults"].reference(c) for c in worked] == [45_630, 9_633]
    assert [EXERCISES["count_mults"].oracle(c) for c in worked] == [45_630, 9_633]


def test_error_cases_state_the_true_rank():
    whys = {c.why for c in EXERCISES["separate_kernel"].fixed_cases() if c.error}
    # identity 2x2, Laplacian, sharpen and Sobel + centre spike have rank 2; emboss has rank 3
    assert whys == {"a kernel of rank 2 is not separable: its second singular value is not zero",
                    "a kernel of rank 3 is not separable: its second singular value is not zero"}


def test_sobel_case_is_column_times_row():
    # the first fixed case, Sobel: [1, 2, 1] down times [-1, 0, 1] across
    (kernel,) = EXERCISES["separate_kernel"].fixed_cases()[0].args
    np.testing.assert_array_equal(kernel, np.outer([1, 2, 1], [-1, 0, 1]))

