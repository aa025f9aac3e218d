#!/usr/bin/env python3
"""NumPy verification of the red-team round 3 posts, independent of derive.

Every formula of these posts that derive judges is evaluated here as the post writes it, at random
points of its network, against central differences of the post's own cost (or against the post's own
numbers for the worked example): the correct ones must agree, every planted mistake (expected.json)
must not. `python tests/realposts/redteam/verify_round3.py` prints one line a post and exits 1 on
any disagreement; tests/test_check_redteam.py runs it too.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

RNG = np.random.default_rng(3)
EPS = 1e-6


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def fd(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f at x, shaped like x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        p, m = x.copy(), x.copy()
        p[i] += EPS
        m[i] -= EPS
        g[i] = (f(p) - f(m)) / (2 * EPS)
    return g


def jac(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of the vector f at the vector x: rows = entries of f."""
    return np.stack([fd(lambda v, k=k: f(v)[k], x) for k in range(len(f(x)))])


def rand(*shape):
    return RNG.normal(size=shape)


class Post:
    """The claims of one post: each a name, its left and right sides, and whether it is a planted mistake."""

    def __init__(self, name: str) -> None:
        self.name, self.failures, self.count = name, [], 0

    def claim(self, what: str, left, right, planted: bool = False, tol: float = 1e-5) -> None:
        self.count += 1
        left, right = np.asarray(left, float), np.asarray(right, float)
        equal = left.shape == right.shape and np.allclose(left, right, atol=tol, rtol=tol)
        if equal == planted:
            self.failures.append(f"{what}: {'holds' if equal else 'fails'} but is {'planted' if planted else 'correct'}")


# ----------------------------------------------------------------------------------------------
# The posts
# ----------------------------------------------------------------------------------------------

def medium_tanh_worked(p: Post) -> None:
    x, y = np.array([[0.5], [-1.0]]), np.array([[1.0]])
    W1, b1 = np.array([[0.2, -0.4], [0.7, 0.1]]), np.array([[0.1], [-0.2]])
    W2, b2 = np.array([[0.6, -0.3]]), np.array([[0.05]])
    z1 = W1 @ x + b1
    a1 = np.tanh(z1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)

    def E_of_z2(z):
        return 0.5 * float(((sig(z) - y) ** 2).sum())
    d2 = fd(E_of_z2, z2)
    d1 = fd(lambda z: E_of_z2(W2 @ np.tanh(z) + b2), z1)
    p.claim("z1 numbers", z1, [[0.6], [0.05]])
    p.claim("a1 numbers", a1, [[0.53705], [0.04996]])
    p.claim("z2 number", z2, [[0.35724]])
    p.claim("a2 number", a2, [[0.58837]])
    p.claim("E number", E_of_z2(z2), 0.08472)
    p.claim("delta2 formula", d2, (a2 - y) * a2 * (1 - a2))
    p.claim("delta2 number", d2, [[-0.09969]])
    p.claim("dE/dW2 formula", fd(lambda W: E_of_z2(W @ a1 + b2), W2), d2 @ a1.T)
    p.claim("dE/dW2 numbers", d2 @ a1.T, [[-0.05354, -0.00498]])
    p.claim("delta1 formula", d1, (W2.T @ d2) * (1 - a1 * a1))
    p.claim("delta1 numbers", d1, [[-0.04256], [0.02983]])
    p.claim("dE/dW1 numbers", fd(lambda W: E_of_z2(W2 @ np.tanh(W @ x + b1) + b2), W1),
            [[-0.02128, 0.04256], [0.01492, -0.02983]])
    p.claim("dE/db1", fd(lambda b: E_of_z2(W2 @ np.tanh(W1 @ x + b) + b2), b1), d1)
    p.claim("delta1 with tanh'(a1) (planted)", d1, [[-0.04541], [0.02983]], planted=True)
    p.claim("updated W2", W2 - 0.5 * (d2 @ a1.T), [[0.62677, -0.29751]])


