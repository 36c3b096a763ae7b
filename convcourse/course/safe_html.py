"""HTML a feedback page may hold: maths as MathML, no live code, nothing from another host.

A feedback page is read on the student's machine, perhaps with no network (an
exam room, a cluster), and shows what the student's notebook displayed, which
the student controls.  Three phases make it safe and self-contained:

- :func:`tex_to_mathml`: formulas are pre-rendered to MathML (``latex2mathml``),
  which browsers typeset natively, so the page loads no MathJax;
- :func:`animation_as_image`: matplotlib's JavaScript animation player becomes
  an animated PNG (the player's frames, no script);
- :func:`sanitize`: everything the notebook produced goes through ``nh3`` (the
  Rust ``ammonia`` sanitiser) with an allowlist: HTML text markup, tables,
  MathML, and images whose source is an embedded ``data:image/...`` URI.  No
  script, event handler, iframe, form, stylesheet or link to another page.
"""

from __future__ import annotations

import base64
import html
import io
import re
from html.parser import HTMLParser

__all__ = ["tex_to_mathml", "sanitize", "animation_as_image", "external_references"]

_MATHML_TAGS = {
    "math", "mi", "mn", "mo", "ms", "mspace", "mtext", "mrow", "mfrac", "msqrt", "mroot",
    "mstyle", "merror", "mpadded", "mphantom", "msub", "msup", "msubsup", "munder", "mover",
    "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "semantics",
    "annotation", "menclose",
}
_MATHML_ATTRIBUTES = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "form",
    "columnalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "accent",
    "accentunder", "minsize", "maxsize", "width", "height", "depth", "linethickness",
    "movablelimits", "symmetric", "largeop", "displaystyle", "scriptlevel", "notation",
    "encoding", "xmlns",
}
_HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul", "var",
}
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    **{tag: _MATHML_ATTRIBUTES for tag in _MATHML_TAGS},
}
# removed with everything inside them (not just the tag)
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                         "svg", "canvas", "video", "audio", "textarea", "select", "button"}
_IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_IMAGE_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+\Z")


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """One formula as MathML, or its TeX in a ``<code>`` where it cannot be converted.

    Parameters
    ----------
    tex : str
        The formula without its ``$`` delimiters.
    display : bool
        A displayed (block) formula rather than one in the text.

    Returns
    -------
    str
        ``<math ...>...</math>``, or ``<code class="tex">...</code>`` (HTML-escaped).

    Examples
    --------
    >>> tex_to_mathml("H_{out}").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
    >>> "<msub>" in tex_to_mathml("H_{out}")
    True
    """
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many kinds; the text stays readable
        return f'<code class="tex">{html.escape(tex)}</code>'


def _keep_attribute(element: str, attribute: str, value: str):
    """nh3's attribute filter: image sources only embedded, links only within the page."""
    if attribute == "src":
        return value if _IMAGE_URI.match(value.strip()) else None
    if attribute == "href":
        return value if value.startswith("#") else None
    return value


def sanitize(fragment: str) -> str:
    """HTML with only text markup, tables, MathML and embedded images left.

    Parameters
    ----------
    fragment : str
        HTML body content (not a whole document).

    Returns
    -------
    str
        The same content with every script, event handler, style sheet, frame,
        form control and external reference removed.

    Examples
    --------
    >>> sanitize('<p onclick="x()">hi<script>alert(1)</script></p>')
    '<p>hi</p>'
    >>> sanitize('<a href="javascript:alert(1)">x</a><img src="https://host/x.png">')
    '<a rel="noopener noreferrer">x</a>'
    """
    import nh3

    clean = nh3.clean(
        fragment,
        tags=_HTML_TAGS | _MATHML_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"data"},
        strip_comments=True,
    )
    # an image whose source was not embedded would show as a broken-image icon
    return _IMAGE_WITHOUT_SOURCE.sub("", clean)


# the base64 of each frame is split over lines ending in a backslash (JavaScript continuations)
_PLAYER_FRAME = re.compile(r'frames\[\d+\]\s*=\s*"data:image/png;base64,([A-Za-z0-9+/=\s\\]+)"')
_PLAYER_INTERVAL = re.compile(r"new Animation\(\s*frames\s*,\s*img_id\s*,\s*slider_id\s*,\s*"
                              r"([0-9.]+)")
#: limits on a player converted to an image: beyond them only its first frame is shown
MAX_FRAMES = 300
MAX_FRAME_PIXELS = 4_000_000


def animation_as_image(player_html: str) -> str | None:
    """matplotlib's ``to_jshtml`` player as an ``<img>`` of an animated PNG, or None.

    The player needs JavaScript, which no feedback page runs; its frames
    (embedded PNGs) become one animated PNG that loops at the player's speed.

    Parameters
    ----------
    player_html : str
        A ``text/html`` output.

    Returns
    -------
    str or None
        ``<img class="animation" src="data:image/png;base64,...">``; None when
        the output holds no PNG frames.  A player over :data:`MAX_FRAMES` frames
        or with frames over :data:`MAX_FRAME_PIXELS` pixels shows its first frame.
    """
    from PIL import Image

    frames = _PLAYER_FRAME.findall(player_html)
    if not frames:
        return None
    match = _PLAYER_INTERVAL.search(player_html)
    interval = max(20, int(float(match.group(1)))) if match else 200
    images = []
    for data in frames[:MAX_FRAMES]:
        try:
            image = Image.open(io.BytesIO(base64.b64decode(re.sub(r"[\s\\]", "", data))))
            if image.width * image.height > MAX_FRAME_PIXELS:  # known from the header alone
                break
            images.append(image.convert("RGBA"))
        except Exception:  # noqa: BLE001 - a frame that is not a PNG ends the animation
            break
    if not images:
        return None
    buffer = io.BytesIO()
    if len(images) == len(frames) and len(images) > 1:
        images[0].save(buffer, format="PNG", save_all=True, append_images=images[1:],
                       duration=interval, loop=0)
        note = "animation"
    else:
        images[0].save(buffer, format="PNG")
        note = "animation (first frame)"
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="animation" alt="{note}" src="data:image/png;base64,{encoded}">'


_URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background",
                   "xlink:href", "cite", "longdesc", "manifest", "ping"}
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')\s]+)""", re.IGNORECASE)


class _References(HTMLParser):
    """Collect the URLs of tags' attributes and of CSS, never of the page's text.

    A traceback on a feedback page reads ``data = digit[None]``: text, which a
    regular expression over the whole page would take for a ``data=`` attribute.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                self.found += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name in _URL_ATTRIBUTES:
                self.found.append(value.strip())
            elif name == "style":
                self.found += _CSS_URL.findall(value)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += _CSS_URL.findall(data)


def external_references(page: str) -> list[str]:
    """Every URL in ``page`` that a browser would fetch or follow outside the page.

    The attributes of tags (``src``, ``href``, ``srcset``, ...) and CSS
    ``url(...)``/``@import`` in ``<style>`` and ``style=`` are searched; the
    page's text is not (a traceback's ``data = x[0]`` is no link).  ``data:``
    URIs and ``#fragments`` are the page's own.

    Examples
    --------
    >>> external_references('<img src="data:image/png;base64,AA"><a href="#top">t</a>')
    []
    >>> external_references('<script src="https://cdn.example/x.js"></script>')
    ['https://cdn.example/x.js']
    >>> external_references('<pre>data = digit[None]</pre><style>a{background:url(//x.org/i)}</style>')
    ['//x.org/i']
    """
    parser = _References()
    parser.feed(page)
    parser.close()
    return [url for url in parser.found if url and not url.startswith(("data:", "#"))]
