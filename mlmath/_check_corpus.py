"""The deterministic parts of ``mlmath check``: accuracy corpus, bad-input matrix, gradients.

* **Accuracy corpus** -- for each function with an mpmath oracle
  (:mod:`mlmath._oracles`, 50 digits), a fixed set of float64 points spanning
  the magnitudes where naive formulas break (tails of the elementwise functions,
  logits from 1e-10 to 1e3, distributions whose difference ``d`` runs from 2^-3
  down to 2^-52).  The error of each point is the worst relative error of its
  output in eps (results below the normal range measured in subnormal spacings),
  reported per magnitude tier and kept per point for the plots.  Every point of
  the distributions is exact (``0.25 +- 2**-k``), so the references need no
  normalisation.
* **Bad-input matrix** -- each required array argument replaced by a NaN, a
  negative probability, an unnormalised distribution, an empty axis, a shape
  mismatch or an out-of-range label; each cell is a *clear error* (an exception
  naming the argument), an *error* (not naming it), a *silent NaN* or a
  *silent accept*.
* **Gradients** -- where the target differentiates automatically (the
  adapter's ``AUTOGRAD`` names), its gradient against mlmath's analytic
  ``*_grad`` at fixed points, normwise in eps.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from mlmath import _oracles as orc

__all__ = ["CORPORA", "AccuracyResult", "BadInputCell", "Corpus", "GradientResult",
           "accuracy", "bad_input", "gradients"]

EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- accuracy

@dataclass(frozen=True)
class Corpus:
    """Points of one function: ``(magnitude, args, kwargs)`` and an mpmath reference."""

    name: str
    magnitude: str  #: what the magnitude of a point measures, e.g. ``"|x|"``
    points: tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]
    reference: Callable[..., Any]  #: mpmath function of the args (float64 result)
    tiers: tuple[float, ...]  #: tier edges of the magnitude


@dataclass
class AccuracyTier:
    """Worst error of the points whose magnitude lies in ``[low, high)``."""

    low: float
    high: float
    points: int
    worst_eps: float
    worst_at: float

    @property
    def label(self) -> str:
        return f"[{self.low:.0e}, {self.high:.0e})"


@dataclass
class AccuracyResult:
    """Errors in eps of one function over its corpus (float64)."""

    magnitude: str
    errors: list[tuple[float, float]]  #: (magnitude, error in eps) per point
    tiers: list[AccuracyTier]
    raised: int = 0  #: points where the function raised

    @property
    def worst_eps(self) -> float:
        return max((e for _, e in self.errors), default=0.0)


def _elementwise(name: str, ref: Callable[[Any], Any], values: Sequence[float],
                 tiers: tuple[float, ...]) -> Corpus:
    points = tuple((abs(v), (np.float64(v),), dict[str, Any]()) for v in values)
    return Corpus(name, "|x|", points, ref, tiers)


def _signed_logspace(lo: float, hi: float, n: int) -> list[float]:
    mags = np.logspace(lo, hi, n)
    return [float(s * m) for m in mags for s in (1.0, -1.0)]


_TAIL = [19.5, 20.0, 20.5, 25.0, 30.0, 36.0, 40.0, -20.5, -36.0]
_ELEMENT_TIERS = (0.0, 1e-8, 1e-2, 1.0, 10.0, 100.0, math.inf)
_ROW = np.array([0.0, -1.0, 0.5, 2.0, -3.0])
_ROW_SCALES = np.logspace(-10, 3, 27)
_ROW_TIERS = (0.0, 1e-6, 1e-2, 1.0, 10.0, 100.0, math.inf)
_PAIR_TIERS = (0.0, 1e-12, 1e-8, 1e-4, 1.0)


def _rows() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    return tuple((float(np.max(np.abs(s * _ROW))), (s * _ROW,), {}) for s in _ROW_SCALES)


def _pairs() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    """p = (1/4, 1/4, 1/2), q = (1/4 + d, 1/4 - d, 1/2): exact floats, both sum to 1."""
    p = np.array([0.25, 0.25, 0.5])
    return tuple((2.0 ** -k, (p, np.array([0.25 + 2.0 ** -k, 0.25 - 2.0 ** -k, 0.5])), {})
                 for k in range(3, 53))


def _entropy_points() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    """p = (1 - 2t, t, t) with t = 2^-k: exact, sums to 1."""
    return tuple((2.0 ** -k, (np.array([1 - 2 * 2.0 ** -k, 2.0 ** -k, 2.0 ** -k]),), {})
                 for k in range(2, 53, 2))


def _rowwise_ref(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda row: fn(list(row))


def _sqrt_js(p: Any, q: Any) -> Any:
    return mpmath.sqrt(orc.mp_js(p, q))


def _bce_points() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    probs = np.logspace(-300, math.log10(0.5), 40)
    return tuple((float(p), (np.array([p]), np.array([1.0])), {"reduction": "none"})
                 for p in probs)


def _sbce_points() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    return tuple((abs(z), (np.array([z, z]), np.array([0.0, 1.0])), {"reduction": "none"})
                 for z in _signed_logspace(-8, 2.8, 20))


def _sce_points() -> tuple[tuple[float, tuple[Any, ...], dict[str, Any]], ...]:
    return tuple((m, (row[None, :], np.array([3])), {"reduction": "none"})
                 for m, (row,), _ in _rows())


def _vec(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *x: np.vectorize(fn, otypes=[object])(*x)


#: Every function with a corpus, by mlmath name.
CORPORA: dict[str, Corpus] = {c.name: c for c in [
    _elementwise("sigmoid", orc.mp_sigmoid, _signed_logspace(-10, 2.85, 30), _ELEMENT_TIERS),
    _elementwise("log_sigmoid", orc.mp_log_sigmoid, _signed_logspace(-10, 2.85, 30) + _TAIL,
                 _ELEMENT_TIERS),
    _elementwise("softplus", orc.mp_softplus, _signed_logspace(-10, 2.85, 30) + _TAIL,
                 _ELEMENT_TIERS),
    Corpus("softmax", "max |x| of the row", _rows(), orc.mp_softmax, _ROW_TIERS),
    Corpus("log_softmax", "max |x| of the row", _rows(), orc.mp_log_softmax, _ROW_TIERS),
    Corpus("logsumexp", "max |x| of the row", _rows(), orc.mp_logsumexp, _ROW_TIERS),
    Corpus("entropy", "smallest p", _entropy_points(), orc.mp_entropy, _PAIR_TIERS),
    Corpus("kl_divergence", "|p - q|", _pairs(), orc.mp_kl, _PAIR_TIERS),
    Corpus("cross_entropy", "|p - q|", _pairs(), orc.mp_cross_entropy, _PAIR_TIERS),
    Corpus("js_divergence", "|p - q|", _pairs(), orc.mp_js, _PAIR_TIERS),
    Corpus("js_distance", "|p - q|", _pairs(), _sqrt_js, _PAIR_TIERS),
    Corpus("binary_entropy", "p", tuple((float(p), (np.float64(p),), {})
                                        for p in np.logspace(-300, math.log10(0.5), 40)),
           orc.mp_binary_entropy, (0.0, 1e-100, 1e-8, 1e-2, 1.0)),
    Corpus("binary_cross_entropy", "p (target 1)", _bce_points(),
           _vec(orc.mp_binary_cross_entropy), (0.0, 1e-100, 1e-44, 1e-8, 1.0)),
    Corpus("sigmoid_binary_cross_entropy", "|z| (targets 0 and 1)", _sbce_points(),
           _vec(orc.mp_sigmoid_binary_cross_entropy), _ELEMENT_TIERS),
    Corpus("softmax_cross_entropy", "max |x| of the row", _sce_points(),
           lambda x, t: np.array([orc.mp_neg_log_softmax(list(x[0]), int(t[0]))],
                                 dtype=object), _ROW_TIERS),
]}


@functools.cache
def _references(name: str) -> tuple[np.ndarray, ...]:
    corpus = CORPORA[name]
    return tuple(orc.mp_reference(corpus.reference, *args) for _, args, _ in corpus.points)


def _error(out: Any, ref: np.ndarray) -> float:
    a = np.asarray(out, dtype=np.float64)
    if a.shape != ref.shape:
        a = a.reshape(ref.shape) if a.size == ref.size else np.full(ref.shape, np.nan)
    err = orc.errors_in_eps(a, ref, dtype=np.float64, subnormal_floor=True)
    return float(np.max(err, initial=0.0))


def accuracy(name: str, fn: Callable[..., Any]) -> AccuracyResult | None:
    """Errors of ``fn`` (under the mlmath name ``name``) on its corpus; None without one."""
    corpus = CORPORA.get(name)
    if corpus is None:
        return None
    from mlmath.adapters import NotProvided

    errors: list[tuple[float, float]] = []
    raised = 0
    for (mag, args, kwargs), ref in zip(corpus.points, _references(name), strict=True):
        try:
            with np.errstate(all="ignore"):
                out = fn(*args, **kwargs)
        except NotProvided:
            return None
        except Exception:
            raised += 1
            errors.append((mag, math.inf))
            continue
        errors.append((mag, _error(out, ref)))
    tiers = []
    for low, high in zip(corpus.tiers, corpus.tiers[1:], strict=False):
        inside = [(m, e) for m, e in errors if low <= m < high]
        if inside:
            m, e = max(inside, key=lambda me: me[1])
            tiers.append(AccuracyTier(low, high, len(inside), e, m))
    return AccuracyResult(corpus.magnitude, errors, tiers, raised)


# --------------------------------------------------------------------------- bad input

_P = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
_Q = np.array([[0.3, 0.3, 0.4], [0.25, 0.5, 0.25]])
_QKV = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)
_LOGITS = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]])
_BINARY = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
#: Valid values of the required arguments, by argument name ((function, name) overrides).
VALID: dict[str, Any] = {
    "x": _LOGITS, "logits": _LOGITS, "scores": _LOGITS, "w": _LOGITS,
    "probs": np.array([[0.2, 0.7, 0.5], [0.9, 0.1, 0.4]]), "targets": np.array([0, 2]),
    "labels": np.array([0, 2]), "p": _P, "q": _QKV, "k": _QKV[::-1].copy(), "v": _QKV * 0.5,
    "pxy": np.array([[0.1, 0.2], [0.3, 0.4]]), "grad_out": np.ones((2, 3, 4)),
    "t": 0.5, "tau": 0.5, "X": np.array([[1.0, 2.0], [0.5, -1.0]]),
    "groups": np.array([[0, 0, 1], [1, 2, 2]]),
}
OVERRIDES: dict[tuple[str, str], Any] = {
    **{(f, "q"): _Q for f in ("kl_divergence", "cross_entropy", "js_divergence",
                              "js_distance", "renyi_divergence")},
    **{(f, "targets"): _BINARY for f in ("binary_cross_entropy", "sigmoid_binary_cross_entropy",
                                         "sigmoid_binary_cross_entropy_grad",
                                         "sigmoid_focal_loss", "sigmoid_focal_loss_grad")},
    ("binary_entropy", "p"): np.array([0.0, 0.3, 1.0]),
}
#: Arguments that are probability vectors along the last axis.
_DISTRIBUTIONS = {"p", "q", "pxy"}
_LABELS = {"targets", "labels"}
#: Functions whose ``p``/``q`` are not distributions along an axis.
_NOT_DISTRIBUTIONS = {"binary_entropy", "attention_weights", "scaled_dot_product_attention",
                      "scaled_dot_product_attention_grad"}


@dataclass
class BadInputCell:
    """One cell of the bad-input matrix."""

    argument: str
    case: str
    outcome: str  #: "clear error", "error", "silent NaN" or "silent accept"
    detail: str = ""


def _required(name: str, fn: Callable[..., Any]) -> list[str] | None:
    """Required parameters of mlmath's ``name``, if each has a valid value."""
    import mlmath

    params = [p for p in inspect.signature(getattr(mlmath, name)).parameters.values()
              if p.default is inspect.Parameter.empty]
    if any(p.kind is p.KEYWORD_ONLY for p in params):
        return None  # a required hyperparameter (alpha=...): no generic valid call
    names = [p.name for p in params]
    if any((name, n) not in OVERRIDES and n not in VALID for n in names):
        return None
    return names


