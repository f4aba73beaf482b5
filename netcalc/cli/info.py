"""`layers`, `schema` and `zoo`: what netcalc knows, listed."""

from __future__ import annotations

from typing import Annotated

import typer

from netcalc.cli.app import Format, FormatOpt, app, emit
from netcalc.errors import NetcalcError, UsageError
from netcalc.render import check_format


@app.command()
def layers(
    kinds: Annotated[list[str] | None, typer.Argument(help="layer types to show (default all)")] = None,
    format: FormatOpt = Format.table,
    brief: Annotated[
        bool, typer.Option("--brief", help="with --format markdown: one table row per type")
    ] = False,
) -> None:
    """Every layer type with its arguments, defaults and aliases.

    \b
    Example: netcalc layers conv2d maxpool2d
    """
    from netcalc.catalog import catalog

    check_format("layers", format.value)
    try:
        entries = catalog(kinds or [])
    except NetcalcError as error:  # no spec involved: a wrong command line
        raise UsageError(str(error)) from None
    if brief and format is not Format.markdown:
        raise UsageError("--brief goes with --format markdown")
    emit("layers", format, entries, brief=brief)


@app.command()
def schema() -> None:
    """The JSON Schema of the spec format, for editors (e.g. yaml-language-server).

    \b
    Example: netcalc schema > netcalc.schema.json
    """
    from netcalc.schema import spec_schema

    emit("schema", Format.json, spec_schema())


@app.command()
def zoo(format: FormatOpt = Format.table) -> None:
    """The shipped specs of well-known networks, with their totals (use them as zoo:NAME).

    \b
    Example: netcalc count zoo:resnet50
    """
    import netcalc
    from netcalc.zoo import names

    check_format("zoo", format.value)
    reports = [netcalc.analyze(f"zoo:{n}") for n in names()]
    emit("zoo", format, reports, names=tuple(names()))
