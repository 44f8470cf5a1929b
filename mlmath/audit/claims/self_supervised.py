"""Claims of article #21, self-supervised learning (key ``SSL``)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import mpmath
import numpy as np
from hypothesis import strategies as st

from mlmath.audit._core import Outcome, claim
from mlmath.audit._evidence import (
    Budget,
    Case,
    by_setting,
    code_listing,
    established,
    forall,
    ill_posed,
    vague,
)
from mlmath.audit._num import DPS, mp
from mlmath.audit.claims._common import known

__all__ = ["expected_sigmoid_floor_standard_normal", "sigmoid_mse_floor"]

ssl_claim = partial(claim, article="SSL")




@ssl_claim(
    id="SSL-1-definition", section="1 and 2, item 2",
    paraphrase="Self-supervised learning trains on unlabelled data by generating the labels "
               "automatically from the data, turning it into a supervised problem.",
    formal="SSL = supervised training on targets derived from unlabelled inputs",
    expected="holds",
    corrected="Holds: pretext targets (a masked word, the next word, the input itself, another "
              "view of the same image) are computed from the data, e.g. word2vec, BERT.")
def _ssl_definition(budget: Budget) -> Outcome:
    return known("mikolov2013", "devlin2019", reason="the standard definition (word2vec, BERT)")


@ssl_claim(
    id="SSL-1-fields", section="1",
    paraphrase="Self-supervised learning is widely used in NLP, computer vision and audio "
               "processing.",
    formal="published SSL methods exist in each area",
    expected="holds",
    corrected="Holds: BERT (text), SimCLR (images), wav2vec 2.0 (speech).")
def _ssl_fields(budget: Budget) -> Outcome:
    return known("devlin2019", "chen2020", "baevski2020",
                  reason="BERT (text), SimCLR (images), wav2vec 2.0 (speech)")


@ssl_claim(
    id="SSL-1-benefit", section="1, 3, 6",
    paraphrase="This helps the model understand the structure of the input and improves its "
               "performance.",
    formal="(no task, baseline or measure given)",
    expected="vague",
    corrected="Pre-training often improves downstream accuracy or label efficiency over "
              "training from scratch; whether it does depends on data and task.")
def _ssl_benefit(budget: Budget) -> Outcome:
    return vague("no task, baseline or measure of 'performance'")


@ssl_claim(
    id="SSL-2-supervised", section="2, item 1",
    paraphrase="Supervised learning needs labelled data and is typically used for "
               "classification and regression.",
    formal="definition",
    expected="holds",
    corrected="Holds.")
def _ssl_supervised(budget: Budget) -> Outcome:
    return known("hastie2009", reason="the standard definition (Hastie et al., ch. 2)")


@ssl_claim(
    id="SSL-2-pretraining", section="2, item 3",
    paraphrase="Pre-training means training a model on unlabelled data, usually for "
               "self-supervised learning; the pre-trained model is then fine-tuned on "
               "labelled data.",
    formal="every pre-training uses unlabelled data",
    expected="conditional",
    corrected="Self-supervised pre-training uses unlabelled data; pre-training in general need "
              "not — supervised ImageNet pre-training followed by fine-tuning (R-CNN, 2014) was "
              "the standard before it.")
def _ssl_pretraining(budget: Budget) -> Outcome:
    return by_setting(true_in=[("self-supervised pre-training (BERT)", known("devlin2019"))],
                      false_in=[("supervised pre-training on labelled ImageNet (R-CNN)",
                                 known("girshick2014"))],
                      reason="true of self-supervised pre-training only")


@ssl_claim(
    id="SSL-3-1-pretext", section="3, step 1",
    paraphrase="First design a pre-training task on unlabelled data: e.g. word-embedding "
               "pre-training for text, image autoencoding for vision.",
    formal="these are self-supervised pretext tasks",
    expected="holds",
    corrected="Holds (word2vec, 2013; deep autoencoders, 2006).")
def _ssl_pretext(budget: Budget) -> Outcome:
    return known("mikolov2013", "hinton2006",
                  reason="word2vec and deep autoencoders are self-supervised pretext tasks")


def _tiny_autoencoder_run() -> tuple[bool, float, float]:
    """Train a linear autoencoder by gradient descent; return (target unchanged, loss0, loss1)."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((3, 4))
    target = x.copy()                    # the pretext "label" of an autoencoder: the input
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
    id="SSL-3-2-labels", section="3, steps 2-3",
    paraphrase="Then labels for the input are generated automatically by optimising the "
               "pre-training task (e.g. encoding word context or pixels), and the model is "
               "trained by optimising these generated labels.",
    formal="'optimisation generates the labels' / 'optimise the labels'",
    expected="ill-posed",
    corrected="The pretext targets are a FIXED function of the data (the masked word, the input "
              "itself), computed before training; optimisation changes the model parameters to "
              "fit them, never the labels.")
