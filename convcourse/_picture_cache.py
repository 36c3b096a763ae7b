"""Pictures drawn once: a cache of the course's pictures, keyed by the call.

A graded notebook draws 10 to 15 pictures, and most of them do not depend on the
student's code (the animations, the diagrams, the kernels on the photo): drawing and
rendering one costs 0.3 to 1 s of the notebook's grading, the same for every student.
The grader renders them once, from the instructor's notebook
(:mod:`convcourse.course.pictures`), into a folder that the grading kernels see
read-only; a picture function called in a kernel with the same arguments then shows
the stored picture instead of drawing it.

- ``CONVCOURSE_PICTURES`` names the folder to read (a grading kernel);
  ``CONVCOURSE_PICTURES_RECORD`` the folder to write (the grader's own run of the
  instructor's notebook).  Neither set (a student's Jupyter, the tests): every call
  draws, exactly as without this module.
- The key is a SHA-256 of everything the picture depends on: the function, its
  arguments by value (arrays by dtype, shape and bytes), the course's language,
  matplotlib's ``rcParams``, the inline backend's settings, and the code and data
  of the ``convcourse`` package with the versions of numpy and matplotlib
  (:func:`fingerprint`: the grader and the checks left out, which draw nothing).
  A function is hashed by its name when importing the name gives it (numpy's, a
  builtin), else by its code and the values it uses (a lambda of the notebook's).
  A model of :mod:`convcourse.nn` is hashed by its layers' types and state (the
  picture functions that run a model run a copy of it, so a stored picture, which
  runs nothing, leaves the model as drawing would).  An argument that cannot be
  hashed by value (a figure, an object of the student's, a layer of a class the
  student wrote, a function that uses one) makes the call draw.  A student whose
  ``conv2d`` returns the right array gets the stored picture of the right array,
  which is the picture their code would have drawn.
- A stored figure comes back as a :class:`StoredFigure`, which shows the stored PNG
  and, when anything else of it is used (``fig.axes``, ``fig.savefig``), draws the
  real figure from a copy of the arguments and hands it over.
- A stored animation comes back as a :class:`StoredAnimation`, which carries its key
  and nothing else: showing its player or writing its GIF takes the stored ones, and
  anything else builds the real animation.
- Only the outermost picture call is looked up: a picture function that calls another
  gets the real figure.
- A picture function that writes a file (``conv_layer.save_gif``) asks for its bytes
  with :func:`stored_file` and hands them over with :func:`record_file`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import sys
import threading
import types
from pathlib import Path

import numpy as np

__all__ = ["PICTURES_VAR", "RECORD_VAR", "picture", "register_feeder", "picture_key",
           "fingerprint", "package_digest", "StoredFigure", "StoredAnimation", "stored_file", "record_file"]

#: folder of stored pictures a kernel reads (the grader binds it read-only)
PICTURES_VAR = "CONVCOURSE_PICTURES"
#: folder the grader's run of the instructor's notebook writes pictures into
RECORD_VAR = "CONVCOURSE_PICTURES_RECORD"
#: the format of the keys; change it when what a key covers changes
_VERSION = b"convcourse-pictures-1"
_KEY_ATTRIBUTE = "_convcourse_picture_key"

_state = threading.local()


class Unhashable(TypeError):
    """A value that cannot be hashed by value (a picture call with one draws)."""


#: how to feed objects of other modules' types by value, ``{type: feed(h, value)}``, looked
#: up along the value's type's MRO (:func:`register_feeder`)
_FEEDERS: dict = {}


def register_feeder(kind: type, feed) -> None:
    """Have :func:`feed_value` feed objects of ``kind`` (and its subclasses) with
    ``feed(h, value)``, which feeds them by value or raises :class:`Unhashable`.
    :mod:`convcourse.nn` registers its models and parameters this way, so that this
    module imports nothing of it (nn imports this module)."""
    _FEEDERS[kind] = feed


def feed_value(h, value, _seen=None) -> None:
    """Feed ``value`` to hash ``h`` by value and type, or raise :class:`Unhashable`.

    Exact types only: a subclass of ``list`` or ``ndarray`` may behave differently.
    A module, or a function or class that importing its name gives, goes by that name;
    a function of the notebook's by its code and the values it uses
    (:func:`_feed_function`); a model, layer or parameter of :mod:`convcourse.nn` by its
    layers' types and every attribute's value (:func:`convcourse.nn._replay.feed_model`,
    registered with :func:`register_feeder`), which also keys a model's training.
    """
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        h.update(b"s" + repr((kind.__name__, value)).encode() + b"\0")
    elif kind is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise Unhashable
        h.update(b"a" + f"{array.dtype.str}{array.shape}".encode() + b"\0")
        h.update(np.ascontiguousarray(array).tobytes())
    elif kind in (list, tuple):
        h.update(f"{kind.__name__}[{len(value)}]".encode())
        for item in value:
            feed_value(h, item, _seen)
    elif kind is dict:
        h.update(f"dict[{len(value)}]".encode())
        for name, item in value.items():  # in order: a picture lays its entries out in order
            feed_value(h, name, _seen)
            feed_value(h, item, _seen)
    elif isinstance(getattr(value, _KEY_ATTRIBUTE, None), str):
        h.update(b"k" + getattr(value, _KEY_ATTRIBUTE).encode() + b"\0")  # a cached animation
    elif (name := _importable_name(value)) is not None:
        h.update(b"n" + name.encode() + b"\0")
    elif kind is types.FunctionType:
        _feed_function(h, value, set() if _seen is None else _seen)
    elif (feed := next((_FEEDERS[k] for k in kind.__mro__ if k in _FEEDERS), None)) is not None:
        feed(h, value)  # a model or parameter of convcourse.nn
    else:
        raise Unhashable


def _importable_name(value) -> str | None:
    """``module:qualname`` of a module, class or function that importing that name gives
    (a library's: numpy's functions and ufuncs, builtins), else None: it is the same
    code in every process where the versions are the same (numpy's are in the key)."""
    if isinstance(value, types.ModuleType):
        return f"{value.__name__}:" if sys.modules.get(value.__name__) is value else None
    module = getattr(value, "__module__", None)
    if isinstance(value, np.ufunc):
        module = "numpy"
    qualname = getattr(value, "__qualname__", getattr(value, "__name__", None))
    if (not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__"
            or not callable(value) or module not in sys.modules):
        return None
    found = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return f"{module}:{qualname}" if found is value else None


def _feed_function(h, func, seen: set) -> None:
    """A function of the notebook's (a lambda, a ``def`` in a cell) by what decides what it
    does: its code (not where it was written: a cell's file name differs in every
    kernel), its defaults, the values its closure holds and the values of the globals
    its code names, each by value as :func:`feed_value` feeds them (so a function that
    uses a student's object is Unhashable).  A global it names that is not there is a
    builtin, which a module-level global of that name would shadow: the globals are
    read as the function would read them now.
    """
    if id(func) in seen:  # a recursive function, or one its globals lead back to
        h.update(b"r" + func.__qualname__.encode() + b"\0")
        return
    seen.add(id(func))
    h.update(b"f")
    names = _feed_code(h, func.__code__)
    feed_value(h, (func.__defaults__, func.__kwdefaults__), seen)
    for cell in func.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell: a name the function assigns after it is made
            h.update(b"e")
            continue
        feed_value(h, contents, seen)
    for name in sorted(names):
        if name in func.__globals__:
            h.update(b"g" + name.encode() + b"\0")
            feed_value(h, func.__globals__[name], seen)


def _feed_code(h, code) -> set:
    """Feed a code object by what it does, never its file name or line numbers; return
    the names it and the code nested in it (comprehensions, inner functions) may read
    as globals: their ``co_names`` (attribute names too, which only make the key
    stricter)."""
    h.update(repr((code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                   code.co_flags, code.co_names, code.co_varnames, code.co_freevars,
                   code.co_cellvars)).encode() + b"\0")
    h.update(code.co_code)
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _feed_code(h, const)
        elif type(const) is frozenset:  # `x in {1, 2}`: in a stable order
            h.update(b"z" + repr(sorted(map(repr, const))).encode() + b"\0")
        else:
            feed_value(h, const)
    return names


#: parts of the package no picture uses: the grader and the checks (editing them keeps
#: the stored pictures)
_NOT_DRAWN_WITH = ("course", "grading", "cli.py")


@functools.cache
def package_digest(exclude: tuple = ()) -> bytes:
    """SHA-256 of the ``convcourse`` package's files (code, data, catalogs), but the
    top-level entries ``exclude``, and of the versions of numpy and matplotlib."""
    import matplotlib

    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"numpy {np.__version__} matplotlib {matplotlib.__version__}".encode())
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
                and relative.parts[0] not in exclude):
            h.update(str(relative).encode() + b"\0")
            h.update(path.read_bytes())
    return h.digest()


