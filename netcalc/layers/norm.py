"""Normalization, dropout and per-channel scaling."""

from math import prod
from typing import Literal

from pydantic import AliasChoices, Field, field_validator

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg, keep_input
from netcalc.layers.fields import IDENTITY, Reads, constant, same
from netcalc.layers.formula import Explained, elements, num, same_shape

STATISTIC = 4  # bytes: PyTorch keeps normalization statistics in float32, for half inputs too


def _channels(kind: str, shape: Shape) -> int:
    if not shape:
        raise ShapeError(
            f"{kind} needs a channel axis but got a scalar input — remove it or give it (C, ...)"
        )
    return shape[0]


class _ElementWise(Layer):
    """Each output element reads the input element at its own position."""

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (same(len(output)),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        shape = same_shape(output)
        tensors = {name: num(n) for name, n in {**self.params(inputs), **self.state(inputs)}.items()}
        return Explained(shape.shape, tensors, note=shape.note + (" (one per channel C)" if tensors else ""))


class BatchNorm(_ElementWise):
    """Batch normalization over the channel axis (axis 0), inference uses running statistics.

    params = 2 * C (weight, bias) when affine; state = 2 * C (running_mean, running_var),
    non-trainable: PyTorch keeps it as buffers, Keras counts it as non-trainable params.
    saved (training): its input, the batch's mean and inverse standard deviation per channel,
    and references to the running statistics (buffers, held by the weights).
    """

    kind = "batchnorm"
    eps: float = arg(1e-5, "eps", "epsilon", doc="added to the variance")
    momentum: float = arg(0.1, doc="running statistics update rate")
    affine: bool = arg(True, "affine", "scale", doc="learn a weight and a bias per channel")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        _channels(self.kind, inputs[0])
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        c = inputs[0][0]
        return {"weight": c, "bias": c} if self.affine else {}

    def state(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        c = inputs[0][0]
        return {"running_mean": c, "running_var": c}

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        c = inputs[0][0]
        stats = [Saved(name, c, batched=False, itemsize=STATISTIC) for name in ("mean", "invstd")]
        running = [Saved(n, c, False, STATISTIC, buffer=True) for n in ("running_mean", "running_var")]
        return (keep_input(inputs), *stats, *running)


class LayerNorm(Layer):
    """Layer normalization over the last `dims` axes (PyTorch LayerNorm(x.shape[-dims:]); with
    dims 1, Keras's LayerNormalization(axis=-1)).

    params = 2 * prod(last dims axes) (weight, bias) when affine.
    saved: its input, and the mean and inverse standard deviation of each normalized group
    (float32, one per element of the leading axes).
    """

    kind = "layernorm"
    eps: float = arg(1e-5, "eps", "epsilon", doc="added to the variance")
    affine: bool = arg(True, "affine", "elementwise_affine", doc="learn weight and bias")
    dims: PositiveInt = arg(1, doc="trailing axes normalized together (len of normalized_shape)")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) < self.dims:
            raise ShapeError(
                f"layernorm over the last {self.dims} axes needs an input with at least "
                f"{self.dims} axes but got {list(inputs[0])} — lower dims"
            )
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        d = prod(inputs[0][-self.dims :])
        return {"weight": d, "bias": d} if self.affine else {}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        rank = len(output)  # the normalized axes are read in full: their mean and variance
        if prod(output[-self.dims :]) == 1:  # a group of one: (x - x) / sqrt(eps) = 0, then the bias
            return (constant(rank),)
        normalized = range(rank - self.dims, rank)
        axes = tuple(None if a in normalized else (a, IDENTITY) for a in range(rank))
        return (Reads(axes, frozenset(normalized)),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        last = elements(inputs[0][-self.dims :])  # one weight and bias per normalized element
        tensors = {"weight": last, "bias": last} if self.affine else {}
        return Explained(same_shape(output).shape, tensors, note="as its input")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        groups = prod(inputs[0][: -self.dims])
        return (keep_input(inputs), *(Saved(n, groups, itemsize=STATISTIC) for n in ("mean", "rstd")))


class Dropout(_ElementWise):
    """Dropout: zeroes a fraction `rate` of the elements in training (scaling the rest by
    1 / (1 - rate)); identity in inference. No parameters, no neurons added.

    saved: the scaled mask, input-sized at the activations' width (PyTorch's CPU kernel
    multiplies by it; CUDA's keeps a 1-byte bool mask); nothing at rate 0; a scalar at rate 1.
    """

    kind = "dropout"
    rate: float = Field(
        0.5,
        ge=0.0,
        validation_alias=AliasChoices("rate", "p"),
        description="fraction of elements dropped in training",
    )

    @field_validator("rate")
    @classmethod
    def _at_most_one(cls, rate: float) -> float:
        # rate 1 zeroes everything in training, as PyTorch and Keras allow
        if not rate <= 1.0:  # NaN too
            raise ValueError(f"input should be less than 1 (got {rate}), or 1 to drop everything")
        return rate

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        if self.rate == 0.0:
            return ()
        if self.rate == 1.0:
            return (Saved("zero", 1, batched=False),)
        return (Saved("mask", prod(output)),)


class StochasticDepth(_ElementWise):
    """Stochastic depth (torchvision StochasticDepth, 'drop path'): in training, zeroes a whole
    sample's residual branch with probability `rate` (mode row) or the whole batch's (mode batch)
    and scales survivors by 1 / (1 - rate); identity in inference. No parameters.

    saved: the keep flag (one element per sample, or one for the batch); nothing at rate 0.
    """

    kind = "stochastic_depth"
    rate: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        validation_alias=AliasChoices("rate", "p"),
        description="probability of dropping the branch in training",
    )
    mode: Literal["row", "batch"] = arg("row", doc="drop per sample (row) or for the whole batch")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        if self.rate == 0.0:
            return ()
        return (Saved("keep", 1, batched=self.mode == "row"),)


class LayerScale(_ElementWise):
    """Learned per-channel scale (ConvNeXt, CaiT): y = x * scale[c] on axis 0. params = C.

    With bias: y = x * scale[c] + bias[c], params = 2 * C: a per-channel affine, which is what an
    exporter leaves of an inference batch norm (tf2onnx writes Keras's BatchNormalization as a Mul
    and an Add by gamma / sqrt(var + eps) and beta - mean * gamma / sqrt(var + eps)).
    saved: its input (for the scale's gradient).
    """

    kind = "layer_scale"
    init: float = arg(1e-6, doc="initial value of the scale")
    bias: bool = arg(False, doc="add a learned shift per channel after the scale")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        _channels(self.kind, inputs[0])
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        c = inputs[0][0]
        return {"scale": c, "bias": c} if self.bias else {"scale": c}

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs),)


