"""Render audit results as text, Markdown (``CLAIMS.md``) or JSON — deterministically.

:func:`render` is a pure function of the results: no timings, no version
strings, rounding noise printed as bounds, claims sorted by article and id, so
regenerating ``CLAIMS.md`` reproduces it byte for byte on any machine.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Sequence
from typing import Any

from mlmath.audit._core import ARTICLES, BASES, VERDICTS
from mlmath.audit._run import AuditResult

__all__ = [
    "BEGIN",
    "END",
    "FORMATS",
    "REGENERATE",
    "counts",
    "figures",
    "render",
    "replace_block",
    "summary_line",
    "to_records",
]

FORMATS = ("text", "markdown", "json")

#: The command that regenerates CLAIMS.md (named in its header).
REGENERATE = "mlmath audit --format markdown --write CLAIMS.md"


def _verdict_cell(r: AuditResult) -> str:
    v = r.outcome.verdict
    if v != r.claim.expected:
        return f"{v} (MISMATCH: ledger expects {r.claim.expected})"
    return v if r.differential is not False else f"{v} (LISTING DIFFERS FROM ITS TWIN)"


def to_records(results: Sequence[AuditResult]) -> list[dict[str, Any]]:
    """Plain dictionaries (the JSON format), one per claim.

    Every record has ``verdict``, ``basis`` (``computed`` | ``editorial``),
    ``reading`` (the literal formal reading the verdict is about), ``evidence``
    and ``counterexample``, plus the claim's fields and further ``readings``.
    """
    return [
        {
            "id": r.claim.id,
            "article": r.claim.article,
            "section": r.claim.section,
            "paraphrase": r.claim.paraphrase,
            "reading": r.claim.formal,
            "verdict": r.outcome.verdict,
            "basis": r.outcome.basis,
            "expected": r.claim.expected,
            "agrees": r.agrees,
            "differential": r.differential,
            "reason": r.outcome.reason,
            "counterexample": r.outcome.counterexample,
            "evidence": list(r.outcome.evidence),
            "examples": r.outcome.examples,
            "corrected": r.claim.corrected,
            "readings": [
                {
                    "reading": rd.reading,
                    "verdict": rd.outcome.verdict,
                    "basis": rd.outcome.basis,
                    "reason": rd.outcome.reason,
                    "counterexample": rd.outcome.counterexample,
                }
                for rd in r.outcome.readings
            ],
        }
        for r in results
    ]


def counts(results: Sequence[AuditResult]) -> dict[str, dict[str, int]]:
    """Verdict counts per basis: ``{"computed": {"holds": 9, ...}, "editorial": {...}}``."""
    c = Counter((r.outcome.basis, r.outcome.verdict) for r in results)
    return {b: {v: c[(b, v)] for v in VERDICTS if c[(b, v)]} for b in BASES}


def summary_line(results: Sequence[AuditResult]) -> str:
    """One line: claims, computed and editorial verdicts by kind, agreement with the ledger."""
    by = counts(results)
    parts = []
    for b in BASES:
        total = sum(by[b].values())
        kinds = ", ".join(f"{n} {v}" for v, n in by[b].items())
        parts.append(f"{total} {b}" + (f" ({kinds})" if kinds else ""))
    bad = sum(not r.agrees for r in results)
    return f"{len(results)} claims: {'; '.join(parts)}; " + (
        "all verdicts agree with the ledger"
        if not bad
        else f"{bad} computed verdict(s) DISAGREE with the ledger"
    )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _text(results: Sequence[AuditResult], width: int | None = None) -> str:
    cols = width if width is not None else shutil.get_terminal_size((100, 24)).columns
    idw = max([len(r.claim.id) for r in results] + [2])
    vw = max([len(_verdict_cell(r)) for r in results] + [7])
    head = f"{'id':<{idw}}  {'art':<3}  {'basis':<9}  {'verdict':<{vw}}  reason"
    lines = [_fit(head, cols), _fit("-" * len(head), cols)]
    for r in results:
        row = (
            f"{r.claim.id:<{idw}}  {r.claim.article:<3}  {r.outcome.basis:<9}  "
            f"{_verdict_cell(r):<{vw}}  {r.outcome.reason}"
        )
        lines.append(_fit(row, cols))
        if r.outcome.counterexample:
            lines.append(_fit(f"{'':<{idw}}  counterexample: {r.outcome.counterexample}", cols))
    lines.append(_fit(summary_line(results), cols))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(results: Sequence[AuditResult]) -> str:
    out = [MARKDOWN_HEADER, "", summary_line(results), ""]
    c = Counter((r.claim.article, r.outcome.verdict) for r in results)
    cb = Counter((r.claim.article, r.outcome.basis) for r in results)
    out += [
        "| article | computed | editorial | " + " | ".join(VERDICTS) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in VERDICTS) + " |",
    ]
    for key in ARTICLES:
        if not any(r.claim.article == key for r in results):
            continue
        out.append(
            f"| {key} | {cb[(key, 'computed')]} | {cb[(key, 'editorial')]} | "
            + " | ".join(str(c[(key, v)]) for v in VERDICTS)
            + " |"
        )
    for key, article in ARTICLES.items():
        rows = [r for r in results if r.claim.article == key]
        if not rows:
            continue
        out += [
            "",
            f"## {key}: {article.title}",
            "",
            "| id | section | verdict | basis | reason | counterexample |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        out += [
            f"| {r.claim.id} | {_md(r.claim.section)} | {_md(_verdict_cell(r))} | "
            f"{r.outcome.basis} | {_md(r.outcome.reason)} | {_md(r.outcome.counterexample)} |"
            for r in rows
        ]
    out += ["", "## Details", ""]
    for r in results:
        out += [
            f"### {r.claim.id} — {_verdict_cell(r)} ({r.outcome.basis})",
            "",
            f"- **Article / section:** {r.claim.article}, {r.claim.section}",
            f"- **Claim (paraphrase):** {r.claim.paraphrase}",
            f"- **Literal reading:** {r.claim.formal}",
            f"- **Corrected statement:** {r.claim.corrected}",
        ]
        out += [
            f"- **Further reading:** {rd.reading} → {rd.outcome.verdict}: {rd.outcome.reason}"
            + (
                f" (counterexample: {rd.outcome.counterexample})"
                if rd.outcome.counterexample
                else ""
            )
            for rd in r.outcome.readings
        ]
        out += [f"- Evidence: {e}" for e in r.outcome.evidence]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


#: The top of CLAIMS.md (no versions or dates: the file is byte-reproducible).
MARKDOWN_HEADER = (
    "# Claims audit of the source articles\n\n"
    f"<!-- generated by `{REGENERATE}`; do not edit by hand -->\n\n"
    "Every checkable statement of the four source articles. A *computed* verdict comes "
    "from a check that could have come out otherwise: a Hypothesis search (a `holds` ran at "
    "least the stated number of examples; SymPy proofs where they exist), a counterexample "
    "re-checked exactly (Fractions/SymPy) or at 50 digits, a run of the ledger's "
    "re-implementation of a listing. An *editorial* verdict is a judgement no computation "
    "can make (vague wording, a wrong reference), with the quoted phrase. Each verdict is "
    "that of the literal reading; further readings carry their own verdicts. See "
    "docs/audit.md."
)


def render(results: Sequence[AuditResult], fmt: str, *, width: int | None = None) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`).

    Parameters
    ----------
    results : sequence of AuditResult
    fmt : {"text", "markdown", "json"}
    width : int, optional
        Text format only: the line width (default: the terminal's).
    """
    if fmt == "text":
        return _text(results, width)
    if fmt == "markdown":
        return _markdown(results)
    if fmt == "json":
        return json.dumps(to_records(results), ensure_ascii=False, indent=1) + "\n"
    raise ValueError(f"`fmt`: expected one of {FORMATS}, got {fmt!r}")


