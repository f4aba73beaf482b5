"""MACs per generated token: what one more token costs a decoder at its context length.

The rule, for a network that generates (below): the MACs of computing the last position of the
token stream, L = the stream input's length, when the L - 1 earlier positions are cached (a KV
cache, as every decoder runs in inference). Per layer that depends on the stream:
- self-attention (causal): the new token's q, k, v and out projections, and its q . k and
  weights . v over all L keys: D*h*d + 2 * D*g*d + 2 * L*h*d + h*d*D
  (h heads, g kv_heads, d head_dim: the attention layer's own MACs at N = 1 query, M = L keys
  whose projections are cached);
- cross-attention (queries from the stream, memory not): the q and out projections and the
  products over the memory's M rows: D*h*d + 2 * M*h*d + h*d*D (the memory's keys and values are
  projected once per input, not per token);
- a recurrent layer: one time step, its MACs / L;
- every other layer: its MACs / L (a position-wise layer: dense, norms, activations, embeddings).
Layers that do not depend on the stream (an encoder) run once per input: not counted. Neither are
training-only layers. Masked products are not counted here: one new query has no masked key.

A network generates when one input (the stream) reaches a causal self-attention or a
unidirectional recurrent layer that returns sequences, and every layer depending on it keeps the
stream as its first axis with L positions, and mixes positions only causally (no attention
without `causal: true` on the stream, no bidirectional recurrence) with position-wise MACs. Any
other network has no figure (None): nothing is declared, the network's shape decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcalc.engine import Row
from netcalc.graph import Network
from netcalc.layers.transformer import Attention

RECURRENT = ("rnn", "lstm", "gru")
CAUSAL = frozenset({"attention", *RECURRENT})  # the kinds a generating network has on its stream


@dataclass(frozen=True, slots=True)
class Generation:
    """MACs per generated token at the context length, and each layer's share of them."""

    input: str  # the stream: the input the generated tokens enter by
    context: int  # L, the stream's length: the generated token attends to L positions
    macs_per_token: int
    layers: tuple[tuple[int, int], ...]  # (row index, MACs per token) of each layer on the stream


def generation(network: Network, rows: tuple[Row, ...]) -> Generation | None:
    """The per-token figure of a generating network, or None (see the module's rule)."""
    if not any(row.kind in CAUSAL for row in rows):
        return None  # nothing that generates: no input's layers need following
    names = _input_names(network)
    for node_index, name in names.items():
        found = _stream(network, rows, node_index, name)
        if found is not None:
            return found
    return None


def _input_names(network: Network) -> dict[int, str]:
    """Each network input's node index (-1, -2, ...) and name."""
    inputs = getattr(network, "input_nodes", None)
    if inputs is None:  # one input, named input
        return {-1: "input"}
    return {index: item[0] for index, item in inputs.items()}


def _stream(network: Network, rows: tuple[Row, ...], start: int, name: str) -> Generation | None:
    """The figure with `start` as the stream, or None when the network does not generate from it."""
    on_stream = {start}
    context = _input_length(network, start)
    if context is None:
        return None
    layers: list[tuple[int, int]] = []
    causal = False
    for node, row in zip(network.nodes, rows, strict=True):
        if not any(i in on_stream for i in node.inputs):
            continue
        on_stream.add(node.index)
        if node.training_only:
            continue
        if not row.output_shape or row.output_shape[0] != context:
            return None
        macs = _per_token(row, [i in on_stream for i in node.inputs], context)
        if macs is None:
            return None
        causal = causal or row.kind in CAUSAL
        layers.append((row.index, macs))
    if not causal:
        return None
    return Generation(name, context, sum(m for _, m in layers), tuple(layers))


def _input_length(network: Network, index: int) -> int | None:
    inputs = getattr(network, "input_nodes", None)
    shape = network.input if inputs is None else inputs[index][1]
    return shape[0] if shape else None


def _per_token(row: Row, from_stream: list[bool], context: int) -> int | None:
    """This layer's MACs for one new position, or None when it mixes positions non-causally."""
    layer = row.layer
    if row.kind == "attention":
        return _attention(row, from_stream)
    if row.kind in RECURRENT and (getattr(layer, "bidirectional", False) or not _sequences(layer)):
        return None
    if row.counts.macs % context:
        return None  # not position-wise: no per-token share
    return row.counts.macs // context


def _sequences(layer: object) -> bool:
    return bool(getattr(layer, "return_sequences", True))


def _attention(row: Row, from_stream: list[bool]) -> int | None:
    layer = row.layer
    queries, memory = row.input_shapes[0], row.input_shapes[-1]
    if not isinstance(layer, Attention) or len(queries) != 2 or not from_stream[0]:
        return None  # windows (leading axes) attend within themselves, not along a stream
    d_model, keys = queries[-1], memory[-2]
    heads = layer.heads
    kv_heads = layer.kv_heads or heads
    width = layer.head_dim or d_model // heads
    inner = heads * width
    q_out = d_model * inner + inner * d_model
    scores = 2 * keys * inner  # q . k and weights . v over every key
    if from_stream[-1]:  # self-attention: keys and values of the new token too, behind a mask
        if not layer.causal:
            return None
        return q_out + 2 * memory[-1] * kv_heads * width + scores
    return q_out + scores  # cross-attention: the memory's keys and values are cached
