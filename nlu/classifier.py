"""Multinomial logistic regression on sparse features, trained with L-BFGS in numpy.

Chosen by measurement (see bench/nlu_embedded.py and ``python -m nlu eval``): on our data it
beats naive Bayes and a nearest-centroid baseline, and gives probabilities good enough to tune a
fallback threshold on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nlu.features import SparseRows


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return result


class LogisticRegression:
    """Softmax regression with L2 penalty (the bias row is not penalized)."""

    def __init__(self, l2: float = 1e-3, max_iter: int = 120, memory: int = 10) -> None:
        self.l2 = l2
        self.max_iter = max_iter
        self.memory = memory
        self.classes: list[str] = []
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(
        self, x: SparseRows, labels: Sequence[str], weights: Sequence[float] | None = None
    ) -> LogisticRegression:
        """Fit on rows ``x``; ``weights`` makes some examples count more (rare, costly classes)."""
        self.classes = sorted(set(labels))
        index = {name: i for i, name in enumerate(self.classes)}
        y = np.zeros((x.n_rows, len(self.classes)), dtype=np.float32)
        y[np.arange(x.n_rows), [index[label] for label in labels]] = 1.0
        w_rows = (
            np.ones((x.n_rows, 1), np.float32)
            if weights is None
            else np.asarray(weights, np.float32)[:, None]
        )
        total = float(w_rows.sum())
        penalty = np.full((x.n_cols, 1), self.l2)
        penalty[0] = 0.0

        def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
            # The sparse products run in float32 (half the memory traffic); L-BFGS keeps float64.
            probs = softmax(x.dot(w.astype(np.float32)))
            loss = -np.sum(w_rows * y * np.log(probs + 1e-12)) / total + 0.5 * np.sum(
                penalty * w * w
            )
            grad = x.tdot((w_rows * (probs - y)).astype(np.float32)) / total + penalty * w
            return float(loss), grad

        w0 = np.zeros((x.n_cols, len(self.classes)), dtype=np.float64)
        self.weights = _lbfgs(loss_and_grad, w0, self.max_iter, self.memory).astype(np.float32)
        return self

    def predict_proba_row(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Class probabilities for one featurized message (the fast path used by parse)."""
        return softmax(values @ self.weights[indices])


def _lbfgs(
    func: Callable[[np.ndarray], tuple[float, np.ndarray]],
    w: np.ndarray,
    max_iter: int,
    memory: int,
    tol: float = 1e-5,
    stalled: float = 1e-10,
) -> np.ndarray:
    """Minimize a smooth convex function with limited-memory BFGS and Armijo backtracking, to its
    optimum: until the gradient is under ``tol``, or a step moves the loss by less than ``stalled``
    (relative). A looser stop (1e-5) ended training where a short step happened to land, so two
    ordinary examples more in the data could change the safety triage's verdicts."""
    loss, grad = func(w)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        if np.abs(grad).max() < tol:
            break
        direction = _two_loop(grad, s_hist, y_hist)
        slope = float(np.sum(direction * grad))
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction, slope = -grad, -float(np.sum(grad * grad))
        step = 1.0
        while True:
            candidate = w + step * direction
            new_loss, new_grad = func(candidate)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-8:
                break
            step *= 0.5
        s, yv = candidate - w, new_grad - grad
        if float(np.sum(s * yv)) > 1e-10:
            s_hist.append(s)
            y_hist.append(yv)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(loss - new_loss) < stalled * max(1.0, abs(loss))
        w, loss, grad = candidate, new_loss, new_grad
        if converged:
            break
    return w


def _two_loop(grad: np.ndarray, s_hist: list[np.ndarray], y_hist: list[np.ndarray]) -> np.ndarray:
    q = grad.copy()
    alphas = []
    for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
        rho = 1.0 / float(np.sum(y * s))
        alpha = rho * float(np.sum(s * q))
        q -= alpha * y
        alphas.append((rho, alpha))
    if s_hist:
        q *= float(np.sum(s_hist[-1] * y_hist[-1])) / float(np.sum(y_hist[-1] * y_hist[-1]))
    for (s, y), (rho, alpha) in zip(
        zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True
    ):
        beta = rho * float(np.sum(y * q))
        q += (alpha - beta) * s
    return -q
