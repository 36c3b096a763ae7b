"""The Russian edition: catalogs in step with the English, faithful translations, the two
editions of every notebook alike but for the prose, reports and pictures in the notebook's
language (convcourse/i18n.py, convcourse/course/catalogs.py, convcourse/course/i18n_checks.py)."""

import json
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from convcourse import i18n  # noqa: E402
from convcourse.course import catalogs  # noqa: E402
from convcourse.course.i18n_checks import (code_spans, english_left, entry_problems,  # noqa: E402
                                           formulas, glossary_problems, invariant_problems,
                                           numbers, read_glossary)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = catalogs.assignments(ROOT / "solutions")
DOMAINS = ASSIGNMENTS + [i18n.DOMAIN]
LOCALE = i18n.LOCALE_DIR
SAMPLE = ROOT / "examples" / "sample-class"


def _po(domain, lang="ru"):
    return catalogs.read_catalog(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po", lang)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """The templates extracted afresh from today's sources."""
    return catalogs.extract(ROOT, tmp_path_factory.mktemp("locale"))


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch):
    monkeypatch.delenv(i18n.LANG_VAR, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


# ------------------------------------------------------------ catalogs in step

@pytest.mark.parametrize("domain", DOMAINS)
def test_committed_template_is_what_extraction_gives(domain, templates):
    """locale/<domain>.pot comes from the sources: run `convcourse i18n update` after an edit."""
    committed = catalogs.read_catalog(LOCALE / f"{domain}.pot")
    assert [m.id for m in committed if m.id] == [m.id for m in templates[domain] if m.id]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_english_paragraph_and_message_has_a_russian_translation(domain, templates):
    """An English paragraph changed without its translation fails here, the paragraph named."""
    po = _po(domain)
    stale = [m.id for m in templates[domain] if m.id and (po.get(m.id) is None or not po.get(m.id).string
                                                         or po.get(m.id).fuzzy)]
    assert not stale, "untranslated or changed English (run `convcourse i18n update`, translate): " + \
        "; ".join(repr(s.splitlines()[0][:80]) for s in stale[:10])
    assert catalogs.catalog_problems(po) == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalog_is_the_po(domain):
    compiled = i18n.messages.__wrapped__("ru", domain)
    assert compiled == {m.id: m.string for m in _po(domain) if m.id and m.string and not m.fuzzy}


def test_update_marks_a_changed_paragraph_fuzzy_and_a_removed_one_obsolete(tmp_path):
    """`convcourse i18n update` on a course whose English changed: the translator sees what to revise."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "01-convolution", course / "solutions" / "01-convolution")
    shutil.copytree(ROOT / "convcourse", course / "convcourse",
                    ignore=shutil.ignore_patterns("__pycache__", "locale"))
    locale = tmp_path / "locale"
    (locale / "ru" / "LC_MESSAGES").mkdir(parents=True)
    for name in ("01-convolution.po", "convcourse.po"):
        shutil.copy(LOCALE / "ru" / "LC_MESSAGES" / name, locale / "ru" / "LC_MESSAGES" / name)
    path = course / "solutions" / "01-convolution" / "01-convolution.ipynb"
    nb = nbformat.read(path, as_version=4)
    old = "Run the next cell first."
    changed = "Run the next cell first of all."
    intro = next(c for c in nb.cells if c.cell_type == "markdown" and old in c.source)
    intro.source = intro.source.replace(old, changed)
    summary = nb.cells[-1] if nb.cells[-1].cell_type == "markdown" else next(
        c for c in reversed(nb.cells) if c.cell_type == "markdown")
    removed = catalogs.split_paragraphs(summary.source)[-1]
    summary.source = summary.source.replace(removed, "").rstrip()
    nbformat.write(nb, path)

    report = catalogs.update(course, locale)["ru"]
    po = catalogs.read_catalog(locale / "ru" / "LC_MESSAGES" / "01-convolution.po", "ru")
    assert po.get(changed).fuzzy
    assert po.get(changed).string == _po("01-convolution").get(old).string  # kept for the translator
    assert any(changed[:40] in p and "fuzzy" in p for p in report["01-convolution"])
    assert any("obsolete" in p for p in report["01-convolution"])
    assert i18n.DOMAIN in report


# ------------------------------------------------------------ faithful translations

@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_formulas_code_numbers_and_the_glossary(domain):
    glossary = read_glossary("ru")
    bad = {m.id.splitlines()[0][:70]: entry_problems(m.id, m.string, glossary)
           for m in _po(domain) if m.id and m.string}
    assert {k: v for k, v in bad.items() if v} == {}


def test_templates_keep_their_placeholders():
    placeholder = re.compile(r"\{([A-Za-z_]\w*)\}")
    for m in _po(i18n.DOMAIN):
        if not m.id:
            continue
        theirs, ours = set(placeholder.findall(m.id)), set(placeholder.findall(m.string))
        assert ours <= theirs, (m.id, ours - theirs)
        m.string.format(**{name: "x" for name in theirs})  # no stray brace


def test_invariant_checks_catch_a_changed_formula_number_or_code():
    en = "With stride 2 the kernel `k` gives $H_{out} = 3$ positions."
    assert invariant_problems(en, "С шагом 2 ядро `k` даёт $H_{out} = 3$ позиции.") == []
    assert "formulas" in invariant_problems(en, "С шагом 2 ядро `k` даёт $H_{out} = 4$ позиции.")[0]
    assert "code" in invariant_problems(en, "С шагом 2 ядро `kk` даёт $H_{out} = 3$ позиции.")[0]
    assert "numbers" in invariant_problems(en, "С шагом 3 ядро `k` даёт $H_{out} = 3$ позиции.")[0]
    assert numbers("25,088 values, 0.3 GB") == numbers("25 088 значений, 0,3 ГБ")
    assert formulas("$a$ and $$b$$") == formulas("$$b$$ и $a$")
    assert code_spans("`np.outer(column,\nrow)`") == code_spans("`np.outer(column, row)`")


def test_glossary_check_compares_stems_and_skips_kept_names():
    glossary = read_glossary("ru")
    assert glossary_problems("The kernel is flipped.", "Ядро перевёрнуто.", glossary) == []
    assert glossary_problems("kernels of 3x3", "ядер 3x3", glossary) == []
    assert glossary_problems("Hidden groups: *stride*, *padding*.", "Группы: *stride*, *padding*.",
                             glossary) == []
    problems = glossary_problems("zero padding and a stride", "паддинг и страйд", glossary)
    assert problems == ["'stride' (шаг) is not translated by the glossary's term"]
    assert english_left("Ядро: this was left in english") == "this was left in english"
    assert english_left("Ядро `kernel` (len(column), len(row)) больше") is None


def test_glossary_has_the_lectures_terms():
    terms = {row["english"]: row["russian"] for row in read_glossary("ru")}
    for english, russian in (("convolution", "свёртка"), ("cross-correlation", "кросс-корреляция"),
                             ("kernel", "ядро"), ("stride", "шаг"), ("pooling", "пулинг"),
                             ("receptive field", "рецептивное поле"), ("feature map", "карта признаков")):
        assert terms[english] == russian
    assert "паддинг" in terms["padding"] and "прореживание" in terms["dilation"]
    assert "поточечн" in terms["pointwise"] and "глубинн" in terms["depthwise"]


# ------------------------------------------------------------ the two editions alike

def _notebooks(assignment):
    name = f"{assignment}.ipynb"
    return (nbformat.read(ROOT / "notebooks" / assignment / name, as_version=4),
            nbformat.read(ROOT / "notebooks" / "ru" / assignment / name, as_version=4))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_russian_notebook_has_the_english_code_ids_metadata_and_formulas(assignment):
    en, ru = _notebooks(assignment)
    assert en.metadata["convcourse"]["lang"] == "en" and ru.metadata["convcourse"]["lang"] == "ru"
    strip = lambda meta: {k: v for k, v in meta.items() if k != "convcourse"}  # noqa: E731
    assert strip(ru.metadata) == strip(en.metadata)
    assert [(c.cell_type, c.get("id"), c.metadata) for c in ru.cells] == \
        [(c.cell_type, c.get("id"), c.metadata) for c in en.cells]
    for a, b in zip(en.cells, ru.cells):
        if a.cell_type == "code":
            assert a.source == b.source
        else:
            assert formulas(a.source) == formulas(b.source), a.source[:80]
            assert code_spans(a.source) == code_spans(b.source), a.source[:80]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_markdown_cell_of_the_russian_notebook_is_translated(assignment):
    _, ru = _notebooks(assignment)
    for cell in ru.cells:
        if cell.cell_type == "markdown":
            assert re.search("[а-яё]", cell.source, re.I), cell.source[:80]
            assert english_left(cell.source) is None, cell.source[:200]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_russian_release_is_the_english_release_translated(assignment):
    """notebooks/ru is what `convcourse release --lang ru` makes of today's catalogs."""
    en, ru = _notebooks(assignment)
    fresh, missing = catalogs.translate_notebook(en, "ru", i18n.messages("ru", assignment))
    assert missing == []
    assert nbformat.writes(fresh) == nbformat.writes(ru)


def test_translating_reports_missing_paragraphs_and_keeps_everything_else():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Assignment 1: convolution\n\n$$y = x$$\n\nAn unknown paragraph."),
        nbformat.v4.new_code_cell("x = 1  # code stays")])
    out, missing = catalogs.translate_notebook(nb, "ru", i18n.messages("ru", "01-convolution"))
    assert out.cells[0].source == "# Задание 1: свёртка\n\n$$y = x$$\n\nAn unknown paragraph."
    assert missing == ["An unknown paragraph."] and out.cells[1] == nb.cells[1]
    assert out.metadata["convcourse"]["lang"] == "ru" and "convcourse" not in nb.metadata


