"""Claims of article #20, self-attention (key ``SA``).

Self-attention of a sequence x (L × d) with projections W_q, W_k, W_v:
f(x) = softmax((x W_q)(x W_k)ᵀ / sqrt(d)) (x W_v), softmax over keys (rows).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache, partial
from itertools import permutations
from typing import Any

import mpmath
import numpy as np
from hypothesis import strategies as st

from mlmath.audit import _lib as lib
from mlmath.audit._core import Outcome, claim
from mlmath.audit._evidence import (
    Budget,
    Case,
    Condition,
    Proof,
    by_setting,
    code_listing,
    exists,
    facts,
    forall,
    ill_posed,
    vague,
)
from mlmath.audit._num import DPS, distributions, fmt, mp, mp_close, mp_softmax
from mlmath.audit._references import REFERENCES, cite

__all__ = ["f_self_attention", "mp_self_attention"]

sa_claim = partial(claim, article="SA")

Matrix = list[list[Any]]


# --------------------------------------------------------------------------- helpers

def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum((a[i][t] * b[t][j] for t in range(len(b))), start=0 * a[0][0])
             for j in range(len(b[0]))] for i in range(len(a))]


def _transpose(a: Matrix) -> Matrix:
    return [list(r) for r in zip(*a, strict=True)]


def mp_self_attention(x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix) -> Matrix:
    """Self-attention at 50 digits (independent of the library)."""
    with mpmath.workdps(DPS):
        xm = [[mp(v) for v in row] for row in x]
        def proj(w: Matrix) -> Matrix:
            return _matmul(xm, [[mp(v) for v in row] for row in w])
        q, k, v = proj(wq), proj(wk), proj(wv)
        scale = 1 / mpmath.sqrt(len(q[0]))
        scores = _matmul(q, _transpose(k))
        weights = [mp_softmax([s * scale for s in row]) for row in scores]
        return _matmul(weights, v)


def f_self_attention(x: Any, wq: Any, wk: Any, wv: Any) -> np.ndarray:
    xa = np.asarray(x, dtype=np.float64)
    def proj(w: Any) -> np.ndarray:
        return xa @ np.asarray(w, dtype=np.float64)
    return lib.attention(proj(wq), proj(wk), proj(wv))


def _identity(d: int) -> Matrix:
    return [[int(i == j) for j in range(d)] for i in range(d)]


def _mat(rows: int, cols: int, lo: int = -3, hi: int = 3) -> Any:
    return st.lists(st.lists(st.integers(lo, hi), min_size=cols, max_size=cols),
                    min_size=rows, max_size=rows)


def _show_m(m: Any) -> str:
    return "[" + "; ".join(" ".join(fmt(v) for v in row) for row in m) + "]"


def _mp_max_abs_diff(a: Matrix, b: Matrix) -> Any:
    return max(abs(u - v) for ra, rb in zip(a, b, strict=True) for u, v in zip(ra, rb, strict=True))


# --------------------------------------------------------------------------- section 1: history

@sa_claim(
    id="SA-1-title", section="1 (background)",
    paraphrase="Self-attention first appeared in the 2017 paper 'Transformer for Language "
               "Understanding'.",
    formal="title of the 2017 paper introducing the Transformer",
    expected="factual-error",
    corrected="The Transformer paper is Vaswani et al., 'Attention Is All You Need', NeurIPS "
              "2017 (arXiv:1706.03762). The quoted title resembles a Google Research blog post "
              "(Aug 2017, 'Transformer: A Novel Neural Network Architecture for Language "
              "Understanding'), which is not a paper.")
def _sa_title(budget: Budget) -> Outcome:
    return facts({"title": "Transformer for Language Understanding"},
                 REFERENCES["vaswani2017"], source=cite("vaswani2017"))


@sa_claim(
    id="SA-1-first-appearance", section="1 (background)",
    paraphrase="Self-attention first appeared in 2017, in the Transformer paper.",
    formal="earliest year of a published self-attention (intra-attention) model = 2017",
    expected="factual-error",
    corrected="Self-attention (intra-attention) predates the Transformer: Cheng, Dong & Lapata, "
              "EMNLP 2016 (arXiv:1601.06733), and Parikh et al.'s intra-sentence attention, "
              "EMNLP 2016; attention itself is from Bahdanau, Cho & Bengio (arXiv 2014, ICLR "
              "2015). The Transformer (2017) was the first model built on attention alone.")
def _sa_first(budget: Budget) -> Outcome:
    earliest = min(REFERENCES[k]["year"] for k in ("cheng2016", "parikh2016", "lin2017"))
    return facts({"year": 2017}, {"year": earliest},
                 source=f"{cite('cheng2016')}; {cite('parikh2016')}")


@sa_claim(
    id="SA-1-language-model", section="1 (background)",
    paraphrase="That paper proposed a language model based on self-attention, called the "
               "Transformer.",
    formal="task for which the Transformer was proposed = language modelling",
    expected="factual-error",
    corrected="The Transformer was proposed as an encoder-decoder sequence-transduction model "
              "for machine translation; Transformer language models came later (e.g. GPT, "
              "Radford et al. 2018).")
def _sa_lm(budget: Budget) -> Outcome:
    return facts({"task": "language model"}, REFERENCES["vaswani2017"],
                 source=cite("vaswani2017"))


@sa_claim(
    id="SA-1-idea", section="1 and intro",
    paraphrase="Self-attention is an emerging technique whose core idea is to let the model "
               "attend to different positions of the input, to understand its structure and "
               "relations.",
    formal="(informal description)",
    expected="vague",
    corrected="Each position's output is a data-dependent weighted average of (projections of) "
              "all positions; see SA-3-* for what is and is not true of it.")
def _sa_idea(budget: Budget) -> Outcome:
    return vague("informal motivation; the checkable parts are SA-3-* and SA-implied-*")


# --------------------------------------------------------------------------- section 2

@cache  # shared by several claims: search once per budget
def _convex_hull_outputs(budget: Budget) -> Outcome:
    """Every output row is a convex combination (all weights > 0) of the value rows."""
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        return st.tuples(_mat(L, d), _mat(d, d), _mat(d, d), _mat(d, d))

    def inside(ex: Any) -> bool:
        x, wq, wk, wv = ex
        out = f_self_attention(x, wq, wk, wv)
        v = np.asarray(x, dtype=np.float64) @ np.asarray(wv, dtype=np.float64)
        slack = 1e-12 * (1 + np.abs(v).max())
        return bool(np.all(out >= v.min(axis=0) - slack) and np.all(out <= v.max(axis=0) + slack))

    def exact(ex: Any) -> bool:
        x, wq, wk, wv = ex
        out = mp_self_attention(x, wq, wk, wv)
        v = _matmul(x, wv)
        cols = list(zip(*v, strict=True))
        return all(min(cols[j]) <= row[j] <= max(cols[j]) for row in out for j in range(len(row)))

    return forall(budget, strategy=st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build),
                  holds=inside, exact=exact, show=lambda ex: f"x = {_show_m(ex[0])}",
                  reason_holds="outputs are convex combinations of the value rows")


@sa_claim(
    id="SA-2-concepts", section="2, items 1-2",
    paraphrase="The attention mechanism is a new kind of neural-network architecture that lets "
               "a model focus on different positions; self-attention is an architecture based "
               "on it.",
    formal="'attention is a (new) architecture' (category: architecture vs layer)",
    expected="ill-posed",
    corrected="Attention is a layer (an operation), not an architecture: each query's output is "
              "a convex combination of value vectors with softmax weights; self-attention is "
              "the case where queries, keys and values are all computed from the same sequence. "
              "Attention dates from 2014 (Bahdanau et al.).")
def _sa_concepts(budget: Budget) -> Outcome:
    return ill_posed("an operation inside networks is called an architecture; 'new' is "
                     "undated", [("attention outputs convex combinations of value vectors",
                                  _convex_hull_outputs(budget))])


@sa_claim(
    id="SA-2-transformer", section="2, item 3",
    paraphrase="The Transformer is an architecture based on self-attention, usable for language "
               "models and image recognition among others.",
    formal="Transformer ⊇ self-attention layers; applied to language modelling and images",
    expected="holds",
    corrected="Holds: Vaswani et al. 2017 (plus feed-forward layers and positional encodings); "
              "language models, e.g. GPT (2018); image recognition, e.g. ViT (2020).")
def _sa_transformer(budget: Budget) -> Outcome:
    asserted = {"based on self-attention": True, "language models": True,
                "image recognition": True}
    reference = {
        "based on self-attention": "Transformer" in REFERENCES["vaswani2017"]["introduced"],
        "language models": "radford2018" in REFERENCES,
        "image recognition": REFERENCES["dosovitskiy2021"]["task"] == "image classification"}
    return facts(asserted, reference, source="; ".join(
        cite(k) for k in ("vaswani2017", "radford2018", "dosovitskiy2021")),
        reason_ok="built on self-attention (2017); Transformer language models (GPT, 2018) "
                  "and image recognition (ViT, 2020) exist")


# --------------------------------------------------------------------------- section 3

def _score_cases(*, tied: bool) -> Any:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        if tied:
            return st.tuples(_mat(L, d), _mat(d, d)).map(lambda t: (t[0], t[1], t[1]))
        return st.tuples(_mat(L, d), _mat(d, d), _mat(d, d))

    return st.tuples(st.integers(2, 3), st.integers(1, 2)).flatmap(build)


def _scores(ex: Any) -> Matrix:
    x, wq, wk = ex
    return _matmul(_matmul(x, wq), _transpose(_matmul(x, wk)))


@sa_claim(
    id="SA-3-1-similarity", section="3, step 1",
    paraphrase="First, for every position compute its relevance to the other positions, via a "
               "similarity or a distance between positions.",
    formal="the scores s_ij = (x_i W_q)·(x_j W_k) are a similarity: s_ij = s_ji",
    expected="conditional",
    corrected="The scores are scaled dot products of a learned query and key projection: "
              "asymmetric unless W_q W_kᵀ is symmetric (e.g. W_q = W_k), not a distance, and "
              "each position is also scored against itself.")
def _sa_similarity(budget: Budget) -> Outcome:
    def symmetric(ex: Any) -> bool:
        s = _scores(ex)  # exact: Python integers
        return all(s[i][j] == s[j][i] for i in range(len(s)) for j in range(len(s)))

    def show(ex: Any) -> str:
        x, wq, wk = ex
        return f"x = {_show_m(x)}, W_q = {_show_m(wq)}, W_k = {_show_m(wk)}: scores = " \
               f"{_show_m(_scores(ex))}"

    return forall(budget, strategy=_score_cases(tied=False), holds=symmetric, exact=symmetric,
                  show=show, condition=Condition("W_q = W_k (more generally W_q W_kᵀ symmetric)",
                                                 _score_cases(tied=True)),
                  reason_fails="query-key scores are not symmetric, hence not a similarity, "
                               "unless the projections are tied")


@sa_claim(
    id="SA-3-2-softmax", section="3, step 2",
    paraphrase="Then the attention weights of each position are computed with a softmax.",
    formal="∀ scores: a_ij = exp(s_ij) / Σ_k exp(s_ik) > 0 and Σ_j a_ij = 1",
    expected="holds",
    corrected="Holds (the Transformer also scales the scores by 1/sqrt(d_k), as the listing "
              "does).")
def _sa_softmax(budget: Budget) -> Outcome:
    row = st.lists(st.floats(-700, 700, allow_nan=False), min_size=1, max_size=5)

    def ok(s: Any) -> bool:
        a = lib.softmax(np.asarray(s, dtype=np.float64))
        return bool(np.all(a >= 0) and abs(float(np.sum(a)) - 1) <= 8 * 2.2e-16 * len(s))

    def exact(s: Any) -> bool:
        with mpmath.workdps(DPS):
            a = mp_softmax(s)
            return all(v > 0 for v in a) and mp_close(mpmath.fsum(a), 1)

    def proof() -> bool:
        import sympy as sp

        s = sp.symbols("s1:4", real=True)
        total = sum(sp.exp(v) for v in s)
        return bool(sp.simplify(sum(sp.exp(v) / total for v in s) - 1) == 0)

    return forall(budget, strategy=row, holds=ok, exact=exact, show=repr,
                  proof=Proof("SymPy: Σ_j exp(s_j)/Σ_k exp(s_k) ≡ 1; each term > 0", proof),
                  reason_holds="softmax rows are positive and sum to 1")


@sa_claim(
    id="SA-3-3-weighted-sum", section="3, step 3",
    paraphrase="Finally each position takes a weighted sum of the positions with the higher "
               "attention weights.",
    formal="out_i = Σ_j a_ij v_j (all positions, weights > 0) — a convex combination",
    expected="holds",
    corrected="Holds, over ALL positions: every weight is strictly positive, so no position "
              "is excluded; 'higher' weights only contribute more.")
def _sa_weighted_sum(budget: Budget) -> Outcome:
    return _convex_hull_outputs(budget)


def _midpoint_cases() -> Any:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        return st.tuples(_mat(L, d), _mat(L, d))

    return st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build)


@cache  # shared by several claims: search once per budget
def _not_affine(budget: Budget) -> Outcome:
    """A witness x1, x2 with f((x1+x2)/2) != (f(x1)+f(x2))/2, identity projections."""
    def f(x: Any) -> np.ndarray:
        d = len(x[0])
        return f_self_attention(x, *[_identity(d)] * 3)

    def violated(ex: Any) -> bool:
        x1, x2 = ex
        mid = (np.asarray(x1, dtype=np.float64) + np.asarray(x2, dtype=np.float64)) / 2
        gap = np.abs(f(mid) - (f(x1) + f(x2)) / 2).max()
        return bool(gap > 1e-9)

    def mp_f(x: Any) -> Matrix:
        d = len(x[0])
        return mp_self_attention(x, *[_identity(d)] * 3)

    def gap_mp(ex: Any) -> Any:
        x1, x2 = ex
        mid = [[Fraction(a + b, 2) for a, b in zip(r1, r2, strict=True)]
               for r1, r2 in zip(x1, x2, strict=True)]
        with mpmath.workdps(DPS):
            avg = [[(a + b) / 2 for a, b in zip(r1, r2, strict=True)]
                   for r1, r2 in zip(mp_f(x1), mp_f(x2), strict=True)]
            return _mp_max_abs_diff(mp_f(mid), avg)

    def show(ex: Any) -> str:
        x1, x2 = ex
        with mpmath.workdps(DPS):
            return (f"W_q = W_k = W_v = I, x1 = {_show_m(x1)}, x2 = {_show_m(x2)}: "
                    f"|f((x1+x2)/2) - (f(x1)+f(x2))/2| = {mpmath.nstr(gap_mp(ex), 6)}")

    return exists(budget, strategy=_midpoint_cases(), witness=violated,
                  exact=lambda ex: gap_mp(ex) > mpmath.mpf(10) ** -30, show=show,
                  reason_found="self-attention is not affine in its input (needs L >= 2)",
                  reason_none="no violation of affinity found")


@sa_claim(
    id="SA-3-3-linear-layer", section="3, step 3",
    paraphrase="This weighted sum can be implemented by a linear layer.",
    formal="∃ fixed W, b such that attention(x) = x W + b position-wise, i.e. the map is affine",
    expected="false",
    corrected="The weights a_ij depend on the input through the softmax of query-key scores, "
              "so the layer is not affine in x (a linear layer is); it is a batched product "
              "A(x)·V(x). The listing's separate output projection is the only linear layer "
              "after it.")
def _sa_linear_layer(budget: Budget) -> Outcome:
    w = _not_affine(budget)
    return Outcome("false" if w.verdict == "holds" else "holds",
                   "not affine in the input, so no linear layer computes it"
                   if w.verdict == "holds" else w.reason,
                   counterexample=w.counterexample, evidence=w.evidence)


def _linear_in_values(budget: Budget) -> Outcome:
    def build(lk: tuple[int, int]) -> Any:
        L, d = lk
        weights = st.lists(distributions(L, L, full_support=True), min_size=L, max_size=L)
        return st.tuples(weights, _mat(L, d), _mat(L, d))

    def linear(ex: Any) -> bool:  # exact: Fractions times integers
        a, v1, v2 = ex
        vs = [[p + q for p, q in zip(r1, r2, strict=True)] for r1, r2 in zip(v1, v2, strict=True)]
        lhs = _matmul(a, vs)
        rhs = [[p + q for p, q in zip(r1, r2, strict=True)]
               for r1, r2 in zip(_matmul(a, v1), _matmul(a, v2), strict=True)]
        return lhs == rhs

    return forall(budget, strategy=st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build),
                  holds=linear, exact=linear, show=repr,
                  reason_holds="A(V1 + V2) = A V1 + A V2 exactly for fixed weights A")


@sa_claim(
    id="SA-implied-linearity", section="3, step 3 (implied)",
    paraphrase="Attention is a linear operation (implied by 'implemented by a linear layer').",
    formal="x ↦ softmax(x W_q (x W_k)ᵀ/sqrt(d)) x W_v is linear",
    expected="conditional",
    corrected="Linear in the values V for fixed attention weights; as a function of its input "
              "(or of Q, K) it is nonlinear — the softmax of a quadratic form.")
def _sa_linearity(budget: Budget) -> Outcome:
    return by_setting(
        true_in=[("in V, for fixed weights A", _linear_in_values(budget))],
        false_in=[("in the input x (identity projections)", _not_affine(budget))],
        reason="linear in V for fixed weights; nonlinear in x, Q, K")


# --------------------------------------------------------------------------- order (implied)

def _perm_cases() -> Any:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        perms = st.sampled_from(sorted(permutations(range(L))))
        return st.tuples(_mat(L, d), _mat(d, d, -2, 2), _mat(d, d, -2, 2), _mat(d, d, -2, 2),
                         perms)

    return st.tuples(st.integers(2, 3), st.integers(1, 2)).flatmap(build)


@cache  # shared by several claims: search once per budget
def _equivariant(budget: Budget) -> Outcome:
    def holds(ex: Any) -> bool:
        x, wq, wk, wv, perm = ex
        px = [x[i] for i in perm]
        out = f_self_attention(x, wq, wk, wv)
        out_p = f_self_attention(px, wq, wk, wv)
        return bool(np.abs(out_p - out[list(perm)]).max() <= 1e-12 * (1 + np.abs(out).max()))

    def exact(ex: Any) -> bool:
        x, wq, wk, wv, perm = ex
        out = mp_self_attention(x, wq, wk, wv)
        out_p = mp_self_attention([x[i] for i in perm], wq, wk, wv)
        with mpmath.workdps(DPS):
            return bool(_mp_max_abs_diff(out_p, [out[i] for i in perm]) < mpmath.mpf(10) ** -40)

    def proof() -> bool:
        import sympy as sp

        x1, x2, a, b, c = sp.symbols("x1 x2 a b c", real=True)
        def f(xs: list[Any]) -> list[Any]:
            q = [a * v for v in xs]
            k = [b * v for v in xs]
            val = [c * v for v in xs]
            out = []
            for qi in q:
                e = [sp.exp(qi * kj) for kj in k]
                out.append(sum(w * vj for w, vj in zip(e, val, strict=True)) / sum(e))
            return out
        swapped = f([x2, x1])
        orig = f([x1, x2])
        return all(sp.simplify(s - o) == 0 for s, o in zip(swapped, orig[::-1], strict=True))

    return forall(budget, strategy=_perm_cases(), holds=holds, exact=exact,
                  show=lambda ex: f"x = {_show_m(ex[0])}, permutation {ex[4]}",
                  proof=Proof("SymPy: f(swap(x)) = swap(f(x)) for L = 2, d = 1, symbolic "
                              "weights; in general softmax(P S Pᵀ) P V = P softmax(S) V", proof),
                  reason_holds="f(P x) = P f(x) for every permutation P")


def _sinusoidal(L: int, d: int) -> np.ndarray:
    pos = np.arange(L)[:, None]
    i = np.arange(d)[None, :]
    angle = pos / np.power(10000.0, (2 * (i // 2)) / d)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))


def _order_aware_with_positions(budget: Budget) -> Outcome:
    def outputs(ex: Any) -> tuple[Any, Any]:
        x, wq, wk, wv, perm = ex
        pe = _sinusoidal(len(x), len(x[0]))
        xs = np.asarray(x, dtype=np.float64)
        out = f_self_attention(xs + pe, wq, wk, wv)
        out_p = f_self_attention(xs[list(perm)] + pe, wq, wk, wv)
        return out, out_p

    def differs(ex: Any) -> bool:
        out, out_p = outputs(ex)
        return bool(np.abs(out_p - out[list(ex[4])]).max() > 1e-6)

    def exact(ex: Any) -> bool:
        x, wq, wk, wv, perm = ex
        pe = _sinusoidal(len(x), len(x[0]))
        with_pe = [[Fraction(v) + Fraction(float(p)) for v, p in zip(r, pr, strict=True)]
                   for r, pr in zip(x, pe, strict=True)]
        perm_pe = [[Fraction(v) + Fraction(float(p)) for v, p in zip(x[i], pr, strict=True)]
                   for i, pr in zip(perm, pe, strict=True)]
        out = mp_self_attention(with_pe, wq, wk, wv)
        out_p = mp_self_attention(perm_pe, wq, wk, wv)
        with mpmath.workdps(DPS):
            return bool(_mp_max_abs_diff(out_p, [out[i] for i in perm]) > mpmath.mpf(10) ** -6)

    return exists(budget, strategy=_perm_cases(), witness=differs, exact=exact,
                  show=lambda ex: f"x = {_show_m(ex[0])}, W_q = {_show_m(ex[1])}, "
                                  f"W_k = {_show_m(ex[2])}, W_v = {_show_m(ex[3])}, "
                                  f"permutation {ex[4]} + sinusoidal positions",
                  reason_found="with positional encodings, permuting the input changes the "
                               "output beyond permuting it",
                  reason_none="no order effect found")


@sa_claim(
    id="SA-implied-order-blind", section="1-3 and listing (implied)",
    paraphrase="Self-attention without positional information (as described, and as in the "
               "listing) cannot see the order of its input.",
    formal="∀ x, W, permutation P: f(P x) = P f(x) (permutation equivariance)",
    expected="holds",
    corrected="Holds: without positional encodings (or a causal mask) the layer is permutation "
              "equivariant, so 'dog bites man' and 'man bites dog' get the same per-token "
              "outputs, merely reordered.")
def _sa_order_blind(budget: Budget) -> Outcome:
    return _equivariant(budget)


@sa_claim(
    id="SA-3-structure", section="3 (closing sentence), 6",
    paraphrase="In this way self-attention helps the model understand the relations and "
               "structure of the input sequence.",
    formal="the described layer's output depends on the order of the sequence",
    expected="conditional",
    corrected="Only with positional information (positional encodings, relative positions or a "
              "causal mask), which the article and its listing never mention.")
def _sa_structure(budget: Budget) -> Outcome:
    blind = _equivariant(budget)
    x, rev = [[1], [2], [3]], [[3], [2], [1]]
    with mpmath.workdps(DPS):
        out = [mpmath.nstr(r[0], 6) for r in mp_self_attention(x, [[1]], [[1]], [[1]])]
        out_rev = [mpmath.nstr(r[0], 6) for r in mp_self_attention(rev, [[1]], [[1]], [[1]])]
    demo = (f"no positions, W = 1: f(1, 2, 3) = ({', '.join(out)}), f(3, 2, 1) = "
            f"({', '.join(out_rev)}): the same outputs, reordered")
    blind = Outcome(blind.verdict, blind.reason, counterexample=demo, evidence=blind.evidence)
    return by_setting(true_in=[("with sinusoidal positional encodings added to x",
                                _order_aware_with_positions(budget))],
                      false_in=[("without positional information (as described)", blind)],
                      reason="order-aware only with positional information")


# --------------------------------------------------------------------------- section 4

@sa_claim(
    id="SA-4-applications", section="4, items 1-3",
    paraphrase="Self-attention is widely applied in NLP (translation, summarisation, "
               "sentiment), computer vision (classification, detection, generation) and image "
               "recognition (classification, segmentation, detection).",
    formal="published uses exist in each named area",
    expected="holds",
    corrected="Holds (machine translation: Vaswani et al. 2017; image classification: ViT; "
              "detection: DETR; generation: SAGAN); item 3 repeats item 2, image recognition "
              "being part of computer vision.")
def _sa_applications(budget: Budget) -> Outcome:
    needed = {"machine translation": "vaswani2017", "image classification": "dosovitskiy2021",
              "object detection": "carion2020", "image generation": "zhang2019"}
    return facts({area: True for area in needed},
                 {area: key in REFERENCES for area, key in needed.items()},
                 source="; ".join(cite(k) for k in needed.values()),
                 reason_ok="published uses: translation, image classification, detection, "
                           "generation")


# --------------------------------------------------------------------------- section 5 listing

#: What the listing binds at module level and which module-level names its code uses
#: (described, not copied): it imports torch and torch.nn (as nn) but scales the scores
#: with NumPy's sqrt through the name np.
_LISTING_BOUND = frozenset({"torch", "nn", "SelfAttention", "input_dim", "model", "x", "output"})
_LISTING_USED = frozenset({"torch", "nn", "np", "SelfAttention", "input_dim", "model", "x",
                           "output", "print", "super"})
_BUILTINS = frozenset({"print", "super"})


@sa_claim(
    id="SA-5-listing-runs", section="5 (listing)",
    paraphrase="The PyTorch listing defines a SelfAttention module and prints the output shape "
               "for a (3, 5, 10) input.",
    formal="the listing runs as written and prints (3, 5, 10)",
    expected="code-defect",
    corrected="Import NumPy (or use math.sqrt / torch.sqrt) for the 1/sqrt(d) scale; then the "
              "forward pass returns a (3, 5, 10) tensor.")
def _sa_listing_runs(budget: Budget) -> Outcome:
    unresolved = sorted(_LISTING_USED - _LISTING_BOUND - _BUILTINS)
    observed = (f"NameError: name '{unresolved[0]}' is not defined (first forward call)"
                if unresolved else "runs")
    return code_listing([Case("x of shape (3, 5, 10), any values", observed,
                              "output of shape (3, 5, 10)", defective=bool(unresolved))],
                        summary="static analysis: the name np is used but never imported")


def _listing_forward(x: np.ndarray, w: dict[str, np.ndarray], softmax_axis: int) -> np.ndarray:
    """The listing's forward pass re-implemented (NumPy, with its hard-coded softmax axis)."""
    def linear(t: np.ndarray, name: str) -> np.ndarray:
        return t @ w[name + "_w"].T + w[name + "_b"]

    q, k, v = linear(x, "q"), linear(x, "k"), linear(x, "v")
    scores = lib.softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(x.shape[-1]), axis=softmax_axis)
    return linear(scores @ v, "out")


