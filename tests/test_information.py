"""Unit, accuracy (mpmath, 50 digits) and bad-input tests of mlmath.information."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings

import mlmath as mm
from mlmath import strategies as mst
from mlmath._validation import normalisation_tolerance
from tests._oracles import (
    assert_accurate,
    mp_binary_entropy,
    mp_conditional_entropy,
    mp_cross_entropy,
    mp_entropy,
    mp_js,
    mp_kl,
    mp_mutual_information,
    mp_reference,
)

#: entropy, KL and cross-entropy have compiled kernels: run once per installed backend
pytestmark = pytest.mark.usefixtures("mlmath_backend")

LN2 = math.log(2.0)
#: Accuracy target of every function (module docstring of mlmath.information).
TARGET_EPS = 4


# ==================================================================== closed forms
class TestClosedForms:
    def test_entropy_of_uniform_and_point_mass(self):
        """H(uniform on k) = log k; H of a point mass is exactly 0; base 2 gives bits."""
        assert mm.entropy([0.5, 0.5]) == LN2
        assert mm.entropy([0.25] * 4, base=2) == 2.0
        assert mm.entropy([0.0, 1.0, 0.0]) == 0.0
        np.testing.assert_allclose(mm.entropy(np.full(10, 0.1)), math.log(10), rtol=4e-16)

    def test_kl_closed_forms_and_infinities(self):
        """KL([1,0]||[1/2,1/2]) = log 2; q = 0 < p gives +inf; 0 log(0/q) = 0."""
        assert mm.kl_divergence([1.0, 0.0], [0.5, 0.5]) == LN2
        assert mm.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
        expected = 0.5 * math.log(2.0) + 0.5 * math.log(2.0 / 3.0)
        np.testing.assert_allclose(mm.kl_divergence([0.5, 0.5], [0.25, 0.75]), expected,
                                   rtol=4e-16)

    def test_cross_entropy_closed_forms(self):
        """H([1,0], [1/4,3/4]) = log 4; infinite where q = 0 < p."""
        np.testing.assert_allclose(mm.cross_entropy([1.0, 0.0], [0.25, 0.75]), math.log(4),
                                   rtol=4e-16)
        assert mm.cross_entropy([0.5, 0.5], [0.0, 1.0]) == math.inf

    def test_js_disjoint_is_log2_and_identical_is_zero(self):
        """JS of disjoint supports is log 2 (1 bit), finite; JS(p, p) = 0."""
        assert mm.js_divergence([1.0, 0.0], [0.0, 1.0]) == LN2
        assert mm.js_divergence([1.0, 0.0], [0.0, 1.0], base=2) == 1.0
        assert mm.js_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0

    def test_binary_entropy_closed_forms(self):
        """h(0) = h(1) = 0, h(1/2) = log 2; shape preserved; a scalar gives a scalar."""
        np.testing.assert_array_equal(mm.binary_entropy([0.0, 1.0, 0.5]), [0.0, 0.0, LN2])
        assert np.ndim(mm.binary_entropy(0.25)) == 0
        assert mm.binary_entropy(np.zeros((2, 3))).shape == (2, 3)

    def test_joint_measures_of_simple_tables(self):
        """Independent uniform 2x2: H = 2 log 2, I = 0; diagonal: I = log 2, H(X|Y) = 0."""
        indep = np.full((2, 2), 0.25)
        assert mm.joint_entropy(indep) == 2 * LN2
        assert mm.mutual_information(indep) == 0.0
        assert mm.conditional_entropy(indep) == LN2
        diag = np.diag([0.5, 0.5])
        # I sums the terms p log(p/q) - p + q: log 2 to 1 ulp, not bit for bit.
        np.testing.assert_allclose(mm.mutual_information(diag), LN2, rtol=4 * 2.0**-52)
        assert mm.conditional_entropy(diag) == 0.0
        np.testing.assert_allclose(mm.mutual_information(diag, base=2), 1.0, rtol=4 * 2.0**-52)

    def test_batch_shape_and_axis(self):
        """Distributions along ``axis``; the result has the other dimensions."""
        p = np.full((3, 4, 5), 0.25)
        assert mm.entropy(p, axis=1).shape == (3, 5)
        np.testing.assert_array_equal(mm.entropy(p, axis=-2), np.full((3, 5), 2 * LN2))

    @pytest.mark.parametrize(("dtype", "out"), [
        (np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float16),
        (np.int64, np.float64), (np.bool_, np.float64)])
    def test_dtype_rules(self, dtype, out):
        """float32/64 kept, float16 returned as float16, ints and bools -> float64."""
        p = np.array([1, 0], dtype=dtype)
        for value in (mm.entropy(p), mm.kl_divergence(p, p), mm.js_divergence(p, p),
                      mm.cross_entropy(p, p), mm.joint_entropy(p.reshape(1, 2)),
                      mm.mutual_information(p.reshape(1, 2))):
            assert np.asarray(value).dtype == out

    def test_validate_false_skips_checks(self):
        """``validate=False`` is the escape hatch: unnormalised input is not rejected."""
        assert np.isfinite(mm.entropy([0.5, 0.6], validate=False))
        assert np.isfinite(mm.kl_divergence([0.5, 0.6], [0.5, 0.5], validate=False))

    def test_gibbs_holds_exactly_on_near_equal_pairs(self):
        """cross_entropy(p, q) >= entropy(p) bit for bit, even where naive -sum p log q fails."""
        rng = np.random.default_rng(0)
        p = rng.dirichlet(np.ones(50), size=2000)
        q = p * (1 + 1e-13 * rng.uniform(-1, 1, p.shape))
        q /= q.sum(-1, keepdims=True)
        assert np.all(mm.cross_entropy(p, q) >= mm.entropy(p))
        assert np.all(mm.kl_divergence(p, q) >= 0)


def test_large_arrays_threaded_path_matches_row_by_row():
    """Above 2**20 elements rows are split over threads and chunks: same bits per row,
    and a bad entry deep inside is still reported with its index."""
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(4096), size=260)
    q = rng.dirichlet(np.ones(4096), size=260)
    for fn, args in ((mm.entropy, (p,)), (mm.kl_divergence, (p, q)),
                     (mm.js_divergence, (p, q)), (mm.cross_entropy, (p, q))):
        rows = np.array([fn(*(a[i] for a in args)) for i in range(p.shape[0])])
        np.testing.assert_array_equal(fn(*args), rows)
    p[201, 3000] = -1e-3
    with pytest.raises(ValueError, match=r"`p`.*\[201, 3000\]"):
        mm.kl_divergence(p, q)


@pytest.mark.interop
def test_agrees_with_scipy_on_moderate_inputs():
    """Where SciPy is accurate (well-separated p, q) both agree to 1e-13."""
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(20), size=(2, 30))
    np.testing.assert_allclose(mm.entropy(p), scipy_stats.entropy(p, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(mm.kl_divergence(p, q), scipy_stats.entropy(p, q, axis=-1),
                               rtol=1e-13)


# ============================================================ accuracy vs mpmath
def _near_pairs(k: int, logs: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows p (Dirichlet) and q = p (1 + 10^e u) renormalised: KL ~ 10^(2e)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=len(logs))
    q = p * (1 + 10.0 ** logs[:, None] * rng.uniform(-1, 1, p.shape))
    return p, q / q.sum(-1, keepdims=True)


def _hard_pairs(dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hard (p, q) rows: near-equal (KL down to ~1e-30), tiny masses, zeros, far pairs."""
    p, q = _near_pairs(6, np.linspace(-15, -1, 29), seed=2)
    rng = np.random.default_rng(3)
    tiny = np.array([[1.0, 1e-300, 1e-200, 0.0, 1e-20, 0.0],
                     [1 - 2e-16, 1e-300, 1e-300, 1e-160, 1e-16, 0.0]])
    tiny_q = np.array([[1.0, 1e-299, 1e-250, 1e-300, 1e-20, 0.0],
                       [1 - 2e-16, 3e-300, 1e-301, 2e-160, 1.1e-16, 0.0]])
    far = rng.dirichlet(np.full(6, 0.3), size=(2, 20))
    exact = np.array([[0.5 + 1e-15, 0.5 - 1e-15, 0, 0, 0, 0]]), np.array([[0.5, 0.5, 0, 0, 0, 0]])
    ps = np.concatenate([p, tiny, far[0], exact[0]]).astype(dtype)
    qs = np.concatenate([q, tiny_q, far[1], exact[1]]).astype(dtype)
    return ps, qs


