"""The console script: `netcalc --version` answered before the commands load, the rest by netcalc.cli."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """`netcalc ...`: the version alone needs neither typer nor pydantic, so it is printed at once."""
    if sys.argv[1:] == ["--version"]:
        from netcalc import __version__

        print(f"netcalc {__version__}")
        return
    # pydantic looks for plugins in the entry points of every installed distribution when it builds
    # its first validator (a scan of site-packages, ~5 ms); a command has no use for them, as typer
    # says for its own validators. Set PYDANTIC_DISABLE_PLUGINS (to '' for all) to choose otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from netcalc.cli import main as run

    run()
