"""Safe YAML/JSON reading that remembers the line of every key and list item."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import yaml

from netcalc.errors import SpecError
from netcalc.units import binary

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_VALUES = 1_000_000  # values after expanding YAML aliases: stops "billion laughs" specs


class LineDict(dict[Any, Any]):
    """A dict that knows the line of each key: `lines` maps each key to its line, or is the one
    line of every key (a mapping on one line, `{filters: 8, kernel: 3}`: most of a spec's)."""

    __slots__ = ("lines",)  # no __dict__ of its own: a spec holds one per layer entry
    lines: dict[Any, int] | int


def _one_line(lines: dict[Any, int]) -> dict[Any, int] | int:
    """A mapping's lines as a LineDict keeps them: the one line when every key is on it."""
    found = set(lines.values())
    return found.pop() if len(found) == 1 else lines


def copy_lines(lines: dict[Any, int] | int) -> dict[Any, int] | int:
    """A LineDict's lines, for a copy of it that may change."""
    return lines if isinstance(lines, int) else dict(lines)


class LineList(list[Any]):
    """A list that knows the line of each item."""

    __slots__ = ("lines",)
    lines: list[int]


if TYPE_CHECKING:  # both have SafeConstructor's interface, all that _Loader uses
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when present


class _Loader(_SafeLoader):
    """The safe loader (no Python objects) building LineDict and LineList."""


class _KeyProblem(Exception):
    """A mapping key the spec cannot have: not hashable, or given twice."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:  # the keys written here; merged ones (<<) may be overridden
        if key_node.tag != "tag:yaml.org,2002:merge" and isinstance(key_node.value, str):
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise _KeyProblem(
                    line,
                    f"duplicate key '{key_node.value}' (first at line "
                    f"{seen[key_node.value]}) — keep one of them",
                )
            seen[key_node.value] = line
    loader.flatten_mapping(node)
    result = LineDict()
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise _KeyProblem(key_node.start_mark.line + 1, "a key must be a plain value") from None
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    result.lines = _one_line(result.lines)  # as _quick keeps them
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    try:
        return int(loader.construct_yaml_int(node))
    except ValueError:  # Python refuses to parse integers of more than 4,300 digits
        raise _KeyProblem(
            node.start_mark.line + 1, "a number of thousands of digits: use real sizes"
        ) from None


def _set(loader: _Loader, node: yaml.Node) -> None:
    raise _KeyProblem(node.start_mark.line + 1, "!!set has no order: write a list like [3, 32]")


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:set", _set)


def check_length(size: int, source: str) -> None:
    """A SpecError when a spec's text is over MAX_FILE_BYTES (read as bytes or as characters)."""
    if size > MAX_FILE_BYTES:
        raise SpecError(
            f"{source}: the spec is larger than {binary(MAX_FILE_BYTES)} — "
            "a spec is a short YAML or JSON file (blocks and repeat keep it short)"
        )


class _Unusual(Exception):
    """Something the quick reader leaves to the full loader (which says what is wrong, if anything)."""


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))
_MAX_QUICK_DEPTH = 100  # deeper: the full loader (and its RecursionError message)


def _load(text: str) -> Any:
    """The YAML loader's value for `text` (see _read)."""
    return _read(text)[0]


def _read(text: str) -> tuple[Any, int | None]:
    """The YAML loader's value for `text`, with its count of values when the quick reader read it
    (None: check_size counts them). The quick reader reads straight from libyaml's events (no node
    tree: half the time and none of the nodes' memory) when the text uses plain YAML only; anything
    else (an anchor, a tag, a merge key, a duplicate key, an error) is read again by the full loader,
    so values, lines and messages are the loader's own."""
    if _SafeLoader is yaml.SafeLoader:  # no libyaml: the quick reader would be no quicker
        return yaml.load(text, Loader=_Loader), None  # noqa: S506 - _Loader is a SafeLoader
    try:
        return _counted(text)
    except (_Unusual, _KeyProblem, yaml.YAMLError, ValueError, RecursionError):
        return yaml.load(text, Loader=_Loader), None  # noqa: S506 - _Loader is a SafeLoader


class _Open:
    """A mapping or list being read: its value and line numbers, its own line, and for a mapping
    the key read last."""

    __slots__ = ("key", "key_line", "keys", "line", "lines", "mapping", "value")
    value: Any  # a LineDict or a LineList
    lines: Any  # its lines

    def __init__(self, value: LineDict | LineList, line: int) -> None:
        self.value, self.line, self.lines = value, line, value.lines
        self.mapping = isinstance(value, LineDict)
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.keys: set[str] = set()  # the keys as written, for duplicates


