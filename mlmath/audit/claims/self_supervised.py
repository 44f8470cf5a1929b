"""Claims of article #21, self-supervised learning (key ``SSL``)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from functools import partial
from typing import Any

import mpmath
import numpy as np
from hypothesis import strategies as st

from mlmath.audit._core import Outcome, claim
from mlmath.audit._evidence import (
    Budget,
    Case,
    code_listing,
    established,
    forall,
    with_readings,
)
from mlmath.audit._num import DPS, bound_text, mp
from mlmath.audit.claims._common import Editorial, register_editorial

__all__ = [
    "autoencoder_twin",
    "expected_sigmoid_floor_standard_normal",
    "sigmoid_mse_floor",
]

ssl_claim = partial(claim, article="SSL")


def _tiny_autoencoder_run() -> tuple[bool, float, float]:
    """Train a linear autoencoder by gradient descent; return (target unchanged, loss0, loss1)."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((3, 4))
    target = x.copy()  # the pretext "label" of an autoencoder: the input
    before = target.copy()
    enc, dec = rng.standard_normal((4, 2)) * 0.5, rng.standard_normal((2, 4)) * 0.5
    losses = []
    for _ in range(200):
        h = x @ enc
        r = h @ dec - target
        losses.append(float(np.mean(r**2)))
        g = 2 * r / r.size
        enc, dec = enc - 0.1 * x.T @ (g @ dec.T), dec - 0.1 * h.T @ g
    return bool(np.array_equal(before, target)), losses[0], losses[-1]


@ssl_claim(
    id="SSL-3-2-labels",
    section="3, steps 2-3",
    paraphrase="Then labels for the input are generated automatically by optimising the "
    "pre-training task (e.g. encoding word context or pixels), and the model is "
    "trained by optimising these generated labels.",
    formal="on a small autoencoder pretext task: the labels (targets) are produced by the "
    "optimisation, i.e. they differ before and after training",
    expected="false",
    corrected="The pretext targets are a FIXED function of the data (the masked word, the input "
    "itself), computed before training; optimisation changes the model parameters to "
    "fit them, never the labels.",
)
def _ssl_labels(budget: Budget) -> Outcome:
    unchanged, loss0, loss1 = _tiny_autoencoder_run()
    run = (
        f"linear autoencoder, 200 gradient steps: loss {loss0:.3f} -> {loss1:.3f}; "
        f"targets unchanged: {unchanged}",
    )
    return with_readings(
        established(
            not unchanged,
            "the targets are a fixed function of the data (the input "
            "itself): identical before and after training; optimisation changes only "
            "the parameters",
            evidence=run,
            counterexample="linear autoencoder, seed 21: targets before == after "
            "200 gradient steps",
        ),
        [
            (
                "the targets are a fixed function of the data; optimisation fits the parameters",
                established(
                    unchanged and loss1 < loss0, "targets fixed, loss decreases", evidence=run
                ),
            )
        ],
    )


# --------------------------------------------------------------------------- listing


def sigmoid_mse_floor(x: Any) -> float:
    r"""Lowest MSE any decoder with a sigmoid output can reach on targets ``x``.

    Every output lies in (0, 1), and the closest point of [0, 1] to a target t is
    clip(t, 0, 1), so

    .. math:: \inf_{\text{decoder}} \tfrac{1}{n}\sum (\sigma(\cdot) - t)^2
              = \tfrac{1}{n}\sum \big(\min(t, 0)^2 + \max(t - 1, 0)^2\big),

    an infimum, attained only if every target lies in (0, 1); with as many free
    decoder outputs as data points it is approached (logits → ±∞).

    Examples
    --------
    Targets -1, 0.5 and 2 lie at distances 1, 0 and 1 from [0, 1]:

    >>> round(sigmoid_mse_floor([-1.0, 0.5, 2.0]), 12)
    0.666666666667
    """
    t = np.asarray(x, dtype=np.float64)
    return float(np.mean(np.minimum(t, 0.0) ** 2 + np.maximum(t - 1.0, 0.0) ** 2))


