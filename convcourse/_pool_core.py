"""The N-d core of every pooling function in :mod:`convcourse.pooling`.

A pooling call is described by one :class:`Axis` per spatial axis: where the
taps of each window lie along that axis.  Two kinds of window fill it in:

* sliding windows (``max_pool*``, ``avg_pool*``): window ``o`` starts at
  ``o * stride - padding`` and has ``kernel_size`` taps ``dilation`` apart;
  taps in the padding are skipped (``-inf`` for max, zero for the sum);
* adaptive windows (``adaptive_*``): bin ``o`` of ``out`` covers
  ``[floor(o L / out), ceil((o + 1) L / out))``, torch's edges; bins may have
  different lengths, so each axis has a longest bin ``taps`` and per-window
  ``counts``.

Everything after the geometry is shared: the vectorised reductions (one
whole-array operation per window offset), torch's choice of the maximum
(first in row-major order on ties, the last NaN, the first tap inside the
input for an all ``-inf`` window), the backward passes, and the loop versions
the ``*_naive`` functions run.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np

from ._padding import output_size, pad_spatial
from ._validation import _describe, as_network_array, check_bool, check_int, check_shape, ntuple

__all__ = ["Axis", "check_input", "check_grad_output", "sliding_axes", "adaptive_axes", "out_shape",
           "max_pool", "max_pool_backward", "avg_pool", "avg_pool_backward",
           "max_pool_loops", "max_pool_backward_loops", "avg_pool_loops", "avg_pool_backward_loops"]

LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_NON_BATCH = {1: "C and L", 2: "C, H and W", 3: "C, D, H and W"}


class Axis(NamedTuple):
    """Where the windows of a pooling lie along one spatial axis."""

    size: int            # input length
    starts: np.ndarray   # (O,) first tap of each window; negative inside the left padding
    taps: int            # taps per window (adaptive: of the longest bin)
    step: int            # distance between taps: the dilation (1 for adaptive windows)
    counts: np.ndarray   # (O,) taps that belong to each window (sliding: all of them)
    pad: tuple | None    # sliding: (before, after) padding that holds every tap; adaptive: None
    stride: int | None   # sliding: the stride; adaptive: None

    @property
    def positions(self) -> np.ndarray:
        """(O, taps): the input position of each tap (may lie in the padding)."""
        return self.starts[:, None] + np.arange(self.taps) * self.step

    @property
    def inside(self) -> np.ndarray:
        """(O, taps): whether a tap belongs to its window and lies inside the input."""
        pos = self.positions
        return (pos >= 0) & (pos < self.size) & (np.arange(self.taps) < self.counts[:, None])

    @property
    def first_tap(self) -> np.ndarray:
        """(O,) torch's first tap of each window: the first at or after position 0.

        It is where torch's scan starts, so an all ``-inf`` window reports it;
        it lies outside the input when the whole window is in the padding.
        """
        return np.where(self.starts < 0, (-self.starts + self.step - 1) // self.step, 0)


# --------------------------------------------------------------------------
# validation and geometry
# --------------------------------------------------------------------------

def check_input(x, nd: int, name: str = "x") -> np.ndarray:
    """Convert ``x`` with the dtype rules and require a batch with non-empty C and spatial axes."""
    x = as_network_array(x, name)
    if x.ndim != nd + 2:
        raise ValueError(f"{name} must be a {nd + 2}-D array of shape {LAYOUTS[nd]}, got shape {x.shape}")
    if 0 in x.shape[1:]:
        raise ValueError(
            f"{name} must have non-zero {_NON_BATCH[nd]} (only the batch may be empty), "
            f"got shape {x.shape}"
        )
    return x


def check_grad_output(grad_output, expected_shape) -> np.ndarray:
    """Convert ``grad_output`` and require the forward's output shape."""
    grad_output = as_network_array(grad_output, "grad_output")
    check_shape(grad_output, expected_shape, "grad_output")
    return grad_output


