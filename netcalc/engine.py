"""The pure-Python walk over a network: each layer's shapes, named tensors and counts, as rows."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from math import prod
from operator import attrgetter
from typing import TypeVar

from netcalc.errors import ShapeError
from netcalc.graph import Network, Node
from netcalc.layers import Layer, Shape


@dataclass(frozen=True, slots=True)
class Counts:
    """Additive figures of a layer, a group or the whole network (per sample)."""

    params: int = 0  # parameters, frozen ones included (PyTorch's count)
    state: int = 0  # non-trainable state: batchnorm running statistics
    neurons: int = 0
    macs: int = 0
    activations: int = 0  # output elements
    frozen: int = 0  # the parameters (of `params`) that are frozen: `trainable: false`

    @property
    def trainable(self) -> int:
        """Parameters that train: all but the frozen ones."""
        return self.params - self.frozen

    @property
    def non_trainable(self) -> int:
        """Keras's 'Non-trainable params': frozen parameters and batchnorm running statistics."""
        return self.frozen + self.state

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.params + other.params,
            self.state + other.state,
            self.neurons + other.neurons,
            self.macs + other.macs,
            self.activations + other.activations,
            self.frozen + other.frozen,
        )

    def astuple(self) -> tuple[int, ...]:
        """The figures in field order."""
        return (self.params, self.state, self.neurons, self.macs, self.activations, self.frozen)

    @staticmethod
    def total(terms: Sequence[Counts]) -> Counts:
        """The sum of many, figure by figure (no Counts made per term, as `+` makes)."""
        return Counts(*(sum(map(attrgetter(name), terms)) for name in FIGURES))


FIGURES = ("params", "state", "neurons", "macs", "activations", "frozen")  # Counts' fields, in order


