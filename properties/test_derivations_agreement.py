"""Agreement of mlmath's hand-written gradients with the SymPy derivations.

Every derived expression (``derivations/``, committed in
``derivations/generated/``) is lambdified with the NumPy printer
(``derivations.numeric``) and evaluated in long double, rounded to float64, at
Hypothesis-drawn points; the implementation under test (``mm``) is evaluated
on the same values in the drawn dtype (float32 or float64).  Where mlmath has
no gradient function (softmax Jacobians, information measures, the Huber
function, the CE Hessian, the attention Jacobians) the derivative is compared
with central finite differences of ``mm``'s forward function in float64.

Tolerances are in eps of the dtype under test: ``rtol_eps`` for relative
error and ``atol_eps`` times the magnitude of the *terms* being summed (a
gradient entry like ``s - y`` can cancel to ~0, where a relative bound means
nothing).  Each tolerance is commented with why.
"""

from __future__ import annotations

import functools
from typing import Any

import mlmath.derivations as derivations
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from mlmath.derivations.attention import MASKS

import mlmath
from mlmath import strategies as mst
from mlmath.testing import assert_close_eps, expect_property_failure, mutant


def derived(topic: str, name: str) -> Any:
    """The lambdified derivation, evaluated in long double and returned as float64.

    SymPy's raw derivative can cancel (e.g. ``1 - s`` in a CE gradient entry);
    the same NumPy-printer code run on ``np.longdouble`` (64-bit significand on
    x86-64 Linux) makes those rounding errors 2^11 times smaller than in float64,
    so the tolerances below measure the library.  Where long double is float64
    (e.g. macOS arm64) the absolute parts of the tolerances still cover them.
    """
    fn = derivations.numeric(topic, name)

    def reference(*args: Any) -> np.ndarray:
        return np.asarray(fn(*[np.asarray(a, dtype=np.longdouble) for a in args]),
                          dtype=np.float64)
    return reference


# --- strategies (fixed sizes: the derivations are concrete, e.g. N = 2, C = 3) ---------

def _floats(lo: float, hi: float, dtype: Any = np.float32) -> st.SearchStrategy[float]:
    """Floats in ~[lo, hi] exactly representable in ``dtype`` (so no argument is rounded)."""
    cast = np.dtype(dtype).type
    return st.floats(float(cast(lo)), float(cast(hi)), width=np.dtype(dtype).itemsize * 8)


def _arrays(shape: tuple[int, ...], lo: float, hi: float, dtype: Any) -> st.SearchStrategy:
    # fill=nothing: every entry drawn on its own.  Hypothesis otherwise often fills an
    # array with one repeated value, e.g. equal keys, for which dq = 0 whatever the bug.
    return hnp.arrays(dtype, shape, elements=_floats(lo, hi, dtype), fill=st.nothing())


@st.composite
def _simplex(draw: st.DrawFn, n: int = 3, floor: float = 0.05) -> np.ndarray:
    """A float64 probability vector, entries >= ``floor`` (finite differences stay inside)."""
    raw = draw(_arrays((n,), 1.0, 20.0, np.float64))
    return floor + (1 - n * floor) * raw / raw.sum()


def _tangent_direction(n: int = 3) -> st.SearchStrategy[np.ndarray]:
    """``e_i - e_j`` (i != j): a direction along the simplex (its entries sum to 0)."""
    return st.permutations(range(n)).map(lambda perm: np.eye(n)[perm[0]] - np.eye(n)[perm[1]])


#: Central-difference step and tolerance, float64 only.  With h = 2^-20 ~ 1e-6 the
#: truncation error is <= h^2 |f'''| / 6 ~ 2e-10 (|f'''| <= 2 / 0.05^2 here) and the
#: rounding error <= eps |f| / h ~ 2e-10, so 2^24 eps ~ 3.7e-9 leaves a 5x margin.
FD_STEP = 2.0**-20
FD_ATOL_EPS = 2.0**24


def _central_difference(f: Any, x: np.ndarray, direction: np.ndarray) -> Any:
    return (np.asarray(f(x + FD_STEP * direction), np.float64)
            - np.asarray(f(x - FD_STEP * direction), np.float64)) / (2 * FD_STEP)


# --- special: the library's forward functions are the derivatives' closed forms --------

@given(dtype=mst.float_dtypes(), data=st.data())
def test_logsumexp_gradient_agrees_with_softmax(mm, dtype, data):
    """d logsumexp(z)/dz (derived) = mm.softmax(z) for |z| <= 30 (Boyd & Vandenberghe 3.1.5)."""
    z = data.draw(mst.logits(shape=(3,), dtype=dtype), label="z")
    # softmax: ~4 roundings per entry (shift, exp, sum, divide); 8 eps relative + absolute.
    assert_close_eps(mm.softmax(z), derived("special", "logsumexp_grad")(z.astype(np.float64)),
                     prop="d-logsumexp", rtol_eps=8, atol_eps=8, z=z)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_log_sigmoid_derivative_agrees_with_sigmoid(mm, dtype, data):
    """d log sigma(x)/dx (derived) = mm.sigmoid(-x)."""
    x = data.draw(_arrays((4,), -30, 30, dtype), label="x")
    # sigmoid: exp plus one add and one divide, 4 eps relative.
    assert_close_eps(mm.sigmoid(-x), derived("special", "log_sigmoid_derivative")(
        x.astype(np.float64)), prop="d-log-sigmoid", rtol_eps=4, x=x)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_softplus_derivative_agrees_with_sigmoid(mm, dtype, data):
    """d softplus(x)/dx (derived) = mm.sigmoid(x)."""
    x = data.draw(_arrays((4,), -30, 30, dtype), label="x")
    # as above: 4 eps relative.
    assert_close_eps(mm.sigmoid(x), derived("special", "softplus_derivative")(
        x.astype(np.float64)), prop="d-softplus", rtol_eps=4, x=x)


