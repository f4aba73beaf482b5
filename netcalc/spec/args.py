"""Spec arguments: `args: {size: 256}` at the top of a spec, `$size` anywhere, `--set size=512`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netcalc.errors import SpecError, UsageError
from netcalc.spec.arith import _NAME as NAME
from netcalc.spec.arith import ArithError, substitute
from netcalc.spec.messages import nearest
from netcalc.spec.model import ARG_NAME, Spec
from netcalc.spec.yamlio import LineDict, LineList, copy_lines, line_of

Value = int | float | str | bool
MAX_RANK = 16  # no tensor netcalc knows has more axes; bounds what --input parses


def has_arguments(value: Any) -> bool:
    """Whether a raw value mentions a `$name` anywhere."""
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, list | tuple):
        return any(has_arguments(v) for v in value)
    return False


def with_default_input(raw: Any, origin: str) -> tuple[Any, Any]:
    """(the raw spec with `input` (or `inputs`) computed from its args' defaults, the input as
    written or None).

    Only the input needs this before validation: layers take their arguments when expanded."""
    if not isinstance(raw, dict):
        return raw, None
    key = "inputs" if "inputs" in raw and "input" not in raw else "input"
    written = raw.get(key)
    if not _mentions_arguments(written):
        return raw, None
    args = raw.get("args")
    try:
        shape = _substituted(written, dict(args) if isinstance(args, dict) else {})
    except ArithError as error:
        line = line_of(raw, (key,))
        where = f"{origin}:{line}" if line else origin
        raise SpecError(f"{where}: {key}: {error} — declare it under args: at the top") from None
    data = LineDict(raw)
    data.lines = copy_lines(getattr(raw, "lines", {}))
    data[key] = shape
    return data, written


def _mentions_arguments(written: Any) -> bool:
    if isinstance(written, dict):
        return any(has_arguments(v) for v in written.values())
    return has_arguments(written)


def _substituted(written: Any, args: dict[str, Any]) -> Any:
    """An input shape (or a mapping of them) with its $arguments substituted, line numbers kept."""
    if isinstance(written, dict):
        data = LineDict({k: _substituted(v, args) for k, v in written.items()})
        data.lines = copy_lines(getattr(written, "lines", {}))
        return data
    shape = substitute(written, args)
    if isinstance(written, LineList):
        copied = LineList(shape)
        copied.lines = list(written.lines)
        return copied
    return shape


def layer_arguments(spec: Spec) -> set[str]:
    """The $names the spec's layers and blocks mention (the input's are not among them)."""
    found: set[str] = set()
    _mentions([spec.layers, [(b.args, b.layers) for b in spec.blocks.values()]], found)
    return found


def _mentions(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.update(NAME.findall(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _mentions(key, found)
            _mentions(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _mentions(item, found)


def parse_value(text: str) -> Value:
    """A --set value as the spec would hold it: a whole number, a number, true/false, or a word."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def parse_shape(text: str | Sequence[int]) -> tuple[int, ...]:
    """An input shape from '3x512x512' (or a list of sizes), every size a positive whole number."""
    parts: Sequence[Any] = text.lower().split("x") if isinstance(text, str) else text
    if not 1 <= len(parts) <= MAX_RANK:
        raise UsageError(f"--input {text}: give 1 to {MAX_RANK} sizes like 3x224x224")
    shape = []
    for part in parts:
        try:
            size = int(part)
        except (TypeError, ValueError):
            size = 0
        if size < 1 or (not isinstance(part, str) and type(part) is not int):
            raise UsageError(f"--input {text}: sizes are positive whole numbers, like 3x224x224")
        shape.append(size)
    return tuple(shape)


def bind(spec: Spec, args: Mapping[str, Any] | None = None, input: Any = None) -> Spec:
    """The spec with some arguments set and, optionally, another input shape (never re-validated)."""
    if args is not None and not isinstance(args, Mapping):
        raise UsageError(
            f"args is a mapping of argument names to values, like {{'size': 512}} (got {args!r:.60})"
        )
    if not args and input is None:
        return spec
    values = dict(spec.args)
    for name, value in (args or {}).items():
        if name not in values:
            known = ", ".join(values) or "none (declare them under args: at the top of the spec)"
            raise UsageError(
                f"{spec.source}: no argument '{name}' to set{nearest(name, values)} — its arguments: {known}"
            )
        if type(value) not in (int, float, str, bool):
            raise UsageError(f"argument '{name}': a value is a number or a word (got {value!r})")
        values[name] = value
    if spec.inputs is not None:
        if input is not None:
            raise UsageError(
                f"{spec.source}: --input sets the one input's shape, but this spec has named "
                f"inputs ({', '.join(spec.inputs)}) — size them through its args: with --set"
            )
        template = spec.input_template
        shapes = {k: _input_of(spec, values, ("inputs", k), template[k]) for k in spec.inputs}
        return spec.model_copy(update={"args": values, "inputs": shapes})
    if input is not None:
        shape = parse_shape(input)
    else:
        shape = _input_of(spec, values, ("input",), spec.input_template)
    return spec.model_copy(update={"args": values, "input": shape})


def _input_of(spec: Spec, values: dict[str, Any], loc: tuple[str, ...], template: Any) -> tuple[int, ...]:
    """An input shape at these argument values, checked as validation would."""
    if not has_arguments(template):
        return tuple(template)
    shape = substitute(template, values)  # the defaults substituted once already: names are known
    if not all(type(s) is int and s > 0 for s in shape):
        set_ = ", ".join(f"{k}={v}" for k, v in values.items())
        raise UsageError(
            f"{spec.where(loc)}: {'.'.join(loc)} {_shown(template)} is {shape} with {set_} "
            "— sizes must be positive whole numbers"
        )
    return tuple(shape)


def _shown(template: Any) -> str:
    return "[" + ", ".join(str(v) for v in template) + "]"


__all__ = [
    "ARG_NAME",
    "bind",
    "has_arguments",
    "layer_arguments",
    "parse_shape",
    "parse_value",
    "with_default_input",
]
