"""The study specification: validation with key paths, vocabulary, TOML round trip, reference docs."""
from __future__ import annotations

import sys
import tomllib
import warnings
from pathlib import Path

import pytest

from spillmap.study import Study, WeightSpec
from spillmap.study._schema import SpecError
from spillmap.study.spec import LayerSpec, ModelSpec, PanelSpec

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _specs import MINIMAL  # noqa: E402


def _study(text: str, tmp_path: Path | None = None) -> Study:
    if tmp_path is None:
        return Study.from_dict(tomllib.loads(text), source="spec.toml")
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return Study.from_toml(p)


def test_minimal_spec_defaults():
    s = _study(MINIMAL)
    assert s.key == "pc" and s.model.fe == "twoways" and s.model.lee_yu == "transformation"
    assert s.model.draws == 1000 and s.weights[0].settings.islands == "error"
    assert s.weights[0].settings.transform == "R" and s.diagnostics.hausman == "auto"
    with pytest.raises(AttributeError):
        s.title = "x"  # frozen


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        # an unknown key names itself, suggests the closest and lists what is allowed (no Python TypeError)
        (('kind = "contiguity"', 'kind = "contiguity"\nislnds = "nearest"'),
         r"key 'weights.W1.islnds': unknown key \(did you mean 'islands'\?\); allowed here: contiguity, islands, k, "
         r"transform"),
        (("[model]\n", "[model]\nfoo = 1\n"), r"key 'model.foo': unknown key; allowed here: y, x, key, fe"),
        (("[layer]\n", "[lyer]\nid = 'x'\n[layer]\n"), r"key 'lyer': unknown key \(did you mean 'layer'\?\)"),
        (('kind = "contiguity"', 'kind = "contiguity"\nislands = "close"'),
         r"key 'weights.W1.islands': 'close' is not one of 'error', 'nearest', 'drop', 'keep'"),
        (('kind = "contiguity"', 'kind = "nested"\nvar = "pc"\nphi = 2'),
         r"key 'weights.W1.phi': must be in \[0, 1\], got 2.0"),
        (('kind = "contiguity"', 'kind = "nested"\nphi = 0.5'), r"key 'weights.W1.var': is required"),
        # keys that did nothing or failed midway (study audit 2026-12-01)
        (('kind = "contiguity"', 'kind = "contiguity"\nislands = "error"\nk = 4'),
         r"key 'weights.W1.k': links islands to their k nearest units \(islands = \"nearest\"\)"),
        (('kind = "contiguity"', 'kind = "contiguity"\ntransform = "B"'),
         r"key 'weights.W1.transform': \"B\" \(binary\) cannot serve model.fe = 'twoways'"),
        # a layer name for a bundled layer (or any file but a GeoPackage) was silently ignored (audit 2026-12-01)
        (('dataset = "us48"', 'dataset = "us48"\nlayer = "states"'), r"key 'layer.layer': names a layer inside a "
         r"multi-layer GeoPackage, and 'us48' is not one: leave it out"),
        # an old spelling of a choice this kind does not take is refused as written (not "write 'O'", then "'O' ...")
        (('kind = "contiguity"', 'kind = "nested"\nvar = "pc"\nphi = 0.5\ntransform = "asis"'),
         r"key 'weights.W1.transform': 'asis' is not one of 'R', 'B'"),
        (('kind = "contiguity"', 'kind = "knn"\nk = 0'), r"key 'weights.W1.k': must be >= 1"),
        (('kind = "contiguity"', 'kind = "hexagons"'), r"key 'weights.W1.kind': 'hexagons' is not one of 'contiguity'"),
        (('x = ["pc", "emp"]', 'x = ["pc", "pc"]'), r"key 'model.x': repeats a regressor"),
        (('x = ["pc", "emp"]', 'x = "pc"'), r"key 'model.x': must be list of text, got 'pc'"),
        (('y = "unemp"', 'y = "unemp"\nkey = "gsp"'), r"key 'model.key': 'gsp' is not among model.x"),
        (('y = "unemp"', 'y = "unemp"\nfe = "random"'), r"key 'model.fe': 'random' is not one of"),
        (('y = "unemp"', 'y = "unemp"\nfe = "time"\neffects = "time"'), r"key 'model.fe': given twice"),
        (('y = "unemp"', 'y = "unemp"\nlee_yu = "ydjl"'),
         r"key 'model.lee_yu': 'ydjl' is not one of .*\('ydjl' is the published estimator of a dynamic model alone"),
        (("[weights.W1]\nkind", "[diagnostics]\nhausman = \"sometimes\"\n[weights.W1]\nkind"),
         r"key 'diagnostics.hausman': 'sometimes' is not one of 'auto', 'classic', 'sphtest', 'mundlak'"),
        (("[weights.W1]\nkind", "[heterogeneity]\ncolumns = [\"g\"]\nw = \"W9\"\n[weights.W1]\nkind"),
         r"key 'heterogeneity.w': 'W9' is not one of the weights 'W1'"),
        (("[weights.W1]\nkind", "[tables]\ninclude = [\"table9\"]\n[weights.W1]\nkind"),
         r"key 'tables.include': 'table9' is not one of 'indicators', 'descriptive'"),
        (('dataset = "produc"', 'dataset = "produc"\npath = "p.csv"'), r"key 'panel': give exactly one"),
    ],
)
def test_bad_spec_names_the_key(edit, match):
    text = MINIMAL.replace(*edit)
    assert text != MINIMAL
    with pytest.raises(SpecError, match=match):
        _study(text)


