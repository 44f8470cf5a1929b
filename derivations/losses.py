"""Derivations for ``mlmath.losses``: gradients and Hessians of the classification losses.

Conventions are PyTorch's (``torch.nn.functional.cross_entropy`` and
``binary_cross_entropy_with_logits``), written from their definitions:

* index targets, smoothing ``eps``, class weights ``w``: per sample
  ``(1 - eps) * w[y] * (-log s_y) + eps/C * sum_c w_c (-log s_c)``; the
  ``"mean"`` reduction divides the batch sum by ``sum_i w[y_i]`` over the
  non-ignored samples (not by their number).  A target is encoded as the
  one-hot row ``Y_i``; an ignored sample is a zero row, which removes it from
  both terms and from the denominator.
* probability targets: smoothed to ``(1 - eps) y + eps/C``, per sample
  ``-sum_c w_c y_c log s_c``, and ``"mean"`` divides by the number of samples.
* sigmoid BCE: ``-[pw y log sigma(x) + (1 - y) log(1 - sigma(x))]`` elementwise,
  ``"mean"`` divides by the number of elements.
* sigmoid focal loss (torchvision): ``alpha_t (1 - p_t)^gamma BCE`` elementwise.
* poly-1 cross-entropy (optax): ``CE + eps (1 - sum_c t_c s_c)`` per sample.
* binary hinge (scikit-learn): ``max(0, mu - y z)`` elementwise, ``y = +-1``.
* multiclass hinge (PyTorch ``multi_margin_loss``, ``p=1``): per sample
  ``(1/C) sum_{c != y} max(0, mu - z_y + z_c)``, ``"mean"`` divides by N.
  A ``max(0, u)`` is the Piecewise ``(u, u > 0), (0, True)``: its derivative at
  the kink ``u = 0`` is the second branch's, 0 (PyTorch's ``z > 0`` test).
* InfoNCE: ``-log softmax(S / tau)[i, p_i]`` per query, ``S = Q K^T`` (dot) or the
  cosine matrix, positives as one-hot rows ``T``; ``"mean"`` divides by N.
* NT-Xent (SimCLR, optax): per ordered positive pair ``(i, j)``, ``-S_ij + log(e^S_ij
  + sum_{k negative} e^S_ik)``, ``S = E E^T / tau``, averaged over the pairs.

Concrete sizes: a batch of N = 2 samples and C = 3 classes; the closed forms
(general in N and C) are verified against them.
"""

from __future__ import annotations

import sympy as sp

from ._core import Derivation, matrix_symbols, require_equal, vector_symbols
from .special import hessian_psd_certificate, logsumexp, softmax

__all__ = [
    "derivations",
    "hinge_loss_grad",
    "info_nce_grad",
    "multiclass_hinge_loss_grad",
    "nt_xent_grad",
    "poly_loss_cross_entropy_grad",
    "sigmoid_binary_cross_entropy_grad",
    "sigmoid_focal_loss_grad",
    "softmax_cross_entropy_grad_index",
    "softmax_cross_entropy_grad_probs",
    "softmax_cross_entropy_hessian",
]

N_SAMPLES = 2
N_CLASSES = 3


def _symbols() -> tuple[sp.Matrix, sp.Matrix, list[sp.Symbol], sp.Symbol]:
    z = sp.Matrix(matrix_symbols("z", N_SAMPLES, N_CLASSES))
    y = sp.Matrix(matrix_symbols("y", N_SAMPLES, N_CLASSES, nonnegative=True))
    w = vector_symbols("w", N_CLASSES, positive=True)
    eps = sp.Symbol("varepsilon", nonnegative=True)
    return z, y, w, eps


def _log_softmax_row(z_row: list[sp.Symbol]) -> list[sp.Expr]:
    lse = logsumexp(z_row)
    return [zc - lse for zc in z_row]


def _softmax_rows(z: sp.Matrix) -> sp.Matrix:
    return sp.Matrix([list(softmax(list(z.row(i)))) for i in range(z.rows)])


def _args(z: sp.Matrix, y: sp.Matrix, w: list[sp.Symbol], eps: sp.Symbol
          ) -> tuple[tuple[str, list[list[sp.Symbol]] | list[sp.Symbol] | sp.Symbol], ...]:
    return (("logits", z.tolist()), ("targets", y.tolist()), ("class_weights", w),
            ("label_smoothing", eps))