class RMSNorm(Layer):
    """Root-mean-square normalization over the last axis (PyTorch RMSNorm, Llama, T5).

    y = x / sqrt(mean(x^2) + eps) * weight; params = D (weight) when affine, no bias.
    saved: its input and 1 / rms per row (float32); with the weight, the normalized input too (only
    that when no gradient reaches the input: PyTorch's RMSNorm is a chain of element-wise ops).
    """

    kind = "rmsnorm"
    eps: float = arg(1e-6, "eps", "epsilon", "rms_norm_eps", doc="added to the mean square")
    affine: bool = arg(True, "affine", "elementwise_affine", doc="learn a weight per feature")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if not inputs[0]:
            raise ShapeError(
                "rmsnorm needs an input with features on its last axis but got a scalar — remove it or "
                "give it (..., D)"
            )
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"weight": inputs[0][-1]} if self.affine else {}

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        tensors = {"weight": num(inputs[0][-1])} if self.affine else {}
        return Explained(same_shape(output).shape, tensors, note="as its input (a weight per feature D)")

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        last = len(output) - 1  # the whole last axis: its mean square
        return (Reads(tuple((a, IDENTITY) for a in range(last)) + (None,), frozenset({last})),)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        rows = prod(inputs[0][:-1])
        kept = [keep_input(inputs), Saved("rstd", rows, itemsize=STATISTIC)] if grads[0] else []
        return (*kept, Saved("normalized", prod(output))) if self.affine else tuple(kept)


def _per_channel(params: dict[str, int], output: Shape) -> Explained:
    tensors = {name: num(n) for name, n in params.items()}
    return Explained(
        same_shape(output).shape, tensors, note="as its input" + (" (one per channel C)" if tensors else "")
    )


def _spatial_channels(kind: str, shape: Shape, groups: int) -> int:
    c = _channels(kind, shape)
    if c % groups:
        raise ShapeError(
            f"{kind} groups={groups} does not divide the C={c} channels of {list(shape)} "
            f"— use a divisor of {c} for groups"
        )
    return c


class GroupNorm(Layer):
    """Group normalization (PyTorch GroupNorm): channels (axis 0) split into `groups`, each group
    normalized over its channels and every spatial axis; diffusion U-Nets use 32 groups.

    params = 2 * C (weight, bias per channel) when affine.
    saved: its input, and the mean and 1 / std of each group.
    """

    kind = "groupnorm"
    groups: PositiveInt = arg(..., "groups", "num_groups", doc="channel groups (must divide C)")
    eps: float = arg(1e-5, "eps", "epsilon", doc="added to the variance")
    affine: bool = arg(True, "affine", doc="learn a weight and a bias per channel")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        _spatial_channels(self.kind, inputs[0], self.groups)
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        c = inputs[0][0]
        return {"weight": c, "bias": c} if self.affine else {}

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return _per_channel(self.params(inputs), output)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs), *(Saved(n, self.groups, itemsize=STATISTIC) for n in ("mean", "rstd")))


class InstanceNorm(Layer):
    """Instance normalization (PyTorch InstanceNorm1d/2d/3d): each channel of each sample
    normalized over its spatial axes, with the sample's own statistics (no running statistics).

    params = 2 * C (weight, bias) when affine (PyTorch's default: affine false, no parameters).
    saved: its input, the mean and 1 / std of each channel, and the weight repeated per sample.
    """

    kind = "instancenorm"
    eps: float = arg(1e-5, "eps", "epsilon", doc="added to the variance")
    affine: bool = arg(False, "affine", "scale", doc="learn a weight and a bias per channel")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) < 2:
            raise ShapeError(
                f"instancenorm normalizes each channel over its spatial axes: it needs (C, *spatial) "
                f"but got {list(shape)} with no spatial axis — use layernorm for a vector"
            )
        return shape

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        c = inputs[0][0]
        return {"weight": c, "bias": c} if self.affine else {}

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return _per_channel(self.params(inputs), output)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        if prod(output[1:]) == 1:  # a map of one: (x - x) / sqrt(eps) = 0, then the bias
            return (constant(len(output)),)
        spatial = range(1, len(output))  # each channel's whole map: its mean and variance
        return (Reads(((0, IDENTITY), *(None for _ in spatial)), frozenset(spatial)),)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        c = inputs[0][0]
        stats = [Saved(n, c, itemsize=STATISTIC) for n in ("mean", "invstd")]
        return (keep_input(inputs), *stats, *([Saved("weight repeated", c)] if self.affine else []))
