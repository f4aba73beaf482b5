"""One op per layer class: the weight tensors it allocates and its forward pass.

The shapes here come from the actual input arrays and the layer's hyper-parameters, written
again on purpose: the engine's formulas are not called, so agreement between the two is evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import floor

import numpy as np

from netcalc import layers as L
from netcalc.backend import kernels as K


@dataclass(frozen=True)
class Op:
    """How the backend executes one layer type."""

    tensors: Callable  # (layer, inputs) -> {name: shape}, trainable then state
    forward: Callable  # (layer, inputs, weights, ctx) -> output array
    state: tuple[str, ...] = ()  # which tensors are non-trainable state
    macs: Callable | None = None  # (layer, inputs, weights, output) -> MACs per sample


@dataclass
class Context:
    """Run-wide settings a forward pass may need."""

    training: bool = False
    rng: np.random.Generator | None = None


def axes(value, rank: int) -> tuple[int, ...]:
    """An int or a list as one value per spatial axis."""
    return (value,) * rank if isinstance(value, int | float) else tuple(value)


def activate(x: np.ndarray, name: str | None) -> np.ndarray:
    """Apply a fused activation by name: the activation layer's own op, with default arguments."""
    if name is None:
        return x
    cls = L.BY_KIND[name]
    return OPS[cls].forward(cls(), [x], {}, Context())


def _no_tensors(layer, inputs):
    return {}


# --- dense and convolution ---------------------------------------------------------------------


def _dense_tensors(layer, inputs):
    shapes = {"weight": (layer.units, inputs[0].shape[-1])}
    if layer.bias:
        shapes["bias"] = (layer.units,)
    return shapes


def _dense(layer, inputs, w, ctx):
    return activate(K.dense(inputs[0], w["weight"], w.get("bias")), layer.activation)


def _dense_macs(layer, inputs, w, y):
    x = inputs[0]
    return x.size // x.shape[0] // x.shape[-1] * w["weight"].size


