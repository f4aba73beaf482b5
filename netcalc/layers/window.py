"""The sliding-window arithmetic shared by convolution and pooling (as ONNX does)."""

from netcalc.errors import ShapeError
from netcalc.layers.formula import Expr, ceil_of, floor_of, minus, plus, times


def span(kernel: int, dilation: int) -> int:
    """How many input positions one dilated window covers."""
    return dilation * (kernel - 1) + 1


def same_padding(length: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """(before, after) padding so that out = ceil(length / stride); the extra pixel goes after.

    With stride 1 this is PyTorch's padding='same'; with a larger stride, TF/Keras's SAME.
    """
    out = -(-length // stride)
    total = max((out - 1) * stride + span(kernel, dilation) - length, 0)
    return total // 2, total - total // 2


def resolve_padding(
    padding: str | int | tuple[int, ...],
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, int], ...]:
    """(before, after) padding per spatial axis: 'valid' is none, 'same' as above, ints both sides."""
    if padding == "valid":
        return ((0, 0),) * len(spatial)
    if padding == "same":
        return tuple(
            same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True)
        )
    values = (padding,) * len(spatial) if isinstance(padding, int) else padding
    return tuple((int(p), int(p)) for p in values)


def window_count(
    length: int,
    kernel: int,
    stride: int,
    pads: tuple[int, int],
    dilation: int = 1,
    ceil_mode: bool = False,
    axis: str = "H",
) -> int:
    """Number of window positions: floor or ceil((L + pads - span) / stride) + 1.

    With ceil_mode, a last window that would start in the right padding is dropped (PyTorch).
    """
    reach = span(kernel, dilation)
    padded = length + pads[0] + pads[1]
    if padded < reach:
        raise ShapeError(
            f"{axis}={length} plus padding {pads[0] + pads[1]} is smaller than the kernel span "
            f"{reach} — reduce the kernel, add padding or remove a pooling layer"
        )
    if not ceil_mode:
        return (padded - reach) // stride + 1
    count = -(-(padded - reach) // stride) + 1
    if (count - 1) * stride >= length + pads[0]:
        count -= 1
    return count


def window_formula(
    length: int,
    kernel: int,
    stride: int,
    pads: tuple[int, int],
    dilation: int = 1,
    ceil_mode: bool = False,
) -> Expr:
    """window_count as a formula with its numbers: ⌊(L + 2·p − d·(k − 1) − 1) / s⌋ + 1."""
    padding = times(2, pads[0], dot=True) if pads[0] == pads[1] else plus(pads[0], pads[1])
    inner = minus(plus(length, padding), times(dilation, minus(kernel, 1), dot=True), 1)
    if not ceil_mode:
        return plus(floor_of(inner, stride), 1)
    count = window_count(length, kernel, stride, pads, dilation, ceil_mode)
    rounded = plus(ceil_of(inner, stride), 1)
    # PyTorch drops a last window that would start in the right padding
    return (
        rounded
        if -(-(length + sum(pads) - span(kernel, dilation)) // stride) + 1 == count
        else minus(rounded, 1)
    )