def _grad(loss: sp.Expr, z: sp.Matrix) -> sp.Matrix:
    return z.applyfunc(lambda zij: sp.diff(loss, zij))


def softmax_cross_entropy_grad_index(reduction: str) -> Derivation:
    """d CE / d logits for index targets (one-hot rows ``Y``), smoothing and class weights."""
    z, y, w, eps = _symbols()
    n_classes = sp.Integer(N_CLASSES)
    total = 0
    for i in range(N_SAMPLES):
        log_s = _log_softmax_row(list(z.row(i)))
        kept = sp.Add(*y.row(i))  # 1 for a target, 0 for an ignored sample
        nll = -sp.Add(*[y[i, c] * w[c] * log_s[c] for c in range(N_CLASSES)])
        smooth = -kept * sp.Add(*[w[c] * log_s[c] for c in range(N_CLASSES)])
        total += (1 - eps) * nll + eps / n_classes * smooth
    weight_of_target = [sp.Add(*[y[i, c] * w[c] for c in range(N_CLASSES)])
                        for i in range(N_SAMPLES)]
    denominator = sp.Add(*weight_of_target) if reduction == "mean" else sp.Integer(1)
    loss = total / denominator
    grad = _grad(loss, z)
    s = _softmax_rows(z)
    w_sum = sp.Add(*w)
    closed = sp.Matrix(N_SAMPLES, N_CLASSES, lambda i, k: (
        (1 - eps) * (weight_of_target[i] * s[i, k] - y[i, k] * w[k])
        + eps / n_classes * sp.Add(*y.row(i)) * (w_sum * s[i, k] - w[k])) / denominator)
    check = require_equal(grad, closed, "dL/dz_ik = [(1-eps)(w_{y_i} s_ik - Y_ik w_k) "
                          "+ eps/C [y_i not ignored] (sum(w) s_ik - w_k)] / D, "
                          + ("D = sum_i w_{y_i}" if reduction == "mean" else "D = 1"))
    return Derivation(
        f"softmax_cross_entropy_grad_index_{reduction}",
        f"d CE/d logits, index targets (one-hot rows Y), reduction={reduction!r}",
        loss, grad, _args(z, y, w, eps), (check,), (("closed form", closed),))


def softmax_cross_entropy_grad_probs(reduction: str) -> Derivation:
    """d CE / d logits for probability targets with smoothing and class weights."""
    z, y, w, eps = _symbols()
    n_classes = sp.Integer(N_CLASSES)
    smoothed = y.applyfunc(lambda t: (1 - eps) * t + eps / n_classes)
    denominator = sp.Integer(N_SAMPLES) if reduction == "mean" else sp.Integer(1)
    loss = -sp.Add(*[w[c] * smoothed[i, c] * _log_softmax_row(list(z.row(i)))[c]
                     for i in range(N_SAMPLES) for c in range(N_CLASSES)]) / denominator
    grad = _grad(loss, z)
    s = _softmax_rows(z)
    closed = sp.Matrix(N_SAMPLES, N_CLASSES, lambda i, k: (
        sp.Add(*[w[c] * smoothed[i, c] for c in range(N_CLASSES)]) * s[i, k]
        - w[k] * smoothed[i, k]) / denominator)
    check = require_equal(grad, closed, "dL/dz_ik = [(sum_c w_c y'_ic) s_ik - w_k y'_ik] / D, "
                          "y' = (1-eps) y + eps/C, "
                          + ("D = N" if reduction == "mean" else "D = 1"))
    return Derivation(
        f"softmax_cross_entropy_grad_probs_{reduction}",
        f"d CE/d logits, probability targets, reduction={reduction!r}",
        loss, grad, _args(z, y, w, eps), (check,), (("closed form", closed),))


