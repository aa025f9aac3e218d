#!/usr/bin/env python3
"""NumPy verification of the Mazur-style red-team posts, independent of derive.

The posts name neurons (i_1, h_1, o_1), number the weights w_1 … w_8 (each post says which pair each
joins) and share one bias per layer (b_1, b_2). Here the network is written out neuron by neuron, as the
posts write it, and every formula derive judges is evaluated as the post writes it: against central
differences of the post's own E_total at random points, or against Mazur's own numbers for the worked
example. The correct ones must agree and every planted mistake (expected.json) must not.
`python tests/realposts/redteam/verify_mazur.py` prints one line a post and exits 1 on any disagreement;
tests/test_check_redteam.py runs it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_round3 import Post, main, sig, verify_posts  # noqa: E402  (the shared claim bookkeeping and the sigmoid)

RNG = np.random.default_rng(17)
EPS = 1e-6

#: Mazur's numbering (w_1: i_1 → h_1, w_2: i_2 → h_1, …), and the Medium clone's (out of each neuron in turn).
MAZUR = {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
         "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
CLONE = {"w1": ("i1", "h1"), "w2": ("i1", "h2"), "w3": ("i2", "h1"), "w4": ("i2", "h2"),
         "w5": ("h1", "o1"), "w6": ("h1", "o2"), "w7": ("h2", "o1"), "w8": ("h2", "o2")}


def d(f: Callable[[float], float], x: float) -> float:
    """Central difference of a function of one number."""
    return (f(x + EPS) - f(x - EPS)) / (2 * EPS)


class Net:
    """The 2-2-2 sigmoid network one neuron at a time: values named as the posts name them."""

    def __init__(self, numbering: dict[str, tuple[str, str]], p: dict[str, float]) -> None:
        self.numbering, self.p = numbering, dict(p)

    def w(self, src: str, dst: str) -> float:
        return next(self.p[name] for name, pair in self.numbering.items() if pair == (src, dst))

    def forward(self, **fixed: float) -> dict[str, float]:
        """Every quantity; a quantity given in `fixed` (out_h1=…) is held there and the rest follows from it."""
        v = {"out_i1": self.p["i1"], "out_i2": self.p["i2"]}
        for layer, before, bias in (("h", "i", "b1"), ("o", "h", "b2")):
            for n in "12":
                net = sum(self.w(f"{before}{k}", f"{layer}{n}") * v[f"out_{before}{k}"] for k in "12") + self.p[bias]
                v[f"net_{layer}{n}"] = fixed.get(f"net_{layer}{n}", net)
                v[f"out_{layer}{n}"] = fixed.get(f"out_{layer}{n}", sig(v[f"net_{layer}{n}"]))
        v["E_o1"] = 0.5 * (self.p["t1"] - v["out_o1"]) ** 2
        v["E_o2"] = 0.5 * (self.p["t2"] - v["out_o2"]) ** 2
        v["E"] = v["E_o1"] + v["E_o2"]
        return v

    def grad(self, of: str, by: str) -> float:
        """∂(of)/∂(by): by a parameter (w5, b1: its shared value) or a neuron's quantity (out_h1), through the net."""
        if by in self.p:
            def f(x: float) -> float:
                return Net(self.numbering, {**self.p, by: x}).forward()[of]
            return d(f, self.p[by])
        return d(lambda x: self.forward(**{by: x})[of], self.forward()[by])


def random_net(numbering: dict[str, tuple[str, str]], biases: bool) -> Net:
    p = {f"w{k}": RNG.normal() for k in range(1, 9)}
    p.update(i1=RNG.normal(), i2=RNG.normal(), t1=RNG.uniform(), t2=RNG.uniform())
    p.update(b1=RNG.normal() if biases else 0.0, b2=RNG.normal() if biases else 0.0)
    return Net(numbering, p)


# ----------------------------------------------------------------------------------------------
# The posts
# ----------------------------------------------------------------------------------------------

