"""``convcourse``: the instructor's command line.

::

    convcourse release [--lang ru]          # notebooks/ (notebooks/ru/) from solutions/, and the student bundle
    convcourse i18n extract|update|check    # gettext catalogs of the prose and the package's messages
    convcourse validate                     # solutions pass, stubs fail, ids unique, release fresh
    convcourse grade SUBMISSIONS [--output DIR] [--jobs N] [--db URL] [--roster CSV] [--student ID]
                     [--scheduler tcp://HOST:8786]
                     [--no-sandbox]             # the sandbox is on wherever bubblewrap works
    convcourse demo [--output DIR]          # grade the bundled sample class
    convcourse export OUT --format canvas|moodle|csv [--grades output/grades.csv] [--roster CSV]
    convcourse check NOTEBOOK               # (students) run the visible tests before submitting
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``convcourse`` (one sub-command per step)."""
    parser = argparse.ArgumentParser(prog="convcourse", description="Release, validate and grade the course.")
    parser.add_argument("--course", default=None,
                        help="the course directory (default: found from the current directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/ and write the student bundle")
    p.add_argument("--bundle", default=None, help="bundle zip (default release-bundle/convcourse-student.zip)")
    p.add_argument("--no-bundle", action="store_true", help="do not write the bundle")
    p.add_argument("--lang", default="en", help="the edition's language: en (default) or ru; "
                   "ru is released into notebooks/ru/")

    p = sub.add_parser("i18n", help="keep the gettext catalogs (convcourse/locale/) in step with the sources")
    p.add_argument("action", choices=("extract", "update", "check"),
                   help="extract: write the .pot templates; update: extract, then merge into every "
                        "language's .po (changed entries fuzzy, removed ones obsolete) and compile; "
                        "check: list untranslated, fuzzy and obsolete entries (exit 1 if any)")

    p = sub.add_parser("validate", help="check solutions, stubs, grade ids, points and the release")
    p.add_argument("--output", default=None, help="scratch folder for the grading run (default: a temporary one)")

    p = sub.add_parser("check", help="run a notebook's visible tests in a fresh kernel and say "
                                     "what each found (no course directory needed)")
    p.add_argument("notebook", help="the notebook to check (.ipynb)")
    p.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default 600)")

    for name, helptext in (("grade", "autograde a class of submissions"),
                           ("demo", "grade the bundled sample class")):
        p = sub.add_parser(name, help=helptext)
        if name == "grade":
            p.add_argument("submissions", help="nbgrader's submitted layout <student>/<assignment>/<notebook>.ipynb, or a zip of it")
            p.add_argument("--output", default="output", help="output folder (default: output)")
            p.add_argument("--roster", default=None, help="CSV of student ids; each gets a row, 0 without a submission")
            p.add_argument("--student", default=None, help="regrade only this student")
            p.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default: SQLite in the output folder)")
            p.add_argument("--secret-file", default=None, help="file holding the course secret")
            p.add_argument("--max-notebook-mib", type=float, default=20,
                           help="largest submitted notebook read, in MiB (default 20); a larger "
                                "one scores 0 with the reason")
            p.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                           help="grade on the workers of this Dask scheduler's cluster instead "
                                "of --jobs local processes (needs the 'cluster' extra); the "
                                "gradebook and the outputs are written here")
            p.add_argument("--no-sandbox", action="store_true",
                           help="run the submissions' code without the sandbox (it then runs "
                                "with your rights; the run says so loudly, and the judge still "
                                "decides the scores)")
            p.add_argument("--draw-every-picture", action="store_true",
                           help="let every kernel draw every picture (by default each picture "
                                "of the instructor's notebooks is drawn once, cached in "
                                "~/.cache/convcourse/pictures, and shown from there)")
        else:
            p.add_argument("--output", default="demo-output", help="output folder (default: demo-output)")
        p.add_argument("--jobs", type=int, default=1, help="notebooks graded in parallel (default 1)")
        default = 60 if name == "grade" else 30
        p.add_argument("--timeout", type=int, default=default,
                       help=f"CPU seconds a notebook cell may use (default {default}; a cell "
                            "that sleeps is stopped after as many idle seconds)")
    p = sub.add_parser("export", help="write the grades in Canvas's, Moodle's or a plain CSV import format")
    p.add_argument("out", help="the CSV file to write")
    p.add_argument("--format", dest="fmt", default="csv", choices=("canvas", "moodle", "csv"),
                   help="canvas, moodle or csv (default csv)")
    p.add_argument("--grades", default="output/grades.csv",
                   help="grades.csv written by convcourse grade (default output/grades.csv)")
    p.add_argument("--roster", default=None,
                   help="roster CSV with the LMS's identifier columns (name, email, sis_login_id, ...)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``convcourse``; return the exit status (0 on success).

    Examples
    --------
    >>> build_parser().parse_args(["grade", "subs", "--jobs", "2"]).jobs
    2
    """
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            from .course.check import check_notebook

            return 1 if check_notebook(args.notebook, timeout=args.timeout) else 0
        elif args.command == "release":
            from .course.config import course_root
            from .course.release import release

            bundle = False if args.no_bundle else args.bundle
            result = release(course_root(args.course), bundle=bundle, lang=args.lang)
            print(f"released {', '.join(result['assignments'])} ({args.lang}) into {result['notebooks']}")
            if result["bundle"]:
                print(f"student bundle: {result['bundle']}")
            for gap in result["untranslated"]:
                print(f"warning: untranslated paragraph left in English: {gap}", file=sys.stderr)
            return 0
        elif args.command == "i18n":
            return _i18n(args)
        elif args.command == "validate":
            from .course.validate import validate

            problems = validate(args.course, output=args.output)
            for problem in problems:
                print(f"FAIL {problem}")
            print("validate: ok" if not problems else f"validate: {len(problems)} problem(s)")
            return 1 if problems else 0
        elif args.command == "grade":
            from .course.grade import grade

            result = grade(args.submissions, output=args.output, jobs=args.jobs, db_url=args.db,
                           roster=args.roster, student=args.student, timeout=args.timeout,
                           secret_file=args.secret_file, course=args.course,
                           sandbox=False if args.no_sandbox else None,
                           max_notebook_bytes=max(1, int(args.max_notebook_mib * 2**20)),
                           scheduler=args.scheduler, pictures=not args.draw_every_picture)
            return 1 if result["failures"] else 0
        elif args.command == "demo":
            from .course.demo import demo

            result = demo(output=args.output, jobs=args.jobs, timeout=args.timeout, course=args.course)
            return 1 if result["failures"] else 0
        elif args.command == "export":
            from .course.export import export

            path = export(args.out, fmt=args.fmt, grades=args.grades, roster=args.roster)
            print(f"wrote {path} ({args.fmt})")
            return 0
        else:
            raise ValueError(f"command must be release, i18n, validate, grade, demo, export or "
                             f"check, got {args.command!r}")
    except ModuleNotFoundError as exc:
        if exc.name not in _COURSE_REQUIREMENTS:
            raise
        extra = "student" if args.command == "check" else "course"
        print(f"convcourse {args.command}: error: {exc.name} is not installed; it needs the "
              f"'{extra}' extra: pip install 'convcourse[{extra}]'", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, TypeError, RuntimeError) as exc:
        print(f"convcourse {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _i18n(args) -> int:
    from .course import catalogs
    from .course.config import course_root

    root = course_root(args.course)
    if args.action == "extract":
        templates = catalogs.extract(root)
        for domain, catalog in templates.items():
            print(f"{domain}: {len(catalog)} message(s)")
        return 0
    if args.action == "update":
        report = catalogs.update(root)
    else:
        report = {lang: {domain: catalogs.catalog_problems(catalogs.read_catalog(
            catalogs.LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po", lang))
            for domain in catalogs.domains(root)} for lang in catalogs.TRANSLATIONS}
    count = 0
    for lang, per_domain in report.items():
        for domain, problems in per_domain.items():
            print(f"{lang}/{domain}: {'complete' if not problems else f'{len(problems)} to do'}")
            for problem in problems[:200 if args.action == "check" else 5]:
                print(f"  {problem}")
            count += len(problems)
    return 1 if count and args.action == "check" else 0


# top-level modules of the 'course' extra (nbgrader and what it brings)
_COURSE_REQUIREMENTS = {"nbgrader", "babel", "nbformat", "nbconvert", "nbclient", "jupyter_client",
                        "ipykernel", "traitlets", "sqlalchemy"}


if __name__ == "__main__":
    sys.exit(main())
