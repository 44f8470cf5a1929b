"""Claims of article #20, self-attention (key ``SA``).

Self-attention of a sequence x (L × d) with projections W_q, W_k, W_v:
f(x) = softmax((x W_q)(x W_k)ᵀ / sqrt(d)) (x W_v), softmax over keys (rows).
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial
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
    code_listing,
    editorial,
    established,
    exists,
    forall,
    needs_condition,
    refuted_by,
    shared,
    with_readings,
)
from mlmath.audit._num import DPS, bound_text, distributions, fmt, mp, mp_close, mp_softmax
from mlmath.audit.claims._common import Editorial, register_editorial

__all__ = [
    "LISTING_SOFTMAX_AXIS",
    "SA_LISTING_IMPORTS",
    "f_self_attention",
    "listing_namespace",
    "listing_twin",
    "mp_self_attention",
]

sa_claim = partial(claim, article="SA")

Matrix = list[list[Any]]


# --------------------------------------------------------------------------- helpers


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return [
        [
            sum((a[i][t] * b[t][j] for t in range(len(b))), start=0 * a[0][0])
            for j in range(len(b[0]))
        ]
        for i in range(len(a))
    ]


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
    return st.lists(
        st.lists(st.integers(lo, hi), min_size=cols, max_size=cols), min_size=rows, max_size=rows
    )


def _show_m(m: Any) -> str:
    return "[" + "; ".join(" ".join(fmt(v) for v in row) for row in m) + "]"


def _mp_max_abs_diff(a: Matrix, b: Matrix) -> Any:
    return max(abs(u - v) for ra, rb in zip(a, b, strict=True) for u, v in zip(ra, rb, strict=True))


# --------------------------------------------------------------------------- section 1: history

# --------------------------------------------------------------------------- section 2


@shared  # used by several claims: search once per budget and perturbation
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

    return forall(
        budget,
        strategy=st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build),
        holds=inside,
        exact=exact,
        show=lambda ex: f"x = {_show_m(ex[0])}",
        reason_holds="outputs are convex combinations of the value rows",
    )


@sa_claim(
    id="SA-2-concepts",
    section="2, items 1-2",
    paraphrase="The attention mechanism is a new kind of neural-network architecture that lets "
    "a model focus on different positions; self-attention is an architecture based "
    "on it.",
    formal="'attention is a (new) architecture' (category: architecture vs layer)",
    expected="vague",
    corrected="Attention is a layer (an operation), not an architecture: each query's output is "
    "a convex combination of value vectors with softmax weights; self-attention is "
    "the case where queries, keys and values are all computed from the same sequence. "
    "Attention dates from 2014 (Bahdanau et al.).",
)
def _sa_concepts(budget: Budget) -> Outcome:
    return with_readings(
        editorial(
            "vague",
            quote="注意力机制是一种新型的神经网络架构",
            judgement="an operation inside networks is called an architecture, and "
            "'new' is undated (attention: Bahdanau et al. 2014)",
        ),
        [("attention outputs convex combinations of value vectors", _convex_hull_outputs(budget))],
    )


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
    id="SA-3-1-similarity",
    section="3, step 1",
    paraphrase="First, for every position compute its relevance to the other positions, via a "
    "similarity or a distance between positions.",
    formal="the scores s_ij = (x_i W_q)·(x_j W_k) are a similarity: s_ij = s_ji",
    expected="conditional",
    corrected="The scores are scaled dot products of a learned query and key projection: "
    "asymmetric unless W_q W_kᵀ is symmetric (e.g. W_q = W_k), not a distance, and "
    "each position is also scored against itself.",
)
def _sa_similarity(budget: Budget) -> Outcome:
    def symmetric(ex: Any) -> bool:
        s = _scores(ex)  # exact: Python integers
        return all(s[i][j] == s[j][i] for i in range(len(s)) for j in range(len(s)))

    def show(ex: Any) -> str:
        x, wq, wk = ex
        return (
            f"x = {_show_m(x)}, W_q = {_show_m(wq)}, W_k = {_show_m(wk)}: scores = "
            f"{_show_m(_scores(ex))}"
        )

    return forall(
        budget,
        strategy=_score_cases(tied=False),
        holds=symmetric,
        exact=symmetric,
        show=show,
        condition=Condition(
            "W_q = W_k (more generally W_q W_kᵀ symmetric)", _score_cases(tied=True)
        ),
        reason_fails="query-key scores are not symmetric, hence not a similarity, "
        "unless the projections are tied",
    )


@sa_claim(
    id="SA-3-2-softmax",
    section="3, step 2",
    paraphrase="Then the attention weights of each position are computed with a softmax.",
    formal="∀ scores: a_ij = exp(s_ij) / Σ_k exp(s_ik) > 0 and Σ_j a_ij = 1",
    expected="holds",
    corrected="Holds (the Transformer also scales the scores by 1/sqrt(d_k), as the listing does).",
)
def _sa_softmax(budget: Budget) -> Outcome:
    row = st.lists(st.floats(-700, 700, allow_nan=False), min_size=1, max_size=5)

    def ok(s: Any) -> bool:
        a = lib.softmax(np.asarray(s, dtype=np.float64))
        return bool(np.all(a >= 0) and abs(float(np.sum(a)) - 1) <= 8 * 2.2e-16 * len(s))

    def exact(s: Any) -> bool:
        a = mp_softmax(s)
        return all(v > 0 for v in a) and mp_close(mpmath.fsum(a), 1)

    def proof() -> bool:
        import sympy as sp

        s = sp.symbols("s1:4", real=True)
        total = sum(sp.exp(v) for v in s)
        return bool(sp.simplify(sum(sp.exp(v) / total for v in s) - 1) == 0)

    return forall(
        budget,
        strategy=row,
        holds=ok,
        exact=exact,
        show=repr,
        proof=Proof("SymPy: Σ_j exp(s_j)/Σ_k exp(s_k) ≡ 1; each term > 0", proof),
        reason_holds="softmax rows are positive and sum to 1",
    )


@sa_claim(
    id="SA-3-3-weighted-sum",
    section="3, step 3",
    paraphrase="Finally each position takes a weighted sum of the positions with the higher "
    "attention weights.",
    formal="out_i = Σ_{j ∈ S_i} a_ij v_j, summed over the position itself and the positions "
    "with the higher weights, S_i = {i} ∪ {j : a_ij >= 1/L} (at least the average)",
    expected="false",
    corrected="The sum runs over ALL positions: every weight is strictly positive, so no "
    "position is excluded; 'higher' weights only contribute more.",
)
def _sa_weighted_sum(budget: Budget) -> Outcome:
    return with_readings(
        _sum_over_high_weights(budget),
        [
            (
                "out_i = Σ_j a_ij v_j over all positions (a convex combination)",
                _convex_hull_outputs(budget),
            )
        ],
    )


def _mp_weights_values(x: Matrix, wq: Matrix, wk: Matrix, wv: Matrix) -> tuple[Matrix, Matrix]:
    """Attention weights and values at 50 digits."""
    with mpmath.workdps(DPS):
        xm = [[mp(v) for v in row] for row in x]
        q = _matmul(xm, [[mp(v) for v in row] for row in wq])
        k = _matmul(xm, [[mp(v) for v in row] for row in wk])
        v = _matmul(xm, [[mp(t) for t in row] for row in wv])
        scale = 1 / mpmath.sqrt(len(q[0]))
        a = [mp_softmax([s_ * scale for s_ in row]) for row in _matmul(q, _transpose(k))]
        return a, v


def _sum_over_high_weights(budget: Budget) -> Outcome:
    """∀ x, W: the output equals the weighted sum over {i} ∪ {j : a_ij >= 1/L} only."""

    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        return st.tuples(_mat(L, d), _mat(d, d), _mat(d, d), _mat(d, d))

    def gap(ex: Any, *, precise: bool) -> Any:
        if precise:
            a, v = _mp_weights_values(*ex)
        else:
            x, wq, wk, wv = (np.asarray(m, dtype=np.float64) for m in ex)
            q, k, vv = x @ wq, x @ wk, x @ wv
            af = lib.softmax(q @ k.T / np.sqrt(q.shape[1]), axis=-1)
            a, v = af.tolist(), vv.tolist()
        L = len(a)
        worst = 0 * a[0][0]
        for i in range(L):
            keep = [j for j in range(L) if j == i or a[i][j] * L >= 1]
            for c in range(len(v[0])):
                full = sum((a[i][j] * v[j][c] for j in range(L)), start=0 * a[0][0])
                part = sum((a[i][j] * v[j][c] for j in keep), start=0 * a[0][0])
                worst = max(worst, abs(full - part))
        return worst

    def show(ex: Any) -> str:
        x, wq, wk, wv = ex
        with mpmath.workdps(DPS):
            return (
                f"x = {_show_m(x)}, W_q = {_show_m(wq)}, W_k = {_show_m(wk)}, W_v = "
                f"{_show_m(wv)}: |Σ_all - Σ_high| = {mpmath.nstr(gap(ex, precise=True), 6)}"
            )

    strategy = st.tuples(st.integers(2, 3), st.integers(1, 2)).flatmap(build)
    return forall(
        budget,
        strategy=strategy,
        holds=lambda ex: gap(ex, precise=False) <= 1e-12,
        exact=lambda ex: gap(ex, precise=True) < mpmath.mpf(10) ** -40,
        show=show,
        reason_holds="the low-weight positions never contribute",
        reason_fails="positions with below-average weight contribute too: the sum "
        "runs over all positions",
    )


def _midpoint_cases() -> Any:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        return st.tuples(_mat(L, d), _mat(L, d))

    return st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build)


@shared  # used by several claims: search once per budget and perturbation
def _not_affine(budget: Budget) -> Outcome:
    """A witness x1, x2 with f((x1+x2)/2) != (f(x1)+f(x2))/2, identity projections."""

    def f(x: Any) -> np.ndarray:
        return f_self_attention(x, *[_identity(len(x[0]))] * 3)

    def violated(ex: Any) -> bool:
        x1, x2 = ex
        mid = (np.asarray(x1, dtype=np.float64) + np.asarray(x2, dtype=np.float64)) / 2
        gap = np.abs(f(mid) - (f(x1) + f(x2)) / 2).max()
        return bool(gap > 1e-9)

    def mp_f(x: Any) -> Matrix:  # the same map at 50 digits
        return mp_self_attention(x, *[_identity(len(x[0]))] * 3)

    def gap_mp(ex: Any) -> Any:
        x1, x2 = ex
        mid = [
            [Fraction(a + b, 2) for a, b in zip(r1, r2, strict=True)]
            for r1, r2 in zip(x1, x2, strict=True)
        ]
        with mpmath.workdps(DPS):
            avg = [
                [(a + b) / 2 for a, b in zip(r1, r2, strict=True)]
                for r1, r2 in zip(mp_f(x1), mp_f(x2), strict=True)
            ]
            return _mp_max_abs_diff(mp_f(mid), avg)

    def show(ex: Any) -> str:
        x1, x2 = ex
        return (
            f"W_q = W_k = W_v = I, x1 = {_show_m(x1)}, x2 = {_show_m(x2)}: "
            f"|f((x1+x2)/2) - (f(x1)+f(x2))/2| = {mpmath.nstr(gap_mp(ex), 6)}"
        )

    return exists(
        budget,
        strategy=_midpoint_cases(),
        witness=violated,
        exact=lambda ex: gap_mp(ex) > mpmath.mpf(10) ** -30,
        show=show,
        reason_found="self-attention is not affine in its input (needs L >= 2)",
        reason_none="no violation of affinity found",
    )


@sa_claim(
    id="SA-3-3-linear-layer",
    section="3, step 3",
    paraphrase="This weighted sum can be implemented by a linear layer.",
    formal="∃ fixed W, b such that attention(x) = x W + b position-wise, i.e. the map is affine",
    expected="false",
    corrected="The weights a_ij depend on the input through the softmax of query-key scores, "
    "so the layer is not affine in x (a linear layer is); it is a batched product "
    "A(x)·V(x). The listing's separate output projection is the only linear layer "
    "after it.",
)
def _sa_linear_layer(budget: Budget) -> Outcome:
    return refuted_by(
        _not_affine(budget), "not affine in the input, so no linear layer computes it"
    )


def _linear_in_values(budget: Budget) -> Outcome:
    def build(lk: tuple[int, int]) -> Any:
        L, d = lk
        weights = st.lists(distributions(L, L, full_support=True), min_size=L, max_size=L)
        return st.tuples(weights, _mat(L, d), _mat(L, d))

    def linear(ex: Any) -> bool:  # exact: Fractions times integers
        a, v1, v2 = ex
        vs = [[p + q for p, q in zip(r1, r2, strict=True)] for r1, r2 in zip(v1, v2, strict=True)]
        lhs = _matmul(a, vs)
        rhs = [
            [p + q for p, q in zip(r1, r2, strict=True)]
            for r1, r2 in zip(_matmul(a, v1), _matmul(a, v2), strict=True)
        ]
        return lhs == rhs

    return forall(
        budget,
        strategy=st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(build),
        holds=linear,
        exact=linear,
        show=repr,
        reason_holds="A(V1 + V2) = A V1 + A V2 exactly for fixed weights A",
    )


@sa_claim(
    id="SA-implied-linearity",
    section="3, step 3 (implied)",
    paraphrase="Attention is a linear operation (implied by 'implemented by a linear layer').",
    formal="x ↦ softmax(x W_q (x W_k)ᵀ/sqrt(d)) x W_v is linear; in particular homogeneous: "
    "f(2x) = 2 f(x)",
    expected="false",
    corrected="Linear in the values V for fixed attention weights; as a function of its input "
    "(or of Q, K) it is nonlinear — the softmax of a quadratic form.",
)
def _sa_linearity(budget: Budget) -> Outcome:
    return with_readings(
        _homogeneous(budget),
        [("linear in the values V for fixed weights A", _linear_in_values(budget))],
    )


def _homogeneous(budget: Budget) -> Outcome:
    """∀ x (identity projections): f(2x) = 2 f(x)."""

    def f(x: Any) -> np.ndarray:
        return f_self_attention(x, *[_identity(len(x[0]))] * 3)

    def gap_mp(x: Any) -> Any:
        eye = _identity(len(x[0]))
        with mpmath.workdps(DPS):
            two = mp_self_attention([[2 * v for v in row] for row in x], eye, eye, eye)
            one = mp_self_attention(x, eye, eye, eye)
            return _mp_max_abs_diff(two, [[2 * v for v in row] for row in one])

    def holds(x: Any) -> bool:
        xa = np.asarray(x, dtype=np.float64)
        return bool(np.abs(f(2 * xa) - 2 * f(xa)).max() <= 1e-9)

    def show(x: Any) -> str:
        return (
            f"W_q = W_k = W_v = I, x = {_show_m(x)}: |f(2x) - 2 f(x)| = {mpmath.nstr(gap_mp(x), 6)}"
        )

    strategy = st.tuples(st.integers(1, 3), st.integers(1, 2)).flatmap(lambda ld: _mat(*ld))
    return forall(
        budget,
        strategy=strategy,
        holds=holds,
        exact=lambda x: gap_mp(x) < mpmath.mpf(10) ** -40,
        show=show,
        reason_holds="homogeneous",
        reason_fails="f(2x) != 2 f(x): not linear in x",
    )


# --------------------------------------------------------------------------- order (implied)


def _perm_cases() -> Any:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        perms = st.sampled_from(sorted(permutations(range(L))))
        return st.tuples(_mat(L, d), _mat(d, d, -2, 2), _mat(d, d, -2, 2), _mat(d, d, -2, 2), perms)

    return st.tuples(st.integers(2, 3), st.integers(1, 2)).flatmap(build)


def _mp_permutation_gap(ex: Any, pe: Any = None) -> Any:
    """max |f(P x + e) - P f(x + e)| at 50 digits; e: positional encodings (none by default)."""
    x, wq, wk, wv, perm = ex

    def encoded(order: Any) -> Matrix:
        if pe is None:
            return [x[i] for i in order]
        return [
            [Fraction(v) + Fraction(float(p)) for v, p in zip(x[i], pr, strict=True)]
            for i, pr in zip(order, pe, strict=True)
        ]

    out = mp_self_attention(encoded(range(len(x))), wq, wk, wv)
    out_p = mp_self_attention(encoded(perm), wq, wk, wv)
    return _mp_max_abs_diff(out_p, [out[i] for i in perm])


@shared  # used by several claims: search once per budget and perturbation
def _equivariant(budget: Budget) -> Outcome:
    def holds(ex: Any) -> bool:
        x, wq, wk, wv, perm = ex
        px = [x[i] for i in perm]
        out = f_self_attention(x, wq, wk, wv)
        out_p = f_self_attention(px, wq, wk, wv)
        return bool(np.abs(out_p - out[list(perm)]).max() <= 1e-12 * (1 + np.abs(out).max()))

    def exact(ex: Any) -> bool:
        return bool(_mp_permutation_gap(ex) < mpmath.mpf(10) ** -40)

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

    return forall(
        budget,
        strategy=_perm_cases(),
        holds=holds,
        exact=exact,
        show=lambda ex: f"x = {_show_m(ex[0])}, permutation {ex[4]}",
        proof=Proof(
            "SymPy: f(swap(x)) = swap(f(x)) for L = 2, d = 1, symbolic "
            "weights; in general softmax(P S Pᵀ) P V = P softmax(S) V",
            proof,
        ),
        reason_holds="f(P x) = P f(x) for every permutation P",
    )


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
        pe = _sinusoidal(len(ex[0]), len(ex[0][0]))
        return bool(_mp_permutation_gap(ex, pe) > mpmath.mpf(10) ** -6)

    return exists(
        budget,
        strategy=_perm_cases(),
        witness=differs,
        exact=exact,
        show=lambda ex: (
            f"x = {_show_m(ex[0])}, W_q = {_show_m(ex[1])}, "
            f"W_k = {_show_m(ex[2])}, W_v = {_show_m(ex[3])}, "
            f"permutation {ex[4]} + sinusoidal positions"
        ),
        reason_found="with positional encodings, permuting the input changes the "
        "output beyond permuting it",
        reason_none="no order effect found",
    )


@sa_claim(
    id="SA-implied-order-blind",
    section="1-3 and listing (implied)",
    paraphrase="Self-attention without positional information (as described, and as in the "
    "listing) cannot see the order of its input.",
    formal="∀ x, W, permutation P: f(P x) = P f(x) (permutation equivariance)",
    expected="holds",
    corrected="Holds: without positional encodings (or a causal mask) the layer is permutation "
    "equivariant, so 'dog bites man' and 'man bites dog' get the same per-token "
    "outputs, merely reordered.",
)
def _sa_order_blind(budget: Budget) -> Outcome:
    return _equivariant(budget)


@sa_claim(
    id="SA-3-structure",
    section="3 (closing sentence), 6",
    paraphrase="In this way self-attention helps the model understand the relations and "
    "structure of the input sequence.",
    formal="the described layer's output depends on the order of the sequence",
    expected="conditional",
    corrected="Only with positional information (positional encodings, relative positions or a "
    "causal mask), which the article and its listing never mention.",
)
def _sa_structure(budget: Budget) -> Outcome:
    blind = _equivariant(budget)
    x, rev = [[1], [2], [3]], [[3], [2], [1]]
    with mpmath.workdps(DPS):
        out = [mpmath.nstr(r[0], 6) for r in mp_self_attention(x, [[1]], [[1]], [[1]])]
        out_rev = [mpmath.nstr(r[0], 6) for r in mp_self_attention(rev, [[1]], [[1]], [[1]])]
    demo = (
        f"no positions, W = 1: f(1, 2, 3) = ({', '.join(out)}), f(3, 2, 1) = "
        f"({', '.join(out_rev)}): the same outputs, reordered"
    )
    literal = established(
        blind.verdict != "holds",
        "without positional information the layer is permutation "
        "equivariant: it cannot see the order",
        evidence=blind.evidence,
        counterexample=demo,
    )
    return needs_condition(
        literal,
        _order_aware_with_positions(budget),
        condition="positional encodings are added to x",
        reason="order-aware only with positional information",
    )


# --------------------------------------------------------------------------- section 4

# --------------------------------------------------------------------------- section 5 listing

#: The module-level imports of the listing, as (module, bound name): the ledger's twin
#: resolves the names its forward pass uses against these (checked against the printed
#: listing by the differential test of ``mlmath audit --articles``).
SA_LISTING_IMPORTS: tuple[tuple[str, str], ...] = (("torch", "torch"), ("torch.nn", "nn"))

#: The axis the listing's softmax normalises (its ``dim`` argument), as the twin uses it.
LISTING_SOFTMAX_AXIS = 2


def listing_namespace(imports: tuple[tuple[str, str], ...] = SA_LISTING_IMPORTS) -> set[str]:
    """The module-level names the listing's imports bind."""
    return {name for _, name in imports}


