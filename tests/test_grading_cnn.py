"""The checks of assignment 06-cnn.

Differently written correct implementations get full points; each deliberately
wrong one loses points and is named.  build_model is graded by its architecture:
the check rebuilds the model from its layers' settings (never calling the
student's objects) and trains the copy; only two tests here pay for a training.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convcourse import grading
from convcourse.grading import cnn
from convcourse.grading.cnn import (EXERCISES, check_build_model, check_relu_backward,
                                    check_relu_forward, check_softmax_cross_entropy,
                                    describe_model, rebuild_model, reproduce)
from convcourse.nn import (AvgPool2d, Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU,
                           Sequential)

ENV = {"CONVCOURSE_SECRET": "s3cret", "CONVCOURSE_STUDENT": "ada",
       "CONVCOURSE_ASSIGNMENT": "06-cnn", "CONVCOURSE_NOTEBOOK": "06-cnn"}


@pytest.fixture
def no_training(monkeypatch):
    """Fail loudly if a check trains a model (it must not, in the tests that use this)."""
    def refuse(model):
        raise AssertionError("this check must not train")
    monkeypatch.setattr(cnn, "_train_and_score", refuse)


# ------------------------------------------------------- correct implementations

def relu_maximum(x):
    return np.maximum(x, 0)


def relu_loops(x):
    x = np.asarray(x, dtype=float)
    out = x.copy().ravel()
    for i in range(out.size):
        if out[i] < 0:
            out[i] = 0.0
    return out.reshape(x.shape)


def relu_clip_float32_list(x):
    return np.clip(x, 0, None).astype(np.float32).tolist()


def relu_mask_multiply(x):
    return x * (x > 0)


def relu_backward_where(grad_output, x):
    if np.shape(grad_output) != np.shape(x):
        raise ValueError("shapes differ")
    return np.where(x > 0, grad_output, 0)


def relu_backward_loops(grad_output, x):
    g, x = np.asarray(grad_output, dtype=float), np.asarray(x, dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad_output {g.shape} and x {x.shape} differ")
    out = np.zeros(g.size)
    for i, (gi, xi) in enumerate(zip(g.ravel(), x.ravel())):
        out[i] = gi if xi > 0 else 0.0
    return out.reshape(g.shape).tolist()


def _check_labels(logits, labels):
    n, k = logits.shape
    labels = np.asarray(labels)
    if labels.shape != (n,) or labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"bad labels {labels}")
    return labels


def sce_log_softmax(logits, labels):
    logits = np.asarray(logits, dtype=float)
    labels = _check_labels(logits, labels)
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), grad / n


def sce_loops_float32(logits, labels):
    labels = _check_labels(np.asarray(logits), labels)
    n, k = np.shape(logits)
    total, grad = 0.0, np.zeros((n, k), dtype=np.float32)
    for i in range(n):
        row = np.asarray(logits[i], dtype=np.float64)
        e = np.exp(row - row.max())
        p = e / e.sum()
        total += -np.log(p[labels[i]])
        for j in range(k):
            grad[i, j] = (p[j] - (j == labels[i])) / n
    return np.float32(total / n), grad


def sce_probabilities_list(logits, labels):
    # max-subtraction, then log of the probability; returned as a list pair and a 0-d loss
    logits = np.asarray(logits, dtype=float)
    labels = _check_labels(logits, labels)
    n, k = logits.shape
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(k)[labels]
    return [np.array(-np.mean(np.log(np.sum(p * onehot, axis=1)))), ((p - onehot) / n).tolist()]


def model_solution():
    return Sequential(Conv2d(1, 16, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
                      Conv2d(16, 32, 3, padding=1, rng=1), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(128, 10, rng=2))


def model_stacked_avg():
    return Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), Conv2d(8, 8, 3, padding=1), ReLU(),
                      AvgPool2d(2), Conv2d(8, 16, 3, padding="same"), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(64, 10))


def model_global_pool_hidden_head():
    return Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                      Conv2d(16, 32, 3, padding=1), ReLU(), GlobalAvgPool2d(),
                      Flatten(), Linear(32, 32), ReLU(), Linear(32, 10, bias=False))


def model_valid_convolutions():
    # no padding: 8 -> 6 (conv) -> 3 (pool) -> 1 (conv 3x3): still a valid network
    return Sequential(Conv2d(1, 16, 3), ReLU(), MaxPool2d(2), Conv2d(16, 32, 3), ReLU(),
                      MaxPool2d(1), Flatten(), Linear(32, 10))


CORRECT = [
    (check_relu_forward, relu_maximum),
    (check_relu_forward, relu_loops),
    (check_relu_forward, relu_clip_float32_list),
    (check_relu_forward, relu_mask_multiply),
    (check_relu_backward, relu_backward_where),
    (check_relu_backward, relu_backward_loops),
    (check_softmax_cross_entropy, sce_log_softmax),
    (check_softmax_cross_entropy, sce_loops_float32),
    (check_softmax_cross_entropy, sce_probabilities_list),
]


@pytest.mark.parametrize("check, func", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_implementations_pass_with_full_points(check, func, graded_env, capsys):
    assert check(func) is None  # the visible form: public cases, no exception
    score = check(func, points=5, hidden=True)
    assert type(score) is float and score == 5.0
    captured = capsys.readouterr()
    assert captured.err == ""  # nbgrader gives 0 to a cell that writes to stderr
    assert "score 5/5" in captured.out


@pytest.mark.parametrize("build", [model_solution, model_stacked_avg,
                                   model_global_pool_hidden_head, model_valid_convolutions])
def test_correct_architectures_pass_the_visible_check(build, no_training, capsys):
    assert describe_model(build())["findings"] == []
    assert check_build_model(build) is None
    assert "passes every rule" in capsys.readouterr().out


def test_the_solution_model_trains_to_full_marks(graded_env, capsys):
    score = check_build_model(model_solution, points=4, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and score == 4.0, out
    accuracy = float(out.split("held-out accuracy ")[1].split("%")[0])
    assert accuracy >= 95.0
    assert "6,090 weights" in out  # the digits_cnn architecture, as documented in nn.train


# --------------------------------------------------------- wrong implementations

def relu_identity(x):
    return np.array(x, dtype=float)


def relu_abs(x):
    return np.abs(x)


def relu_minimum(x):
    return np.minimum(x, 0)


def relu_in_place(x):
    x[x < 0] = 0
    return x


def relu_backward_at_zero(grad_output, x):
    relu_backward_where(grad_output, x)
    return np.where(x >= 0, grad_output, 0)


def relu_backward_everywhere(grad_output, x):
    relu_backward_where(grad_output, x)
    return np.array(grad_output, dtype=float)


def relu_backward_mask_from_grad_output(grad_output, x):
    relu_backward_where(grad_output, x)
    return np.where(np.asarray(grad_output) > 0, grad_output, 0)


def relu_backward_times_output(grad_output, x):
    relu_backward_where(grad_output, x)
    return grad_output * np.maximum(x, 0)


def relu_backward_swapped(grad_output, x):
    return relu_backward_where(x, grad_output)


def relu_backward_no_shape_check(grad_output, x):
    return np.asarray(grad_output) * (np.asarray(x) > 0)


def sce_no_max_subtraction(logits, labels):
    logits = np.asarray(logits, dtype=float)
    labels = _check_labels(logits, labels)
    n = logits.shape[0]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), labels]))
    p[np.arange(n), labels] -= 1
    return loss, p / n


def sce_summed(logits, labels):
    loss, grad = sce_log_softmax(logits, labels)
    return loss * len(labels), grad


def sce_per_sample(logits, labels):
    loss, grad = sce_log_softmax(logits, labels)
    z = np.asarray(logits, dtype=float)
    m = z.max(axis=1)
    per = m + np.log(np.exp(z - m[:, None]).sum(axis=1)) - z[np.arange(len(labels)), labels]
    return per, grad


def sce_grad_not_divided(logits, labels):
    loss, grad = sce_log_softmax(logits, labels)
    return loss, grad * len(labels)


def sce_no_onehot(logits, labels):
    loss, grad = sce_log_softmax(logits, labels)
    z = np.asarray(logits, dtype=float)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return loss, p / p.sum(axis=1, keepdims=True) / len(labels)


def sce_loss_only(logits, labels):
    return sce_log_softmax(logits, labels)[0]


def sce_no_label_check(logits, labels):
    logits = np.asarray(logits, dtype=float)
    n = logits.shape[0]
    labels = np.resize(labels, n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(n), labels % logits.shape[1]] -= 1
    return float(-log_p[np.arange(n), labels % logits.shape[1]].mean()), grad / n


WRONG = [
    (check_relu_forward, relu_identity, "negative values kept"),
    (check_relu_forward, relu_abs, "absolute value"),
    (check_relu_forward, relu_minimum, "min instead of max"),
    (check_relu_forward, relu_in_place, "modified its input x"),
    (check_relu_backward, relu_backward_at_zero, "gradient passed where x == 0"),
    (check_relu_backward, relu_backward_everywhere, "gradient passed where x < 0"),
    (check_relu_backward, relu_backward_mask_from_grad_output, "mask taken from grad_output"),
    (check_relu_backward, relu_backward_times_output,
     "multiplied by the output instead of the input mask"),
    (check_relu_backward, relu_backward_swapped, "arguments swapped"),
    (check_relu_backward, relu_backward_no_shape_check, "expected ValueError"),
    (check_softmax_cross_entropy, sce_no_max_subtraction, "softmax without max-subtraction"),
    (check_softmax_cross_entropy, sce_summed, "loss summed, not averaged"),
    (check_softmax_cross_entropy, sce_per_sample, "loss not averaged: one value per sample"),
    (check_softmax_cross_entropy, sce_grad_not_divided, "gradient not divided by the batch size"),
    (check_softmax_cross_entropy, sce_no_onehot, "gradient missing the one-hot subtraction"),
    (check_softmax_cross_entropy, sce_loss_only, "must return a pair (loss, grad)"),
    (check_softmax_cross_entropy, sce_no_label_check, "expected ValueError"),
]


@pytest.mark.parametrize("check, func, mistake", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_implementations_are_named(check, func, mistake, graded_env, capsys):
    with pytest.raises(AssertionError, match=re.escape(mistake)):
        check(func)
    score = check(func, points=5, hidden=True)
    out = capsys.readouterr().out
    assert type(score) is float and 0.0 <= score < 5.0
    assert mistake in out
    assert "convcourse.grading.reproduce(" in out


@pytest.mark.parametrize("func, named, not_named", [
    (relu_backward_everywhere, "gradient passed where x < 0", "mask taken from grad_output"),
    (relu_backward_mask_from_grad_output, "mask taken from grad_output",
     "gradient passed where x < 0"),
])
def test_relu_backward_causes_are_told_apart(func, named, not_named, graded_env, names_one_cause):
    # they give different answers only where grad_output < 0: the report names the one cause
    # that matches, never both (the cases without a negative gradient name neither)
    names_one_cause(check_relu_backward, func, 4, named, not_named)


def model_no_conv():
    return Sequential(Flatten(), Linear(64, 32), ReLU(), Linear(32, 10))


def model_no_pool():
    return Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), Flatten(), Linear(4 * 8 * 8, 10))


def model_no_activation():
    return Sequential(Conv2d(1, 16, 3, padding=1), MaxPool2d(2), Conv2d(16, 32, 3, padding=1),
                      ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10))


def model_flatten_size_wrong():
    return Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                      Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(32 * 4 * 4, 10))


def model_nine_classes():
    return Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 9))


def model_channel_mismatch():
    return Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                      Conv2d(8, 32, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10))


def model_shrinks():
    return Sequential(Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Conv2d(8, 8, 3), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(8, 10))


def model_too_large():
    return Sequential(Conv2d(1, 64, 3, padding=1), ReLU(), Conv2d(64, 64, 3, padding=1), ReLU(),
                      MaxPool2d(2), Flatten(), Linear(64 * 16, 10))


def model_list():
    return [Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10)]


def model_softmax_at_the_end():
    return Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(64, 10), ReLU())


def model_from_the_package():
    from convcourse.nn.train import digits_cnn
    return digits_cnn(rng=0)


class MySequential(Sequential):
    pass


def model_subclass():
    return MySequential(*model_solution().layers)


WRONG_MODELS = [
    (model_no_conv, "no convolution", {"model", "shapes"}),
    (model_no_pool, "no pooling", {"model", "shapes"}),
    (model_no_activation, "no activation after a convolution", {"model", "shapes"}),
    (model_flatten_size_wrong, "flatten size wrong", {"model", "structure"}),
    (model_nine_classes, "wrong number of outputs", {"model", "structure"}),
    (model_channel_mismatch, "channel mismatch", {"model", "structure"}),
    (model_shrinks, "the image shrinks to nothing", {"model", "structure"}),
    (model_too_large, "model too large", {"model", "structure"}),
    (model_softmax_at_the_end, "does not end in a Linear layer", {"model", "shapes"}),
    (model_list, "not a Sequential", set()),
    (model_subclass, "not a Sequential", set()),
    (model_from_the_package, "calls convcourse.nn.train", set()),
]


@pytest.mark.parametrize("build, mistake, passing", WRONG_MODELS,
                         ids=[f.__name__ for f, _, _ in WRONG_MODELS])
def test_wrong_models_are_rejected_and_named(build, mistake, passing, no_training, capsys):
    with pytest.raises(AssertionError, match=mistake):
        check_build_model(build)
    score = check_build_model(build, points=4, hidden=True)
    out = capsys.readouterr().out
    assert score == float(len(passing)), out  # one point per group passed; never accuracy
    for group in ("model", "structure", "shapes", "accuracy"):
        assert f"{'PASS' if group in passing else 'FAIL'} {group}" in out
    assert mistake in out


def test_flatten_size_message_gives_the_right_size(capsys):
    with pytest.raises(AssertionError) as info:
        check_build_model(model_flatten_size_wrong)
    assert "in_features=512, but the 32 x 2 x 2 feature map flattened by layer 6 has 128 values" \
        in str(info.value)


def test_a_weak_model_fails_only_the_accuracy(graded_env, capsys):
    def tiny():
        return Sequential(Conv2d(1, 2, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
                          Linear(32, 10))

    score = check_build_model(tiny, points=4, hidden=True)
    out = capsys.readouterr().out
    assert score == 3.0 and "FAIL accuracy" in out and "accuracy below 95%" in out


def test_the_students_objects_are_never_called(no_training):
    def booby_trapped():
        model = model_solution()

        def boom(*args, **kwargs):
            raise RuntimeError("the check ran my method")

        for layer in model.layers:
            layer.forward = boom
            layer.backward = boom
            layer.parameters = boom
        model.forward = boom
        model.__iter__ = boom
        return model

    assert check_build_model(booby_trapped) is None
    copy = rebuild_model(booby_trapped())
    assert "forward" not in vars(copy.layers[0])
    assert copy.forward(np.zeros((1, 1, 8, 8))).shape == (1, 10)


def test_rebuild_keeps_the_settings_and_draws_new_weights():
    model = model_stacked_avg()
    copy = rebuild_model(model, rng=0)
    assert repr(copy) == repr(model)
    assert not np.array_equal(copy[0].weight.data, model[0].weight.data)
    again = rebuild_model(model, rng=0)
    np.testing.assert_array_equal(again[0].weight.data, copy[0].weight.data)
    with pytest.raises(TypeError, match="build_model returned a list"):
        rebuild_model(model_list())


def test_describe_model_counts_weights_and_multiplications():
    info = describe_model(model_solution())
    # hand-counted: conv1 16*9 + 16, conv2 32*16*9 + 32, linear 128*10 + 10
    assert info["parameters"] == 160 + 4640 + 1290
    # 8*8 positions * 16 * 9, 4*4 * 32 * 16 * 9, 128 * 10
    assert info["multiplications"] == 9216 + 73728 + 1280


def test_the_weight_limit_counts_the_biases():
    # as the notebook states: 295 channels give 295*9 + 295*16*10 = 49,855 weights without
    # biases (under 50,000) and 49,855 + 295 + 10 = 50,160 with them (over)
    def model(bias):
        return Sequential(Conv2d(1, 295, 3, padding=1, bias=bias), ReLU(), MaxPool2d(2),
                          Flatten(), Linear(295 * 16, 10, bias=bias))
    with_bias, without = describe_model(model(True)), describe_model(model(False))
    assert (with_bias["parameters"], without["parameters"]) == (50_160, 49_855)
    assert without["findings"] == []
    assert [f[1] for f in with_bias["findings"]] == ["model too large"]
    assert "50,160 weights (biases included)" in with_bias["findings"][0][2]


def test_build_model_errors_are_reported(no_training):
    def broken():
        return Sequential(Conv2d(1, 0, 3))

    with pytest.raises(AssertionError, match="build_model.. raised ValueError: out_channels"):
        check_build_model(broken)


# ------------------------------------------------------------- partial credit

def test_partial_credit_by_group(graded_env, capsys):
    # right everywhere except exactly zero inputs: only the zeros group fails
    assert check_relu_backward(relu_backward_at_zero, points=4, hidden=True) == 3.0
    out = capsys.readouterr().out
    assert "FAIL zeros" in out and "PASS basic" in out and "PASS errors" in out


def test_softmax_groups_merge_loss_and_gradient(graded_env, capsys):
    # a right loss with a wrong gradient keeps the loss and errors points only
    assert check_softmax_cross_entropy(sce_grad_not_divided, points=4, hidden=True) == 2.0
    out = capsys.readouterr().out
    assert "PASS loss" in out and "FAIL gradient" in out and "FAIL large logits" in out
    assert "The gradient (the second value returned):" in out
    assert "The loss (the first value returned):" not in out


def test_stubs_score_zero_and_say_so(graded_env, capsys):
    def stub(*args):
        raise NotImplementedError()

    for check in (check_relu_forward, check_relu_backward, check_softmax_cross_entropy,
                  check_build_model):
        assert check(stub, points=4, hidden=True) == 0.0
        with pytest.raises(AssertionError, match="NotImplementedError"):
            check(stub)
    assert "NotImplementedError" in capsys.readouterr().out


# ---------------------------------------------------------------- rule breaking

def test_library_calls_fail(graded_env, capsys):
    from scipy.special import log_softmax

    def with_scipy(logits, labels):
        log_p = log_softmax(logits, axis=1)
        n = len(labels)
        grad = np.exp(log_p)
        grad[np.arange(n), labels] -= 1
        return -log_p[np.arange(n), labels].mean(), grad / n

    assert check_softmax_cross_entropy(with_scipy, points=4, hidden=True) < 4.0
    assert "calls scipy.special" in capsys.readouterr().out

    from convcourse.nn import softmax_cross_entropy as reference
    with pytest.raises(AssertionError, match="calls convcourse.nn"):
        check_softmax_cross_entropy(reference)

    def with_layer(x):
        return ReLU().forward(x)

    with pytest.raises(AssertionError, match="calls convcourse.nn"):
        check_relu_forward(with_layer)


def test_modified_labels_are_reported():
    def sorts_labels(logits, labels):
        labels.sort()
        return sce_log_softmax(logits, labels)

    with pytest.raises(AssertionError, match="modified its input labels"):
        check_softmax_cross_entropy(sorts_labels)


def test_not_a_function():
    with pytest.raises(TypeError, match="needs your function"):
        check_softmax_cross_entropy(None)
    with pytest.raises(TypeError, match="needs your function"):
        check_build_model("model")


# ------------------------------------------------------------ oracle, registry

def test_reference_and_oracle_agree_on_every_case():
    for part in cnn._SCE_PARTS.values():
        for case in part.cases(seed=11):
            if case.error is None:
                np.testing.assert_allclose(part.reference(case), part.oracle(case),
                                           rtol=1e-10, atol=1e-12)


def test_hand_worked_softmax_cases_match_the_reference():
    # logits [1, 2, 3], label 2: loss = log(e + e^2 + e^3) - 3
    loss, grad = cnn._sce_reference(np.array([[1.0, 2.0, 3.0]]), np.array([2]))
    assert loss == pytest.approx(np.log(np.e + np.e ** 2 + np.e ** 3) - 3)
    assert grad.sum() == pytest.approx(0.0)
    # [1000, 999, 998] against label 0 is [2, 1, 0] against label 0
    big, _ = cnn._sce_reference(np.array([[1000.0, 999.0, 998.0]]), np.array([0]))
    small, _ = cnn._sce_reference(np.array([[2.0, 1.0, 0.0]]), np.array([0]))
    assert big == pytest.approx(small)


def test_registry_lists_every_exercise_with_its_cases():
    assert list(EXERCISES) == ["relu_forward", "relu_backward", "softmax_cross_entropy",
                               "build_model"]
    assert grading.ASSIGNMENT_MODULES["06-cnn"] is cnn
    groups = {c.group for c in grading.cases("softmax_cross_entropy", seed=3)}
    assert groups == {"loss", "gradient", "large logits", "errors"}
    assert [c.group for c in grading.cases("build_model", seed=3)] == \
        ["model", "structure", "shapes", "accuracy"]
    # the package-wide reproduce runs the pair exercise too, as its check does
    assert grading.reproduce("softmax_cross_entropy", sce_log_softmax, seed=3,
                             verbose=False).score == 4.0
    wrong = grading.reproduce("softmax_cross_entropy", sce_no_onehot, seed=3, verbose=False)
    assert "gradient missing the one-hot subtraction" in wrong.mistakes and wrong.score == 2.0


def test_reproduce_replays_a_printed_seed(graded_env, capsys):
    check_softmax_cross_entropy(sce_no_onehot, points=4, hidden=True)
    out = capsys.readouterr().out
    seed = int(out.split("(seed ")[1].split(")")[0])
    again = reproduce("softmax_cross_entropy", sce_no_onehot, seed=seed, verbose=False)
    assert "gradient missing the one-hot subtraction" in again.mistakes
    assert again.score == 2.0
    with pytest.raises(ValueError, match="exercise must be one of .* got 'conv9d'"):
        reproduce("conv9d", sce_no_onehot, seed=1)


def test_students_get_different_cases(monkeypatch, graded_env):
    from convcourse.grading._cases import grading_seed

    mine = grading.cases("relu_backward", grading_seed("relu_backward")[0])
    monkeypatch.setenv("CONVCOURSE_STUDENT", "bob")
    theirs = grading.cases("relu_backward", grading_seed("relu_backward")[0])
    assert any(a.args[1].shape != b.args[1].shape or not np.array_equal(a.args[1], b.args[1])
               for a, b in zip(mine, theirs))


@settings(max_examples=30)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)),
              elements=st.floats(-50, 50)),
       st.integers(0, 2 ** 32 - 1), st.floats(-900, 900))
def test_the_reference_loss_is_scipys_and_shift_invariant(logits, seed, shift):
    labels = np.random.default_rng(seed).integers(0, logits.shape[1], size=logits.shape[0])
    loss, grad = cnn._sce_reference(logits, labels)
    oracle_loss, oracle_grad = cnn._sce_oracle(logits, labels)
    assert loss == pytest.approx(oracle_loss, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(grad, oracle_grad, atol=1e-12)
    shifted_loss, shifted_grad = cnn._sce_reference(logits + shift, labels)
    assert shifted_loss == pytest.approx(loss, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(shifted_grad, grad, atol=1e-9)


def _small_model(**conv):
    return Sequential(Conv2d(1, 2, 3, **{"padding": 1, **conv}), ReLU(), MaxPool2d(4),
                      Flatten(), Linear(8, 10))


def test_a_model_that_starts_where_one_trained_gets_that_result_without_training(monkeypatch):
    """The judge trains every submission's model again (3 to 4 s); a class's models are
    often the same architecture, and training depends on the rebuilt model's start only:
    the second one gets the first one's numbers, and a different start trains."""
    trained = []
    fit = cnn.fit

    def counting_fit(model, *args, **kwargs):
        trained.append(model)
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(cnn, "fit", counting_fit)
    monkeypatch.setattr(cnn, "_TRAINED", {})
    first = cnn._train_and_score(_small_model())
    again = cnn._train_and_score(_small_model(rng=7))  # its own weights are never used
    assert len(trained) == 1 and again == first
    again[1].append(0.0)  # the caller's copy
    assert cnn._train_and_score(_small_model()) == first and len(trained) == 1
    other = cnn._train_and_score(_small_model(bias=False))
    assert len(trained) == 2 and other != first
    monkeypatch.setattr(cnn, "_TRAINED", {})
    assert cnn._train_and_score(_small_model()) == first and len(trained) == 3  # trained: equal


def test_the_start_key_sees_every_setting_and_every_weight():
    fresh = rebuild_model(_small_model())
    key = cnn._start_key(fresh)
    assert cnn._start_key(rebuild_model(_small_model(rng=3))) == key
    for changed in (_small_model(stride=2), _small_model(bias=False), _small_model(padding=0)):
        assert cnn._start_key(rebuild_model(changed)) != key
    fresh.layers[-1].weight.data[0, 0] += 1e-12
    assert cnn._start_key(fresh) != key
    fresh = rebuild_model(_small_model())
    fresh.layers[2].ceil_mode = True
    assert cnn._start_key(fresh) != key
