"""Hidden tests never reach feedback (convcourse/course/feedback.py)."""

import pytest
from nbformat.v4 import new_code_cell, new_output

from convcourse.course.feedback import StripHiddenTests, missing_feedback_html, strip_hidden_tests


@pytest.mark.parametrize("source, expected, removed", [
    ("a\nb", "a\nb", False),
    ("a\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS\nb",
     "a\n# (hidden tests are not shown)\nb", True),
    ("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS\n### BEGIN HIDDEN TESTS\ny\n### END HIDDEN TESTS",
     "# (hidden tests are not shown)\n# (hidden tests are not shown)", True),
    ("a\n### BEGIN HIDDEN TESTS\nunterminated secret", "a\n# (hidden tests are not shown)", True),
])
def test_strip_hidden_tests(source, expected, removed):
    assert strip_hidden_tests(source) == (expected, removed)


def test_preprocessor_cuts_tracebacks_of_hidden_cells_only():
    hidden = new_code_cell("check(f)\n### BEGIN HIDDEN TESTS\nassert f(7) == 'secret'\n### END HIDDEN TESTS")
    hidden.outputs = [new_output("error", ename="AssertionError", evalue="",
                                 traceback=["\x1b[0;31m----> 3 assert f(7) == 'secret'\x1b[0m"])]
    visible = new_code_cell("assert f(1) == 1")
    visible.outputs = [new_output("error", ename="AssertionError", evalue="",
                                  traceback=["----> 1 assert f(1) == 1"])]
    pre = StripHiddenTests()
    cell, _ = pre.preprocess_cell(hidden, {}, 0)
    assert "secret" not in cell.source and "secret" not in "".join(cell.outputs[0].traceback)
    assert cell.outputs[0].traceback == ["AssertionError: "]
    cell, _ = pre.preprocess_cell(visible, {}, 1)
    assert cell.outputs[0].traceback == ["----> 1 assert f(1) == 1"]


def test_missing_feedback_escapes_html():
    page = missing_feedback_html("<ann>", "a1", "nb", "not valid JSON (x < y)", 6)
    assert "&lt;ann&gt;" in page and "x &lt; y" in page and "0 / 6" in page