def listing_twin(
    x: np.ndarray, w: dict[str, np.ndarray], *, names: set[str] | None = None, softmax_axis: int = 2
) -> np.ndarray:
    """The listing's forward pass re-implemented, defects included.

    The scale 1/sqrt(d) is taken through the name ``np``, as the listing does; like
    the printed code, the twin raises ``NameError`` when its imports do not bind it.
    """
    bound = listing_namespace() if names is None else names
    if "np" not in bound:
        raise NameError("name 'np' is not defined")
    axis = LISTING_SOFTMAX_AXIS if softmax_axis is None else softmax_axis
    return _listing_forward(x, w, axis)


@sa_claim(
    id="SA-5-listing-runs",
    section="5 (listing)",
    paraphrase="The PyTorch listing defines a SelfAttention module and prints the output shape "
    "for a (3, 5, 10) input.",
    formal="the listing runs as written and prints (3, 5, 10)",
    expected="code-defect",
    corrected="Import NumPy (or use math.sqrt / torch.sqrt) for the 1/sqrt(d) scale; then the "
    "forward pass returns a (3, 5, 10) tensor.",
)
def _sa_listing_runs(budget: Budget) -> Outcome:
    d = 10
    x = np.random.default_rng(23).standard_normal((3, 5, d))
    try:
        shape = listing_twin(x, _listing_weights(d)).shape
        observed = f"runs, output shape {shape}"
        bad = shape != (3, 5, d)
    except NameError as exc:
        observed, bad = f"NameError: {exc} (first forward call)", True
    return code_listing(
        [
            Case(
                "x of shape (3, 5, 10), any values",
                observed,
                "output of shape (3, 5, 10)",
                defective=bad,
            )
        ],
        summary="the forward pass uses the name np, which the listing never imports",
    )


