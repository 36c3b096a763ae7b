"""``convcourse check NOTEBOOK``: the student's check before submitting.

Runs the notebook top to bottom in a fresh kernel (as the grader will, so a
function defined only in a deleted cell, or a cell run out of order, shows up
here) and prints, for each test cell, whether it passed and what its check
said: the named diagnoses ("likely mistake: ...") and the error, if any.

It needs no course directory and no nbgrader: only ``nbclient`` and a Python
kernel, which the ``student`` extra installs.
"""

from __future__ import annotations

from pathlib import Path

from .nbfacts import ANSI as _ANSI
from .nbfacts import is_test_cell as _is_test_cell

__all__ = ["check_notebook", "report"]

def _text(output) -> str:
    text = output.get("text", "")
    return _ANSI.sub("", "".join(text) if isinstance(text, list) else str(text))


def _is_hidden(grade_id: str) -> bool:
    # the course names a hidden test cell <exercise>_hidden (the fixtures: <exercise>-hidden)
    return grade_id.endswith(("_hidden", "-hidden"))


def report(nb) -> tuple[list[str], int]:
    """The lines describing each executed test cell of ``nb``, and how many failed.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "add-visible"}}
    >>> ok, bad = new_code_cell("check(add)", metadata=meta), new_code_cell("check(sq)", metadata=meta)
    >>> ok.outputs = [new_output("stream", name="stdout", text="4/4 cases passed\\n")]
    >>> bad.outputs = [new_output("stream", name="stdout", text="likely mistake: kernel flipped\\n"),
    ...                new_output("error", ename="AssertionError", evalue="1/4 cases passed",
    ...                           traceback=[])]
    >>> lines, failed = report(new_notebook(cells=[ok, bad]))
    >>> print("\\n".join(lines)); failed
    PASS  add-visible
          4/4 cases passed
    FAIL  add-visible: AssertionError: 1/4 cases passed
          likely mistake: kernel flipped
    1
    """
    lines, failed = [], 0
    for cell in nb.cells:
        if not _is_test_cell(cell):
            continue
        name = cell["metadata"]["nbgrader"].get("grade_id", "test cell")
        if _is_hidden(name):
            lines.append(f"HIDDEN {name}: graded on hidden cases when you submit")
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        said = "".join(_text(o) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if errors:
            failed += 1
            error = errors[-1]
            lines.append(f"FAIL  {name}: {error.get('ename', '')}: "
                         f"{_ANSI.sub('', str(error.get('evalue', '')))}".rstrip())
        else:
            lines.append(f"PASS  {name}")
        lines += [f"      {line}" for line in said.strip().splitlines()[:40]]
    return lines, failed


def check_notebook(path, *, timeout: int = 600, echo=print) -> int:
    """Run the notebook at ``path`` in a fresh kernel; print each test cell's result.

    Parameters
    ----------
    path : path
        The notebook (``.ipynb``).
    timeout : int
        Seconds a cell may run.
    echo : callable
        Where the lines go (default ``print``).

    Returns
    -------
    failed : int
        The number of test cells that failed (0: ready to submit, as far as the
        visible tests can tell).

    Raises
    ------
    FileNotFoundError
        When ``path`` is not a file.
    ValueError
        When it is not a notebook, or has no test cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook: no such file {str(path)!r}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for a bad file
        raise ValueError(f"notebook: {str(path)!r} is not a readable notebook ({exc})") from exc
    if not any(_is_test_cell(c) for c in nb.cells):
        raise ValueError(f"notebook: {str(path)!r} has no test cell to run")
    echo(f"running {path.name} in a fresh kernel ...")
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute()
    lines, failed = report(nb)
    for line in lines:
        echo(line)
    total = sum(1 for line in lines if line.startswith(("PASS", "FAIL")))
    echo(f"{total - failed} of {total} visible test cells passed"
         + ("" if failed else "; the hidden tests may still find mistakes"))
    return failed
