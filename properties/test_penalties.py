"""Properties of penalties and proximal operators (mlmath.penalties).

Each test states one theorem of convex analysis (Parikh & Boyd, "Proximal
Algorithms", 2014 = [PB14]; Beck, "First-Order Methods in Optimization", 2017
= [Beck17]); ``mm`` is the implementation under test.  The deliberately broken
implementations each property must catch are in one table at the bottom.

Oracles (group norms, subdifferentials, dual-ball projections, the prox
objective) are written here in float64 NumPy from the definitions, never with
the implementation under test.  Tolerances are in units of the dtype's eps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlmath
from mlmath import strategies as mst
from mlmath.testing import assert_all, assert_close_eps, expect_property_failure, mutant

PENALTIES = ["l1", "squared_l2", "elastic_net", "group_lasso", "huber"]
PROXES = ["l1", "squared_l2", "elastic_net", "group_lasso"]
HOMOGENEITY_DEGREE = {"l1": 1, "group_lasso": 1, "squared_l2": 2}
GRADIENTS = {"l1": "l1_subgradient", "squared_l2": "squared_l2_grad",
             "elastic_net": "elastic_net_subgradient"}


# ---------------------------------------------------------------------------
# drawing hyperparameters and calling the implementation
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def name() -> None:
    """None: a property draws the function under test; a meta-test passes one."""
    return None


def _choose(data: st.DataObject, name: str | None, choices: list[str]) -> str:
    """The function under test: given by a meta-test, else drawn (one run covers all)."""
    return name if name is not None else data.draw(st.sampled_from(choices), label="name")


def _eps(dtype: Any) -> float:
    return float(np.finfo(dtype).eps)


def _draw_kwargs(data: st.DataObject, name: str, shape: tuple[int, ...], dtype: Any,
                 *, positive: bool = False) -> dict[str, Any]:
    """Hyperparameters of penalty ``name`` (``positive``: alpha > 0 and l1_ratio
    such that the penalty vanishes only at 0)."""
    if name == "elastic_net":
        alpha, ratio = data.draw(mst.elastic_net_params(allow_zero_alpha=not positive),
                                 label="alpha, l1_ratio")
        return {"alpha": alpha, "l1_ratio": ratio}
    if name == "group_lasso":
        return {"groups": data.draw(mst.group_labels(shape), label="groups"),
                "sqrt_size_weights": data.draw(st.booleans(), label="sqrt_size_weights")}
    if name == "huber":
        return {"delta": data.draw(mst.huber_deltas(dtype=dtype), label="delta")}
    return {}


def _penalty(mm: Any, name: str, w: Any, kw: dict[str, Any]) -> float:
    return float(getattr(mm, name)(w, **kw))


def _prox(mm: Any, name: str, x: Any, t: float, kw: dict[str, Any]) -> np.ndarray:
    u = np.asarray(getattr(mm, f"prox_{name}")(x, t, **kw))
    assert_all(u.shape == np.shape(x) and u.dtype == np.asarray(x).dtype, f"prox_{name}-shape",
               f"shape {np.shape(x)} and dtype {np.asarray(x).dtype}, got {u.shape} {u.dtype}",
               x=x)
    return u


# ---------------------------------------------------------------------------
# float64 oracles from the definitions
# ---------------------------------------------------------------------------

def _separable_weights(name: str, kw: dict[str, Any]) -> tuple[float, float]:
    """(lam1, lam2) with f = lam1 * ||w||_1 + lam2/2 * ||w||^2 for the separable penalties."""
    if name == "l1":
        return 1.0, 0.0
    if name == "squared_l2":
        return 0.0, 2.0
    alpha, ratio = kw["alpha"], kw["l1_ratio"]
    return alpha * ratio, alpha * (1 - ratio)


def _group_view(v: Any, kw: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per element: the norm of its group and the group's weight c_g (float64).

    Plain sqrt(sum of squares): the drawn values (|v| <= 1e5) cannot overflow.
    """
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    _, index, sizes = np.unique(np.asarray(kw["groups"]).reshape(-1), return_inverse=True,
                                return_counts=True)
    norms = np.sqrt(np.bincount(index, weights=v * v, minlength=sizes.size))
    weights = np.sqrt(sizes) if kw["sqrt_size_weights"] else np.ones(sizes.size)
    return v, norms[index], weights[index]


def _reference_penalty(name: str, w: Any, kw: dict[str, Any]) -> float:
    if name == "group_lasso":
        v, norms, weights = _group_view(w, kw)
        _, first = np.unique(np.asarray(kw["groups"]).reshape(-1), return_index=True)
        return float(np.sum(weights[first] * norms[first]))
    lam1, lam2 = _separable_weights(name, kw)
    v = np.asarray(w, dtype=np.float64)
    return lam1 * float(np.sum(np.abs(v))) + lam2 / 2 * float(np.sum(v * v))


