"""The classification loss: softmax followed by cross-entropy, and its gradient."""

from __future__ import annotations

import numpy as np

from .._validation import as_network_array, check_ndim

__all__ = ["softmax_cross_entropy", "softmax_cross_entropy_naive"]


def _check_inputs(logits, labels):
    logits = as_network_array(logits, "logits")
    check_ndim(logits, 2, "logits", "(N, num_classes)")
    n, k = logits.shape
    if n == 0 or k == 0:
        raise ValueError(f"logits must have at least one row and one class, got shape {logits.shape}")
    try:
        labels = np.asarray(labels)
    except Exception as exc:
        raise TypeError(f"labels must be an array of ints, got {labels!r}") from exc
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be an array of ints (class indices), got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits, got shape {labels.shape}")
    bad = (labels < 0) | (labels >= k)
    if bad.any():
        raise ValueError(
            f"labels must be class indices in [0, {k - 1}], got {labels[bad][0]} "
            f"at position {int(np.flatnonzero(bad)[0])}"
        )
    return logits, labels.astype(np.intp)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of the softmax of ``logits``, and its gradient.

    The same loss as ``torch.nn.functional.cross_entropy(logits, labels)``.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        Unnormalised class scores for ``N`` samples and ``K`` classes.
    labels : ndarray of int, shape (N,)
        The true class of each sample, in ``[0, K)``.

    Returns
    -------
    loss : float
        ``(1/N) sum_n -log softmax(logits[n])[labels[n]]``.
    grad : ndarray, shape (N, K)
        ``dloss/dlogits = (softmax(logits) - onehot(labels)) / N``, in the
        dtype of ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` is not real-valued or ``labels`` are not integers.
    ValueError
        If the shapes disagree or a label is outside ``[0, K)``.

    Notes
    -----
    Computed stably with log-sum-exp: with ``m_n = max_k z_nk``,
    ``log softmax(z)_nk = z_nk - m_n - log sum_j exp(z_nj - m_n)``, so no
    ``exp`` overflows however large the logits.

    Examples
    --------
    Two samples, two classes; logits ``[0, 0]`` give probability 1/2 for each:

    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 2)), np.array([0, 1]))
    >>> round(loss, 6)  # log 2
    0.693147
    >>> grad
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])
    """
    logits, labels = _check_inputs(logits, labels)
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    rows = np.arange(n)
    loss = -log_probs[rows, labels].mean()
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    grad /= n
    return float(loss), grad.astype(logits.dtype, copy=False)


def softmax_cross_entropy_naive(logits, labels):
    """Loop version of :func:`softmax_cross_entropy`, one sample and class at a time.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
    labels : ndarray of int, shape (N,)

    Returns
    -------
    loss : float
    grad : ndarray, shape (N, K)

    Notes
    -----
    Same formulas as :func:`softmax_cross_entropy`, written out per sample:
    ``p_k = exp(z_k - m) / sum_j exp(z_j - m)``, ``loss_n = -log p_y``,
    ``dloss_n/dz_k = p_k - [k == y]``, each divided by ``N``.

    Examples
    --------
    >>> loss, grad = softmax_cross_entropy_naive(np.zeros((2, 2)), np.array([0, 1]))
    >>> round(loss, 6)
    0.693147
    """
    logits, labels = _check_inputs(logits, labels)
    n, k = logits.shape
    total = 0.0
    grad = np.zeros(logits.shape, dtype=logits.dtype)
    for i in range(n):
        m = max(float(v) for v in logits[i])
        exps = [np.exp(float(logits[i, j]) - m) for j in range(k)]
        norm = sum(exps)
        y = int(labels[i])
        total += -(float(logits[i, y]) - m - np.log(norm))
        for j in range(k):
            grad[i, j] = (exps[j] / norm - (1.0 if j == y else 0.0)) / n
    return float(total / n), grad