DIVERGENCES: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("kl_divergence", mm.kl_divergence, mp_kl),
    ("js_divergence", mm.js_divergence, mp_js),
    ("cross_entropy", mm.cross_entropy, mp_cross_entropy),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "fn", "ref"), DIVERGENCES, ids=[d[0] for d in DIVERGENCES])
def test_divergence_accuracy_on_hard_pairs(name, fn, ref, dtype):
    """Relative error <= 4 eps against mpmath, including KL ~ 1e-30 and masses ~ 1e-300."""
    p, q = _hard_pairs(dtype)
    ok = np.isfinite(mp_reference(ref, p, q))
    assert_accurate(fn(p[ok], q[ok]), mp_reference(ref, p[ok], q[ok]), max_eps=TARGET_EPS,
                    dtype=dtype, label=name, points=list(zip(p[ok], q[ok], strict=True)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_entropy_accuracy_on_hard_rows(dtype):
    """H(p) within 4 eps for near-degenerate rows, masses ~ 1e-300, zeros; also base 2."""
    p, _ = _hard_pairs(dtype)
    expected = mp_reference(mp_entropy, p)
    assert_accurate(mm.entropy(p), expected, max_eps=TARGET_EPS, dtype=dtype, label="entropy")
    assert_accurate(mm.entropy(p, base=2), expected / LN2, max_eps=TARGET_EPS, dtype=dtype,
                    label="entropy-bits")


def test_long_vectors_accuracy():
    """1e5 entries (pairwise summation of non-negative terms): still within 4 eps."""
    rng = np.random.default_rng(4)
    n = 100_000
    p = rng.dirichlet(np.ones(n))
    q = p * (1 + 1e-6 * rng.uniform(-1, 1, n))
    q /= q.sum()
    assert_accurate(mm.kl_divergence(p, q), mp_reference(mp_kl, p, q), max_eps=TARGET_EPS,
                    dtype=np.float64, label="kl-1e5")
    # (entropy's terms carry no cancellation: its long-row case is the 1e4-entry
    # benchmark accuracy table; one 1e5 mpmath reference costs ~5 s.)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_entropy_accuracy(dtype):
    """h(p) within 4 eps from p = 1e-300 (or the smallest float32) up to 1 - eps."""
    tiny = np.finfo(dtype).tiny
    lo = np.logspace(np.log10(tiny), np.log10(0.5), 200)
    p = np.concatenate([lo, 1 - lo[lo > np.finfo(dtype).eps]]).astype(dtype)
    assert_accurate(mm.binary_entropy(p), mp_reference(mp_binary_entropy, p),
                    max_eps=TARGET_EPS, dtype=dtype, label="binary_entropy")


def _near_independent_tables() -> list[np.ndarray]:
    """Tables px py (1 + e u) with e from 1e-15 (I ~ 1e-30) to 1e-2, plus tiny masses."""
    rng = np.random.default_rng(5)
    tables = []
    for e in 10.0 ** np.arange(-15, -1):
        px, py = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(5))
        t = np.outer(px, py) * (1 + e * rng.uniform(-1, 1, (4, 5)))
        tables.append(t / t.sum())
    t = np.outer([1.0, 1e-200, 1e-300], [0.5, 0.5])
    t[1, 0] *= 1 + 1e-9
    tables.append(t)
    tables.append(np.array([[0.5, 0.0], [1e-18, 0.5]]))  # X nearly a function of Y
    return tables


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_joint_measures_accuracy(dtype):
    """I(X;Y) and H(X|Y) within 4 eps, including nearly independent tables (I ~ 1e-30)."""
    for i, t in enumerate(_near_independent_tables()):
        t = t.astype(dtype)
        if float(np.sum(t, dtype=np.float64)) == 0 or abs(float(np.sum(
                t, dtype=np.float64)) - 1) > normalisation_tolerance(np.dtype(dtype), t.size):
            continue  # float32 rounding of a tiny table: not a distribution any more
        assert_accurate(mm.mutual_information(t), mp_reference(mp_mutual_information, t),
                        max_eps=TARGET_EPS, dtype=dtype, label=f"mutual_information[{i}]")
        assert_accurate(mm.conditional_entropy(t), mp_reference(mp_conditional_entropy, t),
                        max_eps=TARGET_EPS, dtype=dtype, label=f"conditional_entropy[{i}]")
        assert_accurate(mm.joint_entropy(t), mp_reference(mp_entropy, t.reshape(-1)),
                        max_eps=TARGET_EPS, dtype=dtype, label=f"joint_entropy[{i}]")



def test_joint_measures_with_a_subnormal_cell():
    """A subnormal joint probability next to a marginal of 1/2: log(p/q) underflows and is
    recomputed as log p - log q on the broadcast pair (the marginal is a row or column);
    results within 4 eps of mpmath, absolutely (the table sums to 1)."""
    t = np.array([[1e-320, 0.5], [0.5, 0.0]])
    eps = np.finfo(float).eps
    for fn, oracle in ((mm.conditional_entropy, mp_conditional_entropy),
                       (mm.mutual_information, mp_mutual_information)):
        for table in (t, t.T):
            assert abs(float(fn(table)) - float(mp_reference(oracle, table))) <= 4 * eps


# ====================================================================== bad input
P2, Q2, T2 = [0.5, 0.5], [0.25, 0.75], [[0.25, 0.25], [0.25, 0.25]]
VECTOR = {"entropy": (mm.entropy, (P2,)), "cross_entropy": (mm.cross_entropy, (P2, Q2)),
          "kl_divergence": (mm.kl_divergence, (P2, Q2)),
          "js_divergence": (mm.js_divergence, (P2, Q2))}
JOINT = {"joint_entropy": mm.joint_entropy, "conditional_entropy": mm.conditional_entropy,
         "mutual_information": mm.mutual_information}
ARG_NAMES = ("p", "q")

BAD_DISTRIBUTIONS = {
    "nan": [np.nan, 1.0], "inf": [np.inf, 0.0], "-inf": [-np.inf, 1.0],
    "negative": [-0.5, 1.5], "unnormalised": [0.5, 0.6],
}
BAD_DTYPES = {"complex": [0.5 + 0j, 0.5], "object": np.array([0.5, 0.5], dtype=object),
              "string": ["a", "b"], "bytes": np.array([b"a", b"b"])}
BAD_BASES = {"one": (1, ValueError), "zero": (0, ValueError), "negative": (-2, ValueError),
             "inf": (math.inf, ValueError), "nan": (math.nan, ValueError),
             "string": ("2", TypeError), "array": ([2, 3], TypeError)}


def _raises(exc: type[Exception], name: str, fn: Callable[..., Any], *args: Any,
            **kwargs: Any) -> None:
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc
    assert f"`{name}`" in str(info.value), str(info.value)


def _vector_cases():
    for fname, (fn, args) in VECTOR.items():
        for pos in range(len(args)):
            yield fname, fn, args, pos


VECTOR_CASES = list(_vector_cases())
VECTOR_IDS = [f"{c[0]}-{ARG_NAMES[c[3]]}" for c in VECTOR_CASES]


BAD_ENTRIES = {**{k: (v, ValueError) for k, v in BAD_DISTRIBUTIONS.items()},
               **{k: (v, TypeError) for k, v in BAD_DTYPES.items()}}


@pytest.mark.parametrize(("fname", "fn", "args", "pos"), VECTOR_CASES, ids=VECTOR_IDS)
@pytest.mark.parametrize("kind", sorted(BAD_ENTRIES))
def test_bad_distributions(fname, fn, args, pos, kind):
    """NaN, +-inf, negative entry, bad normalisation: ValueError; complex, object,
    string, bytes dtype: TypeError; each naming the argument."""
    bad = list(args)
    bad[pos], exc = BAD_ENTRIES[kind]
    _raises(exc, ARG_NAMES[pos], fn, *bad)


@pytest.mark.parametrize(("fname", "fn", "args"), [(k, *v) for k, v in VECTOR.items()],
                         ids=list(VECTOR))
def test_bad_shapes_and_empty_axis(fname, fn, args):
    """Empty axis, a scalar, and (for pairs) mismatched p/q shapes: ValueError naming it."""
    _raises(ValueError, "p", fn, *[np.zeros((3, 0))] * len(args))
    _raises(ValueError, "p", fn, *[0.5] * len(args))
    if len(args) == 2:
        _raises(ValueError, "q", fn, P2, [0.2, 0.3, 0.5])
        _raises(ValueError, "q", fn, [P2, P2, P2], [P2, P2])   # (3, 2) against (2, 2)


@pytest.mark.parametrize(("fname", "fn", "args"), [(k, *v) for k, v in VECTOR.items()],
                         ids=list(VECTOR))
@pytest.mark.parametrize(("axis", "exc"), [(1, ValueError), (-2, ValueError),
                                           (1.5, TypeError), ("0", TypeError),
                                           (True, TypeError)])
def test_bad_axis(fname, fn, args, axis, exc):
    """Out-of-range axis: ValueError; non-integer axis: TypeError; both name `axis`."""
    _raises(exc, "axis", fn, *args, axis=axis)


ALL_FUNCTIONS = {**{k: (fn, args) for k, (fn, args) in VECTOR.items()},
                 **{k: (fn, (T2,)) for k, fn in JOINT.items()},
                 "binary_entropy": (mm.binary_entropy, (0.3,))}


@pytest.mark.parametrize("fname", sorted(ALL_FUNCTIONS))
@pytest.mark.parametrize("kind", sorted(BAD_BASES))
def test_bad_base(fname, kind):
    """base 1, 0, negative, inf, NaN: ValueError; non-scalar or string: TypeError."""
    fn, args = ALL_FUNCTIONS[fname]
    base, exc = BAD_BASES[kind]
    _raises(exc, "base", fn, *args, base=base)


@pytest.mark.parametrize("fname", sorted(JOINT))
@pytest.mark.parametrize(("table", "exc"), [
    ([0.5, 0.5], ValueError), ([[[1.0]]], ValueError), (np.zeros((0, 2)), ValueError),
    ([[0.5, np.nan], [0.25, 0.25]], ValueError), ([[0.5, np.inf], [0.0, 0.0]], ValueError),
    ([[-0.5, 1.0], [0.25, 0.25]], ValueError), ([[0.5, 0.5], [0.5, 0.5]], ValueError),
    ([[0.5 + 0j, 0.5]], TypeError), (np.array([["a", "b"]]), TypeError),
    (np.array([[0.5, 0.5]], dtype=object), TypeError)],
    ids=["1-D", "3-D", "empty", "nan", "inf", "negative", "unnormalised", "complex",
         "string", "object"])
def test_bad_joint_tables(fname, table, exc):
    """Joint tables must be 2-D, non-empty, finite, non-negative and sum to 1."""
    _raises(exc, "pxy", JOINT[fname], table)


@pytest.mark.parametrize(("value", "exc"), [
    (-0.1, ValueError), (1.5, ValueError), (np.nan, ValueError), (np.inf, ValueError),
    (0.5 + 0j, TypeError), ("a", TypeError), (np.array([0.5], dtype=object), TypeError)])
def test_bad_binary_entropy(value, exc):
    """binary_entropy needs p in [0, 1] (NaN and inf included in the check)."""
    _raises(exc, "p", mm.binary_entropy, value)


def test_error_message_names_first_offending_index():
    """The message points at the first bad entry, so it can be found in a large batch."""
    p = np.full((3, 4), 0.25)
    p[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"\[2, 1\]"):
        mm.entropy(p)
    p[2, 1] = 0.5
    with pytest.raises(ValueError, match=r"batch index \[2\]"):
        mm.entropy(p)


# ======================================================= the strategies themselves
def _assert_distribution(p: np.ndarray, axis: int = -1) -> None:
    assert p.dtype in (np.float32, np.float64)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    tol = normalisation_tolerance(p.dtype, p.shape[axis])
    assert np.all(np.abs(p.sum(axis, dtype=np.float64) - 1) <= tol)


@settings(max_examples=50)
@given(data=mst.shapes_with_axis().flatmap(lambda sa: mst.extreme_probability_vectors(
    shape=sa[0], axis=sa[1]).map(lambda p: (p, sa[1]))))
def test_strategy_probability_vectors_are_distributions(data):
    """extreme_probability_vectors yields valid distributions along the requested axis."""
    p, axis = data
    _assert_distribution(p, axis)


@settings(max_examples=50)
@given(pq=mst.distribution_pairs(extreme=True))
def test_strategy_pairs_are_distributions_of_one_shape(pq):
    """distribution_pairs yields two valid distributions of the same shape and dtype."""
    p, q = pq
    assert p.shape == q.shape and p.dtype == q.dtype
    _assert_distribution(p)
    _assert_distribution(q)


@settings(max_examples=50)
@given(pq=mst.near_equal_pairs())
def test_strategy_near_equal_pairs_are_close(pq):
    """near_equal_pairs differ by at most 25% relative per entry (e <= 0.1, |u| <= 1, then
    renormalised), and both are valid."""
    p, q = pq
    _assert_distribution(p)
    _assert_distribution(q)
    p64, q64 = p.astype(np.float64), q.astype(np.float64)
    assert np.all(np.abs(p64 - q64) <= 0.25 * np.maximum(p64, q64) + 1e-30)


@settings(max_examples=50)
@given(t=mst.independent_joint_tables(near=True), table=mst.joint_tables(extreme=True))
def test_strategy_joint_tables_are_distributions(t, table):
    """Joint tables are 2-D and normalised; independent ones match their marginals."""
    px, py, pxy = t
    for tab in (pxy, table):
        assert tab.ndim == 2
        _assert_distribution(tab.reshape(-1))
    _assert_distribution(px)
    _assert_distribution(py)
    assert pxy.shape == (px.size, py.size)


# ============================================== the polynomial fits inside the module
@pytest.mark.parametrize(("name", "closed_form", "xmax"), [
    ("_B_FIT", lambda x: (mpmath.atanh(mpmath.sqrt(x)) / mpmath.sqrt(x) - 1) / x, 0.36),
    ("_G_FIT", lambda x: ((1 + mpmath.sqrt(x)) * mpmath.log1p(mpmath.sqrt(x))
                          + (1 - mpmath.sqrt(x)) * mpmath.log1p(-mpmath.sqrt(x))) / x, 0.25),
])
def test_series_fits_match_closed_forms(name, closed_form, xmax):
    """The hard-coded near-minimax fits agree with their closed forms to < 1 ulp."""
    from mlmath import information

    coeffs = getattr(information, name)
    x = np.linspace(xmax / 400, xmax, 400)
    with mpmath.workdps(60):
        ref = np.array([float(closed_form(mpmath.mpf(float(t)))) for t in x])
    got = np.polynomial.polynomial.polyval(x, coeffs)
    assert_accurate(got, ref, max_eps=1.0, dtype=np.float64, label=name)


# ================================================= axes, broadcasting, plain KL (#18)
@pytest.mark.parametrize(("fname", "fn", "args"), [(k, *v) for k, v in VECTOR.items()],
                         ids=list(VECTOR))
@pytest.mark.parametrize(("axis", "exc", "text"), [
    ((), ValueError, "at least one axis"), ((0, 0), ValueError, "distinct axes"),
    ((0, -2), ValueError, "distinct axes"), ((0, 2), ValueError, r"in \[-2, 1\]"),
    ((0, True), TypeError, "integer"), ((0, 1.0), TypeError, "integer"),
    ([0, 1], TypeError, "integer")])
def test_bad_axis_tuples(fname, fn, args, axis, exc, text):
    """Empty, repeated, out-of-range or non-integer axes in a tuple name `axis`."""
    batch = [np.array([P2, P2]) for _ in args]
    with pytest.raises(exc, match=text) as info:
        fn(*batch, axis=axis)
    assert "`axis`" in str(info.value)


def test_axis_none_and_tuples_reduce_every_entry_of_those_axes():
    p = np.full((2, 3, 4), 1 / 8)
    assert np.array_equal(mm.entropy(p, axis=(0, 2)), np.full(3, math.log(8)))
    assert np.array_equal(mm.entropy(p, axis=(2, -3)), mm.entropy(p, axis=(0, 2)))
    assert float(mm.entropy(np.full((4, 6), 1 / 24), axis=None)) == pytest.approx(
        math.log(24), rel=4 * np.finfo(float).eps)
    assert np.ndim(mm.kl_divergence(np.full((2, 2), 0.25), np.full((2, 2), 0.25),
                                    axis=None)) == 0


def test_a_bad_distribution_over_several_axes_is_reported_in_its_own_coordinates():
    p = np.full((2, 3, 4), 1 / 8)
    p[1, 2, 3] = -1 / 8
    with pytest.raises(ValueError, match=r"`p`: expected non-negative values, got -0.125 "
                                         r"at index \[1, 2, 3\]"):
        mm.entropy(p, axis=(0, 2))
    with pytest.raises(ValueError, match=r"summing to 1 along axis \(0, 2\)"):
        mm.entropy(np.full((2, 3, 4), 1 / 12), axis=(0, 2))


@pytest.mark.parametrize("name", ["cross_entropy", "kl_divergence", "js_divergence"])
def test_one_distribution_broadcasts_against_a_batch(name):
    fn = getattr(mm, name)
    p, batch = np.array([0.2, 0.3, 0.5]), mm.softmax(np.arange(12.0).reshape(4, 3) ** 0.5)
    assert np.array_equal(fn(p, batch), [fn(p, row) for row in batch])
    assert np.array_equal(fn(batch, p), [fn(row, p) for row in batch])
    grid = fn(batch[:, None, :], batch[None, :, :])       # every pair: (4, 4)
    assert grid.shape == (4, 4)
    assert np.array_equal(grid[1, 2], fn(batch[1], batch[2]))


def test_broadcast_rows_are_validated_where_they_are_bad():
    with pytest.raises(ValueError, match=r"`q`: expected non-negative values, got -0.5 at "
                                         r"index \[1, 0\]"):
        mm.kl_divergence([0.5, 0.5], [[0.5, 0.5], [-0.5, 1.5]])


def test_plain_kl_is_the_textbook_sum_on_unnormalised_input():
    """generalized=False: sum p log(p/q) as rel_entr; the default adds sum q - sum p."""
    p, q = np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 3.0])
    with mpmath.workdps(50):
        exact = float(2 * mpmath.log(2))   # 2 log(2/1) + 1 log(1/1) + 0
    plain = mm.kl_divergence(p, q, validate=False, generalized=False)
    assert plain == pytest.approx(exact, rel=4 * np.finfo(float).eps)
    assert mm.kl_divergence(p, q, validate=False) == pytest.approx(exact - 3 + 5, rel=1e-15)
    assert mm.kl_divergence([1.0, 0.0], [0.0, 1.0], generalized=False) == np.inf
    pn, qn = mm.softmax(np.array([0.3, -1.0, 2.0])), mm.softmax(np.array([1.0, 0.0, 0.5]))
    assert mm.kl_divergence(pn, qn, generalized=False) == pytest.approx(
        mm.kl_divergence(pn, qn), rel=0, abs=8 * np.finfo(float).eps)
    with pytest.raises(TypeError, match="`generalized`"):
        mm.kl_divergence(pn, qn, generalized="no")