def _prox_objective(name: str, u: Any, x: Any, t: float, kw: dict[str, Any]) -> float:
    """t * f(u) + ||u - x||^2 / 2: the prox minimises it (scaled by t)."""
    d = np.asarray(u, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    return t * _reference_penalty(name, u, kw) + float(np.sum(d * d)) / 2


def _distance_to_subdifferential(name: str, u: Any, g: Any, kw: dict[str, Any]) -> np.ndarray:
    """Per element, how far g is from the subdifferential of f at u."""
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    g = np.asarray(g, dtype=np.float64).reshape(-1)
    if name == "group_lasso":
        _, unorms, c = _group_view(u, kw)
        _, gnorms, _ = _group_view(g, kw)
        with np.errstate(invalid="ignore", divide="ignore"):
            direction = np.where(unorms > 0, u / unorms, 0.0)
        inside = np.maximum(gnorms - c, 0.0)  # u_g = 0: the ball of radius c_g
        return np.where(unorms > 0, np.abs(g - c * direction), inside)
    lam1, lam2 = _separable_weights(name, kw)
    smooth = g - lam2 * u
    at_kink = np.maximum(np.abs(smooth) - lam1, 0)  # u_i = 0: the interval [-lam1, lam1]
    return np.where(u != 0, np.abs(smooth - lam1 * np.sign(u)), at_kink)


def _conjugate_prox(name: str, z: np.ndarray, t: float, kw: dict[str, Any]) -> np.ndarray:
    """prox of f*/t at z, from the conjugate f* (closed forms).

    Separable f = lam1 |.| + lam2/2 (.)^2 has f*(y) = sum (|y_i| - lam1)_+^2 / (2 lam2),
    the indicator of the inf-ball of radius lam1 when lam2 = 0.  Its prox keeps
    |z_i| <= lam1 and shrinks the excess by lam2 t / (1 + lam2 t): for l1 the
    projection clip(z, -1, 1), for squared_l2 (lam2 = 2) 2t z / (1 + 2t).
    """
    if name != "group_lasso":
        lam1, lam2 = _separable_weights(name, kw)
        excess = np.maximum(np.abs(z) - lam1, 0) * (lam2 * t / (1 + lam2 * t))
        return np.clip(z, -lam1, lam1) + np.sign(z) * excess
    flat, norms, c = _group_view(z, kw)  # f* = indicator of the per-group 2-balls
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(norms > c, c / norms, 1.0)
    return (flat * scale).reshape(np.shape(z))


# ---------------------------------------------------------------------------
# penalties: norms and convexity
# ---------------------------------------------------------------------------

@given(data=st.data())
def test_penalty_is_nonnegative(mm, name, data):
    """f(w) >= 0 for every finite w (never NaN, even where squares overflow)."""
    name = _choose(data, name, PENALTIES)
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    w = data.draw(mst.extreme_penalty_arrays(dtype=dtype), label="w")
    kw = _draw_kwargs(data, name, w.shape, dtype)
    with np.errstate(over="ignore"):  # an infinite value is the correctly rounded one
        value = _penalty(mm, name, w, kw)
    assert_all(value >= 0, f"{name}-nonnegative", f"{name}(w) >= 0, got {value!r}", w=w, **kw)


@given(data=st.data())
def test_penalty_is_zero_only_at_zero(mm, name, data):
    """f(0) = 0 and f(w) > 0 for w != 0 (alpha > 0, delta > 0): a penalty, not a seminorm."""
    name = _choose(data, name, PENALTIES)
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    w = data.draw(mst.penalty_arrays(dtype=dtype), label="w")
    kw = _draw_kwargs(data, name, w.shape, dtype, positive=True)
    zero = _penalty(mm, name, np.zeros_like(w), kw)
    assert_all(zero == 0, f"{name}-zero", f"{name}(0) == 0, got {zero!r}", w=w, **kw)
    # Also the sign-cancelling array [w, -w] (same labels for the two halves):
    # sums of signed entries vanish there.
    doubled = {**kw, "groups": np.stack([kw["groups"]] * 2)} if "groups" in kw else kw
    for v, v_kw in ((w, kw), (np.stack([w, -w]), doubled)):
        value = _penalty(mm, name, v, v_kw)
        assert_all((value > 0) == bool(np.any(v != 0)), f"{name}-zero",
                   f"{name}(w) > 0 exactly when w != 0, got {value!r}", w=v, **v_kw)


@given(data=st.data())
def test_penalty_is_convex(mm, name, data):
    """Jensen: f(lam x + (1 - lam) y) <= lam f(x) + (1 - lam) f(y) for lam in [0, 1]."""
    name = _choose(data, name, PENALTIES)
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    x, y = data.draw(mst.penalty_array_pairs(dtype=dtype), label="x, y")
    lam = data.draw(st.floats(0, 1), label="lam")
    kw = _draw_kwargs(data, name, x.shape, dtype)
    z = (lam * x.astype(np.float64) + (1 - lam) * y.astype(np.float64)).astype(dtype)
    chord = lam * _penalty(mm, name, x, kw) + (1 - lam) * _penalty(mm, name, y, kw)
    value = _penalty(mm, name, z, kw)
    # Rounding z to the dtype moves f(z) by <= 2 eps relative (degree <= 2), the
    # sums of <= 64 non-negative terms by <= 7 eps: 16 eps of the chord is safe.
    tol = 16 * _eps(dtype) * chord
    assert_all(value <= chord + tol, f"{name}-jensen", f"f(z) = {value!r} <= chord {chord!r}",
               x=x, y=y, lam=lam, **kw)


@given(data=st.data())
def test_norm_is_positively_homogeneous(mm, name, data):
    """f(c w) = c**k f(w) for c > 0: k = 1 for the norms, k = 2 for squared_l2."""
    name = _choose(data, name, list(HOMOGENEITY_DEGREE))
    degree = HOMOGENEITY_DEGREE[name]
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    w = data.draw(mst.penalty_arrays(dtype=dtype), label="w")
    c = data.draw(st.floats(1e-2, 1e2), label="c")
    kw = _draw_kwargs(data, name, w.shape, dtype)
    scaled = _penalty(mm, name, (c * w.astype(np.float64)).astype(dtype), kw)
    # Rounding c*w costs k/2 eps, the sums <= 7 eps and the norms a few more.
    assert_close_eps(scaled, c**degree * _penalty(mm, name, w, kw), prop=f"{name}-homogeneous",
                     rtol_eps=16, eps=_eps(dtype), w=w, c=c, **kw)


@given(data=st.data())
def test_norm_satisfies_triangle_inequality(mm, name, data):
    """f(x + y) <= f(x) + f(y) for the norms l1 and group lasso."""
    name = _choose(data, name, ["l1", "group_lasso"])
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    x, y = data.draw(mst.penalty_array_pairs(dtype=dtype), label="x, y")
    kw = _draw_kwargs(data, name, x.shape, dtype)
    total = _penalty(mm, name, x, kw) + _penalty(mm, name, y, kw)
    value = _penalty(mm, name, (x.astype(np.float64) + y).astype(dtype), kw)
    tol = 16 * _eps(dtype) * total  # as in Jensen: rounding of x + y and of the sums
    assert_all(value <= total + tol, f"{name}-triangle", f"f(x+y) = {value!r} <= {total!r}",
               x=x, y=y, **kw)


@given(data=st.data())
def test_penalty_is_sign_symmetric(mm, name, data):
    """f(s * w) = f(w) for every sign pattern s in {-1, 1}^n."""
    name = _choose(data, name, PENALTIES)
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    w = data.draw(mst.penalty_arrays(dtype=dtype), label="w")
    signs = data.draw(hnp.arrays(dtype, w.shape, elements=st.sampled_from([-1.0, 1.0])),
                      label="signs")
    kw = _draw_kwargs(data, name, w.shape, dtype)
    # Flipping signs is exact and |.| removes it: equal up to summation order (4 eps).
    assert_close_eps(_penalty(mm, name, signs * w, kw), _penalty(mm, name, w, kw),
                     prop=f"{name}-sign-symmetric", rtol_eps=4, eps=_eps(dtype), w=w,
                     signs=signs, **kw)


# ---------------------------------------------------------------------------
# (sub)gradients
# ---------------------------------------------------------------------------

@given(data=st.data())
def test_gradient_matches_finite_differences(mm, name, data):
    """<grad f(x), d> = (f(x + h d) - f(x - h d)) / (2h) away from kinks.

    For Huber the gradient is x - prox_l1(x, delta): the Moreau-envelope
    identity grad huber = x - prox, checked against differences of huber.

    Each penalty is piecewise quadratic, so the central difference is exact
    on a segment without kinks; only rounding of f (about eps f / h) remains.
    Directions avoid the kinks: d_i = 0 where x_i = 0 (l1, elastic net), and
    for Huber the segment must not cross |x_i| = delta.
    """
    name = _choose(data, name, ["l1", "squared_l2", "elastic_net", "huber"])
    x = data.draw(mst.penalty_arrays(min_magnitude=0.1, max_magnitude=10.0), label="x")
    d = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-1, 1)), label="d")
    kw = _draw_kwargs(data, name, x.shape, np.float64)
    h = 0.05  # < min |x_i| = 0.1: no sign change along the segment
    if name in ("l1", "elastic_net"):
        d = np.where(x == 0, 0.0, d)
    if name == "huber":
        assume(np.all(np.abs(np.abs(x) - kw["delta"]) > h * np.abs(d) * 1.01))
    plus, minus = _penalty(mm, name, x + h * d, kw), _penalty(mm, name, x - h * d, kw)
    if name == "huber":  # the gradient of a Moreau envelope: x - prox ([PB14] 3.1)
        grad = x - np.asarray(mm.prox_l1(x, kw["delta"]))
    else:
        grad = np.asarray(getattr(mm, GRADIENTS[name])(x, **kw))
    directional = float(np.sum(grad * d))
    # Rounding of each f value (<= 8 eps |f|) divided by 2h, plus the dot product.
    tol = 8 * _eps(np.float64) * ((abs(plus) + abs(minus)) / (2 * h) + np.sum(np.abs(grad * d)))
    fd = (plus - minus) / (2 * h)
    assert_all(abs(directional - fd) <= tol, f"{name}-gradient",
               f"<grad, d> = {directional!r} equal to the central difference {fd!r}",
               x=x, d=d, **kw)


