"""Element-wise activations: they keep the shape, add no parameters and no neurons.

Every Activation class is also a fused `activation: KIND` of dense and convolution layers (with its
default arguments): the names come from the classes in the layer list, nowhere else.
"""

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, GetJsonSchemaHandler, Strict, field_validator
from pydantic_core import CoreSchema

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg, keep_input
from netcalc.layers.fields import IDENTITY, Reads, same
from netcalc.layers.formula import Explained, elements, num, same_shape


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


class PReLU(Layer):
    """x if x >= 0 else weight * x, with learned slopes (PyTorch PReLU, Keras PReLU).
    parameters: 1 (one slope, PyTorch's default), channel (one per channel, axis 0) or element (one
    per element, Keras's default); params = 1, C or prod(input).

    channel is nn.PReLU(C), whose num_parameters=C may be written as the number (it must be C), and
    Keras's PReLU(shared_axes=[1, 2]) on an image; element is Keras's PReLU(), alpha of the sample's
    shape. No neurons, no MACs (an activation, as leaky_relu).
    saved: its input (PyTorch's PReLU keeps its input and its weight, a parameter).
    Not an `activation:` of dense or convolution layers: those take no parameters.
    """

    kind = "prelu"
    parameters: Literal["channel", "element"] | PositiveInt = arg(
        1, "parameters", "num_parameters", doc="1 (one shared slope), channel, element, or C"
    )
    init: float = arg(0.25, doc="initial value of every slope")

    @field_validator("parameters", mode="before")
    @classmethod
    def _slopes(cls, value: object) -> object:
        if value in ("channel", "element") or (type(value) is int and value > 0):
            return value
        raise ValueError(
            f"input should be 1, channel, element or the channel count (got {value!r}) — write "
            "parameters: channel for one slope per channel"
        )

    @property
    def slope_form(self) -> Literal["one", "channel", "element"]:
        """Which elements share a slope: all of them, a channel's, none."""
        if self.parameters == "element":
            return "element"
        return "one" if self.parameters == 1 else "channel"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if self.slope_form == "channel" and not shape:
            raise ShapeError(
                "prelu with one slope per channel needs a channel axis but got a scalar input — use "
                "parameters: 1"
            )
        if isinstance(self.parameters, int) and self.parameters != 1 and self.parameters != shape[0]:
            raise ShapeError(
                f"prelu parameters={self.parameters} must be 1 or the C={shape[0]} channels of "
                f"{list(shape)} — set parameters to {shape[0]} or channel"
            )
        return shape

    def slopes(self, shape: Shape) -> Shape:
        """The slopes' shape as PyTorch holds them: (1,), (C,), or the sample's shape ((1,) for a scalar)."""
        return {"one": (1,), "channel": shape[:1], "element": shape or (1,)}[self.slope_form]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"weight": prod(self.slopes(inputs[0]))}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (same(len(output)),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        weight = elements(output) if self.slope_form == "element" else num(prod(self.slopes(output)))
        notes = {"one": "one slope", "channel": "a slope per channel C", "element": "a slope each"}
        note = notes[self.slope_form]
        return Explained(same_shape(output).shape, {"weight": weight}, note=f"as its input ({note})")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs),)


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
