"""Every public function on Array API arrays (issue #17): array_api_strict, torch, jax.

The cases are generated from ``mlmath.__all__`` with the valid inputs of the
bad-input matrix (``tests/test_bad_input.py``), so a new public function is
covered automatically.  For each function and namespace: the result has the
input's library, dtype and device and agrees with the NumPy path; bad input
raises the NumPy path's exception naming the same argument; the functions
listed as native (``mlmath._namespace.NATIVE``) never copy to the host, and
the others do (the list cannot lie).  torch and jax run where installed.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlmath
from mlmath import _namespace
from mlmath.adapters.namespace import available_namespaces, namespace_module
from tests import test_bad_input as matrix

pytest.importorskip("array_api_strict")

NAMESPACES = [n for n in available_namespaces() if n != "numpy"]

#: Agreement with the NumPy path, in eps of the result dtype (relative, with an
#: absolute floor of the same number of eps times the largest |entry|).  The
#: native functions compute the NumPy path's algorithm with the namespace's own
#: exp/log/sum (array_api_strict is NumPy underneath: bit-identical on the NumPy
#: backend; torch's libm and summation order differ by an ulp or two);
#: host-computed functions are the NumPy path itself.
RTOL_EPS = 8.0
#: Larger bounds, each with the reason.
RTOL_EPS_FOR: dict[str, float] = {}


def _convert(value: Any, xp: Any, dtype: Any = None) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        if dtype is not None and value.dtype.kind == "f":
            value = value.astype(dtype)
        return xp.asarray(value.copy())
    return value


def _leaves(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple) else [result]


def _library(x: Any) -> str:
    from mlmath.adapters.namespace import _library_of

    return str(_library_of(x))


def _kwargs(fname: str) -> dict[str, Any]:
    return matrix._default_kwargs(fname, getattr(mlmath, fname))


def _call(fname: str, kwargs: dict[str, Any]) -> Any:
    return getattr(mlmath, fname)(**kwargs)


CASES = [pytest.param(ns, fname, id=f"{ns}-{fname}") for ns in NAMESPACES
         for fname in mlmath.__all__]


def _as_dtype(kwargs: dict[str, Any], dtype: str) -> dict[str, Any]:
    return {k: (v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
            for k, v in kwargs.items()}


def _assert_matches_numpy(namespace: str, fname: str, make: Callable[[], dict[str, Any]]) -> None:
    """``fname`` on ``namespace`` arrays: the input's library, dtype and device, and the
    NumPy path's values within RTOL_EPS eps (``make`` gives fresh host arguments: a
    dropout ``rng`` is drawn from once per call)."""
    xp = namespace_module(namespace)
    expected = _leaves(_call(fname, make()))
    got = _leaves(_call(fname, {k: _convert(v, xp) for k, v in make().items()}))
    assert len(got) == len(expected)
    device = _namespace.device_of(xp.asarray(np.zeros(1)))
    bound = RTOL_EPS_FOR.get(fname, RTOL_EPS)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert _library(g) == namespace, f"{fname}[{i}]: got {type(g).__name__}"
        e = np.asarray(e)
        h = np.asarray(_namespace.to_host(g))
        assert h.dtype == e.dtype, f"{fname}[{i}]: dtype {g.dtype}, NumPy path gives {e.dtype}"
        assert _namespace.device_of(g) == device
        assert h.shape == e.shape
        eps = float(np.finfo(e.dtype).eps)
        scale = float(np.max(np.abs(e), initial=0.0, where=np.isfinite(e)))
        with np.errstate(invalid="ignore"):  # inf - inf where both are inf (equal)
            ok = (h == e) | (np.abs(h - e) <= bound * eps * (np.abs(e) + scale))
        assert ok.all(), (f"{fname}[{i}] on {namespace}: max |diff| "
                          f"{np.max(np.abs(h - e))} > {bound} eps; got {h}, expected {e}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("namespace", "fname"), CASES)
def test_result_type_dtype_and_values_match_numpy(namespace: str, fname: str, dtype: str) -> None:
    """The result is an array of the input's library, dtype and device, equal to the
    NumPy path's within RTOL_EPS eps."""
    host = _as_dtype(_kwargs(fname), dtype)
    _assert_matches_numpy(namespace, fname, lambda: dict(host))