# ====================================================== Rényi, Tsallis (issue 16)
def _mp_excess(p, order):
    """sum_i (p_i^order - p_i), term by term in 60 digits (no cancellation with 1)."""
    return mpmath.fsum(x ** mpmath.mpf(order) - x for x in (mpmath.mpf(float(y)) for y in p)
                       if x > 0)


def _mp_renyi(p, alpha):
    """The documented definition for inputs normalised up to rounding: sum p taken as
    exactly 1 (log1p of the excess) while sum p^alpha >= 1/2, the literal
    log(sum p^alpha) / (1 - alpha) below (the literal formula near alpha = 1 would
    divide log(sum p) ~ eps by alpha - 1)."""
    with mpmath.workdps(60):
        ps = [mpmath.mpf(float(x)) for x in p if x > 0]
        if alpha == 1:
            return -mpmath.fsum(x * mpmath.log(x) for x in ps)
        power_sum = mpmath.fsum(x ** mpmath.mpf(alpha) for x in ps)
        if power_sum < 0.5:
            return mpmath.log(power_sum) / (1 - mpmath.mpf(alpha))
        return mpmath.log1p(_mp_excess(p, alpha)) / (1 - mpmath.mpf(alpha))


def _mp_tsallis(p, q):
    with mpmath.workdps(60):
        return -_mp_excess(p, q) / (mpmath.mpf(q) - 1)


