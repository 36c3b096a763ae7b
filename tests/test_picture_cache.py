"""Tests of convcourse._picture_cache: the keys, the stored figures, nested calls.

The kernel-level behaviour (a recorded notebook shows the same outputs from the
folder) is in tests/test_course_pictures.py.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convcourse import _picture_cache as pc  # noqa: E402
from convcourse import viz  # noqa: E402
from convcourse.i18n import LANG_VAR  # noqa: E402


def key(*args, func=viz.sliding_dot_product_1d, **kwargs):
    return pc.picture_key(func, args, kwargs)


def test_the_key_follows_every_argument_by_value_and_type():
    base = key([1, 2, 0, -1], [1, 0, -1])
    assert base == key([1, 2, 0, -1], [1, 0, -1])
    assert len(base) == 64
    different = [
        key([1, 2, 0, -2], [1, 0, -1]),           # a value
        key([1, 2, 0, -1], [1, 0, -1.0]),         # int against float
        key((1, 2, 0, -1), [1, 0, -1]),           # tuple against list
        key(np.array([1, 2, 0, -1]), [1, 0, -1]),  # array against list
        key([1, 2, 0, -1], [1, 0, -1], positions=[0]),
        key([1, 2, 0, -1], [1, 0, -1], func=viz.sliding_dot_product_2d),
    ]
    assert base not in different and len(set(different)) == len(different)
    a = np.arange(6.0)
    assert key(a, [1]) == key(a.copy(), [1])
    assert key(a, [1]) != key(a.astype(np.float32), [1])       # dtype
    assert key(a, [1]) != key(a.reshape(2, 3), [1])            # shape
    assert key(a[::2], [1]) == key(np.ascontiguousarray(a[::2]), [1])  # layout does not matter


class Students:
    """A class of the student's: defined in the notebook, whose module is ``__main__``."""

    __module__ = "__main__"


@pytest.mark.parametrize("argument", [object(), Students(), np.array([None, 1]),
                                      type("MyList", (list,), {})([1, 2]),
                                      np.random.default_rng(0), np.random.rand,
                                      lambda v: Students(), Students.__init__.__get__(Students())])
def test_an_argument_not_hashable_by_value_gives_no_key(argument):
    assert key(argument, [1]) is None


def cell(source, filename="<cell 1>", lines_before=0, **namespace):
    """The function ``f`` a notebook cell of ``source`` defines, as a kernel compiles it."""
    env = {"__name__": "__main__", "np": np, **namespace}
    exec(compile("\n" * lines_before + source, filename, "exec"), env)
    return env["f"]


def test_a_notebooks_function_is_keyed_by_what_it_does_not_where_it_was_written():
    source = "f = lambda v: np.sum(np.sin(v) * v ** 2)"
    base = key(cell(source), [1])
    assert base is not None
    # another kernel: its cells' file names and lines differ
    assert key(cell(source, "/tmp/ipykernel_4242/1234.py", lines_before=7), [1]) == base
    different = [
        key(cell("f = lambda v: np.sum(np.cos(v) * v ** 2)"), [1]),       # the code
        key(cell("f = lambda v: np.sum(np.sin(v) * v ** 3)"), [1]),       # a constant
        key(cell("f = lambda v, p=2: np.sum(np.sin(v) * v ** p)"), [1]),  # a default
        key(cell("f = lambda v: np.sum(np.sin(v) * v ** p)", p=2), [1]),  # a global ...
        key(cell("f = lambda v: np.sum(np.sin(v) * v ** p)", p=3), [1]),  # ... by value
        key(cell("def g(p):\n    return lambda v: v ** p\nf = g(2)"), [1]),  # a closure ...
        key(cell("def g(p):\n    return lambda v: v ** p\nf = g(3)"), [1]),  # ... by value
    ]
    assert base not in different and len(set(different)) == len(different)


def test_a_function_is_keyed_through_the_functions_it_calls():
    caller = "f = lambda v: helper(v) + 1"
    one = key(cell(caller, helper=cell("f = lambda v: v * 2")), [1])
    assert one == key(cell(caller, helper=cell("f = lambda v: v * 2", "<cell 9>")), [1])
    assert one != key(cell(caller, helper=cell("f = lambda v: v * 3")), [1])
    assert key(cell(caller, helper=cell("class S:\n    pass\nf = lambda v: S()")),
               [1]) is None  # a helper that uses a class of the student's
    # recursion, direct or through a global, ends
    assert key(cell("def f(n):\n    return 1 if n < 2 else n * f(n - 1)"), [1]) is not None
    table = {}
    f = cell("def f(n):\n    return table['g'](n)", table=table)
    table["g"] = f
    assert key(f, [1]) is not None


