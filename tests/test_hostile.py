"""Each crash, slow path and misleading message of issue 13, with a test named after what it guards."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import NetcalcError, ResourceError, ShapeError, SpecError, UsageError
from netcalc.layers import Conv2d
from netcalc.spec.yamlio import MAX_FILE_BYTES

runner = CliRunner()
TINY = "specs/dense-vs-conv/tiny.yaml"
OK = "input: [3, 8, 8]\nlayers: [relu]\n"


def invoke(args: list[str], stdin: bytes | str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, args, input=stdin)
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stderr


def spec_file(tmp_path: Path, text: str | bytes, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


# --- reads ---------------------------------------------------------------------------------------


def test_binary_stdin_is_a_one_line_error() -> None:
    code, err = invoke(["count", "-"], bytes(range(256)) * 4)
    assert code == 1
    assert (
        err.strip()
        == "error: <stdin>: not UTF-8 text (byte 0x80 at offset 128) — a spec is a YAML or JSON text file"
    )


def test_utf16_stdin_is_named() -> None:
    code, err = invoke(["count", "-"], OK.encode("utf-16"))
    assert (code, err.strip()) == (1, "error: <stdin>: the file is UTF-16 text; save it as UTF-8")


def test_closed_stdin_is_a_usage_error() -> None:
    from netcalc.spec.read import read_stdin

    closed = io.TextIOWrapper(io.BytesIO(b""))
    closed.close()
    with pytest.raises(UsageError, match="stdin is closed"):
        read_stdin(closed)


def test_endless_stdin_reads_only_the_limit() -> None:
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            buffer[:] = b"x" * len(buffer)
            Endless.served += len(buffer)
            return len(buffer)

    from netcalc.spec.read import read_stdin

    with pytest.raises(SpecError, match="larger than 10 MiB"):
        read_stdin(io.TextIOWrapper(io.BufferedReader(Endless())))
    assert Endless.served <= MAX_FILE_BYTES + 2 * 1024 * 1024  # the limit, plus one buffer


def test_large_spec_file_is_refused_after_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as out:
        out.truncate(3 * MAX_FILE_BYTES)  # sparse: 30 MB of zeros without writing them
    code, err = invoke(["count", str(path)])
    assert code == 1 and "larger than 10 MiB" in err


def test_nul_byte_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    code, err = invoke(["count", spec_file(tmp_path, "input: [3]\nlayers: [relu]\x00\n")])
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: {tmp_path / 'spec.yaml'}:2: invalid YAML: character '\\x00' is not allowed "
        "(a spec is plain text: remove it)"
    ]


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "inf", "1e400", "nan", "-1", "0", "2X", "1e3", "2G2", "9" * 5000])
def test_max_memory_values_that_are_not_sizes(value: str) -> None:
    code, err = invoke(["run", TINY, "--max-memory", value])
    assert code == 2
    assert err.strip().startswith("error: --max-memory")
    assert len(err.strip().splitlines()) == 1


def test_max_memory_accepts_sizes() -> None:
    from netcalc.arguments import parse_bytes

    assert parse_bytes("2G") == 2**30 * 2
    assert parse_bytes("1.5GiB") == 3 * 2**29
    assert parse_bytes("512m") == 512 * 2**20
    assert parse_bytes("1000000") == 1_000_000


# --- numbers -----------------------------------------------------------------------------------


def test_integer_of_more_than_4300_digits(tmp_path: Path) -> None:
    code, err = invoke(
        ["count", spec_file(tmp_path, "input: [3]\nlayers:\n  - dense: {units: " + "1" * 5000 + "}\n")]
    )
    assert (code, err.strip()) == (
        1,
        f"error: {tmp_path / 'spec.yaml'}:3: a number of thousands of digits: use real sizes",
    )


def test_integer_of_more_than_4300_digits_in_json(tmp_path: Path) -> None:
    text = '{"input": [' + "1" * 5000 + '], "layers": ["relu"]}'
    code, err = invoke(["count", spec_file(tmp_path, text, "spec.json")])
    assert code == 1 and "thousands of digits" in err


def test_4000_digit_counts_are_refused_not_rendered(tmp_path: Path) -> None:
    code, err = invoke(["count", spec_file(tmp_path, "input: [" + "9" * 4000 + "]\nlayers: [relu]\n")])
    assert code == 1
    assert "about 10^3999 outputs, more than netcalc counts (10^30)" in err
    assert len(err) < 400


def test_slice_on_axis_10_to_the_30() -> None:
    with pytest.raises(ShapeError, match="slice axis 10+ does not exist in input"):
        netcalc.analyze({"input": [3, 8], "layers": [{"slice": {"axis": 10**30, "end": 1}}]})


def test_upsample_scale_1e300_is_refused_in_the_table(tmp_path: Path) -> None:
    code, err = invoke(
        ["count", spec_file(tmp_path, "input: [3, 8, 8]\nlayers:\n  - upsample: {scale: 1.0e+300}\n")]
    )
    assert code == 1 and "more than netcalc counts" in err


def test_upsample_scale_1e400_is_infinite() -> None:
    with pytest.raises(SpecError, match="scale must be a positive finite number"):
        netcalc.load("input: [3, 8, 8]\nlayers:\n  - upsample: {scale: 1.0e+400}\n")


# --- runs --------------------------------------------------------------------------------------


def test_run_input_with_batch_zero(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((0, 2), np.float32))
    code, err = invoke(["run", TINY, "--input", str(tmp_path / "x.npy")])
    assert code == 1 and "holds no samples" in err


def test_npz_bomb_is_refused_before_decompressing(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("c/weight.npy", "w", force_zip64=True) as member,
    ):
        np.lib.format.write_array_header_1_0(
            member, {"descr": "<f4", "fortran_order": False, "shape": (10**8,)}
        )
        zeros = bytes(2**20)
        for _ in range(64):  # 64 MiB that compress to about 64 KiB
            member.write(zeros)
    assert path.stat().st_size < 4 * 2**20
    code, err = invoke(["run", TINY, "--weights", str(path)])
    assert code == 1 and "match no layer: c/weight" in err


def test_npy_header_claiming_10_to_the_12_elements(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    with path.open("wb") as out:
        np.lib.format.write_array_header_1_0(
            out, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
        )
    code, err = invoke(["run", TINY, "--input", str(path)])
    assert code == 1 and "input array has shape [1000000, 1000000]" in err


def test_npy_header_claiming_more_than_the_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    with path.open("wb") as out:
        np.lib.format.write_array_header_1_0(
            out, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 2)}
        )
    code, err = invoke(["run", TINY, "--input", str(path)])
    assert code == 1 and "over the memory limit" in err


def test_weight_member_with_a_wrong_shape_is_found_from_its_header(tmp_path: Path) -> None:
    saved = tmp_path / "w.npz"
    assert invoke(["run", TINY, "--save-weights", str(saved)])[0] == 0
    with np.load(saved) as data:
        weights = {k: data[k] for k in data.files}
    key = next(iter(weights))
    weights[key] = np.zeros((7, 7), np.float32)
    np.savez(saved, **weights)
    code, err = invoke(["run", TINY, "--weights", str(saved)])
    assert code == 1 and f"weights '{key}' has shape [7, 7]" in err


# --- files written -----------------------------------------------------------------------------


def test_output_is_written_to_the_name_given(tmp_path: Path) -> None:
    for option, name in (("--output", "y"), ("--save-weights", "wts.bin")):
        assert invoke(["run", TINY, option, str(tmp_path / name)])[0] == 0
        assert (tmp_path / name).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wts.bin", "y"]
    assert np.load(tmp_path / "y").shape == (1, 1)
    with zipfile.ZipFile(tmp_path / "wts.bin") as archive:
        assert archive.namelist()


@pytest.mark.parametrize("option", ["--output", "--save-weights"])
def test_directory_as_output_is_a_usage_error(tmp_path: Path, option: str) -> None:
    code, err = invoke(["run", TINY, option, f"{tmp_path}/"])
    assert code == 2 and "is a directory" in err
    assert not list(tmp_path.iterdir())


def test_export_over_its_own_spec_is_a_usage_error(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, OK)
    code, err = invoke(["export", spec, "-o", spec])
    assert code == 2 and "is an input of this command" in err
    assert Path(spec).read_text() == OK


@pytest.mark.parametrize(
    "command", [["torch"], ["report"], ["diagram", "--format", "dot"], ["diagram", "--format", "mermaid"]]
)
def test_writing_over_its_own_spec_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    spec = spec_file(tmp_path, OK)
    code, err = invoke([command[0], spec, *command[1:], "-o", spec])
    assert code == 2 and "is an input of this command" in err
    assert Path(spec).read_text() == OK


def test_sweep_plot_over_its_own_spec_is_a_usage_error(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "args: {n: 3}\ninput: [$n, 8, 8]\nlayers: [relu]\n", "spec.svg")
    before = Path(spec).read_text()
    code, err = invoke(["sweep", spec, "--set", "n=3,4", "--plot", spec])
    assert code == 2 and "is an input of this command" in err
    assert Path(spec).read_text() == before


def test_import_over_its_own_model_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    model = tmp_path / "m.onnx"
    assert invoke(["export", TINY, "-o", str(model)])[0] == 0
    before = model.read_bytes()
    code, err = invoke(["import", str(model), "-o", str(model)])
    assert code == 2 and "is an input of this command" in err
    assert model.read_bytes() == before


def test_run_output_over_its_weights_is_a_usage_error(tmp_path: Path) -> None:
    saved = tmp_path / "w.npz"
    assert invoke(["run", TINY, "--save-weights", str(saved)])[0] == 0
    before = saved.read_bytes()
    code, _ = invoke(["run", TINY, "--weights", str(saved), "--output", str(saved)])
    assert code == 2 and saved.read_bytes() == before


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    from netcalc import backend

    with pytest.raises(NetcalcError, match="cannot write"):
        backend.save(str(tmp_path / "missing" / "y.npy"), np.zeros(3))
    backend.save(str(tmp_path / "y.npy"), np.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["y.npy"]


# --- the library -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: netcalc.run(TINY, batch=0), UsageError, "batch must be a positive whole number"),
        (lambda: netcalc.run(TINY, batch=-3), UsageError, "batch must be a positive whole number"),
        (lambda: netcalc.run(TINY, batch=True), UsageError, "got True"),
        (lambda: netcalc.verify(TINY, batch=0), UsageError, "batch"),
        (lambda: netcalc.run(TINY, seed=-1), UsageError, "seed must be a whole number of 0 or more"),
        (lambda: netcalc.run(TINY, seed=2.5), UsageError, "seed"),
        (lambda: netcalc.run(TINY, x=np.ones((1, 2)) * 1j), UsageError, "complex"),
        (lambda: netcalc.run(TINY, x=[[1, 2], [3]]), UsageError, "x must be an array of real numbers"),
        (lambda: netcalc.run(TINY, x=np.ones((0, 2))), UsageError, "batch of 1 or more"),
        (lambda: netcalc.run(TINY, weights=[1, 2]), UsageError, "weights must be a dict"),
        (lambda: netcalc.run(TINY, weights={"a": "b"}), UsageError, "must be an array of real numbers"),
        (lambda: netcalc.run(TINY, dtype="int8"), UsageError, "dtype must be one of"),
        (lambda: netcalc.run(TINY, training="yes"), UsageError, "training must be True or False"),
        (lambda: netcalc.verify(TINY, max_memory=0), UsageError, "max_memory must be a positive"),
        (lambda: netcalc.run(TINY, max_memory="2X"), UsageError, "--max-memory takes a size"),
        (lambda: netcalc.run(TINY, max_memory=float("nan")), UsageError, "max_memory"),
        (lambda: netcalc.run(TINY, max_memory=1000), ResourceError, "over the limit"),
        (lambda: netcalc.run(TINY, progress=3), UsageError, "progress must be a function"),
        (lambda: netcalc.analyze(TINY, batch=0), UsageError, "batch must be a positive whole number"),
        (lambda: netcalc.analyze("x.yaml"), SpecError, "x.yaml: no such file"),
        (lambda: netcalc.analyze(42), UsageError, "a spec is a path"),
        (lambda: netcalc.load(None), UsageError, "a spec is a path"),
        (lambda: netcalc.load(""), SpecError, "no spec given"),
        (lambda: netcalc.Spec(input=[]), SpecError, "input: needs at least one item"),
        (lambda: Conv2d(filters=0, kernel=3), SpecError, "filters: input should be greater than 0"),
        (lambda: netcalc.export(TINY, "."), UsageError, "must name a file"),
    ],
)
def test_library_raises_only_netcalc_errors(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_numpy_integers_are_sizes() -> None:
    assert netcalc.analyze(TINY, batch=np.int64(3)).batch == 3
    assert netcalc.run(TINY, batch=np.int32(2), seed=np.uint8(1)).output.shape == (2, 1)


def test_a_one_line_yaml_mapping_is_text() -> None:
    assert netcalc.load("{input: [3], layers: [relu]}").input == (3,)
    with pytest.raises(SpecError, match="<string>: missing 'layers'"):
        netcalc.load("input: [3]")  # text, not a file named 'input: [3]'


# --- messages and semantics --------------------------------------------------------------------


def test_block_without_layers_names_the_missing_key() -> None:
    with pytest.raises(SpecError, match=r"<string>:3: missing 'blocks\.a\.layers'"):
        netcalc.load("input: [3, 8]\nblocks:\n  a: {}\nlayers: [a]\n")


def test_all_invalid_input_list_does_not_say_it_needs_an_item() -> None:
    with pytest.raises(SpecError) as raised:
        netcalc.load("input: [a, b]\nlayers: [relu]\n")
    assert "needs at least one item" not in str(raised.value)
    assert len(str(raised.value).splitlines()) == 2


def test_a_long_plain_list_is_not_called_an_alias_bomb(tmp_path: Path) -> None:
    code, err = invoke(["count", spec_file(tmp_path, "input: [3]\nlayers:\n" + "  - relu\n" * 1_000_001)])
    assert code == 1 and "alias bomb" not in err and "more than 1,000,000 lines, items and keys" in err


def test_a_200_kb_value_is_not_echoed_in_full() -> None:
    with pytest.raises(SpecError) as raised:
        netcalc.load({"input": [3], "layers": [{"conv2d": {"filters": "x" * 200_000, "kernel": 3}}]})
    assert max(len(line) for line in str(raised.value).splitlines()) <= 400


def test_dropout_rate_one_is_accepted() -> None:
    network = netcalc.load({"input": [4], "layers": [{"dropout": {"rate": 1.0}}]})
    x = np.ones((2, 4))
    np.testing.assert_array_equal(netcalc.run(network, x=x, training=True).output, 0)
    np.testing.assert_array_equal(netcalc.run(network, x=x).output, x)


def test_upsample_nearest_with_align_corners_is_refused() -> None:
    with pytest.raises(SpecError, match="align_corners works with the linear modes only"):
        netcalc.load({"input": [3, 8, 8], "layers": [{"upsample": {"scale": 2, "align_corners": True}}]})


def test_yaml_set_is_refused() -> None:
    with pytest.raises(SpecError, match=r"<string>:1: !!set has no order: write a list like \[3, 32\]"):
        netcalc.load("input: !!set {3, 32}\nlayers: [relu]\n")


def test_from_naming_a_later_layer_inside_a_block_says_it_comes_later() -> None:
    text = (
        "input: [3, 8]\nblocks:\n  a:\n    layers:\n      - relu: {from: x}\n      - relu: {name: x}\n"
        "layers: [a]\n"
    )
    with pytest.raises(SpecError, match="from takes 'x', which comes later"):
        netcalc.load(text)


def test_training_memory_and_check_budget_work_as_the_first_call() -> None:
    """Both read the spec through `load`, which netcalc imports lazily: a NameError in a fresh process."""
    import subprocess
    import sys

    code = "import netcalc\nassert netcalc.training_memory('zoo:lenet5').total > 0\n"
    for call in (
        code,
        code.replace(
            "training_memory('zoo:lenet5').total > 0", "check_budget('zoo:lenet5', {'max_params': '1M'}).ok"
        ),
    ):
        done = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-500:]


@pytest.mark.parametrize(
    "call",
    [
        lambda: netcalc.load("zoo:lenet5", args=5),
        lambda: netcalc.receptive_field("zoo:lenet5", args=[1]),
        lambda: netcalc.check_budget("zoo:lenet5", [1]),  # type: ignore[arg-type]
        lambda: netcalc.sweep(TINY, None),  # type: ignore[arg-type]
        lambda: netcalc.sweep(TINY, ["size"]),  # type: ignore[arg-type]
        lambda: netcalc.sweep(TINY, {"size": 4}),  # type: ignore[dict-item]
        lambda: netcalc.sweep("specs/dense-vs-conv/conv.yaml", {"size": [4]}, batch=0),
        lambda: netcalc.diagram("zoo:lenet5", depth="1", format="dot"),  # type: ignore[arg-type]
        lambda: netcalc.explain("zoo:lenet5", depth="x"),  # type: ignore[arg-type]
        lambda: netcalc.html_report("zoo:lenet5", spec_text=5),  # type: ignore[arg-type]
    ],
)
def test_library_arguments_of_the_wrong_type_are_usage_errors(call: Any) -> None:
    with pytest.raises(UsageError):
        call()


def test_explain_takes_one_layer_name_or_index_alone() -> None:
    assert netcalc.explain("zoo:lenet5", 1).to_dict() == netcalc.explain("zoo:lenet5", [1]).to_dict()


@pytest.mark.parametrize(
    "text",
    [
        "input: [3, 8, 8]\nlayers:\n  - relu: {when: false}\n",
        "input: [3, 8, 8]\nblocks:\n  b:\n    layers: [{relu: {when: '$index > 0'}}]\nlayers: [b]\n",
    ],
)
def test_every_layer_skipped_by_when_is_a_spec_error(text: str) -> None:
    with pytest.raises(SpecError, match="every layer is skipped"):
        netcalc.load(text)


def test_a_block_whose_layers_are_all_skipped_passes_its_input_on() -> None:
    text = (
        "input: [3, 8, 8]\nblocks:\n  b:\n    layers: [{relu: {when: false}}]\n"
        "layers: [relu, {b: {repeat: 2}}, {conv2d: {filters: 2, kernel: 1, from: b.2}}]\n"
    )
    report = netcalc.analyze(text)
    assert [row.name for row in report.rows] == ["relu_1", "conv2d_1"] and report.groups == ()
    code, err = invoke(["count", "-", "--depth", "1"], stdin=text)
    assert code == 0, err


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_recurrent_stack_of_a_billion_layers_is_refused_at_once(kind: str) -> None:
    # params and MACs loop over every stacked layer: layers: 10^9 ran for minutes
    text = f"input: [50, 8]\nlayers:\n  - {kind}: {{units: 8, layers: 1000000000}}\n"
    with pytest.raises(SpecError, match="at most 1,000 stacked recurrent layers"):
        netcalc.load(text)
    assert netcalc.analyze(text.replace("1000000000", "1000")).params > 0


@pytest.mark.parametrize(
    "name",
    [
        'a"""+__import__(\'os\').system(\'echo PWNED\')+"""',
        'x"""\nimport os; os.system(\'echo PWNED\')\n"""',
        "ends with a backslash \\",
        'quote" and nul \x00 and tab\t',
    ],
)
def test_netcalc_torch_writes_no_code_from_the_spec_name(name: str) -> None:
    # the name went into the module's and the class's docstrings as it was: a spec named
    # a"""+__import__('os').system(...)+""" ran its command when the code was imported (to_torch execs it)
    import ast

    from netcalc.interop.torch_code import torch_source

    spec = {"name": name, "input": [3, 8, 8], "layers": [{"conv2d": {"filters": 2, "kernel": 3}}]}
    tree = ast.parse(torch_source(netcalc.load(spec)))
    for statement in tree.body:
        assert isinstance(statement, (ast.Import, ast.ImportFrom, ast.ClassDef)) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        ), ast.dump(statement)[:200]
    for cls in (s for s in tree.body if isinstance(s, ast.ClassDef)):
        for statement in cls.body:
            assert isinstance(statement, ast.FunctionDef) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            ), ast.dump(statement)[:200]