_RENYI_CASES = [
    (np.array([0.7, 0.2, 0.1]), 1 + 2.0**-40),
    (np.array([0.7, 0.2, 0.1]), 1 - 1e-12),
    (np.array([0.5, 0.25, 0.25, 0.0]), 0.5),
    (np.array([1 - 2e-300, 1e-300, 1e-300]), 0.5),
    (np.array([1 - 2e-300, 1e-300, 1e-300]), 3.0),
    (np.full(10, 0.1), 1e3),
    (np.array([0.999999, 1e-6]), 2.0),
    (np.array([0.25] * 4), 7.5),
]


@pytest.mark.parametrize(("p", "alpha"), _RENYI_CASES)
def test_renyi_entropy_matches_mpmath(p, alpha):
    got = float(mm.renyi_entropy(p, alpha=alpha))
    want = float(_mp_renyi(p, alpha))
    assert abs(got - want) <= 4 * np.finfo(float).eps * abs(want) + 1e-320, (got, want)


@pytest.mark.parametrize(("p", "q"), [*_RENYI_CASES[:4], (np.array([0.6, 0.4]), 2.0)])
def test_tsallis_entropy_matches_mpmath(p, q):
    got, want = float(mm.tsallis_entropy(p, q=q)), float(_mp_tsallis(p, q))
    assert abs(got - want) <= 4 * np.finfo(float).eps * abs(want) + 1e-320, (got, want)