@pytest.mark.parametrize("name,forward", [
    ("softmax_jacobian", "softmax"),
    ("log_softmax_jacobian", "log_softmax"),
    ("logsumexp_hessian_n3", "softmax"),  # the Hessian of lse is the Jacobian of its gradient
])
@given(z=mst.logits(shape=(3,), bound=10.0), direction=_tangent_direction())
def test_special_jacobian_agrees_with_finite_differences(mm, name, forward, z, direction):
    """J d (derived Jacobian) = central difference of mm.<forward> along d."""
    jac = derived("special", name)(z)
    fd = _central_difference(getattr(mm, forward), z, direction)
    assert_close_eps(fd, jac @ direction, prop=f"{name}-fd", rtol_eps=0, atol_eps=FD_ATOL_EPS,
                     eps=np.finfo(np.float64).eps, z=z, direction=direction)


# --- information: gradients vs finite differences along the simplex ---------------------

def _information_cases() -> list[Any]:
    """(derivation, mm function, which argument moves)."""
    cases = [
        ("entropy_grad_p", "entropy", "p"),
        ("cross_entropy_grad_p", "cross_entropy", "p"),
        ("cross_entropy_grad_q", "cross_entropy", "q"),
        ("kl_divergence_grad_p", "kl_divergence", "p"),
        ("kl_divergence_grad_q", "kl_divergence", "q"),
        ("js_divergence_grad_p", "js_divergence", "p"),
    ]
    return [pytest.param(*case, id=case[0]) for case in cases]


@pytest.mark.parametrize("name,function,moving", _information_cases())
@given(p=_simplex(), q=_simplex(), direction=_tangent_direction(),
       base=st.sampled_from([None, 2.0, 10.0]))
def test_information_gradient_agrees_with_finite_differences(mm, name, function, moving,
                                                             p, q, direction, base):
    """grad.d / log(base) (derived, nats) = central difference of mm.<function> along d."""
    f = functools.partial(getattr(mm, function), base=base)
    if function == "entropy":
        grad = derived("information", name)(p)
        fd = _central_difference(f, p, direction)
    else:
        grad = derived("information", name)(p, q)
        fd = (_central_difference(lambda x: f(x, q), p, direction) if moving == "p"
              else _central_difference(lambda x: f(p, x), q, direction))
    in_base = 1.0 if base is None else np.log(base)
    assert_close_eps(fd, grad @ direction / in_base, prop=f"{name}-fd", rtol_eps=0,
                     atol_eps=FD_ATOL_EPS, p=p, q=q, direction=direction, base=base)


@given(p=st.floats(0.05, 0.95))
def test_binary_entropy_derivative_agrees_with_finite_differences(mm, p):
    """H_b'(p) (derived) = central difference of mm.binary_entropy."""
    fd = _central_difference(mm.binary_entropy, np.float64(p), np.float64(1.0))
    assert_close_eps(fd, derived("information", "binary_entropy_derivative")(p),
                     prop="binary-entropy-fd", rtol_eps=0, atol_eps=FD_ATOL_EPS, p=p)


# --- losses ------------------------------------------------------------------------------

N, C = 2, 3
_IGNORE = -100


@st.composite
def _ce_keywords(draw: st.DrawFn) -> dict[str, Any]:
    """label_smoothing (often 0), class_weights (often None) and reduction."""
    return {
        "label_smoothing": draw(st.just(0.0) | _floats(0.0, 0.9), label="label_smoothing"),
        "class_weights": draw(st.none() | _arrays((C,), 0.1, 10.0, np.float64),
                              label="class_weights"),
        "reduction": draw(st.sampled_from(["mean", "sum"]), label="reduction"),
    }


def _ce_scale(kw: dict[str, Any]) -> float:
    """Largest class weight (>= 1): the magnitude of the terms of a CE gradient entry."""
    w = kw["class_weights"]
    return 1.0 if w is None else max(1.0, float(np.max(w)))


def _weights64(kw: dict[str, Any]) -> np.ndarray:
    return np.ones(C) if kw["class_weights"] is None else kw["class_weights"]


