"""Every output of every command: one dispatch from (command, format) to a renderer.

A renderer takes the computed data and the Options and returns text, or a rich renderable for a
table on a terminal. Compute first, render last: nothing here computes a figure. A format a command
does not support is a UsageError before any work is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from netcalc.errors import UsageError
from netcalc.lazy import exports
from netcalc.render.jsontext import dumps
from netcalc.units import human  # imports nothing: not worth deferring

if TYPE_CHECKING:
    from netcalc.render.compare import compare_data, compare_table, ratio_text
    from netcalc.render.report import json_parts, json_text, plain_table, rich_table, summary_lines, visible
    from netcalc.render.text import shape_text

# the names re-exported here, by the module that defines them, imported when first asked for: a
# command imports the renderers it writes with, not those of every command (start-up time)
_LAZY = {
    "compare_data": "compare",
    "compare_table": "compare",
    "ratio_text": "compare",
    "json_parts": "report",
    "json_text": "report",
    "plain_table": "report",
    "rich_table": "report",
    "summary_lines": "report",
    "visible": "report",
    "shape_text": "text",
}


__getattr__ = exports("netcalc.render", {k: f"netcalc.render.{m}" for k, m in _LAZY.items()}, globals())


def _module(name: str) -> ModuleType:
    """The renderer module netcalc.render.NAME, imported on first use."""
    return import_module(f"netcalc.render.{name}")


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
        return [_module("report").rich_table(r, o.depth) for r in reports]
    return "\n".join(_module("report").plain_table(r, o.depth) for r in reports)


def _count_csv(reports: Sequence[Any], o: Options) -> str:
    texts = [_module("report").csv_text(r) for r in reports]
    return "".join(t if i == 0 else t.split("\n", 1)[1] for i, t in enumerate(texts))


RENDERERS: dict[str, dict[str, Renderer]] = {
    "count": {
        "table": _count_table,
        "json": lambda rs, o: _module("report").json_parts(list(rs), as_list=o.many),
        "csv": _count_csv,
        "markdown": lambda rs, o: "\n".join(_module("report").markdown(r, o.depth) for r in rs),
    },
    "explain": {
        "table": lambda es, o: _module("explain").explain_text(es),
        "json": lambda es, o: _module("explain").explain_json(es, o.many),
    },
    "rf": {
        "table": lambda rs, o: _module("fields").rf_table(rs, o.depth),
        "json": lambda rs, o: _module("fields").rf_json(rs, o.many),
        "csv": lambda rs, o: _module("fields").rf_csv(rs),
        "markdown": lambda rs, o: _module("fields").rf_markdown(rs, o.depth),
    },
    "compare": {
        "table": lambda rs, o: _module("compare").compare_table(rs),
        "json": lambda rs, o: _json(_module("compare").compare_data(rs)),
        "csv": lambda rs, o: _module("compare").compare_csv(rs),
        "markdown": lambda rs, o: _module("compare").compare_markdown(rs),
    },
    "convention": {
        "table": lambda rs, o: _module("conventions").convention_text(rs),
        "json": lambda rs, o: _module("conventions").convention_json(rs, o.many),
        "csv": lambda rs, o: _module("conventions").convention_csv(rs),
        "markdown": lambda rs, o: _module("conventions").convention_markdown(rs),
    },
    "check": {
        "table": lambda cs, o: _module("budget").budget_text(cs),
        "json": lambda cs, o: _module("budget").budget_json(cs, o.many),
        "markdown": lambda cs, o: _module("budget").budget_markdown(cs),
    },
    "train": {
        "table": lambda ts, o: _module("training").training_text(ts),
        "json": lambda ts, o: _module("training").training_json(ts, o.many),
        "markdown": lambda ts, o: _module("training").training_markdown(ts),
    },
    "sweep": {
        "table": lambda s, o: _module("sweep").sweep_table(s),
        "json": lambda s, o: _module("sweep").sweep_json(s),
        "csv": lambda s, o: _module("sweep").sweep_csv(s),
        "markdown": lambda s, o: _module("sweep").sweep_markdown(s),
    },
    "diff": {
        "table": lambda d, o: _module("diff").diff_table(d, o.everything),
        "json": lambda d, o: _module("diff").diff_json(d),
        "markdown": lambda d, o: _module("diff").diff_markdown(d, o.everything),
    },
    "diagram": {
        "svg": lambda d, o: _module("diagram").to_svg(d),
        "dot": lambda d, o: _module("diagram").to_dot(d),
        "mermaid": lambda d, o: _module("diagram").to_mermaid(d),
    },
    "zoo": {
        "table": lambda rs, o: _module("zoo").zoo_table(rs, list(o.names)),
        "json": lambda rs, o: _json(_module("compare").compare_data(rs)["specs"]),
        "csv": lambda rs, o: _module("zoo").zoo_text(rs, list(o.names)),
        "markdown": lambda rs, o: _module("zoo").zoo_text(rs, list(o.names), markdown=True),
    },
    "layers": {
        "table": lambda es, o: _module("catalog").catalog_text(es),
        "json": lambda es, o: _json(es),
        "csv": lambda es, o: _module("catalog").catalog_csv(es),
        "markdown": lambda es, o: (
            _module("catalog").catalog_brief(es)
            if o.brief
            else _module("catalog").catalog_text(es, markdown=True)
        ),
    },
    "schema": {"json": lambda schema, o: _json(schema)},
    "run": {"table": lambda stats, o: _module("runs").run_text(stats), "json": lambda stats, o: _json(stats)},
    "verify": {
        "table": lambda vs, o: "".join(_module("runs").verification_text(v) for v in vs),
        "json": lambda vs, o: _json([v.to_dict() for v in vs] if o.many else vs[0].to_dict()),
    },
    "export": {
        "table": lambda s, o: _module("runs").export_text(s),
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
