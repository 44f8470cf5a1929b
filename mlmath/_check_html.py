"""The ``--html`` page of ``mlmath check``: one self-contained file.

A summary table, then per function: its properties (statement, outcome,
counterexample), the accuracy tiers with a plot of the error in eps against
the input magnitude (inline SVG, drawn with matplotlib -- the ``report``
extra), the bad-input matrix and the gradient check.  Without matplotlib the
page has the tables only and says so.
"""

from __future__ import annotations

import html
import importlib.util
import io
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlmath._check import FunctionReport, Report

__all__ = ["has_matplotlib", "render_html"]

#: Errors below this are drawn at it (a log axis has no 0).
PLOT_FLOOR_EPS = 0.1
#: Infinite errors (NaN or a raised exception) are drawn at this height.
PLOT_CEILING_EPS = 1e17

_STYLE = """body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;
text-align:left;vertical-align:top}th{background:#eee}.failed{background:#fdd}
.skipped{color:#777}pre{white-space:pre-wrap;margin:0;font-size:.85em}
.finding{background:#ffd}"""


def has_matplotlib() -> bool:
    """Whether the plots can be drawn (``pip install "mlmath[report]"``)."""
    return importlib.util.find_spec("matplotlib") is not None


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return "\n".join(out) + "</table>"


def _plot(fn: FunctionReport) -> str:
    """Inline SVG of the error in eps against the magnitude of the input."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert fn.accuracy is not None
    mags = [max(m, 1e-320) for m, _ in fn.accuracy.errors]
    errs = [PLOT_CEILING_EPS if math.isinf(e) else max(e, PLOT_FLOOR_EPS)
            for _, e in fn.accuracy.errors]
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.loglog(mags, errs, "o-", markersize=3)
    ax.set_xlabel(fn.accuracy.magnitude)
    ax.set_ylabel("error (eps)")
    ax.set_title(f"{fn.name}: error vs input magnitude (float64)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    return f'<figure class="plot" id="plot-{fn.name}">{svg[svg.index("<svg"):]}</figure>'


def _function_section(fn: FunctionReport, plots: bool) -> str:
    from mlmath._check import _eps

    parts = [f'<h2 id="{fn.name}">{_e(fn.name)} — {_e(fn.verdict)}</h2>']
    if fn.properties:
        rows, classes = [], []
        for p in fn.properties:
            detail = p.detail.splitlines()[0] if p.detail else ""
            body = "\n".join(x for x in (detail, p.counterexample) if x)
            rows.append([_e(p.test), _e(p.statement), _e(p.outcome),
                         f"<pre>{_e(body)}</pre>"])
            classes.append(p.outcome if p.outcome != "passed" else "")
        parts += ["<h3>Properties</h3>",
                  _table(["test", "property", "outcome", "message / counterexample"], rows,
                         classes)]
    if fn.accuracy is not None:
        rows = [[_e(t.label), str(t.points), _e(_eps(t.worst_eps)), f"{t.worst_at:.3g}"]
                for t in fn.accuracy.tiers]
        parts += [f"<h3>Accuracy (float64, against mpmath at 50 digits; magnitude: "
                  f"{_e(fn.accuracy.magnitude)})</h3>",
                  _table(["magnitude tier", "points", "worst error (eps)", "at"], rows)]
        if plots:
            parts.append(_plot(fn))
    if fn.bad_input:
        rows = [[f"<code>{_e(c.argument)}</code>", _e(c.case), _e(c.outcome),
                 f"<pre>{_e(c.detail)}</pre>"] for c in fn.bad_input]
        classes = ["finding" if c.outcome.startswith("silent") else "" for c in fn.bad_input]
        parts += ["<h3>Bad input</h3>",
                  _table(["argument", "case", "outcome", "message"], rows, classes)]
    if fn.gradient is not None:
        parts += ["<h3>Gradient (automatic, against mlmath's analytic gradient)</h3>",
                  f"<p>{fn.gradient.points} outputs compared; worst "
                  f"{_e(_eps(fn.gradient.worst_eps))} eps (normwise)</p>"]
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """The whole page (a string; no external resources)."""
    from mlmath._check import _HEAD, _LEGEND, _summary_rows

    plots = has_matplotlib()
    versions = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    title = f"mlmath check {report.target}"
    rows = [[f'<a href="#{r[0]}">{_e(r[0])}</a>', *map(_e, r[1:])]
            for r in _summary_rows(report)]
    note = ("" if plots else
            "<p><strong>matplotlib is not installed: this page has tables only, no plots "
            "(<code>pip install \"mlmath[report]\"</code>).</strong></p>")
    missing = ", ".join(f.name for f in report.functions if not f.provided) or "none"
    body = [f"<h1>{_e(title)}</h1>", f"<p>profile {_e(report.profile)}; {_e(versions)}</p>",
            note, _table(_HEAD, rows), f"<p>{_e(_LEGEND)}</p>",
            f"<p>not provided: {_e(missing)}</p>"]
    body += [_function_section(f, plots) for f in report.provided]
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")
