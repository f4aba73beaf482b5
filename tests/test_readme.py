"""The README's commands, example code and quoted output are real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from netcalc.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    """The fenced code blocks of one language, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    test_command = 'pip install -e ".[test,onnx,torch]" && python -m pytest'
    assert f"```bash\n{test_command}\n```" in README
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_quick_start_command_runs_and_its_output_is_quoted():
    command = blocks("bash")[0].strip()
    assert command.startswith("pip install . && netcalc compare ")
    args = shlex.split(command.split("&& netcalc ", 1)[1])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    quoted = blocks("text")[0]
    assert _squash(result.output) == _squash(quoted)
    assert "66,539,001" in quoted and "37,568" in quoted


def test_every_quoted_netcalc_session_matches_real_output(tmp_path, monkeypatch):
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    monkeypatch.chdir(tmp_path)  # sessions that write files (export) write them here
    sessions = [b for b in blocks("text") if b.startswith("$ netcalc ")]
    assert len(sessions) >= 2
    for block in sessions:
        command, expected = block.split("\n", 1)
        args = shlex.split(command.removeprefix("$ netcalc "))
        if "bad.yaml" in args:
            continue  # checked in test_error_example below, with the quoted spec
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert _squash(result.output) == _squash(expected), command


def test_error_example(tmp_path, monkeypatch):
    spec = next(b for b in blocks("yaml") if b.startswith("# bad.yaml"))
    (tmp_path / "bad.yaml").write_text(spec.split("\n", 1)[1])
    monkeypatch.chdir(tmp_path)
    block = next(b for b in blocks("text") if b.startswith("$ netcalc count bad.yaml"))
    expected_error = block.split("\n")[1]
    result = CliRunner().invoke(app, ["count", "bad.yaml"])
    assert result.exit_code == 1
    assert expected_error in result.output


def test_library_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    code = blocks("python")[0]
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README's example


def test_spec_examples_in_readme_load():
    import netcalc

    for text in blocks("yaml"):
        if text.startswith("# bad.yaml"):
            continue
        report = netcalc.analyze(netcalc.load(text))
        assert report.rows


def _squash(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]
