"""Layers that move elements around: flatten, reshape, permute, select, crop, shuffle, upsample."""

from fractions import Fraction
from math import floor, inf, isnan, prod
from typing import Literal, Self

from pydantic import ConfigDict, field_validator, model_validator

from netcalc.errors import ShapeError
from netcalc.layers.base import (
    Layer,
    NonNegativeInt,
    PositiveInt,
    Saved,
    Shape,
    Sizes,
    arg,
    axis_names,
    per_axis,
)
from netcalc.layers.fields import (
    IDENTITY,
    Reads,
    Window,
    channels_and,
    linear,
    nearest,
    offset,
    regrouped,
    same,
)
from netcalc.layers.formula import Explained, elements, floor_times, minus, num, over, plus, same_shape


class Flatten(Layer):
    """Flattens every sample axis into one: (C, H, W) -> (C * H * W,).

    saved: nothing; its output is a view of its input (the same bytes).
    """

    kind = "flatten"
    view = True

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        return (prod(inputs[0]),)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (regrouped(inputs[0], output),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return Explained((elements(inputs[0]),), note="every axis into one")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Reshape(Layer):
    """Reshapes the sample to `shape` (one -1 may stand for the rest); the size must match.

    saved: nothing; its output is a view of its input (the same bytes).
    """

    kind = "reshape"
    view = True
    shape: tuple[int, ...] = arg(..., "shape", "target_shape", doc="new sample shape")

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        if any(n == 0 or n < -1 for n in self.shape) or self.shape.count(-1) > 1:
            raise ValueError("shape takes positive sizes and at most one -1 — write it like [16, -1]")
        return self

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        total = prod(inputs[0])
        known = prod(n for n in self.shape if n != -1)
        if -1 in self.shape:
            if total % known:
                raise ShapeError(
                    f"cannot reshape {list(inputs[0])} ({total} elements) to {list(self.shape)}: "
                    f"{total} is not divisible by {known} — give sizes whose product divides {total}"
                )
            return tuple(total // known if n == -1 else n for n in self.shape)
        if known != total:
            raise ShapeError(
                f"cannot reshape {list(inputs[0])} ({total} elements) to {list(self.shape)} "
                f"({known} elements) — the sizes must multiply to the same total"
            )
        return self.shape

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (regrouped(inputs[0], output),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        known = [n for n in self.shape if n != -1]  # -1 is the elements left over
        rest = over(elements(inputs[0]), elements(tuple(known))) if known else elements(inputs[0])
        return Explained(tuple(rest if n == -1 else num(n) for n in self.shape), note="the shape asked for")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Permute(Layer):
    """Reorders the sample axes: dims [1, 0] turns (D, N) into (N, D).

    saved: nothing; its output is a view of its input (the same bytes).
    """

    kind = "permute"
    view = True
    dims: tuple[NonNegativeInt, ...] = arg(..., "dims", "axes", doc="new order of sample axes")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if sorted(self.dims) != list(range(len(shape))):
            raise ShapeError(
                f"permute dims {list(self.dims)} is not an ordering of the {len(shape)} axes of "
                f"{list(shape)} — list each axis once, like dims: {list(range(len(shape)))[::-1]}"
            )
        return tuple(shape[d] for d in self.dims)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (Reads(tuple((d, IDENTITY) for d in self.dims)),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, f"the input's axes in the order {list(self.dims)}")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Select(Layer):
    """Takes one index along a sample axis and drops that axis: x[:, index] for axis 0.

    saved: nothing (its output is a smaller view of its input).
    """

    kind = "select"
    axis: NonNegativeInt = arg(0, "axis", "dim", doc="sample axis")
    index: int = arg(0, doc="position along the axis; negative counts from the end")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if self.axis >= len(shape):
            raise ShapeError(
                f"select axis {self.axis} does not exist in input {list(shape)} — set axis from 0 "
                f"to {len(shape) - 1}"
            )
        if not -shape[self.axis] <= self.index < shape[self.axis]:
            raise ShapeError(
                f"select index {self.index} is outside axis {self.axis} of size {shape[self.axis]} — set "
                f"index from {-shape[self.axis]} to {shape[self.axis] - 1}"
            )
        return shape[: self.axis] + shape[self.axis + 1 :]

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        kept = [a for a in range(len(inputs[0])) if a != self.axis]  # one position of the axis: no span
        index = self.index % inputs[0][self.axis]
        return (Reads(tuple((a, IDENTITY) for a in kept), merged={self.axis: ()}, picks={self.axis: index}),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, f"the input without axis {self.axis}")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Slice(Layer):
    """Keeps x[start:end] along a sample axis (Python slice rules): ShuffleNet's channel split.

    saved: nothing (its output is a smaller view of its input).
    """

    kind = "slice"
    axis: NonNegativeInt = arg(0, "axis", "dim", doc="sample axis (0: channels)")
    start: int = arg(0, doc="first index kept; negative counts from the end")
    end: int | None = arg(None, "end", "stop", doc="index after the last kept; default the end")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if self.axis >= len(shape):
            raise ShapeError(
                f"slice axis {self.axis} does not exist in input {list(shape)} — set axis from 0 "
                f"to {len(shape) - 1}"
            )
        size = len(range(shape[self.axis])[self.start : self.end])
        if size == 0:
            raise ShapeError(
                f"slice {self.start}:{self.end} of axis {self.axis} (size {shape[self.axis]}) "
                "is empty — check start and end"
            )
        return (*shape[: self.axis], size, *shape[self.axis + 1 :])

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        start = range(inputs[0][self.axis])[self.start : self.end].start
        axes = same(len(output)).axes
        return (Reads(axes[: self.axis] + ((self.axis, offset(start)),) + axes[self.axis + 1 :]),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        kept = range(inputs[0][self.axis])[self.start : self.end]  # end - start, Python's rules
        sizes = [num(n) for n in output]
        sizes[self.axis] = minus(kept.stop, kept.start)
        return Explained(tuple(sizes), note=f"axis {self.axis} from {kept.start} to {kept.stop}")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class CenterCrop(Layer):
    """Crops the spatial axes around the centre to `size` (U-Net's skip connections).

    saved: nothing (its output is a smaller view of its input).
    """

    kind = "center_crop"
    size: Sizes = arg(..., doc="output size, int or one per spatial axis")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if len(shape) < 2:
            raise ShapeError(
                f"center_crop needs (C, *spatial) but got {list(shape)} — give it a spatial axis"
            )
        try:
            size = per_axis(self.size, len(shape) - 1, "size")
        except ValueError as error:
            raise ShapeError(str(error)) from None
        for n, s, name in zip(shape[1:], size, axis_names(len(shape) - 1), strict=True):
            if s > n:
                raise ShapeError(f"center_crop size {s} is larger than {name}={n} — set size to at most {n}")
        return (shape[0], *size)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # torchvision's center_crop starts at round((n - size) / 2), rounding half to even
        starts = tuple(int(round((n - s) / 2.0)) for n, s in zip(inputs[0][1:], output[1:], strict=True))
        return (channels_and(tuple(offset(t) for t in starts), mix_channels=False),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output, "C as its input, then the size asked for")

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Pad(Layer):
    """Constant padding: `before` and `after` values added along each sample axis.

    `padding: 2` pads every spatial axis (not the channels) by 2 on both sides;
    `padding: [[0, 0], [1, 2]]` gives one [before, after] pair per sample axis, channels first.
    out = before + n + after per axis. No parameters. saved: nothing (the gradient is a slice).
    """

    # -inf is a real padding value (before a max pooling); NaN is refused below
    model_config = ConfigDict(allow_inf_nan=True)
    kind = "pad"
    padding: NonNegativeInt | tuple[tuple[NonNegativeInt, NonNegativeInt], ...] = arg(
        ..., doc="int: both sides of every spatial axis; or [before, after] per sample axis"
    )
    value: float = arg(0.0, doc="the constant padded in")

    @field_validator("value")
    @classmethod
    def _a_number(cls, value: float) -> float:
        if isnan(value):
            raise ValueError("the value padded in is NaN: give a number (or -.inf, .inf)")
        return value

    def pairs(self, shape: Shape) -> tuple[tuple[int, int], ...]:
        """(before, after) for every sample axis, channels first."""
        if isinstance(self.padding, int):
            if len(shape) < 2:
                raise ShapeError(
                    f"pad: {self.padding} pads the spatial axes, but {list(shape)} has none — "
                    "give one [before, after] pair per axis: padding: [[1, 1]]"
                )
            return ((0, 0),) + ((self.padding, self.padding),) * (len(shape) - 1)
        if len(self.padding) != len(shape):
            raise ShapeError(
                f"padding has {len(self.padding)} [before, after] pairs but the input {list(shape)} "
                f"has {len(shape)} axes — give one pair per axis, channels first ([0, 0] leaves one)"
            )
        return self.padding

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        return tuple(lo + n + hi for n, (lo, hi) in zip(shape, self.pairs(shape), strict=True))

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        pairs = self.pairs(inputs[0])  # before + n + after on each axis
        shape = tuple(
            plus(lo, n, hi) if lo or hi else num(n) for n, (lo, hi) in zip(inputs[0], pairs, strict=True)
        )
        return Explained(shape)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # output i reads input i - before: in the padding, a position outside the input, as a
        # convolution's padding (Distill counts it in the field; the exact field leaves it out)
        return (Reads(tuple((a, offset(-lo)) for a, (lo, _) in enumerate(self.pairs(inputs[0])))),)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class ChannelShuffle(Layer):
    """ShuffleNet's channel shuffle: (g, C/g) channels transposed to (C/g, g); shape kept.

    saved: nothing.
    """

    kind = "channel_shuffle"
    groups: PositiveInt = arg(..., doc="number of channel groups")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        if not shape or shape[0] % self.groups:
            raise ShapeError(
                f"channel_shuffle groups={self.groups} does not divide the channels of {list(shape)} — set "
                "groups to a divisor of the channels"
            )
        return shape

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # output channel c is input channel (c % g) * (C / g) + c // g: spread over the channels
        rest = tuple((a, IDENTITY) for a in range(1, len(output)))
        return (Reads((None, *rest), merged={0: (0,)}),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        return same_shape(output)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()


class Upsample(Layer):
    """Resizes the spatial axes: out = floor(L * scale) per axis, or the given size.

    mode nearest (PyTorch's 'nearest'), or linear interpolation: linear (1-D), bilinear (2-D),
    trilinear (3-D), with align_corners false by default. No parameters.
    saved: nothing (the backward pass needs only the sizes).
    """

    # its own validator names a NaN or infinite scale
    model_config = ConfigDict(allow_inf_nan=True)
    kind = "upsample"
    scale: float | tuple[float, ...] | None = arg(None, "scale", "scale_factor", doc="factor")
    size: Sizes | None = arg(None, doc="output size, int or one per spatial axis")
    mode: Literal["nearest", "linear", "bilinear", "trilinear"] = arg("nearest", doc="method")
    align_corners: bool = arg(False, doc="align the corner pixels (linear modes only)")

    @model_validator(mode="after")
    def _check_one(self) -> Self:
        if (self.scale is None) == (self.size is None):
            raise ValueError("give exactly one of scale or size — remove one, or add scale: 2")
        scales = self.scale if isinstance(self.scale, tuple) else (self.scale,)
        if self.scale is not None and not all(s is not None and 0 < s < inf for s in scales):  # NaN too
            raise ValueError(
                f"scale must be a positive finite number (got {self.scale}) — write one like 2 or 0.5"
            )
        if self.align_corners and self.mode == "nearest":  # PyTorch refuses it too
            raise ValueError("align_corners works with the linear modes only: drop it or use mode: bilinear")
        return self

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        shape = inputs[0]
        rank = len(shape) - 1
        needed = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(self.mode)
        if rank < 1 or (needed and rank != needed):
            raise ShapeError(
                f"upsample mode {self.mode} needs {needed or 'at least 1'} spatial axes "
                f"but the input is {list(shape)} — use mode: nearest, or the linear mode of its axes"
            )
        try:
            if self.size is not None:
                return (shape[0], *per_axis(self.size, rank, "size"))
            assert self.scale is not None  # the validator requires exactly one of scale and size
            scales = self.scale if isinstance(self.scale, tuple) else (self.scale,) * rank
            if len(scales) != rank:
                raise ValueError(
                    f"scale has {len(scales)} values but there are {rank} axes — give {rank} or one"
                )
        except ValueError as error:
            raise ShapeError(str(error)) from None
        try:
            out = tuple(floor(n * s) for n, s in zip(shape[1:], scales, strict=True))
        except OverflowError:  # a size beyond a float's range, as PyTorch computes in floats
            raise ShapeError(
                f"upsample of {list(shape)} by {self.scale} is too large — lower scale"
            ) from None
        if min(out) < 1:
            raise ShapeError(f"upsample scale {self.scale} gives an empty output {list(out)} — raise scale")
        return (shape[0], *out)

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        rank = len(output) - 1
        scales = self.scale if isinstance(self.scale, tuple) else (self.scale,) * rank
        return (
            channels_and(
                tuple(
                    self._window(n, m, s) for n, m, s in zip(inputs[0][1:], output[1:], scales, strict=True)
                ),
                mix_channels=False,
            ),
        )

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        if self.size is not None:
            return same_shape(output, "C as its input, then the size asked for")
        rank = len(output) - 1
        scales = self.scale if isinstance(self.scale, tuple) else (self.scale,) * rank
        sizes = (floor_times(n, s) for n, s in zip(inputs[0][1:], scales, strict=True) if s is not None)
        return Explained((num(output[0]), *sizes))

    def _window(self, length: int, size: int, scale: float | None) -> Window | None:
        """PyTorch's source index ratio: input / output, or 1 / scale when a scale is given;
        (L - 1) / (out - 1) with aligned corners. Exact for scales that are ratios of small
        integers (2, 1.5); PyTorch rounds others in floating point."""
        if self.mode != "nearest" and size == length:
            return IDENTITY  # PyTorch copies when the sizes match
        if self.mode != "nearest" and self.align_corners:
            ratio = Fraction(length - 1, size - 1) if size > 1 else Fraction(0)
        elif scale is not None:
            near = Fraction(scale).limit_denominator(1000)
            ratio = 1 / (
                near if near and abs(near - Fraction(scale)) <= Fraction(scale) / 10**9 else Fraction(scale)
            )
        else:
            ratio = Fraction(length, size)
        return nearest(ratio) if self.mode == "nearest" else linear(ratio, self.align_corners)

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()
