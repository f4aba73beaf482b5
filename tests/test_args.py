"""Spec arguments: top-level `args:`, `$name` in the input, layers and blocks, `--set`, `--input`."""

import re

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import SpecError, UsageError

SPEC = """\
name: args
args: {size: 16, width: 8, act: relu}
input: [1, $size, $size]
blocks:
  unit:
    args: {filters: $width}
    layers:
      - conv2d: {filters: $filters, kernel: 3, padding: same}
      - $act
layers:
  - unit
  - unit: {filters: $width * 2}
  - flatten
  - dense: {units: $width}
"""


def params(size: int, width: int) -> int:
    """conv(1->w) + conv(w->2w) + dense(2w*size*size -> w), with biases."""
    c1 = width * 1 * 9 + width
    c2 = 2 * width * width * 9 + 2 * width
    d = (2 * width * size * size) * width + width
    return c1 + c2 + d


def test_defaults_fill_the_input_layers_and_block_defaults():
    net = netcalc.load(SPEC)
    assert net.input == (1, 16, 16)
    assert [n.layer.kind for n in net.nodes] == ["conv2d", "relu", "conv2d", "relu", "flatten", "dense"]
    assert netcalc.analyze(net).params == params(16, 8)


def test_args_override_defaults_and_reach_types():
    net = netcalc.load(SPEC, args={"size": 32, "width": 4, "act": "tanh"})
    assert net.input == (1, 32, 32)
    assert net.nodes[1].layer.kind == "tanh"
    assert netcalc.analyze(net).params == params(32, 4)


def test_a_loaded_network_is_re_expanded_not_re_read():
    net = netcalc.load(SPEC)
    again = netcalc.load(net, args={"size": 8})
    assert again.spec.source == net.spec.source and again.input == (1, 8, 8)
    assert netcalc.load(net) is net
    assert netcalc.analyze(again).params == params(8, 8)


def test_a_loaded_network_re_expands_when_layers_use_the_argument():
    net = netcalc.load(SPEC)
    wider = netcalc.load(net, args={"width": 4})
    assert wider.nodes is not net.nodes
    assert netcalc.analyze(wider).params == params(16, 4)
    same_layers = netcalc.load(net, args={"size": 8})
    assert same_layers.nodes is net.nodes  # only the input moved


def test_input_replaces_the_shape():
    assert netcalc.load(SPEC, input="1x4x4").input == (1, 4, 4)
    assert netcalc.load(SPEC, input=[1, 5, 5]).input == (1, 5, 5)
    assert netcalc.load("input: [3, 8, 8]\nlayers: [relu]\n", input="3x2x2").input == (3, 2, 2)


@pytest.mark.parametrize(
    "args, input, pattern",
    [
        (
            {"sise": 3},
            None,
            "<string>: no argument 'sise' to set — did you mean 'size'? — its arguments: size, width, act",
        ),
        (
            {"size": 0},
            None,
            "<string>:3: input [1, $size, $size] is [1, 0, 0] with size=0, width=8, act=relu",
        ),
        ({"size": [1]}, None, "argument 'size': a value is a number or a word (got [1])"),
        (None, "3xx4", "--input 3xx4: sizes are positive whole numbers, like 3x224x224"),
        (None, "0x4", "--input 0x4: sizes are positive whole numbers"),
        (None, "x".join(["2"] * 17), "give 1 to 16 sizes"),
    ],
)
def test_bad_arguments_are_usage_errors(args, input, pattern):
    with pytest.raises(UsageError, match=re.escape(pattern)):
        netcalc.load(SPEC, args=args, input=input)


def test_plain_spec_knows_no_arguments():
    with pytest.raises(UsageError, match=re.escape("no argument 'size' to set — its arguments: none")):
        netcalc.load("input: [3]\nlayers: [relu]\n", args={"size": 3})


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "input: [1, $sise]\nargs: {size: 4}\nlayers: [relu]\n",
            "<string>:1: input: unknown argument $sise (known: $size) — declare it under args: at the top",
        ),
        (
            "args: {size: [4]}\ninput: [1]\nlayers: [relu]\n",
            "<string>:1: args: argument 'size' must be a number or a word (got [4])",
        ),
        (
            "args: {2x: 4}\ninput: [1]\nlayers: [relu]\n",
            "<string>:1: args: argument name '2x' must be a word like 'size' or 'width' (not 'input'",
        ),
        (
            "args: {size: 0}\ninput: [1, $size]\nlayers: [relu]\n",
            "<string>:2: input.1: Input should be greater than 0 (got 0)",
        ),
        (
            "args: {n: 4}\ninput: [4]\nlayers:\n  - dense: {units: $m}\n",
            "<string>:4: layer 0 'dense' (dense_1): unknown argument $m (known: $n)",
        ),
    ],
)
def test_bad_spec_arguments_are_one_line_spec_errors(text, pattern):
    with pytest.raises(SpecError, match=re.escape(pattern)) as info:
        netcalc.analyze(netcalc.load(text))
    assert "\n" not in str(info.value)


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin, env={"NO_COLOR": "1"})


