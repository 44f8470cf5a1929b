"""Properties of the information measures (mlmath.information).

Each test states one theorem (Cover & Thomas, *Elements of Information Theory*,
2nd ed., chapter 2, unless noted); ``mm`` is the implementation under test.  The
meta-tests at the bottom feed each property a realistic broken implementation and
expect it to be caught.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlmath
from mlmath import strategies as mst
from mlmath._validation import normalisation_tolerance
from mlmath.testing import assert_all, assert_close_eps, expect_property_failure, mutant

VECTOR_FUNCTIONS = ["entropy", "cross_entropy", "kl_divergence", "js_divergence"]
PAIR_FUNCTIONS = VECTOR_FUNCTIONS[1:]
BASES = st.sampled_from([None, 2, 10, math.e, 0.5, 3.7])
#: entropy, KL and cross-entropy have compiled kernels: run once per installed backend
pytestmark = pytest.mark.usefixtures("mlmath_backend")


def _eps(x: np.ndarray) -> float:
    return float(np.finfo(x.dtype).eps)


def _uniform(k: int, dtype: type = np.float64) -> np.ndarray:
    return np.full(k, 1.0 / k, dtype=dtype)


# ------------------------------------------------------------------------ entropy
@given(p=mst.extreme_probability_vectors(shape=mst.shapes_with_axis().map(lambda sa: sa[0])))
def test_entropy_nonnegative(mm, p):
    """H(p) >= 0 for every distribution (each term -p log p >= 0 on [0, 1]); eq. (2.1)."""
    h = mm.entropy(p)
    assert_all(np.asarray(h) >= 0, "entropy-nonneg", "H(p) >= 0", p=p)


@given(p=mst.probability_vectors(shape=st.integers(1, 64).map(lambda k: (k,))))
@example(p=_uniform(7))
def test_entropy_at_most_log_k(mm, p):
    """H(p) <= log k, with equality only at the uniform distribution (Theorem 2.6.4)."""
    k = p.shape[-1]
    h = float(mm.entropy(p))
    # log k rounded, H accurate to 4 eps: allow 8 eps of log k for the comparison.
    slack = 8 * _eps(p) * math.log(k) if k > 1 else 0.0
    assert_all(h <= math.log(k) + slack, "entropy-max", "H(p) <= log k", p=p, h=h)
    if np.ptp(p.astype(np.float64)) > 1e-3:  # clearly not uniform: strictly below
        assert_all(h < math.log(k) - slack, "entropy-max", "H(p) < log k off uniform",
                   p=p, h=h)


@given(k=st.integers(1, 1000), dtype=mst.float_dtypes())
def test_entropy_uniform_is_log_k(mm, k, dtype):
    """H(uniform on k) = log k (equality case of Theorem 2.6.4)."""
    p = _uniform(k, dtype)
    # 1/k rounded (1/2 ulp) times the log and the pairwise sum: within 4 eps.
    assert_close_eps(mm.entropy(p), math.log(k), prop="entropy-uniform", rtol_eps=4,
                     atol_eps=1, p=p)


@given(k=st.integers(1, 64), i=st.integers(0, 63), dtype=mst.float_dtypes())
def test_entropy_point_mass_is_zero(mm, k, i, dtype):
    """H(e_i) = 0 exactly for a point mass (0 log 0 = 0 and 1 log 1 = 0)."""
    p = np.zeros(k, dtype=dtype)
    p[i % k] = 1
    h = mm.entropy(p)
    assert_all(np.asarray(h) == 0, "entropy-point-mass", "H(e_i) == 0", p=p, h=h)


@given(p=mst.probability_vectors(shape=(5,)), base=BASES.filter(lambda b: b is not None))
def test_entropy_base_change(mm, p, base):
    """H_b(p) = H(p) / ln b for every base b > 0, b != 1."""
    h = mm.entropy(p)
    # Two roundings (log b and the division) on top of H's own: 2 eps relative.
    assert_close_eps(mm.entropy(p, base=base), np.float64(h) / math.log(base),
                     prop="entropy-base", rtol_eps=2, atol_eps=0, p=p, base=base)


@given(t=mst.independent_joint_tables(dtype=np.float64))
def test_entropy_additive_for_independent(mm, t):
    """H(X, Y) = H(X) + H(Y) when pxy = px (x) py (Theorem 2.6.6, equality case)."""
    px, py, pxy = t
    lhs = mm.joint_entropy(pxy)
    rhs = mm.entropy(px) + mm.entropy(py)
    # pxy is the rounded, renormalised outer product: each entry is off by ~1 ulp and
    # the table's sum by up to (8 + n) eps, which moves -p log p by as much near p = 1
    # (slope -1): an absolute (8 + n) eps; plus the 4 eps of each entropy.
    assert_close_eps(lhs, rhs, prop="entropy-additive", rtol_eps=12,
                     atol_eps=8 + pxy.size, px=px, py=py)


# -------------------------------------------------------------- cross-entropy / KL
@given(pq=mst.distribution_pairs())
@example(pq=(np.array([0.5 + 2**-53, 0.5 - 2**-53]), np.array([0.5, 0.5])))
def test_cross_entropy_gibbs(mm, pq):
    """H(p, q) >= H(p) exactly in floating point, with equality iff q = p (Gibbs)."""
    p, q = pq
    ce, h = mm.cross_entropy(p, q), mm.entropy(p)
    assert_all(np.asarray(ce >= h), "gibbs", "H(p,q) >= H(p) exactly", p=p, q=q, ce=ce, h=h)
    assert_all(np.asarray(mm.cross_entropy(p, p) == h), "gibbs", "H(p,p) == H(p)", p=p)
    if float(mm.kl_divergence(p, q)) > 8 * _eps(p) * float(h):  # KL visible next to H
        assert_all(np.asarray(ce > h), "gibbs", "H(p,q) > H(p) for q != p", p=p, q=q)


@given(pq=mst.distribution_pairs(extreme=True))
@example(pq=(np.array([0.39546198954297845, 0.5930180594914135, 0.011519950965607977]),
             np.array([0.3954619895425966, 0.5930180594917859, 0.0115199509656175])))
def test_kl_nonnegative(mm, pq):
    """KL(p||q) >= 0 in floating point, also for p ~ q (information inequality 2.6.3)."""
    p, q = pq
    kl = mm.kl_divergence(p, q)
    assert_all(np.asarray(kl) >= 0, "kl-nonneg", "KL(p||q) >= 0", p=p, q=q, kl=kl)


@given(p=mst.extreme_probability_vectors(shape=mst.shapes_with_axis().map(lambda sa: sa[0])))
def test_kl_of_self_is_zero(mm, p):
    """KL(p||p) = 0 exactly."""
    kl = mm.kl_divergence(p, p)
    assert_all(np.asarray(kl) == 0, "kl-self", "KL(p||p) == 0", p=p, kl=kl)


@given(pq=mst.near_equal_pairs(shape=(6,), dtype=np.float64, max_log10_deviation=-7.0))
def test_kl_matches_chi_square_near_equal(mm, pq):
    """KL(p||q) = sum (p-q)^2 / (2q) (1 + O(|p/q - 1|)) for p ~ q: no cancellation noise."""
    p, q = pq
    r = np.where(q > 0, (p - q) / np.where(q > 0, q, 1), 0)
    assume(np.abs(r).max() < 1e-6)
    chi2 = float(np.sum(q * r * r) / 2)
    assume(chi2 > 0)
    kl = float(mm.kl_divergence(p, q))
    # Relative difference is O(max |r|) <= 1e-6 for the true KL.
    assert_all(abs(kl - chi2) <= 1e-5 * chi2, "kl-chi2", "KL ~ chi^2 / 2 near p = q",
               p=p, q=q, kl=kl, chi2=chi2)


# ------------------------------------------------------------------------- JS
@given(pq=mst.distribution_pairs(extreme=True))
@example(pq=(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
def test_js_symmetric(mm, pq):
    """JS(p, q) = JS(q, p), exactly in floating point."""
    p, q = pq
    a, b = mm.js_divergence(p, q), mm.js_divergence(q, p)
    assert_all(np.asarray(a == b), "js-symmetric", "JS(p,q) == JS(q,p)", p=p, q=q, a=a, b=b)


@given(pq=mst.distribution_pairs())
@example(pq=(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
def test_js_between_zero_and_log2(mm, pq):
    """0 <= JS(p, q) <= log 2, finite even for disjoint supports (Lin 1991)."""
    p, q = pq
    js = np.asarray(mm.js_divergence(p, q), dtype=np.float64)
    # The upper bound is attained for disjoint supports, where JS = log2 (sum p + sum q)/2:
    # the inputs' normalisation tolerance carries over.
    tol = normalisation_tolerance(p.dtype, p.shape[-1])
    assert_all(np.isfinite(js) & (js >= 0) & (js <= math.log(2) * (1 + tol) + tol),
               "js-bounds", "0 <= JS <= log 2", p=p, q=q, js=js)


# ------------------------------------------------------------------ joint tables
@given(pxy=mst.joint_tables(dtype=np.float64))
def test_joint_entropy_chain_rule(mm, pxy):
    """H(X, Y) = H(Y) + H(X | Y), with Y the columns of pxy[x, y] (Theorem 2.2.1)."""
    lhs = mm.joint_entropy(pxy)
    rhs = mm.entropy(pxy.sum(axis=0)) + mm.conditional_entropy(pxy)
    # Three results accurate to 4 eps each plus the rounded column sums; a column-sum
    # vector off 1 by up to the normalisation tolerance (8 + n) eps shifts H(Y) by as much.
    assert_close_eps(lhs, rhs, prop="chain-rule", rtol_eps=16, atol_eps=4 + 8 + pxy.size,
                     pxy=pxy)


@given(pxy=mst.joint_tables(extreme=True))
def test_conditional_entropy_bounds(mm, pxy):
    """0 <= H(X | Y) <= H(X) (conditioning reduces entropy, Theorem 2.6.5)."""
    hc = float(mm.conditional_entropy(pxy))
    hx = float(mm.entropy(pxy.sum(axis=1, dtype=np.float64), validate=False))
    assert_all(0 <= hc <= hx * (1 + 16 * _eps(pxy)) + 4 * _eps(pxy), "cond-bounds",
               "0 <= H(X|Y) <= H(X)", pxy=pxy, hc=hc, hx=hx)


@given(pxy=mst.joint_tables(extreme=True))
def test_mutual_information_nonnegative(mm, pxy):
    """I(X; Y) >= 0 (Corollary of Theorem 2.6.3), exactly in floating point."""
    i = mm.mutual_information(pxy)
    assert_all(np.asarray(i) >= 0, "mi-nonneg", "I(X;Y) >= 0", pxy=pxy, i=i)


@given(t=mst.independent_joint_tables(dtype=np.float64))
def test_mutual_information_zero_when_independent(mm, t):
    """I(X; Y) = 0 for pxy = px (x) py, up to the rounding of the outer product.

    Each entry of pxy is px py (1 + e) with |e| <= eps/2, so the true I of the
    rounded table is sum q e^2 / 2 <= eps^2 / 8.
    """
    _, _, pxy = t
    i = float(mm.mutual_information(pxy))
    eps = _eps(pxy)
    assert_all(0 <= i <= eps * eps, "mi-independent", "0 <= I <= eps^2", pxy=pxy, i=i)


@given(pxy=mst.joint_tables(dtype=np.float64))
@example(pxy=np.array([[0.9990009990009991, 0.000999000999001]]))  # row sum 1 + 2.2e-16
def test_mutual_information_entropy_identity(mm, pxy):
    """I(X; Y) = H(X) + H(Y) - H(X, Y) (eq. 2.45)."""
    i = float(mm.mutual_information(pxy))
    hx = float(mm.entropy(pxy.sum(axis=1)))
    hy = float(mm.entropy(pxy.sum(axis=0)))
    hxy = float(mm.joint_entropy(pxy))
    # The right side cancels: its error is a few eps of the entropies, not of I; and a
    # marginal summing to 1 + (8 + n) eps (the normalisation tolerance) shifts H by as
    # much, since d(-p log p)/dp = -1 at p = 1.
    atol = 16 * (abs(hx) + abs(hy) + hxy) + (8 + pxy.size)
    assert_close_eps(i, hx + hy - hxy, prop="mi-identity", rtol_eps=4, atol_eps=atol,
                     pxy=pxy)


# -------------------------------------------------------------- binary entropy
@given(b=st.floats(0.5, 1.0))
@example(b=1.0)
@example(b=1.0 - 2.0**-53)
def test_binary_entropy_is_entropy_of_pair(mm, b):
    """h(a) = H([a, 1 - a]) and h(1 - a) = h(a) exactly, for a = 1 - b (exact, Sterbenz)."""
    a = 1.0 - b
    h = mm.binary_entropy(a)
    assert_close_eps(h, mm.entropy(np.array([a, b])), prop="binary-entropy", rtol_eps=4,
                     a=a)
    assert_all(np.asarray(mm.binary_entropy(b) == h), "binary-symmetric", "h(1-a) == h(a)",
               a=a)


@given(x=st.floats(-300.0, -8.0).map(lambda e: 10.0**e))
@example(x=1e-300)
@example(x=1e-200)
def test_binary_entropy_accurate_for_tiny_p(mm, x):
    """h(p) = p (1 - log p) - p^2/2 + O(p^3) for p < 1e-8: accurate where log(1-p) = 0."""
    expected = x * (1 - math.log(x)) - x * x / 2
    # Truncation p^3/6 is below eps relative; 4 eps accuracy target.
    assert_close_eps(mm.binary_entropy(x), expected, prop="binary-tiny", rtol_eps=4, x=x)


# --------------------------------------------------------- batching and axis
@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
@given(data=st.data())
def test_axis_equals_moveaxis(mm, name, data):
    """f(p, axis=k) == f(moveaxis(p, k, -1)) and batches are independent rows."""
    shape, axis = data.draw(mst.shapes_with_axis(max_dims=3, max_side=4), label="shape_axis")
    p, q = data.draw(mst.distribution_pairs(shape=shape, axis=axis), label="pair")
    args = (p,) if name == "entropy" else (p, q)
    moved = tuple(np.moveaxis(a, axis, -1) for a in args)
    fn = getattr(mm, name)
    got, ref = np.asarray(fn(*args, axis=axis)), np.asarray(fn(*moved))
    assert_all(got.shape == ref.shape, f"{name}-axis", "batch shape = shape without axis",
               p=p, axis=axis)
    assert_all(got == ref, f"{name}-axis", "axis=k equals moveaxis", p=p, axis=axis)
    flat = tuple(a.reshape(-1, a.shape[-1]) for a in moved)
    rows = [fn(*(a[i] for a in flat)) for i in range(flat[0].shape[0])]
    assert_all(ref.reshape(-1) == np.asarray(rows).reshape(-1), f"{name}-batch",
               "batch entry == row computed alone", p=p, axis=axis)


@st.composite
def _multi_axis_problems(draw):
    """(args along several axes, the axis argument, the same args merged along -1).

    The axis argument is ``None`` or a tuple of distinct axes in any order, some given
    as negative numbers.
    """
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                 label="shape")
    nd = len(shape)
    if draw(st.booleans(), label="axis=None"):
        axes, axis_arg = tuple(range(nd)), None
    else:
        axes = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1), label="axes")))
        order = draw(st.permutations(axes), label="order")
        negative = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)),
                        label="negative")
        axis_arg = tuple(a - nd if neg else a for a, neg in zip(order, negative, strict=True))
    rest = tuple(d for i, d in enumerate(shape) if i not in axes)
    merged = draw(mst.distribution_pairs(shape=(*rest, math.prod(shape[a] for a in axes))),
                  label="pair")

    def unmerge(a):
        split = a.reshape(*rest, *(shape[i] for i in axes))
        return np.moveaxis(split, range(len(rest), nd), axes)

    return tuple(unmerge(a) for a in merged), axis_arg, merged


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
@given(problem=_multi_axis_problems())
def test_axis_tuple_is_one_merged_axis(mm, name, problem):
    """f(p, axis=(i, j, ...)) and f(p, axis=None) treat the entries of those axes as one
    distribution: equal to f on the array with those axes merged into the last."""
    (p, q), axis, (pm, qm) = problem
    args, merged = ((p,), (pm,)) if name == "entropy" else ((p, q), (pm, qm))
    fn = getattr(mm, name)
    got, ref = np.asarray(fn(*args, axis=axis)), np.asarray(fn(*merged))
    assert_all(got.shape == ref.shape, f"{name}-axes", "shape = shape without the axes",
               p=p, axis=axis)
    assert_all(got == ref, f"{name}-axes", "axis tuple equals the merged axis", p=p, axis=axis)


def _per_slice_sum(real):
    """A broken reduction over several axes: the sum of f over slices of the last axis."""
    def broken(*args, axis=-1, **kw):
        if axis is None or isinstance(axis, tuple):
            values = real(*args, axis=-1, validate=False, **kw)
            others = None if axis is None else tuple(a for a in axis if a % args[0].ndim
                                                     != args[0].ndim - 1)
            return np.sum(values, axis=others) if others != () else values
        return real(*args, axis=axis, **kw)
    return broken


@pytest.mark.parametrize("name", ["kl_divergence", "cross_entropy"])
def test_log_input_property_catches_mutant(name):
    """Applying ``log_input`` to p (and ``log_target`` to q) is caught."""
    expect_property_failure(test_log_inputs_give_the_measure_of_their_exponentials, name=name,
                            mm=mutant(**{name: _log_input_marks_p(getattr(mlmath, name))}))


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_axis_tuple_property_catches_mutant(name):
    """Summing f over the slices instead of one distribution over the axes is caught."""
    expect_property_failure(test_axis_tuple_is_one_merged_axis, name=name,
                            mm=mutant(**{name: _per_slice_sum(getattr(mlmath, name))}))


@pytest.mark.parametrize("name", PAIR_FUNCTIONS)
@given(data=st.data())
def test_pairs_broadcast_like_numpy(mm, name, data):
    """One distribution against a batch: f(p, Q)[i] == f(p, Q[i]) and f(Q, p)[i] ==
    f(Q[i], p) exactly (NumPy broadcasting, as SciPy's ``rel_entr``)."""
    dtype = data.draw(mst.float_dtypes(), label="dtype")
    k, b = data.draw(st.integers(1, 5), label="k"), data.draw(st.integers(1, 4), label="batch")
    p = data.draw(mst.probability_vectors(shape=(k,), dtype=dtype), label="p")
    qs = data.draw(mst.probability_vectors(shape=(b, k), dtype=dtype), label="Q")
    fn = getattr(mm, name)
    for got, rows in ((fn(p, qs), [fn(p, q) for q in qs]), (fn(qs, p), [fn(q, p) for q in qs])):
        assert_all(np.asarray(got).shape == (b,), f"{name}-broadcast", "shape (batch,)",
                   p=p, Q=qs)
        assert_all(np.asarray(got) == np.asarray(rows), f"{name}-broadcast",
                   "f(p, Q)[i] == f(p, Q[i])", p=p, Q=qs)


def _first_row_only(real):
    """A broken broadcast: every row compared with the first row of the batch."""
    def broken(a, b, **kw):
        a, b = np.asarray(a), np.asarray(b)
        return real(np.broadcast_to(a.reshape(-1, a.shape[-1])[0], np.broadcast_shapes(
            a.shape, b.shape)), b, **kw)
    return broken


@pytest.mark.parametrize("name", PAIR_FUNCTIONS)
def test_broadcast_property_catches_mutant(name):
    """Broadcasting the first row of a batch instead of each row is caught."""
    expect_property_failure(test_pairs_broadcast_like_numpy, name=name,
                            mm=mutant(**{name: _first_row_only(getattr(mlmath, name))}))


# ------------------------------------------------- plain KL on unnormalised input
@given(w=hnp.arrays(np.float64, st.integers(1, 6).map(lambda k: (2, k)),
                    elements=st.floats(1e-3, 10.0)))
def test_plain_kl_is_the_sum_of_rel_entr(mm, w):
    """generalized=False: sum p log(p/q) on any positive p, q (validate=False), as
    ``scipy.special.rel_entr(p, q).sum()``; the default differs by sum q - sum p."""
    import scipy.special as sc

    p, q = w
    want = float(np.sum(sc.rel_entr(p, q)))
    got = float(mm.kl_divergence(p, q, validate=False, generalized=False))
    scale = float(np.sum(np.abs(sc.rel_entr(p, q)))) + float(np.sum(p + q))
    assert_close_eps(got, want, prop="kl-plain", rtol_eps=0, atol_eps=8 * scale, p=p, q=q)
    general = float(mm.kl_divergence(p, q, validate=False))
    assert_close_eps(general - got, float(np.sum(q) - np.sum(p)), prop="kl-plain",
                     rtol_eps=0, atol_eps=16 * scale, p=p, q=q)


# ------------------------------------------------------ log-probability inputs
@pytest.mark.parametrize("name", ["kl_divergence", "cross_entropy"])
@given(pq=mst.distribution_pairs(shape=st.integers(1, 6).map(lambda k: (k,)),
                                 dtype=np.float64), which=st.sampled_from(
    [(True, False), (False, True), (True, True)]))
def test_log_inputs_give_the_measure_of_their_exponentials(mm, name, pq, which):
    """f(log p, log q, log flags) == f(p, q) up to the rounding of the logs:
    log_target marks p (PyTorch's target), log_input marks q (its input)."""
    p, q = pq
    log_target, log_input = which
    with np.errstate(divide="ignore"):
        args = (np.log(p) if log_target else p, np.log(q) if log_input else q)
    fn = getattr(mm, name)
    got = float(fn(*args, log_input=log_input, log_target=log_target))
    want = float(fn(p, q))
    # Rounding log p moves p by eps |log p| relative, which moves KL by p r eps |log p|
    # (d KL / d log p = p r) and H(p) by p (1 + |log p|) eps |log p|; likewise for q;
    # exp(log p) differs from p by eps p.
    eps = np.finfo(float).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.nan_to_num(np.abs(np.log(p)) + np.abs(np.log(q)), posinf=0.0)
        r = np.nan_to_num(np.where(p > 0, np.log(p) - np.log(q), 0.0), posinf=0.0)
        h = np.nan_to_num(np.where(p > 0, 1 + np.abs(np.log(p)), 0.0), posinf=0.0)
    sensitivity = np.abs(r) + (h if name == "cross_entropy" else 0.0)
    slack = 4 * eps * (np.sum(p * sensitivity * (1 + logs)) + np.sum(np.abs(p - q))
                       + abs(want) + 1e-300)
    assert_all(got == want or abs(got - want) <= slack, f"{name}-log", "from logs == direct",
               p=p, q=q, which=which)


def _log_input_marks_p(real):
    """The PyTorch naming mixed up: ``log_input`` applied to p instead of q."""
    def broken(p, q, *, log_input=False, log_target=False, **kw):
        return real(p, q, log_input=log_target, log_target=log_input, validate=False, **kw)
    return broken


# ------------------------------------------------- Rényi, Tsallis, JS distance
_NEAR_ONE = st.floats(-1e-6, 1e-6).filter(lambda d: d != 0) | st.sampled_from(
    [2.0**-40, -(2.0**-40), 1e-12, -1e-12])


@given(p=mst.probability_vectors(shape=st.integers(1, 8).map(lambda k: (k,)),
                                 dtype=np.float64), delta=_NEAR_ONE)
@example(p=np.array([0.7, 0.2, 0.1]), delta=1e-9)
def test_renyi_and_tsallis_tend_to_shannon(mm, p, delta):
    """H_alpha(p) and S_q(p) -> H(p) as the order -> 1, continuously: within 4 eps (plus
    |delta| times the derivative's size) of Shannon's entropy next to 1."""
    h = float(mm.entropy(p))
    bound = np.log(p.size) ** 2 + 1.0  # |dH_alpha/d alpha| <= Var(log p) / 2 <= this
    for value in (mm.renyi_entropy(p, alpha=1 + delta), mm.tsallis_entropy(p, q=1 + delta)):
        assert_close_eps(value, h, prop="renyi-limit", rtol_eps=4,
                         atol_eps=abs(delta) * bound / np.finfo(float).eps, p=p, delta=delta)


@given(p=mst.probability_vectors(shape=st.integers(1, 8).map(lambda k: (k,)),
                                 dtype=np.float64),
       orders=st.lists(st.floats(0, 50) | st.just(np.inf), min_size=2, max_size=2))
def test_renyi_entropy_is_non_increasing_in_the_order(mm, p, orders):
    """alpha <= beta implies H_alpha >= H_beta; H_0 = log |supp p|, H_inf = -log max p."""
    a, b = sorted(orders)
    ha, hb = float(mm.renyi_entropy(p, alpha=a)), float(mm.renyi_entropy(p, alpha=b))
    slack = 8 * np.finfo(float).eps * (1 + abs(ha))
    assert_all(ha >= hb - slack, "renyi-monotone", "H_a >= H_b for a <= b", p=p, a=a, b=b)
    assert_all(float(mm.renyi_entropy(p, alpha=0)) == np.log(np.count_nonzero(p)),
               "renyi-0", "H_0 = log |supp p|", p=p)
    assert_all(float(mm.renyi_entropy(p, alpha=np.inf)) == -np.log(np.max(p)), "renyi-inf",
               "H_inf = -log max p", p=p)


@given(pq=mst.distribution_pairs(shape=st.integers(1, 8).map(lambda k: (k,)),
                                 dtype=np.float64))
def test_js_distance_is_a_metric_root(mm, pq):
    """d_JS = sqrt(JS): symmetric, 0 on the diagonal, at most sqrt(log 2)."""
    p, q = pq
    d = float(mm.js_distance(p, q))
    assert_all(d == float(mm.js_distance(q, p)), "js-distance", "symmetric", p=p, q=q)
    assert_all(d * d <= float(mm.js_divergence(p, q)) * (1 + 4 * np.finfo(float).eps)
               and d * d >= float(mm.js_divergence(p, q)) * (1 - 4 * np.finfo(float).eps),
               "js-distance", "d^2 == JS", p=p, q=q)
    assert_all(float(mm.js_distance(p, p)) == 0.0, "js-distance", "d(p, p) == 0", p=p)


@given(pq=mst.distribution_pairs(shape=st.integers(1, 6).map(lambda k: (k,)),
                                 dtype=np.float64),
       orders=st.lists(st.floats(0.05, 20.0), min_size=2, max_size=2), delta=_NEAR_ONE)
def test_renyi_divergence_is_monotone_and_tends_to_kl(mm, pq, orders, delta):
    """D_alpha is non-decreasing in alpha and continuous through alpha = 1 (KL)."""
    p, q = pq
    assume(np.all(q[p > 0] > 0))  # finite for every order
    a, b = sorted(orders)
    da, db = (float(mm.renyi_divergence(p, q, alpha=x)) for x in (a, b))
    eps = np.finfo(float).eps
    assert_all(da <= db + 64 * eps * (1 + abs(db)), "renyi-div-monotone", "D_a <= D_b",
               p=p, q=q, a=a, b=b)
    kl = float(mm.kl_divergence(p, q))
    near = float(mm.renyi_divergence(p, q, alpha=1 + delta))
    # |dD/dalpha| <= the variance of log(p/q) under p, bounded here by max|log(p/q)|^2
    with np.errstate(divide="ignore"):
        r = np.abs(np.log(p[p > 0] / q[p > 0]))
    slack = abs(delta) * float(np.max(r, initial=0.0)) ** 2 + 8 * eps * kl + 1e-300
    assert_all(abs(near - kl) <= slack, "renyi-div-limit", "D_(1+d) -> KL", p=p, q=q,
               delta=delta)


def _naive_renyi_divergence(p, q, *, alpha, **kw):
    p, q = np.asarray(p), np.asarray(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.sum(np.where(p > 0, p**alpha * q ** (1 - alpha), 0), axis=-1)) / (
            alpha - 1)


def _naive_renyi(p, *, alpha, **kw):
    return np.log(np.sum(np.asarray(p) ** alpha, axis=-1)) / (1 - alpha)


def _naive_tsallis(p, *, q, **kw):
    return (1 - np.sum(np.asarray(p) ** q, axis=-1)) / (q - 1)


def _js_distance_unsquared(p, q, **kw):
    return mlmath.js_divergence(p, q, **kw)


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
@given(pq=mst.distribution_pairs(shape=(6,)), base=BASES)
def test_base_change(mm, name, pq, base):
    """f_b = f_nats / ln b for every information measure and base."""
    p, q = pq
    args = (p,) if name == "entropy" else (p, q)
    fn = getattr(mm, name)
    nats = np.float64(fn(*args))
    expected = nats if base is None else nats / math.log(base)
    assert_close_eps(fn(*args, base=base), expected, prop=f"{name}-base", rtol_eps=2,
                     p=p, q=q, base=base)


# ===================================================================== meta-tests
# Realistic defects, each of which one property above must catch.
def _naive_kl(p, q, **kw):
    """The textbook sum p log(p/q) (SciPy's rel_entr summed): cancels near p = q."""
    with np.errstate(all="ignore"):
        t = np.where(np.asarray(p) > 0, p * np.log(p / np.asarray(q)), 0.0)
    return np.sum(t, axis=kw.get("axis", -1))


def _naive_cross_entropy(p, q, **kw):
    with np.errstate(all="ignore"):
        t = np.where(np.asarray(p) > 0, -p * np.log(q), 0.0)
    return np.sum(t, axis=kw.get("axis", -1))


def _smoothed_entropy(p, **kw):
    """-sum p log(p + 1e-12): the common 'avoid log 0' hack."""
    return -np.sum(p * np.log(np.asarray(p, dtype=np.float64) + 1e-12), axis=kw.get("axis", -1))


def _clipped_binary_entropy(p, **kw):
    """Binary entropy with p clipped to [1e-7, 1 - 1e-7], as in many ML code bases."""
    c = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return -c * np.log(c) - (1 - c) * np.log(1 - c)


def _mi_by_entropies(pxy, **kw):
    """I = H(X) + H(Y) - H(X,Y): loses everything for nearly independent tables."""
    pxy = np.asarray(pxy, dtype=np.float64)
    return (mlmath.entropy(pxy.sum(1), validate=False) + mlmath.entropy(pxy.sum(0), validate=False)
            - mlmath.joint_entropy(pxy, validate=False))


def _swap(fn_name):
    return lambda p, q, **kw: getattr(mlmath, fn_name)(q, p, **kw)


MUTANTS = [
    (test_entropy_nonnegative, dict(entropy=lambda p, **kw: np.sum(
        np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), axis=-1))),  # sign error
    (test_entropy_at_most_log_k, dict(entropy=lambda p, **kw: math.log(p.shape[-1]))),
    (test_entropy_uniform_is_log_k, dict(entropy=lambda p, **kw: mlmath.entropy(p, base=2))),
    (test_entropy_point_mass_is_zero, dict(entropy=_smoothed_entropy)),
    (test_entropy_base_change, dict(entropy=lambda p, base=None, **kw: mlmath.entropy(p) * (
        1.0 if base is None else math.log(base)))),
    (test_entropy_additive_for_independent, dict(
        joint_entropy=lambda pxy, **kw: mlmath.entropy(np.asarray(pxy).sum(0)))),
    (test_cross_entropy_gibbs, dict(cross_entropy=_naive_cross_entropy)),
    (test_kl_nonnegative, dict(kl_divergence=_naive_kl)),
    (test_kl_of_self_is_zero, dict(kl_divergence=lambda p, q, **kw: np.sum(
        p * np.log((p + 1e-10) / (q + 1e-9)), axis=-1))),  # smoothing hack
    (test_kl_matches_chi_square_near_equal, dict(kl_divergence=_naive_kl)),
    (test_js_symmetric, dict(js_divergence=lambda p, q, **kw: mlmath.kl_divergence(
        p, p / 2 + q / 2, **kw))),
    (test_js_between_zero_and_log2, dict(js_divergence=lambda p, q, **kw: mlmath.js_divergence(
        p, q, base=2))),
    (test_joint_entropy_chain_rule, dict(conditional_entropy=lambda pxy, **kw: (
        mlmath.conditional_entropy(np.asarray(pxy).T)))),
    (test_conditional_entropy_bounds, dict(conditional_entropy=lambda pxy, **kw: (
        mlmath.joint_entropy(pxy)))),
    (test_mutual_information_nonnegative, dict(mutual_information=_mi_by_entropies)),
    (test_mutual_information_zero_when_independent, dict(mutual_information=_mi_by_entropies)),
    (test_mutual_information_entropy_identity, dict(mutual_information=lambda pxy, **kw: (
        mlmath.joint_entropy(pxy) - mlmath.entropy(np.asarray(pxy).sum(1))))),
    (test_binary_entropy_is_entropy_of_pair, dict(binary_entropy=_clipped_binary_entropy)),
    (test_renyi_and_tsallis_tend_to_shannon, dict(renyi_entropy=_naive_renyi)),
    (test_renyi_divergence_is_monotone_and_tends_to_kl,
     dict(renyi_divergence=_naive_renyi_divergence)),
    (test_renyi_and_tsallis_tend_to_shannon, dict(tsallis_entropy=_naive_tsallis)),
    (test_renyi_entropy_is_non_increasing_in_the_order, dict(
        renyi_entropy=lambda p, *, alpha, **kw: mlmath.renyi_entropy(p, alpha=1 / (1 + alpha)))),
    (test_js_distance_is_a_metric_root, dict(js_distance=_js_distance_unsquared)),
    (test_plain_kl_is_the_sum_of_rel_entr, dict(kl_divergence=lambda p, q, *, generalized=True,
                                                 **kw: mlmath.kl_divergence(p, q, **kw))),
    (test_binary_entropy_accurate_for_tiny_p, dict(binary_entropy=lambda p, **kw: (
        -p * np.log(p) - (1 - p) * np.log(1 - p)))),
]


