"""Re-make docs/feedback.png: a student's feedback page as the tests' offline browser draws it.

After `make demo` (or any `convcourse grade` run):

    .venv/bin/python docs/make_feedback_screenshot.py [FEEDBACK.html] [--cell GRADE_ID]

The default page is flipper's 01-convolution feedback in demo-output/ (a flipped kernel in
convolve2d_valid), shown from that function's hidden test cell.  Chromium runs headless
with no network (tests/browser.py); the PNG is reduced to 256 colours to stay small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import browser  # noqa: E402

DEFAULT = ROOT / "demo-output" / "feedback" / "flipper" / "01-convolution" / "01-convolution.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--cell", default="convolve2d_valid_hidden",
                        help="grade id of the cell to scroll to (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "feedback.png")
    args = parser.parse_args(argv)
    if browser.chromium() is None:
        parser.error("chromium is not installed (`make browser` installs it)")
    if not args.page.is_file():
        parser.error(f"page {str(args.page)!r} does not exist: run `make demo` first")
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        shot = browser.screenshot(args.page, Path(tmp) / "shot.png", width=1000, height=760,
                                  fragment=args.cell)
        image = Image.open(shot).convert("RGB")
        image.quantize(colors=256).save(args.output, optimize=True)
    print(f"{args.output}: {args.output.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
