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

from mlmath.audit._core import ARTICLES, VERDICTS, Article, Claim, Outcome, claim, ledger
from mlmath.audit._run import AuditResult, run_audit

__all__ = [
    "ARTICLES",
    "VERDICTS",
    "Article",
    "AuditResult",
    "Claim",
    "Outcome",
    "claim",
    "ledger",
    "run_audit",
]