@given(dtype=mst.float_dtypes(), data=st.data())
def test_softmax_cross_entropy_grad_index_targets_agrees(mm, dtype, data):
    """mm.softmax_cross_entropy_grad = derived dCE/dlogits for class-index targets.

    Covers smoothing, class weights, ignore_index and PyTorch's weighted mean
    (divide by the summed weights of the non-ignored targets).
    """
    z = data.draw(mst.logits(shape=(N, C), dtype=dtype), label="logits")
    labels = np.array(data.draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N),
                                label="labels"))
    ignored = np.array(data.draw(st.lists(st.booleans(), min_size=N, max_size=N),
                                 label="ignored"))
    kw = data.draw(_ce_keywords(), label="keywords")
    assume(kw["reduction"] == "sum" or not ignored.all())  # an empty weighted mean is 0/0
    targets = np.where(ignored, _IGNORE, labels)
    onehot = np.eye(C)[labels] * ~ignored[:, None]  # ignored sample: zero row
    got = mm.softmax_cross_entropy_grad(z, targets, ignore_index=_IGNORE, **kw)
    want = derived("losses", f"softmax_cross_entropy_grad_index_{kw['reduction']}")(
        z.astype(np.float64), onehot, _weights64(kw), kw["label_smoothing"])
    # entry = A s - a with A, a sums of C weighted terms: (C + 4) roundings on terms of
    # size max(w); the mean's division adds one.  16 eps of the largest term.
    assert_close_eps(got, want, prop="ce-grad-index", rtol_eps=16,
                     atol_eps=16 * _ce_scale(kw), logits=z, targets=targets, **kw)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_softmax_cross_entropy_grad_probability_targets_agrees(mm, dtype, data):
    """mm.softmax_cross_entropy_grad = derived dCE/dlogits for probability targets (mean over N)."""
    z = data.draw(mst.logits(shape=(N, C), dtype=dtype), label="logits")
    raw = data.draw(hnp.arrays(dtype, (N, C), elements=st.just(0.0) | _floats(0.01, 1.0, dtype)),
                    label="raw targets")
    raw[raw.sum(axis=-1) == 0, 0] = 1  # an all-zero row becomes a one-hot row, not a rejection
    targets = raw / raw.sum(axis=-1, keepdims=True)  # in dtype; may hold exact zeros
    kw = data.draw(_ce_keywords(), label="keywords")
    got = mm.softmax_cross_entropy_grad(z, targets, **kw)
    want = derived("losses", f"softmax_cross_entropy_grad_probs_{kw['reduction']}")(
        z.astype(np.float64), targets.astype(np.float64), _weights64(kw), kw["label_smoothing"])
    # as for index targets: 16 eps of the largest term.
    assert_close_eps(got, want, prop="ce-grad-probs", rtol_eps=16,
                     atol_eps=16 * _ce_scale(kw), logits=z, targets=targets, **kw)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_sigmoid_binary_cross_entropy_grad_agrees(mm, dtype, data):
    """mm.sigmoid_binary_cross_entropy_grad = derived d BCE/d logit, with pos_weight per class."""
    z = data.draw(mst.logits(shape=(N, C), dtype=dtype), label="logits")
    y = data.draw(_arrays((N, C), 0.0, 1.0, dtype) | st.just(np.eye(N, C, dtype=dtype)),
                  label="targets")
    pos_weight = data.draw(st.none() | _arrays((C,), 0.1, 10.0, np.float64), label="pos_weight")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    got = mm.sigmoid_binary_cross_entropy_grad(z, y, pos_weight=pos_weight, reduction=reduction)
    pw = np.ones(C) if pos_weight is None else pos_weight
    want = derived("losses", "sigmoid_binary_cross_entropy_grad")(
        z.astype(np.float64), y.astype(np.float64), pw[None, :])
    want = want / z.size if reduction == "mean" else want
    # (1 - y) sigma(z) - pw y sigma(-z): ~6 roundings on terms of size max(1, pw).
    scale = max(1.0, float(np.max(pw)))
    assert_close_eps(got, want, prop="bce-grad", rtol_eps=8, atol_eps=8 * scale, logits=z,
                     targets=y, pos_weight=pos_weight, reduction=reduction)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_sigmoid_focal_loss_grad_agrees(mm, dtype, data):
    """mm.sigmoid_focal_loss_grad = the SymPy-derived d focal / d logit (alpha, gamma)."""
    z = data.draw(mst.logits(shape=(N, C), dtype=dtype), label="logits")
    y = data.draw(_arrays((N, C), 0.0, 1.0, dtype) | st.just(np.eye(N, C, dtype=dtype)),
                  label="targets")
    alpha = data.draw(st.none() | _floats(0.0, 1.0, np.float64), label="alpha")
    gamma = data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]) | _floats(0.0, 5.0, np.float64),
                      label="gamma")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    got = mm.sigmoid_focal_loss_grad(z, y, alpha=alpha, gamma=gamma, reduction=reduction)
    if gamma == 0:  # the derivation's gamma is positive; gamma = 0 is the weighted BCE
        want = derived("losses", "sigmoid_binary_cross_entropy_grad")(
            z.astype(np.float64), y.astype(np.float64), np.ones((1, C)))
        want = want * (1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y))
    else:
        a = np.full((N, C), np.nan) if alpha is None else alpha
        want = derived("losses", "sigmoid_focal_loss_grad")(
            z.astype(np.float64), y.astype(np.float64), a, gamma)
        if alpha is None:  # alpha_t = 1: the derivation at alpha = 1/2, doubled
            want = 2 * derived("losses", "sigmoid_focal_loss_grad")(
                z.astype(np.float64), y.astype(np.float64), 0.5, gamma)
    want = want / z.size if reduction == "mean" else want
    assert_close_eps(got, want, prop="focal-grad", rtol_eps=16, atol_eps=16, logits=z,
                     targets=y, alpha=alpha, gamma=gamma, reduction=reduction)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_poly_loss_cross_entropy_grad_agrees(mm, dtype, data):
    """mm.poly_loss_cross_entropy_grad = the SymPy-derived d poly-1 CE / d logits."""
    z = data.draw(mst.logits(shape=(N, C), dtype=dtype), label="logits")
    labels = data.draw(hnp.arrays(np.int64, (N,), elements=st.integers(0, C - 1)), label="y")
    eps = data.draw(st.sampled_from([0.0, 1.0, 2.0, -1.0]) | _floats(-5.0, 5.0, np.float64),
                    label="epsilon")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    got = mm.poly_loss_cross_entropy_grad(z, labels, epsilon=eps, reduction=reduction)
    want = derived("losses", f"poly_loss_cross_entropy_grad_{reduction}")(
        z.astype(np.float64), np.eye(C)[labels], eps)
    assert_close_eps(got, want, prop="poly-grad", rtol_eps=16, atol_eps=16 * (1 + abs(eps)),
                     logits=z, labels=labels, epsilon=eps, reduction=reduction)


# scores on a quarter grid hit the kinks (mu - y z = 0 exactly) as well as smooth points
_GRID = st.integers(-12, 12).map(lambda k: k / 4)


