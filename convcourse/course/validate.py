"""``convcourse validate``: is the course ready to hand out?

Checks, for every assignment in ``solutions/``:

- grade ids are unique within each notebook, every test cell has positive
  points, and the points of a notebook add up to nbgrader's maximum for it;
- ``notebooks/`` is byte-for-byte what ``convcourse release`` generates, and
  so is every other language's edition (``notebooks/<lang>/``);
- every language's catalogs are complete and faithful: no untranslated, fuzzy
  or obsolete entry, formulas, code and numbers as in the English, the
  glossary's terms used (:mod:`convcourse.course.i18n_checks`);
- graded by the real pipeline, the solution notebook earns every point and
  the released stub earns none on any test cell, in every language.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nbformat

from ..i18n import messages
from .config import assignments, course_root, notebook_names

__all__ = ["validate", "check_metadata", "translation_problems"]


def check_metadata(nb, where: str) -> list[str]:
    """Problems with the nbgrader metadata of a source notebook.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_code_cell
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    >>> nb = new_notebook(cells=[new_code_cell("pass", metadata=meta) for _ in range(2)])
    >>> check_metadata(nb, "nb")
    ["nb: grade id 't' is used by 2 cells"]
    """
    problems, seen = [], {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            if meta.get("grade") or meta.get("solution"):
                problems.append(f"{where}: an nbgrader cell has no grade_id")
            continue
        seen[gid] = seen.get(gid, 0) + 1
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                problems.append(f"{where}: grade cell {gid!r} has points {points!r}; expected a positive number")
    problems += [f"{where}: grade id {gid!r} is used by {n} cells" for gid, n in seen.items() if n > 1]
    return problems


def translation_problems(root: Path, langs=None) -> list[str]:
    """Every catalog problem of every language (see :mod:`convcourse.course.i18n_checks`)."""
    from .catalogs import LOCALE_DIR, TRANSLATIONS, catalog_problems, domains, extract, read_catalog
    from .i18n_checks import entry_problems, read_glossary

    problems = []
    with tempfile.TemporaryDirectory(prefix="convcourse-catalogs-") as tmp:
        templates = extract(root, Path(tmp))
    for lang in (TRANSLATIONS if langs is None else langs):
        glossary = read_glossary(lang)
        for domain in domains(root):
            path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
            if not path.is_file():
                problems.append(f"{lang}/{domain}.po is missing: run `convcourse i18n update`")
                continue
            catalog = read_catalog(path, lang)
            where = f"{lang}/{domain}.po"
            problems += [f"{where}: {p}" for p in catalog_problems(catalog)]
            for message in templates[domain]:
                if message.id and catalog.get(message.id) is None:
                    first = message.id.split(chr(10))[0][:70]
                    problems.append(f"{where}: the English changed, no translation yet: {first!r} "
                                    "(run `convcourse i18n update` and translate it)")
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    problems += [f"{where}: {message.id.split(chr(10))[0][:60]!r}: {p}"
                                 for p in entry_problems(message.id, message.string, glossary)]
            compiled = messages.__wrapped__(lang, domain)
            wanted = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
            if compiled != wanted:
                problems.append(f"{lang}/{domain}.mo is not compiled from its .po: run `convcourse i18n update`")
    return problems


def _points(nb) -> float:
    return sum(float(c.metadata["nbgrader"].get("points", 0)) for c in nb.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade"))


def validate(course=None, *, output=None, timeout: int = 120, echo=print) -> list[str]:
    """Run every check; return the problems found (empty when the course is ready).

    Parameters
    ----------
    course : path, optional
        The course directory (default: found from the current directory).
    output : path, optional
        Scratch folder for the grading run (default: a temporary folder).
    timeout : int
        Seconds a cell of the solution may run.
    echo : callable
        Where the grading run's progress goes.

    Returns
    -------
    problems : list of str
    """
    from ..i18n import DEFAULT_LANGUAGE
    from .catalogs import TRANSLATIONS, translate_notebook
    from .grade import grade
    from .release import release, release_folder, translate_release

    root = course_root(course)
    names = assignments(root / "solutions")
    if not names:
        return [f"no assignment in {root / 'solutions'}"]
    problems: list[str] = []
    expected_points = {}
    for name in names:
        for nb_name in notebook_names(root / "solutions" / name):
            nb = nbformat.read(root / "solutions" / name / f"{nb_name}.ipynb", as_version=4)
            problems += check_metadata(nb, f"solutions/{name}/{nb_name}.ipynb")
            expected_points[(name, nb_name)] = _points(nb)

    # the editions this course releases: English, and each language whose release folder
    # (notebooks/<lang>/) the course has (a course without translations is English only)
    langs = [lang for lang in TRANSLATIONS if release_folder(root, lang).is_dir()]
    if langs:
        problems += translation_problems(root, langs)

    with tempfile.TemporaryDirectory(prefix="convcourse-validate-") as tmp:
        tmp = Path(tmp)
        fresh = tmp / "fresh"
        release(root, dest=fresh, bundle=False)
        editions = {DEFAULT_LANGUAGE: (fresh, root / "notebooks")}
        for lang in langs:
            editions[lang] = (tmp / f"fresh-{lang}", release_folder(root, lang))
            shutil.copytree(fresh, editions[lang][0])
            for name in names:
                translate_release(editions[lang][0] / name, name, lang)
        for lang, (fresh_lang, committed) in editions.items():
            command = "convcourse release" + ("" if lang == DEFAULT_LANGUAGE else f" --lang {lang}")
            shown = committed.relative_to(root).as_posix()
            for name in names:
                ours, theirs = committed / name, fresh_lang / name
                if not ours.is_dir():
                    problems.append(f"{shown}/{name} is missing: run `{command}`")
                    continue
                for path in sorted(theirs.rglob("*")):
                    rel = path.relative_to(theirs)
                    if path.is_file() and not (ours / rel).is_file():
                        problems.append(f"{shown}/{name}/{rel} is missing: run `{command}`")
                    elif path.is_file() and not filecmp.cmp(path, ours / rel, shallow=False):
                        problems.append(f"{shown}/{name}/{rel} differs from a fresh release: run `{command}`")

        subs = tmp / "submitted"
        for name in names:
            shutil.copytree(root / "solutions" / name, subs / "solution" / name)
            shutil.copytree(fresh / name, subs / "stub" / name)
            for lang in langs:
                # the solutions and the stubs of every edition (a notebook's language sets its feedback's)
                shutil.copytree(editions[lang][0] / name, subs / f"stub-{lang}" / name)
                for path in sorted((root / "solutions" / name).glob("*.ipynb")):
                    nb = nbformat.read(path, as_version=4)
                    nb, _ = translate_notebook(nb, lang, messages(lang, name))
                    target = subs / f"solution-{lang}" / name / path.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    nbformat.write(nb, target)
        result = grade(subs, output=output or tmp / "out", timeout=timeout, demo=True,
                       course=root, echo=echo)
    for row in result["grades"]:
        if row["student_id"].startswith("solution") and row["score"] != row["max_score"]:
            problems.append(f"{row['assignment']}: the solution scores {row['score']:g} of {row['max_score']:g}")
    per_nb: dict[tuple[str, str], float] = {}
    for row in result["cells"]:
        where = f"{row['assignment']}/{row['notebook']} cell {row['grade_id']!r}"
        edition = row["student_id"].partition("-")[2] or DEFAULT_LANGUAGE
        if row["student_id"] == "solution":
            per_nb[(row["assignment"], row["notebook"])] = per_nb.get(
                (row["assignment"], row["notebook"]), 0.0) + row["max_score"]
        if row["student_id"].startswith("solution") and row["score"] < row["max_score"]:
            problems.append(f"{where}: the solution ({edition}) fails "
                            f"({row['score']:g}/{row['max_score']:g}): {row['message']}")
        elif row["student_id"].startswith("stub") and row["score"] > 0:
            problems.append(f"{where}: the released stub ({edition}) passes "
                            f"({row['score']:g}/{row['max_score']:g})")
    for key, points in expected_points.items():
        if key in per_nb and abs(per_nb[key] - points) > 1e-9:
            problems.append(f"{key[0]}/{key[1]}: cell points add up to {points:g} but nbgrader's maximum is {per_nb[key]:g}")
    return problems
