"""The sample class's generator (examples/sample-class/make_class.py), loaded once for the tests
that read its plan (tests/test_course_demo.py, tests/test_i18n.py)."""

import functools
import importlib.util
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample-class"


@functools.cache
def load_make_class():
    """make_class.py as a module (None where the sample class is not in the checkout)."""
    if not (SAMPLE / "make_class.py").is_file():
        return None
    spec = importlib.util.spec_from_file_location("sample_class_make_class", SAMPLE / "make_class.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