def sigmoid_binary_cross_entropy_grad() -> Derivation:
    """d/dx of -[pw y log sigma(x) + (1 - y) log(1 - sigma(x))] = sigma(x)(pw y + 1 - y) - pw y."""
    x = sp.Symbol("x", real=True)
    y = sp.Symbol("y", nonnegative=True)
    pos_weight = sp.Symbol("p_w", positive=True)
    sigma = 1 / (1 + sp.exp(-x))
    loss = -(pos_weight * y * sp.log(sigma) + (1 - y) * sp.log(1 - sigma))
    raw = sp.diff(loss, x)
    # SymPy's raw derivative contains 1 - 1/(1 + exp(-x)), which cancels in floating
    # point; the simplified form has no such difference and is the one written out.
    grad = sp.simplify(raw)
    closed = sigma * (pos_weight * y + 1 - y) - pos_weight * y
    checks = (require_equal(raw, grad, "simplify(d/dx loss) = d/dx loss"),
              require_equal(grad, closed, "dl/dx = sigma(x) (pw y + 1 - y) - pw y"))
    return Derivation("sigmoid_binary_cross_entropy_grad",
                      "d BCE-with-logits / d logit, elementwise (reduction='sum')",
                      loss, grad, (("logits", x), ("targets", y), ("pos_weight", pos_weight)),
                      checks, (("d/dx as SymPy differentiates it", raw),
                               ("closed form", closed)))


def sigmoid_focal_loss_grad() -> Derivation:
    """d/dz of alpha_t (1 - p_t)^gamma BCE(z, y) (torchvision's focal loss), elementwise.

    Differentiated by the chain rule through ``s = sigma(z)`` and ``m = 1 - p_t``,
    each inner derivative checked on its own (``ds/dz = s (1 - s)``, ``dm/dz =
    (1 - 2y) s (1 - s)``, ``d BCE/dz = s - y``): SymPy cannot cancel the symbolic
    power ``m^gamma`` once ``m`` is written out as a sum.
    """
    z = sp.Symbol("z", real=True)
    y = sp.Symbol("y", nonnegative=True)
    alpha = sp.Symbol("alpha", nonnegative=True)
    gamma = sp.Symbol("gamma", positive=True)
    sigma = 1 / (1 + sp.exp(-z))
    s, m = sp.Function("s")(z), sp.Function("m")(z)
    ds = {sp.Derivative(s, z): s * (1 - s)}
    bce = -(y * sp.log(s) + (1 - y) * sp.log(1 - s))
    m_of_s = y * (1 - s) + (1 - y) * s   # 1 - p_t without the subtraction
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    loss = alpha_t * m ** gamma * bce
    chain = sp.diff(loss, z).subs({sp.Derivative(m, z): (1 - 2 * y) * s * (1 - s), **ds})
    closed = alpha_t * ((s - y) * m ** gamma
                        + gamma * bce * m ** (gamma - 1) * (1 - 2 * y) * s * (1 - s))
    p_t = s * y + (1 - s) * (1 - y)
    checks = (
        require_equal(sp.diff(sigma, z), sigma * (1 - sigma), "ds/dz = s (1 - s), s = sigma(z)"),
        require_equal(1 - p_t, m_of_s, "m = 1 - p_t = y (1 - s) + (1 - y) s"),
        require_equal(sp.diff(m_of_s, z).subs(ds), (1 - 2 * y) * s * (1 - s),
                      "dm/dz = (1 - 2y) s (1 - s)"),
        require_equal(sp.diff(bce, z).subs(ds), s - y, "d BCE/dz = s - y"),
        # powsimp merges m^gamma / m into m^(gamma - 1) (same base, no sign question)
        require_equal(sp.powsimp(sp.expand(chain)), sp.powsimp(sp.expand(closed)),
                      "dl/dz = alpha_t [(s - y) m^gamma + gamma BCE "
                      "m^(gamma-1) (1 - 2y) s (1 - s)]"))
    explicit = {m: m_of_s.subs(s, sigma), s: sigma}
    return Derivation("sigmoid_focal_loss_grad",
                      "d focal loss / d logit, elementwise (reduction='sum')",
                      loss.subs(explicit), closed.subs(explicit),
                      (("logits", z), ("targets", y), ("alpha", alpha), ("gamma", gamma)),
                      checks, (("in s = sigma(z) and m = 1 - p_t", closed),))


