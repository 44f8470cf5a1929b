"""Claims of the cross-entropy article (key ``CE``), section by section.

Variables: ``p``/``q`` (or P/Q) are distributions on a finite alphabet, ``y`` a
target (one-hot or soft), ``ŷ`` predicted probabilities, ``z`` logits.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial
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
    established,
    exists,
    forall,
    needs_condition,
    refuted_by,
    shared,
    with_readings,
)
from mlmath.audit._num import (
    DPS,
    close,
    distributions,
    fmt_vec,
    mp,
    mp_close,
    mp_cross_entropy,
    mp_entropy,
    mp_kl,
    mp_logsumexp,
    point_masses,
)
from mlmath.audit.claims._common import (
    FORMS,
    Editorial,
    free_probs,
    loss_f,
    loss_mp,
    one_hot,
    register_editorial,
    softplus_mp,
)

__all__ = ["LISTING_INPUTS", "listing_twin"]

ce_claim = partial(claim, article="CE")


def _pairs(*, q_full: bool = False, max_k: int = 4) -> Any:
    """Strategy: (p, q), two distributions on the same alphabet."""
    return st.integers(2, max_k).flatmap(
        lambda k: st.tuples(distributions(k, k), distributions(k, k, full_support=q_full))
    )


def _supported_pairs(max_k: int = 4) -> Any:
    """Strategy: (p, q) with supp p ⊆ supp q (q may vanish only where p does)."""

    def with_q(pw: list[int]) -> Any:
        qw = st.tuples(*[st.integers(1 if w > 0 else 0, 9) for w in pw])
        return st.tuples(st.just(pw), qw).map(lambda t: (_from_weights(t[0]), _from_weights(t[1])))

    weights = st.lists(st.integers(0, 9), min_size=2, max_size=max_k).filter(lambda w: sum(w) > 0)
    return weights.flatmap(with_q)


def _from_weights(w: Any) -> tuple[Fraction, ...]:
    total = sum(w)
    return tuple(Fraction(v, total) for v in w)


def _pair(pq: Any, a: str = "P", b: str = "Q") -> str:
    """Renders a pair of distributions, e.g. ``P = (1/2, 1/2), Q = (1, 0)``."""
    return f"{a} = {fmt_vec(pq[0])}, {b} = {fmt_vec(pq[1])}"


def _midpoint(a: Any, b: Any) -> list[Any]:
    """(a + b) / 2 entrywise (exact for Fractions; midpoint convexity checks)."""
    return [(x + y) / 2 for x, y in zip(a, b, strict=True)]


def _n(x: Any) -> str:
    with mpmath.workdps(DPS):
        return mpmath.nstr(x, 6)


# --------------------------------------------------------------------------- section 1


def _self_ce_is_zero(budget: Budget, *, rescue: bool) -> Outcome:
    def show(p: Any) -> str:
        return f"P = Q = {fmt_vec(p)}: H(P, P) = {_n(mp_cross_entropy(p, p))} != 0"

    def exact(p: Any) -> bool:
        return mp_close(mp_cross_entropy(p, p), 0)

    return forall(
        budget,
        strategy=distributions(),
        holds=lambda p: close(lib.cross_entropy(p, p), 0.0),
        exact=exact,
        show=show,
        condition=Condition("P is a point mass (e.g. a one-hot label)", point_masses(2))
        if rescue
        else None,
        reason_fails="H(P, P) = H(P) > 0 unless P is a point mass; KL(P||Q) is what vanishes "
        "at P = Q" + ("; for one-hot targets the two coincide" if rescue else ""),
    )


@ce_claim(
    id="CE-1.1-discrepancy",
    section="1.1 (and 1.2, 2.2 intro)",
    paraphrase="Cross-entropy measures the difference between a predicted distribution and "
    "the true one.",
    formal="D(p, q) = H(p, q) is a discrepancy: D(p, p) = 0 for every distribution p",
    expected="conditional",
    corrected="H(p, q) = H(p) + KL(p||q): as a function of q it is minimised exactly at q = p, "
    "but its value there is H(p), not 0; it is a discrepancy (zero at agreement) "
    "only when p is a point mass, as with one-hot labels.",
)
def _ce_discrepancy(budget: Budget) -> Outcome:
    return _self_ce_is_zero(budget, rescue=True)


@ce_claim(
    id="CE-1.1-real-valued",
    section="1.1",
    paraphrase="A loss function maps the model's predictions to a real number; cross-entropy "
    "is such a loss.",
    formal="∀ p, q on the same alphabet: H(p, q) = -Σ p log q ∈ ℝ",
    expected="conditional",
    corrected="H(p, q) is finite iff q(x) > 0 wherever p(x) > 0 (supp p ⊆ supp q); otherwise "
    "it is +∞, so the loss takes values in [0, +∞].",
)
def _ce_real(budget: Budget) -> Outcome:
    def show(pq: Any) -> str:
        return f"{_pair(pq, 'p', 'q')}: H(p, q) = +inf"

    def exact(pq: Any) -> bool:
        return bool(mpmath.isfinite(mp_cross_entropy(*pq)))

    with np.errstate(divide="ignore"):
        return forall(
            budget,
            strategy=_pairs(),
            holds=lambda pq: math.isfinite(lib.cross_entropy(*pq)),
            exact=exact,
            show=show,
            condition=Condition("supp p ⊆ supp q (q > 0 wherever p > 0)", _supported_pairs()),
            reason_fails="+inf when q puts zero mass where p does not",
        )


# --------------------------------------------------------------------------- section 2.1


def _entropy_definition(budget: Budget) -> Outcome:
    """The definition with 0 log 0 = 0: finite, >= 0, agrees with the library."""

    def ok(p: Any) -> bool:
        h = lib.entropy(p)
        direct = -math.fsum(float(x) * math.log(float(x)) for x in p if x)
        return math.isfinite(h) and h >= 0 and close(h, direct)

    def exact(p: Any) -> bool:
        h = mp_entropy(p)
        return bool(mpmath.isfinite(h) and h >= 0)

    return forall(
        budget,
        strategy=distributions(1, 6),
        holds=ok,
        exact=exact,
        show=lambda p: f"p = {fmt_vec(p)}",
        reason_holds="well defined, finite and >= 0 on every distribution",
    )


def _entropy_literal_ieee(budget: Budget) -> Outcome:
    """The formula evaluated literally: 0 * log 0 is 0 * (-inf), undefined."""

    def literal(p: Any) -> float:
        a = np.array([float(x) for x in p])
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-np.sum(a * np.log(a)))

    def exact(p: Any) -> bool:
        return bool(mpmath.isfinite(-mpmath.fsum(mp(x) * mpmath.log(mp(x)) for x in p)))

    return forall(
        budget,
        strategy=distributions(1, 4),
        holds=lambda p: math.isfinite(literal(p)),
        exact=exact,
        show=lambda p: f"P = {fmt_vec(p)}: 0 * log 0 = 0 * (-inf) = nan",
        condition=Condition(
            "P(x) > 0 for every x summed over", distributions(1, 4, full_support=True)
        ),
        reason_fails="needs the convention 0 log 0 = 0 where P(x) = 0",
    )


@ce_claim(
    id="CE-2.1-entropy-definition",
    section="2.1, definition",
    paraphrase="Entropy is H(X) = -Σ_{x∈X} P(x) log P(x), where X is a finite set of random "
    "variables and P(x) the probability that X takes the value x.",
    formal="the formula as written, evaluated on every distribution P: -Σ_x P(x) log P(x) is a "
    "finite number (no convention for P(x) = 0 is stated)",
    expected="conditional",
    corrected="For a random variable X with finite alphabet 𝒳: H(X) = -Σ_{x∈𝒳} P(x) log P(x), "
    "with the convention 0 log 0 = 0; the base of the log fixes the unit (nats, bits).",
)
def _ce_entropy_def(budget: Budget) -> Outcome:
    return with_readings(
        _entropy_literal_ieee(budget),
        [
            (
                "X a random variable on a finite alphabet, sum over the alphabet, 0 log 0 = 0",
                _entropy_definition(budget),
            )
        ],
    )


def _sym_entropy(ps: Any) -> Any:
    import sympy as sp

    return -sum(p * sp.log(p) for p in ps)


def _log_identity(expr: Any) -> bool:
    """SymPy: ``expr`` ≡ 0 once its logarithms are expanded (symbols declared positive)."""
    import sympy as sp

    return bool(sp.simplify(sp.expand_log(expr, force=True)) == 0)


def _proof_uniform_bound() -> bool:
    import sympy as sp

    a, b = sp.symbols("a b", positive=True)
    p = [a, b, 1 - a - b]
    kl_uniform = sum(pi * sp.log(pi * 3) for pi in p)
    return _log_identity(sp.log(3) - _sym_entropy(p) - kl_uniform)


def _proof_independent_joint() -> bool:
    import sympy as sp

    a, b = sp.symbols("a b", positive=True)
    p, q = [a, 1 - a], [b, 1 - b]
    joint = [pi * qj for pi in p for qj in q]
    return _log_identity(_sym_entropy(joint) - _sym_entropy(p) - _sym_entropy(q))


def _proof_independent_conditional() -> bool:
    import sympy as sp

    a, b = sp.symbols("a b", positive=True)
    p, q = [a, 1 - a], [b, 1 - b]
    # H(X|Y) = -Σ p(x,y) log p(x|y), with p(x|y) = p(x,y)/p(y) = p(x) q(y)/q(y)
    cond = -sum(pi * qj * sp.log(pi * qj / qj) for pi in p for qj in q)
    return _log_identity(cond - _sym_entropy(p))


@ce_claim(
    id="CE-2.1-P1",
    section="2.1, property 1",
    paraphrase="If X is deterministic (one value has probability 1), H(X) = 0.",
    formal="∀ point masses δ: H(δ) = 0 (with 0 log 0 = 0)",
    expected="holds",
    corrected="Holds (and conversely H(X) = 0 only for a point mass).",
)
def _ce_entropy_p1(budget: Budget) -> Outcome:
    def proof() -> bool:
        import sympy as sp

        x = sp.Symbol("x", positive=True)
        return bool(sp.limit(x * sp.log(x), x, 0, "+") == 0 and sp.log(1) == 0)

    def exact(p: Any) -> bool:
        return mp_close(mp_entropy(p), 0)

    return forall(
        budget,
        strategy=point_masses(),
        holds=lambda p: lib.entropy(p) == 0.0,
        exact=exact,
        show=fmt_vec,
        proof=Proof("SymPy: 1·log 1 = 0 and lim_{x→0+} x log x = 0", proof),
    )


@ce_claim(
    id="CE-2.1-P2",
    section="2.1, property 2",
    paraphrase="If the value of X is k, then H(X) <= log k.",
    formal="as written: if X takes the value k (X = k with probability 1, k a positive "
    "rational), then H(X) = 0 <= log k",
    expected="conditional",
    corrected="Meant: if X has k possible values, H(X) <= log k, with equality iff X is "
    "uniform (log k - H(p) = KL(p || uniform) >= 0). As written (X equal to the number k) "
    "the bound 0 <= log k needs k >= 1.",
)
def _ce_entropy_p2(budget: Budget) -> Outcome:
    return with_readings(_value_is_k(budget), [("X has k possible values: H(p) <= log k",
                                                _k_values_bound(budget))])


def _value_is_k(budget: Budget) -> Outcome:
    """X = k almost surely (a point mass at the value k): H(X) = 0 <= log k?"""
    values = st.fractions(min_value=Fraction(1, 8), max_value=8, max_denominator=8)

    def show(k: Any) -> str:
        return f"X = {k} with probability 1: H(X) = 0 > log {k} = {_n(mpmath.log(mp(k)))}"

    return forall(
        budget,
        strategy=values,
        holds=lambda k: lib.entropy([1]) <= math.log(k),
        exact=lambda k: mp_entropy([Fraction(1)]) <= mpmath.log(mp(k)),
        show=show,
        condition=Condition("k >= 1", st.fractions(min_value=1, max_value=8,
                                                   max_denominator=8)),
        reason_fails="a point mass has H = 0, which exceeds log k for a value k < 1",
    )


def _k_values_bound(budget: Budget) -> Outcome:
    def exact(p: Any) -> bool:
        return bool(mp_entropy(p) <= mpmath.log(len(p)) + mpmath.mpf(10) ** -40)

    return forall(
        budget,
        strategy=distributions(1, 6),
        holds=lambda p: lib.entropy(p) <= math.log(len(p)) * (1 + 1e-12) + 1e-15,
        exact=exact,
        show=fmt_vec,
        proof=Proof(
            "SymPy: log 3 - H(p) - KL(p||uniform) ≡ 0 on the 3-simplex; KL >= 0 "
            "(Gibbs, from log t <= t - 1)",
            _proof_uniform_bound,
        ),
    )


def _independent_pairs() -> Any:
    return st.tuples(distributions(1, 4), distributions(1, 4))


@shared  # used by several claims: search once per budget and perturbation
def _joint_entropy_additive(budget: Budget) -> Outcome:
    def joint(pq: Any) -> list[Any]:
        p, q = pq
        return [pi * qj for pi in p for qj in q]

    def exact(pq: Any) -> bool:
        return mp_close(mp_entropy(joint(pq)), mp_entropy(pq[0]) + mp_entropy(pq[1]))

    return forall(
        budget,
        strategy=_independent_pairs(),
        holds=lambda pq: close(lib.entropy(joint(pq)), lib.entropy(pq[0]) + lib.entropy(pq[1])),
        exact=exact,
        show=lambda pq: _pair(pq, "P_X", "P_Y"),
        proof=Proof(
            "SymPy: H(p⊗q) - H(p) - H(q) ≡ 0 for symbolic 2×2 independent laws",
            _proof_independent_joint,
        ),
    )


@ce_claim(
    id="CE-2.1-P3",
    section="2.1, property 3",
    paraphrase="If X and Y are independent, H(X, Y) = H(X) + H(Y).",
    formal="∀ p_X, p_Y: H(p_X ⊗ p_Y) = H(p_X) + H(p_Y)",
    expected="holds",
    corrected="Holds (in general H(X, Y) <= H(X) + H(Y), with equality iff independent).",
)
def _ce_entropy_p3(budget: Budget) -> Outcome:
    return _joint_entropy_additive(budget)


@ce_claim(
    id="CE-2.1-P4",
    section="2.1, property 4",
    paraphrase="If X and Y are (mutually) independent, H(X | Y) = H(X).",
    formal="∀ p_X, p_Y: -Σ p(x,y) log p(x|y) = H(p_X) for p = p_X ⊗ p_Y",
    expected="holds",
    corrected="Holds (in general H(X|Y) <= H(X)); note that for two variables 'independent' "
    "(property 3) and 'mutually independent' (property 4) are the same condition.",
)
def _ce_entropy_p4(budget: Budget) -> Outcome:
    def cond_entropy(pq: Any, *, precise: bool) -> Any:
        p, q = pq
        terms = []
        for pi in p:
            for qj in q:
                if pi * qj:
                    # p(x|y) from the joint table: p(x, y) / p(y)
                    ratio = (pi * qj) / qj
                    terms.append(
                        mp(pi * qj) * mpmath.log(mp(ratio))
                        if precise
                        else float(pi * qj) * math.log(float(ratio))
                    )
        return -(mpmath.fsum(terms) if precise else math.fsum(terms))

    def exact(pq: Any) -> bool:
        return mp_close(cond_entropy(pq, precise=True), mp_entropy(pq[0]))

    return forall(
        budget,
        strategy=_independent_pairs(),
        holds=lambda pq: close(cond_entropy(pq, precise=False), lib.entropy(pq[0])),
        exact=exact,
        show=lambda pq: _pair(pq, "P_X", "P_Y"),
        proof=Proof(
            "SymPy: -Σ p(x)q(y) log p(x|y) - H(p) ≡ 0 for symbolic 2×2 laws",
            _proof_independent_conditional,
        ),
    )


# --------------------------------------------------------------------------- section 2.2


def _ce_is_h_plus_kl(budget: Budget) -> Outcome:
    def exact(pq: Any) -> bool:
        return mp_close(mp_cross_entropy(*pq), mp_entropy(pq[0]) + mp_kl(*pq))

    with np.errstate(divide="ignore"):
        return forall(
            budget,
            strategy=_pairs(),
            holds=lambda pq: close(
                lib.cross_entropy(*pq), lib.entropy(pq[0]) + lib.kl_divergence(*pq)
            ),
            exact=exact,
            show=_pair,
            reason_holds="the formula is the cross-entropy H(P, Q) = H(P) + KL(P||Q)",
        )


def _ce_is_kl(budget: Budget) -> Outcome:
    def show(pq: Any) -> str:
        return f"{_pair(pq)}: -Σ P log Q = {_n(mp_cross_entropy(*pq))}, KL(P||Q) = {_n(mp_kl(*pq))}"

    def exact(pq: Any) -> bool:
        return mp_close(mp_cross_entropy(*pq), mp_kl(*pq))

    with np.errstate(divide="ignore"):
        return forall(
            budget,
            strategy=_supported_pairs(),
            holds=lambda pq: close(lib.cross_entropy(*pq), lib.kl_divergence(*pq)),
            exact=exact,
            show=show,
            reason_fails="differs from KL by H(P)",
        )


@ce_claim(
    id="CE-2.2-definition",
    section="2.2, definition and notation",
    paraphrase="Cross-entropy of P and Q is H(P||Q) = -Σ_x P(x) log Q(x), where P(x), Q(x) are "
    "the probabilities of the random variable x under P and Q.",
    formal="the symbol H(P||Q), read as the standard double-bar notation (the KL divergence "
    "D(P||Q)), equals -Σ_x P(x) log Q(x) for all P, Q",
    expected="false",
    corrected="Write H(P, Q) = -Σ_x P(x) log Q(x) = H(P) + KL(P||Q) (x is a value, not a random "
    "variable); the double-bar notation D(P||Q) denotes the KL divergence, which "
    "differs from H(P, Q) by H(P).",
)
def _ce_definition(budget: Budget) -> Outcome:
    return with_readings(
        _ce_is_kl(budget),
        [
            (
                "H(P||Q) is a new name for the cross-entropy the formula defines",
                _ce_is_h_plus_kl(budget),
            )
        ],
    )


@ce_claim(
    id="CE-2.2-P1",
    section="2.2, property 1",
    paraphrase="If P = Q, the cross-entropy H(P||Q) is 0.",
    formal="∀ P: H(P, P) = -Σ P log P = 0",
    expected="false",
    corrected="H(P, P) = H(P) >= 0, zero only for a point mass; KL(P||P) = 0 is the statement "
    "that holds.",
)
def _ce_p1(budget: Budget) -> Outcome:
    return _self_ce_is_zero(budget, rescue=False)


def _ce_nonnegative(budget: Budget, strategy: Any) -> Outcome:
    def exact(pq: Any) -> bool:
        return bool(mp_cross_entropy(*pq) >= 0)

    with np.errstate(divide="ignore"):
        return forall(
            budget,
            strategy=strategy,
            holds=lambda pq: lib.cross_entropy(*pq) >= 0,
            exact=exact,
            show=_pair,
            reason_holds="-log Q(x) >= 0 since Q(x) <= 1",
        )


@ce_claim(
    id="CE-2.2-P2",
    section="2.2, property 2",
    paraphrase="If P is a subset of Q, then H(P||Q) >= 0.",
    formal="'P is a subset of Q' read as supp P ⊆ supp Q: then -Σ P log Q >= 0",
    expected="holds",
    corrected="Distributions are not sets. H(P, Q) >= 0 holds for ALL discrete P, Q (every term "
    "-P(x) log Q(x) >= 0); supp P ⊆ supp Q is the condition for H(P, Q) < ∞.",
)
def _ce_p2(budget: Budget) -> Outcome:
    return with_readings(
        _ce_nonnegative(budget, _supported_pairs()),
        [
            (
                "H(P, Q) >= 0 for all P, Q (the condition is unnecessary)",
                _ce_nonnegative(budget, _pairs()),
            )
        ],
    )


def _ce_additive_any_pair(budget: Budget) -> Outcome:
    def show(pq: Any) -> str:
        p, q = pq
        return (
            f"{_pair(pq)}: H(P, Q) = {_n(mp_cross_entropy(p, q))}"
            f", H(P) + H(Q) = {_n(mp_entropy(p) + mp_entropy(q))}"
        )

    def exact(pq: Any) -> bool:
        return mp_close(mp_cross_entropy(*pq), mp_entropy(pq[0]) + mp_entropy(pq[1]))

    return forall(
        budget,
        strategy=_pairs(q_full=True),
        holds=lambda pq: close(lib.cross_entropy(*pq), lib.entropy(pq[0]) + lib.entropy(pq[1])),
        exact=exact,
        show=show,
        reason_fails="H(P, Q) = H(P) + KL(P||Q), not H(P) + H(Q)",
    )


@ce_claim(
    id="CE-2.2-P3",
    section="2.2, property 3",
    paraphrase="If P and Q are independent, H(P||Q) = H(P) + H(Q).",
    formal="for two distributions P, Q of the variable (the only objects named): "
    "-Σ P log Q = H(P) + H(Q)",
    expected="false",
    corrected="Independence is a property of random variables under one joint law. The "
    "identity that holds is H(P, Q) = H(P) + KL(P||Q); the additive one is the JOINT "
    "entropy of independent X ~ P, Y ~ Q: H(X, Y) = H(P) + H(Q).",
)
def _ce_p3(budget: Budget) -> Outcome:
    return with_readings(
        _ce_additive_any_pair(budget),
        [("joint entropy of independent X ~ P, Y ~ Q", _joint_entropy_additive(budget))],
    )


def _conditional_ce_pairs(*, q_independent: bool) -> Any:
    """(p, qx_given_y, r): P = p ⊗ r; Q has Y-marginal r and conditionals qx_given_y."""

    def build(km: tuple[int, int]) -> Any:
        k, m = km
        cond = (
            st.tuples(distributions(k, k, full_support=True)).map(lambda t: t * m)
            if q_independent
            else st.tuples(*[distributions(k, k, full_support=True) for _ in range(m)])
        )
        return st.tuples(distributions(k, k), cond, distributions(m, m, full_support=True))

    return st.tuples(st.integers(2, 3), st.integers(2, 3)).flatmap(build)


def _conditional_ce(budget: Budget, *, q_independent: bool) -> Outcome:
    def sides(ex: Any, *, precise: bool) -> tuple[Any, Any]:
        p, qs, r = ex
        qx = [sum(r[j] * qs[j][i] for j in range(len(r))) for i in range(len(p))]
        if precise:
            lhs = mpmath.fsum(mp(r[j]) * mp_cross_entropy(p, qs[j]) for j in range(len(r)))
            return lhs, mp_cross_entropy(p, qx)
        lhs_f = math.fsum(float(r[j]) * lib.cross_entropy(p, qs[j]) for j in range(len(r)))
        return lhs_f, lib.cross_entropy(p, qx)

    def exact(ex: Any) -> bool:
        return mp_close(*sides(ex, precise=True))

    def show(ex: Any) -> str:
        p, qs, r = ex
        lhs, rhs = sides(ex, precise=True)
        return (
            f"P(x) = {fmt_vec(p)}, P(y) = Q(y) = {fmt_vec(r)}, Q(x|y) = "
            f"{', '.join(fmt_vec(q) for q in qs)}: E_y H(P(.|y), Q(.|y)) = {_n(lhs)} "
            f"vs H(P_X, Q_X) = {_n(rhs)}"
        )

    return forall(
        budget,
        strategy=_conditional_ce_pairs(q_independent=q_independent),
        holds=lambda ex: close(*sides(ex, precise=False)),
        exact=exact,
        show=show,
        reason_holds="conditioning on an independent Y changes nothing",
        reason_fails="Jensen: averaging -log over Q(x|y) exceeds -log of the average",
    )


@ce_claim(
    id="CE-2.2-P4",
    section="2.2, property 4",
    paraphrase="If P and Q are mutually independent, H(P||Q|Y) = H(P||Q).",
    formal="H(P||Q|Y) read as E_Y H(P(.|Y), Q(.|Y)); 'P and Q independent' read as X ⊥ Y "
    "under P (nothing is assumed of Q): then E_Y H(P(.|Y), Q(.|Y)) = H(P_X, Q_X)",
    expected="false",
    corrected="Define the conditional cross-entropy E_{Y}[H(P(.|Y), Q(.|Y))]. It equals "
    "H(P_X, Q_X) when X is independent of Y under BOTH P and Q (same Y-marginal); if "
    "only P makes X independent of Y it is >= H(P_X, Q_X) (Jensen), strictly in general.",
)
def _ce_p4(budget: Budget) -> Outcome:
    return with_readings(
        _conditional_ce(budget, q_independent=False),
        [
            (
                "X ⊥ Y under both P and Q (same Y-marginal)",
                _conditional_ce(budget, q_independent=True),
            )
        ],
    )


# --------------------------------------------------------------------------- section 3.1


def _targets_and_predictions(*, full: bool = True) -> Any:
    """Strategy: (one-hot y, predicted distribution ŷ with full support) over k >= 2 classes."""
    return st.integers(2, 4).flatmap(
        lambda k: st.tuples(
            st.integers(0, k - 1).map(lambda j: one_hot(k, j)),
            distributions(k, k, full_support=full),
        )
    )


def _equals_categorical(
    budget: Budget, name: str, value_f: Any, value_mp: Any, *, reason_fails: str
) -> Outcome:
    """∀ one-hot y, ŷ: ``name`` (``value_f(y, ŷ)`` in float, ``value_mp`` at 50 digits)
    equals the categorical cross-entropy -Σ_c y_c log ŷ_c."""

    def show(ex: Any) -> str:
        y, yhat = ex
        return (
            f"y = {fmt_vec(y)}, ŷ = {fmt_vec(yhat)}: {name} = {_n(value_mp(*ex))}, "
            f"-Σ y log ŷ = {_n(loss_mp('categorical', *ex))}"
        )

    return forall(
        budget,
        strategy=_targets_and_predictions(),
        holds=lambda ex: close(value_f(*ex), loss_f("categorical", *ex)),
        exact=lambda ex: mp_close(value_mp(*ex), loss_mp("categorical", *ex)),
        show=show,
        reason_fails=reason_fails,
    )


@ce_claim(
    id="CE-3.1-log-loss",
    section="3.1",
    paraphrase="Multi-class classification usually uses the log loss "
    "L = -Σ_c [y_c log ŷ_c + (1 - y_c) log(1 - ŷ_c)], which can be written as the "
    "cross-entropy -Σ_c y_c log ŷ_c.",
    formal="∀ one-hot y, ŷ ∈ Δ: -Σ_c [y_c log ŷ_c + (1-y_c) log(1-ŷ_c)] = -Σ_c y_c log ŷ_c",
    expected="false",
    corrected="The first expression is the one-vs-rest (multi-label) loss, a sum of C binary "
    "cross-entropies; the multi-class log loss is -Σ_c y_c log ŷ_c = -log ŷ_true. They "
    "differ by -Σ_{c: y_c=0} log(1 - ŷ_c) >= 0, zero only when ŷ = y.",
)
def _ce_log_loss(budget: Budget) -> Outcome:
    return _equals_categorical(
        budget,
        "one-vs-rest",
        partial(loss_f, "one-vs-rest"),
        partial(loss_mp, "one-vs-rest"),
        reason_fails="the one-vs-rest sum adds -Σ_{y_c=0} log(1 - ŷ_c) > 0",
    )


@ce_claim(
    id="CE-3.1-notation",
    section="3.1",
    paraphrase="The loss equals H(y||p) where p is the true distribution, p_c = y_c.",
    formal="∀ one-hot y, ŷ: H(y, p) with p = y equals -Σ_c y_c log ŷ_c",
    expected="false",
    corrected="L = H(y, ŷ): the second argument must be the PREDICTED distribution ŷ; with "
    "p = y the expression is H(y, y) = H(y) = 0 for one-hot y, whatever the model says.",
)
def _ce_notation(budget: Budget) -> Outcome:
    return _equals_categorical(
        budget,
        "H(y, p=y)",
        lambda y, yhat: lib.cross_entropy(y, y),
        lambda y, yhat: mp_cross_entropy(y, y),
        reason_fails="with p = y the expression H(y, y) ignores the prediction",
    )


# --------------------------------------------------------------------------- section 3.2


def _gradient_cases(*, positive: bool, forms: tuple[str, ...]) -> Any:
    """(form, y one-hot, free ŷ, c) with y_c = 1 (positive) or y_c = 0."""

    def build(k: int) -> Any:
        js = st.integers(0, k - 1)
        return (
            st.tuples(st.sampled_from(forms), js, free_probs(k), js)
            .filter(lambda t: (t[1] == t[3]) == positive)
            .map(lambda t: (t[0], one_hot(k, t[1]), t[2], t[3]))
        )

    return st.integers(2, 3).flatmap(build)


def _partial(ex: Any, dps: int) -> Any:
    form, y, yhat, c = ex
    with mpmath.workdps(dps):

        def along(t: Any) -> Any:
            pt = [mp(v) for v in yhat]
            pt[c] = t
            return loss_mp(form, y, pt)

        return mpmath.diff(along, mp(yhat[c]))


def _gradient_rule(budget: Budget, *, positive: bool) -> Outcome:
    def rule(ex: Any) -> Any:
        v = mp(ex[2][ex[3]])
        return -1 / v if positive else 1 / (1 - v)

    def holds_at(ex: Any, dps: int) -> bool:
        with mpmath.workdps(dps):
            return mp_close(_partial(ex, dps), rule(ex), digits=dps - 10)

    def holds_float(ex: Any) -> bool:
        # central difference, h = 1e-6: truncation error ~ h^2 |third derivative| / 6,
        # below 1e-9 for ŷ_c in [0.1, 0.9]; counterexamples are re-checked at 50 digits
        form, y, yhat, c = ex
        h = 1e-6
        up, down = list(yhat), list(yhat)
        up[c], down[c] = float(yhat[c]) + h, float(yhat[c]) - h
        fd = (loss_f(form, y, up) - loss_f(form, y, down)) / (2 * h)
        target = -1 / float(yhat[c]) if positive else 1 / (1 - float(yhat[c]))
        return abs(fd - target) <= 1e-6 * (1 + abs(target))

    def show(ex: Any) -> str:
        form, y, yhat, c = ex
        return (
            f"{form} loss, y = {fmt_vec(y)}, ŷ = {fmt_vec(yhat)}, c = {c}: "
            f"∂L/∂ŷ_c = {_n(_partial(ex, DPS))}, rule gives {_n(rule(ex))}"
        )

    def proof() -> bool:
        import sympy as sp

        y, p = sp.symbols("y p", positive=True)
        value = 1 if positive else 0
        target = -1 / p if positive else 1 / (1 - p)
        ovr = -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
        ok = sp.simplify(sp.diff(ovr, p).subs(y, value) - target) == 0
        if positive:
            ok = ok and sp.simplify(sp.diff(-y * sp.log(p), p).subs(y, 1) - target) == 0
        return bool(ok)

    forms = FORMS
    return forall(
        budget,
        strategy=_gradient_cases(positive=positive, forms=forms),
        holds=holds_float,
        exact=lambda ex: holds_at(ex, DPS),
        show=show,
        proof=Proof("SymPy: ∂/∂ŷ_c of the c-th term (the only one involving ŷ_c)", proof),
        condition=None
        if positive
        else Condition(
            "L is the one-vs-rest sum of binary cross-entropies (3.1, first display)",
            _gradient_cases(positive=False, forms=("one-vs-rest",)),
        ),
        reason_fails="for the categorical cross-entropy -Σ y log ŷ (3.1, second display) "
        "∂L/∂ŷ_c = 0 when y_c = 0",
    )


@ce_claim(
    id="CE-3.2-G1",
    section="3.2, property 1",
    paraphrase="If y_c = 1, then ∂L/∂ŷ_c = -1/ŷ_c.",
    formal="∀ forms of L in 3.1, one-hot y with y_c = 1, ŷ ∈ (0,1)^C: ∂L/∂ŷ_c = -1/ŷ_c",
    expected="holds",
    corrected="Holds for both expressions of 3.1 (ŷ treated as free coordinates). With "
    "ŷ = softmax(z) the useful gradient is ∂L/∂z = ŷ - y.",
)
def _ce_g1(budget: Budget) -> Outcome:
    return _gradient_rule(budget, positive=True)


@ce_claim(
    id="CE-3.2-G2",
    section="3.2, property 2",
    paraphrase="If y_c = 0, then ∂L/∂ŷ_c = 1/(1 - ŷ_c).",
    formal="∀ forms of L in 3.1, one-hot y with y_c = 0, ŷ ∈ (0,1)^C: ∂L/∂ŷ_c = 1/(1-ŷ_c)",
    expected="conditional",
    corrected="True for the one-vs-rest loss; for the categorical cross-entropy -Σ y log ŷ "
    "(which the article says is the same loss) ∂L/∂ŷ_c = 0 when y_c = 0.",
)
def _ce_g2(budget: Budget) -> Outcome:
    return _gradient_rule(budget, positive=False)


def _convex_in_probs(budget: Budget) -> Outcome:
    def build(k: int) -> Any:
        return st.tuples(st.sampled_from(FORMS), distributions(k, k), free_probs(k), free_probs(k))

    def gap_f(ex: Any) -> bool:
        form, y, a, b = ex
        lhs = loss_f(form, y, _midpoint(a, b))
        return lhs <= (loss_f(form, y, a) + loss_f(form, y, b)) / 2 + 1e-12 * (1 + abs(lhs))

    def exact(ex: Any) -> bool:
        form, y, a, b = ex
        return bool(
            loss_mp(form, y, _midpoint(a, b)) <= (loss_mp(form, y, a) + loss_mp(form, y, b)) / 2
        )

    def proof() -> bool:
        import sympy as sp

        ys = sp.symbols("y1 y2", nonnegative=True)
        ps = sp.symbols("p1 p2", positive=True)
        cat = -sum(y * sp.log(p) for y, p in zip(ys, ps, strict=True))
        ovr = cat - sum((1 - y) * sp.log(1 - p) for y, p in zip(ys, ps, strict=True))
        ok = True
        for loss, diag in (
            (cat, [y / p**2 for y, p in zip(ys, ps, strict=True)]),
            (ovr, [y / p**2 + (1 - y) / (1 - p) ** 2 for y, p in zip(ys, ps, strict=True)]),
        ):
            ok = ok and sp.simplify(sp.hessian(loss, ps) - sp.diag(*diag)) == sp.zeros(2, 2)
        return bool(ok)

    return forall(
        budget,
        strategy=st.integers(2, 3).flatmap(build),
        holds=gap_f,
        exact=exact,
        show=lambda ex: (
            f"{ex[0]}, y = {fmt_vec(ex[1])}, a = {fmt_vec(ex[2])}, b = {fmt_vec(ex[3])}"
        ),
        proof=Proof("SymPy: Hessian = diag(y_c/ŷ_c²) (+ diag((1-y_c)/(1-ŷ_c)²)) ⪰ 0", proof),
        reason_holds="midpoint convex in ŷ (both forms); Hessian diagonal and >= 0",
    )


@ce_claim(
    id="CE-3.2-convex-probabilities",
    section="3.2, property 3 (and 6.1)",
    paraphrase="The cross-entropy loss is a convex function (here: of the predicted "
    "probabilities ŷ).",
    formal="∀ y, form: ŷ ↦ L(y, ŷ) is convex on (0,1)^C",
    expected="holds",
    corrected="Holds in ŷ, for both expressions of 3.1.",
)
def _ce_convex_probs(budget: Budget) -> Outcome:
    return _convex_in_probs(budget)


def _logit_loss_f(y: Any, z: Any) -> float:
    return lib.logit_cross_entropy(y, z)


def _logit_loss_mp(y: Any, z: Any) -> Any:
    return mp_logsumexp(z) - mpmath.fsum(mp(a) * mp(b) for a, b in zip(y, z, strict=True))


def _logit_pairs() -> Any:
    logits = st.floats(-30, 30, allow_nan=False, width=64)
    return st.integers(2, 4).flatmap(
        lambda k: st.tuples(distributions(k, k), st.tuples(*[logits] * k), st.tuples(*[logits] * k))
    )


@ce_claim(
    id="CE-3.2-convex-logits",
    section="3.2, property 3 (and 6.1)",
    paraphrase="The cross-entropy loss is convex (here: as a function of the logits z, "
    "ŷ = softmax(z)).",
    formal="∀ y ∈ Δ: z ↦ logsumexp(z) - Σ_c y_c z_c is convex on ℝ^C",
    expected="holds",
    corrected="Holds (not strictly: L(z + t·1) = L(z)); Hessian diag(s) - s sᵀ with s = "
    "softmax(z), a covariance matrix.",
)
def _ce_convex_logits(budget: Budget) -> Outcome:
    def holds(ex: Any) -> bool:
        y, a, b = ex
        lhs = _logit_loss_f(y, _midpoint(a, b))
        rhs = (_logit_loss_f(y, a) + _logit_loss_f(y, b)) / 2
        # float rounding of logsumexp and of the dot products: a few eps of the terms
        return lhs <= rhs + 1e-12 * (1 + max(abs(v) for v in (*a, *b)))

    def exact(ex: Any) -> bool:
        y, a, b = ex
        m = [(mp(u) + mp(v)) / 2 for u, v in zip(a, b, strict=True)]
        return bool(_logit_loss_mp(y, m) <= (_logit_loss_mp(y, a) + _logit_loss_mp(y, b)) / 2)

    def proof() -> bool:
        # the project's SymPy derivation: H = (Σ a_c)(diag(s) - s sᵀ), with two PSD
        # certificates (all principal minors >= 0 on the simplex; H = BᵀB)
        from mlmath.derivations._core import DerivationError
        from mlmath.derivations.losses import softmax_cross_entropy_hessian

        try:
            return len(softmax_cross_entropy_hessian(3).checks) > 1
        except DerivationError:
            return False

    return forall(
        budget,
        strategy=_logit_pairs(),
        holds=holds,
        exact=exact,
        show=lambda ex: f"y = {fmt_vec(ex[0])}, a = {fmt_vec(ex[1])}, b = {fmt_vec(ex[2])}",
        proof=Proof(
            "SymPy (derivations.losses, C = 3): ∇²L = (Σ_c y_c)(diag(s) - s sᵀ), PSD "
            "by principal minors and by a Gram factor BᵀB",
            proof,
        ),
        reason_holds="midpoint convex in z; Hessian is the covariance matrix of softmax(z)",
    )


def _product_net_f(a: float, b: float) -> float:
    # two classes, logits (a·b·x, 0) with x = 1, true class 0: L = log(1 + exp(-a b))
    return math.log1p(math.exp(-a * b))


@shared  # used by several claims: search once per budget and perturbation
def _nonconvex_in_parameters(budget: Budget) -> Outcome:
    def violated(ex: Any) -> bool:
        (a1, b1), (a2, b2) = ex
        lhs = _product_net_f((a1 + a2) / 2, (b1 + b2) / 2)
        return lhs > (_product_net_f(a1, b1) + _product_net_f(a2, b2)) / 2 + 1e-12

    def sides_mp(ex: Any) -> tuple[Any, Any]:
        """L at the midpoint and the average of L at the two parameter points (50 digits)."""
        (a1, b1), (a2, b2) = ex
        lhs = softplus_mp(-(mp(a1) + mp(a2)) * (mp(b1) + mp(b2)) / 4)
        rhs = (softplus_mp(-mp(a1) * mp(b1)) + softplus_mp(-mp(a2) * mp(b2))) / 2
        return lhs, rhs

    def exact(ex: Any) -> bool:
        lhs, rhs = sides_mp(ex)
        return bool(lhs > rhs)

    def show(ex: Any) -> str:
        (a1, b1), (a2, b2) = ex
        lhs, rhs = sides_mp(ex)
        return (
            f"θ1 = (a, b) = ({a1}, {b1}), θ2 = ({a2}, {b2}): L(midpoint) = {_n(lhs)} > "
            f"average {_n(rhs)}"
        )

    param = st.tuples(st.integers(-3, 3), st.integers(-3, 3))
    return exists(
        budget,
        strategy=st.tuples(param, param),
        witness=violated,
        exact=exact,
        show=show,
        reason_found="midpoint convexity fails in the parameters",
        reason_none="no violation of convexity found",
    )


@ce_claim(
    id="CE-3.2-convex-parameters",
    section="3.2, property 3 (and 6.1)",
    paraphrase="The cross-entropy loss is convex (here: as a function of the network "
    "parameters being optimised, as 3.3 and 6.1 use it).",
    formal="θ ↦ L(y, softmax(f_θ(x))) is convex, e.g. for the two-layer linear network "
    "f_(a,b)(x) = (a·b·x, 0)",
    expected="false",
    corrected="Convex in the parameters only when the logits are affine in them (softmax / "
    "logistic regression); for networks, even a two-layer linear one, it is not.",
)
def _ce_convex_params(budget: Budget) -> Outcome:
    return refuted_by(
        _nonconvex_in_parameters(budget),
        "not convex in the parameters of a two-layer (linear) network",
    )


@ce_claim(
    id="CE-3.2-minimum-probabilities",
    section="3.2, property 3 (and 6.1)",
    paraphrase="The cross-entropy loss has a global minimum (here: over predicted "
    "probabilities ŷ on the simplex).",
    formal="∀ y ∈ Δ: min over ŷ ∈ Δ of -Σ y log ŷ is attained, at ŷ = y, value H(y)",
    expected="holds",
    corrected="Attained at ŷ = y on the closed simplex (value H(y), 0 for one-hot y); a "
    "softmax output never reaches a one-hot ŷ, see CE-3.2-minimum-logits.",
)
def _ce_min_probs(budget: Budget) -> Outcome:
    def exact(pq: Any) -> bool:
        return bool(mp_cross_entropy(*pq) >= mp_entropy(pq[0]) - mpmath.mpf(10) ** -40)

    def proof() -> bool:
        import sympy as sp

        a, b, c, d = sp.symbols("a b c d", positive=True)
        y, q = [a, b, 1 - a - b], [c, d, 1 - c - d]
        diff = (
            -sum(u * sp.log(v) for u, v in zip(y, q, strict=True))
            - _sym_entropy(y)
            - sum(u * sp.log(u / v) for u, v in zip(y, q, strict=True))
        )
        return _log_identity(diff)

    with np.errstate(divide="ignore"):
        return forall(
            budget,
            strategy=_pairs(),
            holds=lambda pq: lib.cross_entropy(*pq) >= lib.entropy(pq[0]) * (1 - 1e-12) - 1e-15,
            exact=exact,
            show=lambda pq: _pair(pq, "y", "ŷ"),
            proof=Proof("SymPy: L(ŷ) - L(y) - KL(y||ŷ) ≡ 0; KL >= 0 (Gibbs)", proof),
            reason_holds="L(ŷ) = H(y) + KL(y||ŷ) >= H(y) = L(y): attained at ŷ = y",
        )


@ce_claim(
    id="CE-3.2-minimum-logits",
    section="3.2, property 3 (and 6.1)",
    paraphrase="The cross-entropy loss has a global minimum (here: over the logits z).",
    formal="∀ y ∈ Δ ∃ z ∈ ℝ^C: L(y, z) = inf_z L(y, z) = H(y)",
    expected="conditional",
    corrected="Attained iff every y_c > 0 (at z = log y + const). For one-hot targets (ordinary "
    "classification) L(z) = -log softmax(z)_y > 0 for every finite z: the infimum 0 "
    "is approached as the true logit → ∞ but never attained.",
)
def _ce_min_logits(budget: Budget) -> Outcome:
    def minimiser(y: Any) -> Any:
        return [math.log(float(v)) if v > 0 else -math.inf for v in y]

    def attained(y: Any) -> bool:
        # By Gibbs, L(z) = H(y) + KL(y || softmax z) >= H(y), with equality iff softmax z = y,
        # which needs every y_c > 0 (softmax has full support); then z = log y attains it.
        z = minimiser(y)
        return all(math.isfinite(v) for v in z) and close(_logit_loss_f(y, z), lib.entropy(y))

    def exact(y: Any) -> bool:
        if any(v == 0 for v in y):
            return False
        z = [mpmath.log(mp(v)) for v in y]
        return mp_close(_logit_loss_mp(y, z), mp_entropy(y))

    def show(y: Any) -> str:
        return (
            f"y = {fmt_vec(y)}: L(z) = H(y) + KL(y||softmax z) > H(y) = "
            f"{_n(mp_entropy(y))} for every finite z (softmax z > 0 where y = 0); e.g. "
            f"z = (t, 0): L = log(1 + e^-t) > 0, → 0 only as t → ∞"
        )

    return forall(
        budget,
        strategy=distributions(2, 4),
        holds=attained,
        exact=exact,
        show=show,
        condition=Condition(
            "every y_c > 0 (a soft target with full support)",
            distributions(2, 4, full_support=True),
        ),
        reason_fails="only an infimum (never attained) for targets with a zero, "
        "e.g. one-hot labels",
    )


# --------------------------------------------------------------------------- section 4

#: Inputs on which the differential test of ``mlmath audit --articles`` runs both the printed
#: listing and its re-implementation (those of the CE-4.1-* cases).
LISTING_INPUTS: tuple[tuple[Any, Any], ...] = (
    ([1, 0], [1, 0]),
    ([1, 0], [0, 1]),
    ([0, 1, 0], [0.2, 0.7, 0.1]),
    ([[1, 0], [0, 1]], [[0.5, 0.5], [0.5, 0.5]]),
    ([1], [0.2, 0.3, 0.5]),
    ([0], [0.2, 0.3, 0.5]),
    ([1, 0], [0.9, 0.9]),
    ([0], [0.9]),
    ([1, 0, 0], [1.0, 1.0, 1.0]),
    ([1], [0.25]),
    ([[1, 0], [0, 1], [1, 0], [0, 1]], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]),
)


def listing_twin(y_true: Any, y_pred: Any) -> float:
    """The ledger's re-implementation of the NumPy listing (defects included)."""
    return _listing_ce(y_true, y_pred)


