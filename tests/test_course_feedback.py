"""Hidden tests never reach feedback (convcourse/course/feedback.py)."""

import logging

import pytest
from nbformat.v4 import new_code_cell, new_output
from traitlets.config import Config

from convcourse.course.feedback import StripHiddenTests, missing_feedback_html, strip_hidden_tests


@pytest.mark.parametrize("source, expected, removed", [
    ("a\nb", "a\nb", False),
    ("a\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS\nb",
     "a\n# (hidden tests are not shown)\nb", True),
    ("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS\n### BEGIN HIDDEN TESTS\ny\n### END HIDDEN TESTS",
     "# (hidden tests are not shown)\n# (hidden tests are not shown)", True),
    ("a\n### BEGIN HIDDEN TESTS\nunterminated secret", "a\n# (hidden tests are not shown)", True),
])
def test_strip_hidden_tests(source, expected, removed):
    assert strip_hidden_tests(source) == (expected, removed)


def test_preprocessor_cuts_tracebacks_of_hidden_cells_only():
    hidden = new_code_cell("check(f)\n### BEGIN HIDDEN TESTS\nassert f(7) == 'secret'\n### END HIDDEN TESTS")
    hidden.outputs = [new_output("error", ename="AssertionError", evalue="",
                                 traceback=["\x1b[0;31m----> 3 assert f(7) == 'secret'\x1b[0m"])]
    visible = new_code_cell("assert f(1) == 1")
    visible.outputs = [new_output("error", ename="AssertionError", evalue="",
                                  traceback=["----> 1 assert f(1) == 1"])]
    pre = StripHiddenTests()
    cell, _ = pre.preprocess_cell(hidden, {}, 0)
    assert "secret" not in cell.source and "secret" not in "".join(cell.outputs[0].traceback)
    assert cell.outputs[0].traceback == ["AssertionError: "]
    cell, _ = pre.preprocess_cell(visible, {}, 1)
    assert cell.outputs[0].traceback == ["----> 1 assert f(1) == 1"]


def test_missing_feedback_escapes_html():
    page = missing_feedback_html("<ann>", "a1", "nb", "not valid JSON (x < y)", 6)
    assert "&lt;ann&gt;" in page and "x &lt; y" in page and "0 / 6" in page


# ----------------------------------------------------------------------- the page itself

import base64  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402

from nbformat.v4 import new_markdown_cell, new_notebook  # noqa: E402

from convcourse.course.feedback import FeedbackExporter  # noqa: E402
from convcourse.course.feedback import grade_cell_label as label_of  # noqa: E402
from convcourse.course.safe_html import animation_as_image, external_references, sanitize  # noqa: E402

import browser  # noqa: E402 - tests/browser.py: chromium with no network

PWN = "document.documentElement.setAttribute('data-pwned', 'yes')"
ATTACKS = [
    f"<script>{PWN}</script>",
    f'<img src="x" onerror="{PWN}">',
    f'<a href="javascript:{PWN}">click</a>',
    '<iframe src="https://example.org/"></iframe>',
    f'<svg><script>{PWN}</script></svg>',
    '<link rel="stylesheet" href="https://cdn.example.org/x.css">',
    f'<div style="background: url(https://example.org/t.png)" onmouseover="{PWN}">hover</div>',
]
# a 1x1 GIF, as IPython's Image(filename="x.gif") shows it
GIF = "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
LONG_LINE = "expected shape (4, 5), received shape (4, 6); " + "wrongvalue" * 60 + " end"


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _player() -> str:
    from convcourse.viz.convolution import animate_conv2d, show_animation

    return show_animation(animate_conv2d(3, 2)).data


def _graded(source, grade_id, points, score, outputs=(), solution=False):
    cell = new_code_cell(source, metadata={"nbgrader": {
        "grade": not solution or False, "solution": solution, "grade_id": grade_id,
        "points": points, "score": score}})
    cell.outputs = list(outputs)
    return cell


