"""Tests of the derivation pipeline: drift, ``--check``, the atomic writer, loading.

The fresh rendering is computed once per session (``fresh_files``) and every
test that needs it goes through the real writer (``write_all``), as
``mlmath derive`` does (SymForce's ``compare_or_update_directory`` pattern).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlmath.derivations as derivations
import numpy as np
import pytest
import sympy as sp
from mlmath.derivations import _writer, cli
from mlmath.derivations._core import DerivationError, require_equal, require_nonnegative_polynomial
from mlmath.derivations._writer import (
    GENERATED_DIR,
    HEADER,
    TOPICS,
    compare_directory,
    diff_file,
    render_all,
    write_all,
    write_atomic,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def fresh_files() -> dict[str, str]:
    """A fresh rendering of every generated file (pure; computed once)."""
    return render_all()


@pytest.fixture
def cached_render(monkeypatch, fresh_files):
    """Make the CLI reuse the session's rendering instead of deriving again (speed)."""
    monkeypatch.setattr(cli, "render_all", lambda topics=TOPICS: {
        name: text for name, text in fresh_files.items() if name.rsplit(".", 1)[0] in topics})


@pytest.fixture
def committed_copy(tmp_path) -> Path:
    """A scratch copy of the committed ``derivations/generated/``."""
    copy = tmp_path / "generated"
    shutil.copytree(GENERATED_DIR, copy)
    return copy


def _args(output: Path | None, check: bool = False,
          topic: list[str] | None = None) -> argparse.Namespace:
    return argparse.Namespace(check=check, output=output, topic=topic)


# --- drift -------------------------------------------------------------------------

def test_committed_files_equal_fresh_regeneration(fresh_files):
    """derivations/generated/ is exactly what `mlmath derive` writes now (else: a diff)."""
    drifted = compare_directory(GENERATED_DIR, fresh_files)
    diffs = "\n".join(diff_file(GENERATED_DIR, fresh_files, name) for name in drifted)
    assert not drifted, f"run `mlmath derive`; drifted files: {drifted}\n{diffs}"


def test_every_topic_has_a_json_and_a_markdown_file(fresh_files):
    """One machine-readable and one human-readable file per topic, nothing else."""
    assert sorted(fresh_files) == sorted(f"{t}.{ext}" for t in TOPICS for ext in ("json", "md"))


def test_generated_files_carry_the_header(fresh_files):
    """Each JSON has `_generated` = the header; each Markdown page starts with it."""
    for name, text in fresh_files.items():
        if name.endswith(".json"):
            assert json.loads(text)["_generated"] == HEADER, name
        else:
            assert text.splitlines()[0].startswith(f"<!-- {HEADER} (SymPy "), name


def test_json_keys_are_sorted_and_symbol_order_fixed(fresh_files):
    """Re-serialising with sorted keys is the identity; args keep the declared order."""
    for topic in TOPICS:
        text = fresh_files[f"{topic}.json"]
        document = json.loads(text)
        assert json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n" == text
        for entry, d in zip(document["derivations"], derivations.load(topic).values(),
                            strict=True):
            assert [name for name, _ in entry["args"]] == [name for name, _ in d.args]


def test_rendering_does_not_depend_on_the_hash_seed(fresh_files):
    """A run with another PYTHONHASHSEED renders byte-identical files (two cheap topics)."""
    code = ("import json, sys; from mlmath.derivations._writer import render_all; "
            "json.dump(render_all(('special', 'information')), sys.stdout)")
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    other = json.loads(out)
    assert other == {name: fresh_files[name] for name in other}


# --- the --check command and the verify hook ----------------------------------------

