"""Course layout, the course secret, and the nbgrader configuration.

The repository root is an nbgrader course: ``solutions/`` is nbgrader's source
directory, ``notebooks/`` its release directory.  A grading run works in an
output folder of its own (``output/`` by default, ignored by git), laid out as
an nbgrader course directory with ``source/``, ``release/``, ``submitted/``,
``autograded/``, ``feedback/`` and ``gradebook.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

# re-exported: where these names always were; their home imports nothing of the package
from .nbfacts import ALLOW_PLAIN_NBGRADER, PLAIN_NBGRADER_REFUSAL, PUBLIC_SECRET, split_grade_id

__all__ = [
    "PUBLIC_SECRET",
    "ALLOW_PLAIN_NBGRADER",
    "plain_nbgrader_refusal",
    "check_db_url",
    "course_root",
    "assignments",
    "notebook_names",
    "resolve_secret",
    "nbgrader_config",
    "split_grade_id",
]

_SECRET_FILE = Path("~/.config/convcourse/secret")

def check_db_url(db_url: str) -> str:
    """``db_url`` when SQLAlchemy can parse it and its database driver is installed.

    Raises
    ------
    ValueError
        When the URL cannot be parsed.
    RuntimeError
        When its driver is missing: one line naming what to install (psycopg 3, the
        ``postgres`` extra, for ``postgresql://``, which SQLAlchemy 2 maps to psycopg).

    Examples
    --------
    >>> check_db_url("sqlite:///gradebook.db")
    'sqlite:///gradebook.db'
    >>> check_db_url("not a url")
    Traceback (most recent call last):
    ...
    ValueError: db must be an SQLAlchemy URL such as sqlite:///gradebook.db or postgresql://user@host/db; got 'not a url'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(db_url)
        dialect = url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ValueError("db must be an SQLAlchemy URL such as sqlite:///gradebook.db or "
                         f"postgresql://user@host/db; got {db_url!r}") from exc
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        if url.drivername in ("postgresql", "postgresql+psycopg"):
            hint = "pip install 'convcourse[postgres]'"
        else:
            hint = f"the Python module named there (or use postgresql:// with " \
                   "pip install 'convcourse[postgres]')"
        raise RuntimeError(f"db: {url.drivername}:// needs a database driver that is not "
                           f"installed ({exc}); install it: {hint}") from None
    return db_url


def plain_nbgrader_refusal(argv, environ) -> str:
    """Why this nbgrader command must not run (``nbgrader_config.py`` exits with it), or ''.

    ``nbgrader autograde`` from the repository root runs the students' code with
    neither the sandbox nor the judge; it is refused unless ``ALLOW_PLAIN_NBGRADER``
    is set to 1 in ``environ``.

    Examples
    --------
    >>> plain_nbgrader_refusal(["nbgrader", "autograde", "01-convolution"], {})[:40]
    'convcourse: refusing to autograde with p'
    >>> plain_nbgrader_refusal(["nbgrader", "autograde"], {ALLOW_PLAIN_NBGRADER: "1"})
    ''
    >>> plain_nbgrader_refusal(["nbgrader", "generate_assignment", "x"], {})
    ''
    """
    command = next((a for a in list(argv)[1:] if not a.startswith("-")), "")
    if command == "autograde" and environ.get(ALLOW_PLAIN_NBGRADER) != "1":
        return PLAIN_NBGRADER_REFUSAL
    return ""

def course_root(start: str | os.PathLike | None = None) -> Path:
    """Return the course directory: the nearest folder holding ``solutions/``.

    Parameters
    ----------
    start : path, optional
        Where to start looking (default: the current directory, then the
        folder that holds the ``convcourse`` package).

    Returns
    -------
    root : Path
        The absolute course directory.

    Raises
    ------
    FileNotFoundError
        When no parent folder holds ``solutions/``.
    """
    candidates = [Path(start or os.getcwd()).resolve()]
    candidates.append(Path(__file__).resolve().parents[2])
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if (folder / "solutions").is_dir():
                return folder
    raise FileNotFoundError(
        f"no course directory (a folder holding 'solutions/') at or above {candidates[0]}"
    )


def assignments(source: str | os.PathLike) -> list[str]:
    """Return the sorted assignment names in an nbgrader source folder.

    An assignment is a sub-folder holding at least one notebook.
    """
    source = Path(source)
    if not source.is_dir():
        return []
    return sorted(
        p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))
    )


def notebook_names(folder: str | os.PathLike) -> list[str]:
    """Return the sorted notebook names (without ``.ipynb``) in ``folder``."""
    return sorted(p.stem for p in Path(folder).glob("*.ipynb"))


