"""Tests of the claims audit.

Computed verdicts equal the ledger's; their evidence is real (a recorded
counterexample violates the statement when re-evaluated independently with
SymPy; a ``holds`` search ran at least N examples); every computed check can
come out otherwise (meta-tests: the negated statement gets another verdict);
editorial verdicts are a justified minority; CLAIMS.md is reproduced byte for
byte; the import graph of the audit is acyclic.

The audit runs ONCE per session (fixture ``audit_results``) and most tests read it.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from hypothesis import given

from mlmath import strategies as mst
from mlmath.audit import BASES, VERDICTS, AuditResult, ledger, run_audit
from mlmath.audit._evidence import PERTURBATIONS, Budget, checking, perturbed, search_log
from mlmath.audit._recorded import RECORDED
from mlmath.audit.report import render, to_records

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ledger()
IDS = [c.id for c in CLAIMS]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@pytest.fixture(scope="session")
def audit_results() -> dict[str, AuditResult]:
    return {r.claim.id: r for r in run_audit()}


# --------------------------------------------------------------------------- the ledger


class TestLedger:
    def test_ids_unique_and_stable_format(self):
        """Ids are unique and read ARTICLE-section-slug."""
        assert len(IDS) == len(set(IDS))
        bad = [i for i in IDS if not re.fullmatch(r"(CE|SA|SSL|REG)-[0-9A-Za-z.\-]+", i)]
        assert not bad, bad

    def test_fields_filled_and_in_english(self):
        """Paraphrases, readings and corrections are English: no article prose is copied."""
        for c in CLAIMS:
            for field in ("section", "paraphrase", "formal", "corrected"):
                text = getattr(c, field)
                assert text.strip(), f"{c.id}: empty {field}"
                assert not CJK.search(text), f"{c.id}: {field} contains CJK text"

    def test_no_constant_verdict_helpers_remain(self):
        """The helpers that fixed verdicts without a check are gone from the package."""
        src = "\n".join(p.read_text(encoding="utf-8")
                        for p in (ROOT / "mlmath" / "audit").rglob("*.py"))
        for name in ("vague_claim", "known_claim", "by_setting", "ill_posed(", "facts(",
                     "defective=True"):
            assert name not in src, name


def _editorial_ids() -> set[str]:
    """The entries of the modules' editorial tables (no check to perturb)."""
    import importlib

    ids = set()
    for name, table in (("cross_entropy", "CE_EDITORIAL"), ("self_attention", "SA_EDITORIAL"),
                        ("self_supervised", "SSL_EDITORIAL"), ("regularisation", "REG_EDITORIAL")):
        ids |= {e.id for e in getattr(importlib.import_module(f"mlmath.audit.claims.{name}"),
                                      table)}
    return ids


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("claim_id", [i for i in IDS if i not in _editorial_ids()])
def test_verdict_matches_ledger(audit_results, claim_id):
    """The verdict the check computes equals the one the ledger records.

    (Editorial entries are left out: their verdict is their record, a comparison that
    could not fail.)
    """
    r = audit_results[claim_id]
    if r.outcome.basis == "editorial":
        pytest.skip("editorial verdict")
    assert r.agrees, (f"{claim_id}: got {r.outcome.verdict!r} ({r.outcome.basis}), ledger "
                      f"expects {r.claim.expected!r}: {r.outcome.reason}")


def test_editorial_verdicts_are_a_justified_minority(audit_results):
    """Editorial verdicts quote the article (CJK, a few words) and say what is missing."""
    editorial = [r for r in audit_results.values() if r.outcome.basis == "editorial"]
    assert 0 < len(editorial) < len(audit_results) / 2
    for r in editorial:
        (line,) = [e for e in r.outcome.evidence if e.startswith("editorial:")]
        quote = re.search(r"「(.+?)」", line)
        assert (quote and CJK.search(quote.group(1))) or "Transformer" in line, r.claim.id
        assert quote is not None and len(quote.group(1)) <= 40, r.claim.id
        assert len(line) > len(quote.group(0)) + 30, f"{r.claim.id}: no judgement"


