"""The checks of assignment 01-convolution.

Differently written correct implementations must pass with full points; each
deliberately wrong one must lose points and be named; scores are plain floats
by group; seeds come from the grading environment and reproduce.
"""

import dataclasses
import math
import warnings

import numpy as np
import pytest
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view

from convcourse import grading
from convcourse.grading import (PUBLIC_SECRET, SOBEL_X, SOBEL_Y,
                                check_convolve2d_valid, check_correlate2d_general,
                                check_correlate2d_valid, check_output_size, check_pad2d,
                                check_sobel_edges, derive_seed, reproduce)
from convcourse.grading._cases import grading_seed, public_seed
from convcourse.grading.convolution import EXERCISES  # the registry the checks read

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "01-convolution", "CONVCOURSE_NOTEBOOK": "01-convolution"}


# ------------------------------------------------------- correct implementations

def correlate_loops(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel {kernel.shape} larger than image {image.shape}")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def correlate_windows(image, kernel):
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)


def correlate_float32_list(image, kernel):
    return correlate_loops(image, kernel).astype(np.float32).tolist()


def correlate_shift_sum(image, kernel):
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + h - kh + 1, b:b + w - kw + 1]
    return out


def correlate_noisy(image, kernel):
    warnings.warn("this is fine", UserWarning)
    with np.errstate(all="warn"):
        np.float64(1.0) / np.float64(0.0)
    return correlate_loops(image, kernel)


def convolve_flip(image, kernel):
    return correlate_loops(image, np.asarray(kernel)[::-1, ::-1])


def convolve_rot90(image, kernel):
    return correlate_windows(image, np.rot90(kernel, 2))


def pad_slices(image, padding):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    out = np.zeros((image.shape[0] + 2 * ph, image.shape[1] + 2 * pw), dtype=image.dtype)
    out[ph:ph + image.shape[0], pw:pw + image.shape[1]] = image
    return out


def pad_concatenate(image, padding):
    ph, pw = np.broadcast_to(padding, (2,))
    if min(ph, pw) < 0:
        raise ValueError("negative padding")
    h, w = image.shape
    rows = np.concatenate([np.zeros((ph, w)), image, np.zeros((ph, w))], axis=0)
    cols = np.zeros((h + 2 * ph, pw))
    return np.concatenate([cols, rows, cols], axis=1).tolist()


def output_size_floor(size, kernel_size, stride=1, padding=0, dilation=1):
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"kernel does not fit: output size {out}")
    return out


def output_size_math(size, kernel_size, stride=1, padding=0, dilation=1):
    span = size + 2 * padding - (dilation * (kernel_size - 1) + 1)
    if span < 0:
        raise ValueError("no output")
    return np.int64(math.floor(span / stride) + 1)


def _validate_general(image, kernel, stride, padding, dilation):
    pair = lambda v: (v, v) if np.isscalar(v) else tuple(v)  # noqa: E731
    s, p, d = pair(stride), pair(padding), pair(dilation)
    if min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError("bad stride, padding or dilation")
    return s, p, d


