"""spillmap.screen: rows equal the single-indicator functions; failures recorded; identical bytes.

References: the single-indicator functions themselves (``moran``, ``geary``,
``moran_pooled``, ``local_moran``, ``lm_tests``: esda for the analytic Moran/Geary,
the hand-written pooled and LM code) and esda's ``Geary`` on an explicit
block-diagonal W for the pooled Geary's C (no single function exists).
Tolerance 1e-12 relative: the screen evaluates the same closed forms in another
order (vectorised over columns), so only rounding differs.  Pseudo p-values and
LISA counts are compared exactly: the screen stores each row's stream seed.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

import spillmap
from spillmap.errors import DataError, InputError, OutputError
from spillmap.screen._output import parquet_bytes
from spillmap.spatial import geary, lm_tests, local_moran, moran, moran_pooled
from spillmap.spatial.autocorrelation import panel_array

distributed = pytest.importorskip("distributed")
PERMS = 99
COLS = ["lgsp", "lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def client():
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def panel(produc_logs):
    df = produc_logs[["state_abbr", "year"] + COLS].copy()
    df["flat"] = 3.0  # constant: must fail, not stop the run
    df["gappy"] = df["unemp"]
    df.loc[(df.year == 1975) & (df.state_abbr == "OH"), "gappy"] = np.nan  # one missing cell in 1975
    return df


@pytest.fixture(scope="module")
def result(panel, us48_queen, client):
    lm = {"y": "lgsp", "x": ["lpcap"], "role": "x", "fe": "twoways"}
    return spillmap.screen(
        panel, id="state_abbr", time="year", weights={"queen": us48_queen}, permutations=PERMS, seed=5,
        statistics=("moran", "geary", "lisa", "lm"), lm=lm, client=client,
    )


def _rows(res, ind, period):
    t = res.table
    sub = t[(t.indicator == ind) & (t.period == period)]
    return dict(zip(sub.statistic, sub.value)), int(sub.seed.iloc[0]), set(sub.status)


def test_period_rows_equal_moran_geary_local_moran(result, panel, us48_queen):
    rng = np.random.default_rng(0)
    years = sorted(panel.year.unique())
    for ind in COLS:
        for year in rng.choice(years, 3, replace=False).tolist():  # sampled rows
            v, seed, status = _rows(result, ind, str(year))
            assert status == {"ok"}
            y = panel[panel.year == year].set_index("state_abbr")[ind].reindex(list(us48_queen.ids)).to_numpy()
            m = moran(y, us48_queen, permutations=PERMS, seed=seed)
            g = geary(y, us48_queen, permutations=PERMS, seed=seed)
            for ours, ref in [(v["moran_I"], m.I), (v["moran_EI"], m.EI), (v["moran_z"], m.z_rand),
                              (v["moran_p"], m.p_rand), (v["moran_z_norm"], m.z_norm), (v["moran_p_norm"], m.p_norm),
                              (v["geary_C"], g.C), (v["geary_z"], g.z_rand), (v["geary_p"], g.p_rand),
                              (v["geary_z_norm"], g.z_norm), (v["geary_p_norm"], g.p_norm)]:
                assert ours == pytest.approx(ref, rel=1e-12)  # same closed forms, same data: rounding only
            assert (v["moran_p_perm"], v["geary_p_perm"]) == (m.p_perm, g.p_perm)  # same stream: exact
            lisa = local_moran(y, us48_queen, permutations=PERMS, seed=seed)
            for q in ("HH", "LL", "HL", "LH"):
                assert v[f"lisa_{q}"] == (lisa["cluster"] == q).sum()


def test_pooled_rows_equal_moran_pooled_and_lm_tests(result, panel, us48_queen):
    t = panel.year.nunique()
    for ind in COLS:
        v, seed, status = _rows(result, ind, "pooled")
        r = moran_pooled(panel, id="state_abbr", time="year", var=ind, w=us48_queen, permutations=PERMS, seed=seed)
        for ours, ref in [(v["moran_I"], r.I), (v["moran_z"], r.z_rand), (v["moran_z_norm"], r.z_norm),
                          (v["moran_p"], r.p_rand)]:
            assert ours == pytest.approx(ref, rel=1e-12)  # same closed forms, same data: rounding only
        assert v["moran_p_perm"] == r.p_perm
        if ind in ("lgsp", "lpcap"):  # already in the regression: recorded as not testable
            groups, status = _status(result, ind)
            assert {st for g, st in zip(groups, status) if g in ("lm", "robust")} == {"failed"}
            continue
        arr, _ = panel_array(panel, id="state_abbr", time="year", columns=["lgsp", "lpcap", ind], w=us48_queen)
        flat = arr.reshape(t * us48_queen.n, 3)
        ref = lm_tests(flat[:, 0], flat[:, 1:], us48_queen, t=t, fe="twoways")
        # the screen's workers call the same closed-form statistics on the same arrays (built in another memory
        # layout): only the order of floating-point sums can differ, a few ulps, hence 1e-12
        assert v["lm_lag"] == pytest.approx(ref.lm_lag.stat, rel=1e-12)  # rounding only (above)
        assert v["robust_lm_error_p"] == pytest.approx(ref.robust_lm_error.pvalue, rel=1e-12)  # rounding only


def _status(res, ind):
    t = res.table
    sub = t[(t.indicator == ind) & (t.period == "pooled")]
    return sub.statistic.str.split("_").str[0].tolist(), sub.status.tolist()


def test_pooled_geary_equals_esda_on_explicit_block_diagonal(result, panel, us48_queen):
    esda = pytest.importorskip("esda")
    import libpysal

    from spillmap.spatial.autocorrelation import block_diagonal

    arr, periods = panel_array(panel, id="state_abbr", time="year", columns=["lpc"], w=us48_queen)
    big = block_diagonal(us48_queen, len(periods))
    wl = libpysal.weights.WSP(big).to_W(silence_warnings=True)
    g = esda.Geary(arr.reshape(-1), wl, transformation="O", permutations=0)
    v, _, _ = _rows(result, "lpc", "pooled")
    assert v["geary_C"] == pytest.approx(g.C, rel=1e-12) # same closed form as esda on the same numbers: only the order of sums differs (a few ulps)
    assert v["geary_z"] == pytest.approx(g.z_rand, rel=1e-12) # same closed form as esda on the same numbers: only the order of sums differs (a few ulps)
    assert v["geary_z_norm"] == pytest.approx(g.z_norm, rel=1e-12) # same closed form as esda on the same numbers: only the order of sums differs (a few ulps)


def test_failures_are_recorded_not_fatal(result):
    f = result.failures()
    flat = f[f.indicator == "flat"]
    assert len(flat) > 0 and flat.reason.str.contains("constant").all()
    gappy = f[f.indicator == "gappy"]
    assert set(gappy.period) == {"1975", "pooled"}  # only the period with the gap, and the pooled panel
    assert gappy.reason.str.contains("OH").all()
    ok = result.table[(result.table.indicator == "gappy") & (result.table.period == "1976")]
    assert (ok.status == "ok").all() and ok.value.notna().all()
    assert result.ranking.loc[result.ranking.indicator == "flat", "rank"].isna().all()


def test_chunking_and_threads_do_not_change_the_bytes(panel, us48_queen, client, result):
    lm = {"y": "lgsp", "x": ["lpcap"], "role": "x", "fe": "twoways"}
    again = spillmap.screen(
        panel, id="state_abbr", time="year", weights={"queen": us48_queen}, permutations=PERMS, seed=5,
        statistics=("moran", "geary", "lisa", "lm"), lm=lm, client=client, chunk=1,
    )
    assert parquet_bytes(again.table) == parquet_bytes(result.table)


def test_callable_module_and_bad_input(panel, us48_queen, client):
    assert spillmap.screen.screen is not None and callable(spillmap.screen)
    kw = dict(id="state_abbr", time="year", weights=us48_queen, client=client, permutations=9)
    with pytest.raises(InputError, match="statistic 'lisa' needs permutations >= 1"):  # not a crash in the workers
        spillmap.screen(panel, **{**kw, "permutations": 0})
    with pytest.raises(DataError, match="nope"):
        spillmap.screen(panel, indicators=["nope"], **kw)
    with pytest.raises(DataError, match="matches no numeric"):
        spillmap.screen(panel, indicators=["edu_*"], **kw)
    with pytest.raises(InputError, match="statistics"):
        spillmap.screen(panel, statistics=["mean"], **kw)
    with pytest.raises(InputError, match="need the regression"):
        spillmap.screen(panel, statistics=["lm"], **kw)
    with pytest.raises(DataError, match="panel ids and weights ids differ"):
        spillmap.screen(panel[panel.state_abbr != "OH"], **kw)
    text = panel.astype({COLS[0]: object})
    text.loc[(text.state_abbr == "TX") & (text.year == 1981), COLS[0]] = "1,234.5"
    with pytest.raises(DataError, match=rf"indicator '{COLS[0]}' is not numeric: '1,234.5' \(written with "
                                        r"thousands separators.*\) at \(TX, 1981\) \(1 non-numeric cell"):
        spillmap.screen(text, indicators=[COLS[0]], **kw)
    lm = {"y": "lgsp", "x": ["gappy"], "role": "x", "fe": "twoways"}  # a regression column with a hole: every
    with pytest.raises(DataError, match=r"regression column 'gappy' has 1 missing or infinite cell\(s\) at "
                                        r"\(id, period\) \('OH', '1975'\)"):  # indicator's LM test would fail on it
        spillmap.screen(panel, indicators=["lpc"], statistics=["lm"], lm=lm, **kw)


def test_save_writes_escaped_offline_page_and_keeps_existing_output(panel, us48_queen, client, tmp_path):
    df = panel[["state_abbr", "year", "lgsp", "unemp"]].rename(
        columns={"lgsp": "<script>alert(1)</script>", "unemp": "=cmd|' /C calc'!A0"}
    )
    res = spillmap.screen(df, id="state_abbr", time="year", weights={"<b>W</b>": us48_queen}, client=client,
                          permutations=19)
    out = res.save(tmp_path / "out")
    page = (out / "index.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>W</b>" not in page and "http://" not in page and "https://" not in page
    csv = (out / "screen.csv").read_text()
    assert "'=cmd" in csv and "\n=cmd" not in csv
    back = pd.read_parquet(out / "screen.parquet")
    pd.testing.assert_frame_equal(back, res.table, check_dtype=False)
    with pytest.raises(OutputError, match="exists"):
        res.save(tmp_path / "out")
    assert res.save(tmp_path / "out", force=True) == tmp_path / "out"


def test_interrupted_save_leaves_nothing(result, tmp_path, monkeypatch):
    import spillmap.screen._html as html_mod

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(html_mod, "page", boom)
    with pytest.raises(KeyboardInterrupt):
        result.save(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary left behind


@contextlib.contextmanager
def _local(n):
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with distributed.Client(cl) as c:
            yield c


@pytest.mark.slow
def test_one_and_two_local_worker_processes_give_identical_bytes(panel, us48_queen, result):
    lm = {"y": "lgsp", "x": ["lpcap"], "role": "x", "fe": "twoways"}
    kw = dict(id="state_abbr", time="year", weights={"queen": us48_queen}, permutations=PERMS, seed=5,
              statistics=("moran", "geary", "lisa", "lm"), lm=lm)
    tables = [spillmap.screen(panel, workers=n, **kw).table for n in (1, 2)]
    assert parquet_bytes(tables[0]) == parquet_bytes(tables[1]) == parquet_bytes(result.table)


def test_sdm_rows_equal_a_direct_fit(panel, us48_queen, client):
    from spillmap.estimation import SpatialPanel

    lm = {"y": "lgsp", "x": ["lpcap"], "role": "x", "fe": "twoways"}
    res = spillmap.screen(panel, id="state_abbr", time="year", weights={"queen": us48_queen}, indicators=["lpc"],
                          statistics=("sdm",), lm=lm, client=client, permutations=0)
    v, _, status = _rows(res, "lpc", "pooled")
    assert status == {"ok"}
    fit = SpatialPanel(panel, y="lgsp", x=["lpcap", "lpc"], id="state_abbr", time="year", w=us48_queen,
                       model="sdm", fe="twoways").fit()
    eff = fit.impacts(method="delta")
    # the same estimator on the same numbers: only BLAS rounding differs, which can move the
    # optimum within the optimiser's tolerance (tol=1e-10 on the concentrated likelihood)
    assert v["sdm_rho"] == pytest.approx(fit.rho, rel=1e-8)
    assert v["sdm_direct"] == pytest.approx(eff.direct.loc["lpc", "estimate"], rel=1e-8)
    assert v["sdm_indirect_p"] == pytest.approx(eff.indirect.loc["lpc", "p"], rel=1e-6, abs=1e-12)  # rel: z agrees to ~1e-8, p's relative error grows with |z|; abs: a floor for a p that underflows


def test_weights_as_study_specs_over_a_layer(panel, us48, us48_queen, client):
    # the study TOML's [weights.NAME] table as a dict, built over the layer's units: the same
    # matrix as the fixture (queen contiguity, row-standardised), hence the same bytes
    kw = dict(id="state_abbr", time="year", indicators=["unemp"], client=client, permutations=19,
              statistics=("moran", "lisa"))
    by_spec = spillmap.screen(panel, weights={"queen": {"kind": "contiguity", "contiguity": "queen"}},
                              layer=us48, layer_id="STATE_ABBR", **kw)
    by_matrix = spillmap.screen(panel, weights={"queen": us48_queen}, **kw)
    assert parquet_bytes(by_spec.table) == parquet_bytes(by_matrix.table)
    with pytest.raises(InputError, match="layer"):
        spillmap.screen(panel, weights={"queen": {"kind": "contiguity"}}, **kw)


def test_date_periods_are_screened_and_labelled_as_dates(panel, us48_queen, client):
    """Periods given as dates (pandas 2 used to turn them into nanoseconds, which matched no row):
    labelled '1970-01-01', and every analytic value equals the numeric years' (the pseudo p-values
    differ: each row's seed is drawn from its label)."""
    small = panel[panel.year <= 1972][["state_abbr", "year", "unemp"]]
    dated = small.assign(year=pd.to_datetime(small.year.astype(str) + "-01-01"))
    kw = dict(id="state_abbr", time="year", weights=us48_queen, statistics=("moran",), permutations=9, client=client)
    a, b = spillmap.screen(small, **kw).table, spillmap.screen(dated, **kw).table
    assert list(b.period.unique()) == ["1970-01-01", "1971-01-01", "1972-01-01", "pooled"]
    keep = ~a.statistic.str.endswith("p_perm")
    np.testing.assert_array_equal(a.value[keep].to_numpy(), b.value[keep].to_numpy())


