"""The immutable report of an analysis: rows, block groups, totals, and its JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Counts:
    """Additive figures of a layer, a group or the whole network (per sample)."""

    params: int = 0  # trainable parameters (PyTorch's count)
    state: int = 0  # non-trainable state: batchnorm running statistics
    neurons: int = 0
    macs: int = 0
    activations: int = 0  # output elements

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        """The figures in field order."""
        return (self.params, self.state, self.neurons, self.macs, self.activations)


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
    tensors: dict[str, int]  # trainable tensors by name
    state_tensors: dict[str, int]  # non-trainable tensors by name
    counts: Counts
    training_only: bool = False  # not run in inference: out of the MACs/neurons/activations totals

    @property
    def inference(self) -> Counts:
        """What this layer adds to the inference totals: all of it, or only its parameters."""
        if not self.training_only:
            return self.counts
        return Counts(self.counts.params, self.counts.state)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A block instance or repeat group with its subtotals."""

    name: str
    block: str
    depth: int
    parent: str | None
    repeat: int | None
    first: int  # index of its first row
    last: int  # index of its last row
    output_shape: tuple[int, ...]
    counts: Counts  # inference figures; a wholly training-only group: its own full cost
    training_only: bool = False


@dataclass(frozen=True, slots=True)
class Memory:
    """Bytes at the spec's dtype for the given batch."""

    input: int
    params: int  # trainable parameters and state
    activations: int  # every layer's output, as torchinfo's forward pass size
    total: int


@dataclass(frozen=True, slots=True)
class Report:
    """Everything netcalc computed for one spec."""

    name: str
    description: str | None
    source: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    dtype: str
    batch: int
    rows: tuple[Row, ...]
    groups: tuple[GroupRow, ...]
    totals: Counts
    memory: Memory
    warnings: tuple[str, ...] = field(default=())

    @property
    def params(self) -> int:
        """Trainable parameters: the number PyTorch and torchvision report."""
        return self.totals.params

    @property
    def params_with_state(self) -> int:
        """Parameters plus batchnorm running statistics: Keras's 'Total params'."""
        return self.totals.params + self.totals.state

    def to_dict(self) -> dict:
        """The documented JSON structure (see README, 'JSON output')."""
        t = self.totals
        return {
            "netcalc_json": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "dtype": self.dtype,
            "batch": self.batch,
            "totals": {
                "params": t.params,
                "trainable_params": t.params,
                "non_trainable_params": t.state,
                "params_with_state": t.params + t.state,
                "neurons": t.neurons,
                "macs": t.macs * self.batch,
                "flops": 2 * t.macs * self.batch,
                "activations": t.activations * self.batch,
                "memory_bytes": asdict(self.memory),
            },
            "layers": [_row_dict(r) for r in self.rows],
            "groups": [_group_dict(g) for g in self.groups],
            "warnings": list(self.warnings),
        }


def _counts_dict(c: Counts) -> dict:
    return {
        "params": c.params,
        "non_trainable_params": c.state,
        "neurons": c.neurons,
        "macs": c.macs,
        "activations": c.activations,
    }


def _row_dict(r: Row) -> dict:
    return {
        "index": r.index,
        "name": r.name,
        "type": r.kind,
        "depth": r.depth,
        "groups": list(r.groups),
        "inputs": list(r.inputs),
        "input_shapes": [list(s) for s in r.input_shapes],
        "output_shape": list(r.output_shape),
        "tensors": dict(r.tensors),
        "non_trainable_tensors": dict(r.state_tensors),
        "training_only": r.training_only,
        **_counts_dict(r.counts),
    }


def _group_dict(g: GroupRow) -> dict:
    return {
        "name": g.name,
        "block": g.block,
        "depth": g.depth,
        "parent": g.parent,
        "repeat": g.repeat,
        "first_layer": g.first,
        "last_layer": g.last,
        "output_shape": list(g.output_shape),
        "training_only": g.training_only,
        **_counts_dict(g.counts),
    }
