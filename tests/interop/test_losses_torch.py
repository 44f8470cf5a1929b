"""mlmath.losses against PyTorch (CPU): values and autograd gradients.

Skipped cleanly when torch is not installed (the core suite never needs it).
Every keyword combination is drawn by the same strategies as the property
suite; the documented deviations (empty mean, no log clamp, digits kept near
0) are asserted explicitly.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given

import mlmath as mm
from mlmath import strategies as mst
from mlmath.strategies._losses import IGNORE

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.interop


def _torch_cross_entropy(p: mst.SoftmaxProblem) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's loss and d(sum of loss)/d logits, class axis moved to torch's dim 1."""
    class_dim = 1 if p.logits.ndim > 1 else 0
    x = torch.tensor(np.moveaxis(p.logits, p.axis, class_dim), requires_grad=True)
    t = torch.tensor(p.targets if p.index_targets else np.moveaxis(p.targets, p.axis, class_dim))
    w = p.kwargs.get("class_weights")
    loss = F.cross_entropy(
        x, t, weight=None if w is None else torch.tensor(w, dtype=x.dtype),
        ignore_index=p.kwargs.get("ignore_index", IGNORE),
        label_smoothing=p.kwargs.get("label_smoothing", 0.0),
        reduction=p.kwargs.get("reduction", "mean"))
    loss.sum().backward()
    return loss.detach().numpy(), np.moveaxis(x.grad.numpy(), class_dim, p.axis)


def _tolerance(x: np.ndarray, weights: Any = None) -> dict[str, float]:
    """Both sides round terms of size ~ max|x|·w: 16 eps of that, plus 16 eps relative."""
    eps = float(np.finfo(x.dtype).eps)
    w = float(np.max(weights, initial=1.0)) if weights is not None else 1.0
    return {"rtol": 16 * eps, "atol": 16 * eps * w * (1 + float(np.abs(x).max(initial=0)))}


def _mean_is_defined(p: mst.SoftmaxProblem) -> bool:
    """PyTorch's mean is NaN when its denominator is 0 (ours is 0: tested below)."""
    if p.kwargs.get("reduction", "mean") != "mean" or not p.index_targets:
        return p.logits.size > 0
    kept = p.targets[p.targets != IGNORE]
    w = p.kwargs.get("class_weights")
    return float(np.sum(w[kept]) if w is not None else kept.size) > 0


@given(p=mst.softmax_problems())
def test_softmax_cross_entropy_matches_torch(p):
    """Loss and gradient agree with F.cross_entropy for every keyword combination."""
    assume(_mean_is_defined(p))
    ref, ref_grad = _torch_cross_entropy(p)
    tol = _tolerance(p.logits, p.kwargs.get("class_weights"))
    np.testing.assert_allclose(mm.softmax_cross_entropy(p.logits, p.targets, **p.kwargs), ref,
                               **tol)
    np.testing.assert_allclose(mm.softmax_cross_entropy_grad(p.logits, p.targets, **p.kwargs),
                               ref_grad, **tol)


@given(p=mst.softmax_problems(extreme=True))
def test_softmax_cross_entropy_matches_torch_on_extreme_logits(p):
    """Logits up to +-1e4: the same values (PyTorch rounds tiny losses to 0; the
    difference is below the absolute tolerance)."""
    assume(_mean_is_defined(p))
    ref, ref_grad = _torch_cross_entropy(p)
    tol = _tolerance(p.logits, p.kwargs.get("class_weights"))
    np.testing.assert_allclose(mm.softmax_cross_entropy(p.logits, p.targets, **p.kwargs), ref,
                               **tol)
    np.testing.assert_allclose(mm.softmax_cross_entropy_grad(p.logits, p.targets, **p.kwargs),
                               ref_grad, **tol)