def test_check_passes_on_an_untouched_copy(cached_render, committed_copy, capsys):
    """`mlmath derive --check` exits 0 when nothing drifted."""
    assert cli.run(_args(committed_copy, check=True)) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_names_a_tampered_file_and_shows_a_diff(cached_render, committed_copy, capsys):
    """Editing a generated file makes --check exit 1 and name that file with a diff."""
    page = committed_copy / "losses.md"
    page.write_text(page.read_text(encoding="utf-8").replace("softmax", "softmin", 1),
                    encoding="utf-8")
    assert cli.run(_args(committed_copy, check=True)) == 1
    out = capsys.readouterr().out
    assert "losses.md" in out and "softmin" in out and "special.md" not in out.split("\n")[0]


def test_check_diff_lines_are_cut_to_a_readable_width(cached_render, committed_copy, capsys):
    """A drifted JSON with ~100 kB srepr lines gives a diff of short lines."""
    path = committed_copy / "attention.json"
    path.write_text(path.read_text(encoding="utf-8").replace("Symbol('q_{0,0}'", "Symbol('Q'"),
                    encoding="utf-8")
    assert cli.run(_args(committed_copy, check=True)) == 1
    out = capsys.readouterr().out
    assert "attention.json" in out and max(len(line) for line in out.splitlines()) < 400


def test_check_names_missing_and_extra_files(cached_render, committed_copy, capsys):
    """A deleted generated file and a stray one are both reported."""
    (committed_copy / "attention.json").unlink()
    (committed_copy / "stray.md").write_text("x\n", encoding="utf-8")
    assert cli.run(_args(committed_copy, check=True)) == 1
    first_line = capsys.readouterr().out.splitlines()[0]
    assert "attention.json" in first_line and "stray.md" in first_line


def test_check_through_the_mlmath_command(cached_render, committed_copy):
    """`mlmath derive --check --output DIR` is wired to derivations.cli."""
    from mlmath.cli import main

    assert main(["derive", "--check", "--output", str(committed_copy)]) == 0
    (committed_copy / "special.json").write_text("{}\n", encoding="utf-8")
    assert main(["derive", "--check", "--output", str(committed_copy)]) == 1


def test_verify_hook_lists_drifted_files(monkeypatch, fresh_files, committed_copy):
    """derivations.cli.check() is [] when clean and names the drifted files otherwise."""
    monkeypatch.setattr(cli, "render_all", lambda: fresh_files)
    assert cli.check(committed_copy) == []
    (committed_copy / "penalties.md").write_text("edited\n", encoding="utf-8")
    assert cli.check(committed_copy) == ["penalties.md"]


def test_derive_writes_into_an_empty_directory(cached_render, tmp_path, capsys):
    """`mlmath derive --output DIR` writes every file, identical to the committed ones."""
    out = tmp_path / "out"
    assert cli.run(_args(out)) == 0
    assert compare_directory(out, {p.name: p.read_text(encoding="utf-8")
                                   for p in GENERATED_DIR.iterdir()}) == []
    assert "10 changed" in capsys.readouterr().out
    assert cli.run(_args(out)) == 0  # idempotent: nothing rewritten
    assert "0 changed" in capsys.readouterr().out


def test_partial_derive_keeps_the_other_topics(cached_render, committed_copy):
    """`mlmath derive --topic special` rewrites special's files and deletes nothing else."""
    (committed_copy / "special.md").write_text("stale\n", encoding="utf-8")
    assert cli.run(_args(committed_copy, topic=["special"])) == 0
    assert sorted(p.name for p in committed_copy.iterdir()) == sorted(
        p.name for p in GENERATED_DIR.iterdir())
    assert compare_directory(
        committed_copy, {p.name: p.read_text(encoding="utf-8")
                         for p in GENERATED_DIR.iterdir()}) == []


def test_sympy_is_a_range_and_the_files_record_their_version():
    """pyproject asks for a SymPy range (no pin); every generated file names its SymPy."""
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"sympy==' not in project and '"sympy>=' in project
    for topic in TOPICS:
        version = derivations.read_generated(topic)["sympy_version"]
        header = (GENERATED_DIR / f"{topic}.md").read_text(encoding="utf-8").splitlines()[0]
        assert f"(SymPy {version})" in header and "do not edit" in header