# ------------------------------------------------------------ run time: language and look-ups

def test_language_comes_from_the_setting_the_environment_or_the_notebook(monkeypatch, tmp_path):
    assert i18n.get_language() == "en"
    notebook = tmp_path / "a.ipynb"
    notebook.write_text(json.dumps({"metadata": {"convcourse": {"lang": "ru"}}, "cells": []}))
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert i18n.get_language() == "ru"
    monkeypatch.setenv(i18n.LANG_VAR, "en")
    assert i18n.get_language() == "en"
    i18n.set_language("ru")
    assert i18n.get_language() == "ru"
    with pytest.raises(ValueError, match="lang must be one of 'en', 'ru'; got 'fr'"):
        i18n.set_language("fr")


def test_translate_whole_by_template_line_by_line_with_english_fallback():
    assert i18n.translate("kernel flipped", "ru") == "ядро перевёрнуто"
    assert i18n.translate("expected shape (3, 3), received shape (2, 2)", "ru") == \
        "ожидалась форма (3, 3), получена форма (2, 2)"
    text = "  likely mistake: kernel flipped (you computed the convolution: cross-correlation " \
           "uses the kernel as it is, without flipping it)\nan unknown line"
    assert i18n.translate(text, "ru") == (
        "  вероятная ошибка — ядро перевёрнуто: вы вычислили свёртку, а не кросс-корреляцию: "
        "кросс-корреляция использует ядро как есть, не переворачивая его\nan unknown line")
    assert i18n.translate("kernel flipped", "en") == "kernel flipped"
    assert i18n.gettext("no such message", "ru") == "no such message"


