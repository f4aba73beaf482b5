"""`analyze`: the engine's rows and every analysis pass, held in one immutable Report with its
versioned JSON form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import repeat
from typing import Any

from netcalc import engine
from netcalc.analysis.blocks import GroupRow, groups, totals
from netcalc.analysis.generation import Generation, generation
from netcalc.analysis.lint import warnings
from netcalc.analysis.liveness import Liveness, liveness
from netcalc.analysis.memory import Memory, memory
from netcalc.analysis.receptive_field import LayerField, ReceptiveField, receptive_field
from netcalc.collector import paused
from netcalc.engine import Counts, Row
from netcalc.errors import NetcalcError
from netcalc.graph import Network
from netcalc.spec import DTYPE_BYTES

__all__ = [
    "Counts",
    "Generation",
    "GroupRow",
    "Liveness",
    "Memory",
    "ReceptiveField",
    "Report",
    "Row",
    "analyze",
]

SCHEMA_VERSION = 1


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
    liveness: Liveness | None = None  # None only for a Report built by hand
    receptive_field: ReceptiveField | None = None  # None in a sweep's totals-only report
    generation: Generation | None = None  # MACs per generated token, for a network that generates
    inputs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # every input: (name, shape), in order
    outputs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # every output: (layer name, shape)
    declared_outputs: bool = False  # the spec lists its outputs (`outputs:`)

    @property
    def params(self) -> int:
        """Parameters, frozen ones too: the number PyTorch and torchvision report."""
        return self.totals.params

    @property
    def trainable_params(self) -> int:
        """Parameters that train (all but those under `trainable: false`)."""
        return self.totals.trainable

    @property
    def params_with_state(self) -> int:
        """Parameters plus batchnorm running statistics: Keras's 'Total params'."""
        return self.totals.params + self.totals.state

    @property
    def peak_bytes(self) -> int:
        """Weights plus the inference activations alive at once at their peak, at the batch."""
        if self.liveness is None:
            return self.memory.total
        return self.memory.params + self.liveness.peak_bytes(self._dtype_bytes())[0] * self.batch

    @property
    def peak_layer(self) -> int | None:
        """The index of the layer where the bytes alive are the most (None without liveness)."""
        if self.liveness is None:
            return None
        return self.liveness.peak_bytes(self._dtype_bytes())[1]

    def layers(self) -> Iterator[tuple[Row, LayerField | None]]:
        """Each row with its receptive field (None in a report without them)."""
        if self.receptive_field is None:
            return zip(self.rows, repeat(None))
        return zip(self.rows, self.receptive_field.layers, strict=True)

    def _dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def to_dict(self, lazy_rows: bool = False) -> dict[str, Any]:
        """The documented JSON structure (see README, 'JSON output'); `lazy_rows`: its layers and
        groups as generators, each made as it is written (render.jsontext.parts), never all held at
        once."""
        t = self.totals
        layers = (layer_dict(r, f) for r, f in self.layers())
        groups = (group_dict(g) for g in self.groups)
        return {
            "netcalc_json": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            **self._named_shapes(),
            "dtype": self.dtype,
            "batch": self.batch,
            "totals": {
                "params": t.params,
                "trainable_params": t.trainable,
                "non_trainable_params": t.non_trainable,
                "params_with_state": t.params + t.state,
                "neurons": t.neurons,
                "macs": t.macs * self.batch,
                "flops": 2 * t.macs * self.batch,
                "activations": t.activations * self.batch,
                "memory_bytes": asdict(self.memory),
            },
            "layers": layers if lazy_rows else list(layers),
            "groups": groups if lazy_rows else list(groups),
            "warnings": list(self.warnings),
            **_generation_dict(self.generation),
        }

    @property
    def named_inputs(self) -> bool:
        """Whether the spec names its inputs (`inputs:`), rather than one `input:`."""
        return len(self.inputs) > 1 or any(n != "input" for n, _ in self.inputs)

    def _named_shapes(self) -> dict[str, Any]:
        """'inputs' and 'outputs' by name, for a spec that names them (its `inputs:` or
        `outputs:`): a one-input, one-output spec keeps 0.1's keys."""
        named: dict[str, Any] = {}
        if self.named_inputs:
            named["inputs"] = [{"name": n, "shape": list(s)} for n, s in self.inputs]
        if self.declared_outputs:
            named["outputs"] = [{"name": n, "shape": list(s)} for n, s in self.outputs]
        return named


