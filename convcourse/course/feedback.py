"""Feedback without hidden tests.

nbgrader's ``generate_feedback`` copies the autograded notebook into HTML, and
the autograded notebook holds the instructor's test cells verbatim, hidden
tests included (jupyter/nbgrader#917).  ``StripHiddenTests`` runs in the
feedback pipeline (``config.apply_robust_pipeline``) and removes every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region; in cells that
had one it also cuts error tracebacks (which quote source lines) down to their
last line.  ``missing_feedback_html`` writes the page for a notebook that
could not be graded at all.

``FeedbackExporter`` renders the page (nbgrader's feedback template, extended
by ``templates/convcourse_feedback``): self-contained and safe to open
anywhere (``safe_html``: maths pre-rendered to MathML, the notebook's HTML and
markdown sanitised, animation players as animated PNGs), long output lines
wrapped, and each test cell named by its exercise and kind in the index.
A grading process renders many pages: the templates are compiled once per
process (``_COMPILED``), and the page is not parsed again after rendering
(nbconvert's BeautifulSoup pass, half of a page's time, did nothing the
sanitiser keeps but the images' alternative text, which ``_with_alt_text`` adds).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import NbGraderPreprocessor
from jinja2 import BytecodeCache, pass_context
from traitlets import List, Unicode
from traitlets.config import Config

from .nbfacts import ANSI as _ANSI
from .nbfacts import split_grade_id
from .safe_html import animation_as_image, sanitize, tex_to_mathml

__all__ = ["StripHiddenTests", "strip_hidden_tests", "missing_feedback_html", "FeedbackExporter",
           "grade_cell_label", "TEMPLATE_NAME", "template_dirs", "keep_compiled_templates"]

#: the feedback template (``templates/<name>/index.html.j2``), extending nbgrader's
TEMPLATE_NAME = "convcourse_feedback"

def strip_hidden_tests(source: str, begin: str = "BEGIN HIDDEN TESTS",
                       end: str = "END HIDDEN TESTS",
                       placeholder: str = "# (hidden tests are not shown)") -> tuple[str, bool]:
    """Remove the hidden-test regions of a cell's source.

    Parameters
    ----------
    source : str
        The cell source.
    begin, end : str
        The delimiters (nbgrader's defaults).
    placeholder : str
        The line that replaces each region.

    Returns
    -------
    source : str
        The source without hidden tests.
    removed : bool
        Whether a region was found.  An unterminated region runs to the end.

    Examples
    --------
    >>> text = "check(f)\\n### BEGIN HIDDEN TESTS\\nsecret(f)\\n### END HIDDEN TESTS"
    >>> strip_hidden_tests(text)
    ('check(f)\\n# (hidden tests are not shown)', True)
    """
    kept, inside, removed = [], False, False
    for line in source.splitlines():
        if not inside and begin in line:
            inside, removed = True, True
            kept.append(placeholder)
        elif inside:
            if end in line:
                inside = False
        else:
            kept.append(line)
    return "\n".join(kept), removed


class StripHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests (and tracebacks quoting them) from feedback."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)
    # the HTML exporter configures display_data_priority for every preprocessor; accepting
    # it (as nbgrader's GetGrades does) stops traitlets warning that it is not recognised
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value
                                 ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        """Strip one cell."""
        source, removed = strip_hidden_tests(
            cell.source, self.begin_test_delimeter, self.end_test_delimeter
        )
        if removed:
            cell.source = source
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    summary = _ANSI.sub("", f"{output.get('ename', '')}: {output.get('evalue', '')}")
                    output["traceback"] = [summary]
        return cell, resources


def missing_feedback_html(student: str, assignment: str, notebook: str, reason: str,
                          max_score: float) -> str:
    """The feedback page for a notebook that could not be graded at all.

    Examples
    --------
    >>> page = missing_feedback_html("bob", "a1", "nb", "no notebook submitted", 10)
    >>> "no notebook submitted" in page and "0 / 10" in page
    True
    """
    esc = html.escape
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{esc(notebook)} feedback</title></head>\n<body>\n"
        f"<h1>{esc(assignment)} / {esc(notebook)}: feedback for {esc(student)}</h1>\n"
        f"<p><b>Score: 0 / {max_score:g}</b></p>\n"
        f"<p>This notebook could not be graded: {esc(reason)}.</p>\n"
        "</body></html>\n"
    )


# --------------------------------------------------------------------------- the page

def grade_cell_label(grade_id: str) -> str:
    """How the feedback's index names a test cell: its exercise and its kind.

    Examples
    --------
    >>> grade_cell_label("pad2d_visible"), grade_cell_label("pad2d_hidden")
    ('pad2d: visible tests', 'pad2d: hidden tests')
    >>> grade_cell_label("bonus")
    'bonus: tests'
    """
    exercise, kind = split_grade_id(grade_id)
    return f"{exercise}: {kind + ' ' if kind else ''}tests"


def template_dirs() -> list[str]:
    """Where the feedback template and the nbgrader template it extends live."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    return [str(Path(__file__).parent / "templates"), str(nbgrader_templates)]


class _MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with formulas as MathML instead of MathJax's ``$...$``."""

    def block_math(self, body: str) -> str:
        return tex_to_mathml(body, display=True)

    def multiline_math(self, text: str) -> str:
        return tex_to_mathml(text.strip().strip("$"), display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def inline_math(self, body: str) -> str:
        return tex_to_mathml(body, display=False)


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_BODY = re.compile(r"(<body[^>]*>)(.*)(</body>)", re.DOTALL | re.IGNORECASE)
_LATEX_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)


def _without_font_files(css: str) -> str:
    """Bootstrap's CSS without its ``@font-face`` rules (icon fonts the page would fetch)."""
    import markupsafe

    return markupsafe.Markup(_FONT_FACE.sub("", str(css)))  # noqa: S704 - our own CSS


def _html_output(value: str) -> str:
    """A ``text/html`` output, sanitised on its own: matplotlib's JavaScript player becomes an
    animated PNG, anything else is closed where it ends (an unclosed ``<b>`` or a stray
    ``</div>`` of the notebook's stays inside its output box, whatever the page around it)."""
    return animation_as_image(value) or sanitize(value)


def _latex_output_as_mathml(value: str) -> str:
    """A ``text/latex`` output: its ``$...$`` / ``\\[...\\]`` formulas as MathML, the rest escaped."""
    parts, last = [], 0
    for match in _LATEX_MATH.finditer(value):
        parts.append(html.escape(value[last:match.start()]))
        block, inline, block2, inline2 = match.groups()
        tex = next(t for t in match.groups() if t is not None)
        parts.append(tex_to_mathml(tex, display=block is not None or block2 is not None))
        last = match.end()
    parts.append(html.escape(value[last:]))
    return "".join(parts)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML, self-contained and sanitised.

    Everything between ``<body>`` and ``</body>`` (the notebook's markdown, its
    outputs, the template's own markup) goes through :func:`safe_html.sanitize`;
    the head is the template's (inline CSS only).  Outputs that only JavaScript
    can show (widgets, ``application/javascript``) are shown as their next
    richest form, usually their text.
    """

    def __init__(self, config=None, **kwargs):
        # this page is only right with this template, whatever nbgrader's GenerateFeedback
        # configured for HTMLExporter (a subclass's section of a config wins over its base's)
        ours, nbgrader_templates = template_dirs()
        bootstrap = (Path(nbgrader_templates).parent / "static" / "node_modules" / "bootstrap"
                     / "dist" / "css")
        config = Config(config) if config is not None else Config()
        config.FeedbackExporter.template_name = TEMPLATE_NAME
        config.FeedbackExporter.extra_template_basedirs = [ours, nbgrader_templates]
        config.FeedbackExporter.extra_template_paths = [nbgrader_templates, str(bootstrap)]
        super().__init__(config=config, **kwargs)

    @property
    def default_config(self):
        c = super().default_config
        priority = [m for m in c.NbConvertBase.display_data_priority
                    if m not in ("application/vnd.jupyter.widget-view+json",
                                 "application/javascript", "text/vnd.mermaid")]
        priority.insert(priority.index("image/png"), "image/gif")
        c.merge(Config({"NbConvertBase": {"display_data_priority": priority}}))
        return c

    def default_filters(self):
        yield from super().default_filters()
        yield "grade_cell_label", grade_cell_label
        yield "html_output", _html_output
        yield "latex_output_as_mathml", _latex_output_as_mathml
        yield "without_font_files", _without_font_files

    @pass_context
    def markdown2html(self, context, source):
        """Markdown to HTML with MathML formulas; images only from the cell's attachments."""
        cell = context.get("cell", {})
        renderer = _MathMLRenderer(escape=False, attachments=cell.get("attachments", {}),
                                   embed_images=False, anchor_link_text=self.anchor_link_text,
                                   exclude_anchor_links=self.exclude_anchor_links)
        # sanitised on its own too: the student's markdown cannot leave its cell's box
        return sanitize(MarkdownWithMath(renderer=renderer).render(source))

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """Render the page, then sanitise its body and give its images alternative text."""
        # HTMLExporter.from_notebook_node's filters, without its BeautifulSoup pass over the
        # rendered page (0.45 s of a 1 MB page): that pass gave images without alternative
        # text one and cells a tabindex, which the sanitiser drops; it also sorted
        # attributes and collapsed blank text between tags, which changes nothing shown
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code",
                                          _RememberedHighlight(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                 parent=self, resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        output, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        match = _BODY.search(output)
        if match is None:
            raise ValueError("the feedback template produced no <body>")
        body, missing = _with_alt_text(sanitize(match.group(2)))
        if missing:
            self.log.warning("Alternative text is missing on %s image(s).", missing)
        return output[:match.start(2)] + body + output[match.end(2):], resources


class _RememberedHighlight(Highlight2HTML):
    """nbconvert's highlighting of a code cell, remembered for the same source in this
    process: a notebook's cells are mostly the released ones, the same in every
    submission, and pygments took 0.1 to 0.2 s of every page.  The cell's metadata
    counts only through its ``magics_language`` (the one key nbconvert reads)."""

    _seen: dict = {}
    MAX_REMEMBERED = 4096

    def __call__(self, source, language=None, metadata=None):
        magics = metadata.get("magics_language") if metadata else None
        key = (source, language or self.pygments_lexer, magics,
               repr(sorted(self.extra_formatter_options.items())))
        html = self._seen.get(key)
        if html is None:
            html = super().__call__(source, language, metadata)
            if len(self._seen) >= self.MAX_REMEMBERED:
                self._seen.clear()
            self._seen[key] = html
        return html


#: what a screen reader says of a picture the notebook gave no description (nbconvert's words)
NO_ALT_TEXT = "No description has been provided for this image"
# an <img> as the sanitiser writes it: every attribute name="value", no '"' inside a value
_SANITIZED_IMAGE = re.compile(r'<img((?: [^\s"\'>/=]+="[^"]*")*)>')


def _with_alt_text(clean: str) -> tuple[str, int]:
    """``(clean, n)``: sanitised HTML with :data:`NO_ALT_TEXT` as the ``alt`` of the ``n``
    images that had none.

    Examples
    --------
    >>> _with_alt_text('<img src="data:image/png;base64,AA"><img alt="a plot" src="x">')
    ('<img alt="No description has been provided for this image" src="data:image/png;base64,AA"><img alt="a plot" src="x">', 1)
    """
    missing = 0

    def alt(match):
        nonlocal missing
        if ' alt="' in match.group(1):
            return match.group(0)
        missing += 1
        return f'<img alt="{NO_ALT_TEXT}"{match.group(1)}>'

    return _SANITIZED_IMAGE.sub(alt, clean), missing


class _CompiledTemplates(BytecodeCache):
    """The page's templates, compiled once instead of once per page.

    Kept in this process, and in ``folder`` when one is given (a grading task gives the
    grader's cache folder, :func:`keep_compiled_templates`) for the next process: a
    grading worker's first page compiled them all again (0.3 to 0.5 s of its first
    notebook).  Jinja keys each by the template's name and file, and a stored one is
    used only for the same source (its hash) and the same Jinja and Python; only
    templates (ours, nbgrader's, nbconvert's) are kept, nothing of a notebook.  A folder
    that cannot be read or written is skipped.
    """

    def __init__(self, folder=None):
        self.code: dict[str, bytes] = {}
        self.folder = folder

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])
            return
        if self.folder is None:
            return
        try:
            with open(Path(self.folder) / f"{bucket.key}.jinja", "rb") as stored:
                bucket.load_bytecode(stored)  # checks Jinja's magic and the source's hash
        except Exception:  # noqa: BLE001 - missing, unreadable or corrupt: compile it
            bucket.reset()
        if bucket.code is not None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = data = bucket.bytecode_to_string()
        if self.folder is None:
            return
        try:
            folder = Path(self.folder)
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{bucket.key}.{os.getpid()}.part"
            partial.write_bytes(data)
            os.replace(partial, folder / f"{bucket.key}.jinja")  # whole, or not there
        except OSError:
            pass


_COMPILED = _CompiledTemplates()


def keep_compiled_templates(folder) -> None:
    """Keep the feedback page's compiled templates in ``folder`` too (None: in this
    process only), for the processes after this one."""
    _COMPILED.folder = None if folder is None else Path(folder)