def expected_sigmoid_floor_standard_normal() -> Any:
    r"""E[dist(X, [0, 1])²] for X ~ N(0, 1), at 50 digits.

    .. math:: E[X^2; X < 0] + E[(X-1)^2; X > 1] = \tfrac12 + 2(1 - \Phi(1)) - \varphi(1)
              \approx 0.5753

    using :math:`\int_a^\infty (x-a)^2 \varphi = (1 + a^2)(1 - \Phi(a)) - a\,\varphi(a)`.

    Examples
    --------
    >>> round(float(expected_sigmoid_floor_standard_normal()), 10)
    0.5753397833
    """
    with mpmath.workdps(DPS):
        phi1 = mpmath.npdf(1)
        tail = 1 - mpmath.ncdf(1)
        return mpmath.mpf(1) / 2 + 2 * tail - phi1


def _pointwise_bound(budget: Budget) -> Outcome:
    """(o - t)² >= dist(t, [0, 1])² for every o in (0, 1): the floor is a lower bound."""

    def holds(ex: Any) -> bool:
        o, t = ex
        return (o - t) ** 2 >= sigmoid_mse_floor([t]) * (1 - 1e-12)

    def exact(ex: Any) -> bool:
        o, t = (mp(v) for v in ex)
        return bool((o - t) ** 2 >= min(t, 0) ** 2 + max(t - 1, 0) ** 2)

    inside = st.floats(0, 1, exclude_min=True, exclude_max=True)
    return forall(
        budget,
        strategy=st.tuples(inside, st.floats(-6, 6)),
        holds=holds,
        exact=exact,
        show=repr,
        reason_holds="no output in (0,1) beats clip(t, 0, 1)",
    )


def _linear_output_fit(x: np.ndarray) -> float:
    """MSE of the best LINEAR output layer on 128 random ReLU features of the data.

    3 samples have linearly independent 128-dimensional features, so least squares
    reproduces the targets exactly: a decoder without the sigmoid can reach 0.
    """
    rng = np.random.default_rng(1)
    h = np.maximum(x @ rng.standard_normal((x.shape[1], 128)) / np.sqrt(x.shape[1]), 0.0)
    h = np.hstack([h, np.ones((h.shape[0], 1))])  # with a bias
    w, *_ = np.linalg.lstsq(h, x, rcond=None)
    return float(np.mean((h @ w - x) ** 2))


def _listing_data() -> np.ndarray:
    """Stand-in for the listing's 3 × 784 standard-normal batch (seeded)."""
    return np.random.default_rng(0).standard_normal((3, 784))


@ssl_claim(
    id="SSL-5-listing-sigmoid-floor",
    section="5 (listing)",
    paraphrase="The PyTorch autoencoder (784-128-64-32 encoder, mirrored decoder ending in a "
    "sigmoid) is trained with MSE for 100 Adam steps to reconstruct its input, a "
    "(3, 784) batch of standard-normal noise.",
    formal="the training loss can approach 0 (the model can learn to reconstruct x)",
    expected="code-defect",
    corrected="A sigmoid decoder can only output values in (0, 1): the MSE is bounded below by "
    "mean(min(x,0)² + max(x-1,0)²) ≈ 0.575 for N(0,1) data (1/2 + 2(1-Φ(1)) - φ(1)). "
    "Use a linear output layer for real-valued data, or data scaled to [0, 1] (e.g. "
    "pixel intensities) with the sigmoid.",
)
def _ssl_listing_floor(budget: Budget) -> Outcome:
    bound = _pointwise_bound(budget)
    x = _listing_data()
    floor = sigmoid_mse_floor(x)
    expected = expected_sigmoid_floor_standard_normal()
    # the floor is the infimum: logits pushed towards ±∞ where the target is outside (0, 1)
    delta = 1e-6
    near = float(np.mean((np.clip(x, delta, 1 - delta) - x) ** 2))
    linear = _linear_output_fit(x)
    approach = near - floor
    cases = [
        Case(
            "x ~ N(0,1) of shape (3, 784), seeded, as in the listing",
            f"training MSE >= {floor:.4f} for EVERY decoder with a sigmoid output "
            f"(approached to {bound_text(approach, 1e-5)}; E over N(0,1) = "
            f"{mpmath.nstr(expected, 6)})",
            f"a linear output layer on 128 ReLU features fits the 3 samples: MSE "
            f"{bound_text(linear, 1e-12)}",
            defective=floor > 0.1 and linear < 1e-12,
        )
    ]
    out = code_listing(
        cases, summary=f"sigmoid outputs in (0,1) vs N(0,1) targets: loss floor {floor:.3f}"
    )
    return replace(
        out, evidence=out.evidence + tuple(f"lower bound per entry: {e}" for e in bound.evidence)
    )


