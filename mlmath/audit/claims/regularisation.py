"""Claims of article #22, regularisation (key ``REG``; the article stops mid-list).

The experiment behind REG-3-generalisation is ridge regression,
w_λ = argmin ‖X w - y‖² + λ‖w‖² = (XᵀX + λI)⁻¹ Xᵀ y, across λ on seeded data.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
from hypothesis import strategies as st

from mlmath.audit._core import Outcome, claim
from mlmath.audit._evidence import (
    Budget,
    Proof,
    established,
    exists,
    forall,
    needs_condition,
    refuted_by,
)
from mlmath.audit._num import fmt
from mlmath.audit.claims._common import Editorial, register_editorial
from mlmath.penalties import prox_l1

__all__ = ["LAMBDAS", "ridge", "ridge_experiment"]

reg_claim = partial(claim, article="REG")

#: λ grid of the deterministic experiment (0 = least squares).
LAMBDAS: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1, 1.0, 3.0, 10.0, 30.0, 100.0, 1e3, 1e4)


def ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge solution (XᵀX + λI)⁻¹Xᵀy (least squares at λ = 0, X of full column rank)."""
    p = x.shape[1]
    return np.linalg.solve(x.T @ x + lam * np.eye(p), x.T @ y)


def ridge_experiment(
    *, n_train: int = 20, n_test: int = 2000, p: int = 15, noise: float = 1.0, seed: int = 0
) -> list[tuple[float, float, float]]:
    """(λ, train MSE, test MSE) across :data:`LAMBDAS` for y = x·w* + noise (seeded)."""
    rng = np.random.default_rng(seed)
    w_true = rng.standard_normal(p)
    x_tr, x_te = rng.standard_normal((n_train, p)), rng.standard_normal((n_test, p))
    y_tr = x_tr @ w_true + noise * rng.standard_normal(n_train)
    y_te = x_te @ w_true + noise * rng.standard_normal(n_test)
    rows = []
    for lam in LAMBDAS:
        w = ridge(x_tr, y_tr, lam)
        rows.append(
            (lam, float(np.mean((x_tr @ w - y_tr) ** 2)), float(np.mean((x_te @ w - y_te) ** 2)))
        )
    return rows


def _table(rows: list[tuple[float, float, float]]) -> str:
    return "; ".join(f"λ={lam:g}: train {tr:.3f}, test {te:.3f}" for lam, tr, te in rows)


@reg_claim(
    id="REG-1-overfitting",
    section="1, 2 item 1",
    paraphrase="Overfitting is when a model does very well on the training data but poorly on "
    "new data.",
    formal="definition; exhibited by least squares with few samples per parameter",
    expected="holds",
    corrected="Holds.",
)
def _reg_overfitting(budget: Budget) -> Outcome:
    rows = ridge_experiment()
    lam0 = rows[0]
    return established(
        lam0[2] > 3 * lam0[1],
        "least squares fits the training set far better than new data",
        evidence=(
            f"λ = 0 (n = 20, p = 15, σ = 1): train MSE {lam0[1]:.3f}, test MSE {lam0[2]:.3f}",
        ),
    )


def _ridge_cases() -> Any:
    """(X rows, y, λ1, Δλ): n <= 4 samples, p <= 2 parameters, small integers, λ1, Δλ > 0."""
    ints = st.integers(-3, 3)
    quarter = st.integers(1, 8).map(lambda a: Fraction(a, 4))

    def build(np_: tuple[int, int]) -> Any:
        n, p = np_
        return st.tuples(
            st.lists(st.lists(ints, min_size=p, max_size=p), min_size=n, max_size=n),
            st.lists(ints, min_size=n, max_size=n),
            quarter,
            quarter,
        )

    return st.tuples(st.integers(1, 4), st.integers(1, 2)).flatmap(build)