def resolve_secret(secret_file: str | os.PathLike | None = None, *, demo: bool = False) -> tuple[str, bool]:
    """Find the course secret that seeds each submission's random cases.

    Order: ``demo`` (the public secret), ``secret_file``, the environment
    variable ``CONVCOURSE_SECRET``, ``~/.config/convcourse/secret``, and
    finally the public secret.

    Returns
    -------
    secret : str
    is_public : bool
        Whether the public secret is used (grading with it should warn).

    Raises
    ------
    FileNotFoundError
        When ``secret_file`` is given and does not exist.
    ValueError
        When the secret found is empty.
    """
    if demo:
        return PUBLIC_SECRET, True
    if secret_file is not None:
        path = Path(secret_file).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"secret_file {str(secret_file)!r} does not exist")
        secret = path.read_text().strip()
        origin = f"secret_file {str(secret_file)!r}"
    elif os.environ.get("CONVCOURSE_SECRET"):
        secret = os.environ["CONVCOURSE_SECRET"].strip()
        origin = "CONVCOURSE_SECRET"
    elif _SECRET_FILE.expanduser().is_file():
        secret = _SECRET_FILE.expanduser().read_text().strip()
        origin = str(_SECRET_FILE)
    else:
        return PUBLIC_SECRET, True
    if not secret:
        raise ValueError(f"the course secret from {origin} is empty")
    return secret, secret == PUBLIC_SECRET


def cache_folder(kind: str) -> Path:
    """Where the grader keeps what it computed once for every later run (the course's
    pictures, its releases): ``$XDG_CACHE_HOME/convcourse/<kind>``, by default under
    ``~/.cache``.  Deleting it only costs the next run the work again."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "convcourse" / kind


def nbgrader_config(
    root: str | os.PathLike,
    *,
    source: str = "source",
    release: str = "release",
    db_url: str | None = None,
    timeout: int = 60,
    max_output_chars: int = 100_000,
    sandbox_config=None,
    hide_secret: bool = False,
) -> Config:
    """The nbgrader configuration of a course directory.

    Parameters
    ----------
    root : path
        The nbgrader course directory (a grading run's output folder).
    source, release : str
        nbgrader's source and release directories, relative to ``root``.
    db_url : str, optional
        Any SQLAlchemy URL; default a SQLite ``gradebook.db`` in ``root``.
    timeout : int
        CPU seconds a cell may use (or seconds idle) before its kernel is interrupted;
        see ``execute.RobustExecute``.
    max_output_chars : int
        Characters of stream output kept per cell.
    sandbox_config : SandboxConfig, optional
        Run every kernel in the sandbox with these limits (None: ordinary kernels).
    hide_secret : bool
        Give kernels per-exercise seeds instead of the course secret (always so
        in a sandbox).

    Returns
    -------
    config : traitlets.config.Config
    """
    root = Path(root).resolve()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = source
    c.CourseDirectory.release_directory = release
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.course_id = "convcourse"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    apply_robust_pipeline(c, timeout=timeout, max_output_chars=max_output_chars)
    c.RobustExecute.sandbox_config = sandbox_config
    c.RobustExecute.graded_by_convcourse = True  # grade.py runs the judge and warns on the secret
    c.RobustExecute.hide_secret = bool(hide_secret or sandbox_config is not None)
    return c


def _silence_known_nbgrader_noise() -> None:
    """nbgrader 0.9 with SQLAlchemy 2 warns on every submission it records; nothing is lost."""
    import warnings

    warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")


def apply_robust_pipeline(c: Config, *, timeout: int = 60, max_output_chars: int = 100_000) -> Config:
    """Swap nbgrader's Execute for ``RobustExecute`` and strip hidden tests from feedback.

    Parameters
    ----------
    c : traitlets.config.Config
        Modified in place (also usable on ``nbgrader_config.py``'s ``c``).
    timeout : int
        CPU seconds a cell may use (or seconds idle) before its kernel is interrupted;
        see ``execute.RobustExecute``.
    max_output_chars : int
        Characters of each stream kept per cell.

    Returns
    -------
    c : traitlets.config.Config

    Notes
    -----
    The autograde pipeline is nbgrader's own (``Autograde.autograde_preprocessors``)
    with ``Execute`` replaced, and its sanitizing pipeline nbgrader's with
    ``OverwriteCells`` made quiet about released hidden tests
    (``execute.QuietOverwriteCells``); in both, ``CheckCellMetadata`` builds its
    schema's validator once, not at every cell (``execute.CheckCellMetadataOnce``:
    the same checks and errors); the feedback pipeline is ``GetGrades``,
    ``StripHiddenTests``, ``CSSHTMLHeaderPreprocessor``, rendered by
    ``feedback.FeedbackExporter``.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from .execute import CheckCellMetadataOnce, QuietOverwriteCells, RobustExecute
    from .feedback import FeedbackExporter, StripHiddenTests

    _silence_known_nbgrader_noise()
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                          QuietOverwriteCells, CheckCellMetadataOnce]

    c.Autograde.autograde_preprocessors = [
        RobustExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadataOnce,
    ]
    c.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
    # self-contained, sanitised pages: maths as MathML, no script, nothing from another host
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.RobustExecute.timeout = timeout
    c.RobustExecute.max_output_chars = max_output_chars
    return c
