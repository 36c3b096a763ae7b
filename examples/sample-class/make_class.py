"""Regenerate the sample class from the released and the solution notebook.

Run from the repository root after ``convcourse release`` whenever
``solutions/01-convolution`` changes:

    .venv/bin/python examples/sample-class/make_class.py

Each student starts from the released notebook with the solution's answers
pasted in, then gets one deliberate mistake (see README.md for the expected
scores and why).  Every edit must match the solution's code exactly: if the
notebook changed so that one no longer applies, this script stops and says so.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

ASSIGNMENT = NOTEBOOK = "01-convolution"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# student -> {answer cell grade_id: [(old, new), ...]} applied to the solution's code
MISTAKES = {
    "ada": {},
    "flipper": {"convolve2d_valid": [("kernel[::-1, ::-1]", "kernel")]},
    "strider": {"correlate2d_general": [
        ("output_size(image.shape[0], kh, sh, ph, dh)", "output_size(image.shape[0], kh, 1, ph, dh)"),
        ("output_size(image.shape[1], kw, sw, pw, dw)", "output_size(image.shape[1], kw, 1, pw, dw)"),
        ("i * sh:i * sh + ", "i:i + "),
        ("j * sw:j * sw + ", "j:j + "),
    ]},
    "offbyone": {"output_size": [("// stride + 1", "// stride")]},
    "squared": {"sobel_edges": [("np.sqrt(gx ** 2 + gy ** 2)", "gx ** 2 + gy ** 2")]},
    "crasher": {"sobel_edges": [('"""\n', '"""\n    import os\n    os._exit(1)\n')]},
    "looper": {"convolve2d_valid": [('"""\n', '"""\n    while True:\n        pass\n')]},
}
UNTOUCHED = ["stub"]  # the released notebook as handed out
ROSTER = ["ada", "crasher", "flipper", "looper", "missing", "offbyone", "squared", "strider", "stub"]


def _answers(solution) -> dict[str, str]:
    """grade_id -> the solution's code without the BEGIN/END SOLUTION lines."""
    answers = {}
    for cell in solution.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            lines = [ln for ln in cell.source.splitlines()
                     if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def build(root: Path = ROOT, dest: Path = HERE / "submitted") -> None:
    """Write ``dest/<student>/01-convolution/01-convolution.ipynb`` for every student."""
    release = nbformat.read(root / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    answers = _answers(nbformat.read(root / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4))
    shutil.rmtree(dest, ignore_errors=True)
    for student in [*MISTAKES, *UNTOUCHED]:
        nb = copy.deepcopy(release)
        if student in MISTAKES:
            for cell in nb.cells:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    source = answers[gid]
                    for old, new in MISTAKES[student].get(gid, []):
                        if old not in source:
                            raise SystemExit(f"{student}: {old!r} is not in the solution of {gid}; update MISTAKES")
                        source = source.replace(old, new, 1)
                    cell.source = source
        path = dest / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    (HERE / "roster.csv").write_text("student_id\n" + "\n".join(ROSTER) + "\n")


if __name__ == "__main__":
    build()
    print(f"wrote {HERE / 'submitted'} and {HERE / 'roster.csv'}")