@given(data=st.data())
def test_hinge_loss_grad_agrees(mm, data):
    """mm.hinge_loss_grad = the SymPy-derived Piecewise d hinge / d score (kinks included)."""
    z = data.draw(hnp.arrays(np.float64, (N, C), elements=_GRID | _floats(-5, 5, np.float64)),
                  label="scores")
    y = data.draw(hnp.arrays(np.int64, (N, C), elements=st.sampled_from([-1, 1])), label="y")
    margin = data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]), label="margin")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    got = mm.hinge_loss_grad(z, y, margin=margin, reduction=reduction)
    want = derived("losses", "hinge_loss_grad")(z, y.astype(np.float64), margin)
    want = np.broadcast_to(want, z.shape) / (z.size if reduction == "mean" else 1)
    assert_close_eps(got, want, prop="hinge-grad", rtol_eps=2, atol_eps=2, scores=z,
                     targets=y, margin=margin, reduction=reduction)


@given(data=st.data())
def test_multiclass_hinge_loss_grad_agrees(mm, data):
    """mm.multiclass_hinge_loss_grad = the SymPy-derived d multi_margin_loss / d scores."""
    z = data.draw(hnp.arrays(np.float64, (N, C), elements=_GRID | _floats(-5, 5, np.float64)),
                  label="scores")
    labels = data.draw(hnp.arrays(np.int64, (N,), elements=st.integers(0, C - 1)), label="y")
    margin = data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]), label="margin")
    reduction = data.draw(st.sampled_from(["mean", "sum"]), label="reduction")
    got = mm.multiclass_hinge_loss_grad(z, labels, margin=margin, reduction=reduction)
    want = derived("losses", f"multiclass_hinge_loss_grad_{reduction}")(
        z, np.eye(C)[labels], margin)
    assert_close_eps(got, want, prop="multi-hinge-grad", rtol_eps=2, atol_eps=2, scores=z,
                     labels=labels, margin=margin, reduction=reduction)


@pytest.mark.parametrize("n_classes", [2, 3])
@given(data=st.data())
def test_softmax_cross_entropy_hessian_agrees_with_finite_differences(mm, n_classes, data):
    """Derived Hessian of one sample's CE = central difference of mm.softmax_cross_entropy_grad."""
    ce_grad = mm.softmax_cross_entropy_grad  # first: a target without it skips before SymPy
    z = data.draw(mst.logits(shape=(n_classes,), bound=10.0), label="logits")
    raw = data.draw(_arrays((n_classes,), 0.01, 1.0, np.float64), label="raw target")
    target = raw / raw.sum()
    w = data.draw(_arrays((n_classes,), 0.1, 10.0, np.float64), label="class_weights")
    eps = data.draw(_floats(0.0, 0.9), label="label_smoothing")
    direction = data.draw(_tangent_direction(n_classes) | st.just(np.ones(n_classes)),
                          label="direction")
    hess = derived("losses", f"softmax_cross_entropy_hessian_n{n_classes}")(z, target, w, eps)

    def grad(x: np.ndarray) -> Any:
        return ce_grad(x[None], target[None], class_weights=w, label_smoothing=eps,
                       reduction="sum")[0]

    # the FD tolerance above, times the largest weight (the gradient's scale).
    assert_close_eps(_central_difference(grad, z, direction), hess @ direction,
                     prop="ce-hessian-fd", rtol_eps=0, atol_eps=FD_ATOL_EPS * float(np.max(w)),
                     logits=z, target=target, class_weights=w, direction=direction)


# --- attention ----------------------------------------------------------------------------

LQ, LK, D = 2, 3, 2


#: mask pattern of the derivation -> keywords that select it in the library.
ATTENTION_MASKS = {
    None: {},
    "causal": {"causal": True},
    "mask": {"mask": np.array(MASKS["mask"])},  # row 0 has no allowed key: output 0
}


@pytest.mark.parametrize("masking", list(ATTENTION_MASKS), ids=str)
@given(dtype=mst.float_dtypes(), data=st.data())
def test_scaled_dot_product_attention_grad_agrees(mm, masking, dtype, data):
    """mm.scaled_dot_product_attention_grad = derived (dq, dk, dv), Lq=2, Lk=3, d=dv=2."""
    q = data.draw(_arrays((LQ, D), -3, 3, dtype), label="q")
    k = data.draw(_arrays((LK, D), -3, 3, dtype), label="k")
    v = data.draw(_arrays((LK, D), -3, 3, dtype), label="v")
    g = data.draw(_arrays((LQ, D), -3, 3, dtype), label="grad_out")
    scale = data.draw(st.none() | _floats(0.1, 2.0), label="scale")
    got = mm.scaled_dot_product_attention_grad(q, k, v, g, scale=scale,
                                               **ATTENTION_MASKS[masking])
    suffix = f"_{masking}" if masking else ""
    tau = 1 / np.sqrt(D) if scale is None else scale
    args64 = [a.astype(np.float64) for a in (q, k, v, g)]
    # dS = P * (dP - rowsum(P * dP)), dP = G v^T: terms of size |g||v| (d = 2 products,
    # Lk = 3 summands), then times scale and |k| or |q| (d more products).  ~32 roundings.
    gv = float(np.max(np.abs(g))) * float(np.max(np.abs(v))) + 1
    scales = {"q": tau * gv * (float(np.max(np.abs(k))) + 1),
              "k": tau * gv * (float(np.max(np.abs(q))) + 1),
              "v": float(np.max(np.abs(g))) + 1}
    for name, actual in zip("qkv", got, strict=True):
        want = derived("attention", f"attention_grad_{name}{suffix}")(*args64, tau)
        assert_close_eps(actual, want, prop=f"attention-d{name}", rtol_eps=32,
                         atol_eps=32 * scales[name], q=q, k=k, v=v, grad_out=g, scale=scale)