def sliding_axes(x, kernel_size, stride, padding, dilation, ceil_mode) -> tuple:
    """Validate the arguments of a sliding-window pooling; one :class:`Axis` per spatial axis.

    Raises what torch raises, with messages that name the argument and the value.
    """
    nd = x.ndim - 2
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else ntuple(stride, nd, "stride")
    p = ntuple(padding, nd, "padding", minimum=0)
    d = ntuple(dilation, nd, "dilation")
    ceil_mode = check_bool(ceil_mode, "ceil_mode")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(
            f"padding must be at most half of kernel_size in each dimension "
            f"(padding <= kernel_size // 2), got padding={p} with kernel_size={k}"
        )
    out = output_size(x.shape[2:], k, s, [(pi, pi) for pi in p], d, ceil_mode,
                      kernel_name="kernel_size", input_shape=x.shape)
    axes = []
    for n, ki, si, pi, di, oi in zip(x.shape[2:], k, s, p, d, out):
        # a ceil_mode window may run past the right padding: pad enough to hold it
        need = (oi - 1) * si + di * (ki - 1) + 1
        axes.append(Axis(n, np.arange(oi) * si - pi, ki, di, np.full(oi, ki), (pi, max(pi, need - n - pi)), si))
    return tuple(axes)


def adaptive_axes(x, output_size) -> tuple:
    """Validate ``output_size`` of an adaptive pooling; one :class:`Axis` per spatial axis.

    As torch: an int, or a sequence with one int or ``None`` (keep the input
    size) per axis; a size of 0 gives an empty output, as torch.  Bin ``o`` of ``out`` covers
    ``[floor(o L / out), ceil((o + 1) L / out))``.
    """
    nd = x.ndim - 2
    text = f"output_size must be an int or a sequence of {nd} ints or None, got {_describe(output_size)}"
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise ValueError(text)
        items = list(output_size)
    elif output_size is None:
        raise TypeError(text)
    else:
        items = [output_size] * nd
    out = []
    for item, n in zip(items, x.shape[2:]):
        if item is None:
            out.append(n)
            continue
        try:
            out.append(check_int(item, "output_size", minimum=0))
        except TypeError:
            raise TypeError(text) from None
        except ValueError:
            raise ValueError(f"output_size must be >= 0 in every dimension, got {_describe(output_size)}") from None
    axes = []
    for n, o in zip(x.shape[2:], out):
        if o and n % o == 0:
            # equal bins side by side are sliding windows: the strided-view path, no gathers
            k = n // o
            axes.append(Axis(n, np.arange(o) * k, k, 1, np.full(o, k), (0, 0), k))
            continue
        starts = np.arange(o) * n // o
        ends = -(-(np.arange(o) + 1) * n // o)
        counts = ends - starts
        axes.append(Axis(n, starts, int(counts.max(initial=0)), 1, counts, None, None))
    return tuple(axes)


def out_shape(x, axes) -> tuple:
    """(N, C, O_1, ..., O_nd)."""
    return tuple(x.shape[:2]) + tuple(len(a.starts) for a in axes)


# --------------------------------------------------------------------------
# the vectorised core: one whole-array operation per window offset
# --------------------------------------------------------------------------

def _outer_and(masks):
    """The N-d mask ``m[o_1, ..., o_nd] = masks[0][o_1] & ... & masks[-1][o_nd]``."""
    return functools.reduce(np.logical_and.outer, masks)


def _offsets(axes):
    """Every window offset ``(t_1, ..., t_nd)`` in row-major order."""
    return list(np.ndindex(*(a.taps for a in axes)))


def _sliding_index(t, axes):
    """Index of the padded input holding offset ``t`` of every sliding window."""
    return (Ellipsis,) + tuple(
        slice(ti * a.step, ti * a.step + a.stride * (len(a.starts) - 1) + 1, a.stride)
        for ti, a in zip(t, axes))


def _slabs(x, axes, fill):
    """For each offset ``t`` (row-major), the (N, C, O...) values of every window's tap ``t``.

    Taps outside their window (in the padding, past an adaptive bin) hold
    ``fill``.  Sliding windows read strided views of the padded input (no
    copy); adaptive windows gather their taps.
    """
    if all(a.pad is not None for a in axes):     # sliding windows on every axis
        xp = pad_spatial(x, [a.pad for a in axes], value=fill)
        return [xp[_sliding_index(t, axes)] for t in _offsets(axes)]
    positions = [np.minimum(a.positions, a.size - 1) for a in axes]
    inside = [a.inside for a in axes]
    slabs = []
    for t in _offsets(axes):
        grid = np.ix_(*(pos[:, ti] for pos, ti in zip(positions, t)))
        slab = x[(slice(None), slice(None)) + grid]
        mask = _outer_and([m[:, ti] for m, ti in zip(inside, t)])
        slabs.append(slab if mask.all() else np.where(mask, slab, fill))
    return slabs


def _tiling(axes) -> bool:
    """Whether the windows tile the input exactly: side by side, no padding, no dilation.

    Then every window is a block of the input, and a reduction over the last
    axis of :func:`_tiles` does in one call what the loop over offsets does in
    ``taps`` calls (2x2 max pooling, global and evenly divided adaptive pooling).
    """
    return all(a.pad == (0, 0) and a.stride == a.taps and a.step == 1
               and len(a.starts) * a.taps == a.size for a in axes)


def _tiles(x, axes):
    """(N, C, O_1, ..., O_nd, K): the windows of a tiling, each flattened row-major."""
    nd = len(axes)
    split = x.reshape(x.shape[:2] + tuple(v for a in axes for v in (len(a.starts), a.taps)))
    order = (0, 1) + tuple(2 + 2 * i for i in range(nd)) + tuple(3 + 2 * i for i in range(nd))
    return split.transpose(order).reshape(
        x.shape[:2] + tuple(len(a.starts) for a in axes) + (math.prod(a.taps for a in axes),))


def _untile(tiles, x_shape, axes):
    """Inverse of :func:`_tiles`: (N, C, O..., K) back to the input's layout."""
    nd = len(axes)
    split = tiles.reshape(tuple(x_shape[:2]) + tuple(len(a.starts) for a in axes)
                          + tuple(a.taps for a in axes))
    order = (0, 1) + tuple(v for i in range(nd) for v in (2 + i, 2 + nd + i))
    return split.transpose(order).reshape(x_shape)


def _flat_index(axes, offsets):
    """Flat input index (into the D*H*W plane) of tap ``offsets`` (per axis arrays) of every window."""
    index = 0
    plane = 1
    nd = len(axes)
    for axis in reversed(range(nd)):
        a = axes[axis]
        start = a.starts.reshape((-1,) + (1,) * (nd - 1 - axis))
        index = index + (start + offsets[axis] * a.step) * plane
        plane *= a.size
    return index


def max_pool(x, axes, with_index: bool):
    """Each window's maximum, and with ``with_index`` torch's flat index of it.

    torch scans a window in row-major order and moves to an element when it
    is strictly larger than the best so far or is NaN: ties keep the first
    maximum, several NaNs the last, and an all ``-inf`` window (or one wholly
    in the padding, which gives ``-inf``) keeps its first tap.
    """
    if 0 in out_shape(x, axes):                     # an adaptive output of size 0, as torch
        empty = np.empty(out_shape(x, axes), dtype=x.dtype)
        return (empty, empty.astype(np.int64)) if with_index else empty
    kernel = tuple(a.taps for a in axes)
    if _tiling(axes):                               # one reduction over each block
        tiles = _tiles(x, axes)
        values = tiles.max(axis=-1)
        if not with_index:
            return values
        arg = tiles.argmax(axis=-1)                 # the first maximum (or first NaN)
        nan = np.isnan(values)
        if nan.any():                               # torch reports the last NaN
            last = tiles.shape[-1] - 1 - np.isnan(tiles[..., ::-1]).argmax(axis=-1)
            arg = np.where(nan, last, arg)
        return values, _flat_index(axes, np.unravel_index(arg, kernel)).astype(np.int64)
    slabs = _slabs(x, axes, -np.inf)
    values = slabs[0].copy()
    for slab in slabs[1:]:
        np.maximum(values, slab, out=values)       # NaN propagates
    if not with_index:
        return values
    arg = np.zeros(values.shape, dtype=np.intp)
    for t in reversed(range(len(slabs))):          # first equal wins
        np.copyto(arg, t, where=slabs[t] == values)
    if np.isnan(values).any():                      # last NaN wins
        for t, slab in enumerate(slabs):
            np.copyto(arg, t, where=np.isnan(slab))
    empty = values == -np.inf
    if empty.any():
        first = np.ravel_multi_index(np.meshgrid(*(a.first_tap for a in axes), indexing="ij"),
                                     tuple(a.taps for a in axes))
        arg = np.where(empty, first, arg)
    return values, _flat_index(axes, np.unravel_index(arg, kernel)).astype(np.int64)


def max_pool_backward(grad_output, x, axes, dtype):
    """Route each window's gradient to its maximum (torch's index); windows in the padding send nothing."""
    _, index = max_pool(x, axes, with_index=True)
    n, c = x.shape[:2]
    plane = math.prod(x.shape[2:])
    flat = index + (np.arange(n * c) * plane).reshape((n, c) + (1,) * len(axes))
    reachable = np.broadcast_to(_outer_and([a.inside.any(axis=1) for a in axes]), index.shape)
    grad = np.bincount(flat[reachable], weights=grad_output[reachable].astype(np.float64),
                       minlength=n * c * plane)
    return grad.astype(dtype).reshape(x.shape)


def _divisor(axes, count_include_pad, divisor_override):
    """The (O_1, ..., O_nd) divisor of an average pooling, as torch computes it.

    A sliding window spans ``[start, start + k)`` clipped to the padded input
    ``[-p, L + p)`` (a ceil_mode window that runs off the end is shortened even
    with ``count_include_pad``); without ``count_include_pad`` only its part
    inside ``[0, L)`` counts.  An adaptive bin divides by its length.
    """
    if divisor_override is not None:
        return np.full(tuple(len(a.starts) for a in axes), divisor_override)
    per_axis = []
    for a in axes:
        if a.pad is None:
            per_axis.append(a.counts)
            continue
        end = np.minimum(a.starts + a.taps, a.size + a.pad[0])
        if count_include_pad:
            per_axis.append(end - a.starts)
        else:
            per_axis.append(np.minimum(end, a.size) - np.maximum(a.starts, 0))
    return functools.reduce(np.multiply.outer, per_axis)


def avg_pool(x, axes, count_include_pad=True, divisor_override=None):
    """Each window's sum over its taps inside the input, divided by torch's divisor."""
    if 0 in out_shape(x, axes):                     # an adaptive output of size 0, as torch
        return np.empty(out_shape(x, axes), dtype=x.dtype)
    if _tiling(axes):
        total = _tiles(x, axes).sum(axis=-1)
    else:
        slabs = _slabs(x, axes, 0)
        total = slabs[0].copy()
        for slab in slabs[1:]:
            total += slab
    return total / _divisor(axes, count_include_pad, divisor_override).astype(x.dtype)


def avg_pool_backward(grad_output, x, axes, dtype, count_include_pad=True, divisor_override=None):
    """Share each window's gradient equally (``/ divisor``) among its taps inside the input."""
    share = grad_output.astype(dtype, copy=False) / _divisor(
        axes, count_include_pad, divisor_override).astype(dtype)
    if _tiling(axes):                         # each block gets its window's share
        kernel = math.prod(a.taps for a in axes)
        return _untile(np.broadcast_to(share[..., None], share.shape + (kernel,)), x.shape, axes)
    if all(a.pad is not None for a in axes):  # sliding windows: one strided add per offset
        padded = tuple(a.size + a.pad[0] + a.pad[1] for a in axes)
        grad = np.zeros(tuple(x.shape[:2]) + padded, dtype=dtype)
        for t in _offsets(axes):
            grad[_sliding_index(t, axes)] += share
        return grad[(Ellipsis,) + tuple(slice(a.pad[0], a.pad[0] + a.size) for a in axes)].copy()
    grad = np.zeros(x.shape, dtype=dtype)    # adaptive bins: add where each tap reads
    positions = [np.minimum(a.positions, a.size - 1) for a in axes]
    inside = [a.inside for a in axes]
    zero = np.zeros((), dtype=dtype)
    for t in _offsets(axes):
        grid = np.ix_(*(pos[:, ti] for pos, ti in zip(positions, t)))
        mask = _outer_and([m[:, ti] for m, ti in zip(inside, t)])
        np.add.at(grad, (slice(None), slice(None)) + grid, np.where(mask, share, zero))
    return grad


# --------------------------------------------------------------------------
# the loop versions (the *_naive functions)
# --------------------------------------------------------------------------

def _window_positions(axes, o):
    """The input positions of window ``o``'s taps that belong to it and lie in the input, row-major."""
    per_axis = []
    for a, oi in zip(axes, o):
        taps = (int(a.starts[oi]) + t * a.step for t in range(int(a.counts[oi])))
        per_axis.append([p for p in taps if 0 <= p < a.size])   # skip the padding
    return list(itertools.product(*per_axis))


def _loop_argmax(plane, positions):
    """torch's maximum of ``plane`` over ``positions``: first strictly larger, or any NaN."""
    best, best_pos = None, None
    for pos in positions:
        value = plane[pos]
        if best is None or value > best or np.isnan(value):
            best, best_pos = value, pos
    return best, best_pos


def max_pool_loops(x, axes):
    """Values and flat indices of the maximum of every window, one window at a time."""
    shape = out_shape(x, axes)
    values = np.empty(shape, dtype=x.dtype)
    indices = np.empty(shape, dtype=np.int64)
    strides = [math.prod(x.shape[3 + d:]) for d in range(len(axes))]
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*shape[2:]):
            best, pos = _loop_argmax(x[n, c], _window_positions(axes, o))
            if best is None:
                # the window lies wholly in the padding: -inf, and torch's index
                # of its first tap at or after position 0 (outside the input)
                best = -np.inf
                pos = tuple(a.starts[oi] + a.first_tap[oi] * a.step for a, oi in zip(axes, o))
            values[(n, c) + o] = best
            indices[(n, c) + o] = sum(p * st for p, st in zip(pos, strides))
    return values, indices