_RNG = np.random.default_rng(1717)
_Q4 = _RNG.standard_normal((2, 4, 5, 3))
_KV2 = _RNG.standard_normal((1, 2, 6, 3))
_KV4 = _RNG.standard_normal((2, 4, 6, 3))
_MASK = _RNG.random((5, 6)) > 0.3
_MASK[1] = False  # a query with no allowed key
_JOINT = _RNG.dirichlet(np.ones(12)).reshape(3, 4)
_NEARLY_INDEPENDENT = np.outer([0.2, 0.3, 0.5], [0.1, 0.6, 0.3]) * (1 + 1e-9 * np.array(
    [[1.0, -1.0, 0.5], [-0.5, 1.0, -1.0], [0.25, -0.75, 1.0]]))
_BIAS = _RNG.standard_normal((4, 5, 6))
_LABELS = np.array([[7, -3, 7], [10**12, -3, 7]])  # unsorted, negative, sparse


def _sdpa(fname: str = "scaled_dot_product_attention", **kw: Any) -> dict[str, Any]:
    return {**_kwargs(fname), "q": _Q4, "k": _KV4, "v": _KV4 * 0.5, "mask": _MASK,
            "attn_bias": _BIAS, **kw}


#: Parameter combinations the default inputs above do not reach, per native function:
#: id -> (function, arguments over the defaults; a callable where the arguments hold a
#: fresh ``rng``).
VARIANTS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "sdpa-blocked": ("scaled_dot_product_attention", lambda: _sdpa(
        block_size=2, causal="lower_right", return_lse=True)),
    "sdpa-blocked-causal-1": ("scaled_dot_product_attention", lambda: _sdpa(
        block_size=1, causal=True, mask=None)),
    "sdpa-high": ("scaled_dot_product_attention", lambda: _sdpa(
        q=_Q4 * 20.0, precision="high", causal=True, return_lse=True)),
    "sdpa-high-blocked": ("scaled_dot_product_attention", lambda: _sdpa(
        q=_Q4 * 20.0, precision="high", block_size=2)),
    "weights-high": ("attention_weights", lambda: {
        **_kwargs("attention_weights"), "q": _Q4 * 20.0, "k": _KV4, "mask": _MASK,
        "attn_bias": _BIAS, "precision": "high"}),
    "sdpa-dropout": ("scaled_dot_product_attention", lambda: _sdpa(
        dropout_p=0.3, rng=np.random.default_rng(5))),
    "sdpa-dropout-blocked-gqa": ("scaled_dot_product_attention", lambda: _sdpa(
        k=_KV2, v=_KV2, mask=None, attn_bias=None, enable_gqa=True, block_size=2,
        dropout_p=0.3, rng=np.random.default_rng(5))),
    "grad-blocked": ("scaled_dot_product_attention_grad", lambda: _sdpa(
        "scaled_dot_product_attention_grad", causal=True, grad_out=_Q4 * 2.0, block_size=2)),
    "grad-gqa-broadcast": ("scaled_dot_product_attention_grad", lambda: _sdpa(
        "scaled_dot_product_attention_grad", k=_KV2, v=_KV2, mask=None, attn_bias=None,
        enable_gqa=True, grad_out=_Q4 * 2.0)),
    "mha-mask-causal": ("multi_head_attention", lambda: {
        **_kwargs("multi_head_attention"), "mask": np.array([[True, True, False]] * 3),
        "causal": True}),
    **{f"renyi-divergence-{alpha}": ("renyi_divergence", lambda alpha=alpha: {
        **_kwargs("renyi_divergence"), "alpha": alpha})
       for alpha in (0.0, 0.5, 2.0, 30.0, float("inf"))},
    "renyi-divergence-small-power-sum": ("renyi_divergence", lambda: {
        "p": np.array([0.98, 0.01, 0.01]), "q": np.array([1e-12, 0.5, 0.5 - 1e-12]),
        "alpha": 3.0}),
    "conditional-entropy-dominant": ("conditional_entropy", lambda: {
        "pxy": np.array([[0.5, 0.0], [1e-18, 0.5]])}),
    "conditional-entropy-table": ("conditional_entropy", lambda: {"pxy": _JOINT}),
    "mutual-information-nearly-independent": ("mutual_information", lambda: {
        "pxy": _NEARLY_INDEPENDENT, "validate": False}),
    "mutual-information-table": ("mutual_information", lambda: {"pxy": _JOINT}),
    **{f"{f}-sparse-labels": (f, lambda f=f: {**_kwargs(f), "groups": _LABELS,
                                             "sqrt_size_weights": True})
       for f in ("group_lasso", "prox_group_lasso", "sparse_group_lasso",
                 "sparse_group_lasso_subgradient", "prox_sparse_group_lasso")},
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variants_match_numpy_natively(variant: str, namespace: str, dtype: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocked, high-precision and dropout attention, the gradient, MHA, the Rényi
    orders, the joint tables and arbitrary group labels agree with the NumPy path within
    RTOL_EPS eps, without copying the arrays to the host."""
    fname, make = VARIANTS[variant]
    assert fname in _namespace.NATIVE
    converted = _as_dtype(make(), dtype)
    expected = {k: v for k, v in converted.items() if k != "rng"}

    def fresh() -> dict[str, Any]:
        return {**expected, **({"rng": make()["rng"]} if "rng" in converted else {})}

    real_to_host = _namespace.to_host

    def refuse(x: Any) -> Any:
        if type(x) not in _namespace.HOST_TYPES and _namespace._is_foreign(x):
            raise _HostCopy
        return x

    xp = namespace_module(namespace)
    monkeypatch.setattr(_namespace, "to_host", refuse)
    _call(fname, {k: _convert(v, xp) for k, v in fresh().items()})  # no host copy
    monkeypatch.setattr(_namespace, "to_host", real_to_host)  # the comparison copies
    _assert_matches_numpy(namespace, fname, fresh)


def _first_array_param(fname: str) -> str:
    params = inspect.signature(getattr(mlmath, fname)).parameters
    return next(p for p, par in params.items() if "ArrayLike" in str(par.annotation))


@pytest.mark.parametrize(("namespace", "fname"), CASES)
def test_nan_raises_the_numpy_paths_error(namespace: str, fname: str) -> None:
    """A NaN in the first array argument raises the NumPy path's exception type and
    message (naming the argument)."""
    xp = namespace_module(namespace)
    kwargs = _kwargs(fname)
    pname = _first_array_param(fname)
    bad = np.asarray(kwargs[pname], dtype=np.float64).copy()
    bad.flat[-1] = np.nan
    kwargs[pname] = bad
    with pytest.raises((ValueError, TypeError)) as expected:
        _call(fname, kwargs)
    with pytest.raises(expected.type) as got:
        _call(fname, {k: _convert(v, xp) for k, v in kwargs.items()})
    assert f"`{pname}`" in str(got.value)
    assert str(got.value) == str(expected.value)


class _HostCopy(Exception):
    pass


@pytest.mark.parametrize("fname", mlmath.__all__)
def test_native_list_is_true(fname: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A function in ``NATIVE`` runs on array_api_strict arrays without copying them
    to the host; every other function copies (it is computed by the NumPy path)."""
    xp = namespace_module("array_api_strict")
    kwargs = {k: _convert(v, xp) for k, v in _kwargs(fname).items()}

    def refuse(x: Any) -> Any:
        if type(x) not in _namespace.HOST_TYPES and _namespace._is_foreign(x):
            raise _HostCopy
        return x

    monkeypatch.setattr(_namespace, "to_host", refuse)
    if fname in _namespace.NATIVE:
        _call(fname, kwargs)
    else:
        with pytest.raises(_HostCopy):
            _call(fname, kwargs)


def test_native_names_are_public() -> None:
    """The table names only public functions (a typo would silently mean 'host')."""
    assert set(_namespace.NATIVE) <= set(mlmath.__all__)


@pytest.mark.parametrize("fname", mlmath.__all__)
def test_output_stays_on_a_non_default_device(fname: str) -> None:
    """array_api_strict's second device: the result lives where the input does."""
    import array_api_strict as xs

    device = xs.Device("device1")
    kwargs = {k: (xs.asarray(v.copy(), device=device)
                  if isinstance(v, np.ndarray) and v.dtype.kind in "biuf" else v)
              for k, v in _kwargs(fname).items()}
    for leaf in _leaves(_call(fname, kwargs)):
        assert leaf.device == device


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_two_libraries_raise_type_error_naming_both(namespace: str) -> None:
    """p from one library and q from another (or NumPy): TypeError naming both."""
    xp = namespace_module(namespace)
    p = xp.asarray(np.array([0.5, 0.5]))
    with pytest.raises(TypeError, match=r"`q`: expected an array of the same library as `p`"):
        mlmath.kl_divergence(p, np.array([0.5, 0.5]))


def test_python_sequences_mix_with_foreign_arrays() -> None:
    """Lists and Python numbers beside a foreign array are converted to it."""
    import array_api_strict as xs

    out = mlmath.softmax(xs.asarray([0.0, 0.0]), where=[True, False])
    assert out.device == xs.Device("CPU_DEVICE")
    assert np.asarray(out).tolist() == [1.0, 0.0]


def test_numpy_path_untouched_by_dispatch() -> None:
    """NumPy input still returns NumPy scalars and arrays (not 0-d arrays of a namespace)."""
    assert type(mlmath.softplus(0.5)) is np.float64
    assert type(mlmath.entropy(np.array([0.5, 0.5]))) is np.float64
    assert type(mlmath.softmax(np.array([0.0, 1.0]))) is np.ndarray


_X = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]])

