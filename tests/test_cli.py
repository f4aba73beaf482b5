"""The command line through typer's CliRunner: formats, options, listings, schema, help, NO_COLOR."""

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import netcalc
from netcalc import render
from netcalc.cli import app
from netcalc.layers import BY_KIND, LAYERS

ROOT = Path(__file__).resolve().parent.parent
CONV = str(ROOT / "specs" / "dense-vs-conv" / "conv.yaml")
DENSE = str(ROOT / "specs" / "dense-vs-conv" / "dense.yaml")
TINY = str(ROOT / "specs" / "dense-vs-conv" / "tiny.yaml")
RESNET = str(ROOT / "specs" / "examples" / "tiny-resnet.yaml")

CONV_PARAMS = (64 * 1 * 3 * 3 + 64) + (64 * 64 * 3 * 3 + 64)
CONV_MACS = 64 * 256 * 256 * (1 * 3 * 3) + 64 * 256 * 256 * (64 * 3 * 3)


def run(*args: str):
    result = CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


# ------------------------------------------------------------------------------------ count


def test_count_table_is_plain_text_with_the_figures():
    out = ok("count", CONV)
    assert out.startswith("two-conv-layers: 1x256x256 -> 64x256x256\n")
    assert f"{CONV_PARAMS:,}" in out and f"{CONV_MACS:,}" in out
    assert "conv2d_1" in out and "conv2d_2" in out
    assert "\x1b[" not in out


def test_count_json():
    data = json.loads(ok("count", CONV, "--format", "json"))
    assert data["name"] == "two-conv-layers"
    assert data["totals"]["params"] == CONV_PARAMS
    assert data["totals"]["macs"] == CONV_MACS
    assert data["totals"]["flops"] == 2 * CONV_MACS
    assert [layer["output_shape"] for layer in data["layers"]] == [[64, 256, 256]] * 2


def test_count_json_of_several_specs_is_a_list():
    data = json.loads(ok("count", CONV, DENSE, "-f", "json"))
    assert [d["name"] for d in data] == ["two-conv-layers", "two-dense-layers"]


def test_count_csv_has_one_exact_row_per_layer():
    rows = list(csv.DictReader(io.StringIO(ok("count", CONV, TINY, "--format", "csv"))))
    assert [(r["spec"], r["name"]) for r in rows] == [
        ("two-conv-layers", "conv2d_1"),
        ("two-conv-layers", "conv2d_2"),
        ("article-tiny-network", "hidden"),
        ("article-tiny-network", "output"),
    ]
    assert [int(r["params"]) for r in rows] == [64 * 9 + 64, 64 * 64 * 9 + 64, 2 * 2, 2 * 1]
    assert [int(r["neurons"]) for r in rows] == [64 * 256 * 256, 64 * 256 * 256, 2, 1]
    assert rows[0]["output_shape"] == "64x256x256"


def test_count_markdown():
    out = ok("count", CONV, "--format", "markdown")
    assert out.startswith("### two-conv-layers\n")
    assert "| # | Layer | Type | Output shape | Params | Neurons | MACs |" in out
    assert f"**{CONV_PARAMS:,}**" in out


def test_count_depth_collapses_blocks():
    full = ok("count", RESNET)
    assert "residual.1.a" in full and "residual.2.a" in full
    for fmt in ("table", "markdown"):
        shallow = ok("count", RESNET, "--depth", "0", "--format", fmt)
        assert "residual" in shallow and "[residual x2]" in shallow
        assert "residual.1" not in shallow and "residual.1.a" not in shallow
        middle = ok("count", RESNET, "--depth", "1", "--format", fmt)
        assert "residual.1" in middle and "residual.2" in middle
        assert "residual.1.a" not in middle


def test_count_batch_scales_the_totals():
    one = json.loads(ok("count", CONV, "--format", "json"))
    four = json.loads(ok("count", CONV, "--batch", "4", "--format", "json"))
    assert four["batch"] == 4
    assert four["totals"]["macs"] == 4 * one["totals"]["macs"] == 4 * CONV_MACS
    assert four["totals"]["activations"] == 4 * one["totals"]["activations"]
    assert four["totals"]["params"] == one["totals"]["params"]
    memory = four["totals"]["memory_bytes"]
    assert memory["input"] == 4 * 1 * 256 * 256 * 4
    assert memory["activations"] == 4 * (2 * 64 * 256 * 256) * 4
    assert memory["params"] == CONV_PARAMS * 4
    assert "MACs (batch 4): " + f"{4 * CONV_MACS:,}" in ok("count", CONV, "-b", "4")


