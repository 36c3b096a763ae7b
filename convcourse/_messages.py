"""The phrases the checks' reports and the grader are made of, as gettext templates.

The reports are written in English where they are rendered
(``convcourse.grading._cases``, ``_mistakes``, ``convcourse.course.grade``);
a report in another language is the English one passed through
:func:`convcourse.i18n.translate`, which recognises these templates (``{name}``
stands for any text, itself translated when the catalog knows it).  A phrase
changed there and not here stays English in a translated report: the test
``tests/test_i18n.py::test_reports_fully_translated`` renders reports in
Russian and fails on an English line.  ``convcourse i18n update`` extracts
this list into the ``convcourse`` domain.
"""

__all__ = ["PHRASES"]

PHRASES = (
    # headline, groups and sections of a report (_cases._report)
    "{title}: {passed}/{groups} groups of cases passed, score {score}/{points}",
    "{title}: {passed}/{groups} groups of cases passed, score {score}/{points}  (seed {seed})",
    "PASS",
    "FAIL",
    "PASS {group} ({count} cases run)",
    "PASS {group} ({count} case run)",
    "FAIL {group} ({count} cases run)",
    "FAIL {group} ({count} case run)",
    "What failed (the first failing case of each group):",
    "(your function raised warnings, which do not cost points: {warnings})",
    "[{group}] not run: two earlier calls ran out of time",
    # titles and closing lines of the visible, hidden and reproduced checks
    "{name} (public cases)",
    "{name} (visible check)",
    "{name} (reproduced)",
    "{name}: all {count} public cases passed ({groups}).",
    "To reproduce these cases: convcourse.grading.reproduce({call})",
    "(not a grading run: these are the public random cases; your grade uses other random "
    "cases of the same kinds)",
    "WARNING: graded with the public demo secret: students can predict these cases",
    "WARNING: grading environment incomplete (missing {missing}); using the public cases",
    # one failing case (_cases._evaluate, _cases._check_answer)
    "did not finish within {seconds} s: an infinite loop? (a while loop whose condition never "
    "changes, or a loop variable that is never increased)",
    "your function calls {name}, which this exercise does not allow: {allowed}",
    "your function switched off the check's call monitor (sys.setprofile)",
    "expected {error} ({why}); your function raised {raised}",
    "expected {error} ({why}); your function returned {returned}",
    "your function raised {raised}",
    "a value of shape {shape}",
    "one array of shape {shape}",
    "a ndarray", "a tuple", "a list", "a float", "an int",
    "expected {error} ({why}); {problem}",
    # reasons composed in the checks (pooling's _BAD_GRAD + the shape)
    "grad_output must have the shape of the forward's output, {shape}",
    "grad_output must have the shape of the forward's output, {shape}; this one has x's shape",
    "{error} (in {function}, line {line}: {code})",
    "{error} (in {function}, line {line})",
    "your function modified its input {names}: leave the arguments unchanged (work on a copy "
    "or a new array)",
    "likely mistake: {name} ({hint})",
    "likely mistake: {name} ({hint}); or {name2} ({hint2})",
    "returned {value}, a float: the output size is an int (use // for the division, or int(...))",
    "your function returned None: did you forget `return`?",
    "returned an array of shape {shape}: the answer is one int",
    "expected {expected}, received {received}",
    "expected shape {expected}, received shape {received}",
    "{difference}: check the number of output positions (the output-size formula)",
    "shape {shape} is right; largest error {error}",
    "your output contains NaN or infinity (an uninitialised np.empty array?)",
    "expected: {values}",
    "received: {values}",
    # answers that are not arrays, and shapes off by a little (_mistakes)
    "your function returned None: did you forget the `return` statement?",
    "your function returned a {kind} that is not a rectangular array",
    "your function returned values of dtype {dtype}; expected real numbers (an array of floats)",
    "the output is {difference}",
    "the output is {first} and {second}",
    "one row short", "one row long", "one column short", "one column long",
    "two rows short", "two rows long", "two columns short", "two columns long",
    "{count} rows short", "{count} rows long", "{count} columns short", "{count} columns long",
    # the grader (course/grade.py)
    "This check failed when your notebook was graded: {score} of {points} points.",
)