# The headline totals of a report, as compare and diff show them: (key, label, getter).
TOTALS: tuple[tuple[str, str, Callable[[Report], int]], ...] = (
    ("params", "Params", lambda r: r.totals.params),
    ("non_trainable_params", "Non-trainable state", lambda r: r.totals.state),
    ("neurons", "Neurons", lambda r: r.totals.neurons),
    ("macs", "MACs", lambda r: r.totals.macs * r.batch),
    ("activations", "Activations", lambda r: r.totals.activations * r.batch),
    ("memory_bytes", "Memory (bytes)", lambda r: r.memory.total),
    ("layers", "Layers", lambda r: len(r.rows)),
)


def analyze(network: Network, batch: int = 1) -> Report:
    """The report of a loaded network: the engine's rows, then every analysis pass over them."""
    if type(batch) is not int or batch < 1:
        raise NetcalcError(f"batch must be a positive whole number (got {batch!r})")
    with paused():
        rows = engine.rows(network)
        fields = receptive_field(network, rows)
        return _assemble(
            network,
            batch,
            rows,
            groups=groups(network, rows),
            warnings=warnings(network, rows) + fields.warnings,
            liveness=liveness(network, rows),
            receptive_field=fields,
            generation=generation(network, rows),
        )


def totals_report(network: Network, batch: int, with_liveness: bool) -> Report:
    """The rows, their totals and the memory figures only (no block subtotals, no lint): what one
    point of a sweep needs; liveness only when asked."""
    rows = engine.rows(network)
    live = liveness(network, rows) if with_liveness else None
    return _assemble(network, batch, rows, groups=(), liveness=live)


def _assemble(network: Network, batch: int, rows: tuple[Row, ...], **passes: Any) -> Report:
    sums = totals(rows)
    outputs = tuple((rows[i].name, rows[i].output_shape) for i in network.outputs)
    return Report(
        name=network.name,
        description=network.description,
        source=network.source,
        input_shape=network.input,
        output_shape=outputs[0][1],
        inputs=tuple(network.inputs.items()),
        outputs=outputs,
        declared_outputs=bool(network.declared),
        dtype=network.dtype,
        batch=batch,
        rows=rows,
        totals=sums,
        memory=memory(network, sums, batch),
        **passes,
    )


def _counts_dict(c: Counts) -> dict[str, int]:
    return {
        "params": c.params,
        "non_trainable_params": c.non_trainable,
        "neurons": c.neurons,
        "macs": c.macs,
        "activations": c.activations,
    }


def _generation_dict(g: Generation | None) -> dict[str, Any]:
    """The `generation` key, only for a network that generates (older readers see no change)."""
    if g is None:
        return {}
    return {"generation": {"input": g.input, "context": g.context, "macs_per_token": g.macs_per_token}}


def layer_dict(row: Row, field: LayerField | None) -> dict[str, Any]:
    """One of the JSON form's layers: the row, and its receptive field when the report has them."""
    return _row_dict(row) | ({"receptive_field": field.to_dict()} if field else {})


def _row_dict(r: Row) -> dict[str, Any]:
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
        **({"shares": r.shares, "shared_tensors": dict(r.shared_tensors)} if r.shares else {}),
        **_counts_dict(r.counts),
    }


def group_dict(g: GroupRow) -> dict[str, Any]:
    """One of the JSON form's groups: a block's subtotals."""
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
