"""Claims audit of the source articles: a ledger of claims with computed verdicts.

>>> from mlmath.audit import BASES, VERDICTS
>>> VERDICTS[:3], BASES
(('holds', 'false', 'conditional'), ('computed', 'editorial'))

``run_audit()`` checks every claim of the ledger (Hypothesis searches, SymPy
proofs, exact re-checks of recorded counterexamples, re-implemented code
listings) and returns one :class:`AuditResult` per claim; ``mlmath audit``
prints them.  Hypothesis is needed at run time (``pip install "mlmath[audit]"``),
not at import.

Imports are one-way: :mod:`._core` (data model) ← :mod:`._evidence` (verdict
rules) ← ``claims.*`` (one module per article) ← :mod:`._registry` (explicit
loader) ← :mod:`._run` (runner) ← :mod:`.report` / :mod:`.cli`.
"""

from __future__ import annotations

from mlmath.audit._core import (
    ARTICLES,
    BASES,
    VERDICTS,
    Article,
    Claim,
    Outcome,
    Reading,
    add_article,
    claim,
)
from mlmath.audit._evidence import (
    Budget,
    Case,
    Condition,
    Proof,
    code_listing,
    editorial,
    established,
    exists,
    forall,
    needs_condition,
    refuted_by,
    with_readings,
)
from mlmath.audit._registry import ledger
from mlmath.audit._run import AuditResult, UnknownClaimError, run_audit

__all__ = [
    "ARTICLES",
    "BASES",
    "VERDICTS",
    "Article",
    "AuditResult",
    "Budget",
    "Case",
    "Claim",
    "Condition",
    "Outcome",
    "Proof",
    "Reading",
    "UnknownClaimError",
    "add_article",
    "claim",
    "code_listing",
    "editorial",
    "established",
    "exists",
    "forall",
    "ledger",
    "needs_condition",
    "refuted_by",
    "run_audit",
    "with_readings",
]
