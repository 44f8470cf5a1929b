"""Unit, edge-case, bad-input and mpmath accuracy tests of mlmath.losses.

Accuracy references are evaluated at 50 digits (``tests/_oracles.py``) on the
exact binary values of the inputs; the bound is 4 eps of the input dtype
(relative, per element) on the hard cases named in the issue.
"""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
from hypothesis import given

import mlmath as mm
from mlmath import strategies as mst
from tests._oracles import (
    DPS,
    assert_accurate,
    mp_binary_cross_entropy,
    mp_sigmoid,
    mp_sigmoid_binary_cross_entropy,
    mp_softmax_cross_entropy,
    mp_softmax_cross_entropy_grad,
    smoothed_mass,
)

DTYPES = [np.float32, np.float64]
#: Worst relative error allowed on the hard cases, in eps of the dtype.
MAX_EPS = 4


# --------------------------------------------------------------------------- #
# Reference helpers                                                           #
# --------------------------------------------------------------------------- #

def _mp_rows(x2d, masses):
    """Per-row loss references for (N, C) logits and their target masses."""
    with mpmath.workdps(DPS):
        return np.array([float(mp_softmax_cross_entropy([mpmath.mpf(float(v)) for v in row], a))
                         for row, a in zip(x2d, masses, strict=True)])


def _mp_grad_rows(x2d, masses):
    with mpmath.workdps(DPS):
        return np.array([[float(g) for g in mp_softmax_cross_entropy_grad(
            [mpmath.mpf(float(v)) for v in row], a)] for row, a in zip(x2d, masses, strict=True)])


def _masses(x2d, targets, **kw):
    return [smoothed_mass(x2d.shape[1], t, **kw) for t in targets]


def _check_softmax_accuracy(x, labels, label, *, grad=True, **kw):
    """Loss (reduction none) and gradient (reduction sum) of every row within MAX_EPS."""
    x = np.asarray(x)
    weights = kw.get("class_weights")
    masses = _masses(x, labels, smoothing=kw.get("label_smoothing", 0.0), weights=weights)
    got = mm.softmax_cross_entropy(x, labels, reduction="none", **kw)
    assert got.dtype == x.dtype
    assert_accurate(got, _mp_rows(x, masses), max_eps=MAX_EPS, dtype=x.dtype,
                    label=f"{label}:loss", points=[r.tolist() for r in x])
    if grad:
        g = mm.softmax_cross_entropy_grad(x, labels, reduction="sum", **kw)
        _assert_grad_accurate(g, _mp_grad_rows(x, masses), x, label=f"{label}:grad")


def _assert_grad_accurate(g, ref, x, *, label):
    """Per element, |g - ref| <= (MAX_EPS + slack)·eps·max(|ref|, tiny).

    float32: slack 0 (exp(x - max) is evaluated in float64 from exact
    differences).  float64: slack |x - max|/2, because x - max is rounded
    (half an ulp of the difference), a relative change of |x - max|·eps/2 in
    exp(x - max) -- exactly what rounding the input logit itself does, so it
    is backward stable; the loss removes it (``_difference_correction``) but the
    gradient's hot path does not pay for that.  ``tiny`` floors subnormals.
    """
    eps, tiny = float(np.finfo(x.dtype).eps), float(np.finfo(x.dtype).tiny)
    gap = np.max(x, axis=-1, keepdims=True).astype(np.float64) - x
    slack = gap / 2 if x.dtype == np.float64 else 0.0
    err = np.abs(g.astype(np.float64) - ref) / (np.maximum(np.abs(ref), tiny) * eps)
    bad = err > MAX_EPS + slack
    assert not bad.any(), (
        f"[accuracy:{label}] {int(bad.sum())} of {bad.size} bad; worst {err.max():.3g} eps at "
        f"{np.unravel_index(np.argmax(err - slack), err.shape)}; got {g[bad][:3]!r}, "
        f"expected {ref[bad][:3]!r}")


# --------------------------------------------------------------------------- #
# softmax_cross_entropy: accuracy on the hard cases                           #
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.usefixtures("mlmath_backend")  # once per installed backend
class TestSoftmaxCrossEntropyAccuracy:
    def test_extreme_logits(self, dtype):
        """Logits of +-1e4 (and mixed scales): every label, loss and gradient."""
        x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, 3.0],
                      [0.5, -1e4, 1e4]], dtype)
        for label in range(3):
            _check_softmax_accuracy(x, np.full(4, label), f"pm1e4-label{label}")

    def test_confident_correct_row_near_zero(self, dtype):
        """Loss ~ 1e-17..1e-30 (SciPy and PyTorch return 0) via log1p of the other mass."""
        x = np.array([[37.8, 0.0, -3.0], [40.0, 0.0, 2.0], [70.0, 1.0, 1.0], [20.0, 0.0, 0.0]],
                     dtype)
        _check_softmax_accuracy(x, np.zeros(4, int), "confident-correct")
        assert mm.softmax_cross_entropy(x[:1], [0]) > 3.8e-17 * (1 - 1e-6)

    def test_confident_rows_with_inexact_differences(self, dtype):
        """Confident rows whose x_c - max is not exact in the dtype (random decimals):
        the rounding of the difference must not reach the tiny loss."""
        rng = np.random.default_rng(11)
        x = rng.uniform(-5, 5, size=(12, 6))
        x[:, 0] = rng.uniform(30, 45, size=12)
        _check_softmax_accuracy(x.astype(dtype), np.zeros(12, int), "confident-inexact")

    def test_target_at_smallest_logit(self, dtype):
        """The label sits at the minimum logit, far below the others."""
        rng = np.random.default_rng(7)
        x = rng.normal(0, 30, size=(6, 9)).astype(dtype)
        _check_softmax_accuracy(x, np.argmin(x, axis=1), "smallest-logit")

    def test_smoothing_with_confident_wrong_class(self, dtype):
        """Smoothing 0.1, with and without weights, when one wrong class dominates."""
        x = np.array([[0.0, 60.0, -5.0, 2.0], [-1e4, 1e4, 0.0, 1.0], [3.0, 50.0, 3.0, 3.0]], dtype)
        labels = np.zeros(3, int)
        _check_softmax_accuracy(x, labels, "smooth-wrong", label_smoothing=0.1)
        _check_softmax_accuracy(x, labels, "smooth-wrong-weighted", label_smoothing=0.1,
                                class_weights=[2.0, 0.5, 1.0, 3.0])

    def test_probability_targets(self, dtype):
        """Soft targets with exact zeros and smoothing, against the 50-digit loss."""
        x = np.array([[1e4, 0.0, -1e4], [40.0, 0.0, 1.0]], dtype)
        t = np.array([[0.75, 0.25, 0.0], [1.0, 0.0, 0.0]], dtype)
        for eps in (0.0, 0.2):
            masses = _masses(x, t, smoothing=eps)
            got = mm.softmax_cross_entropy(x, t, label_smoothing=eps, reduction="none")
            assert_accurate(got, _mp_rows(x, masses), max_eps=MAX_EPS, dtype=dtype,
                            label=f"probs-eps{eps}")