def poly_loss_cross_entropy_grad(reduction: str) -> Derivation:
    """d/dz of CE + eps (1 - sum_c t_c s_c) (poly-1, optax) for probability rows ``t``."""
    z, t, _, _ = _symbols()
    eps = sp.Symbol("epsilon", real=True)
    denominator = sp.Integer(N_SAMPLES) if reduction == "mean" else sp.Integer(1)
    s = _softmax_rows(z)
    total = 0
    for i in range(N_SAMPLES):
        log_s = _log_softmax_row(list(z.row(i)))
        total += -sp.Add(*[t[i, c] * log_s[c] for c in range(N_CLASSES)])
        total += eps * (1 - sp.Add(*[t[i, c] * s[i, c] for c in range(N_CLASSES)]))
    loss = total / denominator
    grad = _grad(loss, z)
    mass = [sp.Add(*t.row(i)) for i in range(N_SAMPLES)]
    closed = sp.Matrix(N_SAMPLES, N_CLASSES, lambda i, k: (
        mass[i] * s[i, k] - t[i, k]
        - eps * s[i, k] * (t[i, k] - sp.Add(*[t[i, c] * s[i, c] for c in range(N_CLASSES)]))
    ) / denominator)
    check = require_equal(grad, closed, "dL/dz_ik = [(sum_c t_ic) s_ik - t_ik - eps s_ik "
                          "(t_ik - sum_c t_ic s_ic)] / D, "
                          + ("D = N" if reduction == "mean" else "D = 1"))
    return Derivation(
        f"poly_loss_cross_entropy_grad_{reduction}",
        f"d poly-1 CE / d logits, probability (or one-hot) rows t, reduction={reduction!r}",
        loss, grad, (("logits", z.tolist()), ("targets", t.tolist()), ("epsilon", eps)),
        (check,), (("closed form", closed),))


def _relu(u: sp.Expr) -> sp.Piecewise:
    """max(0, u) with the kink u = 0 in the zero branch (derivative 0 there)."""
    return sp.Piecewise((u, u > 0), (0, True))


def hinge_loss_grad() -> Derivation:
    """d/dz of max(0, mu - y z) elementwise (labels y = +-1), the kink in the 0 branch."""
    z, y = sp.Symbol("z", real=True), sp.Symbol("y", real=True)
    mu = sp.Symbol("mu", nonnegative=True)
    loss = _relu(mu - y * z)
    grad = sp.diff(loss, z)
    closed = sp.Piecewise((-y, mu - y * z > 0), (0, True))
    check = require_equal(grad, closed, "dl/dz = -y [mu - y z > 0], 0 at the kink")
    return Derivation("hinge_loss_grad", "d binary hinge / d score, elementwise "
                      "(reduction='sum')", loss, grad,
                      (("scores", z), ("targets", y), ("margin", mu)), (check,),
                      (("closed form", closed),))


def multiclass_hinge_loss_grad(reduction: str) -> Derivation:
    """d/dz of (1/C) sum_{c != y} max(0, mu - z_y + z_c) (multi_margin_loss, p = 1) for
    one-hot label rows ``t`` (``z_y = sum_k t_k z_k``; the factor ``1 - t_c`` drops c = y)."""
    z, t, _, _ = _symbols()
    mu = sp.Symbol("mu", nonnegative=True)
    denominator = sp.Integer(N_SAMPLES) if reduction == "mean" else sp.Integer(1)
    c_count = sp.Integer(N_CLASSES)
    slack = [[mu - sp.Add(*[t[i, k] * z[i, k] for k in range(N_CLASSES)]) + z[i, c]
              for c in range(N_CLASSES)] for i in range(N_SAMPLES)]
    loss = sp.Add(*[(1 - t[i, c]) * _relu(slack[i][c]) for i in range(N_SAMPLES)
                    for c in range(N_CLASSES)]) / (c_count * denominator)
    grad = _grad(loss, z)
    active = [[sp.Piecewise((1, slack[i][c] > 0), (0, True)) for c in range(N_CLASSES)]
              for i in range(N_SAMPLES)]
    closed = sp.Matrix(N_SAMPLES, N_CLASSES, lambda i, k: (
        (1 - t[i, k]) * active[i][k]
        - t[i, k] * sp.Add(*[(1 - t[i, c]) * active[i][c] for c in range(N_CLASSES)])
    ) / (c_count * denominator))
    check = require_equal(grad, closed, "dL/dz_ik = [(1 - t_ik) a_ik - t_ik sum_c (1 - t_ic) "
                          "a_ic] / (C D), a_ic = [mu - z_iy + z_ic > 0], "
                          + ("D = N" if reduction == "mean" else "D = 1"))
    return Derivation(
        f"multiclass_hinge_loss_grad_{reduction}",
        f"d multiclass hinge (multi_margin_loss, p=1) / d scores, one-hot rows t, "
        f"reduction={reduction!r}",
        loss, grad, (("scores", z.tolist()), ("targets", t.tolist()), ("margin", mu)),
        (check,), (("closed form", closed),))