def test_renyi_and_tsallis_in_float32_and_bases():
    p = np.array([0.5, 0.3, 0.2], np.float32)
    value = mm.renyi_entropy(p, alpha=2.0, base=2)
    assert value.dtype == np.float32
    want = float(_mp_renyi(p.astype(float), 2.0)) / np.log(2)
    assert abs(float(value) - want) <= 4 * np.finfo(np.float32).eps * want
    assert mm.tsallis_entropy(p, q=3.0).dtype == np.float32


@pytest.mark.parametrize(("fn", "name"), [(mm.renyi_entropy, "alpha"), (mm.tsallis_entropy, "q")])
@pytest.mark.parametrize(("value", "exc"), [(-0.5, ValueError), (np.nan, ValueError),
                                            ("2", TypeError), (True, TypeError),
                                            (None, TypeError), (10**400, ValueError)])
def test_bad_orders_name_the_parameter(fn, name, value, exc):
    with pytest.raises(exc, match=f"`{name}`"):
        fn([0.5, 0.5], **{name: value})


def test_tsallis_index_must_be_finite_and_renyi_order_may_be_infinite():
    with pytest.raises(ValueError, match="`q`: expected a real number >= 0, finite"):
        mm.tsallis_entropy([0.5, 0.5], q=np.inf)
    assert mm.renyi_entropy([0.5, 0.25, 0.25], alpha=np.inf) == pytest.approx(np.log(2))


#: The order branches of the generalised entropies (alpha = 0: support size; 1: Shannon;
#: inf: min-entropy; 2: the power sum, through logsumexp where it is below 1/2).
_ORDER_BRANCHES = [pytest.param(mm.renyi_entropy, "alpha", a, id=f"renyi-{a}")
                   for a in (0.0, 1.0, 2.0, np.inf)] + [
                   pytest.param(mm.tsallis_entropy, "q", q, id=f"tsallis-{q}") for q in (1.0, 2.0)]
#: Columns are distributions: support sizes 3, 2, 1, 4; sum p**2 below 1/2 in the first
#: (which has a zero) and the last, so the logsumexp branch sees two different rows.
_COLUMNS = np.array([[0.4, 0.1, 0.0, 0.25], [0.3, 0.9, 0.0, 0.25],
                     [0.3, 0.0, 0.0, 0.25], [0.0, 0.0, 1.0, 0.25]])


@pytest.mark.parametrize(("fn", "name", "order"), _ORDER_BRANCHES)
def test_every_order_branch_honours_axis_base_and_validate(fn, name, order):
    """Each branch reduces along ``axis`` only, converts to ``base``, validates by
    default (naming `p`), skips validation when asked, and raises no floating-point
    error for zero entries (a caller's ``np.errstate(all="raise")``)."""
    kw = {name: order}
    with np.errstate(all="raise"):
        got = fn(_COLUMNS, axis=0, base=2, **kw)
    nats = [float(fn(_COLUMNS[:, j], **kw)) for j in range(_COLUMNS.shape[1])]
    assert got.shape == (4,)
    np.testing.assert_allclose(got, np.array(nats) / np.log(2), rtol=4 * np.finfo(float).eps,
                               atol=0)
    assert len(set(nats)) == 4  # the columns tell the rows apart
    with pytest.raises(ValueError, match=r"^`p`: "):
        fn([0.5, 0.6], **kw)
    assert np.isfinite(fn([0.5, 0.6], validate=False, **kw))


def test_renyi_order_zero_is_the_log_of_the_support_size():
    """H_0 = log |supp p|, per row; an empty support (unvalidated zeros) gives log 0 = -inf."""
    rows = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    np.testing.assert_array_equal(mm.renyi_entropy(rows, alpha=0.0), np.log([2.0, 3.0]))
    with np.errstate(divide="ignore"):
        assert mm.renyi_entropy([0.0, 0.0], alpha=0.0, validate=False) == -np.inf


def test_js_distance_is_scipys_jensenshannon():
    from scipy.spatial.distance import jensenshannon

    p, q = np.array([0.1, 0.4, 0.5]), np.array([0.3, 0.3, 0.4])
    for base in (None, 2):
        assert mm.js_distance(p, q, base=base) == pytest.approx(
            jensenshannon(p, q, base=base), rel=8 * np.finfo(float).eps)