def feedback_notebook():
    """A graded notebook as GenerateFeedback sees it: maths, a picture, an animation, a
    long message, and HTML a submission could display to attack the reader."""
    html_outputs = [new_output("display_data", data={"text/html": a, "text/plain": "x"})
                    for a in ATTACKS]
    return new_notebook(cells=[
        new_markdown_cell("# Convolution\nThe output size is $H_{out} = \\frac{H + 2p - k}{s} + 1$"
                          " and\n$$y[i] = \\sum_{m=0}^{K-1} x[i + m]\\,k[m].$$\n" + ATTACKS[0]
                          + ATTACKS[1]),
        _graded("def f(x):\n    return x", "f", 0, 0, solution=True),
        new_code_cell("viz.show(x)", outputs=[
            new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
            new_output("display_data", data={"text/html": _player(), "text/plain": "<HTML>"}),
            new_output("display_data", data={"image/gif": GIF, "text/plain": "<Image>"}),
            new_output("display_data", data={"image/png": f'x" onerror="{PWN}',
                                             "text/plain": "<Figure>"}),
            new_output("display_data", data={"application/javascript": PWN,
                                             "text/plain": "<IPython.core.display.Javascript>"}),
            *html_outputs]),
        _graded("check_f(f)", "f_visible", 1, 0, [new_output("stream", name="stdout",
                                                             text=LONG_LINE + "\n")]),
        _graded("### BEGIN HIDDEN TESTS\ncheck_f(f, points=4, hidden=True)\n### END HIDDEN TESTS",
                "f_hidden", 4, 4),
    ])


def render(nb) -> str:
    resources = {"nbgrader": {"notebook": "01-convolution", "score": 4, "max_score": 5,
                              "late_penalty": 0}}
    page, _ = FeedbackExporter().from_notebook_node(nb, resources=resources)
    return page


@pytest.fixture(scope="module")
def page():
    return render(feedback_notebook())


def test_page_has_no_script_handler_frame_or_external_reference(page):
    body = page[page.index("<body"):]
    assert "javascript:" not in body and "data-pwned" not in body
    assert "<script" not in page and "<iframe" not in page and "<link" not in page
    assert not re.search(r"\son\w+\s*=", page), re.search(r".{80}\son\w+\s*=.{80}", page)
    assert external_references(page) == []


def test_maths_is_mathml_and_no_dollar_source_is_left(page):
    assert page.count("<math") == 2 and "<mfrac>" in page and "<msub>" in page
    assert "$H_{out}" not in page and "$$" not in page


def test_pictures_and_the_animation_are_embedded_images(page):
    sources = re.findall(r'<img[^>]*src="([^"]*)"', page)
    assert sum(s.startswith("data:image/png;base64,iVBOR") for s in sources) == 2  # figure, APNG
    assert f"data:image/gif;base64,{GIF}" in sources
    assert all(s.startswith("data:image/") for s in sources)
    assert 'class="animation"' in page


def test_index_names_each_test_cell_by_exercise_and_kind(page):
    assert "f: visible tests</a> (Score: 0.0 / 1.0)" in page
    assert "f: hidden tests</a> (Score: 4.0 / 4.0)" in page and ">Test cell<" not in page
    assert label_of("conv2d_forward_hidden") == "conv2d_forward: hidden tests"


def test_long_output_lines_wrap(page):
    assert LONG_LINE in page
    css = page[:page.index("</head>")]
    assert re.search(r"div\.output_area pre[^{]*\{[^}]*white-space: pre-wrap;[^}]*overflow-wrap: anywhere",
                     css)


@pytest.mark.parametrize("attack", ATTACKS)
def test_sanitize_leaves_no_live_html(attack):
    clean = sanitize(attack)
    assert "<script" not in clean and "onerror" not in clean and "javascript:" not in clean
    assert "<iframe" not in clean and "https://" not in clean and "style=" not in clean


def test_sanitize_keeps_mathml_tables_and_embedded_images():
    kept = ('<table><tr><td colspan="2"><math display="block"><msub><mi>H</mi><mi>o</mi>'
            '</msub></math></td></tr></table><img src="data:image/png;base64,iVBORw0KGgo=">')
    assert sanitize(kept) == kept.replace("<table><tr>", "<table><tbody><tr>").replace(
        "</tr></table>", "</tr></tbody></table>")


