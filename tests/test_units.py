"""Sizes as text: one rule (netcalc.units) for every output and message."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from netcalc.cli import app
from netcalc.units import binary, human

runner = CliRunner()


def test_decimal_ladder_goes_to_yotta_then_scientific() -> None:
    assert human(169_802_280 * 10**15) == "169.80 Z"  # was '169802.28 E'
    assert human(10**24, "B") == "1.00 YB"
    assert human(999 * 10**24) == "999.00 Y"
    assert human(10**27, "B") == "1.00e+27 B"
    assert human(1_600, "B") == "1.60 kB"  # torchinfo's powers of 1000
    assert human(999, "B") == "999 B"


def test_binary_ladder_writes_a_limit_as_it_was_written() -> None:
    assert binary(2 * 2**30) == "2 GiB"
    assert binary(53_218_976) == "50.75 MiB"  # 53,218,976 / 2^20
    assert binary(2**80) == "1 YiB"
    assert binary(2**90) == "1.24e+27 B"
    assert binary(1_023) == "1023 B"


def test_count_of_a_huge_spec_prints_a_unit_it_has(tmp_path: Path) -> None:
    spec = tmp_path / "huge.yaml"
    spec.write_text("input: [1000000, 1000000]\nlayers:\n  - dense: {units: 1000000000000}\n")
    out = runner.invoke(app, ["count", str(spec)])
    assert out.exit_code == 0
    # MACs: 10^6 rows x 10^6 inputs x 10^12 units = 10^24
    assert "MACs: 1,000,000,000,000,000,000,000,000 (1.00 Y)" in out.output


def test_the_guard_and_check_write_a_limit_alike(tmp_path: Path) -> None:
    spec = tmp_path / "wide.yaml"
    spec.write_text("input: [1000000]\nlayers:\n  - dense: {units: 1000}\n")
    # weights (10^9 + 1000) x 4 bytes at float32: over 2G = 2 x 2^30 bytes
    run = runner.invoke(app, ["run", str(spec), "--max-memory", "2G"])
    assert run.exit_code == 1
    assert "over the limit of 2 GiB" in run.output
    check = runner.invoke(app, ["check", str(spec), "--max-memory", "2G"])
    assert check.exit_code == 4
    assert "2,147,483,648 B (2 GiB)" in check.output
    # peak: weights 4,000,004,000 B + the input 4,000,000 B + the output 4,000 B, / 2^30 = 3.729
    assert "4,004,008,000 B (3.73 GiB)" in check.output


def test_the_largest_memory_limit_is_named_as_it_is_taken() -> None:
    # MAX_BYTES is 2^60 = 1024P: 1000P is taken, 2000P refused naming that limit (it said 1P)
    assert runner.invoke(app, ["run", "zoo:lenet5", "--max-memory", "1000P"]).exit_code == 0
    out = runner.invoke(app, ["run", "zoo:lenet5", "--max-memory", "2000P"])
    assert out.exit_code == 2
    assert "--max-memory must be more than 0 and at most 1024P (got '2000P')" in out.output
