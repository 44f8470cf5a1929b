"""Run the articles' code listings as printed, in a sandbox, against the ledger's twins.

The repository holds no article text or code: ``mlmath audit --articles DIR``
reads the user's copy of the articles, extracts every fenced code block,
identifies each listing by the names it defines, runs it in a subprocess
sandbox, and compares what it does with the ledger's re-implementation (its
*twin*) on the same inputs -- a differential test: the twin must behave like the
printed code, defects included.

Sandbox: a fresh temporary directory as working directory, ``python -I``
(no user site, no ``PYTHON*`` variables), an environment without proxies, the
``socket`` module disabled before the listing runs, CPU-time / file-size /
address-space limits (``resource.setrlimit``), a wall-clock timeout, and fixed
seeds (``random``, NumPy, PyTorch).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "KINDS",
    "Listing",
    "ListingReport",
    "Sandboxed",
    "extract",
    "identify",
    "run_listings",
    "run_sandboxed",
]

_FENCE = re.compile(r"^```[ \t]*([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)

#: A defining name of each listing -> the article key it belongs to.
KINDS: dict[str, str] = {"cross_entropy_loss": "CE", "SelfAttention": "SA", "AutoEncoder": "SSL"}

#: Claims whose evidence a listing run extends.
CLAIMS_OF: dict[str, tuple[str, ...]] = {
    "CE": ("CE-4.1-binary-use", "CE-4.1-batch-sum", "CE-4.1-labels", "CE-4.1-zero-probability"),
    "SA": ("SA-5-listing-runs", "SA-5-listing-softmax-axis", "SA-5-listing-description"),
    "SSL": ("SSL-5-listing-runs", "SSL-5-listing-sigmoid-floor", "SSL-5-listing-data"),
}

_MARK = "@@AUDIT@@"


@dataclass(frozen=True)
class Listing:
    """One fenced code block: the file it came from, its position, language and source."""

    path: str
    index: int
    language: str
    source: str

    @property
    def kind(self) -> str | None:
        """The article key this listing belongs to (by the names it defines), or None."""
        return identify(self.source)


def extract(directory: Path) -> list[Listing]:
    """Every fenced code block of the text files in ``directory`` (sorted by file name)."""
    out = []
    for path in sorted(p for p in Path(directory).iterdir() if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for i, m in enumerate(_FENCE.finditer(text)):
            out.append(Listing(path.name, i, m.group(1).lower(), m.group(2)))
    return out


def identify(source: str) -> str | None:
    """Article key of a listing from the function/class names it defines (None if unknown)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    hits = sorted(KINDS[n] for n in names if n in KINDS)
    return hits[0] if hits else None


def imports_of(source: str) -> set[tuple[str, str]]:
    """The (module, bound name) pairs of a listing's import statements."""
    pairs = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                pairs.add((a.name, a.asname or a.name.split(".")[0]))
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                pairs.add((f"{node.module}.{a.name}", a.asname or a.name))
    return pairs


def softmax_dims(source: str) -> list[int]:
    """The integer ``dim=`` arguments of the listing's ``Softmax(...)`` calls."""
    dims = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", "")) == "Softmax":
            for kw in node.keywords:
                value = kw.value.value if isinstance(kw.value, ast.Constant) else None
                if kw.arg == "dim" and isinstance(value, int):
                    dims.append(value)
    return dims


@dataclass(frozen=True)
class Sandboxed:
    """What a sandboxed run did: exit status, output, the harness's JSON record, files."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    record: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)


_PRELUDE = """
import json, random, socket, sys
def _blocked(*args, **kwargs):
    raise OSError("network access is disabled in the audit sandbox")
for _name in ("connect", "connect_ex", "sendto", "sendmsg", "bind"):
    setattr(socket.socket, _name, _blocked)
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
random.seed(0)
try:
    import numpy
    numpy.random.seed(0)
except ImportError:
    pass
try:
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
except ImportError:
    pass
"""

_RUN = """
record = {}
ns = {"__name__": "__main__", **globals().get("_inject", {})}
source = open("listing.py", encoding="utf-8").read()
try:
    exec(compile(source, "listing.py", "exec"), ns)
    record["ran"] = True
except BaseException as exc:
    record["ran"] = False
    record["error"] = f"{type(exc).__name__}: {exc}"
