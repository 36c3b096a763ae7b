"""nbgrader configuration: the repository root is the course directory.

``solutions/`` is nbgrader's source directory and ``notebooks/`` its release
directory; everything a grading run writes (submitted, autograded, feedback,
the gradebook) goes under ``output/``, which git ignores.  Autograding uses
``convcourse.course.execute.RobustExecute`` instead of nbgrader's Execute, and
feedback strips hidden tests (``convcourse.course.feedback.StripHiddenTests``).

``convcourse grade`` builds the same configuration in its own output folder;
this file is for running ``nbgrader`` commands by hand from the repository root
(with ``.venv/bin`` on PATH: nbgrader calls ``alembic``).

``nbgrader autograde`` from here is refused: it would run the students' code
with neither the sandbox nor the judge.  ``convcourse grade`` is the way to
grade; to use nbgrader's autograde anyway, set ``CONVCOURSE_ALLOW_PLAIN_NBGRADER=1``
or ``c.RobustExecute.allow_plain_nbgrader = True`` below.  ``nbgrader export``
writes ``output/grades.csv``, not a file in the repository root.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = _here
c.CourseDirectory.course_id = "convcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = os.path.join("output", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("output", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("output", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_here, "output", "gradebook.db")
os.makedirs(os.path.join(_here, "output"), exist_ok=True)

c.CsvExportPlugin.to = os.path.join(_here, "output", "grades.csv")

try:
    from convcourse.course.config import apply_robust_pipeline, plain_nbgrader_refusal
except ImportError:  # the package is not importable: plain nbgrader pipeline
    pass
else:
    apply_robust_pipeline(c, timeout=60, max_output_chars=100_000)
    _refusal = plain_nbgrader_refusal(sys.argv, os.environ)
    if _refusal and not c.RobustExecute.get("allow_plain_nbgrader", False):
        print(_refusal, file=sys.stderr)
        raise SystemExit(2)
