"""Per-thread work arrays (convcourse._scratch): reused, bounded, never shared between threads."""

import threading

import numpy as np
import pytest

from convcourse import _scratch
from convcourse._scratch import scratch


@pytest.fixture(autouse=True)
def fresh():
    _scratch.release()
    yield
    _scratch.release()


def test_a_slot_is_reused_while_it_fits_and_grows_when_it_does_not():
    a = scratch("s", (4, 5), np.float64)
    assert a.shape == (4, 5) and a.dtype == np.float64 and a.flags.c_contiguous
    b = scratch("s", (2, 3), np.float32)  # smaller: the same memory
    assert np.shares_memory(a, b)
    c = scratch("s", (100, 100), np.float64)  # larger: a new array, kept from now on
    assert not np.shares_memory(a, c)
    assert np.shares_memory(c, scratch("s", (10, 10), np.float64))
    assert not np.shares_memory(c, scratch("other", (10, 10), np.float64))  # slots are apart


def test_requests_beyond_the_limit_are_served_but_not_kept(monkeypatch):
    monkeypatch.setattr(_scratch, "LIMIT", 1000)
    kept = scratch("small", (100,), np.float64)  # 800 bytes
    big = scratch("big", (50,), np.float64)  # 400 more would pass the limit
    assert big.shape == (50,)
    assert not np.shares_memory(big, scratch("big", (50,), np.float64))
    assert np.shares_memory(kept, scratch("small", (100,), np.float64))


def test_threads_never_share_a_slot():
    arrays = []

    def take():
        arrays.append(scratch("s", (64,), np.float32))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mine = scratch("s", (64,), np.float32)
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays + [mine])
                   for b in (arrays + [mine])[i + 1:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_after_garbage_in_its_work_arrays_and_other_paddings(dtype, rng, monkeypatch):
    """A reused padded buffer must get its border zeroed again, whatever the last call left there."""
    import convcourse.conv as conv
    from convcourse.conv import conv2d, conv2d_naive

    monkeypatch.setattr(conv, "_WINOGRAD_TILES", 1)
    monkeypatch.setattr(conv, "_PARALLEL_FLOPS", float("inf"))  # on this thread, whose slots we poison
    x = rng.standard_normal((2, 16, 10, 9)).astype(dtype)
    weight = rng.standard_normal((16, 16, 3, 3)).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-3) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for padding in [2, 0, (1, 0), "same", 1]:
        for slot in ("winograd.xp", "winograd.rows", "winograd.r", "winograd.v", "winograd.prod",
                     "winograd.y"):
            scratch(slot, (1 << 16,), dtype)[:] = 7.0  # finite: NaN would send the chunk to the direct path
        assert conv._algorithm(*_parsed(conv, x, weight, padding)) == "winograd"
        np.testing.assert_allclose(conv2d(x, weight, padding=padding),
                                   conv2d_naive(x.astype(np.float64), weight.astype(np.float64),
                                                padding=padding), **tol, err_msg=str(padding))


def _parsed(conv, x, weight, padding):
    (x, weight, _, _), spec = conv._parse(x, weight, None, 1, padding, 1, 1, 2)
    return x, weight, spec
