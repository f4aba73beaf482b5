"""JSON text exactly as `json.dumps(data, indent=2)` writes it, without its generator per value.

With `indent`, Python's json module skips its C encoder and yields every value from a pure-Python
generator, which was most of `--format json`'s time on a large network. Here the nesting is walked
by one recursive function that appends to a list; strings are escaped by the C helper the json
module itself uses, numbers are written by their own repr as json does, and a list of whole numbers
(a shape) is written by one join. Anything else (a key that is not text, a float subclass, a value
json would refuse) goes back to json.dumps, so the text is always the json module's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _text  # the C helper when it is built
from typing import Any

_INDENTS = ["\n" + "  " * depth for depth in range(64)]
_MAX_DEPTH = len(_INDENTS) - 2


class _Other(Exception):
    """A value this writer leaves to json.dumps."""


def dumps(data: Any) -> str:
    """`json.dumps(data, indent=2)`, byte for byte."""
    parts: list[str] = []
    try:
        _value(data, 0, parts.append)
    except _Other:
        return json.dumps(data, indent=2)
    return "".join(parts)


def _value(value: Any, depth: int, out: Callable[[str], None]) -> None:
    kind = type(value)
    if kind is str:
        out(_text(value))
    elif kind is int:
        out(int.__repr__(value))
    elif kind is list or kind is tuple:
        _array(value, depth, out)
    elif kind is dict:
        _object(value, depth, out)
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is float and value == value and value not in (float("inf"), float("-inf")):
        out(float.__repr__(value))
    else:
        raise _Other


def _array(items: Any, depth: int, out: Callable[[str], None]) -> None:
    if not items:
        out("[]")
        return
    if depth > _MAX_DEPTH:
        raise _Other
    inner, outer = _INDENTS[depth + 1], _INDENTS[depth]
    if all(type(v) is int for v in items):  # a shape or a list of indices: one join
        out("[" + inner + ("," + inner).join(map(int.__repr__, items)) + outer + "]")
        return
    out("[")
    separator = inner
    for item in items:
        out(separator)
        _value(item, depth + 1, out)
        separator = "," + inner
    out(outer + "]")


def _object(items: dict[Any, Any], depth: int, out: Callable[[str], None]) -> None:
    if not items:
        out("{}")
        return
    if depth > _MAX_DEPTH:
        raise _Other
    inner, outer = _INDENTS[depth + 1], _INDENTS[depth]
    out("{")
    separator = inner
    for key, item in items.items():
        if type(key) is not str:
            raise _Other
        out(separator + _text(key) + ": ")
        _value(item, depth + 1, out)
        separator = "," + inner
    out(outer + "}")