@pytest.mark.parametrize("wrt", ["q", "k", "v"])
@given(data=st.data())
def test_attention_jacobian_agrees_with_finite_differences(mm, wrt, data):
    """Derived d vec(out)/d vec(wrt), column j = central difference of mm's forward along e_j."""
    inputs = {name: data.draw(_arrays(shape, -3, 3, np.float64), label=name)
              for name, shape in (("q", (LQ, D)), ("k", (LK, D)), ("v", (LK, D)))}
    scale = data.draw(_floats(0.1, 2.0, np.float64), label="scale")
    column = data.draw(st.integers(0, inputs[wrt].size - 1), label="column")
    jac = derived("attention", f"attention_jacobian_{wrt}")(
        inputs["q"], inputs["k"], inputs["v"], scale)
    direction = np.zeros(inputs[wrt].size)
    direction[column] = 1.0

    def forward(x: np.ndarray) -> Any:
        moved = {**inputs, wrt: x.reshape(inputs[wrt].shape)}
        return np.ravel(mm.scaled_dot_product_attention(moved["q"], moved["k"], moved["v"],
                                                        scale=scale))

    fd = _central_difference(forward, inputs[wrt].ravel(), direction)
    # the FD tolerance, times the size of the outputs (|out| <= max|v|).
    assert_close_eps(fd, jac[:, column], prop=f"attention-jacobian-{wrt}-fd", rtol_eps=0,
                     atol_eps=FD_ATOL_EPS * (1 + float(np.max(np.abs(inputs["v"])))),
                     eps=np.finfo(np.float64).eps, column=column, scale=scale, **inputs)


# --- penalties ------------------------------------------------------------------------------

def _with_zeros(dtype: Any, shape: tuple[int, ...] = (3,)) -> st.SearchStrategy[np.ndarray]:
    """Entries in [-5, 5], often exactly 0 (the kink of |w|)."""
    return hnp.arrays(dtype, shape, elements=st.just(0.0) | _floats(-5, 5, dtype))