#: Input the NumPy path refuses, for the functions whose native checks hand the
#: error case to the host (:class:`mlmath._namespace.OnHost`): a label out of range,
#: float labels, a wrong target shape, ignore_index with probability targets,
#: unnormalised probabilities, class weights of the wrong shape, a row of only -inf.
REFUSED = [
    ("softmax_cross_entropy", {"logits": _X, "targets": np.array([0, 3])}),
    ("softmax_cross_entropy", {"logits": _X, "targets": np.array([0.0, 1.0])}),
    ("softmax_cross_entropy", {"logits": _X, "targets": np.array([0, 1, 2])}),
    ("softmax_cross_entropy", {"logits": _X, "targets": np.full((2, 3), 1 / 3),
                               "ignore_index": 0}),
    ("softmax_cross_entropy_grad", {"logits": _X, "targets": np.full((2, 3), 0.5)}),
    ("softmax_cross_entropy_grad", {"logits": _X, "targets": np.array([0, 1]),
                                    "class_weights": np.ones(2)}),
    ("softmax_cross_entropy", {"logits": np.full_like(_X, -np.inf),
                               "targets": np.array([0, 1])}),
    ("poly_loss_cross_entropy", {"logits": _X, "targets": np.array([-1, 0])}),
    ("multiclass_hinge_loss", {"scores": _X, "labels": np.array([0, 5])}),
    ("multiclass_hinge_loss_grad", {"scores": _X, "labels": np.array([[0, 1]])}),
    ("info_nce", {"query": _X, "keys": _X[:1]}),
    ("info_nce_grad", {"query": _X, "keys": _X, "positive": np.array([0, 2])}),
    ("nt_xent", {"embeddings": _X, "labels": np.array([0, 1])}),
    ("nt_xent_grad", {"embeddings": _X, "labels": np.array([0.0, 0.0])}),
]


