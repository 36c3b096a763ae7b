"""Where a graded notebook's seconds go, against plain nbgrader, and notebooks a minute.

Issue 11 §2.  Two measurements, in one process, on the sample class:

1. **Breakdown** (``--jobs 1``): every ordinary submission of the sample class (``ada`` and
   the four mistake students: 30 notebooks; not ``stub``, ``crasher``, ``looper``) graded by
   ``convcourse grade`` (sandboxed kernel, judge, feedback), and the same notebooks graded
   by **plain nbgrader** (``NbGraderAPI.autograde``: nbgrader's own executor, no sandbox,
   no judge, no feedback) in the same run, interleaved by assignment so that the machine's
   load hits both alike.  Each graded notebook is split into phases read from its log and
   its autograded notebook's cell timings: set-up, kernel start, the import cell, the cells
   that draw (pictures, animations; some run the student's functions on the photo to draw
   them), the check cells, the other cells, the judge, the feedback page.
2. **Throughput** (``--jobs 2``): a synthetic class of ``--students`` students, each handing
   in one of the ordinary submissions of each assignment (round robin), graded end to end;
   notebooks a minute, start-up and tables included.

Run: ``.venv/bin/python benchmarks/bench_grading_throughput.py [--students 60] [--skip-class]``
on an idle machine (``uptime`` first).  The pictures of the instructor's notebooks are
recorded once (``course/pictures.py``) by the first run after the package changes: the
benchmark records them first, in both languages, and prints how long that took (the
breakdown's runs grade fewer submissions per language than a run records for);
``--cold`` leaves that to the runs.  It prints the tables that ``benchmarks/README.md``
records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from convcourse.course.grade import grade

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample-class" / "submitted"
ORDINARY = ("ada", "flipper", "offbyone", "squared", "strider")
PHASES = ("set-up", "kernel start", "imports", "drawing cells", "checks", "other cells",
          "after the cells", "judge", "feedback")
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ (.*)$")


def _when(text: str) -> float:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").replace(
        tzinfo=dt.timezone.utc).timestamp()


def _iso(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def breakdown(log: Path, autograded: Path) -> dict:
    """One graded notebook's phases (seconds), from its log and its cells' timings."""
    events = [(_when(m[1]), m[2]) for m in map(_STAMP.match, log.read_text().splitlines()) if m]
    start = events[0][0]

    def after(index, test):
        """The first event after ``index`` that passes ``test``: (its index, its time)."""
        return next((i, t) for i, (t, msg) in enumerate(events) if i > index and test(msg))

    run, autograding = after(-1, lambda msg: msg.startswith("Autograding "))
    # nbgrader writes the autograded notebook once before running it and once after
    wrote, written = after(run, lambda msg: msg.startswith("Writing ") and "/autograded/" in msg)
    _, feedback_start = after(wrote, lambda msg: msg.startswith("Converting notebook ")
                              and "/autograded/" in msg)
    feedback_end = max(t for t, msg in events if msg.startswith("Writing ") and "/feedback/" in msg)
    nb = json.loads(autograded.read_text())
    phases = dict.fromkeys(PHASES, 0.0)
    first = last = None
    for cell in nb["cells"]:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell["cell_type"] != "code" or "iopub.execute_input" not in timing:
            continue
        a, b = _iso(timing["iopub.execute_input"]), _iso(timing["shell.execute_reply"])
        first = a if first is None else first
        last = b
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        outputs = cell.get("outputs", [])
        draws = any(o.get("output_type") in ("display_data", "execute_result")
                    and ({"image/png", "text/html"} & set(o.get("data", {}))) for o in outputs)
        if "import " in "".join(cell["source"]) and first == a:
            kind = "imports"
        elif grade_id.endswith(("_visible", "_hidden")) or grade_id.startswith("test_"):
            kind = "checks"
        elif draws and not grade_id:
            kind = "drawing cells"
        else:
            kind = "other cells"
        phases[kind] += b - a
    phases["set-up"] = autograding - start
    phases["kernel start"] = (first or written) - autograding
    phases["after the cells"] = written - (last or written)
    phases["judge"] = feedback_start - written
    phases["feedback"] = feedback_end - feedback_start
    phases["total"] = feedback_end - start
    return phases


def _copy_ordinary(dest: Path, students=ORDINARY) -> list[tuple[str, str]]:
    done = []
    for student in students:
        for folder in sorted((SAMPLE / student).iterdir()):
            shutil.copytree(folder, dest / student / folder.name)
            done.append((student, folder.name))
    return done


def plain_nbgrader(source: Path, submissions: Path, work: Path, pairs) -> dict:
    """Seconds of plain ``nbgrader autograde`` per (student, assignment), in this process."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work / "source")
    shutil.copytree(submissions, work / "submitted")
    config = Config()
    config.CourseDirectory.root = str(work)
    config.CourseDirectory.db_url = f"sqlite:///{work / 'gradebook.db'}"
    config.Exchange.root = str(work / "exchange")
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    seconds = {}
    for assignment in sorted({a for _, a in pairs}):
        api.generate_assignment(assignment, force=True)
    for student, assignment in pairs:
        t = time.perf_counter()
        result = api.autograde(assignment, student, force=True, create=True)
        seconds[(student, assignment)] = time.perf_counter() - t
        if not result["success"]:
            print(f"plain nbgrader failed on {student} {assignment}: {result['error'][-300:]}")
    return seconds