def _ssl_labels(budget: Budget) -> Outcome:
    unchanged, loss0, loss1 = _tiny_autoencoder_run()
    run = (f"linear autoencoder, 200 gradient steps: loss {loss0:.3f} -> {loss1:.3f}; "
           f"targets unchanged: {unchanged}",)
    return ill_posed(
        "labels cannot be 'generated by optimisation' nor 'optimised'",
        [("the labels are produced by the optimisation",
          established(not unchanged, "the targets are identical before and after training",
                      evidence=run)),
         ("the targets are a fixed function of the data; optimisation fits the parameters",
          established(unchanged and loss1 < loss0, "targets fixed, loss decreases",
                      evidence=run))])


@ssl_claim(
    id="SSL-4-applications", section="4, items 1-3",
    paraphrase="Applications: word embeddings, semantic role labelling and named-entity "
               "recognition in NLP; image autoencoding, object recognition and image "
               "classification in vision; audio autoencoding and classification in audio.",
    formal="each listed task is a self-supervised learning task",
    expected="conditional",
    corrected="Word embeddings and (image/audio) autoencoding are self-supervised pretext "
              "tasks; SRL, NER, object recognition and classification are SUPERVISED "
              "downstream tasks that benefit from self-supervised pre-training (ELMo, BERT, "
              "SimCLR, wav2vec 2.0).")
def _ssl_applications(budget: Budget) -> Outcome:
    return by_setting(
        true_in=[("pretext tasks: word embeddings, autoencoding",
                  known("mikolov2013", "hinton2006"))],
        false_in=[("SRL, NER, recognition, classification are supervised downstream tasks",
                   known("peters2018", "devlin2019", "chen2020", "baevski2020"))],
        reason="half the list are supervised downstream tasks, not SSL tasks")


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
        with mpmath.workdps(DPS):
            return bool((o - t) ** 2 >= min(t, 0) ** 2 + max(t - 1, 0) ** 2)

    inside = st.floats(0, 1, exclude_min=True, exclude_max=True)
    return forall(budget, strategy=st.tuples(inside, st.floats(-6, 6)), holds=holds,
                  exact=exact, show=repr, reason_holds="no output in (0,1) beats clip(t, 0, 1)")


def _linear_output_fit(x: np.ndarray) -> float:
    """MSE of the best LINEAR output layer on 128 random ReLU features of the data.

    3 samples have linearly independent 128-dimensional features, so least squares
    reproduces the targets exactly: a decoder without the sigmoid can reach 0.
    """
    rng = np.random.default_rng(1)
    h = np.maximum(x @ rng.standard_normal((x.shape[1], 128)) / np.sqrt(x.shape[1]), 0.0)
    h = np.hstack([h, np.ones((h.shape[0], 1))])          # with a bias
    w, *_ = np.linalg.lstsq(h, x, rcond=None)
    return float(np.mean((h @ w - x) ** 2))


