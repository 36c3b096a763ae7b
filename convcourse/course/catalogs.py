"""``convcourse i18n``: the gettext catalogs of the course, kept with Babel.

Two kinds of domain, under ``convcourse/locale/`` (``<domain>.pot`` templates,
``<lang>/LC_MESSAGES/<domain>.po`` translations and the ``.mo`` compiled from
them, all committed):

- one per assignment (``01-convolution``, ...): the prose of its notebooks,
  one message per paragraph of every markdown cell (a paragraph is a block
  between blank lines; a fenced code block stays whole; a block with no words
  outside formulas and code, a display formula say, is not a message and is
  copied as it is);
- ``convcourse``: the package's own messages, the checks' mistakes (the name
  and hint of every ``Mistake(...)`` in ``convcourse/grading``), the phrases
  of their reports (:data:`convcourse._messages.PHRASES`) and the pictures'
  titles and labels (the literal text given to matplotlib in
  ``convcourse/viz``); an f-string becomes a template with ``{name}``
  placeholders (see :func:`convcourse.i18n.translate`).

Phases: :func:`extract` (sources -> templates), :func:`update` (templates ->
each language's ``.po``: new entries untranslated, changed ones fuzzy, removed
ones obsolete; then compiled), :func:`translate_notebook` (a released English
notebook -> its edition in another language), :func:`catalog_problems`
(untranslated, fuzzy and obsolete entries, for tests and ``validate``).
"""

from __future__ import annotations

import ast
import copy
import io
import re
from pathlib import Path

from ..i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR
from .config import assignments, notebook_names

__all__ = ["split_paragraphs", "is_prose", "notebook_messages", "package_messages", "extract",
           "update", "compile_catalogs", "read_catalog", "translate_notebook",
           "catalog_problems", "domains", "TRANSLATIONS"]

#: the languages with translations (English is the source)
TRANSLATIONS = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)

_FENCE = re.compile(r"^\s*(```|~~~)")
# what is not prose: display and inline formulas, inline code, links' targets, html tags
_NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)|<[^>]+>", re.S)


def split_paragraphs(source: str) -> list[str]:
    """A markdown cell's blocks between blank lines, fenced code blocks kept whole.

    ``"\\n\\n".join(split_paragraphs(s))`` gives ``s`` back for a cell whose
    blocks are separated by single blank lines (the course's style), and
    :func:`translate_notebook` joins translated blocks the same way.

    Examples
    --------
    >>> split_paragraphs("# Title\\n\\nSome text\\non two lines.\\n\\n$$x$$")
    ['# Title', 'Some text\\non two lines.', '$$x$$']
    """
    blocks, current, fenced = [], [], False
    for line in source.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def is_prose(block: str) -> bool:
    """True when a block has words outside formulas, code and link targets.

    Examples
    --------
    >>> is_prose("$$y = x * k$$"), is_prose("The kernel `k` slides.")
    (False, True)
    """
    if _FENCE.match(block):
        return False
    rest = _NOT_PROSE.sub(" ", block)
    return re.search(r"[^\W\d_]{2,}", rest) is not None


