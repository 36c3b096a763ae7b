"""Regenerate the sample class from the released and the solution notebooks.

Run from the repository root after ``convcourse release`` whenever a notebook in
``solutions/`` changes:

    .venv/bin/python examples/sample-class/make_class.py

Every assignment in ``solutions/`` is covered.  Each student starts from the
released notebook with the solution's answers pasted in, then gets the
deliberate mistakes listed below (README.md gives the expected scores and why).
Every edit must match the solution's code exactly: if a notebook changed so that
an edit no longer applies (or an assignment, answer cell or mistake student is
missing), this script stops and says so.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@dataclass(frozen=True)
class Mistake:
    """One deliberate mistake: where, what the grader should call it, and the edits."""

    function: str   # the answer cell's grade_id (the function's name)
    named: str      # text that cells.csv must show for it (the check's name for the mistake)
    edits: tuple    # (old, new) replacements in the solution's code, each applied once
    cell: str = ""  # the graded cell whose message names it (default: <function>_hidden)

    @property
    def graded_cell(self) -> str:
        return self.cell or f"{self.function}_hidden"


# student -> assignment -> Mistake; ada submits the solutions, MISTAKE_STUDENTS make one
# mistake in every assignment, the others submit only the assignments listed.
MISTAKES = {
    "ada": {},
    "flipper": {   # kernels flipped, orders reversed, pairs swapped
        "01-convolution": Mistake("convolve2d_valid", "kernel not flipped",
                                  (("kernel[::-1, ::-1]", "kernel"),)),
        "02-conv-layer": Mistake("conv2d_forward", "kernel flipped", (
            ("np.sum(window * weight[f])", "np.sum(window * weight[f, :, ::-1, ::-1])"),)),
        "03-pooling": Mistake("max_pool2d_backward", "first maximum in column-major order", (
            ("a, b = np.unravel_index(np.argmax(window), window.shape)",
             "b, a = np.unravel_index(np.argmax(window.T), window.T.shape)"),)),
        "04-backprop": Mistake("conv1d_backward", "grad_w flipped",
                               (("return grad_x, grad_w", "return grad_x, grad_w[::-1]"),)),
        "05-separable": Mistake("separate_kernel", "column and row swapped",
                                (("return column, row", "return row, column"),)),
        "06-cnn": Mistake("softmax_cross_entropy", "gradient sign flipped",
                          (("return float(loss), grad / n", "return float(loss), -grad / n"),)),
    },
    "strider": {   # the stride (and an activation) left out
        "01-convolution": Mistake("correlate2d_general", "stride ignored", (
            ("output_size(image.shape[0], kh, sh, ph, dh)", "output_size(image.shape[0], kh, 1, ph, dh)"),
            ("output_size(image.shape[1], kw, sw, pw, dw)", "output_size(image.shape[1], kw, 1, pw, dw)"),
            ("i * sh:i * sh + ", "i:i + "),
            ("j * sw:j * sw + ", "j:j + "),
        )),
        "02-conv-layer": Mistake("conv2d_forward", "stride ignored", (
            ("oh = (h + 2 * ph - kh) // sh + 1", "oh = h + 2 * ph - kh + 1"),
            ("ow = (w + 2 * pw - kw) // sw + 1", "ow = w + 2 * pw - kw + 1"),
            ("padded[img, :, i * sh:i * sh + kh, j * sw:j * sw + kw]", "padded[img, :, i:i + kh, j:j + kw]"),
        )),
        "03-pooling": Mistake("avg_pool2d_backward", "stride ignored", (
            ("grad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]", "grad[:, :, i:i + kh, j:j + kw]"),)),
        "04-backprop": Mistake("conv2d_backward", "stride ignored in the backward", (
            ("slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)", "slice(i, i + kh), slice(j, j + kw)"),)),
        "05-separable": Mistake("depthwise_conv2d", "one kernel for every channel", (
            ("weight[:, 0, a, b][None, :, None, None]", "weight[0, 0, a, b]"),)),
        "06-cnn": Mistake("build_model", "no activation after a convolution", (
            ("Conv2d(16, 32, 3, padding=1, rng=1), ReLU(), MaxPool2d(2)",
             "Conv2d(16, 32, 3, padding=1, rng=1), MaxPool2d(2)"),)),
    },
    "offbyone": {  # one too few or too many, and the edge cases: ties, x == 0
        "01-convolution": Mistake("output_size", "off by one", (("// stride + 1", "// stride"),)),
        "02-conv-layer": Mistake("receptive_field", "off by one",
                                 (("field, jump = 1, 1", "field, jump = 0, 1"),)),
        "03-pooling": Mistake("max_pool2d_backward", "gradient to every tied maximum", (
            ("a, b = np.unravel_index(np.argmax(window), window.shape)\n"
             "                    grad[n, c, i * sh + a, j * sw + b] += grad_output[n, c, i, j]",
             "for a, b in zip(*np.nonzero(window == window.max())):\n"
             "                        grad[n, c, i * sh + a, j * sw + b] += grad_output[n, c, i, j]"),)),
        "04-backprop": Mistake("numerical_gradient", "forward differences instead of central", (
            ("x[index] = old - eps\n        minus = f(x)", "x[index] = old\n        minus = f(x)"),
            ("(plus - minus) / (2 * eps)", "(plus - minus) / eps"),
        )),
        "05-separable": Mistake("count_mults", "output size off by one", (
            ("h_out, w_out = h - kh + 1, w - kw + 1", "h_out, w_out = h - kh, w - kw"),)),
        "06-cnn": Mistake("relu_backward", "gradient passed where x == 0", (
            ("np.where(x > 0, grad_output, 0.0)", "np.where(x >= 0, grad_output, 0.0)"),)),
    },
    "squared": {   # the right pieces wrongly combined: no root, no bias, sums for means
        "01-convolution": Mistake("sobel_edges", "squared magnitude without the square root",
                                  (("np.sqrt(gx ** 2 + gy ** 2)", "gx ** 2 + gy ** 2"),)),
        "02-conv-layer": Mistake("conv_layer_params", "bias forgotten", (
            ("out_channels * (kh * kw * in_channels + (1 if bias else 0))",
             "out_channels * kh * kw * in_channels"),)),
        "03-pooling": Mistake("avg_pool2d_forward", "sum instead of average",
                              (("window.mean(axis=(2, 3))", "window.sum(axis=(2, 3))"),)),
        "04-backprop": Mistake("conv2d_backward", "grad_bias averaged instead of summed",
                               (("g.sum(axis=(0, 2, 3))", "g.mean(axis=(0, 2, 3))"),)),
        "05-separable": Mistake("count_mults", "pointwise term forgotten", (
            ("return positions * c * kh * kw + positions * c * out_channels",
             "return positions * c * kh * kw"),)),
        "06-cnn": Mistake("relu_forward", "leaky ReLU", (
            ("np.maximum(np.asarray(x), 0)", "np.where(np.asarray(x) > 0, x, 0.01 * np.asarray(x))"),)),
    },
    # grading must survive these; each submits one notebook
    "crasher": {"01-convolution": Mistake("sobel_edges", "KernelDied", (
        ('"""\n', '"""\n    import os\n    os._exit(1)\n'),))},
    "looper": {"01-convolution": Mistake("convolve2d_valid", "ran out of time", (
        ('"""\n', '"""\n    while True:\n        pass\n'),), cell="convolve2d_valid_visible")},
}
MISTAKE_STUDENTS = ["flipper", "strider", "offbyone", "squared"]
# the released notebooks as handed out; the first and the last assignment are enough to
# show the zeros (`convcourse validate` checks that every stub fails every graded cell)
UNTOUCHED = {"stub": ["01-convolution", "06-cnn"]}
# students who hand in the Russian edition (notebooks/ru/): their feedback is in Russian,
# their grades are those of the English edition (the code cells are the same)
LANGUAGE = {"strider": "ru", "squared": "ru"}
ROSTER = ["ada", "crasher", "flipper", "looper", "missing", "offbyone", "squared", "strider", "stub"]


def assignments(root: Path = ROOT) -> list[str]:
    """The assignments of the course: folders of ``solutions/`` holding a notebook."""
    return sorted(p.name for p in (root / "solutions").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


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


def _check_plan(names: list[str]) -> None:
    """Stop when MISTAKES no longer fits the course."""
    for student in MISTAKE_STUDENTS:
        missing = [a for a in names if a not in MISTAKES[student]]
        if missing:
            raise SystemExit(f"{student} must make one mistake in every assignment; none in "
                             f"{', '.join(missing)}: update MISTAKES")
    for student, plan in [*MISTAKES.items(), *UNTOUCHED.items()]:
        unknown = sorted(set(plan) - set(names))
        if unknown:
            raise SystemExit(f"{student}: no assignment {', '.join(unknown)} in solutions/; update MISTAKES")


def submission(root: Path, assignment: str, notebook: str, mistake: Mistake | None, *,
               untouched: bool = False, lang: str = ""):
    """The released notebook with the solution's answers pasted in and ``mistake`` made.

    ``untouched`` returns the release as it is (the stubs); ``lang`` picks an edition
    (``"ru"``: ``notebooks/ru/``).  Raises SystemExit when the mistake's answer cell or
    one of its edits is not in the solution.
    """
    released = root / "notebooks" / lang / assignment / f"{notebook}.ipynb"
    if not released.is_file():
        raise SystemExit(f"no released notebook {released}: run `convcourse release`"
                         + (f" and `convcourse release --lang {lang}`" if lang else ""))
    nb = copy.deepcopy(nbformat.read(released, as_version=4))
    if untouched:
        return nb
    answers = _answers(nbformat.read(root / "solutions" / assignment / f"{notebook}.ipynb", as_version=4))
    if mistake is not None and mistake.function not in answers:
        raise SystemExit(f"{assignment}: no answer cell {mistake.function!r} in the solution; update MISTAKES")
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            source = answers[gid]
            if mistake is not None and gid == mistake.function:
                for old, new in mistake.edits:
                    if old not in source:
                        raise SystemExit(f"{assignment}: {old!r} is not in the solution of {gid}; "
                                         "update MISTAKES")
                    source = source.replace(old, new, 1)
            cell.source = source
    return nb


def build(root: Path = ROOT, dest: Path = HERE / "submitted") -> None:
    """Write ``dest/<student>/<assignment>/<notebook>.ipynb`` for every student who submits,
    and ``roster.csv`` beside ``dest``."""
    names = assignments(root)
    if not names:
        raise SystemExit(f"no assignment in {root / 'solutions'}")
    _check_plan(names)
    shutil.rmtree(dest, ignore_errors=True)
    for student in [*MISTAKES, *UNTOUCHED]:
        if student == "ada" or student in MISTAKE_STUDENTS:
            submits = names
        else:
            submits = list(UNTOUCHED[student] if student in UNTOUCHED else MISTAKES[student])
        for assignment in submits:
            notebooks = sorted(p.stem for p in (root / "notebooks" / assignment).glob("*.ipynb"))
            if not notebooks:
                raise SystemExit(f"no released notebook in notebooks/{assignment}: run `convcourse release`")
            for notebook in notebooks:
                nb = submission(root, assignment, notebook, MISTAKES.get(student, {}).get(assignment),
                                untouched=student in UNTOUCHED, lang=LANGUAGE.get(student, ""))
                path = dest / student / assignment / f"{notebook}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, path)
    (dest.parent / "roster.csv").write_text("student_id\n" + "\n".join(ROSTER) + "\n")


if __name__ == "__main__":
    build()
    print(f"wrote {HERE / 'submitted'} and {HERE / 'roster.csv'}")
