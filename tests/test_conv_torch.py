"""``convcourse.conv`` against ``torch.nn.functional`` and torch autograd (skips without torch)."""

import numpy as np
import pytest

from conv_cases import ALL_CASES, conv_kwargs, make_arrays
from convcourse.conv import conv1d, conv1d_backward, conv2d, conv2d_backward, conv3d, conv3d_backward

torch = pytest.importorskip("torch")

FORWARD = {1: conv1d, 2: conv2d, 3: conv3d}
BACKWARD = {1: conv1d_backward, 2: conv2d_backward, 3: conv3d_backward}
TORCH = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """These arrays are tiny: torch's thread pool only adds waiting on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_reference(nd, x, weight, bias, grad_output, kw):
    """torch's output and its autograd gradients (input, weight, bias)."""
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(weight, requires_grad=True)
    tb = torch.tensor(bias, requires_grad=True)
    out = TORCH[nd](tx, tw, tb, **kw)
    if grad_output is None:
        return out.detach().numpy()
    out.backward(torch.tensor(grad_output))
    return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("nd, opts", ALL_CASES)
def test_forward_and_backward_match_torch(nd, opts, rng):
    x, weight, bias = make_arrays(opts, rng)
    if bias is None:
        bias = np.zeros(opts["c_out"])
    kw = conv_kwargs(opts)
    out = FORWARD[nd](x, weight, bias, **kw)
    np.testing.assert_allclose(out, torch_reference(nd, x, weight, bias, None, kw), rtol=1e-10, atol=1e-10)
    grad_output = rng.standard_normal(out.shape)
    for ours, theirs in zip(BACKWARD[nd](grad_output, x, weight, **kw),
                            torch_reference(nd, x, weight, bias, grad_output, kw)):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, groups", [(1, 1, 1), (2, 0, 2), (1, "same", 8)])
def test_float32_matches_torch_float32(stride, padding, groups, rng):
    x = rng.standard_normal((2, 8, 17, 13)).astype(np.float32)
    weight = rng.standard_normal((16, 8 // groups, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(16).astype(np.float32)
    kw = dict(stride=stride, padding=padding, groups=groups)
    out = conv2d(x, weight, bias, **kw)
    assert out.dtype == np.float32
    expected = torch.nn.functional.conv2d(*map(torch.from_numpy, (x, weight, bias)), **kw).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kw",
    [dict(padding="same", stride=2), dict(stride=0), dict(padding=-1), dict(dilation=0)],
)
def test_rejects_what_torch_rejects(kw, rng):
    x, weight = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight), **kw)
    with pytest.raises(ValueError):
        conv2d(x, weight, **kw)