"""

_END = """
print("\\n@@AUDIT@@" + json.dumps(record))
"""


def _limits(cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    return apply


def run_sandboxed(
    source: str,
    *,
    before: str = "",
    after: str = "",
    timeout: float = 120,
    keep: tuple[str, ...] = (),
) -> Sandboxed:
    """Run ``source`` as printed in a subprocess sandbox (see the module docstring).

    ``before`` / ``after`` are harness code run before / after the listing (with its
    namespace ``ns`` and a JSON-able ``record``); ``keep`` names files of the
    temporary directory to load (``.npy`` / ``.npz``) before it is removed.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LC_ALL": "C.UTF-8",
    }
    with tempfile.TemporaryDirectory(prefix="mlmath-listing-") as tmp:
        env["HOME"] = tmp
        Path(tmp, "listing.py").write_text(source, encoding="utf-8")
        harness = _PRELUDE + before + _RUN + after + _END
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-c", harness],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=_limits(int(timeout) + 5),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return Sandboxed(-1, out, "", True)
        record: dict[str, Any] = {}
        stdout = proc.stdout
        if _MARK in stdout:
            stdout, _, tail = stdout.rpartition(_MARK)
            record = json.loads(tail)
        files = {}
        for name in keep:
            path = Path(tmp, name)
            if path.exists():
                loaded = np.load(path)
                files[name] = (
                    [loaded[k] for k in loaded.files]
                    if isinstance(loaded, np.lib.npyio.NpzFile)
                    else loaded
                )
        return Sandboxed(proc.returncode, stdout, proc.stderr, False, record, files)


@dataclass
class ListingReport:
    """Evidence lines per claim id, and whether every twin behaved like its listing."""

    evidence: dict[str, list[str]] = field(default_factory=dict)
    agree: dict[str, bool] = field(default_factory=dict)

    def add(self, article: str, line: str, ok: bool | None = None) -> None:
        for cid in CLAIMS_OF[article]:
            self.evidence.setdefault(cid, []).append(line)
            if ok is not None:
                self.agree[cid] = self.agree.get(cid, True) and ok


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-12 * (1 + abs(a) + abs(b))


def _run_ce(listing: Listing, report: ListingReport) -> None:
    from mlmath.audit.claims.cross_entropy import LISTING_INPUTS, listing_twin

    after = (
        "import math\nrecord['values'] = []\nfor y, p in "
        + json.dumps(LISTING_INPUTS)
        + ":\n    try:\n        record['values'].append(repr(float("
        "ns['cross_entropy_loss'](y, p))))\n    except Exception as exc:\n"
        "        record['values'].append(type(exc).__name__)\n"
    )
    run = run_sandboxed(listing.source, after=after)
    printed = run.record.get("values", [])
    if not run.record.get("ran") or len(printed) != len(LISTING_INPUTS):
        report.add(
            "CE",
            f"printed listing ({listing.path} #{listing.index}) did not run: "
            f"{run.record.get('error', run.stderr.strip()[-200:])}",
            False,
        )
        return
    twin = [listing_twin(y, p) for y, p in LISTING_INPUTS]
    bad = [
        i
        for i, (a, b) in enumerate(zip(printed, twin, strict=True))
        if a in ("ValueError", "TypeError") or not _same(float(a), b)
    ]
    report.add(
        "CE",
        f"printed listing ({listing.path} #{listing.index}) ran in the sandbox on "
        f"{len(twin)} inputs; the ledger's twin gives the same values on "
        f"{len(twin) - len(bad)} of {len(twin)}" + (f" (differs on inputs {bad})" if bad else ""),
        not bad,
    )