@given(data=st.data())
def test_subgradient_is_minimum_norm_element(mm, name, data):
    """The subgradient lies in the subdifferential and is 0 where w_i = 0 (minimum norm)."""
    name = _choose(data, name, ["l1", "elastic_net"])
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    w = data.draw(mst.penalty_arrays(dtype=dtype), label="w")
    kw = _draw_kwargs(data, name, w.shape, dtype)
    g = np.asarray(getattr(mm, GRADIENTS[name])(w, **kw))
    assert_all(g[w == 0] == 0, f"{name}-subgradient-min-norm", "g = 0 where w = 0", w=w, **kw)
    lam1, lam2 = _separable_weights(name, kw)
    scale = lam1 + lam2 * np.abs(w.astype(np.float64)).reshape(-1)
    # Two products and a sum in the dtype: 2 eps of the magnitude.
    assert_all(_distance_to_subdifferential(name, w, g, kw) <= 2 * _eps(dtype) * scale,
               f"{name}-subgradient", "g in the subdifferential of f at w", w=w, g=g, **kw)


# ---------------------------------------------------------------------------
# proximal operators
# ---------------------------------------------------------------------------

def _draw_prox_case(data: st.DataObject, name: str, *, pair: bool = False) -> Any:
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    if pair:
        x, y = data.draw(mst.penalty_array_pairs(dtype=dtype), label="x, y")
    else:
        x = y = data.draw(mst.penalty_arrays(dtype=dtype), label="x")
    t = data.draw(mst.prox_steps(dtype=dtype), label="t")
    return dtype, x, y, t, _draw_kwargs(data, name, x.shape, dtype)


@given(data=st.data())
def test_prox_satisfies_optimality_condition(mm, name, data):
    """u = prox_{tf}(x) iff (x - u) / t is in the subdifferential of f at u ([PB14] ch. 3)."""
    name = _choose(data, name, PROXES)
    dtype, x, _, t, kw = _draw_prox_case(data, name)
    u = _prox(mm, name, x, t, kw)
    g = (x.astype(np.float64) - u) / t
    lam1, lam2 = _separable_weights(name, kw) if name != "group_lasso" else (1.0, 0.0)
    weight = np.sqrt(x.size) if name == "group_lasso" else 1.0
    # u carries ~2 eps relative error: g moves by 2 eps |x| / t, the expected
    # subgradient by 2 eps (lam2 |u| + weights); 8 eps of their sum.
    magnitude = np.abs(x.astype(np.float64)).reshape(-1)
    tol = 8 * _eps(dtype) * (magnitude / t + lam2 * magnitude + lam1 * weight + 1)
    assert_all(_distance_to_subdifferential(name, u, g, kw) <= tol, f"prox_{name}-optimality",
               "(x - u)/t in the subdifferential of f at u", x=x, t=t, u=u, **kw)


@given(data=st.data())
def test_prox_is_firmly_nonexpansive(mm, name, data):
    """||P(x) - P(y)||^2 <= <P(x) - P(y), x - y> for P = prox of a convex f ([Beck17] ch. 6)."""
    name = _choose(data, name, PROXES)
    dtype, x, y, t, kw = _draw_prox_case(data, name, pair=True)
    du = _prox(mm, name, x, t, kw).astype(np.float64) - _prox(mm, name, y, t, kw)
    dx = x.astype(np.float64) - y
    lhs, rhs = float(np.sum(du * du)), float(np.sum(du * dx))
    # Each prox value is off by ~2 eps of |x|: both sides move by about
    # 4 eps (||x|| + ||y||)(||du|| + ||dx||).
    size = np.linalg.norm(x.astype(np.float64)) + np.linalg.norm(y.astype(np.float64))
    tol = 8 * _eps(dtype) * size * (np.linalg.norm(du) + np.linalg.norm(dx))
    assert_all(lhs <= rhs + tol, f"prox_{name}-firmly-nonexpansive",
               f"||du||^2 = {lhs!r} <= <du, dx> = {rhs!r}", x=x, y=y, t=t, **kw)


@given(data=st.data())
def test_prox_satisfies_moreau_decomposition(mm, name, data):
    """x = prox_{tf}(x) + t prox_{f*/t}(x/t) with f* the convex conjugate ([PB14] 2.5).

    For the norms f* is the indicator of the dual-norm ball: the inf-ball for
    l1, the per-group 2-balls of radius c_g for the group lasso.  For
    squared_l2, f*(y) = ||y||^2 / 4; for the elastic net f* is a Huber-like
    function (see ``_conjugate_prox``).
    """
    name = _choose(data, name, PROXES)
    dtype, x, _, t, kw = _draw_prox_case(data, name)
    x64 = x.astype(np.float64)
    rebuilt = _prox(mm, name, x, t, kw) + t * _conjugate_prox(name, x64 / t, t, kw)
    # The prox is off by ~2 eps |x|; the float64 oracle adds nothing visible.
    assert_close_eps(rebuilt, x64, prop=f"prox_{name}-moreau", rtol_eps=4,
                     atol_eps=4 * float(np.max(np.abs(x64), initial=0.0)), eps=_eps(dtype),
                     x=x, t=t, **kw)


@given(case=mst.soft_threshold_cases())
@example(case=(np.array([1.0, -1.0]), 49.0))  # 49 * (1 / 49) != 1: a Moreau-form residue
def test_prox_l1_zeros_exactly_where_below_threshold(mm, case):
    """prox_l1(x, t)_i == 0 exactly iff |x_i| <= t, and keeps the sign of x_i otherwise."""
    x, t = case
    u = _prox(mm, "l1", x, t, {})
    below = np.abs(x) <= t
    assert_all((u == 0) == below, "prox_l1-exact-zeros", "u == 0 exactly where |x| <= t",
               x=x, t=t, u=u)
    assert_all(np.sign(u[~below]) == np.sign(x[~below]), "prox_l1-sign",
               "sign(u) = sign(x) where |x| > t", x=x, t=t, u=u)


