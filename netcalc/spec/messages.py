"""Validation errors in netcalc's words: one line each, with the file, the line and a fix."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from netcalc.errors import SpecError
from netcalc.layers import BY_KIND, Layer
from netcalc.spec.model import Block, Spec
from netcalc.spec.yamlio import line_of


def nearest(word: str, choices) -> str:
    """' — did you mean 'x'?' for the closest choice, or ''."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" — did you mean '{match[0]}'?" if match else ""


def problem(error: dict, fields: dict[str, list[str]]) -> tuple[tuple, str]:
    """One pydantic error as (location, message) in netcalc's words."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
    loc = tuple(p for p in loc if p not in {"constrained-int", "list", "tuple", "str", "dict"})
    field = str(loc[0]) if loc else ""
    if error["type"] == "extra_forbidden":
        names = [n for aliases in fields.values() for n in aliases]
        return loc, f"unknown argument '{field}'{nearest(field, names) or ' — valid: ' + ', '.join(fields)}"
    if error["type"] == "missing":
        return loc, f"missing argument '{field}'"
    message = error["msg"].removeprefix("Value error, ")
    shown = error.get("input")
    if error["type"].startswith("value_error") or isinstance(shown, dict):
        return loc, f"{field}: {message}" if field and field != "__root__" else message
    return loc, f"{field}: {message[0].lower()}{message[1:]} (got {shown!r})"


def field_names(model: type[BaseModel]) -> dict[str, list[str]]:
    """Each field's canonical name with its aliases."""
    names = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        aliases = getattr(info.validation_alias, "choices", None) or []
        names[key] = [key, *[a for a in aliases if isinstance(a, str)]]
    return names


def validate_layer(kind: str, args: dict, where: str, label: str) -> Layer:
    """Build a layer model from spec arguments, or raise SpecError with one line per problem."""
    cls = BY_KIND[kind]
    try:
        return cls.model_validate(args)
    except ValidationError as error:
        fields = field_names(cls)
        seen, lines = set(), []
        typos = {str(e["loc"][0]) for e in error.errors() if e["type"] == "extra_forbidden"}
        # a union field (padding: 'same' | int | list) fails once per member: the constraint that
        # the value almost met (>= 0, < 1) says more than "should be 'valid' or 'same'"
        for item in sorted(error.errors(), key=_specific_first):
            if item["type"] == "missing" and any(nearest(t, fields[item["loc"][0]]) for t in typos):
                continue  # the misspelt argument's message already names it
            loc, message = problem(item, fields)
            if loc[:1] not in seen:
                seen.add(loc[:1])
                lines.append(f"{where}: {label}: {message}")
        raise SpecError("\n".join(lines)) from None


def _specific_first(error: dict) -> int:
    kind = error["type"]
    return 0 if kind.startswith(("greater", "less", "too_", "value_error")) else 1


def _top_level_message(error: ValidationError, raw: dict, origin: str) -> str:
    lines = []
    typos = [str(e["loc"][-1]) for e in error.errors() if e["type"] == "extra_forbidden"]
    for item in error.errors():
        loc = _data_path(raw, tuple(item["loc"]))
        if item["type"] == "missing" and any(nearest(t, [loc[-1]]) for t in typos):
            continue  # the misspelt key's message already suggests it
        line = line_of(raw, loc)
        where = f"{origin}:{line}" if line else origin
        path = ".".join(map(str, loc))
        if item["type"] == "extra_forbidden":
            known = Block.model_fields if "blocks" in loc[:1] else Spec.model_fields
            lines.append(f"{where}: unknown key '{loc[-1]}'{nearest(loc[-1], known)}")
        elif item["type"] == "missing":
            lines.append(f"{where}: missing '{path}'")
        elif path.startswith("layers.") or ".layers." in path:
            lines.append(
                f"{where}: {path}: a layer is a name like 'relu' or a mapping like "
                "'conv2d: {filters: 8, kernel: 3}'"
            )
        elif item["type"] == "too_short":
            lines.append(f"{where}: {path}: needs at least one item")
        elif path.endswith(".args"):
            lines.append(
                f"{where}: {path}: a block's args are a mapping of defaults like "
                "'{filters: 16}' or a list of required names like '[filters]'"
            )
        elif loc[:1] == ("args",) and item["type"] == "value_error":
            lines.append(f"{where}: args: {item['msg'].removeprefix('Value error, ')}")
        elif path == "input":
            lines.append(
                f"{where}: input: a list of positive sizes, channels first, like "
                f"[3, 224, 224] (got {item.get('input')!r})"
            )
        else:
            lines.append(f"{where}: {path}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(dict.fromkeys(lines))


def _data_path(raw: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names keys and items of the data itself
    (pydantic adds the names of union members, such as 'list[str]', which users never wrote)."""
    path, node = [], raw
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict | list) or path:
            continue
        path.append(part)
    return tuple(path) or loc


def validate_spec(raw: Any, origin: str) -> Spec:
    """The Spec model of raw spec data, or a SpecError with one line per problem."""
    if not isinstance(raw, dict):
        raise SpecError(f"{origin}: a spec is a mapping with at least 'input' and 'layers'")
    from netcalc.spec.args import with_default_input

    data, written = with_default_input(raw, origin)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as error:
        raise SpecError(_top_level_message(error, data, origin)) from None
    spec._source, spec._raw, spec._input = origin, raw, written
    return spec
