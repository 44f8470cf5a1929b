"""Run the ledger: check every claim and compare the computed verdict with the expected one."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mlmath.audit._core import Claim, Outcome
from mlmath.audit._registry import ledger

__all__ = ["AuditResult", "UnknownClaimError", "run_audit", "select"]


@dataclass(frozen=True)
class AuditResult:
    """A claim, what its check found, and whether that matches the ledger."""

    claim: Claim
    outcome: Outcome
    #: With ``--articles``: did the printed listing behave like the ledger's twin?
    differential: bool | None = None

    @property
    def agrees(self) -> bool:
        """The computed verdict is the one the ledger expects (and no twin disagrees)."""
        return self.outcome.verdict == self.claim.expected and self.differential is not False


class UnknownClaimError(LookupError):
    """A selected id prefix matches no claim; ``suggestions`` holds the closest ids."""

    def __init__(self, prefix: str, suggestions: list[str]) -> None:
        self.prefix = prefix
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no claim id starts with {prefix!r}{hint}")


def select(ids: Iterable[str] | None) -> list[Claim]:
    """The claims whose id starts with one of ``ids`` (all when None).

    Raises
    ------
    UnknownClaimError
        When a prefix matches no claim (with the closest ids, by difflib).
    """
    import difflib

    claims = ledger()
    if ids is None:
        return claims
    wanted = tuple(ids)
    names = [c.id for c in claims]
    for prefix in wanted:
        if not any(n.startswith(prefix) for n in names):
            raise UnknownClaimError(prefix, difflib.get_close_matches(prefix, names, n=3))
    return [c for c in claims if c.id.startswith(wanted)]


def run_audit(
    *,
    budget: str = "ci",
    ids: Iterable[str] | None = None,
    refresh: bool = False,
    articles: Path | str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[AuditResult]:
    """Check the claims (all, or those whose id starts with one of ``ids``).

    Parameters
    ----------
    budget : {"ci", "thorough"}
        ``ci`` is derandomised, 100 examples per search, and re-checks recorded
        counterexamples (reproducible, which ``CLAIMS.md`` relies on);
        ``thorough`` searches afresh with 2000 random examples.
    ids : iterable of str, optional
        Id prefixes; an unknown prefix raises :class:`UnknownClaimError`.
    refresh : bool
        Search for counterexamples again instead of re-checking the recorded ones.
    articles : path, optional
        A copy of the articles: their listings run as printed (sandboxed) and are
        compared with the ledger's twins; the evidence joins the listing claims.
    progress : callable, optional
        Called as ``progress(done, total, label)`` before each claim (label: its id)
        and, with ``articles``, once more before the listings run (label ``"listings"``).

    Returns
    -------
    list of AuditResult
    """
    from mlmath.audit._evidence import Budget, checking

    b = Budget.named(budget, refresh=refresh)
    chosen = select(ids)
    results = []
    for i, entry in enumerate(chosen):
        if progress is not None:
            progress(i, len(chosen), entry.id)
        with warnings.catch_warnings(), checking(entry.id):
            warnings.simplefilter("ignore", RuntimeWarning)  # listings that produce nan/inf
            results.append(AuditResult(entry, entry.check(b)))
    if articles is not None:
        from mlmath.audit._listings import run_listings

        if progress is not None:
            progress(len(chosen), len(chosen), "listings")
        report = run_listings(Path(articles))
        results = [
            AuditResult(
                r.claim,
                replace(
                    r.outcome,
                    evidence=(
                        *r.outcome.evidence,
                        *(f"listing run: {e}" for e in report.evidence[r.claim.id]),
                    ),
                ),
                report.agree.get(r.claim.id),
            )
            if r.claim.id in report.evidence
            else r
            for r in results
        ]
    return results
