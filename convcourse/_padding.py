"""The one padding helper and the one output-size formula.

Every convolution and pooling function turns its ``padding`` argument into
explicit ``(before, after)`` pairs with :func:`resolve_padding`, pads with
:func:`pad_spatial`, and sizes its output with :func:`output_size` (per axis
:func:`output_length`), which also raises the one error for a kernel larger
than the padded input, with the same message wherever it is detected.
"""

from __future__ import annotations

import numpy as np

from ._validation import ntuple

__all__ = ["output_length", "output_size", "KERNEL_TOO_LARGE", "resolve_padding", "pad_spatial"]

# The start of the one message for a kernel larger than the padded input.
KERNEL_TOO_LARGE = "the kernel is larger than the padded input"


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


def _fmt(t: tuple):
    """A tuple for a message, unwrapped when it has one element."""
    return t[0] if len(t) == 1 else t


def output_size(sizes, kernel, stride, pads, dilation, ceil_mode=False, *,
                kernel_name: str, input_name: str = "x", input_shape=None) -> tuple:
    """Output size per spatial axis, or the one error for a kernel that does not fit.

    ``sizes``, ``kernel``, ``stride`` and ``dilation`` have one int per axis,
    ``pads`` one ``(before, after)`` pair.  ``kernel_name`` and ``input_name``
    are the arguments the message names (``'weight'`` and ``'x'`` for a
    convolution); ``input_shape`` is the whole shape to quote (default
    ``sizes``).  An axis is empty exactly when the dilated kernel is larger
    than the padded input (with ``ceil_mode``, by at least the stride).
    """
    out = tuple(output_length(n, k, s, pb, pa, d, ceil_mode)
                for n, k, s, (pb, pa), d in zip(sizes, kernel, stride, pads, dilation))
    if min(out) < 1:
        padded = tuple(n + pb + pa for n, (pb, pa) in zip(sizes, pads))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        shape = tuple(sizes) if input_shape is None else tuple(input_shape)
        symmetric = all(pb == pa for pb, pa in pads)
        shown_pads = tuple(pb for pb, _ in pads) if symmetric else tuple(pads)
        raise ValueError(
            f"{KERNEL_TOO_LARGE}: {kernel_name} gives kernel size {_fmt(tuple(kernel))} "
            f"(dilation {_fmt(tuple(dilation))}: spans {_fmt(span)}) but the padded input is "
            f"{_fmt(padded)} ({input_name} of shape {_fmt(shape)}, padding {_fmt(shown_pads)}); "
            f"the output size would be {_fmt(out)}"
        )
    return out


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
