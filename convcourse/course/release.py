"""``convcourse release``: the student notebooks and the student bundle.

``notebooks/`` is regenerated from ``solutions/`` with nbgrader's
``generate_assignment`` (solutions replaced by stubs, hidden tests removed,
outputs cleared, checksums recorded), run in a scratch course directory so that
nothing but ``notebooks/`` changes.  Cell ids are made deterministic, so two
releases of the same sources are byte-for-byte equal.  The bundle is a zip of
the released notebooks, the whole ``convcourse`` package (public: the reference,
the checks and the ``convcourse`` command its ``pyproject.toml`` declares), and
install instructions.

``release(root, lang="ru")`` makes the edition in another language from the
same release: each notebook's markdown prose replaced by its translation from
the assignment's catalog (:mod:`convcourse.course.catalogs`), everything else
(code, ids, grade ids, checksums) untouched, into ``notebooks/<lang>/`` and
``release-bundle/convcourse-student-<lang>.zip``.  Every released notebook
records its language in ``metadata.convcourse.lang``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat

from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, messages, translate
from .config import assignments, nbgrader_config

__all__ = ["generate_assignment", "release", "write_bundle", "INSTALL_TEXT", "release_folder",
           "translate_release"]

INSTALL_TEXT = """\
# convcourse: student bundle

1. Install Python 3.10 or newer, then, in this folder:

       python -m venv .venv
       . .venv/bin/activate            # Windows: .venv\\Scripts\\activate
       pip install -e '.[course]'

   (`pip install -e .` alone installs the `convcourse` package without
   JupyterLab; `pip install convcourse-student.zip` installs it straight from
   the zip.)

2. Start JupyterLab and open the assignment:

       jupyter lab notebooks/

3. Fill in every cell marked `# YOUR CODE HERE` and run the test cells below
   each exercise: they tell you what is still wrong.  Submit the notebook as
   your instructor asks; keep its file name and do not delete or move cells.
