"""The grid of convolution options shared by ``test_conv.py`` and ``test_conv_torch.py``.

Every stride, padding form (int, tuple, 'valid', 'same' with odd and even
kernels), dilation and grouping (1, 2, depthwise), with and without bias,
batches of 1 and 2, and non-square kernels, for 1-D, 2-D and 3-D.
"""

import itertools

import numpy as np
import pytest

# spatial size, two kernel shapes (non-square; the second has an even side), a mixed
# stride, a tuple padding and a mixed dilation, per number of spatial dims
_SPECS = {
    1: dict(size=(11,), kernels=[(3,), (4,)], stride=(3,), pad=(2,), dil=(3,)),
    2: dict(size=(9, 7), kernels=[(3, 2), (2, 4)], stride=(2, 1), pad=(2, 0), dil=(1, 2)),
    3: dict(size=(6, 5, 4), kernels=[(3, 2, 2), (2, 3, 1)], stride=(1, 2, 3), pad=(0, 1, 2), dil=(2, 1, 2)),
}
_SMALL_SIZE = {1: (10,), 2: (5, 7), 3: (5, 3, 3)}


def conv_cases(nd, small=False):
    """pytest params ``(nd, options)`` covering every option for ``nd`` spatial dims.

    The full product of stride, padding, dilation and groups; with ``small``
    (for numerical gradients, whose cost grows with the array sizes) fewer
    channels and pixels, and every (stride, padding) pair with the (dilation,
    groups) pairs taken in turn, so each of those still occurs twice or more.
    """
    spec = _SPECS[nd]
    strides = [1, 2, spec["stride"]]
    paddings = [0, 1, spec["pad"], "valid", "same"]
    dilations = [1, spec["dil"]]
    groupings = [1, 2, "depthwise"]
    if small:
        cycle = itertools.cycle(itertools.product(dilations, groupings))
        combos = [(s, p) + next(cycle) for s, p in itertools.product(strides, paddings)
                  if not (p == "same" and s != 1)]
    else:
        combos = [c for c in itertools.product(strides, paddings, dilations, groupings)
                  if not (c[1] == "same" and c[0] != 1)]  # 'same' with stride > 1 is an error
    params = []
    for i, (stride, padding, dilation, groups) in enumerate(combos):
        c_in = 2 if small else 4
        opts = dict(
            batch=1 + i % 2,
            c_in=c_in,
            c_out=2 * c_in,
            groups=c_in if groups == "depthwise" else groups,
            size=_SMALL_SIZE[nd] if small else spec["size"],
            kernel=spec["kernels"][i % 2],
            bias=i % 3 != 0,
            stride=stride,
            padding=padding,
            dilation=dilation,
        )
        ident = f"{nd}d-s{stride}-p{padding}-d{dilation}-g{groups}-k{opts['kernel']}-b{int(opts['bias'])}"
        params.append(pytest.param(nd, opts, id=ident.replace(" ", "")))
    return params


ALL_CASES = conv_cases(1) + conv_cases(2) + conv_cases(3)
SMALL_CASES = conv_cases(1, small=True) + conv_cases(2, small=True) + conv_cases(3, small=True)


def make_arrays(opts, rng, dtype=np.float64):
    """Random ``x``, ``weight``, ``bias`` (or None) for one case."""
    x = rng.standard_normal((opts["batch"], opts["c_in"]) + opts["size"]).astype(dtype)
    weight = rng.standard_normal(
        (opts["c_out"], opts["c_in"] // opts["groups"]) + opts["kernel"]
    ).astype(dtype)
    bias = rng.standard_normal(opts["c_out"]).astype(dtype) if opts["bias"] else None
    return x, weight, bias


def conv_kwargs(opts):
    """The keyword arguments shared by a forward and its backward."""
    return {k: opts[k] for k in ("stride", "padding", "dilation", "groups")}