def _listing_ce(y_true: Any, y_pred: Any) -> float:
    """Re-implementation of the article's formula: flatten both, -Σ y_true·log(y_pred)."""
    t = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(t * np.log(p)))


def _run_listing(inp: str, y_true: Any, y_pred: Any, correct: float) -> Case:
    """The listing on one input: defective when it does not return the correct loss."""
    observed = _listing_ce(y_true, y_pred)
    return Case(inp, _g(observed), _g(correct), defective=not close(observed, correct))


def _g(x: float) -> str:
    """6 significant digits: last-digit differences between math libraries never show."""
    return f"{x:.6g}"


def _rejects(inp: str, y_true: Any, y_pred: Any) -> Case:
    """The listing on an invalid input: defective when it returns a number instead of raising."""
    try:
        observed = _g(_listing_ce(y_true, y_pred))
        raised = False
    except ValueError as exc:
        observed, raised = f"ValueError: {exc}", True
    return Case(inp, observed, "an error (ŷ does not sum to 1)", defective=not raised)


@ce_claim(
    id="CE-4.1-zero-probability",
    section="4.1 (listing)",
    paraphrase="The NumPy listing computes the cross-entropy loss as the negated sum of "
    "y_true times log y_pred.",
    formal="listing(y, ŷ) = H(y, ŷ) for all valid one-hot y and ŷ ∈ Δ",
    expected="code-defect",
    corrected="Use the 0·log 0 = 0 convention (e.g. xlogy, or sum only over y_c > 0) — better, "
    "compute from logits with log-softmax; a zero predicted probability of the TRUE "
    "class correctly gives +inf.",
)
def _ce_listing_zero(budget: Budget) -> Outcome:
    cases = [
        _run_listing("y_true=(1, 0), y_pred=(1, 0)", [1, 0], [1, 0], 0.0),
        _run_listing("y_true=(1, 0), y_pred=(0, 1)", [1, 0], [0, 1], math.inf),
        _run_listing(
            "y_true=(0, 1, 0), y_pred=(0.2, 0.7, 0.1)", [0, 1, 0], [0.2, 0.7, 0.1], -math.log(0.7)
        ),
    ]
    return code_listing(
        cases,
        summary="0·log 0 evaluates to nan: a perfect prediction with a "
        "zero probability on a wrong class gives nan, not 0",
    )