def test_a_librarys_function_is_keyed_by_its_name():
    assert key(np.sum, [1]) == key(np.sum, [1]) != key(np.mean, [1])
    assert key(np.sin, [1]) not in (None, key(np.cos, [1]))  # ufuncs
    assert key(print, [1]) not in (None, key(len, [1]))      # builtins
    assert key(viz.sliding_dot_product_1d, [1]) is not None  # the package's (its code is keyed)
    assert key(np, [1]) is not None and key(np, [1]) != key(pc, [1])  # modules


def test_the_key_follows_the_language_and_rcparams(monkeypatch):
    base = key([1, 2, 3], [1])
    monkeypatch.setenv(LANG_VAR, "ru")
    russian = key([1, 2, 3], [1])
    monkeypatch.setenv(LANG_VAR, "en")
    assert key([1, 2, 3], [1]) == base != russian
    with matplotlib.rc_context({"lines.linewidth": 7}):
        assert key([1, 2, 3], [1]) != base


def test_without_the_variables_every_call_draws(monkeypatch, tmp_path):
    monkeypatch.delenv(pc.PICTURES_VAR, raising=False)
    monkeypatch.delenv(pc.RECORD_VAR, raising=False)
    fig = viz.sliding_dot_product_1d([1, 2, 0], [1, 0])
    assert type(fig) is Figure


def store(folder, func, args, png=b"PNG!", text="<Figure stored>"):
    k = pc.picture_key(func, args, {})
    (folder / f"{k}.txt").write_text(text)
    (folder / f"{k}.png").write_bytes(png)
    return k


def test_a_stored_picture_is_shown_and_the_real_one_drawn_when_used(monkeypatch, tmp_path):
    signal = np.array([1.0, 2.0, 0.0, -1.0])
    store(tmp_path, viz.sliding_dot_product_1d, (signal, [1, 0, -1]))
    monkeypatch.setenv(pc.PICTURES_VAR, str(tmp_path))
    shown = viz.sliding_dot_product_1d(signal, [1, 0, -1])
    assert isinstance(shown, pc.StoredFigure)
    assert shown._repr_png_() == b"PNG!" and repr(shown) == "<Figure stored>"
    signal[:] = 99  # changed after the call: the figure is drawn from the call's arguments
    assert shown._made is None
    axes = shown.axes  # anything else of it: the real figure
    assert isinstance(shown._made, Figure) and axes == shown._made.axes
    texts = {t.get_text() for ax in axes for t in ax.texts}
    assert "99" not in texts and "2" in texts
    assert repr(shown).startswith("<Figure size")
    # a call with other arguments is not stored: drawn
    assert type(viz.sliding_dot_product_1d(signal, [1, 0, -1])) is Figure


def test_ipython_probing_a_stored_figure_does_not_draw_it(tmp_path):
    shown = pc.StoredFigure(b"PNG", "<Figure>", viz.conv_dimensions, (), {})
    for name in ("_repr_html_", "_repr_mimebundle_", "_ipython_display_", "__setstate__"):
        with pytest.raises(AttributeError):
            getattr(shown, name)
    assert shown._made is None
    import copy
    assert copy.copy(shown)._repr_png_() == b"PNG"


def test_a_stored_animation_is_a_stand_in_until_more_than_its_player_or_gif_is_asked(
        monkeypatch, tmp_path):
    from matplotlib.animation import Animation

    from convcourse.viz import conv_layer

    monkeypatch.setenv(pc.RECORD_VAR, str(tmp_path))
    recorded = viz.animate_conv2d(3, 2)
    gif = conv_layer.save_gif(recorded, tmp_path / "recorded.gif")
    assert isinstance(recorded, Animation) and (tmp_path / "recorded.gif").is_file()
    monkeypatch.delenv(pc.RECORD_VAR)
    monkeypatch.setenv(pc.PICTURES_VAR, str(tmp_path))

    anim = viz.animate_conv2d(3, 2)
    assert isinstance(anim, pc.StoredAnimation)
    assert conv_layer.save_gif(anim, tmp_path / "shown.gif").read_bytes() == gif.read_bytes()
    assert anim._made is None  # the GIF came from the folder: nothing was built
    for name in ("_repr_html_", "_ipython_display_", "__setstate__"):
        with pytest.raises(AttributeError):
            getattr(anim, name)
    assert anim._made is None
    assert anim.n_frames == 4  # anything else: the real animation, with the same key
    assert isinstance(anim._made, Animation)
    assert pc.picture_key(conv_layer.save_gif, (anim, 3), {}) == pc.picture_key(
        conv_layer.save_gif, (anim._made, 3), {})
    # a GIF at another speed was not recorded: drawn from the real animation
    assert conv_layer.save_gif(anim, tmp_path / "fast.gif", fps=3).read_bytes()[:6] == b"GIF89a"
    built = viz.animate_conv2d(4, 2)  # not recorded: built
    assert isinstance(built, Animation)
    conv_layer.save_gif(built, tmp_path / "built.gif")  # which closes its figure


