"""``mlmath check`` and ``mlmath.testing.check``: adapters, reports, and the anchors' known defects.

The property suite is run on small parts (one module, a few names) so the
whole file stays within seconds per target; each known defect is asserted
twice -- the check reports it, and the library shows it when called directly
-- so a test fails if either the library is fixed or the check stops seeing it.
Targets whose library is absent are skipped.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlmath
from mlmath import _check, _check_corpus, _check_readme
from mlmath.adapters import NotProvided, from_mapping, load, provided_names
from mlmath.testing import check

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def _excerpt_report(target: str) -> _check.Report:
    """The README excerpt's run of ``target`` (shared by the defect and drift tests)."""
    pytest.importorskip(target)
    return _check_readme.excerpt_report(target)


def _violated(report: _check.Report, name: str) -> dict[str, _check.PropertyResult]:
    return {p.test.split("::")[-1]: p for p in report.function(name).violations}


# --------------------------------------------------------------------------- adapters

class TestTargets:
    def test_scipy_adapter_maps_names_and_conventions(self):
        """The SciPy adapter gives SciPy's values under mlmath's names (JS squared, base)."""
        scipy = pytest.importorskip("scipy")
        from scipy.spatial.distance import jensenshannon

        sc = load("scipy")
        p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
        assert sc.js_divergence(p, q, base=2) == jensenshannon(p, q, base=2) ** 2
        assert sc.kl_divergence(p, q) == pytest.approx(float(mlmath.kl_divergence(p, q)),
                                                       rel=1e-14)
        assert "softmax_cross_entropy" not in provided_names(sc)
        assert scipy.__version__

    def test_jax_adapter_keeps_float64_and_maps_logsumexp_keywords(self):
        """jax.nn / jax.scipy under mlmath's names, float64 kept (x64 is switched on)."""
        pytest.importorskip("jax")
        jx = load("jax")
        x = np.array([1000.0, 1000.0 + 2.0 ** -40])
        out = jx.softmax(x)
        assert out.dtype == np.float64 and out[1] > out[0]
        value, sign = jx.logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -2.0]),
                                   return_sign=True)
        assert sign == -1.0 and value == pytest.approx(0.0, abs=1e-15)

    def test_a_missing_keyword_is_not_provided(self):
        """A keyword the library has no equivalent of raises NotProvided, naming it."""
        pytest.importorskip("scipy")
        with pytest.raises(NotProvided, match="`where`"):
            load("scipy").logsumexp(np.zeros(3), where=np.array([True, False, True]))

    def test_toml_mapping_names_user_functions(self, tmp_path):
        """A TOML file maps mlmath names to "module:function" (nothing is evaluated)."""
        path = tmp_path / "ops.toml"
        path.write_text('softmax = "mlmath:softmax"\nentropy = "mlmath.information:entropy"\n')
        ns = load(str(path))
        assert provided_names(ns) == ["softmax", "entropy"]
        assert ns.softmax is mlmath.softmax

    @pytest.mark.parametrize(("text", "match"), [
        ('softmx = "mlmath:softmax"', "`softmx`: not one of mlmath's public names"),
        ('softmax = "mlmath.softmax"', '`softmax`: expected "package.module:function"'),
        ('softmax = "mlmath:__import__(\'os\')"', "`softmax`: .* is not an attribute path"),
    ])
    def test_bad_mapping_entries_name_the_key(self, tmp_path, text, match):
        path = tmp_path / "bad.toml"
        path.write_text(text + "\n")
        with pytest.raises(ValueError, match=match):
            load(str(path))

    def test_unloadable_target_is_a_usage_error(self, capsys):
        from mlmath import cli

        assert cli.main(["check", "no_such_module_xyz"]) == 2
        assert "cannot load 'no_such_module_xyz'" in capsys.readouterr().err

    def test_from_mapping_accepts_callables(self):
        assert from_mapping({"softmax": mlmath.softmax}).softmax is mlmath.softmax