@ce_claim(
    id="CE-4.1-batch-sum",
    section="4.1-4.2 (listing)",
    paraphrase="The listing takes 1-D label and prediction arrays (it reshapes both to 1-D) and "
    "returns the loss.",
    formal="for a batch (N, C), listing(Y, Ŷ) = (1/N) Σ_n H(y_n, ŷ_n) (the usual mean reduction)",
    expected="code-defect",
    corrected="Keep the class axis, compute per-sample losses, and reduce explicitly (mean by "
    "default, as torch.nn.functional.cross_entropy); the summed loss and its gradient "
    "grow with the batch size, which silently rescales the learning rate.",
)
def _ce_listing_batch(budget: Budget) -> Outcome:
    y = [[1, 0], [0, 1]]
    p = [[0.5, 0.5], [0.5, 0.5]]
    cases = [
        _run_listing("Y=((1,0),(0,1)), Ŷ=((.5,.5),(.5,.5))", y, p, math.log(2)),
        _run_listing("the same batch repeated twice", y * 2, p * 2, math.log(2)),
    ]
    return code_listing(
        cases,
        summary="a batch is flattened and summed, not averaged: the "
        "loss doubles when the batch is repeated",
    )


@ce_claim(
    id="CE-4.1-labels",
    section="4.1-4.2 (listing)",
    paraphrase="The listing's first argument holds the true labels and the second the "
    "predicted probabilities.",
    formal="listing(labels, ŷ) = -log ŷ[label] for class-index labels; invalid ŷ rejected",
    expected="code-defect",
    corrected="Accept class indices explicitly (or one-hot targets of the same shape as ŷ), "
    "check shapes, and reject ŷ outside the simplex instead of broadcasting.",
)
def _ce_listing_labels(budget: Budget) -> Outcome:
    probs = [0.2, 0.3, 0.5]
    cases = [
        _run_listing(
            "y_true=[1] (class index 1), y_pred=(0.2, 0.3, 0.5)", [1], probs, -math.log(0.3)
        ),
        _run_listing(
            "y_true=[0] (class index 0), y_pred=(0.2, 0.3, 0.5)", [0], probs, -math.log(0.2)
        ),
        _rejects("y_true=(1, 0), y_pred=(0.9, 0.9) (not a distribution)", [1, 0], [0.9, 0.9]),
    ]
    return code_listing(
        cases,
        summary="labels of another shape broadcast silently: a class "
        "index 0 gives loss 0 for any prediction",
    )


