"""Feedback without hidden tests.

nbgrader's ``generate_feedback`` copies the autograded notebook into HTML, and
the autograded notebook holds the instructor's test cells verbatim, hidden
tests included (jupyter/nbgrader#917).  ``StripHiddenTests`` runs in the
feedback pipeline (``config.apply_robust_pipeline``) and removes every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region; in cells that
had one it also cuts error tracebacks (which quote source lines) down to their
last line.  ``missing_feedback_html`` writes the page for a notebook that
could not be graded at all.
"""

from __future__ import annotations

import html
import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

__all__ = ["StripHiddenTests", "strip_hidden_tests", "missing_feedback_html"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_hidden_tests(source: str, begin: str = "BEGIN HIDDEN TESTS",
                       end: str = "END HIDDEN TESTS",
                       placeholder: str = "# (hidden tests are not shown)") -> tuple[str, bool]:
    """Remove the hidden-test regions of a cell's source.

    Parameters
    ----------
    source : str
        The cell source.
    begin, end : str
        The delimiters (nbgrader's defaults).
    placeholder : str
        The line that replaces each region.

    Returns
    -------
    source : str
        The source without hidden tests.
    removed : bool
        Whether a region was found.  An unterminated region runs to the end.

    Examples
    --------
    >>> text = "check(f)\\n### BEGIN HIDDEN TESTS\\nsecret(f)\\n### END HIDDEN TESTS"
    >>> strip_hidden_tests(text)
    ('check(f)\\n# (hidden tests are not shown)', True)
    """
    kept, inside, removed = [], False, False
    for line in source.splitlines():
        if not inside and begin in line:
            inside, removed = True, True
            kept.append(placeholder)
        elif inside:
            if end in line:
                inside = False
        else:
            kept.append(line)
    return "\n".join(kept), removed


class StripHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests (and tracebacks quoting them) from feedback."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)
    # the HTML exporter configures display_data_priority for every preprocessor; accepting
    # it (as nbgrader's GetGrades does) stops traitlets warning that it is not recognised
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value
                                 ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        """Strip one cell."""
        source, removed = strip_hidden_tests(
            cell.source, self.begin_test_delimeter, self.end_test_delimeter
        )
        if removed:
            cell.source = source
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    summary = _ANSI.sub("", f"{output.get('ename', '')}: {output.get('evalue', '')}")
                    output["traceback"] = [summary]
        return cell, resources


def missing_feedback_html(student: str, assignment: str, notebook: str, reason: str,
                          max_score: float) -> str:
    """The feedback page for a notebook that could not be graded at all.

    Examples
    --------
    >>> page = missing_feedback_html("bob", "a1", "nb", "no notebook submitted", 10)
    >>> "no notebook submitted" in page and "0 / 10" in page
    True
    """
    esc = html.escape
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{esc(notebook)} feedback</title></head>\n<body>\n"
        f"<h1>{esc(assignment)} / {esc(notebook)}: feedback for {esc(student)}</h1>\n"
        f"<p><b>Score: 0 / {max_score:g}</b></p>\n"
        f"<p>This notebook could not be graded: {esc(reason)}.</p>\n"
        "</body></html>\n"
    )