def lecture_nabla_l2(p: Post) -> None:
    m, lam = 4, 0.1
    X, Y = rand(3, m), RNG.uniform(size=(2, m))
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    penalty = lam / (2 * m) * ((W1 ** 2).sum() + (W2 ** 2).sum())

    def J(W1=W1, b1=b1, W2=W2, b2=b2):
        A1 = sig(W1 @ X + b1)
        A2 = sig(W2 @ A1 + b2)
        return float(0.5 * ((A2 - Y) ** 2).sum() / m + lam / (2 * m) * ((W1 ** 2).sum() + (W2 ** 2).sum()))
    Z1 = W1 @ X + b1
    A1 = sig(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sig(Z2)

    def J_of_Z2(Z):
        return float(0.5 * ((sig(Z) - Y) ** 2).sum() / m) + penalty
    gZ2 = fd(J_of_Z2, Z2)
    gA1 = fd(lambda A: J_of_Z2(W2 @ A + b2), A1)
    gZ1 = fd(lambda Z: J_of_Z2(W2 @ sig(Z) + b2), Z1)
    gW2, gW1 = fd(lambda W: J(W2=W), W2), fd(lambda W: J(W1=W), W1)
    p.claim("grad Z2", gZ2, (A2 - Y) * A2 * (1 - A2) / m)
    p.claim("grad W2", gW2, gZ2 @ A1.T + lam / m * W2)
    p.claim("grad A1", gA1, W2.T @ gZ2)
    p.claim("grad Z1", gZ1, gA1 * A1 * (1 - A1))
    p.claim("grad W1", gW1, gZ1 @ X.T + lam / m * W1)
    p.claim("grad b1", fd(lambda b: J(b1=b), b1), gZ1 @ np.ones((m, 1)))
    p.claim("grad b2", fd(lambda b: J(b2=b), b2), gZ2 @ np.ones((m, 1)))
    p.claim("grad W1 without lambda (planted)", gW1, gZ1 @ X.T, planted=True)
    p.claim("grad Z2 without 1/m (planted)", gZ2, (A2 - Y) * A2 * (1 - A2), planted=True)
    vec = lambda M: M.reshape(-1, order="F")  # noqa: E731 (stacks the columns)
    p.claim("vec form", vec(gW1), np.kron(X, np.eye(4)) @ vec(gZ1) + lam / m * vec(W1))
    alpha = 0.3
    p.claim("weight decay form", W2 - alpha * gW2, (1 - alpha * lam / m) * W2 - alpha * gZ2 @ A1.T)


def relu_indicator_inline(p: Post) -> None:
    x, y = rand(3, 1), np.eye(3)[:, [1]]
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(3, 4), rand(3, 1)
    W1[0] = -np.sign(x.T[0]) * np.abs(W1[0])  # unit 1 switched off, so the gate matters
    b1[0] = -1.0
    z1 = W1 @ x + b1
    h = np.maximum(0, z1)
    z2 = W2 @ h + b2
    pr = softmax(z2)
    L_of_p = lambda q: float(-(y * np.log(q)).sum())  # noqa: E731
    L_of_z2 = lambda z: L_of_p(softmax(z))  # noqa: E731
    assert z1[0, 0] < 0
    p.claim("softmax Jacobian", jac(lambda z: softmax(z.reshape(3, 1)).ravel(), z2.ravel()),
            np.diag(pr.ravel()) - pr @ pr.T)
    d2 = fd(L_of_z2, z2)
    p.claim("delta2", d2, pr - y)
    p.claim("dL/dW2", fd(lambda W: L_of_z2(W @ h + b2), W2), d2 @ h.T)
    p.claim("dL/db2", fd(lambda b: L_of_z2(W2 @ h + b), b2), d2)
    dLdp = fd(L_of_p, pr)
    p.claim("softmax diagonal only (planted)", d2, pr * (1 - pr) * dLdp, planted=True)
    p.claim("dL/dh", fd(lambda v: L_of_z2(W2 @ v + b2), h), W2.T @ d2)
    d1 = fd(lambda z: L_of_z2(W2 @ np.maximum(0, z) + b2), z1)
    p.claim("delta1", d1, (W2.T @ d2) * (z1 > 0))
    gW1 = fd(lambda W: L_of_z2(W2 @ np.maximum(0, W @ x + b1) + b2), W1)
    p.claim("dL/dW1", gW1, ((W2.T @ (pr - y)) * (z1 > 0)) @ x.T)
    p.claim("dL/dW1 = x delta1^T (planted)", gW1, x @ d1.T, planted=True)
    p.claim("dL/db1", fd(lambda b: L_of_z2(W2 @ np.maximum(0, W1 @ x + b) + b2), b1), d1)
    p.claim("vec dL/dW2", (d2 @ h.T).reshape(-1, order="F"), np.kron(h, d2).ravel())


def tanh_sech_equiv(p: Post) -> None:
    x, y = rand(3, 1), rand(2, 1)
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    z1 = W1 @ x + b1
    a1 = np.tanh(z1)
    a2 = W2 @ a1 + b2
    C_of_z2 = lambda z: 0.5 * float(((z - y) ** 2).sum())  # noqa: E731
    d2 = fd(C_of_z2, a2)
    p.claim("delta2", d2, a2 - y)
    gW2 = fd(lambda W: C_of_z2(W @ a1 + b2), W2)
    p.claim("dC/dW2", gW2, (a2 - y) @ a1.T)
    p.claim("dC/dW2 flipped residual (planted)", gW2, (y - a2) @ a1.T, planted=True)
    gA1 = fd(lambda a: C_of_z2(W2 @ a + b2), a1)
    p.claim("dC/da1", gA1, W2.T @ d2)
    d1 = fd(lambda z: C_of_z2(W2 @ np.tanh(z) + b2), z1)
    sech2 = 1 / np.cosh(z1) ** 2
    p.claim("dC/dz1 with sech^2", d1, gA1 * sech2)
    p.claim("sech^2 = 1 - tanh^2 = 1 - a*a", sech2, 1 - a1 * a1)
    p.claim("delta1", d1, (W2.T @ d2) * (1 - a1 * a1))
    p.claim("delta1 with tanh^2(a1) (planted)", d1, (W2.T @ d2) * (1 - np.tanh(a1) ** 2), planted=True)
    p.claim("dC/dW1", fd(lambda W: C_of_z2(W2 @ np.tanh(W @ x + b1) + b2), W1), d1 @ x.T)
    p.claim("dC/db1", fd(lambda b: C_of_z2(W2 @ np.tanh(W1 @ x + b) + b2), b1), d1)


def leaky(z):
    return np.maximum(0.01 * z, z)


def leaky_bce_cases(p: Post) -> None:
    x, y = rand(3, 1), np.array([[1.0], [0.0]])
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    b1[0] = -abs(W1[0]).sum() * abs(x).max() - 1  # a negative unit: the leak matters
    z1 = W1 @ x + b1
    a1 = leaky(z1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)
    assert z1[0, 0] < 0
    L_of_a = lambda a: float(-(y * np.log(a) + (1 - y) * np.log(1 - a)).sum())  # noqa: E731
    L_of_z2 = lambda z: L_of_a(sig(z))  # noqa: E731
    gA2 = fd(L_of_a, a2)
    p.claim("dL/da2_k", gA2, -y / a2 + (1 - y) / (1 - a2))
    d2 = fd(L_of_z2, z2)
    p.claim("dL/dz2_k = dL/da2_k a(1-a)", d2, gA2 * a2 * (1 - a2))
    p.claim("dL/dz2 = a2 - y", d2, a2 - y)
    p.claim("sigma'(a2) (planted)", d2, gA2 * sig(a2) * (1 - sig(a2)), planted=True)
    p.claim("dL/dW2", fd(lambda W: L_of_z2(W @ a1 + b2), W2), (a2 - y) @ a1.T)
    d1 = fd(lambda z: L_of_z2(W2 @ leaky(z) + b2), z1)
    p.claim("dL/dz1 leaky", d1, (W2.T @ (a2 - y)) * (0.01 + 0.99 * (z1 > 0)))
    p.claim("dL/dz1 with ReLU's gate (planted)", d1, (W2.T @ (a2 - y)) * (z1 > 0), planted=True)
    p.claim("dL/dW1", fd(lambda W: L_of_z2(W2 @ leaky(W @ x + b1) + b2), W1), d1 @ x.T)
    p.claim("dL/db1", fd(lambda b: L_of_z2(W2 @ leaky(W1 @ x + b) + b2), b1), d1)


PHI = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))


