"""`netcalc check`: each limit, the figure and the margin, as a table, JSON or markdown."""

from __future__ import annotations

import json
from typing import Any

from netcalc.units import binary

SIGN = {"max": "<=", "min": ">="}


def _value(n: int, unit: str) -> str:
    return f"{n:,} B ({binary(n)})" if unit == "bytes" else f"{n:,}"


def _rows(c: Any) -> list[list[str]]:
    rows = []
    for x in c.limits:
        figure = _value(x.figure, x.unit) + (f" [{x.note}]" if x.note else "")
        status = "ok" if x.ok else "OVER"
        rows.append([f"{x.what} {SIGN[x.bound]}", _value(x.limit, x.unit), figure, f"{x.margin:+,}", status])
    return rows


def budget_text(checks: list[Any]) -> str:
    """One table per spec, and a closing line: every limit holds, or how many do not."""
    blocks = []
    head = ["Limit", "Budget", "Figure", "Margin", ""]
    for c in checks:
        rows = [head, *_rows(c)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [f"{c.name}: budget at batch {c.batch}"]
        for r in rows:
            cells = [
                r[0].ljust(widths[0]),
                *(v.rjust(w) for v, w in zip(r[1:4], widths[1:4], strict=True)),
                r[4],
            ]
            lines.append(("  " + "  ".join(cells)).rstrip())
        over = len(c.over())
        lines.append(f"  {'every limit holds' if not over else f'{over} of {len(c.limits)} limits exceeded'}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def budget_markdown(checks: list[Any]) -> str:
    """The same tables in markdown."""
    parts = []
    for c in checks:
        lines = [
            f"**{c.name}** (batch {c.batch})",
            "",
            "| limit | budget | figure | margin | |",
            "|---|---:|---:|---:|---|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in _rows(c)]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def budget_json(checks: list[Any], many: bool) -> str:
    """Each limit with its figure and margin, one object (or a list for several specs)."""
    data = [c.to_dict() for c in checks]
    return json.dumps(data if many else data[0], indent=2) + "\n"
