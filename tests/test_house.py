"""The house layout holds: arrows point one way, analyses are passes, one CLI boundary, and the
small defects found while building it stay fixed."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.analysis.liveness import liveness
from netcalc.cli import app
from netcalc.engine import rows
from netcalc.spec.messages import nearest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "netcalc"
CONV = str(ROOT / "specs" / "dense-vs-conv" / "conv.yaml")
TINY = str(ROOT / "specs" / "dense-vs-conv" / "tiny.yaml")
runner = CliRunner()


# --- arrows point one way ------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> set[str]:
    """netcalc modules imported at module level (not inside functions or TYPE_CHECKING)."""
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("netcalc"):
            for alias in node.names:  # `from netcalc import layers` imports netcalc.layers
                name = f"{node.module}.{alias.name}"
                found.add(name if name in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("netcalc"))
    return found & modules


IMPORTS = {module_name(p): top_level_imports(p) for p in PACKAGE.rglob("*.py")}


def reaches(start: str) -> set[str]:
    """Every netcalc module that `start` imports, directly or through others.

    Edges are the modules named in import statements; a package's __init__ re-exporting its own
    submodules is not counted as the submodules importing the package back.
    """
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in IMPORTS.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_no_module_imports_one_that_imports_it_back():
    cycles = [m for m in IMPORTS if m != "netcalc" and m in reaches(m)]
    assert cycles == []


@pytest.mark.parametrize(
    ("module", "never"),
    [
        ("netcalc.layers", {"netcalc.spec", "netcalc.graph", "netcalc.engine", "netcalc.report"}),
        ("netcalc.spec", {"netcalc.graph", "netcalc.loading", "netcalc.engine"}),
        ("netcalc.graph", {"netcalc.loading", "netcalc.engine", "netcalc.report"}),
        ("netcalc.engine", {"netcalc.analysis", "netcalc.report", "netcalc.render", "netcalc.cli"}),
        ("netcalc.analysis.liveness", {"netcalc.report", "netcalc.render", "netcalc.cli"}),
        ("netcalc.report", {"netcalc.render", "netcalc.cli", "netcalc.backend"}),
        ("netcalc.render", {"netcalc.cli", "netcalc.backend"}),
        ("netcalc.backend", {"netcalc.engine", "netcalc.report", "netcalc.analysis", "netcalc.verification"}),
    ],
)
def test_arrows_point_one_way(module, never):
    assert {m for m in reaches(module) if any(m == n or m.startswith(n + ".") for n in never)} == set()


def test_the_kernels_import_nothing_from_netcalc():
    assert IMPORTS["netcalc.backend.kernels"] == set()


# --- analyses are passes ---------------------------------------------------------------------------


def test_load_returns_a_network_and_analyze_takes_any_source():
    network = netcalc.load(CONV)
    assert isinstance(network, netcalc.Network)
    assert netcalc.load(network) is network
    for source in (network, CONV, Path(CONV), Path(CONV).read_text()):
        assert netcalc.analyze(source).params == (64 * 9 + 64) + (64 * 64 * 9 + 64)


def test_rows_reach_their_layer_objects():
    network = netcalc.load(CONV)
    assert [r.layer for r in rows(network)] == [n.layer for n in network.nodes]


def test_liveness_frees_each_tensor_after_its_last_use():
    # input 4; a = dense 8; b = dense 6 (from a); c = dense 8 (from b); add(c, a): a stays alive
    network = netcalc.load(
        {
            "input": [4],
            "layers": [
                {"dense": {"units": 8, "name": "a"}},
                {"dense": {"units": 6, "name": "b"}},
                {"dense": {"units": 8, "name": "c"}},
                {"add": {"from": ["c", "a"]}},
            ],
        }
    )
    result = liveness(network, rows(network))
    # a runs: input 4 + a 8 = 12, then the input is freed; b: a 8 + b 6 = 14;
    # c: a 8 + b 6 + c 8 = 22, then b is freed; add: a 8 + c 8 + out 8 = 24
    assert result.live == (12, 14, 22, 24)
    assert (result.peak, result.peak_layer) == (24, 3)
    report = netcalc.analyze(network, batch=3)
    weights = (8 * 4 + 8) + (6 * 8 + 6) + (8 * 6 + 8)
    assert report.peak_bytes == (weights + 24 * 3) * 4


def test_liveness_leaves_out_training_only_branches_unless_asked():
    network = netcalc.load(
        {
            "input": [4],
            "layers": [
                {"dense": {"units": 8, "name": "a"}},
                {"dense": {"units": 100, "training_only": True}},
                {"dense": {"units": 2, "from": "a"}},
            ],
        }
    )
    assert liveness(network, rows(network)).live == (12, 0, 10)
    # run, the branch's 100 outputs are freed at once: nothing reads them
    assert liveness(network, rows(network), training_only=True).live == (12, 108, 10)


def test_count_shows_the_liveness_peak():
    out = runner.invoke(app, ["count", TINY])
    report = netcalc.analyze(TINY)
    assert out.exit_code == 0
    assert "Peak memory:" in out.output
    assert report.peak_bytes == report.memory.params + report.liveness.peak * 4


# --- one boundary, every format refused or served ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fmt"),
    [
        (["run", TINY], "csv"),
        (["run", TINY], "markdown"),
        (["verify", TINY], "markdown"),
        (["verify", TINY], "csv"),
        (["export", TINY, "-o", "x.onnx"], "csv"),
    ],
)
def test_a_format_a_command_cannot_write_is_a_usage_error(args, fmt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, [*args, "--format", fmt])
    assert out.exit_code == 2
    assert out.stderr.startswith("error: ") and f"does not write {fmt}" in out.stderr
    assert not (tmp_path / "x.onnx").exists()  # refused before any work


@pytest.mark.parametrize("command", [["verify", "-"], ["run", "-"], ["count", "-", "--verify"]])
def test_every_spec_argument_reads_stdin(command):
    out = runner.invoke(app, command, input=Path(TINY).read_text())
    assert out.exit_code == 0, out.output
    assert "no such file" not in out.output


def test_export_reads_stdin(tmp_path):
    target = tmp_path / "tiny.onnx"
    out = runner.invoke(app, ["export", "-", "-o", str(target)], input=Path(TINY).read_text())
    assert out.exit_code == 0, out.output
    assert target.stat().st_size > 0


def test_stdin_can_be_named_once():
    out = runner.invoke(app, ["compare", "-", "-"], input="input: [2]\nlayers: [relu]\n")
    assert out.exit_code == 2
    assert "'-' (stdin) can be given once" in out.stderr


def test_verify_json_of_one_spec_is_an_object_of_several_a_list():
    one = json.loads(runner.invoke(app, ["verify", TINY, "--format", "json"]).stdout)
    two = json.loads(runner.invoke(app, ["verify", TINY, CONV, "--format", "json", "--batch", "1"]).stdout)
    assert one["ok"] is True
    assert [d["ok"] for d in two] == [True, True]


def test_main_names_a_missing_optional_package_but_calls_a_missing_module_of_ours_a_bug(monkeypatch, capsys):
    import netcalc.cli as cli

    def missing(name: str):
        def call() -> None:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)

        return call

    monkeypatch.setattr(cli, "app", missing("onnx"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    assert "needs the 'onnx' package: pip install netcalc[onnx]" in capsys.readouterr().err
    monkeypatch.setattr(cli, "app", missing("netcalc.nothing_here"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 70
    assert "internal error" in capsys.readouterr().err


def test_count_in_a_pipe_imports_neither_numpy_nor_rich():
    code = (
        "import sys\n"
        "from netcalc.cli import main\n"
        "for fmt in ('table', 'json'):\n"
        "    sys.argv = ['netcalc', 'count', 'zoo:resnet18', '--format', fmt]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, e.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'rich', 'onnx'}), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "[]"


# --- the small defects -------------------------------------------------------------------------------


def test_global_maxpool_describes_max_pooling():
    out = runner.invoke(app, ["layers", "global_maxpool"])
    assert "Global max pooling" in out.stdout
    assert "Average" not in out.stdout and "average" not in out.stdout


@pytest.mark.parametrize(
    ("word", "choices", "hint"),
    [
        ("embedding", ["pos_embedding", "dense"], ""),  # a different layer, not a typo of it
        ("norm", ["batchnorm", "layernorm"], ""),
        ("conv2", ["conv2d", "conv1d"], " — did you mean 'conv2d'?"),
        ("maxpool", ["maxpool2d"], " — did you mean 'maxpool2d'?"),
        ("kernal", ["kernel", "filters"], " — did you mean 'kernel'?"),
        ("layer_norm", ["layernorm"], " — did you mean 'layernorm'?"),
        ("word_embedding", ["embedding", "pos_embedding"], ""),  # a token table, not positions
        ("tok_embedding", ["embedding", "pos_embedding"], ""),
        ("pos_embeding", ["embedding", "pos_embedding"], " — did you mean 'pos_embedding'?"),
        ("position_embedding", ["embedding", "pos_embedding"], " — did you mean 'pos_embedding'?"),
        ("embeding", ["embedding", "pos_embedding"], " — did you mean 'embedding'?"),
    ],
)
def test_a_hint_is_a_likely_typo_never_something_else(word, choices, hint):
    assert nearest(word, choices) == hint


def test_an_unknown_type_with_no_likely_typo_points_to_the_listing():
    with pytest.raises(
        netcalc.SpecError, match=r"unknown layer type 'transformer_block' — see `netcalc layers`"
    ):
        netcalc.load({"input": [4], "layers": ["transformer_block"]})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("input: [3, 8, 8]\nlayers:\n  - conv2d: {filters: 8 // 2, kernel: 3}\n", 4),
        (
            "input: [3, 8, 8]\nblocks:\n  b:\n    args: {c: 4 * 2}\n"
            "    layers: [{conv2d: {filters: $c, kernel: 3}}]\n"
            "layers: [b]\n",
            8,
        ),
    ],
)
def test_plain_arithmetic_says_it_needs_an_argument_expression(text, value):
    with pytest.raises(netcalc.SpecError) as error:
        netcalc.load(text)
    message = str(error.value)
    assert "arithmetic is evaluated only in expressions over $arguments" in message
    assert message.endswith(f"write the number: {value}")
    assert "\n" not in message
