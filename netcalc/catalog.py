"""The `netcalc layers` listing, read from the layer models themselves."""

from __future__ import annotations

from pydantic_core import PydanticUndefined

from netcalc.errors import SpecError
from netcalc.layers import BY_KIND, LAYERS
from netcalc.spec import nearest

COMMON = ("name", "source", "training_only")


def _type_text(annotation) -> str:
    text = str(annotation).replace("typing.", "").replace("Annotated[int, Strict(strict=True), ", "")
    return text.replace("<class '", "").replace("'>", "")


def describe(cls) -> dict:
    """One layer type: kind, summary, formula, arguments with defaults and aliases."""
    args = []
    for name, info in cls.model_fields.items():
        if name in COMMON:
            continue
        aliases = [a for a in getattr(info.validation_alias, "choices", []) or [] if a != name]
        default = None if info.default is PydanticUndefined else info.default
        args.append(
            {
                "name": name,
                "required": info.is_required(),
                "default": default,
                "aliases": aliases,
                "help": info.description or "",
            }
        )
    doc = (cls.__doc__ or "").strip()
    return {
        "type": cls.kind,
        "summary": doc.splitlines()[0] if doc else "",
        "doc": doc,
        "inputs": "two or more" if cls.arity is None else "one",
        "arguments": args,
    }


def catalog(kinds: list[str]) -> list[dict]:
    """Descriptions of the named layer types, or of all of them."""
    for kind in kinds:
        if kind not in BY_KIND:
            raise SpecError(f"unknown layer type '{kind}'{nearest(kind, BY_KIND)}")
    return [describe(cls) for cls in LAYERS if not kinds or cls.kind in kinds]


def catalog_text(entries: list[dict], markdown: bool = False) -> str:
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
    lines.append("Every layer (and block use) also takes name:, from: and training_only:.")
    return "\n".join(lines) + "\n"


def catalog_csv(entries: list[dict]) -> str:
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