def test_cli_set_and_input_on_count_compare_and_stdin():
    result = invoke("count", "-", "--set", "size=32", "--set", "width=4", "-f", "json", stdin=SPEC)
    assert result.exit_code == 0, result.output
    assert f'"params": {params(32, 4)}' in result.stdout
    result = invoke("count", "specs/dense-vs-conv/dense.yaml", "--input", "1x32x32", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "two-dense-layers,1,dense_1,dense,0,flatten_1,1000,1025000," in result.stdout  # 1024*1000+1000
    both = ["specs/dense-vs-conv/dense.yaml", "specs/dense-vs-conv/conv.yaml"]
    result = invoke("compare", *both, "--set", "size=32", "-f", "json")
    assert result.exit_code == 0, result.output
    dense_32 = 32 * 32 * 1000 + 1000 + 1000 * 1000 + 1000 + 1000 + 1
    assert f'"params": {dense_32}' in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "size"], "error: --set size: give NAME=VALUE, e.g. --set size=512\n"),
        (["--set", "size=1", "--set", "size=2"], "error: --set size is given twice\n"),
        (
            ["--set", "widht=3"],
            "error: specs/dense-vs-conv/conv.yaml: no argument 'widht' to set — its arguments: size\n",
        ),
        (["--input", "3x"], "error: --input 3x: sizes are positive whole numbers, like 3x224x224\n"),
    ],
)
def test_cli_bad_set_is_exit_2_one_line(args, message):
    result = invoke("count", "specs/dense-vs-conv/conv.yaml", *args)
    assert result.exit_code == 2
    assert result.stderr == message


def test_zoo_takes_input():
    result = invoke("count", "zoo:resnet18", "--input", "3x112x112", "-f", "json")
    assert result.exit_code == 0, result.output
    assert '"input_shape": [\n    3,\n    112,\n    112\n  ]' in result.stdout


def test_a_spec_argument_default_that_uses_another_argument_is_refused_at_its_line():
    text = 'args: {a: 2, b: "$a * 2"}\ninput: [4]\nlayers:\n  - dense: {units: $b}\n'
    with pytest.raises(SpecError) as error:
        netcalc.load(text)
    assert str(error.value) == (
        "<string>:1: args: argument 'b' is '$a * 2', which uses $a — a spec argument's default is a "
        "number or a word: write its value, or write the expression where $b is used"
    )


@pytest.mark.parametrize("spec_args", ["", "args: {w: 3}\n"])
def test_a_block_default_that_uses_the_blocks_own_argument_is_refused(spec_args):
    text = (
        f'{spec_args}input: [4]\nblocks:\n  mlp:\n    args: {{a: 2, b: "$a * 2"}}\n'
        "    layers:\n      - dense: {units: $b}\nlayers:\n  - mlp\n"
    )
    with pytest.raises(SpecError) as error:
        netcalc.load(text)
    line = 3 if spec_args else 2
    assert str(error.value) == (
        f"<string>:{line + 1}: block 'mlp': argument 'b' defaults to '$a * 2', which uses the block's "
        "argument $a — a default can use the spec's arguments only: write a value, or write the "
        "expression where $b is used"
    )


def test_a_block_default_may_still_use_a_spec_argument_of_the_same_name():
    text = (
        'args: {width: 8}\ninput: [4]\nblocks:\n  mlp:\n    args: {width: $width, half: "$width // 2"}\n'
        "    layers:\n      - dense: {units: $half}\nlayers:\n  - mlp\n"
    )
    assert netcalc.analyze(text).output_shape == (4,)
    assert netcalc.analyze(text, args={"width": 20}).output_shape == (10,)
