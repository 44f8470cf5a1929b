"""The explicit loader that fills the ledger with the claims of the four articles.

The dependency is one-way: claim modules import :mod:`._core` and
:mod:`._evidence`; this module imports the claim modules by name when the
ledger is first asked for, and nothing imports this module but the runner.
"""

from __future__ import annotations

import importlib

from mlmath.audit._core import Claim, registered

__all__ = ["CLAIM_MODULES", "ledger", "load"]

#: The claim modules, one per source article.
CLAIM_MODULES: tuple[str, ...] = (
    "mlmath.audit.claims.cross_entropy",
    "mlmath.audit.claims.self_attention",
    "mlmath.audit.claims.self_supervised",
    "mlmath.audit.claims.regularisation",
)


def load() -> None:
    """Import every claim module (each registers its claims once).

    Raises
    ------
    ModuleNotFoundError
        One line naming the extra to install, when Hypothesis is missing.
    """
    from mlmath._validation import require_optional

    require_optional("hypothesis", "audit", "mlmath.audit")
    for name in CLAIM_MODULES:
        importlib.import_module(name)


def ledger() -> list[Claim]:
    """Every claim: the four articles' and any registered since, in article order."""
    load()
    return registered()
