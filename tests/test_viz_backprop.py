"""The pictures of 04-backprop build with the Agg backend and draw what they claim."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convcourse.conv import conv2d_backward  # noqa: E402
from convcourse.viz import backprop as vb  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_gradient_flow_1d_writes_both_chain_rule_sums():
    # x = [1, 2, 0, -1, 3, 2], w = [1, 2, -1], g = [1, -1, 2, 0.5]
    fig = vb.gradient_flow_1d([1, 2, 0, -1, 3, 2], [1, 2, -1], [1, -1, 2, 0.5],
                              weight_index=1, input_index=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    # dL/dw[1] = 1*2 + (-1)*0 + 2*(-1) + 0.5*3 = 1.5
    assert fig.axes[0].get_title().endswith("= 1.5")
    # dL/dx[3] = g[1] w[2] + g[2] w[1] + g[3] w[0] = 1 + 4 + 0.5 = 5.5
    assert fig.axes[1].get_title().endswith("= 5.5")
    assert _texts(fig.axes[0]).count("w[1]") == 4          # w[1] is used by every output
    assert sorted(t for t in _texts(fig.axes[1]) if t.startswith("w[")) == ["w[0]", "w[1]", "w[2]"]
    fig.canvas.draw()


@pytest.mark.parametrize("args, match", [
    (([1, 2], [1, 2, 3], [1]), "w must not be longer than x"),
    (([1, 2, 3], [1, 2], [1]), "grad_output must have length 2, got 1"),
    (([1, 2, 3], [1, 2], [1, 1], 2), "weight_index must be below 2, got 2"),
])
def test_gradient_flow_1d_rejects_bad_shapes(args, match):
    with pytest.raises(ValueError, match=match):
        vb.gradient_flow_1d(*args)


@pytest.mark.parametrize("stride", [1, 2])
def test_backward_2d_cells_equal_the_reference(stride):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(5, 5)).astype(float)
    w = rng.integers(-2, 3, size=(3, 3)).astype(float)
    out = (5 - 3) // stride + 1
    g = rng.integers(-2, 3, size=(out, out)).astype(float)
    fig = vb.backward_2d(x, w, g, stride=stride, weight_position=(1, 2), input_position=(2, 2))
    gx, gw, _ = conv2d_backward(g[None, None], x[None, None], w[None, None], stride=stride)
    grad_w_cells = [float(t) for t in _texts(fig.axes[2])]
    grad_x_cells = [float(t) for t in _texts(fig.axes[5])]
    np.testing.assert_allclose(grad_w_cells, gw[0, 0].ravel(), atol=0.051)
    np.testing.assert_allclose(grad_x_cells, gx[0, 0].ravel(), atol=0.051)


def test_backward_2d_rejects_a_wrong_grad_output():
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 2\)"):
        vb.backward_2d(np.ones((5, 5)), np.ones((3, 3)), np.ones((3, 3)), stride=2)


def test_finite_difference_error_central_beats_forward():
    x = np.array([0.5, -1.2, 2.0])
    x_before = x.copy()
    fig = vb.finite_difference_error(lambda v: np.sum(np.sin(v) * v ** 2), x,
                                     np.cos(x) * x ** 2 + 2 * x * np.sin(x),
                                     eps=[1e-2, 1e-3, 1e-4])
    forward, central = (line.get_ydata() for line in fig.axes[0].lines[:2])
    assert np.all(central < forward / 10)                  # O(eps^2) against O(eps)
    assert forward[0] / forward[1] == pytest.approx(10, rel=0.2)  # error proportional to eps
    np.testing.assert_array_equal(x, x_before)
    with pytest.raises(ValueError, match="eps must hold numbers > 0"):
        vb.finite_difference_error(np.sum, x, x, eps=[0.0])


def test_checks_compared_draws_one_bar_per_check():
    fig = vb.checks_compared(["right", "flipped"], [1e-10, 2e-10], [0.0, 0.5])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx([1e-10, 2e-10, 1e-16, 0.5])
    with pytest.raises(ValueError, match="same length"):
        vb.checks_compared(["a"], [1, 2], [1])


def test_checks_compared_draws_and_is_keyed_by_the_errors_to_3_digits():
    from convcourse import _picture_cache as pc

    exact = [1.2345678e-10, 0.5]
    fig = vb.checks_compared(["mine", "flipped"], exact, [0.0, 0.123456])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [1.23e-10, 0.5, 1e-16, 0.123]  # rounded, the floor kept
    # two correct implementations: errors that differ in their last bits, one picture
    calls = [(["mine", "flipped"], [1.2345678e-10 * (1 + d), 0.5], [0.0, 0.123456], 1e-6)
             for d in (0.0, 1e-12)]
    keys = [pc.picture_key(vb._checks_compared, (labels, vb._significant(ge),
                                                 vb._significant(fe), t), {})
            for labels, ge, fe, t in calls]
    assert keys[0] == keys[1] != pc.picture_key(vb._checks_compared, (
        ["mine", "flipped"], vb._significant([1.24e-10, 0.5]), [0.0, 0.123], 1e-6), {})