def _listing_weights(d: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20)
    return {f"{n}_{p}": rng.standard_normal((d, d) if p == "w" else d) / np.sqrt(d)
            for n in ("q", "k", "v", "out") for p in ("w", "b")}


@sa_claim(
    id="SA-5-listing-description", section="5 (listing and its explanation)",
    paraphrase="The listing computes Q, K, V with three linear layers, softmax-normalised "
               "scaled scores, their weighted sum of V, and a final output linear layer.",
    formal="listing(x) = W_o · attention(x W_qᵀ + b_q, x W_kᵀ + b_k, x W_vᵀ + b_v) + b_o for "
           "3-D x",
    expected="holds",
    corrected="Holds for 3-D input (batch, length, features), once np is imported.")
def _sa_listing_description(budget: Budget) -> Outcome:
    d = 10
    w = _listing_weights(d)
    x = np.random.default_rng(21).standard_normal((3, 5, d))
    got = _listing_forward(x, w, softmax_axis=2)
    q, k, v = (x @ w[n + "_w"].T + w[n + "_b"] for n in ("q", "k", "v"))
    ref = lib.attention(q, k, v) @ w["out_w"].T + w["out_b"]
    err = float(np.abs(got - ref).max())
    return code_listing([Case("x ~ N(0, 1) of shape (3, 5, 10), seeded weights",
                              f"shape {got.shape}, max |listing - reference| = {err:.1e}",
                              "shape (3, 5, 10), agreement to rounding",
                              defective=got.shape != (3, 5, 10) or err > 1e-12)],
                        summary="matches scaled dot-product attention plus an output projection")