def fingerprint() -> bytes:
    """What a stored picture was drawn with: :func:`package_digest` of all but the grader
    and the checks, which no picture function imports (a picture is only used by the
    same code)."""
    return package_digest(_NOT_DRAWN_WITH)


#: rcParams that decide when and where pyplot shows a figure, not how it looks: importing
#: pyplot in a kernel turns ``interactive`` on, and a kernel whose pictures are all stored
#: never imports pyplot (:class:`convcourse.viz._draw.lazy_module`).
_NOT_LOOKS = frozenset({"interactive", "backend", "backend_fallback"})


#: the inline backend's own defaults (``matplotlib_inline.config.InlineBackend``)
_INLINE_DEFAULTS = {"figure_formats": {"png"}, "print_figure_kwargs": {"bbox_inches": "tight"},
                    "rc": {}}


def _inline_backend() -> tuple:
    """``(figure formats, print_figure_kwargs, rc)`` of the kernel's inline backend, sorted.

    Read from the backend once it is active; before, from its defaults and the shell's
    configuration, which it will start from, and without importing it: importing
    ``matplotlib_inline`` activates it, and that imports pyplot (0.5 s), which a kernel
    whose pictures are all stored never needs.
    """
    config = sys.modules.get("matplotlib_inline.config")
    if config is not None and config.InlineBackend.initialized():
        backend = config.InlineBackend.instance()
        values = {name: getattr(backend, name) for name in _INLINE_DEFAULTS}
    else:
        values = {name: copy.copy(value) for name, value in _INLINE_DEFAULTS.items()}
        shell = None
        if "IPython" in sys.modules:
            shell = sys.modules["IPython"].get_ipython()
        given = (shell.config.get("InlineBackend") if shell is not None else None) or {}
        if given.get("figure_format"):
            values["figure_formats"] = {given["figure_format"]}
        for name in _INLINE_DEFAULTS:
            if name in given:
                values[name] = given[name]
    return (sorted(values["figure_formats"]), sorted(values["print_figure_kwargs"].items()),
            sorted((k, repr(v)) for k, v in values["rc"].items()))