# ------------------------------------------------------------------------------------ compare


def test_compare_table_and_json():
    out = ok("compare", DENSE, CONV)
    assert "two-dense-layers" in out and "two-conv-layers / two-dense-layers" in out
    assert "0.000565x (1/1,771)" in out
    data = json.loads(ok("compare", DENSE, CONV, TINY, "--format", "json"))
    assert [s["name"] for s in data["specs"]] == [
        "two-dense-layers",
        "two-conv-layers",
        "article-tiny-network",
    ]
    params = [s["params"] for s in data["specs"]]
    assert [r["params"] for r in data["ratios_to_first"]] == [p / params[0] for p in params]
    assert data["ratios_to_first"][1]["neurons"] == (2 * 64 * 256 * 256) / (1000 + 1000 + 1)


def test_compare_diff_and_rf_show_every_named_input_and_declared_output(tmp_path):
    spec = tmp_path / "two.yaml"
    spec.write_text(
        "name: two\ninputs: {a: [3], b: [5]}\noutputs: [d]\n"
        "layers:\n  - dense: {units: 2, name: d}\n  - dense: {units: 4, from: b}\n"
    )
    lines = [line.strip() for line in ok("compare", str(spec), DENSE).splitlines()]
    assert any(line.startswith("Input") and "a 3, b 5" in line for line in lines)
    assert any(line.startswith("Output") and "d 2" in line for line in lines)
    assert "A = two a 3, b 5 (" in ok("diff", str(spec), str(spec))
    assert ok("rf", str(spec)).startswith("two: receptive fields, input a 3, b 5")


def test_compare_csv_and_markdown():
    rows = list(csv.reader(io.StringIO(ok("compare", DENSE, CONV, "--format", "csv"))))
    assert rows[0] == ["Metric", "two-dense-layers", "two-conv-layers", "two-conv-layers / two-dense-layers"]
    params = next(r for r in rows if r[0] == "Params")
    assert params[1:3] == ["66539001", "37568"]
    assert "| Params | 66,539,001 | 37,568 |" in ok("compare", DENSE, CONV, "--format", "markdown")


# ------------------------------------------------------------------------------------ layers, schema


def test_layers_lists_every_type():
    out = ok("layers")
    lines = out.splitlines()
    for cls in LAYERS:
        assert cls.kind in lines, cls.kind


def test_layers_conv2d_shows_arguments_defaults_and_aliases():
    out = ok("layers", "conv2d")
    assert out.startswith("conv2d\n")
    assert "filters: required (also: out_channels)" in out
    assert "kernel: required (also: kernel_size)" in out
    assert "stride: default 1 (also: strides)" in out
    assert "maxpool2d" not in out
    entries = json.loads(ok("layers", "conv2d", "dense", "--format", "json"))
    assert [e["type"] for e in entries] == ["dense", "conv2d"]  # in the catalogue's order
    args = {a["name"]: a for a in entries[1]["arguments"]}
    assert args["padding"]["default"] == 0 and args["groups"]["default"] == 1
    assert args["filters"]["required"] and args["filters"]["aliases"] == ["out_channels"]


def test_layers_unknown_type_is_a_usage_error():
    result = run("layers", "conv2dd")
    assert result.exit_code == 2
    assert "unknown layer type 'conv2dd' — did you mean 'conv2d'?" in result.stderr


def test_schema_is_json_listing_every_layer_type():
    schema = json.loads(ok("schema"))
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"input", "layers", "blocks", "dtype"} <= set(schema["properties"])
    forms = schema["properties"]["layers"]["items"]["anyOf"]
    kinds = [f["required"][0] for f in forms if f.get("required")]
    assert sorted(kinds) == sorted(BY_KIND)
    bare = next(f for f in forms if f.get("type") == "string")
    assert sorted(bare["examples"]) == sorted(BY_KIND)
    conv = next(f for f in forms if f.get("required") == ["conv2d"])
    conv_args = conv["properties"]["conv2d"]["anyOf"][0]["properties"]
    assert {"filters", "kernel", "stride", "padding", "groups"} <= set(conv_args)


