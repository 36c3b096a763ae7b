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