def max_pool_backward_loops(grad_output, x, axes, dtype):
    """Add each window's gradient to its maximum, one window at a time."""
    grad = np.zeros(x.shape, dtype=dtype)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*grad_output.shape[2:]):
            _, pos = _loop_argmax(x[n, c], _window_positions(axes, o))
            if pos is not None:               # a window in the padding has no input to send to
                grad[(n, c) + pos] += grad_output[(n, c) + o]
    return grad


def _loop_divisor(axes, o, count, count_include_pad, divisor_override):
    """Window ``o``'s divisor: torch's rule (see :func:`_divisor`), for one window."""
    if divisor_override is not None:
        return divisor_override
    if not count_include_pad:
        return count
    size = 1
    for a, oi in zip(axes, o):
        start, pad = a.starts[oi], (0 if a.pad is None else a.pad[0])
        size *= min(start + a.counts[oi], a.size + pad) - start
    return size


def avg_pool_loops(x, axes, count_include_pad=True, divisor_override=None):
    """The average of every window, one window at a time."""
    shape = out_shape(x, axes)
    out = np.empty(shape, dtype=x.dtype)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*shape[2:]):
            positions = _window_positions(axes, o)
            total = sum((x[(n, c) + pos] for pos in positions), x.dtype.type(0))
            out[(n, c) + o] = total / _loop_divisor(axes, o, len(positions), count_include_pad,
                                                    divisor_override)
    return out


def avg_pool_backward_loops(grad_output, x, axes, dtype, count_include_pad=True, divisor_override=None):
    """Share each window's gradient among its inputs, one window at a time."""
    grad = np.zeros(x.shape, dtype=dtype)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*grad_output.shape[2:]):
            positions = _window_positions(axes, o)
            divisor = _loop_divisor(axes, o, len(positions), count_include_pad, divisor_override)
            for pos in positions:
                grad[(n, c) + pos] += grad_output[(n, c) + o] / divisor
    return grad
