"""Deterministic rendering and atomic writing of ``derivations/generated/``.

Generation is a pure function (:func:`render_all`: topic derivations ->
``{file name: text}``); writing is the only side effect (:func:`write_all`,
one atomic ``os.replace`` per file).  The drift check renders into a
temporary directory through the *same* writer and compares bytes, so what is
checked is exactly what ``mlmath derive`` would write.

Determinism: topics and derivations are written in a fixed order, argument
symbols in the order the derivation declares them, JSON with sorted keys, and
``srepr``/``latex`` print SymPy's canonical argument order (independent of
hash seeds).  Printing can change between SymPy releases, so each file's
header records the SymPy version that wrote it, and each JSON entry carries a
*fingerprint*: the result evaluated at two fixed rational points to
:data:`FINGERPRINT_DIGITS` digits.  Under another SymPy release the drift check
(:func:`compare_semantically`) compares those values instead of the text, so
a file that differs only in how SymPy printed it is recognised as such without
evaluating any committed text.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sympy as sp

from ._core import Derivation, Nested
from ._paths import GENERATED_DIR, HEADER, TOPICS

__all__ = [
    "GENERATED_DIR",
    "HEADER",
    "TOPICS",
    "committed_sympy_versions",
    "compare_directory",
    "compare_semantically",
    "derive_topic",
    "diff_file",
    "fingerprint",
    "render_all",
    "render_json",
    "render_markdown",
    "write_all",
    "write_atomic",
]

#: LaTeX longer than this is not shown whole in the Markdown pages (it is in the JSON).
MAX_LATEX_CHARS = 2500
#: Significant digits of the fingerprint values (evaluated at 40 digits).
FINGERPRINT_DIGITS = 30
#: Relative agreement two SymPy releases' fingerprints must reach (the values are
#: exact-arithmetic evaluations rounded to 30 digits, so 1e-25 leaves room only for
#: the last digits of different evaluation orders).
FINGERPRINT_RTOL = 1e-25
#: Permissions of written files: rw-r--r-- (what a plain ``open(..., "w")`` gives with umask 022).
_FILE_MODE = 0o644


@functools.cache
def derive_topic(topic: str) -> tuple[Derivation, ...]:
    """Run the derivations of one topic (pure: no file is touched; cached per process)."""
    if topic not in TOPICS:
        raise ValueError(f"`topic`: expected one of {list(TOPICS)}, got {topic!r}")
    module = importlib.import_module(f"mlmath.derivations.{topic}")
    return tuple(module.derivations())


def _names(symbols: Nested) -> Any:
    if isinstance(symbols, sp.Symbol):
        return symbols.name
    return [_names(s) for s in symbols]


def _printed(expr: Any) -> dict[str, str]:
    return {"srepr": sp.srepr(expr), "latex": sp.latex(expr)}


def _fingerprint_point(symbols: Sequence[sp.Symbol], which: int) -> dict[sp.Symbol, sp.Rational]:
    # Distinct rationals in (0, 1): inside every derivation's domain (probabilities,
    # positive steps and thresholds), away from the branch points of the prox operators.
    return {s: sp.Rational(3 + (7 * i + 5 * which) % 13, 17 + which)
            for i, s in enumerate(symbols)}


def fingerprint(d: Derivation) -> list[list[str]]:
    """The result evaluated at two fixed rational points, entries as decimal strings.

    One list of :data:`FINGERPRINT_DIGITS`-digit values per point (a matrix result
    flattened row-major).  These values do not depend on how SymPy prints the
    expression, only on what it is.
    """
    from ._core import flat_symbols

    symbols = [s for _, nested in d.args for s in flat_symbols(nested)]
    entries = list(d.result) if isinstance(d.result, sp.MatrixBase) else [d.result]
    points = []
    for which in (0, 1):
        subs = _fingerprint_point(symbols, which)
        points.append([_decimal(e.xreplace(subs)) for e in entries])
    return points


def _decimal(value: sp.Expr) -> str:
    number = sp.N(value, FINGERPRINT_DIGITS + 10)
    if number.is_real is False or not number.is_number:
        return sp.sstr(number)
    return f"{sp.Float(number, FINGERPRINT_DIGITS + 10):.{FINGERPRINT_DIGITS}e}"


def render_json(topic: str, derivations: Sequence[Derivation]) -> str:
    """The machine-readable file of a topic (``srepr`` strings, LaTeX, fingerprints)."""
    document = {
        "_generated": HEADER,
        "sympy_version": sp.__version__,
        "topic": topic,
        "derivations": [
            {
                "name": d.name,
                "title": d.title,
                "args": [[name, _names(symbols)] for name, symbols in d.args],
                "definition": _printed(d.definition),
                "result": _printed(d.result),
                "checks": list(d.checks),
                "extras": [{"label": label, **_printed(e)} for label, e in d.extras],
                "fingerprint": fingerprint(d),
            }
            for d in derivations
        ],
    }
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _display(expr: Any, topic: str) -> str:
    """LaTeX display block; a long expression is shown with common subexpressions named.

    ``sympy.cse`` (deterministic) names repeated subexpressions ``kappa_i``;
    if even that is too long, the page points to the JSON file.
    """
    text = sp.latex(expr)
    if len(text) <= MAX_LATEX_CHARS:
        return f"$$\n{text}\n$$"
    replacements, (reduced,) = sp.cse(expr, symbols=sp.numbered_symbols("kappa_"),
                                      optimizations="basic")
    where = [f"{sp.latex(name)} &= {sp.latex(value)}" for name, value in replacements]
    block = " \\\\\n".join(where)
    shown = (f"$$\n{sp.latex(reduced)}\n$$\n\nwhere\n\n"
             f"$$\n\\begin{{aligned}}\n{block}\n\\end{{aligned}}\n$$")
    if len(shown) <= 4 * MAX_LATEX_CHARS:
        return shown
    return f"(too long to display: {len(text)} characters of LaTeX; see `{topic}.json`)"


def render_markdown(topic: str, derivations: Sequence[Derivation]) -> str:
    """The human-readable page of a topic: definition, result, checks, supporting forms."""
    module = importlib.import_module(f"mlmath.derivations.{topic}")
    intro = (module.__doc__ or "").strip()
    lines = [f"<!-- {HEADER} (SymPy {sp.__version__}) -->", "",
             f"# Derivations: {topic}", "", intro, ""]
    for d in derivations:
        args = ", ".join(f"`{name}`" for name, _ in d.args)
        lines += [f"## `{d.name}`", "", d.title, "", f"Arguments (lambdify order): {args}.", "",
                  "**Definition**", "", _display(d.definition, topic), "",
                  "**Derived by SymPy from the definition**", "", _display(d.result, topic), ""]
        if d.checks:
            lines += ["**Verified symbolically**", ""]
            lines += [f"- {check}" for check in d.checks]
            lines.append("")
        for label, expr in d.extras:
            lines += [f"**{label}**", "", _display(expr, topic), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_all(topics: tuple[str, ...] = TOPICS,
               progress: Callable[[str, int, int], None] | None = None) -> dict[str, str]:
    """Every generated file: ``{file name: text}`` (pure).

    ``progress(topic, i, n)`` is called before topic ``i`` of ``n`` is derived.
    """
    files: dict[str, str] = {}
    for i, topic in enumerate(topics):
        if progress is not None:
            progress(topic, i, len(topics))
        derivations = derive_topic(topic)
        files[f"{topic}.json"] = render_json(topic, derivations)
        files[f"{topic}.md"] = render_markdown(topic, derivations)
    return files


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``.

    An interrupted write leaves the previous file intact and no temporary
    file behind (``os.replace`` is atomic on POSIX and Windows).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _FILE_MODE)  # mkstemp creates 0600; generated files are public
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _generated_files(directory: Path) -> set[str]:
    return {p.name for p in directory.glob("*") if p.suffix in {".json", ".md"}}


def write_all(directory: Path, files: Mapping[str, str]) -> list[str]:
    """Write ``files`` into ``directory``; remove stale generated files; return changed names."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in files.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
            changed.append(name)
    for stale in sorted(_generated_files(directory) - set(files)):
        (directory / stale).unlink()
        changed.append(stale)
    return changed