def measure_breakdown(tmp: Path, students=ORDINARY) -> None:
    subs = tmp / "subs"
    pairs = _copy_ordinary(subs, students)
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    ours_seconds, phases = {}, {}
    plain = {}
    for assignment in sorted({a for _, a in pairs}):
        one, out = tmp / "one" / assignment, tmp / "out" / assignment
        for student, a in pairs:
            if a == assignment:
                shutil.copytree(subs / student / a, one / student / a)
        said: list = []
        result = grade(one, output=out, jobs=1, demo=True, course=ROOT,
                       echo=lambda *a: said.append(" ".join(map(str, a))))
        for line in said:
            if "the pictures of" in line:  # before the notebooks: not in their seconds
                print(line, flush=True)
        for key, value in result["timings"].items():
            student = key.split("/")[0]
            ours_seconds[(student, assignment)] = value
            log = out / "logs" / f"{student}--{assignment}.log"
            nb = next((out / "autograded" / student / assignment).glob("*.ipynb"))
            phases[(student, assignment)] = breakdown(log, nb)
        mine = [p for p in pairs if p[1] == assignment]
        plain.update(plain_nbgrader(out / "source", one, tmp / "plain", mine))
        print(f"{assignment}: ours median {statistics.median(ours_seconds[k] for k in mine):.1f} s,"
              f" plain nbgrader {statistics.median(plain[k] for k in mine):.1f} s,"
              f" load {os.getloadavg()[0]:.2f}", flush=True)
    print("\nper assignment, medians over the ordinary submissions (seconds):")
    head = ["assignment", "plain nbgrader", "ours", "ratio"] + list(PHASES)
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for assignment in sorted({a for _, a in pairs}):
        keys = [k for k in phases if k[1] == assignment]
        row = [assignment, f"{statistics.median(plain[k] for k in keys):.1f}",
               f"{statistics.median(ours_seconds[k] for k in keys):.1f}",
               f"{statistics.median(ours_seconds[k] / plain[k] for k in keys):.2f}"]
        row += [f"{statistics.median(phases[k][p] for k in keys):.2f}" for p in PHASES]
        print("| " + " | ".join(row) + " |")
    every = list(ours_seconds)
    print(f"\nmedian notebook: ours {statistics.median(ours_seconds[k] for k in every):.1f} s, "
          f"plain nbgrader {statistics.median(plain[k] for k in every):.1f} s "
          f"(goal: ours <= 4 s); load after {os.getloadavg()[0]:.2f}")


def measure_class(tmp: Path, students: int, jobs: int) -> None:
    subs = tmp / "class"
    pool = {}
    for student in ORDINARY:
        for folder in sorted((SAMPLE / student).iterdir()):
            pool.setdefault(folder.name, []).append(folder)
    for i in range(students):
        for assignment, folders in pool.items():
            shutil.copytree(folders[i % len(folders)], subs / f"s{i + 1:03d}" / assignment)
    n = students * len(pool)
    print(f"\nsynthetic class: {students} students x {len(pool)} assignments = {n} notebooks, "
          f"--jobs {jobs}; load before {os.getloadavg()[0]:.2f}", flush=True)
    said: list = []
    t = time.perf_counter()
    grade(subs, output=tmp / "class-out", jobs=jobs, demo=True, course=ROOT,
          echo=lambda *a: said.append(" ".join(map(str, a))))
    seconds = time.perf_counter() - t
    recorded = [line for line in said if "the pictures of" in line]
    print("pictures: " + ("; ".join(recorded) if recorded else
                          "all recorded before (the picture folder was warm)"))
    print(f"{seconds:.0f} s: {60 * n / seconds:.1f} notebooks a minute (goal >= 25); "
          f"load after {os.getloadavg()[0]:.2f}")


def record_pictures_once() -> None:
    """Record the pictures of every assignment in both languages, as a first grading run
    of the class would (``course/pictures.py``); say how long each took (nothing when an
    earlier run recorded them)."""
    from convcourse.course.pictures import record_pictures

    for folder in sorted((ROOT / "solutions").iterdir()):
        for lang in ("en", "ru"):
            t = time.perf_counter()
            if record_pictures(folder, folder.name, lang):
                print(f"recorded the pictures of {folder.name} ({lang}) in "
                      f"{time.perf_counter() - t:.1f} s", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-breakdown", action="store_true")
    parser.add_argument("--breakdown-students", nargs="+", default=list(ORDINARY),
                        help="whose submissions the breakdown grades (default: the five ordinary)")
    parser.add_argument("--skip-class", action="store_true")
    parser.add_argument("--cold", action="store_true",
                        help="do not record the pictures first: the runs record what they "
                             "grade enough of, and the rest is drawn in every kernel")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    try:
        if not args.cold:
            record_pictures_once()
        if not args.skip_breakdown:
            measure_breakdown(tmp, args.breakdown_students)
        if not args.skip_class:
            measure_class(tmp, args.students, args.jobs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
