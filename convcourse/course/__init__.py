"""The instructor's tooling: release, validate, grade and demo a course.

Each step is a small module (``release``, ``validate``, ``grade``, ``demo``);
``convcourse.cli`` exposes them as the ``convcourse`` command.  nbgrader does
the notebook work; ``execute`` replaces its Execute preprocessor with one that
survives dead kernels, endless loops and floods of output, and ``feedback``
strips hidden tests from the feedback HTML.
"""

import sys as _sys

# jsonschema (nbformat and nbgrader import it) loads every optional checker of string
# formats it finds.  One of them, rfc3987_syntax (installed with JupyterLab's
# jsonschema[format-nongpl]), compiles a Lark grammar as it is imported: 2.8 s in every
# process that grades (the command, each process of its pool, each test process), before
# the first notebook.  Nothing here asserts formats (jsonschema checks them only when
# given a FormatChecker, which nbformat and nbgrader never pass), so these processes go
# without it: an "iri" or "iri-reference" format is then checked as it is where the
# package is not installed.  A process that imported jsonschema before is left as it is.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)

__all__: list[str] = []
