"""Unit and mpmath accuracy tests of mlmath._compensated (error-free transformations,
the double-double exponential, the triple-double expm1 and the extraction sums).

Exactness claims are checked with rational arithmetic (``fractions.Fraction`` holds a
double exactly); accuracy claims against mpmath at 60 digits.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from mlmath import _compensated as c


def _exact(*arrays: np.ndarray) -> list[Fraction]:
    """Elementwise exact sums of the given float64 arrays."""
    return [sum((Fraction(float(a[i])) for a in arrays), Fraction(0))
            for i in range(arrays[0].size)]


def _relative_errors(approx: list[np.ndarray], x: np.ndarray, fn: str) -> np.ndarray:
    """|sum(approx) - f(x)| / |f(x)| at 60 digits, elementwise (f = mpmath.<fn>)."""
    out = np.empty(x.size)
    with mpmath.workdps(60):
        for i, xi in enumerate(x):
            ref = getattr(mpmath, fn)(mpmath.mpf(float(xi)))
            got = mpmath.fsum(mpmath.mpf(float(a[i])) for a in approx)
            out[i] = 0.0 if got == ref else float(abs((got - ref) / ref))
    return out


RNG = np.random.default_rng(20261207)
A = RNG.standard_normal(300) * 10.0 ** RNG.integers(-20, 20, 300)
B = RNG.standard_normal(300) * 10.0 ** RNG.integers(-20, 20, 300)


class TestErrorFreeTransformations:
    def test_two_sum_is_exact(self):
        """s + e = a + b exactly, s = fl(a + b), in any order of magnitudes."""
        s, e = c.two_sum(A, B)
        assert _exact(s, e) == _exact(A, B)
        np.testing.assert_array_equal(s, A + B)

    def test_fast_two_sum_is_exact_when_ordered(self):
        """Dekker's Fast2Sum: exact for |a| >= |b|."""
        big, small = np.maximum(np.abs(A), np.abs(B)), np.minimum(np.abs(A), np.abs(B))
        s, e = c.fast_two_sum(big, -small)
        assert _exact(s, e) == _exact(big, -small)

    def test_two_prod_is_exact(self):
        """p + e = a * b exactly (fma-free Dekker product)."""
        p, e = c.two_prod(A, B)
        exact = [Fraction(float(a)) * Fraction(float(b)) for a, b in zip(A, B, strict=True)]
        assert _exact(p, e) == exact

    def test_split_halves_have_26_bits(self):
        """hi + lo = a exactly, and hi * hi is exact (each half has <= 26 bits)."""
        hi, lo = c.split(A)
        assert _exact(hi, lo) == _exact(A)
        assert [Fraction(float(h)) ** 2 for h in hi] == _exact(hi * hi)


class TestExponentials:
    def test_table_entries_to_150_bits(self):
        """2**(j/65536) = T1 + T2 + T3 to 2**-148, T1 correctly rounded."""
        t1, t2, t3 = c._exp2_table()
        j = np.array([0, 1, 255, 256, 12345, 40000, 65535])
        with mpmath.workdps(60):
            for k in j:
                ref = mpmath.mpf(2) ** (mpmath.mpf(int(k)) / 65536)
                got = mpmath.mpf(t1[k]) + mpmath.mpf(t2[k]) + mpmath.mpf(t3[k])
                assert abs(got - ref) <= ref * 2.0**-148, k
                assert float(ref) == t1[k]

    @pytest.mark.parametrize(("accuracy", "bits"), [("double-double", 103), ("extended", 68)])
    def test_exp_dd_accuracy(self, accuracy, bits):
        """exp(x) = H + L to 2**-103 (double-double) / 2**-68 (extended) on [-110, 0]."""
        x = np.concatenate([-RNG.uniform(0, 110, 400), -(10.0 ** RNG.uniform(-15, 0, 200)),
                            [0.0, -110.0, -5e-324]])
        h, low = c.exp_dd(x, accuracy)
        err = _relative_errors([h, low], x, "exp")
        assert err.max() <= 2.0**-bits, f"worst 2**{np.log2(err.max()):.1f} at {x[err.argmax()]}"

    def test_exp_dd_far_left_and_minus_inf(self):
        """Below -110 the plain exp (the term is < 2**-158); exp(-inf) = 0 exactly."""
        x = np.array([-np.inf, -200.0, -745.0, -800.0])
        h, low = c.exp_dd(x)
        np.testing.assert_array_equal(h, np.exp(x))
        np.testing.assert_array_equal(low, 0.0)

    def test_expm1_td_accuracy_relative_to_the_result(self):
        """expm1(x) = hi + mid + lo on [-4, 0] to 2**-107 of expm1(x), tiny x included."""
        x = np.concatenate([-RNG.uniform(0, 4, 300), -(10.0 ** RNG.uniform(-300, 0.6, 300)),
                            [-4.0, -5.29e-6, -5.3e-6]])
        err = _relative_errors(list(c.expm1_td(x)), x, "expm1")
        assert err.max() <= 2.0**-107, f"worst 2**{np.log2(err.max()):.1f} at {x[err.argmax()]}"


class TestRowExtractor:
    def test_cancelling_row_sums_to_the_last_bits(self):
        """Rows of +-1-sized components summing to ~1e-30: the sum is exact to 2**-110."""
        rows, n = 6, 2000
        lead = RNG.uniform(-1, 1, (rows, n))
        lead[:, -1] = 0.0
        lead[:, -1] = -lead.sum(axis=1)  # the row sums now nearly cancel
        small = RNG.standard_normal((rows, n)) * 2.0**-60
        ext = c.RowExtractor(rows, 2 * n, error_bits=110, bound=np.ones(rows))
        ext.add(lead[:, :700], [small[:, :700]])  # two column blocks, added one at a time
        ext.add(lead[:, 700:], [small[:, 700:]])
        hi, lo = ext.result(np.zeros(rows))
        for r in range(rows):
            exact = sum(map(Fraction, lead[r].tolist()), Fraction(0)) + sum(
                map(Fraction, small[r].tolist()), Fraction(0))
            assert abs(Fraction(float(hi[r])) + Fraction(float(lo[r])) - exact) <= 2.0**-110

    def test_scaled_to_the_bound(self):
        """Components of 1e-22 that cancel keep their digits when ``bound`` says so."""
        lead = np.array([[3.1e-22, -3.1e-22 + 2.0**-120, 1e-40]])
        ext = c.RowExtractor(1, 6, error_bits=110, bound=np.array([3.2e-22]))
        ext.add(lead, [np.zeros_like(lead)])
        hi, lo = ext.result(np.zeros(1))
        exact = sum(map(Fraction, lead[0].tolist()), Fraction(0))
        assert abs(Fraction(float(hi[0])) + Fraction(float(lo[0])) - exact) <= 1e-22 * 2.0**-105
