"""One op per layer class: the weight tensors it allocates and its forward pass.

The shapes here come from the actual input arrays and the layer's hyper-parameters, written
again on purpose: the engine's formulas are not called, so agreement between the two is evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import floor, prod
from typing import Any, Generic, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from netcalc import layers as L
from netcalc.backend import kernels as K
from netcalc.backend.kernels import Array

Shape = tuple[int, ...]
Ins = tuple[Shape, ...]  # per-sample input shapes
Arrays = Sequence[Array]  # a layer's input arrays, batch first (an embedding's: int64 token ids)
Weights = Mapping[str, Array]  # a layer's tensors by name
LayerT = TypeVar("LayerT", bound=L.Layer)
N = TypeVar("N", int, float)

Pool = L.MaxPool | L.AvgPool
Rated = L.Dropout | L.StochasticDepth


@dataclass
class Context:
    """Run-wide settings a forward pass may need."""

    training: bool = False
    rng: np.random.Generator | None = None
    overwrite: bool = False  # the forward pass may write its output over inputs[0] (see Op.in_place)


Tensors = Callable[[LayerT, Arrays], dict[str, Shape]]  # {name: shape}, trainable then state
Forward = Callable[[LayerT, Arrays, Weights, Context], Array]  # the output array
Macs = Callable[[LayerT, Arrays, Weights, Array], int]  # MACs per sample, from the arrays
# (layer, per-sample input shapes, per-sample output shape, itemsize, training) -> elements per sample
Workspace = Callable[[LayerT, Ins, Shape, int, bool], int]
View = Callable[[LayerT, bool], bool]  # (layer, training) -> the output is a view of input 0


def no_workspace(layer: L.Layer, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    """A view or one output array: nothing beyond the inputs and the output."""
    return 0


def never(layer: L.Layer, training: bool) -> bool:
    """The output is a new array."""
    return False


@dataclass(frozen=True)
class Op(Generic[LayerT]):
    """How the backend executes one layer type.

    `workspace` states, next to the kernel, the most elements per sample its forward pass holds at
    once besides its inputs and its output (im2col columns, padded copies, temporaries of an
    expression): the memory guard adds it to the live activations, so keep it an upper bound.
    """

    tensors: Tensors[LayerT]
    forward: Forward[LayerT]
    state: tuple[str, ...] = ()  # which tensors are non-trainable state
    macs: Macs[LayerT] | None = None
    neurons: Macs[LayerT] | None = None  # when not the output elements of a layer with MACs
    workspace: Workspace[LayerT] = no_workspace
    view: View[LayerT] = never
    # (layer, training) -> the forward pass writes its output over inputs[0] when ctx.overwrite
    # (backend.in_place says for which layers of a run: where nothing else needs that memory)
    in_place: View[LayerT] = never


def axes(value: N | Sequence[N], rank: int) -> tuple[N, ...]:
    """An int or a list as one value per spatial axis."""
    return (value,) * rank if isinstance(value, int | float) else tuple(value)


def activate(x: Array, name: str | None) -> Array:
    """Apply a fused activation by name: the activation layer's own op, with default arguments."""
    if name is None:
        return x
    cls = L.BY_KIND[name]
    return OPS[cls].forward(cls(), [x], {}, Context(overwrite=True))  # x is the kernel's new array


# Temporaries of each activation kernel per input element, measured with tracemalloc on 10^6
# elements (see tests/test_memory_guard.py): (run-dtype arrays, float64 arrays, bool arrays).
# gelu evaluates erf in float64: a dozen float64 temporaries are alive at its peak.
ACTIVATION_TEMPORARIES: dict[str, tuple[float, float, float]] = {
    "relu": (0, 0, 0),
    "relu6": (0, 0, 0),
    "leaky_relu": (1, 0, 1),
    "prelu": (1, 0, 1),
    "sigmoid": (3, 0, 1),
    "tanh": (0, 0, 0),
    "softmax": (1, 0, 0),
    "log_softmax": (1, 0, 0),
    "gelu": (-1, 12, 1),
    "gelu_tanh": (2, 0, 0),
    "silu": (3, 0, 1),
    "elu": (1, 0, 1),
    "hardswish": (1, 0, 0),
    "hardsigmoid": (1, 0, 0),
}


