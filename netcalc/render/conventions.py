"""Other tools' totals (count/compare --convention): the lines each tool prints, and exact figures."""

from __future__ import annotations

import io
from typing import Any

from netcalc.render.jsontext import dumps
from netcalc.render.text import CsvWriter


def convention_text(results: list[Any]) -> str:
    """Each network's totals as its tool prints them: 'Total params: 11,689,512'."""
    blocks = []
    for r in results:
        batch = f", batch {r.batch}"
        lines = [f"{r.network} ({r.convention} convention{batch})"]
        width = max(len(k) for k in r.printed)
        lines += [f"  {k + ':':<{width + 1}} {v}" for k, v in r.printed.items()]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def convention_json(results: list[Any], many: bool) -> str:
    """The exact figures and printed lines, one object (or a list for several specs)."""
    data = [r.to_dict() for r in results]
    return dumps(data if many else data[0]) + "\n"


def convention_csv(results: list[Any]) -> str:
    """One row per network: its exact figures."""
    keys = list(results[0].figures)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(["network", "convention", "batch", *keys])
    for r in results:
        writer.writerow([r.network, r.convention, r.batch, *(r.figures[k] for k in keys)])
    return buffer.getvalue()


def convention_markdown(results: list[Any]) -> str:
    """The printed lines side by side, one column per network."""
    keys = list(results[0].printed)
    lines = ["| | " + " | ".join(r.network for r in results) + " |", "|---|" + "---:|" * len(results)]
    lines += [f"| {k} | " + " | ".join(r.printed[k] for r in results) + " |" for k in keys]
    return "\n".join(lines) + "\n"
