"""Block arguments that see their input and their repeat: `$in` (the block instance's input shape),
`$index` (its 0-based repeat), comparisons, `A if COND else B`, round(), and `when:` to skip an
entry. Figures derived by hand in the comments; the same network written without them is the
independent witness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import SpecError
from netcalc.spec.arith import ArithError, evaluate

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def stage_spec() -> str:
    found = re.search(r"```yaml\n(# resnet-stage.yaml.*?)```", README, flags=re.S)
    assert found
    return found.group(1)


def test_one_block_use_makes_a_resnet_stage_and_an_se_block_sizes_itself():
    report = netcalc.analyze(netcalc.load(stage_spec()))
    groups = {g.name: g for g in report.groups}
    # repeat 0: 3x3 16->32 stride 2 (32*16*9 = 4,608), bn 64, 3x3 32->32 (9,216), bn 64,
    # the projection 1x1 16->32 stride 2 (512) and its bn 64: 14,528
    assert groups["basic.1"].counts.params == 4_608 + 64 + 9_216 + 64 + 512 + 64 == 14_528
    # repeat 1: stride 1, no projection (the input itself is added): 2 * (9,216 + 64) = 18,560
    assert groups["basic.2"].counts.params == 18_560
    assert [r.name for r in report.rows if r.groups[-1:] == ("basic.2",)][-2:] == [
        "basic.2.add_1",
        "basic.2.relu_2",
    ]
    add = {r.name: r for r in report.rows}["basic.2.add_1"]
    assert add.inputs == ("basic.2.main", "basic.1.relu_2")  # the shortcut is the block's input
    # SE on 32 channels, ratio 4: 32 -> 8 (8*32 + 8 = 264), 8 -> 32 (32*8 + 32 = 288)
    assert groups["se"].counts.params == 264 + 288
    assert report.totals.params == 14_528 + 18_560 + 552
    assert netcalc.verify(netcalc.load(stage_spec())).ok


WITHOUT = """\
input: [16, 32, 32]
blocks:
  down:
    layers:
      - conv2d: {filters: 32, kernel: 3, padding: 1, bias: false, stride: 2}
      - batchnorm
      - relu
      - conv2d: {filters: 32, kernel: 3, padding: 1, bias: false}
      - batchnorm: {name: main}
      - conv2d: {filters: 32, kernel: 1, stride: 2, bias: false, from: input}
      - batchnorm: {name: shortcut}
      - add: {from: [main, shortcut]}
      - relu
  same:
    layers:
      - conv2d: {filters: 32, kernel: 3, padding: 1, bias: false}
      - batchnorm
      - relu
      - conv2d: {filters: 32, kernel: 3, padding: 1, bias: false}
      - batchnorm
      - add: {from: [-1, input]}
      - relu
  se:
    layers:
      - global_avgpool
      - conv2d: {filters: 8, kernel: 1, activation: relu}
      - conv2d: {filters: 32, kernel: 1, activation: sigmoid}
      - multiply: {from: [-1, input]}
layers: [down, same, se]
"""


def test_the_same_network_written_without_index_and_in_counts_the_same():
    with_index = netcalc.analyze(netcalc.load(stage_spec()))
    plain = netcalc.analyze(netcalc.load(WITHOUT))
    assert [(r.kind, r.output_shape, r.counts) for r in with_index.rows] == [
        (r.kind, r.output_shape, r.counts) for r in plain.rows
    ]


def test_index_and_in_inside_blocks():
    spec = """\
input: [3, 8, 8]
blocks:
  widen:
    layers:
      - conv2d: {filters: "$in[0] * 2 if $index < 2 else $in[0]", kernel: 1, name: c}
layers:
  - widen: {repeat: 3}
  - widen
"""
    rows = {r.name: r for r in netcalc.analyze(netcalc.load(spec)).rows}
    # repeats 0 and 1 double 3 -> 6 -> 12 channels, repeat 2 keeps 12; a use without repeat is
    # index 0: 12 -> 24
    assert [rows[f"widen_{n}.{r}.c"].output_shape[0] for n, r in ((1, 1), (1, 2), (1, 3))] == [6, 12, 12]
    assert rows["widen_2.c"].output_shape == (24, 8, 8)


def test_in_reads_a_named_input_and_declared_arguments_hide_in_and_index():
    spec = """\
inputs: {tokens: [7, 10], image: [3, 4, 4]}
args: {index: 5}
blocks:
  proj:
    args: {in: 2}
    layers:
      - dense: {units: "$in * 10 + $index"}
