"""The `netcalc` command line: one module per command family, registered on one app.

app.py    the app, its error boundary (NetcalcError -> message and exit code), shared options
count.py  count, compare, rf                info.py     layers, schema, zoo
backend.py  run, verify, export (NumPy)     interop.py  torch, import
explore.py  sweep, diff                    draw.py     diagram, report
explain.py  explain                         check.py    check
"""

from __future__ import annotations

import os
import sys

import typer

from netcalc.cli import backend, check, count, draw, explain, explore, info, interop  # noqa: F401  (each registers its commands)
from netcalc.cli.app import app

OPTIONAL_PACKAGES = {
    "matplotlib": "netcalc[plot]",
    "numpy": "numpy",
    "onnx": "netcalc[onnx]",
    "onnxruntime": "netcalc[onnx]",
    "torch": "netcalc[torch]",
}

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the console script: what the error boundary cannot catch ends here."""
    try:
        app()
    except ModuleNotFoundError as error:
        package = (error.name or "").split(".")[0]
        if package not in OPTIONAL_PACKAGES or os.environ.get("NETCALC_DEBUG"):
            _internal(error)
        typer.echo(
            f"error: this command needs the '{package}' package: pip install {OPTIONAL_PACKAGES[package]}",
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        _internal(error)


def _internal(error: BaseException) -> None:
    """A bug: say so in one line instead of a traceback (NETCALC_DEBUG=1 shows the traceback)."""
    if os.environ.get("NETCALC_DEBUG"):
        raise error
    typer.echo(f"netcalc: internal error (please report it): {type(error).__name__}: {error}", err=True)
    sys.exit(70)