def temporaries(elements: int, itemsize: int, arrays: float, float64: float = 0, bools: float = 0) -> int:
    """Elements of the run's dtype that hold `arrays` copies, float64 copies and bool masks of a
    tensor of `elements`, plus 2% for the small reductions along the way (the estimate adds a
    fixed allowance for everything that does not grow with the batch)."""
    per = arrays + float64 * 8 / itemsize + bools / itemsize
    return max(0, int(elements * per) + 1 + elements // 50) if per > 0 else 0


def activation_workspace(name: str | None, elements: int, itemsize: int) -> int:
    """What an activation allocates besides its output, on a tensor of `elements`."""
    if name is None:
        return 0
    return temporaries(elements, itemsize, *ACTIVATION_TEMPORARIES[name])


def fused(name: str | None, kernel: int, out: Shape, itemsize: int) -> int:
    """A kernel then its fused activation: the kernel's temporaries, or the kernel's result kept
    while the activation (its layer's own op) makes its output and temporaries; an activation
    that writes over its input makes no output of its own."""
    if name is None:
        return kernel
    cls = L.BY_KIND[name]
    op = OPS[cls]
    own = op.workspace(cls(), (out,), out, itemsize, False)
    return max(kernel, own if op.in_place(cls(), False) else prod(out) + own)


def _activation_ws(name: str) -> Workspace[L.Layer]:
    def workspace(layer: L.Layer, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
        return activation_workspace(name, prod(out), itemsize)

    return workspace


def _dim(axis: int) -> int:
    """A sample axis as an array axis: the batch is axis 0."""
    return axis + 1 if axis >= 0 else axis


def _no_tensors(layer: L.Layer, inputs: Arrays) -> dict[str, Shape]:
    return {}


# --- dense and convolution ---------------------------------------------------------------------


def _dense_tensors(layer: L.Dense, inputs: Arrays) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {"weight": (layer.units, inputs[0].shape[-1])}
    if layer.bias:
        shapes["bias"] = (layer.units,)
    return shapes


def _dense(layer: L.Dense, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    return activate(K.dense(inputs[0], w["weight"], w.get("bias")), layer.activation)


def _dense_macs(layer: L.Dense, inputs: Arrays, w: Weights, y: Array) -> int:
    x = inputs[0]
    return int(x.size // x.shape[0] // x.shape[-1] * w["weight"].size)


def _conv_tensors(layer: L.Conv, inputs: Arrays) -> dict[str, Shape]:
    c, rank = inputs[0].shape[1], inputs[0].ndim - 2
    shapes = {"weight": (layer.filters, c // layer.groups, *axes(layer.kernel, rank))}
    if layer.bias:
        shapes["bias"] = (layer.filters,)
    return shapes


def same_pads(
    spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """'same': keep ceil(L / stride) windows, the odd pixel of padding after (TF, PyTorch)."""
    pads = []
    for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True):
        need = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((need // 2, need - need // 2))
    return tuple(pads)


def conv_padding(layer: L.Conv, spatial: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(lo, hi) per axis of a convolution, resolving 'valid' and 'same'."""
    rank = len(spatial)
    if layer.padding == "valid":
        return ((0, 0),) * rank
    if layer.padding == "same":
        return same_pads(
            spatial, axes(layer.kernel, rank), axes(layer.stride, rank), axes(layer.dilation, rank)
        )
    return tuple((p, p) for p in axes(layer.padding, rank))


def _conv(layer: L.Conv, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    rank = x.ndim - 2
    y = K.conv(
        x,
        w["weight"],
        w.get("bias"),
        axes(layer.stride, rank),
        conv_padding(layer, x.shape[2:]),
        axes(layer.dilation, rank),
        layer.groups,
    )
    return activate(y, layer.activation)


def _conv_macs(layer: L.Conv, inputs: Arrays, w: Weights, y: Array) -> int:
    weight = w["weight"]  # (F, C/g, *k): every output element takes C/g * prod(k) products
    return int(y.size // y.shape[0] * (weight.size // weight.shape[0]))


def _convt_tensors(layer: L.ConvTranspose, inputs: Arrays) -> dict[str, Shape]:
    c, rank = inputs[0].shape[1], inputs[0].ndim - 2
    shapes = {"weight": (c, layer.filters // layer.groups, *axes(layer.kernel, rank))}
    if layer.bias:
        shapes["bias"] = (layer.filters,)
    return shapes


def _convt(layer: L.ConvTranspose, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    rank = x.ndim - 2
    y = K.conv_transpose(
        x,
        w["weight"],
        w.get("bias"),
        axes(layer.stride, rank),
        axes(layer.padding, rank),
        axes(layer.output_padding, rank),
        axes(layer.dilation, rank),
        layer.groups,
    )
    return activate(y, layer.activation)


def _convt_macs(layer: L.ConvTranspose, inputs: Arrays, w: Weights, y: Array) -> int:
    x, weight = inputs[0], w["weight"]  # (C, F/g, *k): each input element is scattered F/g*prod(k) times
    return int(x.size // x.shape[0] * (weight.size // weight.shape[0]))


# --- pooling and resampling --------------------------------------------------------------------


def _pool_args(layer: Pool, x: Array) -> tuple[Shape, Shape, Array, Shape]:
    """(size, stride, x padded for 'valid'/'same', symmetric padding left to the kernel)."""
    rank = x.ndim - 2
    size, stride = axes(layer.size, rank), axes(layer.stride or layer.size, rank)
    if not isinstance(layer.padding, str):
        return size, stride, x, axes(layer.padding, rank)
    if layer.padding == "valid":
        return size, stride, x, (0,) * rank
    dilation = axes(getattr(layer, "dilation", 1), rank)
    pads = ((0, 0), (0, 0), *same_pads(x.shape[2:], size, stride, dilation))
    fill = -np.inf if isinstance(layer, L.MaxPool) else 0.0
    return size, stride, np.pad(x, pads, constant_values=fill), (0,) * rank


def _maxpool(layer: L.MaxPool, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    size, stride, x, padding = _pool_args(layer, x)
    ceil = layer.ceil_mode and layer.padding != "same"
    return K.max_pool(x, size, stride, padding, axes(layer.dilation, x.ndim - 2), ceil)


def _avgpool(layer: L.AvgPool, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    size, stride, padded, padding = _pool_args(layer, x)
    if layer.padding != "same":
        return K.avg_pool(padded, size, stride, padding, layer.ceil_mode, layer.count_include_pad)
    # Keras's SAME divides by the real elements only: the sum over the window / the count
    _, _, ones, _ = _pool_args(layer, np.ones((1, 1, *x.shape[2:]), dtype=x.dtype))
    total = K.avg_pool(padded, size, stride, padding, False, True)
    count = K.avg_pool(ones, size, stride, padding, False, True)
    return (total / count).astype(x.dtype, copy=False)


def _adaptive(layer: L.AdaptiveAvgPool, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    return K.adaptive_avg_pool(inputs[0], axes(layer.size, inputs[0].ndim - 2))


def _upsample(layer: L.Upsample, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    rank = x.ndim - 2
    if layer.size is not None:
        size, scales = axes(layer.size, rank), None
    else:
        assert layer.scale is not None  # the validator requires exactly one of scale and size
        scales = axes(layer.scale, rank)
        size = tuple(floor(n * s) for n, s in zip(x.shape[2:], scales, strict=True))
    if layer.mode == "nearest":
        return K.upsample_nearest(x, size, scales)
    return K.upsample_linear(x, size, layer.align_corners, scales)


def _center_crop(layer: L.CenterCrop, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    size = axes(layer.size, x.ndim - 2)
    crop = [slice(None), slice(None)]
    for n, s in zip(x.shape[2:], size, strict=True):
        top = int(round((n - s) / 2.0))  # torchvision's center_crop
        crop.append(slice(top, top + s))
    return x[tuple(crop)].copy()  # a view would keep the whole input alive


def _pad(layer: L.Pad, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    return K.pad(x, layer.pairs(tuple(x.shape[1:])), layer.value)


def _stochastic_depth(layer: L.StochasticDepth, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    if not ctx.training or layer.rate == 0:
        return x
    shape = (x.shape[0],) + (1,) * (x.ndim - 1) if layer.mode == "row" else (1,) * x.ndim
    rng = np.random.default_rng() if ctx.rng is None else ctx.rng
    keep = (rng.random(shape) >= layer.rate).astype(x.dtype)  # torchvision: bernoulli(1 - p)
    return x * keep / x.dtype.type(1 - layer.rate)


# --- normalization and scaling -----------------------------------------------------------------


def _bn_tensors(layer: L.BatchNorm, inputs: Arrays) -> dict[str, Shape]:
    c = inputs[0].shape[1]
    shapes = {"weight": (c,), "bias": (c,)} if layer.affine else {}
    return {**shapes, "running_mean": (c,), "running_var": (c,)}


def _bn(layer: L.BatchNorm, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    mean, var = w["running_mean"], w["running_var"]
    out = x if ctx.overwrite else None
    return K.batchnorm(x, mean, var, w.get("weight"), w.get("bias"), layer.eps, out)


def _ln_tensors(layer: L.LayerNorm, inputs: Arrays) -> dict[str, Shape]:
    trailing = inputs[0].shape[-layer.dims :]  # PyTorch's normalized_shape
    return {"weight": trailing, "bias": trailing} if layer.affine else {}


def _ln(layer: L.LayerNorm, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    lead = x.shape[: -layer.dims]
    weight, bias = (w[n].reshape(-1) if n in w else None for n in ("weight", "bias"))
    return K.layernorm(x.reshape(*lead, -1), weight, bias, layer.eps).reshape(x.shape)


def _rms_tensors(layer: L.RMSNorm, inputs: Arrays) -> dict[str, Shape]:
    return {"weight": (inputs[0].shape[-1],)} if layer.affine else {}


def _rmsnorm(layer: L.RMSNorm, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    return K.rmsnorm(inputs[0], w.get("weight"), layer.eps)


def _affine_tensors(layer: L.GroupNorm | L.InstanceNorm, inputs: Arrays) -> dict[str, Shape]:
    c = inputs[0].shape[1]
    return {"weight": (c,), "bias": (c,)} if layer.affine else {}


def _groupnorm(layer: L.GroupNorm, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    return K.groupnorm(inputs[0], layer.groups, w.get("weight"), w.get("bias"), layer.eps)


def _instancenorm(layer: L.InstanceNorm, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]  # group norm with one channel per group
    return K.groupnorm(x, x.shape[1], w.get("weight"), w.get("bias"), layer.eps)


def _scale_tensors(layer: L.LayerScale, inputs: Arrays) -> dict[str, Shape]:
    c = (inputs[0].shape[1],)
    return {"scale": c, "bias": c} if layer.bias else {"scale": c}


def _scale(layer: L.LayerScale, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    per_channel = (1, -1) + (1,) * (x.ndim - 2)
    y: Array = x * w["scale"].reshape(per_channel)
    if layer.bias:
        y += w["bias"].reshape(per_channel)  # in place: no second output-sized array
    return y


def _prelu_tensors(layer: L.PReLU, inputs: Arrays) -> dict[str, Shape]:
    sample = inputs[0].shape[1:]
    if layer.parameters == "element":
        return {"weight": sample or (1,)}
    return {"weight": (1,) if layer.parameters == 1 else sample[:1]}


def _prelu(layer: L.PReLU, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x, slope = inputs[0], w["weight"]
    if layer.parameters not in (1, "element"):  # one per channel: (C, 1, ...) against (N, C, ...)
        slope = slope.reshape((-1,) + (1,) * (x.ndim - 2))
    return K.prelu(x, slope)


# --- merging and moving ------------------------------------------------------------------------


def _add(layer: L.Add, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    y = np.add(inputs[0], inputs[1], out=inputs[0] if ctx.overwrite else None)
    for x in inputs[2:]:
        y += x  # the running sum is this layer's own array
    return y


def _multiply(layer: L.Multiply, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    rank = max(x.ndim for x in inputs)
    result = inputs[0].reshape(inputs[0].shape[:1] + (1,) * (rank - inputs[0].ndim) + inputs[0].shape[1:])
    for x in inputs[1:]:
        result = result * x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
    return result


def _concat(layer: L.Concat, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    return np.concatenate(inputs, axis=_dim(layer.axis))


def _slice(layer: L.Slice, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    index = [slice(None)] * inputs[0].ndim
    index[layer.axis + 1] = slice(layer.start, layer.end)
    return inputs[0][tuple(index)].copy()  # a view would keep the whole input alive


def _matmul_macs(layer: L.Matmul, inputs: Arrays, w: Weights, y: Array) -> int:
    return int(y.size // y.shape[0] * inputs[0].shape[-1])  # each output element sums k products


def _select(layer: L.Select, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    y: Array = np.take(inputs[0], layer.index, axis=layer.axis + 1)
    return y


# --- transformer -------------------------------------------------------------------------------


def _token(layer: L.ClassToken, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    token = np.broadcast_to(w["token"].reshape(1, 1, -1), (x.shape[0], 1, x.shape[2]))
    return np.concatenate([token.astype(x.dtype), x], axis=1)


def _pos_tensors(layer: L.PosEmbedding, inputs: Arrays) -> dict[str, Shape]:
    _, t, d = inputs[0].shape
    return {"embedding": (layer.length or t, d)}


def _pos_embedding(layer: L.PosEmbedding, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x = inputs[0]
    return x + w["embedding"][None, : x.shape[1]]  # the first T rows of the table


def _attention_tensors(layer: L.Attention, inputs: Arrays) -> dict[str, Shape]:
    d, dm = inputs[0].shape[-1], inputs[-1].shape[-1]
    width = layer.head_dim or d // layer.heads
    inner, kv_inner = layer.heads * width, (layer.kv_heads or layer.heads) * width
    shapes: dict[str, Shape]
    if not isinstance(layer.bias, bool) or inner != d or kv_inner != inner:  # one Linear each
        shapes = {
            "q_proj.weight": (inner, d),
            "q_proj.bias": (inner,),
            "k_proj.weight": (kv_inner, dm),
            "k_proj.bias": (kv_inner,),
            "v_proj.weight": (kv_inner, dm),
            "v_proj.bias": (kv_inner,),
        }
        shapes = {n: s for n, s in shapes.items() if not n.endswith("bias") or _biased(layer, n[0])}
    elif dm == d:  # nn.MultiheadAttention's packed in_proj
        shapes = {"in_proj_weight": (3 * d, d), "in_proj_bias": (3 * d,)}
    else:  # nn.MultiheadAttention(kdim=Dm, vdim=Dm)
        shapes = {
            "q_proj_weight": (d, d),
            "k_proj_weight": (d, dm),
            "v_proj_weight": (d, dm),
            "in_proj_bias": (3 * d,),
        }
    if isinstance(layer.bias, bool) and not layer.bias:
        shapes.pop("in_proj_bias", None)
    shapes["out_proj.weight"] = (d, inner)
    if _biased(layer, "out"):
        shapes["out_proj.bias"] = (d,)
    if layer.relative_bias:
        shapes["relative_bias_table"] = (layer.relative_bias, layer.heads)
    return shapes


def _biased(layer: L.Attention, projection: str) -> bool:
    return layer.bias if isinstance(layer.bias, bool) else projection in layer.bias


def _projections(w: Weights) -> list[K.Projection]:
    """(weight, bias or None) of the q, k and v projections, whichever way they are held."""
    if "q_proj.weight" in w:
        return [(w[f"{p}_proj.weight"], w.get(f"{p}_proj.bias")) for p in "qkv"]
    if "in_proj_weight" in w:
        weights = list(np.split(w["in_proj_weight"], 3))
    else:
        weights = [w[f"{p}_proj_weight"] for p in "qkv"]
    biases: list[Array | None] = list(np.split(w["in_proj_bias"], 3)) if "in_proj_bias" in w else [None] * 3
    return list(zip(weights, biases, strict=True))


def relative_index(n: int, m: int, entries: int) -> npt.NDArray[np.int64]:
    """The table row each (query i, key j) pair reads: (j - i) mod entries (a witness's choice:
    Swin and T5 map 2-D offsets and log buckets, which change values, not counts)."""
    return (np.arange(m)[None, :] - np.arange(n)[:, None]) % entries


def _attention(layer: L.Attention, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    x, memory = inputs[0], inputs[-1]
    bias = None
    if layer.relative_bias:
        index = relative_index(x.shape[-2], memory.shape[-2], layer.relative_bias)
        bias = np.moveaxis(w["relative_bias_table"][index], -1, 0)  # (heads, N, M)
    q, k, v = _projections(w)
    out = (w["out_proj.weight"], w.get("out_proj.bias"))
    kv_heads = layer.kv_heads or layer.heads
    return K.multihead_attention(x, memory, q, k, v, out, layer.heads, kv_heads, layer.causal, bias)


def _attention_macs(layer: L.Attention, inputs: Arrays, w: Weights, y: Array) -> int:
    x, memory = inputs[0], inputs[-1]  # projections from the weight arrays, plus q.k and weights.v
    windows, n, m = prod(x.shape[1:-2]), x.shape[-2], memory.shape[-2]
    q, k, v = (weight for weight, _ in _projections(w))
    inner = int(q.shape[0])
    return int(
        windows * (n * (q.size + w["out_proj.weight"].size) + m * (k.size + v.size) + 2 * n * m * inner)
    )


# --- sequence ----------------------------------------------------------------------------------


def _embedding(layer: L.Embedding, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    rows: Array = w["weight"][inputs[0]]  # (N, L) int64 ids -> (N, L, dim): one row per id
    return rows


Recurrent = L.RNN | L.LSTM | L.GRU


def _recurrent_keys(layer: Recurrent) -> list[str]:
    """PyTorch's suffixes in its order: _l0, _l0_reverse, _l1, ..."""
    directions = ("", "_reverse")[: 2 if layer.bidirectional else 1]
    return [f"_l{k}{d}" for k in range(layer.layers) for d in directions]


def _recurrent_tensors(layer: Recurrent, inputs: Arrays) -> dict[str, Shape]:
    rows, h = layer.gates * layer.units, layer.units  # stacked gate rows, PyTorch's layout
    width = layer.units * (2 if layer.bidirectional else 1)
    shapes: dict[str, Shape] = {}
    for key in _recurrent_keys(layer):
        features = inputs[0].shape[-1] if key.startswith("_l0") else width
        shapes[f"weight_ih{key}"] = (rows, features)
        shapes[f"weight_hh{key}"] = (rows, h)
        if layer.bias:
            shapes[f"bias_ih{key}"] = (rows,)
        if layer.bias is True:
            shapes[f"bias_hh{key}"] = (rows,)
    return shapes


def _recurrent(layer: Recurrent, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    weights = [
        (w[f"weight_ih{k}"], w[f"weight_hh{k}"], w.get(f"bias_ih{k}"), w.get(f"bias_hh{k}"))
        for k in _recurrent_keys(layer)
    ]
    relu = isinstance(layer, L.RNN) and layer.nonlinearity == "relu"
    directions = 2 if layer.bidirectional else 1
    return K.recurrent(inputs[0], weights, layer.kind, layer.units, directions, layer.return_sequences, relu)


def _recurrent_macs(layer: Recurrent, inputs: Arrays, w: Weights, y: Array) -> int:
    steps: int = inputs[0].shape[1]  # every step multiplies by every weight matrix once
    return steps * sum(a.size for name, a in w.items() if name.startswith("weight"))


def _recurrent_neurons(layer: Recurrent, inputs: Arrays, w: Weights, y: Array) -> int:
    steps: int = inputs[0].shape[1]  # every step: one pre-activation per row of each W_hh
    rows: list[int] = [a.shape[0] for name, a in w.items() if name.startswith("weight_hh")]
    return steps * sum(rows)


# --- workspaces: what each forward pass above allocates besides its inputs and output -------------
# Written from the kernels' code (which arrays each line makes) and checked against tracemalloc's
# peak over the case table, the zoo and random networks (tests/test_memory_guard.py).


def _padded(shape: Shape, pads: tuple[tuple[int, int], ...]) -> int:
    """Elements of a padded copy (none when nothing is padded: _pad returns its input)."""
    if not any(lo > 0 or hi > 0 for lo, hi in pads):
        return 0
    return shape[0] * prod(n + max(lo, 0) + max(hi, 0) for n, (lo, hi) in zip(shape[1:], pads, strict=True))


def _dense_ws(layer: L.Dense, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    return fused(layer.activation, 0, out, itemsize)  # x @ w.T, the bias added in place


def _conv_ws(layer: L.Conv, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    c, *spatial = ins[0]
    rank = len(spatial)
    kernel = axes(layer.kernel, rank)
    pointwise = all(k == 1 for k in kernel) and all(s == 1 for s in axes(layer.stride, rank))
    # a padded copy only for a 1x1 convolution that pads: im2col zeroes the border itself
    padded = _padded(ins[0], conv_padding(layer, tuple(spatial))) if pointwise else 0
    # im2col (C, *K, *O), a block of rows at a time (K.conv_rows); a view for 1x1
    step = K.conv_rows(c * prod(kernel), out[1], prod(out[2:]), itemsize, layer.groups)
    cols = 0 if pointwise else c * prod(kernel) * step * prod(out[2:])
    # w @ cols writes the output (counted as the layer's), channels first; the bias is added in place
    return fused(layer.activation, padded + cols, out, itemsize)


def _convt_ws(layer: L.ConvTranspose, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    c, *spatial = ins[0]
    rank = len(spatial)
    kernel, stride = axes(layer.kernel, rank), axes(layer.stride, rank)
    dilation, extra = axes(layer.dilation, rank), axes(layer.output_padding, rank)
    cols = prod(spatial) * layer.filters * prod(kernel)  # x @ w: (G, L, F/G * K) per sample
    full = layer.filters * prod(
        (n - 1) * s + d * (k - 1) + 1 + e
        for n, s, d, k, e in zip(spatial, stride, dilation, kernel, extra, strict=True)
    )  # the col2im canvas: the output itself, or copied out of it when padding is cut off
    n = prod(out)
    canvas = full if any(axes(layer.padding, rank)) else 0
    return fused(layer.activation, cols + canvas + (n if layer.bias else 0), out, itemsize)


def _pool_ws(layer: Pool, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    c, *spatial = ins[0]
    rank = len(spatial)
    size, stride = axes(layer.size, rank), axes(layer.stride or layer.size, rank)
    dilation = axes(getattr(layer, "dilation", 1), rank)
    if layer.padding == "same":
        pads = same_pads(tuple(spatial), size, stride, dilation)
        spatial = [n + lo + hi for n, (lo, hi) in zip(spatial, pads, strict=True)]
        first = c * prod(spatial)  # np.pad copies even when nothing is padded
        padding = (0,) * rank
    else:
        first, padding = 0, (0,) * rank if layer.padding == "valid" else axes(layer.padding, rank)
    # the kernel pads again: p on the left, on the right what the last window needs (ceil_mode)
    kernel_pads = tuple(
        (p, max((o - 1) * s + d * (k - 1) + 1 - p - n, 0))
        for n, o, k, s, p, d in zip(spatial, out[1:], size, stride, padding, dilation, strict=True)
    )
    if isinstance(layer, L.MaxPool):  # reads the taps inside the input: no -inf padded copy
        return first
    second = _padded((c, *spatial), kernel_pads)
    return first + second + 2 * prod(out)  # average: the sums and the quotient, before the zeros


def _adaptive_ws(layer: L.AdaptiveAvgPool, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    shape, steps = list(ins[0]), []  # one matmul per axis: each result feeds the next
    for axis, o in enumerate(axes(layer.size, len(ins[0]) - 1), start=1):
        shape[axis] = o
        steps.append(prod(shape))
    return sum(steps[:-1]) + prod(out) // 50


def _upsample_ws(layer: L.Upsample, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    shape, most, before = list(ins[0]), 0, 0  # one pass per axis: take (nearest), or two takes blended
    for axis, o in enumerate(out[1:], start=1):
        shape[axis] = o
        after = prod(shape)
        most = max(most, before + (0 if layer.mode == "nearest" else 3 * after))
        before = after  # the input of the next pass, unless this was the last
    return most


def _channel_shuffle(layer: L.ChannelShuffle, inputs: Arrays, w: Weights, ctx: Context) -> Array:
    """A copy, always: with one group (or one channel a group) the reshapes give a view of the input."""
    y = K.channel_shuffle(inputs[0], layer.groups)
    return y.copy() if np.shares_memory(y, inputs[0]) else y


def _always(layer: L.Layer, training: bool) -> bool:
    """A reshape of a C-contiguous array (backend.run keeps every array so) is a view."""
    return True


def _same_shape(layer: L.Layer, training: bool) -> bool:
    """The output has the first input's shape and dtype (add's inputs have equal shapes), so the
    kernel can write it over that input."""
    return True


def _identity_in_inference(layer: Rated, training: bool) -> bool:
    """Dropout and stochastic depth give their input itself in inference or at rate 0."""
    return not training or layer.rate == 0


def _layernorm_ws(layer: L.LayerNorm, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    n = prod(out)  # a copy of a strided input, two temporaries, the means of each row
    return 3 * n + 4 * n // prod(out[-layer.dims :])


def _batchnorm_ws(layer: L.BatchNorm, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    return prod(out) + prod(out) // 50


def _dropout_ws(layer: L.Dropout, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    if not training or layer.rate == 0:
        return 0  # the input itself is the output
    return temporaries(prod(out), itemsize, 1, 1, 1)  # float64 draws, the mask, x / (1 - rate)


def _merge_ws(layer: L.Add | L.Multiply, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    return prod(out) if len(ins) > 2 else 0  # a running sum or product: the last and the next


def _rmsnorm_ws(layer: L.RMSNorm, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    n = prod(out)  # x * x; then x / rms and its product with the weight; the rows' means
    return n + 4 * n // out[-1]


def _groupnorm_ws(
    layer: L.GroupNorm | L.InstanceNorm, ins: Ins, out: Shape, itemsize: int, training: bool
) -> int:
    n = prod(out)  # x - mean and its square; then the normalized x, times the weight, plus the bias
    groups = layer.groups if isinstance(layer, L.GroupNorm) else out[0]  # instance: one per channel
    return 2 * n + 4 * groups


def _recurrent_ws(layer: Recurrent, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    steps, _ = ins[0]
    dirs = 2 if layer.bidirectional else 1
    width, rows = layer.units * dirs, layer.gates * layer.units
    before = steps * width if layer.layers > 1 else 0  # the previous layer's output, read by this one
    projection = steps * rows * (2 if layer.bias else 1) + steps * layer.units * (dirs - 1)  # x @ W_ih.T + b
    loop = steps * rows + steps * width + 4 * rows + 4 * layer.units  # the projection, the outputs, a step
    return before + max(projection, loop)


def _softmax_ws(layer: L.Softmax, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    n = prod(out)
    axis = layer.axis + 1 if layer.axis >= 0 else len(out) + 1 + layer.axis
    return 2 * n + 2 * n // out[axis - 1]  # x - max, exp; the max and the sums


def _gelu_ws(layer: L.GELU, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    name = "gelu" if layer.approximate == "none" else "gelu_tanh"
    return activation_workspace(name, prod(out), itemsize)


def _attention_ws(layer: L.Attention, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    (*lead, n, d), m = ins[0], ins[-1][-2]
    heads = layer.heads
    inner = heads * (layer.head_dim or d // heads)
    # q, k and v per query head stay alive to the end; the scores, softmax's two temporaries;
    # the context and its reshaped copy; the softmax sums
    scores = heads * n * m
    return prod(lead) * (n * inner + 2 * m * inner + 3 * scores + 2 * n * inner + 2 * heads * n)


def _token_ws(layer: L.ClassToken, ins: Ins, out: Shape, itemsize: int, training: bool) -> int:
    return ins[0][-1]  # the token broadcast over the batch, cast


def _elementwise(kernel: Callable[[Array], Array], name: str) -> Op[L.Layer]:
    return Op(_no_tensors, lambda layer, inputs, w, ctx: kernel(inputs[0]), workspace=_activation_ws(name))


def _clamp(kernel: Callable[[Array, Array | None], Array], name: str) -> Op[L.Layer]:
    """An activation whose kernel can write over its input (relu, relu6)."""

    def forward(layer: L.Layer, inputs: Arrays, w: Weights, ctx: Context) -> Array:
        return kernel(inputs[0], inputs[0] if ctx.overwrite else None)

    return Op(_no_tensors, forward, workspace=_activation_ws(name), in_place=_same_shape)


def _stochastic_depth_ws(
    layer: L.StochasticDepth, ins: Ins, out: Shape, itemsize: int, training: bool
) -> int:
    return prod(out) if training else 0  # x * keep, then / (1 - rate); else x itself


# Op[X](...) where a lambda reads the layer, so that mypy checks the lambda against class X
OPS: dict[type[L.Layer], Op[Any]] = {
    L.Dense: Op(_dense_tensors, _dense, macs=_dense_macs, workspace=_dense_ws),
    **dict.fromkeys(get_args(L.Conv), Op(_conv_tensors, _conv, macs=_conv_macs, workspace=_conv_ws)),
    **dict.fromkeys(
        get_args(L.ConvTranspose), Op(_convt_tensors, _convt, macs=_convt_macs, workspace=_convt_ws)
    ),
    **dict.fromkeys(get_args(L.MaxPool), Op(_no_tensors, _maxpool, workspace=_pool_ws)),
    **dict.fromkeys(get_args(L.AvgPool), Op(_no_tensors, _avgpool, workspace=_pool_ws)),
    **dict.fromkeys(get_args(L.AdaptiveAvgPool), Op(_no_tensors, _adaptive, workspace=_adaptive_ws)),
    L.GlobalAvgPool: _elementwise(K.global_avg_pool, "relu"),
    L.GlobalMaxPool: _elementwise(K.global_max_pool, "relu"),
    L.Upsample: Op(_no_tensors, _upsample, workspace=_upsample_ws),
    L.Flatten: Op(
        _no_tensors, lambda layer, inputs, w, ctx: inputs[0].reshape(len(inputs[0]), -1), view=_always
    ),
    L.Reshape: Op[L.Reshape](
        _no_tensors,
        lambda layer, inputs, w, ctx: inputs[0].reshape(len(inputs[0]), *layer.shape),
        view=_always,
    ),
    L.Permute: Op[L.Permute](  # a copy, always (moving only size-1 axes would give a contiguous view)
        _no_tensors, lambda layer, inputs, w, ctx: inputs[0].transpose(0, *(d + 1 for d in layer.dims)).copy()
    ),
    L.Select: Op(_no_tensors, _select),
    L.Slice: Op(_no_tensors, _slice),
    L.CenterCrop: Op(_no_tensors, _center_crop),
    L.Pad: Op(_no_tensors, _pad),
    L.ChannelShuffle: Op[L.ChannelShuffle](_no_tensors, _channel_shuffle),
    L.Dropout: Op[L.Dropout](
        _no_tensors,
        lambda layer, inputs, w, ctx: K.dropout(inputs[0], layer.rate, ctx.training, ctx.rng),
        workspace=_dropout_ws,
        view=_identity_in_inference,
    ),
    L.StochasticDepth: Op(
        _no_tensors, _stochastic_depth, workspace=_stochastic_depth_ws, view=_identity_in_inference
    ),
    L.BatchNorm: Op(
        _bn_tensors, _bn, state=("running_mean", "running_var"), workspace=_batchnorm_ws, in_place=_same_shape
    ),
    L.LayerNorm: Op(_ln_tensors, _ln, workspace=_layernorm_ws),
    L.RMSNorm: Op(_rms_tensors, _rmsnorm, workspace=_rmsnorm_ws),
    L.GroupNorm: Op(_affine_tensors, _groupnorm, workspace=_groupnorm_ws),
    L.InstanceNorm: Op(_affine_tensors, _instancenorm, workspace=_groupnorm_ws),
    L.LayerScale: Op(_scale_tensors, _scale),
    L.Add: Op(_no_tensors, _add, workspace=_merge_ws, in_place=_same_shape),
    L.Multiply: Op(_no_tensors, _multiply, workspace=_merge_ws),
    L.Concat: Op(_no_tensors, _concat),
    L.Matmul: Op(
        _no_tensors, lambda layer, inputs, w, ctx: np.matmul(inputs[0], inputs[1]), macs=_matmul_macs
    ),
    L.ReLU: _clamp(K.relu, "relu"),
    L.ReLU6: _clamp(K.relu6, "relu6"),
    L.LeakyReLU: Op[L.LeakyReLU](
        _no_tensors,
        lambda layer, inputs, w, ctx: K.leaky_relu(inputs[0], layer.negative_slope),
        workspace=_activation_ws("leaky_relu"),
    ),
    L.PReLU: Op(_prelu_tensors, _prelu, workspace=_activation_ws("prelu")),
    L.Sigmoid: _elementwise(K.sigmoid, "sigmoid"),
    L.Tanh: _elementwise(K.tanh, "tanh"),
    L.Softmax: Op[L.Softmax](
        _no_tensors,
        lambda layer, inputs, w, ctx: K.softmax(inputs[0], _dim(layer.axis)),
        workspace=_softmax_ws,
    ),
    L.LogSoftmax: Op[L.LogSoftmax](
        _no_tensors,
        lambda layer, inputs, w, ctx: K.log_softmax(inputs[0], _dim(layer.axis)),
        workspace=_softmax_ws,
    ),
    L.GELU: Op[L.GELU](
        _no_tensors, lambda layer, inputs, w, ctx: K.gelu(inputs[0], layer.approximate), workspace=_gelu_ws
    ),
    L.SiLU: _elementwise(K.silu, "silu"),
    L.ELU: Op[L.ELU](
        _no_tensors,
        lambda layer, inputs, w, ctx: K.elu(inputs[0], layer.alpha),
        workspace=_activation_ws("elu"),
    ),
    L.Hardswish: _elementwise(K.hardswish, "hardswish"),
    L.Hardsigmoid: _elementwise(K.hardsigmoid, "hardsigmoid"),
    L.RNN: Op(
        _recurrent_tensors,
        _recurrent,
        macs=_recurrent_macs,
        neurons=_recurrent_neurons,
        workspace=_recurrent_ws,
    ),
    L.LSTM: Op(
        _recurrent_tensors,
        _recurrent,
        macs=_recurrent_macs,
        neurons=_recurrent_neurons,
        workspace=_recurrent_ws,
    ),
    L.GRU: Op(
        _recurrent_tensors,
        _recurrent,
        macs=_recurrent_macs,
        neurons=_recurrent_neurons,
        workspace=_recurrent_ws,
    ),
    L.Embedding: Op(lambda layer, inputs: {"weight": (layer.vocab, layer.dim)}, _embedding),
    L.ClassToken: Op(lambda layer, inputs: {"token": (inputs[0].shape[-1],)}, _token, workspace=_token_ws),
    L.PosEmbedding: Op(_pos_tensors, _pos_embedding),
    L.Attention: Op(_attention_tensors, _attention, macs=_attention_macs, workspace=_attention_ws),
}