@pytest.mark.parametrize(
    "layer",
    [
        {"rmsnorm": {"eps": float("nan")}},
        {"layernorm": {"eps": float("inf")}},
        {"batchnorm": {"momentum": float("nan")}},
        {"groupnorm": {"groups": 1, "eps": float("-inf")}},
        {"leaky_relu": {"negative_slope": float("nan")}},
        {"elu": {"alpha": float("inf")}},
        {"layer_scale": {"init": float("nan")}},
        {"attention": {"heads": 2, "dropout": float("nan")}},
    ],
)
def test_a_nan_or_infinite_hyper_parameter_is_refused(layer: dict[str, Any]) -> None:
    # each counted fine, and export wrote a network whose every output is NaN
    ((kind, args),) = layer.items()
    name = next(iter(args.keys() - {"groups", "heads"}))
    with pytest.raises(
        SpecError, match=rf"'{kind}'.*{name}: input should be a finite number \(got -?(nan|inf)\)"
    ):
        netcalc.load({"input": [4, 6], "layers": [layer]})


def test_pad_takes_minus_infinity_but_not_nan() -> None:
    pad = {"pad": {"padding": [[0, 0], [1, 0]], "value": float("-inf")}}  # before a max pooling
    out = netcalc.run(netcalc.load({"input": [2, 3], "layers": [pad]}), x=np.ones((1, 2, 3))).output
    np.testing.assert_array_equal(out[:, :, 0], -np.inf)
    with pytest.raises(SpecError, match="value: the value padded in is NaN"):
        netcalc.load({"input": [2, 3], "layers": [{"pad": {"padding": 1, "value": float("nan")}}]})