def test_vague_is_only_editorial(audit_results):
    """No computation returns 'vague': it is a judgement."""
    for r in audit_results.values():
        if r.outcome.verdict == "vague":
            assert r.outcome.basis == "editorial", r.claim.id


def test_holds_searches_ran_enough_examples(audit_results):
    """A computed 'holds' from a Hypothesis search ran >= 100 examples (or the whole space)."""
    n = Budget().min_examples
    for r in audit_results.values():
        o = r.outcome
        if o.basis == "computed" and o.verdict == "holds" and any(
                e.startswith("Hypothesis: no counterexample") for e in o.evidence):
            assert o.examples >= n or any("whole space" in e for e in o.evidence), r.claim.id


def test_refutations_carry_counterexamples(audit_results):
    """Every computed false / conditional / code-defect verdict names its witness."""
    missing = [i for i, r in audit_results.items()
               if r.outcome.basis == "computed"
               and r.outcome.verdict in ("false", "conditional", "code-defect")
               and not r.outcome.counterexample]
    assert not missing, missing


def test_every_recorded_counterexample_is_rechecked(audit_results):
    """The normal run re-checks every recorded counterexample (none stale, none missing)."""
    found, used = search_log()
    assert set(RECORDED) == used, ("stale or missing records; run `mlmath audit --refresh`",
                                   sorted(set(RECORDED) ^ used))
    assert set(found) == used


def test_recorded_file_is_what_the_writer_produces():
    """_recorded.py is generated: its text is the writer's rendering of its own records."""
    from mlmath.audit._recorded import PRODUCED_WITH
    from mlmath.audit._recorded_io import render_recorded

    path = ROOT / "mlmath" / "audit" / "_recorded.py"
    assert render_recorded(RECORDED, PRODUCED_WITH) == path.read_text(encoding="utf-8")


def test_docs_name_the_versions_that_produced_the_records():
    """docs/audit.md states the Hypothesis and SymPy versions recorded in _recorded.py."""
    from mlmath.audit._recorded import PRODUCED_WITH

    page = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    assert (f"Hypothesis {PRODUCED_WITH['hypothesis']} and SymPy {PRODUCED_WITH['sympy']}"
            in page.replace("\n", " "))


# --------------------------------------------------------------------------- independent re-checks
# Each recorded witness is taken from the audit's result and re-evaluated with SymPy.


def _h(p: Any) -> Any:
    return -sum(sp.Rational(a) * sp.log(sp.Rational(a)) for a in p if a)


def _ce(p: Any, q: Any) -> Any:
    return -sum(sp.Rational(a) * sp.log(sp.Rational(b)) if b else -sp.oo
                for a, b in zip(p, q, strict=True) if a)


def _sym_attention(x: Any, wq: Any, wk: Any, wv: Any) -> sp.Matrix:
    xm = sp.Matrix(x)
    q, k, v = xm * sp.Matrix(wq), xm * sp.Matrix(wk), xm * sp.Matrix(wv)
    s = q * k.T / sp.sqrt(q.shape[1])
    rows = []
    for i in range(s.rows):
        e = [sp.exp(s[i, j]) for j in range(s.cols)]
        rows.append([t / sum(e) for t in e])
    return sp.Matrix(rows) * v, sp.Matrix(rows), v


def _nonzero(expr: Any) -> bool:
    return abs(sp.N(expr, 60)) > sp.Float(10) ** -40


def _eye(d: int) -> list[list[int]]:
    return [[int(i == j) for j in range(d)] for i in range(d)]


def _not_zero_ce(p: Any) -> bool:
    return _nonzero(_ce(p, p))


def _high_weight_gap(ex: Any) -> bool:
    out, a, v = _sym_attention(*ex)
    L = a.rows
    for i in range(L):
        keep = [j for j in range(L) if j == i or sp.N(a[i, j] * L, 60) >= 1]
        for c in range(v.cols):
            if _nonzero(out[i, c] - sum(a[i, j] * v[j, c] for j in keep)):
                return True
    return False