def _bce(y: Any, p: Any) -> float:
    """The binary cross-entropy -Σ [y log p + (1 - y) log(1 - p)] (0 log 0 = 0)."""
    total = 0.0
    for yi, pi in zip(y, p, strict=True):
        total -= _xlog(yi, pi) + _xlog(1 - yi, 1 - pi)
    return total


def _xlog(a: float, b: float) -> float:
    return 0.0 if a == 0 else (a * math.log(b) if b > 0 else -math.inf)


@ce_claim(
    id="CE-4.1-binary-use",
    section="4.1-4.2 (listing, binary use)",
    paraphrase="The listing's docstring asks for 1-D true labels and 1-D predicted "
    "probabilities, i.e. binary labels y_i in {0, 1} with ŷ_i = P(y_i = 1); it then "
    "computes the cross-entropy loss.",
    formal="for binary y ∈ {0,1}^N and ŷ ∈ (0,1)^N: listing(y, ŷ) = -Σ [y log ŷ + (1-y) "
    "log(1-ŷ)] (the binary cross-entropy)",
    expected="code-defect",
    corrected="For binary labels use the binary cross-entropy (both terms), or pass the "
    "two-class distributions (N, 2); the listing drops the (1 - y) log(1 - ŷ) term, so "
    "every negative example costs 0 whatever is predicted.",
)
def _ce_listing_binary(budget: Budget) -> Outcome:
    inputs = [
        ("y_true=(0,), y_pred=(0.9,)", [0], [0.9]),
        (
            "y_true=(1, 0, 0), y_pred=(1.0, 1.0, 1.0) (always predicts the positive class)",
            [1, 0, 0],
            [1.0, 1.0, 1.0],
        ),
        ("y_true=(1,), y_pred=(0.25,)", [1], [0.25]),
    ]
    cases = []
    for inp, y, p in inputs:
        observed, correct = _listing_ce(y, p), _bce(y, p)
        cases.append(Case(inp, _g(observed), _g(correct), defective=not close(observed, correct)))
    return code_listing(
        cases,
        summary="in binary use the (1 - y) log(1 - ŷ) term is missing: "
        "a negative example costs 0 for any prediction",
    )