def _valid(name: str, arg: str) -> Any:
    return OVERRIDES.get((name, arg), VALID.get(arg))


def _bad_values(name: str, arg: str, args: list[str]) -> dict[str, Any]:
    import mlmath

    valid = _valid(name, arg)
    if np.ndim(valid) == 0 or np.asarray(valid).dtype.kind not in "fiu":
        return {}
    base = np.asarray(valid)
    cases: dict[str, Any] = {}
    if base.dtype.kind == "f":
        nan = base.copy()
        nan.flat[-1] = np.nan
        cases["NaN entry"] = nan
    takes_axis = "axis" in inspect.signature(getattr(mlmath, name)).parameters
    if arg in _DISTRIBUTIONS and name not in _NOT_DISTRIBUTIONS:
        neg = base.copy()
        neg.flat[0], neg.flat[1] = -0.1, neg.flat[1] + neg.flat[0] + 0.1
        cases["negative probability"] = neg
        cases["does not sum to 1"] = base * 1.5
    if arg in _LABELS and base.dtype.kind in "iu":
        cases["label out of range"] = np.array([0, 7])
    if takes_axis and base.ndim >= 2 and base.dtype.kind == "f" and arg == args[0]:
        cases["empty axis"] = base[..., :0]
    if arg == "v" and base.ndim >= 2:
        cases["shape mismatch"] = base[..., :-1, :]  # fewer values than keys
    elif arg != args[0] and arg not in ("k", "grad_out") and base.dtype.kind == "f":
        cases["shape mismatch"] = base[..., :-1]
    return cases


