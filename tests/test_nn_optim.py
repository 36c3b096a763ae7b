"""SGD and Adam: hand-worked steps, torch.optim step by step, plumbing and validation."""

import numpy as np
import pytest

from convcourse.nn import SGD, Adam, Linear, Parameter


def quadratic_grad(a, b, x):
    """Gradient of f(x) = 0.5 * sum(a * (x - b)**2): a * (x - b)."""
    return a * (x - b)


def run_ours(make_opt, x0, a, b, steps):
    p = Parameter(x0.copy())
    opt = make_opt([p])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        p.grad = quadratic_grad(a, b, p.data)
        opt.step()
        path.append(p.data.copy())
    return np.array(path)


def run_torch(torch, make_opt, x0, a, b, steps):
    p = torch.nn.Parameter(torch.from_numpy(x0.copy()))
    opt = make_opt([p])
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (ta * (p - tb) ** 2).sum()
        loss.backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


SGD_CASES = [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.1, weight_decay=0.01),
             dict(lr=0.02, momentum=0.5, weight_decay=0.1)]
ADAM_CASES = [dict(), dict(lr=0.1), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
              dict(lr=0.01, weight_decay=0.1)]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_torch_step_by_step(rng, kwargs):
    torch = pytest.importorskip("torch")
    a, b, x0 = rng.uniform(0.5, 3, 5), rng.standard_normal(5), rng.standard_normal(5)
    ours = run_ours(lambda ps: SGD(ps, **kwargs), x0, a, b, 20)
    theirs = run_torch(torch, lambda ps: torch.optim.SGD(ps, **kwargs), x0, a, b, 20)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam_matches_torch_step_by_step(rng, kwargs):
    torch = pytest.importorskip("torch")
    a, b, x0 = rng.uniform(0.5, 3, 5), rng.standard_normal(5), rng.standard_normal(5)
    ours = run_ours(lambda ps: Adam(ps, **kwargs), x0, a, b, 30)
    theirs = run_torch(torch, lambda ps: torch.optim.Adam(ps, **kwargs), x0, a, b, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


def test_sgd_momentum_hand_worked():
    # f(x) = x^2 / 2, grad = x; lr 0.1, momentum 0.5, from x = 1
    # step 1: buf = 1,               x = 1 - 0.1          = 0.9
    # step 2: buf = 0.5 * 1 + 0.9 = 1.4, x = 0.9 - 0.14   = 0.76
    path = run_ours(lambda ps: SGD(ps, lr=0.1, momentum=0.5), np.array([1.0]),
                    np.array([1.0]), np.array([0.0]), 2)
    np.testing.assert_allclose(path[:, 0], [0.9, 0.76])


def test_adam_first_step_is_lr_times_sign():
    # after one step the bias-corrected m / sqrt(v) is g / |g| (up to eps)
    p = Parameter(np.array([0.0, 0.0, 0.0]))
    p.grad = np.array([4.0, -0.001, 250.0])
    Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [-0.01, 0.01, -0.01], rtol=1e-4)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)],
                         ids=["sgd", "adam"])
def test_minimises_a_quadratic(rng, make):
    a, b = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    path = run_ours(make, np.zeros(4), a, b, 300)
    np.testing.assert_allclose(path[-1], b, atol=1e-3)


def test_parameters_without_grad_are_skipped_and_zero_grad_resets():
    layer = Linear(3, 2, rng=0)
    before = layer.state_dict()
    opt = Adam(layer.parameters(), lr=0.1)
    layer.weight.grad = np.ones((2, 3))
    opt.step()
    np.testing.assert_array_equal(layer.bias.data, before["bias"])  # bias.grad is None
    assert not np.array_equal(layer.weight.data, before["weight"])
    opt.zero_grad()
    assert layer.weight.grad is None


def test_updates_parameters_in_place_and_keeps_dtype():
    p = Parameter(np.ones(3, dtype=np.float32))
    data = p.data
    p.grad = np.ones(3, dtype=np.float32)
    SGD([p], lr=0.5, momentum=0.9).step()
    assert p.data is data and p.data.dtype == np.float32
    np.testing.assert_array_equal(data, [0.5, 0.5, 0.5])


@pytest.mark.parametrize("make, exc, match", [
    (lambda p: SGD(p, lr=-0.1), ValueError, r"lr must be >= 0.0, got -0.1"),
    (lambda p: SGD(p, lr="fast"), TypeError, "lr must be a real number, got 'fast'"),
    (lambda p: SGD(p, lr=0.1, momentum=-1), ValueError, r"momentum must be >= 0.0, got -1.0"),
    (lambda p: SGD(p, lr=0.1, weight_decay=float("nan")), ValueError, "weight_decay must be .* nan"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0.0, 1.0\), got 1.0"),
    (lambda p: Adam(p, betas=0.9), TypeError, "betas must be a pair .* got 0.9"),
    (lambda p: Adam(p, eps=-1e-8), ValueError, "eps must be >= 0.0, got -1e-08"),
    (lambda p: SGD([], lr=0.1), ValueError, "params must not be empty"),
    (lambda p: SGD(p[0], lr=0.1), TypeError, "params must be an iterable of Parameters .* single Parameter"),
    (lambda p: SGD([np.zeros(3)], lr=0.1), TypeError, "params must contain Parameter objects, got array"),
    (lambda p: Adam(5), TypeError, "params must be an iterable of Parameters, got 5"),
])
def test_rejects_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make([Parameter(np.zeros(3))])
