"""Properties of the classification losses (mlmath.losses).

Each test states one theorem; ``mm`` is the implementation under test.  The
meta-tests at the bottom feed each property a deliberately broken
implementation (one realistic bug per property) and expect it to fail.

Tolerances are in eps of the dtype.  The losses are sums of non-negative
terms computed in a float64 accumulator, so identities between two loss
evaluations hold to a few eps times the size of the terms; where a theorem
compares against a form that cancels (e.g. softplus(z) - y·z) the bound says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import mlmath
from mlmath import strategies as mst
from mlmath.strategies._common import MAX_SIDE
from mlmath.strategies._losses import IGNORE, BinaryProblem, SoftmaxProblem
from mlmath.testing import assert_all, assert_close_eps, expect_property_failure, mutant

# --------------------------------------------------------------------------- #
# Helpers                                                                     #
# --------------------------------------------------------------------------- #


def _eps(x: Any) -> float:
    return float(np.finfo(np.asarray(x).dtype).eps)


def _rows(p: SoftmaxProblem, a: np.ndarray) -> np.ndarray:
    """(N, C) view of an array shaped like the logits (class axis last)."""
    return np.moveaxis(np.asarray(a), p.axis, -1).reshape(-1, p.n_classes)


def _scale(p: SoftmaxProblem) -> float:
    """Magnitude of the loss terms: a tolerance scale for identities."""
    x = _rows(p, p.logits)
    return 1.0 + float(np.max(np.ptp(x, axis=-1), initial=0.0)) if x.size else 1.0


def _plain(p: SoftmaxProblem, **override: Any) -> dict[str, Any]:
    """The problem's kwargs without smoothing, weights, ignore or reduction, plus overrides."""
    kw = {"axis": p.kwargs.get("axis", -1)}
    kw.update(override)
    return kw


def _entropy_rows(t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0.0), axis=-1)


_TWO_ROWS = SoftmaxProblem(np.array([[1.0, 2.0], [0.0, 1.5]]), np.array([0, 1]))
_CONFIDENT = SoftmaxProblem(np.array([[37.8, 0.0, -3.0]]), np.array([0]))
_HUGE = SoftmaxProblem(np.array([[1e4, -1e4, 0.0]]), np.array([1]))


# --------------------------------------------------------------------------- #
# softmax_cross_entropy                                                       #
# --------------------------------------------------------------------------- #

@given(p=mst.softmax_problems(targets="probs", extreme=True, keywords=False))
@example(p=SoftmaxProblem(np.array([[3.0, 0.0]]), np.array([[1.0, 0.0]])))
def test_softmax_cross_entropy_nonnegative(mm, p):
    """CE(t, softmax(x)) >= 0 for probability targets and any finite logits."""
    loss = mm.softmax_cross_entropy(p.logits, p.targets, reduction="none", **_plain(p))
    assert_all(np.isfinite(loss) & (loss >= 0), "ce-nonnegative", "finite loss >= 0",
               logits=p.logits, targets=p.targets)


@given(p=mst.softmax_problems(targets="probs", keywords=False))
@example(p=SoftmaxProblem(np.zeros((1, 2)), np.full((1, 2), 0.5)))
def test_softmax_cross_entropy_gibbs_lower_bound(mm, p):
    """CE(t, softmax(x)) - H(t) = KL(t || softmax(x)) >= 0 (Gibbs' inequality)."""
    # "none" keeps the batch dimensions in order: flattening matches _rows
    loss = np.reshape(mm.softmax_cross_entropy(p.logits, p.targets, reduction="none",
                                               **_plain(p)), -1)
    h = _entropy_rows(_rows(p, p.targets).astype(np.float64))
    # both sides are sums of C non-negative terms of size <= scale: C·scale·eps slack
    slack = 4 * p.n_classes * _scale(p) * _eps(p.logits)
    assert_all(loss - h >= -slack, "gibbs", "CE(t, q) >= H(t)",
               logits=p.logits, targets=p.targets)


@given(p=mst.softmax_problems(targets="index", keywords=False))
@example(p=_CONFIDENT)
@example(p=_HUGE)
def test_softmax_cross_entropy_index_is_neg_log_softmax(mm, p):
    """For a class index y, the loss is -log_softmax(x)[y]."""
    loss = mm.softmax_cross_entropy(p.logits, p.targets, reduction="none", **_plain(p))
    logp = mm.log_softmax(p.logits, axis=p.axis)
    ref = -np.take_along_axis(np.moveaxis(logp, p.axis, -1), p.targets[..., None], -1)[..., 0]
    # log_softmax rounds x - m - log1p(r): 2 eps of the row's scale, absolute
    assert_close_eps(loss, ref, prop="ce-one-hot", rtol_eps=4, atol_eps=2 * _scale(p),
                     logits=p.logits, targets=p.targets)


@given(p=mst.softmax_problems(targets="index", ignore=False))
@example(p=SoftmaxProblem(np.array([[1.0, 2.0, 3.0]]), np.array([0]), {"label_smoothing": 0.2}))
def test_softmax_cross_entropy_index_equals_one_hot(mm, p):
    """Index targets and their one-hot probability vectors give the same loss and
    gradient, with smoothing and weights (for "sum"/"none"; "mean" normalises the
    two kinds differently in PyTorch, so it is compared without weights)."""
    kw = dict(p.kwargs)
    if kw.get("reduction", "mean") == "mean":
        kw.pop("class_weights", None)
    hot = p.one_hot()
    for fn in (mm.softmax_cross_entropy, mm.softmax_cross_entropy_grad):
        a, b = fn(p.logits, p.targets, **kw), fn(p.logits, hot, **kw)
        assert_close_eps(a, b, prop=f"index-vs-one-hot:{fn.__name__}", rtol_eps=8,
                         atol_eps=8 * _scale(p) * np.max(kw.get("class_weights", [1.0]),
                                                         initial=1.0),
                         logits=p.logits, targets=p.targets, kwargs=kw)


@given(p=mst.softmax_problems(targets="probs", keywords=False))
def test_softmax_cross_entropy_grad_is_softmax_minus_target(mm, p):
    """d CE / dx = softmax(x) - t (reduction "sum", no smoothing or weights)."""
    g = mm.softmax_cross_entropy_grad(p.logits, p.targets, reduction="sum", **_plain(p))
    ref = mlmath.softmax(p.logits, axis=p.axis) - p.targets
    # softmax entries carry a few eps each; the difference is absolute-accurate
    assert_close_eps(g, ref, prop="grad-softmax-minus-target", rtol_eps=4, atol_eps=4,
                     logits=p.logits, targets=p.targets)


@given(p=mst.softmax_problems(ignore=False))
@example(p=SoftmaxProblem(np.array([[1.0, 2.0, 3.0]]), np.array([0]),
                          {"class_weights": np.array([2.0, 1.0, 1.0])}))
def test_softmax_cross_entropy_grad_rows_sum_to_zero(mm, p):
    """Each row of the gradient sums to 0 for normalised targets (A·sum p - sum a = 0),
    with any smoothing, weights and reduction."""
    g = _rows(p, mm.softmax_cross_entropy_grad(p.logits, p.targets, **p.kwargs))
    w = np.max(p.kwargs.get("class_weights", [1.0]), initial=1.0)
    # C entries of size <= w each, rounded: C·w·eps slack (times the mean's 1/N <= 1)
    slack = 4 * p.n_classes * w * _eps(p.logits)
    assert_all(np.abs(g.sum(axis=-1, dtype=np.float64)) <= slack, "grad-rows-sum-zero",
               "|sum_c g| <= C·w·eps", logits=p.logits, targets=p.targets, kwargs=p.kwargs)


@given(p=mst.softmax_problems(extreme=True, ignore=False))
def test_softmax_cross_entropy_grad_is_bounded(mm, p):
    """||g_n||_1 <= 2 per example (unweighted, reduction "sum"): |p - t|_1 <= 2."""
    kw = _plain(p, reduction="sum", label_smoothing=p.kwargs.get("label_smoothing", 0.0))
    g = _rows(p, mm.softmax_cross_entropy_grad(p.logits, p.targets, **kw))
    bound = 2 * (1 + p.n_classes * _eps(p.logits))
    assert_all(np.abs(g).sum(axis=-1) <= bound, "grad-bounded", "||g_n||_1 <= 2",
               logits=p.logits, targets=p.targets, kwargs=kw)