#: InfoNCE sizes: N queries, M keys, embedding dimension D.
NCE_QUERIES, NCE_KEYS, NCE_DIM = 2, 3, 2


def info_nce_grad(wrt: str, similarity: str) -> Derivation:
    """d InfoNCE / d query or keys (reduction='mean'), positives as one-hot rows ``T``.

    The closed form: ``G = (softmax(S / tau) - T) / N``; ``"dot"``: ``dQ = G K / tau``,
    ``dK = G^T Q / tau``; ``"cosine"``: the same in the unit vectors, each row then
    taken back through ``x / ||x||`` by ``(I - x_hat x_hat^T) / ||x||``.
    """
    q = sp.Matrix(matrix_symbols("q", NCE_QUERIES, NCE_DIM))
    k = sp.Matrix(matrix_symbols("k", NCE_KEYS, NCE_DIM))
    t = sp.Matrix(matrix_symbols("t", NCE_QUERIES, NCE_KEYS, nonnegative=True))
    tau = sp.Symbol("tau", positive=True)

    def unit(x: sp.Matrix) -> tuple[sp.Matrix, list[sp.Expr]]:
        if similarity == "dot":
            return x, [sp.Integer(1)] * x.rows
        norms = [sp.sqrt(sum(x[i, d] ** 2 for d in range(x.cols))) for i in range(x.rows)]
        return sp.Matrix(x.rows, x.cols, lambda i, d: x[i, d] / norms[i]), norms

    q_hat, q_norms = unit(q)
    k_hat, k_norms = unit(k)
    s = q_hat * k_hat.T / tau
    n = sp.Integer(NCE_QUERIES)
    loss = sp.Add(*[-sp.Add(*[t[i, j] * s[i, j] for j in range(NCE_KEYS)])
                    + logsumexp(list(s.row(i))) for i in range(NCE_QUERIES)]) / n
    x, x_hat, norms = (q, q_hat, q_norms) if wrt == "query" else (k, k_hat, k_norms)
    grad = _grad(loss, x)
    probs = _softmax_rows(s)
    g = (probs - t) / n          # rows of t sum to 1 (one-hot)
    d_hat = g * k_hat / tau if wrt == "query" else g.T * q_hat / tau
    if similarity == "dot":
        closed = d_hat
    else:
        closed = sp.Matrix(x.rows, x.cols, lambda i, d: (
            d_hat[i, d] - x_hat[i, d] * sum(x_hat[i, e] * d_hat[i, e]
                                            for e in range(x.cols))) / norms[i])
    one_hot = {t[i, j]: 1 if j == i else 0 for i in range(NCE_QUERIES)
               for j in range(NCE_KEYS)}
    check = require_equal(grad.subs(one_hot), closed.subs(one_hot),
                          f"d InfoNCE / d {wrt} ({similarity}) = "
                          + ("G K / tau" if wrt == "query" else "G^T Q / tau")
                          + ("" if similarity == "dot" else
                             " in unit vectors, projected: (I - x x^T) / ||x||")
                          + ", G = (softmax(S / tau) - T) / N, checked at T = [I | 0]")
    return Derivation(
        f"info_nce_grad_{wrt}_{similarity}",
        f"d InfoNCE / d {wrt}, {similarity} similarity, one-hot positive rows t, "
        "reduction='mean'",
        loss, closed, (("query", q.tolist()), ("keys", k.tolist()), ("positive", t.tolist()),
                       ("temperature", tau)), (check,), (("d InfoNCE", grad),))


#: NT-Xent: M = 4 embeddings in D = 2, SimCLR's pairing labels (0, 0, 1, 1).
NTX_LABELS = (0, 0, 1, 1)


