"""estimation._normal equals scipy.stats.norm (the closed forms it stands in for) exactly."""
import numpy as np
from scipy import stats

from spillmap.estimation._normal import normal_isf, normal_sf


def test_sf_equals_scipy_stats_bit_for_bit():
    z = np.r_[np.linspace(-40, 40, 20001), 0.0, -0.0, np.inf, -np.inf]
    # both evaluate scipy.special.ndtr(-z): identical, not merely close
    np.testing.assert_array_equal(normal_sf(z), stats.norm.sf(z))
    assert np.isnan(normal_sf(np.nan))
    assert normal_sf(1.959963984540054) == stats.norm.sf(1.959963984540054)  # a scalar works too


def test_isf_equals_scipy_stats_bit_for_bit():
    q = np.r_[np.linspace(1e-12, 1 - 1e-12, 20001), 0.025, 0.05, 0.005]
    np.testing.assert_array_equal(normal_isf(q), stats.norm.isf(q))