def gelu(z):
    return z * PHI(z)


def gelu_transformer_mlp(p: Post) -> None:
    x, y = rand(3, 1), np.eye(3)[:, [2]]
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(3, 4), rand(3, 1)
    z1 = W1 @ x + b1
    h = gelu(z1)
    yhat = softmax(W2 @ h + b2)
    L_of_z2 = lambda z: float(-(y * np.log(softmax(z))).sum())  # noqa: E731
    z2 = W2 @ h + b2
    d2 = fd(L_of_z2, z2)
    p.claim("dl/dz2", d2, yhat - y)
    p.claim("dl/dW2", fd(lambda W: L_of_z2(W @ h + b2), W2), (yhat - y) @ h.T)
    p.claim("dl/db2", fd(lambda b: L_of_z2(W2 @ h + b), b2), yhat - y)
    d1 = fd(lambda z: L_of_z2(W2 @ gelu(z) + b2), z1)
    dens = np.exp(-z1 ** 2 / 2) / math.sqrt(2 * math.pi)
    p.claim("dl/dz1", d1, (W2.T @ (yhat - y)) * (PHI(z1) + z1 * dens))
    dens_h = np.exp(-h ** 2 / 2) / math.sqrt(2 * math.pi)
    p.claim("GELU'(h) (planted)", d1, (W2.T @ (yhat - y)) * (PHI(h) + h * dens_h), planted=True)
    p.claim("dl/dW1", fd(lambda W: L_of_z2(W2 @ gelu(W @ x + b1) + b2), W1), d1 @ x.T)
    p.claim("dl/db1", fd(lambda b: L_of_z2(W2 @ gelu(W1 @ x + b) + b2), b1), d1)