# --------------------------------------------------------------------------- section 5


@ce_claim(
    id="CE-5.2-gradients",
    section="5.2, item 2",
    paraphrase="In some tasks the cross-entropy loss may cause vanishing or exploding gradients.",
    formal="∃ inputs where ‖∇L‖ is unboundedly large (explodes) or → 0 while the prediction is "
    "wrong (vanishes) — 'may', in 'some tasks': an existential statement",
    expected="holds",
    corrected="Only in the probability parameterisation: |∂L/∂ŷ_c| = y_c/ŷ_c is unbounded as "
    "ŷ_c → 0. In the logits, ∇_z L = softmax(z) - y has ‖·‖₁ = 2(1 - softmax(z)_y) "
    "<= 2 for one-hot y: it never explodes and vanishes only as the prediction "
    "becomes right. Vanishing/exploding through depth is a property of the network.",
)
def _ce_gradients(budget: Budget) -> Outcome:
    big = exists(
        budget,
        strategy=st.integers(1, 10**12),
        witness=lambda n: n > 10**6,  # |∂L/∂ŷ_c| = 1/ŷ_c at ŷ_c = 1/n, y_c = 1
        exact=lambda n: mp(n) > 10**6,
        show=lambda n: f"y_c = 1, ŷ_c = 1/{n}: |∂L/∂ŷ_c| = {n}",
        reason_found="unbounded",
        reason_none="bounded",
    )

    def grad_l1(ex: Any) -> tuple[float, float]:
        y, z, _ = ex
        s = lib.softmax(np.array(z, dtype=np.float64))
        yy = np.array([float(v) for v in y])
        return float(np.sum(np.abs(s - yy))), float(np.dot(s, yy))

    def one_hot_logits() -> Any:
        logits = st.floats(-30, 30, allow_nan=False)
        return st.integers(2, 4).flatmap(
            lambda k: st.tuples(
                st.integers(0, k - 1).map(lambda j: one_hot(k, j)),
                st.tuples(*[logits] * k),
                st.just(None),
            )
        )

    def exact_l1(ex: Any) -> bool:
        y, z, _ = ex
        s = [mpmath.exp(mp(v) - mp_logsumexp(z)) for v in z]
        l1 = mpmath.fsum(abs(a - mp(b)) for a, b in zip(s, y, strict=True))
        sy = mpmath.fsum(a * mp(b) for a, b in zip(s, y, strict=True))
        return mp_close(l1, 2 * (1 - sy), digits=35) and l1 <= 2

    identity = forall(
        budget,
        strategy=one_hot_logits(),
        holds=lambda ex: (lambda g: g[0] <= 2 + 1e-12 and abs(g[0] - 2 * (1 - g[1])) <= 1e-12)(
            grad_l1(ex)
        ),
        exact=exact_l1,
        show=lambda ex: f"y = {fmt_vec(ex[0])}, z = {fmt_vec(ex[1])}",
        reason_holds="‖softmax(z) - y‖₁ = 2(1 - softmax(z)_y) <= 2",
    )
    literal = (
        Outcome(
            "holds",
            "explodes in the probability parameterisation (as ŷ_c → 0); "
            "in the logits it is bounded by 2",
            counterexample=big.counterexample,
            evidence=big.evidence,
        )
        if big.verdict == "holds"
        else big
    )
    return with_readings(
        literal,
        [
            (
                "the gradient in the logits is bounded by 2 and small only when the prediction is "
                "right (so it neither explodes nor vanishes there)",
                identity,
            )
        ],
    )