@given(dtype=mst.float_dtypes(), data=st.data())
def test_squared_l2_grad_agrees(mm, dtype, data):
    """mm.squared_l2_grad(w) = derived d(sum w^2)/dw = 2 w (exact)."""
    w = data.draw(_with_zeros(dtype), label="w")
    # 2 w is exact in binary floating point: 0 eps.
    assert_close_eps(mm.squared_l2_grad(w), derived("penalties", "squared_l2_grad")(
        w.astype(np.float64)), prop="squared-l2-grad", rtol_eps=0, w=w)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_l1_subgradient_agrees(mm, dtype, data):
    """mm.l1_subgradient(w) = derived sign(w) away from 0, and 0 (min-norm) at 0 (exact)."""
    w = data.draw(_with_zeros(dtype), label="w")
    # sign is exact: 0 eps.
    assert_close_eps(mm.l1_subgradient(w), derived("penalties", "l1_subgradient")(
        w.astype(np.float64)), prop="l1-subgradient", rtol_eps=0, w=w)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_elastic_net_subgradient_agrees(mm, dtype, data):
    """mm.elastic_net_subgradient = derived alpha (l1_ratio sign(w) + (1 - l1_ratio) w)."""
    w = data.draw(_with_zeros(dtype), label="w")
    alpha = data.draw(_floats(0.01, 10.0), label="alpha")
    l1_ratio = data.draw(_floats(0.0, 1.0), label="l1_ratio")
    got = mm.elastic_net_subgradient(w, alpha=alpha, l1_ratio=l1_ratio)
    want = derived("penalties", "elastic_net_subgradient")(w.astype(np.float64), alpha, l1_ratio)
    # 5 roundings (1 - rho, two products, sum, times alpha) on terms of size alpha (1 + |w|).
    scale = alpha * (1 + float(np.max(np.abs(w))))
    assert_close_eps(got, want, prop="elastic-net-subgradient", rtol_eps=8, atol_eps=8 * scale,
                     w=w, alpha=alpha, l1_ratio=l1_ratio)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_huber_grad_agrees(mm, dtype, data):
    """mm.huber_grad(x, delta) = derived huber'(x) = clip(x, -delta, delta) (exact)."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    delta = data.draw(_floats(0.1, 3.0, dtype), label="delta")
    # clipping is exact: 0 eps.
    assert_close_eps(mm.huber_grad(x, delta), derived("penalties", "huber_derivative")(
        x.astype(np.float64), float(delta)), prop="huber-grad", rtol_eps=0, x=x, delta=delta)


@given(x=_arrays((4,), -5, 5, np.float64), delta=_floats(0.1, 3.0, np.float64),
       direction=st.integers(0, 3).map(lambda i: np.eye(4)[i]))
def test_huber_derivative_agrees_with_finite_differences(mm, x, delta, direction):
    """Derived huber'(x_i) = central difference of mm.huber in x_i, away from |x_i| = delta."""
    i = int(np.argmax(direction))
    assume(abs(abs(x[i]) - delta) > 4 * FD_STEP)  # the second derivative jumps at the kink
    want = derived("penalties", "huber_derivative")(x[i], delta)
    fd = _central_difference(lambda u: mm.huber(u, delta), x, direction)
    # piecewise quadratic: no truncation error, rounding eps |huber| / h; FD tolerance.
    assert_close_eps(fd, want, prop="huber-fd", rtol_eps=0, atol_eps=FD_ATOL_EPS, x=x,
                     delta=delta)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_huber_equals_the_derived_moreau_envelope(mm, dtype, data):
    """mm.huber(x, delta) = sum of min_u delta|u| + (u - x)^2/2 (derived at the prox)."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    delta = data.draw(_floats(0.1, 3.0, dtype), label="delta")
    want = np.sum(derived("penalties", "huber_moreau_envelope")(x.astype(np.float64),
                                                               float(delta)))
    # 3 roundings per element plus 4 in the sum, on terms of size delta |x| + x^2.
    scale = float(np.max(np.abs(x)) * (delta + np.max(np.abs(x)))) + 1
    assert_close_eps(mm.huber(x, delta), want, prop="huber-envelope", rtol_eps=8,
                     atol_eps=8 * scale, x=x, delta=delta)


def _prox_cases() -> list[Any]:
    return [pytest.param(name, id=name)
            for name in ("prox_l1", "prox_squared_l2", "prox_elastic_net")]


@pytest.mark.parametrize("name", _prox_cases())
@given(dtype=mst.float_dtypes(), data=st.data())
def test_prox_agrees_with_the_solved_optimality_condition(mm, name, dtype, data):
    """mm.prox_* (x, t) = the minimiser SymPy solved from 0 in df(u) + (u - x)/t."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    t = data.draw(_floats(0.01, 5.0, dtype), label="t")
    if name == "prox_elastic_net":
        alpha = data.draw(_floats(0.01, 10.0), label="alpha")
        l1_ratio = data.draw(_floats(0.0, 1.0), label="l1_ratio")
        got = mm.prox_elastic_net(x, t, alpha=alpha, l1_ratio=l1_ratio)
        want = derived("penalties", name)(x.astype(np.float64), float(t), alpha, l1_ratio)
    else:
        got = getattr(mm, name)(x, t)
        want = derived("penalties", name)(x.astype(np.float64), float(t))
    # a threshold product, a subtraction and a division: 8 eps of max(|x|, t).
    scale = max(float(np.max(np.abs(x))), float(t))
    assert_close_eps(got, want, prop=f"{name}-solved", rtol_eps=8, atol_eps=8 * scale,
                     x=x, t=t)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_prox_group_lasso_agrees_with_the_solved_optimality_condition(mm, dtype, data):
    """mm.prox_group_lasso = the block soft thresholding solved from c u/|u| + (u - x)/t = 0."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    t = data.draw(_floats(0.01, 5.0, dtype), label="t")
    sqrt_size = data.draw(st.booleans(), label="sqrt_size_weights")
    got = mm.prox_group_lasso(x, t, np.array([0, 0, 1, 1]), sqrt_size_weights=sqrt_size)
    c = np.sqrt(2.0) if sqrt_size else 1.0  # both groups have 2 elements
    prox = derived("penalties", "prox_group_lasso")
    want = np.concatenate([prox(x[:2], float(t), c), prox(x[2:], float(t), c)])
    # a norm (3 roundings), the shrink factor (2) and one product: 8 eps of max(|x|, t c).
    scale = max(float(np.max(np.abs(x))), float(t) * c)
    assert_close_eps(got, want, prop="prox-group-lasso-solved", rtol_eps=8,
                     atol_eps=8 * scale, x=x, t=t, sqrt_size_weights=sqrt_size)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_prox_sparse_group_lasso_agrees_with_the_derived_closed_form(mm, dtype, data):
    """mm.prox_sparse_group_lasso = soft thresholding then shrinkage, the closed form
    SymPy checked against the stationarity condition on every region."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    t = data.draw(_floats(0.01, 5.0, dtype), label="t")
    alpha = data.draw(_floats(0.01, 3.0, np.float64), label="alpha")
    ratio = data.draw(st.sampled_from([0.0, 1.0]) | _floats(0.0, 1.0, np.float64),
                      label="l1_ratio")
    sqrt_size = data.draw(st.booleans(), label="sqrt_size_weights")
    got = mm.prox_sparse_group_lasso(x, t, np.array([0, 0, 1, 1]), alpha=alpha,
                                     l1_ratio=ratio, sqrt_size_weights=sqrt_size)
    c = np.sqrt(2.0) if sqrt_size else 1.0  # both groups have 2 elements
    prox = derived("penalties", "prox_sparse_group_lasso")
    args = (float(t), alpha, ratio, c)
    want = np.concatenate([prox(x[:2], *args), prox(x[2:], *args)]).reshape(-1)
    # two thresholds, a norm and the shrink factor: 8 eps of max(|x|, t alpha c).
    scale = max(float(np.max(np.abs(x))), float(t) * alpha * c)
    assert_close_eps(got, want, prop="prox-sgl-derived", rtol_eps=8, atol_eps=8 * scale,
                     x=x, t=t, alpha=alpha, l1_ratio=ratio, sqrt_size_weights=sqrt_size)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_prox_huber_agrees_with_the_solved_optimality_condition(mm, dtype, data):
    """mm.prox_huber = the piecewise minimiser SymPy solved from each piece's stationarity."""
    x = data.draw(_with_zeros(dtype, (4,)), label="x")
    tau = data.draw(_floats(0.01, 5.0, dtype), label="tau")
    delta = data.draw(_floats(0.01, 3.0, dtype), label="delta")
    got = mm.prox_huber(x, tau, delta=delta)
    prox = derived("penalties", "prox_huber")
    want = np.array([float(prox(xi, float(tau), float(delta))) for xi in x.astype(np.float64)])
    scale = float(np.max(np.abs(x))) + float(tau) * float(delta)
    assert_close_eps(got, want, prop="prox-huber-solved", rtol_eps=4, atol_eps=4 * scale,
                     x=x, tau=tau, delta=delta)


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
@given(data=st.data())
def test_info_nce_grad_agrees(mm, similarity, data):
    """mm.info_nce_grad = the SymPy-derived gradients (2 queries, 3 keys, d = 2, row i
    of the keys the positive of query i)."""
    q = data.draw(_arrays((2, 2), 0.2, 2.0, np.float64), label="query")
    k = data.draw(_arrays((3, 2), 0.2, 2.0, np.float64), label="keys")
    tau = data.draw(_floats(0.1, 2.0, np.float64), label="temperature")
    dq, dk = mm.info_nce_grad(q, k, temperature=tau, similarity=similarity)
    t = np.eye(2, 3)
    for got, wrt in ((dq, "query"), (dk, "keys")):
        want = derived("losses", f"info_nce_grad_{wrt}_{similarity}")(q, k, t, tau)
        scale = float(np.max(np.abs(want), initial=0.0)) + 1.0 / tau
        assert_close_eps(got, want, prop=f"info-nce-grad-{wrt}", rtol_eps=32,
                         atol_eps=32 * scale, q=q, k=k, tau=tau, similarity=similarity)