@pytest.mark.parametrize(("fname", "kwargs"), REFUSED,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(REFUSED)])
def test_refused_input_raises_the_numpy_paths_error(fname: str, kwargs: dict[str, Any]) -> None:
    """Input the NumPy path refuses raises its exception type and message on
    array_api_strict too (the native checks fail, the host names the entry)."""
    import array_api_strict as xs

    with pytest.raises((ValueError, TypeError)) as expected:
        _call(fname, kwargs)
    with pytest.raises(expected.type) as got:
        _call(fname, {k: _convert(v, xs) for k, v in kwargs.items()})
    assert str(got.value) == str(expected.value)


def test_unvalidated_labels_out_of_range_are_the_numpy_paths() -> None:
    """With validate=False a label out of range means what the NumPy path's indexing
    makes of it (-1 is the last class): that call runs on the host."""
    import array_api_strict as xs

    kwargs = {"logits": _X, "targets": np.array([-1, 0]), "validate": False}
    want = mlmath.softmax_cross_entropy_grad(**kwargs)
    got = mlmath.softmax_cross_entropy_grad(**{k: _convert(v, xs) for k, v in kwargs.items()})
    assert np.array_equal(np.asarray(got), want)


def test_label_gathering_without_take_along_axis() -> None:
    """A namespace that predates ``take_along_axis`` gathers the labels with a flat
    ``take``: the same entries."""
    import types

    import array_api_strict as xs

    from mlmath._xp import losses as portable

    older = types.SimpleNamespace(**{n: getattr(xs, n) for n in dir(xs)
                                     if n != "take_along_axis" and not n.startswith("__")})
    rows, index = xs.asarray(_X), xs.asarray(np.array([2, 0]))
    assert np.asarray(portable._pick(older, rows, index)).tolist() == [2.0, 0.0]
    assert np.asarray(portable._pick(xs, rows, index)).tolist() == [2.0, 0.0]