layers:
  - proj: {from: tokens}
"""
    # the spec's `index` and the block's `in` are declared: they win (2 * 10 + 5 = 25 units)
    rows = netcalc.analyze(netcalc.load(spec)).rows
    assert rows[0].output_shape == (7, 25)


@pytest.mark.parametrize(
    "text, value",
    [
        ("2 if $i == 0 else 1", 2),
        ("2 if $i != 0 else 1", 1),
        ("1 < $w <= 3", True),
        ("$w > 3 or $i == 0", True),
        ("not ($w > 3)", True),
        ("round($w * 2.5)", 8),  # 7.5 rounds to the even 8, as Python's round
        ("round(6.5)", 6),
        ("round($w / 7, 2)", 0.43),
        ("$s[0] // 4", 16),
        ("$s[-1]", 8),
        ("max(8, round($s[0] * 0.3))", 19),
    ],
)
def test_arithmetic_gains_comparisons_conditions_round_and_items(text, value):
    assert evaluate(text, {"i": 0, "w": 3, "s": [64, 8, 8]}) == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("$s[3]", "'$s[3]': index 3 is outside $s, which has 3 items"),
        ("$w[0]", "'$w[0]': $w is 3, not a list, so it takes no index"),
        ("$s[0:2]", "is not arithmetic over $arguments (only + - * / // % **, comparisons"),
        ("($s)[0] if $w else [1][0]", "is not arithmetic over $arguments"),  # a list: never
        ("round($w, 99)", "round(x, n) takes a whole number of digits n from -15 to 15"),
        ("$w if $w else __import__('os')", "not arithmetic over $arguments"),
        ("$w ** 65", "raises to too large a power"),
    ],
)
def test_bad_expressions_are_one_line_errors(text, message):
    with pytest.raises(ArithError, match=re.escape(message)):
        evaluate(text, {"w": 3, "s": [64, 8, 8]})


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            "input: [3]\nblocks:\n  b:\n    layers: [{dense: {units: '$in[1]'}}]\nlayers: [b]\n",
            r"<string>:4: layer 0 'dense' \(b.dense_1\): '\$in\[1\]': index 1 is outside \$in, "
            "which has 1 items",
        ),
        (
            "input: [3]\nlayers: [{dense: {units: 2, when: maybe}}]\n",
            r"<string>:2: layer 0 'dense' \(dense_1\): when is true or false, or a condition like "
            r"'\$index == 0' \(got 'maybe'\)",
        ),
        (
            "input: [3]\nlayers: [{dense: {units: 2, name: a}}, {add: {from: [a, input], when: false}}]\n",
            "an entry skipped by when: passes its input on, so it takes one input, not 2",
        ),
        (
            "input: [3]\nlayers: [{dense: {units: 2, when: '$index == 0'}}]\n",
            r"unknown argument \$index",
        ),
    ],
)
def test_errors_name_the_file_line_and_layer(text, pattern):
    with pytest.raises(SpecError, match=pattern):
        netcalc.load(text)


def test_when_false_skips_a_layer_and_its_name_gives_its_input():
    spec = (
        "input: [4]\nlayers:\n  - dense: {units: 3, name: a, when: false}\n  - dense: {units: 2, from: a}\n"
    )
    rows = netcalc.analyze(netcalc.load(spec)).rows
    assert [(r.name, r.inputs, r.counts.params) for r in rows] == [("dense_1", ("input",), 4 * 2 + 2)]


def test_readme_example_is_real_output():
    quoted = re.search(
        r"```text\n\$ cat resnet-stage.yaml \| netcalc count - --depth 2\n(.*?)```", README, re.S
    )
    assert quoted
    result = CliRunner().invoke(app, ["count", "-", "--depth", "2"], input=stage_spec())
    assert result.exit_code == 0, result.output
    assert result.output == quoted.group(1)


def test_hostile_conditions_stay_bounded_one_line_errors():
    deep = "not " * 100_000 + "$w"
    spec = {"input": [3], "args": {"w": 2}, "layers": [{"dense": {"units": 2, "when": deep}}]}
    with pytest.raises(SpecError, match="an argument expression is too long or nested too deeply"):
        netcalc.load(spec)
    chained = "1 < " * 20_000 + "$w"  # False: the only layer is skipped
    spec = {"input": [3], "args": {"w": 2}, "layers": [{"dense": {"units": 2, "when": chained}}]}
    with pytest.raises(SpecError, match="every layer is skipped .when: false. — a network needs"):
        netcalc.load(spec)