# ------------------------------------------------------------------------------------ version, help


def test_version():
    assert ok("--version") == f"netcalc {netcalc.__version__}\n"


def test_help_has_examples():
    out = ok("--help")
    assert "Examples:" in out
    assert "netcalc count specs/dense-vs-conv/conv.yaml" in out
    assert "netcalc compare specs/dense-vs-conv/dense.yaml specs/dense-vs-conv/conv.yaml" in out
    for command in ("count", "compare", "layers", "schema"):
        assert command in out
    assert "Example: netcalc count" in ok("count", "--help")


# ------------------------------------------------------------------------------------ colour


def run_on_a_terminal(args: list[str], no_color: bool) -> bytes:
    """Run `python -m netcalc ARGS` with a pseudo-terminal as stdout; return what it printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="50")
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "netcalc", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=ROOT,
        close_fds=True,
    )
    os.close(follower)
    out = b""
    while select.select([leader], [], [], 20)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert process.wait(timeout=20) == 0, out
    return out


@pytest.mark.parametrize("args", [["count", CONV], ["compare", DENSE, CONV]], ids=["count", "compare"])
def test_no_color_on_a_terminal_prints_no_escapes(args):
    assert b"\x1b[" in run_on_a_terminal(args, no_color=False)  # the terminal does get colour
    out = run_on_a_terminal(args, no_color=True)
    assert b"\x1b[" not in out
    assert b"37,568" in out


def test_no_color_in_a_pipe_and_for_errors():
    for args in (
        ["count", RESNET, "--depth", "1"],
        ["compare", DENSE, CONV],
        ["layers", "conv2d"],
        ["count", "missing.yaml"],
    ):
        result = run(*args)
        assert "\x1b[" not in result.output


def test_a_narrow_terminal_wraps_names_never_numbers():
    report = netcalc.analyze(netcalc.load(RESNET))
    for width in (60, 80):
        console = Console(width=width, file=io.StringIO(), color_system=None)
        console.print(render.rich_table(report))
        out = console.file.getvalue()
        assert "…" not in out
        for row in report.rows:
            assert f"{row.counts.macs:,}" in out
    reports = [netcalc.analyze(netcalc.load(p)) for p in (DENSE, CONV)]
    console = Console(width=60, file=io.StringIO(), color_system=None)
    console.print(render.compare_table(reports))
    out = console.file.getvalue()
    for figure in ("66,539,001", "37,568", "2,453,667,840", "266,688,296"):
        assert figure in out


def test_count_and_compare_never_import_numpy_or_onnx():
    """The calculator path is pure Python: a fresh process must not load NumPy (or ONNX)."""
    code = (
        "import sys\n"
        "from netcalc.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['count', 'specs/examples/tiny-resnet.yaml', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(app, ['compare', 'specs/dense-vs-conv/dense.yaml',\n"
        "                             'specs/dense-vs-conv/conv.yaml'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'onnx')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_rich_table_shows_block_labels_literally_on_a_fixed_width_console():
    """'[residual x2]' must be text, not rich markup (which would swallow it)."""
    from rich.console import Console

    import netcalc
    from netcalc import render

    report = netcalc.analyze(netcalc.load(ROOT / "specs" / "examples" / "tiny-resnet.yaml"))
    console = Console(width=120, record=True, color_system=None)
    console.print(render.rich_table(report, depth=1))
    console.print(render.compare_table([report, report]))
    text = console.export_text()
    assert "[residual x2]" in text and "[residual]" in text
    assert "9,962" in text and "1x" in text


def test_zoo_and_layers_in_every_format():
    import netcalc

    runner = CliRunner()
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["zoo", "--format", "csv"]).output)))
    by_spec = {r["spec"]: r for r in rows}
    resnet50 = netcalc.analyze(netcalc.load("zoo:resnet50"))
    assert int(by_spec["zoo:resnet50"]["params"]) == resnet50.params == 25_557_032
    assert int(by_spec["zoo:resnet50"]["params_with_state"]) == 25_557_032 + 53_120
    assert int(by_spec["zoo:resnet50"]["macs"]) == resnet50.totals.macs
    markdown = runner.invoke(app, ["zoo", "--format", "markdown"]).output
    assert "| zoo:vgg16 | 3x224x224 | 1000 | 138,357,544 |" in markdown
    layers = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["layers", "conv2d", "--format", "csv"]).output))
    )
    kernel = next(r for r in layers if r["argument"] == "kernel")
    assert kernel["required"] == "True" and "kernel_size" in kernel["aliases"]


def test_compare_ratios_read_right():
    from netcalc.render import ratio_text

    assert ratio_text(37_568, 66_539_001) == "0.000565x (1/1,771)"
    assert ratio_text(7, 9) == "0.778x"  # no misleading '(1/1)' between 0.5 and 1
    assert ratio_text(4, 2) == "2x"
    assert ratio_text(64, 0) == "n/a (first is 0)"
    assert ratio_text(0, 0) == "-"


def test_count_reads_a_spec_from_stdin():
    text = (ROOT / "specs" / "dense-vs-conv" / "conv.yaml").read_text()
    result = CliRunner().invoke(app, ["count", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["params"] == (64 * 9 + 64) + (64 * 64 * 9 + 64)


@pytest.mark.parametrize(
    "command",
    [
        ["count", "-"],
        ["run", "-"],
        ["explain", "-"],
        ["check", "-", "--max-params", "5"],
        ["report", "-", "-o", "-"],
    ],
)
def test_a_spec_from_stdin_is_named_stdin(command):
    result = CliRunner().invoke(app, command, input="input: [3]\nlayers:\n  - dense: {units: 0}\n")
    assert result.exit_code == 1
    assert "error: <stdin>:3: layer 0 'dense' (dense_1): units:" in result.output
    assert "<string>" not in result.output


@pytest.mark.parametrize(
    ("command", "example"),
    [
        (["count", "-"], "cat my.yaml | netcalc count -"),
        (["run", "-"], "cat my.yaml | netcalc run -"),
        (["diff", "-", "zoo:lenet5"], "cat my.yaml | netcalc diff -"),
        (["import", "-"], "cat model.onnx | netcalc import -"),
    ],
)
def test_the_closed_stdin_hint_names_the_command_run(command, example, monkeypatch):
    from importlib import import_module
    from types import SimpleNamespace

    read = import_module("netcalc.spec.read")  # the module (netcalc.spec.read is also a function)
    closed = io.BytesIO()
    closed.close()
    monkeypatch.setattr(read, "sys", SimpleNamespace(stdin=closed))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert (
        f"stdin is closed: pipe a {'model' if 'onnx' in example else 'spec'} in ({example})" in result.output
    )


def test_one_wrong_spec_among_several_does_not_hide_the_others(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [3]\nlayers:\n  - dense: {units: 0}\n")
    conv = str(ROOT / "specs" / "dense-vs-conv" / "conv.yaml")
    result = CliRunner().invoke(app, ["count", str(bad), conv, "--format", "json"])
    assert result.exit_code == 1
    assert "bad.yaml:3: layer 0 'dense' (dense_1): units: input should be greater than 0" in result.stderr
    data = json.loads(result.stdout)
    assert [d["totals"]["params"] for d in data] == [(64 * 9 + 64) + (64 * 64 * 9 + 64)]


BAD_UNITS = "input: [3]\nlayers:\n  - dense: {units: 0}\n"
BAD_SHAPE = "input: [3, 4]\nlayers:\n  - conv2d: {filters: 2, kernel: 40}\n"  # 2 axes; 40 > 32 in the sweep
UNITS_LINE = "bad1.yaml:3: layer 0 'dense' (dense_1): units: input should be greater than 0"
SHAPE_LINE = "bad2.yaml:3: layer 0 'conv2d' (conv2d_1): "


@pytest.mark.parametrize(
    ("command", "code", "good"),
    [
        (["rf", "--format", "json"], 1, "lenet5"),
        (["check", "--max-params", "1M", "--format", "json"], 1, "lenet5"),
        (["check", "--max-params", "1k", "--format", "json"], 4, "lenet5"),  # lenet5 over: the worst code
        (["count", "--train", "--format", "json"], 1, "lenet5"),
        (["verify", "--format", "json"], 1, "lenet5"),
        (["sweep", "--set", "input=1x32x32", "--format", "json"], 1, "lenet5"),
    ],
)
def test_every_wrong_spec_has_its_line_and_the_others_are_processed(tmp_path, command, code, good):
    (tmp_path / "bad1.yaml").write_text(BAD_UNITS)
    (tmp_path / "bad2.yaml").write_text(BAD_SHAPE)
    specs = [str(tmp_path / "bad1.yaml"), "zoo:lenet5", str(tmp_path / "bad2.yaml")]
    result = CliRunner().invoke(app, [command[0], *specs, *command[1:]])
    assert result.exit_code == code
    errors = result.stderr.splitlines()
    assert UNITS_LINE in errors[0] and SHAPE_LINE in errors[1]
    assert good in result.stdout  # the good spec's output is written


@pytest.mark.parametrize("command", [["compare"], ["diff"]])
def test_a_command_needing_every_spec_names_each_wrong_one(tmp_path, command):
    (tmp_path / "bad1.yaml").write_text(BAD_UNITS)
    (tmp_path / "bad2.yaml").write_text(BAD_SHAPE)
    result = CliRunner().invoke(app, [*command, str(tmp_path / "bad1.yaml"), str(tmp_path / "bad2.yaml")])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and UNITS_LINE in errors[0] and SHAPE_LINE in errors[1]
    assert result.stdout == ""


def test_help_examples_are_one_command_a_line():
    # click rewraps a paragraph: without \b the examples ran together and broke inside options
    # ("--max-\nmemory"), so none could be copied
    import typer.main

    for command in sorted(typer.main.get_command(app).commands):  # type: ignore[attr-defined]
        result = CliRunner().invoke(app, [command, "--help"], env={"NO_COLOR": "1", "COLUMNS": "80"})
        assert result.exit_code == 0, command
        lines = [line.strip() for line in result.stdout.splitlines()]
        examples = [line for line in lines if "Example: netcalc" in line]
        for line in examples:
            assert line.startswith("Example: netcalc") and line.count("Example:") == 1, (command, line)


def test_train_options_without_train_are_usage_errors():
    for option, value in (("--optimizer", "sgd"), ("--precision", "bf16-mixed"), ("--checkpoint", "blocks")):
        result = run("count", DENSE, option, value)
        assert result.exit_code == 2 and f"{option} is an option of --train" in result.stderr
    assert ok("count", DENSE, "--train", "--optimizer", "sgd").startswith("two-dense-layers: training")


def test_layers_names_every_key_a_layer_or_block_use_takes():
    from netcalc.graph import RESERVED

    footer = ok("layers", "dense").strip().splitlines()[-1]
    assert all(f"{key}:" in footer for key in (*RESERVED, "share", "share_tensors")), footer


def test_a_closed_output_pipe_ends_the_command_quietly():
    # `netcalc count zoo:inception_v3 --format json | head -c 1`: 400 kB, more than a pipe holds
    process = subprocess.Popen(
        [sys.executable, "-m", "netcalc", "count", "zoo:inception_v3", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(1) == b"{"
    process.stdout.close()  # the reader goes away, as head does
    error = process.stderr.read()
    assert process.wait(timeout=60) == 141  # 128 + SIGPIPE, as git and seq (it was 1)
    assert error == b""  # no traceback, no error line


@pytest.mark.parametrize(
    ("args", "message", "command"),
    [
        (["count", "zoo:lenet5", "--batch", "-1"], "Invalid value for '--batch' / '-b'", "count"),
        (
            ["count", "zoo:lenet5", "--bacth", "2"],
            "No such option: --bacth (Possible options: --batch)",
            "count",
        ),
        (["cont", "zoo:lenet5"], "No such command 'cont'. Did you mean 'count'?", ""),
        (["count"], "Missing argument 'specs'", "count"),
        (["--bogus"], "No such option: --bogus", ""),
        (["sweep", "x.yaml", "--set"], "Option '--set' requires an argument", "sweep"),
    ],
)
def test_a_command_line_usage_error_is_one_line_naming_the_help(args, message, command):
    result = CliRunner().invoke(app, args, env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}")
    assert lines[0].endswith(f" — see '{' '.join(['netcalc', command]).strip()} --help'")


def test_netcalc_alone_still_prints_its_help():
    result = CliRunner().invoke(app, [], env={"NO_COLOR": "1"})
    assert "Usage:" in result.output and "Commands" in result.output and "error" not in result.output
