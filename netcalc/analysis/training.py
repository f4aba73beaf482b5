"""Training memory: weights, gradients, optimizer state, master weights and the activations saved
for the backward pass, at a batch, an optimizer and a precision.

Saved activations are what PyTorch autograd keeps in one training-mode forward pass: each layer
states its rule (`Layer.saved`, in its docstring); a tensor kept by several layers (a block input
read by a convolution and a shortcut, a ReLU's output read by the next convolution) is counted
once, and a view (flatten, reshape, permute) is the tensor it views. A layer keeps nothing when
no gradient flows through it (nothing before it has trainable parameters, and it has none: a frozen
layer, `trainable: false`, has no gradient and no optimizer state either). The figure
`saved` is PyTorch's own (tools/saved_tensors.py measures it): unique tensors seen by
`torch.autograd.graph.saved_tensors_hooks`, parameters excluded, batch-norm running statistics
included (autograd keeps a reference to them); `activations` leaves those out, as the weights
already hold them.

Precision (the PyTorch AMP / Lightning names): fp32 keeps everything in 4 bytes; bf16-mixed and
fp16-mixed keep 2-byte weights, gradients and activations, and fp32 master weights and optimizer
state (normalization statistics and indices keep their own widths). Optimizer state per parameter:
sgd none, momentum one buffer, adam and adamw two (exp_avg, exp_avg_sq), in fp32.

Checkpointing per top-level block (`checkpoint="blocks"`, torch.utils.checkpoint around each):
the forward pass keeps only what the layers outside blocks keep and each block's inputs; the
backward pass recomputes one block at a time, so the largest block's own saved tensors come on top.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod
from typing import Any

from netcalc.engine import Row
from netcalc.errors import UsageError
from netcalc.graph import Network
from netcalc.layers import Attention, Saved
from netcalc.layers.sequence import ID_BYTES

OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # fp32 buffers per parameter
PRECISIONS = {"fp32": 4, "bf16-mixed": 2, "fp16-mixed": 2}  # bytes of weights, grads, activations
CHECKPOINTS = ("none", "blocks")
FP32 = 4

Key = tuple[int, str]  # (node index, name): a tensor of the graph ("out") or a layer's own


@dataclass(frozen=True, slots=True)
class LayerSaved:
    """One layer's part of the saved activations, at the batch and precision."""

    index: int
    name: str
    kind: str
    saved: int  # bytes of the tensors this layer keeps that no earlier layer kept
    tensors: tuple[str, ...]  # what it keeps: "input", "output", "indices", ...


@dataclass(frozen=True, slots=True)
class KVCache:
    """The key/value cache of the attention layers for generation, at the spec's dtype."""

    layers: int
    per_token: int  # bytes per token (all attention layers, one sample)
    context: int  # the tokens of the spec's attention input
    batch: int
    total: int  # per_token * context * batch


