"""The console script: `netcalc --version` answered before the commands load, the rest by netcalc.cli."""

from __future__ import annotations

import sys


def main() -> None:
    """`netcalc ...`: the version alone needs neither typer nor pydantic, so it is printed at once."""
    if sys.argv[1:] == ["--version"]:
        from netcalc import __version__

        print(f"netcalc {__version__}")
        return
    from netcalc.cli import main as run

    run()
