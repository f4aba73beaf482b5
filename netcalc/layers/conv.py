"""Convolutions and transposed convolutions, in 1, 2 and 3 spatial dimensions."""

from math import prod
from typing import ClassVar, Literal, Self

from pydantic import model_validator

from netcalc.errors import ShapeError
from netcalc.layers.activation import ActivationName, fused_saved
from netcalc.layers.base import (
    Layer,
    NonNegativeInt,
    PositiveInt,
    Saved,
    Shape,
    Sizes,
    arg,
    axis_names,
    keep_input,
    need_rank,
    per_axis,
)
from netcalc.layers.fields import Reads, channels_and, sliding, transposed
from netcalc.layers.formula import Explained, Expr, elements, grouped, minus, num, over, plus, times
from netcalc.layers.window import resolve_padding, span, window_count, window_formula

Padding = Literal["valid", "same"] | NonNegativeInt | tuple[NonNegativeInt, ...]


class _Conv(Layer):
    """Shared fields and checks of convolutions."""

    rank: ClassVar[int]
    weighted = True
    filters: PositiveInt = arg(..., "filters", "out_channels", doc="number of output channels")
    kernel: Sizes = arg(..., "kernel", "kernel_size", doc="window size, int or one per axis")
    stride: Sizes = arg(1, "stride", "strides", doc="step, int or one per axis")
    dilation: Sizes = arg(1, "dilation", "dilation_rate", doc="spacing of kernel taps")
    groups: PositiveInt = arg(1, doc="channel groups (groups = channels: depthwise)")
    bias: bool = arg(True, "bias", "use_bias", doc="add a learned bias per filter")
    activation: ActivationName | None = arg(None, doc="activation applied to the output")
    in_channels: PositiveInt | None = arg(None, doc="optional check of the input channels")

    @model_validator(mode="after")
    def _check_axes(self) -> Self:
        for field in ("kernel", "stride", "dilation", "padding"):
            value = getattr(self, field, None)
            if isinstance(value, int | tuple):
                per_axis(value, self.rank, field)
        if self.filters % self.groups:
            raise ValueError(
                f"filters={self.filters} is not divisible by groups={self.groups} — set filters to a "
                f"multiple of {self.groups}"
            )
        return self

    def axes(self, field: str) -> tuple[int, ...]:
        """A size field as one value per spatial axis."""
        return per_axis(getattr(self, field), self.rank, field)

    def _per_group(self, channels: int) -> Expr:
        """Channels per group: C, or C / groups."""
        return num(channels) if self.groups == 1 else over(channels, self.groups)

    def _tensors(self, weight: Expr) -> dict[str, Expr]:
        return {"weight": weight, "bias": num(self.filters)} if self.bias else {"weight": weight}

    def _channels(self, shape: Shape) -> int:
        layout = "(C, " + ", ".join(axis_names(self.rank)) + ")"
        need_rank(shape, self.rank + 1, self.kind, layout)
        channels = shape[0]
        if self.in_channels is not None and self.in_channels != channels:
            raise ShapeError(
                f"in_channels={self.in_channels} but the input has C={channels} — "
                "drop in_channels or fix the previous layer"
            )
        if channels % self.groups:
            raise ShapeError(
                f"groups={self.groups} does not divide the input channels C={channels} — "
                "choose groups that divide both channels and filters"
            )
        return channels


