"""A real headless browser with no network, for the feedback-page tests and docs/feedback.png.

Debian's ``chromium`` (``make browser`` installs it).  It runs with every network
path closed: in a new network namespace (``unshare -n``) where that works, and
always with a proxy that goes nowhere and background networking off, so a page
that needed anything from another host would show it missing.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["chromium", "run_checks", "screenshot", "PAGE_CHECKS"]

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-default-apps", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
          "--hide-scrollbars"]

#: run in the page after it loaded; writes what the tests assert into <body data-checks>
PAGE_CHECKS = """
<script>
window.addEventListener("load", () => {
  const below = s => s.children.length > 1
      && s.children[1].getBoundingClientRect().bottom > s.children[0].getBoundingClientRect().bottom;
  const outputPres = [...document.querySelectorAll("div.output_area pre, div.output_subarea pre")];
  const result = {
    maths: document.querySelectorAll("math").length,
    subscripts: [...document.querySelectorAll("msub")].map(below),
    fractions: [...document.querySelectorAll("mfrac")].map(f => f.children.length > 1
        && f.children[0].getBoundingClientRect().bottom <= f.children[1].getBoundingClientRect().top + 1),
    images: [...document.images].map(i => ({width: i.naturalWidth, src: i.src.slice(0, 22)})),
    overflowing: outputPres.filter(p => p.scrollWidth > p.clientWidth + 1).length,
    outputPres: outputPres.length,
    rawDollars: (document.body.innerText.match(/\\$[^$\\s][^$]*?_\\{/g) || []).length,
    pwned: document.documentElement.getAttribute("data-pwned"),
  };
  document.body.setAttribute("data-checks", JSON.stringify(result));
});
</script>
"""


def chromium() -> str | None:
    """The chromium binary, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _offline(argv: list[str]) -> list[str]:
    """``argv`` in a network namespace of its own when this machine allows one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", *argv]
    return argv


def _run(extra: list[str], target: str, timeout: float = 180) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="convcourse-chromium-") as profile:
        argv = [chromium(), *_FLAGS, f"--user-data-dir={profile}", *extra, target]
        return subprocess.run(_offline(argv), capture_output=True, text=True, timeout=timeout)


def run_checks(page: Path, workdir: Path) -> dict:
    """Open a copy of ``page`` with :data:`PAGE_CHECKS` appended; return what they found."""
    copy = Path(workdir) / f"checked-{Path(page).name}"
    copy.write_text(Path(page).read_text(encoding="utf-8") + PAGE_CHECKS, encoding="utf-8")
    done = _run(["--virtual-time-budget=10000", "--dump-dom"], copy.as_uri())
    match = re.search(r'data-checks="([^"]*)"', done.stdout)
    if match is None:
        raise RuntimeError(f"chromium gave no result (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(html.unescape(match.group(1)))


def _anchor_top(page: Path, name: str) -> float:
    """Where the anchor ``<a name=NAME>`` is on the page, in CSS pixels from the top."""
    with tempfile.TemporaryDirectory(prefix="convcourse-page-") as tmp:
        copy = Path(tmp) / Path(page).name
        copy.write_text(Path(page).read_text(encoding="utf-8") + (
            "<script>window.addEventListener('load', () => { const a = document.querySelector("
            f"'a[name=\"{name}\"]'); document.body.setAttribute('data-top', a ? "
            "String(a.getBoundingClientRect().top + window.scrollY) : 'none'); });</script>"),
            encoding="utf-8")
        done = _run(["--virtual-time-budget=10000", "--dump-dom"], copy.as_uri())
    match = re.search(r'data-top="([0-9.]+)"', done.stdout)
    if match is None:
        raise RuntimeError(f"no anchor named {name!r} in {page}")
    return float(match.group(1))


def screenshot(page: Path, png: Path, *, width: int = 1000, height: int = 1200,
               fragment: str = "") -> Path:
    """A PNG of ``page`` as the browser draws it: its top, or from the anchor ``fragment`` on.

    Headless chromium draws nothing when it scrolls to an anchor itself, so the page is
    drawn tall enough to reach the anchor and the picture cut out below it.
    """
    top = max(0, int(_anchor_top(page, fragment)) - 40) if fragment else 0
    done = _run([f"--window-size={width},{top + height}", "--virtual-time-budget=10000",
                 f"--screenshot={Path(png).resolve()}"], Path(page).resolve().as_uri())
    if not Path(png).is_file():
        raise RuntimeError(f"chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}")
    if top:
        from PIL import Image

        with Image.open(png) as image:
            cut = image.crop((0, top, width, top + height))
        cut.save(png)
    return Path(png)
