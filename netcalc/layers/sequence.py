"""Sequence layers: the token embedding and the recurrent layers (RNN, LSTM, GRU)."""

from typing import ClassVar, Literal, Self

from pydantic import model_validator

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg, keep_input
from netcalc.layers.fields import IDENTITY, Reads, everything
from netcalc.layers.formula import Explained, Expr, grouped, num, plus, times

ID_BYTES = 8  # token ids are int64, as PyTorch's embedding takes them
MAX_STACK = 1_000  # stacked layers of one rnn, lstm or gru (PyTorch's num_layers)


class Embedding(Layer):
    """Token embedding (PyTorch Embedding, Keras Embedding): (L,) integer ids -> (L, dim).

    Each id picks its row of a learned table. params: weight = vocab * dim. No MACs and no
    neurons: a lookup is not a weighted sum. The input it reads holds int64 token ids, written
    with its length only (`input: [128]`). saved: the ids (int64), to scatter the table's gradient.
    """

    kind = "embedding"
    vocab: PositiveInt = arg(..., "vocab", "num_embeddings", "input_dim", doc="number of token ids")
    dim: PositiveInt = arg(..., "dim", "embedding_dim", "output_dim", doc="width of each row")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) != 1:
            raise ShapeError(
                f"embedding reads token ids (L,) but got {len(shape)} axes {list(shape)}: axis 1 "
                f"({shape[1] if len(shape) > 1 else 0}) is one too many — write the ids' input with "
                "its length only (input: [L]); an (L, D) input is already embedded (use dense)"
            )
        return (shape[0], self.dim)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"weight": self.vocab * self.dim}

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape]:
        """weight (vocab, dim): a dense layer of `units: vocab` on width dim can tie to it."""
        return {"weight": (self.vocab, self.dim)}

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (Saved("input0", inputs[0][0], itemsize=ID_BYTES),)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (Reads(((0, IDENTITY), None)),)  # position i reads id i; its row is made anew

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        tensors = {"weight": times(self.vocab, self.dim)}
        return Explained((num(output[0]), num(self.dim)), tensors, note="one row of dim per id")


class _Recurrent(Layer):
    """A recurrent layer over a sequence (L, F): PyTorch's RNN, LSTM and GRU (batch_first).

    Per layer k and direction (`_reverse` for the backward one), with in_0 = F and
    in_k = units * directions after: weight_ih_l{k} = G * units * in_k, weight_hh_l{k} = G * units^2,
    bias_ih_l{k} = bias_hh_l{k} = G * units (G gates). MACs = L * sum over layers and directions of
    G * units * (in_k + units): the gate matrix products of every time step (computed whatever
    return_sequences is). neurons = L * layers * directions * G * units: the gates' pre-activations,
    each a weighted sum of the step's input and the previous hidden state.
    """

    weighted = True
    gates: ClassVar[int]
    units: PositiveInt = arg(..., "units", "hidden_size", doc="hidden state size")
    layers: PositiveInt = arg(1, "layers", "num_layers", doc="stacked recurrent layers")
    bidirectional: bool = arg(False, doc="also run the sequence backwards, outputs concatenated")
    return_sequences: bool = arg(
        True, doc="output every step (L, units * directions), or the final hidden state only"
    )
    bias: bool | Literal["single"] = arg(
        True, "bias", "use_bias", doc="two biases per gate (PyTorch), single (Keras) or none"
    )

    @model_validator(mode="after")
    def _stack_bounded(self) -> Self:
        if self.layers > MAX_STACK:  # every layer is a loop over its tensors: keep it bounded
            raise ValueError(
                f"layers: at most {MAX_STACK:,} stacked recurrent layers (got {self.layers:,}) — "
                "stack fewer, or repeat a block of them"
            )
        return self

    @property
    def directions(self) -> int:
        """2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) != 2:
            fix = (
                f"reshape to [{shape[0]}, 1] for one feature per step, or embed token ids first"
                if len(shape) == 1
                else "reshape it to (L, F)"
            )
            raise ShapeError(
                f"{self.kind} reads a sequence (L, F) but got {len(shape)} "
                f"{'axis' if len(shape) == 1 else 'axes'} {list(shape)}: "
                f"it needs a time axis L and a feature axis F — {fix}"
            )
        width = self.units * self.directions
        return (shape[0], width) if self.return_sequences else (width,)

    def _sizes(self, features: int) -> list[tuple[str, int]]:
        """(suffix, input width) for every layer and direction, in PyTorch's order."""
        found = []
        for k in range(self.layers):
            width = features if k == 0 else self.units * self.directions
            found += [(f"_l{k}{suffix}", width) for suffix in ("", "_reverse")[: self.directions]]
        return found

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        g, h = self.gates, self.units
        counts: dict[str, int] = {}
        for suffix, width in self._sizes(inputs[0][1]):
            counts[f"weight_ih{suffix}"] = g * h * width
            counts[f"weight_hh{suffix}"] = g * h * h
            if self.bias:
                counts[f"bias_ih{suffix}"] = g * h
            if self.bias is True:
                counts[f"bias_hh{suffix}"] = g * h
        return counts

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        """The input and every step's hidden state per layer and direction (an estimate)."""
        states = inputs[0][0] * self.units * self.layers * self.directions
        return (keep_input(inputs), Saved("hidden states", states))

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        steps, features = inputs[0]
        g, h = self.gates, self.units
        return steps * sum(g * h * (width + h) for _, width in self._sizes(features))

    def neurons(self, output: Shape, inputs: tuple[Shape, ...] = ()) -> int:
        steps = inputs[0][0] if inputs else output[0]  # without inputs: return_sequences' L
        return steps * self.layers * self.directions * self.gates * self.units

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        steps, features = inputs[0]
        g, h = self.gates, self.units
        tensors: dict[str, Expr] = {}
        for suffix, width in self._sizes(features):
            tensors[f"weight_ih{suffix}"] = times(g, h, width)
            tensors[f"weight_hh{suffix}"] = times(g, h, h)
            if self.bias:
                tensors[f"bias_ih{suffix}"] = times(g, h)
            if self.bias is True:
                tensors[f"bias_hh{suffix}"] = times(g, h)
        macs = times(
            steps, plus(*(times(g, h, grouped(plus(width, h))) for _, width in self._sizes(features)))
        )
        out = times(h, self.directions)
        shape = (num(steps), out) if self.return_sequences else (out,)
        neurons = times(steps, self.layers, self.directions, g, h)
        return Explained(shape, tensors, macs, neurons=neurons)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (everything(2, len(output)),)  # every step reads the whole sequence (both ways)