def _listing_data() -> np.ndarray:
    """Stand-in for the listing's 3 × 784 standard-normal batch (seeded)."""
    return np.random.default_rng(0).standard_normal((3, 784))


@ssl_claim(
    id="SSL-5-listing-sigmoid-floor", section="5 (listing)",
    paraphrase="The PyTorch autoencoder (784-128-64-32 encoder, mirrored decoder ending in a "
               "sigmoid) is trained with MSE for 100 Adam steps to reconstruct its input, a "
               "(3, 784) batch of standard-normal noise.",
    formal="the training loss can approach 0 (the model can learn to reconstruct x)",
    expected="code-defect",
    corrected="A sigmoid decoder can only output values in (0, 1): the MSE is bounded below by "
              "mean(min(x,0)² + max(x-1,0)²) ≈ 0.575 for N(0,1) data (1/2 + 2(1-Φ(1)) - φ(1)). "
              "Use a linear output layer for real-valued data, or data scaled to [0, 1] (e.g. "
              "pixel intensities) with the sigmoid.")
def _ssl_listing_floor(budget: Budget) -> Outcome:
    bound = _pointwise_bound(budget)
    x = _listing_data()
    floor = sigmoid_mse_floor(x)
    expected = expected_sigmoid_floor_standard_normal()
    # the floor is the infimum: logits pushed towards ±∞ where the target is outside (0, 1)
    delta = 1e-6
    near = float(np.mean((np.clip(x, delta, 1 - delta) - x) ** 2))
    ok_bound = bound.verdict == "holds"
    linear = _linear_output_fit(x)
    cases = [Case("x ~ N(0,1) of shape (3, 784), seeded, as in the listing",
                  f"training MSE >= {floor:.4f} for EVERY decoder with a sigmoid output "
                  f"(approached to {near - floor:.1e}; E over N(0,1) = "
                  f"{mpmath.nstr(expected, 6)})",
                  f"a linear output layer on 128 ReLU features fits the 3 samples: MSE "
                  f"{linear:.1e}", defective=ok_bound and floor > 0.1 and linear < 1e-12)]
    out = code_listing(cases, summary=f"sigmoid outputs in (0,1) vs N(0,1) targets: loss floor "
                                      f"{floor:.3f}")
    return Outcome(out.verdict, out.reason, out.counterexample,
                   out.evidence + tuple(f"lower bound per entry: {e}" for e in bound.evidence))


@ssl_claim(
    id="SSL-5-listing-data", section="5 (listing and its explanation)",
    paraphrase="The listing implements the image-autoencoding pretext task: it encodes and "
               "decodes image pixel information.",
    formal="the listing's training data are images (pixel intensities in [0, 1])",
    expected="code-defect",
    corrected="The data are 3 vectors of Gaussian noise: about 66% of the targets lie outside "
              "the pixel range [0, 1] the sigmoid output assumes, and noise has no structure to "
              "learn; load real images (e.g. 28×28 = 784 pixels scaled to [0, 1]).")
def _ssl_listing_data(budget: Budget) -> Outcome:
    x = _listing_data()
    outside = float(np.mean((x < 0) | (x > 1)))
    expected = 0.5 + (1 - 0.5 * (1 + math.erf(1 / math.sqrt(2))))
    return code_listing([Case("the listing's x = standard normal noise, shape (3, 784)",
                              f"{outside:.1%} of targets outside [0, 1] (expected "
                              f"{expected:.1%} = P(X<0) + P(X>1))",
                              "image pixels in [0, 1]", defective=outside > 0.1)],
                        summary="trains on Gaussian noise, not images")


@ssl_claim(
    id="SSL-6-summary", section="6",
    paraphrase="Summary: self-supervised learning uses unlabelled data and generated labels, "
               "is widely applied, and improves performance.",
    formal="(restates 1-3)",
    expected="vague",
    corrected="See SSL-1-* and SSL-3-2-labels.")
def _ssl_summary(budget: Budget) -> Outcome:
    return vague("restates earlier claims; checked where first made")