def _settings() -> bytes:
    """What a picture's look depends on besides its arguments: the language, the
    ``rcParams``, the inline backend's formats, print settings and rc."""
    import matplotlib

    from .i18n import get_language

    parts = [get_language(), repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()
                                         if k not in _NOT_LOOKS))]
    parts += [repr(value) for value in _inline_backend()]
    return "\0".join(parts).encode()


def picture_key(func, args, kwargs) -> str | None:
    """The key of the picture ``func(*args, **kwargs)`` draws, or None if an argument
    cannot be hashed by value.

    Examples
    --------
    >>> from convcourse.viz import conv_dimensions, sliding_dot_product_1d as f
    >>> picture_key(f, ([1, 2, 0],), {}) == picture_key(f, ([1, 2, 0],), {})
    True
    >>> picture_key(f, ([1, 2, 0],), {}) == picture_key(f, ([1, 2, 1],), {})
    False
    >>> picture_key(f, (object(),), {}) is None
    True
    """
    h = hashlib.sha256(_VERSION + b"\0" + fingerprint())
    h.update(f"{func.__module__}.{func.__qualname__}".encode() + b"\0" + _settings())
    try:
        feed_value(h, args)
        feed_value(h, sorted(kwargs.items()))
    except Unhashable:
        return None
    return h.hexdigest()


