"""Every public function fed every class of bad input (issue #14).

The matrix is generated from ``inspect.signature`` of each name in
``mlmath.__all__``, so a new public function is covered automatically -- and
fails loudly (naming the parameter) until its parameters have valid inputs in
``VALID`` below.  Each cell must be either a ``ValueError``/``TypeError`` whose
message names the parameter (the backquoted name, e.g. "`targets`"), or a
result listed in ``DOCUMENTED_VALID`` (with the reason it is valid).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mlmath

# --------------------------------------------------------------------------- #
# Valid inputs, per parameter name (overrides per function where one name means
# different shapes in different topics).
# --------------------------------------------------------------------------- #

_P = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
_Q = np.array([[0.3, 0.3, 0.4], [0.25, 0.5, 0.25]])
_QKV = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)

VALID: dict[str, Any] = {
    "x": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]),
    "logits": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]),
    "probs": np.array([[0.2, 0.7, 0.5], [0.9, 0.1, 0.4]]),
    "targets": np.array([0, 2]),
    "p": _P,
    "q": _Q,
    "pxy": np.array([[0.1, 0.2], [0.3, 0.4]]),
    "w": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]),
    "groups": np.array([[0, 0, 1], [1, 2, 2]]),
    "k": _QKV[::-1].copy(),
    "v": _QKV * 0.5,
    "grad_out": np.ones((2, 3, 4)),
    "w_q": np.eye(4),
    "w_k": np.eye(4) * 0.5,
    "w_v": np.eye(4)[::-1].copy(),
    "w_o": np.eye(4),
    "num_heads": 2,
    "t": 0.5,
    "delta": 1.0,
    "alpha": 1.0,
    "l1_ratio": 0.5,
    "label_smoothing": 0.1,
    "base": 2.0,
    "scale": 0.5,
    "axis": -1,
    "reduction": "mean",
    "precision": "default",
    "ignore_index": None,
    "block_size": None,
    "keepdims": False,
    "validate": True,
    "generalized": True,
    "log_input": False,
    "gamma": 2.0,
    "attn_bias": np.zeros((3, 3)),
    "enable_gqa": False,
    "return_lse": False,
    "dropout_p": 0.0,
    "rng": None,
    "radius": 1.0,
    "tau": 0.5,
    "X": np.array([[1.0, 2.0], [0.5, -1.0]]),
    "lower": np.array(-1.0),
    "upper": np.array(1.0),
    "epsilon": 2.0,
    "margin": 1.0,
    "temperature": 0.5,
    "similarity": "cosine",
    "positive": np.array([1, 0]),
    "query": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]),
    "keys": np.array([[1.0, 0.5, -0.5], [0.25, 2.0, 1.0], [-1.0, 0.0, 0.5]]),
    "embeddings": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25], [1.0, 0.5, -0.5],
                            [0.25, 2.0, 1.0]]),
    "scores": np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]),
    "labels": np.array([0, 2]),
    "log_target": False,
    "causal": False,
    "sqrt_size_weights": False,
    # optional arrays: a valid non-default value, from which the bad ones are built
    "mask": np.ones((3, 3), dtype=bool),
    "pos_weight": np.ones(3),
    "class_weights": np.ones(3),
    "b": np.array([1.0, 0.5, 2.0]),
    "where": np.array([[True, False, True], [True, True, True]]),
    "return_sign": False,
}

_BINARY_TARGETS = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
OVERRIDES: dict[tuple[str, str], Any] = {
    ("binary_cross_entropy", "targets"): _BINARY_TARGETS,
    ("sigmoid_binary_cross_entropy", "targets"): _BINARY_TARGETS,
    ("sigmoid_binary_cross_entropy_grad", "targets"): _BINARY_TARGETS,
    ("sigmoid_focal_loss", "targets"): _BINARY_TARGETS,
    ("sigmoid_focal_loss_grad", "targets"): _BINARY_TARGETS,
    ("hinge_loss", "targets"): np.array([[1, -1, 1], [-1, -1, 1]]),
    ("hinge_loss_grad", "targets"): np.array([[1, -1, 1], [-1, -1, 1]]),
    ("nt_xent", "labels"): np.array([0, 1, 0, 1]),
    ("nt_xent_grad", "labels"): np.array([0, 1, 0, 1]),
    ("binary_entropy", "p"): np.array([0.0, 0.3, 1.0]),
    ("tsallis_entropy", "q"): 2.0,
    ("attention_weights", "q"): _QKV,
    ("scaled_dot_product_attention", "q"): _QKV,
    ("scaled_dot_product_attention_grad", "q"): _QKV,
    ("multi_head_attention", "x"): _QKV,
}

# Cells that are *not* an error, each a documented valid result:
# (function, parameter, case) -> reason.  Keep it short and explain every entry.
# With the default validate=True every cell of the matrix is an error.
DOCUMENTED_VALID: dict[tuple[str, str, str], str] = {}

# Cases run with validate=False whose documented valid result is a NaN in the
# output: ``validate=False`` skips the value checks (never the type checks), so
# a NaN in a float input propagates -- it is never turned into a number.
NAN_PROPAGATES = "nan-inside-unvalidated"


def _valid(fname: str, pname: str) -> Any:
    if (fname, pname) in OVERRIDES:
        return OVERRIDES[fname, pname]
    if pname not in VALID:
        raise AssertionError(
            f"{fname}: no valid input for parameter `{pname}` in tests/test_bad_input.py VALID"
        )
    return VALID[pname]


def _kind(param: inspect.Parameter) -> str:
    ann = str(param.annotation)
    if "ArrayLike" in ann:
        return "array"
    if ann == "bool":
        return "bool"
    if "float" in ann:
        return "float"
    return "other"


def _functions() -> list[tuple[str, Callable[..., Any]]]:
    return [(name, getattr(mlmath, name)) for name in mlmath.__all__]


def _default_kwargs(fname: str, func: Callable[..., Any]) -> dict[str, Any]:
    return {p: _valid(fname, p) for p in inspect.signature(func).parameters}


def _bad_arrays(valid: Any) -> dict[str, Any]:
    base = np.asarray(valid, dtype=np.float64)
    nan = base.copy()
    nan.flat[-1] = np.nan
    return {
        "nan-inside": nan,
        "complex": base.astype(np.complex128),
        "str-array": np.full(base.shape, "a"),
        "object-array": np.array([object()] * max(base.size, 1), dtype=object),
        "ragged-list": [[1.0, 2.0], [3.0]],
        "masked-array": np.ma.masked_array(np.asarray(valid),
                                           mask=np.zeros(np.shape(valid), bool)),
        "None": None,
    }


def _cases() -> list[Any]:
    cases = []
    for fname, func in _functions():
        for pname, param in inspect.signature(func).parameters.items():
            kind = _kind(param)
            optional = "None" in str(param.annotation)
            bad: dict[str, Any] = {}
            if kind == "array":
                bad = _bad_arrays(_valid(fname, pname))
            elif kind == "bool":
                bad = {"str-yes": "yes", "int-1": 1, "None": None}
            elif kind == "float":
                bad = {"int-10**400": 10**400, "None": None}
            if optional:
                bad.pop("None", None)  # None is the documented default
            if kind == "array" and "validate" in inspect.signature(func).parameters:
                bad[NAN_PROPAGATES] = bad["nan-inside"]
            for case, value in bad.items():
                cases.append(pytest.param(fname, pname, case, value,
                                          id=f"{fname}-{pname}-{case}"))
    return cases


CASES = _cases()


@pytest.mark.parametrize("fname", mlmath.__all__)
def test_valid_defaults_run(fname: str) -> None:
    """The table's inputs are valid for every function (else the matrix tests nothing)."""
    func = getattr(mlmath, fname)
    func(**_default_kwargs(fname, func))