# --------------------------------------------------------------------------- the pytest entry

def test_pytest_entry_skips_what_the_module_lacks(tmp_path):
    """`pytest --pyargs mlmath.properties --mlmath-impl=MODULE`: the module's functions
    are checked, the others skipped as "not provided", the meta-tests deselected."""
    (tmp_path / "myops.py").write_text(textwrap.dedent("""
        from mlmath import sigmoid, log_sigmoid
    """))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "--hypothesis-profile=mlmath-dev", "--pyargs", "mlmath.properties.test_special",
         "--mlmath-impl=myops", "-c", "/dev/null", "--rootdir", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True,
        env={**_env(), "PYTHONPATH": str(tmp_path)})
    out = proc.stdout
    assert proc.returncode == 0, out[-2000:]
    assert "not provided: softmax" in out and "deselected" in out
    assert " passed" in out and "failed" not in out


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("MLMATH_IMPL", "PYTHONPATH")}


# --------------------------------------------------------------------------- the report

@pytest.fixture(scope="module")
def sloppy_report() -> _check.Report:
    from examples import check_my_softmax

    with np.errstate(over="ignore", invalid="ignore"):
        return check_my_softmax.report()


class TestReport:
    def test_sloppy_softmax_violates_the_simplex_and_shift_properties(self, sloppy_report):
        """The example's softmax without a max shift overflows: the report says which
        properties fail, with Hypothesis's shrunk counterexample."""
        failed = _violated(sloppy_report, "softmax")
        assert {"test_softmax_rows_are_distributions", "test_softmax_shift_invariance"} <= \
            set(failed)
        prop = failed["test_softmax_rows_are_distributions"]
        assert prop.statement.startswith("softmax(x) >= 0 and sums to 1")
        assert "Draw 2 (x): array([89.], dtype=float32)" in prop.counterexample
        assert sloppy_report.function("softmax").accuracy.worst_eps == float("inf")

    def test_functions_not_given_are_not_provided_not_failed(self, sloppy_report):
        assert [f.name for f in sloppy_report.provided] == ["softmax"]
        assert {n for n, _ in sloppy_report.violations} == {"softmax"}
        assert sloppy_report.function("entropy").verdict == "not provided"

    def test_json_and_markdown_carry_the_same_results(self, sloppy_report):
        data = json.loads(sloppy_report.to_json())
        soft = next(f for f in data["functions"] if f["name"] == "softmax")
        assert sum(p["outcome"] == "failed" for p in soft["properties"]) == \
            len(sloppy_report.violations)
        assert soft["accuracy"]["errors"][-1][1] == "inf"  # JSON has no infinity
        md = sloppy_report.to_markdown()
        assert md.startswith("## mlmath check sloppy_softmax as softmax")
        counts = [sum(p["outcome"] == o for p in soft["properties"])
                  for o in ("passed", "failed", "skipped")]
        assert counts[1] == 2
        assert f"| softmax | {counts[0]} | {counts[1]} | {counts[2]} | inf |" in md

    def test_html_has_a_plot_per_function_with_a_corpus(self, sloppy_report, tmp_path):
        pytest.importorskip("matplotlib")
        page = tmp_path / "report.html"
        page.write_text(sloppy_report.to_html(), encoding="utf-8")
        text = page.read_text(encoding="utf-8")
        assert page.stat().st_size > 0
        assert text.count('<figure class="plot"') == 1 and 'id="plot-softmax"' in text
        assert "<svg" in text and "http" not in text.split("<svg", 1)[0]

    def test_html_without_matplotlib_says_it_has_tables_only(self, sloppy_report,
                                                             monkeypatch):
        from mlmath import _check_html

        monkeypatch.setattr(_check_html, "has_matplotlib", lambda: False)
        text = sloppy_report.to_html()
        assert "tables only" in text and "<svg" not in text and "<table>" in text

    def test_mlmath_itself_has_clear_errors_and_accurate_corpus(self):
        """Against mlmath every bad-input cell is an error naming the argument and
        every corpus point is within 4 eps (the in-process half of `mlmath check mlmath`)."""
        for name in mlmath.__all__:
            fn = getattr(mlmath, name)
            cells = _check_corpus.bad_input(name, fn) or []
            assert all(c.outcome == "clear error" for c in cells), (name, cells)
            acc = _check_corpus.accuracy(name, fn)
            assert acc is None or acc.worst_eps <= 4, (name, acc and acc.tiers)

    def test_subject_of_a_test(self):
        assert _check.subject_of("t.py::test_prox_huber_satisfies_x", ["huber"]) == "prox_huber"
        assert _check.subject_of("t.py::test_masked_class_is_a_dropped_column",
                                 ["softmax_cross_entropy"]) == "softmax_cross_entropy"