def _product_net_nonconvex(ex: Any) -> bool:
    """L(a, b) = log(1 + exp(-a b)) (logistic loss of logit a·b): midpoint above the chord."""
    (a1, b1), (a2, b2) = ex

    def loss(a: Any, b: Any) -> Any:
        return sp.log(1 + sp.exp(-a * b))

    mid = loss(sp.Rational(a1 + a2, 2), sp.Rational(b1 + b2, 2))
    return bool(sp.N(mid - (loss(a1, b1) + loss(a2, b2)) / 2, 60) > 0)


def _categorical_gradient_zero(ex: Any) -> bool:
    """For L = -Σ y log ŷ and y_c = 0: ∂L/∂ŷ_c = 0, not the rule's 1/(1 - ŷ_c)."""
    form, y, yhat, c = ex
    v = sp.symbols(f"v0:{len(y)}", positive=True)
    loss = -sum(sp.Rational(a) * sp.log(b) for a, b in zip(y, v, strict=True))
    grad = sp.diff(loss, v[c]).subs({b: sp.Rational(x) for b, x in zip(v, yhat, strict=True)})
    return form == "categorical" and y[c] == 0 and grad != 1 / (1 - sp.Rational(yhat[c]))


def _conditional_ce_differs(ex: Any) -> bool:
    p, qs, r = ex
    mix = [sum(sp.Rational(r[j]) * sp.Rational(qs[j][i]) for j in range(len(r)))
           for i in range(len(p))]
    lhs = sum(sp.Rational(r[j]) * _ce(p, qs[j]) for j in range(len(r)))
    return _nonzero(lhs - _ce(p, mix))


INDEPENDENT: dict[str, Any] = {
    "CE-3.2-convex-parameters": _product_net_nonconvex,
    "CE-6.1-optimisation": _product_net_nonconvex,
    "CE-3.2-G2": _categorical_gradient_zero,
    "CE-2.2-P4": _conditional_ce_differs,
    "CE-3.1-log-loss": lambda ex: _nonzero(
        -sum(sp.Rational(a) * sp.log(sp.Rational(b)) + (1 - sp.Rational(a))
             * sp.log(1 - sp.Rational(b)) for a, b in zip(*ex, strict=True)) - _ce(*ex)),
    "CE-3.1-notation": lambda ex: _h(ex[0]) == 0 and _nonzero(_ce(*ex)),
    "CE-1.1-discrepancy": _not_zero_ce,
    "CE-2.2-P1": _not_zero_ce,
    "CE-1.1-real-valued": lambda pq: _ce(*pq) == sp.oo,
    "CE-2.1-entropy-definition": lambda p: (sp.Integer(0) * sp.log(sp.Integer(0))) is sp.nan
    and any(a == 0 for a in p),
    "CE-2.2-P3": lambda pq: _nonzero(_ce(*pq) - _h(pq[0]) - _h(pq[1])),
    "CE-2.2-definition": lambda pq: _nonzero(_ce(*pq) - (_ce(*pq) - _h(pq[0]))),
    "SA-3-1-similarity": lambda ex: (lambda s: s != s.T)(
        sp.Matrix(ex[0]) * sp.Matrix(ex[1]) * (sp.Matrix(ex[0]) * sp.Matrix(ex[2])).T),
    "SA-implied-linearity": lambda x: _nonzero(
        (_sym_attention([[2 * v for v in r] for r in x], *[_eye(len(x[0]))] * 3)[0]
         - 2 * _sym_attention(x, *[_eye(len(x[0]))] * 3)[0]).norm()),
    "SA-3-3-linear-layer": lambda ex: _nonzero((
        _sym_attention([[sp.Rational(a + b, 2) for a, b in zip(r1, r2, strict=True)]
                        for r1, r2 in zip(*ex, strict=True)], *[_eye(len(ex[0][0]))] * 3)[0]
        - (_sym_attention(ex[0], *[_eye(len(ex[0][0]))] * 3)[0]
           + _sym_attention(ex[1], *[_eye(len(ex[0][0]))] * 3)[0]) / 2).norm()),
    "SA-3-3-weighted-sum": _high_weight_gap,
    "CE-2.1-P2": lambda k: sp.log(sp.Rational(k)) < 0,
    "REG-3-generalisation": lambda ex: (lambda xs, w, xt, lam: (
        xt * sp.Rational(sum(a * a * w for a in xs), sum(a * a for a in xs) + lam)
        - xt * w) ** 2 > 0)(*ex),
}