@sa_claim(
    id="SA-5-compared",
    section="5 (explanation of the listing)",
    paraphrase="The explanation says the module computes the similarity of the queries, keys "
    "and values, and then the attention weights with a softmax.",
    formal="the values V take part in the similarity: changing W_v (hence V) changes the "
    "attention weights",
    expected="false",
    corrected="Only queries are compared with keys (scores Q Kᵀ / sqrt(d)); the values are "
    "what the weights average, and never enter the similarity.",
)
def _sa_compared(budget: Budget) -> Outcome:
    def build(ld: tuple[int, int]) -> Any:
        L, d = ld
        return st.tuples(_mat(L, d), _mat(d, d), _mat(d, d), _mat(d, d), _mat(d, d))

    def weights_change(ex: Any) -> bool:
        x, wq, wk, wv1, wv2 = ex
        a1, _ = _mp_weights_values(x, wq, wk, wv1)
        a2, _ = _mp_weights_values(x, wq, wk, wv2)
        return bool(_mp_max_abs_diff(a1, a2) > 0)

    def show(ex: Any) -> str:
        x, wq, wk, wv1, wv2 = ex
        return (
            f"x = {_show_m(x)}, W_q = {_show_m(wq)}, W_k = {_show_m(wk)}, W_v = "
            f"{_show_m(wv1)} or {_show_m(wv2)}: the same weights"
        )

    found = exists(
        budget,
        strategy=st.tuples(st.integers(2, 3), st.integers(1, 2)).flatmap(build),
        witness=weights_change,
        exact=weights_change,
        show=show,
        reason_found="the weights depend on V",
        reason_none="the attention weights never depend on V: only Q is compared with K",
    )
    if found.verdict == "holds":
        return found
    x, eye = [[1, 0], [0, 1]], _identity(2)
    a_id, _ = _mp_weights_values(x, eye, eye, eye)
    a_zero, _ = _mp_weights_values(x, eye, eye, [[0, 0], [0, 0]])
    with mpmath.workdps(DPS):
        gap = _mp_max_abs_diff(a_id, a_zero)
        shown = "; ".join(" ".join(mpmath.nstr(v, 6) for v in row) for row in a_id)
    demo = (f"x = [1 0; 0 1], W_q = W_k = I: weights [{shown}] with W_v = I and with W_v = 0 "
            f"(max difference {'0' if gap == 0 else mpmath.nstr(gap, 3)})")
    return Outcome("false", found.reason, counterexample=demo,
                   evidence=(*found.evidence, f"computed: {demo}"), examples=found.examples)