# --------------------------------------------------------------------------- section 6


@ce_claim(
    id="CE-6.1-optimisation",
    section="6.1",
    paraphrase="Cross-entropy does well in classification because it measures the discrepancy "
    "effectively and is convex with a global minimum, which makes optimisation more "
    "stable.",
    formal="training a classifier with cross-entropy is a convex problem in its parameters "
    "with an attained global minimum",
    expected="conditional",
    corrected="Convex in the parameters only for models whose logits are affine in them "
    "(softmax / logistic regression), and even then the minimum is only an infimum "
    "on separable data with one-hot labels; for networks the problem is non-convex.",
)
def _ce_optimisation(budget: Budget) -> Outcome:
    def linear_model_convex(ex: Any) -> bool:
        y, (w1, w2), x = ex

        def loss(w: Any) -> float:
            z = np.array([float(np.dot(row, x)) for row in w])
            return _logit_loss_f(y, z)

        lhs = loss([_midpoint(r1, r2) for r1, r2 in zip(w1, w2, strict=True)])
        return lhs <= (loss(w1) + loss(w2)) / 2 + 1e-12 * (1 + abs(lhs))

    def exact_linear(ex: Any) -> bool:
        y, (w1, w2), x = ex

        def loss(w: Any) -> Any:
            z = [mpmath.fsum(mp(a) * mp(b) for a, b in zip(row, x, strict=True)) for row in w]
            return _logit_loss_mp(y, z)

        # integer weights: their midpoints are half-integers, exact in binary
        mid = [_midpoint(r1, r2) for r1, r2 in zip(w1, w2, strict=True)]
        return bool(loss(mid) <= (loss(w1) + loss(w2)) / 2)

    ints = st.integers(-4, 4)
    mat = st.tuples(*[st.tuples(ints, ints)] * 2)
    linear = forall(
        budget,
        strategy=st.tuples(distributions(2, 2), st.tuples(mat, mat), st.tuples(ints, ints)),
        holds=linear_model_convex,
        exact=exact_linear,
        show=lambda ex: repr(ex),
        reason_holds="convex in W",
    )
    return needs_condition(
        refuted_by(
            _nonconvex_in_parameters(budget),
            "not convex in the parameters of a two-layer (linear) network",
        ),
        linear,
        condition="the logits are affine in the parameters (softmax regression)",
        reason="convex only when the logits are affine in the parameters",
    )


