"""The `netcalc layers` listing as text, markdown or CSV."""

from __future__ import annotations

from typing import Any


def catalog_text(entries: list[dict[str, Any]], markdown: bool = False) -> str:
    """Plain text (or markdown) listing of layer types and their arguments."""
    lines = []
    for e in entries:
        lines.append(f"### {e['type']}" if markdown else e["type"])
        doc = [" ".join(part.split()) for part in e["doc"].split("\n\n")]
        lines.extend(doc if markdown else [f"    {part}" for part in doc])
        for a in e["arguments"]:
            default = "required" if a["required"] else f"default {a['default']!r}"
            alias = f" (also: {', '.join(a['aliases'])})" if a["aliases"] else ""
            bullet = "- " if markdown else "    "
            lines.append(f"{bullet}{a['name']}: {default}{alias} — {a['help']}")
        lines.append("")
    lines.append(
        "Every layer (and block use) also takes name:, from:, training_only:, trainable: and when:; "
        "a block use takes repeat:; dense, convolution and embedding layers take share: (and share_tensors:)."
    )
    return "\n".join(lines) + "\n"


def catalog_brief(entries: list[dict[str, Any]]) -> str:
    """One markdown table row per layer type: its arguments with defaults, and its summary."""
    lines = ["| type | arguments (defaults) | what it computes |", "|---|---|---|"]
    for e in entries:
        args = ", ".join(
            f"`{a['name']}`" if a["required"] else f"`{a['name']}` ({_default(a['default'])})"
            for a in e["arguments"]
        )
        summary = " ".join(e["doc"].split("\n\n")[0].split()).replace("|", "\\|")
        lines.append(f"| `{e['type']}` | {args or '-'} | {summary} |")
    return "\n".join(lines) + "\n"


def _default(value: Any) -> str:
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def catalog_csv(entries: list[dict[str, Any]]) -> str:
    """One CSV line per argument of each layer type."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["type", "argument", "required", "default", "aliases", "help"])
    for e in entries:
        for a in e["arguments"]:
            writer.writerow(
                [e["type"], a["name"], a["required"], a["default"], " ".join(a["aliases"]), a["help"]]
            )
    return buffer.getvalue()
