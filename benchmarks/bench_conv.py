"""Time ``convcourse.conv.conv2d`` and ``conv2d_backward`` against torch on the CPU.

Run from the repository root (see ``benchmarks/README.md``)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_conv.py

Both libraries run in this one process with the same number of threads
(torch's set to numpy's BLAS threads).  Each round times every contender once,
in turn, so a change in machine load hits all of them alike; the table reports
medians over the rounds and writes itself into ``benchmarks/README.md``
between the ``results`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from convcourse.conv import conv2d, conv2d_backward  # noqa: E402

README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"

# name, (N, C, K, H, W), dtype, what, goal (ours / torch at most)
CASES = [
    ("ResNet-like layer", (8, 64, 64, 56, 56), np.float32, "forward", 1.0),
    ("ResNet-like layer", (8, 64, 64, 56, 56), np.float32, "forward + 3 gradients", 1.2),
    ("ResNet-like layer", (8, 64, 64, 56, 56), np.float64, "forward", 0.5),
    ("first layer", (8, 3, 16, 64, 64), np.float32, "forward", 2.0),
    ("first layer", (8, 3, 16, 64, 64), np.float32, "forward + 3 gradients", None),
]


def blas_threads() -> tuple[int, str]:
    """numpy's BLAS thread count and library name (threadpoolctl if available)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1, "unknown BLAS (threadpoolctl not installed)"
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info["num_threads"], f"{info['internal_api']} {info.get('version')} ({info.get('architecture')})"
    return os.cpu_count() or 1, "unknown BLAS"


def contenders(shape, dtype, what, torch):
    """Two zero-argument callables (ours, torch's) doing the same work."""
    n, c, k, h, w = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(dtype)
    bias = rng.standard_normal(k).astype(dtype)
    grad_out = rng.standard_normal((n, k, h, w)).astype(dtype)
    tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, weight, bias, grad_out))

    if what == "forward":
        def ours():
            return conv2d(x, weight, bias, padding=1)

        def theirs():
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, tb, padding=1)
        check = [(ours(), theirs().numpy())]
    else:
        tx.requires_grad_(True)
        tw.requires_grad_(True)
        tb.requires_grad_(True)

        def ours():
            out = conv2d(x, weight, bias, padding=1)
            return (out,) + conv2d_backward(grad_out, x, weight, padding=1)

        def theirs():
            tx.grad = tw.grad = tb.grad = None
            out = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
            out.backward(tg)
            return out.detach(), tx.grad, tw.grad, tb.grad
        check = list(zip(ours(), (t.numpy() for t in theirs())))
    tol = 1e-3 if dtype == np.float32 else 1e-9
    for a, b in check:  # a benchmark of a wrong answer is worthless
        scale = max(1.0, float(np.abs(b).max()))
        if not np.allclose(a, b, rtol=tol, atol=tol * scale):
            raise SystemExit(f"results differ from torch: max error {np.abs(a - b).max()}")
    return ours, theirs


SETTLE, CALLS = 0.02, 3  # per contender and round: seconds of untimed calls, then timed calls


def measure(ours, theirs, rounds: int, clock=time.perf_counter, warmup: int = 2, calls: int = CALLS,
            settle: float = SETTLE):
    """Median time of one call of each contender over interleaved rounds.

    Each round gives each contender, in turn, untimed calls for ``settle``
    seconds (at least one) and then ``calls`` timed ones.  The untimed calls are
    not a warm-up of the code (``warmup`` rounds do that) but of the machine:
    after torch returns, its OpenMP worker threads keep spinning on the other
    core for a few milliseconds (libgomp's default spin before sleeping),
    waiting for more work, and whatever runs next meets one free core instead
    of two.  A program that uses one of the two libraries never meets that.
    Measured idle on 2026-12-03: the ResNet-like float32 forward took 1.19x
    torch's time when timed right after torch's call and 1.01x after 10 ms; the
    first layer (a 1.4 ms call) 2.8x when one untimed call of ours came
    between torch's and the timed ones, 2.0x after 20 ms of them.  Our thread pool's
    threads sleep as soon as their work is done, so torch is not slowed by us.
    """
    times = {"ours": [], "torch": []}
    for r in range(warmup + rounds):
        for name, fn in (("ours", ours), ("torch", theirs)):
            until = time.perf_counter() + settle
            fn()
            while time.perf_counter() < until:
                fn()
            for _ in range(calls):
                start = clock()
                fn()
                elapsed = clock() - start
                if r >= warmup:
                    times[name].append(elapsed)
    return {name: float(np.median(v)) for name, v in times.items()}