class _ConvForward(_Conv):
    """Convolution: out = floor((L + pads - dilation * (kernel - 1) - 1) / stride) + 1 per axis.

    params = filters * (in_channels / groups * prod(kernel)) + filters (bias);
    MACs = output elements * in_channels / groups * prod(kernel).
    saved: its input (for the weight's gradient), or, when the padding differs before and after
    (padding 'same' with an even span), the padded copy the convolution reads; and what a fused
    activation keeps.
    """

    padding: Padding = arg(0, doc="'valid', 'same', or an int or one int per axis")

    def pads(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        """(before, after) padding per spatial axis, resolving 'valid' and 'same'."""
        return resolve_padding(
            self.padding, spatial, self.axes("kernel"), self.axes("stride"), self.axes("dilation")
        )

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        self._channels(inputs[0])
        spatial = inputs[0][1:]
        out = tuple(
            window_count(n, k, s, p, d, axis=name)
            for n, k, s, p, d, name in zip(
                spatial,
                self.axes("kernel"),
                self.axes("stride"),
                self.pads(spatial),
                self.axes("dilation"),
                axis_names(self.rank),
                strict=True,
            )
        )
        return (self.filters, *out)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        fan_in = inputs[0][0] // self.groups * prod(self.axes("kernel"))
        counts = {"weight": self.filters * fan_in}
        if self.bias:
            counts["bias"] = self.filters
        return counts

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape]:
        """weight (filters, in / groups, *kernel), as PyTorch's Conv."""
        weight = (self.filters, inputs[0][0] // self.groups, *self.axes("kernel"))
        shapes: dict[str, Shape] = {"weight": weight}
        return shapes | ({"bias": (self.filters,)} if self.bias else {})

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return prod(output) * (inputs[0][0] // self.groups) * prod(self.axes("kernel"))

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        windows = tuple(
            sliding(k, s, p[0], d)
            for k, s, p, d in zip(
                self.axes("kernel"),
                self.axes("stride"),
                self.pads(inputs[0][1:]),
                self.axes("dilation"),
                strict=True,
            )
        )
        return (channels_and(windows, mix_channels=True),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        c, spatial = inputs[0][0], inputs[0][1:]
        axes = zip(
            spatial,
            self.axes("kernel"),
            self.axes("stride"),
            self.pads(spatial),
            self.axes("dilation"),
            strict=True,
        )
        shape = (num(self.filters), *(window_formula(n, k, s, p, d) for n, k, s, p, d in axes))
        fan_in = grouped(times(self._per_group(c), *self.axes("kernel")))
        weight = times(self.filters, fan_in)
        macs = times(elements(output), fan_in)
        return Explained(shape, self._tensors(weight), macs)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        pads = self.pads(inputs[0][1:])
        if all(a == b for a, b in pads):
            kept = keep_input(inputs)
        else:  # F.pad first, as PyTorch takes one padding per axis
            padded = prod(n + a + b for n, (a, b) in zip(inputs[0][1:], pads, strict=True))
            kept = Saved("padded input", inputs[0][0] * padded)
        return (kept, *fused_saved(self.activation, output))


class Conv1d(_ConvForward):
    __doc__ = _ConvForward.__doc__
    kind = "conv1d"
    rank = 1


class Conv2d(_ConvForward):
    __doc__ = _ConvForward.__doc__
    kind = "conv2d"
    rank = 2


class Conv3d(_ConvForward):
    __doc__ = _ConvForward.__doc__
    kind = "conv3d"
    rank = 3


class _ConvTranspose(_Conv):
    """Transposed convolution: out = (L - 1) * stride - 2 * padding + dilation * (kernel - 1)
    + output_padding + 1 per axis.

    params = in_channels * (filters / groups) * prod(kernel) + filters (bias);
    MACs = input elements * filters / groups * prod(kernel) (each input pixel is scattered once;
    torchinfo multiplies by the output size instead and overcounts by about stride^2).
    saved: its input (for the weight's gradient), and what a fused activation keeps.
    """

    padding: NonNegativeInt | tuple[NonNegativeInt, ...] = arg(0, doc="int or one per axis")
    output_padding: NonNegativeInt | tuple[NonNegativeInt, ...] = arg(
        0, doc="extra size added to one side of the output"
    )

    @model_validator(mode="after")
    def _check_output_padding(self) -> Self:
        extra = per_axis(self.output_padding, self.rank, "output_padding")
        for o, s, d in zip(extra, self.axes("stride"), self.axes("dilation"), strict=True):
            if o >= max(s, d):
                raise ValueError(
                    f"output_padding {o} must be smaller than stride {s} or dilation {d} — set "
                    f"output_padding to at most {max(s, d) - 1}"
                )
        return self

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        self._channels(inputs[0])
        out = []
        for n, k, s, p, d, o, name in zip(
            inputs[0][1:],
            self.axes("kernel"),
            self.axes("stride"),
            self.axes("padding"),
            self.axes("dilation"),
            self.axes("output_padding"),
            axis_names(self.rank),
            strict=True,
        ):
            size = (n - 1) * s - 2 * p + span(k, d) + o
            if size <= 0:
                raise ShapeError(
                    f"{name}={n} gives an output of {size} with padding {p} — reduce the padding"
                )
            out.append(size)
        return (self.filters, *out)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        counts = {"weight": inputs[0][0] * (self.filters // self.groups) * prod(self.axes("kernel"))}
        if self.bias:
            counts["bias"] = self.filters
        return counts

    def tensor_shapes(self, inputs: tuple[Shape, ...]) -> dict[str, Shape]:
        """weight (in, filters / groups, *kernel), as PyTorch's ConvTranspose."""
        weight = (inputs[0][0], self.filters // self.groups, *self.axes("kernel"))
        shapes: dict[str, Shape] = {"weight": weight}
        return shapes | ({"bias": (self.filters,)} if self.bias else {})

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return prod(inputs[0]) * (self.filters // self.groups) * prod(self.axes("kernel"))

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        windows = tuple(
            transposed(k, s, p, d)
            for k, s, p, d in zip(
                self.axes("kernel"),
                self.axes("stride"),
                self.axes("padding"),
                self.axes("dilation"),
                strict=True,
            )
        )
        return (channels_and(windows, mix_channels=True),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        sizes = []
        for n, k, s, p, d, o in zip(
            inputs[0][1:],
            self.axes("kernel"),
            self.axes("stride"),
            self.axes("padding"),
            self.axes("dilation"),
            self.axes("output_padding"),
            strict=True,
        ):  # (L − 1)·s − 2·p + d·(k − 1) + output_padding + 1
            grown = times(minus(n, 1), s, dot=True)
            sizes.append(plus(minus(grown, times(2, p, dot=True)), times(d, minus(k, 1), dot=True), o, 1))
        per_group = grouped(times(self._per_group(self.filters), *self.axes("kernel")))
        weight = times(inputs[0][0], per_group)
        macs = times(elements(inputs[0]), per_group)
        return Explained((num(self.filters), *sizes), self._tensors(weight), macs)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs), *fused_saved(self.activation, output))


class ConvTranspose1d(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__
    kind = "conv_transpose1d"
    rank = 1


class ConvTranspose2d(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__
    kind = "conv_transpose2d"
    rank = 2


class ConvTranspose3d(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__
    kind = "conv_transpose3d"
    rank = 3
