"""Backend selection (``mlmath._backend``) and the numba kernels' own accuracy.

The property suite and the accuracy tests of ``mlmath.special`` run once per
installed backend (the ``mlmath_backend`` fixture); this file checks the
selection rules and the kernels' private exponential against mpmath.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import mlmath as mm
from mlmath import _backend

needs_numba = pytest.mark.skipif(not _backend.numba_available(), reason="numba not installed")


class TestSelection:
    def test_environment_variable_chooses(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``MLMATH_BACKEND=numpy`` selects NumPy; unset or ``auto``: numba when installed."""
        monkeypatch.setenv("MLMATH_BACKEND", "numpy")
        assert _backend.active() == "numpy"
        assert _backend.compiled_kernels() is None
        for value in ("auto", "", " AUTO "):
            monkeypatch.setenv("MLMATH_BACKEND", value)
            assert _backend.active() == ("numba" if _backend.numba_available() else "numpy")
        monkeypatch.delenv("MLMATH_BACKEND")
        assert _backend.active() == ("numba" if _backend.numba_available() else "numpy")

    def test_unknown_backend_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MLMATH_BACKEND", "cuda")
        with pytest.raises(ValueError, match="`MLMATH_BACKEND`: expected one of auto, numpy, "
                                             "numba, got 'cuda'"):
            mm.softmax([1.0, 2.0])
        with pytest.raises(ValueError, match="`name`"):
            with _backend.use("fortran"):
                pass  # pragma: no cover

    def test_forcing_numba_without_numba_says_how_to_install(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_backend, "numba_available", lambda: False)
        monkeypatch.setattr(_backend, "_kernels", None)
        monkeypatch.setenv("MLMATH_BACKEND", "numba")
        with pytest.raises(ImportError, match=r'pip install "mlmath\[fast\]"'):
            mm.logsumexp([1.0, 2.0])
        monkeypatch.setenv("MLMATH_BACKEND", "auto")
        assert _backend.active() == "numpy"

    def test_use_wins_over_the_environment_and_restores(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MLMATH_BACKEND", "numba")
        with _backend.use("numpy"):
            assert _backend.active() == "numpy"
            with _backend.use("auto"):
                assert _backend.active() == ("numba" if _backend.numba_available() else "numpy")
            assert _backend.active() == "numpy"
        monkeypatch.setenv("MLMATH_BACKEND", "numpy")
        assert _backend.active() == "numpy"


@needs_numba
class TestNumbaKernels:
    @staticmethod
    def _exp_errors(variant: str, d: np.ndarray) -> np.ndarray:
        """Relative errors, in float64 eps, of the kernels' ``e = exp(row - 0)``:
        ``"wide"`` (float64 rows), ``"full"`` / ``"reduced"`` (float32 rows, the
        logsumexp and the softmax accuracy)."""
        from mlmath import _numba_kernels as k

        e = np.empty(d.size)
        if variant == "wide":
            k._exp_wide(d, 0.0, e)
        else:
            k._exp_narrow(d.astype(np.float32), 0.0, e, variant == "full")
        with mpmath.workdps(50):
            exact = np.array([float(mpmath.exp(mpmath.mpf(float(v)))) for v in d])
        return np.abs(e - exact) / (exact * np.finfo(np.float64).eps)

    def test_exponential_is_within_one_ulp_on_the_normal_range(self) -> None:
        """The kernels' own ``exp`` (float64 input) is within 1 ulp of the 50-digit value
        for 4000 points spanning [-708, 0], where the result is a normal number."""
        d = -np.concatenate([np.geomspace(1e-12, 708.0, 3000),
                             np.random.default_rng(1).uniform(0, 708.0, 1000)])
        assert float(self._exp_errors("wide", d).max()) <= 1.0

    def test_float32_exponentials(self) -> None:
        """float32 rows: logsumexp's exponentials within 1 ulp of float64, softmax's within
        2**-31 relative (ample for a float32 result, eps 2**-23)."""
        d = -np.geomspace(1e-6, 100.0, 2000).astype(np.float32).astype(np.float64)
        assert float(self._exp_errors("full", d).max()) <= 1.0
        assert float(self._exp_errors("reduced", d).max()) <= 2.0 ** -31 / 2.0 ** -52

    def test_infinite_and_overflowing_differences_give_zero_weight(self) -> None:
        """``x - m = -inf`` (``x = -inf``, or a difference that overflows) gives exp 0 and
        log_softmax ``-inf``, never NaN from the TwoSum correction."""
        x = np.array([[1.7976931348623157e308, -np.inf, -1.7976931348623157e308]])
        with _backend.use("numba"):
            assert mm.softmax(x).tolist() == [[1.0, 0.0, 0.0]]
            assert mm.log_softmax(x).tolist() == [[0.0, -np.inf, -np.inf]]
            assert mm.logsumexp(x).tolist() == [1.7976931348623157e308]

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_agrees_with_the_numpy_path(self, dtype: type) -> None:
        """Both backends meet 4 eps, so they agree within 8 eps on ordinary rows
        (ties with the max, -inf entries and rows of one entry included)."""
        rng = np.random.default_rng(7)
        x = (rng.standard_normal((40, 300)) * 5).astype(dtype)
        x[3, :5] = x[3].max()
        x[4, ::3] = -np.inf
        x = np.concatenate([x, x[:, :1].repeat(300, axis=1)[:2]])
        eps = np.finfo(dtype).eps
        for fn in (mm.softmax, mm.log_softmax, mm.logsumexp):
            with _backend.use("numba"):
                a = np.asarray(fn(x), dtype=np.float64)
            with _backend.use("numpy"):
                b = np.asarray(fn(x), dtype=np.float64)
            finite = np.isfinite(b)
            assert np.array_equal(np.isfinite(a), finite)
            scale = np.maximum(np.abs(b[finite]), np.finfo(dtype).tiny)
            rel = np.abs(a[finite] - b[finite]) / scale
            assert float(rel.max()) <= 8 * eps, fn.__name__

    def test_non_finite_rows_match_the_numpy_path(self) -> None:
        """NaN, +inf and all -inf rows: the same errors, and with ``validate=False`` the
        same values, on both backends."""
        x = np.array([[0.0, np.nan], [np.inf, 1.0], [-np.inf, -np.inf], [1.0, 2.0]])
        for fn in (mm.softmax, mm.log_softmax, mm.logsumexp):
            results = []
            for name in ("numpy", "numba"):
                with _backend.use(name):
                    results.append(np.asarray(fn(x, validate=False)))
                    with pytest.raises(ValueError, match="`x`"):
                        fn(x[:1])
            np.testing.assert_array_equal(results[0], results[1])


@needs_numba
class TestInformationKernels:
    def test_logarithm_is_within_one_and_a_half_ulp(self) -> None:
        """The kernels' own ``log`` is within 1.5 ulp of the 50-digit value (relative) for
        6000 points spanning the float64 range, subnormals and values near 1 included;
        ``log(p / q)`` from mantissas and exponents is finite where ``p / q`` overflows."""
        import numba as nb

        from mlmath import _numba_kernels as k

        @nb.njit(error_model="numpy")
        def logs(x: np.ndarray, out: np.ndarray) -> None:
            for j in range(x.shape[0]):
                out[j] = k._log_scaled(x[j], 0)

        rng = np.random.default_rng(3)
        x = np.concatenate([np.exp(rng.uniform(-744, 709, 3000)), rng.uniform(0.5, 2.0, 2000),
                            1.0 + rng.standard_normal(994) * 1e-9,
                            [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.5, 2.0,
                             1.0 + 2.0 ** -52]])
        out = np.empty_like(x)
        logs(x, out)
        with mpmath.workdps(50):
            exact = [mpmath.log(mpmath.mpf(float(v))) for v in x]
            errors = [abs((mpmath.mpf(float(o)) - e) / e) for o, e in zip(out, exact, strict=True)]
        assert float(max(errors)) <= 1.5 * 2.0 ** -53
        with _backend.use("numba"):
            # q subnormal: p / q overflows; the term is p log(p/q) - p + q, finite
            value = mm.kl_divergence([1.0 - 1e-310, 1e-310], [1e-310, 1.0 - 1e-310])
        with mpmath.workdps(50):
            p, q = mpmath.mpf(1.0 - 1e-310), mpmath.mpf(1e-310)
            exact_kl = p * mpmath.log(p / q) + q * mpmath.log(q / p)
        assert abs(float(value) - float(exact_kl)) <= 2 * np.finfo(np.float64).eps * float(exact_kl)

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_agree_with_the_numpy_path(self, dtype: type) -> None:
        """entropy, kl_divergence (generalised and plain) and cross_entropy: both backends
        meet 4 eps, so they agree within 8 eps; zeros, p = q and rows longer than a
        kernel block included."""
        rng = np.random.default_rng(11)
        p = rng.dirichlet(np.ones(1500), size=20)
        q = rng.dirichlet(np.ones(1500), size=20)
        p[0, ::7] = 0.0
        p[0] /= p[0].sum()
        q[1] = p[1]
        q[2, 5] = 0.0
        q[2] /= q[2].sum()
        p, q = p.astype(dtype), q.astype(dtype)
        eps = np.finfo(dtype).eps
        calls = [lambda: mm.entropy(p), lambda: mm.kl_divergence(p, q),
                 lambda: mm.kl_divergence(p, q, generalized=False),
                 lambda: mm.cross_entropy(p, q, base=2)]
        for call in calls:
            with _backend.use("numba"):
                a = np.asarray(call(), dtype=np.float64)
            with _backend.use("numpy"):
                b = np.asarray(call(), dtype=np.float64)
            assert np.array_equal(np.isfinite(a), np.isfinite(b))
            finite = np.isfinite(b) & (b != 0)
            assert np.all(a[b == 0] == 0)
            assert float((np.abs(a[finite] - b[finite]) / np.abs(b[finite])).max()) <= 8 * eps

    def test_invalid_entries_are_reported_like_the_numpy_path(self) -> None:
        """A negative, NaN, infinite or unnormalised entry gives the same error on both
        backends, and with ``validate=False`` the same values (KL: NaN)."""
        good = np.full((2, 4), 0.25)
        for bad_value in (-0.25, np.nan, np.inf, 0.5):
            q = good.copy()
            q[1, 2] = bad_value
            messages, values = [], []
            for name in ("numpy", "numba"):
                with _backend.use(name), np.errstate(all="ignore"):
                    with pytest.raises(ValueError) as info:
                        mm.kl_divergence(good, q)
                    messages.append(str(info.value))
                    values.append([mm.kl_divergence(good, q, validate=False),
                                   mm.entropy(q, validate=False)])
            assert messages[0] == messages[1]
            assert "`q`" in messages[0]
            np.testing.assert_allclose(values[1], values[0], rtol=8 * np.finfo(float).eps,
                                       atol=0, equal_nan=True)
            if bad_value != 0.5:
                assert np.isnan(values[1][0][1])


@needs_numba
class TestCancellingLogsumexpKernel:
    def test_agrees_with_the_numpy_compensated_path(self) -> None:
        """Rows whose log-sum-exp cancels (log-probabilities: the result is ~1e-17 from
        terms of size 1) take the compiled extended-precision kernel under numba; it is
        the NumPy path's algorithm, so the two agree within 1 eps of the result (each is
        within 4 eps of mpmath, ``tests/test_special.py``), float32 rows included."""
        from mlmath import _numba_kernels

        rng = np.random.default_rng(5)
        calls: list[int] = []
        original = _numba_kernels.lse_cancelling_rows

        def spy(x: np.ndarray, *args: object) -> None:
            calls.append(x.shape[0])
            original(x, *args)

        for dtype, shape, scale in [(np.float64, (40, 3000), 3.0), (np.float64, (300, 7), 0.3),
                                    (np.float32, (30, 500), 2.0)]:
            x = np.asarray(mm.log_softmax((rng.standard_normal(shape) * scale).astype(dtype)))
            x[0, 1:] = -np.inf if shape[1] > 2 else x[0, 1:]  # a row of one finite entry
            with _backend.use("numpy"):
                reference = np.asarray(mm.logsumexp(x, axis=-1), dtype=np.float64)
            calls.clear()
            with _backend.use("numba"), pytest.MonkeyPatch.context() as patch:
                patch.setattr(_numba_kernels, "lse_cancelling_rows", spy)
                got = np.asarray(mm.logsumexp(x, axis=-1), dtype=np.float64)
            assert sum(calls) >= shape[0] - 1, (dtype, shape, calls)
            eps = np.finfo(dtype).eps
            scale_of = np.maximum(np.abs(reference), np.finfo(dtype).tiny)
            assert float((np.abs(got - reference) / scale_of).max()) <= eps, (dtype, shape)


@needs_numba
class TestCrossEntropyGradientKernel:
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_agrees_with_the_numpy_path(self, dtype: type) -> None:
        """``softmax_cross_entropy_grad`` takes its ``exp(x - m)`` from the compiled kernel
        under numba; the gradients agree with the NumPy path's within 8 eps of each
        row's largest entry (float64 terms are TwoSum-corrected in the kernel, so entries
        far below the max are the more accurate there), masked classes and ties
        included, with and without smoothing, weights and ignored rows."""
        from mlmath import _numba_kernels

        rng = np.random.default_rng(9)
        x = (rng.standard_normal((50, 700)) * 4).astype(dtype)
        x[1, :3] = x[1].max()
        x[2, 10:400] = -np.inf
        y = rng.integers(0, 700, 50)
        y[2] = 5
        calls: list[int] = []
        original = _numba_kernels.shifted_exp_rows

        def spy(xb: np.ndarray, *args: object) -> None:
            calls.append(xb.shape[0])
            original(xb, *args)

        kwargs_list: list[dict[str, object]] = [
            {}, {"label_smoothing": 0.1, "reduction": "sum"},
            {"class_weights": rng.uniform(0.5, 2.0, 700), "ignore_index": int(y[7])}]
        for kwargs in kwargs_list:
            with _backend.use("numpy"):
                reference = mm.softmax_cross_entropy_grad(x, y, **kwargs)
            calls.clear()
            with _backend.use("numba"), pytest.MonkeyPatch.context() as patch:
                patch.setattr(_numba_kernels, "shifted_exp_rows", spy)
                got = mm.softmax_cross_entropy_grad(x, y, **kwargs)
            assert sum(calls) == 50, kwargs
            assert got.dtype == reference.dtype
            # (an ignored row's gradient is exactly 0 on both backends)
            scale = np.maximum(np.abs(reference).max(axis=1, keepdims=True), np.finfo(dtype).tiny)
            err = float((np.abs(got - reference) / scale).max())
            assert err <= 8 * np.finfo(dtype).eps, (kwargs, err)


@needs_numba
class TestCrossEntropyCommonCase:
    @staticmethod
    def _spy(patch: pytest.MonkeyPatch) -> list[int]:
        from mlmath import _numba_kernels

        calls: list[int] = []
        original = _numba_kernels.ce_index_rows

        def spy(x: np.ndarray, *args: object) -> tuple[int, int]:
            calls.append(x.shape[0])
            result: tuple[int, int] = original(x, *args)
            return result

        patch.setattr(_numba_kernels, "ce_index_rows", spy)
        return calls

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_is_bit_identical_to_the_general_path(self, dtype: type) -> None:
        """(N, C) logits with int labels, no weights, no smoothing take one compiled pass
        (``ce_index_rows``) that gives exactly the general path's values (forced here by
        an integer ``label_smoothing=0``), ties, masked classes, ignored rows (one of
        them all ``-inf``) and every reduction included."""
        rng = np.random.default_rng(21)
        x = (rng.standard_normal((300, 90)) * 6).astype(dtype)
        x[1, :4] = x[1].max()
        x[2, 5:80] = -np.inf
        x[3] = -np.inf
        y = rng.integers(0, 90, 300)
        y[3] = -100
        y[4] = -100
        y[2] = 1
        with _backend.use("numba"), pytest.MonkeyPatch.context() as patch:
            calls = self._spy(patch)
            for reduction in ("mean", "sum", "none"):
                calls.clear()
                got = mm.softmax_cross_entropy(x, y, ignore_index=-100, reduction=reduction)
                assert sum(calls) == 300
                general = mm.softmax_cross_entropy(x, y, ignore_index=-100, reduction=reduction,
                                                   label_smoothing=0)
                assert np.asarray(got).dtype == dtype
                np.testing.assert_array_equal(got, general)
            calls.clear()
            # int32 labels and a tiny batch take it too
            mm.softmax_cross_entropy(x[:1, :3], y[:1].astype(np.int32) % 3)
            assert calls == [1]

    def test_refused_input_falls_back_to_the_general_errors(self) -> None:
        """A label out of range, NaN, +inf or a counted row of only -inf: the compiled pass
        reports it and the general path raises its usual error naming the entry."""
        x = np.zeros((3, 4))
        y = np.array([0, 1, 2])
        with _backend.use("numba"):
            with pytest.raises(ValueError, match=r"`targets`.*got 7 at index \[1\]"):
                mm.softmax_cross_entropy(x, np.array([0, 7, 2]))
            for bad, pattern in [(np.nan, "NaN"), (np.inf, r"\+inf"), (-np.inf, "all -inf")]:
                xb = x.copy()
                if bad == -np.inf:
                    xb[2] = bad
                else:
                    xb[2, 1] = bad
                with pytest.raises(ValueError, match=f"`logits`.*{pattern}"):
                    mm.softmax_cross_entropy(xb, y)
            # validate=False: NaN logits give NaN, as on the general path
            xn = x.copy()
            xn[0, 0] = np.nan
            assert np.isnan(mm.softmax_cross_entropy(xn, y, validate=False, reduction="none")[0])
