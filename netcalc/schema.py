"""The JSON Schema of a spec file, built from the pydantic models (for editors)."""

from __future__ import annotations

from typing import Any

from netcalc.layers import LAYERS, Layer
from netcalc.spec import Block, Spec
from netcalc.spec.model import Budget

EXPRESSION = {"type": "string", "pattern": "\\$", "description": "a $argument expression"}


def layer_schema(cls: type[Layer]) -> dict[str, Any]:
    """Arguments of one layer type, each also accepting a $argument expression."""
    schema: dict[str, Any] = cls.model_json_schema()
    schema.pop("title", None)
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        properties[name] = {"anyOf": [prop, EXPRESSION], "description": prop.get("description", "")}
    properties["when"] = {  # read by the expansion, not the layer: false skips the entry
        "anyOf": [{"type": "boolean"}, EXPRESSION],
        "description": "false (or a condition like '$index == 0' that is false): no layer here; "
        "its name gives its input",
    }
    schema["properties"] = properties
    return schema


def spec_schema() -> dict[str, Any]:
    """The whole JSON Schema: top level, blocks, and one entry form per layer type."""
    entry = {
        "anyOf": [
            {
                "type": "string",
                "description": "a layer without arguments, or a block use",
                "examples": [cls.kind for cls in LAYERS],
            },
            *[
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [cls.kind],
                    "properties": {cls.kind: {"anyOf": [layer_schema(cls), {"type": "null"}]}},
                    "description": (cls.__doc__ or "").strip().splitlines()[0],
                }
                for cls in LAYERS
            ],
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "description": "a block use: {block_name: {args..., repeat: N, name: x, from: y}}",
            },
        ]
    }
    top = Spec.model_json_schema()
    top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    top["title"] = "netcalc spec"
    top["properties"]["layers"] = {
        "type": "array",
        "minItems": 1,
        "items": entry,
        "description": "the network, in order",
    }
    # sizes may be expressions: `input: [1, $size, $size]` once args: declares size
    size = {"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, EXPRESSION]}
    shape = {"type": "array", "minItems": 1, "items": size}
    top["properties"]["input"] = {**shape, "description": top["properties"]["input"]["description"]}
    top["properties"]["inputs"] = {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": "^[A-Za-z_]\\w*$"},
        "additionalProperties": shape,
        "description": top["properties"]["inputs"]["description"],
    }
    top["properties"]["outputs"] = {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string"},
        "description": top["properties"]["outputs"]["description"],
    }
    top["oneOf"] = [{"required": ["input"]}, {"required": ["inputs"]}]  # one form, never both
    top["properties"]["args"]["additionalProperties"] = {"type": ["integer", "number", "string", "boolean"]}
    block = Block.model_json_schema()
    block["properties"]["layers"] = {"type": "array", "minItems": 1, "items": entry}
    top["properties"]["blocks"] = {
        "type": "object",
        "additionalProperties": block,
        "description": "reusable blocks",
    }
    budget = Budget.model_json_schema()
    budget.pop("title", None)
    top["properties"]["budget"] = {"anyOf": [budget, {"type": "null"}], "description": budget["description"]}
    top.pop("$defs", None)
    return top
