#!/usr/bin/env python3
"""NumPy verification of the red-team round 4 posts, independent of derive (as verify_round3.py).

Every formula of these posts that derive judges is evaluated as the post writes it, at random points
of its network, against central differences of the post's own cost (or against the post's own numbers
for the worked table): the correct ones must agree, every planted mistake (expected.json) must not.
`python tests/realposts/redteam/verify_round4.py` prints one line a post and exits 1 on any
disagreement; tests/test_check_redteam.py runs it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_round3 import Post, fd, jac, main, rand, sig, softmax, verify_posts  # noqa: E402  (the same helpers)

sys.path.pop(0)


def jupyter_export_relu(p: Post) -> None:
    x, y = rand(3, 1), rand(2, 1)
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    z1 = W1 @ x + b1
    a1 = np.maximum(0, z1)
    yhat = W2 @ a1 + b2

    def L_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return 0.5 * float(((W2 @ np.maximum(0, W1 @ x + b1) + b2 - y) ** 2).sum())
    p.claim("L", L_of(), 0.5 * float(np.linalg.norm(yhat - y) ** 2))
    p.claim("dL/dyhat", fd(lambda v: 0.5 * float(((v - y) ** 2).sum()), yhat), yhat - y)
    p.claim("dL/dW2", fd(lambda W: L_of(W2=W), W2), (yhat - y) @ a1.T)
    p.claim("dL/db2", fd(lambda b: L_of(b2=b), b2), yhat - y)
    ga1 = fd(lambda a: 0.5 * float(((W2 @ a + b2 - y) ** 2).sum()), a1)
    p.claim("dL/da1", ga1, W2.T @ (yhat - y))
    gz1 = fd(lambda z: 0.5 * float(((W2 @ np.maximum(0, z) + b2 - y) ** 2).sum()), z1)
    p.claim("dL/dz1", gz1, ga1 * (z1 > 0))
    p.claim("dL/dW1 = x dz1^T (planted)", fd(lambda W: L_of(W1=W), W1), x @ gz1.T, planted=True)
    p.claim("dL/db1", fd(lambda b: L_of(b1=b), b1), gz1)


def quarto_bce_sigmoid(p: Post) -> None:
    x, y = rand(3, 1), np.array([[1.0]])
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(1, 4), rand(1, 1)
    a1 = sig(W1 @ x + b1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)

    def bce(a):
        return float(-(y * np.log(a) + (1 - y) * np.log(1 - a)).sum())

    def C_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return bce(sig(W2 @ sig(W1 @ x + b1) + b2))
    dC_da2 = fd(bce, a2)
    p.claim("dC/da2", dC_da2, (a2 - y) / (a2 * (1 - a2)))
    p.claim("sigma'(z2)", fd(lambda z: float(sig(z).sum()), z2), a2 * (1 - a2))
    d2 = fd(lambda z: bce(sig(z)), z2)
    p.claim("delta2 chain", d2, dC_da2 * a2 * (1 - a2))
    p.claim("delta2 = a2 - y", d2, a2 - y)
    p.claim("dC/dW2", fd(lambda W: C_of(W2=W), W2), d2 @ a1.T)
    p.claim("dC/db2", fd(lambda b: C_of(b2=b), b2), d2)
    p.claim("dC/dW2 with sigma' (planted)", fd(lambda W: C_of(W2=W), W2), (a2 - y) * a2 * (1 - a2) @ a1.T, planted=True)
    p.claim("dC/db2 = y - a2 (planted)", fd(lambda b: C_of(b2=b), b2), y - a2, planted=True)
    d1 = fd(lambda z: bce(sig(W2 @ sig(z) + b2)), W1 @ x + b1)
    p.claim("delta1", d1, (W2.T @ d2) * a1 * (1 - a1))
    p.claim("dC/dW1", fd(lambda W: C_of(W1=W), W1), d1 @ x.T)
    p.claim("dC/db1", fd(lambda b: C_of(b1=b), b1), d1)


def es_tanh_mse(p: Post) -> None:
    x, y = rand(3, 1), rand(2, 1)
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    z1 = W1 @ x + b1
    h = np.tanh(z1)
    yhat = W2 @ h + b2

    def E_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return 0.5 * float(((W2 @ np.tanh(W1 @ x + b1) + b2 - y) ** 2).sum())
    p.claim("dE/dyhat", fd(lambda v: 0.5 * float(((v - y) ** 2).sum()), yhat), yhat - y)
    p.claim("dE/dW2", fd(lambda W: E_of(W2=W), W2), (yhat - y) @ h.T)
    p.claim("dE/db2", fd(lambda b: E_of(b2=b), b2), yhat - y)
    p.claim("dE/dh", fd(lambda v: 0.5 * float(((W2 @ v + b2 - y) ** 2).sum()), h), W2.T @ (yhat - y))
    p.claim("tanh'(z1)", np.diag(jac(np.tanh, z1.ravel()))[:, None], 1 - h * h)
    gz1 = fd(lambda z: 0.5 * float(((W2 @ np.tanh(z) + b2 - y) ** 2).sum()), z1)
    p.claim("dE/dz1", gz1, (W2.T @ (yhat - y)) * (1 - h * h))
    p.claim("dE/dW1 with y - yhat (planted)", fd(lambda W: E_of(W1=W), W1), ((W2.T @ (y - yhat)) * (1 - h * h)) @ x.T,
            planted=True)
    p.claim("dE/db1", fd(lambda b: E_of(b1=b), b1), gz1)


def ja_softmax_ce(p: Post) -> None:
    x, d = rand(4, 1), np.eye(3)[:, [1]]
    W1, b1, W2, b2 = rand(5, 4), rand(5, 1), rand(3, 5), rand(3, 1)
    u1 = W1 @ x + b1
    z1 = sig(u1)
    u2 = W2 @ z1 + b2
    y = softmax(u2)

    def E_of_u2(u):
        return float(-(d * np.log(softmax(u))).sum())

    def E_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return E_of_u2(W2 @ sig(W1 @ x + b1) + b2)
    J = jac(lambda u: softmax(u[:, None]).ravel(), u2.ravel())
    p.claim("softmax Jacobian", J, np.diag(y.ravel()) - y @ y.T)
    p.claim("diagonal Jacobian (planted)", J, np.diag((y * (1 - y)).ravel()), planted=True)
    d2 = fd(E_of_u2, u2)
    p.claim("delta2 = y - d", d2, y - d)
    d1 = fd(lambda u: E_of_u2(W2 @ sig(u) + b2), u1)
    p.claim("delta1", d1, z1 * (1 - z1) * (W2.T @ d2))
    p.claim("f'(u1) = u1(1 - u1) (planted)", z1 * (1 - z1), u1 * (1 - u1), planted=True)
    p.claim("dE/dW2", fd(lambda W: E_of(W2=W), W2), d2 @ z1.T)
    p.claim("dE/db2", fd(lambda b: E_of(b2=b), b2), d2)
    p.claim("dE/dW1", fd(lambda W: E_of(W1=W), W1), d1 @ x.T)
    p.claim("dE/db1", fd(lambda b: E_of(b1=b), b1), d1)


def sigmoid_network(x: np.ndarray, y: np.ndarray, W: dict, b: dict):
    """The forward pass of a sigmoid network with weights W[1…L] and biases b[1…L] (z and a by layer,
    a[0] = x), and its squared error ½‖a^L − y‖² as a function of the pre-activation of layer l0."""
    depth = len(W)
    a, z = {0: x}, {}
    for l in range(1, depth + 1):
        z[l] = W[l] @ a[l - 1] + b[l]
        a[l] = sig(z[l])

    def cost_from(l0: int, zl: np.ndarray) -> float:
        act = sig(zl)
        for l in range(l0 + 1, depth + 1):
            act = sig(W[l] @ act + b[l])
        return 0.5 * float(((act - y) ** 2).sum())
    return z, a, cost_from


def targets_in_01(*shape):
    return np.abs(rand(*shape)) % 1.0


def zhihu_three_hidden(p: Post) -> None:
    widths = [2, 3, 3, 3, 2]
    x, y = rand(2, 1), targets_in_01(2, 1)
    W = {l: rand(widths[l], widths[l - 1]) for l in range(1, 5)}
    b = {l: rand(widths[l], 1) for l in range(1, 5)}

    z, a, J_from = sigmoid_network(x, y, W, b)
    delta = {l: fd(lambda v, l=l: J_from(l, v), z[l]) for l in range(1, 5)}
    p.claim("delta4", delta[4], (a[4] - y) * a[4] * (1 - a[4]))
    p.claim("delta3", delta[3], (W[4].T @ delta[4]) * a[3] * (1 - a[3]))
    p.claim("delta2", delta[2], (W[3].T @ delta[3]) * a[2] * (1 - a[2]))
    p.claim("delta1 with sigma'(a1) (planted)", delta[1], (W[2].T @ delta[2]) * sig(a[1]) * (1 - sig(a[1])), planted=True)

    def dJ_dW(l: int) -> np.ndarray:
        return fd(lambda M: J_from(l, M @ a[l - 1] + b[l]), W[l])
    p.claim("dJ/dW4", dJ_dW(4), delta[4] @ a[3].T)
    p.claim("dJ/dW3 with a3 (planted)", dJ_dW(3), delta[3] @ a[3].T, planted=True)
    p.claim("dJ/dW2", dJ_dW(2), delta[2] @ a[1].T)
    p.claim("dJ/dW1", dJ_dW(1), delta[1] @ x.T)
    for l in (1, 3):
        p.claim(f"dJ/db{l}", fd(lambda v, l=l: J_from(l, W[l] @ a[l - 1] + v), b[l]), delta[l])


def ng_row_major(p: Post) -> None:
    m = 5
    X, Y = rand(m, 4), (rand(m, 1) > 0).astype(float)
    W1, b1, W2, b2 = rand(4, 3), rand(1, 3), rand(3, 1), rand(1, 1)
    Z1 = X @ W1 + b1
    A1 = np.maximum(0, Z1)
    Z2 = A1 @ W2 + b2
    A2 = sig(Z2)

    def J_of_Z2(Z):
        A = sig(Z)
        return float(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / m)

    def J_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return J_of_Z2(np.maximum(0, X @ W1 + b1) @ W2 + b2)
    gZ2 = fd(J_of_Z2, Z2)
    p.claim("dJ/dZ2", gZ2, (A2 - Y) / m)
    p.claim("dJ/dZ2 = A2 - Y (planted)", gZ2, A2 - Y, planted=True)
    gW2 = fd(lambda W: J_of(W2=W), W2)
    p.claim("dJ/dW2 Ng's order (planted)", gW2, np.zeros((m, m)), planted=True)  # (m × 1)(n_h × m): no product
    p.claim("dJ/dW2", gW2, A1.T @ gZ2)
    p.claim("dJ/db2", fd(lambda b: J_of(b2=b), b2), np.ones((1, m)) @ gZ2)
    gA1 = fd(lambda A: J_of_Z2(A @ W2 + b2), A1)
    p.claim("dJ/dA1", gA1, gZ2 @ W2.T)
    gZ1 = fd(lambda Z: J_of_Z2(np.maximum(0, Z) @ W2 + b2), Z1)
    p.claim("dJ/dZ1", gZ1, gA1 * (Z1 > 0))
    p.claim("dJ/dW1", fd(lambda W: J_of(W1=W), W1), X.T @ gZ1)
    p.claim("dJ/db1", fd(lambda b: J_of(b1=b), b1), np.ones((1, m)) @ gZ1)


def worked_table(p: Post) -> None:
    x, y = np.array([[1.0], [0.5]]), 1.0
    W1, b1 = np.array([[0.1, 0.2], [0.3, -0.1]]), np.array([[0.0], [0.1]])
    W2, b2 = np.array([[0.5, -0.4]]), np.array([[0.2]])
    z1 = W1 @ x + b1
    a1 = sig(z1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)

    def E_of(W1=W1, b1=b1, W2=W2, b2=b2):
        return 0.5 * float(((sig(W2 @ sig(W1 @ x + b1) + b2) - y) ** 2).sum())
    d2 = fd(lambda z: 0.5 * float(((sig(z) - y) ** 2).sum()), z2)
    d1 = fd(lambda z: 0.5 * float(((sig(W2 @ sig(z) + b2) - y) ** 2).sum()), z1)
    gW2, gW1, gb2 = fd(lambda W: E_of(W2=W), W2), fd(lambda W: E_of(W1=W), W1), fd(lambda b: E_of(b2=b), b2)
    tol = 5e-5  # the table's five decimals
    for what, value, written in (("z1", z1.ravel(), [0.2, 0.35]), ("a1", a1.ravel(), [0.54983, 0.58662]),
                                 ("z2", z2, 0.24027), ("a2", a2, 0.55978), ("E", E_of(), 0.09690),
                                 ("delta2", d2, -0.10848), ("dE/dw2_11, dE/dw2_12", gW2.ravel(), [-0.05965, -0.06364]),
                                 ("delta1_1", d1[0], -0.01343), ("dE/dw1_11, dE/dw1_12", gW1[0], [-0.01343, -0.00671]),
                                 ("dE/db2", gb2, -0.10848), ("updated w2_11", W2[0, 0] - 0.5 * gW2[0, 0], 0.52982),
                                 ("updated b2", b2 - 0.5 * gb2, 0.25424)):
        p.claim(what, np.ravel(value), np.ravel(written), tol=tol)
    p.claim("delta2 formula", d2, (a2 - y) * a2 * (1 - a2))
    p.claim("delta1_1 formula", d1[0], np.ravel(d2 * W2[0, 0] * a1[0] * (1 - a1[0])))
    p.claim("delta1_2 with w2_11 (planted)", d1[1], np.ravel(d2 * W2[0, 0] * a1[1] * (1 - a1[1])), planted=True)
    p.claim("delta1_2 = -0.01315 (planted)", d1[1], [-0.01315], planted=True, tol=tol)


def nabla_theta_decay(p: Post) -> None:
    m, lam = 4, 0.1
    X, Y = rand(3, m), targets_in_01(2, m)
    W1, b1, W2, b2 = rand(4, 3), rand(4, 1), rand(2, 4), rand(2, 1)
    decay = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    Z1 = W1 @ X + b1
    A1 = sig(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sig(Z2)

    def J_of(W1=W1, b1=b1, W2=W2, b2=b2):  # summed over the batch, plus (λ/2) Σ ‖W‖_F²
        A = sig(W2 @ sig(W1 @ X + b1) + b2)
        return 0.5 * float(((A - Y) ** 2).sum()) + lam / 2 * float((W1 ** 2).sum() + (W2 ** 2).sum())
    gZ2 = fd(lambda Z: 0.5 * float(((sig(Z) - Y) ** 2).sum()) + decay, Z2)
    p.claim("grad Z2", gZ2, (A2 - Y) * A2 * (1 - A2))
    gW2 = fd(lambda W: J_of(W2=W), W2)
    p.claim("grad W2", gW2, gZ2 @ A1.T + lam * W2)
    p.claim("grad b2", fd(lambda b: J_of(b2=b), b2), gZ2 @ np.ones((m, 1)))
    p.claim("grad W2 entries", gW2, np.array([[sum(gZ2[j, i] * A1[k, i] for i in range(m)) + lam * W2[j, k]
                                              for k in range(4)] for j in range(2)]))
    p.claim("grad W2 entries with A1_ji (planted)", gW2, np.array([[sum(gZ2[j, i] * A1[j, i] for i in range(m))
                                                                    + lam * W2[j, k] for k in range(4)] for j in range(2)]),
            planted=True)
    gZ1 = fd(lambda Z: 0.5 * float(((sig(W2 @ sig(Z) + b2) - Y) ** 2).sum()) + decay, Z1)
    p.claim("grad Z1", gZ1, (W2.T @ gZ2) * A1 * (1 - A1))
    gW1 = fd(lambda W: J_of(W1=W), W1)
    p.claim("grad W1 without the decay (planted)", gW1, gZ1 @ X.T, planted=True)
    p.claim("grad W1", gW1, gZ1 @ X.T + lam * W1)
    p.claim("grad b1", fd(lambda b: J_of(b1=b), b1), gZ1 @ np.ones((m, 1)))
    p.claim("the step goes down", J_of(W1=W1 - 1e-4 * (gZ1 @ X.T + lam * W1)) < J_of(), True)


def nielsen_entries(p: Post) -> None:
    """Nielsen's four equations on the instance 2-3-2-2 of the general network, in matrices and entry by
    entry (w^l_{jk}: into j from k): ko_index_sums and sphinx_rst_nielsen."""
    widths = [2, 3, 2, 2]
    x, y = rand(2, 1), rand(2, 1)
    W = {l: rand(widths[l], widths[l - 1]) for l in range(1, 4)}
    b = {l: rand(widths[l], 1) for l in range(1, 4)}
    z, a, C_from = sigmoid_network(x, y, W, b)
    delta = {l: fd(lambda v, l=l: C_from(l, v), z[l]) for l in range(1, 4)}
    for l in range(1, 4):
        p.claim(f"z^{l}_j", z[l], np.array([[sum(W[l][j, k] * a[l - 1][k, 0] for k in range(widths[l - 1]))
                                              + b[l][j, 0]] for j in range(widths[l])]))
        gW = fd(lambda M, l=l: C_from(l, M @ a[l - 1] + b[l]), W[l])
        p.claim(f"dC/dw^{l}_jk", gW, delta[l] @ a[l - 1].T)
        p.claim(f"dC/db^{l}_j", fd(lambda v, l=l: C_from(l, W[l] @ a[l - 1] + v), b[l]), delta[l])
    # the planted ones at the square layer 3 (w^3 is 2 × 2), where the swapped indices stay in range
    p.claim("z^3_j with w_kj (planted)", z[3], W[3].T @ a[2] + b[3], planted=True)
    p.claim("dC/dw^3_jk = a_j delta_k (planted)", fd(lambda M: C_from(3, M @ a[2] + b[3]), W[3]), a[2] @ delta[3].T,
            planted=True)
    p.claim("delta^L_j", delta[3], (a[3] - y) * a[3] * (1 - a[3]))
    p.claim("delta^2 = (w^3 delta^3) * sigma'(z^2) (planted)", delta[2], (W[3] @ delta[3]) * a[2] * (1 - a[2]),
            planted=True)  # at l = 1 the untransposed product does not exist
    for l in (1, 2):
        p.claim(f"delta^{l}_j", delta[l], np.array([[sum(W[l + 1][k, j] * delta[l + 1][k, 0]
                                                          for k in range(widths[l + 1]))] for j in range(widths[l])])
                * a[l] * (1 - a[l]))


POSTS: dict[str, Callable[[Post], None]] = {
    "jupyter_export_relu": jupyter_export_relu,
    "quarto_bce_sigmoid": quarto_bce_sigmoid,
    "es_tanh_mse": es_tanh_mse,
    "ja_softmax_ce": ja_softmax_ce,
    "zhihu_three_hidden": zhihu_three_hidden,
    "ng_row_major": ng_row_major,
    "worked_table": worked_table,
    "ko_index_sums": nielsen_entries,
    "sphinx_rst_nielsen": nielsen_entries,
    "nabla_theta_decay": nabla_theta_decay,
}


def verify() -> list[str]:
    return verify_posts(POSTS)


if __name__ == "__main__":
    main(verify())