@given(data=st.data())
def test_nt_xent_grad_agrees(mm, data):
    """mm.nt_xent_grad = the SymPy-derived gradient (4 embeddings in 2-D, labels
    (0, 0, 1, 1), dot similarity, mean over positive pairs)."""
    e = data.draw(_arrays((4, 2), -1.5, 1.5, np.float64), label="embeddings")
    tau = data.draw(_floats(0.2, 2.0, np.float64), label="temperature")
    got = mm.nt_xent_grad(e, np.array([0, 0, 1, 1]), temperature=tau, similarity="dot")
    want = derived("losses", "nt_xent_grad")(e, tau)
    scale = float(np.max(np.abs(want), initial=0.0)) + float(np.max(np.abs(e))) / tau
    assert_close_eps(got, want, prop="nt-xent-grad", rtol_eps=32, atol_eps=32 * scale,
                     e=e, tau=tau)


def _info_nce_keys_without_gradient(query, keys, **kw):
    """The one-sided bug: the keys treated as constants (a stop-gradient left in)."""
    dq, dk = mlmath.info_nce_grad(query, keys, **kw)
    return dq, np.zeros_like(dk)


# --- meta-tests: a deliberately wrong implementation fails each agreement check -----------

def _rescaled(name: str, factor: float) -> Any:
    """mlmath.<name> times ``factor`` (a missing/extra constant, e.g. a 1/2 convention)."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        return factor * getattr(mlmath, name)(*args, **kwargs)
    return broken


def _without(name: str, keyword: str) -> Any:
    """mlmath.<name> that silently ignores ``keyword`` (a dropped option)."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop(keyword, None)
        return getattr(mlmath, name)(*args, **kwargs)
    return broken


def _swapped(name: str) -> Any:
    """mlmath.<name>(q, p) instead of (p, q)."""
    def broken(p: Any, q: Any, **kwargs: Any) -> Any:
        return getattr(mlmath, name)(q, p, **kwargs)
    return broken


def _attention_grad_without_scale_in_dq(q: Any, k: Any, v: Any, g: Any, **kw: Any) -> Any:
    dq, dk, dv = mlmath.scaled_dot_product_attention_grad(q, k, v, g, **kw)
    scale = kw.get("scale") or 1 / np.sqrt(np.shape(q)[-1])
    return dq / scale, dk, dv


def _attention_without_scale(q: Any, k: Any, v: Any, **kw: Any) -> Any:
    kw.pop("scale", None)  # falls back to 1/sqrt(d)
    return mlmath.scaled_dot_product_attention(q, k, v, **kw)


def _attention_grad_ignoring_mask(q: Any, k: Any, v: Any, g: Any, **kw: Any) -> Any:
    kw.pop("mask", None)
    return mlmath.scaled_dot_product_attention_grad(q, k, v, g, **kw)


def _normalised_wrongly(x: Any, **kw: Any) -> Any:
    e = np.exp(np.asarray(x) - np.max(x))
    return e / (np.sum(e) + 1e-3)  # a stray epsilon in the denominator


MUTANTS = [
    # (agreement test, overrides, defect)
    (test_logsumexp_gradient_agrees_with_softmax, {"softmax": _normalised_wrongly},
     "epsilon in the softmax denominator"),
    (test_log_sigmoid_derivative_agrees_with_sigmoid,
     {"sigmoid": lambda x: 1 / (1 + np.exp(np.asarray(x, np.float64)))}, "sign error"),
    (test_softplus_derivative_agrees_with_sigmoid, {"sigmoid": _rescaled("sigmoid", 1.001)},
     "wrong constant"),
    (test_softmax_cross_entropy_grad_index_targets_agrees,
     {"softmax_cross_entropy_grad": _without("softmax_cross_entropy_grad", "class_weights")},
     "class weights dropped"),
    (test_softmax_cross_entropy_grad_probability_targets_agrees,
     {"softmax_cross_entropy_grad": _without("softmax_cross_entropy_grad", "label_smoothing")},
     "label smoothing dropped"),
    (test_sigmoid_binary_cross_entropy_grad_agrees,
     {"sigmoid_binary_cross_entropy_grad": _without("sigmoid_binary_cross_entropy_grad",
                                                    "pos_weight")}, "pos_weight dropped"),
    (test_sigmoid_focal_loss_grad_agrees,
     {"sigmoid_focal_loss_grad": lambda z, y, *, alpha=0.25, gamma=2.0, reduction="mean":
      mlmath.sigmoid_focal_loss_grad(z, y, alpha=alpha, gamma=0.0, reduction=reduction)
      * np.power(np.abs(1 - mlmath.sigmoid(z) - np.asarray(y) + 2 * np.asarray(y)
                        * mlmath.sigmoid(z)), gamma)},
     "the modulating factor's own derivative left out"),
    (test_poly_loss_cross_entropy_grad_agrees,
     {"poly_loss_cross_entropy_grad": lambda z, y, *, epsilon=2.0, reduction="mean":
      mlmath.poly_loss_cross_entropy_grad(z, y, epsilon=-epsilon, reduction=reduction)},
     "sign of the poly term"),
    (test_prox_huber_agrees_with_the_solved_optimality_condition,
     {"prox_huber": lambda x, tau, delta=1.0: mlmath.prox_huber(x, tau, delta=delta * (1 + tau))},
     "kink at delta (1 + tau) applied to delta"),
    (test_hinge_loss_grad_agrees,
     {"hinge_loss_grad": lambda z, y, *, margin=1.0, reduction="mean": np.where(
         margin - np.asarray(y) * np.asarray(z) >= 0, -np.asarray(y, float), 0.0)
      / (np.size(z) if reduction == "mean" else 1)}, "the kink given -y (>= for >)"),
    (test_multiclass_hinge_loss_grad_agrees,
     {"multiclass_hinge_loss_grad": lambda z, y, *, margin=1.0, reduction="mean":
      mlmath.multiclass_hinge_loss_grad(z, y, margin=margin, reduction=reduction)
      * np.shape(z)[-1]}, "the 1/C of multi_margin_loss left out"),
    (test_nt_xent_grad_agrees, {"nt_xent_grad": _rescaled("nt_xent_grad", 2.0)},
     "mean over anchors' pairs counted twice"),
    (test_squared_l2_grad_agrees, {"squared_l2_grad": _rescaled("squared_l2_grad", 0.5)},
     "the 1/2 ||w||^2 convention"),
    (test_l1_subgradient_agrees, {"l1_subgradient": lambda w: np.where(np.asarray(w) >= 0, 1.0,
                                                                       -1.0)},
     "subgradient 1 at 0 instead of the min-norm 0"),
    (test_elastic_net_subgradient_agrees,
     {"elastic_net_subgradient": _without("elastic_net_subgradient", "l1_ratio")},
     "l1_ratio ignored"),
    (test_huber_grad_agrees, {"huber_grad": lambda x, delta=1.0: np.clip(x, -1.0, 1.0)},
     "delta ignored"),
    (test_huber_derivative_agrees_with_finite_differences, {"huber": _rescaled("huber", 2.0)},
     "missing 1/2"),
    (test_huber_equals_the_derived_moreau_envelope,
     {"huber": lambda x, delta=1.0: mlmath.huber(x, 2 * delta)}, "delta doubled"),
    (test_prox_group_lasso_agrees_with_the_solved_optimality_condition,
     {"prox_group_lasso": _without("prox_group_lasso", "sqrt_size_weights")},
     "group-size weights ignored"),
    (test_prox_sparse_group_lasso_agrees_with_the_derived_closed_form,
     {"prox_sparse_group_lasso": _without("prox_sparse_group_lasso", "sqrt_size_weights")},
     "group-size weights ignored"),
    (test_binary_entropy_derivative_agrees_with_finite_differences,
     {"binary_entropy": lambda p: mlmath.binary_entropy(p, base=2)},
     "bits instead of nats"),
]


