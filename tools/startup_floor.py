"""The start-up floor of `netcalc count`: what any typer + PyYAML + pydantic command line pays.

A typer app of two commands, one with count's twelve parameters, that reads a YAML mapping and
validates it with a pydantic model of one constrained field: the interpreter, importing typer,
PyYAML and pydantic, typer building and parsing the command (typer 0.29 coerces every parameter
through a pydantic TypeAdapter, which also imports importlib.metadata) and pydantic building one
validator. netcalc's own start-up is what `count zoo:resnet50 --format json` takes beyond this.
Run by benchmarks/startup.py:

    python tools/startup_floor.py count "input: [3, 224, 224]" --format json
"""

from enum import StrEnum
from typing import Annotated

import typer
import yaml
from pydantic import BaseModel, Field

app = typer.Typer()


class Choice(StrEnum):
    table = "table"
    json = "json"


class Spec(BaseModel):
    input: list[Annotated[int, Field(strict=True, gt=0)]]


@app.command()
def count(
    specs: list[str],
    format: Annotated[Choice, typer.Option()] = Choice.table,
    depth: Annotated[int | None, typer.Option(min=0)] = None,
    batch: Annotated[int, typer.Option(min=1)] = 1,
    verify: bool = False,
    set: Annotated[list[str] | None, typer.Option()] = None,
    input: Annotated[str | None, typer.Option()] = None,
    convention: Annotated[Choice, typer.Option()] = Choice.table,
    train: bool = False,
    optimizer: Annotated[Choice, typer.Option()] = Choice.table,
    precision: Annotated[Choice, typer.Option()] = Choice.table,
    checkpoint: Annotated[Choice, typer.Option()] = Choice.table,
) -> None:
    """The first input size of each spec given as YAML text, times the batch."""
    for spec in specs:
        print(Spec.model_validate(yaml.safe_load(spec)).input[0] * batch)


@app.command()
def other() -> None:
    """A second command, so that typer builds a group as it does for netcalc."""


if __name__ == "__main__":
    app()