def notebook_messages(nb) -> list[tuple[str, str]]:
    """``(paragraph, where)`` for every prose paragraph of the notebook's markdown cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for p, block in enumerate(split_paragraphs(cell.source)):
            if is_prose(block):
                found.append((block, f"cell {cell.get('id') or index}, paragraph {p + 1}"))
    return found


# ----------------------------------------------------------- package messages

_VIZ_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "set_text", "text",
              "annotate", "legend", "title", "xlabel", "ylabel"}
_VIZ_KEYWORDS = {"label", "title", "xlabel", "ylabel", "labels", "titles"}
# the texts of a check that reach a report besides its mistakes
_GRADING_KEYWORDS = {"why", "forbidden_text", "passed_message"}


def _template(node) -> str | None:
    """The text of a string literal or an f-string as a template, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text, used = "", {}
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            else:
                expr = part.value
                name = expr.id if isinstance(expr, ast.Name) else "value"
                used[name] = used.get(name, 0) + 1
                text += "{" + (name if used[name] == 1 else f"{name}{used[name]}") + "}"
        return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _strings(node) -> list[str]:
    """Every string (or template) a node holds: itself, or the items of a list/tuple."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [t for item in node.elts for t in _strings(item)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    text = _template(node)
    return [text] if text is not None else []


def _worth(text: str) -> bool:
    """Text a reader reads: words, not a bare placeholder, number or format."""
    return re.search(r"[A-Za-z]{2,}", _PLACEHOLDERS.sub("", text)) is not None


_PLACEHOLDERS = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


_INTERNAL_ERRORS = {"ValueError", "TypeError", "RuntimeError", "KeyError", "AssertionError"}


def _grading_texts(node) -> list[str]:
    """The texts of a check that reach a report, besides mistakes and keyword arguments.

    A sentence kept in a variable (``too_big = "the window is larger than the input"``),
    the message of an exception raised for the report (``raise NotAPair(f"...")``) and a
    report's section heading (``("The loss (the first value returned):", results)``).
    """
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        # one line: a docstring template or a Notes text is not a report's sentence
        return [t for t in _strings(node.value) if len(t.split()) >= 3 and "\n" not in t
                and len(_PLACEHOLDERS.sub("", t).split()) >= 3]
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
        # a bad argument to the grading code itself is the instructor's business, not a report
        if getattr(node.exc.func, "id", "") in _INTERNAL_ERRORS:
            return []
        return [t for arg in node.exc.args for t in _strings(arg)]
    if isinstance(node, ast.Tuple) and node.elts:
        first = _template(node.elts[0])
        return [first] if first and first.endswith(":") and len(first.split()) >= 3 else []
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_Finding":
        return [t for arg in node.args[1:] for t in _strings(arg)]
    return []


def _python_messages(path: Path, root: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(root).as_posix()
    found = []
    viz = "viz" in path.parts
    for node in ast.walk(tree):
        texts = [] if viz else _grading_texts(node)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name == "Mistake":
                texts += [t for arg in node.args[:2] for t in _strings(arg)]
                texts += [t for kw in node.keywords if kw.arg in ("name", "hint")
                          for t in _strings(kw.value)]
            elif viz and name in _VIZ_CALLS:
                texts += [t for arg in node.args if not isinstance(arg, ast.Constant)
                          or isinstance(arg.value, str) for t in _strings(arg)]
            wanted = _VIZ_KEYWORDS if viz else _GRADING_KEYWORDS
            texts += [t for kw in node.keywords if kw.arg in wanted for t in _strings(kw.value)]
        # str.format's "{}" becomes a named placeholder, so that the text is a template
        found += [(t.replace("{}", "{value}"), f"{rel}:{getattr(node, 'lineno', 0)}")
                  for t in texts if _worth(t)]
    return found


def package_messages(root: Path) -> list[tuple[str, str]]:
    """``(message, where)`` for the package's messages: mistakes, report phrases, pictures."""
    from .. import _messages
    from .student_readme import STUDENT_README

    package = Path(root) / "convcourse"
    found = [(text, "convcourse/_messages.py") for text in _messages.PHRASES]
    found.append((STUDENT_README, "convcourse/course/student_readme.py: STUDENT_README"))
    for folder in ("grading", "viz"):
        for path in sorted((package / folder).glob("*.py")):
            found += _python_messages(path, Path(root))
    return found


# ----------------------------------------------------------------- catalogs

def domains(root: Path) -> list[str]:
    """The catalog domains: every assignment, then the package's."""
    return assignments(Path(root) / "solutions") + [DOMAIN]


def _new_catalog(domain: str, lang: str | None = None):
    from babel.messages.catalog import Catalog

    return Catalog(locale=lang, domain=domain, project="convcourse", version="1",
                   copyright_holder="convcourse authors", charset="utf-8",
                   fuzzy=False)


def _messages_of(root: Path, domain: str) -> list[tuple[str, str]]:
    import nbformat

    if domain == DOMAIN:
        return package_messages(root)
    found = []
    for name in notebook_names(root / "solutions" / domain):
        nb = nbformat.read(root / "solutions" / domain / f"{name}.ipynb", as_version=4)
        found += [(text, f"{name}.ipynb {where}") for text, where in notebook_messages(nb)]
    return found


def extract(root, locale_dir: Path | None = None) -> dict:
    """Write every domain's template ``<domain>.pot`` from the sources.

    Returns
    -------
    dict
        domain -> the template :class:`babel.messages.catalog.Catalog`.
    """
    from babel.messages.pofile import write_po

    root, locale_dir = Path(root), Path(locale_dir or LOCALE_DIR)
    locale_dir.mkdir(parents=True, exist_ok=True)
    templates = {}
    for domain in domains(root):
        catalog = _new_catalog(domain)
        for text, where in _messages_of(root, domain):
            message = catalog.get(text)
            if message is None:
                catalog.add(text, auto_comments=[where],
                            flags=("python-format",) if _PLACEHOLDERS.search(text) and domain == DOMAIN else ())
            elif where not in message.auto_comments:
                message.auto_comments.append(where)
        _write(locale_dir / f"{domain}.pot", catalog, write_po)
        templates[domain] = catalog
    return templates