@given(p=mst.softmax_problems(ignore=False), data=st.data())
def test_softmax_cross_entropy_is_convex_in_logits(mm, p, data):
    """Jensen: CE((x1 + x2)/2) <= (CE(x1) + CE(x2))/2 for every target and keyword set."""
    x2 = data.draw(mst.logits(shape=p.logits.shape, dtype=p.logits.dtype), label="second logits")
    mid = ((p.logits.astype(np.float64) + x2) / 2).astype(p.logits.dtype)
    f = [mm.softmax_cross_entropy(x, p.targets, **p.kwargs) for x in (p.logits, x2, mid)]
    # rounding the midpoint and the losses: eps·|x| per logit times ||g_n||_1 <= 2·w, per row
    rows = max(p.logits.size // p.n_classes, 1)
    slack = 8 * rows * (1 + 2 * np.abs(np.concatenate([p.logits, x2], axis=None)).max()) \
        * _eps(p.logits) * np.max(p.kwargs.get("class_weights", [1.0]), initial=1.0)
    assert_all(np.asarray(f[2]) <= (np.asarray(f[0]) + f[1]) / 2 + slack, "convexity",
               "CE(mid) <= mean of the ends", x1=p.logits, x2=x2, targets=p.targets)


@given(p=mst.softmax_problems(targets="probs", keywords=False, dtype=np.float64, max_dims=1))
def test_softmax_cross_entropy_hessian_is_psd(mm, p):
    """The Jacobian of the gradient (central differences) is diag(p) - p p^T, which is
    positive semi-definite (sum reduction, one example)."""
    x = p.logits
    n = x.size
    h = 1e-5
    jac = np.empty((n, n))
    for j in range(n):
        step = np.zeros(n)
        step[j] = h
        up, down = (mm.softmax_cross_entropy_grad(x + s * step, p.targets, reduction="sum")
                    for s in (1, -1))
        jac[:, j] = (up - down) / (2 * h)
    s = mlmath.softmax(x)
    # central-difference error: h^2·|g'''|/6 + eps/h, both ~1e-10 here
    assert_close_eps(jac, np.diag(s) - np.outer(s, s), prop="hessian", rtol_eps=0,
                     atol_eps=1e-8 / _eps(x), logits=x)
    eig = np.linalg.eigvalsh((jac + jac.T) / 2)
    assert_all(eig >= -1e-8, "hessian-psd", "eigenvalues >= 0", logits=x, eigenvalues=eig)


@given(p=mst.softmax_problems(), c=st.floats(-20, 20))
@example(p=SoftmaxProblem(np.array([[1.0, 2.0, 3.0]]), np.array([0])), c=5.0)
def test_softmax_cross_entropy_is_shift_invariant(mm, p, c):
    """Adding the same constant to every logit of a row changes neither loss nor gradient."""
    dt = p.logits.dtype
    shifted = (p.logits.astype(np.float64) + c).astype(dt)
    # rounding x + c moves each logit by <= eps·(|x| + |c|); ||g_n||_1 <= 2·w per row
    rows = max(p.logits.size // p.n_classes, 1)
    slack = 8 * rows * (1 + np.abs(p.logits).max(initial=0) + abs(c)) \
        * np.max(p.kwargs.get("class_weights", [1.0]), initial=1.0)
    for fn in (mm.softmax_cross_entropy, mm.softmax_cross_entropy_grad):
        assert_close_eps(fn(shifted, p.targets, **p.kwargs), fn(p.logits, p.targets, **p.kwargs),
                         prop=f"shift-invariance:{fn.__name__}", rtol_eps=8, atol_eps=slack,
                         logits=p.logits, c=c, targets=p.targets, kwargs=p.kwargs)


@given(p=mst.softmax_problems(ignore=False), eps=st.floats(0, 1))
@example(p=SoftmaxProblem(np.array([[3.0, 0.0, -1.0]]), np.array([0])), eps=0.3)
def test_softmax_cross_entropy_label_smoothing_is_a_mixture(mm, p, eps):
    """CE_eps(t) = (1 - eps)·CE(t) + eps·CE(uniform), per example (reduction "none")."""
    kw = {**p.kwargs, "reduction": "none"}
    kw.pop("label_smoothing", None)
    uniform = np.full(p.logits.shape, 1.0 / p.n_classes, p.logits.dtype)
    smoothed = mm.softmax_cross_entropy(p.logits, p.targets, label_smoothing=eps, **kw)
    mix = ((1 - eps) * mm.softmax_cross_entropy(p.logits, p.targets, **kw)
           + eps * mm.softmax_cross_entropy(p.logits, uniform, **kw))
    w = np.max(kw.get("class_weights", [1.0]), initial=1.0)
    assert_close_eps(smoothed, mix, prop="smoothing-mixture", rtol_eps=8,
                     atol_eps=8 * _scale(p) * w, logits=p.logits, targets=p.targets, smoothing=eps)


@given(p=mst.softmax_problems(targets="index", keywords=False, ignore=False),
       weights=st.lists(st.floats(0, 5), min_size=MAX_SIDE, max_size=MAX_SIDE))
@example(p=_TWO_ROWS, weights=[1.0, 3.0] * 4)
def test_softmax_cross_entropy_class_weights_give_weighted_mean(mm, p, weights):
    """With class weights, "mean" = sum_n w_{y_n} l_n / sum_n w_{y_n} (l_n unweighted)."""
    w = np.array(weights[:p.n_classes])
    per = mm.softmax_cross_entropy(p.logits, p.targets, reduction="none", **_plain(p))
    wy = w[p.targets]
    assume(wy.sum() > 0)
    ref = np.sum(wy * per) / np.sum(wy)
    got = mm.softmax_cross_entropy(p.logits, p.targets, class_weights=w, **_plain(p))
    assert_close_eps(got, ref, prop="weighted-mean", rtol_eps=16, atol_eps=16 * _scale(p),
                     logits=p.logits, targets=p.targets, weights=w)


@given(p=mst.softmax_problems(targets="index", dtype=np.float64, max_dims=2, ignore=False),
       drop=st.lists(st.booleans(), min_size=MAX_SIDE, max_size=MAX_SIDE))
@example(p=_TWO_ROWS, drop=[False, True] * 4)
def test_softmax_cross_entropy_ignore_index_drops_rows(mm, p, drop):
    """Ignored examples are as if dropped: the loss equals that of the kept rows, their
    gradient rows are 0 and the kept rows' gradient is unchanged."""
    kw = {k: val for k, val in p.kwargs.items() if k != "ignore_index"}
    x, y = _rows(p, p.logits), p.targets.reshape(-1).copy()
    drop = np.array(drop[:y.size], bool)
    y[drop] = IGNORE
    kw["axis"] = -1
    got = mm.softmax_cross_entropy(x, y, ignore_index=IGNORE, **kw)
    kept = mm.softmax_cross_entropy(x[~drop], y[~drop], **kw)
    if kw.get("reduction", "mean") == "none":
        kept = np.zeros(y.size)
        kept[~drop] = mm.softmax_cross_entropy(x[~drop], y[~drop], **kw)
    assert_close_eps(got, kept, prop="ignore-drops-rows", rtol_eps=8, atol_eps=8,
                     logits=x, targets=y, kwargs=kw)
    g = mm.softmax_cross_entropy_grad(x, y, ignore_index=IGNORE, **kw)
    assert_all(g[drop] == 0, "ignore-drops-rows", "zero gradient on ignored rows",
               logits=x, targets=y)
    assert_close_eps(g[~drop], mm.softmax_cross_entropy_grad(x[~drop], y[~drop], **kw),
                     prop="ignore-drops-rows:grad", rtol_eps=8, atol_eps=8, logits=x, targets=y)


# --------------------------------------------------------------------------- #
# Gradients against central finite differences                                #
# --------------------------------------------------------------------------- #

def _central_difference(f: Any, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Central differences of a scalar f at float64 x; returns (gradient, error bound).

    Step h = eps^(1/3)·max(1, |x|) balances truncation h^2·|f'''|/6 and rounding
    eps·|f|/h; both are <= ~1e-8 times the scale (weights up to 5) for |x| <= 30.
    """
    x = x.astype(np.float64)
    h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h[idx]
        down[idx] -= h[idx]
        g[idx] = (float(f(up)) - float(f(down))) / (up[idx] - down[idx])
    return g, 1e-7 * (1.0 + abs(float(f(x))))


@given(p=mst.softmax_problems(max_dims=2))
@example(p=_TWO_ROWS)
def test_softmax_cross_entropy_grad_matches_finite_differences(mm, p):
    """softmax_cross_entropy_grad = the central-difference gradient of the summed loss,
    for every keyword combination (the reduction's scaling included)."""
    kw = dict(p.kwargs)
    f = lambda x: np.sum(mm.softmax_cross_entropy(x, p.targets, **kw))  # noqa: E731
    fd, err = _central_difference(f, p.logits)
    g = mm.softmax_cross_entropy_grad(p.logits, p.targets, **kw)
    # float32: the analytic gradient itself is good to ~8 eps32 of its scale; FD in float64
    tol = err + 8 * _eps(p.logits) * (1.0 + float(np.abs(fd).max(initial=0.0)))
    assert_close_eps(g, fd, prop="grad-vs-fd", rtol_eps=0, atol_eps=tol / _eps(g),
                     logits=p.logits, targets=p.targets, kwargs=kw)


@given(p=mst.binary_problems(max_dims=2))
@example(p=BinaryProblem(np.array([[0.5, -1.0]]), np.array([[1.0, 0.0]]),
                         {"pos_weight": np.array([3.0, 2.0])}))
def test_sigmoid_binary_cross_entropy_grad_matches_finite_differences(mm, p):
    """sigmoid_binary_cross_entropy_grad = the central-difference gradient (pos_weight,
    reductions)."""
    f = lambda z: np.sum(mm.sigmoid_binary_cross_entropy(z, p.targets, **p.kwargs))  # noqa: E731
    fd, err = _central_difference(f, p.logits)
    g = mm.sigmoid_binary_cross_entropy_grad(p.logits, p.targets, **p.kwargs)
    tol = err + 8 * _eps(p.logits) * (1.0 + float(np.abs(fd).max(initial=0.0)))
    assert_close_eps(g, fd, prop="bce-grad-vs-fd", rtol_eps=0, atol_eps=tol / _eps(g),
                     logits=p.logits, targets=p.targets, kwargs=p.kwargs)


# --------------------------------------------------------------------------- #
# sigmoid and binary cross-entropy                                            #
# --------------------------------------------------------------------------- #

@given(p=mst.binary_problems(extreme=True, keywords=False))
@example(p=BinaryProblem(np.array([-40.0]), np.array([0.0])))
def test_sigmoid_binary_cross_entropy_is_softplus_minus_yz(mm, p):
    """BCE(z, y) = softplus(z) - y·z.  That form cancels near its minimum, so the bound
    is in eps of |z| + softplus(z), the size of its terms."""
    z, y = p.logits, p.targets
    got = mm.sigmoid_binary_cross_entropy(z, y, reduction="none")
    z64 = z.astype(np.float64)
    ref = np.logaddexp(0, z64) - y.astype(np.float64) * z64
    assert_close_eps(got, ref, prop="bce-softplus", rtol_eps=4,
                     atol_eps=4 * (np.abs(z64) + np.logaddexp(0, z64)), logits=z, targets=y)


@given(p=mst.binary_problems(keywords=False))
def test_sigmoid_binary_cross_entropy_is_two_class_softmax(mm, p):
    """BCE(z, y) = softmax cross-entropy of logits (0, z) with targets (1 - y, y)."""
    z, y = p.logits, p.targets
    two = np.stack([np.zeros_like(z), z], axis=-1)
    t = np.stack([1 - y.astype(np.float64), y.astype(np.float64)], axis=-1).astype(z.dtype)
    assume(np.all(np.abs(t.sum(axis=-1, dtype=np.float64) - 1) <= 2 * _eps(z)))
    ref = mm.softmax_cross_entropy(two, t, reduction="none")
    got = mm.sigmoid_binary_cross_entropy(z, y, reduction="none")
    assert_close_eps(got, ref, prop="bce-two-class-softmax", rtol_eps=8,
                     atol_eps=4 * (1 + np.abs(z)), logits=z, targets=y)


@given(probs=st.lists(st.floats(0, 1), min_size=1, max_size=8), data=st.data())
@example(probs=[1e-300], data=None)
def test_binary_cross_entropy_is_sigmoid_bce_at_the_logit(mm, probs, data):
    """BCE(p, y) = sigmoid_BCE(logit(p), y) wherever both are finite (0 < p < 1)."""
    p = np.array(probs)
    y = np.ones_like(p) if data is None else np.array(data.draw(
        st.lists(st.sampled_from([0.0, 1.0]) | st.floats(0, 1), min_size=p.size,
                 max_size=p.size), label="targets"))
    assume(np.all((p > 0) & (p < 1)))
    z = np.log(p) - np.log1p(-p)
    got = mm.binary_cross_entropy(p, y, reduction="none")
    ref = mm.sigmoid_binary_cross_entropy(z, y, reduction="none")
    # rounding logit(p) (1/2 ulp of |z|) moves the loss by |sigma(z) - y|·|z|·eps
    assert_close_eps(got, ref, prop="bce-at-logit", rtol_eps=8, atol_eps=4 * (1 + np.abs(z)),
                     probs=p, targets=y)


# --------------------------------------------------------------------------- #
# Meta-tests: every property catches a realistic bug                          #
# --------------------------------------------------------------------------- #

def _sce_kw(fn: Any, **fixed: Any) -> Any:
    """Wrap mlmath's function with some keywords forced (e.g. a dropped option)."""
    return lambda x, t, **kw: fn(x, t, **{**kw, **fixed})


def _forgot_log_partition(x: Any, t: Any, *, axis: int = -1, reduction: str = "mean",
                          **_: Any) -> Any:
    """-sum t·x: the loss without log-sum-exp (can be negative)."""
    x = np.asarray(x, float)
    t = np.asarray(t, float) if np.ndim(t) == x.ndim else np.moveaxis(
        np.eye(x.shape[axis])[t], -1, axis)
    per = -np.sum(t * x, axis=axis)
    return per if reduction == "none" else np.sum(per)


def _dropped_log1p(x: Any, t: Any, *, axis: int = -1, reduction: str = "mean", **_: Any) -> Any:
    """sum t·(m - x): forgets the log1p(r) term of the log-partition."""
    x = np.asarray(x, float)
    m = np.max(x, axis=axis, keepdims=True)
    per = np.sum(np.asarray(t) * (m - x), axis=axis)
    return per if reduction == "none" else np.sum(per)


def _off_by_one_label(x: Any, t: Any, **kw: Any) -> Any:
    n = np.shape(x)[kw.get("axis", -1)]
    return mlmath.softmax_cross_entropy(x, (np.asarray(t) + 1) % n, **kw)


def _probs_ignore_smoothing(x: Any, t: Any, **kw: Any) -> Any:
    if np.ndim(t) == np.ndim(x):
        kw = {**kw, "label_smoothing": 0.0}
    return mlmath.softmax_cross_entropy_grad(x, t, **kw)


def _grad_target_minus_softmax(x: Any, t: Any, **kw: Any) -> Any:
    return -mlmath.softmax_cross_entropy_grad(x, t, **kw)


def _grad_missing_total_mass(x: Any, t: Any, *, axis: int = -1, label_smoothing: float = 0.0,
                             class_weights: Any = None, **_: Any) -> Any:
    """softmax(x) - a instead of A·softmax(x) - a (wrong once weights make A != 1)."""
    x = np.moveaxis(np.asarray(x, float), axis, -1)
    n = x.shape[-1]
    t = np.asarray(t)
    hot = np.eye(n)[t] if t.ndim == x.ndim - 1 else np.moveaxis(t, axis, -1)
    a = ((1 - label_smoothing) * hot + label_smoothing / n) * (
        1.0 if class_weights is None else np.asarray(class_weights))
    return np.moveaxis(mlmath.softmax(x) - a, -1, axis)


def _grad_unnormalised(x: Any, t: Any, **kw: Any) -> Any:
    """exp(x - m) - t: the softmax without its normalisation."""
    x = np.asarray(x)
    ax = kw.get("axis", -1)
    e = np.exp(x - np.max(x, axis=ax, keepdims=True))
    return mlmath.softmax_cross_entropy_grad(x, t, **kw) + e - mlmath.softmax(x, axis=ax)


def _sigmoid_per_class(x: Any, t: Any, *, axis: int = -1, reduction: str = "mean",
                       **_: Any) -> Any:
    """Sigmoid/softmax confusion: -sum_c t_c log sigmoid(x_c), not shift invariant."""
    x = np.asarray(x, float)
    t = np.asarray(t)
    hot = np.moveaxis(np.eye(x.shape[axis])[np.clip(t, 0, None)], -1, axis) \
        if t.ndim == x.ndim - 1 else t
    per = np.sum(hot * np.logaddexp(0, -x), axis=axis)
    return per if reduction == "none" else (np.mean(per) if reduction == "mean" else np.sum(per))


def _smoothing_over_other_classes(x: Any, t: Any, *, label_smoothing: float = 0.0,
                                  **kw: Any) -> Any:
    """Puts eps/(C - 1) on the wrong classes instead of eps/C on every class."""
    n = np.shape(x)[kw.get("axis", -1)]
    return mlmath.softmax_cross_entropy(x, t, label_smoothing=label_smoothing * n / (n - 1)
                                        if n > 1 and label_smoothing * n / (n - 1) <= 1
                                        else label_smoothing, **kw)


def _weighted_mean_over_n(x: Any, t: Any, *, class_weights: Any = None, **kw: Any) -> Any:
    """Averages the weighted losses over N instead of over the summed weights."""
    if class_weights is None or kw.get("reduction", "mean") != "mean":
        return mlmath.softmax_cross_entropy(x, t, class_weights=class_weights, **kw)
    total = mlmath.softmax_cross_entropy(x, t, class_weights=class_weights,
                                         **{**kw, "reduction": "sum"})
    return total / np.size(t)


def _ignored_in_denominator(x: Any, t: Any, *, ignore_index: Any = None, **kw: Any) -> Any:
    """Ignored rows get loss 0 but still count in the mean."""
    if ignore_index is None or kw.get("reduction", "mean") != "mean":
        return mlmath.softmax_cross_entropy(x, t, ignore_index=ignore_index, **kw)
    total = mlmath.softmax_cross_entropy(x, t, ignore_index=ignore_index,
                                         **{**kw, "reduction": "sum"})
    return total / np.size(t)


def _mean_grad_missing_1_over_n(x: Any, t: Any, **kw: Any) -> Any:
    """The gradient of the sum returned for every reduction (the mean's 1/N forgotten)."""
    return mlmath.softmax_cross_entropy_grad(x, t, **{**kw, "reduction": "sum"})


def _bce_swapped_targets(z: Any, y: Any, **kw: Any) -> Any:
    return mlmath.sigmoid_binary_cross_entropy(z, 1 - np.asarray(y), **kw)


def _bce_grad_pos_weight_on_negatives(z: Any, y: Any, **kw: Any) -> Any:
    pw = kw.pop("pos_weight", None)
    g = mlmath.sigmoid_binary_cross_entropy_grad(z, y, **kw)
    return g if pw is None else g * np.broadcast_to(pw, np.shape(z))


def _bce_negated_logits(z: Any, y: Any, **kw: Any) -> Any:
    return mlmath.sigmoid_binary_cross_entropy(-np.asarray(z), y, **kw)


def _bce_keras_clip(p: Any, y: Any, **kw: Any) -> Any:
    """Keras-style silent clipping of p to [1e-7, 1 - 1e-7]."""
    return mlmath.binary_cross_entropy(np.clip(p, 1e-7, 1 - 1e-7), y, **kw)


_BAD_LOSS = "softmax_cross_entropy"
_BAD_GRAD = "softmax_cross_entropy_grad"

# --------------------------------------------------------------------------- #
# Sigmoid focal loss and poly-1 cross-entropy (issue 16)                      #
# --------------------------------------------------------------------------- #

_ALPHAS = st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0)
_GAMMAS = st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0.0, 5.0)


@given(p=mst.binary_problems(extreme=True, keywords=False),
       alpha=st.none() | st.integers(0, 2**20).map(lambda k: k / 2**20),  # 1 - alpha exact
       gamma=_GAMMAS)
@example(p=BinaryProblem(np.array([40.0, -40.0]), np.array([1.0, 0.0])), alpha=0.25,
         gamma=2.0)
def test_sigmoid_focal_loss_is_symmetric_under_relabelling(mm, p, alpha, gamma):
    """l(z, y; alpha) == l(-z, 1 - y; 1 - alpha) elementwise for 0/1 labels: both factors
    of the focal loss swap their two forms, so a confident positive keeps the digits of a
    confident negative (a 1 - p_t formed by subtraction rounds it to 0)."""
    flipped = None if alpha is None else 1.0 - alpha
    y = np.round(p.targets)  # 1 - y exact (a soft 1 - y is rounded)
    a = mm.sigmoid_focal_loss(p.logits, y, alpha=alpha, gamma=gamma, reduction="none")
    b = mm.sigmoid_focal_loss(-p.logits, 1 - y, alpha=flipped, gamma=gamma, reduction="none")
    assert_close_eps(a, b, prop="focal-symmetry", rtol_eps=8, atol_eps=0, logits=p.logits,
                     targets=p.targets, alpha=alpha, gamma=gamma)


@given(z=st.floats(-60, 60), positive=st.booleans(), alpha=_ALPHAS, gamma=_GAMMAS)
@example(z=40.0, positive=True, alpha=0.25, gamma=2.0)
def test_sigmoid_focal_loss_keeps_the_digits_of_confident_labels(mm, z, positive, alpha,
                                                                 gamma):
    """For a 0/1 label, with u = -z for y = 1 and u = z for y = 0,
    l = alpha_t sigma(u)^gamma softplus(u) = alpha_t exp(gamma log_sigmoid(u)) softplus(u),
    also where sigma(u) ~ 1e-17 (1 - p_t by subtraction gives 0 there)."""
    y, u = (1.0, -z) if positive else (0.0, z)
    weight = 1.0 if alpha is None else (alpha if positive else 1 - alpha)
    want = weight * np.exp(gamma * float(mm.log_sigmoid(u))) * float(mm.softplus(u))
    got = mm.sigmoid_focal_loss([z], [y], alpha=alpha, gamma=gamma, reduction="sum")
    # exp of gamma log_sigmoid(u) carries gamma |log_sigmoid(u)| eps of relative error
    # (subnormal results, e.g. a subnormal alpha, are good to a few of their spacing)
    rtol = 8 + 2 * gamma * abs(float(mm.log_sigmoid(u)))
    subnormal_spacing = 2.0**-1074 / np.finfo(np.float64).eps
    assert_close_eps(got, want, prop="focal-confident", rtol_eps=rtol,
                     atol_eps=16 * subnormal_spacing, z=z, y=y, alpha=alpha, gamma=gamma)


@given(p=mst.binary_problems(keywords=False), alpha=_ALPHAS, gamma=_GAMMAS)
def test_sigmoid_focal_loss_is_a_damped_weighted_bce(mm, p, alpha, gamma):
    """0 <= l <= alpha_t BCE (the factor (1 - p_t)^gamma is in [0, 1]); gamma = 0 and
    alpha = None give the BCE itself."""
    kw = {"reduction": "none"}
    focal = mm.sigmoid_focal_loss(p.logits, p.targets, alpha=alpha, gamma=gamma, **kw)
    bce = mm.sigmoid_binary_cross_entropy(p.logits, p.targets, **kw)
    y = p.targets
    weight = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    slack = 4 * _eps(bce) * np.abs(bce)
    assert_all((focal >= 0) & (focal <= weight * bce + slack), "focal-bound",
               "0 <= focal <= alpha_t BCE", logits=p.logits, targets=y, alpha=alpha)
    assert_close_eps(mm.sigmoid_focal_loss(p.logits, y, alpha=None, gamma=0.0, **kw), bce,
                     prop="focal-gamma0", rtol_eps=2, logits=p.logits, targets=y)


@given(p=mst.binary_problems(max_dims=2, keywords=False), alpha=_ALPHAS,
       gamma=st.sampled_from([0.0, 1.0, 2.0]) | st.floats(1.0, 4.0),
       reduction=st.sampled_from(["mean", "sum"]))
def test_sigmoid_focal_loss_grad_matches_finite_differences(mm, p, alpha, gamma, reduction):
    """sigmoid_focal_loss_grad = the central-difference gradient of the reduced loss."""
    kw = {"alpha": alpha, "gamma": gamma, "reduction": reduction}
    f = lambda z: mm.sigmoid_focal_loss(z, p.targets.astype(np.float64), **kw)  # noqa: E731
    fd, err = _central_difference(f, p.logits)
    g = mm.sigmoid_focal_loss_grad(p.logits, p.targets, **kw)
    tol = err + 8 * _eps(p.logits) * (1.0 + float(np.abs(fd).max(initial=0.0)))
    assert_close_eps(g, fd, prop="focal-grad-vs-fd", rtol_eps=0, atol_eps=tol / _eps(g),
                     logits=p.logits, targets=p.targets, **kw)


@given(p=mst.softmax_problems(ignore=False, keywords=False, dtype=np.float64),
       epsilon=st.sampled_from([0.0, 1.0, 2.0]) | st.floats(0.0, 10.0))
@example(p=_CONFIDENT, epsilon=2.0)
def test_poly_loss_adds_epsilon_times_the_missed_probability(mm, p, epsilon):
    """poly - CE = epsilon (1 - p_t), with 1 - p_t = sum_{c != y} s_c computed without
    cancellation: accurate to a few eps relative, also for confident rows."""
    kw = {"axis": p.kwargs.get("axis", -1), "reduction": "none"}
    poly = mm.poly_loss_cross_entropy(p.logits, p.targets, epsilon=epsilon, **kw)
    ce = mm.softmax_cross_entropy(p.logits, p.targets, **kw)
    s = _rows(p, mm.softmax(p.logits.astype(np.float64), axis=kw["axis"]))
    t = (np.eye(p.n_classes)[np.asarray(p.targets).reshape(-1)] if p.index_targets
         else _rows(p, p.targets).astype(np.float64))
    rows = np.arange(s.shape[0])
    top = np.argmax(s, axis=1)
    rest = s.copy()
    rest[rows, top] = 0
    others = 1 - s
    others[rows, top] = rest.sum(axis=1)  # the other classes' mass, not 1 - s_top
    missed = np.sum(t * others, axis=1)
    poly64, ce64 = (np.asarray(a, np.float64).reshape(-1) for a in (poly, ce))
    bonus, want = poly64 - ce64, epsilon * missed
    # the subtraction poly - CE itself costs eps (|poly| + |CE|), elementwise
    eps = np.finfo(np.float64).eps
    bound = 64 * eps * np.abs(want) + 4 * eps * (np.abs(poly64) + np.abs(ce64))
    assert_all(np.abs(bonus - want) <= bound, "poly-bonus", "poly - CE == eps (1 - p_t)",
               logits=p.logits, targets=p.targets, epsilon=epsilon, bonus=bonus, want=want)
    assert_all(np.asarray(mm.poly_loss_cross_entropy(p.logits, p.targets, epsilon=0.0, **kw))
               == np.asarray(ce), "poly-eps0", "epsilon = 0 is the CE", logits=p.logits)


@given(p=mst.softmax_problems(ignore=False, keywords=False),
       epsilon=st.floats(-5.0, 5.0), reduction=st.sampled_from(["mean", "sum"]))
def test_poly_loss_grad_rows_sum_to_zero_and_match_finite_differences(mm, p, epsilon,
                                                                      reduction):
    """Each gradient row sums to 0 (shift invariance) and equals central differences."""
    kw = {"axis": p.kwargs.get("axis", -1), "reduction": reduction, "epsilon": epsilon}
    g = mm.poly_loss_cross_entropy_grad(p.logits, p.targets, **kw)
    rows = _rows(p, g)
    assert_close_eps(rows.sum(axis=1), 0.0, prop="poly-grad-sum", rtol_eps=0,
                     atol_eps=16 * (1 + abs(epsilon)) * p.n_classes, logits=p.logits)
    if p.logits.size <= 12:
        f = lambda x: mm.poly_loss_cross_entropy(x, p.targets, **kw)  # noqa: E731
        fd, err = _central_difference(f, p.logits)
        tol = err + 8 * _eps(p.logits) * (1.0 + abs(epsilon)) * (
            1.0 + float(np.abs(fd).max(initial=0.0)))
        assert_close_eps(g, fd, prop="poly-grad-vs-fd", rtol_eps=0, atol_eps=tol / _eps(g),
                         logits=p.logits, targets=p.targets, **kw)


def _focal_by_subtraction(z: Any, y: Any, *, alpha: Any = 0.25, gamma: float = 2.0,
                          reduction: str = "mean", **_: Any) -> Any:
    """torchvision's evaluation order: 1 - p_t formed by subtraction."""
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    p = mlmath.sigmoid(z)
    p_t = p * y + (1 - p) * (1 - y)
    loss = mlmath.sigmoid_binary_cross_entropy(z, y, reduction="none") * (1 - p_t) ** gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1 - alpha) * (1 - y))
    return loss if reduction == "none" else getattr(np, reduction)(loss)


def _poly_by_subtraction(x: Any, t: Any, *, epsilon: float = 2.0, axis: int = -1,
                         reduction: str = "mean", **_: Any) -> Any:
    """optax's evaluation order: 1 - sum_c t_c s_c formed by subtraction."""
    ce = mlmath.softmax_cross_entropy(x, t, axis=axis, reduction="none")
    s = mlmath.softmax(np.asarray(x, np.float64), axis=axis)
    t = np.asarray(t)
    if t.ndim != s.ndim:
        t = np.moveaxis(np.eye(s.shape[axis])[t], -1, axis)
    loss = ce + epsilon * (1 - np.sum(t * s, axis=axis))
    return loss if reduction == "none" else getattr(np, reduction)(loss)



# --------------------------------------------------------------------------- #
# Hinge losses (issue 16)                                                     #
# --------------------------------------------------------------------------- #

# scores on a grid of quarters (so that kinks y f = margin are hit exactly) or any float
_SCORE = st.integers(-16, 16).map(lambda k: k / 4) | st.floats(-30, 30)
_MARGINS = st.sampled_from([0.0, 0.5, 1.0, 2.0])


@st.composite
def _hinge_problems(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 6))
    z = np.array(draw(st.lists(_SCORE, min_size=n, max_size=n)))
    encoding = draw(st.sampled_from([(-1, 1), (0, 1)]))
    y = np.array(draw(st.lists(st.sampled_from(encoding), min_size=n, max_size=n)))
    return z, y


@st.composite
def _margin_problems(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    x = np.array(draw(st.lists(_SCORE, min_size=n * c, max_size=n * c))).reshape(n, c)
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return x, y


@given(p=_hinge_problems(), margin=_MARGINS)
@example(p=(np.array([0.5, -2.0]), np.array([0, 1])), margin=1.0)
def test_hinge_loss_is_twice_the_two_class_margin_loss(mm, p, margin):
    """Binary hinge of (f, y) = 2 x multiclass hinge of the scores (0, f) with class
    [y = +1]: 0/1 and -1/+1 labels are the same two classes."""
    z, y = p
    binary = mm.hinge_loss(z, y, margin=margin, reduction="none")
    two = mm.multiclass_hinge_loss(np.stack([np.zeros_like(z), z], axis=-1),
                                   (y == 1).astype(int), margin=margin, reduction="none")
    assert_close_eps(binary, 2 * two, prop="hinge-two-class", rtol_eps=2, atol_eps=2,
                     scores=z, targets=y, margin=margin)


def _hinge_subgradient_check(mm_loss: Any, mm_grad: Any, x: np.ndarray, y: np.ndarray,
                             margin: float, other: np.ndarray, **kw: Any) -> None:
    """Convexity: L(x') >= L(x) + <g, x' - x> for every x' (g a subgradient)."""
    g = mm_grad(x, y, margin=margin, **kw)
    lhs = mm_loss(other, y, margin=margin, **kw)
    rhs = mm_loss(x, y, margin=margin, **kw) + np.sum(g * (other - x))
    tol = 16 * np.finfo(np.float64).eps * (1 + margin + np.abs(x).sum() + np.abs(other).sum())
    assert_all(lhs >= rhs - tol, "hinge-subgradient", "L(x') >= L(x) + <g, x' - x>",
               scores=x, targets=y, margin=margin, other=other, grad=g)


@given(p=_hinge_problems(), margin=_MARGINS, data=st.data(),
       reduction=st.sampled_from(["mean", "sum"]))
@example(p=(np.array([1.0, 0.5]), np.array([1, -1])), margin=1.0, data=None,
         reduction="sum")
def test_hinge_loss_grad_is_the_minimum_norm_subgradient(mm, p, margin, data, reduction):
    """hinge_loss_grad is a subgradient (the convexity inequality at any other point)
    and, at a kink y f = margin, is 0, the minimum-norm element of [-y, 0]."""
    z, y = p
    sign = np.where(y == 1, 1.0, -1.0)
    g = mm.hinge_loss_grad(z, y, margin=margin, reduction=reduction)
    kink = sign * z == margin
    assert_all(g[kink] == 0, "hinge-kink", "0 at the kink", scores=z, targets=y, grad=g)
    other = z + sign if data is None else np.array(
        data.draw(st.lists(_SCORE, min_size=z.size, max_size=z.size), label="other"))
    _hinge_subgradient_check(mm.hinge_loss, mm.hinge_loss_grad, z, y, margin, other,
                             reduction=reduction)


@given(p=_margin_problems(), margin=_MARGINS)
@example(p=(np.array([[0.0, 0.5, 0.25]]), np.array([0])), margin=1.0)
def test_multiclass_hinge_loss_is_the_mean_of_pairwise_hinges(mm, p, margin):
    """l_n = (1/C) sum_{c != y} hinge(x_y - x_c, +1): Weston-Watkins over every wrong class,
    divided by C (PyTorch's multi_margin_loss), not the Crammer-Singer max."""
    x, y = p
    n, c = x.shape
    got = mm.multiclass_hinge_loss(x, y, margin=margin, reduction="none")
    rows = np.arange(n)
    diff = x[rows, y][:, None] - x
    pair = mm.hinge_loss(diff, np.ones_like(diff), margin=margin, reduction="none")
    pair[rows, y] = 0
    want = pair.sum(axis=1) / c
    assert_close_eps(got, want, prop="multi-hinge-pairs", rtol_eps=4, atol_eps=4, scores=x,
                     labels=y, margin=margin)


@given(p=_margin_problems(), margin=_MARGINS, data=st.data())
@example(p=(np.array([[1.0, 0.5, -3.0]]), np.array([0])), margin=1.0, data=None)
def test_multiclass_hinge_loss_grad_is_a_subgradient_with_zero_row_sums(mm, p, margin, data):
    """Each gradient row sums to 0 (the loss is invariant to adding a constant to a row)
    and the gradient satisfies the convexity inequality at any other point."""
    x, y = p
    g = mm.multiclass_hinge_loss_grad(x, y, margin=margin)
    assert_close_eps(g.sum(axis=1), 0.0, prop="multi-hinge-grad-sum", rtol_eps=0,
                     atol_eps=4, scores=x, labels=y)
    other = x - 1.0 if data is None else np.array(data.draw(
        st.lists(_SCORE, min_size=x.size, max_size=x.size), label="other")).reshape(x.shape)
    _hinge_subgradient_check(mm.multiclass_hinge_loss, mm.multiclass_hinge_loss_grad, x, y,
                             margin, other)


def _hinge_raw_01_labels(z: Any, y: Any, *, margin: float = 1.0, reduction: str = "mean",
                         **_: Any) -> Any:
    """0/1 labels used as they are: y f with y = 0 gives the constant loss margin."""
    loss = np.maximum(0.0, margin - np.asarray(y, float) * np.asarray(z, float))
    return loss if reduction == "none" else getattr(np, reduction)(loss)


def _hinge_grad_counting_kinks(z: Any, y: Any, *, margin: float = 1.0,
                               reduction: str = "mean", **_: Any) -> Any:
    """A >= test: the kink gets -y (a subgradient, but not the minimum-norm one)."""
    z = np.asarray(z, float)
    t = np.where(np.asarray(y) == 1, 1.0, -1.0)
    g = np.where(margin - t * z >= 0, -t, 0.0)
    return g / z.size if reduction == "mean" else g


def _crammer_singer(x: Any, y: Any, *, margin: float = 1.0, reduction: str = "mean",
                    **_: Any) -> Any:
    """The max over wrong classes (scikit-learn's multiclass hinge), divided by C."""
    x = np.asarray(x, float)
    rows = np.arange(x.shape[0])
    slack = margin - x[rows, y][:, None] + x
    slack[rows, y] = -np.inf
    loss = np.maximum(slack.max(axis=1), 0) / x.shape[1]
    return loss if reduction == "none" else getattr(np, reduction)(loss)


def _multi_grad_label_column_missing(x: Any, y: Any, **kw: Any) -> Any:
    """Only the wrong classes' +1/C: the label column's -sum left out."""
    g = mlmath.multiclass_hinge_loss_grad(x, y, **kw)
    g[np.arange(g.shape[0]), y] = 0
    return g



# --------------------------------------------------------------------------- #
# Contrastive losses: InfoNCE and NT-Xent (issue 16)                          #
# --------------------------------------------------------------------------- #

_TAUS = st.sampled_from([0.1, 0.5, 1.0]) | st.floats(0.2, 2.0)
_SIMS = st.sampled_from(["cosine", "dot"])


def _embeddings(n: int, d: int) -> st.SearchStrategy[np.ndarray]:
    """Rows of norm >= 1/2 (central differences stay away from the safe-norm clamp)."""
    rows = st.lists(st.floats(-2, 2), min_size=d, max_size=d).filter(
        lambda r: float(np.hypot.reduce(r)) >= 0.5)
    return st.lists(rows, min_size=n, max_size=n).map(np.array)


@st.composite
def _info_nce_problems(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, extra, d = draw(st.integers(1, 4)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    q, k = draw(_embeddings(n, d)), draw(_embeddings(n + extra, d))
    pos = np.array(draw(st.lists(st.integers(0, n + extra - 1), min_size=n, max_size=n)))
    return q, k, pos


@st.composite
def _nt_xent_problems(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    m, d = draw(st.integers(2, 6)), draw(st.integers(1, 3))
    labels = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)))
    assume(np.any(np.bincount(labels) >= 2))
    return draw(_embeddings(m, d)), labels


@given(p=_info_nce_problems(), tau=_TAUS, similarity=_SIMS, data=st.data())
@example(p=(np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([1, 0])),
         tau=1.0, similarity="cosine", data=None)
def test_info_nce_is_invariant_to_permuting_the_keys(mm, p, tau, similarity, data):
    """Reordering the keys (and the positive indices with them) leaves every loss
    unchanged: the negatives form a set, only the positive is singled out."""
    q, k, pos = p
    perm = (np.arange(len(k))[::-1] if data is None
            else np.array(data.draw(st.permutations(range(len(k))), label="perm")))
    inverse = np.argsort(perm)   # key j moves to position inverse[j]
    kw = {"temperature": tau, "similarity": similarity, "reduction": "none"}
    a = mm.info_nce(q, k, positive=pos, **kw)
    b = mm.info_nce(q, k[perm], positive=inverse[pos], **kw)
    assert_close_eps(a, b, prop="info-nce-permutation", rtol_eps=16, atol_eps=16, query=q,
                     keys=k, positive=pos, perm=perm)


@given(p=_info_nce_problems(), similarity=_SIMS)
@example(p=(np.eye(2), np.eye(2), np.array([0, 1])), similarity="cosine")
def test_info_nce_temperature_limits(mm, p, similarity):
    """tau -> inf: every key equally likely, loss -> log M (|l - log M| <= 2 max|s| / tau);
    for any tau, 0 <= l, i.e. the MI bound log M - l never exceeds log M."""
    q, k, pos = p
    m = len(k)
    if similarity == "cosine":
        smax = 1.0
    else:
        smax = float(np.max(np.abs(q @ k.T)))
    tau = 1e6
    hot = mm.info_nce(q, k, positive=pos, temperature=tau, similarity=similarity,
                      reduction="none")
    assert_all(np.abs(hot - np.log(m)) <= 2 * smax / tau + 1e-15 * np.log(m + 1),
               "info-nce-hot", "l -> log M as tau -> inf", query=q, keys=k, loss=hot)
    cold = mm.info_nce(q, k, positive=pos, temperature=0.05, similarity=similarity,
                       reduction="none")
    assert_all(cold >= 0, "info-nce-nonneg", "l >= 0, log M - l <= log M", loss=cold)


@given(p=_info_nce_problems(), tau=_TAUS, similarity=_SIMS,
       reduction=st.sampled_from(["mean", "sum"]))
@example(p=(np.array([[1.0, 0.5]]), np.array([[0.5, 1.0], [1.0, -1.0]]), np.array([0])),
         tau=0.5, similarity="cosine", reduction="sum")
def test_info_nce_grad_matches_finite_differences(mm, p, tau, similarity, reduction):
    """info_nce_grad = the central-difference gradients in query and in keys."""
    q, k, pos = p
    kw = {"temperature": tau, "similarity": similarity, "positive": pos,
          "reduction": reduction}
    gq, gk = mm.info_nce_grad(q, k, **kw)
    for got, f, x in ((gq, lambda x: mm.info_nce(x, k, **kw), q),
                      (gk, lambda x: mm.info_nce(q, x, **kw), k)):
        fd, err = _central_difference(f, x)
        tol = err + 1e-7 * (1 + float(np.abs(fd).max(initial=0.0))) / tau ** 2
        assert_close_eps(got, fd, prop="info-nce-grad-vs-fd", rtol_eps=0,
                         atol_eps=tol / _eps(got), query=q, keys=k, **kw)


@given(p=_nt_xent_problems(), tau=_TAUS, similarity=_SIMS)
@example(p=(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]]),
            np.array([0, 1, 0, 1])), tau=1.0, similarity="dot")
def test_nt_xent_is_the_cross_entropy_of_each_positive_against_the_negatives(
        mm, p, tau, similarity):
    """Each positive pair's loss is softmax_cross_entropy of [S_ij, S_ik for k negative]
    with class 0, the anchor itself never a candidate; "mean" averages over the pairs."""
    e, labels = p
    z = e / np.linalg.norm(e, axis=1, keepdims=True) if similarity == "cosine" else e
    s = z @ z.T / tau
    losses = []
    for i in range(len(e)):
        for j in range(len(e)):
            if i != j and labels[i] == labels[j]:
                row = np.concatenate([[s[i, j]], s[i, labels != labels[i]]])
                losses.append(float(mm.softmax_cross_entropy(row[None, :], [0])))
    got = mm.nt_xent(e, labels, temperature=tau, similarity=similarity)
    assert_close_eps(got, np.mean(losses), prop="nt-xent-definition", rtol_eps=64,
                     atol_eps=64, embeddings=e, labels=labels, temperature=tau)


@given(p=_nt_xent_problems(), tau=_TAUS, similarity=_SIMS,
       reduction=st.sampled_from(["mean", "sum"]))
@example(p=(np.array([[1.0, 0.0], [0.5, 1.0], [1.0, 1.0]]), np.array([0, 0, 1])),
         tau=1.0, similarity="dot", reduction="sum")
def test_nt_xent_grad_matches_finite_differences(mm, p, tau, similarity, reduction):
    """nt_xent_grad = the central-difference gradient (both uses of each embedding, as
    anchor and as candidate)."""
    e, labels = p
    kw = {"temperature": tau, "similarity": similarity, "reduction": reduction}
    g = mm.nt_xent_grad(e, labels, **kw)
    fd, err = _central_difference(lambda x: mm.nt_xent(x, labels, **kw), e)
    tol = err + 1e-7 * (1 + float(np.abs(fd).max(initial=0.0))) / tau ** 2
    assert_close_eps(g, fd, prop="nt-xent-grad-vs-fd", rtol_eps=0, atol_eps=tol / _eps(g),
                     embeddings=e, labels=labels, **kw)


def _info_nce_ignoring_positive(q: Any, k: Any, *, positive: Any = None, **kw: Any) -> Any:
    """``positive`` dropped: row i of keys always taken as query i's positive."""
    return mlmath.info_nce(q, k, **kw)


def _info_nce_decoupled(q: Any, k: Any, *, temperature: float = 0.1,
                        similarity: str = "cosine", positive: Any = None,
                        reduction: str = "mean", **_: Any) -> Any:
    """The positive left out of the denominator (negatives only): the limit is log(M - 1)."""
    q, k = np.asarray(q, float), np.asarray(k, float)
    if similarity == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        k = k / np.linalg.norm(k, axis=1, keepdims=True)
    s = q @ k.T / temperature
    pos = np.arange(len(q)) if positive is None else np.asarray(positive)
    rows = np.arange(len(q))
    neg = s.copy()
    neg[rows, pos] = -np.inf
    loss = mlmath.logsumexp(neg, axis=1, validate=False) - s[rows, pos]
    return loss if reduction == "none" else getattr(np, reduction)(loss)


def _info_nce_grad_no_projection(q: Any, k: Any, *, similarity: str = "cosine",
                                 **kw: Any) -> Any:
    """Cosine gradient divided by the norm but without removing the radial part."""
    if similarity == "dot":
        return mlmath.info_nce_grad(q, k, similarity=similarity, **kw)
    q, k = np.asarray(q, float), np.asarray(k, float)
    nq = np.linalg.norm(q, axis=1, keepdims=True)
    nk = np.linalg.norm(k, axis=1, keepdims=True)
    gq, gk = mlmath.info_nce_grad(q / nq, k / nk, similarity="dot", **kw)
    return gq / nq, gk / nk


def _nt_xent_self_in_denominator(e: Any, labels: Any, *, temperature: float = 0.1,
                                 similarity: str = "cosine", reduction: str = "mean",
                                 **_: Any) -> Any:
    """The anchor's self-similarity S_ii kept among the candidates (diagonal not masked)."""
    e = np.asarray(e, float)
    labels = np.asarray(labels)
    z = e / np.linalg.norm(e, axis=1, keepdims=True) if similarity == "cosine" else e
    s = z @ z.T / temperature
    losses = []
    for i in range(len(e)):
        for j in range(len(e)):
            if i != j and labels[i] == labels[j]:
                cand = np.concatenate([[s[i, j], s[i, i]], s[i, labels != labels[i]]])
                losses.append(float(mlmath.logsumexp(cand)) - s[i, j])
    return np.mean(losses) if reduction == "mean" else np.sum(losses)


def _nt_xent_grad_anchor_only(e: Any, labels: Any, *, temperature: float = 0.1,
                              similarity: str = "cosine", reduction: str = "mean",
                              **_: Any) -> Any:
    """dS = G, back-propagated as G E / tau only: the G^T E / tau term (each embedding's
    use as a candidate of the other anchors) forgotten."""
    e, labels = np.asarray(e, float), np.asarray(labels)
    norms = np.linalg.norm(e, axis=1, keepdims=True) if similarity == "cosine" else 1.0
    z = e / norms
    s = z @ z.T / temperature
    same = labels[:, None] == labels[None, :]
    pos, neg = same & ~np.eye(len(e), dtype=bool), ~same
    a = mlmath.logsumexp(np.where(neg, s, -np.inf), axis=1, keepdims=True, validate=False)
    with np.errstate(invalid="ignore"):
        sig = np.where(pos, mlmath.sigmoid(a - s), 0.0)
        w = np.where(neg, np.exp(s - a), 0.0)
    g = (w * sig.sum(axis=1, keepdims=True) - sig)
    g = g / np.count_nonzero(pos) if reduction == "mean" else g
    d = g @ z / temperature
    if similarity == "cosine":
        d = (d - z * np.sum(z * d, axis=1, keepdims=True)) / norms
    return d


# --------------------------------------------------------------------------- #
# -inf logits mask classes (issue 18)                                         #
# --------------------------------------------------------------------------- #


@st.composite
def _masked_problems(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """(logits with masked columns set to -inf, targets, kept-column mask, kwargs).

    Targets carry no mass on masked columns: index targets among the kept classes,
    or probability targets that are 0 there.  Class weights are optional.
    """
    dtype = draw(mst.float_dtypes(), label="dtype")
    n = draw(st.integers(1, 4), label="N")
    c = draw(st.integers(2, MAX_SIDE), label="C")
    kept = np.array(draw(st.lists(st.booleans(), min_size=c, max_size=c), label="kept"))
    kept[draw(st.integers(0, c - 1), label="one kept class")] = True
    x = draw(mst.logits(shape=(n, c), dtype=dtype), label="logits")
    x[:, ~kept] = -np.inf
    kw: dict[str, Any] = {"reduction": "none"}
    if draw(st.booleans(), label="probability targets"):
        t = draw(mst.probability_vectors(shape=(n, int(kept.sum())), dtype=dtype), label="t")
        targets = np.zeros((n, c), dtype)
        targets[:, kept] = t
    else:
        targets = np.flatnonzero(kept)[draw(st.lists(
            st.integers(0, int(kept.sum()) - 1), min_size=n, max_size=n), label="labels")]
    if draw(st.booleans(), label="class weights"):
        kw["class_weights"] = draw(st.lists(st.floats(0.1, 5.0), min_size=c, max_size=c),
                                   label="class_weights")
    return x, targets, kept, kw


def _dropped(x: np.ndarray, targets: np.ndarray, kept: np.ndarray,
             kw: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The same problem with the masked columns removed (labels renumbered)."""
    kw = dict(kw)
    if "class_weights" in kw:
        kw["class_weights"] = np.asarray(kw["class_weights"])[kept]
    if targets.ndim == 2:
        return x[:, kept], targets[:, kept], kw
    return x[:, kept], np.cumsum(kept)[targets] - 1, kw


@given(problem=_masked_problems())
def test_masked_class_is_a_dropped_column(mm, problem):
    """A -inf logit removes its class: the loss equals the loss without that column, and
    the gradient is exactly 0 there and equals the dropped problem's elsewhere."""
    x, targets, kept, kw = problem
    xd, td, kwd = _dropped(x, targets, kept, kw)
    loss, expected = mm.softmax_cross_entropy(x, targets, **kw), mm.softmax_cross_entropy(
        xd, td, **kwd)
    assert_close_eps(loss, expected, prop="mask-loss", rtol_eps=4, atol_eps=4, x=x, t=targets)
    grad = mm.softmax_cross_entropy_grad(x, targets, **kw)
    assert_all(grad[:, ~kept] == 0, "mask-grad", "gradient of a masked class == 0 exactly",
               x=x, t=targets)
    assert_close_eps(grad[:, kept], mm.softmax_cross_entropy_grad(xd, td, **kwd),
                     prop="mask-grad", rtol_eps=4, atol_eps=4, x=x, t=targets)


@given(problem=_masked_problems(), smoothing=st.floats(1e-3, 1.0))
def test_masked_class_with_target_mass_costs_inf(mm, problem, smoothing):
    """Label smoothing gives every class mass, so a masked class makes the loss +inf
    (PyTorch's result); the gradient stays finite (its limit, -a on the masked class)."""
    x, targets, kept, kw = problem
    assume(not kept.all())
    loss = mm.softmax_cross_entropy(x, targets, label_smoothing=smoothing, **kw)
    assert_all(loss == np.inf, "mask-smoothing", "loss == +inf", x=x, t=targets)
    grad = mm.softmax_cross_entropy_grad(x, targets, label_smoothing=smoothing, **kw)
    assert_all(np.isfinite(grad), "mask-smoothing", "finite gradient", x=x, t=targets)


def _mask_as_finite_offset(fn: Any) -> Any:
    """The common workaround: a masked logit becomes (row's smallest finite logit - 10)."""
    def broken(x: Any, t: Any, **kw: Any) -> Any:
        x = np.asarray(x)
        finite = np.where(np.isinf(x), np.nan, x)
        low = np.nanmin(finite, axis=-1, keepdims=True) - 10
        return fn(np.where(np.isinf(x), low, x), t, **kw)
    return broken


def _zero_times_log_zero_is_nan(x: Any, t: Any, **kw: Any) -> Any:
    """PyTorch's probability-target loss: -sum t log_softmax(x), NaN where 0·(-inf)."""
    t = np.asarray(t)
    if t.ndim != np.ndim(x):
        return mlmath.softmax_cross_entropy(x, t, **kw)
    with np.errstate(invalid="ignore"):
        terms = -t * mlmath.log_softmax(np.asarray(x, dtype=t.dtype))
    w = kw.get("class_weights")
    return np.sum(terms * (1 if w is None else np.asarray(w)), axis=-1)


MUTANTS = [
    (test_softmax_cross_entropy_nonnegative, {_BAD_LOSS: _forgot_log_partition}),
    (test_softmax_cross_entropy_gibbs_lower_bound, {_BAD_LOSS: _dropped_log1p}),
    (test_softmax_cross_entropy_index_is_neg_log_softmax, {_BAD_LOSS: _off_by_one_label}),
    (test_softmax_cross_entropy_index_equals_one_hot, {_BAD_GRAD: _probs_ignore_smoothing}),
    (test_softmax_cross_entropy_grad_is_softmax_minus_target,
     {_BAD_GRAD: _grad_target_minus_softmax}),
    (test_softmax_cross_entropy_grad_rows_sum_to_zero, {_BAD_GRAD: _grad_missing_total_mass}),
    (test_softmax_cross_entropy_grad_is_bounded, {_BAD_GRAD: _grad_unnormalised}),
    (test_softmax_cross_entropy_is_convex_in_logits,
     {_BAD_LOSS: lambda x, t, **kw: -mlmath.softmax_cross_entropy(x, t, **kw)}),
    (test_softmax_cross_entropy_hessian_is_psd, {_BAD_GRAD: _grad_target_minus_softmax}),
    (test_softmax_cross_entropy_is_shift_invariant, {_BAD_LOSS: _sigmoid_per_class}),
    (test_softmax_cross_entropy_label_smoothing_is_a_mixture,
     {_BAD_LOSS: _smoothing_over_other_classes}),
    (test_softmax_cross_entropy_class_weights_give_weighted_mean,
     {_BAD_LOSS: _weighted_mean_over_n}),
    (test_softmax_cross_entropy_ignore_index_drops_rows, {_BAD_LOSS: _ignored_in_denominator}),
    (test_softmax_cross_entropy_grad_matches_finite_differences,
     {_BAD_GRAD: _mean_grad_missing_1_over_n}),
    (test_sigmoid_binary_cross_entropy_grad_matches_finite_differences,
     {"sigmoid_binary_cross_entropy_grad": _bce_grad_pos_weight_on_negatives}),
    (test_sigmoid_binary_cross_entropy_is_softplus_minus_yz,
     {"sigmoid_binary_cross_entropy": _bce_swapped_targets}),
    (test_sigmoid_binary_cross_entropy_is_two_class_softmax,
     {"sigmoid_binary_cross_entropy": _bce_negated_logits}),
    (test_binary_cross_entropy_is_sigmoid_bce_at_the_logit,
     {"binary_cross_entropy": _bce_keras_clip}),
    (test_sigmoid_focal_loss_keeps_the_digits_of_confident_labels,
     {"sigmoid_focal_loss": _focal_by_subtraction}),
    (test_sigmoid_focal_loss_is_symmetric_under_relabelling,
     {"sigmoid_focal_loss": lambda z, y, *, alpha=0.25, **kw: mlmath.sigmoid_focal_loss(
         z, y, alpha=None, **kw) * (1.0 if alpha is None else alpha)}),
    (test_sigmoid_focal_loss_is_a_damped_weighted_bce,
     {"sigmoid_focal_loss": lambda z, y, *, alpha=0.25, gamma=2.0, reduction="mean":
      mlmath.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma + 1, reduction=reduction)}),
    (test_sigmoid_focal_loss_grad_matches_finite_differences,
     {"sigmoid_focal_loss_grad": lambda z, y, *, alpha=0.25, gamma=2.0, reduction="mean":
      mlmath.sigmoid_focal_loss_grad(z, y, alpha=alpha, gamma=0.0, reduction=reduction)}),
    (test_poly_loss_adds_epsilon_times_the_missed_probability,
     {"poly_loss_cross_entropy": _poly_by_subtraction}),
    (test_poly_loss_grad_rows_sum_to_zero_and_match_finite_differences,
     {"poly_loss_cross_entropy_grad": lambda x, t, *, epsilon=2.0, **kw:
      mlmath.poly_loss_cross_entropy_grad(x, t, epsilon=0.0, **kw)}),
    (test_hinge_loss_is_twice_the_two_class_margin_loss, {"hinge_loss": _hinge_raw_01_labels}),
    (test_hinge_loss_grad_is_the_minimum_norm_subgradient,
     {"hinge_loss_grad": _hinge_grad_counting_kinks}),
    (test_hinge_loss_grad_is_the_minimum_norm_subgradient,
     {"hinge_loss_grad": lambda z, y, **kw: -mlmath.hinge_loss_grad(z, y, **kw)}),
    (test_multiclass_hinge_loss_is_the_mean_of_pairwise_hinges,
     {"multiclass_hinge_loss": _crammer_singer}),
    (test_multiclass_hinge_loss_grad_is_a_subgradient_with_zero_row_sums,
     {"multiclass_hinge_loss_grad": _multi_grad_label_column_missing}),
    (test_info_nce_is_invariant_to_permuting_the_keys,
     {"info_nce": _info_nce_ignoring_positive}),
    (test_info_nce_temperature_limits, {"info_nce": _info_nce_decoupled}),
    (test_info_nce_grad_matches_finite_differences,
     {"info_nce_grad": _info_nce_grad_no_projection}),
    (test_nt_xent_is_the_cross_entropy_of_each_positive_against_the_negatives,
     {"nt_xent": _nt_xent_self_in_denominator}),
    (test_nt_xent_grad_matches_finite_differences,
     {"nt_xent_grad": _nt_xent_grad_anchor_only}),
    (test_masked_class_is_a_dropped_column,
     {_BAD_GRAD: _mask_as_finite_offset(mlmath.softmax_cross_entropy_grad)}),
    (test_masked_class_is_a_dropped_column, {_BAD_LOSS: _zero_times_log_zero_is_nan}),
    (test_masked_class_with_target_mass_costs_inf,
     {_BAD_LOSS: _mask_as_finite_offset(mlmath.softmax_cross_entropy)}),
]


@pytest.mark.parametrize(("prop", "broken"), MUTANTS,
                         ids=[f"{m[0].__name__[5:]}-{i}" for i, m in enumerate(MUTANTS)])
def test_property_catches_mutant(prop, broken):
    """Each property fails for an implementation with the named realistic bug."""
    expect_property_failure(prop, mm=mutant(**broken))
