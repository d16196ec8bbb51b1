"""Study files shared by the tests: the smallest complete study on the bundled US data (Produc on
the US-48 layer, one contiguity W).  Tests extend it with the keys they exercise."""

MINIMAL = """
[layer]
dataset = "us48"
id = "STATE_ABBR"
[panel]
dataset = "produc"
id = "state_abbr"
time = "year"
[model]
y = "unemp"
x = ["pc", "emp"]
[weights.W1]
kind = "contiguity"
"""

#: the layer and panel of the US studies (files named as datasets by `path`), for tests that write
#: the other sections themselves
US_INPUTS = """
[layer]
path = "us48"
id = "STATE_ABBR"
[panel]
path = "produc"
id = "state_abbr"
time = "year"
"""

#: one contiguity W, no maps and no figures (the tables only: fast)
W1_TABLES_ONLY = """
[maps]
include = []
[output]
figures = false
[weights.W1]
kind = "contiguity"
"""

#: the US studies' model: Produc's production function, two-way effects, delta-method effects
US_TWOWAY_MODEL = """
[model]
y = "log(gsp)"
x = ["log(pcap)", "log(pc)", "unemp"]
fe = "twoways"
draws = 0
"""

#: the US study (Produc, one contiguity W, two-way SDM, delta-method effects) with the effects table
#: only; ``{decimals}`` is a line of ``[tables]`` (``.format(decimals="")`` for none)
US_EFFECTS_ONLY = 'unit_label = "state"\n' + US_INPUTS + US_TWOWAY_MODEL + """[diagnostics]
tests = []
[tables]
include = ["effects"]
{decimals}
""" + W1_TABLES_ONLY

#: the US study with one contiguity W and HTML maps only (no tables, tests or figures: fast);
#: ``{maps}`` is the body of its ``[maps]`` section
US_MAPS_ONLY = US_INPUTS + US_TWOWAY_MODEL + """[tables]
include = []
[diagnostics]
tests = []
[maps]
{maps}
[output]
figures = false
[weights.W1]
kind = "contiguity"
"""