@pc.picture
def _inner(n):
    fig, ax = plt.subplots()
    ax.set_title(f"inner {n}")
    plt.close(fig)
    return fig


@pc.picture
def _outer(n):
    inner = _inner(n)
    assert type(inner) is Figure, "a picture inside a picture must be the real figure"
    return inner


def test_only_the_outermost_call_is_looked_up(monkeypatch, tmp_path):
    store(tmp_path, _inner, (3,))
    monkeypatch.setenv(pc.PICTURES_VAR, str(tmp_path))
    assert isinstance(_inner(3), pc.StoredFigure)
    assert type(_outer(3)) is Figure


def test_recording_outside_a_kernel_stores_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(pc.RECORD_VAR, str(tmp_path))
    assert type(viz.conv_dimensions()) is Figure
    assert list(tmp_path.iterdir()) == []


def test_a_stored_animation_player_closes_the_animations_figure(monkeypatch, tmp_path):
    monkeypatch.setenv(pc.PICTURES_VAR, str(tmp_path))
    anim = viz.animate_conv2d(4, 3)
    k = getattr(anim, pc._KEY_ATTRIBUTE)
    assert k == pc.picture_key(viz.animate_conv2d, (4, 3), {})
    player = pc.picture_key(viz.show_animation, (anim,), {})
    (tmp_path / f"{player}.html").write_text("<div>stored player</div>")
    assert plt.fignum_exists(anim._fig.number)
    html = viz.show_animation(anim)
    assert html.data == "<div>stored player</div>"
    assert not plt.fignum_exists(anim._fig.number)
    assert anim._draw_was_started  # matplotlib would warn that it was never drawn


def test_a_gif_is_written_from_the_stored_bytes(monkeypatch, tmp_path):
    from convcourse.viz.conv_layer import save_gif

    folder = tmp_path / "pictures"
    folder.mkdir()
    monkeypatch.setenv(pc.RECORD_VAR, str(folder))
    drawn = save_gif(viz.animate_conv2d(4, 3), tmp_path / "drawn.gif", fps=2)
    stored = list(folder.glob("*.gif"))
    assert len(stored) == 1 and stored[0].read_bytes() == drawn.read_bytes()
    monkeypatch.delenv(pc.RECORD_VAR)
    monkeypatch.setenv(pc.PICTURES_VAR, str(folder))
    stored[0].write_bytes(b"GIF89a stored")
    anim = viz.animate_conv2d(4, 3)
    shown = save_gif(anim, tmp_path / "shown.gif", fps=2)
    assert shown.read_bytes() == b"GIF89a stored"
    assert anim._made is None  # the stored animation's stand-in: no figure was made
    # another speed is another file: drawn
    other = save_gif(viz.animate_conv2d(4, 3), tmp_path / "other.gif", fps=3)
    assert other.read_bytes()[:6] == b"GIF89a" and other.read_bytes() != b"GIF89a stored"


def test_the_fingerprint_leaves_out_the_grader_and_the_checks_only():
    # editing the grader keeps the stored pictures; editing anything a picture may use not
    assert pc.fingerprint() == pc.package_digest(("course", "grading", "cli.py"))
    assert pc.fingerprint() != pc.package_digest(())
    assert pc.fingerprint() != pc.package_digest(("course", "grading", "cli.py", "viz"))
    import convcourse.viz.convolution as drawing
    source = open(drawing.__file__).read()
    assert "from .._picture_cache import" in source and "grading" not in source


def test_a_course_model_is_keyed_by_its_layers_and_state():
    from convcourse.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential

    def model(rng=0):
        return Sequential(Conv2d(1, 2, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                          Flatten(), Linear(32, 10, rng=rng))

    base = key(model(), func=viz.cnn.architecture)
    assert base is not None and base == key(model(), func=viz.cnn.architecture)
    assert key(model(rng=1), func=viz.cnn.architecture) != base  # the weights
    ran = model()
    ran.forward(np.ones((1, 1, 8, 8)))
    assert key(ran, func=viz.cnn.architecture) != base  # the caches of the last batch
    assert key(model()[0].weight, [1]) == key(model()[0].weight, [1]) is not None

    class MyReLU(ReLU):  # a layer class the student wrote
        pass

    mine = model()
    mine.layers[1] = MyReLU()
    assert key(mine, func=viz.cnn.architecture) is None
