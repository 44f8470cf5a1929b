"""Claims audit of the source articles: a ledger of claims with computed verdicts.

>>> from mlmath.audit import VERDICTS
>>> VERDICTS[:3]
('holds', 'false', 'conditional')

``run_audit()`` checks every claim of the ledger (Hypothesis searches, SymPy
proofs, exact re-checks, re-implemented code listings) and returns one
:class:`AuditResult` per claim; ``mlmath audit`` prints them as a table.
Hypothesis is needed at run time (``pip install mlmath[test]``), not at import.
"""

from __future__ import annotations

from mlmath.audit._core import (
    ARTICLES,
    VERDICTS,
    Article,
    Claim,
    Outcome,
    add_article,
    claim,
    ledger,
)
from mlmath.audit._evidence import (
    Budget,
    Case,
    Condition,
    Proof,
    by_setting,
    code_listing,
    established,
    exists,
    facts,
    forall,
    ill_posed,
    refuted_by,
    vague,
)
from mlmath.audit._run import AuditResult, run_audit

__all__ = [
    "ARTICLES",
    "VERDICTS",
    "Article",
    "AuditResult",
    "Budget",
    "Case",
    "Claim",
    "Condition",
    "Outcome",
    "Proof",
    "add_article",
    "by_setting",
    "claim",
    "code_listing",
    "established",
    "exists",
    "facts",
    "forall",
    "ill_posed",
    "ledger",
    "refuted_by",
    "run_audit",
    "vague",
]
