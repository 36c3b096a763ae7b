"""``convcourse release``: the student notebooks and the student bundle.

``notebooks/`` is regenerated from ``solutions/`` with nbgrader's
``generate_assignment`` (solutions replaced by stubs, hidden tests removed,
outputs cleared, checksums recorded), run in a scratch course directory so that
nothing but ``notebooks/`` changes.  Cell ids are made deterministic, so two
releases of the same sources are byte-for-byte equal.  The bundle is a zip of
the released notebooks, the whole ``convcourse`` package (public: the reference,
the checks and the ``convcourse`` command its ``pyproject.toml`` declares), a
README for students (in the edition's language) and their JupyterLab settings.

``release(root, lang="ru")`` makes the edition in another language from the
same release: each notebook's markdown prose replaced by its translation from
the assignment's catalog (:mod:`convcourse.course.catalogs`), everything else
(code, ids, grade ids, checksums) untouched, into ``notebooks/<lang>/`` and
``release-bundle/convcourse-student-<lang>.zip``.  Every released notebook
records its language in ``metadata.convcourse.lang``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, messages, translate
from .config import assignments, nbgrader_config
from .student_readme import STUDENT_README

__all__ = ["generate_assignment", "release_template", "release", "write_bundle", "STUDENT_README",
           "STUDENT_JUPYTER_CONFIG", "release_folder", "translate_release"]

#: JupyterLab and server settings for students: nbgrader's assignment list and validate
#: button stay, its instructor tools (formgrader, create assignment, course list) go
STUDENT_JUPYTER_CONFIG = {
    "jupyter-config/jupyter_server_config.json": {"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.assignment_list": True,
        "nbgrader.server_extensions.validate_assignment": True}}},
    "jupyter-config/labconfig/page_config.json": {"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True}},
}


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


def release_template(workdir: Path, names, template_db: Path, cache=None) -> bool:
    """Release the assignments ``names`` of ``workdir/source`` into ``workdir/release``,
    registered in the SQLite gradebook ``template_db`` (a grading run's template).

    Doing it costs nbgrader 1 to 2 s an assignment (its cells saved one commit at a
    time), in every grading run, for the same source.  So the result is kept in
    ``cache`` (default ``~/.cache/convcourse/release``), under a hash of the source
    folders' files, nbgrader's version and the package's code
    (:func:`convcourse._picture_cache.package_digest`), and copied from there when the
    same source is released again.  Whether it was copied.
    """
    import hashlib

    import nbgrader

    from .._picture_cache import package_digest
    from .autograde import read_files
    from .config import cache_folder

    workdir, template_db = Path(workdir), Path(template_db)
    h = hashlib.sha256(package_digest() + f"nbgrader {nbgrader.__version__}".encode())
    for name in sorted(names):
        for relative, data in read_files(workdir / "source" / name):
            h.update(f"{name}/{relative}\0".encode())
            h.update(data)
    entry = Path(cache_folder("release") if cache is None else cache) / h.hexdigest()
    if (entry / "template.db").is_file():
        for name in names:
            shutil.rmtree(workdir / "release" / name, ignore_errors=True)
            shutil.copytree(entry / "release" / name, workdir / "release" / name)
        shutil.copyfile(entry / "template.db", template_db)
        return True
    for name in names:
        generate_assignment(workdir, name, db_url=f"sqlite:///{template_db}")
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
    try:
        for name in names:
            shutil.copytree(workdir / "release" / name, tmp / "release" / name)
        shutil.copyfile(template_db, tmp / "template.db")  # last: it marks an entry
        try:
            os.rename(tmp, entry)
        except OSError:  # another run stored the same entry meanwhile
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return False


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


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, date_time: tuple) -> None:
    info = zipfile.ZipInfo(arcname, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def write_bundle(root: Path, notebooks: Path, names: list[str], zip_path: Path,
                 lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write the student bundle: released notebooks, the package, install instructions.

    Parameters
    ----------
    root : Path
        The course directory (its ``convcourse/``, ``pyproject.toml`` and ``LICENSE`` go in;
        the students get a README of their own, ``STUDENT_README``).
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
    sample submissions (those live outside the package).  ``jupyter-config/``
    holds ``STUDENT_JUPYTER_CONFIG``.  Entries are sorted and dated the time of
    the release, or ``$SOURCE_DATE_EPOCH`` when set (a reproducible build).
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
    contents = {arcname: path.read_bytes() for arcname, path in files.items()}
    for extra in ("pyproject.toml", "LICENSE"):
        if (root / extra).is_file():
            contents[extra] = (root / extra).read_bytes()
    contents["README.md"] = translate(STUDENT_README, lang).encode()
    for arcname, settings in STUDENT_JUPYTER_CONFIG.items():
        contents[arcname] = (json.dumps(settings, indent=2) + "\n").encode()
    stamp = _release_time()
    with zipfile.ZipFile(zip_path, "w") as zf:
        for arcname in sorted(contents):
            _add(zf, arcname, contents[arcname], stamp)
    return zip_path


def _release_time() -> tuple:
    """The entries' date: now, or ``$SOURCE_DATE_EPOCH`` (reproducible builds), in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        seconds = int(epoch) if epoch else time.time()
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970; got {epoch!r}") from None
    # a zip cannot hold dates before 1980
    return tuple(time.gmtime(max(seconds, 315532800)))[:6]