# --------------------------------------------------------------------------- #
# Gradients against the library's own autograd
# --------------------------------------------------------------------------- #

#: grad function -> (loss function, the arguments it differentiates: the gradient
#: returns one array per argument, in this order).  Every native pair: a gradient
#: whose loss is host-computed cannot be compared (autograd does not see through the
#: host copy); test_grad_pairs_cover_the_native_gradients keeps this table complete.
GRADIENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "huber_grad": ("huber", ("x",)),
    "squared_l2_grad": ("squared_l2", ("w",)),
    "l1_subgradient": ("l1", ("w",)),
    "elastic_net_subgradient": ("elastic_net", ("w",)),
    "sigmoid_binary_cross_entropy_grad": ("sigmoid_binary_cross_entropy", ("logits",)),
    "sigmoid_focal_loss_grad": ("sigmoid_focal_loss", ("logits",)),
    "hinge_loss_grad": ("hinge_loss", ("scores",)),
    "softmax_cross_entropy_grad": ("softmax_cross_entropy", ("logits",)),
    "poly_loss_cross_entropy_grad": ("poly_loss_cross_entropy", ("logits",)),
    "multiclass_hinge_loss_grad": ("multiclass_hinge_loss", ("scores",)),
    "info_nce_grad": ("info_nce", ("query", "keys")),
    "nt_xent_grad": ("nt_xent", ("embeddings",)),
    "sparse_group_lasso_subgradient": ("sparse_group_lasso", ("x",)),
}


def _autograd_kwargs(loss: str, args: tuple[str, ...]) -> dict[str, Any]:
    """The valid inputs, moved off the kinks (|x| = delta, x = 0, a zero hinge slack)
    where a subgradient and autograd may legitimately differ."""
    kwargs = _kwargs(loss)
    for arg in args:
        kwargs[arg] = np.asarray(kwargs[arg], dtype=np.float64) + 0.125
    return kwargs