def _listing_forward(x: np.ndarray, w: dict[str, np.ndarray], softmax_axis: int) -> np.ndarray:
    """The listing's forward pass re-implemented (NumPy, with its hard-coded softmax axis)."""

    def linear(t: np.ndarray, name: str) -> np.ndarray:
        return t @ w[name + "_w"].T + w[name + "_b"]

    q, k, v = linear(x, "q"), linear(x, "k"), linear(x, "v")
    scores = lib.softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(x.shape[-1]), axis=softmax_axis)
    return linear(scores @ v, "out")


def _cmp(x: float, bound: float) -> str:
    """``"< 1e-12"`` for rounding noise, ``"= 0.123"`` otherwise (reproducible text)."""
    text = bound_text(x, bound)
    return text if text.startswith("<") else f"= {text}"


def _listing_weights(d: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20)
    return {
        f"{n}_{p}": rng.standard_normal((d, d) if p == "w" else d) / np.sqrt(d)
        for n in ("q", "k", "v", "out")
        for p in ("w", "b")
    }


@sa_claim(
    id="SA-5-listing-description",
    section="5 (listing and its explanation)",
    paraphrase="The listing computes Q, K, V with three linear layers, softmax-normalised "
    "scaled scores, their weighted sum of V, and a final output linear layer.",
    formal="listing(x) = W_o · attention(x W_qᵀ + b_q, x W_kᵀ + b_k, x W_vᵀ + b_v) + b_o for 3-D x",
    expected="holds",
    corrected="Holds for 3-D input (batch, length, features), once np is imported.",
)
def _sa_listing_description(budget: Budget) -> Outcome:
    d = 10
    w = _listing_weights(d)
    x = np.random.default_rng(21).standard_normal((3, 5, d))
    got = _listing_forward(x, w, softmax_axis=LISTING_SOFTMAX_AXIS)
    q, k, v = (x @ w[n + "_w"].T + w[n + "_b"] for n in ("q", "k", "v"))
    ref = lib.attention(q, k, v) @ w["out_w"].T + w["out_b"]
    err = float(np.abs(got - ref).max())
    return code_listing(
        [
            Case(
                "x ~ N(0, 1) of shape (3, 5, 10), seeded weights",
                f"shape {got.shape}, max |listing - reference| {_cmp(err, 1e-12)}",
                "shape (3, 5, 10), agreement to rounding",
                defective=got.shape != (3, 5, 10) or err > 1e-12,
            )
        ],
        summary="matches scaled dot-product attention plus an output projection",
    )


