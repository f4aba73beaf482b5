"""Expansion of a spec into a Network: blocks instantiated, names and `from` resolved, in order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from netcalc.errors import NetcalcError, ShapeError, SpecError
from netcalc.layers import BY_KIND, Embedding, Layer
from netcalc.layers.base import input_range
from netcalc.spec import Block, Spec, nearest, validate_layer
from netcalc.spec.arith import ArithError, fixed, references, substitute

MAX_LAYERS = 200_000
Size = tuple[int, int]  # (layers, block instances)
MAX_NESTING = 64  # blocks inside blocks; deeper would exhaust Python's recursion
INPUT = -1  # node index of the network's (first) input; its k-th input is -1 - k
RESERVED = ("repeat", "name", "from", "training_only", "trainable", "when")


def input_node(k: int) -> int:
    """The node index of the network's k-th input (0-based): -1, -2, ..."""
    return -1 - k


Values = dict[str, Any] | Layer  # an entry's arguments as written, or a layer built in Python
Parsed = tuple[str, Values, str]  # (kind, values, where) of one entry


@dataclass(frozen=True, slots=True)
class Node:
    """One layer of the expanded network."""

    index: int
    path: str  # scoped name, e.g. residual.1.a
    layer: Layer
    inputs: tuple[int, ...]  # node indices; INPUT is the network's input
    groups: tuple[str, ...]  # enclosing block instances, outermost first
    where: str  # file:line of its entry
    training_only: bool = False  # e.g. an auxiliary classifier: not run in inference
    trainable: bool = True  # false: its parameters are frozen (`trainable: false` on it or a block)
    shares: int | None = None  # the earlier layer whose parameters it uses (`share: NAME`)


@dataclass(frozen=True, slots=True)
class Group:
    """A block use (or one repeat of it): a row group with its own subtotals."""

    path: str
    block: str
    parent: str | None
    depth: int
    repeat: int | None  # instances, for a repeated use
    where: str


@dataclass(frozen=True, slots=True)
class Network:
    """A loaded network: its spec and the expanded layers, each after its inputs."""

    spec: Spec
    nodes: tuple[Node, ...]
    groups: tuple[Group, ...]
    declared: tuple[int, ...] = ()  # the nodes `outputs:` names; () when the last layer is the output

    @property
    def name(self) -> str:
        """The network's name."""
        return self.spec.name

    @property
    def description(self) -> str | None:
        """One line on what it is."""
        return self.spec.description

    @property
    def input(self) -> tuple[int, ...]:
        """The sample shape of the (first) input, channels first."""
        return next(iter(self.spec.input_shapes.values()))

    @property
    def inputs(self) -> dict[str, tuple[int, ...]]:
        """Every input's sample shape by name, in order ({'input': shape} for one input)."""
        return self.spec.input_shapes

    @property
    def input_nodes(self) -> dict[int, tuple[str, tuple[int, ...]]]:
        """Each input's node index (-1, -2, ...) with its name and sample shape."""
        return {input_node(k): item for k, item in enumerate(self.inputs.items())}

    @property
    def outputs(self) -> tuple[int, ...]:
        """The node indices of the network's outputs: those `outputs:` names, else the last layer."""
        return self.declared or (len(self.nodes) - 1,)

    @property
    def dtype(self) -> str:
        """The element type of the memory figures."""
        return self.spec.dtype

    @property
    def dtype_bytes(self) -> int:
        """Bytes per element of the spec's dtype."""
        return self.spec.dtype_bytes

    @property
    def source(self) -> str:
        """Where the spec came from, for messages."""
        return self.spec.source

    @property
    def blocks(self) -> dict[str, Block]:
        """The spec's reusable blocks."""
        return self.spec.blocks

    def where(self, loc: tuple[str | int, ...]) -> str:
        """'file:line' of a location in the raw spec."""
        return self.spec.where(loc)

    @property
    def token_ids(self) -> dict[int, int]:
        """The inputs that hold integer token ids (those read by embeddings), each with the
        smallest vocabulary of the embeddings reading it: ids are drawn from [0, vocab)."""
        found: dict[int, int] = {}
        for node in self.nodes:
            if isinstance(node.layer, Embedding):
                for i in node.inputs:
                    found[i] = min(found.get(i, node.layer.vocab), node.layer.vocab)
        return found


