"""Layers, loss and optimizers for training small CNNs in numpy (torch's names).

Each layer has ``forward(x)`` and ``backward(grad_output)``; parameters are
:class:`Parameter` objects (``.data``, ``.grad``) that the optimizers update::

    model = Sequential(Conv2d(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
                       Flatten(), Linear(8 * 4 * 4, 10, rng=1))
    opt = Adam(model.parameters(), lr=1e-2)
    logits = model.forward(x)
    loss, grad = softmax_cross_entropy(logits, y)
    opt.zero_grad(); model.backward(grad); opt.step()

:mod:`convcourse.nn.train` holds the digits CNN and its training recipe.
"""

from .layers import (
    AvgPool2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from .loss import softmax_cross_entropy, softmax_cross_entropy_naive
from .module import Module, Parameter
from .optim import SGD, Adam

__all__ = [
    "Module",
    "Parameter",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "ReLU",
    "Flatten",
    "Linear",
    "Sequential",
    "softmax_cross_entropy",
    "softmax_cross_entropy_naive",
    "SGD",
    "Adam",
]
