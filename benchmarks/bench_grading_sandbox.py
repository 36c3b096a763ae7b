"""Seconds to grade one submission with and without the sandbox and the judge.

Grades the sample class's full-marks submission of 01-convolution (``ada``) three
ways, ``--jobs 1``, each twice (the second run counts: warm caches):
plain nbgrader kernels and no judge; sandboxed kernels, no judge; sandboxed
kernels and the judge (the default).  Run: ``.venv/bin/python benchmarks/bench_grading_sandbox.py``.
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

from convcourse.course.grade import grade

ROOT = Path(__file__).resolve().parents[1]


def main(student="ada", assignment="01-convolution"):
    tmp = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    subs = tmp / "subs" / student / assignment
    shutil.copytree(ROOT / "examples" / "sample-class" / "submitted" / student / assignment, subs)
    rows = []
    for label, kwargs in (("plain kernel, no judge", dict(sandbox=False, judge=False)),
                          ("sandboxed kernel, no judge", dict(sandbox=True, judge=False)),
                          ("sandboxed kernel + judge", dict(sandbox=True, judge=True))):
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            result = grade(tmp / "subs", output=tmp / "out", jobs=1, demo=True, course=ROOT,
                           echo=lambda *a: None, **kwargs)
            seconds.append(time.perf_counter() - start)
        score = result["grades"][0]["score"]
        per = list(result["timings"].values())[0]
        rows.append((label, seconds[-1], per, score))
        print(f"{label:28s} run {seconds[-1]:5.1f} s   submission {per:5.1f} s   score {score}",
              flush=True)
    base = rows[0][2]
    for label, _, per, _ in rows[1:]:
        print(f"{label}: {100 * (per / base - 1):+.0f}% per submission")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