class RNN(_Recurrent):
    """Elman RNN (PyTorch RNN, Keras SimpleRNN): h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh).

    G = 1 gate. `nonlinearity: relu` for ReLU. Keras's SimpleRNN (one bias) is bias: single.
    MACs = L * G * units * (in + units) summed over layers and directions (every step's gate
    matrix products); neurons = L * layers * directions * G * units (the gates' pre-activations).
    saved (an estimate: PyTorch's CPU kernels keep more, oneDNN a workspace for LSTM): the input
    and every step's hidden state per layer and direction.
    """

    kind = "rnn"
    gates = 1
    nonlinearity: Literal["tanh", "relu"] = arg("tanh", "nonlinearity", doc="tanh or relu")


class LSTM(_Recurrent):
    """Long short-term memory (PyTorch LSTM, Keras LSTM), G = 4 gates in PyTorch's order i, f, g, o:

    c_t = f * c_(t-1) + i * g, h_t = o * tanh(c_t); per layer and direction
    params = 4 * (units * in + units^2 + 2 * units). Keras's LSTM (one bias) is bias: single.
    MACs = L * G * units * (in + units) summed over layers and directions (every step's gate
    matrix products); neurons = L * layers * directions * G * units (the gates' pre-activations).
    saved (an estimate: PyTorch's CPU kernels keep more, oneDNN a workspace for LSTM): the input
    and every step's hidden state per layer and direction.
    """

    kind = "lstm"
    gates = 4


class GRU(_Recurrent):
    """Gated recurrent unit (PyTorch GRU), G = 3 gates in PyTorch's order r, z, n:

    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_(t-1). Keras's GRU
    with reset_after=True (its default) is this layer with bias: true; there is no single bias.
    MACs = L * G * units * (in + units) summed over layers and directions (every step's gate
    matrix products); neurons = L * layers * directions * G * units (the gates' pre-activations).
    saved (an estimate: PyTorch's CPU kernels keep more, oneDNN a workspace for LSTM): the input
    and every step's hidden state per layer and direction.
    """

    kind = "gru"
    gates = 3

    @model_validator(mode="after")
    def _two_biases(self) -> Self:
        if self.bias == "single":
            raise ValueError(
                "a GRU has no single-bias form: Keras's GRU(reset_after=True) has PyTorch's two "
                "biases (bias: true); reset_after=False computes another formula — use bias: true"
            )
        return self