def l_layer(p: Post, sign_planted: bool = False, conditions: bool = False) -> None:
    """The general L-layer sigmoid network on the instance 2-3-2-2 (the BP equations of myst_book_chapter,
    org_notes_sign, entrywise_E_sums and saturation_conditions, matrix form and entries alike)."""
    widths = [2, 3, 2, 2]
    x, y = rand(2, 1), RNG.uniform(size=(2, 1))
    W = [None] + [rand(widths[l], widths[l - 1]) for l in (1, 2, 3)]
    b = [None] + [rand(widths[l], 1) for l in (1, 2, 3)]

    def forward(l0, z0):
        """The cost from the pre-activation z0 of layer l0 on."""
        a = sig(z0)
        for l in range(l0 + 1, 4):
            a = sig(W[l] @ a + b[l])
        return 0.5 * float(((y - a) ** 2).sum())
    a, z = [x], [None]
    for l in (1, 2, 3):
        z.append(W[l] @ a[-1] + b[l])
        a.append(sig(z[-1]))
    delta = [None] + [fd(lambda v, l=l: forward(l, v), z[l]) for l in (1, 2, 3)]
    ds = lambda v: sig(v) * (1 - sig(v))  # noqa: E731
    p.claim("delta^L", delta[3], (a[3] - y) * ds(z[3]))
    if sign_planted:
        p.claim("delta^L with y - a (planted)", delta[3], (y - a[3]) * ds(z[3]), planted=True)
    for l in (1, 2):
        p.claim(f"delta^{l}", delta[l], (W[l + 1].T @ delta[l + 1]) * ds(z[l]))
        p.claim(f"delta^{l} in entries with sigma'(a) (planted)", delta[l],
                (W[l + 1].T @ delta[l + 1]) * ds(a[l]), planted=True)
        # sigma'(z^{l+1}) has the next layer's length: no such element-wise product (planted)
        p.claim(f"delta^{l} with sigma'(z^(l+1)) (planted)", delta[l], np.zeros_like(z[l + 1]), planted=True)
    if conditions:  # saturation_conditions: the conditional statements, and the output error in terms of a^L
        p.claim("delta^L with sigma'(a^L) (planted)", delta[3], (a[3] - y) * ds(a[3]), planted=True)
        p.claim("delta^L = (a - y) a (1 - a)", delta[3], (a[3] - y) * a[3] * (1 - a[3]))
        p.claim("a^L = y => delta^L = 0", fd(lambda v: 0.5 * float(((y - sig(v)) ** 2).sum()), np.log(y / (1 - y))), np.zeros_like(y))
        ce = lambda v: float(-(y * np.log(sig(v)) + (1 - y) * np.log(1 - sig(v))).sum())  # noqa: E731
        p.claim("with the cross-entropy cost, delta^L = a^L - y", fd(ce, z[3]), a[3] - y)
    for l in (1, 2, 3):
        gW = fd(lambda M, l=l: forward(l, M @ a[l - 1] + b[l]), W[l])
        p.claim(f"dC/dW^{l}", gW, delta[l] @ a[l - 1].T)
        p.claim(f"dC/db^{l}", fd(lambda v, l=l: forward(l, W[l] @ a[l - 1] + v), b[l]), delta[l])
        p.claim(f"sigma'(z^{l}) = a(1 - a)", ds(z[l]), a[l] * (1 - a[l]))
        if gW.shape[0] != gW.shape[1]:
            p.claim(f"dC/dW^{l} = a (delta)^T (planted)", gW, a[l - 1] @ delta[l].T, planted=True)
        if l < 3:
            p.claim(f"dC/db^{l} = delta^(l+1) (planted)", delta[l], delta[l + 1], planted=True)


