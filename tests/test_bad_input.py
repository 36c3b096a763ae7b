"""Bad input to every public function of the reference raises a clear error.

Each case below builds, from hypothesis-drawn valid shapes, one call with exactly
one thing wrong (wrong ndim, unbatched input, channel mismatch, groups not
dividing the channels, stride 0/-1/1.5, negative padding, 'same' with stride > 1,
a kernel larger than the padded input, an unknown mode or boundary string, a bias
or grad_output of the wrong shape, complex or object arrays, ...).  Every call
must raise ``ValueError`` or ``TypeError`` whose message names the argument and
contains the value received: no other exception, no silent result.

The scipy-compatible filtering functions are held to scipy's contract: only
what scipy rejects is bad input for them (a kernel larger than the image is
fine in 'full' mode, and in 'valid' mode when the roles can swap; complex input
is fine).

"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from convcourse import arithmetic, conv, filtering, gradcheck, kernels, pooling, separable
from convcourse.nn import softmax_cross_entropy


@dataclass
class Case:
    """One invalid call: ``fn(*args, **kwargs)`` must reject argument ``names[i]``
    and quote one of ``values`` (a shape, a dtype, the bad number or string)."""

    fn: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    names: tuple = ()
    values: tuple = ()


def _mentions_value(message: str, value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # a number as a token: "got 0" matches 0, "got 10" or "0.5" does not
        return re.search(rf"(?<![\w.]){re.escape(repr(value))}(?![\w.])", message) is not None
    return str(value) in message


def assert_rejected(case: Case):
    """The call raises ValueError/TypeError naming the argument and the value."""
    try:
        result = case.fn(*case.args, **case.kwargs)
    except (ValueError, TypeError) as exc:
        message = str(exc)
    else:
        pytest.fail(f"{case.fn.__name__} returned {type(result).__name__} instead of raising "
                    f"(kwargs {sorted(case.kwargs)})")
    named = [n for n in case.names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", message)]
    assert named, f"{case.fn.__name__}: message does not name any of {case.names}: {message!r}"
    quoted = [v for v in case.values if _mentions_value(message, v)]
    assert quoted, f"{case.fn.__name__}: message quotes none of {case.values}: {message!r}"


# ---------------------------------------------------------------------------
# the registry: (function, defect) -> builder(draw) -> Case
# ---------------------------------------------------------------------------

CASES: dict[str, object] = {}


def case(case_id):
    def register(builder):
        if case_id in CASES:
            raise RuntimeError(f"duplicate case {case_id}")
        CASES[case_id] = builder
        return builder
    return register


def ints(draw, lo, hi):
    return draw(st.integers(lo, hi))


BAD_INTS = [0, -1, 1.5]


# -- convolutions (conv1d/2d/3d, the naive 2-d ones, and their backwards) ------

CONV_FUNCTIONS = {
    1: (conv.conv1d, conv.conv1d_backward),
    2: (conv.conv2d, conv.conv2d_backward),
    3: (conv.conv3d, conv.conv3d_backward),
}
CONV_VARIANTS = [  # (id, forward, backward-or-None, nd)
    ("conv1d", conv.conv1d, None, 1), ("conv2d", conv.conv2d, None, 2),
    ("conv3d", conv.conv3d, None, 3), ("conv2d_naive", conv.conv2d_naive, None, 2),
    ("conv1d_backward", conv.conv1d, conv.conv1d_backward, 1),
    ("conv2d_backward", conv.conv2d, conv.conv2d_backward, 2),
    ("conv3d_backward", conv.conv3d, conv.conv3d_backward, 3),
    ("conv2d_backward_naive", conv.conv2d, conv.conv2d_backward_naive, 2),
]


def conv_setup(draw, nd):
    """A valid configuration: arrays and keyword arguments."""
    groups = draw(st.sampled_from([1, 2]))
    c = groups * ints(draw, 1, 2)
    f = groups * ints(draw, 1, 2)
    n = ints(draw, 1, 2)
    k = tuple(ints(draw, 1, 3) for _ in range(nd))
    size = tuple(kk + ints(draw, 0, 2) for kk in k)
    x = np.ones((n, c) + size)
    w = np.ones((f, c // groups) + k)
    b = np.ones(f)
    return dict(x=x, weight=w, bias=b, groups=groups, k=k, size=size, c=c, f=f, n=n)


def conv_call(fwd, bwd, s, **over):
    """A Case calling the forward, or the backward with a matching grad_output."""
    kw = dict(stride=1, padding=0, dilation=1, groups=s["groups"])
    x = over.pop("x", s["x"])
    w = over.pop("weight", s["weight"])
    b = over.pop("bias", s["bias"])
    g = over.pop("grad_output", None)
    kw.update(over)
    if bwd is None:
        return Case(fwd, (x, w), dict(kw, bias=b))
    if g is None:
        g = np.ones(fwd(s["x"], s["weight"], groups=s["groups"]).shape)
    return Case(bwd, (g, x, w), kw)


def shape_text(a):
    return str(np.shape(a))


def _register_conv(vid, fwd, bwd, nd):
    @case(f"{vid}-unbatched")
    def _(draw):
        s = conv_setup(draw, nd)
        x = s["x"][0]
        c = conv_call(fwd, bwd, s, x=x)
        c.names, c.values = ("x",), (shape_text(x),)
        return c

    @case(f"{vid}-x-extra-axis")
    def _(draw):
        s = conv_setup(draw, nd)
        x = s["x"][None]
        c = conv_call(fwd, bwd, s, x=x)
        c.names, c.values = ("x",), (shape_text(x),)
        return c

    @case(f"{vid}-weight-wrong-ndim")
    def _(draw):
        s = conv_setup(draw, nd)
        w = s["weight"][0]
        c = conv_call(fwd, bwd, s, weight=w)
        c.names, c.values = ("weight",), (shape_text(w),)
        return c

    @case(f"{vid}-channel-mismatch")
    def _(draw):
        s = conv_setup(draw, nd)
        extra = s["groups"] * ints(draw, 1, 2)
        x = np.ones((s["n"], s["c"] + extra) + s["size"])
        c = conv_call(fwd, bwd, s, x=x)
        c.names, c.values = ("x", "weight"), (shape_text(x), s["c"] + extra)
        return c

    @case(f"{vid}-groups-not-dividing")
    def _(draw):
        s = conv_setup(draw, nd)
        groups = s["c"] + 1  # never divides c
        c = conv_call(fwd, bwd, s, groups=groups)
        c.names, c.values = ("groups",), (groups,)
        return c

    @case(f"{vid}-groups-bad")
    def _(draw):
        s = conv_setup(draw, nd)
        groups = draw(st.sampled_from([0, -1, 1.5]))
        c = conv_call(fwd, bwd, s, groups=groups)
        c.names, c.values = ("groups",), (groups,)
        return c

    for arg in ("stride", "dilation"):
        @case(f"{vid}-{arg}-bad")
        def _(draw, arg=arg):
            s = conv_setup(draw, nd)
            v = draw(st.sampled_from(BAD_INTS))
            value = v if draw(st.booleans()) or nd == 1 else (1,) * (nd - 1) + (v,)
            c = conv_call(fwd, bwd, s, **{arg: value})
            c.names, c.values = (arg,), (value if isinstance(value, tuple) is False else str(value),)
            return c

    @case(f"{vid}-stride-wrong-length")
    def _(draw):
        s = conv_setup(draw, nd)
        value = (1,) * draw(st.sampled_from([nd + 1, nd + 2] + ([nd - 1] if nd > 1 else [])))
        c = conv_call(fwd, bwd, s, stride=value)
        c.names, c.values = ("stride",), (str(value),)
        return c

    @case(f"{vid}-padding-negative")
    def _(draw):
        s = conv_setup(draw, nd)
        value = -ints(draw, 1, 2) if draw(st.booleans()) or nd == 1 else (0,) * (nd - 1) + (-1,)
        c = conv_call(fwd, bwd, s, padding=value)
        c.names = ("padding",)
        c.values = (value,) if isinstance(value, int) else (str(value),)
        return c

    @case(f"{vid}-padding-unknown-string")
    def _(draw):
        s = conv_setup(draw, nd)
        value = draw(st.sampled_from(["full", "SAME", "bogus", ""]))
        c = conv_call(fwd, bwd, s, padding=value)
        c.names, c.values = ("padding",), (repr(value),)
        return c

    @case(f"{vid}-same-with-stride")
    def _(draw):
        s = conv_setup(draw, nd)
        stride = ints(draw, 2, 3)
        c = conv_call(fwd, bwd, s, padding="same", stride=stride)
        c.names, c.values = ("padding", "stride"), (f"stride={stride}", f"stride=({stride}")
        return c

    @case(f"{vid}-kernel-larger-than-padded-input")
    def _(draw):
        s = conv_setup(draw, nd)
        k = tuple(kk + 2 for kk in s["k"])
        w = np.ones(s["weight"].shape[:2] + k)
        # padding 1 adds 2: the padded input is one shorter than the kernel on axis 0
        size = (k[0] - 3,) + tuple(kk + 1 for kk in k[1:])
        x = np.ones((s["n"], s["c"]) + size)
        kw = dict(x=x, weight=w, padding=1)
        if bwd is not None:
            kw["grad_output"] = np.ones((s["n"], s["f"]) + (1,) * nd)
        c = conv_call(fwd, bwd, s, **kw)
        c.names, c.values = ("weight", "x"), (shape_text(x),)
        return c

    if bwd is None:
        @case(f"{vid}-bias-wrong-shape")
        def _(draw):
            s = conv_setup(draw, nd)
            b = np.ones(draw(st.sampled_from([(s["f"] + 1,), (s["f"], 1), ()])))
            c = conv_call(fwd, bwd, s, bias=b)
            c.names, c.values = ("bias",), (shape_text(b),)
            return c
    else:
        @case(f"{vid}-grad-output-wrong-shape")
        def _(draw):
            s = conv_setup(draw, nd)
            good = fwd(s["x"], s["weight"], groups=s["groups"]).shape
            axis = ints(draw, 0, nd + 1)
            bad = tuple(n + (1 if i == axis else 0) for i, n in enumerate(good))
            g = np.ones(bad)
            c = conv_call(fwd, bwd, s, grad_output=g)
            c.names, c.values = ("grad_output",), (shape_text(g),)
            return c

    for arg in ("x", "weight"):
        for kind in ("complex", "object"):
            @case(f"{vid}-{arg}-{kind}")
            def _(draw, arg=arg, kind=kind):
                s = conv_setup(draw, nd)
                bad = s[arg].astype(complex if kind == "complex" else object)
                c = conv_call(fwd, bwd, s, **{arg: bad})
                c.names, c.values = (arg,), (kind,)
                return c


for _vid, _fwd, _bwd, _nd in CONV_VARIANTS:
    _register_conv(_vid, _fwd, _bwd, _nd)


# -- pooling -----------------------------------------------------------------------

POOL_VARIANTS = [  # (id, forward, backward-or-None, kind)
    ("max_pool2d", pooling.max_pool2d, None, "max"),
    ("max_pool2d_naive", pooling.max_pool2d_naive, None, "max"),
    ("max_pool2d_backward", pooling.max_pool2d, pooling.max_pool2d_backward, "max"),
    ("max_pool2d_backward_naive", pooling.max_pool2d, pooling.max_pool2d_backward_naive, "max"),
    ("avg_pool2d", pooling.avg_pool2d, None, "avg"),
    ("avg_pool2d_naive", pooling.avg_pool2d_naive, None, "avg"),
    ("avg_pool2d_backward", pooling.avg_pool2d, pooling.avg_pool2d_backward, "avg"),
    ("avg_pool2d_backward_naive", pooling.avg_pool2d, pooling.avg_pool2d_backward_naive, "avg"),
]


def pool_setup(draw):
    k = (ints(draw, 1, 3), ints(draw, 1, 3))
    size = (k[0] + ints(draw, 0, 3), k[1] + ints(draw, 0, 3))
    return dict(x=np.ones((ints(draw, 1, 2), ints(draw, 1, 3)) + size), k=k)


def pool_call(fwd, bwd, s, **over):
    x = over.pop("x", s["x"])
    g = over.pop("grad_output", None)
    kw = dict(kernel_size=s["k"])
    kw.update(over)
    if bwd is None:
        return Case(fwd, (x,), kw)
    if g is None:
        g = np.ones(fwd(s["x"], s["k"]).shape)
    return Case(bwd, (g, x), kw)


def _register_pool(vid, fwd, bwd, kind):
    @case(f"{vid}-unbatched")
    def _(draw):
        s = pool_setup(draw)
        x = s["x"][0]
        c = pool_call(fwd, bwd, s, x=x)
        c.names, c.values = ("x",), (shape_text(x),)
        return c

    @case(f"{vid}-x-extra-axis")
    def _(draw):
        s = pool_setup(draw)
        x = s["x"][None]
        c = pool_call(fwd, bwd, s, x=x)
        c.names, c.values = ("x",), (shape_text(x),)
        return c

    args = ["kernel_size", "stride"] + (["dilation"] if kind == "max" else [])
    for arg in args:
        @case(f"{vid}-{arg}-bad")
        def _(draw, arg=arg):
            s = pool_setup(draw)
            v = draw(st.sampled_from(BAD_INTS))
            value = v if draw(st.booleans()) else (1, v)
            c = pool_call(fwd, bwd, s, **{arg: value})
            c.names, c.values = (arg,), (value if not isinstance(value, tuple) else str(value),)
            return c

    @case(f"{vid}-padding-negative")
    def _(draw):
        s = pool_setup(draw)
        value = -ints(draw, 1, 2)
        c = pool_call(fwd, bwd, s, padding=value)
        c.names, c.values = ("padding",), (value,)
        return c

    @case(f"{vid}-padding-string")
    def _(draw):
        s = pool_setup(draw)
        value = draw(st.sampled_from(["same", "valid"]))
        c = pool_call(fwd, bwd, s, padding=value)
        c.names, c.values = ("padding",), (repr(value),)
        return c

    @case(f"{vid}-padding-over-half-kernel")
    def _(draw):
        s = pool_setup(draw)
        value = s["k"][0] // 2 + 1
        c = pool_call(fwd, bwd, s, padding=value)
        c.names, c.values = ("padding",), (f"({value}, {value})", f"padding={value}")
        return c

    @case(f"{vid}-kernel-larger-than-input")
    def _(draw):
        s = pool_setup(draw)
        x = s["x"]
        k = (x.shape[2] + ints(draw, 1, 2), 1)
        kw = dict(kernel_size=k)
        if bwd is not None:
            kw["grad_output"] = np.ones(x.shape[:2] + (1, x.shape[3]))
        c = pool_call(fwd, bwd, s, **kw)
        c.names, c.values = ("kernel_size", "x"), (shape_text(x), str(k))
        return c

    flags = ["ceil_mode"] + (["count_include_pad"] if kind == "avg" else [])
    for flag in flags:
        @case(f"{vid}-{flag}-not-bool")
        def _(draw, flag=flag):
            s = pool_setup(draw)
            value = draw(st.sampled_from(["yes", 2, None]))
            c = pool_call(fwd, bwd, s, **{flag: value})
            c.names, c.values = (flag,), (repr(value),)
            return c

    if bwd is not None:
        @case(f"{vid}-grad-output-wrong-shape")
        def _(draw):
            s = pool_setup(draw)
            good = fwd(s["x"], s["k"]).shape
            axis = ints(draw, 0, 3)
            g = np.ones(tuple(n + (i == axis) for i, n in enumerate(good)))
            c = pool_call(fwd, bwd, s, grad_output=g)
            c.names, c.values = ("grad_output",), (shape_text(g),)
            return c

    for dtype in ("complex", "object"):
        @case(f"{vid}-x-{dtype}")
        def _(draw, dtype=dtype):
            s = pool_setup(draw)
            x = s["x"].astype(dtype)
            c = pool_call(fwd, bwd, s, x=x)
            c.names, c.values = ("x",), (dtype,)
            return c


for _vid, _fwd, _bwd, _kind in POOL_VARIANTS:
    _register_pool(_vid, _fwd, _bwd, _kind)


GLOBAL_POOLS = [
    ("global_max_pool2d", pooling.global_max_pool2d, None),
    ("global_avg_pool2d", pooling.global_avg_pool2d, None),
    ("global_max_pool2d_backward", pooling.global_max_pool2d, pooling.global_max_pool2d_backward),
    ("global_avg_pool2d_backward", pooling.global_avg_pool2d, pooling.global_avg_pool2d_backward),
]


def _register_global(vid, fwd, bwd):
    def call(x, g=None, good_x=None):
        if bwd is None:
            return Case(fwd, (x,))
        if g is None:
            g = np.ones(fwd(good_x).shape)
        return Case(bwd, (g, x))

    def x_of(draw):
        return np.ones((ints(draw, 1, 2), ints(draw, 1, 3), ints(draw, 1, 4), ints(draw, 1, 4)))

    for defect in ("unbatched", "x-extra-axis", "x-complex", "x-object"):
        @case(f"{vid}-{defect}")
        def _(draw, defect=defect):
            good = x_of(draw)
            if defect == "unbatched":
                x, values = good[0], (shape_text(good[0]),)
            elif defect == "x-extra-axis":
                x, values = good[None], (shape_text(good[None]),)
            elif defect == "x-complex":
                x, values = good.astype(complex), ("complex",)
            elif defect == "x-object":
                x, values = good.astype(object), ("object",)
            else:
                raise AssertionError(defect)
            c = call(x, good_x=good)
            c.names, c.values = ("x",), values
            return c

    if bwd is not None:
        @case(f"{vid}-grad-output-wrong-shape")
        def _(draw):
            x = x_of(draw)
            g = np.ones(draw(st.sampled_from([x.shape[:2], x.shape, x.shape[:2] + (1, 2)])))
            c = call(x, g=g)
            c.names, c.values = ("grad_output",), (shape_text(g),)
            return c


for _vid, _fwd, _bwd in GLOBAL_POOLS:
    _register_global(_vid, _fwd, _bwd)


# -- pooling: the rest of the family in 1, 2 and 3 dimensions (issue 12) ----------------

NEW_POOLS = [  # (name, nd, kind)
    (f"{kind}{nd}d", nd, kind) for kind in ("max_pool", "avg_pool") for nd in (1, 3)
] + [(f"{kind}{nd}d", nd, kind) for kind in ("adaptive_max_pool", "adaptive_avg_pool")
     for nd in (1, 2, 3)]


def nd_pool_setup(draw, nd):
    k = tuple(ints(draw, 1, 3) for _ in range(nd))
    size = tuple(kk + ints(draw, 0, 3) for kk in k)
    return dict(x=np.ones((ints(draw, 1, 2), ints(draw, 1, 3)) + size), k=k, nd=nd)


def _register_nd_pool(name, nd, kind):
    adaptive = kind.startswith("adaptive")
    fwd = getattr(pooling, name)

    def call(fn, backward, s, **over):
        x = over.pop("x", s["x"])
        g = over.pop("grad_output", None)
        kw = dict(output_size=2) if adaptive else dict(kernel_size=s["k"])
        kw.update(over)
        if not backward:
            return Case(fn, (x,), kw)
        if g is None:
            g = np.ones(fwd(s["x"], **(dict(output_size=2) if adaptive else dict(kernel_size=s["k"]))).shape)
        return Case(fn, (g, x), kw)

    for suffix in ("", "_naive", "_backward", "_backward_naive"):
        fn = getattr(pooling, name + suffix)
        backward = "backward" in suffix
        vid = name + suffix

        @case(f"{vid}-unbatched")
        def _(draw, fn=fn, backward=backward):
            s = nd_pool_setup(draw, nd)
            c = call(fn, backward, s, x=s["x"][0])
            c.names, c.values = ("x",), (shape_text(s["x"][0]),)
            return c

        @case(f"{vid}-x-complex-or-object-or-ragged")
        def _(draw, fn=fn, backward=backward):
            s = nd_pool_setup(draw, nd)
            bad = draw(st.sampled_from(["complex", "object", "ragged"]))
            x = [[1.0, 2.0], [3.0]] if bad == "ragged" else s["x"].astype(bad)
            c = call(fn, backward, s, x=x)
            c.names, c.values = ("x",), ((bad,) if bad != "ragged" else ("[[1.0, 2.0], [3.0]]",))
            return c

        if backward:
            @case(f"{vid}-grad-output-wrong-shape")
            def _(draw, fn=fn):
                s = nd_pool_setup(draw, nd)
                good = fwd(s["x"], **(dict(output_size=2) if adaptive else dict(kernel_size=s["k"]))).shape
                g = np.ones(good[:-1] + (good[-1] + 1,))
                c = call(fn, True, s, grad_output=g)
                c.names, c.values = ("grad_output",), (shape_text(g),)
                return c

        if adaptive:
            @case(f"{vid}-output-size-bad")
            def _(draw, fn=fn, backward=backward):
                s = nd_pool_setup(draw, nd)
                value = draw(st.sampled_from([-1, 1.5, "2", (2,) * (nd + 1)]))
                c = call(fn, backward, s, output_size=value)
                c.names, c.values = ("output_size",), (repr(value),)
                return c
            if "max" in kind:
                @case(f"{vid}-return-indices-not-bool")
                def _(draw, fn=fn, backward=backward):
                    s = nd_pool_setup(draw, nd)
                    c = call(fn, backward, s, return_indices=1)
                    c.names, c.values = ("return_indices",), (1,)
                    return c
            continue

        for arg in ["kernel_size", "stride"] + (["dilation"] if kind == "max_pool" else []):
            @case(f"{vid}-{arg}-bad")
            def _(draw, fn=fn, backward=backward, arg=arg):
                s = nd_pool_setup(draw, nd)
                value = draw(st.sampled_from(BAD_INTS))
                c = call(fn, backward, s, **{arg: value})
                c.names, c.values = (arg,), (value,)
                return c

        @case(f"{vid}-padding-over-half-kernel")
        def _(draw, fn=fn, backward=backward):
            s = nd_pool_setup(draw, nd)
            value = s["k"][0] // 2 + 1
            c = call(fn, backward, s, padding=value)
            c.names, c.values = ("padding",), (f"padding={(value,) * nd}",)
            return c

        @case(f"{vid}-kernel-larger-than-padded-input")
        def _(draw, fn=fn, backward=backward):
            s = nd_pool_setup(draw, nd)
            k = (s["x"].shape[2] + ints(draw, 1, 2),) + (1,) * (nd - 1)
            kw = dict(kernel_size=k)
            if backward:
                kw["grad_output"] = np.ones(s["x"].shape[:2] + (1,) + s["x"].shape[3:])
            c = call(fn, backward, s, **kw)
            c.names, c.values = ("kernel_size", "x"), (shape_text(s["x"]),)
            return c

        @case(f"{vid}-ceil-mode-not-bool")
        def _(draw, fn=fn, backward=backward):
            s = nd_pool_setup(draw, nd)
            c = call(fn, backward, s, ceil_mode="yes")
            c.names, c.values = ("ceil_mode",), ("'yes'",)
            return c

        if kind == "avg_pool" and nd > 1:
            @case(f"{vid}-divisor-override-zero")
            def _(draw, fn=fn, backward=backward):
                s = nd_pool_setup(draw, nd)
                c = call(fn, backward, s, divisor_override=0)
                c.names, c.values = ("divisor_override",), (0,)
                return c


for _name, _nd, _kind in NEW_POOLS:
    _register_nd_pool(_name, _nd, _kind)

# avg_pool2d's new argument (issue 12)
for _fn in (pooling.avg_pool2d, pooling.avg_pool2d_naive):
    @case(f"{_fn.__name__}-divisor-override-bad")
    def _(draw, fn=_fn):
        v = draw(st.sampled_from([0, 1.5, "2"]))
        return Case(fn, (np.ones((1, 1, 4, 4)), 2), dict(divisor_override=v), ("divisor_override",),
                    (repr(v),))


# -- scipy-compatible filtering ------------------------------------------------------

FILTERS_2D = [filtering.correlate2d, filtering.convolve2d,
              filtering.correlate2d_naive, filtering.convolve2d_naive]
FILTERS_ND = [filtering.correlate, filtering.convolve,
              filtering.correlate_naive, filtering.convolve_naive]


def two_images(draw, nd=2):
    a = np.ones(tuple(ints(draw, 1, 5) for _ in range(nd)))
    b = np.ones(tuple(ints(draw, 1, 3) for _ in range(nd)))
    return a, b


for _fn in FILTERS_2D + FILTERS_ND:
    _two_d = _fn in FILTERS_2D

    @case(f"{_fn.__name__}-mode-unknown")
    def _(draw, fn=_fn):
        a, b = two_images(draw)
        mode = draw(st.sampled_from(["bogus", "FULL", "circular", ""]))
        return Case(fn, (a, b), dict(mode=mode), ("mode",), (repr(mode),))

    @case(f"{_fn.__name__}-valid-neither-larger")
    def _(draw, fn=_fn):
        h, w = ints(draw, 1, 3), ints(draw, 1, 3)
        a, b = np.ones((h, w + 1)), np.ones((h + 1, w))  # each wider on one axis
        return Case(fn, (a, b), dict(mode="valid"), ("in1", "in2", "mode"),
                    (shape_text(a), shape_text(b)))

    @case(f"{_fn.__name__}-object-arrays")
    def _(draw, fn=_fn):
        a, b = two_images(draw)
        which = draw(st.sampled_from(["in1", "in2"]))
        args = (a.astype(object), b) if which == "in1" else (a, b.astype(object))
        return Case(fn, args, {}, (which,), ("object",))

    if _two_d:
        @case(f"{_fn.__name__}-boundary-unknown")
        def _(draw, fn=_fn):
            a, b = two_images(draw)
            boundary = draw(st.sampled_from(["bogus", "reflect", "zero", ""]))
            return Case(fn, (a, b), dict(boundary=boundary), ("boundary",), (repr(boundary),))

        @case(f"{_fn.__name__}-not-2d")
        def _(draw, fn=_fn):
            a, b = two_images(draw)
            which = draw(st.sampled_from(["in1", "in2"]))
            bad = np.ones(draw(st.sampled_from([(3,), (2, 2, 2)])))
            args = (bad, b) if which == "in1" else (a, bad)
            return Case(fn, args, {}, (which,), (shape_text(bad),))

        @case(f"{_fn.__name__}-fillvalue-not-scalar")
        def _(draw, fn=_fn):
            a, b = two_images(draw)
            fill = np.ones(ints(draw, 2, 3))
            return Case(fn, (a, b), dict(fillvalue=fill), ("fillvalue",), (shape_text(fill), str(fill)))
    else:
        @case(f"{_fn.__name__}-ndim-mismatch")
        def _(draw, fn=_fn):
            a, _ = two_images(draw, nd=ints(draw, 1, 3))
            b = np.ones((2,) * (a.ndim + 1))
            return Case(fn, (a, b), {}, ("in1", "in2"), (shape_text(a), shape_text(b)))


# -- separable ---------------------------------------------------------------------

for _fn in (separable.separate_kernel, separable.is_separable):
    @case(f"{_fn.__name__}-kernel-not-2d")
    def _(draw, fn=_fn):
        kernel = np.ones(draw(st.sampled_from([(3,), (2, 2, 2), ()])))
        return Case(fn, (kernel,), {}, ("kernel",), (shape_text(kernel),))

    @case(f"{_fn.__name__}-kernel-complex-or-object")
    def _(draw, fn=_fn):
        kind = draw(st.sampled_from(["complex", "object"]))
        kernel = np.ones((ints(draw, 1, 3), ints(draw, 1, 3)), dtype=kind)
        return Case(fn, (kernel,), {}, ("kernel",), (kind,))

    @case(f"{_fn.__name__}-atol-bad")
    def _(draw, fn=_fn):
        atol = draw(st.sampled_from([-1.0, -1e-3, "small", float("nan")]))
        return Case(fn, (np.ones((3, 3)),), dict(atol=atol), ("atol",), (repr(atol), str(atol)))


for _fn in (separable.separable_correlate2d, separable.separable_correlate2d_naive):
    @case(f"{_fn.__name__}-mode-unknown")
    def _(draw, fn=_fn):
        mode = draw(st.sampled_from(["bogus", "Valid", ""]))
        return Case(fn, (np.ones((5, 5)), np.ones(3), np.ones(3)), dict(mode=mode),
                    ("mode",), (repr(mode),))

    @case(f"{_fn.__name__}-image-not-2d")
    def _(draw, fn=_fn):
        image = np.ones(draw(st.sampled_from([(5,), (2, 5, 5)])))
        return Case(fn, (image, np.ones(3), np.ones(3)), {}, ("image",), (shape_text(image),))

    @case(f"{_fn.__name__}-taps-not-1d")
    def _(draw, fn=_fn):
        which = draw(st.sampled_from(["column", "row"]))
        bad = np.ones((3, 1))
        col, row = (bad, np.ones(3)) if which == "column" else (np.ones(3), bad)
        return Case(fn, (np.ones((5, 5)), col, row), {}, (which,), (shape_text(bad),))

    @case(f"{_fn.__name__}-object-image")
    def _(draw, fn=_fn):
        return Case(fn, (np.ones((5, 5), dtype=object), np.ones(3), np.ones(3)), {},
                    ("image",), ("object",))


def dw_setup(draw):
    c, m = ints(draw, 2, 3), ints(draw, 1, 2)
    k = (ints(draw, 1, 3), ints(draw, 1, 3))
    x = np.ones((ints(draw, 1, 2), c, k[0] + ints(draw, 0, 2), k[1] + ints(draw, 0, 2)))
    return x, np.ones((c * m, 1) + k), c, m, k


for _fn in (separable.depthwise_conv2d, separable.depthwise_conv2d_naive):
    @case(f"{_fn.__name__}-unbatched")
    def _(draw, fn=_fn):
        x, w, *_ = dw_setup(draw)
        return Case(fn, (x[0], w), {}, ("x",), (shape_text(x[0]),))

    @case(f"{_fn.__name__}-channel-mismatch")
    def _(draw, fn=_fn):
        x, w, c, m, k = dw_setup(draw)
        bad = np.ones((c * m + 1, 1) + k) if draw(st.booleans()) else np.ones((c * m, 2) + k)
        return Case(fn, (x, bad), {}, ("weight",), (shape_text(bad),))

    for _arg in ("stride", "dilation"):
        @case(f"{_fn.__name__}-{_arg}-bad")
        def _(draw, fn=_fn, arg=_arg):
            x, w, *_ = dw_setup(draw)
            v = draw(st.sampled_from(BAD_INTS))
            return Case(fn, (x, w), {arg: v}, (arg,), (v,))

    @case(f"{_fn.__name__}-padding-negative")
    def _(draw, fn=_fn):
        x, w, *_ = dw_setup(draw)
        return Case(fn, (x, w), dict(padding=-1), ("padding",), (-1,))

    @case(f"{_fn.__name__}-same-with-stride")
    def _(draw, fn=_fn):
        x, w, *_ = dw_setup(draw)
        return Case(fn, (x, w), dict(padding="same", stride=2), ("padding", "stride"),
                    ("stride=2", "stride=(2, 2)"))

    @case(f"{_fn.__name__}-padding-unknown-string")
    def _(draw, fn=_fn):
        x, w, *_ = dw_setup(draw)
        return Case(fn, (x, w), dict(padding="full"), ("padding",), ("'full'",))

    @case(f"{_fn.__name__}-kernel-larger-than-padded-input")
    def _(draw, fn=_fn):
        x, _, c, m, k = dw_setup(draw)
        w = np.ones((c * m, 1, x.shape[2] + 1, 1))
        return Case(fn, (x, w), {}, ("weight", "x"), (shape_text(x),))

    @case(f"{_fn.__name__}-bias-wrong-shape")
    def _(draw, fn=_fn):
        x, w, c, m, k = dw_setup(draw)
        b = np.ones(c * m + 1)
        return Case(fn, (x, w), dict(bias=b), ("bias",), (shape_text(b),))

    @case(f"{_fn.__name__}-complex-or-object")
    def _(draw, fn=_fn):
        x, w, *_ = dw_setup(draw)
        kind, which = draw(st.sampled_from(["complex", "object"])), draw(st.sampled_from(["x", "weight"]))
        args = (x.astype(kind), w) if which == "x" else (x, w.astype(kind))
        return Case(fn, args, {}, (which,), (kind,))


for _fn in (separable.pointwise_conv2d, separable.pointwise_conv2d_naive):
    def _pw(draw):
        c, k = ints(draw, 1, 3), ints(draw, 1, 3)
        return np.ones((ints(draw, 1, 2), c, ints(draw, 1, 3), ints(draw, 1, 3))), np.ones((k, c)), c, k

    @case(f"{_fn.__name__}-unbatched")
    def _(draw, fn=_fn):
        x, w, c, k = _pw(draw)
        return Case(fn, (x[0], w), {}, ("x",), (shape_text(x[0]),))

    for _wnd in (2, 4):
        @case(f"{_fn.__name__}-channel-mismatch-{_wnd}d-weight")
        def _(draw, fn=_fn, wnd=_wnd):
            x, w, c, k = _pw(draw)
            bad = np.ones((k, c + 1) + (1, 1)[:wnd - 2])
            return Case(fn, (x, bad), {}, ("weight",), (shape_text(bad),))

    @case(f"{_fn.__name__}-weight-not-pointwise")
    def _(draw, fn=_fn):
        x, w, c, k = _pw(draw)
        bad = np.ones(draw(st.sampled_from([(k, c, 3, 3), (k, c, 1), (c,)])))
        return Case(fn, (x, bad), {}, ("weight",), (shape_text(bad),))

    @case(f"{_fn.__name__}-bias-wrong-shape")
    def _(draw, fn=_fn):
        x, w, c, k = _pw(draw)
        b = np.ones((k + 1,))
        return Case(fn, (x, w), dict(bias=b), ("bias",), (shape_text(b),))

    @case(f"{_fn.__name__}-complex-or-object")
    def _(draw, fn=_fn):
        x, w, c, k = _pw(draw)
        kind = draw(st.sampled_from(["complex", "object"]))
        return Case(fn, (x.astype(kind), w), {}, ("x",), (kind,))


for _fn in (separable.depthwise_separable_conv2d, separable.depthwise_separable_conv2d_naive):
    def _dws(draw):
        x, dw, c, m, k = dw_setup(draw)
        return x, dw, np.ones((ints(draw, 1, 3), c * m)), c, m, k

    @case(f"{_fn.__name__}-unbatched")
    def _(draw, fn=_fn):
        x, dw, pw, *_ = _dws(draw)
        return Case(fn, (x[0], dw, pw), {}, ("x",), (shape_text(x[0]),))

    @case(f"{_fn.__name__}-depthwise-weight-mismatch")
    def _(draw, fn=_fn):
        x, dw, pw, c, m, k = _dws(draw)
        bad = np.ones((c * m, 2) + k)
        return Case(fn, (x, bad, pw), {}, ("depthwise_weight",), (shape_text(bad),))

    @case(f"{_fn.__name__}-pointwise-weight-mismatch")
    def _(draw, fn=_fn):
        x, dw, pw, c, m, k = _dws(draw)
        bad = np.ones((pw.shape[0], c * m + 1))
        return Case(fn, (x, dw, bad), {}, ("pointwise_weight",), (shape_text(bad),))

    for _arg in ("depthwise_bias", "pointwise_bias"):
        @case(f"{_fn.__name__}-{_arg}-wrong-shape")
        def _(draw, fn=_fn, arg=_arg):
            x, dw, pw, c, m, k = _dws(draw)
            b = np.ones((c * m + 1 if arg == "depthwise_bias" else pw.shape[0] + 1,))
            return Case(fn, (x, dw, pw), {arg: b}, (arg,), (shape_text(b),))

    @case(f"{_fn.__name__}-stride-bad")
    def _(draw, fn=_fn):
        x, dw, pw, *_ = _dws(draw)
        v = draw(st.sampled_from(BAD_INTS))
        return Case(fn, (x, dw, pw), dict(stride=v), ("stride",), (v,))

    @case(f"{_fn.__name__}-padding-negative")
    def _(draw, fn=_fn):
        x, dw, pw, *_ = _dws(draw)
        return Case(fn, (x, dw, pw), dict(padding=-1), ("padding",), (-1,))

    @case(f"{_fn.__name__}-same-with-stride")
    def _(draw, fn=_fn):
        x, dw, pw, *_ = _dws(draw)
        return Case(fn, (x, dw, pw), dict(padding="same", stride=2), ("padding", "stride"),
                    ("stride=2", "stride=(2, 2)"))

    @case(f"{_fn.__name__}-complex-x")
    def _(draw, fn=_fn):
        x, dw, pw, *_ = _dws(draw)
        return Case(fn, (x.astype(complex), dw, pw), {}, ("x",), ("complex",))


# -- arithmetic -----------------------------------------------------------------------

for _arg in ("kernel_size", "stride", "dilation", "size"):
    @case(f"conv_output_size-{_arg}-bad")
    def _(draw, arg=_arg):
        v = draw(st.sampled_from(BAD_INTS))
        kw = dict(size=8, kernel_size=3)
        kw[arg] = v
        return Case(arithmetic.conv_output_size, (), kw, (arg,), (v,))


@case("conv_output_size-padding-negative")
def _(draw):
    p = -ints(draw, 1, 3)
    return Case(arithmetic.conv_output_size, (8, 3), dict(padding=p), ("padding",), (p,))


@case("conv_output_size-padding-unknown-string")
def _(draw):
    return Case(arithmetic.conv_output_size, (8, 3), dict(padding="bogus"), ("padding",), ("'bogus'",))


@case("conv_output_size-same-with-stride")
def _(draw):
    s = ints(draw, 2, 3)
    return Case(arithmetic.conv_output_size, (8, 3), dict(padding="same", stride=s),
                ("padding", "stride"), (f"stride={s}", f"stride=({s}"))


@case("conv_output_size-kernel-larger-than-padded-input")
def _(draw):
    size, pad = ints(draw, 1, 5), ints(draw, 0, 1)
    k = size + 2 * pad + ints(draw, 1, 2)
    return Case(arithmetic.conv_output_size, (size, k), dict(padding=pad),
                ("kernel_size", "size"), (k,))


@case("conv_output_size-ceil_mode-not-bool")
def _(draw):
    return Case(arithmetic.conv_output_size, (8, 3), dict(ceil_mode="yes"), ("ceil_mode",), ("'yes'",))


for _arg in ("in_channels", "out_channels", "kernel_size", "groups"):
    @case(f"conv_params-{_arg}-bad")
    def _(draw, arg=_arg):
        v = draw(st.sampled_from(BAD_INTS))
        kw = dict(in_channels=4, out_channels=4, kernel_size=3)
        kw[arg] = v
        return Case(arithmetic.conv_params, (), kw, (arg,), (v,))


@case("conv_params-groups-not-dividing")
def _(draw):
    return Case(arithmetic.conv_params, (4, 6, 3), dict(groups=4), ("groups",), (4,))


@case("conv_params-bias-not-bool")
def _(draw):
    return Case(arithmetic.conv_params, (4, 6, 3), dict(bias="yes"), ("bias",), ("'yes'",))


MULTS = [arithmetic.conv_mults, arithmetic.depthwise_separable_mults]
for _fn in MULTS:
    @case(f"{_fn.__name__}-input_shape-wrong-length")
    def _(draw, fn=_fn):
        shape = draw(st.sampled_from([(15, 15), (1, 3, 15, 15), (3,)]))
        return Case(fn, (shape, 10, 3), {}, ("input_shape",), (str(shape),))

    for _arg in ("stride", "dilation", "kernel_size", "out_channels"):
        @case(f"{_fn.__name__}-{_arg}-bad")
        def _(draw, fn=_fn, arg=_arg):
            v = draw(st.sampled_from(BAD_INTS))
            kw = dict(input_shape=(3, 15, 15), out_channels=10, kernel_size=3)
            kw[arg] = v
            return Case(fn, (), kw, (arg,), (v,))

    @case(f"{_fn.__name__}-padding-negative")
    def _(draw, fn=_fn):
        return Case(fn, ((3, 15, 15), 10, 3), dict(padding=-1), ("padding",), (-1,))

    @case(f"{_fn.__name__}-same-with-stride")
    def _(draw, fn=_fn):
        return Case(fn, ((3, 15, 15), 10, 3), dict(padding="same", stride=2), ("padding", "stride"),
                    ("stride=2", "stride=(2, 2)"))

    @case(f"{_fn.__name__}-kernel-larger-than-padded-input")
    def _(draw, fn=_fn):
        k = ints(draw, 16, 18)
        return Case(fn, ((3, 15, 15), 10, k), {}, ("kernel_size", "input_shape"), (k, "(3, 15, 15)"))


@case("conv_mults-groups-not-dividing")
def _(draw):
    return Case(arithmetic.conv_mults, ((3, 15, 15), 10, 3), dict(groups=2), ("groups",), (2,))


@case("receptive_field-bad-layer")
def _(draw):
    layer, bad = draw(st.sampled_from([((3, 0), 0), ((0, 1), 0), ((3, 1, 0), 0), ((3, 1.5), 1.5),
                                       ((3, -1), -1)]))
    return Case(arithmetic.receptive_field, ([(3, 1), layer],), {},
                ("layers", "stride", "kernel_size", "dilation"), (str(layer), bad))


@case("receptive_field-malformed-layer")
def _(draw):
    layer = draw(st.sampled_from([(3,), (3, 1, 1, 1), 3, "3x3"]))
    return Case(arithmetic.receptive_field, ([layer],), {}, ("layers",), (repr(layer),))


# -- kernels -----------------------------------------------------------------------------

@case("box-size-bad")
def _(draw):
    v = draw(st.sampled_from(BAD_INTS))
    return Case(kernels.box, (v,), {}, ("size",), (v,))


@case("gaussian-size-bad")
def _(draw):
    v = draw(st.sampled_from(BAD_INTS))
    return Case(kernels.gaussian, (v, 1.0), {}, ("size",), (v,))


@case("gaussian-sigma-bad")
def _(draw):
    v = draw(st.sampled_from([0.0, -1.0, "wide"]))
    return Case(kernels.gaussian, (5, v), {}, ("sigma",), (repr(v), str(v)))


for _fn in (kernels.sobel, kernels.prewitt, kernels.scharr):
    @case(f"{_fn.__name__}-axis-bad")
    def _(draw, fn=_fn):
        v = draw(st.sampled_from([2, -3, 0.5, "x"]))
        return Case(fn, (v,), {}, ("axis",), (repr(v),))


@case("laplacian-diagonal-not-bool")
def _(draw):
    v = draw(st.sampled_from(["yes", 2]))
    return Case(kernels.laplacian, (v,), {}, ("diagonal",), (repr(v),))


for _fn in (kernels.gradient_magnitude, kernels.harris_response):
    @case(f"{_fn.__name__}-image-not-2d")
    def _(draw, fn=_fn):
        image = np.ones(draw(st.sampled_from([(8,), (3, 8, 8)])))
        return Case(fn, (image,), {}, ("image",), (shape_text(image),))

    @case(f"{_fn.__name__}-image-complex-or-object")
    def _(draw, fn=_fn):
        kind = draw(st.sampled_from(["complex", "object"]))
        return Case(fn, (np.ones((8, 8), dtype=kind),), {}, ("image",), (kind,))

    @case(f"{_fn.__name__}-boundary-unknown")
    def _(draw, fn=_fn):
        v = draw(st.sampled_from(["bogus", "reflect"]))
        return Case(fn, (np.ones((8, 8)),), dict(boundary=v), ("boundary",), (repr(v),))


for _arg in ("operator", "mode"):
    @case(f"gradient_magnitude-{_arg}-unknown")
    def _(draw, arg=_arg):
        v = draw(st.sampled_from(["bogus", "Sobel", ""]))
        return Case(kernels.gradient_magnitude, (np.ones((8, 8)),), {arg: v}, (arg,), (repr(v),))


@case("harris_response-k-negative")
def _(draw):
    v = -draw(st.sampled_from([0.01, 1.0]))
    return Case(kernels.harris_response, (np.ones((8, 8)),), dict(k=v), ("k",), (v,))


@case("harris_response-sigma-bad")
def _(draw):
    v = draw(st.sampled_from([0.0, -1.0]))
    return Case(kernels.harris_response, (np.ones((8, 8)),), dict(sigma=v), ("sigma",), (v,))


# -- the loss of convcourse.nn ------------------------------------------------------------

@case("softmax_cross_entropy-labels-out-of-range")
def _(draw):
    n, k = ints(draw, 1, 4), ints(draw, 2, 5)
    labels = np.zeros(n, dtype=int)
    bad = draw(st.sampled_from([k, -1]))
    labels[ints(draw, 0, n - 1)] = bad
    return Case(softmax_cross_entropy, (np.zeros((n, k)), labels), {}, ("labels",), (bad,))


@case("softmax_cross_entropy-logits-not-2d")
def _(draw):
    logits = np.zeros(draw(st.sampled_from([(3,), (2, 3, 1)])))
    return Case(softmax_cross_entropy, (logits, np.zeros(logits.shape[0], int)), {},
                ("logits",), (shape_text(logits),))


# -- gradient checking ---------------------------------------------------------------------

@case("numerical_gradient-eps-bad")
def _(draw):
    eps = draw(st.sampled_from([0.0, -1e-3, float("inf")]))
    return Case(gradcheck.numerical_gradient, (np.sum, np.ones(3)), dict(eps=eps), ("eps",), (eps, "inf"))


@case("numerical_gradient-x-not-float")
def _(draw):
    kind = draw(st.sampled_from(["int64", "complex128", "object"]))
    return Case(gradcheck.numerical_gradient, (np.sum, np.ones(3, dtype=kind)), {}, ("x",), (kind,))


@case("numerical_gradient-f-not-callable")
def _(draw):
    return Case(gradcheck.numerical_gradient, (5, np.ones(3)), {}, ("f",), (5,))


@case("numerical_gradient-grad-output-wrong-shape")
def _(draw):
    n = ints(draw, 1, 4)
    g = np.ones(n + 1)
    return Case(gradcheck.numerical_gradient, (lambda v: 2 * v, np.ones(n)), dict(grad_output=g),
                ("grad_output",), (shape_text(g),))


@case("rel_error-shape-mismatch")
def _(draw):
    a, b = np.ones(ints(draw, 1, 3)), np.ones((4, 2))
    return Case(gradcheck.rel_error, (a, b), {}, ("a", "b"), (shape_text(b), "(4, 2)"))


@case("rel_error-complex-or-object")
def _(draw):
    kind = draw(st.sampled_from(["complex", "object"]))
    return Case(gradcheck.rel_error, (np.ones(3, dtype=kind), np.ones(3)), {}, ("a",), (kind,))


# ---------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------

# a handful of drawn shapes per case; no shrinking, to keep the run short
@settings(max_examples=3, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input_is_rejected_with_a_clear_message(case_id, data):
    built = CASES[case_id](data.draw)
    assert_rejected(built)


def test_every_public_function_is_covered():
    """A new public function without a bad-input case fails here."""
    covered = {c.split("-")[0] for c in CASES}
    modules = [conv, pooling, filtering, separable, arithmetic, kernels, gradcheck]
    public = {name for m in modules for name in m.__all__}
    # the kernel constructors without arguments cannot receive bad input
    exempt = {"sharpen", "emboss"}
    assert public - exempt <= covered, sorted(public - exempt - covered)


# ---------------------------------------------------------------------------
# one message per fault kind (issue 12 §5): wherever a fault is detected, the same words
# ---------------------------------------------------------------------------

KERNEL_TOO_LARGE = re.compile(
    r"^the kernel is larger than the padded input: (?P<kernel>\w+) gives kernel size .+ "
    r"\(dilation .+: spans .+\) but the padded input is .+ \((?P<input>\w+) of shape .+, "
    r"padding .+\); the output size would be .+$")


def _kernel_too_large_calls():
    """One call per function that can meet a kernel larger than the padded input."""
    calls = []
    for nd, (fwd, bwd) in CONV_FUNCTIONS.items():
        x, w = np.ones((1, 1) + (2,) * nd), np.ones((1, 1) + (4,) * nd)
        calls += [(fwd, (x, w)), (bwd, (np.ones((1, 1) + (1,) * nd), x, w))]
    x2, w2 = np.ones((1, 2, 2, 2)), np.ones((2, 1, 4, 4))
    calls += [(conv.conv2d_naive, (x2[:, :1], w2[:1])), (separable.depthwise_conv2d, (x2, w2)),
              (separable.depthwise_conv2d_naive, (x2, w2)),
              (separable.depthwise_separable_conv2d, (x2, w2, np.ones((3, 2)))),
              (arithmetic.conv_output_size, (2, 4)), (arithmetic.conv_mults, ((1, 2, 2), 1, 4)),
              (arithmetic.depthwise_separable_mults, ((1, 2, 2), 1, 4))]
    for name in pooling.__all__:
        if "adaptive" in name or "global" in name:
            continue
        fn = getattr(pooling, name)
        nd = int(name.split("pool")[1][0])
        x = np.ones((1, 1) + (2,) * nd)
        args = (np.ones((1, 1) + (1,) * nd), x) if "backward" in name else (x,)
        calls.append((fn, args + (4,)))
    return calls


@pytest.mark.parametrize("fn, args", _kernel_too_large_calls(),
                         ids=lambda v: getattr(v, "__name__", ""))
def test_kernel_larger_than_padded_input_is_one_message_everywhere(fn, args):
    with pytest.raises(ValueError) as info:
        fn(*args)
    assert KERNEL_TOO_LARGE.match(str(info.value)), str(info.value)


RAGGED = [[1.0, 2.0], [3.0]]
RAGGED_MESSAGE = re.compile(r"^(?P<name>[\w' ]+) must be an array or a rectangular nested sequence "
                            r"of numbers, got \[\[1\.0, 2\.0\], \[3\.0\]\]$")


@pytest.mark.parametrize("fn, args", [
    (conv.conv2d, (RAGGED, np.ones((1, 1, 1, 1)))), (conv.conv1d_backward, (RAGGED, np.ones((1, 1, 2)), np.ones((1, 1, 1)))),
    (pooling.max_pool2d, (RAGGED, 1)), (pooling.adaptive_avg_pool1d, (RAGGED, 1)),
    (pooling.global_avg_pool2d, (RAGGED,)),
    (filtering.correlate2d, (RAGGED, np.ones((1, 1)))), (filtering.convolve, (np.ones(3), RAGGED)),
    (separable.separable_correlate2d, (RAGGED, [1.0], [1.0])),
    (separable.separable_correlate2d_naive, (np.ones((2, 2)), RAGGED, [1.0])),
    (separable.separate_kernel, (RAGGED,)), (separable.depthwise_conv2d, (RAGGED, np.ones((1, 1, 1, 1)))),
    (separable.pointwise_conv2d, (np.ones((1, 1, 1, 1)), RAGGED)),
    (kernels.gradient_magnitude, (RAGGED,)), (gradcheck.rel_error, (RAGGED, RAGGED)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_ragged_input_is_one_error_type_and_message_everywhere(fn, args):
    """A ragged nested list is a ValueError from the one converter (never numpy's own words)."""
    with pytest.raises(ValueError) as info:
        fn(*args)
    assert RAGGED_MESSAGE.match(str(info.value)), str(info.value)