def _failing(name):
    """A wrong answer for every exercise: None, an exception, or the input back."""
    def returns_none(*args, **kwargs):
        return None

    def raises(*args, **kwargs):
        raise NotImplementedError("not written yet")

    def echo(*args, **kwargs):
        return args[0] if args else 0
    return [returns_none, raises, echo]


def _untranslated_lines(report):
    lines = []
    for line in report.splitlines():
        text = line.strip()
        if not text or re.match(r"^\[[^\]]+\] \w+\(", text) or text.startswith(("[", "-", "0", "1")):
            continue  # a case's call (arguments in code) or the rows of an array
        if english_left(text, min_words=4):
            lines.append(text)
    return lines


@pytest.mark.parametrize("exercise", sorted(__import__("convcourse.grading", fromlist=["x"]).EXERCISES))
def test_reports_fully_translated(exercise):
    """Every report a wrong answer gets reads in Russian (phrases, mistakes, hints, reasons)."""
    from convcourse.grading import reproduce
    from convcourse.grading._cases import _quietly

    i18n.set_language("ru")
    for func in _failing(exercise):
        outcome = _quietly(lambda: reproduce(exercise, func, seed=1, verbose=False))
        left = _untranslated_lines(i18n.translate(outcome.report))
        assert not left, left


def test_a_russian_check_reports_in_russian_and_scores_as_the_english_one(capsys, monkeypatch):
    from convcourse.grading import check_correlate2d_valid

    def flipped(image, kernel):
        image, kernel = np.asarray(image, float), np.asarray(kernel, float)[::-1, ::-1]
        if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("kernel larger than image")
        out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.sum(image[i:i + kernel.shape[0], j:j + kernel.shape[1]] * kernel)
        return out

    english = check_correlate2d_valid(flipped, points=4, hidden=True)
    printed_en = capsys.readouterr().out
    monkeypatch.setenv(i18n.LANG_VAR, "ru")
    russian = check_correlate2d_valid(flipped, points=4, hidden=True)
    printed_ru = capsys.readouterr().out
    assert english == russian < 4
    assert "likely mistake: kernel flipped" in printed_en
    assert "ядро перевёрнуто: вы вычислили свёртку, а не кросс-корреляцию" in printed_ru
    with pytest.raises(AssertionError, match="открытые случаи"):
        check_correlate2d_valid(flipped)


