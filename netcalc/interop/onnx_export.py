"""ONNX export: a spec's expanded graph as an ONNX model, with the NumPy backend's weights.

One ONNX node per layer, or a small sub-graph for composite layers, its nodes named
`<layer path>/<Op>`. Every layer's output is a graph value named exactly the layer's path
(`residual.1.a`), so Netron and onnxruntime show netcalc's names. The initializers are the
backend's tensors, unchanged, named `<layer path>/<tensor name>` in PyTorch's layouts; everything
else (shapes, scales, pooling matrices) is a Constant node, so the initializers hold exactly
params + state elements. Weights are always float32, whatever the spec's dtype.

Imports onnx and NumPy only when called: netcalc itself never needs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from math import sqrt
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from netcalc import layers as L
from netcalc.errors import NetcalcError
from netcalc.graph import Network
from netcalc.report import analyze

if TYPE_CHECKING:
    import numpy as np
    import onnx

    from netcalc.backend import Result

DEFAULT_OPSET = 17
MIN_OPSET = 17  # LayerNormalization
INSTALL_HINT = "pip install netcalc[onnx]"
EXTERNAL_DATA_BYTES = 1_800_000_000  # protobuf cannot serialize a message over 2 GiB


def require_onnx() -> None:
    """A one-line NetcalcError saying how to install the extra, unless onnx and NumPy import."""
    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
    except ImportError as error:
        name = error.name or "onnx"
        raise NetcalcError(f"ONNX export needs the '{name}' package: {INSTALL_HINT}") from None


def to_onnx(
    spec: Network,
    weights: Mapping[str, np.ndarray] | Result | None = None,
    seed: int = 0,
    opset: int = DEFAULT_OPSET,
    max_memory: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> onnx.ModelProto:
    """The spec as an onnx.ModelProto with a symbolic batch `N`.

    `weights`: tensors keyed 'layer/tensor' (as in a weights .npz), or a backend Result whose
    weights to use; otherwise the backend's seeded initial values for `seed`.
    """
    require_onnx()
    import onnx

    from netcalc.backend import Result
    from netcalc.verification import run

    newest = onnx.defs.onnx_opset_version()
    if type(opset) is not int or not MIN_OPSET <= opset <= newest:
        raise NetcalcError(
            f"opset must be from {MIN_OPSET} (LayerNormalization) to {newest} "
            f"(the newest this onnx {onnx.__version__} knows), got {opset!r}"
        )
    if isinstance(weights, Result):
        tensors = weights.weights
    else:
        tensors = run(
            spec, max_memory=max_memory, weights=weights, seed=seed, batch=1, progress=progress
        ).weights
    report = analyze(spec)
    b = _Builder(opset)
    names = {i: name for i, (name, _) in spec.input_nodes.items()}
    for node, row in zip(spec.nodes, report.rows, strict=True):
        b.begin(node.path)
        w = {  # a shared tensor is the owner's initializer: one initializer, read twice
            name: f"{row.shares}/{name}"
            if name in row.shared_tensors
            else b.initializer(f"{node.path}/{name}", array)
            for name, array in tensors[node.path].items()
        }
        layer = node.layer
        xs = [names[i] for i in node.inputs]
        y = CONVERTERS[type(layer)](b, layer, xs, row.input_shapes, row.output_shape, w)
        activation = getattr(layer, "activation", None)  # a weighted layer's fused activation
        if activation:
            y = fused_activation(b, activation, y)
        b.finish(y, doc=f"{layer.kind} ({node.where})")
        names[node.index] = node.path
    helper, float32 = onnx.helper, onnx.TensorProto.FLOAT
    int64 = onnx.TensorProto.INT64  # an input of token ids
    graph = helper.make_graph(
        b.nodes,
        spec.name,
        [
            helper.make_tensor_value_info(name, int64 if i in spec.token_ids else float32, ["N", *shape])
            for i, (name, shape) in spec.input_nodes.items()
        ],
        [
            helper.make_tensor_value_info(names[i], float32, ["N", *report.rows[i].output_shape])
            for i in spec.outputs
        ],
        initializer=b.initializers,
        doc_string=spec.description or "",
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="netcalc",
        producer_version=_version(),
        doc_string=spec.description or "",
    )
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model


def save(model: onnx.ModelProto, path: str | Path) -> str:
    """Write the model; weights over ~1.8 GB go to `<path>.data` beside it. Returns what was written."""
    require_onnx()
    import onnx

    path = Path(path)
    size = sum(len(t.raw_data) for t in model.graph.initializer)
    external = size > EXTERNAL_DATA_BYTES
    # to a temporary file beside it, renamed into place: a failed write leaves no half model
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        onnx.save_model(
            model,
            str(temporary),
            save_as_external_data=external,
            all_tensors_to_one_file=True,
            location=path.name + ".data",
        )
        os.replace(temporary, path)
    except OSError as error:
        raise NetcalcError(f"{path}: cannot write the ONNX model: {error.strerror or error}") from None
    finally:
        if temporary.exists():
            temporary.unlink()
    return f"{path} and {path}.data" if external else str(path)


def _version() -> str:
    from netcalc import __version__

    return __version__


class _Builder:
    """Collects nodes and initializers; names every node after the layer it belongs to."""

    def __init__(self, opset: int):
        import numpy as np
        from onnx import helper, numpy_helper

        self.asarray, self.make_node, self.from_array = np.asarray, helper.make_node, numpy_helper.from_array
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.path, self.first = "", 0
        self.counts: dict[str, int] = {}

    def begin(self, path: str) -> None:
        """Start the nodes of one layer."""
        self.path, self.first, self.counts = path, len(self.nodes), {}

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        """Add a node `<path>/<op_type>[_k]`; returns its output's name (the same)."""
        k = self.counts.get(op_type, 0)
        self.counts[op_type] = k + 1
        name = f"{self.path}/{op_type}" + (f"_{k}" if k else "")
        self.nodes.append(self.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def add_output(self, node_output: str, index: int) -> str:
        """Name the node's output `index` (its first is the node's name): `<name>_out<index>`."""
        node = next(n for n in reversed(self.nodes) if n.output[0] == node_output)
        while len(node.output) <= index:
            node.output.append("")
        name = f"{node_output}_out{index}"
        node.output[index] = name
        return name

    def const(self, values: object, dtype: str = "int64") -> str:
        """A Constant node (shapes, axes, scales): not an initializer, so not counted as a weight."""
        return self.op("Constant", [], value=self.from_array(self.asarray(values, dtype)))

    def filled(self, shape: list[int], value: float) -> str:
        """A float32 Constant of one value (the unit scale of a layer without weights)."""
        import numpy as np

        return self.const(np.full(shape, value), "float32")

    def initializer(self, name: str, array: np.ndarray) -> str:
        """A weight, stored as the backend holds it."""
        self.initializers.append(self.from_array(self.asarray(array, "float32"), name))
        return name

    def finish(self, value: str, doc: str) -> None:
        """Give the layer's output the layer's path: rename the last node, or add an Identity."""
        last = self.nodes[-1] if len(self.nodes) > self.first else None
        if last is None or last.output[0] != value:
            last = self.make_node("Identity", [value], [self.path])
            self.nodes.append(last)
        last.output[0] = self.path
        last.name = self.path
        last.doc_string = doc


Shape = tuple[int, ...]
Ins = tuple[Shape, ...]  # per-sample input shapes
Names = dict[str, str]  # a layer's tensor name -> the name of its initializer
LayerT = TypeVar("LayerT", bound=L.Layer)
# (builder, layer, input value names, input shapes, output shape, initializers) -> output value name
Converter = Callable[[_Builder, LayerT, list[str], Ins, Shape, Names], str]


# --- dense and convolution ---------------------------------------------------------------------


def _dense(b: _Builder, layer: L.Dense, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    if len(ins[0]) == 1:  # (N, in): one Gemm with PyTorch's (units, in) weight, transB
        return b.op("Gemm", [xs[0], w["weight"], *_given(w, "bias")], transB=1)
    return _linear(b, xs[0], w["weight"], w.get("bias"))


def _linear(b: _Builder, x: str, weight: str, bias: str | None) -> str:
    """x @ weight.T (+ bias) on the last axis of an N-d input: Transpose, MatMul, Add."""
    y = b.op("MatMul", [x, b.op("Transpose", [weight], perm=[1, 0])])
    return b.op("Add", [y, bias]) if bias else y


def _given(w: Names, *names: str) -> list[str]:
    return [w[n] for n in names if n in w]


def _conv(b: _Builder, layer: L.Conv, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    pads = layer.pads(ins[0][1:])  # (before, after) per axis, 'same' resolved
    before_after = [lo for lo, _ in pads] + [hi for _, hi in pads]
    return b.op("Conv", [xs[0], w["weight"], *_given(w, "bias")], pads=before_after, **_window(layer))


def _conv_transpose(
    b: _Builder, layer: L.ConvTranspose, xs: list[str], ins: Ins, out: Shape, w: Names
) -> str:
    # ONNX's weight layout (C, F/groups, *k) is PyTorch's
    return b.op(
        "ConvTranspose",
        [xs[0], w["weight"], *_given(w, "bias")],
        pads=list(layer.axes("padding")) * 2,
        output_padding=layer.axes("output_padding"),
        **_window(layer),
    )


def _window(layer: L.Conv | L.ConvTranspose) -> dict[str, Any]:
    """The attributes Conv and ConvTranspose share: kernel, strides, dilations, groups."""
    return {
        "kernel_shape": layer.axes("kernel"),
        "strides": layer.axes("stride"),
        "dilations": layer.axes("dilation"),
        "group": layer.groups,
    }


# --- pooling and resampling --------------------------------------------------------------------


def _pool_window(layer: L.MaxPool | L.AvgPool, spatial: Shape, out: Shape) -> dict[str, Any]:
    """Pads and ceil_mode with which ONNX's own size rule gives netcalc's (PyTorch's) size.

    PyTorch drops a ceil_mode window that would start in the right padding; onnxruntime does too,
    but ONNX's shape inference does not. A dropping axis has the floor size, so ceil_mode is set
    only when some axis needs it, and then a dropping axis loses the right padding that its last
    window never reaches (clamped at 0, where only shape inference would still count one more).
    """
    size, stride = layer.axes("size"), layer.axes("stride")
    if layer.padding == "same":  # Keras's SAME: explicit, maybe uneven pads; the size is fixed
        pads = layer.pads(spatial)
        before, after = [lo for lo, _ in pads], [hi for _, hi in pads]
        return {"kernel_shape": size, "strides": stride, "pads": [*before, *after], "ceil_mode": 0}
    pad = (0,) * len(size) if layer.padding == "valid" else layer.axes("padding")
    dilation = layer.axes("dilation") if hasattr(layer, "dilation") else (1,) * len(size)
    spans = [d * (k - 1) + 1 for k, d in zip(size, dilation, strict=True)]
    rests = [(n + 2 * p - span) % s for n, p, span, s in zip(spatial, pad, spans, stride, strict=True)]
    floors = [(n + 2 * p - span) // s + 1 for n, p, span, s in zip(spatial, pad, spans, stride, strict=True)]
    ceil = any(o > f for o, f in zip(out, floors, strict=True))
    after = [
        max(p - r, 0) if ceil and o == f and r else p
        for p, r, o, f in zip(pad, rests, out, floors, strict=True)
    ]
    return {"kernel_shape": size, "strides": stride, "pads": [*pad, *after], "ceil_mode": int(ceil)}


def _maxpool(b: _Builder, layer: L.MaxPool, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op(
        "MaxPool", [xs[0]], dilations=layer.axes("dilation"), **_pool_window(layer, ins[0][1:], out[1:])
    )


def _avgpool(b: _Builder, layer: L.AvgPool, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op(
        "AveragePool",
        [xs[0]],
        count_include_pad=int(layer.count_include_pad and layer.padding != "same"),
        **_pool_window(layer, ins[0][1:], out[1:]),
    )


def _adaptive(b: _Builder, layer: L.AdaptiveAvgPool, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    spatial, size = ins[0][1:], out[1:]
    if all(n % o == 0 for n, o in zip(spatial, size, strict=True)):
        kernel = [n // o for n, o in zip(spatial, size, strict=True)]
        return b.op("AveragePool", [xs[0]], kernel_shape=kernel, strides=kernel)
    # PyTorch's uneven bins [floor(i*L/o), ceil((i+1)*L/o)) are a linear map per axis: one MatMul
    # by an (L, o) averaging matrix each (ONNX has no adaptive pooling)
    x, rank = xs[0], len(spatial)
    for axis in reversed(range(rank)):
        n, o = spatial[axis], size[axis]
        if n == o:
            continue
        bins = _bins(n, o)  # (L, o)
        if axis == rank - 1:
            x = b.op("MatMul", [x, b.const(bins, "float32")])
        elif axis == rank - 2:
            x = b.op("MatMul", [b.const(bins.T, "float32"), x])
        else:  # bring the axis last and back
            perm = list(range(rank + 2))
            perm[axis + 2], perm[-1] = perm[-1], perm[axis + 2]
            x = b.op("Transpose", [x], perm=perm)
            x = b.op("MatMul", [x, b.const(bins, "float32")])
            x = b.op("Transpose", [x], perm=perm)
    return x


def _bins(length: int, out: int) -> np.ndarray:
    """(L, out) matrix whose column i averages PyTorch's adaptive bin i."""
    import numpy as np

    matrix = np.zeros((length, out), "float64")
    for i in range(out):
        start, end = i * length // out, -(-(i + 1) * length // out)
        matrix[start:end, i] = 1.0 / (end - start)
    return matrix


def _upsample(b: _Builder, layer: L.Upsample, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    x, rank = xs[0], len(ins[0]) - 1
    if layer.mode == "nearest":  # PyTorch: src = floor(dst * scale), clamped
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:  # PyTorch: src = scale * (dst + 0.5) - 0.5, clamped at 0 (half_pixel, not pytorch_half_pixel)
        mode = "align_corners" if layer.align_corners else "half_pixel"
        attrs = {"mode": "linear", "coordinate_transformation_mode": mode}
    scale = layer.scale
    scales = () if scale is None else scale if isinstance(scale, tuple) else (scale,) * rank
    if not scales or all(
        abs(n * s - o) <= 1e-6 * o for n, s, o in zip(ins[0][1:], scales, out[1:], strict=True)
    ):
        # sizes: ONNX then maps with in/out, which is the scale itself when out = L * scale exactly
        # (and a float32 scale could make ONNX's shape inference floor 10 * 0.7 to 6)
        batch_and_channels = b.op("Shape", [x], start=0, end=2)
        sizes = b.op("Concat", [batch_and_channels, b.const(out[1:])], axis=0)
        return b.op("Resize", [x, "", "", sizes], **attrs)
    # out = floor(L * scale) < L * scale: PyTorch maps with 1 / scale, not in/out: pass the scales
    return b.op("Resize", [x, "", b.const([1.0, 1.0, *scales], "float32")], **attrs)


# --- moving elements ---------------------------------------------------------------------------


def _reshape(b: _Builder, layer: L.Reshape, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Reshape", [xs[0], b.const([0, *layer.shape])])  # 0: keep the batch


def _permute(b: _Builder, layer: L.Permute, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Transpose", [xs[0]], perm=[0, *(d + 1 for d in layer.dims)])


def _select(b: _Builder, layer: L.Select, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Gather", [xs[0], b.const(layer.index)], axis=layer.axis + 1)  # scalar: axis dropped


def _slice(b: _Builder, layer: L.Slice, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    kept = range(ins[0][layer.axis])[layer.start : layer.end]  # Python's slice rules
    return b.op("Slice", [xs[0], b.const([kept.start]), b.const([kept.stop]), b.const([layer.axis + 1])])


def _center_crop(b: _Builder, layer: L.CenterCrop, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    spatial, size = ins[0][1:], out[1:]
    starts = [int(round((n - s) / 2.0)) for n, s in zip(spatial, size, strict=True)]  # torchvision
    return b.op(
        "Slice",
        [
            xs[0],
            b.const(starts),
            b.const([a + s for a, s in zip(starts, size, strict=True)]),
            b.const(list(range(2, 2 + len(size)))),
        ],
    )


def _channel_shuffle(
    b: _Builder, layer: L.ChannelShuffle, xs: list[str], ins: Ins, out: Shape, w: Names
) -> str:
    c, g = ins[0][0], layer.groups
    y = b.op("Reshape", [xs[0], b.const([0, g, c // g, -1])])  # (N, g, C/g, S)
    y = b.op("Transpose", [y], perm=[0, 2, 1, 3])  # (N, C/g, g, S)
    return b.op("Reshape", [y, b.const([0, c, *ins[0][1:]])])


# --- normalization and scaling -----------------------------------------------------------------


def _batchnorm(b: _Builder, layer: L.BatchNorm, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    c = ins[0][0]
    scale = w.get("weight") or b.filled([c], 1.0)
    bias = w.get("bias") or b.filled([c], 0.0)
    # ONNX's momentum weighs the old running value: PyTorch's 1 - momentum (training only)
    return b.op(
        "BatchNormalization",
        [xs[0], scale, bias, w["running_mean"], w["running_var"]],
        epsilon=layer.eps,
        momentum=1.0 - layer.momentum,
    )


def _layernorm(b: _Builder, layer: L.LayerNorm, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    trailing = list(ins[0][-layer.dims :])
    scale = w.get("weight") or b.filled(trailing, 1.0)
    return b.op("LayerNormalization", [xs[0], scale, *_given(w, "bias")], axis=-layer.dims, epsilon=layer.eps)


def _rmsnorm(b: _Builder, layer: L.RMSNorm, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    x = xs[0]  # x / sqrt(mean(x^2) + eps) * weight (RMSNormalization is an op from opset 23 only)
    mean_square = _reduce_mean(b, b.op("Mul", [x, x]), -1)
    y = b.op("Div", [x, b.op("Sqrt", [b.op("Add", [mean_square, b.const(layer.eps, "float32")])])])
    return b.op("Mul", [y, w["weight"]]) if "weight" in w else y


def _reduce_mean(b: _Builder, x: str, axis: int) -> str:
    """ReduceMean over one axis, kept: its axes are an attribute before opset 18, an input after."""
    if b.opset >= 18:
        return b.op("ReduceMean", [x, b.const([axis])], keepdims=1)
    return b.op("ReduceMean", [x], axes=[axis], keepdims=1)


def _per_channel(b: _Builder, value: str, shape: Shape) -> str:
    """A (C,) tensor as (C, 1, ...) to broadcast over (N, C, *rest)."""
    if len(shape) == 1:
        return value
    return b.op("Reshape", [value, b.const([shape[0]] + [1] * (len(shape) - 1))])


def _instance_norm(b: _Builder, x: str, channels: int, eps: float) -> str:
    """InstanceNormalization without scale and shift: ones and zeros."""
    ones, zeros = b.filled([channels], 1.0), b.filled([channels], 0.0)
    return b.op("InstanceNormalization", [x, ones, zeros], epsilon=eps)


def _affine(b: _Builder, y: str, shape: Shape, w: Names) -> str:
    if "weight" in w:
        y = b.op("Mul", [y, _per_channel(b, w["weight"], shape)])
    if "bias" in w:
        y = b.op("Add", [y, _per_channel(b, w["bias"], shape)])
    return y


def _groupnorm(b: _Builder, layer: L.GroupNorm, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    # (N, C, *S) as (N, G, C/G * S): instance norm of each group, then the per-channel affine
    # (GroupNormalization's scale is per group before opset 21, per channel after)
    grouped = b.op("Reshape", [xs[0], b.const([0, layer.groups, -1])])
    y = _instance_norm(b, grouped, layer.groups, layer.eps)
    y = b.op("Reshape", [y, b.const([0, *ins[0]])])
    return _affine(b, y, ins[0], w)


def _instancenorm(b: _Builder, layer: L.InstanceNorm, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    c = ins[0][0]
    scale = w.get("weight") or b.filled([c], 1.0)
    bias = w.get("bias") or b.filled([c], 0.0)
    return b.op("InstanceNormalization", [xs[0], scale, bias], epsilon=layer.eps)


def _pad(b: _Builder, layer: L.Pad, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    pairs = layer.pairs(ins[0])  # ONNX's pads: every axis's start, then every axis's end
    pads = [0, *(lo for lo, _ in pairs), 0, *(hi for _, hi in pairs)]
    return b.op("Pad", [xs[0], b.const(pads), b.const(layer.value, "float32")], mode="constant")


def _layer_scale(b: _Builder, layer: L.LayerScale, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    y = b.op("Mul", [xs[0], _per_channel(b, w["scale"], ins[0])])
    return b.op("Add", [y, _per_channel(b, w["bias"], ins[0])]) if "bias" in w else y


def _dropout(
    b: _Builder, layer: L.Dropout | L.StochasticDepth, xs: list[str], ins: Ins, out: Shape, w: Names
) -> str:
    return xs[0]  # inference: finish() adds an Identity named after the layer


# --- merging -----------------------------------------------------------------------------------


def _add(b: _Builder, layer: L.Add, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Add" if len(xs) == 2 else "Sum", xs)


def _multiply(b: _Builder, layer: L.Multiply, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    # netcalc broadcasts sample shapes, right-aligned after the batch axis: (N, W) against
    # (N, C, H, W) is (N, 1, 1, W), which ONNX's full-shape broadcasting would misread
    values = []
    for x, shape in zip(xs, ins, strict=True):
        if len(shape) < len(out):
            x = b.op("Unsqueeze", [x, b.const(list(range(1, 1 + len(out) - len(shape))))])
        values.append(x)
    y = values[0]
    for x in values[1:]:
        y = b.op("Mul", [y, x])
    return y


def _concat(b: _Builder, layer: L.Concat, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Concat", xs, axis=_axis(layer.axis))


# --- activations -------------------------------------------------------------------------------


def fused_activation(b: _Builder, kind: str, x: str) -> str:
    """A weighted layer's `activation: KIND`: the activation layer's own converter, default arguments."""
    cls = L.BY_KIND[kind]
    return CONVERTERS[cls](b, cls(), [x], (), (), {})


def _axis(axis: int) -> int:
    """A sample axis as an ONNX axis: the batch is axis 0."""
    return axis + 1 if axis >= 0 else axis


def _softmax(b: _Builder, layer: L.Softmax, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Softmax", xs, axis=_axis(layer.axis))


def _log_softmax(b: _Builder, layer: L.LogSoftmax, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("LogSoftmax", xs, axis=_axis(layer.axis))


def _leaky_relu(b: _Builder, layer: L.LeakyReLU, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("LeakyRelu", xs, alpha=layer.negative_slope)


def _prelu(b: _Builder, layer: L.PReLU, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    # ONNX broadcasts the slope from the last axis: (1,) and the sample's shape as they are,
    # one per channel as (C, 1, ...)
    slope = _per_channel(b, w["weight"], ins[0]) if layer.slope_form == "channel" else w["weight"]
    return b.op("PRelu", [xs[0], slope])


def _elu(b: _Builder, layer: L.ELU, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Elu", xs, alpha=layer.alpha)


def _relu6(b: _Builder, layer: L.ReLU6, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Clip", [xs[0], b.const(0.0, "float32"), b.const(6.0, "float32")])


def _silu(b: _Builder, layer: L.SiLU, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Mul", [xs[0], b.op("Sigmoid", xs)])


def _gelu(b: _Builder, layer: L.GELU, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    x, approximate = xs[0], layer.approximate
    if b.opset >= 20:
        return b.op("Gelu", [x], approximate=approximate)
    half_x = b.op("Mul", [x, b.const(0.5, "float32")])
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.op("Mul", [b.op("Mul", [x, x]), x])
        inner = b.op("Add", [x, b.op("Mul", [cube, b.const(0.044715, "float32")])])
        core = b.op("Tanh", [b.op("Mul", [inner, b.const(sqrt(2.0 / 3.141592653589793), "float32")])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        core = b.op("Erf", [b.op("Div", [x, b.const(sqrt(2.0), "float32")])])
    return b.op("Mul", [half_x, b.op("Add", [core, b.const(1.0, "float32")])])


# --- transformer -------------------------------------------------------------------------------


def _class_token(b: _Builder, layer: L.ClassToken, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    d = ins[0][1]
    token = b.op("Reshape", [w["token"], b.const([1, 1, d])])
    batch = b.op("Shape", [xs[0]], start=0, end=1)
    token = b.op("Expand", [token, b.op("Concat", [batch, b.const([1, d])], axis=0)])  # (N, 1, D)
    return b.op("Concat", [token, xs[0]], axis=1)


def _pos_embedding(b: _Builder, layer: L.PosEmbedding, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    table, t = w["embedding"], ins[0][0]
    if layer.length is not None and layer.length > t:  # the first T rows of the table
        table = b.op("Slice", [table, b.const([0]), b.const([t]), b.const([0])])
    return b.op("Add", [xs[0], table])  # (N, T, D) + (T, D)


# ONNX's gate orders, as blocks of PyTorch's: LSTM i, o, f, c from i, f, g, o; GRU z, r, h from r, z, n
GATE_ORDER = {"rnn": [0], "lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}
RECURRENT_OPS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _recurrent(
    b: _Builder, layer: L.RNN | L.LSTM | L.GRU, xs: list[str], ins: Ins, out: Shape, w: Names
) -> str:
    """PyTorch's RNN/LSTM/GRU as one ONNX RNN/LSTM/GRU node per layer, the weights' gate blocks
    reordered (Gather) and stacked per direction from the initializers, which stay PyTorch's."""
    h, dirs = layer.units, 2 if layer.bidirectional else 1
    rows = [r for block in GATE_ORDER[layer.kind] for r in range(block * h, (block + 1) * h)]
    x = b.op("Transpose", [xs[0]], perm=[1, 0, 2])  # (L, N, F): ONNX's layout
    state = ""
    for k in range(layer.layers):
        keys = [f"_l{k}{d}" for d in ("", "_reverse")[:dirs]]

        def stacked(name: str, keys: list[str] = keys) -> str:
            parts = [b.op("Gather", [w[f"{name}{key}"], b.const(rows)], axis=0) for key in keys]
            parts = [b.op("Unsqueeze", [p, b.const([0])]) for p in parts]
            return parts[0] if len(parts) == 1 else b.op("Concat", parts, axis=0)

        inputs = [x, stacked("weight_ih"), stacked("weight_hh")]
        if layer.bias:
            zeros = b.filled([dirs, layer.gates * h], 0.0)
            recurrent = stacked("bias_hh") if layer.bias is True else zeros  # Keras: one bias
            inputs.append(b.op("Concat", [stacked("bias_ih"), recurrent], axis=1))
        attrs: dict[str, Any] = {"hidden_size": h, "direction": "bidirectional" if dirs == 2 else "forward"}
        if layer.kind == "gru":
            attrs["linear_before_reset"] = 1  # PyTorch's: r * (W_hn h + b_hn)
        if isinstance(layer, L.RNN):
            attrs["activations"] = ["Relu" if layer.nonlinearity == "relu" else "Tanh"] * dirs
        node = b.op(RECURRENT_OPS[layer.kind], inputs, **attrs)
        state = b.add_output(node, 1)  # Y_h: (dirs, N, H), the reverse direction's after step 0
        y = b.op("Transpose", [node], perm=[0, 2, 1, 3])  # Y (L, dirs, N, H) -> (L, N, dirs, H)
        x = b.op("Reshape", [y, b.const([0, 0, dirs * h])])
    if not layer.return_sequences:
        final = b.op("Transpose", [state], perm=[1, 0, 2])  # (N, dirs, H)
        return b.op("Reshape", [final, b.const([0, dirs * h])])
    return b.op("Transpose", [x], perm=[1, 0, 2])  # (N, L, dirs * H)


def _embedding(b: _Builder, layer: L.Embedding, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    return b.op("Gather", [w["weight"], xs[0]], axis=0)  # (vocab, dim)[(N, L) ids] -> (N, L, dim)


def _attention(b: _Builder, layer: L.Attention, xs: list[str], ins: Ins, out: Shape, w: Names) -> str:
    """PyTorch MultiheadAttention self-attention on (N, T, D) as MatMul / Reshape / Transpose /
    Softmax (the packed in_proj kept in one MatMul); every other form by _general_attention."""
    if not layer.classic(ins):
        return _general_attention(b, layer, xs, ins, w)
    d, heads = ins[0][1], layer.heads
    qkv = _linear(b, xs[0], w["in_proj_weight"], w.get("in_proj_bias"))  # (N, T, 3D)
    qkv = b.op("Reshape", [qkv, b.const([0, 0, 3, heads, d // heads])])
    qkv = b.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])  # (3, N, h, T, hd)
    q, k, v = (b.op("Gather", [qkv, b.const(i)], axis=0) for i in range(3))  # (N, h, T, hd)
    scores = b.op("MatMul", [q, b.op("Transpose", [k], perm=[0, 1, 3, 2])])  # (N, h, T, T)
    scores = b.op("Div", [scores, b.const(sqrt(d // heads), "float32")])
    context = b.op("MatMul", [b.op("Softmax", [scores], axis=-1), v])  # (N, h, T, hd)
    context = b.op("Transpose", [context], perm=[0, 2, 1, 3])  # (N, T, h, hd)
    context = b.op("Reshape", [context, b.const([0, 0, d])])
    return _linear(b, context, w["out_proj.weight"], w.get("out_proj.bias"))


def _general_attention(b: _Builder, layer: L.Attention, xs: list[str], ins: Ins, w: Names) -> str:
    """Queries (N, ..., n, D) attend to a memory (N, ..., m, Dm): grouped heads by broadcasting
    (g key/value heads, each read by heads / g query heads), a causal mask by Trilu, the relative
    bias by Gather on the table (row (j - i) mod ENTRIES, the NumPy backend's index map)."""
    import numpy as np

    (*lead, n, d), m = ins[0], ins[-1][-2]
    heads, kv = layer.heads, layer.kv_heads or layer.heads
    width = layer.head_dim or d // heads
    t = len(lead) + 1  # the token axis; the ones before it (batch, leading) are kept by Reshape's 0
    keep, before = [0] * (t + 1), list(range(t))
    (wq, bq), (wk, bk), (wv, bv) = _projections(b, w, d)
    q = b.op("Reshape", [_linear(b, xs[0], wq, bq), b.const([*keep, kv, heads // kv, width])])
    q = b.op("Transpose", [q], perm=[*before, t + 1, t + 2, t, t + 3])  # (N, ..., g, h/g, n, d)
    k = b.op("Reshape", [_linear(b, xs[-1], wk, bk), b.const([*keep, kv, 1, width])])
    k = b.op("Transpose", [k], perm=[*before, t + 1, t + 2, t + 3, t])  # (N, ..., g, 1, d, m)
    v = b.op("Reshape", [_linear(b, xs[-1], wv, bv), b.const([*keep, kv, 1, width])])
    v = b.op("Transpose", [v], perm=[*before, t + 1, t + 2, t, t + 3])  # (N, ..., g, 1, m, d)
    scores = b.op("Div", [b.op("MatMul", [q, k]), b.const(sqrt(width), "float32")])  # (.., g, h/g, n, m)
    if layer.relative_bias:
        index = (np.arange(m)[None, :] - np.arange(n)[:, None]) % layer.relative_bias
        table = b.op("Gather", [w["relative_bias_table"], b.const(index)], axis=0)  # (n, m, h)
        table = b.op(
            "Reshape", [b.op("Transpose", [table], perm=[2, 0, 1]), b.const([kv, heads // kv, n, m])]
        )
        scores = b.op("Add", [scores, table])
    if layer.causal:  # -inf where key j > query i
        full = b.op(
            "ConstantOfShape",
            [b.const([n, m])],
            value=b.from_array(np.array([-np.inf], "float32")),
        )
        scores = b.op("Add", [scores, b.op("Trilu", [full, b.const(1)], upper=1)])
    context = b.op("MatMul", [b.op("Softmax", [scores], axis=-1), v])  # (N, ..., g, h/g, n, d)
    context = b.op("Transpose", [context], perm=[*before, t + 2, t, t + 1, t + 3])  # (N, ..., n, g, h/g, d)
    context = b.op("Reshape", [context, b.const([*keep, heads * width])])
    return _linear(b, context, w["out_proj.weight"], w.get("out_proj.bias"))


def _projections(b: _Builder, w: Names, d: int) -> list[tuple[str, str | None]]:
    """(weight, bias or None) of q, k and v: slices of the packed in_proj, or their own tensors."""
    if "q_proj.weight" in w:
        return [(w[f"{p}_proj.weight"], w.get(f"{p}_proj.bias")) for p in "qkv"]

    def part(name: str, i: int) -> str:
        return b.op("Slice", [w[name], b.const([i * d]), b.const([(i + 1) * d]), b.const([0])])

    packed = "in_proj_weight" in w
    weights = [part("in_proj_weight", i) if packed else w[f"{p}_proj_weight"] for i, p in enumerate("qkv")]
    biases = [part("in_proj_bias", i) if "in_proj_bias" in w else None for i in range(3)]
    return list(zip(weights, biases, strict=True))


def _op(op_type: str) -> Converter[L.Layer]:
    """The converter of a layer that is one ONNX operator on its inputs, without attributes."""
    return lambda b, layer, xs, ins, out, w: b.op(op_type, xs)


CONVERTERS: dict[type[L.Layer], Converter[Any]] = {
    L.Dense: _dense,
    **dict.fromkeys(get_args(L.Conv), _conv),
    **dict.fromkeys(get_args(L.ConvTranspose), _conv_transpose),
    **dict.fromkeys(get_args(L.MaxPool), _maxpool),
    **dict.fromkeys(get_args(L.AvgPool), _avgpool),
    **dict.fromkeys(get_args(L.AdaptiveAvgPool), _adaptive),
    L.GlobalAvgPool: _op("GlobalAveragePool"),
    L.GlobalMaxPool: _op("GlobalMaxPool"),
    L.Upsample: _upsample,
    L.Flatten: lambda b, layer, xs, ins, out, w: b.op("Flatten", xs, axis=1),
    L.Reshape: _reshape,
    L.Permute: _permute,
    L.Select: _select,
    L.Slice: _slice,
    L.CenterCrop: _center_crop,
    L.Pad: _pad,
    L.ChannelShuffle: _channel_shuffle,
    L.Dropout: _dropout,
    L.StochasticDepth: _dropout,
    L.BatchNorm: _batchnorm,
    L.LayerNorm: _layernorm,
    L.RMSNorm: _rmsnorm,
    L.GroupNorm: _groupnorm,
    L.InstanceNorm: _instancenorm,
    L.LayerScale: _layer_scale,
    L.Add: _add,
    L.Multiply: _multiply,
    L.Concat: _concat,
    L.Matmul: _op("MatMul"),
    L.ReLU: _op("Relu"),
    L.ReLU6: _relu6,
    L.LeakyReLU: _leaky_relu,
    L.PReLU: _prelu,
    L.Sigmoid: _op("Sigmoid"),
    L.Tanh: _op("Tanh"),
    L.Softmax: _softmax,
    L.LogSoftmax: _log_softmax,
    L.GELU: _gelu,
    L.SiLU: _silu,
    L.ELU: _elu,
    L.Hardswish: _op("HardSwish"),
    # ONNX's default alpha is 0.2; PyTorch's is relu6(x + 3) / 6
    L.Hardsigmoid: lambda b, layer, xs, ins, out, w: b.op("HardSigmoid", xs, alpha=1.0 / 6.0, beta=0.5),
    L.Embedding: _embedding,
    L.RNN: _recurrent,
    L.LSTM: _recurrent,
    L.GRU: _recurrent,
    L.ClassToken: _class_token,
    L.PosEmbedding: _pos_embedding,
    L.Attention: _attention,
}
