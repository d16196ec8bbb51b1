"""A bundled weights matrix (``cigar_w``) named wherever a weights file is read: the CLI's ``--w``
and a study's ``[weights.NAME] kind = "file"``.  The numbers are those of the library on
``datasets.cigar_w()`` (the matrix itself is checked in test_datasets.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spillmap import datasets
from spillmap.cli import main


def test_moran_cli_reads_the_bundled_matrix(tmp_path):
    from spillmap.spatial.autocorrelation import moran_by_period

    out = tmp_path / "m.json"
    assert main(["moran", "--data", "cigar", "--id", "state", "--time", "year", "--var", "sales",
                 "--w", "cigar_w", "--permutations", "0", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    ref = moran_by_period(datasets.cigar(), id="state", time="year", var="sales",
                          w=datasets.cigar_w().row_standardize(), permutations=0)
    assert doc["by_time"]["80"]["I"] == pytest.approx(ref[80].I, rel=1e-12)  # same closed form on the same numbers: rounding only


def test_fit_cli_reads_the_bundled_matrix(tmp_path):
    from spillmap.estimation import SpatialPanel

    out = tmp_path / "f.json"
    assert main(["fit", "--data", "cigar", "--id", "state", "--time", "year", "--y", "sales", "--x", "price",
                 "--w", "cigar_w", "--model", "sar", "--fe", "individual", "--lee-yu", "none", "--draws", "0",
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    res = SpatialPanel(datasets.cigar(), y="sales", x=["price"], id="state", time="year",
                       w=datasets.cigar_w().row_standardize(), model="sar", fe="individual").fit(lee_yu="none")
    # one ML fit on identical inputs twice: the optimiser is deterministic, so rounding only
    assert doc["params"]["rho"]["estimate"] == pytest.approx(res.params["rho"], rel=1e-10)


def test_study_file_weights_take_a_bundled_name(tmp_path):
    from spillmap.study.weights import WeightSpec, WeightsInputs, build_weights

    ids = [str(s) for s in sorted(datasets.cigar()["state"].unique(), reverse=True)]  # another order
    inp = WeightsInputs(pd.DataFrame({"state": ids}), None, "state", "year",
                        resolve=lambda p: tmp_path / p)  # relative to a spec folder without such a file
    w = build_weights(WeightSpec.from_dict("WC", {"kind": "file", "path": "cigar_w"}), inp)
    assert list(w.ids) == ids
    np.testing.assert_allclose(w.sparse.sum(axis=1).A1, 1.0, rtol=1e-15)  # transform R by default (sums of 1/k: rounding)
    ref = datasets.cigar_w().row_standardize()
    order = [ref.ids.index(i) for i in ids]
    np.testing.assert_array_equal(w.toarray(), ref.toarray()[np.ix_(order, order)])


def test_a_misspelt_bundled_name_in_a_study_says_which(tmp_path):
    from spillmap.errors import InputError
    from spillmap.study.weights import WeightSpec, WeightsInputs, build_weights

    inp = WeightsInputs(pd.DataFrame({"state": ["1", "3"]}), None, "state", "year", resolve=lambda p: tmp_path / p)
    with pytest.raises(InputError, match=r"weights.WC: weights file Cigar_w does not exist; did you mean the bundled "
                                         r"matrix 'cigar_w'\?"):
        build_weights(WeightSpec.from_dict("WC", {"kind": "file", "path": "Cigar_w"}), inp)
