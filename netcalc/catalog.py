"""The `netcalc layers` listing, read from the layer models themselves."""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticUndefined

from netcalc.errors import SpecError
from netcalc.layers import BY_KIND, LAYERS, Layer
from netcalc.layers.base import input_range
from netcalc.spec import nearest

COMMON = ("name", "source", "training_only", "trainable", "share", "share_tensors")


def describe(cls: type[Layer]) -> dict[str, Any]:
    """One layer type: kind, summary, formula, arguments with defaults and aliases."""
    args: list[dict[str, Any]] = []
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
        "inputs": _inputs(cls),
        "arguments": args,
    }


def _inputs(cls: type[Layer]) -> str:
    words = {1: "one", 2: "two"}
    fewest, most = input_range(cls)
    if most is None:
        return f"{words[fewest]} or more"
    return words[fewest] if fewest == most else f"{words[fewest]} or {words[most]}"


def catalog(kinds: list[str]) -> list[dict[str, Any]]:
    """Descriptions of the named layer types, or of all of them."""
    for kind in kinds:
        if kind not in BY_KIND:
            raise SpecError(f"unknown layer type '{kind}'{nearest(kind, BY_KIND)}")
    return [describe(cls) for cls in LAYERS if not kinds or cls.kind in kinds]
