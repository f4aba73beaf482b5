"""diff: alignment by name then type order, per-layer deltas, totals, formats and --fail-on-change."""

import json

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import ChangedError
from netcalc.explore.diff import diff

A = """\
name: a
input: [3, 8, 8]
layers:
  - conv2d: {filters: 4, kernel: 3, name: stem}
  - relu
  - conv2d: {filters: 8, kernel: 3}
  - flatten
  - dense: {units: 10, name: head}
"""
# B: the stem is wider, a batchnorm is inserted after it, the second conv is gone, the head is the same
B = """\
name: b
input: [3, 8, 8]
layers:
  - conv2d: {filters: 6, kernel: 3, name: stem}
  - batchnorm
  - relu
  - flatten
  - dense: {units: 10, name: head}
"""


def test_alignment_statuses_and_deltas():
    d = diff(netcalc.analyze(A), netcalc.analyze(B))
    table = [(c.status, c.a.name if c.a else None, c.b.name if c.b else None) for c in d.layers]
    assert table == [
        ("changed", "stem", "stem"),  # by name
        ("added", None, "batchnorm_1"),
        ("changed", "relu_1", "relu_1"),  # by type order; its shape changed with the stem
        ("removed", "conv2d_1", None),
        ("changed", "flatten_1", "flatten_1"),
        ("changed", "head", "head"),
    ]
    stem = d.layers[0]
    assert stem.what == ("shape", "params", "macs", "arguments")
    assert stem.delta("params") == (6 * 27 + 6) - (4 * 27 + 4)
    assert stem.delta("macs") == 6 * 36 * 27 - 4 * 36 * 27
    head = d.layers[-1]
    # A: conv 8 filters -> 8x4x4 = 128 features; B: 6x6x6 = 216 features
    assert head.delta("params") == (216 * 10 + 10) - (128 * 10 + 10)
    assert d.layers[3].delta("params") == -(8 * 4 * 9 + 8)
    params = {t.key: t for t in d.totals}["params"]
    assert params.a == (4 * 27 + 4) + (8 * 36 + 8) + (128 * 10 + 10)
    assert params.b == (6 * 27 + 6) + 2 * 6 + (216 * 10 + 10)
    assert params.delta == params.b - params.a and params.ratio == params.b / params.a
    assert d.counts() == {"added": 1, "removed": 1, "changed": 4, "unchanged": 0}
    assert d.changed


def test_same_network_has_no_change():
    d = diff(netcalc.analyze("zoo:resnet18"), netcalc.analyze("zoo:resnet18"))
    assert not d.changed and d.counts()["unchanged"] == 69
    assert all(t.delta == 0 for t in d.totals)


def test_argument_change_without_count_change_is_seen():
    a = netcalc.analyze("input: [3, 8, 8]\nlayers:\n  - dropout: {rate: 0.1}\n")
    b = netcalc.analyze("input: [3, 8, 8]\nlayers:\n  - dropout: {rate: 0.5}\n")
    d = diff(a, b)
    assert [(c.status, c.what) for c in d.layers] == [("changed", ("arguments",))]


def invoke(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, list(args), input=stdin, env={"NO_COLOR": "1"})
    assert "Traceback" not in result.output
    return result


def test_cli_json_and_markdown(tmp_path):
    (tmp_path / "a.yaml").write_text(A)
    result = invoke("diff", str(tmp_path / "a.yaml"), "-", "-f", "json", stdin=B)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"] == {"added": 1, "removed": 1, "changed": 4, "unchanged": 0}
    assert [c["status"] for c in data["layers"]] == [
        "changed",
        "added",
        "changed",
        "removed",
        "changed",
        "changed",
    ]
    assert data["totals"]["layers"] == {"a": 5, "b": 5, "delta": 0, "ratio": 1.0}
    assert data["layers"][0]["params_delta"] == 56
    markdown = invoke("diff", str(tmp_path / "a.yaml"), "-", "-f", "markdown", stdin=B).stdout
    assert "| ~ | stem | conv2d | 4x6x6 → 6x6x6 | 112 → 168 | +56 |" in markdown
    assert "| + | batchnorm_1 | batchnorm | 6x6x6 | 12 | +12 |" in markdown
    assert "| - | conv2d_1 | conv2d | 8x4x4 | 296 | -296 |" in markdown


