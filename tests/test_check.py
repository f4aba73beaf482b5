"""`netcalc check` (budgets for CI) and the spec's budget: section: limits, figures, margins, exit codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc import engine
from netcalc.analysis.training import training_memory
from netcalc.arguments import parse_bytes, parse_count
from netcalc.cli import app
from netcalc.schema import spec_schema

runner = CliRunner()
RESNET18_PARAMS = 11_689_512  # torchvision's published figure
RESNET18_MACS = 1_814_073_344


def check(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["check", *args], input=stdin)


def limits(result: Any) -> dict[str, dict[str, Any]]:
    return {x["name"]: x for x in json.loads(result.stdout)["limits"]}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5M", 5_000_000),
        ("250k", 250_000),
        ("1.5G", 1_500_000_000),
        ("5000000", 5_000_000),
        ("2T", 2 * 10**12),
    ],
)
def test_counts_are_powers_of_1000(text: str, value: int) -> None:
    assert parse_count(text, "--max-params") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("2GiB", 2 * 2**30), ("16GiB", 16 * 2**30), ("512MiB", 512 * 2**20), ("2G", 2 * 2**30), ("1000", 1000)],
)
def test_memory_sizes_are_powers_of_1024(text: str, value: int) -> None:
    assert parse_bytes(text, "--max-memory") == value


def test_within_budget_exit_0_with_each_figure_and_margin() -> None:
    result = check(
        "zoo:resnet18",
        *("--max-params", "12M", "--max-macs", "2G", "--max-memory", "200MiB"),
        *("--max-train-memory", "1GiB", "--min-rf", "200", "--format", "json"),
    )
    assert result.exit_code == 0, result.output
    found = limits(result)
    assert found["max_params"]["figure"] == RESNET18_PARAMS
    assert found["max_params"]["margin"] == 12_000_000 - RESNET18_PARAMS
    assert found["max_macs"]["figure"] == RESNET18_MACS
    report = netcalc.analyze("zoo:resnet18")
    assert found["max_memory"]["figure"] == report.peak_bytes
    assert found["max_memory"]["limit"] == 200 * 2**20
    network = netcalc.load("zoo:resnet18")
    assert found["max_train_memory"]["figure"] == training_memory(network, engine.rows(network)).total
    assert found["min_rf"]["figure"] == 435  # netcalc rf zoo:resnet18: layer4.relu_2, the deepest local field
    assert found["min_rf"]["margin"] == 435 - 200
    assert all(x["ok"] for x in found.values())


def test_over_budget_exit_4_naming_the_figure() -> None:
    result = check("zoo:resnet18", "--max-params", "5M", "--max-macs", "2G")
    assert result.exit_code == 4
    assert "11,689,512" in result.stdout and "OVER" in result.stdout
    assert "over budget: resnet18: params 11,689,512 over 5,000,000" in result.stderr
    assert "MACs" not in result.stderr  # the MACs hold


def test_min_rf_under_its_limit_exit_4() -> None:
    result = check("zoo:resnet18", "--min-rf", "500", "-f", "json")
    assert result.exit_code == 4
    assert limits(result)["min_rf"]["margin"] == 435 - 500


def test_batch_scales_macs_and_memory() -> None:
    one = limits(check("zoo:lenet5", "--max-macs", "1G", "--max-memory", "1GiB", "-f", "json"))
    four = limits(check("zoo:lenet5", "--max-macs", "1G", "--max-memory", "1GiB", "-f", "json", "-b", "4"))
    assert four["max_macs"]["figure"] == 4 * one["max_macs"]["figure"]
    assert four["max_memory"]["figure"] == netcalc.analyze("zoo:lenet5", batch=4).peak_bytes


SPEC = """
name: tiny
input: [3, 32, 32]
budget:
  max_params: 1k
  max_memory: 1MiB
layers:
  - conv2d: {filters: 8, kernel: 3, padding: 1}
  - relu
"""


def test_the_spec_budget_section_and_options_override_it() -> None:
    params = 8 * 3 * 9 + 8  # 224
    result = check("-", "-f", "json", stdin=SPEC)
    assert result.exit_code == 0, result.output
    found = limits(result)
    assert (found["max_params"]["limit"], found["max_params"]["figure"]) == (1000, params)
    assert found["max_params"]["source"] == "spec"
    assert found["max_memory"]["limit"] == 2**20
    result = check("-", "--max-params", "100", "-f", "json", stdin=SPEC)
    assert result.exit_code == 4
    assert limits(result)["max_params"]["source"] == "option"
    assert limits(result)["max_params"]["margin"] == 100 - params


def test_a_spec_without_budget_is_unchanged() -> None:
    assert netcalc.load("zoo:resnet18").spec.budget is None
    assert "budget" in spec_schema()["properties"]


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--max-params", "5Q"], "--max-params takes a whole count like 5M"),
        (["--max-params", "1.2345k"], "--max-params takes a whole count"),
        (["--max-memory", "2X"], "--max-memory takes a size like 2G"),
        (["--max-train-memory", "-1"], "--max-train-memory takes a size"),
        (["--min-rf", "abc"], "--min-rf must be a positive whole number"),
        (["--min-rf", "0"], "--min-rf must be a positive whole number"),
        ([], "no budget to check: give --max-params"),
        (["--max-params", "5M", "--format", "csv"], "check does not write csv"),
    ],
)
def test_usage_errors_exit_2(args: list[str], phrase: str) -> None:
    result = check("zoo:lenet5", *args)
    assert result.exit_code == 2
    assert phrase in result.output


@pytest.mark.parametrize(
    ("budget", "phrase"),
    [
        ("max_params: 5Q", "budget.max_params: takes a whole count like 5M"),
        ("max_memory: -3", "budget.max_memory: takes a positive whole number or a size like 16GiB"),
        ("min_rf: 2.5", "budget.min_rf: takes a positive whole number of input positions"),
        ("max_parms: 5", "unknown key 'max_parms' — did you mean 'max_params'?"),
    ],
)
def test_a_bad_budget_section_is_a_spec_error(budget: str, phrase: str) -> None:
    text = f"name: x\ninput: [3, 8, 8]\nbudget:\n  {budget}\nlayers:\n  - conv2d: {{filters: 2, kernel: 3}}\n"
    with pytest.raises(netcalc.SpecError, match=":4: "):
        netcalc.load(text)
    result = runner.invoke(app, ["count", "-"], input=text)
    assert result.exit_code == 1
    assert phrase in result.output


def test_min_rf_on_a_vector_input_is_a_spec_error() -> None:
    result = check("specs/dense-vs-conv/dense.yaml", "--min-rf", "3")
    assert result.exit_code == 1
    assert "min_rf needs a spatial input" in result.output


def test_library_check_budget() -> None:
    result = netcalc.check_budget("zoo:resnet18", {"max_params": "12M", "min_rf": 200})
    assert result.ok
    assert [(x.name, x.figure) for x in result.limits] == [("max_params", RESNET18_PARAMS), ("min_rf", 435)]
    assert not netcalc.check_budget("zoo:resnet18", {"max_params": 5_000_000}).ok
    with pytest.raises(netcalc.UsageError, match="unknown budget limit 'max_flops'"):
        netcalc.check_budget("zoo:resnet18", {"max_flops": 1})