def _conv_tensors(layer, inputs):
    c, rank = inputs[0].shape[1], inputs[0].ndim - 2
    shapes = {"weight": (layer.filters, c // layer.groups, *axes(layer.kernel, rank))}
    if layer.bias:
        shapes["bias"] = (layer.filters,)
    return shapes


def same_pads(spatial, kernel, stride, dilation) -> tuple[tuple[int, int], ...]:
    """'same': keep ceil(L / stride) windows, the odd pixel of padding after (TF, PyTorch)."""
    pads = []
    for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True):
        need = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((need // 2, need - need // 2))
    return tuple(pads)


def conv_padding(layer, spatial) -> tuple[tuple[int, int], ...]:
    """(lo, hi) per axis of a convolution, resolving 'valid' and 'same'."""
    rank = len(spatial)
    if layer.padding == "valid":
        return ((0, 0),) * rank
    if layer.padding == "same":
        return same_pads(
            spatial, axes(layer.kernel, rank), axes(layer.stride, rank), axes(layer.dilation, rank)
        )
    return tuple((p, p) for p in axes(layer.padding, rank))


def _conv(layer, inputs, w, ctx):
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


def _conv_macs(layer, inputs, w, y):
    weight = w["weight"]  # (F, C/g, *k): every output element takes C/g * prod(k) products
    return y.size // y.shape[0] * (weight.size // weight.shape[0])


def _convt_tensors(layer, inputs):
    c, rank = inputs[0].shape[1], inputs[0].ndim - 2
    shapes = {"weight": (c, layer.filters // layer.groups, *axes(layer.kernel, rank))}
    if layer.bias:
        shapes["bias"] = (layer.filters,)
    return shapes


def _convt(layer, inputs, w, ctx):
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


def _convt_macs(layer, inputs, w, y):
    x, weight = inputs[0], w["weight"]  # (C, F/g, *k): each input element is scattered F/g*prod(k) times
    return x.size // x.shape[0] * (weight.size // weight.shape[0])


# --- pooling and resampling --------------------------------------------------------------------


def _pool_args(layer, x):
    """(size, stride, x padded for 'valid'/'same', symmetric padding left to the kernel)."""
    rank = x.ndim - 2
    size, stride = axes(layer.size, rank), axes(layer.stride or layer.size, rank)
    if not isinstance(layer.padding, str):
        return size, stride, x, axes(layer.padding, rank)
    if layer.padding == "valid":
        return size, stride, x, (0,) * rank
    dilation = axes(getattr(layer, "dilation", 1), rank)
    pads = ((0, 0), (0, 0), *same_pads(x.shape[2:], size, stride, dilation))
    fill = -np.inf if isinstance(layer, L.MaxPool1d | L.MaxPool2d | L.MaxPool3d) else 0.0
    return size, stride, np.pad(x, pads, constant_values=fill), (0,) * rank


def _maxpool(layer, inputs, w, ctx):
    x = inputs[0]
    size, stride, x, padding = _pool_args(layer, x)
    ceil = layer.ceil_mode and layer.padding != "same"
    return K.max_pool(x, size, stride, padding, axes(layer.dilation, x.ndim - 2), ceil)


def _avgpool(layer, inputs, w, ctx):
    x = inputs[0]
    size, stride, padded, padding = _pool_args(layer, x)
    if layer.padding != "same":
        return K.avg_pool(padded, size, stride, padding, layer.ceil_mode, layer.count_include_pad)
    # Keras's SAME divides by the real elements only: the sum over the window / the count
    _, _, ones, _ = _pool_args(layer, np.ones((1, 1, *x.shape[2:]), dtype=x.dtype))
    total = K.avg_pool(padded, size, stride, padding, False, True)
    count = K.avg_pool(ones, size, stride, padding, False, True)
    return (total / count).astype(x.dtype, copy=False)


def _adaptive(layer, inputs, w, ctx):
    return K.adaptive_avg_pool(inputs[0], axes(layer.size, inputs[0].ndim - 2))


def _upsample(layer, inputs, w, ctx):
    x = inputs[0]
    rank = x.ndim - 2
    if layer.size is not None:
        size, scales = axes(layer.size, rank), None
    else:
        scales = axes(layer.scale, rank)
        size = tuple(floor(n * s) for n, s in zip(x.shape[2:], scales, strict=True))
    if layer.mode == "nearest":
        return K.upsample_nearest(x, size, scales)
    return K.upsample_linear(x, size, layer.align_corners, scales)


def _center_crop(layer, inputs, w, ctx):
    x = inputs[0]
    size = axes(layer.size, x.ndim - 2)
    crop = [slice(None), slice(None)]
    for n, s in zip(x.shape[2:], size, strict=True):
        top = int(round((n - s) / 2.0))  # torchvision's center_crop
        crop.append(slice(top, top + s))
    return x[tuple(crop)]


def _stochastic_depth(layer, inputs, w, ctx):
    x = inputs[0]
    if not ctx.training or layer.rate == 0:
        return x
    shape = (x.shape[0],) + (1,) * (x.ndim - 1) if layer.mode == "row" else (1,) * x.ndim
    keep = (ctx.rng.random(shape) >= layer.rate).astype(x.dtype)  # torchvision: bernoulli(1 - p)
    return x * keep / x.dtype.type(1 - layer.rate)


# --- normalization and scaling -----------------------------------------------------------------


def _bn_tensors(layer, inputs):
    c = inputs[0].shape[1]
    shapes = {"weight": (c,), "bias": (c,)} if layer.affine else {}
    return {**shapes, "running_mean": (c,), "running_var": (c,)}


def _bn(layer, inputs, w, ctx):
    return K.batchnorm(
        inputs[0], w["running_mean"], w["running_var"], w.get("weight"), w.get("bias"), layer.eps
    )


def _ln_tensors(layer, inputs):
    trailing = inputs[0].shape[-layer.dims :]  # PyTorch's normalized_shape
    return {"weight": trailing, "bias": trailing} if layer.affine else {}


def _ln(layer, inputs, w, ctx):
    x = inputs[0]
    lead = x.shape[: -layer.dims]
    flat = [w[n].reshape(-1) if n in w else None for n in ("weight", "bias")]
    return K.layernorm(x.reshape(*lead, -1), *flat, layer.eps).reshape(x.shape)


def _scale(layer, inputs, w, ctx):
    x = inputs[0]
    return x * w["scale"].reshape((1, -1) + (1,) * (x.ndim - 2))


# --- merging and moving ------------------------------------------------------------------------


def _multiply(layer, inputs, w, ctx):
    rank = max(x.ndim for x in inputs)
    result = inputs[0].reshape(inputs[0].shape[:1] + (1,) * (rank - inputs[0].ndim) + inputs[0].shape[1:])
    for x in inputs[1:]:
        result = result * x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
    return result


def _concat(layer, inputs, w, ctx):
    axis = layer.axis + 1 if layer.axis >= 0 else layer.axis
    return np.concatenate(inputs, axis=axis)


def _slice(layer, inputs, w, ctx):
    index = [slice(None)] * inputs[0].ndim
    index[layer.axis + 1] = slice(layer.start, layer.end)
    return inputs[0][tuple(index)]


def _select(layer, inputs, w, ctx):
    return np.take(inputs[0], layer.index, axis=layer.axis + 1)


# --- transformer -------------------------------------------------------------------------------


def _token(layer, inputs, w, ctx):
    x = inputs[0]
    token = np.broadcast_to(w["token"].reshape(1, 1, -1), (x.shape[0], 1, x.shape[2]))
    return np.concatenate([token.astype(x.dtype), x], axis=1)


def _attention_tensors(layer, inputs):
    d = inputs[0].shape[-1]
    shapes = {
        "in_proj_weight": (3 * d, d),
        "in_proj_bias": (3 * d,),
        "out_proj.weight": (d, d),
        "out_proj.bias": (d,),
    }
    if not layer.bias:
        del shapes["in_proj_bias"], shapes["out_proj.bias"]
    return shapes


def _attention(layer, inputs, w, ctx):
    return K.attention(
        inputs[0],
        w["in_proj_weight"],
        w.get("in_proj_bias"),
        w["out_proj.weight"],
        w.get("out_proj.bias"),
        layer.heads,
    )


def _attention_macs(layer, inputs, w, y):
    _, t, d = inputs[0].shape  # projections from the weight arrays, plus q.k and weights.v
    return t * (w["in_proj_weight"].size + w["out_proj.weight"].size) + 2 * t * t * d


def _elementwise(kernel):
    return Op(_no_tensors, lambda layer, inputs, w, ctx: kernel(inputs[0]))


def _conv_op():
    return Op(_conv_tensors, _conv, macs=_conv_macs)


def _convt_op():
    return Op(_convt_tensors, _convt, macs=_convt_macs)


OPS: dict[type, Op] = {
    L.Dense: Op(_dense_tensors, _dense, macs=_dense_macs),
    L.Conv1d: _conv_op(),
    L.Conv2d: _conv_op(),
    L.Conv3d: _conv_op(),
    L.ConvTranspose1d: _convt_op(),
    L.ConvTranspose2d: _convt_op(),
    L.ConvTranspose3d: _convt_op(),
    L.MaxPool1d: Op(_no_tensors, _maxpool),
    L.MaxPool2d: Op(_no_tensors, _maxpool),
    L.MaxPool3d: Op(_no_tensors, _maxpool),
    L.AvgPool1d: Op(_no_tensors, _avgpool),
    L.AvgPool2d: Op(_no_tensors, _avgpool),
    L.AvgPool3d: Op(_no_tensors, _avgpool),
    L.AdaptiveAvgPool1d: Op(_no_tensors, _adaptive),
    L.AdaptiveAvgPool2d: Op(_no_tensors, _adaptive),
    L.AdaptiveAvgPool3d: Op(_no_tensors, _adaptive),
    L.GlobalAvgPool: _elementwise(K.global_avg_pool),
    L.GlobalMaxPool: _elementwise(K.global_max_pool),
    L.Upsample: Op(_no_tensors, _upsample),
    L.Flatten: Op(_no_tensors, lambda layer, inputs, w, ctx: inputs[0].reshape(len(inputs[0]), -1)),
    L.Reshape: Op(_no_tensors, lambda layer, inputs, w, ctx: inputs[0].reshape(len(inputs[0]), *layer.shape)),
    L.Permute: Op(
        _no_tensors, lambda layer, inputs, w, ctx: inputs[0].transpose(0, *(d + 1 for d in layer.dims))
    ),
    L.Select: Op(_no_tensors, _select),
    L.Slice: Op(_no_tensors, _slice),
    L.CenterCrop: Op(_no_tensors, _center_crop),
    L.ChannelShuffle: Op(
        _no_tensors, lambda layer, inputs, w, ctx: K.channel_shuffle(inputs[0], layer.groups)
    ),
    L.Dropout: Op(
        _no_tensors, lambda layer, inputs, w, ctx: K.dropout(inputs[0], layer.rate, ctx.training, ctx.rng)
    ),
    L.StochasticDepth: Op(_no_tensors, _stochastic_depth),
    L.BatchNorm: Op(_bn_tensors, _bn, state=("running_mean", "running_var")),
    L.LayerNorm: Op(_ln_tensors, _ln),
    L.LayerScale: Op(lambda layer, inputs: {"scale": (inputs[0].shape[1],)}, _scale),
    L.Add: Op(_no_tensors, lambda layer, inputs, w, ctx: sum(inputs[1:], start=inputs[0])),
    L.Multiply: Op(_no_tensors, _multiply),
    L.Concat: Op(_no_tensors, _concat),
    L.ReLU: _elementwise(K.relu),
    L.ReLU6: _elementwise(K.relu6),
    L.LeakyReLU: Op(_no_tensors, lambda layer, inputs, w, ctx: K.leaky_relu(inputs[0], layer.negative_slope)),
    L.Sigmoid: _elementwise(K.sigmoid),
    L.Tanh: _elementwise(K.tanh),
    L.Softmax: Op(
        _no_tensors,
        lambda layer, inputs, w, ctx: K.softmax(inputs[0], layer.axis + 1 if layer.axis >= 0 else layer.axis),
    ),
    L.GELU: Op(_no_tensors, lambda layer, inputs, w, ctx: K.gelu(inputs[0], layer.approximate)),
    L.SiLU: _elementwise(K.silu),
    L.ELU: Op(_no_tensors, lambda layer, inputs, w, ctx: K.elu(inputs[0], layer.alpha)),
    L.Hardswish: _elementwise(K.hardswish),
    L.Hardsigmoid: _elementwise(K.hardsigmoid),
    L.ClassToken: Op(lambda layer, inputs: {"token": (inputs[0].shape[-1],)}, _token),
    L.PosEmbedding: Op(
        lambda layer, inputs: {"embedding": inputs[0].shape[1:]},
        lambda layer, inputs, w, ctx: inputs[0] + w["embedding"][None],
    ),
    L.Attention: Op(_attention_tensors, _attention, macs=_attention_macs),
}
