"""The grader's side of the picture cache (:mod:`convcourse._picture_cache`).

Before a class is graded, :func:`record_pictures` runs each instructor's notebook
once per language the class hands in, with ``CONVCOURSE_PICTURES_RECORD`` set: every
picture it draws is stored in the picture folder, keyed by the call, and so is every
training run of ``fit`` (:mod:`convcourse.nn._replay`: the last notebook's model).  The
grading kernels then read that folder (bound read-only into the sandbox at
:data:`SANDBOX_PICTURES`): a picture drawn with the same arguments is shown from the
folder, not drawn again (0.3 to 1 s each, 10 to 15 a notebook).

What is recorded, and why it is safe to show to students:

- the instructor's notebook **without its test cells** (visible and hidden): no
  check runs, no hidden case is drawn, and no seed or secret is in the recording
  kernel's environment; what is stored is what the released notebook draws (and the
  models it trains) with the instructor's answers, which the course library computes
  for anyone;
- by a kernel of the grader's (it runs the instructor's code, as ``nbgrader
  generate_assignment`` does), in a copy of the assignment's folder, with the
  environment a sandboxed kernel has where it matters to a picture (a fresh
  matplotlib configuration folder, the inline backend, the language) or to numpy's
  arithmetic (one BLAS thread, none of the grader's BLAS variables);
- once per content: a marker per (instructor's notebook, language, package
  fingerprint) says it was recorded; two runs that record at once take turns.

The folder is a cache: deleting it costs one recording per notebook and language.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from ..i18n import LANG_VAR
from .._picture_cache import PICTURES_VAR, RECORD_VAR, fingerprint
from ..nn._replay import NUMERIC_VARS
from .config import cache_folder
from .nbfacts import is_test_cell

__all__ = ["SANDBOX_PICTURES", "default_folder", "record_pictures", "recorded_marker"]

#: where a sandboxed kernel sees the picture folder (read-only)
SANDBOX_PICTURES = "/run/convcourse-pictures"

#: variables of the grader's environment a recording kernel does not get: the course
#: secret and seeds (no check runs there anyway), and what would change matplotlib's
#: defaults or numpy's arithmetic (a recorded training run) away from a sandboxed kernel's
_NOT_PASSED = ("CONVCOURSE_SECRET", "CONVCOURSE_SEEDS", PICTURES_VAR, "MATPLOTLIBRC",
               "MPLCONFIGDIR") + NUMERIC_VARS


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/convcourse/pictures`` (``~/.cache/...`` by default)."""
    return cache_folder("pictures")


def recorded_marker(folder, source: bytes, lang: str) -> Path:
    """The file saying that the notebook ``source`` (its bytes) was recorded in
    ``lang`` with this package (:func:`~convcourse._picture_cache.fingerprint`)."""
    h = hashlib.sha256(fingerprint() + b"\0" + lang.encode() + b"\0" + source)
    return Path(folder) / "recorded" / h.hexdigest()


def _recording_notebook(path: Path):
    """The instructor's notebook without its test cells (they check; they draw nothing
    a student's notebook draws the same way)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if not is_test_cell(cell)]
    return nb


def _recording_env(folder: Path, lang: str, mpl_dir: str) -> dict:
    from .execute import INLINE_BACKEND, pythonpath_with_package

    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}
    env["PYTHONPATH"] = pythonpath_with_package(env.get("PYTHONPATH", ""))
    env.update({RECORD_VAR: str(folder), LANG_VAR: lang, "MPLBACKEND": INLINE_BACKEND,
                "MPLCONFIGDIR": mpl_dir, "PYTHONHASHSEED": "0",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    return env


def record_pictures(source_dir, notebook: str, lang: str, folder=None, *,
                    timeout: int = 120) -> bool:
    """Record the pictures of the instructor's ``notebook`` in ``source_dir``, in ``lang``.

    Parameters
    ----------
    source_dir : path
        The assignment's source folder (the notebook and its files).
    notebook : str
        The notebook's name, without ``.ipynb``.
    lang : str
        The course language the pictures are drawn in.
    folder : path, optional
        The picture folder (default :func:`default_folder`).
    timeout : int
        Seconds a cell may run.

    Returns
    -------
    bool
        True if it ran the notebook, False if it had been recorded already.

    Raises
    ------
    FileNotFoundError
        If the notebook does not exist.
    """
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    folder = Path(default_folder() if folder is None else folder)
    path = Path(source_dir) / f"{notebook}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(path)!r} does not exist")
    marker = recorded_marker(folder, path.read_bytes(), lang)
    marker.parent.mkdir(parents=True, exist_ok=True)
    with open(marker.with_name(marker.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run recording it: wait, then reuse
        if marker.exists():
            return False
        with tempfile.TemporaryDirectory(prefix="convcourse-pictures-") as tmp:
            work, mpl_dir = Path(tmp) / "work", Path(tmp) / "matplotlib"
            shutil.copytree(source_dir, work)
            mpl_dir.mkdir()
            _seed_font_list(mpl_dir)
            nb = _recording_notebook(path)
            # Unix sockets in the private folder, as a sandboxed kernel: no TCP port, and
            # no warning on the grader's terminal that TCP is unencrypted
            km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                    ip=str(Path(tmp) / "kernel"),
                                    connection_file=str(Path(tmp) / "kernel.json"))
            client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                                    resources={"metadata": {"path": str(work)}})
            client.execute(env=_recording_env(folder, lang, str(mpl_dir)), cleanup_kc=True)
        marker.write_text(f"{path}\n{lang}\n")
    return True


def _seed_font_list(mpl_dir: Path) -> None:
    """The grader's matplotlib font list, as a sandboxed kernel gets it (``sandbox.py``)."""
    from .sandbox import _matplotlib_font_list

    fonts = _matplotlib_font_list()
    if fonts is not None:
        shutil.copyfile(fonts, mpl_dir / fonts.name)


if __name__ == "__main__":  # pragma: no cover - by hand: record one notebook
    print(record_pictures(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "en"))