def _write(path: Path, catalog, writer, **kwargs) -> None:
    buf = io.BytesIO()
    writer(buf, catalog, width=0, omit_header=False, sort_output=False, **kwargs)
    # the header's creation date changes every run: keep the file as it was when nothing else did
    text = re.sub(rb'"POT-Creation-Date: [^"]*"', b'"POT-Creation-Date: 2026-01-01 00:00+0000\\\\n"',
                  buf.getvalue())
    text = re.sub(rb'"PO-Revision-Date: [^"]*"', b'"PO-Revision-Date: 2026-01-01 00:00+0000\\\\n"', text)
    if not path.is_file() or path.read_bytes() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)


def read_catalog(path: Path, lang: str | None = None):
    """A ``.po`` or ``.pot`` file as a Babel catalog."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def update(root, locale_dir: Path | None = None, langs=TRANSLATIONS) -> dict:
    """Extract, then bring every language's ``.po`` in step with the templates, and compile.

    A new message arrives untranslated; a changed one keeps its old
    translation marked fuzzy (Babel's fuzzy matching), which counts as
    missing until a translator revises it and drops the flag; a removed one
    becomes obsolete (``#~``) and is dropped from the next update.

    Returns
    -------
    dict
        ``{lang: {domain: problems}}`` after the update (see :func:`catalog_problems`).
    """
    from babel.messages.pofile import write_po

    locale_dir = Path(locale_dir or LOCALE_DIR)
    templates = extract(root, locale_dir)
    report = {}
    for lang in langs:
        report[lang] = {}
        for domain, template in templates.items():
            path = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
            if path.is_file():
                catalog = read_catalog(path, lang)
                catalog.obsolete.clear()
            else:
                catalog = _new_catalog(domain, lang)
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
            _write(path, catalog, write_po, include_previous=True)
            report[lang][domain] = catalog_problems(read_catalog(path, lang))
    compile_catalogs(locale_dir, langs)
    return report


def compile_catalogs(locale_dir: Path | None = None, langs=TRANSLATIONS) -> list[Path]:
    """Compile every ``.po`` into its ``.mo`` (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo

    locale_dir = Path(locale_dir or LOCALE_DIR)
    written = []
    for lang in langs:
        for po in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po")):
            buf = io.BytesIO()
            write_mo(buf, read_catalog(po, lang), use_fuzzy=False)
            mo = po.with_suffix(".mo")
            if not mo.is_file() or mo.read_bytes() != buf.getvalue():
                mo.write_bytes(buf.getvalue())
            written.append(mo)
    return written


def catalog_problems(catalog) -> list[str]:
    """What keeps a translation from being complete: untranslated, fuzzy and obsolete entries."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        first = message.id.split("\n")[0][:70]
        if message.fuzzy:
            problems.append(f"fuzzy (the English changed; revise the translation): {first!r}")
        elif not message.string:
            problems.append(f"untranslated: {first!r}")
    problems += [f"obsolete (no longer in the English): {str(mid).split(chr(10))[0][:70]!r}"
                 for mid in catalog.obsolete]
    return problems


def translate_notebook(nb, lang: str, table: dict):
    """The edition of a notebook in ``lang``: its markdown prose translated, nothing else.

    Parameters
    ----------
    nb : NotebookNode
        An English notebook (source or release).
    lang : str
        The language recorded in ``metadata.convcourse.lang``.
    table : dict
        ``{English paragraph: translation}`` (a domain's messages).

    Returns
    -------
    nb : NotebookNode
        A copy; code cells, ids, nbgrader metadata and the rest unchanged.
    missing : list of str
        The prose paragraphs the table does not translate (left in English).
    """
    out = copy.deepcopy(nb)
    missing = []
    for cell in out.cells:
        if cell.cell_type != "markdown":
            continue
        blocks = split_paragraphs(cell.source)
        translated = []
        for block in blocks:
            if is_prose(block) and block not in table:
                missing.append(block)
            translated.append(table.get(block, block) if is_prose(block) else block)
        cell.source = "\n\n".join(translated)
    out.metadata.setdefault("convcourse", {})["lang"] = lang
    return out, missing
