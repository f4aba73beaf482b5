"""A report's layers in its JSON text, written straight from the rows: for each, the text
`jsontext.text_at(report.layer_dict(row, field), depth)` gives, byte for byte, without making the dict
and walking it (most of `count --format json`'s time on a large network).

Each layer is one template of its fixed keys filled with its values' texts: strings escaped by the
json module's C helper, integers by int.__repr__, as json.dumps writes them; the text of a shape, a
list of names or a tensors mapping that rows repeat is made once. A value of another type (which
int.__repr__ and the helper refuse with TypeError) sends the whole layer to the generic writer, so
the text is always the one json.dumps would write. (A spec takes whole numbers only, never true or
false, so the rows' figures are ints: an equal bool or float never shares a shape's text.)"""

from __future__ import annotations

from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _text  # the C helper when it is built
from typing import Any, NamedTuple

from netcalc.analysis.receptive_field import AxisField, LayerField
from netcalc.render.jsontext import INDENTS, SEPARATORS, text_at
from netcalc.report import Counts, GroupRow, Row, group_dict, layer_dict

_int = int.__repr__  # json's own way with an int; TypeError for anything else (a float, a string)
_DEEPEST = 4  # below a layer: its axes' figures
_KEPT = 4096  # texts a LayerWriter keeps
_ROW_KEYS = (
    "index", "name", "type", "depth", "groups", "inputs", "input_shapes", "output_shape", "tensors",
    "non_trainable_tensors", "training_only",
)  # fmt: skip
_GROUP_KEYS = (
    "name", "block", "depth", "parent", "repeat", "first_layer", "last_layer", "output_shape",
    "training_only",
)  # fmt: skip
_COUNT_KEYS = ("params", "non_trainable_params", "neurons", "macs", "activations")
_AXIS_KEYS = ("status", "size", "size_min", "size_max", "stride", "padding")


def _template(keys: tuple[str, ...], depth: int) -> str:
    """`"key": %s` for each key, one a line at `depth` + 1, without the braces."""
    return SEPARATORS[depth + 1].join(f'"{key}": %s' for key in keys)


# the row's keys, its counts' keys and an axis's figures, at each depth a value can be written at
_ROWS = [_template(_ROW_KEYS, d) for d in range(len(INDENTS) - 1)]
_GROUPS = [_template(_GROUP_KEYS, d) for d in range(len(INDENTS) - 1)]
_COUNTS = [_template(_COUNT_KEYS, d) for d in range(len(INDENTS) - 1)]
_AXES = [_template(_AXIS_KEYS, d) for d in range(len(INDENTS) - 1)]


class Layer(NamedTuple):
    """One item of a report's `layers`: its row and its receptive field (None without them)."""

    row: Row
    field: LayerField | None