def _names_argument(message: str, arg: str) -> bool:
    return f"`{arg}`" in message or f"'{arg}'" in message or f" {arg} " in f" {message} " \
        or message.startswith(f"{arg}:")


def bad_input(name: str, fn: Callable[..., Any]) -> list[BadInputCell] | None:
    """The bad-input matrix of ``fn`` under the mlmath name ``name`` (None: no valid inputs)."""
    from mlmath.adapters import NotProvided

    args = _required(name, fn)
    if not args:
        return None
    cells = []
    for arg in args:
        for case, value in _bad_values(name, arg, args).items():
            call = [value if a == arg else _valid(name, a) for a in args]
            try:
                with np.errstate(all="ignore"):
                    out = fn(*call)
            except NotProvided:
                continue
            except Exception as exc:
                text = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
                outcome = "clear error" if _names_argument(str(exc), arg) else "error"
                cells.append(BadInputCell(arg, case, outcome, text))
                continue
            values = out if isinstance(out, tuple) else (out,)
            nan = any(np.isnan(np.asarray(v, dtype=np.float64)).any() for v in values)
            cells.append(BadInputCell(arg, case, "silent NaN" if nan else "silent accept"))
    return cells


# --------------------------------------------------------------------------- gradients

@dataclass
class GradientResult:
    """The target's automatic gradient against mlmath's analytic ``*_grad``."""

    points: int
    worst_eps: float  #: max |got - mlmath| / (max |mlmath| eps), over points and outputs
    errors: list[float] = field(default_factory=list)