@given(data=st.data())
def test_prox_elastic_net_is_composition(mm, data):
    """prox_{t(g + mu/2 ||.||^2)}(x) = prox_{s g}(x / (1 + t mu)), s = t / (1 + t mu) ([PB14] 2.2).

    With g = alpha l1_ratio ||.||_1 and mu = alpha (1 - l1_ratio).
    """
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    x = data.draw(mst.penalty_arrays(dtype=dtype), label="x")
    t = data.draw(mst.prox_steps(dtype=dtype), label="t")
    alpha, ratio = data.draw(mst.elastic_net_params(allow_zero_alpha=False), label="params")
    lam1, mu = alpha * ratio, alpha * (1 - ratio)
    shrink = 1 + t * mu
    shrunk = (x.astype(np.float64) / shrink).astype(dtype)
    # The l1 threshold can underflow to 0 (l1_ratio may be 5e-324): prox of 0 * l1 is the
    # identity, and prox_l1 (which needs t > 0) is not called.
    threshold = t * lam1 / shrink
    composed = mm.prox_l1(shrunk, threshold) if threshold > 0 else shrunk
    direct = mm.prox_elastic_net(x, t, alpha=alpha, l1_ratio=ratio)
    # Both round the threshold and the shrunk x (1 eps each, of |x| + threshold).
    scale = float(np.max(np.abs(x.astype(np.float64)), initial=0.0) + t * lam1) / shrink
    assert_close_eps(direct, composed, prop="prox_elastic_net-composition", rtol_eps=4,
                     atol_eps=4 * scale, eps=_eps(dtype), x=x, t=t, alpha=alpha, l1_ratio=ratio)


@given(data=st.data())
def test_huber_is_moreau_envelope_of_scaled_abs(mm, data):
    """huber(x, delta) = min_u delta |u| + (u - x)^2 / 2, attained at u = prox_l1(x, delta)."""
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    x = data.draw(mst.penalty_arrays(dtype=dtype), label="x")
    delta = data.draw(mst.huber_deltas(dtype=dtype), label="delta")
    u = np.asarray(mm.prox_l1(x, delta), dtype=np.float64)
    envelope = delta * np.sum(np.abs(u)) + np.sum((u - x) ** 2) / 2
    # Two roundings per Huber term, <= 7 in the sums; u itself is exact-ish.
    assert_close_eps(mm.huber(x, delta), envelope, prop="huber-moreau-envelope", rtol_eps=16,
                     eps=_eps(dtype), x=x, delta=delta)


def _competitors(u: np.ndarray, x: np.ndarray, t: float, extra: np.ndarray,
                 coords: list[int]) -> list[np.ndarray]:
    """Brute force: 0, x, 1% rescalings, a random point, and steps of +-t/2 and
    +-t/64 along the drawn coordinates."""
    u64 = u.astype(np.float64).reshape(-1)
    out = [np.zeros_like(u64), x.astype(np.float64).reshape(-1), u64 * 1.01, u64 * 0.99,
           u64 + extra.reshape(-1)]
    for i in coords:
        for step in (t / 2, -t / 2, t / 64, -t / 64):
            v = u64.copy()
            v[i] += step
            out.append(v)
    return [v.reshape(u.shape) for v in out]


@given(data=st.data())
def test_prox_value_is_no_worse_than_competitors(mm, name, data):
    """t f(u) + ||u - x||^2 / 2 at u = prox_{tf}(x) is <= its value at any competitor."""
    name = _choose(data, name, PROXES)
    dtype, x, _, t, kw = _draw_prox_case(data, name)
    extra = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-10, 10)), label="extra")
    coords = data.draw(st.lists(st.integers(0, x.size - 1), min_size=1, max_size=8, unique=True),
                       label="coordinates")
    u = _prox(mm, name, x, t, kw)
    best = _prox_objective(name, u, x, t, kw)
    # u is the dtype's rounding of the minimiser: the objective moves by about
    # 2 eps (t f(x) + ||x||^2) (f is Lipschitz on the relevant ball).
    x64 = x.astype(np.float64)
    tol = 8 * _eps(dtype) * (t * _reference_penalty(name, x, kw) + float(np.sum(x64 * x64)))
    for v in _competitors(u, x, t, extra, coords):
        other = _prox_objective(name, v, x, t, kw)
        assert_all(best <= other + tol, f"prox_{name}-minimises",
                   f"objective {best!r} at the prox <= {other!r} at a competitor",
                   x=x, t=t, competitor=v, **kw)


@given(data=st.data())
def test_prox_shrinks_toward_zero(mm, name, data):
    """0 <= u_i x_i and |u_i| <= |x_i| for every finite x, huge or tiny (no overflow, no NaN)."""
    name = _choose(data, name, PROXES)
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    x = data.draw(mst.extreme_penalty_arrays(dtype=dtype), label="x")
    t = data.draw(mst.prox_steps(dtype=dtype), label="t")
    kw = _draw_kwargs(data, name, x.shape, dtype)
    u = _prox(mm, name, x, t, kw)
    assert_all(np.isfinite(u) & (np.abs(u) <= np.abs(x)) & (np.sign(u) * np.sign(x) >= 0),
               f"prox_{name}-shrinks", "finite u with |u| <= |x| and the sign of x",
               x=x, t=t, u=u, **kw)


@given(data=st.data())
def test_group_lasso_has_no_spurious_overflow(mm, data):
    """group_lasso is accurate for any finite w whose value is representable (hypot-style)."""
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    # Moderate entries times 2**k (exact) spanning the whole exponent range,
    # keeping 64 * max |w_i| (a bound on the value) finite and entries normal.
    limit = np.finfo(dtype).maxexp - 20
    # The exponent range's ends (where naive squares overflow or underflow) are
    # drawn often, not left to chance among ~2000 exponents.
    k = data.draw(st.sampled_from([-limit, limit]) | st.integers(-limit, limit), label="k")
    w = np.ldexp(data.draw(mst.penalty_arrays(dtype=dtype), label="m"), k).astype(dtype)
    groups = data.draw(mst.group_labels(w.shape), label="groups")
    flat, labels = w.astype(np.float64).reshape(-1), groups.reshape(-1)
    # math.hypot scales internally: an overflow-free float64 oracle (float32
    # squares overflow at 1.8e19; float64 ones at 1.3e154).
    expected = sum(math.hypot(*flat[labels == g]) for g in np.unique(labels))
    # <= 64 terms per group: about (1 + n/2) eps for the norm, 6 eps for the sum;
    # the absolute term admits a subnormal result rounded to the dtype.
    tiny = float(np.finfo(dtype).smallest_subnormal) / _eps(dtype)
    assert_close_eps(mm.group_lasso(w, groups), expected, prop="group_lasso-no-overflow",
                     rtol_eps=40, atol_eps=tiny, eps=_eps(dtype), w=w, groups=groups)


# ---------------------------------------------------------------------------
# meta-tests: every property catches a realistic broken implementation
# ---------------------------------------------------------------------------

def _naive_group_norms(w: Any, groups: Any) -> tuple[np.ndarray, np.ndarray]:
    """sqrt(sum of squares) per group (overflows past 1e154) and each element's group."""
    _, index = np.unique(np.asarray(groups).reshape(-1), return_inverse=True)
    flat = np.asarray(w).reshape(-1)
    with np.errstate(over="ignore"):  # the overflow is the defect being planted
        norms = np.sqrt(np.bincount(index, weights=flat.astype(np.float64) ** 2))
    return norms, index


def _squared_group_norms(w, groups, **_):
    """Bug: sum of *squared* group norms (not a norm: degree 2, no triangle inequality)."""
    norms, _ = _naive_group_norms(w, groups)
    return np.sum(norms**2)


