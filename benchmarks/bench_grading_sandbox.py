"""Seconds to grade one submission with and without the sandbox and the judge.

Grades one submission of the sample class (default: ``ada``'s full-marks
01-convolution) three ways, ``--jobs 1``: plain nbgrader kernels and no judge;
sandboxed kernels, no judge; sandboxed kernels and the judge (the default).
The three are interleaved (round 1 of each, round 2 of each, ...) so that a
change in the machine's load hits all three alike; the first round warms the
caches and is dropped; the figure is the median of the other rounds.

Run: ``.venv/bin/python benchmarks/bench_grading_sandbox.py [student] [assignment] [rounds]``.
"""

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from convcourse.course.grade import grade

ROOT = Path(__file__).resolve().parents[1]
WAYS = (("plain kernel, no judge", dict(sandbox=False, judge=False)),
        ("sandboxed kernel, no judge", dict(sandbox=True, judge=False)),
        ("sandboxed kernel + judge", dict(sandbox=True, judge=True)))


def main(student="ada", assignment="01-convolution", rounds=6):
    rounds = int(rounds)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    subs = tmp / "subs" / student / assignment
    shutil.copytree(ROOT / "examples" / "sample-class" / "submitted" / student / assignment, subs)
    per = {label: [] for label, _ in WAYS}
    judge = []
    scores = {}
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    for r in range(rounds):
        for label, kwargs in WAYS:
            result = grade(tmp / "subs", output=tmp / "out", jobs=1, demo=True, course=ROOT,
                           echo=lambda *a: None, **kwargs)
            seconds = list(result["timings"].values())[0]
            scores.setdefault(label, result["grades"][0]["score"])
            if r > 0:
                per[label].append(seconds)
                if kwargs["judge"]:
                    judge.append(list(result["judge_timings"].values())[0])
            print(f"round {r + 1}  {label:28s} {seconds:5.1f} s  score {result['grades'][0]['score']}"
                  f"  load {os.getloadavg()[0]:.2f}", flush=True)
    base = statistics.median(per[WAYS[0][0]])
    print(f"\nmedians of rounds 2..{rounds} (seconds per submission):")
    for label, _ in WAYS:
        med = statistics.median(per[label])
        print(f"  {label:28s} {med:5.1f} s  {100 * (med / base - 1):+4.0f}%  score {scores[label]}")
    if judge:
        print(f"  the judge's own part: median {statistics.median(judge):.1f} s")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