def _as_other_sympy(directory: Path, edit=None) -> None:
    """Rewrite the JSON files as if another SymPy release had printed them."""
    for path in directory.glob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        document["sympy_version"] = "0.0.test"
        for entry in document["derivations"]:
            entry["result"]["srepr"] = "printed differently"
            if edit is not None:
                edit(path.stem, entry)
        path.write_text(json.dumps(document), encoding="utf-8")
    (directory / "special.md").write_text("printed differently\n", encoding="utf-8")


def test_check_passes_when_only_another_sympys_printing_differs(cached_render, committed_copy,
                                                               capsys):
    """Text written by another SymPy with the same content passes, and the note says so."""
    _as_other_sympy(committed_copy)
    assert cli.run(_args(committed_copy, check=True)) == 0
    out = capsys.readouterr().out
    assert "SymPy 0.0.test" in out and "differs only by SymPy version" in out


def test_check_fails_when_another_sympys_values_differ(cached_render, committed_copy, capsys):
    """A changed fingerprint value under another SymPy is drift (content, not printing)."""
    def perturb(topic, entry):
        if topic == "losses" and entry is not None:
            entry["fingerprint"][0][0] = str(float(entry["fingerprint"][0][0]) * (1 + 1e-12))

    _as_other_sympy(committed_copy, perturb)
    assert cli.run(_args(committed_copy, check=True)) == 1
    assert "losses.json" in capsys.readouterr().out


def test_fingerprints_are_the_results_values():
    """The committed fingerprint of softmax's gradient equals its value at the point (mpmath)."""
    entry = next(e for e in derivations.read_generated("special")["derivations"]
                 if e["name"] == "logsumexp_grad")
    point = [sp.Rational(3 + (7 * i) % 13, 17) for i in range(3)]
    total = sum(sp.exp(x) for x in point)
    expected = [sp.N(sp.exp(x) / total, 40) for x in point]
    got = [sp.Float(v, 40) for v in entry["fingerprint"][0]]
    assert all(abs(g - e) < sp.Float("1e-29") for g, e in zip(got, expected, strict=True))


def test_installed_derive_needs_out(monkeypatch, capsys):
    """Outside a checkout, `mlmath derive` without --out writes nothing and exits 2."""
    monkeypatch.setattr(cli, "in_checkout", lambda directory=GENERATED_DIR: False)
    assert cli.run(_args(None)) == 2
    assert "--out DIR" in capsys.readouterr().err


def test_help_does_not_import_sympy():
    """`mlmath --help` builds the derive parser without importing SymPy (fast start-up)."""
    code = "import sys, mlmath.derivations.cli; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "False"