def test_ranking_and_page_show_the_regression_tests(result, us48, tmp_path):
    """With ``statistics`` including "lm", the ranking carries each indicator's pooled LM tests (the
    table's own pooled rows, copied), the console summary and the page show them (newcomer audit 29
    #3.4: they were only in screen.csv), and the maps are named after the indicator."""
    rk = result.ranking.set_index(["indicator", "w"])
    for ind in ("lpc", "unemp"):
        v, _, _ = _rows(result, ind, "pooled")
        for col in ("lm_lag", "lm_lag_p", "lm_error", "robust_lm_error_p"):
            assert rk.loc[(ind, "queen"), col] == v[col]  # copied, not recomputed
    assert "lm_lag_p" in result.summary() and "lm_error" in result.summary()
    out = result.save(tmp_path / "out")
    page = (out / "index.html").read_text()
    assert "<th>LM-lag (p)</th>" in page and "<th>robust LM-error (p)</th>" in page
    assert "sdm_rho" not in result.ranking  # only the statistics screened


def test_maps_are_named_after_the_indicator(panel, us48, us48_queen, client, tmp_path):
    res = spillmap.screen(panel, id="state_abbr", time="year", weights={"queen": us48_queen}, indicators=["unemp"],
                          statistics=("moran", "lisa"), client=client, permutations=19, layer=us48,
                          layer_id="STATE_ABBR")
    out = res.save(tmp_path / "out", maps_top_k=1)
    names = sorted(p.name for p in (out / "maps").iterdir())
    assert len(names) == 2 and all("-0001-unemp-" in n for n in names), names
    # the LISA map's note gives the user's seed (0, the default), not the derived stream's number
    lisa = next(p for p in (out / "maps").iterdir() if p.name.endswith("-lisa.html")).read_text(encoding="utf-8")
    assert "seed 0 (the stream of W queen, 1986)" in lisa


def test_a_moran_only_screen_gives_the_same_moran_rows_and_no_geary(panel, us48_queen, client, result):
    # statistics=("moran",): the permutations skip Geary's numerator (spatial._batch, geary=False);
    # Moran's rows, permutation p-values included, are those of the screen that also asked for Geary
    only = spillmap.screen(
        panel, id="state_abbr", time="year", weights={"queen": us48_queen}, permutations=PERMS, seed=5,
        statistics=("moran",), client=client,
    )
    t = only.table
    assert not t.statistic.str.startswith("geary").any()
    both = result.table[result.table.statistic.str.startswith("moran")]
    key = ["indicator", "period", "statistic"]
    merged = t.merge(both, on=key, suffixes=("", "_both"))
    assert len(merged) == len(t) and len(t) > 0
    assert (merged.value.isna() == merged.value_both.isna()).all()
    ok = merged.value.notna()
    assert (merged.value[ok] == merged.value_both[ok]).all()  # same data, same stream: exact
