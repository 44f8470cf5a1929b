"""The README's excerpts of ``mlmath check`` reports: generated, and drift-checked.

``python -m mlmath._check_readme`` rewrites each block between
``<!-- check-excerpt:TARGET ... -->`` and ``<!-- /check-excerpt:TARGET -->``
of ``README.md`` with the summary and the violations of a real run (ci
profile, derandomised: no timing, no paths, so the text depends only on the
versions it names); ``--check`` exits 1 when a block differs from a fresh run.
``tests/test_check.py`` runs the same comparison, skipping a target whose
library is absent or at another version than the block records.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlmath._check import Report

__all__ = ["EXCERPTS", "block_pattern", "excerpt", "excerpt_report", "main", "recorded_versions",
           "render"]

#: target -> (mlmath names, property modules) shown in the README.
EXCERPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scipy": (("js_divergence", "kl_divergence"), ("test_information",)),
    "torch": (("softplus", "binary_cross_entropy", "sigmoid_binary_cross_entropy"),
              ("test_special", "test_losses")),
}
README = Path(__file__).resolve().parent.parent / "README.md"
#: Characters kept of a statement or message line in the excerpt.
WIDTH = 96


def block_pattern(target: str) -> re.Pattern[str]:
    """The generated block of ``target`` (markers included)."""
    return re.compile(rf"(<!-- check-excerpt:{target} [^\n]*-->\n)(.*?)"
                      rf"(<!-- /check-excerpt:{target} -->)", re.DOTALL)


def _cut(text: str) -> str:
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def excerpt_report(target: str) -> Report:
    """The (restricted) report the excerpt of ``target`` shows."""
    from mlmath._check import build_report, run_properties
    from mlmath.adapters import load

    names, modules = EXCERPTS[target]
    records = run_properties(target, profile="ci", only=names, modules=modules)
    return build_report(target, load(target), records, profile="ci", only=names)


def excerpt(target: str, report: Report | None = None) -> str:
    """The excerpt of ``target``'s report: command, versions, table and violations."""
    from mlmath._check import _summary_rows, _table

    names, modules = EXCERPTS[target]
    report = excerpt_report(target) if report is None else report
    versions = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    command = (f"$ mlmath check {target} --only {','.join(names)} "
               f"--modules {','.join(modules)}")
    lines = ["```text", f"{command}   # {versions}",
             _table(_summary_rows(report), markdown=False)]
    lines += [_cut(f"[{name}] {p.test.split('::')[-1]}: {p.statement}")
              for name, p in report.violations]
    lines.append("```")
    return "\n".join(lines) + "\n"


def recorded_versions(text: str, target: str) -> str | None:
    """The versions line of ``target``'s block in ``text`` (None without a block)."""
    match = block_pattern(target).search(text)
    if match is None:
        return None
    found = re.search(r"^\$ mlmath check .*   # (.*)$", match.group(2), re.MULTILINE)
    return None if found is None else found.group(1)


def render(text: str, targets: Sequence[str] | None = None) -> str:
    """``text`` with the blocks of ``targets`` (default: every excerpt) regenerated."""
    for target in targets if targets is not None else EXCERPTS:
        pattern = block_pattern(target)
        if pattern.search(text) is None:
            raise ValueError(f"`text`: no <!-- check-excerpt:{target} --> block")
        body = excerpt(target)

        def fill(m: re.Match[str], body: str = body) -> str:
            return m.group(1) + body + m.group(3)

        text = pattern.sub(fill, text)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlmath._check_readme",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README drifted")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    old = args.readme.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            print(f"{args.readme}: check excerpts drifted; run python -m mlmath._check_readme")
            return 1
        return 0
    args.readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