@dataclass(frozen=True, slots=True)
class Row:
    """One layer: where it is, what it receives and gives, and what it costs."""

    index: int
    name: str
    kind: str
    depth: int
    groups: tuple[str, ...]
    inputs: tuple[str, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    tensors: dict[str, int]  # parameters by name (frozen ones too: see `trainable`)
    state_tensors: dict[str, int]  # non-trainable tensors by name
    counts: Counts
    training_only: bool = False  # not run in inference: out of the MACs/neurons/activations totals
    layer: Layer | None = field(default=None, compare=False, repr=False)  # its hyper-parameters
    trainable: bool = True  # false: its parameters are frozen
    shares: str | None = None  # the layer whose parameters it uses (`share:`)
    shared_tensors: dict[str, int] = field(default_factory=dict)  # those it uses, counted there
    tied: bool = False  # it shares another layer type's parameters (a dense head, an embedding's)

    @property
    def inference(self) -> Counts:
        """What this layer adds to the inference totals: all of it, or only its parameters."""
        if not self.training_only:
            return self.counts
        return Counts(self.counts.params, self.counts.state, frozen=self.counts.frozen)


def rows(network: Network) -> tuple[Row, ...]:
    """One row per layer, in order: its input and output shapes, tensors and counts."""
    shapes: dict[int, Shape] = {i: shape for i, (_, shape) in network.input_nodes.items()}
    names = {i: name for i, (name, _) in network.input_nodes.items()}
    known: dict[Hashable, _Figures] = {}
    single: dict[Shape, tuple[Shape]] = {}  # one tuple per input shape of a one-input layer
    result: list[Row] = []
    for node in network.nodes:
        inputs: tuple[Shape, ...]
        if len(node.inputs) == 1:
            shape = shapes[node.inputs[0]]
            inputs = single.get(shape) or single.setdefault(shape, (shape,))
        else:
            inputs = tuple(shapes[i] for i in node.inputs)
        row = _row(node, inputs, names, known)
        if node.shares is not None:
            row = _sharing(row, node, network.nodes[node.shares], result[node.shares])
        shapes[node.index] = row.output_shape
        names[node.index] = node.path
        result.append(row)
    return tuple(result)


# Counts beyond this are typos (a size of 10^30); refusing them keeps every table and JSON number
# printable and every float conversion finite.
MAX_COUNT = 10**30


def magnitude(n: int) -> int:
    """floor(log10(n)) of a positive int of any size, without printing it (Python refuses to
    print ints of more than 4,300 digits)."""
    e = max((n.bit_length() - 1) * 30103 // 100000, 0)
    while 10 ** (e + 1) <= n:
        e += 1
    while e and 10**e > n:
        e -= 1
    return e


def _where(node: Node) -> str:
    return f"{node.where}: layer {node.index} '{node.layer.kind}' ({node.path})"


def _shapes(inputs: tuple[Shape, ...]) -> str:
    return " + ".join(str(list(s)) if all(n.bit_length() < 128 for n in s) else "[...]" for s in inputs)


# A layer's output shape, tensors, state, MACs and counts at some input shapes
_Figures = tuple[Shape, dict[str, int], dict[str, int], int, Counts]

WIRING = ("name", "source")  # where a layer is and what it reads: no rule uses them
T = TypeVar("T")


def once(known: dict[Hashable, T], layer: Layer, inputs: tuple[Shape, ...], work: Callable[[], T]) -> T:
    """What `work` gives for a layer at some input shapes, worked out once per layer object (the
    layers of a repeated block are shared, so a repeat costs one rule evaluation) and once for the
    layers alike: of one type and the same arguments, each of the same type (2 and 2.0 apart), but
    for their name and `from` (a named layer and an unnamed one)."""
    key = (id(layer), inputs)  # the network holds its layers: an id is not reused meanwhile
    found = known.get(key)
    if found is None:
        arguments = layer.__dict__.copy()
        for name in WIRING:
            arguments.pop(name, None)
        values = tuple(arguments.values())  # in field order: the same keys for one type
        alike = (type(layer), values, tuple(map(type, values)))
        try:
            same: Hashable = (alike, inputs)
            found = known.get(same)
        except TypeError:  # a list-valued argument: this layer object only
            same = key
        if found is None:
            found = known[same] = work()
        known[key] = found
    return found


def _row(
    node: Node,
    inputs: tuple[Shape, ...],
    names: dict[int, str],
    known: dict[Hashable, _Figures],
) -> Row:
    """The node's row; its figures worked out once for the layers alike (see `once`)."""
    figures = once(known, node.layer, inputs, lambda: _figures(node, inputs))
    out, tensors, state, macs, counts = figures
    if not node.trainable:  # a property of the node (its block use may freeze it), not of the layer
        counts = replace(counts, frozen=counts.params)
    return Row(
        node.index,
        node.path,
        node.layer.kind,
        len(node.groups),
        node.groups,
        tuple(names[i] for i in node.inputs),
        inputs,
        out,
        tensors,
        state,
        counts,
        node.training_only,
        node.layer,
        node.trainable,
        None,
        NONE_SHARED,
    )


NONE_SHARED: dict[str, int] = {}  # every row that shares no tensor holds this one: never changed


def _sharing(row: Row, node: Node, owner: Node, owner_row: Row) -> Row:
    """A row of a layer that uses `owner`'s parameters (`share:`): the tensors of both with the
    same name, which must have the same shape as PyTorch holds them (a dense layer's (units, in)
    weight ties to an embedding's (vocab, dim) table), are counted at the owner only."""
    mine = node.layer.tensor_shapes(row.input_shapes)
    theirs = owner.layer.tensor_shapes(owner_row.input_shapes)
    if mine is None or theirs is None:
        kind = node.layer.kind if mine is None else owner.layer.kind
        raise ShapeError(
            f"{_where(node)}: share: '{kind}' layers cannot share parameters — share between "
            "dense, convolution and embedding layers"
        )
    common = [name for name in mine if name in theirs]
    chosen = node.layer.share_tensors
    if chosen is not None:
        missing = [name for name in chosen if name not in common]
        if missing:
            raise ShapeError(
                f"{_where(node)}: share_tensors: {', '.join(missing)} is not a tensor of both this "
                f"layer ({', '.join(mine) or 'none'}) and layer '{owner.path}' ({', '.join(theirs)}) — "
                f"name some of: {', '.join(common) or 'none'}"
            )
        common = list(chosen)
    for name in common:
        if mine[name] != theirs[name]:
            raise ShapeError(
                f"{_where(node)}: share: its {name} is {list(mine[name])} but that of layer "
                f"{owner.index} '{owner.layer.kind}' ({owner.path}) is {list(theirs[name])} — "
                "give the two layers the same sizes"
            )
    if not common:
        raise ShapeError(
            f"{_where(node)}: share: layer '{owner.path}' has no tensor of this layer's "
            f"({', '.join(theirs)} against {', '.join(mine) or 'none'})"
        )
    own = {name: n for name, n in row.tensors.items() if name not in common}
    params = sum(own.values())
    counts = replace(row.counts, params=params, frozen=0 if row.trainable else params)
    taken = {name: n for name, n in row.tensors.items() if name in common}
    tied = owner.layer.kind != node.layer.kind
    return replace(row, tensors=own, counts=counts, shares=owner.path, shared_tensors=taken, tied=tied)


def _figures(node: Node, inputs: tuple[Shape, ...]) -> _Figures:
    layer = node.layer
    try:
        out = layer.output_shape(inputs)
        tensors, state = layer.params(inputs), layer.state(inputs)
        macs = layer.macs(inputs, out)
    except ShapeError as error:
        raise ShapeError(f"{_where(node)}: {error} [input {_shapes(inputs)}]") from None
    except (OverflowError, ValueError):  # a float size of 1e400 (inf), or an int too long to print
        raise ShapeError(f"{_where(node)}: a size overflows: use sizes of a real network") from None
    counts = Counts(sum(tensors.values()), sum(state.values()), layer.neurons(out, inputs), macs, prod(out))
    for what, n in (("parameters", counts.params + counts.state), ("MACs", macs), ("outputs", prod(out))):
        if n > MAX_COUNT:
            raise ShapeError(
                f"{_where(node)}: about 10^{magnitude(n)} {what}, more than netcalc counts "
                f"(10^{len(str(MAX_COUNT)) - 1}) — use sizes of a real network [input {_shapes(inputs)}]"
            )
    return out, tensors, state, macs, counts