@sa_claim(
    id="SA-5-listing-softmax-axis",
    section="5 (listing)",
    paraphrase="The module normalises the attention scores with a softmax over dimension 2.",
    formal="softmax over the key axis for every input the linear layers accept",
    expected="code-defect",
    corrected="Normalise over the last axis (dim=-1): the key axis whatever the number of "
    "leading dimensions.",
)
def _sa_listing_axis(budget: Budget) -> Outcome:
    d = 4
    w = _listing_weights(d)
    rng = np.random.default_rng(22)
    x4 = rng.standard_normal((2, 2, 3, d))  # (batch, heads/groups, length, features)
    q, k = (x4 @ w[n + "_w"].T + w[n + "_b"] for n in ("q", "k"))
    weights = lib.softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(d), axis=LISTING_SOFTMAX_AXIS)
    key_sums = weights.sum(axis=-1)
    cases = [
        Case(
            "x of shape (2, 2, 3, 4)",
            f"weights normalised over queries: key-axis sums range "
            f"{key_sums.min():.3f}..{key_sums.max():.3f}",
            "every row of weights sums to 1 over the keys",
            defective=not np.allclose(key_sums, 1.0),
        )
    ]
    try:
        _listing_forward(rng.standard_normal((3, d)), w, softmax_axis=LISTING_SOFTMAX_AXIS)
        observed, bad = "runs", False
    except (ValueError, IndexError) as exc:  # mlmath: ValueError naming `axis`
        observed, bad = (
            (
                f"an error: there is no dimension 2 ({type(exc).__name__} in the "
                "re-implementation, IndexError in PyTorch)"
            ),
            True,
        )
    cases.append(
        Case(
            "an unbatched sequence x of shape (3, 4)",
            observed,
            "attention output of shape (3, 4)",
            defective=bad,
        )
    )
    return code_listing(
        cases,
        summary="dim=2 is the key axis only for 3-D input: wrong axis "
        "for 4-D input, an error for 2-D input",
    )