def _elementwise_group_prox(x, t, groups, **_):
    """Bug: soft-thresholds each element instead of each block."""
    return mlmath.prox_l1(x, t)


def _group_prox_without_positive_part(x, t, groups, **_):
    """Bug: the shrink factor 1 - t / ||x_g|| without max(., 0) flips small groups."""
    norms, index = _naive_group_norms(x, groups)
    with np.errstate(all="ignore"):
        factor = np.where(norms > 0, 1 - t / norms, 0)[index].reshape(np.shape(x))
    return (x * factor).astype(np.asarray(x).dtype)


def _soft_threshold_sign_error(x, t):
    """Bug: x + clip(x, -t, t) instead of x - clip(x, -t, t) (expansive)."""
    return np.asarray(x + np.clip(x, -t, t), dtype=np.asarray(x).dtype)


def _soft_via_moreau(x, t):
    """Bug: x - t * clip(x / t, -1, 1) leaves 1e-17 residues instead of exact zeros."""
    return np.asarray(x - t * np.clip(x / t, -1, 1), dtype=np.asarray(x).dtype)


def _en_threshold_after_shrink(x, t, *, alpha=1.0, l1_ratio=0.5):
    """Bug: shrinks first, then thresholds with the unscaled threshold t alpha rho."""
    shrunk = (x / (1 + t * alpha * (1 - l1_ratio))).astype(np.asarray(x).dtype)
    threshold = t * alpha * l1_ratio
    return mlmath.prox_l1(shrunk, threshold) if threshold > 0 else shrunk


def _en_swapped_weights(x, t, *, alpha=1.0, l1_ratio=0.5):
    """Bug: l1_ratio weighs the ridge part (the other library's convention)."""
    return mlmath.prox_elastic_net(x, t, alpha=alpha, l1_ratio=1 - l1_ratio)


def _huber_without_abs(x, delta=1.0):
    """Bug: branches on x instead of |x|."""
    x = np.asarray(x, dtype=np.float64)
    return np.sum(np.where(x <= delta, x**2 / 2, delta * (x - delta / 2)))


# ---------------------------------------------------------------------------
# projections, prox_linf, prox_huber, the nuclear norm (issue 16)
# ---------------------------------------------------------------------------

_VECTORS = hnp.arrays(np.float64, st.integers(1, 6), elements=st.just(0.0) | st.floats(-5, 5))
_RADII = st.sampled_from([1.0, 0.5, 2.0]) | st.floats(0.01, 10.0)


@given(x=_VECTORS, radius=_RADII)
@example(x=np.array([0.75, 0.25, 0.5, 0.5]), radius=1.0)
def test_simplex_projection_satisfies_its_optimality_condition(mm, x, radius):
    """y = P(x) is on the simplex, and x - y is theta on the support and <= theta off
    it (the KKT conditions of min ||y - x||^2 over the simplex)."""
    y = mm.project_simplex(x, radius=radius)
    eps = np.finfo(np.float64).eps
    scale = radius + float(np.max(np.abs(x)))
    assert_all(y >= 0, "simplex-proj", "y >= 0", x=x, radius=radius)
    # y = x - theta: rounding of order eps |x| per entry, whatever the radius
    assert_close_eps(np.sum(y), radius, prop="simplex-proj", rtol_eps=0,
                     atol_eps=(x.size + 2) * scale, x=x, radius=radius)
    gap = x - y
    theta = gap[y > 0]
    assert_all(np.ptp(theta) <= 8 * eps * scale, "simplex-proj",
               "x - y constant on the support", x=x, y=y)
    assert_all(np.all(gap[y == 0] <= np.max(theta) + 8 * eps * scale), "simplex-proj",
               "x - y <= theta off the support", x=x, y=y)


@given(x=_VECTORS, radius=_RADII)
def test_l1_ball_projection_is_the_closest_point_of_the_ball(mm, x, radius):
    """P(x) lies in the ball, is x itself inside it, and no point of the ball's boundary
    obtained by radial scaling or by simplex projection of |x| is closer."""
    y = mm.project_l1_ball(x, radius=radius)
    eps = np.finfo(np.float64).eps
    norm = float(np.sum(np.abs(x)))
    slack = (x.size + 2) * eps * (radius + float(np.max(np.abs(x), initial=0.0)))
    assert_all(np.sum(np.abs(y)) <= radius + slack, "l1-ball", "||P(x)||_1 <= r", x=x,
               radius=radius)
    if norm <= radius:
        assert_all(y == x, "l1-ball", "P(x) = x inside", x=x)
        return
    radial = x * (radius / norm)
    assert_all(np.sum((y - x) ** 2) <= np.sum((radial - x) ** 2) * (1 + 8 * eps) + 1e-300,
               "l1-ball", "no farther than the radial point", x=x, radius=radius)


@given(x=_VECTORS, t=_RADII)
def test_prox_linf_satisfies_moreau_decomposition(mm, x, t):
    """prox_{t ||.||_inf}(x) + P_{||y||_1 <= t}(x) = x, and the prox is no farther
    from optimal than a perturbed point (objective t max|u| + ||u - x||^2 / 2)."""
    u = mm.prox_linf(x, t)
    eps = np.finfo(np.float64).eps
    scale = float(np.max(np.abs(x), initial=0.0)) + t
    assert_close_eps(u + mm.project_l1_ball(x, radius=t), x, prop="prox-linf-moreau",
                     rtol_eps=0, atol_eps=8 * scale, x=x, t=t)

    def objective(w):
        return t * np.max(np.abs(w), initial=0.0) + 0.5 * np.sum((w - x) ** 2)
    for step in (1e-3, -1e-3):
        for k in range(x.size):
            w = u.copy()
            w[k] += step * scale
            assert_all(objective(u) <= objective(w) + 16 * eps * scale * scale, "prox-linf",
                       "objective at prox <= at a neighbour", x=x, t=t)


@given(x=_VECTORS, t=_RADII, delta=st.sampled_from([0.0, 1.0]) | st.floats(0.01, 5.0))
# delta < |x| <= delta + t: the quadratic branch, where a prox switching at |x| = delta
# (a known library bug) goes wrong; pinned so that `mlmath check` always meets it
@example(x=np.array([1.5, -0.5]), t=1.0, delta=1.0)
def test_prox_huber_satisfies_its_optimality_condition(mm, x, t, delta):
    """u = prox(x): u - x + t huber'(u) = 0 elementwise (huber' = clip(u, -delta, delta))."""
    u = mm.prox_huber(x, t, delta=delta)
    residual = u - x + t * np.clip(u, -delta, delta)
    scale = float(np.max(np.abs(x), initial=0.0)) + t * delta
    assert_close_eps(residual, 0.0, prop="prox-huber", rtol_eps=0, atol_eps=8 * scale,
                     x=x, t=t, delta=delta)


@given(m=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                    elements=st.floats(-5, 5)), t=_RADII)
def test_prox_nuclear_norm_thresholds_the_singular_values(mm, m, t):
    """The singular values of prox(X) are max(sigma - t, 0), and ||X||_* is their sum at
    t = 0 (each compared with numpy.linalg.svd of the input)."""
    sigma = np.linalg.svd(m, compute_uv=False)
    got = np.linalg.svd(mm.prox_nuclear_norm(m, t), compute_uv=False)
    scale = float(sigma.max(initial=0.0)) + t
    assert_close_eps(np.sort(got), np.sort(np.maximum(sigma - t, 0.0)), prop="svt",
                     rtol_eps=0, atol_eps=16 * scale * max(m.shape), m=m, t=t)
    assert_close_eps(mm.nuclear_norm(m), np.sum(sigma), prop="nuclear", rtol_eps=8,
                     atol_eps=8 * scale, m=m)


