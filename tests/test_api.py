"""The public API: exactly ``mlmath.__all__``, each name documented, typed and verified.

``CONTRACT`` below is the API contract (names and signatures per topic module),
kept here as data so the tests never read anything outside the project.
Every contract name must be exported.  Every name in ``mlmath.__all__`` must
be in the contract, importable from the top level and from its topic module,
type-hinted, documented in NumPy style (Parameters, Returns, Notes with a formula, Examples with a
doctest, References), exercised by a property in ``properties/`` and mentioned
in the README.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from pathlib import Path
from typing import Any

import pytest

import mlmath

REPO = Path(__file__).resolve().parents[1]

#: The contract, one signature per line, as the API documents it.  ``...`` after
#: the positional arguments means "the same keywords as the related function";
#: only the positional prefix of such a line is checked.
CONTRACT: dict[str, str] = {
    "special": """
        logsumexp(x, *, axis=-1, b=None, keepdims=False, return_sign=False, where=None)
        softmax(x, *, axis=-1)
        log_softmax(x, *, axis=-1)
        sigmoid(x)
        log_sigmoid(x)
        softplus(x)
    """,
    "information": """
        entropy(p, *, axis=-1, base=None)
        cross_entropy(p, q, *, axis=-1, base=None)
        kl_divergence(p, q, *, axis=-1, base=None)
        js_divergence(p, q, *, axis=-1, base=None)
        binary_entropy(p, *, base=None)
        joint_entropy(pxy, *, base=None)
        conditional_entropy(pxy, *, base=None)
        mutual_information(pxy, *, base=None)
        js_distance(p, q, *, axis=-1, base=None)
        renyi_entropy(p, *, alpha, axis=-1, base=None)
        renyi_divergence(p, q, *, alpha, axis=-1, base=None)
        tsallis_entropy(p, *, q, axis=-1, base=None)
    """,
    "losses": """
        softmax_cross_entropy(logits, targets, *, axis=-1, label_smoothing=0.0, class_weights=None, ignore_index=None, reduction="mean")
        softmax_cross_entropy_grad(logits, targets, *, axis=-1, label_smoothing=0.0, class_weights=None, ignore_index=None, reduction="mean")
        sigmoid_binary_cross_entropy(logits, targets, *, pos_weight=None, reduction="mean")
        sigmoid_binary_cross_entropy_grad(logits, targets, ...)
        binary_cross_entropy(probs, targets, *, reduction="mean")
        sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, reduction="mean")
        sigmoid_focal_loss_grad(logits, targets, ...)
        poly_loss_cross_entropy(logits, targets, *, epsilon=2.0, ...)
        poly_loss_cross_entropy_grad(logits, targets, ...)
        hinge_loss(scores, targets, *, margin=1.0, reduction="mean")
        hinge_loss_grad(scores, targets, ...)
        multiclass_hinge_loss(scores, labels, *, margin=1.0, reduction="mean", axis=-1)
        multiclass_hinge_loss_grad(scores, labels, ...)
        info_nce(query, keys, *, temperature=0.1, similarity="cosine", positive=None, reduction="mean")
        info_nce_grad(query, keys, ...)
        nt_xent(embeddings, labels, *, temperature=0.1, similarity="cosine", reduction="mean")
        nt_xent_grad(embeddings, labels, ...)
    """,  # noqa: E501 - one signature per line, as in the contract
    "attention": """
        attention_weights(q, k, *, mask=None, causal=False, scale=None)
        scaled_dot_product_attention(q, k, v, *, mask=None, causal=False, scale=None, block_size=None)
        scaled_dot_product_attention_grad(q, k, v, grad_out, *, mask=None, causal=False, scale=None)
        multi_head_attention(x, w_q, w_k, w_v, w_o, *, num_heads, mask=None, causal=False)
    """,  # noqa: E501
    "penalties": """
        l1(w)
        squared_l2(w)
        elastic_net(w, *, alpha=1.0, l1_ratio=0.5)
        group_lasso(w, groups)
        l1_subgradient(w)
        squared_l2_grad(w)
        elastic_net_subgradient(w, ...)
        prox_l1(x, t)
        prox_squared_l2(x, t)
        prox_elastic_net(x, t, *, alpha=1.0, l1_ratio=0.5)
        prox_group_lasso(x, t, groups)
        huber(x, delta=1.0)
        huber_grad(x, delta=1.0)
        prox_huber(x, tau, *, delta=1.0)
        nuclear_norm(X)
        prox_nuclear_norm(X, tau)
        prox_linf(x, tau)
        project_simplex(x, *, radius=1.0, axis=-1)
        project_l1_ball(x, *, radius=1.0)
        project_box(x, lower, upper)
        sparse_group_lasso(x, groups, *, alpha, l1_ratio)
        sparse_group_lasso_subgradient(x, groups, ...)
        prox_sparse_group_lasso(x, t, groups, ...)
    """,  # huber_grad: an extension beyond API.md (the gradient of huber), see README
}

#: Functions simple enough that a References section would be padding.
NO_REFERENCES_NEEDED = frozenset({"l1", "squared_l2", "squared_l2_grad", "l1_subgradient"})


def parse_signature(line: str) -> tuple[str, ast.arguments]:
    """Name and parsed arguments of a contract line (only the positional ones before ``...``)."""
    name, rest = line.split("(", 1)
    if rest.rstrip(")").rstrip().endswith("..."):
        positional = rest.rstrip(")").rstrip().removesuffix("...").rstrip(", ")
        return name, ast.parse(f"def f({positional}): pass").body[0].args  # type: ignore[attr-defined]
    return name, ast.parse(f"def {line}: pass").body[0].args  # type: ignore[attr-defined]


SIGNATURES: dict[str, tuple[str, ast.arguments, bool]] = {}  # name -> (topic, args, partial)
for _topic, _block in CONTRACT.items():
    for _line in filter(None, map(str.strip, _block.splitlines())):
        _name, _args = parse_signature(_line)
        SIGNATURES[_name] = (_topic, _args, "..." in _line)

EXPORTED = list(mlmath.__all__)


def docstring_sections(doc: str) -> dict[str, str]:
    """NumPy-style sections (``Title`` underlined with dashes) -> their text."""
    doc = inspect.cleandoc(doc)
    heads = list(re.finditer(r"^(\w[\w ]*)\n-{3,}\s*$", doc, flags=re.MULTILINE))
    return {m.group(1): doc[m.end():(heads[i + 1].start() if i + 1 < len(heads) else None)]
            for i, m in enumerate(heads)}


def documented_parameters(section: str) -> set[str]:
    """Names on the header lines of a Parameters section (numpydoc: ``name : type``,
    ``x, y : type``, or a bare ``name`` line; descriptions are indented further)."""
    lines = [ln for ln in section.splitlines() if ln.strip()]
    if not lines:
        return set()
    base = min(len(ln) - len(ln.lstrip()) for ln in lines)
    names: set[str] = set()
    for ln in lines:
        if len(ln) - len(ln.lstrip()) == base:
            head = ln.split(" :", 1)[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def source_text(folder: str, pattern: str = "*.py") -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / folder).glob(pattern)))


def readme_text() -> str:
    """The README, where every public name must be documented."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