_NO_KEY = object()


def _quick(text: str) -> Any:
    """Plain YAML (one document; mappings, lists, str/int/float/bool/null scalars) as _Loader reads it."""
    return _counted(text)[0]


def _counted(text: str) -> tuple[Any, int]:
    """_quick's value, with its count of values as check_size counts them (no alias shares any here)."""
    loader = _Loader(text)
    try:
        get: Callable[[], Any] = loader.get_event  # untyped in PyYAML's stubs
        if type(get()) is not yaml.StreamStartEvent:
            raise _Unusual
        if type(get()) is not yaml.DocumentStartEvent:
            raise _Unusual  # an empty stream
        read = _document(loader, get)
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _Unusual  # more than one document
        return read
    finally:
        loader.dispose()


_SCALAR = yaml.ScalarEvent
_MAPPING_START, _SEQUENCE_START = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAPPING_END, _SEQUENCE_END = yaml.MappingEndEvent, yaml.SequenceEndEvent


def _document(loader: _Loader, get: Callable[[], Any]) -> tuple[Any, int]:
    """The value of the document's root, read event by event, and its count of values (each
    scalar that is not a key, each mapping and list)."""
    scalars: dict[tuple[str, bool], Any] = {}  # (text, plain) -> its value: a spec repeats a few
    stack: list[_Open] = []
    count = 0
    into: _Open | None = None  # the mapping or list being read (the top of the stack)
    seen, number = -1, 0  # the last line read and its number: the values on a line share one int
    while True:
        event = get()
        kind = type(event)
        if event.start_mark.line != seen:
            seen = event.start_mark.line
            number = seen + 1
        if kind is _SCALAR:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            key = (event.value, event.implicit[0])
            value = scalars.get(key, _NO_KEY)
            if value is _NO_KEY:
                value = scalars[key] = _scalar(loader, event)
            line = number
        elif kind is _MAPPING_START or kind is _SEQUENCE_START:
            if event.anchor is not None or event.tag is not None or len(stack) > _MAX_QUICK_DEPTH:
                raise _Unusual
            made = _mapping_value() if kind is _MAPPING_START else _list_value()
            into = _Open(made, number)
            stack.append(into)
            continue
        elif (kind is _MAPPING_END or kind is _SEQUENCE_END) and into is not None:
            done = stack.pop()
            value, line = done.value, done.line
            if done.mapping:
                value.lines = _one_line(done.lines)
            into = stack[-1] if stack else None
        else:  # an alias
            raise _Unusual
        if into is None:
            return value, count + 1
        if not into.mapping:
            into.value.append(value)
            into.lines.append(line)
            count += 1
        elif into.key is _NO_KEY:  # a key: a scalar (a merge key is refused by _scalar), written once
            if kind is not _SCALAR or event.value in into.keys:  # (<< resolves to merge)
                raise _Unusual
            into.keys.add(event.value)
            into.key, into.key_line = value, line
        else:
            into.value[into.key] = value
            into.lines[into.key] = into.key_line
            into.key = _NO_KEY
            count += 1


def _mapping_value() -> LineDict:
    made = LineDict()
    made.lines = {}
    return made


def _list_value() -> LineList:
    made = LineList()
    made.lines = []
    return made


def _scalar(loader: _Loader, event: Any) -> Any:
    """A scalar's value, by the loader's own resolver and constructors."""
    tag = cast(Callable[..., str], loader.resolve)(yaml.ScalarNode, event.value, event.implicit)
    if tag not in _SCALAR_TAGS:
        raise _Unusual
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return loader.yaml_constructors[tag](loader, node)


def parse(text: str, source: str = "<string>", is_json: bool = False) -> Any:
    """Parse YAML (safely: no Python objects) or JSON text, with line numbers where YAML gives them."""
    check_length(len(text), source)
    pieces = text.count("\n") + text.count(",") + text.count(": ")
    if pieces > MAX_VALUES:  # reading it would take seconds before the count below could refuse it
        raise SpecError(
            f"{source}: the spec has more than {MAX_VALUES:,} lines, items and keys — a spec is short: "
            "write repeated layers once, as a block with repeat"
        )
    try:
        data, count = (_json(text), None) if is_json else _read(text)
    except _KeyProblem as problem:
        where = f"{source}:{problem.line}" if problem.line else source  # json.loads has no lines
        raise SpecError(f"{where}: {problem}") from None
    except json.JSONDecodeError as error:
        raise SpecError(f"{source}:{error.lineno}: invalid JSON: {error.msg}") from None
    except yaml.MarkedYAMLError as error:
        raise SpecError(_marked(error, text, source)) from None
    except yaml.reader.ReaderError as error:  # a NUL or another control character
        line = text.count("\n", 0, max(error.position, 0)) + 1
        raise SpecError(
            f"{source}:{line}: invalid YAML: character {chr(error.character)!r} is not allowed "
            "(a spec is plain text: remove it)"
            if isinstance(error.character, int)
            else f"{source}:{line}: invalid YAML: {error.reason}"
        ) from None
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SpecError(f"{source}: invalid YAML: {first}") from None
    except ValueError:  # json: an integer of more than 4,300 digits
        raise SpecError(f"{source}: a number of thousands of digits: use real sizes") from None
    except RecursionError:
        raise SpecError(f"{source}: the spec is nested too deeply") from None
    if count is None:
        check_size(data, source)
    elif count > MAX_VALUES:
        raise SpecError(_too_many(source, shared=False))
    return data


