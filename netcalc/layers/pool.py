"""Pooling: windowed max and average, adaptive and global pooling."""

from math import prod
from typing import ClassVar, Literal, Self

from pydantic import model_validator

from netcalc.errors import ShapeError
from netcalc.layers.base import (
    Layer,
    NonNegativeInt,
    Saved,
    Shape,
    Sizes,
    arg,
    axis_names,
    keep_input,
    need_rank,
    per_axis,
)
from netcalc.layers.fields import IDENTITY, Reads, adaptive, channels_and, sliding
from netcalc.layers.formula import Explained, num, same_shape
from netcalc.layers.window import resolve_padding, window_count, window_formula


class _Pool(Layer):
    """Windowed pooling: out = floor or ceil((L + 2 * padding - dilation * (size - 1) - 1)
    / stride) + 1 per axis, the same window rule as convolution. No parameters.

    padding 'same' is TF/Keras's SAME: out = ceil(L / stride), the odd pixel of padding after;
    average pooling then divides by the real elements only, as Keras does.

    saved: max pooling its input and the int64 index of each maximum (an output-sized tensor);
    average pooling its input. With padding 'same', the padded copy instead of the input, and for
    an average the count of real elements per window (one plane, for the whole batch).
    """

    rank: ClassVar[int]
    size: Sizes = arg(..., "size", "kernel_size", "pool_size", doc="window, int or one per axis")
    stride: Sizes | None = arg(None, "stride", "strides", doc="step; defaults to the window size")
    padding: Literal["valid", "same"] | NonNegativeInt | tuple[NonNegativeInt, ...] = arg(
        0, doc="padding on both sides (at most half the window), or 'valid' or 'same' (Keras)"
    )
    ceil_mode: bool = arg(False, doc="round the output size up instead of down")

    @model_validator(mode="after")
    def _check_axes(self) -> Self:
        for field in ("size", "stride", "padding", "dilation"):
            value = getattr(self, field, None)
            if isinstance(value, int | tuple):
                per_axis(value, self.rank, field)
        if not isinstance(self.padding, str):
            for k, p in zip(self.axes("size"), self.axes("padding"), strict=True):
                if p > k // 2:
                    raise ValueError(
                        f"padding {p} is more than half the window {k} — set padding to at most {k // 2}"
                    )
        return self

    def axes(self, field: str) -> tuple[int, ...]:
        """A size field as one value per spatial axis (stride defaults to size)."""
        value = getattr(self, field, 1)
        if field == "stride" and value is None:
            value = self.size
        return per_axis(value, self.rank, field)

    def pads(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        """(before, after) padding per spatial axis, resolving 'valid' and 'same'."""
        return resolve_padding(
            self.padding, spatial, self.axes("size"), self.axes("stride"), self.axes("dilation")
        )

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        need_rank(shape, self.rank + 1, self.kind, "(C, " + ", ".join(axis_names(self.rank)) + ")")
        ceil = self.ceil_mode and self.padding != "same"  # SAME fixes the size at ceil(L / s)
        out = tuple(
            window_count(n, k, s, p, d, ceil, axis=name)
            for n, k, s, p, d, name in zip(
                shape[1:],
                self.axes("size"),
                self.axes("stride"),
                self.pads(shape[1:]),
                self.axes("dilation"),
                axis_names(self.rank),
                strict=True,
            )
        )
        return (shape[0], *out)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        windows = tuple(
            sliding(k, s, p[0], d)
            for k, s, p, d in zip(
                self.axes("size"),
                self.axes("stride"),
                self.pads(inputs[0][1:]),
                self.axes("dilation"),
                strict=True,
            )
        )
        return (channels_and(windows, mix_channels=False),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        spatial = inputs[0][1:]
        ceil = self.ceil_mode and self.padding != "same"
        axes = zip(
            spatial,
            self.axes("size"),
            self.axes("stride"),
            self.pads(spatial),
            self.axes("dilation"),
            strict=True,
        )
        return Explained(
            (num(inputs[0][0]), *(window_formula(n, k, s, p, d, ceil) for n, k, s, p, d in axes))
        )

    def _kept(self, inputs: tuple[Shape, ...]) -> Saved:
        """The input, or with padding 'same' the padded copy pooled (F.pad first)."""
        if self.padding != "same":
            return keep_input(inputs)
        spatial = zip(inputs[0][1:], self.pads(inputs[0][1:]), strict=True)
        return Saved("padded input", inputs[0][0] * prod(n + a + b for n, (a, b) in spatial))


class _MaxPool(_Pool):
    __doc__ = _Pool.__doc__
    dilation: Sizes = arg(1, doc="spacing of window taps")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (self._kept(inputs), Saved("indices", prod(output), itemsize=8))


class _AvgPool(_Pool):
    __doc__ = _Pool.__doc__
    count_include_pad: bool = arg(True, doc="divide by the window size, padding included")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        if self.padding != "same":
            return (self._kept(inputs),)
        return (self._kept(inputs), Saved("window counts", prod(output[1:]), batched=False))


class MaxPool1d(_MaxPool):
    __doc__ = _Pool.__doc__
    kind = "maxpool1d"
    rank = 1


class MaxPool2d(_MaxPool):
    __doc__ = _Pool.__doc__
    kind = "maxpool2d"
    rank = 2


class MaxPool3d(_MaxPool):
    __doc__ = _Pool.__doc__
    kind = "maxpool3d"
    rank = 3


class AvgPool1d(_AvgPool):
    __doc__ = _Pool.__doc__
    kind = "avgpool1d"
    rank = 1


class AvgPool2d(_AvgPool):
    __doc__ = _Pool.__doc__
    kind = "avgpool2d"
    rank = 2


class AvgPool3d(_AvgPool):
    __doc__ = _Pool.__doc__
    kind = "avgpool3d"
    rank = 3


class _AdaptiveAvgPool(Layer):
    """Adaptive average pooling to a fixed output size (PyTorch AdaptiveAvgPool): (C, *size).

    saved: its input; nothing for an output of size 1 on every axis (PyTorch takes the mean then).
    """

    rank: ClassVar[int]
    size: Sizes = arg(..., "size", "output_size", doc="output size, int or one per axis")

    @model_validator(mode="after")
    def _check_axes(self) -> Self:
        per_axis(self.size, self.rank, "size")
        return self

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        need_rank(shape, self.rank + 1, self.kind, "(C, " + ", ".join(axis_names(self.rank)) + ")")
        return (shape[0], *per_axis(self.size, self.rank, "size"))

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        windows = tuple(adaptive(n, m) for n, m in zip(inputs[0][1:], output[1:], strict=True))
        return (channels_and(windows, mix_channels=False),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, "C as its input, then the size asked for")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return () if set(output[1:]) == {1} else (keep_input(inputs),)


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    __doc__ = _AdaptiveAvgPool.__doc__
    kind = "adaptive_avgpool1d"
    rank = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    __doc__ = _AdaptiveAvgPool.__doc__
    kind = "adaptive_avgpool2d"
    rank = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    __doc__ = _AdaptiveAvgPool.__doc__
    kind = "adaptive_avgpool3d"
    rank = 3


class _GlobalPool(Layer):
    """Global pooling over every spatial axis: (C, *spatial) -> (C, 1, ..., 1)."""

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) < 2:
            raise ShapeError(
                f"{self.kind} needs a channel axis and at least one spatial axis but got {list(shape)} — "
                "give it (C, *spatial), or remove it"
            )
        return (shape[0],) + (1,) * (len(shape) - 1)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        spatial = frozenset(range(1, len(output)))  # every spatial position, read in full
        return (Reads(((0, IDENTITY),) + (None,) * len(spatial), spatial),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, "C as its input, 1 per spatial axis")


class GlobalAvgPool(_GlobalPool):
    """Global average pooling over every spatial axis: (C, *spatial) -> (C, 1, ..., 1), as PyTorch's
    AdaptiveAvgPool(1); follow it with flatten for a vector (Keras's GlobalAveragePooling).

    saved: nothing (a mean needs only the input's shape).
    """

    kind = "global_avgpool"

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class GlobalMaxPool(_GlobalPool):
    """Global max pooling over every spatial axis: (C, *spatial) -> (C, 1, ..., 1), as PyTorch's
    AdaptiveMaxPool(1); follow it with flatten for a vector (Keras's GlobalMaxPooling).

    saved: its input and the int64 index of each maximum.
    """

    kind = "global_maxpool"

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return (keep_input(inputs), Saved("indices", prod(output), itemsize=8))
