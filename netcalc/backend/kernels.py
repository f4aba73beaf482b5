"""Pure NumPy reference kernels with PyTorch semantics, batched: (N, C, *spatial) or (N, T, D).

Every function returns an array of the input's dtype (float32 or float64). Nothing here imports
another netcalc module: this is the second witness, sharing no helper with the layer formulas.
"""

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

Array = npt.NDArray[np.floating[Any]]  # float32 or float64: every kernel returns its input's dtype
Ints = Sequence[int]  # one value per spatial axis
Pairs = Sequence[tuple[int, int]]  # (lo, hi) padding per spatial axis

# ---------------------------------------------------------------------------------------------
# helpers


def _pad(x: Array, pairs: Pairs, value: float = 0.0) -> Array:
    """Pad (or crop, for negative amounts) the trailing len(pairs) axes by (lo, hi) pairs."""
    lead = x.ndim - len(pairs)
    crop = (slice(None),) * lead + tuple(
        slice(max(-lo, 0), x.shape[lead + i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pairs)
    )
    x = x[crop]
    if not any(lo > 0 or hi > 0 for lo, hi in pairs):
        return x
    # a filled array and one copy into it: np.pad's general machinery costs more than the copy
    shape = x.shape[:lead] + tuple(
        n + max(lo, 0) + max(hi, 0) for n, (lo, hi) in zip(x.shape[lead:], pairs, strict=True)
    )
    out = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    inner = tuple(slice(max(lo, 0), max(lo, 0) + n) for n, (lo, _) in zip(x.shape[lead:], pairs, strict=True))
    out[(slice(None),) * lead + inner] = x
    return out


def _windows(x: Array, kernel: Ints, stride: Ints, dilation: Ints, out: Ints | None = None) -> Array:
    """Strided view of every window over the trailing spatial axes: (..., *O, *K), no copy."""
    nd = len(kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    view = sliding_window_view(x, spans, axis=tuple(range(x.ndim - nd, x.ndim)))
    if out is None:
        out = tuple((view.shape[x.ndim - nd + i] - 1) // s + 1 for i, s in enumerate(stride))
    take = (slice(None),) * (x.ndim - nd)
    take += tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride, strict=True))
    take += tuple(slice(None, None, d) for d in dilation)
    return view[take]


def _pool_out(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch pooling_output_shape: the last window must start inside the input or left padding."""
    num = length + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def _channel_shape(v: Array, ndim: int) -> Array:
    """Reshape a per-channel vector (C,) to broadcast over axis 1 of an ndim array."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


# ---------------------------------------------------------------------------------------------
# convolution


COLUMN_BYTES = 1 << 19  # an im2col block of about 0.5 MiB a sample stays in cache while read
MIN_COLUMNS = 1024  # but a block holds at least this many output positions: BLAS is slow on fewer


def conv_rows(ck: int, rows: int, row: int, itemsize: int, groups: int) -> int:
    """Rows of the first output axis in one im2col block of a convolution with `ck` =
    C * prod(kernel) column entries per output position and `rows` rows of `row` positions.

    A grouped convolution takes its columns whole: its products are small (one per group) anyway.
    """
    if groups > 1:
        return rows
    positions = max(MIN_COLUMNS, COLUMN_BYTES // (ck * itemsize))
    return max(1, min(rows, positions // row))


def conv(
    x: Array, weight: Array, bias: Array | None, stride: Ints, padding: Pairs, dilation: Ints, groups: int
) -> Array:
    """N-d grouped convolution (PyTorch ConvNd); padding is a (lo, hi) pair per spatial axis.

    The columns are built (N, C, *K, *O) a block of rows of the first output axis at a time
    (conv_rows): each of the prod(kernel) window offsets copies the strided slice of the input its
    taps read and zeroes the taps that fall in the padding (a few large copies instead of a gather
    per window, and no padded copy of the input), so that weight (G, F/G, C/G * K) @ columns
    (N, G, C/G * K, P) writes (N, F, P), channels first, straight into the output, with no
    transpose of the input, the weights or the output. A block that stays in cache while the
    product reads it is faster than the whole columns, and takes less memory.
    """
    weight = np.asarray(weight, dtype=x.dtype)
    n, c = x.shape[:2]
    f, cg, *kernel = weight.shape
    x = _pad(x, [(min(lo, 0), min(hi, 0)) for lo, hi in padding])  # crop first: a view
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    out_sp = tuple(
        (length + lo + hi - d * (k - 1) - 1) // s + 1
        for length, (lo, hi), k, s, d in zip(x.shape[2:], pads, kernel, stride, dilation, strict=True)
    )
    p, k = math.prod(out_sp), math.prod(kernel)
    wmat = weight.reshape(groups, f // groups, cg * k)  # (G, Fg, Cg * K), the columns' order
    if all(k == 1 for k in kernel) and all(s == 1 for s in stride):  # the input is its own columns
        xp = _pad(x, pads)  # (N, C, *padded): a padded copy only when a 1x1 convolution pads
        y: Array = np.matmul(wmat, xp.reshape(n, groups, cg, p)).reshape(n, f, *out_sp)
    else:
        y = _conv_blocks(x, pads, wmat, kernel, stride, dilation, out_sp)
    if bias is not None:
        y += _channel_shape(np.asarray(bias, dtype=x.dtype), y.ndim)
    return y.astype(x.dtype, copy=False)


def _valid(offset: int, lo: int, length: int, s: int, start: int, stop: int) -> tuple[int, int]:
    """The outputs [a, b) within [start, stop) whose tap offset + o * s - lo falls inside [0, length)."""
    a = max(start, -((offset - lo) // s))  # ceil((lo - offset) / s)
    b = min(stop, (length - 1 + lo - offset) // s + 1)
    return a, max(a, b)


def _conv_blocks(
    x: Array, pads: Pairs, wmat: Array, kernel: Ints, stride: Ints, dilation: Ints, out_sp: Ints
) -> Array:
    """weight @ im2col(x padded by pads), a block of conv_rows rows at a time, into a new (N, F, *O)
    array. With padding a block is zeroed once; each window offset then copies only the part of
    its slice inside the input: the padded input's values without a padded copy. The slices of the
    axes after the first are worked out once per offset (a 7x7 stem has 49 offsets a block)."""
    n, c = x.shape[:2]
    groups, fg, cgk = wmat.shape
    rows, row, k = out_sp[0], math.prod(out_sp[1:]), math.prod(kernel)
    step = conv_rows(c * k, rows, row, x.itemsize, groups)
    y = np.empty((n, groups, fg, rows * row), dtype=x.dtype)  # (N, G, Fg, P)
    buffer = np.empty(n * c * k * step * row, dtype=x.dtype)
    padded = any(lo > 0 or hi > 0 for lo, hi in pads)
    offsets = _offset_slices(x, pads, kernel, stride, dilation, out_sp)
    (lo0, _), s0, length0 = pads[0], stride[0], x.shape[2]
    for r0 in range(0, rows, step):
        r1 = min(r0 + step, rows)
        cols = buffer[: n * c * k * (r1 - r0) * row].reshape(n, c, k, r1 - r0, *out_sp[1:])
        if padded:  # one fill of the block: the taps that fall in the padding stay zero
            cols[...] = 0
        for i, tap0, inner, taps in offsets:
            a, b = _valid(tap0, lo0, length0, s0, r0, r1)
            if a == b:
                continue
            rows_in = slice(tap0 + a * s0 - lo0, tap0 + (b - 1) * s0 - lo0 + 1, s0)
            at: tuple[slice | int, ...] = (slice(None), slice(None), i, slice(a - r0, b - r0), *inner)
            cols[at] = x[(slice(None), slice(None), rows_in, *taps)]
        lhs = cols.reshape(n, groups, cgk, (r1 - r0) * row)
        np.matmul(wmat, lhs, out=y[:, :, :, r0 * row : r1 * row])
    return y.reshape(n, groups * fg, *out_sp)


def _offset_slices(
    x: Array, pads: Pairs, kernel: Ints, stride: Ints, dilation: Ints, out_sp: Ints
) -> list[tuple[int, int, tuple[slice, ...], tuple[slice, ...]]]:
    """Per window offset with a tap inside the input on every axis but the first: its index, its
    first-axis tap, and on the other axes the outputs whose taps fall inside the input and those taps."""
    found = []
    for i, offs in enumerate(itertools.product(*(range(k) for k in kernel))):
        ranges = [
            _valid(o * d, lo, length, s, 0, stop)
            for o, d, s, (lo, _), length, stop in zip(
                offs[1:], dilation[1:], stride[1:], pads[1:], x.shape[3:], out_sp[1:], strict=True
            )
        ]
        if any(a == b for a, b in ranges):
            continue
        inner = tuple(slice(a, b) for a, b in ranges)
        taps = tuple(
            slice(o * d + a * s - lo, o * d + (b - 1) * s - lo + 1, s)
            for o, d, s, (lo, _), (a, b) in zip(
                offs[1:], dilation[1:], stride[1:], pads[1:], ranges, strict=True
            )
        )
        found.append((i, offs[0] * dilation[0], inner, taps))
    return found


def conv_transpose(
    x: Array,
    weight: Array,
    bias: Array | None,
    stride: Ints,
    padding: Ints,
    output_padding: Ints,
    dilation: Ints,
    groups: int,
) -> Array:
    """N-d grouped transposed convolution (PyTorch ConvTransposeNd); weight (C_in, F/groups, *k)."""
    weight = np.asarray(weight, dtype=x.dtype)
    n, c, *in_sp = x.shape
    _, fg, *kernel = weight.shape
    nd = len(kernel)
    cg = c // groups
    xg = x.reshape(n, groups, cg, math.prod(in_sp)).transpose(0, 1, 3, 2)  # (N, G, P, Cg)
    wg = weight.reshape(groups, cg, fg * math.prod(kernel))  # (G, Cg, Fg*K)
    cols = (xg @ wg).reshape(n, groups, *in_sp, fg, *kernel)  # (N, G, *L, Fg, *K)
    perm = (0, 1, 2 + nd) + tuple(range(3 + nd, 3 + 2 * nd)) + tuple(range(2, 2 + nd))
    cols = cols.transpose(perm)  # (N, G, Fg, *K, *L)
    # col2im: every input position scatters its k-window into the stride-spaced output
    full = [
        (length - 1) * s + d * (k - 1) + 1 + op
        for length, s, d, k, op in zip(in_sp, stride, dilation, kernel, output_padding, strict=True)
    ]
    y = np.zeros((n, groups, fg, *full), dtype=x.dtype)  # (N, G, Fg, *full)
    for offs in itertools.product(*(range(k) for k in kernel)):
        dst = tuple(
            slice(o * d, o * d + (length - 1) * s + 1, s)
            for o, d, length, s in zip(offs, dilation, in_sp, stride, strict=True)
        )
        y[(slice(None),) * 3 + dst] += cols[(slice(None),) * 3 + offs]
    out_sp = [fl - 2 * p for fl, p in zip(full, padding, strict=True)]  # (L-1)s-2p+d(k-1)+op+1
    y = y[(slice(None),) * 3 + tuple(slice(p, p + o) for p, o in zip(padding, out_sp, strict=True))]
    y = y.reshape(n, groups * fg, *out_sp)  # (N, F, *O)
    if bias is not None:
        y = y + _channel_shape(np.asarray(bias, dtype=x.dtype), y.ndim)
    return y.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# pooling


def max_pool(x: Array, size: Ints, stride: Ints, padding: Ints, dilation: Ints, ceil_mode: bool) -> Array:
    """N-d max pooling (PyTorch MaxPoolNd): symmetric -inf padding, dilation, ceil_mode."""
    nd = len(size)
    in_sp = x.shape[-nd:]
    out_sp = tuple(
        _pool_out(length, k, s, p, d, ceil_mode)
        for length, k, s, p, d in zip(in_sp, size, stride, padding, dilation, strict=True)
    )
    # the maximum over the window offsets, one strided (N, C, *O) slice per offset: the same
    # values as a max over every window (max is exact), without a reduction per window; each
    # offset reads only its taps inside the input, as if the padding (p on the left, on the right
    # what ceil_mode's last window needs) were -inf, without a padded copy
    lead = (slice(None),) * (x.ndim - nd)
    y: Array = np.full(x.shape[: x.ndim - nd] + out_sp, -np.inf, dtype=x.dtype)
    for offs in itertools.product(*(range(k) for k in size)):
        ranges = [
            _valid(o * d, p, length, s, 0, n)
            for o, d, s, p, length, n in zip(offs, dilation, stride, padding, in_sp, out_sp, strict=True)
        ]
        if any(a == b for a, b in ranges):
            continue
        inner = lead + tuple(slice(a, b) for a, b in ranges)
        taps = lead + tuple(
            slice(o * d + a * s - p, o * d + (b - 1) * s - p + 1, s)
            for o, d, s, p, (a, b) in zip(offs, dilation, stride, padding, ranges, strict=True)
        )
        np.maximum(y[inner], x[taps], out=y[inner])
    return y


def avg_pool(
    x: Array, size: Ints, stride: Ints, padding: Ints, ceil_mode: bool, count_include_pad: bool
) -> Array:
    """N-d average pooling (PyTorch AvgPoolNd) with its divisor rules for padding and ceil_mode."""
    nd = len(size)
    in_sp = x.shape[-nd:]
    out_sp = tuple(
        _pool_out(length, k, s, p, 1, ceil_mode)
        for length, k, s, p in zip(in_sp, size, stride, padding, strict=True)
    )
    pads = [
        (p, max((o - 1) * s + k - p - length, 0))
        for length, k, s, p, o in zip(in_sp, size, stride, padding, out_sp, strict=True)
    ]
    xp = _pad(x, pads)
    sums = _windows(xp, size, stride, (1,) * nd, out_sp).sum(axis=tuple(range(-nd, 0)))
    # the divisor is a product over axes: per axis, window cells inside the padded extent
    # [-p, L+p) (count_include_pad) or inside the input [0, L); a window past L+p is clipped
    divisor = np.ones((1,) * nd, dtype=np.int64)
    empty = np.zeros((1,) * nd, dtype=bool)
    for axis, (length, k, s, p, o) in enumerate(zip(in_sp, size, stride, padding, out_sp, strict=True)):
        start = np.arange(o) * s - p  # (O,)
        end = np.minimum(start + k, length + p)
        inside = np.minimum(end, length) - np.maximum(start, 0)
        count = end - start if count_include_pad else inside
        shape = [1] * nd
        shape[axis] = o
        divisor = divisor * count.reshape(shape)
        empty = empty | (inside <= 0).reshape(shape)
    y = sums / np.where(empty, 1, divisor).astype(x.dtype)
    y = np.where(empty, 0, y)  # PyTorch writes 0 for a window with no input cell
    return y.astype(x.dtype, copy=False)


def adaptive_avg_pool(x: Array, output_size: Ints) -> Array:
    """N-d adaptive average pooling (PyTorch): bin i covers [floor(i*L/o), ceil((i+1)*L/o))."""
    nd = len(output_size)
    y = x
    for axis, o in zip(range(x.ndim - nd, x.ndim), output_size, strict=True):
        length = x.shape[axis]
        i = np.arange(o)
        start = (i * length) // o
        end = -((-(i + 1) * length) // o)
        pos = np.arange(length)
        inside = (pos >= start[:, None]) & (pos < end[:, None])  # (O, L)
        mat = (inside / (end - start)[:, None]).astype(x.dtype)  # (O, L), rows average a bin
        y = np.moveaxis(np.moveaxis(y, axis, -1) @ mat.T, -1, axis)
    return y.astype(x.dtype, copy=False)


def global_avg_pool(x: Array) -> Array:
    """Mean over every spatial axis, kept as size 1: (N, C, *S) -> (N, C, 1, ...)."""
    y: Array = x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)
    return y.astype(x.dtype, copy=False)


def global_max_pool(x: Array) -> Array:
    """Max over every spatial axis, kept as size 1: (N, C, *S) -> (N, C, 1, ...)."""
    y: Array = x.max(axis=tuple(range(2, x.ndim)), keepdims=True)
    return y


# ---------------------------------------------------------------------------------------------
# upsampling


def upsample_nearest(x: Array, size: Ints, scales: Sequence[float | None] | None = None) -> Array:
    """PyTorch 'nearest' upsampling to size: src = min(floor(dst * in/out), L - 1) per axis."""
    nd = len(size)
    scales = scales or (None,) * nd
    # PyTorch (UpSampleKernel.cpp) has two index rules. A 2-D output with H + W <= 128 takes
    # nearest_idx: copy when out == L, dst >> 1 when out == 2L, else float32 scale and product.
    # Everything else takes HelperInterpNearest: no shortcuts, scale and product in the tensor's
    # precision, rounded to float32 before the floor. They differ only when a scale factor is
    # given or dst * scale lands on an integer.
    shortcuts = nd == 2 and sum(size) <= 128
    y = x
    for axis, o, sc in zip(range(x.ndim - nd, x.ndim), size, scales, strict=True):
        length = x.shape[axis]
        dst = np.arange(o)
        if shortcuts and o == length:
            src = dst
        elif shortcuts and o == 2 * length:
            src = dst >> 1
        else:
            dt = np.float32 if shortcuts else x.dtype.type
            scale = dt(1.0 / sc) if sc else dt(length) / dt(o)
            src = np.floor((dst.astype(dt) * scale).astype(np.float32)).astype(np.int64)
            src = np.minimum(src, length - 1)
        y = y.take(src, axis=axis)
    return y


def upsample_linear(
    x: Array, size: Ints, align_corners: bool = False, scales: Sequence[float | None] | None = None
) -> Array:
    """PyTorch linear/bilinear/trilinear upsampling to size, one separable pass per spatial axis."""
    nd = len(size)
    scales = scales or (None,) * nd
    dt = x.dtype.type  # PyTorch's opmath: index arithmetic in the tensor's own precision
    y = x
    for axis, o, sc in zip(range(x.ndim - nd, x.ndim), size, scales, strict=True):
        length = x.shape[axis]
        if o == length:
            continue  # PyTorch copies when sizes match, even if a scale factor was given
        dst = np.arange(o).astype(dt)
        if align_corners:
            scale = dt(length - 1) / dt(o - 1) if o > 1 else dt(0)
            src = scale * dst
        else:
            scale = dt(1.0 / sc) if sc else dt(length) / dt(o)
            # PyTorch's build fuses scale * (dst + 0.5) - 0.5 into one fma; evaluating it in float64
            # and rounding once reproduces that for float32 (float64 is unaffected)
            src = (np.float64(scale) * (dst + dt(0.5)).astype(np.float64) - 0.5).astype(dt)
            src = np.maximum(src, dt(0))
        # floorf: PyTorch rounds the source index to float32 before the floor
        i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), length - 1)  # (O,)
        lam1 = np.clip(src - i0.astype(dt), dt(0), dt(1))
        i1 = i0 + (i0 < length - 1)
        shape = [1] * x.ndim
        shape[axis] = o
        lam1 = lam1.reshape(shape)
        y = y.take(i0, axis=axis) * (dt(1) - lam1) + y.take(i1, axis=axis) * lam1
    if y is x:
        return x.copy()  # every size matched: a new tensor all the same, as PyTorch's
    return y.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# normalization and dense


def batchnorm(
    x: Array,
    mean: Array,
    var: Array,
    weight: Array | None,
    bias: Array | None,
    eps: float,
    out: Array | None = None,
) -> Array:
    """Inference batch norm over channel axis 1 with running statistics; weight/bias may be None;
    into `out` when given (x itself, to work in place)."""
    dt = x.dtype
    # one scale and one shift per channel, folded from the four vectors: two passes over x
    scale = 1 / np.sqrt(np.asarray(var, dt) + dt.type(eps))
    if weight is not None:
        scale = scale * np.asarray(weight, dt)
    shift = -np.asarray(mean, dt) * scale
    if bias is not None:
        shift = shift + np.asarray(bias, dt)
    y = np.multiply(x, _channel_shape(scale.astype(dt, copy=False), x.ndim), out=out)
    y += _channel_shape(shift.astype(dt, copy=False), x.ndim)
    return y.astype(dt, copy=False)


def layernorm(x: Array, weight: Array | None, bias: Array | None, eps: float) -> Array:
    """Layer norm over the last axis (biased variance); weight/bias may be None."""
    dt = x.dtype
    mu: Array = x.mean(axis=-1, keepdims=True)
    var: Array = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + dt.type(eps))
    if weight is not None:
        y = y * np.asarray(weight, dt)
    if bias is not None:
        y = y + np.asarray(bias, dt)
    return y.astype(dt, copy=False)


def rmsnorm(x: Array, weight: Array | None, eps: float) -> Array:
    """RMS norm over the last axis (Llama, torch RMSNorm): x / sqrt(mean(x^2) + eps) * weight."""
    dt = x.dtype
    square: Array = (x * x).mean(axis=-1, keepdims=True)
    y = x / np.sqrt(square + dt.type(eps))
    if weight is not None:
        y = y * np.asarray(weight, dt)
    return y.astype(dt, copy=False)


def groupnorm(x: Array, groups: int, weight: Array | None, bias: Array | None, eps: float) -> Array:
    """Group norm (torch GroupNorm) of (N, C, *spatial): each sample's C / groups channels and all
    their positions share one mean and one biased variance; weight/bias per channel."""
    dt, n = x.dtype, x.shape[0]
    g = x.reshape(n, groups, -1)  # (N, G, C/G * S)
    mu: Array = g.mean(axis=-1, keepdims=True)
    var: Array = ((g - mu) ** 2).mean(axis=-1, keepdims=True)
    y = ((g - mu) / np.sqrt(var + dt.type(eps))).reshape(x.shape)
    if weight is not None:
        y = y * _channel_shape(np.asarray(weight, dt), x.ndim)
    if bias is not None:
        y = y + _channel_shape(np.asarray(bias, dt), x.ndim)
    return y.astype(dt, copy=False)


def pad(x: Array, pairs: Pairs, value: float) -> Array:
    """Constant padding of the trailing len(pairs) axes by (before, after) pairs (torch F.pad)."""
    widths = ((0, 0),) * (x.ndim - len(pairs)) + tuple(pairs)
    return np.pad(x, widths, constant_values=x.dtype.type(value))


def dense(x: Array, weight: Array, bias: Array | None) -> Array:
    """Affine map on the last axis like torch Linear: x @ weight.T + bias, weight (units, in)."""
    y = x @ np.asarray(weight, x.dtype).T
    if bias is not None:
        y += np.asarray(bias, x.dtype)  # y is new: the bias is added in place
    return y.astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# activations

# Cephes ndtr.c (S. L. Moshier) rational approximations: relative error about 2e-16 in float64.
# erf(x) = x T(x^2) / U(x^2) for |x| <= 1; erfc(a) = exp(-a^2) P(a) / Q(a) for 1 < a < 8, and
# exp(-a^2) R(a) / S(a) beyond. The leading 1 of U, Q, S (implicit in Cephes) is written out.
_ERF_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_U = (
    1.0,
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_Q = (
    1.0,
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_ERFC_R = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_S = (
    1.0,
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)


def _polyval(coeffs: Sequence[float], x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Horner evaluation, highest power first."""
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return acc


def erf(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Vectorized error function in float64 (Cephes ndtr.c rational approximations)."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    xs = np.clip(x, -1.0, 1.0)
    z = xs * xs
    small = xs * _polyval(_ERF_T, z) / _polyval(_ERF_U, z)
    a = np.clip(ax, 1.0, 30.0)  # exp(-900) underflows to 0: erf is +-1 there, inf included
    ratio = np.where(
        a < 8.0,
        _polyval(_ERFC_P, a) / _polyval(_ERFC_Q, a),
        _polyval(_ERFC_R, a) / _polyval(_ERFC_S, a),
    )
    big = np.sign(x) * (1.0 - np.exp(-a * a) * ratio)
    y: npt.NDArray[np.float64] = np.where(ax <= 1.0, small, big)
    return y


def relu(x: Array, out: Array | None = None) -> Array:
    """max(x, 0); into `out` when given (x itself, to work in place)."""
    return np.maximum(x, x.dtype.type(0), out=out)


def relu6(x: Array, out: Array | None = None) -> Array:
    """min(max(x, 0), 6); into `out` when given (x itself, to work in place)."""
    return np.clip(x, x.dtype.type(0), x.dtype.type(6), out=out)


def leaky_relu(x: Array, negative_slope: float = 0.01) -> Array:
    """x if x > 0 else negative_slope * x."""
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def prelu(x: Array, slope: Array) -> Array:
    """x if x >= 0 else slope * x, the slopes broadcast against x (PyTorch prelu)."""
    return np.where(x >= 0, x, x * slope).astype(x.dtype, copy=False)


def sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)), computed without overflow."""
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def tanh(x: Array) -> Array:
    """Hyperbolic tangent."""
    return np.tanh(x)


def log_softmax(x: Array, axis: int) -> Array:
    """x - log(sum(exp(x))) along axis, shifted by the max for stability (torch log_softmax)."""
    peak: Array = x.max(axis=axis, keepdims=True)
    shifted = x - peak
    total: Array = np.exp(shifted).sum(axis=axis, keepdims=True)
    return (shifted - np.log(total)).astype(x.dtype, copy=False)


def softmax(x: Array, axis: int) -> Array:
    """exp(x) / sum(exp(x)) along axis, shifted by the max for stability."""
    peak: Array = x.max(axis=axis, keepdims=True)
    e = np.exp(x - peak)
    total: Array = e.sum(axis=axis, keepdims=True)
    return (e / total).astype(x.dtype, copy=False)


def gelu(x: Array, approximate: str = "none") -> Array:
    """x * Phi(x) with the exact erf ('none'), or PyTorch's tanh approximation ('tanh')."""
    y: Array
    if approximate == "tanh":
        c = x.dtype.type(math.sqrt(2.0 / math.pi))
        y = 0.5 * x * (1 + np.tanh(c * (x + x.dtype.type(0.044715) * x**3)))
    elif approximate == "none":
        x64 = x.astype(np.float64)
        y = 0.5 * x64 * (1.0 + erf(x64 / math.sqrt(2.0)))
    else:
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return y.astype(x.dtype, copy=False)


def silu(x: Array) -> Array:
    """x * sigmoid(x)."""
    return (x * sigmoid(x)).astype(x.dtype, copy=False)


def elu(x: Array, alpha: float = 1.0) -> Array:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    neg = x.dtype.type(alpha) * np.expm1(np.minimum(x, x.dtype.type(0)))
    return np.where(x > 0, x, neg)


def hardswish(x: Array) -> Array:
    """x * min(max(x + 3, 0), 6) / 6."""
    return (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)


def hardsigmoid(x: Array) -> Array:
    """min(max(x + 3, 0), 6) / 6."""
    return (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# the rest


def dropout(x: Array, rate: float, training: bool, rng: np.random.Generator | None = None) -> Array:
    """Identity in eval; in training zero each element with probability rate, scale by 1/(1-rate)."""
    if not training or rate == 0:
        return x
    if rate >= 1:
        return np.zeros_like(x)
    rng = np.random.default_rng() if rng is None else rng
    keep = rng.random(x.shape) >= rate
    return np.where(keep, x / x.dtype.type(1 - rate), x.dtype.type(0))


def channel_shuffle(x: Array, groups: int) -> Array:
    """PyTorch ChannelShuffle: (N, g*k, *S) viewed as (N, g, k, *S), transposed to (N, k, g, *S)."""
    n, c, *sp = x.shape
    return x.reshape(n, groups, c // groups, *sp).swapaxes(1, 2).reshape(n, c, *sp)


def attention(
    x: Array,
    in_proj_weight: Array,
    in_proj_bias: Array | None,
    out_proj_weight: Array,
    out_proj_bias: Array | None,
    heads: int,
) -> Array:
    """torch.nn.MultiheadAttention self-attention (q = k = v = x), batch_first, eval, no mask."""
    weights = np.split(in_proj_weight, 3)
    biases: list[Array | None] = list(np.split(in_proj_bias, 3)) if in_proj_bias is not None else [None] * 3
    q, k, v = ((w, b) for w, b in zip(weights, biases, strict=True))
    return multihead_attention(x, x, q, k, v, (out_proj_weight, out_proj_bias), heads, heads)


Projection = tuple[Array, Array | None]  # a torch Linear's (weight, bias or None)


def multihead_attention(
    x: Array,
    memory: Array,
    q: Projection,
    k: Projection,
    v: Projection,
    out: Projection,
    heads: int,
    kv_heads: int,
    causal: bool = False,
    logit_bias: Array | None = None,
) -> Array:
    """Queries x (B, ..., N, D) attend to memory (B, ..., M, Dm), per leading index; eval mode.

    q, k, v, out: (weight, bias or None) of each projection, torch Linear layouts. Query head i reads
    key/value head i // (heads / kv_heads) (grouped-query attention, as Llama's repeat_kv). Scores
    are scaled by 1/sqrt(head width); logit_bias (heads, N, M) is added to them (a relative position
    bias); causal sets key j > query i to -inf before the softmax (torch's tril mask).
    """
    width = q[0].shape[0] // heads

    def split(t: Array, n: int) -> Array:  # (B, ..., T, n * width) -> (B, ..., n, T, width)
        return np.swapaxes(t.reshape(*t.shape[:-1], n, width), -2, -3)

    group = heads // kv_heads
    qh = split(dense(x, *q), heads)
    kh = np.repeat(split(dense(memory, *k), kv_heads), group, axis=-3)
    vh = np.repeat(split(dense(memory, *v), kv_heads), group, axis=-3)
    scores = (qh @ np.swapaxes(kh, -1, -2)) / x.dtype.type(math.sqrt(width))  # (B, ..., h, N, M)
    if logit_bias is not None:
        scores = scores + np.asarray(logit_bias, x.dtype)
    if causal:
        n, m = scores.shape[-2:]
        scores = np.where(np.triu(np.ones((n, m), bool), 1), x.dtype.type(-np.inf), scores)
    ctx = np.swapaxes(softmax(scores, axis=-1) @ vh, -2, -3)  # (B, ..., N, h, width)
    return dense(ctx.reshape(*ctx.shape[:-2], heads * width), *out)


# ---------------------------------------------------------------------------------------------
# recurrent layers


def _step(
    mode: str, gates: Array, hidden: Array, state: Array, w_hh: Array, b_hh: Array | None, relu: bool
) -> tuple[Array, Array]:
    """One time step from the input's gate pre-activations (N, G*H): the new (h, c)."""
    recurrent = hidden @ w_hh.T
    if b_hh is not None:
        recurrent = recurrent + b_hh
    if mode == "rnn":
        total = gates + recurrent
        return (np.maximum(total, 0) if relu else np.tanh(total)), state
    if mode == "lstm":  # PyTorch's gate order: i, f, g, o
        i, f, g, o = np.split(gates + recurrent, 4, axis=-1)
        c = sigmoid(f) * state + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c
    x_r, x_z, x_n = np.split(gates, 3, axis=-1)  # GRU, PyTorch's order: r, z, n
    h_r, h_z, h_n = np.split(recurrent, 3, axis=-1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1 - z) * n + z * hidden, state


def recurrent(
    x: Array,
    weights: Sequence[tuple[Array, Array, Array | None, Array | None]],
    mode: str,
    units: int,
    directions: int,
    return_sequences: bool,
    relu: bool = False,
) -> Array:
    """torch RNN / LSTM / GRU (batch_first, zero initial state) of (N, L, F).

    `weights`: (w_ih, w_hh, b_ih, b_hh) per layer and direction in PyTorch's order (layer 0
    forward, layer 0 reverse, layer 1 ...). Returns (N, L, units * directions), or the last
    layer's final hidden states (the reverse direction's after reading step 0), (N, units * dirs).
    """
    dt, (n, steps, _) = x.dtype, x.shape
    finals: list[Array] = []
    for start in range(0, len(weights), directions):
        outputs, finals = [], []
        for d, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights[start : start + directions]):
            gates = x @ np.asarray(w_ih, dt).T  # (N, L, G * H): every step's input part at once
            if b_ih is not None:
                gates = gates + np.asarray(b_ih, dt)
            hidden = np.zeros((n, units), dt)
            state = np.zeros((n, units), dt)
            out = np.empty((n, steps, units), dt)
            order = range(steps - 1, -1, -1) if d == 1 else range(steps)
            w = np.asarray(w_hh, dt)
            b = None if b_hh is None else np.asarray(b_hh, dt)
            for t in order:
                hidden, state = _step(mode, gates[:, t], hidden, state, w, b, relu)
                out[:, t] = hidden
            outputs.append(out)
            finals.append(hidden)
        x = np.concatenate(outputs, axis=-1) if directions > 1 else outputs[0]
    if return_sequences:
        return x.astype(dt, copy=False)
    return np.concatenate(finals, axis=-1).astype(dt, copy=False)
