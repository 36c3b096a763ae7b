"""Seconds of the judge per notebook, and a digest of what it decided.

Calls :func:`convcourse.course.judge.judge_notebook` directly on the sample
class's submissions (the instructor's notebook from ``solutions/``, the seeds
the grader would derive with the public demo secret, the judge's workers in the
sandbox of a grading task where bubblewrap works), each notebook in turn, in one
process (as a grading job judges many), ``rounds`` times.  Prints per
notebook the seconds of each round and a digest of the judge's verdicts,
load errors, refusals and worker count: a change that makes the judge faster
must leave every digest as it was.

Run: ``.venv/bin/python benchmarks/bench_judge.py [--students ada,flipper]
[--assignments 01-convolution] [--rounds 1] [--dump verdicts.json]``
(``PYTHONPATH=OTHER_CHECKOUT`` measures another checkout with this script).
"""

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import time
from pathlib import Path

import nbformat

from convcourse.course.judge import judge_notebook, notebook_seeds
from convcourse.course.sandbox import POLICY, sandbox_available
from convcourse.grading._cases import PUBLIC_SECRET

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "examples" / "sample-class" / "submitted"


def record(result) -> dict:
    """What the judge decided about one notebook, as plain data (no timing)."""
    return {"verdicts": {g: dataclasses.asdict(v) for g, v in result["verdicts"].items()},
            "not_judged": result["not_judged"], "load_errors": result["load_errors"],
            "refused": result["refused"], "workers": result["workers"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default=",".join(sorted(os.listdir(CLASS))))
    parser.add_argument("--assignments", default=",".join(sorted(os.listdir(ROOT / "solutions"))))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dump", help="write every notebook's record (JSON) here")
    args = parser.parse_args(argv)
    sandbox = POLICY.task_configs(POLICY.first_uid)[1] if sandbox_available() else None
    print(f"load before: {os.getloadavg()[0]:.2f}; sandbox: {sandbox is not None}", flush=True)
    records, medians = {}, {}
    for assignment in args.assignments.split(","):
        source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb",
                               as_version=4)
        for student in args.students.split(","):
            path = CLASS / student / assignment / f"{assignment}.ipynb"
            if not path.is_file():
                continue
            nb = nbformat.read(path, as_version=4)
            seeds = notebook_seeds(nb, PUBLIC_SECRET, student, assignment, assignment)
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                result = judge_notebook(source, nb, student=student, assignment=assignment,
                                        notebook=assignment, seeds=seeds, sandbox=sandbox,
                                        files_from=path.parent, timeout=60)
                times.append(time.perf_counter() - start)
            rec = record(result)
            records[f"{student}/{assignment}"] = rec
            medians.setdefault(assignment, []).append(statistics.median(times))
            digest = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:12]
            print(f"{assignment:16s} {student:9s} workers={rec['workers']} "
                  + " ".join(f"{t:.2f}" for t in times) + f" s  digest={digest}", flush=True)
    for assignment, values in medians.items():
        print(f"median {assignment:16s} {statistics.median(values):.2f} s "
              f"({len(values)} notebooks)")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.dump:
        Path(args.dump).write_text(json.dumps(records, sort_keys=True, indent=1))


if __name__ == "__main__":
    main()
