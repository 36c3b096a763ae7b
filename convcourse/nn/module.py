"""The building blocks every layer shares: :class:`Parameter` and :class:`Module`.

The design is torch's, cut down to what a numpy course needs:

* a :class:`Parameter` holds an array in ``.data`` and its gradient in
  ``.grad`` (``None`` until a backward pass writes one);
* a :class:`Module` has ``forward(x)`` and ``backward(grad_output)``:
  ``forward`` caches what ``backward`` needs, ``backward`` returns the
  gradient with respect to the input and *adds* the parameter gradients into
  each ``Parameter.grad`` (as torch accumulates into ``.grad``); call
  :meth:`Module.zero_grad` (or the optimizer's ``zero_grad``) between steps;
* :meth:`Module.parameters` lists the parameters an optimizer updates, and
  :meth:`Module.named_parameters` / :meth:`Module.state_dict` name them as torch
  does (``"weight"``, ``"0.bias"``, ...).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Parameter", "Module"]


class Parameter:
    """A trainable array and its gradient.

    Parameters
    ----------
    data : ndarray
        The values; kept as given (the layers create float arrays).

    Attributes
    ----------
    data : ndarray
        The values; optimizers update it in place.
    grad : ndarray or None
        The gradient of the loss with respect to ``data`` (same shape), or
        ``None`` before the first backward pass and after ``zero_grad``.

    Examples
    --------
    >>> p = Parameter(np.zeros((2, 3)))
    >>> p.shape, p.grad is None
    ((2, 3), True)
    """

    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data = np.asarray(data)
        self.grad = None

    @property
    def shape(self) -> tuple:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``."""
        return self.data.dtype

    def accumulate(self, grad) -> None:
        """Add ``grad`` into ``self.grad`` (which starts as a copy of it)."""
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise ValueError(
                f"grad must have the parameter's shape {self.data.shape}, got shape {grad.shape}"
            )
        if self.grad is None:
            self.grad = grad.copy()
        else:
            self.grad += grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of the layers: forward, backward and the parameter plumbing.

    Subclasses set ``_param_names`` (the attribute names of their
    :class:`Parameter` objects, ``None`` allowed for a missing bias) and
    implement ``forward`` and ``backward``.  Calling a module calls
    ``forward``.
    """

    _param_names: tuple[str, ...] = ()

    def __init__(self):
        self.training = True

    # -- the two passes ------------------------------------------------------
    def forward(self, x):  # pragma: no cover - every layer overrides it
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output):  # pragma: no cover - every layer overrides it
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x):
        return self.forward(x)

    # -- parameters ----------------------------------------------------------
    def named_parameters(self, prefix: str = ""):
        """Yield ``(name, Parameter)`` pairs, named as torch names them."""
        for name in self._param_names:
            param = getattr(self, name, None)
            if param is not None:
                yield prefix + name, param

    def parameters(self) -> list[Parameter]:
        """The list of :class:`Parameter` objects an optimizer updates."""
        return [p for _, p in self.named_parameters()]

    @property
    def grads(self) -> dict[str, np.ndarray | None]:
        """``{name: gradient}`` for every parameter (``None`` before backward)."""
        return {name: p.grad for name, p in self.named_parameters()}

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to ``None`` (torch's default)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameter arrays, keyed as torch's ``state_dict``."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Copy arrays from ``state`` (e.g. a torch ``state_dict`` as numpy) in place.

        Raises
        ------
        ValueError
            If a key is missing or unexpected, or an array has the wrong shape.
        """
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(
                f"state must have the keys {sorted(own)}; missing {missing}, unexpected {unexpected}"
            )
        for name, param in own.items():
            value = np.asarray(state[name])
            if value.shape != param.data.shape:
                raise ValueError(
                    f"state[{name!r}] must have shape {param.data.shape}, got shape {value.shape}"
                )
            param.data[...] = value

    # -- modes ---------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (no layer here behaves differently; kept for torch parity)."""
        self.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    # -- helpers for subclasses ----------------------------------------------
    def _cached(self, name: str):
        """The array cached by ``forward``, or a RuntimeError if there is none."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward: call forward(x) first"
            )
        return value

    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr`` (the hyperparameters)."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