@given(p=mst.binary_problems(extreme=True))
def test_sigmoid_binary_cross_entropy_matches_torch(p):
    """Loss and gradient agree with F.binary_cross_entropy_with_logits (pos_weight too)."""
    x = torch.tensor(p.logits, requires_grad=True)
    pw = p.kwargs.get("pos_weight")
    loss = F.binary_cross_entropy_with_logits(
        x, torch.tensor(p.targets), reduction=p.kwargs.get("reduction", "mean"),
        pos_weight=None if pw is None else torch.tensor(pw, dtype=x.dtype))
    loss.sum().backward()
    tol = _tolerance(p.logits, pw)
    np.testing.assert_allclose(mm.sigmoid_binary_cross_entropy(p.logits, p.targets, **p.kwargs),
                               loss.detach().numpy(), **tol)
    np.testing.assert_allclose(
        mm.sigmoid_binary_cross_entropy_grad(p.logits, p.targets, **p.kwargs),
        x.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_matches_torch_away_from_the_clamp(dtype):
    """Where no log is below -100, F.binary_cross_entropy agrees."""
    rng = np.random.default_rng(5)
    p = rng.uniform(1e-6, 1 - 1e-6, size=200).astype(dtype)
    y = np.concatenate([np.zeros(50), np.ones(50), rng.uniform(0, 1, 100)]).astype(dtype)
    ref = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(mm.binary_cross_entropy(p, y, reduction="none"), ref,
                               rtol=64 * np.finfo(dtype).eps)


def test_documented_deviations_from_torch():
    """Where mlmath deliberately differs: empty mean, the -100 log clamp, tiny losses."""
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    labels = np.array([IGNORE, IGNORE])
    assert np.isnan(F.cross_entropy(torch.tensor(x), torch.tensor(labels)).item())
    assert mm.softmax_cross_entropy(x, labels, ignore_index=IGNORE) == 0.0
    assert F.binary_cross_entropy(torch.tensor([1e-300], dtype=torch.float64),
                                  torch.tensor([1.0], dtype=torch.float64)).item() == 100.0
    assert mm.binary_cross_entropy(1e-300, 1.0) == pytest.approx(690.7755278982137, rel=1e-15)
    confident = np.array([[37.8, 0.0]])
    assert F.cross_entropy(torch.tensor(confident), torch.tensor([0])).item() == 0.0
    assert mm.softmax_cross_entropy(confident, [0]) == pytest.approx(np.exp(-37.8), rel=1e-15)
    assert F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == 100.0
    assert mm.binary_cross_entropy(0.0, 1.0) == np.inf


def test_masked_classes_match_torch_where_torch_is_finite():
    """-inf logits mask classes: PyTorch's value and gradient for index targets, its +inf
    under label smoothing; probability targets with no mass on the mask are finite here
    (PyTorch: NaN from 0 * log 0)."""
    x = np.array([[0.0, -np.inf, 1.0, 0.5], [2.0, 0.5, -np.inf, -np.inf]])
    labels = np.array([3, 1])
    tx = torch.tensor(x, requires_grad=True)
    ref = F.cross_entropy(tx, torch.tensor(labels), reduction="sum")
    ref.backward()
    np.testing.assert_allclose(mm.softmax_cross_entropy(x, labels, reduction="sum"),
                               ref.item(), rtol=4 * np.finfo(float).eps)
    np.testing.assert_allclose(mm.softmax_cross_entropy_grad(x, labels, reduction="sum"),
                               tx.grad.numpy(), rtol=4 * np.finfo(float).eps, atol=1e-300)
    smoothed = F.cross_entropy(torch.tensor(x), torch.tensor(labels), label_smoothing=0.1)
    assert smoothed.item() == np.inf == mm.softmax_cross_entropy(x, labels, label_smoothing=0.1)
    probs = np.array([[0.5, 0.0, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])
    assert np.isnan(F.cross_entropy(torch.tensor(x), torch.tensor(probs)).item())
    assert np.isfinite(mm.softmax_cross_entropy(x, probs))


def test_kl_divergence_log_flags_follow_torch_kl_div():
    """kl_divergence(p, q, log_input=, log_target=) is F.kl_div(input=q, target=p) summed."""
    rng = np.random.default_rng(7)
    logp = mm.log_softmax(rng.standard_normal((4, 5)))
    logq = mm.log_softmax(rng.standard_normal((4, 5)))
    for log_target in (False, True):
        target = logp if log_target else np.exp(logp)
        ref = F.kl_div(torch.tensor(logq), torch.tensor(target), log_target=log_target,
                       reduction="none").sum(-1).numpy()
        got = mm.kl_divergence(target, logq, log_input=True, log_target=log_target)
        np.testing.assert_allclose(got, ref, rtol=1e-13)


def _torchvision_focal(z, y, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss's definition, written with torch ops."""
    zt = torch.tensor(z, requires_grad=True)
    yt = torch.tensor(y)
    p = torch.sigmoid(zt)
    ce = F.binary_cross_entropy_with_logits(zt, yt, reduction="none")
    p_t = p * yt + (1 - p) * (1 - yt)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * yt + (1 - alpha) * (1 - yt)) * loss
    loss.mean().backward()
    return loss.mean().item(), zt.grad.numpy()


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (0.7, 0.5), (None, 1.5), (0.25, 0.0)])
def test_sigmoid_focal_loss_matches_torchvision_where_it_does_not_cancel(alpha, gamma):
    rng = np.random.default_rng(11)
    z = rng.standard_normal((6, 5)) * 3
    y = (rng.random((6, 5)) > 0.5).astype(float)
    y[0] = rng.random(5)
    value, grad = _torchvision_focal(z, y, alpha, gamma)
    assert mm.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma) == pytest.approx(value,
                                                                                  rel=1e-13)
    np.testing.assert_allclose(mm.sigmoid_focal_loss_grad(z, y, alpha=alpha, gamma=gamma),
                               grad, rtol=1e-12, atol=1e-17)