@given(x=_VECTORS, bounds=st.tuples(st.floats(-5, 5), st.floats(0, 5)))
def test_box_projection_is_idempotent_and_inside(mm, x, bounds):
    """lower <= P(x) <= upper, P(P(x)) = P(x), and P(x) = x for x in the box."""
    lower, width = bounds
    upper = lower + width
    y = mm.project_box(x, lower, upper)
    assert_all((y >= lower) & (y <= upper), "box", "inside the box", x=x)
    assert_all(mm.project_box(y, lower, upper) == y, "box", "idempotent", x=x)
    inside = (x >= lower) & (x <= upper)
    assert_all(y[inside] == x[inside], "box", "identity inside", x=x)


def _simplex_by_clip_and_rescale(x, *, radius=1.0, axis=-1):
    """A common shortcut: clip at 0 and rescale to the radius (not the projection)."""
    y = np.maximum(np.asarray(x, np.float64), 0.0)
    total = np.sum(y, axis=axis, keepdims=True)
    return np.where(total > 0, y * radius / np.where(total > 0, total, 1.0),
                    radius / np.shape(x)[axis])


def _l1_ball_by_radial_scaling(x, *, radius=1.0):
    x = np.asarray(x, np.float64)
    norm = np.sum(np.abs(x))
    return x if norm <= radius else x * (radius / norm) * (1 + 1e-9)


# ---------------------------------------------------------------------------
# sparse group lasso (Simon, Friedman, Hastie, Tibshirani 2013)
# ---------------------------------------------------------------------------

def _draw_sgl_case(data: st.DataObject | st.DrawFn, *, pair: bool = False,
                   ratio: float | None = None) -> Any:
    """(dtype, x, y, t, kw) for the sparse group lasso; ``ratio`` pins l1_ratio.

    ``data`` is a ``st.data()`` object or a composite strategy's ``draw``."""
    draw = data.draw if isinstance(data, st.DataObject) else data
    dtype = draw(mst.float_dtypes(), label="dtype")
    if pair:
        x, y = draw(mst.penalty_array_pairs(dtype=dtype), label="x, y")
    else:
        x = y = draw(mst.penalty_arrays(dtype=dtype), label="x")
    t = draw(mst.prox_steps(dtype=dtype), label="t")
    alpha, drawn = draw(mst.elastic_net_params(), label="alpha, l1_ratio")
    kw = {"groups": draw(mst.group_labels(x.shape), label="groups"),
          "alpha": alpha, "l1_ratio": drawn if ratio is None else ratio,
          "sqrt_size_weights": draw(st.booleans(), label="sqrt_size_weights")}
    return dtype, x, y, t, kw