@pytest.mark.usefixtures("mlmath_backend")
def test_float32_with_32000_classes():
    """float32, C = 32,000: a confident row (label at the max) and a random label, <= 4 eps.

    (Two rows: each 50-digit reference costs 32,000 mpmath exponentials.)
    """
    rng = np.random.default_rng(3)
    x = rng.normal(0, 4, size=(2, 32000)).astype(np.float32)
    x[0, 17] = 60.0  # a confident row: its loss is ~ sum_c e^{x_c - 60} ~ 1e-14
    labels = np.array([17, 12345])
    _check_softmax_accuracy(x, labels, "32000-classes", grad=False)


# --------------------------------------------------------------------------- #
# softmax_cross_entropy: semantics                                             #
# --------------------------------------------------------------------------- #

@pytest.mark.usefixtures("mlmath_backend")  # once per installed backend
class TestSoftmaxCrossEntropySemantics:
    def test_two_classes_closed_form(self):
        """CE of two classes is softplus(x_other - x_label)."""
        x = np.array([[0.3, -1.2], [5.0, 2.0]])
        np.testing.assert_allclose(mm.softmax_cross_entropy(x, [1, 0], reduction="none"),
                                   np.logaddexp(0, [0.3 + 1.2, 2.0 - 5.0]), rtol=1e-15)

    @pytest.mark.parametrize("axis", [0, 1, -1, 2])
    def test_axis_equals_moveaxis(self, axis):
        """Any class axis gives the class-last result with the axis moved."""
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 3, 4))
        labels = rng.integers(0, x.shape[axis], size=np.delete(x.shape, axis))
        last = np.moveaxis(x, axis, -1)
        kw = {"label_smoothing": 0.1, "reduction": "none"}
        np.testing.assert_array_equal(mm.softmax_cross_entropy(x, labels, axis=axis, **kw),
                                      mm.softmax_cross_entropy(last, labels, **kw))
        np.testing.assert_array_equal(
            mm.softmax_cross_entropy_grad(x, labels, axis=axis, **kw),
            np.moveaxis(mm.softmax_cross_entropy_grad(last, labels, **kw), -1, axis))

    def test_single_example_without_batch(self):
        """1-D logits with a scalar label give a scalar loss and a (C,) gradient."""
        assert np.ndim(mm.softmax_cross_entropy([1.0, 2.0, 3.0], 2, reduction="none")) == 0
        assert mm.softmax_cross_entropy_grad([1.0, 2.0, 3.0], 2).shape == (3,)

    @pytest.mark.parametrize(("logits_dtype", "target_dtype", "out"), [
        (np.float32, None, np.float32), (np.float16, None, np.float16),
        (np.int64, None, np.float64), (np.float32, np.float64, np.float64),
        (np.float32, np.float32, np.float32), (np.float32, np.int64, np.float32),
    ])
    def test_dtype_rules(self, logits_dtype, target_dtype, out):
        """float32/16 kept, ints -> float64, float targets promote, int one-hots do not."""
        x = np.array([[1, 2, 0]], logits_dtype)
        t = [2] if target_dtype is None else np.array([[0, 0, 1]], target_dtype)
        assert np.asarray(mm.softmax_cross_entropy(x, t)).dtype == out
        assert mm.softmax_cross_entropy_grad(x, t).dtype == out

    def test_all_ignored_mean_is_zero(self):
        """Every target ignored: mean 0.0 and gradient 0 (PyTorch gives NaN; documented)."""
        x = np.array([[1.0, 2.0], [3.0, -1.0]])
        assert mm.softmax_cross_entropy(x, [-100, -100], ignore_index=-100) == 0.0
        assert not mm.softmax_cross_entropy_grad(x, [-100, -100], ignore_index=-100).any()

    def test_zero_total_weight_mean_is_zero(self):
        """Counted targets whose weights are all 0: mean 0.0, gradient 0."""
        x = np.array([[1.0, 2.0], [3.0, -1.0]])
        assert mm.softmax_cross_entropy(x, [0, 0], class_weights=[0.0, 1.0]) == 0.0
        assert not mm.softmax_cross_entropy_grad(x, [0, 0], class_weights=[0.0, 1.0]).any()

    def test_ignored_rows_have_zero_loss_and_gradient(self):
        """An ignored row contributes exactly 0 to ``none`` and to the gradient."""
        x = np.array([[1.0, 2.0], [3.0, -1.0]])
        assert mm.softmax_cross_entropy(x, [1, 7], ignore_index=7, reduction="none")[1] == 0.0
        assert not mm.softmax_cross_entropy_grad(x, [1, 7], ignore_index=7)[1].any()

    @pytest.mark.parametrize("loss", ["softmax_cross_entropy", "poly_loss_cross_entropy"])
    def test_ignored_row_of_masked_logits_contributes_zero(self, loss):
        """An ignored row whose logits are all -inf (its softmax is NaN) still contributes
        exactly 0, to every reduction and to the gradient; the other rows are unchanged."""
        x = np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0]])
        fn, grad = getattr(mm, loss), getattr(mm, loss + "_grad")
        alone = fn(x[1:], [1], reduction="none")
        np.testing.assert_array_equal(fn(x, [-100, 1], ignore_index=-100, reduction="none"),
                                      [0.0, alone[0]])
        assert fn(x, [-100, 1], ignore_index=-100) == alone[0]
        g = grad(x, [-100, 1], ignore_index=-100)
        assert not g[0].any()
        np.testing.assert_array_equal(g[1], grad(x[1:], [1])[0])

    def test_ignore_index_inside_the_class_range(self):
        """ignore_index may be a real class (PyTorch allows it): that class is dropped."""
        x = np.array([[1.0, 2.0], [3.0, -1.0]])
        assert mm.softmax_cross_entropy(x, [0, 1], ignore_index=0) == pytest.approx(
            mm.softmax_cross_entropy(x[1:], [1]), rel=1e-15)

    def test_reduction_shapes(self):
        """none keeps the batch shape; sum and mean are scalars."""
        x = np.zeros((2, 3, 4))
        labels = np.zeros((2, 3), int)
        assert mm.softmax_cross_entropy(x, labels, reduction="none").shape == (2, 3)
        assert np.ndim(mm.softmax_cross_entropy(x, labels, reduction="sum")) == 0
        assert mm.softmax_cross_entropy(x, labels) == pytest.approx(np.log(4), rel=1e-15)

    def test_finite_logits_whose_sum_overflows_are_accepted(self):
        """The one-pass finiteness shortcut falls back to the full scan: no false alarm."""
        x = np.full((2, 3), 3e38, np.float32)
        assert mm.softmax_cross_entropy(x, [0, 1]) == pytest.approx(np.log(3), rel=1e-6)
        x[1, 2] = np.inf
        with pytest.raises(ValueError, match=r"`logits`: .* got \+inf at index \[1, 2\]"):
            mm.softmax_cross_entropy(x, [0, 1])

    def test_validate_false_gives_the_same_result(self):
        """validate=False only skips checks."""
        x = np.array([[1.0, 2.0, 0.5]])
        assert mm.softmax_cross_entropy(x, [1], validate=False) == mm.softmax_cross_entropy(x, [1])

    def test_empty_batch(self):
        """No rows: sum 0, mean 0 (the empty-mean convention), gradient of shape (0, C)."""
        x = np.zeros((0, 3))
        labels = np.zeros(0, int)
        assert mm.softmax_cross_entropy(x, labels, reduction="sum") == 0.0
        assert mm.softmax_cross_entropy(x, labels) == 0.0
        assert mm.softmax_cross_entropy_grad(x, labels).shape == (0, 3)


