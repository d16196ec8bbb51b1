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