def test_weights_names_that_collide_as_files():
    text = MINIMAL + '[weights."W 1"]\nkind = "knn"\nk = 4\n[weights.w_1]\nkind = "knn"\nk = 5\n'
    with pytest.raises(SpecError, match=r"'weights.W 1' and 'weights.w_1' would both be written as files named"):
        _study(text)


def test_old_spellings_are_read_with_a_warning():
    text = (MINIMAL.replace('y = "unemp"', 'y = "unemp"\neffects = "individual"\nlee_yu = false')
            .replace('kind = "contiguity"', 'kind = "contiguity"\ntransform = "asis"'))
    with pytest.warns(FutureWarning) as rec:
        s = _study(text)
    msgs = " ".join(str(w.message) for w in rec)
    assert "'model.effects' is deprecated; call it 'fe'" in msgs and "'asis' is deprecated; write 'O'" in msgs
    assert s.model.fe == "individual" and s.model.lee_yu == "none" and s.weights[0].settings.transform == "O"


def test_toml_round_trip_of_the_demo_study(tmp_path):
    from spillmap import datasets

    s = Study.from_toml(datasets.data_path("demo_report.toml"))
    text = s.to_toml()
    again = Study.from_dict(tomllib.loads(text), source=s.source, base_dir=s.base_dir)
    assert again == s
    assert tomllib.loads(again.to_toml()) == tomllib.loads(text)


def test_python_built_study_equals_toml():
    s = _study(MINIMAL)
    built = Study(layer=LayerSpec(dataset="us48", id="STATE_ABBR"),
                  panel=PanelSpec(dataset="produc", id="state_abbr", time="year"),
                  model=ModelSpec(y="unemp", x=("pc", "emp")),
                  weights=(WeightSpec("W1", "contiguity"),), source="spec.toml")
    assert built == s
    with pytest.raises(SpecError, match="'model.x': contains the dependent variable"):
        Study(layer=s.layer, panel=s.panel, model=ModelSpec(y="pc", x=("pc",)), weights=s.weights)


def test_file_errors(tmp_path):
    from spillmap.errors import InputError

    with pytest.raises(InputError, match="not found"):
        Study.from_toml(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="not valid TOML"):
        _study("title = \n", tmp_path)
    # a UTF-8 byte-order mark (Notepad writes one) is read past, as in a CSV (audit 2026-12-01: "not valid TOML")
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert Study.from_toml(tmp_path / "bom.toml").model == _study(MINIMAL).model


def test_reference_docs_are_generated_from_the_code():
    """docs/config.md must equal the generated reference (regenerate: python -m spillmap.study._reference)."""
    from spillmap.study._reference import markdown

    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == markdown()


def test_every_reference_example_validates():
    from spillmap.study._reference import EXAMPLES, WEIGHT_EXAMPLES

    base = tomllib.loads(MINIMAL)
    for name, example in EXAMPLES.items():
        doc = {**base, **tomllib.loads(example)}
        if name == "heterogeneity":
            doc["weights"] = {"W1": {"kind": "contiguity"}}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Study.from_dict(doc)
    for kind, example in WEIGHT_EXAMPLES.items():
        doc = {**base, "weights": tomllib.loads(example)["weights"]}
        s = Study.from_dict(doc)
        assert s.weights[0].kind == kind
        assert s.weights[0].describe()  # every kind describes itself in words


def test_cli_weights_shorthand():
    from spillmap.study.weights import parse_cli_spec

    assert parse_cli_spec("queen").settings.contiguity == "queen"
    assert parse_cli_spec("rook").settings.contiguity == "rook"
    assert parse_cli_spec("knn:k=5").settings.k == 5
    nested = parse_cli_spec("nested:var=pgdp,phi=0.25").settings
    assert nested.var == "pgdp" and nested.phi == 0.25
    f = parse_cli_spec("some/W.gal")
    assert f.kind == "file" and f.settings.path == "some/W.gal"
    with pytest.raises(SpecError, match=r"key 'weights.W.k': must be >= 1"):
        parse_cli_spec("knn:k=0")


def test_heterogeneity_threshold_is_documented():
    """The smallest group estimated on its own is stated in the reference, with the code's number."""
    from spillmap.study._steps_groups import MIN_GROUP_UNITS

    assert f"fewer than {MIN_GROUP_UNITS} units" in (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
