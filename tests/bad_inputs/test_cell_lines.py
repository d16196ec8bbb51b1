"""A bad cell of the panel file is named by file line and column by every command, as well as
by (id, time) (audit 29: some paths named only the (id, time)).

One panel CSV (Produc 1980-1986) is written with one bad cell of ``unemp`` at a known line:
empty, ``inf`` or text, or with one row repeated.  Each of ``fit``, ``diagnose``, ``moran``,
``screen`` (naming ``unemp``) and ``report`` must exit 2 with one line naming the file and that
line; nothing is written (:func:`_catalogue_inputs.expect_cli_error`).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import expect_cli_error  # noqa: E402

KEYS = ["--id", "state_abbr", "--time", "year"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """panel_<kind>.csv for each kind of bad cell, a ring W over the 48 states, and a study TOML
    per file; the bad row is (AZ, 1982), at the line recorded in ``line.txt``."""
    from spillmap import datasets

    d = tmp_path_factory.mktemp("cell_lines")
    p = datasets.produc()
    p = p.loc[p.year >= 1980, ["state_abbr", "year", "gsp", "pcap", "unemp"]].reset_index(drop=True)
    k = int(p.index[(p.state_abbr == "AZ") & (p.year == 1982)][0])
    (d / "line.txt").write_text(str(k + 2))  # header on line 1, the first data row on line 2
    for kind, value in (("empty", ""), ("inf", "inf"), ("text", "abc")):
        q = p.astype({"unemp": object})
        q.loc[k, "unemp"] = value
        q.to_csv(d / f"panel_{kind}.csv", index=False)
    p.loc[[*range(len(p)), k]].to_csv(d / "panel_dup.csv", index=False)  # row k again, last
    ids = sorted(p.state_abbr.unique())
    ring = [f"{a} 2\n{ids[i - 1]} {ids[(i + 1) % len(ids)]}" for i, a in enumerate(ids)]
    (d / "w.gal").write_text(f"{len(ids)}\n" + "\n".join(ring) + "\n")
    for kind in ("empty", "inf", "text", "dup"):
        (d / f"study_{kind}.toml").write_text(
            f'[layer]\ndataset = "us48"\nid = "STATE_ABBR"\n[panel]\npath = "panel_{kind}.csv"\n'
            'id = "state_abbr"\ntime = "year"\n[model]\ny = "gsp"\nx = ["pcap", "unemp"]\n'
            '[weights.W1]\nkind = "file"\npath = "w.gal"\n[output]\ndir = "rep"\n')
    return d


def _argv(cmd: str, d: Path, kind: str) -> list[str]:
    data = ["--data", str(d / f"panel_{kind}.csv")]
    if cmd == "fit":
        return ["fit", *data, *KEYS, "--y", "gsp", "--x", "pcap", "unemp", "--w", str(d / "w.gal"),
                "--json", str(d / "out.json")]
    if cmd == "diagnose":
        return ["diagnose", *data, *KEYS, "--y", "gsp", "--x", "pcap", "unemp", "--w", str(d / "w.gal")]
    if cmd == "moran":
        return ["moran", *data, *KEYS, "--var", "unemp", "--w", str(d / "w.gal")]
    if cmd == "screen":
        return ["screen", *data, *KEYS, "--indicators", "unemp", "--w", str(d / "w.gal"), "--workers", "1",
                "--permutations", "9", "--out", str(d / "scr")]
    return ["report", str(d / f"study_{kind}.toml"), "--quiet"]


@pytest.mark.parametrize("kind", ["empty", "inf", "text", "dup"])
@pytest.mark.parametrize("cmd", ["fit", "diagnose", "moran", "screen", "report"])
def test_the_bad_cell_is_named_by_file_and_line(folder, cmd, kind, capsys, in_process):
    line = (folder / "line.txt").read_text()
    place = (f"panel_{kind}.csv: lines {line}, " if kind == "dup" else f"panel_{kind}.csv: line {line}")
    expect_cli_error(_argv(cmd, folder, kind), folder, capsys, place)


@pytest.mark.parametrize("cmd", ["fit", "moran", "screen"])
def test_names_joined_by_commas_get_the_spelling_with_spaces(folder, cmd, capsys, in_process):
    """``--x pcap,unemp`` (a habit from other tools) is one name to argparse: the error says how
    to give several."""
    argv = [a if a != "unemp" else "pcap,unemp" for a in _argv(cmd, folder, "dup")]
    if cmd == "fit":
        argv.remove("pcap")  # --x pcap,unemp
    expect_cli_error(argv, folder, capsys, "'pcap,unemp'", "separated by spaces, not commas: pcap unemp")
