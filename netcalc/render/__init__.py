"""Every output of every command: one dispatch from (command, format) to a renderer.

A renderer takes the computed data and the Options and returns text, or a rich renderable for a
table on a terminal. Compute first, render last: nothing here computes a figure. A format a command
does not support is a UsageError before any work is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netcalc.errors import UsageError
from netcalc.render import (
    budget,
    catalog,
    compare,
    conventions,
    diagram,
    diff,
    explain,
    fields,
    report,
    runs,
    sweep,
    training,
    zoo,
)
from netcalc.render.compare import compare_data, compare_table, ratio_text
from netcalc.render.jsontext import dumps
from netcalc.render.report import json_parts, json_text, plain_table, rich_table, summary_lines, visible
from netcalc.render.text import human, shape_text

__all__ = [
    "FORMATS",
    "Options",
    "check_format",
    "compare_data",
    "compare_table",
    "human",
    "json_parts",
    "json_text",
    "plain_table",
    "ratio_text",
    "render",
    "rich_table",
    "shape_text",
    "summary_lines",
    "visible",
]


@dataclass(frozen=True, slots=True)
class Options:
    """How to render: rich colour on a terminal, block depth, one value or a list in JSON."""

    fancy: bool = False
    depth: int | None = None
    many: bool = False  # several inputs were named: JSON is a list even if one report came out
    names: tuple[str, ...] = ()  # zoo names, beside their reports
    brief: bool = False  # layers: one table row per type
    everything: bool = False  # diff: unchanged layers too


Renderer = Callable[[Any, Options], Any]


def _json(data: Any) -> str:
    return dumps(data) + "\n"


def _count_table(reports: Sequence[Any], o: Options) -> Any:
    if o.fancy:
        return [rich_table(r, o.depth) for r in reports]
    return "\n".join(plain_table(r, o.depth) for r in reports)


def _count_csv(reports: Sequence[Any], o: Options) -> str:
    texts = [report.csv_text(r) for r in reports]
    return "".join(t if i == 0 else t.split("\n", 1)[1] for i, t in enumerate(texts))


RENDERERS: dict[str, dict[str, Renderer]] = {
    "count": {
        "table": _count_table,
        "json": lambda rs, o: json_parts(list(rs), as_list=o.many),
        "csv": _count_csv,
        "markdown": lambda rs, o: "\n".join(report.markdown(r, o.depth) for r in rs),
    },
    "explain": {
        "table": lambda es, o: explain.explain_text(es),
        "json": lambda es, o: explain.explain_json(es, o.many),
    },
    "rf": {
        "table": lambda rs, o: fields.rf_table(rs, o.depth),
        "json": lambda rs, o: fields.rf_json(rs, o.many),
        "csv": lambda rs, o: fields.rf_csv(rs),
        "markdown": lambda rs, o: fields.rf_markdown(rs, o.depth),
    },
    "compare": {
        "table": lambda rs, o: compare.compare_table(rs),
        "json": lambda rs, o: _json(compare.compare_data(rs)),
        "csv": lambda rs, o: compare.compare_csv(rs),
        "markdown": lambda rs, o: compare.compare_markdown(rs),
    },
    "convention": {
        "table": lambda rs, o: conventions.convention_text(rs),
        "json": lambda rs, o: conventions.convention_json(rs, o.many),
        "csv": lambda rs, o: conventions.convention_csv(rs),
        "markdown": lambda rs, o: conventions.convention_markdown(rs),
    },
    "check": {
        "table": lambda cs, o: budget.budget_text(cs),
        "json": lambda cs, o: budget.budget_json(cs, o.many),
        "markdown": lambda cs, o: budget.budget_markdown(cs),
    },
    "train": {
        "table": lambda ts, o: training.training_text(ts),
        "json": lambda ts, o: training.training_json(ts, o.many),
        "markdown": lambda ts, o: training.training_markdown(ts),
    },
    "sweep": {
        "table": lambda s, o: sweep.sweep_table(s),
        "json": lambda s, o: sweep.sweep_json(s),
        "csv": lambda s, o: sweep.sweep_csv(s),
        "markdown": lambda s, o: sweep.sweep_markdown(s),
    },
    "diff": {
        "table": lambda d, o: diff.diff_table(d, o.everything),
        "json": lambda d, o: diff.diff_json(d),
        "markdown": lambda d, o: diff.diff_markdown(d, o.everything),
    },
    "diagram": {
        "svg": lambda d, o: diagram.to_svg(d),
        "dot": lambda d, o: diagram.to_dot(d),
        "mermaid": lambda d, o: diagram.to_mermaid(d),
    },
    "zoo": {
        "table": lambda rs, o: zoo.zoo_table(rs, list(o.names)),
        "json": lambda rs, o: _json(compare.compare_data(rs)["specs"]),
        "csv": lambda rs, o: zoo.zoo_text(rs, list(o.names)),
        "markdown": lambda rs, o: zoo.zoo_text(rs, list(o.names), markdown=True),
    },
    "layers": {
        "table": lambda es, o: catalog.catalog_text(es),
        "json": lambda es, o: _json(es),
        "csv": lambda es, o: catalog.catalog_csv(es),
        "markdown": lambda es, o: (catalog.catalog_brief if o.brief else catalog.catalog_text)(
            es, **({} if o.brief else {"markdown": True})
        ),
    },
    "schema": {"json": lambda schema, o: _json(schema)},
    "run": {"table": lambda stats, o: runs.run_text(stats), "json": lambda stats, o: _json(stats)},
    "verify": {
        "table": lambda vs, o: "".join(runs.verification_text(v) for v in vs),
        "json": lambda vs, o: _json([v.to_dict() for v in vs] if o.many else vs[0].to_dict()),
    },
    "export": {
        "table": lambda s, o: runs.export_text(s),
        "json": lambda s, o: _json(s),
    },
}
FORMATS: dict[str, tuple[str, ...]] = {command: tuple(r) for command, r in RENDERERS.items()}


def check_format(command: str, fmt: str) -> None:
    """Raise UsageError unless `command` can write `fmt`."""
    if fmt not in RENDERERS[command]:
        raise UsageError(f"{command} does not write {fmt}: use --format {' or '.join(FORMATS[command])}")


def render(command: str, fmt: str, data: Any, options: Options | None = None) -> Any:
    """The output of `command` in format `fmt`: text, a rich renderable, a list of them, or an
    iterator of text parts (count's JSON, written as it is made)."""
    check_format(command, fmt)
    return RENDERERS[command][fmt](data, options or Options())