def expand(spec: Spec) -> Network:
    """The network of a validated spec: every block use instantiated, every `from` resolved."""
    for name in spec.blocks:
        if name in BY_KIND:
            raise SpecError(
                f"{spec.where(('blocks', name))}: block '{name}' has the name of a "
                "layer type, which it would hide — rename the block"
            )
        if _too_long(name):
            raise SpecError(f"{spec.where(('blocks', name))}: block name {_long_name(name)}")
        if not _valid_name(name):
            raise SpecError(
                f"{spec.where(('blocks', name))}: block name {name!r} must be a "
                "word without dots, slashes, spaces or invisible characters, not a "
                "number, and not 'input' — rename the block"
            )
    builder = _Builder(spec)
    builder.check_total()
    builder.scope(spec.layers, ("layers",), "", INPUT, dict(spec.args), (), ())
    if not builder.nodes:
        raise SpecError(
            f"{spec.where(('layers',))}: every layer is skipped (when: false) — a network needs at "
            "least one layer"
        )
    declared = builder.outputs()
    for index in declared or (len(builder.nodes) - 1,):
        node = builder.nodes[index]
        if node.training_only:
            what = "an output" if declared else "the last layer"
            raise SpecError(
                f"{node.where}: the network's output, layer {node.index} "
                f"'{node.layer.kind}' ({node.path}), is training_only — {what} "
                "must run in inference"
            )
    _check_token_ids(builder.nodes)
    used = {path for node in builder.nodes for path in node.groups}  # a block all skipped is no group
    groups = tuple(g for g in builder.groups if g.path in used)
    return Network(spec, tuple(builder.nodes), groups, declared)


def _check_token_ids(nodes: list[Node]) -> None:
    """Embeddings read token ids from an input, and nothing else reads those ids."""
    ids = {i for node in nodes if isinstance(node.layer, Embedding) for i in node.inputs}
    for node in nodes:
        embedding = isinstance(node.layer, Embedding)
        if embedding and node.inputs[0] >= 0:
            source = nodes[node.inputs[0]]
            raise SpecError(
                f"{_label(node)}: an embedding reads token ids, which only an input holds, but it "
                f"reads layer '{source.path}' — take the ids from the input (from: input)"
            )
        if ids and not embedding and not ids.isdisjoint(node.inputs):
            raise SpecError(
                f"{_label(node)}: reads the input, which holds token ids (an embedding reads it) — "
                "take the embedding's output instead (from: NAME)"
            )


def _layer_label(number: int, kind: str, path: str) -> str:
    """How messages name a layer entry: by its number (the report's row) and its path."""
    return f"layer {number} '{kind}' ({path})"


def _label(node: Node) -> str:
    return f"{node.where}: layer {node.index} '{node.layer.kind}' ({node.path})"


def _check_counts(where: str, label: str, one: int, repeat: int | None, others: int, uses: int) -> None:
    """The SpecError of a block use that makes more layers than MAX_LAYERS (`one` in each of
    `repeat` instances, besides `others` made by the rest), or more block instances."""
    count = one * (repeat or 1)
    if others + count > MAX_LAYERS:
        times = f"{repeat:,} repeats of {one:,}" if repeat else "one instance"
        besides = f", besides {others:,} other{'s' if others > 1 else ''}" if others else ""
        raise SpecError(
            f"{where}: {label}: expands to at least {count:,} layers ({times}{besides}), more than "
            f"{MAX_LAYERS:,} — reduce the repeats"
        )
    if uses > MAX_LAYERS:  # uses of blocks whose layers are all skipped (when:) make no layer
        raise SpecError(
            f"{where}: {label}: the spec expands to more than {MAX_LAYERS:,} block instances — "
            "reduce the repeats"
        )