def test_unknown_parameter_fails_loudly() -> None:
    def new_function(x: Any, *, brand_new: float = 1.0) -> None:  # pragma: no cover
        return None

    with pytest.raises(AssertionError, match="`brand_new`"):
        _default_kwargs("new_function", new_function)


def test_matrix_covers_every_function() -> None:
    covered = {c.values[0] for c in CASES}
    assert covered == set(mlmath.__all__)


@pytest.mark.parametrize(("fname", "pname", "case", "value"), CASES)
def test_bad_input(fname: str, pname: str, case: str, value: Any) -> None:
    func = getattr(mlmath, fname)
    kwargs = _default_kwargs(fname, func)
    kwargs[pname] = value
    if case == NAN_PROPAGATES:
        kwargs["validate"] = False
    try:
        result = func(**kwargs)
    except (ValueError, TypeError) as exc:
        assert f"`{pname}`" in str(exc), f"message does not name `{pname}`: {exc}"
        assert (fname, pname, case) not in DOCUMENTED_VALID, "documented valid, but raised"
        return
    if case == NAN_PROPAGATES:
        parts = result if isinstance(result, tuple) else (result,)
        assert any(np.isnan(np.asarray(r)).any() for r in parts), (
            f"{fname}({pname} with a NaN, validate=False) hid the NaN: {result!r}")
        return
    assert (fname, pname, case) in DOCUMENTED_VALID, (
        f"{fname}({pname}={case}) returned a result: neither an error naming `{pname}` "
        f"nor a documented valid result")