def test_pictures_follow_the_language():
    from matplotlib.text import Text

    from convcourse import viz

    def texts(fig):
        return " ".join(t.get_text() for t in fig.findobj(Text))

    english = texts(viz.conv_dimensions())
    i18n.set_language("ru")
    russian = texts(viz.conv_dimensions())
    assert "the kernel moves along 2 axes" in english
    assert "ядро движется вдоль 2 осей" in russian and "the kernel moves" not in russian


# ------------------------------------------------------------ slow: run and grade in Russian

@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_russian_solution_runs_top_to_bottom(assignment, tmp_path, monkeypatch):
    """The solutions, translated, run without error; their checks print in Russian."""
    from nbclient import NotebookClient

    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    nb, missing = catalogs.translate_notebook(source, "ru", i18n.messages("ru", assignment))
    assert missing == []
    monkeypatch.setenv(i18n.LANG_VAR, "ru")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "solutions" / assignment)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "пройдены" in printed or "пройдено" in printed, printed[:500]


@pytest.mark.slow
@pytest.mark.xdist_group("sample-class")
def test_mixed_class_grades_as_its_english_twin_with_russian_feedback(demo_run):
    """The sample class has two students on the Russian edition (make_class.LANGUAGE): their
    grades are the ones reasoned for the English edition, their messages and pages Russian."""
    from convcourse.course.summary import read_csv

    from sample_class import load_make_class

    make_class = load_make_class()
    russian = sorted(s for s, lang in make_class.LANGUAGE.items() if lang == "ru")
    assert russian and set(russian) <= set(make_class.MISTAKE_STUDENTS)

    out, status, _ = demo_run
    assert status == 0
    scores = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
              for r in read_csv(out / "grades.csv")}
    expected = {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
                for r in read_csv(SAMPLE / "expected-grades.csv")}
    assert scores == expected
    cells = {(r["student_id"], r["assignment"], r["grade_id"]): r["message"]
             for r in read_csv(out / "cells.csv")}
    for student, plan in make_class.MISTAKES.items():
        for assignment, mistake in plan.items():
            message = cells[(student, assignment, mistake.graded_cell)]
            if student in russian:
                named = i18n.gettext(mistake.named, "ru")
                # (a name may stay as it is, "leaky ReLU"; the message around it is Russian)
                assert named in message and "ошибка" in message, (student, assignment, message)
            else:
                assert mistake.named in message, (student, assignment, message)
    for student in russian:
        page = (out / "feedback" / student / "01-convolution" / "01-convolution.html").read_text()
        assert "Задание 1: свёртка" in page and "Assignment 1: convolution" not in page
        mistake = make_class.MISTAKES[student]["01-convolution"]
        assert i18n.gettext(mistake.named, "ru") in page
    page = (out / "feedback" / "ada" / "01-convolution" / "01-convolution.html").read_text()
    assert "Assignment 1: convolution" in page and "Задание" not in page


def test_validate_names_a_stale_or_unfaithful_translation(tmp_path, monkeypatch):
    """`convcourse validate` checks the catalogs: a wrong number and a stale .mo are named."""
    from babel.messages.pofile import write_po

    from convcourse.course.validate import translation_problems

    assert translation_problems(ROOT) == []
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    path = locale / "ru" / "LC_MESSAGES" / "01-convolution.po"
    po = catalogs.read_catalog(path, "ru")
    message = po.get("### Exercise 1: `correlate2d_valid` (1 + 4 points)")
    message.string = message.string.replace("1 + 4", "1 + 5")
    with open(path, "wb") as f:
        write_po(f, po, width=0)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    problems = translation_problems(ROOT)
    assert any("Exercise 1" in p and "numbers differ" in p for p in problems), problems
    assert any("01-convolution.mo is not compiled from its .po" in p for p in problems), problems


def test_cli_i18n_check_and_release_lang(capsys):
    from convcourse.cli import main

    assert main(["--course", str(ROOT), "i18n", "check"]) == 0
    out = capsys.readouterr().out
    assert all(f"ru/{domain}: complete" in out for domain in DOMAINS)
    assert main(["--course", str(ROOT), "release", "--lang", "fr", "--no-bundle"]) == 2
    assert "lang must be one of 'en', 'ru'; got 'fr'" in capsys.readouterr().err