def _sgl_distance_to_subdifferential(u: Any, g: Any, kw: dict[str, Any]) -> np.ndarray:
    """Per element, how far g is from the subdifferential of the sparse group lasso at u.

    d f(u) = alpha (rho d||u||_1 + (1 - rho) sum_g c_g d||u_g||): in a non-zero group
    the group part is c_g u/||u_g|| and the l1 part sign(u_i), or [-1, 1] at u_i = 0;
    at u_g = 0 it is alpha rho [-1, 1]^g + alpha (1 - rho) c_g B_2, at distance
    max(||soft(g_g, alpha rho)|| - alpha (1 - rho) c_g, 0).
    """
    lam1, lam_g = kw["alpha"] * kw["l1_ratio"], kw["alpha"] * (1 - kw["l1_ratio"])
    u, unorms, c = _group_view(u, kw)
    g = np.asarray(g, dtype=np.float64).reshape(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = np.where(unorms > 0, u / unorms, 0.0)
    smooth = g - lam_g * c * direction
    element = np.where(u != 0, np.abs(smooth - lam1 * np.sign(u)),
                       np.maximum(np.abs(smooth) - lam1, 0.0))
    excess = g - np.clip(g, -lam1, lam1)  # g minus its nearest point of the box
    _, excess_norms, _ = _group_view(excess, kw)
    at_zero = np.maximum(excess_norms - lam_g * c, 0.0)
    return np.where(unorms > 0, element, at_zero)


def _sgl_tolerance(dtype: Any, x: np.ndarray, t: float, kw: dict[str, Any]) -> np.ndarray:
    """u carries ~2 eps relative error (two roundings): g = (x - u)/t moves by
    2 eps |x| / t, the expected subgradient by 2 eps alpha (rho + (1 - rho) c_g);
    8 eps of their sum, per element."""
    _, _, c = _group_view(x, kw)
    magnitude = np.abs(x.astype(np.float64)).reshape(-1)
    scale = kw["alpha"] * (kw["l1_ratio"] + (1 - kw["l1_ratio"]) * c)
    return 8 * _eps(dtype) * (magnitude / t + scale + 1)


@st.composite
def _sgl_cases(draw: st.DrawFn) -> Any:
    """(dtype, x, x, t, kw): one array and the sparse-group-lasso keywords."""
    return _draw_sgl_case(draw)


@given(case=_sgl_cases())
# one group [3, 0.5], both thresholds 0.5: the prox is [2, 0]; shrinking the group
# first and thresholding after gives [2.007, 0], off the optimality condition by 0.007.
@example(case=(np.float64, np.array([3.0, 0.5]), np.array([3.0, 0.5]), 1.0,
               {"groups": np.array([0, 0]), "alpha": 1.0, "l1_ratio": 0.5,
                "sqrt_size_weights": False}))
def test_sparse_group_lasso_prox_satisfies_optimality_condition(mm, case):
    """u = prox_{tf}(x) iff (x - u)/t is in the subdifferential of the sparse group
    lasso at u: soft thresholding followed by group shrinkage is the exact prox
    (Simon et al. 2013, section 3; [PB14] ch. 3)."""
    dtype, x, _, t, kw = case
    u = np.asarray(mm.prox_sparse_group_lasso(x, t, **kw))
    assert_all(u.shape == x.shape and u.dtype == x.dtype, "prox_sgl-shape",
               f"shape {x.shape} and dtype {x.dtype}, got {u.shape} {u.dtype}", x=x)
    g = (x.astype(np.float64) - u) / t
    assert_all(_sgl_distance_to_subdifferential(u, g, kw) <= _sgl_tolerance(dtype, x, t, kw),
               "prox_sgl-optimality", "(x - u)/t in the subdifferential of f at u",
               x=x, t=t, u=u, **kw)


@given(data=st.data())
def test_sparse_group_lasso_subgradient_is_minimum_norm_element(mm, data):
    """The subgradient lies in the subdifferential and is 0 where x_i = 0 (the
    minimum-norm element: 0 is in alpha rho [-1, 1] and in the group ball at 0)."""
    dtype, x, _, _, kw = _draw_sgl_case(data)
    g = np.asarray(mm.sparse_group_lasso_subgradient(x, **kw))
    assert_all(g[x == 0] == 0, "sgl-subgradient-min-norm", "g = 0 where x = 0", x=x, **kw)
    tol = _sgl_tolerance(dtype, np.zeros_like(x), 1.0, kw)
    assert_all(_sgl_distance_to_subdifferential(x, g, kw) <= tol, "sgl-subgradient",
               "g in the subdifferential of f at x", x=x, g=g, **kw)


@st.composite
def _sgl_pairs(draw: st.DrawFn) -> Any:
    """(dtype, x, y, t, kw): two arrays of one shape and the sparse-group-lasso keywords."""
    return _draw_sgl_case(draw, pair=True)


@given(case=_sgl_pairs())
# x and y either side of the l1 threshold t alpha rho = 1: a discontinuous (hard)
# threshold moves by 1 where x - y = 0.02.
@example(case=(np.float64, np.array([1.01, 0.0]), np.array([0.99, 0.0]), 1.0,
               {"groups": np.array([0, 1]), "alpha": 1.0, "l1_ratio": 1.0,
                "sqrt_size_weights": False}))
def test_sparse_group_lasso_prox_is_firmly_nonexpansive(mm, case):
    """||P(x) - P(y)||^2 <= <P(x) - P(y), x - y> for P the prox of a convex f ([Beck17] ch. 6)."""
    dtype, x, y, t, kw = case
    px = np.asarray(mm.prox_sparse_group_lasso(x, t, **kw), dtype=np.float64)
    du = px - np.asarray(mm.prox_sparse_group_lasso(y, t, **kw), dtype=np.float64)
    dx = x.astype(np.float64) - y
    lhs, rhs = float(np.sum(du * du)), float(np.sum(du * dx))
    # as for the other proxes: each value is off by ~2 eps of |x|.
    size = np.linalg.norm(x.astype(np.float64)) + np.linalg.norm(y.astype(np.float64))
    tol = 8 * _eps(dtype) * size * (np.linalg.norm(du) + np.linalg.norm(dx))
    assert_all(lhs <= rhs + tol, "prox_sgl-firmly-nonexpansive",
               f"||du||^2 = {lhs!r} <= <du, dx> = {rhs!r}", x=x, y=y, t=t, **kw)


@given(data=st.data())
def test_sparse_group_lasso_at_l1_ratio_one_is_the_lasso(mm, data):
    """l1_ratio = 1: value alpha ||x||_1, subgradient alpha sign(x) and prox soft
    thresholding at t alpha, exactly those of the elastic net at l1_ratio = 1."""
    _, x, _, t, kw = _draw_sgl_case(data, ratio=1.0)
    en = {"alpha": kw["alpha"], "l1_ratio": 1.0}
    pairs = [("value", mm.sparse_group_lasso(x, **kw), mm.elastic_net(x, **en)),
             ("subgradient", mm.sparse_group_lasso_subgradient(x, **kw),
              mm.elastic_net_subgradient(x, **en)),
             ("prox", mm.prox_sparse_group_lasso(x, t, **kw), mm.prox_elastic_net(x, t, **en))]
    for what, got, want in pairs:
        assert_close_eps(got, want, prop=f"sgl-lasso-{what}", rtol_eps=2, x=x, t=t, **kw)


@given(data=st.data())
def test_sparse_group_lasso_at_l1_ratio_zero_is_the_group_lasso(mm, data):
    """l1_ratio = 0: value alpha sum_g c_g ||x_g|| and prox block soft thresholding at
    t alpha, exactly those of the group lasso (group_lasso, prox_group_lasso)."""
    _, x, _, t, kw = _draw_sgl_case(data, ratio=0.0)
    gl = {"groups": kw["groups"], "sqrt_size_weights": kw["sqrt_size_weights"]}
    assume(kw["alpha"] > 0)
    assert_close_eps(mm.sparse_group_lasso(x, **kw), kw["alpha"] * mm.group_lasso(x, **gl),
                     prop="sgl-group-value", rtol_eps=2, x=x, **kw)
    assert_close_eps(mm.prox_sparse_group_lasso(x, t, **kw),
                     mm.prox_group_lasso(x, t * kw["alpha"], **gl),
                     prop="sgl-group-prox", rtol_eps=2, atol_eps=1, x=x, t=t, **kw)


def _sgl_prox_group_first(x, t, groups, *, alpha, l1_ratio, sqrt_size_weights=False, **_):
    """The two steps in the wrong order: group shrinkage, then soft thresholding."""
    tg, t1 = t * alpha * (1 - l1_ratio), t * alpha * l1_ratio
    shrunk = mlmath.prox_group_lasso(x, tg, groups, sqrt_size_weights=sqrt_size_weights) \
        if tg else np.asarray(x)
    return mlmath.prox_l1(shrunk, t1) if t1 else shrunk


def _sgl_prox_hard_threshold(x, t, groups, *, alpha, l1_ratio, sqrt_size_weights=False, **_):
    """Hard thresholding (keep x where |x| > t alpha rho) before the group step."""
    x = np.asarray(x)
    hard = np.where(np.abs(x) > t * alpha * l1_ratio, x, 0.0).astype(x.dtype)
    if alpha * (1 - l1_ratio) == 0 or t * alpha * (1 - l1_ratio) == 0:
        return hard
    return mlmath.prox_group_lasso(hard, t * alpha * (1 - l1_ratio), groups,
                                   sqrt_size_weights=sqrt_size_weights)


def _sgl_subgradient_sign_at_zero(x, groups, **kw):
    """sign(0) = 1 in the l1 part: not the minimum-norm element."""
    g = mlmath.sparse_group_lasso_subgradient(x, groups, **kw)
    return g + kw["alpha"] * kw["l1_ratio"] * (np.asarray(x) == 0)


def _sgl_swapped_mix(x, groups, *, alpha, l1_ratio, **kw):
    """l1_ratio applied to the group term and 1 - l1_ratio to the l1 term."""
    return mlmath.sparse_group_lasso(x, groups, alpha=alpha, l1_ratio=1 - l1_ratio, **kw)


def _sgl_prox_group_step_unscaled(x, t, groups, *, alpha, l1_ratio, **kw):
    """The group threshold t (1 - rho) without alpha."""
    return mlmath.prox_sparse_group_lasso(x, t / max(alpha, 1e-300), groups, alpha=alpha,
                                          l1_ratio=l1_ratio, **kw)


_MUTANTS: list[tuple[Any, dict[str, Any], dict[str, Any]]] = [
    (test_penalty_is_nonnegative, {"name": "l1"}, {"l1": lambda w: np.sum(w)}),  # forgot abs
    (test_penalty_is_zero_only_at_zero, {"name": "squared_l2"},
     {"squared_l2": lambda w: np.sum(w) ** 2}),  # square of the sum
    (test_penalty_is_zero_only_at_zero, {"name": "group_lasso"},
     {"group_lasso": lambda w, groups, **_: np.sum(np.abs(np.bincount(
         _naive_group_norms(w, groups)[1], weights=np.asarray(w, np.float64).reshape(-1))))}),
    (test_penalty_is_convex, {"name": "huber"},  # truncated quadratic: forgot the linear branch
     {"huber": lambda x, delta=1.0: np.sum(np.minimum(np.square(x), delta**2) / 2)}),
    (test_penalty_is_convex, {"name": "l1"}, {"l1": lambda w: np.sum(np.sqrt(np.abs(w)))}),
    (test_norm_is_positively_homogeneous, {"name": "squared_l2"},
     {"squared_l2": lambda w: np.sqrt(np.sum(np.square(w)))}),  # forgot to square
    (test_norm_is_positively_homogeneous, {"name": "group_lasso"},
     {"group_lasso": _squared_group_norms}),
    (test_norm_satisfies_triangle_inequality, {"name": "group_lasso"},
     {"group_lasso": _squared_group_norms}),
    (test_norm_satisfies_triangle_inequality, {"name": "l1"},
     {"l1": lambda w: np.sum(np.square(w))}),
    (test_penalty_is_sign_symmetric, {"name": "huber"}, {"huber": _huber_without_abs}),
    (test_gradient_matches_finite_differences, {"name": "squared_l2"},
     {"squared_l2_grad": lambda w: np.asarray(w)}),  # the 1/2 convention mix-up
    (test_gradient_matches_finite_differences, {"name": "huber"},  # forgot the 1/2
     {"huber": lambda x, delta=1.0: np.sum(np.where(np.abs(x) <= delta, np.square(x),
                                                    delta * (np.abs(x) - delta / 2)))}),
    (test_subgradient_is_minimum_norm_element, {"name": "l1"},
     {"l1_subgradient": lambda w: np.where(np.asarray(w) >= 0, 1.0, -1.0)}),  # sign(0) = 1
    (test_subgradient_is_minimum_norm_element, {"name": "elastic_net"},
     {"elastic_net_subgradient": lambda w, *, alpha=1.0, l1_ratio=0.5:
      alpha * (l1_ratio * np.sign(w) + (1 - l1_ratio) * 2 * np.asarray(w))}),  # d(w^2) = 2w
    (test_prox_satisfies_optimality_condition, {"name": "l1"},
     {"prox_l1": lambda x, t: mlmath.prox_l1(x, 2 * t)}),  # threshold doubled
    (test_prox_satisfies_optimality_condition, {"name": "squared_l2"},
     {"prox_squared_l2": lambda x, t: np.asarray(x / (1 + t), dtype=x.dtype)}),  # 1/2 mix-up
    (test_prox_satisfies_optimality_condition, {"name": "elastic_net"},
     {"prox_elastic_net": _en_swapped_weights}),
    (test_prox_satisfies_optimality_condition, {"name": "group_lasso"},
     {"prox_group_lasso": _elementwise_group_prox}),
    (test_prox_is_firmly_nonexpansive, {"name": "l1"}, {"prox_l1": _soft_threshold_sign_error}),
    (test_prox_satisfies_moreau_decomposition, {"name": "group_lasso"},
     {"prox_group_lasso": _elementwise_group_prox}),
    (test_prox_satisfies_moreau_decomposition, {"name": "squared_l2"},
     {"prox_squared_l2": lambda x, t: np.asarray(x / (1 + t), dtype=x.dtype)}),
    (test_prox_satisfies_moreau_decomposition, {"name": "elastic_net"},
     {"prox_elastic_net": _en_threshold_after_shrink}),
    (test_prox_l1_zeros_exactly_where_below_threshold, {}, {"prox_l1": _soft_via_moreau}),
    (test_prox_elastic_net_is_composition, {},
     {"prox_elastic_net": _en_threshold_after_shrink}),
    (test_huber_is_moreau_envelope_of_scaled_abs, {},  # linear branch off by delta^2 / 2
     {"huber": lambda x, delta=1.0: np.sum(np.where(np.abs(x) <= delta, np.square(x) / 2,
                                                    delta * (np.abs(x) - delta)))}),
    (test_prox_value_is_no_worse_than_competitors, {"name": "l1"},
     {"prox_l1": lambda x, t: mlmath.prox_l1(x, t / 2)}),  # under-shrinks
    (test_prox_value_is_no_worse_than_competitors, {"name": "group_lasso"},  # under-shrinks
     {"prox_group_lasso": lambda x, t, groups, **kw: mlmath.prox_group_lasso(x, t / 2, groups,
                                                                               **kw)}),
    (test_prox_shrinks_toward_zero, {"name": "group_lasso"},
     {"prox_group_lasso": _group_prox_without_positive_part}),
    (test_group_lasso_has_no_spurious_overflow, {},
     {"group_lasso": lambda w, groups, **_: np.sum(_naive_group_norms(w, groups)[0])}),
    (test_simplex_projection_satisfies_its_optimality_condition, {},
     {"project_simplex": _simplex_by_clip_and_rescale}),
    (test_l1_ball_projection_is_the_closest_point_of_the_ball, {},
     {"project_l1_ball": _l1_ball_by_radial_scaling}),
    (test_prox_linf_satisfies_moreau_decomposition, {},
     {"prox_linf": lambda x, t: mlmath.prox_l1(x, t)}),  # the dual norm's prox
    (test_prox_huber_satisfies_its_optimality_condition, {},
     {"prox_huber": lambda x, t, delta=1.0: np.where(np.abs(x) <= delta, x / (1 + t),
                                                      x - t * delta * np.sign(x))}),  # kink
    (test_prox_nuclear_norm_thresholds_the_singular_values, {},
     {"prox_nuclear_norm": lambda m, t: mlmath.prox_l1(m, t)}),  # entries, not sigma
    (test_box_projection_is_idempotent_and_inside, {},
     {"project_box": lambda x, lower, upper: np.minimum(x, upper)}),  # no lower bound
    (test_sparse_group_lasso_prox_satisfies_optimality_condition, {},
     {"prox_sparse_group_lasso": _sgl_prox_group_first}),
    (test_sparse_group_lasso_subgradient_is_minimum_norm_element, {},
     {"sparse_group_lasso_subgradient": _sgl_subgradient_sign_at_zero}),
    (test_sparse_group_lasso_prox_is_firmly_nonexpansive, {},
     {"prox_sparse_group_lasso": _sgl_prox_hard_threshold}),
    (test_sparse_group_lasso_at_l1_ratio_one_is_the_lasso, {},
     {"sparse_group_lasso": _sgl_swapped_mix}),
    (test_sparse_group_lasso_at_l1_ratio_zero_is_the_group_lasso, {},
     {"prox_sparse_group_lasso": _sgl_prox_group_step_unscaled}),
]


@pytest.mark.parametrize(("prop", "params", "overrides"), _MUTANTS,
                         ids=[f"{p.__name__}-{'-'.join(map(str, a.values())) or 'x'}-"
                              f"{next(iter(o))}" for p, a, o in _MUTANTS])
def test_property_catches_mutant(prop, params, overrides):
    """Each property fails on a deliberately broken implementation (named in the id)."""
    expect_property_failure(prop, mm=mutant(**overrides), **params)


def test_every_property_has_a_mutant():
    """Every Hypothesis property of this module appears in the mutant table."""
    properties = {name for name, obj in globals().items()
                  if name.startswith("test_") and hasattr(obj, "hypothesis")}
    covered = {prop.__name__ for prop, _, _ in _MUTANTS}
    assert properties - covered == set(), f"properties without a mutant: {properties - covered}"