#: Refutations whose witness is not re-evaluated here, and why.
NOT_REEVALUATED: dict[str, str] = {
    "CE-3.2-minimum-logits": "the witness is a target; the argument is an infimum over all z",
    "SA-3-structure": "the witness shows order awareness WITH positions (the condition)",
}


def test_every_refutation_witness_is_reevaluated(audit_results):
    """Each computed false/conditional verdict with a search witness is re-evaluated below."""
    with_witness = {i for i, r in audit_results.items()
                    if r.outcome.basis == "computed" and r.outcome.witness is not None
                    and r.outcome.verdict in ("false", "conditional")}
    assert with_witness - set(INDEPENDENT) - set(NOT_REEVALUATED) == set()


@pytest.mark.parametrize("claim_id", sorted(INDEPENDENT))
def test_witness_violates_statement_independently(audit_results, claim_id):
    """The audit's witness, re-evaluated with SymPy (not the audit's code), refutes the claim."""
    w = audit_results[claim_id].outcome.witness
    assert w is not None, f"{claim_id}: no witness recorded"
    assert INDEPENDENT[claim_id](w), f"{claim_id}: witness {w!r} does not violate the statement"


# --------------------------------------------------------------------------- meta-tests


#: Smaller searches for the meta-tests (the perturbed statements fail or survive quickly).
META_BUDGET = Budget(max_examples=40, min_examples=40)


@pytest.mark.parametrize("claim_id", [i for i in IDS if i not in _editorial_ids()])
def test_check_can_come_out_otherwise(audit_results, claim_id):
    """Meta-test: the same check fed a perturbed statement gives another verdict.

    ``negate`` negates the statement's predicate; ``restrict`` limits the domain to
    the draws where it holds (so a false statement must then survive).  Editorial
    entries are skipped: no computation decides them (that is their basis).
    """
    r = audit_results[claim_id]
    if r.outcome.basis == "editorial":
        pytest.skip("editorial verdict: no check to perturb")
    seen = {}
    for mode in PERTURBATIONS:
        with perturbed(mode), checking(claim_id):
            seen[mode] = r.claim.check(META_BUDGET).verdict
        if seen[mode] != r.outcome.verdict:
            return
    raise AssertionError(f"{claim_id}: every perturbation gives {r.outcome.verdict!r} again "
                         f"({seen}): the check ignores its statement")


# --------------------------------------------------------------------------- reports


def test_json_records_have_the_required_fields(audit_results):
    """Every JSON record has verdict, basis, reading, evidence and counterexample."""
    records = json.loads(render(list(audit_results.values()), "json"))
    for rec in records:
        assert {"verdict", "basis", "reading", "evidence", "counterexample"} <= set(rec)
        assert rec["basis"] in BASES and rec["verdict"] in VERDICTS
    assert to_records(list(audit_results.values()))[0]["id"] == IDS[0]


