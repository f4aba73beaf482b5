"""Dev tool: re-run every quoted `$ netcalc ...` session in README.md and rewrite its output.

    python tools/readme_refresh.py          # rewrite README.md in place
    python tools/readme_refresh.py --check  # list the sessions whose quoted output is stale

Sessions that write files run in a scratch folder (as tests/test_readme.py does), so `export` or
`diagram` blocks do not overwrite the repository's docs. The error example (bad.yaml) is left alone.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's netcalc, whichever one the environment installed

from typer.testing import CliRunner  # noqa: E402

from netcalc.cli import app  # noqa: E402

SESSION = re.compile(r"```text\n(\$ netcalc [^\n]*)\n(.*?)```", flags=re.S)


def rerun(command: str) -> str:
    """The output of one quoted command, run in a scratch folder that sees the shipped specs."""
    args = shlex.split(command.removeprefix("$ netcalc "))
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise SystemExit(f"{command}: exit {result.exit_code}\n{result.output}")
    return "\n".join(line.rstrip() for line in result.output.rstrip("\n").split("\n")) + "\n"


def main() -> int:
    readme = (ROOT / "README.md").read_text()
    stale: list[str] = []

    def replace(match: re.Match[str]) -> str:
        command, quoted = match.group(1), match.group(2)
        if "bad.yaml" in command:
            return match.group(0)
        output = rerun(command)
        if output != quoted:
            stale.append(command)
        return f"```text\n{command}\n{output}```"

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "specs").symlink_to(ROOT / "specs")
        (Path(scratch) / "tests").symlink_to(ROOT / "tests")  # the ONNX fixtures
        os.chdir(scratch)
        try:
            updated = SESSION.sub(replace, readme)
        finally:
            os.chdir(here)
    for command in stale:
        print(f"stale: {command}")
    if "--check" in sys.argv:
        return 1 if stale else 0
    (ROOT / "README.md").write_text(updated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
