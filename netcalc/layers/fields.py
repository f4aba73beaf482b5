"""Which input positions each output position of a layer reads: the rule behind receptive fields.

Along one axis, output position i reads the input positions lo(i)..hi(i) (a span, as Araujo, Norris
and Sim count receptive fields: dilation gaps inside it count). A convolution reads
[i * stride - pad, i * stride - pad + dilation * (kernel - 1)]; positions outside the input are its
padding. The span is periodic: lo(i + period) = lo(i) + shift, so a stride-2 transposed convolution
(period 2, shift 1) or a x1.5 upsampling (period 3, shift 2) is as exact as a convolution (period 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil, floor, gcd

MAX_PERIOD = 4096  # longer periods (sizes sharing no factor) are not followed: the field says n/a


@dataclass(frozen=True, slots=True)
class Window:
    """Output position i reads input positions lo(i)..hi(i) (none when hi < lo), with
    lo(i + period) = lo(i) + shift and the same for hi."""

    period: int
    shift: int
    lo: tuple[int, ...]  # for i in 0 .. period - 1
    hi: tuple[int, ...]
    step: int = 1  # the positions read are lo, lo + step, .. hi (a dilated window's taps)

    def at(self, i: int) -> tuple[int, int]:
        """The first and last input position output i reads (last < first: none)."""
        turns, k = divmod(i, self.period)
        return self.lo[k] + turns * self.shift, self.hi[k] + turns * self.shift

    @property
    def stride(self) -> Fraction:
        """Input positions advanced per output position."""
        return Fraction(self.shift, self.period)

    @property
    def gapless(self) -> bool:
        """Every output position reads at least one input position."""
        return all(a <= b for a, b in zip(self.lo, self.hi, strict=True))


IDENTITY = Window(1, 1, (0,), (0,))
BROADCAST = Window(1, 0, (0,), (0,))  # a size-1 axis broadcast: every output reads position 0
NOTHING = Window(1, 1, (1,), (0,))  # a constant output: position i reads no input position


def offset(start: int) -> Window:
    """Output i reads input start + i (a crop or a slice)."""
    return Window(1, 1, (start,), (start,))


def sliding(kernel: int, stride: int, pad_before: int, dilation: int = 1) -> Window:
    """Convolution and pooling: [i * stride - pad, i * stride - pad + dilation * (kernel - 1)]."""
    return Window(1, stride, (-pad_before,), (-pad_before + dilation * (kernel - 1),), dilation)


def transposed(kernel: int, stride: int, padding: int, dilation: int = 1) -> Window | None:
    """Transposed convolution: input j writes outputs j * stride - padding + t * dilation for the
    taps t < kernel, so output o reads the j with (o + padding - t * dilation) / stride whole."""
    if stride > MAX_PERIOD:
        return None
    cycle = stride // gcd(stride, dilation)  # taps t and t + cycle land on the same residue
    lo, hi = [], []
    for o in range(stride):
        first = next((t for t in range(cycle) if (o + padding - t * dilation) % stride == 0), None)
        if first is None or first > kernel - 1:
            lo.append(1)
            hi.append(0)
            continue
        last = first + (kernel - 1 - first) // cycle * cycle
        lo.append((o + padding - last * dilation) // stride)
        hi.append((o + padding - first * dilation) // stride)
    return Window(stride, 1, tuple(lo), tuple(hi))


def _periodic(ratio: Fraction, span: object) -> Window | None:
    """A window with period ratio.denominator, shift ratio.numerator, from span(i) -> (lo, hi)."""
    if ratio.denominator > MAX_PERIOD:
        return None
    spans = [span(i) for i in range(ratio.denominator)]  # type: ignore[operator]
    return Window(ratio.denominator, ratio.numerator, tuple(s[0] for s in spans), tuple(s[1] for s in spans))


def nearest(ratio: Fraction) -> Window | None:
    """Nearest upsampling (PyTorch): output i reads floor(i * ratio), ratio = input / output."""
    return _periodic(ratio, lambda i: (floor(i * ratio), floor(i * ratio)))


def linear(ratio: Fraction, align_corners: bool) -> Window | None:
    """Linear interpolation (PyTorch): output i reads floor(src) and, with a weight above 0,
    floor(src) + 1, src = i * ratio (aligned corners) or (i + 1/2) * ratio - 1/2."""

    def span(i: int) -> tuple[int, int]:
        src = i * ratio if align_corners else (i + Fraction(1, 2)) * ratio - Fraction(1, 2)
        return floor(src), ceil(src)

    return _periodic(ratio, span)


def adaptive(length: int, size: int) -> Window | None:
    """Adaptive pooling of `length` positions to `size`: [floor(i L / n), ceil((i + 1) L / n) - 1]."""
    ratio = Fraction(length, size)
    return _periodic(ratio, lambda i: (floor(i * ratio), ceil((i + 1) * ratio) - 1))


@dataclass(frozen=True, slots=True)
class Reads:
    """How a layer's output reads one of its inputs, axis by axis.

    `axes`: per output axis, the input axis it runs along and the window read on it, or None for an
    axis the layer makes (a convolution's filters). `mixed`: input axes every output element reads
    in full (a dense layer's features, a global pool's spatial axes). `merged`: input axes whose
    positions end up spread over other output axes (flatten, reshape), by input axis. `picks`:
    input axes the layer drops after taking one position of them (select), by input axis.
    """

    axes: tuple[tuple[int, Window] | None, ...]
    mixed: frozenset[int] = frozenset()
    merged: dict[int, tuple[int, ...]] = field(default_factory=dict)
    picks: dict[int, int] = field(default_factory=dict)


def same(rank: int) -> Reads:
    """Every output element reads the input element at its own position."""
    return Reads(tuple((a, IDENTITY) for a in range(rank)))


def constant(rank: int) -> Reads:
    """Every output element is a constant: it reads no input element (a normalization of one)."""
    return Reads(tuple((a, NOTHING) for a in range(rank)))


def everything(rank_in: int, rank_out: int) -> Reads:
    """Every output element reads the whole input: the safe rule of a layer that says nothing."""
    return Reads((None,) * rank_out, frozenset(range(rank_in)))


def channels_and(windows: tuple[Window | None, ...], mix_channels: bool) -> Reads:
    """A (C, *spatial) layer: channels made anew from all input channels (or kept one to one),
    one window per spatial axis (None: the window cannot be followed)."""
    channel: tuple[int, Window] | None = None if mix_channels else (0, IDENTITY)
    spatial = tuple(None if w is None else (a, w) for a, w in enumerate(windows, start=1))
    lost: dict[int, tuple[int, ...]] = {a: (a,) for a, w in enumerate(windows, start=1) if w is None}
    return Reads((channel, *spatial), frozenset({0}) if mix_channels else frozenset(), lost)


def regrouped(shape_in: tuple[int, ...], shape_out: tuple[int, ...]) -> Reads:
    """A reshape in row-major order: an axis whose size and element stride are unchanged is kept;
    any other is merged into the output axes its elements land on."""

    def strides(shape: tuple[int, ...]) -> list[int]:
        out, step = [], 1
        for n in reversed(shape):
            out.append(step)
            step *= n
        return out[::-1]

    s_in, s_out = strides(shape_in), strides(shape_out)
    kept: dict[int, int] = {}
    merged: dict[int, tuple[int, ...]] = {}
    for a, (n, s) in enumerate(zip(shape_in, s_in, strict=True)):
        same_axis = [j for j, (m, t) in enumerate(zip(shape_out, s_out, strict=True)) if (m, t) == (n, s)]
        if same_axis and n > 1:
            kept[same_axis[0]] = a
            continue
        low, high = s, s * n  # the element steps this axis spans
        merged[a] = tuple(
            j for j, (m, t) in enumerate(zip(shape_out, s_out, strict=True)) if t < high and t * m > low
        )
    axes = tuple((kept[j], IDENTITY) if j in kept else None for j in range(len(shape_out)))
    return Reads(axes, frozenset(), merged)