def nt_xent_grad() -> Derivation:
    """d NT-Xent / d embeddings (dot similarity, reduction='mean'), labels (0, 0, 1, 1)."""
    m = len(NTX_LABELS)
    e = sp.Matrix(matrix_symbols("e", m, NCE_DIM))
    tau = sp.Symbol("tau", positive=True)
    s = e * e.T / tau
    pairs = [(i, j) for i in range(m) for j in range(m)
             if i != j and NTX_LABELS[i] == NTX_LABELS[j]]
    negatives = [[k for k in range(m) if NTX_LABELS[k] != NTX_LABELS[i]] for i in range(m)]
    loss = sp.Add(*[-s[i, j] + sp.log(sp.exp(s[i, j]) + sp.Add(*[sp.exp(s[i, k])
                                                                 for k in negatives[i]]))
                    for i, j in pairs]) / len(pairs)
    grad = _grad(loss, e)
    mass = [sp.Add(*[sp.exp(s[i, k]) for k in negatives[i]]) for i in range(m)]
    sig = sp.zeros(m, m)
    for i, j in pairs:
        sig[i, j] = mass[i] / (sp.exp(s[i, j]) + mass[i])     # sigma(a_i - S_ij)
    g = sp.zeros(m, m)
    for i in range(m):
        total = sp.Add(*list(sig.row(i)))
        for k in negatives[i]:
            g[i, k] = sp.exp(s[i, k]) / mass[i] * total
        for j in range(m):
            g[i, j] -= sig[i, j]
    g = g / len(pairs)
    closed = (g + g.T) * e / tau
    check = require_equal(grad, closed, "dL/dE = (G + G^T) E / tau, G_ij = -sigma(a_i - "
                          "S_ij) on positive pairs, G_ik = e^(S_ik - a_i) sum_j sigma(a_i - "
                          "S_ij) on negatives, divided by |P|")
    return Derivation("nt_xent_grad", "d NT-Xent / d embeddings, dot similarity, labels "
                      "(0, 0, 1, 1), reduction='mean'", loss, closed,
                      (("embeddings", e.tolist()), ("temperature", tau)), (check,),
                      (("d NT-Xent", grad),))


def softmax_cross_entropy_hessian(n_classes: int) -> Derivation:
    """Hessian of one sample's CE in the logits: (sum_c a_c)(diag(s) - s s^T), PSD."""
    z = vector_symbols("z", n_classes)
    y = vector_symbols("y", n_classes, nonnegative=True)
    w = vector_symbols("w", n_classes, positive=True)
    eps = sp.Symbol("varepsilon", nonnegative=True)
    # a_c = w_c ((1 - eps) y_c + eps/C) >= 0 covers index (one-hot y) and probability targets.
    a = [w[c] * ((1 - eps) * y[c] + eps / n_classes) for c in range(n_classes)]
    log_s = _log_softmax_row(z)
    loss = -sp.Add(*[a[c] * log_s[c] for c in range(n_classes)])
    hess = sp.hessian(loss, z)
    s_of_z = softmax(z)
    check = require_equal(hess, sp.Add(*a) * (sp.diag(*s_of_z) - s_of_z * s_of_z.T),
                          "H = (sum_c a_c)(diag(s) - s s^T), a_c = w_c ((1-eps) y_c + eps/C)")
    s = vector_symbols("s", n_classes, nonnegative=True)
    scale = sp.Symbol("A", nonnegative=True)
    h_in_s = scale * (sp.diag(*s) - sp.Matrix(s) * sp.Matrix(s).T)
    psd_checks, extras = hessian_psd_certificate(h_in_s, s, scale)
    return Derivation(
        f"softmax_cross_entropy_hessian_n{n_classes}",
        f"Hessian of one sample's CE in the logits, C = {n_classes}",
        loss, hess, (("logits", z), ("targets", y), ("class_weights", w),
                     ("label_smoothing", eps)),
        (check, *psd_checks),
        (("H in terms of s = softmax(z), A = sum_c a_c >= 0", h_in_s), *extras))


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return [
        softmax_cross_entropy_grad_index("mean"),
        softmax_cross_entropy_grad_index("sum"),
        softmax_cross_entropy_grad_probs("mean"),
        softmax_cross_entropy_grad_probs("sum"),
        sigmoid_binary_cross_entropy_grad(),
        sigmoid_focal_loss_grad(),
        poly_loss_cross_entropy_grad("mean"),
        poly_loss_cross_entropy_grad("sum"),
        hinge_loss_grad(),
        multiclass_hinge_loss_grad("mean"),
        multiclass_hinge_loss_grad("sum"),
        info_nce_grad("query", "dot"),
        info_nce_grad("keys", "dot"),
        info_nce_grad("query", "cosine"),
        info_nce_grad("keys", "cosine"),
        nt_xent_grad(),
        softmax_cross_entropy_hessian(2),
        softmax_cross_entropy_hessian(3),
    ]