@dataclass(frozen=True, slots=True)
class TrainingMemory:
    """Bytes one training step holds, by kind."""

    name: str
    batch: int
    optimizer: str
    precision: str
    checkpoint: str
    weights: int  # parameters at the working precision, plus buffers (fp32)
    gradients: int
    master_weights: int  # fp32 copy of the parameters in mixed precision
    optimizer_state: int
    activations: int  # saved for the backward pass (buffers excluded), checkpointing applied
    recompute: int  # checkpointing: the largest block's saved bytes, made again in the backward pass
    saved: int  # PyTorch's figure without checkpointing: unique saved tensors, buffers included
    layers: tuple[LayerSaved, ...]
    kv_cache: KVCache | None

    @property
    def total(self) -> int:
        """Everything a training step holds at once, by this estimate."""
        return self.weights + self.gradients + self.master_weights + self.optimizer_state + self.activations

    def parts(self) -> dict[str, int]:
        """The breakdown, in the order of the table: the total last."""
        return {
            "weights": self.weights,
            "gradients": self.gradients,
            "master_weights": self.master_weights,
            "optimizer_state": self.optimizer_state,
            "activations": self.activations,
            "total": self.total,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (bytes throughout)."""
        return {
            "name": self.name,
            "batch": self.batch,
            "optimizer": self.optimizer,
            "precision": self.precision,
            "checkpoint": self.checkpoint,
            **self.parts(),
            "recompute": self.recompute,
            "saved_tensors": self.saved,
            "layers": [_layer_json(layer) for layer in self.layers],
            "kv_cache": asdict(self.kv_cache) if self.kv_cache else None,
        }


def _layer_json(layer: LayerSaved) -> dict[str, Any]:
    """A layer's JSON: `type` as in count's JSON, `saved_bytes` saying its unit."""
    return {
        "index": layer.index,
        "name": layer.name,
        "type": layer.kind,
        "saved_bytes": layer.saved,
        "tensors": list(layer.tensors),
    }


def check_option(what: str, value: str, choices: tuple[str, ...]) -> str:
    """The value, or a UsageError naming the choices."""
    if value not in choices:
        raise UsageError(f"unknown {what} '{value}': use one of {', '.join(choices)}")
    return value


def training_memory(
    network: Network,
    rows: tuple[Row, ...],
    batch: int = 1,
    optimizer: str = "adam",
    precision: str = "fp32",
    checkpoint: str = "none",
) -> TrainingMemory:
    """The training memory of a network at a batch, an optimizer, a precision and a checkpointing."""
    slots = OPTIMIZERS[check_option("optimizer", optimizer, tuple(OPTIMIZERS))]
    width = PRECISIONS[check_option("precision", precision, tuple(PRECISIONS))]
    check_option("checkpoint", checkpoint, CHECKPOINTS)
    params = sum(r.counts.params for r in rows)
    trained = sum(r.counts.trainable for r in rows)  # frozen parameters get no gradient
    state = sum(r.counts.state for r in rows)
    kept = _kept(network, rows)
    layers, buffers = _layers(rows, kept, batch, width)
    saved = sum(layer.saved for layer in layers)
    activations, recompute = saved - buffers, 0
    if checkpoint == "blocks":
        forward, recompute = _checkpointed(network, rows, kept, batch, width)
        activations = forward + recompute
    return TrainingMemory(
        name=network.name,
        batch=batch,
        optimizer=optimizer,
        precision=precision,
        checkpoint=checkpoint,
        weights=params * width + state * FP32,
        gradients=trained * width,
        master_weights=trained * FP32 if width != FP32 else 0,
        optimizer_state=trained * FP32 * slots,
        activations=activations,
        recompute=recompute,
        saved=saved,
        layers=layers,
        kv_cache=kv_cache(network, rows, batch),
    )


def _tensors(network: Network) -> dict[int, int]:
    """Each node's output -> the node whose memory it is (a view is its base's)."""
    tensor = {i: i for i in network.input_nodes}
    for node in network.nodes:
        tensor[node.index] = tensor[node.inputs[0]] if node.layer.view else node.index
    return tensor


def _kept(network: Network, rows: tuple[Row, ...]) -> list[list[tuple[Key, Saved]]]:
    """Per layer, the tensors it keeps, each keyed by the tensor it is (views resolved)."""
    tensor = _tensors(network)
    grad: dict[int, bool] = dict.fromkeys(network.input_nodes, False)
    result: list[list[tuple[Key, Saved]]] = []
    for node, row in zip(network.nodes, rows, strict=True):
        layer = node.layer
        grads = tuple(grad[i] for i in node.inputs)
        grad[node.index] = any(grads) or row.counts.trainable > 0
        if not grad[node.index]:
            result.append([])
            continue
        kept = []
        for item in layer.saved(row.input_shapes, row.output_shape, grads):
            if item.tensor == "output":
                key: Key = (tensor[node.index], "out")
            elif item.tensor.startswith("input") and item.tensor[5:].isdigit():
                key = (tensor[node.inputs[int(item.tensor[5:])]], "out")
            else:
                key = (node.index, item.tensor)
            kept.append((key, item))
        result.append(kept)
    return result


def _bytes(item: Saved, batch: int, width: int) -> int:
    return item.elements * (batch if item.batched else 1) * (item.itemsize or width)


def _layers(
    rows: tuple[Row, ...], kept: list[list[tuple[Key, Saved]]], batch: int, width: int
) -> tuple[tuple[LayerSaved, ...], int]:
    """Each layer's new saved bytes (a tensor counted at its first keeper), and the buffers' bytes."""
    seen: set[Key] = set()
    layers, buffers = [], 0
    for row, items in zip(rows, kept, strict=True):
        size = 0
        for key, item in items:
            if key not in seen:
                seen.add(key)
                size += _bytes(item, batch, width)
                buffers += _bytes(item, batch, width) if item.buffer else 0
        names = tuple(item.tensor for _, item in items)
        layers.append(LayerSaved(row.index, row.name, row.kind, size, names))
    return tuple(layers), buffers


def _unique(items: list[tuple[Key, Saved]], batch: int, width: int) -> int:
    """Bytes of the distinct tensors among `items`, buffers left out (the weights hold them)."""
    found = {key: item for key, item in items if not item.buffer}
    return sum(_bytes(item, batch, width) for item in found.values())


def _checkpointed(
    network: Network, rows: tuple[Row, ...], kept: list[list[tuple[Key, Saved]]], batch: int, width: int
) -> tuple[int, int]:
    """Saved bytes with each top-level block checkpointed: (what the forward pass keeps: layers
    outside blocks and the blocks' inputs; the largest block's own, recomputed one at a time)."""
    tensor = _tensors(network)
    ids = network.token_ids
    top = {n.index: _top(n.groups, network) for n in network.nodes if n.groups}
    outside: list[tuple[Key, Saved]] = []
    blocks: dict[str, list[tuple[Key, Saved]]] = {}
    for node, items in zip(network.nodes, kept, strict=True):
        if node.index not in top:
            outside += items
            continue
        blocks.setdefault(top[node.index], []).extend(items)
        for i in node.inputs:
            if top.get(i) != top[node.index]:  # read from outside the block: kept for the recompute
                size = prod(network.input_nodes[i][1]) if i < 0 else prod(rows[i].output_shape)
                itemsize = ID_BYTES if i in ids else None  # token ids are int64 at any precision
                outside.append(((tensor[i], "out"), Saved("block input", size, itemsize=itemsize)))
    largest = max((_unique(items, batch, width) for items in blocks.values()), default=0)
    return _unique(outside, batch, width), largest


def _top(groups: tuple[str, ...], network: Network) -> str:
    """The top-level block instance a layer belongs to: a repeat's instance, not the repeat."""
    repeated = {g.path for g in network.groups if g.repeat is not None}
    return groups[1] if groups[0] in repeated and len(groups) > 1 else groups[0]


def kv_cache(network: Network, rows: tuple[Row, ...], batch: int) -> KVCache | None:
    """The attention layers' key/value cache per token and at the spec's token count and batch."""
    found = [(row.layer, row) for row in rows if isinstance(row.layer, Attention)]
    if not found:
        return None
    per_token = sum(layer.kv_cache(row.input_shapes) for layer, row in found) * network.dtype_bytes
    context = max(row.input_shapes[0][-2] for _, row in found)  # tokens: (..., N, D)
    return KVCache(len(found), per_token, context, batch, per_token * context * batch)