# --------------------------------------------------------------------------- #
# sigmoid_binary_cross_entropy and binary_cross_entropy                       #
# --------------------------------------------------------------------------- #

_Z = np.array([-1e4, -700.0, -40.0, -10.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 10.0, 40.0, 700.0, 1e4])
_Y = np.array([0.0, 0.25, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_sigmoid_binary_cross_entropy_accuracy(dtype, pos_weight):
    """Loss and gradient on a grid of logits out to +-1e4, hard and soft targets."""
    z, y = (a.astype(dtype) for a in np.meshgrid(_Z, _Y))
    z = z[np.abs(z) <= np.finfo(dtype).max]
    y = y.reshape(z.shape)
    pw = 1.0 if pos_weight is None else pos_weight
    pairs = list(zip(z.flat, y.flat, strict=True))
    with mpmath.workdps(DPS):
        mp_pairs = [(mpmath.mpf(float(a)), mpmath.mpf(float(b))) for a, b in pairs]
        ref = [float(mp_sigmoid_binary_cross_entropy(a, b, pw)) for a, b in mp_pairs]
        ref_g = [float((1 - b) * mp_sigmoid(a) - pw * b * mp_sigmoid(-a)) for a, b in mp_pairs]
    got = mm.sigmoid_binary_cross_entropy(z, y, pos_weight=pos_weight, reduction="none")
    assert got.dtype == dtype
    # references are rounded to the dtype: 1e-304 is 0 in float32 (no digits to lose)
    ref, ref_g = (np.asarray(r).astype(dtype) for r in (ref, ref_g))
    assert_accurate(got, ref, max_eps=MAX_EPS, dtype=dtype, label="sigmoid-bce",
                    points=pairs)
    # the soft-target gradient cancels near sigma(z) = y (inherent); hard targets do not
    hard = (y.reshape(-1) != 0.25)
    g = mm.sigmoid_binary_cross_entropy_grad(z, y, pos_weight=pos_weight, reduction="sum")
    assert_accurate(g.reshape(-1)[hard], ref_g[hard], max_eps=MAX_EPS, dtype=dtype,
                    label="sigmoid-bce-grad")


def test_sigmoid_binary_cross_entropy_near_zero():
    """sigmoid_binary_cross_entropy(-40, 0) = log1p(e^-40) ~ 4.25e-18, not 0."""
    assert mm.sigmoid_binary_cross_entropy(-40.0, 0.0) == pytest.approx(4.248354255291589e-18,
                                                                         rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_accuracy(dtype):
    """From probabilities, tiny p (1e-300: 690.8, PyTorch clamps to 100) and p near 1."""
    tiny = float(np.finfo(dtype).tiny)
    p = np.array([tiny, 1e-300, 1e-10, 0.3, 0.5, 0.9, 1 - 2.0**-23, 1 - 2.0**-53], dtype)
    p = p[(p > 0) & (p < 1)]
    for y in (0.0, 0.25, 1.0):
        with mpmath.workdps(DPS):
            ref = [float(mp_binary_cross_entropy(mpmath.mpf(float(q)), mpmath.mpf(y))) for q in p]
        got = mm.binary_cross_entropy(p, np.full_like(p, y), reduction="none")
        assert_accurate(got, ref, max_eps=MAX_EPS, dtype=dtype, label=f"bce-y{y}")
    assert mm.binary_cross_entropy(1e-300, 1.0) == pytest.approx(690.7755278982137, rel=1e-15)


def test_binary_cross_entropy_exact_zero_and_one():
    """p in {0, 1}: 0 where the target agrees, +inf where it disagrees, never NaN."""
    p = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    y = np.array([0.0, 1.0, 0.5, 1.0, 0.0, 0.5])
    got = mm.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(got, [0.0, np.inf, np.inf, 0.0, np.inf, np.inf])
    assert not np.signbit(got).any()
    assert mm.binary_cross_entropy(p, y) == np.inf


def test_binary_reductions_average_every_element():
    """mean = sum / number of elements (PyTorch), for both binary losses."""
    z = np.array([[0.5, -2.0], [3.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.5, 1.0]])
    for fn, arg in ((mm.sigmoid_binary_cross_entropy, z), (mm.binary_cross_entropy, mm.sigmoid(z))):
        assert fn(arg, y) == pytest.approx(fn(arg, y, reduction="sum") / 4, rel=1e-15)
        assert fn(arg, y, reduction="none").shape == (2, 2)
    g_sum = mm.sigmoid_binary_cross_entropy_grad(z, y, reduction="sum")
    np.testing.assert_allclose(mm.sigmoid_binary_cross_entropy_grad(z, y), g_sum / 4, rtol=1e-15)


def test_pos_weight_broadcasts_over_the_last_axis():
    """pos_weight of shape (C,) weights the positive term of every row's class c."""
    z = np.array([[0.5, -2.0, 1.0]] * 2)
    y = np.array([[1.0, 0.0, 0.3]] * 2)
    pw = np.array([2.0, 5.0, 0.5])
    expected = pw * y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    np.testing.assert_allclose(mm.sigmoid_binary_cross_entropy(z, y, pos_weight=pw,
                                                               reduction="none"),
                               expected, rtol=1e-15)


# --------------------------------------------------------------------------- #
# Bad input: exact exception type and a message naming the argument            #
# --------------------------------------------------------------------------- #

_X = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
_SCE = (mm.softmax_cross_entropy, mm.softmax_cross_entropy_grad)
_SBCE = (mm.sigmoid_binary_cross_entropy, mm.sigmoid_binary_cross_entropy_grad)

BAD_SOFTMAX = [
    # (id, args, kwargs, exception, message pattern)
    ("label-out-of-range", (_X, [0, 3]), {}, ValueError,
     r"`targets`: expected class indices in \[0, 3\), got 3 at index \[1\]"),
    ("label-negative", (_X, [-1, 0]), {}, ValueError, r"`targets`: .*got -1 at index \[0\]"),
    ("label-not-ignore", (_X, [-100, 5]), {"ignore_index": -100}, ValueError,
     r"`targets`: .* or ignore_index=-100, got 5 at index \[1\]"),
    ("label-float-dtype", (_X, [0.0, 1.0]), {}, TypeError,
     r"`targets`: expected an integer dtype for class labels, got float64"),
    ("probs-not-normalised", (_X, [[0.5, 0.4, 0.0], [1.0, 0.0, 0.0]]), {}, ValueError,
     r"`targets`: expected entries summing to 1 .* at batch index \[0\]"),
    ("probs-negative", (_X, [[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]), {}, ValueError,
     r"`targets`: expected non-negative values, got \S*-0.5\S* at index \[0, 1\]"),
    ("shape-mismatch", (_X, [0, 1, 2]), {}, ValueError,
     r"`targets`: expected class indices of shape \(2,\) or probabilities of shape \(2, 3\)"),
    ("weights-wrong-length", (_X, [0, 1]), {"class_weights": [1.0, 2.0]}, ValueError,
     r"`class_weights`: expected shape \(3,\), one weight per class, got \(2,\)"),
    ("weights-negative", (_X, [0, 1]), {"class_weights": [1.0, -2.0, 1.0]}, ValueError,
     r"`class_weights`: expected non-negative values, got \S*-2.0\S* at index \[1\]"),
    ("weights-nan", (_X, [0, 1]), {"class_weights": [1.0, np.nan, 1.0]}, ValueError,
     r"`class_weights`: expected finite values"),
    ("smoothing-above-1", (_X, [0, 1]), {"label_smoothing": 1.5}, ValueError,
     r"`label_smoothing`: expected a value in \[0, 1\], got 1.5"),
    ("smoothing-negative", (_X, [0, 1]), {"label_smoothing": -0.1}, ValueError,
     r"`label_smoothing`: expected a value in \[0, 1\], got -0.1"),
    ("smoothing-array", (_X, [0, 1]), {"label_smoothing": [0.1]}, TypeError,
     r"`label_smoothing`: expected a real scalar"),
    ("unknown-reduction", (_X, [0, 1]), {"reduction": "avg"}, ValueError,
     r"`reduction`: expected one of \['mean', 'sum', 'none'\], got 'avg'"),
    ("ignore-index-float", (_X, [0, 1]), {"ignore_index": 1.5}, TypeError,
     r"`ignore_index`: expected an integer or None, got 1.5"),
    ("ignore-index-with-probs", (_X, np.eye(3)[[0, 1]]), {"ignore_index": -100}, ValueError,
     r"`ignore_index`: applies only to integer class targets"),
    ("logits-nan", (np.array([[1.0, np.nan]]), [0]), {}, ValueError,
     r"`logits`: expected no NaN, got NaN at index \[0, 1\]"),
    ("logits-inf", (np.array([[1.0, np.inf]]), [0]), {}, ValueError,
     r"`logits`: expected no \+inf \(it would take all the mass: inf/inf is undefined\), "
     r"got \+inf at index \[0, 1\]"),
    ("logits-all-masked", (np.array([[1.0, 0.0], [-np.inf, -np.inf]]), [0, 1]), {}, ValueError,
     r"`logits`: expected at least one entry > -inf along axis 1 .* at batch index \[1\]"),
    ("logits-complex", (np.array([[1.0, 2j]]), [0]), {}, TypeError, r"`logits`: expected a real"),
    ("logits-scalar", (1.0, 0), {}, ValueError, r"`logits`: expected at least one dimension"),
    ("logits-empty-axis", (np.zeros((2, 0)), [0, 0]), {}, ValueError,
     r"`logits`: expected a non-empty axis"),
    ("axis-out-of-range", (_X, [0, 1, 2]), {"axis": 2}, ValueError,
     r"`axis`: expected an axis in \[-2, 1\]"),
    ("targets-string", (_X, "ab"), {}, ValueError, r"`targets`: expected class indices of shape"),
]

BAD_BINARY = [
    ("targets-above-1", (np.zeros(2), [0.0, 1.5]), {}, ValueError,
     r"`targets`: expected values in \[0, 1\], got \S*1.5\S* at index \[1\]"),
    ("targets-negative", (np.zeros(2), [-0.5, 1.0]), {}, ValueError,
     r"`targets`: expected values in \[0, 1\], got \S*-0.5\S* at index \[0\]"),
    ("shape-mismatch", (np.zeros(2), [0.0, 1.0, 1.0]), {}, ValueError,
     r"`targets`: expected the shape of `(logits|probs)` \(2,\), got \(3,\)"),
    ("unknown-reduction", (np.zeros(2), [0.0, 1.0]), {"reduction": None}, ValueError,
     r"`reduction`: expected one of"),
    ("targets-complex", (np.zeros(2), np.array([0j, 1])), {}, TypeError,
     r"`targets`: expected a real"),
]

BAD_LOGITS_ONLY = [
    ("logits-inf", (np.array([np.inf, 0.0]), [0.0, 1.0]), {}, ValueError,
     r"`logits`: expected finite values, got inf at index \[0\]"),
    ("pos-weight-negative", (np.zeros((2, 3)), np.ones((2, 3))), {"pos_weight": [1.0, -1.0, 1.0]},
     ValueError, r"`pos_weight`: expected non-negative values, got \S*-1.0\S* at index \[1\]"),
    ("pos-weight-shape", (np.zeros((2, 3)), np.ones((2, 3))), {"pos_weight": [1.0, 1.0]},
     ValueError, r"`pos_weight`: expected a shape broadcastable to \(2, 3\), got \(2,\)"),
]

BAD_PROBS_ONLY = [
    ("probs-above-1", (np.array([0.5, 1.5]), [0.0, 1.0]), {}, ValueError,
     r"`probs`: expected values in \[0, 1\], got \S*1.5\S* at index \[1\]"),
    ("probs-nan", (np.array([0.5, np.nan]), [0.0, 1.0]), {}, ValueError,
     r"`probs`: expected values in \[0, 1\], got \S*nan\S* at index \[1\]"),
]


def _cases(table, functions):
    return [pytest.param(fn, *case[1:], id=f"{fn.__name__}-{case[0]}")
            for case in table for fn in functions]


@pytest.mark.parametrize(("fn", "args", "kwargs", "exc", "pattern"), [
    *_cases(BAD_SOFTMAX, _SCE),
    *_cases(BAD_BINARY, (*_SBCE, mm.binary_cross_entropy)),
    *_cases(BAD_LOGITS_ONLY, _SBCE),
    *_cases(BAD_PROBS_ONLY, (mm.binary_cross_entropy,)),
])
def test_bad_input_is_named(fn, args, kwargs, exc, pattern):
    """Each bad input raises the documented exception type; the message names the argument."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc
    assert re.search(pattern, str(info.value)), str(info.value)


# --------------------------------------------------------------------------- #
# The loss strategies draw valid inputs                                        #
# --------------------------------------------------------------------------- #

@given(p=mst.softmax_problems(extreme=True))
def test_softmax_problems_are_valid_inputs(p):
    """Labels in range (or the drawn ignore_index), targets normalised, finite logits."""
    assert np.isfinite(p.logits).all()
    if p.index_targets:
        ok = (p.targets >= 0) & (p.targets < p.n_classes)
        if "ignore_index" in p.kwargs:
            ok |= p.targets == p.kwargs["ignore_index"]
        assert ok.all()
        assert p.one_hot().shape == p.logits.shape
    else:
        assert p.targets.shape == p.logits.shape and (p.targets >= 0).all()
    mm.softmax_cross_entropy(p.logits, p.targets, **p.kwargs)  # passes validation


@given(p=mst.binary_problems())
def test_binary_problems_are_valid_inputs(p):
    """Targets in [0, 1], pos_weight broadcastable: the loss accepts every draw."""
    assert ((p.targets >= 0) & (p.targets <= 1)).all()
    mm.sigmoid_binary_cross_entropy(p.logits, p.targets, **p.kwargs)


@pytest.mark.usefixtures("mlmath_backend")  # once per installed backend
class TestMaskedClasses:
    """-inf logits mask classes (issue 18): the loss without those columns, exact zeros."""

    X = np.array([[0.5, -np.inf, 2.0, -1.0], [-np.inf, 3.0, 0.0, -np.inf]])
    KEPT = (np.array([0, 2, 3]), np.array([1, 2]))

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_loss_and_gradient_are_those_without_the_masked_columns(self, dtype):
        x = self.X.astype(dtype)
        labels = [2, 1]
        loss = mm.softmax_cross_entropy(x, labels, reduction="none")
        grad = mm.softmax_cross_entropy_grad(x, labels, reduction="none")
        for row, (kept, label) in enumerate(zip(self.KEPT, [1, 0], strict=True)):
            dropped = x[row, kept][None]
            assert loss[row] == pytest.approx(
                mm.softmax_cross_entropy(dropped, [label]), rel=4 * float(np.finfo(dtype).eps))
            np.testing.assert_allclose(grad[row, kept], mm.softmax_cross_entropy_grad(
                dropped, [label])[0], rtol=4 * np.finfo(dtype).eps)
            masked = np.setdiff1d(np.arange(4), kept)
            assert np.all(grad[row, masked] == 0)

    def test_a_masked_target_costs_inf_with_a_finite_gradient(self):
        assert mm.softmax_cross_entropy(self.X, [1, 1], reduction="none")[0] == np.inf
        grad = mm.softmax_cross_entropy_grad(self.X, [1, 1], reduction="sum")
        assert np.isfinite(grad).all() and grad[0, 1] == -1.0

    def test_label_smoothing_puts_mass_on_every_class(self):
        """As PyTorch: the uniform part reaches the masked classes, so the loss is +inf."""
        loss = mm.softmax_cross_entropy(self.X, [2, 1], label_smoothing=0.1, reduction="none")
        assert np.all(loss == np.inf)
        grad = mm.softmax_cross_entropy_grad(self.X, [2, 1], label_smoothing=0.1,
                                             reduction="sum")
        assert grad[0, 1] == pytest.approx(-0.1 / 4, rel=1e-15)

    def test_probability_targets_without_mass_on_the_mask_are_finite(self):
        t = np.array([[0.25, 0.0, 0.5, 0.25], [0.0, 0.75, 0.25, 0.0]])
        loss = mm.softmax_cross_entropy(self.X, t, reduction="none")
        expected = [mm.cross_entropy(t[0, k], mm.softmax(self.X[0, k])) for k in [self.KEPT[0]]]
        assert loss[0] == pytest.approx(expected[0], rel=8 * np.finfo(float).eps)
        assert np.all(mm.softmax_cross_entropy_grad(self.X, t)[t == 0] <= 0)
        assert mm.softmax_cross_entropy_grad(self.X, t)[0, 1] == 0.0

    def test_a_fully_masked_row_is_an_error_unless_ignored(self):
        x = np.array([[1.0, 0.0], [-np.inf, -np.inf]])
        with pytest.raises(ValueError, match=r"at least one entry > -inf .* batch index \[1\]"):
            mm.softmax_cross_entropy(x, [0, 1])
        with pytest.raises(ValueError, match=r"batch index \[1\]"):
            mm.softmax_cross_entropy_grad(x, [0, 1], ignore_index=-1)
        assert mm.softmax_cross_entropy(x, [0, -1], ignore_index=-1, reduction="none")[1] == 0
        g = mm.softmax_cross_entropy_grad(x, [0, -1], ignore_index=-1)
        assert np.all(g[1] == 0)
        assert mm.softmax_cross_entropy(x, [-1, -1], ignore_index=-1) == 0.0

    def test_float64_rows_refined_by_twosum_keep_their_digits_when_masked(self):
        """A confident float64 row (the TwoSum-corrected path) with a masked class."""
        x = np.array([[40.0, -np.inf, 0.0, -3.0]])
        assert mm.softmax_cross_entropy(x, [0]) == mm.softmax_cross_entropy(x[:, [0, 2, 3]], [0])


class TestFocalAndPoly:
    """Reference values from 50-digit mpmath; bad parameters name themselves."""

    @staticmethod
    def _mp_focal(z, y, alpha, gamma):
        with mpmath.workdps(50):
            z, y = mpmath.mpf(z), mpmath.mpf(y)
            s = 1 / (1 + mpmath.exp(-z))
            bce = -(y * mpmath.log(s) + (1 - y) * mpmath.log(1 - s))
            m = y * (1 - s) + (1 - y) * s
            weight = 1 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
            return weight * m ** mpmath.mpf(gamma) * bce

    @pytest.mark.parametrize(("z", "y", "alpha", "gamma"), [
        (40.0, 1.0, 0.25, 2.0), (-40.0, 0.0, 0.25, 2.0), (3.0, 0.3, None, 0.5),
        (-700.0, 1.0, 0.75, 2.0), (1e-8, 1.0, 0.25, 5.0)])
    def test_sigmoid_focal_loss_matches_mpmath(self, z, y, alpha, gamma):
        got = float(mm.sigmoid_focal_loss([z], [y], alpha=alpha, gamma=gamma))
        want = float(self._mp_focal(z, y, alpha, gamma))
        assert got == pytest.approx(want, rel=16 * np.finfo(float).eps)

    def test_poly_loss_of_a_confident_row_matches_mpmath(self):
        x = np.array([[37.8, 0.0, -3.0]])
        with mpmath.workdps(50):
            e = [mpmath.exp(mpmath.mpf(v)) for v in x[0]]
            s0 = e[0] / mpmath.fsum(e)
            want = float(-mpmath.log(s0) + 2 * (1 - s0))
        assert mm.poly_loss_cross_entropy(x, [0]) == pytest.approx(want,
                                                                   rel=4 * np.finfo(float).eps)

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"alpha": 1.5}, ValueError, "`alpha`: expected a value in \\[0, 1\\]"),
        ({"alpha": -1}, ValueError, "`alpha`"),
        ({"gamma": -1.0}, ValueError, "`gamma`"), ({"gamma": np.inf}, ValueError, "`gamma`"),
        ({"gamma": "2"}, TypeError, "`gamma`")])
    def test_bad_focal_parameters(self, kwargs, exc, text):
        with pytest.raises(exc, match=text):
            mm.sigmoid_focal_loss([0.0], [1.0], **kwargs)

    @pytest.mark.parametrize(("value", "exc"), [(np.nan, ValueError), (None, TypeError),
                                                ("2", TypeError), (10**400, ValueError)])
    def test_bad_poly_epsilon(self, value, exc):
        with pytest.raises(exc, match="`epsilon`"):
            mm.poly_loss_cross_entropy([[0.0, 1.0]], [0], epsilon=value)

    def test_poly_loss_ignores_rows_and_masks_classes(self):
        x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.0, 1.0]])
        loss = mm.poly_loss_cross_entropy(x, [2, -1], ignore_index=-1, reduction="none")
        assert loss[1] == 0.0
        assert loss[0] == pytest.approx(mm.poly_loss_cross_entropy(x[:1, [0, 2]], [1]),
                                        rel=4 * np.finfo(float).eps)
        g = mm.poly_loss_cross_entropy_grad(x, [2, -1], ignore_index=-1)
        assert g[0, 1] == 0.0 and np.all(g[1] == 0)


class TestHinge:
    """Exact values (the hinge losses are piecewise linear); bad arguments name themselves."""

    def test_binary_values_and_encodings(self):
        z = np.array([2.0, 1.0, 0.25, -3.0])
        want = [0.0, 0.0, 0.75, 4.0]
        assert mm.hinge_loss(z, [1, 1, 1, 1], reduction="none").tolist() == want
        assert mm.hinge_loss(-z, [-1, -1, -1, -1], reduction="none").tolist() == want
        assert mm.hinge_loss(-z, [0, 0, 0, 0], reduction="none").tolist() == want
        assert mm.hinge_loss(z, [True] * 4, reduction="sum") == 4.75
        assert mm.hinge_loss(z, [1.0, 1.0, 1.0, 1.0], margin=2.0) == (0 + 1 + 1.75 + 5) / 4

    def test_binary_grad_at_and_around_the_kink(self):
        g = mm.hinge_loss_grad([1.0, 1.0 - 2**-52, 1.0 + 2**-52, -1.0], [1, 1, 1, 0],
                               reduction="sum")
        assert g.tolist() == [0.0, -1.0, 0.0, 0.0]

    def test_binary_matches_sklearn_definition(self):
        rng = np.random.default_rng(3)
        z = rng.standard_normal(20)
        y = np.where(rng.random(20) > 0.5, 1, -1)
        assert mm.hinge_loss(z, y) == pytest.approx(np.mean(np.maximum(0, 1 - y * z)),
                                                    rel=1e-15)

    def test_multiclass_values(self):
        x = np.array([[2.0, 1.5, -1.0], [0.0, 0.0, 0.0]])
        assert mm.multiclass_hinge_loss(x, [0, 2], reduction="none").tolist() == [0.5 / 3,
                                                                                  2 / 3]
        g = mm.multiclass_hinge_loss_grad(x, [0, 2], reduction="sum")
        assert g.tolist() == [[-1 / 3, 1 / 3, 0.0], [1 / 3, 1 / 3, -2 / 3]]
        # the class axis can be any axis
        assert np.array_equal(mm.multiclass_hinge_loss_grad(x.T, [0, 2], axis=0), (
            mm.multiclass_hinge_loss_grad(x, [0, 2])).T)

    def test_multiclass_kink_counts_as_inactive(self):
        # mu - x_y + x_c = 1 - 1 + 0 = 0 exactly
        g = mm.multiclass_hinge_loss_grad([[1.0, 0.0]], [0])
        assert g.tolist() == [[0.0, 0.0]]

    def test_multiclass_float32_keeps_its_dtype(self):
        x = np.array([[0.5, -1.0, 2.0]], np.float32)
        assert mm.multiclass_hinge_loss(x, [1]).dtype == np.float32
        assert mm.multiclass_hinge_loss_grad(x, [1]).dtype == np.float32

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"targets": [1, 2]}, ValueError, "`targets`: expected labels in"),
        ({"targets": [0, -1]}, ValueError, "`targets`: expected one encoding"),
        ({"targets": [1]}, ValueError, "`targets`"),
        ({"margin": -1.0}, ValueError, "`margin`"),
        ({"margin": "1"}, TypeError, "`margin`"),
        ({"scores": [np.inf, 0.0]}, ValueError, "`scores`"),
        ({"reduction": "avg"}, ValueError, "`reduction`")])
    def test_bad_binary_arguments(self, kwargs, exc, text):
        args = {"scores": [0.5, 1.0], "targets": [1, -1], **kwargs}
        with pytest.raises(exc, match=text):
            mm.hinge_loss(**args)
        with pytest.raises(exc, match=text):
            mm.hinge_loss_grad(**args)

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"labels": [0, 3]}, ValueError, "`labels`: expected class indices in \\[0, 3\\)"),
        ({"labels": [0, -1]}, ValueError, "`labels`"),
        ({"labels": [0.0, 1.0]}, TypeError, "`labels`"),
        ({"labels": [0]}, ValueError, "`labels`: expected class indices of shape"),
        ({"margin": np.nan}, ValueError, "`margin`"),
        ({"scores": 1.0}, ValueError, "`scores`"),
        ({"axis": 2}, ValueError, "`axis`")])
    def test_bad_multiclass_arguments(self, kwargs, exc, text):
        args = {"scores": np.zeros((2, 3)), "labels": [0, 2], **kwargs}
        with pytest.raises(exc, match=text):
            mm.multiclass_hinge_loss(**args)
        with pytest.raises(exc, match=text):
            mm.multiclass_hinge_loss_grad(**args)

    def test_empty_mean_refused_sum_is_zero(self):
        with pytest.raises(ValueError, match="`scores`"):
            mm.hinge_loss(np.zeros(0), np.zeros(0))
        with pytest.raises(ValueError, match="`scores`"):
            mm.multiclass_hinge_loss(np.zeros((0, 3)), np.zeros(0, int))
        assert mm.multiclass_hinge_loss(np.zeros((0, 3)), np.zeros(0, int),
                                        reduction="sum") == 0.0
        assert mm.multiclass_hinge_loss_grad(np.zeros((0, 3)), np.zeros(0, int),
                                             reduction="sum").shape == (0, 3)


class TestContrastive:
    """InfoNCE and NT-Xent against 50-digit mpmath; bad arguments name themselves."""

    @staticmethod
    def _mp_info_nce(q, k, pos, tau):
        with mpmath.workdps(50):
            out = []
            for i, qi in enumerate(q):
                nq = mpmath.sqrt(mpmath.fsum(mpmath.mpf(a) ** 2 for a in qi))
                logits = []
                for kj in k:
                    nk = mpmath.sqrt(mpmath.fsum(mpmath.mpf(a) ** 2 for a in kj))
                    dot = mpmath.fsum(mpmath.mpf(a) * mpmath.mpf(b)
                                      for a, b in zip(qi, kj, strict=True))
                    logits.append(dot / (nq * nk) / mpmath.mpf(tau))
                lse = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in logits))
                out.append(float(lse - logits[pos[i]]))
            return np.array(out)

    @pytest.mark.parametrize("tau", [1.0, 0.1, 0.01])
    def test_info_nce_matches_mpmath(self, tau):
        rng = np.random.default_rng(21)
        q, k = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
        pos = np.array([4, 0, 2])
        got = mm.info_nce(q, k, positive=pos, temperature=tau, reduction="none")
        want = self._mp_info_nce(q, k, pos, tau)
        np.testing.assert_allclose(got, want, rtol=64 * np.finfo(float).eps / tau, atol=0)

    def test_info_nce_confident_query_keeps_its_tiny_loss(self):
        # cosine 1 vs 0 at tau = 0.01: loss = log1p(e^-100) = e^-100, not 0
        got = mm.info_nce([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=0.01)
        assert got == pytest.approx(np.exp(-100.0), rel=4 * np.finfo(float).eps)

    def test_zero_embedding_is_safe(self):
        q = np.array([[0.0, 0.0], [1.0, 0.0]])
        k = np.array([[1.0, 1.0], [0.0, 1.0]])
        loss = mm.info_nce(q, k, temperature=1.0, reduction="none")
        assert loss[0] == pytest.approx(np.log(2.0), rel=1e-15)
        gq, gk = mm.info_nce_grad(q, k, temperature=1.0)
        assert np.all(np.isfinite(gq)) and np.all(np.isfinite(gk))

    def test_cosine_grad_is_orthogonal_to_each_embedding(self):
        rng = np.random.default_rng(22)
        q, k = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        gq, gk = mm.info_nce_grad(q, k, temperature=0.3)
        np.testing.assert_allclose(np.sum(gq * q, axis=1), 0, atol=1e-15)
        np.testing.assert_allclose(np.sum(gk * k, axis=1), 0, atol=1e-15)

    @staticmethod
    def _infonce_mi_estimates(pxy: np.ndarray, n: int, batches: int = 2000,
                              seed: int = 0) -> tuple[float, np.ndarray]:
        """(I(X; Y), log N - L per batch) for N pairs drawn from ``pxy`` and the optimal
        critic f(x, y) = log p(x, y) / (p(x) p(y)).

        The critic is an InfoNCE dot product: query x is the one-hot e_x and key y the
        column log r(., y), so q_i . k_j = f(x_i, y_j) at temperature 1.
        """
        rng = np.random.default_rng(seed)
        mi = float(mm.mutual_information(pxy))
        log_ratio = (np.log(pxy) - np.log(pxy.sum(axis=1))[:, None]
                     - np.log(pxy.sum(axis=0))[None, :])
        xs, ys = np.unravel_index(rng.choice(pxy.size, size=(batches, n), p=pxy.ravel()),
                                  pxy.shape)
        onehot = np.eye(pxy.shape[0])
        estimates = np.array([
            np.log(n) - mm.info_nce(onehot[xs[b]], log_ratio[:, ys[b]].T, temperature=1.0,
                                    similarity="dot")
            for b in range(batches)])
        return mi, estimates

    #: 6 x 6 joint, 80 % on the diagonal (I = 0.969 nats), and 8 x 8, 98 % (I = 1.942).
    _JOINT_A = np.full((6, 6), 0.2 / 30) + np.eye(6) * (0.8 / 6 - 0.2 / 30)
    _JOINT_B = np.full((8, 8), 0.02 / 56) + np.eye(8) * (0.98 / 8 - 0.02 / 56)

    @pytest.mark.parametrize(("joint", "n"), [("A", 4), ("A", 16), ("B", 2), ("B", 64)])
    def test_info_nce_bounds_the_mutual_information(self, joint, n):
        """With the optimal critic log p(x,y)/(p(x)p(y)), E[log N - L] <= I(X; Y) (Oord et
        al. 2018; Poole et al. 2019), and log N - L <= log N for every batch (L >= 0).
        2000 batches from a fixed seed; the expectation is tested as mean <= I + 4 SE."""
        pxy = self._JOINT_A if joint == "A" else self._JOINT_B
        mi, est = self._infonce_mi_estimates(pxy, n)
        se = est.std(ddof=1) / np.sqrt(est.size)
        assert est.mean() <= mi + 4 * se, (est.mean(), mi, se)
        assert np.all(est <= np.log(n)), est.max()
        assert est.max() > 0  # the estimates are not trivially 0

    def test_info_nce_bound_tightens_with_n_and_saturates_at_log_n(self):
        """The bound grows with the number of candidates N and cannot exceed log N: with
        I = 1.94 > log 2, N = 2 estimates at most log 2; N = 64 comes within 0.1 of I."""
        mi_a, small = self._infonce_mi_estimates(self._JOINT_A, 4)
        _, large = self._infonce_mi_estimates(self._JOINT_A, 16)
        assert small.mean() + 0.1 < large.mean() < mi_a
        mi_b, two = self._infonce_mi_estimates(self._JOINT_B, 2)
        _, many = self._infonce_mi_estimates(self._JOINT_B, 64)
        assert two.mean() < np.log(2) < mi_b
        assert mi_b - 0.1 < many.mean() < mi_b

    def test_nt_xent_simclr_pairs_match_mpmath(self):
        e = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
        with mpmath.workdps(50):
            want = float(mpmath.log1p(2 * mpmath.exp(-2)))   # tau = 0.5
        assert mm.nt_xent(e, [0, 0, 1, 1], temperature=0.5) == pytest.approx(
            want, rel=4 * np.finfo(float).eps)

    def test_nt_xent_reductions_and_lonely_anchor(self):
        e = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
        none = mm.nt_xent(e, [0, 0, 1], temperature=1.0, reduction="none")
        assert none[2] == 0.0   # no positive: contributes nothing
        assert mm.nt_xent(e, [0, 0, 1], temperature=1.0, reduction="sum") == \
            pytest.approx(none.sum(), rel=1e-15)
        assert mm.nt_xent(e, [0, 0, 1], temperature=1.0) == pytest.approx(none.sum() / 2,
                                                                           rel=1e-15)
        # one label only: no negatives, every pair loss is softplus(-inf) = 0
        assert mm.nt_xent(e, [5, 5, 5]) == 0.0
        assert np.all(mm.nt_xent_grad(e, [5, 5, 5]) == 0)

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"temperature": 0.0}, ValueError, "`temperature`: expected a finite value > 0"),
        ({"temperature": -1.0}, ValueError, "`temperature`"),
        ({"temperature": "1"}, TypeError, "`temperature`"),
        ({"similarity": "l2"}, ValueError, "`similarity`"),
        ({"positive": [0, 3]}, ValueError, "`positive`: expected key indices in \\[0, 3\\)"),
        ({"positive": [0]}, ValueError, "`positive`: expected one key index per query"),
        ({"positive": [0.0, 1.0]}, TypeError, "`positive`"),
        ({"keys": np.zeros((3, 2))}, ValueError, "`keys`: expected embeddings of dimension"),
        ({"keys": np.zeros((1, 3))}, ValueError, "`keys`: with positive=None"),
        ({"query": np.zeros(3)}, ValueError, "`query`: expected a 2-d array"),
        ({"query": [[np.nan, 0.0, 0.0], [1.0, 0.0, 0.0]]}, ValueError, "`query`")])
    def test_bad_info_nce_arguments(self, kwargs, exc, text):
        args = {"query": np.ones((2, 3)), "keys": np.eye(3), **kwargs}
        with pytest.raises(exc, match=text):
            mm.info_nce(**args)
        with pytest.raises(exc, match=text):
            mm.info_nce_grad(**args)

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"labels": [0, 1, 2, 3]}, ValueError, "`labels`: expected at least one positive"),
        ({"labels": [0, 1]}, ValueError, "`labels`: expected one label per embedding"),
        ({"labels": [0.0, 0.0, 1.0, 1.0]}, TypeError, "`labels`"),
        ({"temperature": np.inf}, ValueError, "`temperature`"),
        ({"embeddings": np.ones((2, 2, 2))}, ValueError, "`embeddings`")])
    def test_bad_nt_xent_arguments(self, kwargs, exc, text):
        args = {"embeddings": np.eye(4), "labels": [0, 0, 1, 1], **kwargs}
        with pytest.raises(exc, match=text):
            mm.nt_xent(**args)
        with pytest.raises(exc, match=text):
            mm.nt_xent_grad(**args)


# ----------------------------------------------------------------------------
# Error messages the mutation run found unpinned (tests/MUTANTS.md, losses.py).
# ----------------------------------------------------------------------------

class TestMessagesPinnedByMutation:
    """The ValueErrors name their arguments exactly (each kills mutants of losses.py)."""

    def test_info_nce_mean_of_no_query_is_named(self):
        """InfoNCE's mean over zero queries is a ValueError naming `query` and saying why."""
        with pytest.raises(ValueError, match=r"^`query`: expected at least one query for "
                                             r"reduction='mean' \(the mean of nothing is "
                                             r"undefined\), got shape \(0, d\)$"):
            mm.info_nce(np.zeros((0, 4)), np.zeros((3, 4)))

    @pytest.mark.parametrize("fn", [mm.hinge_loss, mm.hinge_loss_grad])
    def test_hinge_targets_of_another_shape_name_both(self, fn):
        """Hinge targets of another shape: the message names `targets` and `scores`."""
        with pytest.raises(ValueError, match=r"^`targets`: expected the shape of `scores` "
                                             r"\(3,\), got \(4,\)$"):
            fn(np.zeros(3), np.ones(4))