# --------------------------------------------------------------------------- the export list

def test_all_has_no_duplicates():
    assert len(EXPORTED) == len(set(EXPORTED)), sorted(n for n in EXPORTED if
                                                         EXPORTED.count(n) > 1)


def test_public_names_are_exactly_all():
    """Every public non-module attribute of the package is in ``__all__`` and vice versa."""
    public = {name for name, value in vars(mlmath).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)
              and type(value).__name__ != "_Feature"}  # `from __future__ import annotations`
    assert public == set(EXPORTED)


@pytest.mark.parametrize("name", EXPORTED)
def test_exported_name_is_in_the_contract(name):
    assert name in SIGNATURES, f"{name} is exported but not part of the API contract"


@pytest.mark.parametrize("topic", sorted(CONTRACT))
def test_every_contract_name_is_exported(topic):
    missing = [n for n, (t, _, _) in SIGNATURES.items() if t == topic and n not in EXPORTED]
    assert not missing, f"mlmath.__all__ lacks the {topic} names {missing}"


# --------------------------------------------------------------------------- each public name

@pytest.fixture(params=EXPORTED)
def public(request) -> tuple[str, Any]:
    """(name, function) for each exported name that is in the contract."""
    name = request.param
    if name not in SIGNATURES:
        pytest.skip(f"{name} is not in the contract (reported separately)")
    return name, getattr(mlmath, name)


def test_importable_from_top_level_and_topic_module(public):
    name, fn = public
    topic = SIGNATURES[name][0]
    module = importlib.import_module(f"mlmath.{topic}")
    assert getattr(module, name, None) is fn, f"mlmath.{topic}.{name} is not mlmath.{name}"
    if hasattr(module, "__all__"):
        assert name in module.__all__, f"{name} missing from mlmath.{topic}.__all__"