def _smoothed_minimiser() -> Outcome:
    import sympy as sp

    p, eps = sp.symbols("p epsilon", positive=True)
    target = 1 - eps / 2  # label smoothing of the positive label 1 with ε
    risk = -(target * sp.log(p) + (1 - target) * sp.log(1 - p))
    sol = sp.solve(sp.diff(risk, p), p)
    value = sol[0].subs(eps, sp.Rational(1, 10)) if len(sol) == 1 else None
    return established(
        value == 1,
        "the smoothed binary loss of a positive example is minimised at "
        "ŷ = 1 - ε/2, not at the label",
        counterexample=f"ε = 1/10: argmin_ŷ = {value}",
        evidence=(f"SymPy: argmin_ŷ of the smoothed loss = {sol}",),
    )


def _binary_is_two_class(budget: Budget) -> Outcome:
    def exact(ex: Any) -> bool:
        y, p = ex
        return mp_close(loss_mp("one-vs-rest", [y], [p]), mp_cross_entropy([y, 1 - y], [p, 1 - p]))

    tenths = st.integers(1, 9).map(lambda n: Fraction(n, 10))
    return forall(
        budget,
        strategy=st.tuples(st.integers(0, 10).map(lambda n: Fraction(n, 10)), tenths),
        holds=lambda ex: close(
            loss_f("one-vs-rest", [ex[0]], [ex[1]]),
            lib.cross_entropy([ex[0], 1 - ex[0]], [ex[1], 1 - ex[1]]),
        ),
        exact=exact,
        show=lambda ex: f"y = {ex[0]}, ŷ = {ex[1]}",
        reason_holds="BCE(y, ŷ) = H((y, 1-y), (ŷ, 1-ŷ))",
    )


