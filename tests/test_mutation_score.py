"""The recorded mutation scores: the README block, the JSON and tests/MUTANTS.md agree.

mutmut does not run here (it takes an hour per module); these tests only check that
what the README shows is what ``tests/mutation_results.json`` records
(``python -m tests.mutation_score`` regenerates it), and that the mutants the JSON
counts as equivalent or numba-only are exactly those ``tests/MUTANTS.md`` lists.
"""

from __future__ import annotations

import json

import pytest

from tests import mutation_score as ms


def _data() -> dict:
    return json.loads(ms.RESULTS.read_text(encoding="utf-8"))


def test_readme_block_is_generated_from_the_recorded_results():
    """The README's mutation block is what mutation_results.json gives."""
    assert ms.README.read_text(encoding="utf-8") == ms.render(), (
        "README.md's mutation block is not generated from tests/mutation_results.json: "
        "run `python -m tests.mutation_score`")


def test_equivalent_and_numba_only_mutants_are_the_listed_ones():
    """Each module's equivalent and numba-only mutants are the undetected ones MUTANTS.md
    lists, and everything MUTANTS.md lists was recorded as undetected (no stale entry)."""
    listed = ms.equivalents(ms.MUTANTS_MD.read_text(encoding="utf-8"))
    for module, record in _data()["modules"].items():
        undetected = set(record["survivors"]) | set(record["no_tests"])
        for key in ms.CATEGORIES.values():
            names = set(listed.get(module, {}).get(key, []))
            assert sorted(record[key]) == sorted(undetected & names), (module, key)
            if record["mode"] == "full":
                assert names <= undetected, (module, key, sorted(names - undetected))
            else:
                sample = ms.REPO / record["sample_file"]
                drawn = {n for n in sample.read_text(encoding="utf-8").split()
                         if n.startswith("mlmath.")}
                assert names & drawn <= undetected, (module, key, sorted(names & drawn
                                                                         - undetected))


def test_every_topic_module_is_recorded_with_versions_and_commit():
    """Every mutated module has a record naming its mode, versions and commit; the
    sampled ones name their sample file, whose names are the recorded mutants."""
    data = _data()
    assert set(data["modules"]) == set(ms.MODULES)
    for module, record in data["modules"].items():
        assert record["mode"] in ("full", "sampled")
        assert set(record["versions"]) == {"mutmut", "numpy", "python"}
        assert record["commit"] and "+dirty" not in record["commit"], module
        if record["mode"] == "sampled":
            sample = ms.REPO / record["sample_file"]
            names = [n for n in sample.read_text(encoding="utf-8").split()
                     if n.startswith("mlmath.")]
            assert len(names) == record["mutants"] < record["population"]
        else:
            assert record["mutants"] == record["population"]
        counted = (record["killed"] + record["timeout"] + record["segfault"]
                   + len(record["survivors"]) + len(record["no_tests"]))
        assert counted == record["mutants"], module


def test_names_with_ranges_and_lists_expand():
    """``{1,3..5}`` in MUTANTS.md names mutants 1, 3, 4 and 5."""
    assert ms.expand("x_f__mutmut_", "{1,3..5}") == [
        "x_f__mutmut_1", "x_f__mutmut_3", "x_f__mutmut_4", "x_f__mutmut_5"]
    text = ("## `mlmath/special.py`\n### Equivalent\n- `x_a__mutmut_{2..3}`: r\n"
            "### Not killed\n- `x_b__mutmut_1`: r\n### Not run: numba\n- `x_c__mutmut_7`\n"
            "## History\n### Equivalent\n- `x_d__mutmut_1`\n")
    assert ms.equivalents(text) == {"special": {
        "equivalent": ["mlmath.special.x_a__mutmut_2", "mlmath.special.x_a__mutmut_3"],
        "not_run": ["mlmath.special.x_c__mutmut_7"]}}


def test_wilson_interval():
    """The Wilson interval of 94/99 is about [0.887, 0.978] and contains the estimate;
    all successes give an upper bound of 1."""
    low, high = ms.wilson(94, 99)
    assert low == pytest.approx(0.8873, abs=5e-4) and high == pytest.approx(0.9782, abs=5e-4)
    assert ms.wilson(97, 97)[1] == 1.0 and ms.wilson(0, 0) == (0.0, 1.0)


def test_the_block_needs_the_readme_markers(tmp_path):
    """A README without the markers is an error, not a silently unchanged file."""
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no block between"):
        ms.render(readme=readme)