@pytest.mark.parametrize(("prop", "overrides"), MUTANTS,
                         ids=[f"{m[0].__name__}-{i}" for i, m in enumerate(MUTANTS)])
def test_property_catches_mutant(prop, overrides):
    """Each property fails for a realistic broken implementation."""
    expect_property_failure(prop, mm=mutant(**overrides))


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_axis_property_catches_mutant(name):
    """An implementation that ignores ``axis`` (always reduces the last one) is caught."""
    real = getattr(mlmath, name)
    expect_property_failure(test_axis_equals_moveaxis, name=name, mm=mutant(
        **{name: lambda *a, axis=-1, **kw: real(*a, validate=False, **kw)}))


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
def test_base_property_catches_mutant(name):
    """A base that multiplies instead of divides by ln b, or swapped p and q, is caught."""
    real = getattr(mlmath, name)
    expect_property_failure(test_base_change, name=name, mm=mutant(
        **{name: lambda *a, base=None, **kw: real(*a) if base is None
           else real(*a) * math.log(base)}))
    if name in ("cross_entropy", "kl_divergence"):  # asymmetric in (p, q)
        expect_property_failure(test_base_change, name=name, mm=mutant(
            **{name: lambda p, q, base=None, **kw: real(p, q) if base is None
               else _swap(name)(p, q, base=base)}))