def _png_of(fig):
    """What the kernel's display shows for ``fig``: the inline backend's PNG printer's
    value (the PNG in base64 text with IPython 8, its bytes before)."""
    from IPython import get_ipython

    shell = get_ipython()
    printer = None
    if shell is not None:
        printer = shell.display_formatter.formatters["image/png"].lookup_by_type(type(fig))
    if printer is None:
        raise LookupError("no PNG printer for figures in this kernel")
    return printer(fig)


class _StandIn:
    """What a stored picture's stand-ins share: the call they stand for (its arguments
    copied when the stand-in is made); anything asked of one that it does not have
    itself is answered by the real thing, which that call makes on the first such ask
    (``_made``)."""

    _OWN: tuple = ("_call", "_made")

    def __init__(self, func, args, kwargs):
        self._call = (func, copy.deepcopy(args), copy.deepcopy(kwargs))
        self._made = None

    def _real(self):
        if self._made is None:
            func, args, kwargs = self._call
            self._made = _draw(func, args, kwargs)
        return self._made

    def __getattr__(self, name):
        # IPython asks for these, copy and pickle for dunders, and the own attributes
        # are missing only while an instance is being built: none is a reason to draw
        if name.startswith(("_repr_", "_ipython_", "__")) or name in self._OWN:
            raise AttributeError(name)
        return getattr(self._real(), name)


class StoredFigure(_StandIn):
    """A stored picture: shows as the PNG its figure showed when it was recorded.

    Anything else asked of it draws the real figure (from a copy of the call's
    arguments, taken when it was made) and is answered by that figure, which it then
    shows from then on.
    """

    _OWN = _StandIn._OWN + ("_png", "_text")

    def __init__(self, png, text: str, func, args, kwargs):
        super().__init__(func, args, kwargs)
        self._png, self._text = png, text

    def _repr_png_(self):
        return self._png if self._made is None else _png_of(self._made)

    def __repr__(self):
        return self._text if self._made is None else repr(self._made)


class StoredAnimation(_StandIn):
    """An animation the grader recorded: a stand-in that carries its key, made without
    matplotlib (no figure, no frames).

    What a notebook does with an animation is show its player
    (:func:`convcourse.viz.show_animation`) or write its GIF
    (:func:`convcourse.viz.conv_layer.save_gif`), and both are stored under the
    animation's key: with this stand-in they take the stored player or GIF, and the
    kernel never imports pyplot nor draws a frame.  Anything else asked of it builds
    the real animation (from a copy of the call's arguments, taken when it was made)
    and is answered by it.
    """

    _OWN = _StandIn._OWN + (_KEY_ATTRIBUTE,)

    def __init__(self, key: str, func, args, kwargs):
        super().__init__(func, args, kwargs)
        setattr(self, _KEY_ATTRIBUTE, key)

    def _real(self):
        animation = super()._real()
        setattr(animation, _KEY_ATTRIBUTE, getattr(self, _KEY_ATTRIBUTE))
        return animation

    def __repr__(self):
        return repr(self._real())


def _draw(func, args, kwargs):
    """Call ``func`` as a picture inside another: never looked up."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        return func(*args, **kwargs)
    finally:
        _state.depth -= 1


def _write(path: Path, data: bytes) -> None:
    """Write atomically (two kernels may record the same picture at once)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _load(folder: Path, key: str, func, args, kwargs):
    """The stored picture of ``key``, or None."""
    from IPython.display import HTML

    try:
        html = (folder / f"{key}.html").read_text(encoding="utf-8")
    except OSError:
        pass
    else:
        return HTML(html)
    if (folder / f"{key}.animation").is_file():
        return StoredAnimation(key, func, args, kwargs)
    try:
        text = (folder / f"{key}.txt").read_text(encoding="utf-8")
        try:
            png = (folder / f"{key}.b64").read_text(encoding="ascii")
        except FileNotFoundError:
            png = (folder / f"{key}.png").read_bytes()
    except OSError:
        return None
    return StoredFigure(png, text, func, args, kwargs)


