"""Element-wise activations: they keep the shape, add no parameters and no neurons."""

from typing import Literal

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, Shape, arg


class ReLU(Layer):
    """max(0, x)."""

    kind = "relu"


class ReLU6(Layer):
    """min(max(0, x), 6)."""

    kind = "relu6"


class LeakyReLU(Layer):
    """x if x > 0 else negative_slope * x."""

    kind = "leaky_relu"
    negative_slope: float = arg(0.01, "negative_slope", "alpha", doc="slope for x < 0")


class Sigmoid(Layer):
    """1 / (1 + exp(-x))."""

    kind = "sigmoid"


class Tanh(Layer):
    """tanh(x)."""

    kind = "tanh"


class Softmax(Layer):
    """exp(x) / sum(exp(x)) along `axis` (default 0: the channel axis, or the only axis)."""

    kind = "softmax"
    axis: int = arg(0, "axis", "dim", doc="sample axis to normalize along; -1 is the last")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if not -len(shape) <= self.axis < len(shape):
            raise ShapeError(f"softmax axis {self.axis} does not exist in input {list(shape)}")
        return shape


class GELU(Layer):
    """x * Phi(x), Phi the standard normal CDF (or its tanh approximation)."""

    kind = "gelu"
    approximate: Literal["none", "tanh"] = arg("none", doc="'none' (exact erf) or 'tanh'")


class SiLU(Layer):
    """x * sigmoid(x) (swish)."""

    kind = "silu"


class ELU(Layer):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    kind = "elu"
    alpha: float = arg(1.0, doc="value approached for large negative x")


class Hardswish(Layer):
    """x * relu6(x + 3) / 6."""

    kind = "hardswish"


class Hardsigmoid(Layer):
    """relu6(x + 3) / 6."""

    kind = "hardsigmoid"


ACTIVATIONS = (ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, Softmax, GELU, SiLU, ELU, Hardswish, Hardsigmoid)