# --------------------------------------------------------------------------- #
# The specific defects of issue #14
# --------------------------------------------------------------------------- #

def test_bool_message_and_numpy_bool_accepted() -> None:
    with pytest.raises(TypeError, match=r"`validate`: expected a bool, got 'no' \(str\)"):
        mlmath.softmax([1.0, 2.0], validate="no")
    with pytest.raises(TypeError, match="`keepdims`"):
        mlmath.logsumexp([1.0, 2.0], keepdims="yes")
    a = mlmath.logsumexp([1.0, 2.0], keepdims=np.bool_(True), validate=np.bool_(False))
    assert np.shape(a) == (1,)


@pytest.mark.parametrize(("fname", "kwargs", "name"), [
    ("entropy", {"p": [0.5, 0.5], "base": 10**400}, "base"),
    ("softmax_cross_entropy", {"logits": [[1.0, 2.0]], "targets": [0],
                               "label_smoothing": 10**400}, "label_smoothing"),
    ("attention_weights", {"q": _QKV, "k": _QKV, "scale": 10**400}, "scale"),
    ("huber", {"x": [1.0], "delta": 10**400}, "delta"),
    ("elastic_net", {"w": [1.0], "alpha": 10**400}, "alpha"),
    ("prox_l1", {"x": [1.0], "t": 10**400}, "t"),
])
def test_huge_int_is_value_error(fname: str, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`: expected .*too large for a float"):
        getattr(mlmath, fname)(**kwargs)


def test_label_smoothing_none() -> None:
    with pytest.raises(TypeError, match="`label_smoothing`"):
        mlmath.softmax_cross_entropy([[1.0, 2.0]], [0], label_smoothing=None)


@pytest.mark.parametrize("validate", [True, False])
def test_unsigned_labels_compared_by_value(validate: bool) -> None:
    logits = np.zeros((2, 3))
    labels = np.array([2**64 - 1, 1], dtype=np.uint64)
    with pytest.raises(ValueError, match="`targets`"):
        mlmath.softmax_cross_entropy(logits, labels, ignore_index=-1, validate=validate)
    # in-range unsigned labels are fine and equal to the signed result
    ok = np.array([2, 1], dtype=np.uint64)
    assert mlmath.softmax_cross_entropy(logits, ok, ignore_index=-1) == \
        mlmath.softmax_cross_entropy(logits, ok.astype(np.int64), ignore_index=-1)


def test_ragged_targets_named() -> None:
    with pytest.raises(ValueError, match="`targets`: expected a rectangular"):
        mlmath.softmax_cross_entropy(np.zeros((2, 3)), [[0], [1, 2]])


def test_masked_array_refused() -> None:
    m = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(TypeError, match=r"`x`: .*masked arrays are not supported"):
        mlmath.softmax(m)
    with pytest.raises(TypeError, match="`targets`"):
        mlmath.softmax_cross_entropy(np.zeros((2, 3)), np.ma.masked_array([0, 1]))


BINARY = ["binary_cross_entropy", "sigmoid_binary_cross_entropy",
          "sigmoid_binary_cross_entropy_grad"]


@pytest.mark.parametrize("fname", BINARY)
@pytest.mark.parametrize("shape", [(0,), (3, 0)])
def test_binary_empty(fname: str, shape: tuple[int, ...]) -> None:
    func = getattr(mlmath, fname)
    first = "probs" if fname == "binary_cross_entropy" else "logits"
    z = np.zeros(shape)
    with pytest.raises(ValueError, match=f"`{first}`: expected at least one element"):
        func(z, z)
    none = func(z, z, reduction="none")
    assert np.shape(none) == shape
    total = func(z, z, reduction="sum")
    if fname.endswith("_grad"):
        assert np.shape(total) == shape
    else:
        assert total == 0.0


# ----------------------------------------------------------------------------
# The validation helpers' own contracts (found unpinned by the mutation run:
# tests/MUTANTS.md, _validation.py).
# ----------------------------------------------------------------------------

class TestValidationHelpersPinnedByMutation:
    """Each test pins a documented behaviour of mlmath._validation no other test reached."""

    def test_an_unconvertible_scalar_is_a_type_error_naming_it(self):
        """An object float() rejects is a TypeError naming the argument and showing it."""
        from mlmath import _validation as v

        with pytest.raises(TypeError, match=r"^`delta`: expected a real scalar, got "):
            v.check_finite_scalar(object(), "delta")

    def test_a_bool_is_not_a_positive_int_and_the_message_shows_it(self):
        """True is rejected as a count, and the message shows the value given."""
        from mlmath import _validation as v

        with pytest.raises(TypeError, match=r"^`heads`: expected an integer >= 1, got True$"):
            v.check_positive_int(True, "heads")

    def test_orders_as_large_integers(self):
        """An int order of 5000 is an order like any other; one of 10**301 (302 digits) is
        a ValueError naming it (it is beyond what the float range represents usefully)."""
        p = np.array([0.25, 0.75])
        assert np.isfinite(mlmath.renyi_entropy(p, alpha=5000))
        with pytest.raises(ValueError, match=r"^`alpha`: .*an integer of 302 digits$"):
            mlmath.renyi_entropy(p, alpha=10**301)

    def test_an_unnormalised_distribution_shows_its_sum(self):
        """The normalisation error shows the offending sum."""
        with pytest.raises(ValueError, match=r"^`p`: expected entries summing to 1 .*got sum "
                                             r"1\.2$"):
            mlmath.entropy([0.5, 0.7])

    def test_a_missing_optional_dependency_says_how_to_install_it(self):
        """A missing optional module is a one-line ModuleNotFoundError naming the module and
        the pip extra, with ``name`` set to the module."""
        from mlmath import _validation as v

        with pytest.raises(ModuleNotFoundError,
                           match=r'^report needs no_such_module_xyz: pip install '
                                 r'"mlmath\[mlmath check --html\]"$') as caught:
            v.require_optional("no_such_module_xyz", "mlmath check --html", "report")
        assert caught.value.name == "no_such_module_xyz"
        v.require_optional("numpy", "any", "nothing")  # an installed module: no error

    def test_float16_is_computed_in_float32_and_returned_as_float16(self):
        """float16 input: computed in float32, returned as float16 (as_float_array)."""
        from mlmath import _validation as v

        arr, out = v.as_float_array(np.zeros(3, np.float16), "x")
        assert (arr.dtype, out) == (np.float32, np.float16)
        assert mlmath.sigmoid(np.zeros(3, np.float16)).dtype == np.float16

    def test_a_zero_dimensional_result_is_a_numpy_scalar(self):
        """0-d results come back as NumPy scalars of the output dtype, not 0-d arrays."""
        from mlmath import _validation as v

        assert type(v.restore_dtype(np.array(0.5), np.dtype(np.float32))) is np.float32
        assert type(mlmath.sigmoid(np.float32(0.5))) is np.float32
        assert type(mlmath.logsumexp(np.array([0.0, 1.0]))) is np.float64