def single_thread_cpu(ours, theirs, rounds, torch):
    """CPU time with one thread each: the work done, whatever else runs on the machine."""
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1, user_api="blas"):
            return measure(ours, theirs, rounds, clock=time.process_time)
    finally:
        torch.set_num_threads(threads)


def gemm_gflops(rounds: int = 5, n: int = 1024) -> tuple[float, float]:
    """numpy's own float32 GEMM rate, (1 thread in CPU time, all threads in wall time), GFLOP/s.

    The limit for any BLAS-based convolution here: the direct path's products
    run near the first figure, Winograd does 4x fewer of them.
    """
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(1).standard_normal((n, n)).astype(np.float32)
    flops = 2 * n ** 3
    with threadpool_limits(1, user_api="blas"):
        one = min(_timed(lambda: a @ a, time.process_time) for _ in range(rounds))
    every = min(_timed(lambda: a @ a, time.perf_counter) for _ in range(rounds))
    return flops / one / 1e9, flops / every / 1e9


def _timed(fn, clock):
    start = clock()
    fn()
    return clock() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help=f"interleaved rounds per case (each: {SETTLE * 1e3:.0f} ms untimed, "
                             f"then {CALLS} timed calls)")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)

    import torch

    threads, blas = blas_threads()
    torch.set_num_threads(threads)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"warning: {var}={os.environ[var]} is set; it slows numpy's BLAS "
                  "(run with env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)", file=sys.stderr)

    load_before = os.getloadavg()[0]
    gflops_one, gflops_all = gemm_gflops()
    print(f"numpy float32 GEMM: {gflops_one:.0f} GFLOP/s on 1 thread (CPU time), "
          f"{gflops_all:.0f} with {threads} thread(s) (wall)", flush=True)
    rows = []
    for name, shape, dtype, what, goal in CASES:
        ours, theirs = contenders(shape, dtype, what, torch)
        t = measure(ours, theirs, args.rounds)
        cpu = single_thread_cpu(ours, theirs, args.rounds, torch)
        ratio, cpu_ratio = t["ours"] / t["torch"], cpu["ours"] / cpu["torch"]
        verdict = "" if goal is None else ("yes" if ratio <= goal else "**no**")
        n, c, k, h, w = shape
        rows.append(
            f"| {name} | N={n} C={c} K={k} {h}×{w} | {np.dtype(dtype).name} | {what} | "
            f"{1e3 * t['ours']:.1f} | {1e3 * t['torch']:.1f} | {ratio:.2f}× | "
            f"{'—' if goal is None else f'≤ {goal:.1f}×'} | {verdict or '—'} | "
            f"{1e3 * cpu['ours']:.1f} | {1e3 * cpu['torch']:.1f} | {cpu_ratio:.2f}× |"
        )
        print(rows[-1], flush=True)
    load_after = os.getloadavg()[0]

    table = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} CPUs, "
        f"{threads} thread(s) for both libraries; numpy {np.__version__} ({blas}), "
        f"torch {torch.__version__}. Medians over {args.rounds} interleaved rounds (each contender: "
        f"{SETTLE * 1e3:.0f} ms untimed, then {CALLS} timed calls; see `measure`), 3×3 kernels, "
        "padding 1, stride 1. "
        f"1-minute load average {load_before:.1f} before, {load_after:.1f} after"
        + (" (measured while other jobs used the CPU)." if load_before > 0.5
           else " (the load after is the benchmark's own threads)."),
        f"The limit: numpy's own float32 GEMM (1024×1024 by 1024×1024) ran at {gflops_one:.0f} GFLOP/s "
        f"on one thread (CPU time) and {gflops_all:.0f} GFLOP/s with {threads} thread(s) (wall clock) "
        "in this run.",
        "",
        "",
        "The first ratio is wall-clock time with all threads; the last three columns are",
        "CPU time with one thread each (the work done, which load barely affects).",
        "",
        "| layer | shape | dtype | work | convcourse ms | torch ms | ratio | goal | met "
        "| 1-thread CPU ms, convcourse | torch | ratio |",
        "|---|---|---|---|---:|---:|---:|---|---|---:|---:|---:|",
        *rows,
    ])
    if not args.no_write:
        text = README.read_text()
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
        print(f"wrote {README}")


if __name__ == "__main__":
    main()