def test_cli_set_b_and_fail_on_change():
    dense = "specs/dense-vs-conv/dense.yaml"
    same = invoke("diff", dense, dense, "--fail-on-change")
    assert same.exit_code == 0 and same.stderr == ""
    assert "0 changed, 0 added, 0 removed, 4 unchanged layers" in same.stdout
    changed = invoke("diff", dense, dense, "--set-b", "size=64", "--fail-on-change")
    assert changed.exit_code == ChangedError.exit_code == 5
    assert changed.stderr == f"error: {dense} and {dense} differ: 2 changed, 0 added, 0 removed layers\n"
    assert "-61,440,000" in changed.stdout  # (256² - 64²) * 1000 fewer weights
    assert (256 * 256 - 64 * 64) * 1000 == 61_440_000


def test_cli_zoo_and_errors():
    result = invoke("diff", "zoo:resnet18", "zoo:resnet50", "-f", "json")
    assert result.exit_code == 0
    totals = json.loads(result.stdout)["totals"]["params"]
    assert (totals["a"], totals["b"]) == (11_689_512, 25_557_032)
    assert invoke("diff", "zoo:resnet18", "-").exit_code == 1  # empty stdin is no spec
    assert invoke("diff", "-", "-").exit_code == 2
    assert invoke("diff", "zoo:resnet18", "zoo:resnet18", "-f", "csv").stderr.startswith(
        "error: diff does not write csv: use --format table or json or markdown"
    )
    missing = invoke("diff", "zoo:resnet18", "no.yaml")
    assert missing.exit_code == 1 and missing.stderr == "error: no.yaml: no such file\n"


@pytest.mark.parametrize("command", ["sweep", "diff"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    examples = [line.strip() for line in result.stdout.split("Examples:")[1].splitlines()]
    assert any(line.startswith(f"netcalc {command} ") for line in examples)  # on lines of their own


def test_library_diff():
    d = netcalc.diff(A, B)
    assert d.counts() == {"added": 1, "removed": 1, "changed": 4, "unchanged": 0}
    assert d.to_dict()["totals"]["params"]["delta"] == d.b.params - d.a.params


def test_layers_with_other_names_align_by_type_order():
    a = (
        "input: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 4, kernel: 3, name: c}\n  - relu: {name: r}\n"
        "  - flatten: {name: f}\n  - dense: {units: 5, name: d}\n"
    )
    b = (
        "input: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 4, kernel: 3, name: x}\n  - relu: {name: y}\n"
        "  - dropout: {rate: 0.5, name: z}\n  - flatten: {name: w}\n  - dense: {units: 5, name: v}\n"
    )
    d = diff(netcalc.analyze(a), netcalc.analyze(b))
    pairs = [(c.status, c.a.name if c.a else None, c.b.name if c.b else None) for c in d.layers]
    assert pairs == [
        ("unchanged", "c", "x"),
        ("unchanged", "r", "y"),
        ("added", None, "z"),
        ("unchanged", "f", "w"),
        ("unchanged", "d", "v"),
    ]
    assert d.changed  # a layer was added, though every total but the layer count is the same
    assert [t.key for t in d.totals if t.delta] == ["activations", "memory_bytes", "layers"]


@pytest.mark.parametrize(
    ("a", "b", "what"),
    [
        ("conv2d: {filters: 8, kernel: 3}", "conv2d: {filters: 8, kernel: [3, 3], stride: [1, 1]}", ()),
        (
            "conv2d: {filters: 8, kernel: 3, padding: 1}",
            "conv2d: {filters: 8, kernel: 3, padding: [1, 1]}",
            (),
        ),
        ("maxpool2d: {size: 2}", "maxpool2d: {size: [2, 2], stride: 2}", ()),
        ("adaptive_avgpool2d: {size: 1}", "adaptive_avgpool2d: {size: [1, 1]}", ()),
        ("maxpool2d: {size: 2}", "maxpool2d: {size: [2, 2], stride: 1}", ("shape", "arguments")),
        (
            "conv2d: {filters: 8, kernel: 3}",
            "conv2d: {filters: 8, kernel: [3, 1]}",
            ("shape", "params", "macs", "arguments"),
        ),
    ],
)
def test_a_size_written_once_or_per_axis_is_the_same_argument(a: str, b: str, what: tuple[str, ...]):
    def report(entry: str) -> netcalc.Report:
        return netcalc.analyze(f"input: [3, 8, 8]\nlayers:\n  - {entry}\n")

    d = diff(report(a), report(b))
    assert [c.what for c in d.layers] == [what]
    assert [c.status for c in d.layers] == ["changed" if what else "unchanged"]