# --------------------------------------------------------------------------- section 6


# --------------------------------------------------------------------------- editorial entries

#: Entries no computation can decide (history, references, vague wording): judged
#: editorially, with the quoted phrase and what the references say.
SA_EDITORIAL: tuple[Editorial, ...] = (
    Editorial(
        id="SA-1-title",
        section="1 (background)",
        paraphrase="Self-attention first appeared in the 2017 paper 'Transformer for Language "
        "Understanding'.",
        verdict="factual-error",
        quote="《Transformer for Language Understanding》",
        judgement="the 2017 Transformer paper is Vaswani et al., 'Attention Is All You Need', "
        "NeurIPS 2017 (arXiv:1706.03762); the quoted title resembles a Google "
        "Research blog post of August 2017, which is not a paper",
        corrected="The Transformer paper is Vaswani et al., 'Attention Is All You Need', "
        "NeurIPS 2017.",
    ),
    Editorial(
        id="SA-1-first-appearance",
        section="1 (background)",
        paraphrase="Self-attention first appeared in 2017, in the Transformer paper.",
        verdict="factual-error",
        quote="首次出现在2017年",
        judgement="self-attention (intra-attention) is older: Cheng, Dong & Lapata, EMNLP 2016 "
        "(arXiv:1601.06733); Parikh et al., EMNLP 2016 (arXiv:1606.01933); "
        "attention itself: Bahdanau, Cho & Bengio 2014",
        corrected="Self-attention predates the Transformer (2016); the Transformer (2017) was "
        "the first model built on attention alone.",
    ),
    Editorial(
        id="SA-1-language-model",
        section="1 (background)",
        paraphrase="That paper proposed a language model based on self-attention, called the "
        "Transformer.",
        verdict="factual-error",
        quote="提出了一种基于自注意力机制的语言模型",
        judgement="Vaswani et al. 2017 proposed an encoder-decoder for machine translation; "
        "Transformer language models came later (GPT, Radford et al. 2018)",
        corrected="The Transformer was proposed as a sequence-transduction model for machine "
        "translation.",
    ),
    Editorial(
        id="SA-1-idea",
        section="1 and intro",
        paraphrase="Self-attention is an emerging technique whose core idea is to let the "
        "model attend to different positions of the input, to understand its "
        "structure and relations.",
        verdict="vague",
        quote="关注输入序列中的不同位置",
        judgement="informal motivation; the checkable parts are SA-3-* and SA-implied-*",
        corrected="Each position's output is a data-dependent weighted average of "
        "(projections of) all positions.",
    ),
    Editorial(
        id="SA-2-transformer",
        section="2, item 3",
        paraphrase="The Transformer is an architecture based on self-attention, usable for "
        "language models and image recognition among others.",
        verdict="holds",
        quote="可以用于语言模型、图像识别等多个领域",
        judgement="agrees with the references: Vaswani et al. 2017; GPT (Radford et al. "
        "2018); ViT (Dosovitskiy et al. 2021)",
        corrected="Holds (plus feed-forward layers and positional encodings).",
    ),
    Editorial(
        id="SA-4-applications",
        section="4, items 1-3",
        paraphrase="Self-attention is widely applied in NLP (translation, summarisation, "
        "sentiment), computer vision (classification, detection, generation) and "
        "image recognition (classification, segmentation, detection).",
        verdict="holds",
        quote="机器翻译、文本摘要、情感分析",
        judgement="published uses exist: translation (Vaswani et al. 2017), image "
        "classification (ViT), detection (DETR, Carion et al. 2020), generation "
        "(SAGAN, Zhang et al. 2019); item 3 repeats item 2",
        corrected="Holds; image recognition is part of computer vision.",
    ),
    Editorial(
        id="SA-6-summary",
        section="6",
        paraphrase="Summary: self-attention is a new architecture that helps models "
        "understand structure and relations, widely used in NLP, CV and image "
        "recognition.",
        verdict="vague",
        quote="是一种新型的神经网络架构",
        judgement="restates earlier claims, which are checked where first made",
        corrected="See SA-2-concepts, SA-3-structure and SA-4-applications.",
    ),
)

register_editorial("SA", SA_EDITORIAL)