@sa_claim(
    id="SA-5-listing-softmax-axis", section="5 (listing)",
    paraphrase="The module normalises the attention scores with a softmax over dimension 2.",
    formal="softmax over the key axis for every input the linear layers accept",
    expected="code-defect",
    corrected="Normalise over the last axis (dim=-1): the key axis whatever the number of "
              "leading dimensions.")
def _sa_listing_axis(budget: Budget) -> Outcome:
    d = 4
    w = _listing_weights(d)
    rng = np.random.default_rng(22)
    x4 = rng.standard_normal((2, 2, 3, d))   # (batch, heads/groups, length, features)
    q, k = (x4 @ w[n + "_w"].T + w[n + "_b"] for n in ("q", "k"))
    weights = lib.softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(d), axis=2)
    key_sums = weights.sum(axis=-1)
    cases = [Case("x of shape (2, 2, 3, 4)",
                  f"weights normalised over queries: key-axis sums range "
                  f"{key_sums.min():.3f}..{key_sums.max():.3f}",
                  "every row of weights sums to 1 over the keys",
                  defective=not np.allclose(key_sums, 1.0))]
    try:
        _listing_forward(rng.standard_normal((3, d)), w, softmax_axis=2)
        observed, bad = "runs", False
    except (ValueError, IndexError) as exc:  # mlmath: ValueError naming `axis`
        observed, bad = (f"an error: there is no dimension 2 ({type(exc).__name__} in the "
                         "re-implementation, IndexError in PyTorch)"), True
    cases.append(Case("an unbatched sequence x of shape (3, 4)", observed,
                      "attention output of shape (3, 4)", defective=bad))
    return code_listing(cases, summary="dim=2 is the key axis only for 3-D input: wrong axis "
                                       "for 4-D input, an error for 2-D input")


# --------------------------------------------------------------------------- section 6

@sa_claim(
    id="SA-6-summary", section="6",
    paraphrase="Summary: self-attention is a new architecture that helps models understand "
               "structure and relations, widely used in NLP, CV and image recognition.",
    formal="(restates 1-4)",
    expected="vague",
    corrected="See SA-2-concepts, SA-3-structure and SA-4-applications.")
def _sa_summary(budget: Budget) -> Outcome:
    return vague("restates earlier claims; checked where first made")

