"""A diff as tables (terminal), Markdown (for a code review) or JSON: layer changes, then totals."""

from __future__ import annotations

import json
from typing import Any

from netcalc.explore.diff import Diff, LayerChange
from netcalc.render.compare import ratio_text
from netcalc.render.text import inputs_text, shape_text

MARKS = {"added": "+", "removed": "-", "changed": "~", "unchanged": " "}
LAYER_HEADER = ["", "Layer", "Type", "Output shape", "Params", "Δ params", "MACs", "Δ MACs", "What changed"]
TOTAL_HEADER = ["Total", "A", "B", "Δ (B - A)", "B / A"]


def _pair(a: str | None, b: str | None) -> str:
    if a is None or b is None or a == b:
        return a if b is None else b  # type: ignore[return-value]
    return f"{a} → {b}"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def layer_cells(c: LayerChange) -> list[str]:
    """One aligned pair as text cells: name, type, shape, params and MACs from A to B."""
    a, b = c.a, c.b

    def figure(key: str) -> str:
        first = f"{c.figure(key, 'a'):,}" if a else None
        second = f"{c.figure(key, 'b'):,}" if b else None
        return _pair(first, second)

    return [
        MARKS[c.status],
        _pair(a.name if a else None, b.name if b else None),
        _pair(a.kind if a else None, b.kind if b else None),
        _pair(shape_text(a.output_shape) if a else None, shape_text(b.output_shape) if b else None),
        figure("params"),
        _signed(c.delta("params")),
        figure("macs"),
        _signed(c.delta("macs")),
        c.status if c.status in ("added", "removed") else ", ".join(c.what),
    ]


def rows(d: Diff, everything: bool) -> list[list[str]]:
    """The layer table's rows: the changes, or every pair."""
    return [layer_cells(c) for c in d.layers if everything or c.status != "unchanged"]


def total_cells(d: Diff) -> list[list[str]]:
    """The totals of A and B with B - A and B / A."""
    return [[t.label, f"{t.a:,}", f"{t.b:,}", _signed(t.delta), ratio_text(t.b, t.a)] for t in d.totals]


def title(d: Diff) -> str:
    """A line naming both sides and counting the changes."""
    n = d.counts()
    return (
        f"netcalc diff: A = {d.a.name} {inputs_text(d.a)} ({d.a.source}), "
        f"B = {d.b.name} {inputs_text(d.b)} ({d.b.source}): "
        f"{n['changed']} changed, {n['added']} added, {n['removed']} removed, "
        f"{n['unchanged']} unchanged layers"
    )


def diff_table(d: Diff, everything: bool = False) -> list[Any]:
    """Rich tables: the layer changes (when there are any to show) and the totals."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [title(d) + "\n"]
    shown = rows(d, everything)
    if shown:
        layers = Table(box=box.SIMPLE_HEAD, title="Layers", title_justify="left")
        for i, name in enumerate(LAYER_HEADER):
            layers.add_column(Text(name), justify="right" if i in (4, 5, 6, 7) else "left")
        for row in shown:
            layers.add_row(*map(Text, row))
        out.append(layers)
    totals = Table(box=box.SIMPLE_HEAD, title="Totals", title_justify="left")
    for i, name in enumerate(TOTAL_HEADER):
        totals.add_column(Text(name), justify="left" if i == 0 else "right")
    for row in total_cells(d):
        totals.add_row(*map(Text, row))
    out.append(totals)
    return out


def _markdown_table(header: list[str], body: list[list[str]], right: set[int]) -> list[str]:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(escape(c) if c.strip() else " " for c in row) + " |" for row in body]
    return lines


def diff_markdown(d: Diff, everything: bool = False) -> str:
    """The diff as Markdown: a heading line, the layer changes and the totals."""
    lines = [f"**{title(d)}**", ""]
    shown = rows(d, everything)
    if shown:
        lines += _markdown_table(LAYER_HEADER, shown, {4, 5, 6, 7}) + [""]
    lines += _markdown_table(TOTAL_HEADER, total_cells(d), {1, 2, 3, 4})
    return "\n".join(lines) + "\n"


def diff_json(d: Diff) -> str:
    """The diff's JSON form."""
    return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