@ce_claim(
    id="CE-6.2-forms",
    section="6.2",
    paraphrase="Choose the form by task: the log loss for multi-class tasks, a 'smoothed log "
    "loss' for binary tasks; choose by experiment.",
    formal="'smoothed log loss' read as the label-smoothed log loss: for binary tasks it is the "
    "appropriate loss, i.e. its minimiser is the label (argmin_ŷ = 1 for a positive)",
    expected="false",
    corrected="Binary classification uses the binary cross-entropy, which IS the two-class log "
    "loss. Label smoothing is an optional regulariser for any number of classes; it "
    "moves the optimum to ŷ = 1 - ε/2 (not calibrated to the label).",
)
def _ce_forms(budget: Budget) -> Outcome:
    return with_readings(
        _smoothed_minimiser(),
        [
            (
                "the plain binary log loss is the two-class cross-entropy (no special form needed)",
                _binary_is_two_class(budget),
            )
        ],
    )


@ce_claim(
    id="CE-6.3-mse",
    section="6.3 (implied)",
    paraphrase="Cross-entropy (classification) measures a discrepancy between distributions, "
    "whereas MSE (regression) measures one between values.",
    formal="MSE is not a cross-entropy: (y - μ)²/2 is not -log of a probability density "
    "(up to a constant)",
    expected="false",
    corrected="MSE is the cross-entropy (negative log-likelihood) of a unit-variance Gaussian "
    "model: -log N(y; μ, 1) = (y - μ)²/2 + log(2π)/2. Both are cross-entropies, with "
    "different model families.",
)
def _ce_mse(budget: Budget) -> Outcome:
    import sympy as sp

    y, mu = sp.symbols("y mu", real=True)
    nll = -sp.log(sp.exp(-((y - mu) ** 2) / 2) / sp.sqrt(2 * sp.pi))
    identity = (
        sp.simplify(sp.expand_log(nll, force=True) - ((y - mu) ** 2 / 2 + sp.log(2 * sp.pi) / 2))
        == 0
    )
    at = {y: 1, mu: 0}
    return established(
        not identity,
        "MSE/2 = -log N(y; μ, 1) - log(2π)/2 identically (SymPy)",
        counterexample=f"y = 1, μ = 0: -log N(1; 0, 1) = "
        f"{sp.simplify(sp.expand_log(nll.subs(at), force=True))} "
        "= MSE/2 + log(2π)/2",
        evidence=("SymPy: -log N(y; μ, 1) - (y-μ)²/2 - log(2π)/2 ≡ 0",),
    )


#: Entries no computation can decide (vague wording): judged editorially, with the
#: quoted phrase and what is missing.
CE_EDITORIAL: tuple[Editorial, ...] = (
    Editorial(
        id="CE-1.2-tasks",
        section="1.2",
        paraphrase="The cross-entropy loss serves many tasks: classification, regression, "
        "clustering.",
        formal="(no precise statement: which cross-entropy, between which distributions?)",
        corrected="Cross-entropy applies wherever the model outputs a distribution: classification "
        "directly; regression as the negative log-likelihood of a predictive density "
        "(MSE is the Gaussian case, see CE-6.3); clustering only via a probabilistic "
        "model. The article itself later (6.3) reserves it for classification.",
        verdict="vague",
        quote="如分类、回归、聚类等",
        judgement="no model or distributions named for regression or clustering; contradicts 6.3",
    ),
    Editorial(
        id="CE-1.2-name",
        section="1.2",
        paraphrase="The name comes from information-theoretic entropy, which measures the "
        "uncertainty of a random variable.",
        formal="(etymology; entropy as uncertainty)",
        corrected="True in spirit: H(p, q) is the expected code length when coding p-data with a "
        "code optimal for q (Shannon entropy being the q = p case).",
        verdict="vague",
        quote="它的名字来源于信息论中的熵概念",
        judgement="etymology and an informal description; nothing to compute",
    ),
    Editorial(
        id="CE-3.3-steps",
        section="3.3",
        paraphrase="In practice: compute predictions, compute the loss against the labels, and "
        "minimise it over the parameters with gradient descent or another optimiser.",
        formal="(procedure, no checkable statement)",
        corrected="Fine as an outline; in practice compute the loss from logits (log-softmax) "
        "rather than from probabilities, see CE-4.1-zero-probability and CE-5.2-gradients.",
        verdict="vague",
        quote="使用梯度下降或其他优化算法",
        judgement="a procedure outline; nothing to verify",
    ),
    Editorial(
        id="CE-5.1-trends",
        section="5.1",
        paraphrase="Cross-entropy's use will keep expanding; research will balance efficiency and "
        "performance and tailor it to tasks and models.",
        formal="(forecast)",
        corrected="Forecasts; nothing to check.",
        verdict="vague",
        quote="应用范围将不断扩大",
        judgement="forecasts with no checkable content",
    ),
    Editorial(
        id="CE-5.2-challenges",
        section="5.2, items 1 and 3",
        paraphrase="Cross-entropy may struggle with non-independent, complexly dependent tasks, "
        "and choosing the right form of cross-entropy may be hard.",
        formal="(no task, model or 'form' specified)",
        corrected="Unspecific; the one checkable item (gradients) is CE-5.2-gradients.",
        verdict="vague",
        quote="处理非独立和依赖关系复杂的任务时",
        judgement="no task, dependence structure or alternative form is named",
    ),
)

register_editorial("CE", CE_EDITORIAL)