def test_poly_loss_matches_its_torch_definition():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 2, 2])
    xt = torch.tensor(x, requires_grad=True)
    onehot = F.one_hot(torch.tensor(labels), 4).double()
    loss = (F.cross_entropy(xt, torch.tensor(labels), reduction="none")
            + 2.0 * (1 - (onehot * torch.softmax(xt, -1)).sum(-1))).mean()
    loss.backward()
    assert mm.poly_loss_cross_entropy(x, labels) == pytest.approx(loss.item(), rel=1e-14)
    np.testing.assert_allclose(mm.poly_loss_cross_entropy_grad(x, labels), xt.grad.numpy(),
                               rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize("margin", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multiclass_hinge_matches_torch_multi_margin_loss(margin, reduction):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((7, 5))
    x[0, :2] = [1.0, 1.0 - margin]   # a term exactly at its kink
    labels = np.array([0, 4, 1, 2, 2, 3, 0])
    xt = torch.tensor(x, requires_grad=True)
    loss = F.multi_margin_loss(xt, torch.tensor(labels), p=1, margin=margin,
                               reduction=reduction)
    loss.sum().backward()
    np.testing.assert_allclose(mm.multiclass_hinge_loss(x, labels, margin=margin,
                                                        reduction=reduction),
                               loss.detach().numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(mm.multiclass_hinge_loss_grad(x, labels, margin=margin,
                                                             reduction=reduction),
                               xt.grad.numpy(), rtol=1e-15, atol=0)


def test_binary_hinge_is_twice_torch_multi_margin_loss_on_zero_and_score():
    rng = np.random.default_rng(14)
    z = rng.standard_normal(9)
    z[0] = 1.0   # at the kink for y = +1
    y = np.array([1, -1, 1, 1, -1, -1, 1, -1, 1])
    zt = torch.tensor(z, requires_grad=True)
    two = torch.stack([torch.zeros_like(zt), zt], dim=-1)
    loss = 2 * F.multi_margin_loss(two, torch.tensor((y == 1).astype(np.int64)), p=1,
                                   reduction="sum")
    loss.backward()
    assert mm.hinge_loss(z, y, reduction="sum") == pytest.approx(loss.item(), rel=1e-15)
    np.testing.assert_array_equal(mm.hinge_loss_grad(z, y, reduction="sum"),
                                  zt.grad.numpy())


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_info_nce_matches_torch_cross_entropy_of_similarities(similarity, reduction):
    rng = np.random.default_rng(15)
    q, k = rng.standard_normal((5, 4)), rng.standard_normal((7, 4))
    pos = np.array([6, 0, 3, 3, 1])
    qt, kt = torch.tensor(q, requires_grad=True), torch.tensor(k, requires_grad=True)
    if similarity == "cosine":
        s = F.normalize(qt, dim=1) @ F.normalize(kt, dim=1).T
    else:
        s = qt @ kt.T
    loss = F.cross_entropy(s / 0.2, torch.tensor(pos), reduction=reduction)
    loss.sum().backward()
    kw = {"temperature": 0.2, "similarity": similarity, "positive": pos,
          "reduction": reduction}
    np.testing.assert_allclose(mm.info_nce(q, k, **kw), loss.detach().numpy(), rtol=1e-13)
    gq, gk = mm.info_nce_grad(q, k, **kw)
    np.testing.assert_allclose(gq, qt.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gk, kt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_nt_xent_matches_the_simclr_torch_implementation():
    """SimCLR's NT-Xent as usually written in torch: 2N views, the diagonal masked,
    cross-entropy with the partner view as the class, averaged over the 2N anchors."""
    rng = np.random.default_rng(16)
    n = 4
    e = rng.standard_normal((2 * n, 5))
    labels = np.concatenate([np.arange(n), np.arange(n)])
    et = torch.tensor(e, requires_grad=True)
    z = F.normalize(et, dim=1)
    s = (z @ z.T / 0.1).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    partner = torch.tensor(np.concatenate([np.arange(n, 2 * n), np.arange(n)]))
    loss = F.cross_entropy(s, partner)
    loss.backward()
    assert mm.nt_xent(e, labels, temperature=0.1) == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(mm.nt_xent_grad(e, labels, temperature=0.1), et.grad.numpy(),
                               rtol=1e-11, atol=1e-14)


_SMOOTHING_MATRIX = [
    pytest.param(smoothing, weighted, ignore, reduction, prob, spatial, dtype,
                 id=f"eps{smoothing}-{'w' if weighted else 'nw'}-ign{ignore}-{reduction}-"
                    f"{'prob' if prob else 'index'}-{'2d' if spatial else '1d'}-"
                    f"{np.dtype(dtype).name}")
    for smoothing in (0.0, 0.1, 0.7)
    for weighted in (False, True)
    for ignore in (None, IGNORE, 2)          # 2: an ignore_index inside [0, C)
    for reduction in ("mean", "sum", "none")
    for prob in (False, True)
    for spatial in (False, True)              # (N, C) or (N, C, d): classes on dim 1
    for dtype in (np.float64, np.float32)
    if not (prob and ignore is not None)      # ignore_index applies to index targets only
]


@pytest.mark.parametrize(("smoothing", "weighted", "ignore", "reduction", "prob", "spatial",
                          "dtype"), _SMOOTHING_MATRIX)
def test_smoothing_with_weights_ignore_and_mean_match_torch(smoothing, weighted, ignore,
                                                             reduction, prob, spatial, dtype):
    """label_smoothing combined with class_weights, ignore_index, every reduction and
    probability targets: loss and gradient equal F.cross_entropy (torch 2.13), whose
    mean divides by sum_n w_{y_n} over kept index targets (smoothing term included) and
    by N for probability targets."""
    # a seed per cell, the same in every process (str hashes are salted; crc32 is not)
    rng = np.random.default_rng(zlib.crc32(repr((smoothing, weighted, ignore, reduction,
                                                 prob, spatial)).encode()))
    n, c = 6, 4
    shape = (n, c, 3) if spatial else (n, c)
    logits = rng.normal(0.0, 3.0, shape).astype(dtype)
    weights = rng.uniform(0.1, 3.0, c).astype(dtype) if weighted else None
    if prob:
        targets = np.moveaxis(rng.dirichlet(np.ones(c), size=(n, 3) if spatial else (n,)),
                              -1, 1).astype(dtype)
    else:
        targets = rng.integers(0, c, (n, 3) if spatial else (n,))
        if ignore is not None:
            targets[1] = ignore
            targets[3] = ignore
    kw: dict[str, Any] = {"label_smoothing": smoothing, "reduction": reduction}
    tkw: dict[str, Any] = dict(kw)
    if weights is not None:
        kw["class_weights"], tkw["weight"] = weights, torch.tensor(weights)
    if ignore is not None:
        kw["ignore_index"] = tkw["ignore_index"] = ignore
    x = torch.tensor(logits, requires_grad=True)
    ref = F.cross_entropy(x, torch.tensor(targets), **tkw)
    ref.sum().backward()
    assert x.grad is not None
    tol = _tolerance(logits, weights)
    np.testing.assert_allclose(mm.softmax_cross_entropy(logits, targets, axis=1, **kw),
                               ref.detach().numpy(), **tol)
    np.testing.assert_allclose(mm.softmax_cross_entropy_grad(logits, targets, axis=1, **kw),
                               x.grad.numpy(), **tol)