# --------------------------------------------------------------------------- known defects

def faulty_prox_huber(x: Any, tau: float, *, delta: float = 1.0) -> Any:
    """prox of tau*huber_delta choosing its branch on |x| <= delta (should be delta + tau)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.abs(x) <= delta, x / (1 + tau), x - tau * delta * np.sign(x))


def test_faulty_huber_prox_fails_the_optimality_property():
    """The branch chosen on |x| <= delta instead of |x| <= delta + tau breaks
    u - x + tau huber'(u) = 0 for delta < |x| <= delta + tau: the check says so."""
    report = check(faulty_prox_huber, as_="prox_huber", modules=["test_penalties"])
    assert "test_prox_huber_satisfies_its_optimality_condition" in _violated(report,
                                                                             "prox_huber")
    correct = check(mlmath.prox_huber, as_="prox_huber", modules=["test_penalties"])
    assert not correct.violations and correct.function("prox_huber").properties


def test_scipy_jensenshannon_is_nan_for_nearly_equal_inputs():
    """SciPy 1.17's jensenshannon takes sqrt of a rounded, slightly negative JS: NaN."""
    from scipy.spatial.distance import jensenshannon

    report = _excerpt_report("scipy")
    failed = _violated(report, "js_divergence")
    # which JS property meets the NaN first depends on the draws; one of them must
    assert any("nan" in prop.detail for prop in failed.values()), sorted(failed)
    p = np.array([0.6666667, 0.33333334], dtype=np.float32)
    q = np.array([0.6667111, 0.33328888], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        assert np.isnan(jensenshannon(p, q))


def test_scipy_kl_loses_relative_accuracy_near_p_equals_q():
    """sum(kl_div(p, q)) cancels for p ~ q: no digits of chi^2/2 left (mlmath keeps them)."""
    report = _excerpt_report("scipy")
    failed = _violated(report, "kl_divergence")
    assert "test_kl_matches_chi_square_near_equal" in failed
    assert report.function("kl_divergence").accuracy.worst_eps > 1e6


def test_torch_softplus_threshold_and_bce_log_clamp():
    """F.softplus returns x for x > 20 (an error of exp(-x) ~ 2e-9 at 20.5, about 1e5 eps),
    and F.binary_cross_entropy clamps log at -100 (BCE(1e-300, 1) = 100, not 690.8)."""
    torch = pytest.importorskip("torch")
    report = _excerpt_report("torch")
    assert "test_softplus_difference_is_identity" in _violated(report, "softplus")
    tiers = {t.low: t for t in report.function("softplus").accuracy.tiers}
    assert tiers[10.0].worst_eps > 1e4 and 20 < tiers[10.0].worst_at <= 40
    assert "test_binary_cross_entropy_is_sigmoid_bce_at_the_logit" in _violated(
        report, "binary_cross_entropy")
    assert report.function("binary_cross_entropy").accuracy.worst_eps > 1e15
    x = torch.tensor([20.5], dtype=torch.float64)
    assert torch.nn.functional.softplus(x).item() == 20.5
    bce = torch.nn.functional.binary_cross_entropy(torch.tensor([1e-300], dtype=torch.float64),
                                                   torch.tensor([1.0], dtype=torch.float64))
    assert bce.item() == 100.0


def test_torch_kl_is_not_zero_at_p_equals_q_with_zero_entries():
    """F.kl_div(log q, p) at p = q with a zero entry: 0 * (log 0 - log 0) = NaN, not 0."""
    pytest.importorskip("torch")
    records = _check.run_properties("torch", only=["kl_divergence"],
                                    modules=["test_information"], select="kl_of_self")
    report = _check.build_report("torch", load("torch"), records, profile="ci",
                                 only=["kl_divergence"])
    failed = _violated(report, "kl_divergence")
    assert "test_kl_of_self_is_zero" in failed
    assert "nan" in failed["test_kl_of_self_is_zero"].detail
    assert np.isnan(load("torch").kl_divergence(np.array([1.0, 0.0]), np.array([1.0, 0.0])))


def test_torch_sdpa_fully_masked_rows_match_what_torch_does():
    """The check's verdict on a query with no allowed key is what PyTorch returns:
    NaN rows (older PyTorch) fail the convex-combination property, zero rows pass.
    PyTorch 2.13 returns zeros."""
    torch = pytest.importorskip("torch")
    q = torch.ones(1, 2, 2, dtype=torch.float64)
    mask = torch.tensor([[True, True], [False, False]])
    out = torch.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    gives_nan = bool(torch.isnan(out[0, 1]).any())
    records = _check.run_properties("torch", only=["scaled_dot_product_attention"],
                                    modules=["test_attention"],
                                    select="output_is_convex_combination")
    report = _check.build_report("torch", load("torch"), records, profile="ci",
                                 only=["scaled_dot_product_attention"])
    props = report.function("scaled_dot_product_attention").properties
    (prop,) = [p for p in props if p.test.endswith("test_attention_output_is_convex_combination")]
    assert (prop.outcome == "failed") == gives_nan, prop.detail


# --------------------------------------------------------------------------- README

@pytest.mark.parametrize("target", sorted(_check_readme.EXCERPTS))
def test_readme_excerpt_matches_a_fresh_run(target):
    """The README's report excerpt is what `python -m mlmath._check_readme` writes now
    (skipped when the library is absent or at another version than the block records)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    recorded = _check_readme.recorded_versions(text, target)
    assert recorded is not None, f"README has no check-excerpt block for {target}"
    report = _excerpt_report(target)
    now = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    if now != recorded:
        pytest.skip(f"README excerpt of {target} recorded with {recorded}; installed: {now}")
    block = _check_readme.block_pattern(target).search(text)
    assert block is not None
    assert block.group(2) == _check_readme.excerpt(target, report), (
        "README check excerpt drifted: run python -m mlmath._check_readme")


def test_cli_json_report_of_a_toml_target(tmp_path, capsys):
    """`mlmath check map.toml --only softmax --modules test_special --format json` prints a
    report whose softmax properties passed (mlmath's own softmax, named in the file)."""
    from mlmath import cli

    path = tmp_path / "mine.toml"
    path.write_text('softmax = "mlmath:softmax"\nsigmoid = "mlmath:sigmoid"\n')
    code = cli.main(["check", str(path), "--only", "softmax", "--modules", "test_special",
                     "--profile", "dev", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["target"] == "mine.toml"
    soft = next(f for f in data["functions"] if f["name"] == "softmax")
    assert soft["provided"] and soft["properties"]
    assert "passed" in {p["outcome"] for p in soft["properties"]}
    # the only skips: keywords the mapped function lacks (a plain function has no
    # `where`), reported as not provided, never failed
    assert all(p["outcome"] == "passed" or (p["outcome"] == "skipped"
                                            and "not provided" in p["detail"])
               for p in soft["properties"])
    sig = next(f for f in data["functions"] if f["name"] == "sigmoid")
    assert not sig["provided"]  # left out by --only