def _record(folder: Path, key: str, value, func, args, kwargs):
    """Store what a picture call returned, if it is a picture; what the call shows then
    (a figure as its :class:`StoredFigure`: its PNG is not rendered a second time)."""
    from IPython.display import HTML
    from matplotlib.animation import Animation
    from matplotlib.figure import Figure

    if isinstance(value, Animation):  # its player and GIF are stored by their own calls
        _write(folder / f"{key}.animation", b"")
        return value
    if type(value) is Figure:
        try:
            png = _png_of(value)
        except LookupError:  # not in a kernel: nothing shows it, nothing to store
            return value
        if png is None:  # a figure without axes shows no picture
            return value
        text = repr(value)
        _write(folder / f"{key}.txt", text.encode("utf-8"))  # first: the picture means
        if isinstance(png, str):                           # a complete entry
            _write(folder / f"{key}.b64", png.encode("ascii"))
        else:
            _write(folder / f"{key}.png", png)
        return StoredFigure(png, text, func, args, kwargs)
    if type(value) is HTML and isinstance(value.data, str):
        _write(folder / f"{key}.html", value.data.encode("utf-8"))
    return value


def _close_animations(args) -> None:
    """Close the figures of the animations a stored picture was made of, as the picture
    function would have (pyplot would show an open figure again at the end of the cell).

    Without ``matplotlib.animation`` imported no argument is an animation, and neither
    it nor pyplot is imported here: a kernel whose pictures are all stored never
    imports them (:class:`convcourse.viz._draw.lazy_module`)."""
    animation = sys.modules.get("matplotlib.animation")
    if animation is None:
        return
    for value in args:
        if isinstance(value, StoredAnimation):  # the real one, if it was built
            value = value._made
        if isinstance(value, animation.Animation):
            import matplotlib.pyplot as plt

            plt.close(value._fig)
            value._draw_was_started = True  # its frames are in the stored player: no warning


def picture(func):
    """Decorate a picture function of :mod:`convcourse.viz`: drawn once, then stored.

    Without ``CONVCOURSE_PICTURES`` or ``CONVCOURSE_PICTURES_RECORD`` the function
    is called as it is.  An animation it returns carries its key, so that
    :func:`~convcourse.viz.show_animation` of it is stored too.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        read, write = os.environ.get(PICTURES_VAR), os.environ.get(RECORD_VAR)
        if (not read and not write) or getattr(_state, "depth", 0):
            return _draw(func, args, kwargs)
        key = picture_key(func, args, kwargs)
        if key is None:
            return _draw(func, args, kwargs)
        if read:
            stored = _load(Path(read), key, func, args, kwargs)
            if stored is not None:
                _close_animations(args)
                return stored
        value = _draw(func, args, kwargs)
        from matplotlib.animation import Animation

        if isinstance(value, Animation):  # show_animation's key of it builds on this one
            setattr(value, _KEY_ATTRIBUTE, key)
        if write:
            return _record(Path(write), key, value, func, args, kwargs)
        return value

    return wrapper


def stored_file(func, args, suffix: str) -> bytes | None:
    """The stored bytes of the file ``func(*args)`` writes (its destination is not part
    of the key), or None: draw it.  Closes the figures of animations in ``args``, as
    drawing them would."""
    read = os.environ.get(PICTURES_VAR)
    key = picture_key(func, args, {}) if read else None
    if key is None:
        return None
    try:
        data = (Path(read) / f"{key}{suffix}").read_bytes()
    except OSError:
        return None
    _close_animations(args)
    return data


def record_file(func, args, suffix: str, path) -> None:
    """Store the file ``func(*args)`` wrote at ``path``, when recording."""
    write = os.environ.get(RECORD_VAR)
    key = picture_key(func, args, {}) if write else None
    if key is not None:
        _write(Path(write) / f"{key}{suffix}", Path(path).read_bytes())