#: Gradients of several arguments, compared by their own tests below.
TUPLE_GRADIENTS = {"scaled_dot_product_attention_grad": "test_sdpa_grad_matches_autograd"}


def test_grad_pairs_cover_the_native_gradients() -> None:
    """Every native (sub)gradient whose loss is native has an autograd comparison."""
    native_grads = {n for n in _namespace.NATIVE if n.endswith(("_grad", "_subgradient"))}
    paired = {g for g in native_grads
              if g.rsplit("_", 1)[0] in _namespace.NATIVE}
    compared = set(GRADIENTS) | set(TUPLE_GRADIENTS)
    assert paired <= compared, sorted(paired - compared)
    assert all(name in globals() for name in TUPLE_GRADIENTS.values())


def _autograd_cases() -> list[Any]:
    cases = []
    for ns in ("torch", "jax"):
        for grad, (loss, args) in GRADIENTS.items():
            cases.append(pytest.param(ns, grad, loss, args, id=f"{ns}-{grad}"))
    return cases


@pytest.mark.parametrize(("namespace", "grad", "loss", "args"), _autograd_cases())
def test_grad_matches_autograd(namespace: str, grad: str, loss: str,
                               args: tuple[str, ...]) -> None:
    """mlmath's analytic gradient on torch/jax arrays equals the library's autograd of
    mlmath's own (native) loss on the same input, within 8 eps."""
    pytest.importorskip(namespace)
    assert loss in _namespace.NATIVE, "autograd needs the loss computed natively"
    xp = namespace_module(namespace)
    kwargs = {k: _convert(v, xp) for k, v in _autograd_kwargs(loss, args).items()}
    analytic = _leaves(getattr(mlmath, grad)(**kwargs))
    if namespace == "torch":
        xs = {arg: kwargs[arg].clone().requires_grad_(True) for arg in args}
        getattr(mlmath, loss)(**{**kwargs, **xs}).backward()
        auto = [xs[arg].grad for arg in args]
    else:
        import jax

        # validate=False: the checks branch on values, which jax.grad traces abstractly
        unchecked = {**kwargs, "validate": False}

        def f(*x: Any) -> Any:
            return getattr(mlmath, loss)(**{**unchecked, **dict(zip(args, x, strict=True))})

        auto = list(jax.grad(f, argnums=tuple(range(len(args))))(*(kwargs[a] for a in args)))
    assert len(analytic) == len(auto)
    for got, want in zip(analytic, auto, strict=True):
        a, b = np.asarray(_namespace.to_host(got)), np.asarray(_namespace.to_host(want))
        np.testing.assert_allclose(a, b, rtol=8 * np.finfo(a.dtype).eps, atol=1e-15)