def test_animation_player_becomes_an_animated_png():
    from PIL import Image

    img = animation_as_image(_player())
    data = base64.b64decode(re.search(r"base64,([^\"]+)", img).group(1))
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and getattr(image, "n_frames", 1) == 4  # 2x2 output positions
    assert animation_as_image("<p>no player here</p>") is None


def test_real_pipeline_uses_the_exporter(tmp_path):
    from nbgrader.converters import GenerateFeedback

    from convcourse.course.config import nbgrader_config

    config = nbgrader_config(tmp_path)
    assert GenerateFeedback(config=config).exporter_class is FeedbackExporter


# --------------------------------------------------- the page in a real browser, offline

needs_browser = pytest.mark.skipif(browser.chromium() is None,
                                   reason="chromium is not installed (`make browser` installs it)")


@needs_browser
def test_in_a_browser_without_network_maths_is_typeset_pictures_load_lines_wrap(page, tmp_path):
    path = tmp_path / "feedback.html"
    path.write_text(page, encoding="utf-8")
    found = browser.run_checks(path, tmp_path)
    assert found["maths"] == 2 and found["rawDollars"] == 0
    assert found["subscripts"] and all(found["subscripts"])  # H_out: "out" drawn lower
    assert found["fractions"] == [True]  # numerator drawn above the denominator
    images = found["images"]
    assert len(images) == 3 and all(i["width"] > 0 for i in images), images
    assert found["outputPres"] >= 1 and found["overflowing"] == 0
    assert found["pwned"] is None  # no payload ran


# --------------------------------------------------- a page's cost in a grading process

def test_templates_are_compiled_once_per_process_and_the_page_is_not_parsed_again(monkeypatch):
    """A grading process renders one page per notebook: the second page compiles no
    template, and nothing runs nbconvert's BeautifulSoup pass over it (half its time)."""
    import jinja2
    import nbconvert.exporters.html

    nb = feedback_notebook()
    first = render(nb)  # this process may not have rendered a page yet
    compiled = []
    compile_ = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(a) or compile_(self, *a, **k))

    def no_soup(*args, **kwargs):
        raise AssertionError("the rendered page was parsed again")

    monkeypatch.setattr(nbconvert.exporters.html, "BeautifulSoup", no_soup)
    assert render(nb) == first
    assert compiled == []


def test_compiled_templates_follow_their_source():
    """The process's compiled templates are checked against the source: an edited template
    (here: another loader's template of the same name) is compiled again, never reused."""
    import jinja2

    from convcourse.course.feedback import _COMPILED

    pages = []
    for source in ("first {{ x }}", "second {{ x }}"):
        env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": source}),
                                 bytecode_cache=_COMPILED)
        pages.append(env.get_template("t.j2").render(x=1))
    assert pages == ["first 1", "second 1"]


def test_images_without_a_description_get_one_and_described_images_keep_theirs():
    from convcourse.course.feedback import NO_ALT_TEXT

    described = f'<img alt="my kernel" src="data:image/gif;base64,{GIF}">'
    nb = new_notebook(cells=[new_code_cell("show()", outputs=[
        new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
        new_output("display_data", data={"text/html": described, "text/plain": "x"})])])
    images = re.findall(r"<img[^>]*>", render(nb))
    assert len(images) == 2
    assert f'alt="{NO_ALT_TEXT}"' in images[0] and 'alt="my kernel"' in images[1]
    assert NO_ALT_TEXT not in images[1]