def _gradient_points(name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    rng = np.random.default_rng(20260)
    if name == "softmax_cross_entropy":
        return [((s * np.array([_ROW, _ROW[::-1]]), np.array([0, 3])),
                 {"label_smoothing": ls}) for s in np.logspace(-3, 2, 6) for ls in (0.0, 0.1)]
    if name == "sigmoid_binary_cross_entropy":
        return [((s * np.array([_ROW, -_ROW]), np.tile([0.0, 0.3, 1.0, 1.0, 0.0], (2, 1))), {})
                for s in np.logspace(-3, 2.5, 6)]
    if name == "scaled_dot_product_attention":
        out = []
        for s in (0.1, 1.0, 4.0):
            q, k, v, g = (s * rng.standard_normal((2, 3, 4)) for _ in range(4))
            out += [((q, k, v, g), {"causal": c}) for c in (False, True)]
        return out
    if name == "huber":
        return [((np.array(_signed_logspace(-4, 2, 8)),), {"delta": d}) for d in (0.5, 1.0)]
    return []


def gradients(name: str, target: Any) -> GradientResult | None:
    """``target.<name>_grad`` against ``mlmath.<name>_grad``, if the target differentiates."""
    import mlmath

    if name not in getattr(target, "AUTOGRAD", ()) or not hasattr(target, name + "_grad"):
        return None
    got_fn, want_fn = getattr(target, name + "_grad"), getattr(mlmath, name + "_grad")
    errors = []
    for args, kwargs in _gradient_points(name):
        got, want = got_fn(*args, **kwargs), want_fn(*args, **kwargs)
        got_t = got if isinstance(got, tuple) else (got,)
        want_t = want if isinstance(want, tuple) else (want,)
        for g, w in zip(got_t, want_t, strict=True):
            w64 = np.asarray(w, dtype=np.float64)
            scale = max(float(np.max(np.abs(w64), initial=0.0)), float(np.finfo(float).tiny))
            diff = float(np.max(np.abs(np.asarray(g, dtype=np.float64) - w64), initial=0.0))
            errors.append(math.inf if math.isnan(diff) else diff / (scale * EPS))
    return GradientResult(len(errors), max(errors, default=0.0), errors)
