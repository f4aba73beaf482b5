"""Element-wise activations: they keep the shape, add no parameters and no neurons.

Every Activation class is also a fused `activation: KIND` of dense and convolution layers (with its
default arguments): the names come from the classes in the layer list, nowhere else.
"""

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, GetJsonSchemaHandler, Strict
from pydantic_core import CoreSchema

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, Saved, Shape, arg
from netcalc.layers.fields import IDENTITY, Reads, same
from netcalc.layers.formula import Explained, same_shape


class Activation(Layer):
    """An element-wise function: same shape, no parameters, no neurons.

    saved: its input or its output (`keeps`), whichever PyTorch's backward formula reads.
    """

    keeps: ClassVar[Literal["input", "output"]]

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (Saved("input0" if self.keeps == "input" else "output", prod(output)),)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (same(len(output)),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, "element-wise: as its input")


def fused_saved(kind: str | None, output: Shape) -> tuple[Saved, ...]:
    """What a fused `activation: KIND` keeps: its output (the layer's), or its input, a tensor of
    the layer's own (the weighted sums before the activation)."""
    if kind is None:
        return ()
    from netcalc.layers import BY_KIND

    cls = BY_KIND[kind]
    assert issubclass(cls, Activation)  # the field's validator allows activation kinds only
    return (Saved("output" if cls.keeps == "output" else "preactivation", prod(output)),)


def activation_kinds() -> tuple[str, ...]:
    """The names of every activation in the layer list, in its order."""
    from netcalc.layers import BY_KIND  # the list is built after this module is imported

    return tuple(kind for kind, cls in BY_KIND.items() if issubclass(cls, Activation))


def _known_activation(value: str) -> str:
    kinds = activation_kinds()
    if value not in kinds:
        listed = ", ".join(repr(k) for k in kinds[:-1]) + f" or {kinds[-1]!r}"
        raise ValueError(f"input should be {listed} (got {value!r}) — write one of them, like relu")
    return value


class _ActivationEnum:
    """The JSON Schema of a fused activation: an enum of the activation kinds, built when asked."""

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        schema = handler(core)
        schema["enum"] = list(activation_kinds())
        return schema


ActivationName = Annotated[str, Strict(), AfterValidator(_known_activation), _ActivationEnum()]


class ReLU(Activation):
    """max(0, x).

    saved: its output, in place or not (PyTorch's relu and relu_ both save the result).
    """

    kind = "relu"
    keeps = "output"


class ReLU6(Activation):
    """min(max(0, x), 6).

    saved: its input.
    """

    kind = "relu6"
    keeps = "input"


class LeakyReLU(Activation):
    """x if x > 0 else negative_slope * x.

    saved: its input.
    """

    kind = "leaky_relu"
    keeps = "input"
    negative_slope: float = arg(0.01, "negative_slope", "alpha", doc="slope for x < 0")


class Sigmoid(Activation):
    """1 / (1 + exp(-x)).

    saved: its output (the derivative is a function of it).
    """

    kind = "sigmoid"
    keeps = "output"


class Tanh(Activation):
    """tanh(x).

    saved: its output (the derivative is a function of it).
    """

    kind = "tanh"
    keeps = "output"


class Softmax(Activation):
    """exp(x) / sum(exp(x)) along `axis` (default 0: the channel axis, or the only axis).

    saved: its output (the derivative is a function of it).
    """

    kind = "softmax"
    keeps = "output"
    axis: int = arg(0, "axis", "dim", doc="sample axis to normalize along; -1 is the last")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if not -len(shape) <= self.axis < len(shape):
            raise ShapeError(
                f"{self.kind} axis {self.axis} does not exist in input {list(shape)} — set axis from "
                f"{-len(shape)} to {len(shape) - 1}"
            )
        return shape

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        axis = self.axis % len(output)  # each output reads its whole line along the axis
        axes = tuple(None if a == axis else (a, IDENTITY) for a in range(len(output)))
        return (Reads(axes, frozenset({axis})),)


class LogSoftmax(Softmax):
    """x - log(sum(exp(x))) along `axis`: the log of softmax, computed stably (PyTorch LogSoftmax).

    saved: its output (the derivative is a function of it).
    """

    kind = "log_softmax"


class GELU(Activation):
    """x * Phi(x), Phi the standard normal CDF (or its tanh approximation).

    saved: its input.
    """

    kind = "gelu"
    keeps = "input"
    approximate: Literal["none", "tanh"] = arg("none", doc="'none' (exact erf) or 'tanh'")


class SiLU(Activation):
    """x * sigmoid(x) (swish).

    saved: its input.
    """

    kind = "silu"
    keeps = "input"


class ELU(Activation):
    """x if x > 0 else alpha * (exp(x) - 1).

    saved: its input.
    """

    kind = "elu"
    keeps = "input"
    alpha: float = arg(1.0, doc="value approached for large negative x")


class Hardswish(Activation):
    """x * relu6(x + 3) / 6.

    saved: its input.
    """

    kind = "hardswish"
    keeps = "input"


class Hardsigmoid(Activation):
    """relu6(x + 3) / 6.

    saved: its input.
    """

    kind = "hardsigmoid"
    keeps = "input"
