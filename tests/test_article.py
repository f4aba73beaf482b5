"""The article's numbers, exactly, from the library and from `netcalc ... --format json`.

The article (../shared/reference/building-blocks-of-deep-learning.txt): a 256x256 image, two dense
layers of 1000 neurons and one output neuron have "around 66 million parameters" ("more than 197
million for colour images"); two convolutional layers of 64 filters give "about 4 million neurons
per layer" and need "about 40.000 parameters"; its first network has two inputs, two hidden neurons
and one output, with weighted sums and no bias.
"""

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app

SPECS = Path(__file__).resolve().parent.parent / "specs" / "dense-vs-conv"
DENSE, CONV, TINY = SPECS / "dense.yaml", SPECS / "conv.yaml", SPECS / "tiny.yaml"

# dense: flatten 256*256 -> dense 1000 -> dense 1000 -> dense 1, with biases
PIXELS = 1 * 256 * 256
DENSE_PARAMS = (PIXELS * 1000 + 1000) + (1000 * 1000 + 1000) + (1000 * 1 + 1)
COLOUR_PARAMS = (3 * 256 * 256 * 1000 + 1000) + (1000 * 1000 + 1000) + (1000 * 1 + 1)
DENSE_NEURONS = 1000 + 1000 + 1
# conv: 64 filters of 1x3x3 + 64 biases, then 64 filters of 64x3x3 + 64 biases
CONV_PARAMS = (64 * 1 * 3 * 3 + 64) + (64 * 64 * 3 * 3 + 64)
CONV_NEURONS_PER_LAYER = 64 * 256 * 256  # 'same' padding keeps 256x256
# tiny: 2 inputs -> 2 hidden (2 * 2 weights) -> 1 output (2 * 1 weights), no biases
TINY_WEIGHTS = 2 * 2 + 2 * 1
TINY_NEURONS = 2 + 1


def cli_json(*args: str):
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def colour_spec() -> dict:
    """dense.yaml with the input changed to [3, 256, 256]."""
    data = yaml.safe_load(DENSE.read_text())
    return {**data, "name": "two-dense-layers-colour", "input": [3, 256, 256]}


def test_the_formulas_give_the_articles_figures():
    assert DENSE_PARAMS == 66_539_001  # "around 66 million"
    assert COLOUR_PARAMS == 197_611_001  # "more than 197 million"
    assert CONV_PARAMS == 37_568  # "about 40.000"
    assert CONV_NEURONS_PER_LAYER == 4_194_304  # "about 4 million neurons per layer"


def test_dense_from_the_library():
    report = netcalc.analyze(netcalc.load(DENSE))
    assert report.params == DENSE_PARAMS
    assert report.totals.state == 0
    assert report.totals.neurons == DENSE_NEURONS
    assert [r.output_shape for r in report.rows] == [(PIXELS,), (1000,), (1000,), (1,)]
    assert [r.tensors for r in report.rows[1:]] == [
        {"weight": PIXELS * 1000, "bias": 1000},
        {"weight": 1000 * 1000, "bias": 1000},
        {"weight": 1000 * 1, "bias": 1},
    ]


def test_dense_from_the_cli():
    data = cli_json("count", str(DENSE))
    assert data["totals"]["params"] == DENSE_PARAMS
    assert data["totals"]["trainable_params"] == DENSE_PARAMS
    assert data["totals"]["non_trainable_params"] == 0
    assert data["totals"]["neurons"] == DENSE_NEURONS


def test_colour_dense_from_the_library():
    report = netcalc.analyze(netcalc.load(colour_spec()))
    assert report.params == COLOUR_PARAMS
    assert report.rows[0].output_shape == (3 * 256 * 256,)


def test_colour_dense_from_the_cli(tmp_path):
    path = tmp_path / "dense-colour.yaml"
    path.write_text(yaml.safe_dump(colour_spec()))
    assert cli_json("count", str(path))["totals"]["params"] == COLOUR_PARAMS


def test_conv_from_the_library():
    report = netcalc.analyze(netcalc.load(CONV))
    assert report.params == CONV_PARAMS
    assert [r.kind for r in report.rows] == ["conv2d", "conv2d"]
    for row in report.rows:
        assert row.output_shape == (64, 256, 256)
        assert row.counts.neurons == CONV_NEURONS_PER_LAYER
    assert report.rows[0].tensors == {"weight": 64 * 1 * 3 * 3, "bias": 64}
    assert report.rows[1].tensors == {"weight": 64 * 64 * 3 * 3, "bias": 64}
    assert report.totals.neurons == 2 * CONV_NEURONS_PER_LAYER


def test_conv_from_the_cli():
    data = cli_json("count", str(CONV))
    assert data["totals"]["params"] == CONV_PARAMS
    assert [layer["neurons"] for layer in data["layers"]] == [CONV_NEURONS_PER_LAYER] * 2
    assert [layer["params"] for layer in data["layers"]] == [64 * 9 + 64, 64 * 64 * 9 + 64]


def test_tiny_network_from_the_library():
    report = netcalc.analyze(netcalc.load(TINY))
    assert report.params == TINY_WEIGHTS
    assert report.totals.neurons == TINY_NEURONS
    assert [r.tensors for r in report.rows] == [{"weight": 2 * 2}, {"weight": 2 * 1}]  # no bias
    assert [r.name for r in report.rows] == ["hidden", "output"]


def test_tiny_network_from_the_cli():
    data = cli_json("count", str(TINY))
    assert data["totals"]["params"] == TINY_WEIGHTS
    assert data["totals"]["neurons"] == TINY_NEURONS


def test_compare_shows_both_with_the_ratio():
    data = cli_json("compare", str(DENSE), str(CONV))
    dense, conv = data["specs"]
    assert (dense["params"], conv["params"]) == (DENSE_PARAMS, CONV_PARAMS)
    assert (dense["neurons"], conv["neurons"]) == (DENSE_NEURONS, 2 * CONV_NEURONS_PER_LAYER)
    assert data["ratios_to_first"][0]["params"] == 1.0
    assert data["ratios_to_first"][1]["params"] == CONV_PARAMS / DENSE_PARAMS  # about 1/1,771
    assert round(DENSE_PARAMS / CONV_PARAMS) == 1771


def test_compare_table_names_the_ratio():
    result = CliRunner().invoke(app, ["compare", str(DENSE), str(CONV)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "66,539,001" in result.stdout and "37,568" in result.stdout
    assert "(1/1,771)" in result.stdout


def test_shipped_colour_spec_is_the_dense_spec_on_three_channels():
    shipped = yaml.safe_load((DENSE.parent / "dense-colour.yaml").read_text())
    assert shipped["layers"] == yaml.safe_load(DENSE.read_text())["layers"]
    data = cli_json("count", str(DENSE.parent / "dense-colour.yaml"))
    assert data["input_shape"] == [3, 256, 256]
    assert data["totals"]["params"] == COLOUR_PARAMS