# ============================================== log-probability inputs (issue 16)
def test_kl_from_logs_keeps_digits_that_exp_rounds_away():
    """Logs 1e-17 apart: exp rounds p and q to the same number (KL 0); from the logs the
    divergence is r^2 / 2-sized, as mpmath says."""
    lq = np.log(np.array([0.3, 0.7]))
    lp = lq + np.array([3e-16, -3e-16 * 0.3 / 0.7])
    got = float(mm.kl_divergence(lp, lq, log_input=True, log_target=True, validate=False))
    with mpmath.workdps(60):
        p = [mpmath.exp(mpmath.mpf(float(x))) for x in lp]
        q = [mpmath.exp(mpmath.mpf(float(x))) for x in lq]
        want = float(mpmath.fsum(a * mpmath.log(a / b) - a + b for a, b in zip(p, q, strict=True)))
    assert want > 0
    assert abs(got - want) <= 4 * np.finfo(float).eps * want


def test_log_inputs_zero_probabilities_and_torch_naming():
    assert mm.kl_divergence([0.0, -np.inf], [-np.inf, 0.0], log_input=True,
                            log_target=True) == np.inf
    assert mm.kl_divergence([1.0, 0.0], [0.0, -np.inf], log_input=True) == 0.0
    assert mm.cross_entropy([0.0, -np.inf], [np.log(0.5)] * 2, log_input=True,
                            log_target=True) == pytest.approx(np.log(2), rel=1e-15)
    assert mm.kl_divergence([0.5, 0.5], np.log([0.25, 0.75]), log_input=True) == pytest.approx(
        float(mm.kl_divergence([0.5, 0.5], [0.25, 0.75])), rel=4 * np.finfo(float).eps)


def test_log_inputs_are_validated_as_their_exponentials():
    with pytest.raises(ValueError, match=r"`p`: expected entries summing to 1 .* \(`p` holds "
                                         r"log-probabilities: checked as exp\(`p`\)\)"):
        mm.kl_divergence([0.0, 0.1], [0.5, 0.5], log_target=True)
    with pytest.raises(ValueError, match=r"`q`: expected no NaN"):
        mm.cross_entropy([0.5, 0.5], [np.nan, 0.0], log_input=True)
    with pytest.raises(TypeError, match="`log_input`"):
        mm.kl_divergence([0.5, 0.5], [0.5, 0.5], log_input="yes")


# ====================================================== Rényi divergence (issue 16)
def _mp_renyi_divergence(p, q, alpha):
    """The documented definition (sums of p and q taken as 1), term by term in 80 digits."""
    with mpmath.workdps(80):
        a = mpmath.mpf(alpha)
        terms = [((mpmath.mpf(float(x)) ** a * mpmath.mpf(float(y)) ** (1 - a) if x > 0 else 0)
                  - mpmath.mpf(float(y)) - a * (mpmath.mpf(float(x)) - mpmath.mpf(float(y))))
                 / (a - 1) for x, y in zip(p, q, strict=True)]
        return mpmath.log1p((a - 1) * mpmath.fsum(terms)) / (a - 1)


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5, 0.9, 1 - 1e-9, 1 + 1e-7, 1.5, 2.0, 5.0, 30.0])
def test_renyi_divergence_matches_mpmath(alpha):
    rng = np.random.default_rng(17)
    bound = 4  # every order (docstring); below 0.9 it was 128 before the far-t fix
    for trial in range(40):
        k = int(rng.integers(2, 6))
        p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
        if trial % 3 == 0:   # nearly equal: divergences near 1e-13
            q = p * (1 + 1e-6 * rng.standard_normal(k))
            q /= q.sum()
        got = float(mm.renyi_divergence(p, q, alpha=alpha, validate=False))
        want = float(_mp_renyi_divergence(p, q, alpha))
        assert abs(got - want) <= bound * np.finfo(float).eps * want, (trial, got, want)


def _mp_renyi_divergence_direct(p, q, alpha):
    """As above, but log(sum p^a q^(1-a)) / (a - 1) when the power sum is below 1/2 (the
    branch the docstring documents: there the sums of p and q are taken as exactly 1,
    which the excess form above does not do when the power sum is below their rounding)."""
    with mpmath.workdps(80):
        a = mpmath.mpf(alpha)
        power = mpmath.fsum(mpmath.mpf(float(x)) ** a * mpmath.mpf(float(y)) ** (1 - a)
                            for x, y in zip(p, q, strict=True) if x > 0)
        if power < 0.5:
            return mpmath.log(power) / (a - 1)
    return _mp_renyi_divergence(p, q, alpha)


@pytest.mark.parametrize("alpha", [0.001, 0.01, 0.1, 0.2, 0.45, 0.5, 0.55, 0.8, 0.9, 0.999,
                                   1.001, 1.5, 2.0, 5.0, 30.0])
def test_renyi_divergence_on_extreme_distributions(alpha):
    """Entries down to 1e-300 and ratios p/q up to 1e300 (Dirichlet(0.03) draws): within
    5 eps for every order (worst measured 4.29 eps, alpha = 30, over 300 cases per
    order).  Far from t = p/q = 1, t is taken as p/q (1 + (p - q)/q would turn the
    rounding of (p - q)/q into an error relative to a tiny t), t**e - 1 comes from pow
    (exp(e log t) carries log t's rounding times |e log t|), and a row whose terms
    overflow (t**alpha beyond the float range) takes the logsumexp branch instead of
    returning +inf."""
    rng = np.random.default_rng(5)
    for trial in range(120):
        k = int(rng.integers(2, 12))
        conc = [1.0, 0.1, 0.03][trial % 3]
        p = np.maximum(rng.dirichlet(np.full(k, conc)), 1e-300)
        q = np.maximum(rng.dirichlet(np.full(k, conc)), 1e-300)
        p, q = p / p.sum(), q / q.sum()
        if trial % 4 == 0:
            q = p * (1 + 1e-6 * rng.standard_normal(k))
            q /= q.sum()
        got = float(mm.renyi_divergence(p, q, alpha=alpha, validate=False))
        want = float(_mp_renyi_divergence_direct(p, q, alpha))
        assert abs(got - want) <= 5 * np.finfo(float).eps * want, (trial, got, want)


def test_renyi_divergence_special_orders_and_support():
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.25, 0.25, 0.5])
    assert mm.renyi_divergence(p, q, alpha=1.0) == mm.kl_divergence(p, q)
    assert mm.renyi_divergence(p, q, alpha=np.inf) == pytest.approx(np.log(1.2), rel=1e-15)
    assert mm.renyi_divergence(p, q, alpha=0) == 0.0          # q(supp p) = 1
    assert mm.renyi_divergence([0.5, 0.5], [1.0, 0.0], alpha=2.0) == np.inf
    assert np.isfinite(mm.renyi_divergence([0.5, 0.5], [1.0, 0.0], alpha=0.5))
    with pytest.raises(ValueError, match="`alpha`"):
        mm.renyi_divergence(p, q, alpha=-1.0)