@ssl_claim(
    id="SSL-5-listing-data",
    section="5 (listing and its explanation)",
    paraphrase="The listing implements the image-autoencoding pretext task: it encodes and "
    "decodes image pixel information.",
    formal="the listing's training data are images (pixel intensities in [0, 1])",
    expected="code-defect",
    corrected="The data are 3 vectors of Gaussian noise: about 66% of the targets lie outside "
    "the pixel range [0, 1] the sigmoid output assumes, and noise has no structure to "
    "learn; load real images (e.g. 28×28 = 784 pixels scaled to [0, 1]).",
)
def _ssl_listing_data(budget: Budget) -> Outcome:
    x = _listing_data()
    outside = float(np.mean((x < 0) | (x > 1)))
    expected = 0.5 + (1 - 0.5 * (1 + math.erf(1 / math.sqrt(2))))
    return code_listing(
        [
            Case(
                "the listing's x = standard normal noise, shape (3, 784)",
                f"{outside:.1%} of targets outside [0, 1] (expected "
                f"{expected:.1%} = P(X<0) + P(X>1))",
                "image pixels in [0, 1]",
                defective=outside > 0.1,
            )
        ],
        summary="trains on Gaussian noise, not images",
    )


# --------------------------------------------------------------------------- fine-tuning