def test_a_notebooks_html_and_markdown_stay_in_their_boxes():
    """What a notebook displays or writes in markdown is closed where it ends: a stray
    ``</div>`` cannot lift text out of its output box into the page (a fake score
    heading), and an unclosed ``<b>`` does not run into the next output."""
    from bs4 import BeautifulSoup

    escape = "</div>" * 8 + '<h1 id="fake">Score: 100 / 100</h1>'
    nb = new_notebook(cells=[
        new_markdown_cell("Some **text** " + "</div>" * 8 + '<h2 id="fake-md">Score: 9 / 9</h2>'),
        new_code_cell("show()", outputs=[
            new_output("display_data", data={"text/html": escape, "text/plain": "x"}),
            new_output("display_data", data={"text/html": "<b>unclosed", "text/plain": "x"}),
            new_output("stream", name="stdout", text="after\n")])])
    soup = BeautifulSoup(render(nb), "html.parser")
    assert soup.find(id="fake").find_parent("div", class_="output_html") is not None
    assert soup.find(id="fake-md").find_parent("div", class_="text_cell_render") is not None
    after = soup.find("pre", string=re.compile("after"))
    assert after is not None and after.find_parent("b") is None


def test_a_cells_highlighting_is_remembered_and_equals_nbconverts(monkeypatch):
    from nbconvert.filters import highlight as nbconvert_highlight
    from nbconvert.filters.highlight import Highlight2HTML

    from convcourse.course import feedback

    monkeypatch.setattr(feedback._RememberedHighlight, "_seen", {})
    calls = []
    real = nbconvert_highlight._pygments_highlight
    monkeypatch.setattr(nbconvert_highlight, "_pygments_highlight",
                        lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    ours, theirs = feedback._RememberedHighlight(), Highlight2HTML()
    source = "def f(x):\n    return 2 * x  # doubled"
    first = ours(source, metadata={"nbgrader": {"grade_id": "a"}})
    again = ours(source, metadata={"nbgrader": {"grade_id": "b"}, "execution": {}})
    assert first == again == theirs(source)
    assert calls.count(source) == 2  # ours once, nbconvert's once
    # what nbconvert reads of the metadata still counts, and so does the source
    bash = ours("%%bash\necho hi", metadata={"magics_language": "bash"})
    assert bash == theirs("%%bash\necho hi", metadata={"magics_language": "bash"})
    assert bash != ours("%%bash\necho hi")
    assert ours(source + " ") != first


def test_compiled_templates_are_kept_for_the_next_process(tmp_path):
    from jinja2 import DictLoader, Environment

    from convcourse.course.feedback import _CompiledTemplates

    compiled = []

    class Counting(Environment):
        def compile(self, source, *args, **kwargs):
            compiled.append(source)
            return super().compile(source, *args, **kwargs)

    def render(sources, folder):
        env = Counting(loader=DictLoader(sources), bytecode_cache=_CompiledTemplates(folder))
        return env.get_template("page").render(name="ada")

    folder = tmp_path / "templates"
    assert render({"page": "hello {{ name }}"}, folder) == "hello ada"
    assert len(compiled) == 1 and len(list(folder.glob("*.jinja"))) == 1
    assert render({"page": "hello {{ name }}"}, folder) == "hello ada"  # another process
    assert len(compiled) == 1
    assert render({"page": "bye {{ name }}"}, folder) == "bye ada"      # the source changed
    assert len(compiled) == 2
    for stored in folder.glob("*.jinja"):
        stored.write_bytes(b"not a template")                         # corrupt: compiled again
    assert render({"page": "bye {{ name }}"}, folder) == "bye ada" and len(compiled) == 3
    unwritable = tmp_path / "file"
    unwritable.write_text("")
    assert render({"page": "hi {{ name }}"}, unwritable / "sub") == "hi ada"  # never fails
    before = sorted(tmp_path.rglob("*"))
    assert render({"page": "in this process {{ name }}"}, None) == "in this process ada"
    assert sorted(tmp_path.rglob("*")) == before  # no folder given: nothing written


def test_a_grading_task_keeps_the_compiled_templates_in_the_cache_folder(monkeypatch, tmp_path):
    from convcourse.course import autograde, feedback

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(feedback._COMPILED, "folder", None)
    monkeypatch.setattr("nbgrader.converters.GenerateFeedback.start", lambda self: None)
    config = Config()
    config.CourseDirectory.root = str(tmp_path / "course")
    autograde._feedback(None, config, logging.getLogger("test"), None)
    assert feedback._COMPILED.folder == tmp_path / "convcourse" / "templates"
