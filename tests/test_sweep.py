"""Sweeps: value lists and ranges, one row per point with hand-derived totals, formats, plots."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc import loading
from netcalc.cli import app
from netcalc.errors import ShapeError, UsageError
from netcalc.explore.sweep import grid, parse_values, sweep

DENSE = "specs/dense-vs-conv/dense.yaml"
CONV = "specs/dense-vs-conv/conv.yaml"


def dense_params(size: int) -> int:
    """flatten -> dense 1000 -> dense 1000 -> dense 1, with biases."""
    return (size * size * 1000 + 1000) + (1000 * 1000 + 1000) + (1000 + 1)


CONV_PARAMS = (64 * 1 * 9 + 64) + (64 * 64 * 9 + 64)  # 37,568 at every size


def conv_macs(size: int) -> int:
    return 64 * size * size * 9 + 64 * size * size * 64 * 9


@pytest.mark.parametrize(
    "text, values",
    [
        ("32,64,128", [32, 64, 128]),
        ("32..1024*2", [32, 64, 128, 256, 512, 1024]),
        ("16..100*2", [16, 32, 64]),
        ("16..64+16", [16, 32, 48, 64]),
        ("0..1+0.25", [0, 0.25, 0.5, 0.75, 1.0]),
        ("0..0.3+0.1", [0, 0.1, 0.2, 0.3]),
        ("1..1000*10", [1, 10, 100, 1000]),
        ("0.5..2*2", [0.5, 1.0, 2.0]),
        ("1..3", [1, 2, 3]),
        ("relu,gelu", ["relu", "gelu"]),
        ("7", [7]),
    ],
)
def test_values_lists_and_ranges(text, values):
    assert parse_values("x", text) == values


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("0..8*2", "a geometric range a..b*k needs a > 0 and k > 1"),
        ("1..8*1", "a geometric range a..b*k needs a > 0 and k > 1"),
        ("1..8+0", "an arithmetic range a..b+k needs k > 0"),
        ("8..1+1", "the range starts after it ends"),
        ("a..b", "'a' is not a number"),
        ("1..1000000+1", "1,000,000 values, more than 100,000"),
        ("1,,2", "an empty value in the list"),
    ],
)
def test_bad_ranges_are_usage_errors(text, pattern):
    with pytest.raises(UsageError, match=re.escape(f"--set x={text}: {pattern}")):
        parse_values("x", text)


def test_grid_is_the_product_first_argument_slowest():
    points = grid({"a": "1,2", "b": "10..30+10"})
    assert points == [{"a": a, "b": b} for a in (1, 2) for b in (10, 20, 30)]
    with pytest.raises(UsageError, match="more than 100,000"):
        grid({"a": "1..1000+1", "b": "1..1000+1"})


def test_totals_at_every_point_match_the_formulas():
    networks = [netcalc.load(DENSE), netcalc.load(CONV)]
    result = sweep(networks, grid({"size": "32..1024*2"}), ["params", "macs"])
    sizes = [32, 64, 128, 256, 512, 1024]
    assert [p.values["params"] for p in result.points] == [dense_params(s) for s in sizes] + [CONV_PARAMS] * 6
    assert [p.values["macs"] for p in result.points[6:]] == [conv_macs(s) for s in sizes]
    assert result.points[0].values["params"] == 2_027_001  # about 2 million
    assert result.points[5].values["params"] == 1_049_579_001  # about a billion
    assert [p.input_shape for p in result.points[:2]] == [(1, 32, 32), (1, 64, 64)]


def test_a_sweep_never_reads_or_validates_the_spec_again(monkeypatch):
    networks = [netcalc.load(DENSE)]
    calls = []
    monkeypatch.setattr(loading, "read", lambda *a: calls.append("read"))
    monkeypatch.setattr(loading, "validate_spec", lambda *a: calls.append("validate"))
    result = sweep(networks, grid({"size": "8..64*2"}))
    assert len(result.points) == 4 and calls == []


def test_a_failing_point_names_itself():
    spec = netcalc.load("args: {k: 3}\ninput: [1, 4, 4]\nlayers:\n  - conv2d: {filters: 1, kernel: $k}\n")
    with pytest.raises(ShapeError, match=r"^<string>:4: layer 0 'conv2d'.*\(at k=5\)$"):
        sweep([spec], grid({"k": "3,5"}))


KERNEL = "args: {k: 3}\ninput: [1, 4, 4]\nlayers:\n  - conv2d: {filters: 1, kernel: $k}\n"


def test_keep_going_keeps_a_failing_point_with_its_error_and_no_totals():
    result = sweep([netcalc.load(KERNEL)], grid({"k": "3,5,1"}), keep_going=True)
    assert [p.args["k"] for p in result.points] == [3, 5, 1]
    assert [p.values.get("params") for p in result.points] == [10, None, 2]  # 3*3+1, -, 1*1+1
    failed = result.points[1]
    assert failed.output_shape == () and failed.input_shape == (1, 4, 4)
    assert [str(e) for e in result.errors] == [str(failed.error)]
    assert isinstance(failed.error, ShapeError) and str(failed.error).endswith("(at k=5)")
    point = result.to_dict()["points"][1]
    assert point["params"] is None and point["error"] == str(failed.error)
    assert "error" not in result.to_dict()["points"][0]


def test_cli_shows_the_points_that_work_beside_those_that_fail(tmp_path):
    spec = tmp_path / "k.yaml"
    spec.write_text(KERNEL)
    table = invoke("sweep", str(spec), "--set", "k=1,5,3")
    assert table.exit_code == 1
    lines = [line.split() for line in table.stdout.splitlines() if line.strip().startswith("network")]
    assert [line[1:4] for line in lines] == [
        ["1", "1x4x4", "2"],
        ["5", "1x4x4", "error"],
        ["3", "1x4x4", "10"],
    ]
    assert table.stderr.count("error:") == 1 and "(at k=5)" in table.stderr
    csv = invoke("sweep", str(spec), "--set", "k=1,5", "-f", "csv", "-m", "params,macs").stdout
    assert csv.splitlines()[1:] == ["network,1,1x4x4,2,16", "network,5,1x4x4,,"]
    points = json.loads(invoke("sweep", str(spec), "--set", "k=5", "-f", "json").stdout)["points"]
    assert points[0]["macs"] is None and "kernel span 5" in points[0]["error"]


def invoke(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, list(args), input=stdin, env={"NO_COLOR": "1"})
    assert "Traceback" not in result.output
    return result


def test_cli_csv_has_one_row_per_point_with_the_chosen_arguments():
    result = invoke("sweep", DENSE, CONV, "--set", "size=32..128*2", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["spec"], r["size"]) for r in rows] == [
        (name, str(s)) for name in ("two-dense-layers", "two-conv-layers") for s in (32, 64, 128)
    ]
    assert [int(r["params"]) for r in rows[:3]] == [dense_params(s) for s in (32, 64, 128)]
    assert set(rows[0]) == {
        "spec",
        "size",
        "input_shape",
        "params",
        "neurons",
        "macs",
        "activations",
        "memory",
    }


def test_cli_json_metrics_stdin_and_zoo():
    with open(CONV) as file:
        spec = file.read()
    result = invoke("sweep", "-", "--set", "size=16,32", "--metrics", "macs,flops", "-f", "json", stdin=spec)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["arguments"] == ["size"] and data["metrics"] == ["macs", "flops"]
    assert [p["macs"] for p in data["points"]] == [conv_macs(16), conv_macs(32)]
    assert [p["flops"] for p in data["points"]] == [2 * conv_macs(16), 2 * conv_macs(32)]
    result = invoke(
        "sweep", "zoo:resnet18", "--set", "input=3x224x224,3x112x112", "-m", "params", "-f", "json"
    )
    assert result.exit_code == 0, result.output
    assert [p["params"] for p in json.loads(result.stdout)["points"]] == [11_689_512, 11_689_512]


def test_cli_table_and_markdown():
    table = invoke("sweep", CONV, "--set", "size=32,64")
    assert table.exit_code == 0
    assert re.search(r"two-conv-layers\s+64\s+1x64x64\s+37,568", table.stdout)
    markdown = invoke("sweep", CONV, "--set", "size=32", "-f", "markdown").stdout
    assert (
        markdown.splitlines()[0] == "| Spec | size | Input | Params | Neurons | MACs | Activations | Memory |"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ([CONV], "error: sweep needs at least one --set NAME=VALUES, e.g. --set size=32..1024*2"),
        ([CONV, "--set", "width=1,2"], f"error: {CONV}: no argument 'width' to set — its arguments: size"),
        (
            [CONV, "--set", "size=1", "-m", "parms"],
            "error: --metrics parms: unknown metric — choose from params,",
        ),
        ([CONV, "--set", "size=1", "--plot", "x.pdf"], "error: --plot x.pdf: write a .png or .svg file"),
        ([CONV, "--set", "size=1", "-f", "xml"], None),
    ],
)
def test_cli_usage_errors_exit_2(args, message):
    result = invoke("sweep", *args)
    assert result.exit_code == 2, result.output
    if message:
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_cli_spec_error_exits_1():
    result = invoke("sweep", "no/such.yaml", "--set", "size=1")
    assert result.exit_code == 1 and result.stderr == "error: no/such.yaml: no such file\n"


def test_plot_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")  # the plot extra; the test extra installs it
    png, svg = tmp_path / "out" / "s.png", tmp_path / "s.svg"
    result = invoke("sweep", DENSE, CONV, "--set", "size=32..1024*2", "--plot", str(png), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot: {png}" in result.stderr
    result = invoke("sweep", DENSE, CONV, "--set", "size=32..256*2", "--plot", str(svg), "-m", "params")
    assert result.exit_code == 0, result.output
    root = ET.parse(svg).getroot()  # well-formed
    text = "".join(root.itertext())
    assert "Params" in text and "37,568" in text and "66.54 M" in text  # the panel and its last values


def test_library_sweep_and_input_option():
    result = netcalc.sweep(["specs/dense-vs-conv/dense.yaml"], {"size": [32, 64]}, ("params",))
    assert [p.values["params"] for p in result.points] == [dense_params(32), dense_params(64)]
    assert netcalc.sweep(DENSE, {"size": "32..64*2"}).points[1].args == {"size": 64}
    fixed = invoke(
        "sweep", "zoo:lenet5", "--input", "1x32x32", "--set", "input=1x32x32", "-m", "params", "-f", "csv"
    )
    assert fixed.exit_code == 0 and fixed.stdout.splitlines()[1] == "lenet5,1x32x32,61706"  # LeNet-5's figure
    resnet = invoke("sweep", "zoo:resnet18", "--input", "3x64x64", "--set", "x=1")
    assert resnet.exit_code == 2 and "no argument 'x' to set — its arguments: none" in resnet.stderr


def test_plot_axes_log_for_geometric_steps_linear_for_even_ones():
    from netcalc.render.plot import _log_x

    assert _log_x([32.0, 64.0, 128.0, 256.0]) and _log_x([1.0, 10.0, 100.0])
    assert not _log_x([16.0, 32.0, 48.0, 64.0]) and not _log_x([0.0, 0.5, 1.0])


def test_cli_plot_draws_the_points_that_work_and_none_when_every_point_fails(tmp_path):
    spec = tmp_path / "k.yaml"
    spec.write_text(KERNEL)
    svg = tmp_path / "some.svg"
    some = invoke("sweep", str(spec), "--set", "k=1,5,3", "--plot", str(svg), "-m", "params")
    assert some.exit_code == 1 and f"plot: {svg}" in some.stderr
    labels = [t.text for t in ET.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "2" in labels and "10" in labels  # the first and last drawn values: k=1 and k=3
    none = tmp_path / "none.svg"
    failed = invoke("sweep", str(spec), "--set", "k=5,7", "--plot", str(none))
    assert failed.exit_code == 1 and "no point has totals" in failed.stderr and not none.exists()