def numpy_row_l2_mean(p: Post) -> None:
    N, lam = 5, 0.01
    X, Y = rand(N, 4), np.eye(3)[RNG.integers(0, 3, N)]
    W1, b1, W2, b2 = rand(4, 5), rand(1, 5), rand(5, 3), rand(1, 3)
    Z1 = X @ W1 + b1
    H = np.maximum(0, Z1)
    Z2 = H @ W2 + b2
    P = softmax(Z2, axis=1)
    penalty = lam / (2 * N) * ((W1 ** 2).sum() + (W2 ** 2).sum())

    def J_of_Z2(Z, W1=W1, W2=W2):
        return float(-(Y * np.log(softmax(Z, axis=1))).sum() / N + lam / (2 * N) * ((W1 ** 2).sum() + (W2 ** 2).sum()))
    gZ2 = fd(J_of_Z2, Z2)
    p.claim("dJ/dZ2", gZ2, (P - Y) / N)
    p.claim("dJ/dZ2 = P - Y (planted)", gZ2, P - Y, planted=True)
    gW2 = fd(lambda W: J_of_Z2(H @ W + b2, W2=W), W2)
    p.claim("dJ/dW2", gW2, H.T @ gZ2 + lam / N * W2)
    p.claim("dJ/dW2 with lambda W2 (planted)", gW2, H.T @ (P - Y) / N + lam * W2, planted=True)
    p.claim("dJ/db2", fd(lambda b: J_of_Z2(H @ W2 + b), b2), gZ2.sum(axis=0, keepdims=True))
    gH = fd(lambda M: J_of_Z2(M @ W2 + b2), H)
    p.claim("dJ/dH", gH, gZ2 @ W2.T)
    gZ1 = fd(lambda Z: J_of_Z2(np.maximum(0, Z) @ W2 + b2), Z1)
    p.claim("dJ/dZ1", gZ1, gH * (Z1 > 0))
    p.claim("dJ/dW1", fd(lambda W: J_of_Z2(np.maximum(0, X @ W + b1) @ W2 + b2, W1=W), W1), X.T @ gZ1 + lam / N * W1)
    assert penalty > 0