"""


def generate_assignment(workdir: Path, assignment: str, *, db_url: str | None = None,
                        quiet: bool = True) -> Path:
    """Run nbgrader's generate_assignment in the course directory ``workdir``.

    ``workdir/source/<assignment>`` must exist; the release lands in
    ``workdir/release/<assignment>`` and the assignment is registered in the
    gradebook (``db_url``, default ``workdir/gradebook.db``).

    Returns
    -------
    release : Path
        ``workdir/release/<assignment>``.

    Raises
    ------
    RuntimeError
        When nbgrader fails (its log is in the message).
    """
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.converters import GenerateAssignment

    config = nbgrader_config(workdir, db_url=db_url)
    config.GenerateAssignment.force = True
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    log = logging.getLogger("convcourse.nbgrader")
    log.setLevel(logging.ERROR if quiet else logging.INFO)
    app = GenerateAssignment(coursedir=coursedir, config=config, log=log)
    try:
        app.start()
    except Exception as exc:  # noqa: BLE001 - nbgrader raises bare exceptions; re-raise with context
        raise RuntimeError(f"nbgrader generate_assignment failed for {assignment!r}: {exc}") from exc
    release_dir = Path(workdir) / "release" / assignment
    _fix_ids(Path(workdir) / "source" / assignment, release_dir)
    return release_dir


def _fix_ids(source_dir: Path, release_dir: Path) -> None:
    """Give released cells their source cell's id (else ``cell-<i>``): deterministic output."""
    for path in sorted(release_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        src_path = source_dir / path.name
        src = nbformat.read(src_path, as_version=4) if src_path.exists() else None
        for i, cell in enumerate(nb.cells):
            sid = None
            if src is not None and i < len(src.cells):
                sid = src.cells[i].get("id")
            cell["id"] = sid or f"cell-{i}"
        nb.nbformat_minor = max(nb.get("nbformat_minor", 5), 5)
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def release_folder(root: Path, lang: str = DEFAULT_LANGUAGE) -> Path:
    """Where a language's notebooks are released: ``notebooks/``, or ``notebooks/<lang>/``."""
    return Path(root) / "notebooks" if lang == DEFAULT_LANGUAGE else Path(root) / "notebooks" / lang


def translate_release(folder: Path, assignment: str, lang: str) -> list[str]:
    """Turn the released notebooks of ``folder`` into their ``lang`` edition, in place.

    Returns the English paragraphs no translation covers (left in English).
    """
    from .catalogs import translate_notebook

    missing = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if lang == DEFAULT_LANGUAGE:
            nb.metadata.setdefault("convcourse", {})["lang"] = lang
        else:
            nb, gaps = translate_notebook(nb, lang, messages(lang, assignment))
            missing += [f"{assignment}/{path.name}: {gap.splitlines()[0][:70]!r}" for gap in gaps]
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return missing


def release(root: str | Path, *, dest: str | Path | None = None,
            bundle: str | Path | None = None, lang: str = DEFAULT_LANGUAGE) -> dict:
    """Regenerate the released notebooks and write the student bundle.

    Parameters
    ----------
    root : path
        The course directory (holding ``solutions/``).
    dest : path, optional
        Where the released assignments go (default :func:`release_folder`:
        ``root/notebooks``, or ``root/notebooks/<lang>``); any assignment
        folder there is replaced.
    bundle : path, optional
        The bundle zip to write (default ``root/release-bundle/convcourse-student.zip``,
        ``convcourse-student-<lang>.zip`` for another language); ``False`` for none.
    lang : str, optional
        The language of the edition (default English, the source).

    Returns
    -------
    result : dict
        ``assignments`` (names), ``notebooks`` (folder), ``bundle`` (zip path or None),
        ``untranslated`` (paragraphs left in English for want of a translation).

    Raises
    ------
    FileNotFoundError
        When ``root/solutions`` holds no assignment.
    ValueError
        When ``lang`` is not a language of the course.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGUAGES))}; got {lang!r}")
    root = Path(root).resolve()
    dest = Path(dest) if dest is not None else release_folder(root, lang)
    names = assignments(root / "solutions")
    if not names:
        raise FileNotFoundError(f"no assignment (a folder with a notebook) in {root / 'solutions'}")
    with tempfile.TemporaryDirectory(prefix="convcourse-release-") as tmp:
        work = Path(tmp)
        for name in names:
            shutil.copytree(root / "solutions" / name, work / "source" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            generate_assignment(work, name)
        untranslated = []
        for name in names:
            untranslated += translate_release(work / "release" / name, name, lang)
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.rmtree(dest / name, ignore_errors=True)
            shutil.copytree(work / "release" / name, dest / name)
    zip_path = None
    if bundle is not False:
        suffix = "" if lang == DEFAULT_LANGUAGE else f"-{lang}"
        zip_path = Path(bundle) if bundle else root / "release-bundle" / f"convcourse-student{suffix}.zip"
        write_bundle(root, dest, names, zip_path, lang=lang)
    return {"assignments": names, "notebooks": dest, "bundle": zip_path,
            "untranslated": untranslated}


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def write_bundle(root: Path, notebooks: Path, names: list[str], zip_path: Path,
                 lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write the student bundle: released notebooks, the package, install instructions.

    Parameters
    ----------
    root : Path
        The course directory (its ``convcourse/``, ``pyproject.toml`` and ``README.md`` go in).
    notebooks : Path
        The released assignments.
    names : list of str
        The assignments to include.
    zip_path : Path
        The zip to write.
    lang : str, optional
        The language of the notebooks (the install instructions are in it).

    Returns
    -------
    zip_path : Path

    Notes
    -----
    The whole ``convcourse`` package goes in (it is public, and the
    ``convcourse`` console script of ``pyproject.toml`` needs ``convcourse/cli.py``
    and ``convcourse/course``), without caches; no solutions, hidden tests or
    sample submissions (those live outside the package).  Entries are sorted
    and time-stamped 2020-01-01, so the zip is reproducible.
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name in names:
        for path in sorted((notebooks / name).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                files[f"notebooks/{name}/{path.relative_to(notebooks / name).as_posix()}"] = path
    package = root / "convcourse"
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(root)
        if (not path.is_file() or "__pycache__" in rel.parts or ".ipynb_checkpoints" in rel.parts
                or path.suffix in (".pyc", ".pyo")):
            continue
        files[rel.as_posix()] = path
    for extra in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / extra).is_file():
            files[extra] = root / extra
    with zipfile.ZipFile(zip_path, "w") as zf:
        _add(zf, "INSTALL.md", translate(INSTALL_TEXT, lang).encode())
        for arcname in sorted(files):
            _add(zf, arcname, files[arcname].read_bytes())
    return zip_path