def test_python_dash_m_derivations_help():
    """`python -m mlmath.derivations --help` runs (the module entry point exists)."""
    out = subprocess.run([sys.executable, "-m", "mlmath.derivations", "--help"],
                         capture_output=True,
                         text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert "--check" in out


# --- the atomic writer ----------------------------------------------------------------

def test_write_atomic_writes_text_with_public_permissions(tmp_path):
    """The file holds the text, is rw-r--r--, and no temporary file is left."""
    path = tmp_path / "a.md"
    write_atomic(path, "hello\n")
    assert path.read_text(encoding="utf-8") == "hello\n"
    assert (path.stat().st_mode & 0o777) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_write_atomic_interrupted_keeps_the_old_file(tmp_path, monkeypatch, step):
    """An interruption before or at the rename leaves the old content and no temp file."""
    path = tmp_path / "a.json"
    path.write_text("old\n", encoding="utf-8")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_writer.os, step, interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "new\n" * 1000)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_all_removes_stale_generated_files_only(tmp_path):
    """Stale *.json/*.md files are removed; other files are left alone."""
    (tmp_path / "old.md").write_text("x\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("keep\n", encoding="utf-8")
    changed = write_all(tmp_path, {"a.md": "a\n"})
    assert changed == ["a.md", "old.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "notes.txt"]


# --- loading never evaluates text ------------------------------------------------------

def test_committed_srepr_equals_the_rebuilt_expressions():
    """The srepr strings on disk are those of the expressions rebuilt from the code."""
    for topic in TOPICS:
        document = derivations.read_generated(topic)
        rebuilt = derivations.load(topic)
        assert [e["name"] for e in document["derivations"]] == list(rebuilt)
        for entry in document["derivations"]:
            assert entry["result"]["srepr"] == sp.srepr(rebuilt[entry["name"]].result)


def test_read_generated_returns_inert_strings(tmp_path):
    """A JSON whose srepr is malicious code is read as a string and never run."""
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    document = {"_generated": HEADER, "derivations": [{"result": {"srepr": payload}}]}
    (tmp_path / "special.json").write_text(json.dumps(document), encoding="utf-8")
    read = derivations.read_generated("special", tmp_path)
    assert read["derivations"][0]["result"]["srepr"] == payload
    assert not marker.exists()


def test_read_generated_rejects_a_file_without_the_header(tmp_path):
    """Only files written by `mlmath derive` are read."""
    (tmp_path / "special.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="generated by"):
        derivations.read_generated("special", tmp_path)


def test_derivation_package_never_evaluates_text():
    """No eval/exec/sympify/parse_expr anywhere in derivations/ (loading rebuilds from code)."""
    forbidden = ("eval(", "exec(", "sympify(", "parse_expr(", "pickle")
    for path in (ROOT / "derivations").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = [word for word in forbidden if word in source]
        assert not found, f"{path.name} uses {found}"


# --- the identity checks can fail ---------------------------------------------------------

def test_require_equal_rejects_a_wrong_softmax_jacobian():
    """Claiming J = diag(s) + s s^T (sign error) raises DerivationError."""
    z = sp.symbols("z0:3", real=True)
    total = sum(sp.exp(zi) for zi in z)
    s = sp.Matrix([sp.exp(zi) / total for zi in z])
    with pytest.raises(DerivationError, match="diag"):
        require_equal(s.jacobian(z), sp.diag(*s) + s * s.T, "J = diag(s) + s s^T")


def test_require_nonnegative_polynomial_rejects_a_negative_coefficient():
    """s0 s1 - s0 s2 is not certified non-negative."""
    s = sp.symbols("s0:3", nonnegative=True)
    with pytest.raises(DerivationError):
        require_nonnegative_polynomial(s[0] * s[1] - s[0] * s[2], s, "minor")


def test_numeric_evaluates_the_derived_softmax_gradient():
    """numeric() lambdifies with fixed argument order; columns come back 1-D."""
    grad = derivations.numeric("special", "logsumexp_grad")(np.array([0.0, 0.0, np.log(2.0)]))
    np.testing.assert_allclose(grad, [0.25, 0.25, 0.5], rtol=4e-16)


# --- the derived semantics are PyTorch's (autograd as an independent oracle) ---------------

def _torch():
    return pytest.importorskip("torch")


def _autograd(loss_fn, *arrays):
    """Gradients of ``loss_fn`` (a scalar torch function) with respect to each array."""
    torch = _torch()
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    loss_fn(*leaves).backward()
    return [leaf.grad.numpy() for leaf in leaves]


CE_CASES = [  # (seed, label smoothing, weighted, ignore the second sample, reduction)
    (0, 0.0, False, False, "mean"), (1, 0.1, True, False, "mean"),
    (2, 0.3, True, True, "mean"), (3, 0.2, False, True, "sum"), (4, 0.0, True, False, "sum"),
]


@pytest.mark.interop
@pytest.mark.parametrize("seed,eps,weighted,ignore,reduction", CE_CASES)
def test_index_target_ce_gradient_matches_torch(seed, eps, weighted, ignore, reduction):
    """Derived dCE/dlogits (index targets) = torch autograd of F.cross_entropy (weighted mean)."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    z, w = rng.normal(size=(2, 3)) * 3, rng.uniform(0.2, 5.0, size=3)
    labels = rng.integers(0, 3, size=2)
    targets = np.where([False, ignore], -100, labels)
    onehot = np.eye(3)[labels] * np.array([[1.0], [0.0 if ignore else 1.0]])
    weight = torch.tensor(w) if weighted else None
    (want,) = _autograd(lambda x: torch.nn.functional.cross_entropy(
        x, torch.tensor(targets), weight=weight, ignore_index=-100, label_smoothing=eps,
        reduction=reduction), z)
    got = derivations.numeric("losses", f"softmax_cross_entropy_grad_index_{reduction}")(
        z, onehot, w if weighted else np.ones(3), eps)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.interop
@pytest.mark.parametrize("seed,eps,weighted,_,reduction",
                         [c for c in CE_CASES if not c[3]])
def test_probability_target_ce_gradient_matches_torch(seed, eps, weighted, _, reduction):
    """Derived dCE/dlogits (probability targets) = torch autograd (mean divides by N)."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    z, w = rng.normal(size=(2, 3)) * 3, rng.uniform(0.2, 5.0, size=3)
    y = rng.dirichlet(np.ones(3), size=2)
    weight = torch.tensor(w) if weighted else None
    (want,) = _autograd(lambda x: torch.nn.functional.cross_entropy(
        x, torch.tensor(y), weight=weight, label_smoothing=eps, reduction=reduction), z)
    got = derivations.numeric("losses", f"softmax_cross_entropy_grad_probs_{reduction}")(
        z, y, w if weighted else np.ones(3), eps)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.interop
@pytest.mark.parametrize("seed", [0, 1])
def test_bce_with_logits_gradient_matches_torch(seed):
    """Derived d BCE/d logit with pos_weight = autograd of binary_cross_entropy_with_logits."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    z, y, pw = rng.normal(size=(2, 3)) * 4, rng.uniform(size=(2, 3)), rng.uniform(0.2, 5, 3)
    (want,) = _autograd(lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
        x, torch.tensor(y), pos_weight=torch.tensor(pw), reduction="sum"), z)
    got = derivations.numeric("losses", "sigmoid_binary_cross_entropy_grad")(z, y, pw[None, :])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.interop
@pytest.mark.parametrize("seed,scale", [(0, None), (1, 0.3)])
def test_attention_gradients_match_torch(seed, scale):
    """Derived (dq, dk, dv) = torch autograd of F.scaled_dot_product_attention."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    q, k, v, g = (rng.normal(size=s) for s in [(2, 2), (3, 2), (3, 2), (2, 2)])
    grads = _autograd(lambda a, b, c: (torch.nn.functional.scaled_dot_product_attention(
        a, b, c, scale=scale) * torch.tensor(g)).sum(), q, k, v)
    tau = 1 / np.sqrt(2) if scale is None else scale
    for name, want in zip("qkv", grads, strict=True):
        got = derivations.numeric("attention", f"attention_grad_{name}")(q, k, v, g, tau)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=name)


def test_progress_only_on_a_terminal(monkeypatch, capsys):
    """Progress lines go to a terminal's stderr; off a TTY (or with --quiet) nothing is added."""
    show = cli._terminal_progress(0.0)
    show("special", 0, 2)
    show("losses", 1, 2)
    err = capsys.readouterr().err
    assert "deriving special" in err and "(2/2," in err and err.endswith("\n")
    calls = []
    monkeypatch.setattr(_writer, "derive_topic", lambda topic: calls.append(topic) or ())
    monkeypatch.setattr(_writer, "render_json", lambda topic, d: "{}")
    monkeypatch.setattr(_writer, "render_markdown", lambda topic, d: "")
    for tty, quiet in ((False, False), (True, True)):
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty, raising=False)
        cli._PROGRESS[0] = None
        cli.run(argparse.Namespace(check=True, output=Path("nowhere"), topic=None, quiet=quiet))
        assert "deriving" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    cli.run(argparse.Namespace(check=True, output=Path("nowhere"), topic=None, quiet=False))
    assert "deriving attention" in capsys.readouterr().err
