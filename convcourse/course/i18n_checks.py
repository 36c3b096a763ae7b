"""Is a translation faithful?  Checks of one catalog entry against its English.

- :func:`invariant_problems`: formulas (``$...$``), code (backticks) and numbers
  are the same multiset in the English and the translation (numbers compared
  by value, so ``1,792``, ``1 792``, ``7.5`` and ``7,5`` are allowed their
  local spelling);
- :func:`glossary_problems`: where the English uses a term of the glossary
  (``convcourse/locale/glossary-<lang>.csv``), the translation uses its
  translation in some inflected form (a stem from the glossary's ``stems``
  column, ``ё`` read as ``е``); a term the translation keeps verbatim (a
  group's name in italics, ``*stride*``) needs no translation;
- :func:`english_left`: prose still in English in a translated paragraph.

``convcourse validate`` and ``tests/test_i18n.py`` run them over every entry.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from ..i18n import LOCALE_DIR

__all__ = ["formulas", "code_spans", "numbers", "invariant_problems", "read_glossary",
           "glossary_problems", "english_left", "entry_problems"]

_DISPLAY = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE = re.compile(r"(?<!\$)\$(?!\$)[^$]+?\$")
_CODE = re.compile(r"`[^`]+`")
_LINK = re.compile(r"\]\([^)]*\)")
# a number: digits, with thousands grouped by ',' or a space (``1,792``, ``1 792``) or a decimal
# part after '.' or ',' (``7.5``, ``7,5``)
_NUMBER = re.compile(r"\d+(?:[,\u00a0\u202f ]\d{3}(?!\d))*(?:[.,]\d+)?")


def _spans(found) -> Counter:
    # a line break inside a span is a space: the translation wraps its lines elsewhere
    return Counter(re.sub(r"\s+", " ", span) for span in found)


def formulas(text: str) -> Counter:
    """The ``$$...$$`` and ``$...$`` spans of a markdown text (white space normalised)."""
    return _spans(_DISPLAY.findall(text) + _INLINE.findall(_DISPLAY.sub(" ", text)))


def code_spans(text: str) -> Counter:
    """The backticked spans outside formulas (white space normalised)."""
    return _spans(_CODE.findall(_DISPLAY.sub(" ", text)))


_PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")
# identifiers written without backticks in the package's messages: ``kernel[a, b]``, ``stride=2``
_IDENTIFIER = re.compile(r"\b\w+(?:\.\w+)+|\b\w+(?=[\[=(])")


def _prose(text: str) -> str:
    """The text without formulas, code, link targets and template placeholders."""
    text = _PLACEHOLDER.sub(" ", text)
    text = _DISPLAY.sub(" ", text)
    text = _CODE.sub(" ", text)
    text = _INLINE.sub(" ", text)
    return _LINK.sub(" ", text)


def numbers(text: str) -> Counter:
    """The numbers of the prose (outside formulas and code), by value.

    Examples
    --------
    >>> sorted(numbers("1,792 weights, 7.5 billion, stride 2, `x[3]`"))
    ['1792', '2', '7.5']
    >>> sorted(numbers("1 792 веса, 7,5 миллиарда, шаг 2"))
    ['1792', '2', '7.5']
    """
    found = Counter()
    for raw in _NUMBER.findall(_prose(text)):
        value = re.sub(r"[,\u00a0\u202f ](\d{3})(?!\d)", r"\1", raw)
        found[value.replace(",", ".")] += 1
    return found


def invariant_problems(msgid: str, msgstr: str) -> list[str]:
    """Formulas, code and numbers that differ between the English and the translation."""
    problems = []
    for what, get in (("formulas", formulas), ("code", code_spans), ("numbers", numbers)):
        english, other = get(msgid), get(msgstr)
        if english != other:
            lost = sorted((english - other).elements())
            added = sorted((other - english).elements())
            problems.append(f"{what} differ: missing {lost}, extra {added}")
    return problems


def read_glossary(lang: str = "ru", path: Path | None = None) -> list[dict]:
    """The glossary's rows: ``english``, ``russian``, ``stems`` (a list), ``notes``."""
    path = Path(path or LOCALE_DIR / f"glossary-{lang}.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["stems"] = [s.strip().lower().replace("ё", "е") for s in row["stems"].split("|") if s.strip()]
    return rows


def _term(english: str) -> re.Pattern:
    words = r"[\s-]+".join(re.escape(w) for w in english.split())
    return re.compile(rf"\b{words}(?:s|es)?\b", re.I)


def glossary_problems(msgid: str, msgstr: str, glossary: list[dict]) -> list[str]:
    """The glossary terms of the English whose translation the translated text lacks.

    Examples
    --------
    >>> rows = [{"english": "stride", "russian": "шаг", "stems": ["шаг"]}]
    >>> glossary_problems("stride 2", "с шагом 2", rows), glossary_problems("stride 2", "страйд 2", rows)
    ([], ["'stride' (шаг) is not translated by the glossary's term"])
    """
    english = _IDENTIFIER.sub(" ", _prose(msgid))
    kept = {span for span in re.findall(r"\*[^*\s][^*]*\*", english) if span in msgstr}
    for span in kept:
        english = english.replace(span, " ")
    translated = msgstr.lower().replace("ё", "е")
    problems = []
    for row in glossary:
        if _term(row["english"]).search(english) and not any(s in translated for s in row["stems"]):
            problems.append(f"{row['english']!r} ({row['russian']}) is not translated by the glossary's term")
    return problems


_CALL = re.compile(r"\b\w+\([^()]*\)")  # code written without backticks: len(row)


_FUNCTION_WORDS = {"the", "of", "a", "an", "is", "are", "and", "or", "to", "in", "with", "not",
                   "your", "you", "it", "this", "that", "for", "on", "by", "be", "as", "at", "was"}


def english_left(msgstr: str, min_words: int = 4) -> str | None:
    """A run of at least ``min_words`` English words in a translation (left untranslated), or None.

    A run counts as English prose when it holds a function word ("the", "of", "is"...);
    a list of library names (``sklearn, torch``) does not.
    """
    text = _CALL.sub(" ", _IDENTIFIER.sub(" ", _prose(msgstr)))
    for run in re.finditer(r"(?:\b[a-z][a-z']+\b[\s,;:()]*){%d,}" % min_words, text):
        if _FUNCTION_WORDS & set(re.findall(r"[a-z']+", run.group(0))):
            return run.group(0).strip()
    return None


def entry_problems(msgid: str, msgstr: str, glossary: list[dict]) -> list[str]:
    """Every problem of one translated entry (empty when it is faithful)."""
    problems = invariant_problems(msgid, msgstr) + glossary_problems(msgid, msgstr, glossary)
    left = english_left(msgstr)
    if left:
        problems.append(f"English left in the translation: {left!r}")
    return problems