def test_claims_md_regenerates_byte_identically(audit_results):
    """CLAIMS.md = the Markdown report, regenerated twice (here and by the CLI)."""
    committed = (ROOT / "CLAIMS.md").read_bytes()
    fresh = render(list(audit_results.values()), "markdown").encode("utf-8")
    assert fresh == committed, "CLAIMS.md drifted; run `mlmath audit --write CLAIMS.md`"
    proc = subprocess.run([sys.executable, "-m", "mlmath", "audit", "--check", "CLAIMS.md",
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("doc", ["docs/audit.md", "README.md"])
def test_documented_figures_come_from_the_run(audit_results, doc):
    """The figures blocks of the docs equal those of this run (`mlmath audit --docs FILE`)."""
    from mlmath.audit.report import figures, replace_block

    text = (ROOT / doc).read_text(encoding="utf-8")
    assert replace_block(text, figures(list(audit_results.values()))) == text, (
        f"{doc}: figures drifted; run `mlmath audit --docs {doc}`")


def test_report_prints_no_noise_values():
    """Rounding noise appears only as a bound ("< 1e-12"), never as a tiny value."""
    text = (ROOT / "CLAIMS.md").read_text(encoding="utf-8")
    tiny = re.findall(r"(?<!< )\b\d(?:\.\d+)?e-(?:[1-9]\d)\b", text)
    assert not tiny, tiny


def test_disagreement_is_reported(monkeypatch):
    """Change one expected verdict: the result disagrees and the summary says so."""
    import mlmath.audit._run as run_module
    from mlmath.audit.report import summary_line

    tampered = [dataclasses.replace(c, expected="false") if c.id == "SA-3-2-softmax" else c
                for c in ledger()]
    monkeypatch.setattr(run_module, "ledger", lambda: tampered)
    results = run_audit(ids=["SA-3-2"])
    assert not results[0].agrees and "DISAGREE" in summary_line(results)


def test_docs_example_adds_a_claim(monkeypatch, capsys):
    """The 'Adding a claim' example of docs/audit.md runs and finds its witness."""
    import mlmath.audit._core as core

    monkeypatch.setattr(core, "_LEDGER", dict(core._LEDGER))
    monkeypatch.setattr(core, "ARTICLES", dict(core.ARTICLES))
    page = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    block = page.split("## Adding a claim")[1].split("```python\n")[1].split("```")[0]
    exec(compile(block, "docs/audit.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "1/2"
    result = run_audit(ids=["SM"])[0]
    assert result.agrees and result.outcome.verdict == "false"


@given(p=mst.rational_distributions(1, 6), m=mst.point_masses())
def test_audit_strategies_draw_exact_distributions(p, m):
    """Rational distributions are exact (entries >= 0 summing to exactly 1); masses one-hot."""
    assert all(isinstance(v, Fraction) and v >= 0 for v in p) and sum(p) == 1
    assert sorted(m)[-1] == 1 and sum(m) == 1


# --------------------------------------------------------------------------- import graph


def _audit_modules() -> list[str]:
    base = ROOT / "mlmath" / "audit"
    return sorted("mlmath." + ".".join(p.relative_to(base.parent).with_suffix("").parts)
                  .replace(".__init__", "") for p in base.rglob("*.py"))


@pytest.mark.parametrize("module", _audit_modules())
def test_each_audit_module_imports_alone(module):
    """Each module imports in a fresh interpreter on its own (an import cycle would break)."""
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_audit_import_graph_is_acyclic():
    """Module-level imports among the audit's modules form no cycle (one-way dependencies)."""
    mods = set(_audit_modules())
    graph: dict[str, set[str]] = {}
    for m in mods:
        path = ROOT / (m.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / m.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = set()
        for node in tree.body:  # module level only: lazy imports inside functions are fine
            if isinstance(node, ast.ImportFrom) and node.module in mods:
                deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in mods}
        graph[m] = deps - {m, "mlmath.audit"}
    seen: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        if seen.get(n) == 1:
            raise AssertionError("import cycle: " + " -> ".join([*stack, n]))
        if seen.get(n) == 2:
            return
        seen[n] = 1
        for d in sorted(graph[n]):
            visit(d, [*stack, n])
        seen[n] = 2

    for m in sorted(graph):
        visit(m, [])
    assert "mlmath.audit._registry" not in graph["mlmath.audit._core"]


# --------------------------------------------------------------------------- listing mutants
# A corrected twin must make each listing check report no defect (the check can fail).


def _correct_ce(y_true: Any, y_pred: Any) -> float:
    """Cross-entropy that a correct listing would compute: class indices or one-hot rows,
    0 log 0 = 0, the mean over a batch, the binary form for 1-D labels in {0, 1} with
    probabilities of the positive class, and an error for predictions off the simplex."""
    import numpy as np

    y, p = np.asarray(y_true, float), np.asarray(y_pred, float)
    if p.ndim == 2:
        return float(np.mean([_correct_ce(a, b) for a, b in zip(y, p, strict=True)]))
    if y.shape != p.shape:  # class indices
        return float(-np.log(p[int(y[0])]))
    if y.size == 1 or not np.isclose(y.sum(), 1) or not np.isclose(p.sum(), 1):
        if not np.isclose(y.sum(), 1) or y.size == 1:  # binary labels
            with np.errstate(divide="ignore"):
                t = np.where(y > 0, y * np.log(np.where(y > 0, p, 1)), 0)
                f = np.where(y < 1, (1 - y) * np.log(np.where(y < 1, 1 - p, 1)), 0)
            return float(-np.sum(t + f))
        raise ValueError("y_pred is not a distribution")
    with np.errstate(divide="ignore"):
        return float(-np.sum(np.where(y > 0, y * np.log(np.where(y > 0, p, 1)), 0)))


LISTING_MUTANTS: dict[str, tuple[str, str, Any]] = {
    "CE-4.1-zero-probability": ("cross_entropy", "_listing_ce", _correct_ce),
    "CE-4.1-batch-sum": ("cross_entropy", "_listing_ce", _correct_ce),
    "CE-4.1-labels": ("cross_entropy", "_listing_ce", _correct_ce),
    "CE-4.1-binary-use": ("cross_entropy", "_listing_ce", lambda y, p: _binary_ce(y, p)),
    "SA-5-listing-runs": ("self_attention", "SA_LISTING_IMPORTS",
                          (("torch", "torch"), ("torch.nn", "nn"), ("numpy", "np"))),
    "SA-5-listing-softmax-axis": ("self_attention", "LISTING_SOFTMAX_AXIS", -1),
    # pixel-like data in (0, 1): nothing outside the sigmoid's range, no floor above 0
    "SSL-5-listing-data": ("self_supervised", "_listing_data", lambda: _pixels()),
    "SSL-5-listing-sigmoid-floor": ("self_supervised", "_listing_data", lambda: _pixels()),
}


def _binary_ce(y_true: Any, y_pred: Any) -> float:
    """The binary cross-entropy a correct binary listing would compute (0 log 0 = 0)."""
    import math

    def xlog(a: float, b: float) -> float:
        return 0.0 if a == 0 else (a * math.log(b) if b > 0 else -math.inf)

    return -sum(xlog(y, p) + xlog(1 - y, 1 - p) for y, p in zip(y_true, y_pred, strict=True))


def _pixels() -> Any:
    import numpy as np

    return np.random.default_rng(0).uniform(0.05, 0.95, (3, 784))


@pytest.mark.parametrize("claim_id", sorted(LISTING_MUTANTS))
def test_listing_check_passes_a_corrected_twin(audit_results, monkeypatch, claim_id):
    """Replace the twin's defect by the correct behaviour: the check reports no defect."""
    import importlib

    module, name, value = LISTING_MUTANTS[claim_id]
    mod = importlib.import_module(f"mlmath.audit.claims.{module}")
    monkeypatch.setattr(mod, name, value)
    if name == "SA_LISTING_IMPORTS":  # the default argument was bound at definition
        monkeypatch.setattr(mod, "listing_namespace", lambda imports=value: {n for _, n in imports})
    with checking(claim_id):
        out = audit_results[claim_id].claim.check(Budget())
    assert audit_results[claim_id].outcome.verdict == "code-defect"
    assert out.verdict == "holds", out.evidence


# --------------------------------------------------------------------------- the sigmoid floor


class TestSigmoidFloor:
    """The lowest MSE a sigmoid-output decoder can reach (SSL-5): formula and its tests."""

    def test_closed_form_matches_integral(self):
        """E dist(X, [0,1])² for X ~ N(0,1) = 1/2 + 2(1 - Φ(1)) - φ(1), by quadrature."""
        import mpmath

        from mlmath.audit.claims.self_supervised import expected_sigmoid_floor_standard_normal

        with mpmath.workdps(30):
            integral = mpmath.quad(lambda x: x**2 * mpmath.npdf(x), [-mpmath.inf, 0]) + \
                mpmath.quad(lambda x: (x - 1) ** 2 * mpmath.npdf(x), [1, mpmath.inf])
            assert abs(integral - expected_sigmoid_floor_standard_normal()) < 1e-25

    def test_trained_free_logits_approach_but_never_beat_floor(self):
        """Gradient descent on free logits (the most flexible sigmoid decoder) stays above."""
        import numpy as np

        from mlmath.audit.claims.self_supervised import sigmoid_mse_floor

        x = np.random.default_rng(3).standard_normal((3, 16))
        floor = sigmoid_mse_floor(x)
        z = np.zeros_like(x)
        for _ in range(3000):
            s = 1 / (1 + np.exp(-z))
            z -= 50.0 * 2 * (s - x) * s * (1 - s) / x.size
        loss = float(np.mean((1 / (1 + np.exp(-z)) - x) ** 2))
        assert floor <= loss < floor + 2e-2

    def test_numpy_twin_stays_above_the_floor(self):
        """The listing's NumPy twin: the loss decreases and never goes below the floor."""
        from mlmath.audit.claims.self_supervised import (
            _listing_data,
            autoencoder_twin,
            sigmoid_mse_floor,
        )

        x = _listing_data()
        losses = autoencoder_twin(x, epochs=30)
        assert losses[-1] < losses[0] and min(losses) > sigmoid_mse_floor(x)


# --------------------------------------------------------------------------- the verdict rules


class TestEvidenceRules:
    """The verdict rules themselves can fail: toy statements with known answers."""

    @staticmethod
    def _ints():
        from hypothesis import strategies as st

        return st.integers(-20, 20)

    def test_false_statement_gives_shrunk_counterexample(self):
        from mlmath.audit import forall

        out = forall(Budget(), strategy=self._ints(), holds=lambda n: n * n < 50,
                     exact=lambda n: n * n < 50, show=str)
        assert out.verdict == "false" and out.counterexample in {"8", "-8"}

    def test_condition_turns_false_into_conditional(self):
        from hypothesis import strategies as st

        from mlmath.audit import Condition, forall

        out = forall(Budget(), strategy=self._ints(), holds=lambda n: abs(n) == n,
                     exact=lambda n: abs(n) == n, show=str,
                     condition=Condition("n >= 0", st.integers(0, 20)))
        assert out.verdict == "conditional" and out.counterexample == "-1"

    def test_true_statement_holds_after_enough_examples(self):
        from mlmath.audit import forall

        out = forall(Budget(), strategy=st_integers(), holds=lambda n: n * n >= 0,
                     exact=lambda n: n * n >= 0, show=str)
        assert out.verdict == "holds" and out.examples >= Budget().min_examples

    def test_unconfirmed_float_counterexample_is_an_error(self):
        """A float artefact the exact re-check rejects must not become a verdict."""
        from mlmath.audit import forall
        from mlmath.audit._evidence import AuditError

        with pytest.raises(AuditError):
            forall(Budget(), strategy=self._ints(), holds=lambda n: n < 3,
                   exact=lambda n: True, show=str)

    def test_needs_condition_accepts_computed_outcomes_only(self):
        from mlmath.audit import Outcome, editorial, needs_condition
        from mlmath.audit._evidence import AuditError

        yes, no = Outcome("holds", "y"), Outcome("false", "n", counterexample="c")
        assert needs_condition(no, yes, condition="c", reason="r").verdict == "conditional"
        assert needs_condition(yes, yes, condition="c", reason="r").verdict == "holds"
        with pytest.raises(AuditError):
            needs_condition(no, editorial("holds", quote="引用", judgement="j" * 40),
                            condition="c", reason="r")

    def test_editorial_needs_a_quote_and_a_judgement(self):
        from mlmath.audit import editorial
        from mlmath.audit._evidence import AuditError

        with pytest.raises(AuditError):
            editorial("vague", quote="", judgement="nothing to compute")


def st_integers():
    from hypothesis import strategies as st

    return st.integers(-(10**6), 10**6)


def test_ridge_experiment_is_u_shaped():
    """Test MSE falls from λ = 0 to an interior best λ and rises again for large λ (REG-3)."""
    import numpy as np

    from mlmath.audit.claims.regularisation import LAMBDAS, ridge_experiment

    rows = ridge_experiment()
    test = [te for _, _, te in rows]
    best = int(np.argmin(test))
    assert 0 < best < len(LAMBDAS) - 1
    assert test[-1] > test[0] > test[best]
    assert rows == ridge_experiment()  # deterministic