class LayerWriter:
    """Writes a report's layers and groups, keeping the texts of the values their rows repeat (shapes, names,
    tensors, receptive fields: a repeated block's rows share them, and a layer that leaves the field
    as it is its input's) for the next rows; a few thousand at most."""

    def __init__(self) -> None:
        self._depth = -1
        self._texts: dict[tuple[Any, ...], str] = {}  # a tuple of strings, ints or shapes: its text
        self._shared: dict[int, tuple[object, str]] = {}  # id(tensors or axes): them, their text

    def text(self, layer: Layer, depth: int) -> str:
        """The layer's JSON text nested `depth` deep."""
        try:
            if depth + _DEEPEST < len(INDENTS):
                return self._layer(layer.row, layer.field, depth)
        except TypeError:  # a value json writes otherwise than these templates do
            pass
        return text_at(layer_dict(layer.row, layer.field), depth)

    def group(self, g: GroupRow, depth: int) -> str:
        """A block's subtotals (one of the report's `groups`) as JSON nested `depth` deep."""
        try:
            if depth + _DEEPEST < len(INDENTS):
                return self._group(g, depth)
        except TypeError:  # a value json writes otherwise than these templates do
            pass
        return text_at(group_dict(g), depth)

    def _group(self, g: GroupRow, depth: int) -> str:
        self._start(depth)
        inner = depth + 1
        texts = (
            _GROUPS[depth]
            % (
                _text(g.name),
                _text(g.block),
                _int(g.depth),
                "null" if g.parent is None else _text(g.parent),
                "null" if g.repeat is None else _int(g.repeat),
                _int(g.first),
                _int(g.last),
                self._texts.get(g.output_shape) or self._kept(g.output_shape, _ints(g.output_shape, inner)),
                "true" if g.training_only is True else _false(g.training_only),
            ),
            _counts(g.counts, depth),
        )
        return "{" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "}"

    def _start(self, depth: int) -> None:
        """Forget the texts kept when they were made at another depth, or are too many."""
        if depth != self._depth or len(self._texts) + len(self._shared) > _KEPT:
            self._depth = depth
            self._texts.clear()
            self._shared.clear()

    def _layer(self, r: Row, field: LayerField | None, depth: int) -> str:
        self._start(depth)
        inner = depth + 1
        get, kept = self._texts.get, self._kept
        texts = [
            _ROWS[depth]
            % (
                _int(r.index),
                _text(r.name),
                _text(r.kind),
                _int(r.depth),
                get(r.groups) or kept(r.groups, _strings(r.groups, inner)),
                _strings(r.inputs, inner),  # rarely another row's
                get(r.input_shapes) or kept(r.input_shapes, _shapes(r.input_shapes, inner)),
                get(r.output_shape) or kept(r.output_shape, _ints(r.output_shape, inner)),
                self._tensors(r.tensors, inner),
                self._tensors(r.state_tensors, inner),
                "true" if r.training_only is True else _false(r.training_only),
            )
        ]
        if r.shares:
            texts.append(f'"shares": {_text(r.shares)}')
            texts.append(f'"shared_tensors": {_numbers(r.shared_tensors, inner)}')
        texts.append(self._counts(r.counts, depth))
        if field:
            texts.append(f'"receptive_field": {self._field(field.axes, inner)}')
        return "{" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "}"

    def _kept(self, value: tuple[Any, ...], text: str) -> str:
        self._texts[value] = text
        return text

    def _tensors(self, named: Mapping[str, int], depth: int) -> str:
        if not named:
            return "{}"
        known = self._shared.get(id(named))  # the mapping is kept with its text: its id stays its own
        if known is None:
            known = self._shared[id(named)] = (named, _numbers(named, depth))
        return known[1]

    def _counts(self, counts: Counts, depth: int) -> str:
        known = self._shared.get(id(counts))  # the rows of layers alike share their counts
        if known is None:
            known = self._shared[id(counts)] = (counts, _counts(counts, depth))
        return known[1]

    def _field(self, axes: tuple[AxisField, ...], depth: int) -> str:
        known = self._shared.get(id(axes))  # rows whose field is their input's share its axes
        if known is None:
            known = self._shared[id(axes)] = (axes, _field(axes, depth))
        return known[1]


def _false(value: object) -> str:
    if value is False:
        return "false"
    raise TypeError  # not a bool: the generic writer


def _counts(c: Counts, depth: int) -> str:
    """The keys of report._counts_dict, one a line at `depth` + 1."""
    return _COUNTS[depth] % (
        _int(c.params), _int(c.non_trainable), _int(c.neurons), _int(c.macs), _int(c.activations)
    )  # fmt: skip


def _ints(values: tuple[int, ...], depth: int) -> str:
    if not values:
        return "[]"
    inner = depth + 1
    return "[" + INDENTS[inner] + SEPARATORS[inner].join(map(_int, values)) + INDENTS[depth] + "]"


def _strings(values: tuple[str, ...], depth: int) -> str:
    if not values:
        return "[]"
    inner = depth + 1
    return "[" + INDENTS[inner] + SEPARATORS[inner].join(map(_text, values)) + INDENTS[depth] + "]"


def _shapes(shapes: tuple[tuple[int, ...], ...], depth: int) -> str:
    if not shapes:
        return "[]"
    inner = depth + 1
    texts = [_ints(s, inner) for s in shapes]
    return "[" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "]"


def _numbers(named: Mapping[str, int], depth: int) -> str:
    if not named:
        return "{}"
    inner = depth + 1
    texts = [_text(k) + ": " + _int(v) for k, v in named.items()]
    return "{" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "}"


def _field(axes: tuple[AxisField, ...], depth: int) -> str:
    """LayerField.to_dict's text: each axis's field."""
    if not axes:
        return "{}"
    inner = depth + 1
    texts = [_text(a.axis) + ": " + _axis(a, inner) for a in axes]
    return "{" + INDENTS[inner] + SEPARATORS[inner].join(texts) + INDENTS[depth] + "}"


def _axis(a: AxisField, depth: int) -> str:
    inner = depth + 1
    figures = a.figures()
    if figures is None:
        return "{" + INDENTS[inner] + '"status": ' + _text(a.status) + INDENTS[depth] + "}"
    low, high, stride, padding = figures
    texts = (
        _text(a.status),
        _int(low) if low == high else "null",
        _int(low),
        _int(high),
        _text(stride) if type(stride) is str else _int(stride),
        _int(padding),
    )
    return "{" + INDENTS[inner] + _AXES[depth] % texts + INDENTS[depth] + "}"
