"""Optimizers with torch's update rules: :class:`SGD` and :class:`Adam`.

An optimizer holds a list of :class:`~convcourse.nn.module.Parameter` objects
(``model.parameters()``); ``step()`` updates each ``param.data`` in place
from its ``param.grad`` (parameters whose grad is ``None`` are skipped, as in
torch), and ``zero_grad()`` resets the grads to ``None``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import _describe
from .module import Parameter

__all__ = ["SGD", "Adam"]


def _check_real(value, name: str, *, minimum: float = 0.0, below: float | None = None) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value) or value < minimum or (below is not None and value >= below):
        allowed = f">= {minimum}" if below is None else f"in [{minimum}, {below})"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


class _Optimizer:
    def __init__(self, params):
        if isinstance(params, Parameter):
            raise TypeError("params must be an iterable of Parameters (e.g. model.parameters()), "
                            "got a single Parameter")
        try:
            params = list(params)
        except TypeError as exc:
            raise TypeError(f"params must be an iterable of Parameters, got {_describe(params)}") from exc
        if not params:
            raise ValueError("params must not be empty, got an empty list")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"params must contain Parameter objects, got {_describe(p)} at position {i}"
                )
        self.params = params
        self.state = [dict() for _ in params]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to ``None``."""
        for p in self.params:
            p.grad = None


class SGD(_Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay.

    Parameters
    ----------
    params : iterable of Parameter
        What to optimize, usually ``model.parameters()``.
    lr : float
        Learning rate, ``>= 0``.
    momentum : float, optional
        Momentum factor ``mu`` (default 0: plain SGD).
    weight_decay : float, optional
        L2 penalty ``lambda`` added to the gradient (default 0).

    Notes
    -----
    torch's rule (dampening 0, no Nesterov), for each parameter ``p``:
    ``g = grad + lambda p``; with momentum ``b = g`` on the first step and
    ``b = mu b + g`` after, then ``g = b``; finally ``p = p - lr g``.

    Examples
    --------
    >>> p = Parameter(np.array([1.0, -2.0]))
    >>> p.grad = np.array([0.5, 0.5])
    >>> opt = SGD([p], lr=0.1)
    >>> opt.step()
    >>> p.data
    array([ 0.95, -2.05])
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params)
        self.lr = _check_real(lr, "lr")
        self.momentum = _check_real(momentum, "momentum")
        self.weight_decay = _check_real(weight_decay, "weight_decay")

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype, copy=True)
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            p.data -= (self.lr * g).astype(p.data.dtype, copy=False)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015) with torch's update rule.

    Parameters
    ----------
    params : iterable of Parameter
        What to optimize, usually ``model.parameters()``.
    lr : float, optional
        Learning rate (default 1e-3).
    betas : tuple (beta1, beta2), optional
        Decay rates of the first and second moment averages, each in [0, 1).
    eps : float, optional
        Added to the denominator for stability (default 1e-8).
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0; torch's ``Adam``, not ``AdamW``).

    Notes
    -----
    For each parameter, at its step ``t = 1, 2, ...``:
    ``g = grad + lambda p``, ``m = beta1 m + (1 - beta1) g``,
    ``v = beta2 v + (1 - beta2) g^2``,
    ``p = p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)``.

    Examples
    --------
    The first step moves each coordinate by about ``lr`` against its gradient's sign:

    >>> p = Parameter(np.array([1.0, -2.0]))
    >>> p.grad = np.array([3.0, -0.01])
    >>> opt = Adam([p], lr=0.1)
    >>> opt.step()
    >>> np.round(p.data, 6)
    array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr = _check_real(lr, "lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {_describe(betas)}")
        self.betas = (_check_real(betas[0], "betas[0]", below=1.0),
                      _check_real(betas[1], "betas[1]", below=1.0))
        self.eps = _check_real(eps, "eps")
        self.weight_decay = _check_real(weight_decay, "weight_decay")

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            bias_correction1 = 1 - beta1 ** t
            bias_correction2 = 1 - beta2 ** t
            denom = np.sqrt(v) / np.sqrt(bias_correction2) + self.eps
            p.data -= ((self.lr / bias_correction1) * m / denom).astype(p.data.dtype, copy=False)

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay})")