@pytest.mark.parametrize("precision", ["default", "high"])
@pytest.mark.parametrize("block_size", [None, 2], ids=["plain", "blocked"])
@pytest.mark.parametrize("case", ["mask-bias-causal", "gqa-broadcast"])
def test_sdpa_grad_matches_autograd(case: str, block_size: int | None, precision: str) -> None:
    """The analytic (dq, dk, dv) of scaled_dot_product_attention on torch tensors equals
    torch's autograd of mlmath's native forward pass (L = sum(grad_out * out); also
    through the double-double scores of precision="high"), within 8 eps of the largest
    gradient entry."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    q = rng.standard_normal((2, 4, 5, 3))
    if case == "gqa-broadcast":  # 2 kv heads for 4 query heads; k, v broadcast over batch
        k, v = rng.standard_normal((1, 2, 6, 3)), rng.standard_normal((1, 2, 6, 2))
        kwargs: dict[str, Any] = {"enable_gqa": True}
    else:
        k, v = rng.standard_normal((2, 4, 6, 3)), rng.standard_normal((2, 4, 6, 2))
        kwargs = {"mask": torch.asarray(rng.random((5, 6)) > 0.25),
                  "attn_bias": torch.asarray(rng.standard_normal((4, 5, 6))),
                  "causal": "lower_right"}
    g = torch.asarray(rng.standard_normal((2, 4, 5, 2)))
    leaves = [torch.asarray(a).requires_grad_(True) for a in (q, k, v)]
    out = mlmath.scaled_dot_product_attention(*leaves, block_size=block_size,
                                              precision=precision, **kwargs)
    (out * g).sum().backward()
    analytic = mlmath.scaled_dot_product_attention_grad(
        *(torch.asarray(a) for a in (q, k, v)), g, block_size=block_size, **kwargs)
    for name, a, leaf in zip("qkv", analytic, leaves, strict=True):
        auto = leaf.grad.numpy()
        got = a.numpy()
        assert got.shape == auto.shape
        bound = 8 * np.finfo(got.dtype).eps * np.max(np.abs(auto))
        assert np.max(np.abs(got - auto)) <= bound, f"d{name}: {got} vs autograd {auto}"


# --------------------------------------------------------------------------- #
# The documentation's list is generated from the table (drift check)
# --------------------------------------------------------------------------- #

REPO = Path(__file__).resolve().parents[1]
_TABLE = re.compile(r"<!-- support table: .*? -->\n(.*?)\n<!-- end of support table -->", re.S)


def test_docs_list_the_native_and_host_functions_of_the_table() -> None:
    """docs/array_api.md holds exactly ``support_table()`` (regenerate it from there)."""
    page = (REPO / "docs" / "array_api.md").read_text(encoding="utf-8")
    found = _TABLE.search(page)
    assert found, "docs/array_api.md lost its support-table markers"
    assert found.group(1).strip() == _namespace.support_table().strip(), (
        "docs/array_api.md is stale: paste mlmath._namespace.support_table() between the "
        "markers")


def test_readme_counts_the_native_functions() -> None:
    """The README's count of native functions is the table's."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{len(_namespace.NATIVE)} functions (special" in readme


def _array_arguments(fname: str) -> list[str]:
    return [k for k, v in _kwargs(fname).items()
            if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"]


@pytest.mark.parametrize(("fname", "host"), [
    pytest.param(fname, name, id=f"{fname}-{name}") for fname in mlmath.__all__
    if len(_array_arguments(fname)) > 1 for name in _array_arguments(fname)])
def test_a_numpy_array_among_foreign_ones_is_named(fname: str, host: str) -> None:
    """Every array argument takes part in the dispatch: with every array argument an
    array_api_strict array but ``host``, a NumPy array, the call is a TypeError naming
    ``host`` and the first foreign argument (in the signature's order)."""
    import array_api_strict as xs

    kwargs = _kwargs(fname)
    arrays = _array_arguments(fname)
    for name in arrays:
        if name != host:
            kwargs[name] = xs.asarray(kwargs[name].copy())
    first = next(name for name in arrays if name != host)
    with pytest.raises(TypeError, match=rf"`{host}`: expected an array of the same library "
                                        rf"as `{first}` \(array_api_strict\), got a NumPy array"):
        _call(fname, kwargs)


@pytest.mark.parametrize("fname", [
    n for n in mlmath.__all__ if "validate" in inspect.signature(getattr(mlmath, n)).parameters])
def test_a_non_bool_validate_is_named_on_foreign_arrays(fname: str) -> None:
    """``validate`` must be a bool on every namespace (a truthy string validates nothing
    silently otherwise): TypeError naming it, before any computation."""
    import array_api_strict as xs

    kwargs = {k: (xs.asarray(v.copy()) if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"
                  else v) for k, v in _kwargs(fname).items()}
    with pytest.raises(TypeError, match=r"`validate`"):
        _call(fname, {**kwargs, "validate": "no"})