def _fixed(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments that are the same for every instance: all but $in and $index."""
    return {k: v for k, v in args.items() if k not in ("in", "index")}


MAX_NAME = 256  # a name is repeated in every path below it and every row: 'resnet.layer4.1.conv2' is 21


def _too_long(name: object) -> bool:
    return isinstance(name, str) and len(name) > MAX_NAME


def _long_name(name: str) -> str:
    return f"'{name[:24]}...' has {len(name):,} characters, more than {MAX_NAME} — shorten it"


def _valid_name(name: object) -> bool:
    """A name `from` and weight keys ('layer/tensor') can use unambiguously, and that every output
    shows as it is: no control or format character (U+202E would reverse the text after it)."""
    if not isinstance(name, str) or not name or name == "input" or not name.isprintable():
        return False
    return not (any(c in name for c in "./ ") or name.lstrip("+-").isdigit())


_OWN = {"name": "name", "from": "source"}  # an entry's own values (key: its layer's field)


def _plain_own(own: dict[str, Any]) -> bool:
    """Whether a name and a `from` are ones validation keeps as they are (a list as a plain list):
    a name is a str, `from` a str, a negative int or a list of them."""
    name, source = own.get("name"), own.get("source", -1)
    if "name" in own and type(name) is not str:
        return False
    refs = source if isinstance(source, list) else [source]
    return all(type(r) is str or type(r) is int and r < 0 for r in refs)


def split_entry(entry: object, where: str, index: int) -> tuple[str, Values]:
    """(kind, arguments) of a layer entry: a bare name or a one-key mapping."""
    if isinstance(entry, Layer):
        return entry.kind, entry
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict) and len(entry) == 1:
        kind, args = next(iter(entry.items()))
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise SpecError(
                f"{where}: layer {index} '{kind}': arguments must be a mapping like "
                f"'{kind}: {{name: x}}', not {args!r}"
            )
        return str(kind), args  # as written: whoever changes them copies them
    keys = ", ".join(map(str, entry)) if isinstance(entry, dict) else repr(entry)
    raise SpecError(
        f"{where}: layer {index}: a layer is a name like 'relu' or a one-key mapping like "
        f"'conv2d: {{filters: 8, kernel: 3}}' (got {keys}) — indent its arguments under the type"
    )


def _substitute(values: Any, args: dict[str, Any], where: str, label: str) -> Any:
    """Block arguments substituted into an entry's values, or a SpecError naming the layer."""
    try:
        return substitute(values, args)
    except ArithError as error:
        raise SpecError(f"{where}: {label}: {error}") from None
    except (RecursionError, MemoryError):  # Python's parser on a huge expression
        raise SpecError(
            f"{where}: {label}: an argument expression is too long or nested too deeply"
        ) from None


def _check_defaults(defaults: dict[str, Any], known: dict[str, Any], where: str, block: str) -> None:
    """A SpecError for a block argument's default that uses another of the block's arguments
    (`{a: 2, b: $a * 2}`): defaults are worked out from the spec's arguments only."""
    for name, value in defaults.items():
        uses = references(value) if isinstance(value, str) else []
        own = [ref for ref in uses if ref not in known and ref in defaults]
        if own:
            raise SpecError(
                f"{where}: block '{block}': argument '{name}' defaults to '{value}', which uses the "
                f"block's argument ${own[0]} — a default can use the spec's arguments only: write a "
                f"value, or write the expression where ${name} is used"
            )


@dataclass(frozen=True, slots=True)
class _Site:
    """Where a `from` is resolved: entry i of a scope, the outputs before it and the scope's names."""

    i: int
    outputs: list[int]  # output node of each earlier entry of the scope
    local: list[str]  # local names of all the scope's entries
    position: dict[str, int]  # local name -> its entry's index (names are unique in a scope)
    prefix: str
    scope_input: int
    where: str
    named: tuple[str, int, str, str]  # (a block use's label or "", number, kind, path)

    @property
    def label(self) -> str:
        """How messages name the entry (worked out for a message only)."""
        block, number, kind, path = self.named
        return block or _layer_label(number, kind, path)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A list of entries at some argument values: what every use of it shares."""

    parsed: list[Parsed]  # (kind, arguments as written, file:line) of each entry
    local: list[str]  # each entry's local name
    position: dict[str, int]  # local name -> entry index
    substituted: dict[int, dict[str, Any]]  # entry index -> its arguments with $names replaced
    layers: dict[int, Layer]  # entry index -> its validated layer


def _check_inputs(cls: type[Layer], count: int, where: str, number: int, kind: str, path: str) -> None:
    """Raise SpecError unless `from` names as many inputs as the layer type takes (the entry's label
    worked out for the message only)."""
    fewest, most = _input_range(cls)
    if fewest <= count and (most is None or count <= most):
        return
    label = _layer_label(number, kind, path)
    if most is None:
        raise SpecError(f"{where}: {label}: merges two or more inputs — give a list, e.g. from: [-1, input]")
    if (fewest, most) == (1, 1):
        raise SpecError(f"{where}: {label}: takes one input but from names {count}")
    if (fewest, most) == (2, 2):
        raise SpecError(
            f"{where}: {label}: takes exactly two inputs but from names {count} — "
            "give a list of two, e.g. from: [q, k]"
        )
    raise SpecError(
        f"{where}: {label}: takes {fewest} to {most} inputs but from names {count} — "
        "e.g. from: [queries, memory] for cross-attention"
    )


_input_range = cache(input_range)  # once per layer type, not per layer
_PROVIDED = re.compile(r"\$(in|index)\b")  # the arguments each block instance provides


@dataclass(frozen=True, slots=True)
class _Use:
    """A block use: its block, the arguments as written (defaults, the use's own), the arguments
    of the scope it is written in, and whether the block or the use mention $in or $index."""

    kind: str
    written: dict[str, Any]
    given: dict[str, Any]
    caller: dict[str, Any]
    where: str
    label: str
    provided: bool


class _Builder:
    """Walks the spec's entries, instantiating blocks depth first."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.nodes: list[Node] = []
        self.groups: list[Group] = []
        self.paths: dict[str, int] = {}  # every scoped name -> output node
        self.training_only = 0  # depth of enclosing training-only block uses
        # layers are frozen: entries with the same type and arguments share one validated layer
        self.validated: dict[tuple[str, ...], Layer] = {}
        self.wheres: dict[tuple[str | int, ...], list[str]] = {}  # 'file:line' of a list's entries
        self.plans: dict[tuple[Any, ...], _Plan] = {}  # a block's entries at some argument values
        self.frozen = 0  # depth of enclosing block uses with trainable: false
        self.shapes: list[tuple[int, ...]] = []  # output shapes of the first nodes, for $in
        self.least: dict[tuple[str, str], Size] = {}  # (block, arguments) -> fewest it makes
        self.input_names = {name: input_node(k) for k, name in enumerate(spec.input_shapes)}

    def outputs(self) -> tuple[int, ...]:
        """The nodes `outputs:` names (full layer paths), each once; () without outputs:."""
        found: dict[int, str] = {}
        for i, name in enumerate(self.spec.outputs or ()):
            where = self.spec.where(("outputs", i))
            if not isinstance(name, str) or name not in self.paths:
                known = [*self.paths]
                hint = nearest(str(name), known) or " — give a layer name (a block's layers as block.layer)"
                what = "an input, not a layer" if name in self.input_names else "no layer"
                raise SpecError(f"{where}: outputs: '{name}' names {what}{hint}")
            index = self.paths[name]
            if index < 0:
                raise SpecError(f"{where}: outputs: '{name}' is skipped (when: false): it gives an input")
            if index in found:
                raise SpecError(
                    f"{where}: outputs: '{name}' is the same layer as '{found[index]}' — list it once"
                )
            found[index] = name
        return tuple(found)

    def scope(
        self,
        entries: Sequence[object],
        loc: tuple[str | int, ...],
        prefix: str,
        scope_input: int,
        args: dict[str, Any],
        stack: tuple[str, ...],
        groups: tuple[str, ...],
    ) -> int:
        """Expand one list of entries; returns its output node."""
        plan = self._plan(entries, loc, prefix, args)
        local, substituted, layers = plan.local, plan.substituted, plan.layers
        blocks, paths = self.spec.blocks, self.paths
        outputs: list[int] = []
        for i, (kind, values, where) in enumerate(plan.parsed):
            path = prefix + local[i]
            # the same numbering as the report's rows; a block use is named by its block (worked
            # out for the entries whose messages may need it; _layer's own are worked out there)
            block = kind in blocks
            label = f"block '{kind}' ({path})" if block else ""
            if i in layers:
                values = layers[i]
            elif not isinstance(values, Layer):
                if i not in substituted:  # once per argument values: every repeat shares it
                    substituted[i] = (
                        values
                        if not block and fixed(values)
                        else self._substituted(
                            kind, values, args, where, label or _layer_label(len(self.nodes), kind, path)
                        )
                    )
                values = substituted[i]
            source = values.source if isinstance(values, Layer) else values.get("from")
            if source is None:  # the previous entry (made into a _Site only for a `from`: most have none)
                inputs: tuple[int, ...] = (outputs[-1] if outputs else scope_input,)
            else:
                named = (label, len(self.nodes), kind, path)
                site = _Site(i, outputs, local, plan.position, prefix, scope_input, where, named)
                inputs = self._resolve(source, site)
            when = True if isinstance(values, Layer) else values.get("when", True)
            if when is not True:
                out = self._skipped(when, inputs, where, label or _layer_label(len(self.nodes), kind, path))
            elif block and not isinstance(values, Layer):  # a block use (a Layer's kind is no block)
                out = self._block(kind, values, where, label, path, inputs, stack, groups, args)
            else:
                if not isinstance(values, Layer) and "when" in values:
                    values = {k: v for k, v in values.items() if k != "when"}
                out = self._layer(kind, values, where, path, inputs, groups)
                layer = layers[i] = self.nodes[out].layer
                if layer.share is not None:
                    named = (label, out, kind, path)
                    site = _Site(i, outputs, local, plan.position, prefix, scope_input, where, named)
                    self.nodes[out] = replace(self.nodes[out], shares=self._owner(layer.share, site))
            outputs.append(out)
            paths[path] = out
        return outputs[-1]

    def _skipped(self, when: object, inputs: tuple[int, ...], where: str, label: str) -> int:
        """An entry with `when: false`: no layer; its name gives its one input."""
        if when is not False:
            raise SpecError(
                f"{where}: {label}: when is true or false, or a condition like '$index == 0' (got {when!r})"
            )
        if len(inputs) != 1:
            raise SpecError(
                f"{where}: {label}: an entry skipped by when: passes its input on, so it takes one "
                f"input, not {len(inputs)}"
            )
        return inputs[0]

    def _substituted(
        self, kind: str, values: dict[str, Any], args: dict[str, Any], where: str, label: str
    ) -> dict[str, Any]:
        """An entry's values with the scope's arguments: all of a layer's; only `repeat`, `from`,
        `training_only`, `trainable` of a block use (its arguments may use the $in and $index of
        each of its instances, so they are substituted per instance). A layer's values with nothing
        to substitute stay as they are: scope does not call this for them."""
        if kind not in self.spec.blocks:
            return dict(_substitute(values, args, where, label))
        return {k: _substitute(v, args, where, label) if k in RESERVED else v for k, v in values.items()}

    def _plan(
        self, entries: Sequence[object], loc: tuple[str | int, ...], prefix: str, args: dict[str, Any]
    ) -> _Plan:
        """The entries' types, arguments and local names at these argument values, worked out once
        for all uses of a block with them (a repeat uses it once per instance)."""
        key = (loc, len(entries), *((k, type(v), repr(v)) for k, v in args.items()))
        if key in self.plans:
            return self.plans[key]
        parsed: list[Parsed] = []
        wheres = self._wheres(loc, len(entries))
        for i, entry in enumerate(entries):
            where = wheres[i]
            kind, values = split_entry(entry, where, i)
            if kind.startswith("$"):  # the type itself is an argument: `- $act`, `act: relu`
                kind = _substitute(kind, args, where, f"'{kind}'")
                if not isinstance(kind, str) or kind.startswith("$"):
                    raise SpecError(
                        f"{where}: a layer type from an argument must be a type name "
                        f"like 'relu' (got {kind!r})"
                    )
            if not isinstance(values, Layer) and "name" in values:  # names first: `from` needs them
                name = values["name"]
                if type(name) is not str or "$" in name:  # a copy: the values stay as written
                    values = {**values, "name": _substitute(name, args, where, f"'{kind}'")}
            parsed.append((kind, values, where))
        local = self._names(parsed, prefix)
        position = {name: i for i, name in enumerate(local)}
        plan = self.plans[key] = _Plan(parsed, local, position, {}, {})
        return plan

    def _wheres(self, loc: tuple[str | int, ...], count: int) -> list[str]:
        """'file:line' of each entry of the list at `loc`, worked out once for every use of a block."""
        known = self.wheres.get(loc)
        if known is None or len(known) != count:
            known = self.wheres[loc] = self.spec.wheres(loc, count)
        return known

    def _names(self, parsed: list[Parsed], prefix: str) -> list[str]:
        """Local names: given ones, else kind_n for layers and the block's name for blocks."""
        given: dict[str, str] = {}
        written: list[Any] = []  # each entry's name, None where it has none
        counts: dict[str, int] = {}  # entries without a name, by type
        for kind, values, where in parsed:
            name = values.name if isinstance(values, Layer) else values.get("name")
            written.append(name)
            if name is None:
                counts[kind] = counts.get(kind, 0) + 1
                continue
            if _too_long(name):
                raise SpecError(f"{where}: '{kind}': name {_long_name(name)}")
            if not _valid_name(name):
                raise SpecError(
                    f"{where}: '{kind}': name {name!r} must be a word without dots, "
                    "slashes, spaces or invisible characters, not a number, and not 'input'"
                )
            if not prefix and name in self.input_names:
                raise SpecError(
                    f"{where}: '{kind}': name '{name}' is the name of an input — rename the layer"
                )
            if name in given:
                raise SpecError(
                    f"{where}: '{kind}': name '{name}' is already used at "
                    f"{given[name]} — names must be unique within a block"
                )
            given[name] = where
        names: list[str] = []
        seen = dict.fromkeys([*given, *([] if prefix else self.input_names)], 0)  # inputs' names too
        blocks = self.spec.blocks
        for (kind, _, _), name in zip(parsed, written, strict=True):
            if name is None:
                single_block = kind in blocks and counts[kind] == 1
                n = seen.get(kind, 0)
                name = kind if single_block and kind not in seen else None
                while name is None or name in seen:
                    n += 1
                    name = f"{kind}_{n}"
                seen[kind] = n
                seen.setdefault(name, 0)
            names.append(name)
        return names

    def _resolve(self, source: object, at: _Site) -> tuple[int, ...]:
        """Node indices named by `from` (without one: the previous entry, in scope)."""
        refs = source if isinstance(source, list) else [source]
        if not refs:
            raise SpecError(f"{at.where}: {at.label}: from is an empty list")
        return tuple([self._ref(r, at) for r in refs])

    def _ref(self, ref: object, at: _Site) -> int:
        where, i = at.where, at.i
        if ref == "input" and (at.prefix or self.spec.inputs is None):
            return at.scope_input  # a block's own input, or the network's one input
        if isinstance(ref, int) and not isinstance(ref, bool):
            if ref >= 0:
                raise SpecError(
                    f"{where}: {at.label}: from {ref}: use a negative offset "
                    "(-1 is the previous layer) or a name"
                )
            if i + ref < -1:
                raise SpecError(
                    f"{where}: {at.label}: from {ref} reaches before the start of its "
                    f"list (only {i} layers precede it) — use 'input' or a name"
                )
            return at.scope_input if i + ref == -1 else at.outputs[i + ref]
        if not isinstance(ref, str):
            raise SpecError(
                f"{where}: {at.label}: from takes names, negative offsets or 'input', not {ref!r}"
            )
        j = at.position.get(ref)
        if j is not None and j < i:
            return at.outputs[j]
        if ref in self.input_names:
            return self.input_names[ref]
        if ref == "input":
            raise SpecError(
                f"{where}: {at.label}: from input: this network has named inputs "
                f"({', '.join(self.input_names)}) — take one of them by name"
            )
        if j is not None:
            what = "its own output" if j == i else f"'{ref}', which comes later"
            raise SpecError(
                f"{where}: {at.label}: from takes {what}: that would form a cycle — "
                "a layer can only take earlier layers' outputs"
            )
        for name in (at.prefix + ref, ref):
            if name in self.paths:
                return self.paths[name]
        raise SpecError(
            f"{where}: {at.label}: from names unknown layer '{ref}'"
            f"{nearest(ref, [*at.local[:i], *self.paths, *self.input_names, 'input'])}"
        )

    def _owner(self, ref: str, at: _Site) -> int:
        """The node whose parameters `share: ref` names: an earlier layer (the first owner of a
        chain: a layer sharing a sharer shares the original)."""
        where, j = at.where, at.position.get(ref)
        if j is not None and j >= at.i:
            what = "itself" if j == at.i else f"'{ref}', which comes later"
            raise SpecError(
                f"{where}: {at.label}: share names {what} — a layer shares the parameters of an "
                "earlier layer: share them from the later one instead"
            )
        name = (
            at.prefix + ref
            if j is not None
            else next((n for n in (at.prefix + ref, ref) if n in self.paths), None)
        )
        if name is None:
            hint = nearest(ref, [*at.local[: at.i], *self.paths])
            raise SpecError(f"{where}: {at.label}: share names unknown layer '{ref}'{hint}")
        if self.paths[name] < 0:
            raise SpecError(f"{where}: {at.label}: share names '{ref}', which is skipped (when: false)")
        node = self.nodes[self.paths[name]]
        if node.path != name:
            raise SpecError(
                f"{where}: {at.label}: share names block '{ref}' — share takes one layer, "
                "like share: block.layer"
            )
        if node.shares is not None and node.layer.share_tensors is not None:
            owner = self.nodes[node.shares].path
            raise SpecError(
                f"{where}: {at.label}: share names '{ref}', which takes only some tensors from '{owner}' "
                f"(share_tensors) and owns the rest — share '{owner}' instead"
            )
        return node.shares if node.shares is not None else node.index

    def _layer(
        self,
        kind: str,
        values: Values,
        where: str,
        path: str,
        inputs: tuple[int, ...],
        groups: tuple[str, ...],
    ) -> int:
        """The node of a layer entry (its label, for messages, worked out only for one)."""
        index = len(self.nodes)  # one int object for the node and the inputs naming it
        if isinstance(values, Layer):
            layer = values
        elif kind in BY_KIND:
            layer = self._validated(kind, values, where, index, path)
        else:
            hint = nearest(kind, [*BY_KIND, *self.spec.blocks]) or " — see `netcalc layers`"
            raise SpecError(f"{where}: {_layer_label(index, kind, path)}: unknown layer type '{kind}'{hint}")
        if index >= MAX_LAYERS:
            raise SpecError(
                f"{where}: the spec expands to more than {MAX_LAYERS:,} layers — reduce the repeats"
            )
        _check_inputs(type(layer), len(inputs), where, index, kind, path)
        training = bool(self.training_only) or layer.training_only
        for i in inputs:
            if i >= 0 and self.nodes[i].training_only and not training:
                label = _layer_label(index, kind, path)
                raise SpecError(
                    f"{where}: {label}: takes the output of training-only layer "
                    f"'{self.nodes[i].path}', so inference would need it — take another layer "
                    "(from: NAME) or mark this one training_only too"
                )
        trainable = not self.frozen and layer.trainable
        self.nodes.append(Node(index, path, layer, inputs, groups, where, training, trainable))
        return index

    def _validated(self, kind: str, values: dict[str, Any], where: str, index: int, path: str) -> Layer:
        """The layer of an entry's values, validated once per distinct values; an entry's own name
        and `from`, when plain, are left out of that: its layer is a copy of the first one validated
        with the same other values, with its own name and source."""
        own = {_OWN[k]: list(v) if isinstance(v, list) else v for k, v in values.items() if k in _OWN}
        if own and "source" not in values and _plain_own(own):
            rest = repr({k: v for k, v in values.items() if k not in _OWN})
            key: tuple[str, ...] = (kind, rest, *own)  # the same fields given: the same fields set
            known = self.validated.get(key)
            if known is not None:
                return known.model_copy(update=own)
        else:
            key = (kind, repr(values))  # equal reprs of plain YAML values are equal values
            known = self.validated.get(key)
            if known is not None:
                return known
        layer = self.validated[key] = validate_layer(kind, values, where, _layer_label(index, kind, path))
        return layer

    def _block(
        self,
        kind: str,
        values: dict[str, Any],
        where: str,
        label: str,
        path: str,
        inputs: tuple[int, ...],
        stack: tuple[str, ...],
        groups: tuple[str, ...],
        caller: dict[str, Any],
    ) -> int:
        if kind in stack:
            chain = " -> ".join([*stack[stack.index(kind) :], kind])
            raise SpecError(
                f"{where}: {label}: the block uses itself ({chain}) — a block "
                "may use other blocks, never itself"
            )
        if len(stack) >= MAX_NESTING:
            raise SpecError(
                f"{where}: {label}: blocks nest more than {MAX_NESTING} deep "
                f"({' -> '.join(stack[:3])} -> ...) — flatten some of them"
            )
        if len(inputs) != 1:
            raise SpecError(f"{where}: {label}: a block takes one input but from names {len(inputs)}")
        block = self.spec.blocks[kind]
        written = block.defaults()
        given = {k: v for k, v in values.items() if k not in RESERVED}
        for key in given:
            if key not in written:
                hint = nearest(key, [*written, *RESERVED]) or (
                    f" — its arguments: {', '.join(written) or 'none'}, {', '.join(RESERVED)}"
                )
                raise SpecError(f"{where}: {label}: unknown argument '{key}'{hint}")
        missing = [k for k, v in written.items() if v is None and k not in given]
        if missing:
            raise SpecError(f"{where}: {label}: missing argument '{missing[0]}' (it has no default)")
        repeat = values.get("repeat")
        if repeat is not None and (type(repeat) is not int or not 1 <= repeat <= MAX_LAYERS):
            raise SpecError(
                f"{where}: {label}: repeat must be a whole number from 1 to {MAX_LAYERS:,} (got {repeat!r})"
            )
        use = _Use(
            kind, written, given, caller, where, label, _PROVIDED.search(repr((block, given))) is not None
        )
        training = values.get("training_only", False)
        frozen = not values.get("trainable", True)
        for key in ("training_only", "trainable"):
            if type(values.get(key, False)) is not bool:
                raise SpecError(f"{where}: {label}: {key} is true or false (got {values[key]!r})")
        self.training_only += training
        self.frozen += frozen
        try:
            return self._instances(block, use, path, inputs[0], repeat, stack, groups)
        finally:
            self.training_only -= training
            self.frozen -= frozen

    def _check_size(
        self, use: _Use, repeat: int | None, args: dict[str, Any], stack: tuple[str, ...]
    ) -> None:
        """A SpecError before a block use is built when it makes more layers (or block instances)
        than MAX_LAYERS: 30 nested `repeat: 2` make 2^30, refused at once, not after 200,000."""
        layers, uses = self._least(use.kind, _fixed(args), stack)
        n = repeat or 1
        _check_counts(use.where, use.label, layers, repeat, len(self.nodes), n * uses + len(self.groups))

    def check_total(self) -> None:
        """A SpecError before anything is built when the spec's layers make more than MAX_LAYERS
        (or as many block instances), naming the entry that makes the most."""
        counts: list[Size] = []
        layers = uses = 0
        for entry in self.spec.layers:
            counts.append(self._least_entry(entry, self.spec.args, ()))
            layers, uses = layers + counts[-1][0], uses + counts[-1][1]
            if layers > MAX_LAYERS or uses > MAX_LAYERS:
                top = counts.index(max(counts))
                where = self.spec.where(("layers", top))
                kind, values = split_entry(self.spec.layers[top], where, top)
                repeat = None if isinstance(values, Layer) else values.get("repeat")
                repeat = repeat if type(repeat) is int else None
                label = f"block '{kind}'" if kind in self.spec.blocks else f"'{kind}'"
                one = counts[top][0] // (repeat or 1)
                _check_counts(where, label, one, repeat, layers - counts[top][0], uses)

    def _least(self, kind: str, args: dict[str, Any], stack: tuple[str, ...]) -> Size:
        """The fewest (layers, block instances) one instance of block `kind` makes with these
        arguments: an entry skipped by a condition it cannot work out yet counts none, a repeat
        given by one counts once. Each (block, arguments) is worked out once, so blocks used many
        times by blocks used many times cost their distinct uses only; past MAX_LAYERS distinct
        ones, each built at least once, the instances are too many. A block using itself counts
        none (building it says so)."""
        key = (kind, repr(args))
        if key in self.least:
            return self.least[key]
        if len(self.least) >= MAX_LAYERS:
            return 0, MAX_LAYERS + 1
        self.least[key] = (0, 1)
        if kind in stack or len(stack) >= MAX_NESTING:
            return 0, 1
        layers, uses = 0, 1
        for entry in self.spec.blocks[kind].layers:
            more = self._least_entry(entry, args, (*stack, kind))
            layers, uses = layers + more[0], uses + more[1]
        self.least[key] = layers, uses
        return layers, uses

    def _least_entry(self, entry: object, args: dict[str, Any], stack: tuple[str, ...]) -> Size:
        """The fewest (layers, block instances) one entry of a block makes (see _least)."""
        if self._plain_layer(entry):
            return 1, 0
        try:
            kind, values = split_entry(entry, "", 0)
            if isinstance(values, Layer):
                return 1, 0
            kind = substitute(kind, args)
            if substitute(values.get("when", True), args) is not True:
                return 0, 0
            if kind not in self.spec.blocks:
                return 1, 0
            repeat = substitute(values.get("repeat", 1), args)
            written = substitute(self.spec.blocks[kind].defaults(), self.spec.args)
            given = substitute({k: v for k, v in values.items() if k not in RESERVED}, args)
        except (NetcalcError, ArithError, RecursionError, MemoryError):
            return 0, 0  # building it will say what is wrong
        n = repeat if type(repeat) is int and 1 <= repeat <= MAX_LAYERS else 1
        layers, uses = self._least(kind, _fixed({**self.spec.args, **written, **given}), stack)
        return n * layers, n * uses + (n > 1)  # a repeated use is a group of its instances

    def _plain_layer(self, entry: object) -> bool:
        """Whether an entry is a layer as written: its type a name without $ (no block's), no when:
        one layer, whatever the arguments (_least_entry's quick answer for most entries)."""
        if type(entry) is str:
            return "$" not in entry and entry not in self.spec.blocks
        if not isinstance(entry, dict) or len(entry) != 1:
            return False
        kind, values = next(iter(entry.items()))
        if type(kind) is not str or "$" in kind or kind in self.spec.blocks:
            return False
        return values is None or isinstance(values, dict) and "when" not in values

    def _arguments(self, use: _Use, source: int, index: int) -> dict[str, Any]:
        """The arguments of one instance of a block use: the spec's, the block's defaults, the
        use's own; and $in (the instance's input shape) and $index (its 0-based repeat) when the
        block or the use mention them (an argument declared with either name hides them)."""
        provided = {"in": list(self._shape(source)), "index": index} if use.provided else {}
        defaults = use.written
        if not fixed(defaults):  # a block's defaults may use the spec's arguments: {width: $width}
            where = self.spec.where(("blocks", use.kind))
            known = {**provided, **self.spec.args}
            _check_defaults(defaults, known, where, use.kind)
            defaults = _substitute(defaults, known, where, use.label)
        given = _substitute(use.given, {**use.caller, **provided}, use.where, use.label)
        return {**provided, **self.spec.args, **defaults, **given}  # the block's own hide the spec's

    def _shape(self, index: int) -> tuple[int, ...]:
        """The output shape of a node made so far (an input's shape for an input), for $in: worked
        out once per node, in order, as the engine will."""
        if index < 0:
            return tuple(self.spec.input_shapes[list(self.input_names)[-1 - index]])
        for node in self.nodes[len(self.shapes) : index + 1]:
            inputs = tuple(self._shape(i) for i in node.inputs)
            try:
                self.shapes.append(node.layer.output_shape(inputs))
            except ShapeError as error:
                shown = " + ".join(str(list(shape)) for shape in inputs)
                raise ShapeError(
                    f"{node.where}: layer {node.index} '{node.layer.kind}' ({node.path}): {error} "
                    f"[input {shown}]"
                ) from None
        return self.shapes[index]

    def _instances(
        self,
        block: Block,
        use: _Use,
        path: str,
        source: int,
        repeat: int | None,
        stack: tuple[str, ...],
        groups: tuple[str, ...],
    ) -> int:
        """The block's layers once, or `repeat` times as path.1, path.2, ...; the last output."""
        kind, where = use.kind, use.where
        depth = len(groups)
        parent = groups[-1] if groups else None
        args = self._arguments(use, source, 0)  # the same for every repeat unless $in or $index
        self._check_size(use, repeat, args, stack)
        self.groups.append(Group(path, kind, parent, depth, repeat, where))
        body = ("blocks", kind, "layers")
        if repeat is None:
            return self.scope(block.layers, body, path + ".", source, args, (*stack, kind), (*groups, path))
        out = source
        for r in range(1, repeat + 1):
            instance = f"{path}.{r}"
            self.groups.append(Group(instance, kind, path, depth + 1, None, where))
            if use.provided and r > 1:  # the first instance's are worked out above
                args = self._arguments(use, out, r - 1)
            out = self.scope(
                block.layers, body, instance + ".", out, args, (*stack, kind), (*groups, path, instance)
            )
            self.paths[instance] = out
        return out