# ----------------------------------------------------------------------------
# Behaviour the mutation run found unpinned (tests/MUTANTS.md, information.py).
# ----------------------------------------------------------------------------

class TestPinnedByMutation:
    """Each test kills mutants of ``mlmath/information.py`` no other test did."""

    def test_a_scalar_distribution_is_named(self):
        """A 0-d p is a ValueError naming `p` and saying it got a scalar."""
        with pytest.raises(ValueError, match=r"^`p`: expected at least 1 dimension \(a "
                                             r"distribution\), got a scalar$"):
            mm.entropy(0.5)

    @pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 7.5])
    def test_renyi_divergence_is_infinite_where_q_misses_mass_of_p(self, alpha):
        """D_alpha(p || q) = inf for alpha >= 1 when q = 0 where p > 0."""
        assert mm.renyi_divergence([0.5, 0.5], [1.0, 0.0], alpha=alpha) == np.inf
        # little missing mass: the power sum of the other cells stays near 1 (log1p branch)
        assert mm.renyi_divergence([0.99, 0.01], [1.0, 0.0], alpha=alpha) == np.inf

    def test_js_distance_validates_by_default(self):
        """js_distance checks its input by default: NaN is a ValueError naming `p`."""
        with pytest.raises(ValueError, match=r"^`p`: expected finite values"):
            mm.js_distance([0.5, np.nan], [0.5, 0.5])

    def test_kl_of_log_inputs_sharing_a_zero_warns_nothing(self):
        """KL from log-probabilities where p and q are both 0 (log -inf) at an entry: that
        term is 0, the result is finite, and no RuntimeWarning is emitted."""
        lp = np.array([math.log(0.5), math.log(0.5), -np.inf])
        lq = np.array([math.log(0.25), math.log(0.75), -np.inf])
        want = 0.5 * math.log(2.0) + 0.5 * math.log(0.5 / 0.75)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = mm.kl_divergence(lp, lq, log_input=True, log_target=True)
        assert float(got) == pytest.approx(want, rel=1e-14)

    #: Columns are pairs of distributions: p has a zero where q has mass (order 0 sees
    #: q(supp p) < 1), the second and last columns are nearly disjoint (their power sum at
    #: alpha = 1/2 is below 1/2: the logsumexp branch, on two different rows), the third
    #: has a cell where p = q = 0.
    _P = np.array([[0.4, 0.98, 0.0, 0.0], [0.3, 0.01, 0.0, 0.97],
                   [0.3, 0.01, 0.5, 0.02], [0.0, 0.0, 0.5, 0.01]])
    _Q = np.array([[0.1, 0.01, 0.0, 0.9], [0.2, 0.01, 0.5, 0.01],
                   [0.3, 0.01, 0.25, 0.01], [0.4, 0.97, 0.25, 0.08]])

    @pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.0, np.inf])
    def test_every_order_branch_of_renyi_divergence_honours_axis_base_and_validate(
            self, alpha):
        """Each order branch of renyi_divergence reduces along ``axis`` only, converts to
        ``base``, validates by default (naming `p` or `q`), skips validation when asked,
        and raises no floating-point error for zero cells."""
        with np.errstate(all="raise"):
            got = mm.renyi_divergence(self._P, self._Q, alpha=alpha, axis=0, base=2)
        nats = [float(mm.renyi_divergence(self._P[:, j], self._Q[:, j], alpha=alpha))
                for j in range(4)]
        assert got.shape == (4,) and np.all(np.isfinite(got))  # (q > 0 where p > 0)
        np.testing.assert_allclose(got, np.array(nats) / LN2, rtol=4 * np.finfo(float).eps,
                                   atol=0)
        assert len(set(nats)) == 4  # the columns tell the rows apart
        for bad in ("p", "q"):
            args = ([0.5, 0.6], [0.5, 0.5]) if bad == "p" else ([0.5, 0.5], [0.5, 0.6])
            with pytest.raises(ValueError, match=rf"^`{bad}`: "):
                mm.renyi_divergence(*args, alpha=alpha)
        assert np.isfinite(mm.renyi_divergence([0.5, 0.6], [0.5, 0.5], alpha=alpha,
                                               validate=False))

    def test_renyi_divergence_of_order_zero_is_minus_log_q_on_the_support_of_p(self):
        """D_0(p || q) = -log q(supp p)."""
        got = mm.renyi_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], alpha=0.0)
        assert got == pytest.approx(math.log(2.0), rel=1e-15)

    def test_an_overflowing_power_sum_is_summed_in_logs_past_a_shared_zero(self):
        """alpha = 3, q tiny where p = 1/2: p^3 q^-2 overflows, the sum is taken through
        logsumexp, and the cell where p = q = 0 contributes nothing (not NaN):
        D = log(p^3 q^-2 + ...) / 2, q_0 = 1e-300."""
        got = mm.renyi_divergence([0.5, 0.5, 0.0], [1e-300, 1.0 - 1e-300, 0.0], alpha=3.0)
        want = 0.5 * (math.log(0.125) - 2.0 * math.log(1e-300))  # the rest is 2**-3 / 2
        assert float(got) == pytest.approx(want, rel=1e-15)

    @pytest.mark.parametrize("alpha", [0.0, 0.5, 2.0, np.inf])
    def test_unvalidated_nan_propagates_through_every_renyi_divergence_order(self, alpha):
        """With ``validate=False`` a NaN probability gives NaN (as in every other measure),
        in each order branch: it is not taken for a zero outside the support."""
        p, q = [np.nan, 0.5, 0.5], [0.2, 0.3, 0.5]
        assert np.isnan(mm.renyi_divergence(p, q, alpha=alpha, validate=False))
        assert np.isnan(mm.renyi_divergence(q, p, alpha=alpha, validate=False))

    def test_unvalidated_min_divergence_is_the_max_ratio_as_is(self):
        """D_inf = log max_{p > 0} p/q, applied as is to unnormalised input."""
        got = mm.renyi_divergence([0.1, 0.0], [0.5, 0.5], alpha=np.inf, validate=False)
        assert got == pytest.approx(math.log(0.2), rel=1e-15)

    def test_js_distance_reduces_along_axis(self):
        """js_distance(axis=0) is the distance of each column pair."""
        got = mm.js_distance(self._P, self._Q, axis=0)
        want = [float(mm.js_distance(self._P[:, j], self._Q[:, j])) for j in range(4)]
        np.testing.assert_allclose(got, want, rtol=4 * np.finfo(float).eps, atol=0)
        assert len(set(want)) == 4

    @pytest.mark.parametrize(("log_input", "log_target"), [(True, False), (False, True),
                                                           (True, True)])
    def test_plain_kl_from_logs_is_the_plain_kl_of_the_probabilities(self, log_input,
                                                                      log_target):
        """generalized=False adds sum(p - q) of the probabilities, whether given as
        probabilities or as their logs (unnormalised input, unvalidated)."""
        p, q = np.array([0.6, 0.3, 0.3]), np.array([0.2, 0.5, 0.1])
        want = float(np.sum(p * np.log(p / q)))
        got = mm.kl_divergence(np.log(p) if log_target else p, np.log(q) if log_input else q,
                               log_input=log_input, log_target=log_target,
                               generalized=False, validate=False)
        assert float(got) == pytest.approx(want, rel=1e-14)

    def test_unvalidated_infinite_log_inputs_give_an_infinite_kl(self):
        """From logs, unvalidated: p = inf where q = 0 (log q = -inf), or p = 0 where
        q = inf (the term of a p = 0 entry is q), makes KL(p || q) = +inf, not 0."""
        for lp, lq in (([np.inf, 0.0], [-np.inf, 0.0]), ([-np.inf, 0.0], [np.inf, 0.0])):
            got = mm.kl_divergence(lp, lq, log_input=True, log_target=True, validate=False)
            assert got == np.inf

    def test_tsallis_of_index_zero_counts_the_support(self):
        """S_0 = |supp p| - 1: zero entries are outside the support (0**0 is not 1 here)."""
        assert mm.tsallis_entropy([0.5, 0.5, 0.0], q=0.0) == 1.0
        np.testing.assert_array_equal(
            mm.tsallis_entropy([[0.25, 0.25, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]], q=0.0),
            [2.0, 0.0])

    def test_subnormal_joint_probabilities_raise_no_floating_point_error(self):
        """A subnormal cell makes -p log p underflow: the joint measures compute it under
        their own errstate, so a caller's ``np.errstate(all="raise")`` sees no
        FloatingPointError."""
        t = np.array([[1e-320, 0.5], [0.5, 0.0]])
        with np.errstate(all="raise"):
            for fn in (mm.joint_entropy, mm.conditional_entropy, mm.mutual_information):
                assert np.isfinite(fn(t)) and np.isfinite(fn(t.T))

    def test_subnormal_binary_entropy_raises_no_floating_point_error(self):
        """binary_entropy of a subnormal p (-p log p underflows) under a caller's
        ``np.errstate(all="raise")``: a tiny positive result, no FloatingPointError."""
        with np.errstate(all="raise"):
            h = mm.binary_entropy(np.array([1e-320, 0.5]))
        assert 0.0 < h[0] < 1e-316 and h[1] == LN2

    def test_binary_entropy_of_float32_is_computed_in_float64_and_rounded_once(self):
        """float32 input is computed in float64 and rounded once (module docstring)."""
        p = np.random.default_rng(14).random(2000).astype(np.float32)
        got = mm.binary_entropy(p)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, mm.binary_entropy(p.astype(np.float64))
                                      .astype(np.float32))

    def test_unvalidated_renyi_entropy_raises_nothing(self):
        """validate=False checks nothing, in the logsumexp branch too (sum p**2 < 1/2): a
        negative entry (log NaN) gives NaN, not a ValueError."""
        assert np.isnan(mm.renyi_entropy([-0.01] + [0.1] * 10, alpha=2.0, validate=False))

    @pytest.mark.parametrize("alpha", [0.25, 0.5, 0.75])
    def test_renyi_divergence_below_order_one_where_q_misses_mass_of_p(self, alpha):
        """For alpha < 1 a q = 0 cell under p > 0 adds nothing to sum p^a q^(1-a):
        D_alpha([1/2, 1/2] || [1, 0]) = log(2**-alpha) / (alpha - 1), finite."""
        got = mm.renyi_divergence([0.5, 0.5], [1.0, 0.0], alpha=alpha)
        assert float(got) == pytest.approx(alpha * LN2 / (1.0 - alpha), rel=1e-14)
        # most of p's mass missing from q, and sum p^a q^(1-a) = 0.1**a above 1/2
        got = mm.renyi_divergence([0.1, 0.9], [1.0, 0.0], alpha=alpha)
        assert float(got) == pytest.approx(alpha * math.log(10.0) / (1.0 - alpha), rel=1e-14)

    @pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 2.0, np.inf])
    def test_renyi_divergence_of_disjoint_supports_is_infinite(self, alpha):
        """Disjoint supports: sum p^a q^(1-a) = 0 (and q(supp p) = 0), so D_alpha = +inf
        for every order, whichever of p, q is the point mass."""
        assert mm.renyi_divergence([1.0, 0.0], [0.0, 1.0], alpha=alpha) == np.inf
        assert mm.renyi_divergence([0.0, 0.5, 0.5], [1.0, 0.0, 0.0], alpha=alpha) == np.inf

    _F32: ClassVar[dict[str, Callable[..., Any]]] = {
            "entropy": lambda a, b, **kw: mm.entropy(a, **kw),
            "kl_divergence": lambda a, b, **kw: mm.kl_divergence(a, b, **kw),
            "cross_entropy": lambda a, b, **kw: mm.cross_entropy(a, b, **kw),
            "js_divergence": lambda a, b, **kw: mm.js_divergence(a, b, **kw),
            "renyi_entropy": lambda a, b, **kw: mm.renyi_entropy(a, alpha=2.0, **kw),
            "tsallis_entropy": lambda a, b, **kw: mm.tsallis_entropy(a, q=2.0, **kw),
            "renyi_divergence": lambda a, b, **kw: mm.renyi_divergence(a, b, alpha=0.5, **kw),
            "joint_entropy": lambda a, b, **kw: mm.joint_entropy(a, **kw),
            "conditional_entropy": lambda a, b, **kw: mm.conditional_entropy(a, **kw),
            "mutual_information": lambda a, b, **kw: mm.mutual_information(a, **kw)}

    @pytest.mark.parametrize("name", sorted(_F32))
    def test_float32_input_is_computed_in_float64_and_rounded_once(self, name):
        """float32 rows (and tables) give the float64 result of the same values rounded
        once to float32 (module docstring), bit for bit.  (validate=False: the float32
        rows are not normalised to float64's tolerance.)"""
        rng = np.random.default_rng(14)
        p, q = rng.random((2, 50, 7))
        p, q = (p / p.sum(-1, keepdims=True)).astype(np.float32), \
            (q / q.sum(-1, keepdims=True)).astype(np.float32)
        if name in ("joint_entropy", "conditional_entropy", "mutual_information"):
            p = (p[:6] / p[:6].sum()).reshape(2, 21)
        fn = self._F32[name]
        got = fn(p, q, validate=False)
        assert np.asarray(got).dtype == np.float32
        np.testing.assert_array_equal(
            got, np.asarray(fn(p.astype(np.float64), q.astype(np.float64), validate=False))
            .astype(np.float32))

    def test_kl_against_a_subnormal_q_cell(self):
        """p/q overflows where q is subnormal: the log ratio is log p - log q there, so
        KL([1/2, 1/2] || [q0, 1 - q0]) = (log(1/2) - log q0)/2 + log(1/2)/2, q0 = 1e-320."""
        q0 = 1e-320
        want = 0.5 * (math.log(0.5) - math.log(q0)) + 0.5 * math.log(0.5)
        got = mm.kl_divergence([0.5, 0.5], [q0, 1.0 - q0])
        assert float(got) == pytest.approx(want, rel=1e-14)