#: Markers of the generated figures block in docs/audit.md and README.md.
BEGIN = "<!-- audit-figures: generated by `mlmath audit --docs FILE`; do not edit -->"
END = "<!-- /audit-figures -->"


def figures(results: Sequence[AuditResult]) -> str:
    """The figures block for the documentation (counts by basis and verdict, per article)."""
    by = counts(results)
    n_comp, n_ed = sum(by["computed"].values()), sum(by["editorial"].values())
    kinds = {b: ", ".join(f"{n} {v}" for v, n in by[b].items()) for b in BASES}
    c = Counter((r.claim.article, r.outcome.basis) for r in results)
    per = "; ".join(f"{k} {c[(k, 'computed')]} + {c[(k, 'editorial')]}" for k in ARTICLES
                    if c[(k, "computed")] + c[(k, "editorial")])
    lines = [
        BEGIN,
        f"{len(results)} entries: **{n_comp} computed** ({kinds['computed']}) and "
        f"**{n_ed} editorial** ({kinds['editorial']}); per article, computed + editorial: "
        f"{per}.",
    ]
    return "\n".join([*lines, END])


def replace_block(text: str, block: str) -> str:
    """``text`` with its figures block (between :data:`BEGIN` and :data:`END`) replaced.

    The block keeps the indentation of its first marker (e.g. inside a list item).
    """
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("`text`: no figures block (markers BEGIN ... END) found")
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    if indent.strip():  # the marker does not start its line: no indentation to keep
        indent = ""
    body = block.replace("\n", "\n" + indent)
    return text[:start] + body + text[end + len(END):]