def _run_sa(listing: Listing, report: ListingReport) -> None:
    from mlmath.audit.claims.self_attention import (
        LISTING_SOFTMAX_AXIS,
        SA_LISTING_IMPORTS,
        listing_namespace,
    )

    dims = softmax_dims(listing.source)
    report.add("SA", f"softmax dim of the printed listing: {dims}; the twin's: "
               f"[{LISTING_SOFTMAX_AXIS}]", dims == [LISTING_SOFTMAX_AXIS])
    printed_imports = imports_of(listing.source)
    same_imports = printed_imports == set(SA_LISTING_IMPORTS)
    report.add(
        "SA",
        "imports of the printed listing "
        + (
            "match the twin's"
            if same_imports
            else f"differ from the twin's: {sorted(printed_imports)}"
        ),
        same_imports,
    )
    if importlib.util.find_spec("torch") is None:
        report.add("SA", "printed listing not run: torch not installed")
        return
    run = run_sandboxed(listing.source)
    from mlmath.audit.claims.self_attention import _listing_weights, listing_twin

    try:
        listing_twin(np.zeros((3, 5, 10)), _listing_weights(10), names=listing_namespace())
        twin = "runs"
    except NameError as exc:
        twin = f"NameError: {exc}"
    printed = "runs" if run.record.get("ran") else run.record.get("error", "no record")
    report.add(
        "SA",
        f"printed listing ({listing.path} #{listing.index}) in the sandbox: "
        f"{printed}; the ledger's twin: {twin}",
        printed == twin,
    )
    fixed = run_sandboxed(listing.source, before="import numpy as np\n_inject = {'np': np}\n")
    report.add(
        "SA",
        "with NumPy imported as np the printed listing "
        + (
            "prints " + fixed.stdout.strip().splitlines()[-1]
            if fixed.record.get("ran") and fixed.stdout.strip()
            else "still fails"
        ),
    )


_SNAPSHOT = """
import numpy as _np
import torch.optim as _optim
_Adam = _optim.Adam
class _Snapshot(_Adam):
    def __init__(self, params, *args, **kwargs):
        params = list(params)
        _np.savez("init.npz", *[p.detach().numpy().copy() for p in params])
        super().__init__(params, *args, **kwargs)
_optim.Adam = _Snapshot
"""

_SAVE_X = """
if "x" in ns:
    _np.save("x.npy", ns["x"].detach().numpy())
"""


def _run_ssl(listing: Listing, report: ListingReport) -> None:
    from mlmath.audit.claims.self_supervised import autoencoder_twin, sigmoid_mse_floor

    if importlib.util.find_spec("torch") is None:
        report.add("SSL", "printed listing not run: torch not installed")
        return
    run = run_sandboxed(
        listing.source, before=_SNAPSHOT, after=_SAVE_X, keep=("init.npz", "x.npy"), timeout=300
    )
    losses = [float(v) for v in re.findall(r"Loss:\s*([-+0-9.eE]+|nan|inf)", run.stdout)]
    if not run.record.get("ran") or not losses or "x.npy" not in run.files:
        report.add(
            "SSL",
            f"printed listing ({listing.path} #{listing.index}) did not run: "
            f"{run.record.get('error', run.stderr.strip()[-200:])}",
            False,
        )
        return
    x = np.asarray(run.files["x.npy"], dtype=np.float64)
    floor = sigmoid_mse_floor(x)
    report.add(
        "SSL",
        f"printed listing ({listing.path} #{listing.index}) ran in the sandbox "
        f"(torch seed 0): {len(losses)} epochs, loss {losses[0]:.4f} -> {losses[-1]:.4f}; "
        f"lowest loss any sigmoid decoder can reach on that x: {floor:.4f}",
        losses[-1] > floor,
    )
    init = run.files.get("init.npz")
    if init is None:
        return
    params = [a.T.astype(np.float64) if a.ndim == 2 else a.astype(np.float64) for a in init]
    twin = autoencoder_twin(x, params=params, epochs=len(losses))
    gap = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(losses, twin, strict=True))
    report.add(
        "SSL",
        f"the ledger's NumPy twin, from the same initial weights and x: loss "
        f"{twin[0]:.4f} -> {twin[-1]:.4f}; largest relative difference per epoch "
        f"{'< 1e-3' if gap < 1e-3 else f'{gap:.1e}'} (float32 vs float64)",
        gap < 1e-3,
    )


_RUNNERS: dict[str, Callable[[Listing, ListingReport], None]] = {
    "CE": _run_ce,
    "SA": _run_sa,
    "SSL": _run_ssl,
}


def run_listings(directory: Path) -> ListingReport:
    """Extract, identify and run every listing of ``directory``; evidence per claim id."""
    report = ListingReport()
    listings = extract(directory)
    found = {}
    for listing in listings:
        kind = listing.kind
        if kind is not None and kind not in found:
            found[kind] = listing
    for kind, runner in _RUNNERS.items():
        if kind in found:
            runner(found[kind], report)
        else:
            report.add(kind, f"no listing of article {kind} found in {directory}", False)
    return report