def mazur_step_by_step(post: Post) -> None:
    net = random_net(MAZUR, biases=False)
    v, p, g = net.forward(), net.p, net.grad
    post.claim("net_h1", v["net_h1"], p["w1"] * p["i1"] + p["w2"] * p["i2"])
    post.claim("out_h1", v["out_h1"], 1 / (1 + np.exp(-v["net_h1"])))
    post.claim("net_o1", v["net_o1"], p["w5"] * v["out_h1"] + p["w6"] * v["out_h2"])
    post.claim("E_total = E_o1 + E_o2", v["E"], v["E_o1"] + v["E_o2"])
    post.claim("dE/dw5 chain", g("E", "w5"), g("E", "out_o1") * g("out_o1", "net_o1") * g("net_o1", "w5"))
    post.claim("dE/dout_o1", g("E", "out_o1"), -(p["t1"] - v["out_o1"]))
    post.claim("dout_o1/dnet_o1", g("out_o1", "net_o1"), v["out_o1"] * (1 - v["out_o1"]))
    post.claim("dnet_o1/dw5", g("net_o1", "w5"), v["out_h1"])
    post.claim("dE/dw6", g("E", "w6"), -(p["t1"] - v["out_o1"]) * v["out_o1"] * (1 - v["out_o1"]) * v["out_h2"])
    post.claim("dE/dw7 with out_h2 (planted)", g("E", "w7"),
               -(p["t2"] - v["out_o2"]) * v["out_o2"] * (1 - v["out_o2"]) * v["out_h2"], planted=True)
    d_o1 = -(p["t1"] - v["out_o1"]) * v["out_o1"] * (1 - v["out_o1"])
    d_o2 = g("E", "net_o2")
    post.claim("delta_o1", g("E", "net_o1"), d_o1)
    post.claim("dE/dout_h1", g("E", "out_h1"), d_o1 * p["w5"] + d_o2 * p["w7"])
    post.claim("dE/dw1", g("E", "w1"), (d_o1 * p["w5"] + d_o2 * p["w7"]) * v["out_h1"] * (1 - v["out_h1"]) * p["i1"])


def mazur_worked_biases(post: Post) -> None:
    net = Net(MAZUR, dict(i1=0.05, i2=0.10, t1=0.01, t2=0.99, w1=0.15, w2=0.20, w3=0.25, w4=0.30, b1=0.35,
                          w5=0.40, w6=0.45, w7=0.50, w8=0.55, b2=0.60))
    v, g, eta = net.forward(), net.grad, 0.5

    def number(what: str, truth: float, printed: float, planted: bool = False) -> None:
        # to the digits printed, give or take one in the last (Mazur rounds his intermediate numbers)
        digits = len(repr(printed).split(".")[1])
        post.claim(what, truth, printed, planted=planted, tol=10.0 ** -digits)

    post.claim("net_h1 with the shared b1", v["net_h1"], 0.15 * 0.05 + 0.2 * 0.1 + 0.35 * 1)
    post.claim("net_o1 with the shared b2", v["net_o1"], 0.4 * v["out_h1"] + 0.45 * v["out_h2"] + 0.6 * 1)
    number("net_h1", v["net_h1"], 0.3775)
    number("net_h1 arithmetic", 0.15 * 0.05 + 0.2 * 0.1 + 0.35 * 1, 0.3775)
    number("out_h1", v["out_h1"], 0.593269992)
    number("out_h2", v["out_h2"], 0.596884378)
    number("net_o1", v["net_o1"], 1.105905967)
    number("out_o1", v["out_o1"], 0.75136507)
    number("out_o2", v["out_o2"], 0.772928465)
    number("E_o1", v["E_o1"], 0.274811083)
    number("E_o2", v["E_o2"], 0.023560026)
    number("E_total", v["E"], 0.298371109)
    post.claim("dE/dw5 chain", g("E", "w5"), g("E", "out_o1") * g("out_o1", "net_o1") * g("net_o1", "w5"))
    post.claim("dE/dout_o1 written out", g("E", "out_o1"), 2 * 0.5 * (0.01 - v["out_o1"]) ** (2 - 1) * -1 + 0)
    number("dE/dout_o1", g("E", "out_o1"), 0.74136507)
    number("dout_o1/dnet_o1", g("out_o1", "net_o1"), 0.186815602)
    number("dnet_o1/dw5", g("net_o1", "w5"), 0.593269992)
    number("dE/dw5", g("E", "w5"), 0.082167041)
    number("w5+", net.p["w5"] - eta * g("E", "w5"), 0.35891648)
    number("dE/dw7", g("E", "w7"), -0.022602540)
    number("w7+ with the gradient's sign dropped (planted)", net.p["w7"] - eta * g("E", "w7"), 0.48869873,
           planted=True)
    post.claim("dE/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1", g("E", "out_h1"), g("E_o1", "out_h1") + g("E_o2", "out_h1"))
    post.claim("dE_o1/dout_h1 chain", g("E_o1", "out_h1"), g("E_o1", "net_o1") * g("net_o1", "out_h1"))
    post.claim("dE_o1/dnet_o1 chain", g("E_o1", "net_o1"), g("E_o1", "out_o1") * g("out_o1", "net_o1"))
    number("dE_o1/dnet_o1", g("E_o1", "net_o1"), 0.138498562)
    number("dnet_o1/dout_h1", g("net_o1", "out_h1"), 0.40)
    number("dE_o1/dout_h1", g("E_o1", "out_h1"), 0.055399425)
    number("dE_o2/dout_h1", g("E_o2", "out_h1"), -0.019049119)
    number("dE/dout_h1", g("E", "out_h1"), 0.036350306)
    number("dout_h1/dnet_h1", g("out_h1", "net_h1"), 0.241300709)
    number("dnet_h1/dw1", g("net_h1", "w1"), 0.05)
    post.claim("dE/dw1 chain", g("E", "w1"), g("E", "out_h1") * g("out_h1", "net_h1") * g("net_h1", "w1"))
    number("dE/dw1", g("E", "w1"), 0.000438568)
    number("w1+", net.p["w1"] - eta * g("E", "w1"), 0.149780716)
    for name, printed in (("w2", 0.19956143), ("w3", 0.24975114), ("w4", 0.29950229), ("w6", 0.408666186),
                          ("w8", 0.561370121)):
        number(f"{name}+", net.p[name] - eta * g("E", name), printed)


