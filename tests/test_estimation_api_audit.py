"""The API audit of SpatialPanel, its fit and its results (Produc, us48 queen W).

Bad options are one-line InputErrors raised before any work (never a numpy/scipy
error from inside); random effects with fixed period effects are labelled as such;
effects that are 0 by construction print a dash for z and p; SAC has its full name.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel

X = ["lpcap", "lpc", "lemp", "unemp"]


def spec(produc_logs, w, **kw):
    return SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w=w, **kw)


def fit(produc_logs, w, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec(produc_logs, w, **kw).fit()


@pytest.fixture(scope="module")
def sdm(produc_logs, us48_queen):
    return fit(produc_logs, us48_queen, model="sdm", fe="twoways")


def one_line_input_error(fn, *words):
    """``fn()`` raises a one-line InputError naming every one of ``words``."""
    with pytest.raises(InputError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg and all(w in msg for w in words), msg
    return msg


# ------------------------------------------------------------------ 1. flags
@pytest.mark.parametrize("value", ["no", "yes", "False", 1, 0, None, [True]])
def test_re_takes_only_a_bool(produc_logs, us48_queen, value, monkeypatch):
    """``re="no"`` used to fit random effects (any truthy value did); refused before the data are read."""
    import spillmap.estimation._data as data_mod

    def no_work(*a, **k):  # the panel must not even be built
        raise AssertionError("the panel was built before re= was checked")

    monkeypatch.setattr(data_mod, "build_panel_data", no_work)
    one_line_input_error(lambda: spec(produc_logs, us48_queen, model="sdm", re=value), "re", "True or False",
                         repr(value))


def test_re_numpy_bool_accepted(produc_logs, us48_queen):
    assert spec(produc_logs, us48_queen, model="sar", re=np.bool_(True)).re is True
    m = spec(produc_logs, us48_queen, model="sar", re=np.bool_(False))
    assert m.re is False and m.effects == "twoways"


def test_fit_random_time_effects_takes_only_a_bool(produc_logs, us48_queen):
    from spillmap.estimation.random_effects import fit_random

    m = spec(produc_logs, us48_queen, model="sar", re=True)
    one_line_input_error(lambda: fit_random(m, time_effects="no"), "time_effects", "True or False")


# --------------------------------------------------------- 3. fit() options
@pytest.mark.parametrize("kw, words", [
    (dict(logdet_method="x"), ("logdet_method", "'auto', 'eigen', 'lu'", "'x'")),
    (dict(logdet_method=None), ("logdet_method", "'auto', 'eigen', 'lu'")),
    (dict(trace_probes=0), ("trace_probes", "positive integer or None")),
    (dict(trace_probes=2.5), ("trace_probes", "positive integer or None")),
    (dict(trace_probes="10"), ("trace_probes", "positive integer or None")),
])
@pytest.mark.parametrize("model", ["sdm", "sac"])
def test_fit_options_refused_before_any_work(produc_logs, us48_queen, kw, words, model, monkeypatch):
    import spillmap.estimation.model as model_mod
    import spillmap.estimation.sac as sac_mod

    def no_work(*a, **k):
        raise AssertionError("fitting started before the options were checked")

    monkeypatch.setattr(model_mod, "_fit_fixed", no_work)
    monkeypatch.setattr(sac_mod, "fit_sac", no_work)
    m = spec(produc_logs, us48_queen, model=model, fe="individual")
    one_line_input_error(lambda: m.fit(**kw), *words)


# ------------------------------------------------------ 3. results' options
@pytest.mark.parametrize("level", [95, 1.5, 0, 1, -0.1, float("nan"), "0.95", True, None])
@pytest.mark.parametrize("method", ["conf_int", "to_frame"])
def test_level_must_be_a_probability(sdm, level, method):
    one_line_input_error(lambda: getattr(sdm, method)(level=level), f"level={level!r}", "(0, 1)",
                         "give a probability such as 0.95")


@pytest.mark.parametrize("level", [0.9, np.float64(0.9)])
def test_level_in_range_unchanged(sdm, level):
    """A probability (numpy's too) still gives the normal interval params -/+ z_0.95 se."""
    q = 1.6448536269514722  # the 0.95 quantile of N(0, 1)
    ci = sdm.conf_int(level)
    # the same two-term formula b -/+ q se on both sides; scipy's ppf and this literal agree to an ulp,
    # so the error is a few eps on the scale of the terms (|b| + q se), whatever the bound's own size
    tol = 4 * np.finfo(float).eps * (np.abs(sdm.params) + q * sdm.std_errors)
    assert np.all(np.abs(ci["lower"] - (sdm.params - q * sdm.std_errors)) <= tol)
    assert np.all(np.abs(sdm.to_frame(level=level)["ci_upper"] - (sdm.params + q * sdm.std_errors)) <= tol)


@pytest.mark.parametrize("kw, words", [
    (dict(seed="a"), ("seed", "non-negative integer", "'a'")),
    (dict(seed=-1), ("seed", "non-negative integer")),
    (dict(seed=1.5), ("seed", "non-negative integer")),
    (dict(seed=None), ("seed", "non-negative integer")),
    (dict(draws="a"), ("draws", "non-negative integer")),
    (dict(draws=True), ("draws", "non-negative integer")),
])
def test_impacts_options_refused(sdm, kw, words):
    one_line_input_error(lambda: sdm.impacts(**kw), *words)


def test_compute_effects_level_and_traces_refused(sdm):
    from spillmap.estimation import compute_effects

    one_line_input_error(lambda: compute_effects(sdm, level=95), "level=95", "give a probability such as 0.95")
    one_line_input_error(lambda: compute_effects(sdm, traces="x", method="delta"), "traces", "'exact'")


def test_dynamic_effects_options_refused(produc_logs, us48_queen):
    r = fit(produc_logs, us48_queen, model="sdm", fe="twoways", dynamic="both")
    one_line_input_error(lambda: r.impacts(seed="a"), "seed", "non-negative integer")
    one_line_input_error(lambda: r.impacts(horizon="mid", method="delta"), "horizon", "'short', 'long'")
    from spillmap.estimation import dynamic_effects

    one_line_input_error(lambda: dynamic_effects(r, method="delta", level=95), "level=95")


def test_seed_numpy_integer_accepted(sdm):
    a = sdm.impacts(draws=100, seed=np.int64(3))
    b = sdm.impacts(draws=100, seed=3)
    assert a.to_frame().equals(b.to_frame())


# ------------------------------------------------------------- 4. draws=0
def test_draws_zero_is_the_delta_method_and_says_so(sdm):
    e = sdm.impacts(draws=0)
    assert e.method == "delta" and e.draws == 0 and "delta method" in e.summary()
    assert e.to_frame().equals(sdm.impacts(method="delta").to_frame())
    doc = type(sdm).impacts.__doc__
    assert re.search(r"draws=0``? selects the delta\s+method", doc), doc


# -------------------------------------------- 2. random + period effects
@pytest.mark.parametrize("fe", ["time", "twoways"])
def test_random_with_period_effects_is_labelled(produc_logs, us48_queen, fe):
    plain = fit(produc_logs, us48_queen, model="sdm", re=True)
    timed = fit(produc_logs, us48_queen, model="sdm", re=True, fe=fe)
    assert timed.loglik != pytest.approx(plain.loglik)  # a different model ...
    words = "random unit effects + period fixed effects"
    s = timed.summary()
    assert words in s.splitlines()[0]  # ... with its own title
    assert re.search(r"Effects:\s+random\+time", s)  # and Effects line
    assert f"<caption>Spatial Durbin (SDM) model, {words}</caption>" in timed._repr_html_()
    assert "<th>Effects</th><td>random+time</td>" in timed._repr_html_()
    assert "effects=random+time " in repr(timed)
    # plain random effects keep their words, and the attributes are unchanged
    assert "period" not in plain.summary() and "effects=random " in repr(plain)
    assert re.search(r"Effects:\s+random\s", plain.summary())
    assert (timed.effects, timed.re, timed.fe) == ("random", True, "time")


# ------------------------------------------------------ 5. SEM dashes
@pytest.mark.parametrize("method", ["simulation", "delta"])
def test_sem_indirect_effects_print_a_dash(produc_logs, us48_queen, method):
    e = fit(produc_logs, us48_queen, model="sem", fe="twoways").impacts(draws=200, seed=1, method=method)
    ind = e.indirect
    assert (ind["estimate"] == 0).all() and ind["z"].isna().all()  # the data keep NaN (to_dict: None)
    s, h = e.summary(), e._repr_html_()
    for text in (s, h):
        assert not re.search(r"\bnan\b", text, flags=re.I), text
    rows = [line for line in s.splitlines() if line.startswith("indirect")]
    assert len(rows) == len(X) and all(line.split()[4:6] == ["\u2013", "\u2013"] for line in rows), rows
    assert h.count("<td>\u2013</td>") == 2 * len(X)
    direct = [line for line in s.splitlines() if line.startswith("direct")]
    assert all("\u2013" not in line for line in direct)


# ------------------------------------------------------------ 6. SAC name
def test_sac_title_has_its_full_name(produc_logs, us48_queen):
    r = fit(produc_logs, us48_queen, model="sac", fe="individual")
    title = "Spatial autoregressive combined (SAC) model, individual (unit) fixed effects"
    assert r.summary().splitlines()[0].strip() == title
    assert f"<caption>{title}</caption>" in r._repr_html_()


def test_log_of_a_non_positive_value_is_named_as_such(produc, us48_queen):
    """log(gsp) with a zero gsp cell said only 'missing or infinite values' (API audit 2026-12-01):
    the message names the log as the cause."""
    from spillmap.errors import DataError

    p = produc.copy()
    p.loc[(p["state_abbr"] == "CA") & (p["year"] == 1975), "gsp"] = 0.0
    with pytest.raises(DataError, match=r"\(CA, 1975\).*the log of a value <= 0"):
        SpatialPanel(p, "log(gsp) ~ unemp", id="state_abbr", time="year", w=us48_queen, model="sar")


def test_an_empty_frame_says_it_has_no_rows(produc, us48_queen):
    """An empty DataFrame gave a W-mismatch message listing 48 ids (API audit 2026-12-01)."""
    from spillmap.errors import DataError

    with pytest.raises(DataError, match="data has no rows"):
        SpatialPanel(produc.iloc[:0], y="unemp", x=["pc"], id="state_abbr", time="year", w=us48_queen, model="sar")


def test_a_formula_with_a_misspelt_column_names_it_and_the_columns(produc, us48_queen):
    """A formula naming a column the data lack passed formulaic's evaluation error through (the
    y= / x= path already listed the columns) (API audit 2026-12-01)."""
    with pytest.raises(InputError, match=r"no column 'unemmp' in the data; it has .*Did you mean 'unemp'\?"):
        SpatialPanel(produc, "log(gsp) ~ unemmp", id="state_abbr", time="year", w=us48_queen, model="sar")
