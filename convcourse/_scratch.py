"""Work arrays that a thread reuses from one call to the next.

Why
---
A Winograd chunk needs tens of megabytes of temporaries (the tiles, their
transforms, the products).  Allocated afresh on every call, they come from
glibc's ``mmap`` or from a heap top it has just trimmed, so the kernel maps
and zeroes every page again on first touch: measured on the float64
ResNet-like layer (8x64x56x56, 2026-12-03), 2,300 page faults and 7 to 15 ms
of system time per 57 ms call on two threads, 13,000 faults per call on one.
oneDNN keeps a "scratchpad" for the same reason.  Each thread (the caller's
and the pool's) keeps its arrays by name, up to :data:`LIMIT` bytes in all;
a larger request is served as before and not kept.

Rules for callers: a slot is the caller's until it returns (no nested use of
the same slot on one thread), and nothing taken from here may be returned to
the user.
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = ["LIMIT", "scratch", "release"]

LIMIT = 64 << 20  # bytes kept per thread
_LOCAL = threading.local()


def scratch(slot: str, shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, this thread's ``slot``."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    buffers = _LOCAL.__dict__.setdefault("buffers", {})
    buf = buffers.get(slot)
    if buf is None or buf.nbytes < size:
        buffers.pop(slot, None)
        buf = np.empty(max(size, 1), np.uint8)
        if size + sum(b.nbytes for b in buffers.values()) <= LIMIT:
            buffers[slot] = buf
    return buf[:size].view(dtype).reshape(shape)


def release() -> None:
    """Drop this thread's arrays (the tests use it; memory of other threads stays)."""
    _LOCAL.__dict__.pop("buffers", None)
