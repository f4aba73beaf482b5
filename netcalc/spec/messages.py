"""Validation errors in netcalc's words: one line each, with the file, the line and a fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from netcalc.errors import SpecError
from netcalc.layers import BY_KIND, Layer
from netcalc.spec.arith import ArithError, evaluate
from netcalc.spec.model import Block, Budget, Spec
from netcalc.spec.yamlio import line_of

Loc = tuple[str | int, ...]
TOP_LEVEL_HINTS = {  # the fix for a top-level section of the wrong kind
    "inputs": " — name each input with its shape, like inputs: {tokens: [128], image: [3, 224, 224]}",
    "blocks": " — a block is a mapping with its layers, like blocks: {stem: {layers: [relu]}}",
    "layers": " — write the layers as a list, like layers: [relu, {dense: {units: 10}}]",
    "outputs": " — list layer names, like outputs: [head, aux]",
    "args": " — write the arguments as a mapping, like args: {width: 64}",
}


def nearest(word: str, choices: Iterable[str]) -> str:
    """' — did you mean 'x'?' for a choice that is a likely typo of `word`, or ''.

    A hint must never point to something else that merely looks alike (`embedding` is not a
    `pos_embedding`): a choice qualifies only if a few edits turn the word into it, or it is the
    word with a suffix (`maxpool` -> `maxpool2d`), never the word with something put before it.
    """
    text = str(word)
    for match in difflib.get_close_matches(text, [str(c) for c in choices], n=5, cutoff=0.6):
        if not _parts_alike(text.lower(), match.lower()):
            continue
        if match.startswith(text) or _edits(text.lower(), match.lower()) <= max(1, len(text) // 4):
            return f" — did you mean '{match}'?"
    return ""


def _parts_alike(word: str, match: str) -> bool:
    """Names of as many '_' parts agree part by part: a typo or a shortening (pos, position) of
    each, never a part replaced (`word_embedding` and `tok_embedding` are not `pos_embedding`)."""
    a, b = word.split("_"), match.split("_")
    if len(a) != len(b) or len(a) == 1:
        return True
    return all(
        x.startswith(y) or y.startswith(x) or _edits(x, y) <= max(1, len(y) // 3)
        for x, y in zip(a, b, strict=True)
    )


def _edits(a: str, b: str) -> int:
    """Levenshtein distance with transpositions (optimal string alignment), for short words."""
    if abs(len(a) - len(b)) > 3:
        return 4
    previous, current = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        before, previous, current = previous, current, [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
    return current[-1]


def problem(error: ErrorDetails, fields: dict[str, list[str]]) -> tuple[Loc, str]:
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
    if error["type"] == "tuple_type":  # a fixed sequence in the model is a list in YAML
        message = "input should be a list"
    shown = error.get("input")
    if error["type"].startswith("value_error"):
        return loc, f"{field}: {message}" if field and field != "__root__" else message
    got = _shown(shown)
    hint = _arithmetic_hint(shown) or fix(error, field)
    return loc, f"{field}: {message[0].lower()}{message[1:]} (got {got}){hint}"


def _shown(value: Any) -> str:
    """A value as written, cut short (a mapping given where a word belongs can be long)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fix(error: ErrorDetails, field: str) -> str:
    """' — how to fix it' for a pydantic error of a field, by the kind of error ('' when the
    message carries its own fix)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    bounds = {
        "greater_than": ("gt", "above {}"),
        "greater_than_equal": ("ge", "to {} or more"),
        "less_than": ("lt", "below {}"),
        "less_than_equal": ("le", "to {} or less"),
    }
    if kind in bounds:
        key, text = bounds[kind]
        limit = ctx.get(key)
        if kind == "greater_than" and type(limit) is int and type(error.get("input")) is int:
            text, limit = "to {} or more", limit + 1  # a whole number above 0: 1 or more
        return f" — set {field} {text.format(limit)}"
    if kind == "literal_error":
        first = re.search(r"'([^']*)'", str(ctx.get("expected", "")))
        return f" — write one of them, like {field}: {first.group(1)}" if first else ""
    hints = {
        "int": "write a whole number",
        "float": "write a number",
        "bool": "write true or false",
        "string": "write a word (in quotes if it reads as a number)",
        "list": "write a list in brackets, like [1, 2]",
        "tuple": "write a list in brackets, like [1, 2]",
        "dict": "write a mapping in braces, like {name: value}",
        "too": "give at least one",
    }
    for prefix, hint in hints.items():
        if kind.startswith(prefix):
            return f" — {hint}"
    return ""


def _arithmetic_hint(value: Any) -> str:
    """For text like '8 // 2' where a number belongs: arithmetic is only read in $expressions."""
    if not isinstance(value, str) or "$" in value or len(value) > 200:
        return ""
    try:
        number = evaluate(value, {})
    except ArithError:
        return ""
    return (
        f" — arithmetic is evaluated only in expressions over $arguments (like '$width // 2'); "
        f"write the number: {number}"
    )


def field_names(model: type[BaseModel]) -> dict[str, list[str]]:
    """Each field's canonical name with its aliases."""
    names: dict[str, list[str]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        aliases = getattr(info.validation_alias, "choices", None) or []
        names[key] = [key, *[a for a in aliases if isinstance(a, str)]]
    return names


def validate_layer(kind: str, args: dict[str, Any], where: str, label: str) -> Layer:
    """Build a layer model from spec arguments, or raise SpecError with one line per problem."""
    cls = BY_KIND[kind]
    try:
        return cls.model_validate(args)
    except ValidationError as error:
        raise layer_error(cls, error, where, label) from None


def layer_error(cls: type[Layer], error: ValidationError, where: str, label: str) -> SpecError:
    """A layer's validation errors as a SpecError, one line per argument."""
    fields = field_names(cls)
    seen: set[Loc] = set()
    lines: list[str] = []
    typos = {str(e["loc"][0]) for e in error.errors() if e["type"] == "extra_forbidden"}
    # a union field (padding: 'same' | int | list) fails once per member: the constraint that
    # the value almost met (>= 0, < 1) says more than "should be 'valid' or 'same'"
    for item in sorted(error.errors(), key=_specific_first):
        if item["type"] == "missing" and any(nearest(t, fields[str(item["loc"][0])]) for t in typos):
            continue  # the misspelt argument's message already names it
        loc, message = problem(item, fields)
        if loc[:1] not in seen:
            seen.add(loc[:1])
            lines.append(f"{where}: {label}: {message}")
    return SpecError("\n".join(lines))


def _specific_first(error: ErrorDetails) -> int:
    kind = error["type"]
    return 0 if kind.startswith(("greater", "less", "too_", "value_error")) else 1


def top_level_message(error: ValidationError, raw: dict[str, Any], origin: str) -> str:
    lines = []
    typos = [str(e["loc"][-1]) for e in error.errors() if e["type"] == "extra_forbidden"]
    errors = error.errors()
    itemized = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
    for item in errors:
        if item["type"] == "too_short" and tuple(item["loc"]) in itemized:
            continue  # every item was wrong: those messages say it, "needs an item" would mislead
        loc = _data_path(raw, tuple(item["loc"]))
        if item["type"] == "missing" and loc[-1:] != tuple(item["loc"])[-1:]:
            loc = (*loc, item["loc"][-1])  # the missing key itself: blocks.a.layers
        if item["type"] == "missing" and any(nearest(t, [str(loc[-1])]) for t in typos):
            continue  # the misspelt key's message already suggests it
        line = line_of(raw, loc)
        where = f"{origin}:{line}" if line else origin
        path = ".".join(map(str, loc))
        if item["type"] == "extra_forbidden":
            sections: dict[str, type[BaseModel]] = {"blocks": Block, "budget": Budget}
            known = sections.get(str(loc[0]), Spec).model_fields if len(loc) > 1 else Spec.model_fields
            lines.append(f"{where}: unknown key '{loc[-1]}'{nearest(str(loc[-1]), known)}")
        elif item["type"] == "missing":
            lines.append(f"{where}: missing '{path}'")
        elif path.startswith("layers.") or ".layers." in path:
            lines.append(
                f"{where}: {path}: a layer is a name like 'relu' or a mapping like "
                "'conv2d: {filters: 8, kernel: 3}'"
            )
        elif item["type"] == "too_short":
            lines.append(f"{where}: {path}: needs at least one item — add one")
        elif path.endswith(".args"):
            lines.append(
                f"{where}: {path}: a block's args are a mapping of defaults like "
                "'{filters: 16}' or a list of required names like '[filters]'"
            )
        elif loc[:1] == ("budget",) and len(loc) == 2:
            lines.append(f"{where}: {path}: {_budget_hint(item)}")
        elif loc[:1] in (("args",), ("inputs",), ("name",)) and item["type"] == "value_error":
            lines.append(f"{where}: {loc[0]}: {item['msg'].removeprefix('Value error, ')}")
        elif not loc and item["type"] == "value_error":  # the spec as a whole
            lines.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        elif path.startswith("inputs."):
            lines.append(
                f"{where}: {path}: a list of positive sizes, channels first, like "
                f"[128] or [3, 224, 224] (got {item.get('input')!r})"
            )
        elif path == "input":
            lines.append(
                f"{where}: input: a list of positive sizes, channels first, like "
                f"[3, 224, 224] (got {item.get('input')!r})"
            )
        else:
            hint = TOP_LEVEL_HINTS.get(str(loc[0]) if len(loc) < 3 else "") or fix(item, path)
            message = re.sub(r" or instance of \w+", "", item["msg"])  # pydantic's class names
            lines.append(f"{where}: {path}: {message} (got {_shown(item.get('input'))}){hint}")
    return "\n".join(dict.fromkeys(lines))


def _budget_hint(item: ErrorDetails) -> str:
    """What a budget limit takes: the parser's own words, or the forms it accepts."""
    if item["type"] == "value_error":
        return item["msg"].removeprefix("Value error, ")
    field = str(item["loc"][1])
    if field == "min_rf":
        return f"takes a positive whole number of input positions like 200 (got {item.get('input')!r})"
    example = "16GiB" if "memory" in field else "5M"
    return f"takes a positive whole number or a size like {example} (got {item.get('input')!r})"


def _data_path(raw: Any, loc: Loc) -> Loc:
    """The part of a pydantic error location that names keys and items of the data itself
    (pydantic adds the names of union members, such as 'list[str]', which users never wrote)."""
    path: list[str | int] = []
    node = raw
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
        raise SpecError(top_level_message(error, data, origin)) from None
    spec._source, spec._raw, spec._input = origin, raw, written
    return spec
