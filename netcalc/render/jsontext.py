"""JSON text exactly as `json.dumps(data, indent=2)` writes it, faster, and in parts if asked.

With `indent`, Python's json module skips its C encoder and yields every value from a pure-Python
generator, which was most of `--format json`'s time on a large network. Here each container is one
join of its items' texts; strings are escaped by the C helper the json module itself uses and
numbers are written by their own repr, as json does. Anything else (a key that is not text, NaN, a
subclass of a plain type) goes to json.dumps, so the text is always the json module's.

`parts` writes the same text piece by piece, an item of the outer lists and mappings at a time (a
report's row is one piece), and takes a generator where a list belongs (a report's rows, made one by
one): a large report is never held whole, neither as data nor as text. An item of a type in its
`writers` is written by that function, which gives the item's text at its depth (a report's layer,
written straight from its row: render.layers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from json.encoder import encode_basestring_ascii as _text  # the C helper when it is built
from types import GeneratorType
from typing import Any

INDENTS = ["\n" + "  " * depth for depth in range(64)]  # a new line at each depth
SEPARATORS = ["," + indent for indent in INDENTS]  # between the items of a container at each depth
_MAX_DEPTH = len(INDENTS) - 2
_OUTER = 2  # parts yields the items of containers this shallow (and of generators) one by one


_NOTHING = object()


class _Other(Exception):
    """A value this writer leaves to json.dumps."""


def dumps(data: Any) -> str:
    """`json.dumps(data, indent=2)`, byte for byte."""
    return text_at(data, 0)


Writer = Callable[[Any, int], str]  # (value, its depth) -> its text


def parts(data: Any, writers: Mapping[type, Writer] | None = None) -> Iterator[str]:
    """The text of `dumps(data)` in pieces; generators in `data` are written as lists, and items of
    the outer containers of a type in `writers` by their writer."""
    kind = type(data)
    if kind in (dict, list, tuple, GeneratorType):
        yield from _parts(data, 0, writers or {})
    else:
        yield text_at(data, 0)


def _parts(value: Any, depth: int, writers: Mapping[type, Writer]) -> Iterator[str]:
    is_dict = type(value) is dict
    items = iter(value.items() if is_dict else value)
    opening, closing = ("{", "}") if is_dict else ("[", "]")
    first = next(items, _NOTHING)
    if first is _NOTHING:
        yield opening + closing
        return
    separator = opening + INDENTS[depth + 1]
    for entry in chain([first], items):
        if is_dict:
            key, item = entry
            before = separator + _key(key) + ": "
        else:
            item, before = entry, separator
        kind = type(item)
        if kind is GeneratorType or (depth + 1 < _OUTER and kind in (dict, list, tuple)):
            yield before
            yield from _parts(item, depth + 1, writers)
        else:  # one piece with what comes before it: a piece less to pass on and write
            writer = writers.get(kind)
            yield before + (text_at(item, depth + 1) if writer is None else writer(item, depth + 1))
        separator = SEPARATORS[depth + 1]
    yield INDENTS[depth] + closing


def _key(key: Any) -> str:
    """A mapping key as json writes it (a number or true, false, null as text)."""
    return _text(key) if type(key) is str else json.dumps({key: 0})[1:-4]


def text_at(value: Any, depth: int) -> str:
    """The text of `value` nested `depth` deep: `dumps(value)` indented as there."""
    try:
        return _WRITERS[type(value)](value, depth)
    except (_Other, KeyError, TypeError):  # json.dumps writes it, or raises its own error
        return json.dumps(value, indent=2).replace("\n", INDENTS[depth])


def _array(items: Any, depth: int) -> str:
    if not items:
        return "[]"
    if depth > _MAX_DEPTH:
        raise _Other
    inner = depth + 1
    texts = [_WRITERS[type(v)](v, inner) for v in items]
    return "[" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "]"


def _object(items: dict[Any, Any], depth: int) -> str:
    if not items:
        return "{}"
    if depth > _MAX_DEPTH:
        raise _Other
    inner = depth + 1
    # a key that is not text raises TypeError here: json.dumps writes it
    texts = [_text(k) + ": " + _WRITERS[type(v)](v, inner) for k, v in items.items()]
    return "{" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "}"


def _float(value: float, depth: int) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise _Other  # NaN, Infinity: as json writes them
    return float.__repr__(value)


_WRITERS: dict[type, Callable[[Any, int], str]] = {
    str: lambda v, d: _text(v),
    int: lambda v, d: int.__repr__(v),
    bool: lambda v, d: "true" if v else "false",
    type(None): lambda v, d: "null",
    float: _float,
    list: _array,
    tuple: _array,
    dict: _object,
}