def medium_mazur_clone(post: Post) -> None:
    net = random_net(CLONE, biases=True)
    v, p, g = net.forward(), net.p, net.grad
    post.claim("net_h1 (w1: i1 -> h1, w3: i2 -> h1)", v["net_h1"], p["w1"] * p["i1"] + p["w3"] * p["i2"] + p["b1"])
    post.claim("out_h1", v["out_h1"], sig(v["net_h1"]))
    post.claim("net_o2 (w6: h1 -> o2, w8: h2 -> o2)", v["net_o2"], p["w6"] * v["out_h1"] + p["w8"] * v["out_h2"] + p["b2"])
    post.claim("E_tot", v["E"], 0.5 * (p["t1"] - v["out_o1"]) ** 2 + 0.5 * (p["t2"] - v["out_o2"]) ** 2)
    post.claim("dE/dout_o1", g("E", "out_o1"), v["out_o1"] - p["t1"])
    post.claim("dout_o1/dnet_o1", g("out_o1", "net_o1"), sig(v["net_o1"]) * (1 - sig(v["net_o1"])))
    d_o1, d_o2 = g("E", "net_o1"), g("E", "net_o2")
    post.claim("delta_o1", d_o1, (v["out_o1"] - p["t1"]) * v["out_o1"] * (1 - v["out_o1"]))
    post.claim("dE/dw5 (h1 -> o1)", g("E", "w5"), d_o1 * v["out_h1"])
    post.claim("dE/dw6 (h1 -> o2)", g("E", "w6"), d_o2 * v["out_h1"])
    post.claim("dE/dw7 (h2 -> o1)", g("E", "w7"), d_o1 * v["out_h2"])
    post.claim("dout_h1/dnet_h1 as sigma(out) (planted)", g("out_h1", "net_h1"),
               sig(v["out_h1"]) * (1 - sig(v["out_h1"])), planted=True)
    post.claim("dE/dout_h1", g("E", "out_h1"), d_o1 * p["w5"] + d_o2 * p["w6"])
    d_h1 = g("E", "net_h1")
    post.claim("delta_h1", d_h1, (d_o1 * p["w5"] + d_o2 * p["w6"]) * v["out_h1"] * (1 - v["out_h1"]))
    post.claim("dE/dw1 with a minus (planted)", g("E", "w1"), -d_h1 * p["i1"], planted=True)
    post.claim("dE/dw3 (i2 -> h1)", g("E", "w3"), d_h1 * p["i2"])
    # the shared bias's gradient sums the errors of the neurons it feeds
    post.claim("dE/db1 shared", g("E", "b1"), d_h1 + g("E", "net_h2"))
    post.claim("dE/db2 as o1's error alone (planted)", g("E", "b2"), d_o1, planted=True)


POSTS: dict[str, Callable[[Post], None]] = {
    "mazur_step_by_step": mazur_step_by_step,
    "mazur_worked_biases": mazur_worked_biases,
    "medium_mazur_clone": medium_mazur_clone,
}


def verify() -> list[str]:
    """Every post's disagreements ("post: claim: …"), empty when every verdict is as expected."""
    return verify_posts(POSTS)


if __name__ == "__main__":
    main(verify())