def general_loops(image, kernel, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = _validate_general(image, kernel, stride, padding, dilation)
    x = pad_slices(np.asarray(image, dtype=float), (ph, pw))
    kh, kw = kernel.shape
    oh = output_size_floor(image.shape[0], kh, sh, ph, dh)
    ow = output_size_floor(image.shape[1], kw, sw, pw, dw)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    out[i, j] += x[i * sh + a * dh, j * sw + b * dw] * kernel[a, b]
    return out


def general_windows(image, kernel, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = _validate_general(image, kernel, stride, padding, dilation)
    x = np.pad(image, ((ph, ph), (pw, pw))).astype(np.float32)
    kh, kw = kernel.shape
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    if span[0] > x.shape[0] or span[1] > x.shape[1]:
        raise ValueError("kernel does not fit")
    win = sliding_window_view(x, span)[::sh, ::sw, ::dh, ::dw]
    return np.einsum("ijkl,kl->ij", win, kernel.astype(np.float32))


def sobel_loops(image):
    gx, gy = correlate_loops(image, SOBEL_X), correlate_loops(image, SOBEL_Y)
    return np.sqrt(gx ** 2 + gy ** 2)


def sobel_convolution_float32(image):
    # convolving flips the kernels: the gradients change sign, the magnitude does not
    image = np.asarray(image, dtype=np.float32)
    gx = convolve_rot90(image, SOBEL_X.astype(np.float32))
    gy = convolve_rot90(image, SOBEL_Y.astype(np.float32))
    return np.hypot(gx, gy)


CORRECT = [
    (check_correlate2d_valid, correlate_loops),
    (check_correlate2d_valid, correlate_windows),
    (check_correlate2d_valid, correlate_float32_list),
    (check_correlate2d_valid, correlate_shift_sum),
    (check_correlate2d_valid, correlate_noisy),
    (check_convolve2d_valid, convolve_flip),
    (check_convolve2d_valid, convolve_rot90),
    (check_pad2d, pad_slices),
    (check_pad2d, pad_concatenate),
    (check_output_size, output_size_floor),
    (check_output_size, output_size_math),
    (check_correlate2d_general, general_loops),
    (check_correlate2d_general, general_windows),
    (check_sobel_edges, sobel_loops),
    (check_sobel_edges, sobel_convolution_float32),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None  # the visible form: public cases, no exception
    score = check(func, points=5, hidden=True)
    assert type(score) is float and score == 5.0
    captured = capsys.readouterr()
    assert captured.err == ""  # nbgrader gives 0 to a cell that writes to stderr
    assert "score 5/5" in captured.out


# --------------------------------------------------------- wrong implementations

def correlate_flipped(image, kernel):
    return convolve_flip(image, kernel)


def correlate_short(image, kernel):
    return correlate_loops(image, kernel)[:-1, :]


def correlate_long(image, kernel):
    out = correlate_loops(image, kernel)
    return np.pad(out, ((0, 0), (0, 1)))


def correlate_int_output(image, kernel):
    out = np.zeros_like(image)[:image.shape[0] - kernel.shape[0] + 1, :image.shape[1] - kernel.shape[1] + 1]
    out[...] = correlate_loops(image, kernel)
    return out


def convolve_not_flipped(image, kernel):
    return correlate_loops(image, kernel)


def convolve_rows_only(image, kernel):
    return correlate_loops(image, np.asarray(kernel)[::-1, :])


def pad_one_side(image, padding):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if ph < 0 or pw < 0:
        raise ValueError("negative")
    out = np.zeros((image.shape[0] + ph, image.shape[1] + pw))
    out[ph:, pw:] = image
    return out


def pad_wrong_axis(image, padding):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return pad_slices(image, (pw, ph))


def size_no_stride(size, kernel_size, stride=1, padding=0, dilation=1):
    return output_size_floor(size, kernel_size, 1, padding, dilation)


def size_no_dilation(size, kernel_size, stride=1, padding=0, dilation=1):
    return output_size_floor(size, kernel_size, stride, padding, 1)


def size_dilation_as_stride(size, kernel_size, stride=1, padding=0, dilation=1):
    return output_size_floor(size, kernel_size, stride * dilation, padding, 1)


def size_true_division(size, kernel_size, stride=1, padding=0, dilation=1):
    output_size_floor(size, kernel_size, stride, padding, dilation)  # raises where it must
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1


def size_missing_plus_one(size, kernel_size, stride=1, padding=0, dilation=1):
    return output_size_floor(size, kernel_size, stride, padding, dilation) - 1


def general_no_stride(image, kernel, stride=1, padding=0, dilation=1):
    _validate_general(image, kernel, stride, padding, dilation)
    return general_loops(image, kernel, 1, padding, dilation)


def general_no_dilation(image, kernel, stride=1, padding=0, dilation=1):
    _validate_general(image, kernel, stride, padding, dilation)
    return general_loops(image, kernel, stride, padding, 1)


def general_dilation_as_stride(image, kernel, stride=1, padding=0, dilation=1):
    s, p, d = _validate_general(image, kernel, stride, padding, dilation)
    return general_loops(image, kernel, (s[0] * d[0], s[1] * d[1]), padding, 1)


def general_pad_one_side(image, kernel, stride=1, padding=0, dilation=1):
    s, (ph, pw), d = _validate_general(image, kernel, stride, padding, dilation)
    x = np.zeros((image.shape[0] + ph, image.shape[1] + pw))
    x[ph:, pw:] = image
    return general_loops(x, kernel, s, 0, d)


def general_pad_wrong_axis(image, kernel, stride=1, padding=0, dilation=1):
    s, (ph, pw), d = _validate_general(image, kernel, stride, padding, dilation)
    return general_loops(image, kernel, s, (pw, ph), d)


def sobel_one_direction(image):
    return np.abs(correlate_loops(image, SOBEL_X))


def sobel_squared(image):
    gx, gy = correlate_loops(image, SOBEL_X), correlate_loops(image, SOBEL_Y)
    return gx ** 2 + gy ** 2


WRONG = [
    (check_correlate2d_valid, correlate_flipped, "kernel flipped"),
    (check_correlate2d_valid, correlate_short, "one row short"),
    (check_correlate2d_valid, correlate_long, "one column long"),
    (check_correlate2d_valid, correlate_int_output, "integer output"),
    (check_convolve2d_valid, convolve_not_flipped, "kernel not flipped"),
    (check_convolve2d_valid, convolve_rows_only, "kernel flipped on one axis only"),
    (check_pad2d, pad_one_side, "padding on one side only"),
    (check_pad2d, pad_wrong_axis, "padding on the wrong axis"),
    (check_output_size, size_no_stride, "stride ignored"),
    (check_output_size, size_no_dilation, "dilation ignored"),
    (check_output_size, size_dilation_as_stride, "dilation used as a stride"),
    (check_output_size, size_true_division, "float"),
    (check_output_size, size_missing_plus_one, "off by one"),
    (check_correlate2d_general, general_no_stride, "stride ignored"),
    (check_correlate2d_general, general_no_dilation, "dilation ignored"),
    (check_correlate2d_general, general_dilation_as_stride, "dilation used as a stride"),
    (check_correlate2d_general, general_pad_one_side, "padding on one side only"),
    (check_correlate2d_general, general_pad_wrong_axis, "padding on the wrong axis"),
    (check_sobel_edges, sobel_one_direction, "only one Sobel direction"),
    (check_sobel_edges, sobel_squared, "squared magnitude without the square root"),
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


def test_failure_message_says_case_shapes_and_error(capsys):
    with pytest.raises(AssertionError) as info:
        check_correlate2d_valid(correlate_flipped)
    text = str(info.value)
    assert "correlate2d_valid(image shape (4, 4), kernel shape (2, 2))" in text
    assert "largest error 18" in text  # hand-worked: 44 - 26 on the arange/[[1,2],[3,4]] case
    with pytest.raises(AssertionError) as info:
        check_correlate2d_valid(correlate_short)
    assert "expected shape (3, 3), received shape (2, 3)" in str(info.value)


# ------------------------------------------------------------- partial credit

def test_partial_credit_by_group(graded_env, capsys):
    # handles padding and dilation but ignores the stride: stride and pairs groups fail
    score = check_correlate2d_general(general_no_stride, points=6, hidden=True)
    assert score == pytest.approx(4.0)
    out = capsys.readouterr().out
    assert "PASS padding" in out and "PASS dilation" in out
    assert "FAIL stride" in out and "FAIL pairs" in out


def test_stub_scores_zero_and_says_so(graded_env, capsys):
    def stub(image, kernel):
        raise NotImplementedError()

    assert check_correlate2d_valid(stub, points=4, hidden=True) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="NotImplementedError"):
        check_correlate2d_valid(stub)


def test_returning_none_is_explained():
    with pytest.raises(AssertionError, match="forget the `return`"):
        check_pad2d(lambda image, padding: None)


def test_missing_error_is_reported():
    def no_check(image, padding):
        p = abs(padding) if isinstance(padding, int) else tuple(abs(v) for v in padding)
        return pad_slices(image, p)

    with pytest.raises(AssertionError, match="expected ValueError .padding cannot be negative"):
        check_pad2d(no_check)


# ---------------------------------------------------------------- rule breaking

def test_modifying_the_input_fails(graded_env, capsys):
    def in_place(image, kernel):
        out = correlate_loops(image, kernel)
        image[...] = 0
        return out

    assert check_correlate2d_valid(in_place, points=4, hidden=True) < 4.0
    assert "modified its input image" in capsys.readouterr().out


def test_library_calls_fail_even_under_an_alias(graded_env, capsys):
    from scipy.signal import correlate2d as c

    def aliased(image, kernel):
        return c(image, kernel, mode="valid")

    assert check_correlate2d_valid(aliased, points=4, hidden=True) == 0.0
    assert "calls scipy.signal.correlate2d" in capsys.readouterr().out

    def padded_by_numpy(image, padding):
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        return np.pad(image, ((ph, ph), (pw, pw)))

    with pytest.raises(AssertionError, match="calls numpy.pad"):
        check_pad2d(padded_by_numpy)


def test_the_reference_is_forbidden_too():
    from convcourse.filtering import correlate2d

    with pytest.raises(AssertionError, match="calls convcourse.filtering"):
        check_correlate2d_valid(lambda image, kernel: correlate2d(image, kernel, "valid"))


def test_a_function_that_loops_forever_is_stopped(monkeypatch, graded_env, capsys):
    fast = dataclasses.replace(EXERCISES["sobel_edges"], time_limit=0.2)
    monkeypatch.setitem(EXERCISES, "sobel_edges", fast)

    def forever(image):
        while True:
            pass

    assert check_sobel_edges(forever, points=2, hidden=True) == 0.0
    out = capsys.readouterr().out
    assert "did not finish within 0.2 s" in out and "not run" in out


def test_not_a_function():
    with pytest.raises(TypeError, match="needs your function"):
        check_pad2d(None)


def test_reference_and_oracle_must_agree(monkeypatch):
    broken = dataclasses.replace(EXERCISES["correlate2d_valid"],
                                 reference=lambda case: np.zeros((1, 1)))
    monkeypatch.setitem(EXERCISES, "correlate2d_valid", broken)
    with pytest.raises(RuntimeError, match="grading error"):
        check_correlate2d_valid(correlate_loops)


# -------------------------------------------------------------------- seeds

def test_seed_depends_on_every_part():
    base = derive_seed("s", "ada", "a1", "nb", "pad2d")
    variants = [derive_seed("t", "ada", "a1", "nb", "pad2d"),
                derive_seed("s", "bob", "a1", "nb", "pad2d"),
                derive_seed("s", "ada", "a2", "nb", "pad2d"),
                derive_seed("s", "ada", "a1", "nb2", "pad2d"),
                derive_seed("s", "ada", "a1", "nb", "output_size")]
    assert len({base, *variants}) == 6
    assert base == derive_seed("s", "ada", "a1", "nb", "pad2d")
    assert 0 <= base < 2 ** 63


def test_grading_seed_from_environment(graded_env):
    seed, graded, notes = grading_seed("pad2d")
    assert graded and notes == []
    assert seed == derive_seed("s3cret", "ada", "01-convolution", "01-convolution", "pad2d")
    assert seed != public_seed("pad2d")


def test_public_cases_without_environment():
    seed, graded, notes = grading_seed("pad2d")
    assert not graded and seed == public_seed("pad2d")
    assert "public" in notes[0]


def test_public_secret_warns(monkeypatch, graded_env, capsys):
    monkeypatch.setenv("CONVCOURSE_SECRET", PUBLIC_SECRET)
    assert check_pad2d(pad_slices, points=2, hidden=True) == 2.0
    assert "WARNING: graded with the public demo secret" in capsys.readouterr().out


def test_incomplete_environment_warns(monkeypatch):
    monkeypatch.setenv("CONVCOURSE_STUDENT", "ada")
    seed, graded, notes = grading_seed("pad2d")
    assert not graded and "missing CONVCOURSE_SECRET" in notes[0]


def test_printed_seed_reproduces_the_failure(graded_env, capsys):
    check_correlate2d_general(general_no_dilation, points=6, hidden=True)
    out = capsys.readouterr().out
    seed = int(out.split("(seed ")[1].split(")")[0])
    assert f"seed={seed}" in out
    again = reproduce("correlate2d_general", general_no_dilation, seed=seed, verbose=False)
    first = [line for line in out.splitlines() if line.strip().startswith("[dilation]")][0]
    assert first.strip() in again.report
    assert "dilation ignored" in again.mistakes
    assert [c.args[0].tolist() for c in grading.cases("correlate2d_general", seed)] == \
           [c.args[0].tolist() for c in grading.cases("correlate2d_general", seed)]


def test_students_get_different_cases(monkeypatch, graded_env):
    mine = grading.cases("sobel_edges", grading_seed("sobel_edges")[0])
    monkeypatch.setenv("CONVCOURSE_STUDENT", "bob")
    theirs = grading.cases("sobel_edges", grading_seed("sobel_edges")[0])
    random_mine = [c.args[0] for c in mine if c.args[0].shape not in ((5, 5), (3, 3))]
    random_theirs = [c.args[0] for c in theirs if c.args[0].shape not in ((5, 5), (3, 3))]
    assert not all(a.shape == b.shape and np.array_equal(a, b)
                   for a, b in zip(random_mine, random_theirs))


def test_reproduce_rejects_unknown_exercise():
    with pytest.raises(ValueError, match="exercise must be one of .* got 'conv9d'"):
        reproduce("conv9d", correlate_loops, seed=1)


def test_sobel_kernels_match_the_package():
    kernels = pytest.importorskip("convcourse.kernels")
    np.testing.assert_array_equal(SOBEL_X, kernels.sobel(1))
    np.testing.assert_array_equal(SOBEL_Y, kernels.sobel(0))


def test_scipy_oracle_agrees_with_hand_worked_case():
    # the fixed basic case, worked by hand: out[0, 0] = 1*1 + 2*2 + 5*3 + 6*4 = 44
    image = np.arange(1, 17, dtype=float).reshape(4, 4)
    out = scipy.signal.correlate2d(image, np.array([[1.0, 2.0], [3.0, 4.0]]), "valid")
    assert out[0, 0] == 44 and out.shape == (3, 3)
