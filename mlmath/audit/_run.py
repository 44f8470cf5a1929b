"""Run the ledger: check every claim and compare the computed verdict with the expected one."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from mlmath.audit._core import Claim, Outcome, ledger

__all__ = ["AuditResult", "run_audit"]


@dataclass(frozen=True)
class AuditResult:
    """A claim, what its check found, and whether that matches the ledger."""

    claim: Claim
    outcome: Outcome

    @property
    def agrees(self) -> bool:
        return self.outcome.verdict == self.claim.expected


def run_audit(*, budget: str = "ci", ids: Iterable[str] | None = None) -> list[AuditResult]:
    """Check the claims (all, or those whose id starts with one of ``ids``).

    ``budget`` is ``"ci"`` (derandomised, a few hundred examples per search: the
    result is reproducible, which ``CLAIMS.md`` relies on) or ``"thorough"``
    (ten times more examples, random).
    """
    from mlmath.audit._evidence import Budget

    b = Budget.named(budget)
    wanted = tuple(ids) if ids is not None else None
    results = []
    for entry in ledger():
        if wanted is not None and not entry.id.startswith(wanted):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # listings that produce nan/inf
            results.append(AuditResult(entry, entry.check(b)))
    return results