@pytest.mark.parametrize(
    "test,overrides,defect",
    [pytest.param(*m, id=f"{m[0].__name__}-{m[2]}") for m in MUTANTS])
def test_agreement_catches_a_wrong_gradient(test, overrides, defect):
    """Each agreement check fails for a realistic defect (so it can fail at all)."""
    expect_property_failure(test, mm=mutant(**overrides))


PARAMETRISED_MUTANTS = [
    (test_info_nce_grad_agrees, {"similarity": "cosine"},
     {"info_nce_grad": _info_nce_keys_without_gradient}),
    (test_special_jacobian_agrees_with_finite_differences,
     {"name": "softmax_jacobian", "forward": "softmax"}, {"softmax": _normalised_wrongly}),
    (test_special_jacobian_agrees_with_finite_differences,
     {"name": "log_softmax_jacobian", "forward": "log_softmax"},
     {"log_softmax": lambda x: np.log(_normalised_wrongly(x))}),
    (test_information_gradient_agrees_with_finite_differences,
     {"name": "entropy_grad_p", "function": "entropy", "moving": "p"},
     {"entropy": _without("entropy", "base")}),
    (test_information_gradient_agrees_with_finite_differences,
     {"name": "cross_entropy_grad_q", "function": "cross_entropy", "moving": "q"},
     {"cross_entropy": _swapped("cross_entropy")}),
    (test_information_gradient_agrees_with_finite_differences,
     {"name": "kl_divergence_grad_p", "function": "kl_divergence", "moving": "p"},
     {"kl_divergence": _swapped("kl_divergence")}),
    (test_information_gradient_agrees_with_finite_differences,
     {"name": "js_divergence_grad_p", "function": "js_divergence", "moving": "p"},
     {"js_divergence": _rescaled("js_divergence", 2.0)}),
    (test_scaled_dot_product_attention_grad_agrees, {"masking": None},
     {"scaled_dot_product_attention_grad": _attention_grad_without_scale_in_dq}),
    (test_scaled_dot_product_attention_grad_agrees, {"masking": "mask"},
     {"scaled_dot_product_attention_grad": _attention_grad_ignoring_mask}),
    (test_attention_jacobian_agrees_with_finite_differences, {"wrt": "k"},
     {"scaled_dot_product_attention": _attention_without_scale}),
    (test_softmax_cross_entropy_hessian_agrees_with_finite_differences, {"n_classes": 3},
     {"softmax_cross_entropy_grad": _without("softmax_cross_entropy_grad", "class_weights")}),
    (test_prox_agrees_with_the_solved_optimality_condition, {"name": "prox_l1"},
     {"prox_l1": lambda x, t: np.where(np.abs(x) > t, x, 0.0)}),
    (test_prox_agrees_with_the_solved_optimality_condition, {"name": "prox_squared_l2"},
     {"prox_squared_l2": lambda x, t: np.asarray(x) / (1 + t)}),
    (test_prox_agrees_with_the_solved_optimality_condition, {"name": "prox_elastic_net"},
     {"prox_elastic_net": _without("prox_elastic_net", "alpha")}),
]


@pytest.mark.parametrize(
    "test,params,overrides",
    [pytest.param(*m, id=f"{m[0].__name__}-{'-'.join(map(str, m[1].values()))}")
     for m in PARAMETRISED_MUTANTS])
def test_parametrised_agreement_catches_a_wrong_gradient(test, params, overrides):
    """The parametrised agreement checks fail for a wrong implementation too."""
    expect_property_failure(test, mm=mutant(**overrides), **params)
