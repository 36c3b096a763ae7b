"""The instructor's tooling: release, validate, grade and demo a course.

Each step is a small module (``release``, ``validate``, ``grade``, ``demo``);
``convcourse.cli`` exposes them as the ``convcourse`` command.  nbgrader does
the notebook work; ``execute`` replaces its Execute preprocessor with one that
survives dead kernels, endless loops and floods of output, and ``feedback``
strips hidden tests from the feedback HTML.
"""

__all__: list[str] = []