def _marked(error: yaml.MarkedYAMLError, text: str, source: str) -> str:
    """The message of a YAML error that knows its line (and where the construct it is in opened)."""
    mark = error.problem_mark or error.context_mark
    line = f":{mark.line + 1}" if mark else ""
    problem = error.problem or error.context or "invalid YAML"
    opened = error.context_mark
    if error.context and opened and error.problem_mark and opened.line != error.problem_mark.line:
        problem += f" ({error.context} that starts at line {opened.line + 1})"
    lines = text.splitlines()
    if mark and mark.line < len(lines) and "\t" in lines[mark.line]:
        problem += " — this line has a tab: YAML indents with spaces"
    return f"{source}{line}: invalid YAML: {problem}"


def _json(text: str) -> Any:
    """Strict JSON (duplicate keys refused), then read again as YAML, which JSON is, for the line
    numbers; when the YAML parser objects (a tab, say) the lines are simply not known."""
    data = json.loads(text, object_pairs_hook=_unique)
    try:
        return _load(text)
    except (yaml.YAMLError, _KeyProblem):
        return data


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _KeyProblem(0, f"duplicate key '{key}' — keep one of them")
        result[key] = value
    return result


def check_size(data: Any, source: str) -> None:
    """Count values as if aliases were expanded, without expanding them (memoized by identity)."""
    sizes: dict[int, int] = {}
    shared = False  # some list or mapping is used twice: an alias (or a shared object in a dict)

    def size(obj: Any) -> int:
        nonlocal shared
        if not isinstance(obj, dict | list):
            return 1
        key = id(obj)
        shared = shared or key in sizes
        if key not in sizes:
            sizes[key] = 0  # a cycle counts as empty; the constructor already refuses them
            children = obj.values() if isinstance(obj, dict) else obj
            total = 1
            for child in children:
                total += size(child)
                if total > MAX_VALUES:
                    break
            sizes[key] = total
        return sizes[key]

    try:
        total = size(data)
    except RecursionError:
        raise SpecError(f"{source}: the spec is nested too deeply") from None
    if total > MAX_VALUES:
        raise SpecError(_too_many(source, shared))


def _too_many(source: str, shared: bool) -> str:
    """The message of a spec of more than MAX_VALUES values (`shared`: some are YAML aliases)."""
    return (
        f"{source}: the spec holds more than {MAX_VALUES:,} values once YAML aliases are "
        "expanded (an alias bomb?) — write it with blocks and repeat instead"
        if shared
        else f"{source}: the spec holds more than {MAX_VALUES:,} values — a spec is short: "
        "write repeated layers once, as a block with repeat"
    )


def line_of(data: Any, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest item of `loc` that the YAML loader recorded."""
    return _walk(data, loc)[0]


def lines_of(data: Any, loc: tuple[str | int, ...], count: int) -> list[int | None]:
    """line_of(data, (*loc, i)) for i in 0 .. count - 1, walking `loc` once."""
    line, items, found = _walk(data, loc)
    lines = getattr(items, "lines", None) if found else None
    if isinstance(items, list) and isinstance(lines, list) and len(lines) == len(items):
        return [*lines[:count], *[line] * (count - len(lines))]
    return [_walk(items, (i,))[0] or line if found else line for i in range(count)]


def _walk(data: Any, loc: tuple[str | int, ...]) -> tuple[int | None, Any, bool]:
    """(line_of(data, loc), the item at `loc`, whether it was reached)."""
    line = None
    for key in loc:
        lines = getattr(data, "lines", None)
        try:
            if isinstance(lines, int):  # every key on one line
                data = data[key]
                line = lines
                continue
            if lines is not None:
                line = lines[key]
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return line, None, False
    return line, data, True