def _finetune_run() -> tuple[float, float, float, float]:
    """Pre-train a linear encoder without labels, then fine-tune encoder + head on labels.

    Returns the labelled loss (logistic) of the pre-trained model with a fitted head, after
    fine-tuning, and the unlabelled reconstruction loss before and after pre-training.
    """
    rng = np.random.default_rng(7)
    n, d, k = 40, 6, 2
    x = rng.standard_normal((n, d)) @ np.diag([3.0, 2.0, 1.0, 0.3, 0.2, 0.1])
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.standard_normal(n) > 0).astype(np.float64)
    enc = rng.standard_normal((d, k)) * 0.3
    dec = rng.standard_normal((k, d)) * 0.3

    def recon(e: np.ndarray, dd: np.ndarray) -> float:
        return float(np.mean((x @ e @ dd - x) ** 2))

    r0 = recon(enc, dec)
    for _ in range(300):  # pre-training: reconstruct x, no labels used
        h = x @ enc
        g = 2 * (h @ dec - x) / x.size
        enc, dec = enc - 0.01 * x.T @ (g @ dec.T), dec - 0.01 * h.T @ g
    r1 = recon(enc, dec)

    def bce(e: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        z = x @ e @ w
        p = 1 / (1 + np.exp(-z))
        loss = float(np.mean(np.logaddexp(0, z) - y * z))
        gz = (p - y) / n
        return loss, x.T @ np.outer(gz, w), (x @ e).T @ gz

    w = np.zeros(k)
    for _ in range(200):  # a head on the frozen pre-trained encoder
        _, _, gw = bce(enc, w)
        w = w - 0.5 * gw
    before, _, _ = bce(enc, w)
    for _ in range(200):  # fine-tuning: encoder and head on the labelled data
        _, ge, gw = bce(enc, w)
        enc, w = enc - 0.5 * ge, w - 0.5 * gw
    after, _, _ = bce(enc, w)
    return before, after, r0, r1


@ssl_claim(
    id="SSL-2-finetuning",
    section="2, item 3",
    paraphrase="A pre-trained model can be optimised further on labelled data in a later "
    "fine-tuning step.",
    formal="on a small instance (linear encoder pre-trained by reconstruction, logistic head): "
    "gradient steps on the labelled loss from the pre-trained weights lower that loss",
    expected="holds",
    corrected="Holds; note that the article's listing has no fine-tuning step (it never uses "
    "labels), so it shows only the pretext task.",
)
def _ssl_finetuning(budget: Budget) -> Outcome:
    before, after, r0, r1 = _finetune_run()
    return established(
        after < before and r1 < r0,
        "fine-tuning the pre-trained encoder and head lowers the labelled loss",
        evidence=(
            f"pre-training (no labels): reconstruction MSE {r0:.3f} -> {r1:.3f}",
            f"fine-tuning (labels): logistic loss {before:.3f} -> {after:.3f}",
        ),
        counterexample=f"logistic loss {before:.3f} -> {after:.3f}",
    )


# --------------------------------------------------------------------------- listing run


#: The listing's architecture, optimiser and data, as the ledger re-implements them.
AE_LAYERS: tuple[int, ...] = (784, 128, 64, 32, 64, 128, 784)
AE_EPOCHS = 100
AE_LR = 1e-3
AE_BATCH = 3


def autoencoder_twin(
    x: np.ndarray, *, seed: int = 0, epochs: int = AE_EPOCHS, params: list[np.ndarray] | None = None
) -> list[float]:
    """NumPy re-implementation of the listing's training loop; the loss printed each epoch.

    Six linear layers (``AE_LAYERS``) with ReLU between them and a sigmoid output,
    PyTorch's default initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (seeded NumPy
    draws, so the values differ from PyTorch's), MSE against the input itself, and
    Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), one full-batch step per epoch; the loss
    of each epoch is computed before its step, as the listing prints it.  ``params``
    (weights as (fan_in, fan_out), then biases, layer by layer) replaces the draws,
    e.g. by the printed listing's own initial weights in the differential test.
    """
    if params is None:
        rng = np.random.default_rng(seed)
        params = []
        for fan_in, fan_out in itertools.pairwise(AE_LAYERS):
            bound = 1 / math.sqrt(fan_in)
            params += [
                rng.uniform(-bound, bound, (fan_in, fan_out)),
                rng.uniform(-bound, bound, fan_out),
            ]
    params = [np.array(p, dtype=np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses = []
    n_layers = len(AE_LAYERS) - 1
    for t in range(1, epochs + 1):
        acts = [x]
        for i in range(n_layers):
            z = acts[-1] @ params[2 * i] + params[2 * i + 1]
            acts.append(1 / (1 + np.exp(-z)) if i == n_layers - 1 else np.maximum(z, 0))
        out = acts[-1]
        losses.append(float(np.mean((out - x) ** 2)))
        grad = 2 * (out - x) / x.size * out * (1 - out)
        grads: list[np.ndarray] = [np.empty(0)] * len(params)
        for i in reversed(range(n_layers)):
            grads[2 * i] = acts[i].T @ grad
            grads[2 * i + 1] = grad.sum(axis=0)
            if i:
                grad = (grad @ params[2 * i].T) * (acts[i] > 0)
        for j, g in enumerate(grads):
            m[j] = 0.9 * m[j] + 0.1 * g
            v[j] = 0.999 * v[j] + 0.001 * g * g
            mhat, vhat = m[j] / (1 - 0.9**t), v[j] / (1 - 0.999**t)
            params[j] = params[j] - AE_LR * mhat / (np.sqrt(vhat) + 1e-8)
    return losses


@ssl_claim(
    id="SSL-5-listing-runs",
    section="5 (listing)",
    paraphrase="The listing trains the autoencoder for 100 epochs with Adam and MSE, printing "
    "the loss of each epoch; training reduces the reconstruction loss.",
    formal="the training loop runs as printed; the loss after it is above the sigmoid floor "
    "of its data and below the loss of the first epoch",
    expected="holds",
    corrected="It runs, and the loss decreases, but it stays above the sigmoid floor (see "
    "SSL-5-listing-sigmoid-floor), about 0.59 on a seeded standard-normal batch.",
)
def _ssl_listing_runs(budget: Budget) -> Outcome:
    x = _listing_data()
    losses = autoencoder_twin(x)
    floor = sigmoid_mse_floor(x)
    last = losses[-1]
    return established(
        all(math.isfinite(v) for v in losses) and floor < last < losses[0],
        "runs; the loss decreases but stays above the sigmoid floor",
        evidence=(
            f"ledger twin (NumPy, seeded): loss epoch 0 {losses[0]:.3f}, epoch "
            f"{len(losses) - 1} {last:.3f}; floor of the data {floor:.4f}",
            "the printed listing itself runs only under `mlmath audit --articles DIR` "
            "(needs torch)",
        ),
        counterexample=f"loss {losses[0]:.3f} -> {last:.3f}, floor {floor:.4f}",
    )


#: Entries no computation can decide: judged editorially (quoted phrase; what is missing or
#: what the references say).
SSL_EDITORIAL: tuple[Editorial, ...] = (
    Editorial(
        id="SSL-1-definition",
        section="1 and 2, item 2",
        paraphrase="Self-supervised learning trains on unlabelled data by generating the "
        "labels automatically from the data, turning it into a supervised problem.",
        verdict="holds",
        quote="通过自动生成标签来实现监督学习",
        judgement="agrees with the standard definition: pretext targets computed from the data "
        "(word2vec, Mikolov et al. 2013; BERT, Devlin et al. 2019)",
        corrected="Holds: pretext targets (a masked word, the next word, the input itself, "
        "another view of the same image) are computed from the data.",
    ),
    Editorial(
        id="SSL-1-fields",
        section="1",
        paraphrase="Self-supervised learning is widely used in NLP, computer vision and audio "
        "processing.",
        verdict="holds",
        quote="自然语言处理、计算机视觉、音频处理",
        judgement="published methods exist in each area: BERT (text), SimCLR (images, Chen et "
        "al. 2020), wav2vec 2.0 (speech, Baevski et al. 2020)",
        corrected="Holds.",
    ),
    Editorial(
        id="SSL-1-benefit",
        section="1, 3, 6",
        paraphrase="This helps the model understand the structure of the input and improves "
        "its performance.",
        verdict="vague",
        quote="从而提高模型的性能",
        judgement="no task, baseline or measure of 'performance' is named",
        corrected="Pre-training often improves downstream accuracy or label efficiency over "
        "training from scratch; whether it does depends on data and task.",
    ),
    Editorial(
        id="SSL-2-supervised",
        section="2, item 1",
        paraphrase="Supervised learning needs labelled data and is typically used for "
        "classification and regression.",
        verdict="holds",
        quote="它需要标注的数据来训练模型",
        judgement="the standard definition (Hastie et al. 2009, ch. 2)",
        corrected="Holds.",
    ),
    Editorial(
        id="SSL-2-pretraining",
        section="2, item 3",
        paraphrase="Pre-training means training a model on unlabelled data, usually for "
        "self-supervised learning.",
        verdict="conditional",
        quote="预训练是指在未标注数据上进行模型训练的过程",
        judgement="true of self-supervised pre-training (BERT); supervised pre-training on "
        "labelled ImageNet followed by fine-tuning (Girshick et al., R-CNN, CVPR "
        "2014) was the standard before it",
        corrected="Self-supervised pre-training uses unlabelled data; pre-training in general "
        "need not.",
    ),
    Editorial(
        id="SSL-3-1-pretext",
        section="3, step 1",
        paraphrase="First design a pre-training task on unlabelled data: e.g. word-embedding "
        "pre-training for text, image autoencoding for vision.",
        verdict="holds",
        quote="设计一个预训练任务",
        judgement="word embeddings (word2vec, 2013) and deep autoencoders (Hinton & "
        "Salakhutdinov 2006) are self-supervised pretext tasks",
        corrected="Holds.",
    ),
    Editorial(
        id="SSL-4-applications",
        section="4, items 1-3",
        paraphrase="Applications: word embeddings, semantic role labelling and named-entity "
        "recognition in NLP; image autoencoding, object recognition and image "
        "classification in vision; audio autoencoding and classification in audio.",
        verdict="conditional",
        quote="语义角色标注、命名实体识别",
        judgement="word embeddings and autoencoding are pretext tasks; SRL, NER, recognition "
        "and classification are supervised downstream tasks that benefit from "
        "self-supervised pre-training (ELMo, Peters et al. 2018; BERT; SimCLR; "
        "wav2vec 2.0)",
        corrected="Word embeddings and (image/audio) autoencoding are self-supervised pretext "
        "tasks; the others are supervised downstream tasks.",
    ),
    Editorial(
        id="SSL-6-summary",
        section="6",
        paraphrase="Summary: self-supervised learning uses unlabelled data and generated "
        "labels, is widely applied, and improves performance.",
        verdict="vague",
        quote="从而提高模型的性能",
        judgement="restates earlier claims, which are checked where first made",
        corrected="See SSL-1-* and SSL-3-2-labels.",
    ),
)

register_editorial("SSL", SSL_EDITORIAL)
