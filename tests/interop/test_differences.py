"""Every SciPy and PyTorch entry of docs/differences.md, checked against the library.

The SciPy rows always run; the PyTorch rows skip when ``torch`` is not importable.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats
from scipy.spatial.distance import jensenshannon

import mlmath as mm

IGNORE = -100


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_nan_propagates_in_scipy_and_raises_in_mlmath_unless_unvalidated():
    x = np.array([1.0, np.nan])
    assert np.isnan(sc.logsumexp(x))
    with pytest.raises(ValueError, match="`x`"):
        mm.logsumexp(x)
    assert np.isnan(mm.logsumexp(x, validate=False))


def test_empty_reductions():
    empty = np.zeros((2, 0))
    assert np.all(sc.logsumexp(empty, axis=-1) == -np.inf)
    assert np.all(mm.logsumexp(empty, validate=False) == -np.inf)
    with pytest.raises(ValueError):
        sc.softmax(empty, axis=-1)
    assert mm.softmax(empty, validate=False).shape == (2, 0)
    with pytest.raises(ValueError, match="`x`"):
        mm.logsumexp(empty)


def test_complex_logsumexp():
    z = np.array([1.0 + 1j, 2.0])
    assert np.iscomplexobj(sc.logsumexp(z))
    with pytest.raises(TypeError, match="`x`"):
        mm.logsumexp(z)


def test_negative_weighted_sum_is_nan_in_scipy_and_named_in_mlmath():
    x, b = np.array([0.0, 5.0]), np.array([2.0, -1.0])
    assert np.isnan(sc.logsumexp(x, b=b))
    with pytest.raises(ValueError, match=r"`b`: .*return_sign=True"):
        mm.logsumexp(x, b=b)
    assert np.isnan(mm.logsumexp(x, b=b, validate=False))
    ours, want = mm.logsumexp(x, b=b, return_sign=True), sc.logsumexp(x, b=b, return_sign=True)
    assert ours[1] == want[1] == -1.0
    assert ours[0] == pytest.approx(want[0], rel=1e-15)


def test_pos_inf_with_weights_of_both_signs():
    x, b = np.array([np.inf, np.inf]), np.array([1.0, -1.0])
    assert np.isnan(sc.logsumexp(x, b=b, return_sign=True)[0])
    with pytest.raises(ValueError, match=r"`x`: .*inf - inf"):
        mm.logsumexp(x, b=b, return_sign=True)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("axis", [-1, 0, (0, 1), None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_weighted_logsumexp_agrees_with_scipy_elsewhere(signed, axis, keepdims):
    """Away from the rows above, SciPy and mlmath agree on b, return_sign and shapes
    (SciPy's plain sum is accurate here: the condition numbers are small)."""
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 3.0, (3, 4))
    b = rng.uniform(0.0, 2.0, (3, 4))
    b[0, 0] = 0.0
    if signed:
        b[:, 1] *= -0.1
    ours = mm.logsumexp(x, b=b, axis=axis, keepdims=keepdims, return_sign=True)
    want = sc.logsumexp(x, b=b, axis=axis, keepdims=keepdims, return_sign=True)
    assert np.shape(ours[0]) == np.shape(want[0])
    np.testing.assert_allclose(ours[0], want[0], rtol=1e-13)
    np.testing.assert_array_equal(ours[1], want[1])


def test_default_axes():
    x = np.arange(6.0).reshape(2, 3)
    assert np.ndim(sc.logsumexp(x)) == 0 and mm.logsumexp(x).shape == (2,)
    assert mm.logsumexp(x, axis=None) == pytest.approx(sc.logsumexp(x), rel=1e-15)
    p = np.full((2, 3), 1 / 3)
    assert scipy.stats.entropy(p).shape == (3,) and mm.entropy(p).shape == (2,)


def test_kl_of_unnormalised_input():
    p, q = np.array([0.6, 0.5]), np.array([0.5, 0.5])
    plain = sc.rel_entr(p, q).sum()
    assert mm.kl_divergence(p, q, validate=False, generalized=False) == pytest.approx(
        plain, rel=4e-16)
    assert mm.kl_divergence(p, q, validate=False) == pytest.approx(plain - 0.1, rel=1e-15)


def test_unnormalised_distributions_are_divided_by_scipy_and_refused_by_mlmath():
    p, q = np.array([2.0, 2.0]), np.array([1.0, 3.0])
    assert scipy.stats.entropy(p) == pytest.approx(np.log(2))
    assert np.isfinite(jensenshannon(p, q))
    with pytest.raises(ValueError, match="`p`"):
        mm.entropy(p)
    with pytest.raises(ValueError, match="`p`"):
        mm.js_distance(p, q)


def test_cross_entropy_deviations_from_torch(torch):
    f = torch.nn.functional
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    labels = np.array([IGNORE, IGNORE])
    assert np.isnan(f.cross_entropy(torch.tensor(x), torch.tensor(labels)).item())
    assert mm.softmax_cross_entropy(x, labels, ignore_index=IGNORE) == 0.0
    masked = np.array([[0.0, -np.inf, 1.0]])
    probs = np.array([[0.5, 0.0, 0.5]])
    assert np.isnan(f.cross_entropy(torch.tensor(masked), torch.tensor(probs)).item())
    assert np.isfinite(mm.softmax_cross_entropy(masked, probs))
    none_left = np.full((1, 3), -np.inf)
    assert np.isnan(f.cross_entropy(torch.tensor(none_left), torch.tensor([0])).item())
    with pytest.raises(ValueError, match="`logits`"):
        mm.softmax_cross_entropy(none_left, [0])
    confident = np.array([[37.8, 0.0]])
    assert f.cross_entropy(torch.tensor(confident), torch.tensor([0])).item() == 0.0
    assert f"{float(mm.softmax_cross_entropy(confident, [0])):.1e}" == "3.8e-17"


def test_binary_cross_entropy_clamp(torch):
    f = torch.nn.functional
    p, y = torch.tensor([1e-300], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    assert f.binary_cross_entropy(p, y).item() == 100.0
    assert mm.binary_cross_entropy(1e-300, 1.0) == pytest.approx(690.7755278982137, rel=1e-15)
    assert mm.binary_cross_entropy(0.0, 1.0) == np.inf


def test_kl_argument_order_against_torch(torch):
    p, q = np.array([0.2, 0.8]), np.array([0.6, 0.4])
    ref = torch.nn.functional.kl_div(torch.tensor(np.log(q)), torch.tensor(p),
                                     reduction="sum").item()
    assert mm.kl_divergence(p, np.log(q), log_input=True) == pytest.approx(ref, rel=1e-14)
