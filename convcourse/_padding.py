"""The one padding helper and the one output-size formula.

Every convolution and pooling function turns its ``padding`` argument into
explicit ``(before, after)`` pairs with :func:`resolve_padding`, pads with
:func:`pad_spatial`, and sizes its output with :func:`output_length`.
"""

from __future__ import annotations

import numpy as np

from ._validation import ntuple

__all__ = ["output_length", "resolve_padding", "pad_spatial"]


def output_length(size: int, kernel_size: int, stride: int = 1, pad_before: int = 0,
                  pad_after: int | None = None, dilation: int = 1,
                  ceil_mode: bool = False) -> int:
    """Output length along one axis (no validation; callers validate).

    ``floor((size + pb + pa - d(k-1) - 1)/s) + 1``; with ``ceil_mode`` the
    division rounds up, except that the last window must start inside the
    input or the left padding (torch's ``pooling_output_shape``; a kernel that
    overshoots the padded input by less than the stride still makes one
    window).  May return a value < 1, which callers report as an error.
    """
    if pad_after is None:
        pad_after = pad_before
    span = size + pad_before + pad_after - dilation * (kernel_size - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad_before:
            out -= 1
        return out
    return span // stride + 1


def resolve_padding(padding, kernel_size: tuple, stride: tuple, dilation: tuple,
                    name: str = "padding") -> tuple[tuple[int, int], ...]:
    """Explicit ``((before, after), ...)`` pairs for each spatial axis.

    ``padding`` is an int, a tuple with one int per axis, ``'valid'`` (no
    padding) or ``'same'`` (output as large as the input; stride must be 1).
    For ``'same'`` the total ``d(k-1)`` is split as torch splits it: the
    smaller half before, the larger after.
    """
    nd = len(kernel_size)
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in range(nd))
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{name}='same' is not supported for strided convolutions, "
                    f"got stride={stride if nd > 1 else stride[0]}"
                )
            pairs = []
            for k, d in zip(kernel_size, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ValueError(
            f"{name} must be an int, a tuple of {nd} ints, 'valid' or 'same'; got {padding!r}"
        )
    return tuple((p, p) for p in ntuple(padding, nd, name, minimum=0))


def pad_spatial(x: np.ndarray, pads, value=0) -> np.ndarray:
    """Pad the trailing ``len(pads)`` axes of ``x`` with ``value``.

    Returns ``x`` itself when every pad is zero.
    """
    pads = tuple(pads)
    if all(a == 0 and b == 0 for a, b in pads):
        return x
    lead = x.ndim - len(pads)
    out_shape = x.shape[:lead] + tuple(n + a + b for n, (a, b) in zip(x.shape[lead:], pads))
    out = np.full(out_shape, value, dtype=x.dtype)
    index = (slice(None),) * lead + tuple(slice(a, a + n) for n, (a, _) in zip(x.shape[lead:], pads))
    out[index] = x
    return out
