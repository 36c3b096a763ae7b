"""The course's languages at run time: which one is in use, and gettext look-ups.

The English text in the code is the message id; translations live in gettext
catalogs under ``convcourse/locale/<lang>/LC_MESSAGES/`` (``.po`` written by
the instructor's ``convcourse i18n`` commands with Babel, ``.mo`` compiled from
them and read here with the standard library's :mod:`gettext`, so a student's
kernel needs nothing beyond the package).  The ``convcourse`` domain holds the
package's messages (the checks' mistakes and reports, the pictures' titles);
each assignment's domain holds its notebook's prose.

Text is translated where it is rendered, not where it is written:
:func:`translate` takes a finished English message (a report, a title) and
looks it up, first whole, then line by line, then against the catalog's
*templates*, message ids with ``{name}`` placeholders such as
``"expected shape {expected}, received shape {received}"``; the values a
template captures are translated in turn.  What is not in the catalog stays
English, so a missing translation never hides a message.

The language is, in order: :func:`set_language`; the ``CONVCOURSE_LANG``
environment variable (the grader sets it from the notebook's metadata); the
``metadata.convcourse.lang`` of the notebook a Jupyter kernel runs (Jupyter
tells the kernel its notebook in ``JPY_SESSION_NAME``); English.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import json
import os
import re
from pathlib import Path

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "LANG_VAR", "DOMAIN", "LOCALE_DIR", "set_language",
           "get_language", "notebook_language", "gettext", "translate", "messages"]

#: the languages of the course; English is the source
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
#: the environment variable that carries a notebook's language into its kernel
LANG_VAR = "CONVCOURSE_LANG"
#: the gettext domain of the package's own messages
DOMAIN = "convcourse"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: list = [None]


def _check(lang) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGUAGES))}; got {lang!r}")
    return lang


def set_language(lang: str | None) -> None:
    """Use ``lang`` for reports and pictures from now on (None: back to automatic).

    Raises
    ------
    ValueError
        If ``lang`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> set_language("ru"); get_language()
    'ru'
    >>> set_language(None)
    """
    _chosen[0] = None if lang is None else _check(lang)


def notebook_language(nb) -> str:
    """The language a notebook records in ``metadata.convcourse.lang`` (English if none).

    Raises
    ------
    ValueError
        If the recorded language is not one of :data:`LANGUAGES`.
    """
    lang = (nb.get("metadata", {}).get("convcourse", {}) or {}).get("lang", DEFAULT_LANGUAGE)
    return _check(lang)


def _session_language() -> str | None:
    """The language of the notebook this Jupyter kernel runs, if Jupyter said which."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    if not path.endswith(".ipynb"):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return notebook_language(json.load(f))
    except (OSError, ValueError, AttributeError):
        return None


def get_language() -> str:
    """The language in use now (see the module's docstring for the order)."""
    if _chosen[0] is not None:
        return _chosen[0]
    env = os.environ.get(LANG_VAR)
    if env in LANGUAGES:
        return env
    return _session_language() or DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=None)
def messages(lang: str, domain: str = DOMAIN) -> dict:
    """Every translated message of ``domain`` in ``lang``: ``{msgid: msgstr}`` (empty for English)."""
    if _check(lang) == DEFAULT_LANGUAGE:
        return {}
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
    if not path.is_file():
        return {}
    with open(path, "rb") as f:
        catalog = _gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the stdlib's own table
    return {k: v for k, v in catalog.items() if isinstance(k, str) and k and v}


def gettext(msgid: str, lang: str | None = None, domain: str = DOMAIN) -> str:
    """``msgid`` in ``lang`` (default: :func:`get_language`), or ``msgid`` itself when untranslated.

    Examples
    --------
    >>> gettext("kernel flipped", "en")
    'kernel flipped'
    """
    lang = get_language() if lang is None else lang
    return messages(lang, domain).get(msgid, msgid)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@functools.lru_cache(maxsize=None)
def _templates(lang: str, domain: str) -> dict:
    """The catalog's templates as ``{line count: [(regex, msgstr)]}``, the most specific first.

    A placeholder stands for text within one line, so a template matches a
    message of as many lines as it has, never a whole report by accident.
    """
    found: dict = {}
    for msgid, msgstr in messages(lang, domain).items():
        if not _PLACEHOLDER.search(msgid):
            continue
        pattern, pos = "", 0
        for m in _PLACEHOLDER.finditer(msgid):
            pattern += re.escape(msgid[pos:m.start()]) + f"(?P<{m.group(1)}>[^\\n]*?)"
            pos = m.end()
        pattern += re.escape(msgid[pos:])
        literal = len(_PLACEHOLDER.sub("", msgid))
        found.setdefault(msgid.count("\n") + 1, []).append(
            (literal, re.compile(pattern + r"\Z"), msgstr))
    return {n: [(regex, msgstr) for _, regex, msgstr in sorted(items, key=lambda t: -t[0])]
            for n, items in found.items()}


def translate(text: str, lang: str | None = None, domain: str = DOMAIN) -> str:
    """A finished English message in ``lang``: whole, by template, or line by line.

    Parameters
    ----------
    text : str
        The English message as rendered (a report, a title).
    lang : str, optional
        Default :func:`get_language`.
    domain : str, optional
        The gettext domain (default the package's).

    Returns
    -------
    str
        The translation; the parts no catalog entry covers stay English.

    Examples
    --------
    >>> translate("likely mistake: kernel flipped (see above)", "en")
    'likely mistake: kernel flipped (see above)'
    """
    lang = get_language() if lang is None else lang
    if lang == DEFAULT_LANGUAGE or not text:
        return text
    table = messages(lang, domain)
    if not table:
        return text
    return _translate(text, lang, domain, table, depth=0)


def _translate(text: str, lang: str, domain: str, table: dict, depth: int) -> str:
    if text in table:
        return table[text]
    stripped = text.strip()
    if stripped != text and stripped in table:
        start = text.index(stripped)
        return text[:start] + table[stripped] + text[start + len(stripped):]
    if depth < 4 and stripped:
        for regex, msgstr in _templates(lang, domain).get(stripped.count("\n") + 1, ()):
            m = regex.match(stripped)
            if m:
                values = {k: _translate(v, lang, domain, table, depth + 1)
                          for k, v in m.groupdict().items()}
                try:
                    done = msgstr.format(**values)
                except (KeyError, IndexError, ValueError):  # a broken translation: keep English
                    continue
                start = text.index(stripped)
                return text[:start] + done + text[start + len(stripped):]
    if "\n" in text:
        return "\n".join(_translate(line, lang, domain, table, depth) for line in text.split("\n"))
    raised = _EXCEPTION.match(text)
    if raised and depth < 4:  # "NotAPair: <the check's message>": the exception's name stays
        return raised.group(1) + _translate(raised.group(2), lang, domain, table, depth + 1)
    return text


#: an exception's summary, ``Name: message`` (a CamelCase name, no spaces)
_EXCEPTION = re.compile(r"(\s*[A-Z][a-z]+(?:[A-Z][A-Za-z]*)+: )(.+)\Z", re.S)