def test_signature_follows_the_contract(public):
    """Contract arguments keep their names, order, kinds and defaults; extras are keyword-only."""
    name, fn = public
    _, expected, partial = SIGNATURES[name]
    params = inspect.signature(fn).parameters
    positional = [p for p in params.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    want_positional = expected.posonlyargs + expected.args
    assert [p.name for p in positional[:len(want_positional)]] == [
        a.arg for a in want_positional], f"{name}: positional arguments differ"
    want_defaults = dict(zip([a.arg for a in want_positional][::-1],
                             [ast.literal_eval(d) for d in expected.defaults[::-1]], strict=False))
    for p in positional[:len(want_positional)]:
        default = want_defaults.get(p.name, inspect.Parameter.empty)
        assert p.default == default, f"{name}({p.name}=...): default {p.default!r} != {default!r}"
    if partial:
        return
    assert len(positional) == len(want_positional), f"{name}: extra positional arguments"
    for arg, default in zip(expected.kwonlyargs, expected.kw_defaults, strict=True):
        assert arg.arg in params, f"{name}: keyword-only argument {arg.arg} missing"
        p = params[arg.arg]
        assert p.kind is p.KEYWORD_ONLY, f"{name}: {arg.arg} must be keyword-only"
        want = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        assert p.default == want, f"{name}({arg.arg}=...): default {p.default!r} != {want!r}"


def test_validate_escape_hatch(public):
    """Every public function takes keyword-only ``validate=True``."""
    name, fn = public
    p = inspect.signature(fn).parameters.get("validate")
    assert p is not None and p.kind is p.KEYWORD_ONLY and p.default is True, name


def test_fully_type_hinted(public):
    name, fn = public
    sig = inspect.signature(fn)
    unhinted = [p.name for p in sig.parameters.values() if p.annotation is p.empty]
    assert not unhinted, f"{name}: parameters without type hints: {unhinted}"
    assert sig.return_annotation is not sig.empty, f"{name}: no return type hint"


def test_numpy_style_docstring(public):
    """Summary, Parameters (every argument), Returns, Notes with a formula, a doctest."""
    name, fn = public
    doc = fn.__doc__ or ""
    sections = docstring_sections(doc)
    required = ["Parameters", "Returns", "Notes", "Examples"]
    if name not in NO_REFERENCES_NEEDED:
        required.append("References")
    missing = [s for s in required if s not in sections]
    assert not missing, f"{name}: docstring lacks the sections {missing}"
    assert inspect.cleandoc(doc).splitlines()[0].strip(), f"{name}: no summary line"
    undocumented = set(inspect.signature(fn).parameters) - documented_parameters(
        sections["Parameters"])
    assert not undocumented, f"{name}: parameters not documented: {sorted(undocumented)}"
    assert ".. math::" in sections["Notes"] or ":math:`" in sections["Notes"], (
        f"{name}: Notes have no formula (.. math::)")
    assert ">>> " in sections["Examples"], f"{name}: Examples have no doctest"


def test_has_a_property(public):
    """Some property in properties/ calls it through the implementation fixture."""
    name, _ = public
    pattern = rf"\bmm\.{name}\b|[\"']{name}[\"']"
    assert re.search(pattern, source_text("properties", "test_*.py")), (
        f"no property in properties/ uses mm.{name}")


def test_mentioned_in_readme(public):
    name, _ = public
    assert re.search(rf"\b{name}\b", readme_text()), f"README does not mention {name}"


# --------------------------------------------------------------------------- the helpers above

def test_contract_parser_reads_keywords_defaults_and_partial_lines():
    name, args = parse_signature('f(a, b, *, c=-1, d="mean", e=None)')
    assert name == "f" and [a.arg for a in args.args] == ["a", "b"]
    assert [ast.literal_eval(d) for d in args.kw_defaults] == [-1, "mean", None]
    name, args = parse_signature("g(logits, targets, ...)")
    assert (name, [a.arg for a in args.args], args.kwonlyargs) == ("g", ["logits", "targets"],
                                                                   [])


def test_docstring_section_parser():
    doc = """Summary.

    Parameters
    ----------
    x, y : array_like
        Inputs: not a parameter line.
    axis : int
    base, validate
        As in :func:`f`.

    Returns
    -------
    out : ndarray
    """
    sections = docstring_sections(doc)
    assert set(sections) == {"Parameters", "Returns"}
    assert documented_parameters(sections["Parameters"]) == {"x", "y", "axis", "base",
                                                             "validate"}
