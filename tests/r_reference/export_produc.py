"""Write the Produc panel (logs) and the us48 queen W, in W's order, for the R reference scripts.

Usage: python tests/r_reference/export_produc.py OUTDIR   (writes OUTDIR/produc.csv, OUTDIR/w.csv)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from spillmap import datasets
from spillmap.spatial.weights import SpatialWeights


def main(out: Path) -> None:
    us48 = datasets.us48()
    w = SpatialWeights.from_libpysal(Graph.build_contiguity(us48.set_index("STATE_ABBR"), rook=False),
                                     name="us48 queen").row_standardize()  # as tests/conftest.py
    df = datasets.produc().copy()
    df["lgsp"] = np.log(df.gsp)
    df["lpcap"], df["lpc"], df["lemp"] = np.log(df.pcap), np.log(df.pc), np.log(df.emp)
    pos = {k: i for i, k in enumerate(w.ids)}
    df = df.assign(pos=df.state_abbr.map(pos)).sort_values(["year", "pos"])
    out.mkdir(parents=True, exist_ok=True)
    df[["state_abbr", "year", "lgsp", "lpcap", "lpc", "lemp", "unemp"]].to_csv(out / "produc.csv", index=False)
    pd.DataFrame(w.toarray()).to_csv(out / "w.csv", index=False, header=False)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