def keras_mse_annotated(p: Post) -> None:
    x, y = rand(3, 1), rand(3, 1)
    W1, b1, W2, b2 = rand(5, 3), rand(5, 1), rand(3, 5), rand(3, 1)
    W1[0], b1[0] = -np.sign(x.T[0]) * np.abs(W1[0]), -1.0  # a unit switched off
    z1 = W1 @ x + b1
    h = np.maximum(0, z1)
    yhat = W2 @ h + b2
    L_of = lambda v: float(((v - y) ** 2).sum() / 3)  # noqa: E731
    g = fd(L_of, yhat)
    p.claim("dL/dyhat", g, 2 / 3 * (yhat - y))
    p.claim("dL/dyhat = (1/3)(yhat - y) (planted)", g, (yhat - y) / 3, planted=True)
    p.claim("dL/dW2", fd(lambda W: L_of(W @ h + b2), W2), 2 / 3 * (yhat - y) @ h.T)
    p.claim("dL/db2", fd(lambda b: L_of(W2 @ h + b), b2), 2 / 3 * (yhat - y))
    gh = fd(lambda v: L_of(W2 @ v + b2), h)
    p.claim("dL/dh", gh, W2.T @ g)
    p.claim("dL/dh = W2 dL/dyhat (planted)", gh, np.zeros((3, 1)), planted=True)  # 3 × 5 against 3 × 1: no product
    d1 = fd(lambda z: L_of(W2 @ np.maximum(0, z) + b2), z1)
    p.claim("delta1", d1, gh * (z1 > 0))
    p.claim("dL/dW1", fd(lambda W: L_of(W2 @ np.maximum(0, W @ x + b1) + b2), W1), d1 @ x.T)
    p.claim("dL/db1", fd(lambda b: L_of(W2 @ np.maximum(0, W1 @ x + b) + b2), b1), d1)


POSTS: dict[str, Callable[[Post], None]] = {
    "medium_tanh_worked": medium_tanh_worked,
    "lecture_nabla_l2": lecture_nabla_l2,
    "relu_indicator_inline": relu_indicator_inline,
    "tanh_sech_equiv": tanh_sech_equiv,
    "leaky_bce_cases": leaky_bce_cases,
    "gelu_transformer_mlp": gelu_transformer_mlp,
    "myst_book_chapter": l_layer,
    "org_notes_sign": lambda p: l_layer(p, sign_planted=True),
    "numpy_row_l2_mean": numpy_row_l2_mean,
    "entrywise_E_sums": l_layer,
    "keras_mse_annotated": keras_mse_annotated,
    "saturation_conditions": lambda p: l_layer(p, conditions=True),
}


def verify_posts(posts: dict[str, Callable[[Post], None]]) -> list[str]:
    """Every post's disagreements ("post: claim: …"), empty when every verdict is as expected."""
    failures = []
    for name, check in posts.items():
        post = Post(name)
        check(post)
        print(f"{name}: {post.count} claims, {len(post.failures)} disagreements")
        failures += [f"{name}: {f}" for f in post.failures]
    return failures


def verify() -> list[str]:
    return verify_posts(POSTS)


def main(found: list[str]) -> None:
    print("\n".join(found) or "every verdict verified")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main(verify())