def _solve(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Exact Gauss-Jordan solve of a small nonsingular system."""
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    k = len(m)
    for col in range(k):
        piv = next(r for r in range(col, k) if m[r][col] != 0)
        m[col], m[piv] = m[piv], m[col]
        m[col] = [v / m[col][col] for v in m[col]]
        for r in range(k):
            if r != col and m[r][col] != 0:
                m[r] = [u - m[r][col] * v for u, v in zip(m[r], m[col], strict=True)]
    return [row[-1] for row in m]


def _ridge_exact(xs: Any, ys: Any, lam: Fraction) -> list[Fraction]:
    """(XᵀX + λI)⁻¹Xᵀy in Fractions (nonsingular for λ > 0)."""
    p = len(xs[0])
    gram = [
        [Fraction(sum(r[i] * r[j] for r in xs)) + (lam if i == j else 0) for j in range(p)]
        for i in range(p)
    ]
    rhs = [Fraction(sum(r[i] * yv for r, yv in zip(xs, ys, strict=True))) for i in range(p)]
    return _solve(gram, rhs)


def _ridge_1d(xs: Any, ys: Any, lam: Fraction) -> Fraction:
    """Exact 1-parameter ridge: Σxy / (Σx² + λ)."""
    return Fraction(sum(a * b for a, b in zip(xs, ys, strict=True))) / (
        sum(a * a for a in xs) + lam
    )


@reg_claim(
    id="REG-2-penalty-shrinks",
    section="2 item 3, 3 steps 1-2",
    paraphrase="The penalty is a function of the parameters added to the loss (loss += "
    "penalty); minimising the sum constrains the size of the parameters.",
    formal="ridge: 0 < λ1 < λ2 ⇒ ‖w_λ2‖ <= ‖w_λ1‖; L1: |prox_{t‖·‖₁}(x)| <= |x|, "
    "non-increasing in t",
    expected="holds",
    corrected="Holds for λ >= 0 (with a negative weight the 'penalty' would reward large "
    "parameters): ‖w_λ‖² = Σ_i (s_i u_iᵀy / (s_i² + λ))² decreases in λ.",
)
def _reg_shrinks(budget: Budget) -> Outcome:
    def shrinks(ex: Any) -> bool:  # exact arithmetic with Fractions
        xs, ys, l1, dl = ex

        def sq(w: list[Fraction]) -> Fraction:
            return sum((v * v for v in w), start=Fraction(0))

        return sq(_ridge_exact(xs, ys, l1 + dl)) <= sq(_ridge_exact(xs, ys, l1))

    def proof() -> bool:
        import sympy as sp

        s, c, lam = sp.symbols("s c lambda", positive=True)
        w2 = (s * c / (s**2 + lam)) ** 2
        deriv = sp.simplify(sp.diff(w2, lam))
        return bool(sp.simplify(deriv + 2 * s**2 * c**2 / (s**2 + lam) ** 3) == 0)

    ridge_out = forall(
        budget,
        strategy=_ridge_cases(),
        holds=shrinks,
        exact=shrinks,
        show=repr,
        proof=Proof(
            "SymPy: d/dλ (s c/(s² + λ))² = -2 s² c²/(s² + λ)³ <= 0 for each singular direction",
            proof,
        ),
        reason_holds="the ridge solution's norm never grows with λ",
    )
    lasso_out = _l1_prox_shrinks(budget)
    both = ridge_out.verdict == lasso_out.verdict == "holds"
    return Outcome(
        "holds" if both else "false",
        "larger penalty weights never enlarge the parameters (L2: ridge solution; "
        "L1: proximal step)"
        if both
        else "a penalty enlarged the parameters",
        counterexample=ridge_out.counterexample or lasso_out.counterexample,
        evidence=tuple(f"L2 (ridge): {e}" for e in ridge_out.evidence)
        + tuple(f"L1 (mlmath.prox_l1): {e}" for e in lasso_out.evidence),
    )


def _soft_threshold(x: Fraction, t: Fraction) -> Fraction:
    return (1 if x > 0 else -1) * max(abs(x) - t, Fraction(0))


def _l1_prox_shrinks(budget: Budget) -> Outcome:
    """|prox_{t‖·‖₁}(x)| <= |x| elementwise and non-increasing in t (mlmath.prox_l1)."""
    quarters = st.integers(-40, 40).map(lambda a: Fraction(a, 4))
    steps = st.integers(1, 20).map(lambda a: Fraction(a, 4))  # prox needs t > 0
    cases = st.tuples(st.lists(quarters, min_size=1, max_size=5), steps, steps)

    def shrinks(ex: Any) -> bool:
        x, t1, dt = ex
        xs = np.array([float(v) for v in x])
        p1 = np.abs(prox_l1(xs, float(t1)))
        p2 = np.abs(prox_l1(xs, float(t1 + dt)))
        return bool(np.all(p2 <= p1) and np.all(p1 <= np.abs(xs)))

    def exact(ex: Any) -> bool:
        x, t1, dt = ex
        return all(
            abs(_soft_threshold(v, t1 + dt)) <= abs(_soft_threshold(v, t1)) <= abs(v) for v in x
        )

    return forall(
        budget,
        strategy=cases,
        holds=shrinks,
        exact=exact,
        show=repr,
        reason_holds="soft-thresholding shrinks every coordinate, more for larger t",
    )


def _noiseless_hurts(budget: Budget) -> Outcome:
    """Noise-free y = x w*: every λ > 0 has a larger test error than λ = 0 (exact)."""
    ints = st.integers(-3, 3)
    cases = st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            st.lists(ints, min_size=n, max_size=n).filter(lambda xs: any(xs)),
            ints,
            ints,
            st.integers(1, 8).map(lambda a: Fraction(a, 4)),
        )
    )

    def errors(ex: Any) -> tuple[Fraction, Fraction]:
        xs, w_true, x_test, lam = ex
        ys = [a * w_true for a in xs]
        err0 = (x_test * _ridge_1d(xs, ys, Fraction(0)) - x_test * w_true) ** 2
        err = (x_test * _ridge_1d(xs, ys, lam) - x_test * w_true) ** 2
        return err0, err

    def show(ex: Any) -> str:
        xs, w_true, x_test, lam = ex
        err0, err = errors(ex)
        return (
            f"x = {xs}, w* = {w_true}, y = x w* (no noise), test point {x_test}, "
            f"λ = {fmt(lam)}: test error {fmt(err)} > {fmt(err0)} at λ = 0"
        )

    return exists(
        budget,
        strategy=cases,
        witness=lambda ex: errors(ex)[1] > errors(ex)[0],
        exact=lambda ex: errors(ex)[1] > errors(ex)[0],
        show=show,
        reason_found="regularisation hurts on noise-free data",
        reason_none="no case where it hurts",
    )


def _hoerl_kennard() -> Outcome:
    import sympy as sp

    s, w, sigma, lam = sp.symbols("s w sigma lambda", positive=True)
    # one parameter, Σx² = s: E(w_λ - w)² = (λ² w² + s σ²)/(s + λ)²
    risk = (lam**2 * w**2 + s * sigma**2) / (s + lam) ** 2
    slope = sp.simplify(sp.diff(risk, lam).subs(lam, 0))
    return established(
        sp.simplify(slope + 2 * sigma**2 / s**2) == 0,
        "the expected error decreases at λ = 0 when σ > 0",
        evidence=(f"SymPy: d/dλ E(w_λ - w)² at λ = 0 = {slope}",),
    )


@reg_claim(
    id="REG-3-generalisation",
    section="3 step 3 (and intro)",
    paraphrase="By constraining complexity, regularisation makes the model perform better on "
    "new data, which solves overfitting.",
    formal="∀ data, λ > 0: test error(w_λ) <= test error(w_0)",
    expected="conditional",
    corrected="Only for a well-chosen λ on noisy, under-determined problems: some small λ > 0 "
    "lowers the expected error when there is noise (Hoerl & Kennard 1970), but a "
    "large λ underfits and on noise-free data every λ > 0 hurts. Choose λ by "
    "validation.",
)
def _reg_generalisation(budget: Budget) -> Outcome:
    rows = ridge_experiment()
    test = {lam: te for lam, _, te in rows}
    best = min(test, key=test.__getitem__)
    table = (f"ridge, n = 20, p = 15, σ = 1, seed 0: {_table(rows)}",)
    helps = established(
        best > 0 and test[best] < test[0.0],
        f"best λ = {best:g} beats least squares",
        evidence=table,
    )
    too_big = established(
        test[LAMBDAS[-1]] > test[0.0],
        f"λ = {LAMBDAS[-1]:g} is worse than least squares",
        evidence=table,
    )
    literal = refuted_by(
        _noiseless_hurts(budget), "on noise-free data every λ > 0 makes the new-data error worse"
    )
    hk = _hoerl_kennard()
    out = needs_condition(
        literal,
        helps,
        condition="noisy data and a well-chosen λ (seeded experiment)",
        reason="helps only for a well-chosen λ; too much regularisation or noise-free data "
        "makes new-data error worse",
    )
    return replace(
        out,
        evidence=(
            *out.evidence,
            f"{too_big.verdict}: {too_big.reason}",
            f"{hk.verdict}: {hk.reason}; {'; '.join(hk.evidence)}",
        ),
    )


#: Entries no computation can decide: judged editorially (quoted phrase; what is missing or
#: what the references say).
REG_EDITORIAL: tuple[Editorial, ...] = (
    Editorial(
        id="REG-0-definition",
        section="intro, 1, 2 item 2",
        paraphrase="Regularisation prevents overfitting by adding a penalty term during training "
        "that constrains the model's complexity; overfitting is common in deep "
        "learning.",
        verdict="conditional",
        quote="通过在模型训练过程中添加惩罚项",
        judgement="penalty terms (ridge: Hoerl & Kennard 1970; lasso: Tibshirani 1996) are one "
        "family; Goodfellow et al. 2016, ch. 7, define regularisation as any change "
        "that reduces generalisation error, including dropout and early stopping, "
        "which add no penalty term",
        corrected="Penalties (L1, L2, elastic net) are one family; regularisation in general is "
        "any change meant to reduce generalisation error rather than training error, "
        "including dropout, early stopping, data augmentation (Goodfellow et al. "
        "2016, ch. 7).",
    ),
    Editorial(
        id="REG-3-evaluate",
        section="3 step 3",
        paraphrase="Finally, evaluate the trained model to verify whether regularisation "
        "prevented overfitting.",
        verdict="vague",
        quote="通过对模型的训练结果进行评估",
        judgement="no evaluation criterion or data split is specified",
        corrected="Compare error on held-out data across penalty strengths (validation), as "
        "the experiment of REG-3-generalisation does.",
    ),
    Editorial(
        id="REG-4-l1",
        section="4, item 1",
        paraphrase="L1 regularisation is one of the main types.",
        verdict="holds",
        quote="L1正则化",
        judgement="the L1 penalty λ‖w‖₁ of the lasso (Tibshirani 1996) is a standard "
        "regulariser; a name, nothing to compute",
        corrected="Holds (the lasso).",
    ),
    Editorial(
        id="REG-4-truncated",
        section="4 (cut off)",
        paraphrase="The list of regularisation types stops after its first item.",
        verdict="vague",
        quote="L1正则化",
        judgement="the source text ends mid-list",
        corrected="Nothing to check beyond REG-4-l1.",
    ),
)

register_editorial("REG", REG_EDITORIAL)