@pytest.mark.parametrize(
    ("rate", "message"), [(-0.5, "greater than or equal to 0"), (3, "less than or equal to 1")]
)
def test_attention_dropout_is_a_probability(rate: float, message: str) -> None:
    # PyTorch refuses it at the first training step; the training figures counted its mask
    with pytest.raises(SpecError, match=f"dropout: input should be {message}"):
        netcalc.load({"input": [4, 6], "layers": [{"attention": {"heads": 2, "dropout": rate}}]})


@pytest.mark.parametrize(
    "command",
    [["count"], ["compare", TINY], ["sweep", "--set", "input=4,8"], ["count", "--convention", "torchinfo"]],
)
def test_a_spec_name_cannot_start_a_spreadsheet_formula_in_csv(tmp_path: Path, command: list[str]) -> None:
    import csv

    formula = '=HYPERLINK("http://example.com/x")'
    spec = spec_file(tmp_path, f"name: '{formula}'\ninput: [4]\nlayers:\n  - dense: {{units: 2}}\n")
    result = runner.invoke(app, [command[0], spec, *command[1:], "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert "'" + formula in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]


def test_csv_keeps_negative_numbers_and_dashes_as_they_are() -> None:
    from netcalc.render.text import CsvWriter

    buffer = io.StringIO()
    CsvWriter(buffer).writerow(["-146", "-", "-1.5e3", "+x", "@sum", -3])
    assert buffer.getvalue() == "-146,-,-1.5e3,'+x,'@sum,-3\n"


def test_import_names_the_model_when_its_spec_is_wrong(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    weight = numpy_helper.from_array(np.zeros((2, 4, 1), np.float32), "w")
    conv = helper.make_node("Conv", ["x", "w"], ["y"], pads=[-5, -5])  # a negative padding
    graph = helper.make_graph([conv], "g", [x], [y], [weight])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    code, err = invoke(["import", str(path)])
    assert code == 1
    assert err.startswith(
        f"error: {path}: layer 0 'conv1d' (y): padding: input should be greater than or equal to 0"
    )
    code, err = invoke(["import", "-"], path.read_bytes())
    assert err.startswith("error: <stdin>: layer 0 'conv1d'")


def test_a_named_pipe_without_a_writer_is_an_error_not_a_wait(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    code, err = invoke(["count", str(fifo)])  # waited forever for a writer
    hint = "nothing to read — write the spec into it, or name the file"
    assert (code, err.strip()) == (1, f"error: {fifo}: a named pipe with no writer: {hint}")
    read, write = os.pipe()  # a pipe with a writer, as bash's <(cat spec.yaml), reads as a file
    os.write(write, OK.encode())
    os.close(write)
    code, _ = invoke(["count", f"/dev/fd/{read}"])
    os.close(read)
    assert code == 0


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ("max($x)", r"'max\(\$x\)': max\(\) takes two or more numbers, like max\(8, \$c // 2\)"),
        ("min(1 + $x)", r"'min\(1 \+ \$x\)': min\(\) takes two or more numbers, like min\(8, \$c // 2\)"),
    ],
)
def test_max_or_min_of_one_number_is_a_spec_error(units: str, message: str) -> None:
    # was an internal error: TypeError: 'int' object is not iterable
    spec = {"input": [3], "args": {"x": 2}, "layers": [{"dense": {"units": units}}]}
    with pytest.raises(SpecError, match=rf"layer 0 'dense' \(dense_1\): {message}$"):
        netcalc.load(spec)


@pytest.mark.parametrize("units", ["round($x)", "1 if $x else 2", "$x + 1"])
def test_a_nan_argument_is_not_a_number_in_an_expression(units: str) -> None:
    # round($x) was an internal error: ValueError: cannot convert float NaN to integer
    spec = {"input": [3], "args": {"x": float("nan")}, "layers": [{"dense": {"units": units}}]}
    with pytest.raises(SpecError, match=r"\$x is nan, not a number, in '"):
        netcalc.load(spec)
    code, err = invoke(
        ["count", "-", "--set", "x=nan"],
        f"input: [3]\nargs: {{x: 2}}\nlayers: [{{dense: {{units: '{units}'}}}}]\n",
    )
    assert (code, err.count("\n")) == (1, 1)
    assert "$x is nan, not a number" in err


def test_an_onnx_chain_of_thousands_of_activations_imports_in_linear_time(tmp_path: Path) -> None:
    # each activation looked for its producer among every node before it: 5,000 nodes took 12 s
    # of CPU, 20,000 took 148 s; now a lookup (20,000 in about 1 s)
    onnx = pytest.importorskip("onnx")
    import time

    from onnx import TensorProto, helper

    n = 8000
    names = ["x", *(f"a{i}" for i in range(n - 1)), "y"]
    nodes = [helper.make_node("Relu", [names[i]], [names[i + 1]], name=f"r{i}") for i in range(n)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    path = tmp_path / "chain.onnx"
    onnx.save(
        helper.make_model(
            helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)]
        ),
        path,
    )
    netcalc.load(str(path))  # onnx's modules imported, out of the timing
    start = time.process_time()
    network = netcalc.load(str(path))
    assert time.process_time() - start < 8  # was about 40 s
    assert len(netcalc.analyze(network).rows) == n


def test_a_name_of_thousands_of_characters_is_refused_before_it_is_repeated() -> None:
    # a 200 kB spec (a 100,000-character name on a block used 2,000 times, and on its layer) took
    # 2 GB and wrote 1.6 GB of JSON: every path and row repeats the name
    long = "a" * 100_000
    text = f"input: [3]\nblocks:\n  b:\n    layers: [{{relu: {{name: {long}}}}}]\nlayers:\n"
    text += f"  - b: {{repeat: 2000, name: {long}}}\n"
    hint = "has 100,000 characters, more than 256 — shorten it"
    with pytest.raises(SpecError, match=f"^<string>:6: 'b': name 'a{{24}}\\.\\.\\.' {hint}$"):
        netcalc.load(text)
    code, err = invoke(["count", "-"], text.replace(long, "a" * 257, 1).replace(long, "b1"))
    assert (code, err.strip()) == (
        1,
        f"error: <stdin>:4: 'relu': name '{'a' * 24}...' has 257 characters, more than 256 — shorten it",
    )
    with pytest.raises(SpecError, match="block name 'b{24}...' has 300 characters"):
        netcalc.load({"input": [3], "blocks": {"b" * 300: {"layers": ["relu"]}}, "layers": ["b" * 300]})
    assert (
        netcalc.analyze(netcalc.load({"input": [3], "layers": [{"relu": {"name": "r" * 256}}]})).rows[0].name
        == "r" * 256
    )


def test_a_spec_name_longer_than_256_characters_is_refused(tmp_path: Path) -> None:
    # sweep, compare and diff repeat the name on every row: a 100 kB name swept over 2,000 points
    # wrote 200 MB of CSV
    text = "name: " + "n" * 100_000 + "\nargs: {s: 1}\ninput: [$s]\nlayers: [relu]\n"
    code, err = invoke(["sweep", "-", "--set", "s=1..2000+1", "-f", "csv"], text)
    hint = "has 100,000 characters, more than 256 — shorten it (a longer text goes in description:)"
    assert (code, err.strip()) == (1, f"error: <stdin>:1: name: '{'n' * 24}...' {hint}")
    assert netcalc.load({"name": "n" * 256, "input": [3], "layers": ["relu"]}).name == "n" * 256
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g" * 1000, [x], [y])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    assert netcalc.load(str(path)).name == "g" * 256  # a model's graph name is cut, not refused
