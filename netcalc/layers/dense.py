"""Fully connected layers."""

from math import prod

from netcalc.errors import ShapeError
from netcalc.layers.activation import ActivationName, fused_saved
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg, keep_input
from netcalc.layers.fields import IDENTITY, Reads
from netcalc.layers.formula import Explained, num, times


class Dense(Layer):
    """Fully connected layer on the last axis (PyTorch Linear, Keras Dense).

    out = x[..., in] @ W[in, units] + b;  params = units * in + units (bias);
    MACs = (elements before the last axis) * in * units;  neurons = output elements.
    saved: its input (for the weight's gradient), and what a fused activation keeps.
    """

    kind = "dense"
    weighted = True
    units: PositiveInt = arg(..., "units", "out_features", doc="number of neurons")
    bias: bool = arg(True, "bias", "use_bias", doc="add a learned bias")
    activation: ActivationName | None = arg(None, doc="activation applied to the output")
    in_features: PositiveInt | None = arg(None, doc="optional check of the input size")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if not shape or shape[-1] == 0:
            raise ShapeError(
                f"dense needs an input with features on its last axis but got {list(shape)} — "
                "give it a non-empty feature axis (flatten a scalar's source, or fix the previous layer)"
            )
        if self.in_features is not None and self.in_features != shape[-1]:
            raise ShapeError(
                f"in_features={self.in_features} but the input has {shape[-1]} features "
                f"on its last axis {list(shape)} — drop in_features or fix the previous layer"
            )
        return (*shape[:-1], self.units)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        counts = {"weight": self.units * inputs[0][-1]}
        if self.bias:
            counts["bias"] = self.units
        return counts

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape]:
        """weight (units, in), as PyTorch's Linear: an embedding's (vocab, dim) table ties to it."""
        shapes: dict[str, Shape] = {"weight": (self.units, inputs[0][-1])}
        return shapes | ({"bias": (self.units,)} if self.bias else {})

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return prod(inputs[0][:-1]) * inputs[0][-1] * self.units

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        last = len(output) - 1  # every feature of the last axis; the axes before it one to one
        return (Reads(tuple((a, IDENTITY) for a in range(last)) + (None,), frozenset({last})),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        features = inputs[0][-1]
        tensors = {"weight": times(self.units, features)}
        if self.bias:
            tensors["bias"] = num(self.units)
        macs = times(*inputs[0][:-1], features, self.units)
        return Explained(tuple(num(n) for n in output), tensors, macs, "the last axis becomes units")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs), *fused_saved(self.activation, output))