def compare_directory(committed: Path, files: Mapping[str, str]) -> list[str]:
    """Names whose committed content differs from a fresh rendering (missing/extra too).

    The fresh rendering goes through :func:`write_all` into a temporary
    directory, so the comparison covers the writer as well as the derivations.
    """
    with tempfile.TemporaryDirectory(prefix="mlmath-derive-") as tmp:
        fresh = Path(tmp)
        write_all(fresh, files)
        names = _generated_files(fresh) | (_generated_files(committed)
                                            if committed.is_dir() else set())
        return sorted(name for name in names
                      if not (committed / name).is_file() or not (fresh / name).is_file()
                      or (committed / name).read_bytes() != (fresh / name).read_bytes())


def _document(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _same_values(old: Any, new: Any) -> bool:
    """Whether two fingerprints agree to :data:`FINGERPRINT_RTOL` (entry by entry)."""
    if not (isinstance(old, list) and isinstance(new, list)) or len(old) != len(new):
        return False
    for old_point, new_point in zip(old, new, strict=True):
        if not isinstance(old_point, list) or len(old_point) != len(new_point):
            return False
        for a, b in zip(old_point, new_point, strict=True):
            try:
                x, y = float(a), float(b)  # plain decimal strings; nothing is evaluated
            except (TypeError, ValueError):
                return False
            if abs(x - y) > FINGERPRINT_RTOL * max(abs(x), abs(y)) and x != y:
                return False
    return True


def compare_semantically(committed: Path, files: Mapping[str, str]) -> list[str]:
    """Files whose *content* differs: names, arguments, checks or fingerprint values.

    Used when the committed files were written by another SymPy release, whose
    printing (``srepr``, LaTeX, the Markdown pages) may differ although every
    expression is the same.  A JSON file agrees when each derivation has the same
    name, title, arguments and verified checks and its fingerprint (the result at
    two rational points, 30 digits) agrees to :data:`FINGERPRINT_RTOL`; a
    Markdown page agrees when its JSON file does.  Committed text is parsed with
    ``json.loads`` and ``float`` only, never evaluated.
    """
    differing = []
    for name in sorted(files):
        if not name.endswith(".json"):
            continue
        old = _document(committed / name)
        new = json.loads(files[name])
        same = old is not None and len(old.get("derivations", [])) == len(new["derivations"])
        if same and old is not None:
            for a, b in zip(old["derivations"], new["derivations"], strict=True):
                keys = ("name", "title", "args", "checks")
                if any(a.get(k) != b.get(k) for k in keys) or not _same_values(
                        a.get("fingerprint"), b.get("fingerprint")):
                    same = False
                    break
        if not same:
            differing += [name, name.removesuffix(".json") + ".md"]
    return differing


def committed_sympy_versions(committed: Path) -> set[str]:
    """The SymPy versions recorded in the committed JSON files."""
    versions = set()
    for path in sorted(committed.glob("*.json")):
        document = _document(path)
        if document is not None:
            versions.add(str(document.get("sympy_version", "unknown")))
    return versions


def diff_file(committed: Path, files: Mapping[str, str], name: str, limit: int = 40,
              width: int = 160) -> str:
    """A unified diff of one committed file against the fresh text.

    At most ``limit`` lines, each cut to ``width`` characters (a JSON ``srepr``
    line of the attention gradients is ~100 000 characters long).
    """
    old_path = committed / name
    old = old_path.read_text(encoding="utf-8").splitlines() if old_path.is_file() else []
    new = files.get(name, "").splitlines()
    lines = [line if len(line) <= width else f"{line[:width]}... ({len(line)} characters)"
             for line in difflib.unified_diff(old, new, f"committed/{name}", f"fresh/{name}",
                                              lineterm="", n=1)]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)
