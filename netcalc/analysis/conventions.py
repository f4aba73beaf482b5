"""Other tools' numbers for the same network: torchinfo, fvcore, ptflops, thop and Keras, exactly.

Each tool counts by its own rules; each convention below is one table of rules keyed by layer type,
applied to netcalc's rows. The rules describe what each tool reports for the PyTorch module that
`netcalc torch` writes (tests/test_conventions.py runs the tools on it and asserts equality).
Every tool here counts multiply-accumulates, whatever it calls them ("mult-adds", "flops", "Mac").
Read from torchinfo 1.8.0, fvcore 0.1.5.post20221221, ptflops 0.7.5 and thop 0.1.1 (PyTorch 2.13):

torchinfo  summary(model, input_size=(batch, *input)), eval mode, float32. Only modules that run
           count MACs and activation bytes, and only leaf modules (nn.MultiheadAttention has an
           out_proj child, so attention adds no MACs; GroupedAttention's four nn.Linear are
           leaves). A module class named *Conv*: (weight + bias) * batch * output positions (bias
           included); any other leaf with tensors named weight/bias: batch * (weight + bias) (a
           Linear on tokens counts one token); an RNN/LSTM/GRU: batch * L * every parameter, its
           output the whole sequence.
           Total params: every parameter of every leaf module (a tied one, `share:`, once per
           module that holds it); Non-trainable: those with requires_grad False (frozen:
           `trainable: false`; buffers are not counted).
           Input size: each input's bytes (int64 token ids: 8 each) + 64 (the storage's header);
           Forward/backward pass size: 2 * output bytes of each leaf layer with parameters;
           Params size: parameter bytes of the leaf layers that ran. Sizes in MB of 10^6 bytes.
fvcore     FlopCountAnalysis(model, x).total(), eval mode: per aten op: convolution (no bias),
           linear and matmul (no bias; matmul as prod(first input) * last axis of the second),
           batch_norm (2 * elements with affine, else 1), layer_norm, group_norm and
           instance_norm (5 * elements with affine, else 4), 2-D adaptive average pooling (input
           elements), 2-D nearest upsampling (output elements), 2-D bilinear (4 * output
           elements); every other op 0. Attention: its projections (linear), not its two products
           (scaled_dot_product_attention); GroupedAttention: both (two matmuls).
ptflops    get_model_complexity_info(model, input): batch 1; module hooks (conv with bias terms,
           linear with bias, pools and relu-likes on elements, batch, group and instance norm
           2 * elements (1 * without affine), layer norm 1 * elements, its own attention formula
           for the exact nn.MultiheadAttention only (netcalc's Attention subclass for windows,
           memories, masks and tables: 0); GroupedAttention: its four linear hooks) plus patched
           functionals: F.relu, F.gelu,
           F.elu, F.silu, F.prelu, F.softmax, the pooling and interpolate functionals and
           torch.matmul count again when a module calls them (nn.ReLU and nn.PReLU count twice).
           Params: every trainable one (requires_grad: frozen ones are left out), a tied one once
           per module that holds it.
           RNN/LSTM/GRU: L x directions x per layer the forward weights, both biases and 1, 10 or
           7 x units element-wise (not Keras's single-bias modules: custom, not hooked).
thop       profile(model, (x,)): module hooks by exact type only: conv (no bias), linear
           (in_features * output elements; GroupedAttention's four too), batch, layer and
           instance norms (2 * elements, 4 * with affine; group norm is not hooked), average
           pools (output elements), adaptive average pool ((window + 1) * output elements),
           softmax, upsample, PReLU (input elements in eval mode; not ElementPReLU, a custom
           module), RNN/LSTM/GRU (its _count_*_cell per step and direction; not the single-bias
           modules); params only of hooked modules that ran (not attention, tokens or scales).
keras      model.summary(): Total = trainable + non-trainable params; batch-norm moving statistics
           and frozen weights (layer.trainable = False) are non-trainable params. No MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any

from netcalc import layers as L
from netcalc.engine import Row
from netcalc.errors import UsageError
from netcalc.layers.sequence import ID_BYTES

NAMES = ("netcalc", "torchinfo", "fvcore", "ptflops", "thop", "keras")
FLOAT_BYTES = 4  # torchinfo, like the module, runs in float32
STORAGE_HEADER = 64  # sys.getsizeof(untyped_storage) - nbytes, CPython 3.11 on 64-bit Linux

CONVS = (L.Conv1d, L.Conv2d, L.Conv3d)
TRANSPOSED = (L.ConvTranspose1d, L.ConvTranspose2d, L.ConvTranspose3d)
MAX_POOLS = (L.MaxPool1d, L.MaxPool2d, L.MaxPool3d)
AVG_POOLS = (L.AvgPool1d, L.AvgPool2d, L.AvgPool3d)
ADAPTIVE = (L.AdaptiveAvgPool1d, L.AdaptiveAvgPool2d, L.AdaptiveAvgPool3d)
RECURRENT = (L.RNN, L.LSTM, L.GRU)


@dataclass(frozen=True, slots=True)
class ConventionResult:
    """A tool's totals for one network: exact figures, and the lines the tool prints."""

    convention: str
    network: str
    batch: int
    figures: dict[str, int | float]
    printed: dict[str, str]
    layers: tuple[dict[str, Any], ...] = ()  # per-layer figures, where the tool shows them

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        data: dict[str, Any] = {
            "convention": self.convention,
            "network": self.network,
            "batch": self.batch,
            "figures": dict(self.figures),
            "printed": dict(self.printed),
        }
        if self.layers:
            data["layers"] = [dict(layer) for layer in self.layers]
        return data


def check(name: str) -> str:
    """The convention's name, or a UsageError listing the known ones."""
    if name not in NAMES:
        raise UsageError(f"unknown convention '{name}': use one of {', '.join(NAMES)}")
    return name


def convention(name: str, report: Any) -> ConventionResult:
    """The totals `name` reports for the network of `report` (a netcalc Report) at its batch."""
    rows = report.rows
    batch = 1 if check(name) == "ptflops" else report.batch  # ptflops always builds a batch of 1
    figures, printed = COMPUTE[name](rows, batch, report)
    layers = _torchinfo_layers(rows, batch) if name == "torchinfo" else ()
    return ConventionResult(name, report.name, batch, figures, printed, layers)


def _ran(rows: tuple[Row, ...]) -> list[Row]:
    """The layers an eval-mode forward pass executes (training-only branches do not run)."""
    return [r for r in rows if not r.training_only]


def _layer(row: Row) -> Any:
    return row.layer


def _zero(row: Row) -> int:
    return 0


def _grouped(row: Row) -> bool:
    """Attention written as GroupedAttention: one nn.Linear child per projection (not MHA)."""
    layer = _layer(row)
    return isinstance(layer, L.Attention) and layer.form(row.input_shapes) == "separate"


def _projections(row: Row) -> tuple[tuple[str, tuple[int, ...], int, bool], ...]:
    """GroupedAttention's nn.Linear children: (name, output shape, in_features, bias), per sample."""
    layer = _layer(row)
    (*lead, n, d), (m, dm) = row.input_shapes[0], row.input_shapes[-1][-2:]
    inner, kv_inner = layer.widths(row.input_shapes)
    return (
        ("q_proj", (*lead, n, inner), d, layer.biased("q")),
        ("k_proj", (*lead, m, kv_inner), dm, layer.biased("k")),
        ("v_proj", (*lead, m, kv_inner), dm, layer.biased("v")),
        ("out_proj", (*lead, n, d), inner, layer.biased("out")),
    )


def _linear_params(shape: tuple[int, ...], features: int, bias: bool) -> int:
    return features * shape[-1] + (shape[-1] if bias else 0)


# --- netcalc and keras ---------------------------------------------------------------------------


def _netcalc(rows: tuple[Row, ...], batch: int, report: Any) -> tuple[dict[str, int | float], dict[str, str]]:
    t = report.totals
    figures: dict[str, int | float] = {
        "params": t.params,
        "non_trainable_state": t.state,
        "neurons": t.neurons,
        "macs": t.macs * batch,
        "activations": t.activations * batch,
        "memory_bytes": report.memory.total,
    }
    return figures, {k: f"{v:,}" for k, v in figures.items()}


def _keras(rows: tuple[Row, ...], batch: int, report: Any) -> tuple[dict[str, int | float], dict[str, str]]:
    t = report.totals
    figures: dict[str, int | float] = {
        "total_params": t.params + t.state,
        "trainable_params": t.trainable,
        "non_trainable_params": t.non_trainable,  # frozen weights and batch-norm statistics
    }
    names = {"total_params": "Total params", "trainable_params": "Trainable params"}
    names["non_trainable_params"] = "Non-trainable params"
    return figures, {names[k]: f"{v:,}" for k, v in figures.items()}


# --- torchinfo -----------------------------------------------------------------------------------


def _module_params(row: Row) -> int:
    """The parameters a tool finds on a layer's module: its own and those it shares (`share:`),
    as a tied Parameter shows on both modules (torchinfo, thop and ptflops count it twice)."""
    return row.counts.params + sum(row.shared_tensors.values())


def _module_trainable(row: Row, rows: tuple[Row, ...]) -> int:
    """The requires_grad part of _module_params: a shared Parameter is as trainable as its owner."""
    owner = next((r for r in rows if r.name == row.shares), None) if row.shares else None
    shared = sum(row.shared_tensors.values()) if owner is None or owner.trainable else 0
    return row.counts.trainable + shared


def _torchinfo_macs(row: Row, batch: int) -> int:
    """torchinfo's MACs of one leaf module: from its weight/bias tensors and output size."""
    layer, out = _layer(row), row.output_shape
    tensors = {**row.tensors, **row.shared_tensors}
    named = sum(n for name, n in tensors.items() if name in ("weight", "bias"))
    if isinstance(layer, RECURRENT):  # every parameter, once per step
        return batch * row.input_shapes[0][0] * row.counts.params
    if isinstance(layer, CONVS + TRANSPOSED):  # class name contains "Conv"
        return named * batch * prod(out[1:])
    return batch * named


def _torchinfo(
    rows: tuple[Row, ...], batch: int, report: Any
) -> tuple[dict[str, int | float], dict[str, str]]:
    leaves = _torchinfo_layers(rows, batch)
    params = sum(_module_params(r) for r in rows)  # the root's leftover adds what did not run
    frozen = params - sum(_module_trainable(r, rows) for r in rows)  # requires_grad False
    macs = sum(leaf["mult_adds"] for leaf in leaves)
    shapes = report.inputs or (("input", report.input_shape),)
    input_bytes = sum(
        _element_bytes(rows, name) * batch * prod(shape) + STORAGE_HEADER for name, shape in shapes
    )
    pass_bytes = sum(2 * FLOAT_BYTES * prod(leaf["output_shape"]) for leaf in leaves if leaf["params"])
    param_bytes = sum(FLOAT_BYTES * leaf["params"] for leaf in leaves)
    total = input_bytes + pass_bytes + param_bytes
    figures: dict[str, int | float] = {
        "total_params": params,
        "trainable_params": params - frozen,
        "non_trainable_params": frozen,
        "total_mult_adds": macs,
        "input_size_bytes": input_bytes,
        "forward_backward_pass_size_bytes": pass_bytes,
        "params_size_bytes": param_bytes,
        "estimated_total_size_bytes": total,
    }
    unit, value = _torchinfo_units(macs)
    printed = {
        "Total params": f"{params:,}",
        "Trainable params": f"{params - frozen:,}",
        "Non-trainable params": f"{frozen:,}",
        f"Total mult-adds ({unit})": value,
        "Input size (MB)": f"{input_bytes / 1e6:0.2f}",
        "Forward/backward pass size (MB)": f"{pass_bytes / 1e6:0.2f}",
        "Params size (MB)": f"{param_bytes / 1e6:0.2f}",
        "Estimated Total Size (MB)": f"{total / 1e6:0.2f}",
    }
    return figures, printed


def _element_bytes(rows: tuple[Row, ...], name: str = "input") -> int:
    """Bytes of one element of an input as PyTorch holds it: int64 when an embedding reads token ids."""
    ids = any(isinstance(_layer(r), L.Embedding) and name in r.inputs for r in rows)
    return ID_BYTES if ids else FLOAT_BYTES


def _module_output(row: Row) -> tuple[int, ...]:
    """The module's output shape: a recurrent module's is its whole sequence, whatever the spec
    takes from it (torchinfo sizes the first tensor a module returns)."""
    if isinstance(_layer(row), RECURRENT):
        return (row.input_shapes[0][0], row.output_shape[-1])
    return row.output_shape


def _torchinfo_layers(rows: tuple[Row, ...], batch: int) -> tuple[dict[str, Any], ...]:
    """torchinfo's rows for the leaf modules that ran: output shape, Param #, Mult-Adds.

    nn.MultiheadAttention is not a leaf (its out_proj is a child module that it does not call);
    GroupedAttention's four nn.Linear children are leaves, each a Linear on tokens."""
    leaves: list[dict[str, Any]] = []
    for r in _ran(rows):
        if _grouped(r):
            for name, shape, features, bias in _projections(r):
                params = _linear_params(shape, features, bias)
                leaves.append(
                    {
                        "layer": f"{r.name}.{name}",
                        "output_shape": [batch, *shape],
                        "params": params,
                        "mult_adds": batch * params,
                    }
                )
        elif not isinstance(_layer(r), L.Attention):
            leaves.append(
                {
                    "layer": r.name,
                    "output_shape": [batch, *_module_output(r)],
                    "params": _module_params(r),
                    "mult_adds": _torchinfo_macs(r, batch),
                }
            )
    return tuple(leaves)


def _torchinfo_units(macs: int) -> tuple[str, str]:
    """torchinfo's Units.AUTO: T, G or M, two decimals, or an integer when exact."""
    unit, factor = ("T", 1e12) if macs >= 1e12 else ("G", 1e9) if macs >= 1e9 else ("M", 1e6)
    value = macs / factor
    return unit, f"{int(value):,d}" if value.is_integer() else f"{value:,.2f}"


# --- fvcore --------------------------------------------------------------------------------------


def _fv_matmul(row: Row) -> int:
    a, b = row.input_shapes
    return prod(a) * b[-1]  # fvcore: prod(first input) * last axis of the second (batch outside)


def _fv_attention(row: Row) -> int:
    if _grouped(row):  # its linears and its two matmuls (q @ k^T, weights @ v): all of its MACs
        return row.counts.macs
    (*lead, n, _), m = row.input_shapes[0], row.input_shapes[-1][-2]
    inner: int = _layer(row).widths(row.input_shapes)[0]
    # the projections (aten::linear): everything but q.k and weights.v (SDPA is not counted)
    return row.counts.macs - prod(lead) * 2 * n * m * inner


def _fv_norm(affine: int, plain: int) -> Callable[[Row], int]:
    return lambda row: prod(row.input_shapes[0]) * (affine if _layer(row).affine else plain)


def _fv_upsample(row: Row) -> int:
    layer, out = _layer(row), row.output_shape
    if len(out) != 3:  # only the 2-D aten ops have handlers
        return 0
    return {"nearest": 1, "bilinear": 4}.get(layer.mode, 0) * prod(out)


def _fv_pool2d(row: Row) -> int:
    return prod(row.input_shapes[0]) if len(row.input_shapes[0]) == 3 else 0


FVCORE: dict[type, Callable[[Row], int]] = {
    **{cls: (lambda row: row.counts.macs) for cls in (*CONVS, *TRANSPOSED, L.Dense)},
    L.Matmul: _fv_matmul,
    L.Attention: _fv_attention,
    L.BatchNorm: _fv_norm(2, 1),  # eval mode
    L.LayerNorm: _fv_norm(5, 4),
    L.GroupNorm: _fv_norm(5, 4),
    L.InstanceNorm: _fv_norm(5, 4),
    L.Upsample: _fv_upsample,
    L.AdaptiveAvgPool2d: _fv_pool2d,
    L.GlobalAvgPool: _fv_pool2d,  # nn.AdaptiveAvgPool2d(1) for a 2-D input
}


def _fvcore(rows: tuple[Row, ...], batch: int, report: Any) -> tuple[dict[str, int | float], dict[str, str]]:
    total = batch * sum(FVCORE.get(type(_layer(r)), _zero)(r) for r in _ran(rows))
    return {"total": total}, {"total": f"{total:,}"}


# --- ptflops (batch 1) ---------------------------------------------------------------------------


def _in(row: Row) -> int:
    return prod(row.input_shapes[0])


def _out(row: Row) -> int:
    return prod(row.output_shape)


def _pt_conv(row: Row) -> int:
    layer = _layer(row)
    bias = prod(row.output_shape) if layer.bias else 0
    return row.counts.macs + bias  # ptflops' kernel * C_in * F/g per position equals netcalc's rule


def _pt_dense(row: Row) -> int:
    units: int = _layer(row).units
    bias = units if _layer(row).bias else 0
    return prod(row.input_shapes[0][:-1]) * (row.input_shapes[0][-1] * units + bias)


def _pt_attention(row: Row) -> int:
    """ptflops' hooks of netcalc's attention modules: nn.MultiheadAttention (self-attention on
    (N, D); ptflops hooks that exact type only) by its own formula; GroupedAttention by its
    nn.Linear hooks (bias terms included), its `@` and softmax unpatched; the Attention subclass
    (windows, memories, masks, tables) runs F.linear and scaled_dot_product_attention, which
    ptflops does not patch: 0."""
    if _grouped(row):
        return sum(prod(shape[:-1]) * _linear_params(shape, f, b) for _, shape, f, b in _projections(row))
    layer = _layer(row)
    if not layer.classic(row.input_shapes):
        return 0
    t, d = row.input_shapes[0]
    hd = d // layer.heads
    flops = t * d + 3 * t * d * d + (3 * t * d if layer.bias else 0)
    flops += layer.heads * (t * t * hd + t * t + t * t * hd)
    return int(flops + t * d * (d + 1))  # the output projection, bias term always


def _pt_interpolate(row: Row) -> int | float:
    """F.interpolate's functional hook: from size, or input elements * scale^axes."""
    layer, shape = _layer(row), row.input_shapes[0]
    if layer.size is not None:
        return prod(row.output_shape[1:]) * shape[0]
    if isinstance(layer.scale, tuple):  # np.prod(scales, dtype=int64) truncates each scale first
        return prod(shape) * prod(int(s) for s in layer.scale)
    value: int | float = prod(shape) * layer.scale ** (len(shape) - 1)
    return value


def _pt_same_pool(row: Row) -> int:
    """SamePool calls F.max_pool/avg_pool on the padded input (and, averaging, on padded ones)."""
    layer, shape = _layer(row), row.input_shapes[0]
    pads = layer.pads(shape[1:])
    padded = prod(n + a + b for n, (a, b) in zip(shape[1:], pads, strict=True))
    return int(shape[0] * padded + (0 if isinstance(layer, MAX_POOLS) else padded))


def _pt_pool(row: Row) -> int:
    if _layer(row).padding == "same":
        return _pt_same_pool(row)
    return 2 * _in(row)  # the module hook and F.*pool* each count the input


PT_CELL_EXTRA = {"rnn": 1, "gru": 7, "lstm": 10}  # element-wise operations per step, in units


def _pt_recurrent(row: Row) -> int:
    """ptflops' rnn_flops_counter_hook: the forward weights of each layer (times 2 directions),
    its element-wise operations and both biases, per step; not for Keras's single bias (a custom
    module it does not hook)."""
    layer = _layer(row)
    if layer.bias == "single":
        return 0
    steps, features = row.input_shapes[0]
    dirs, g, h = 2 if layer.bidirectional else 1, layer.gates, layer.units
    flops = 0
    for k in range(layer.layers):
        width = features if k == 0 else h * dirs
        flops += g * h * width + g * h * h + PT_CELL_EXTRA[layer.kind] * h + (2 * g * h if layer.bias else 0)
    return steps * dirs * flops


PT_FUSED = ("relu", "relu6", "elu", "gelu", "silu", "softmax")  # patched functionals

PTFLOPS: dict[type, Callable[[Row], int | float]] = {
    **{cls: _pt_conv for cls in (*CONVS, *TRANSPOSED)},
    L.Dense: _pt_dense,
    L.ReLU: lambda row: 2 * _out(row),  # nn.ReLU's hook and F.relu
    L.ELU: lambda row: 2 * _out(row),
    L.GELU: lambda row: 2 * _out(row),
    L.LeakyReLU: _out,  # F.leaky_relu is not patched
    L.ReLU6: _out,  # nn.ReLU6 calls F.hardtanh, not patched
    L.SiLU: _out,  # F.silu only (nn.SiLU has no module hook)
    L.PReLU: lambda row: _out(row) * (1 if _layer(row).slope_form == "element" else 2),  # F.prelu too
    L.Softmax: _in,  # F.softmax only
    **{cls: _pt_pool for cls in (*MAX_POOLS, *AVG_POOLS)},
    **{cls: lambda row: 2 * _in(row) for cls in (*ADAPTIVE, L.GlobalAvgPool, L.GlobalMaxPool)},
    **{
        cls: lambda row: _in(row) * (2 if _layer(row).affine else 1)
        for cls in (L.BatchNorm, L.GroupNorm, L.InstanceNorm)
    },
    L.LayerNorm: _in,  # nn.LayerNorm has no `affine` attribute: always 1 * elements
    L.Upsample: lambda row: _out(row) + _pt_interpolate(row),
    L.Matmul: lambda row: prod(row.input_shapes[0]) * row.input_shapes[1][-1],  # torch.matmul
    L.Attention: _pt_attention,
    **{cls: _pt_recurrent for cls in RECURRENT},
}


def _ptflops(rows: tuple[Row, ...], batch: int, report: Any) -> tuple[dict[str, int | float], dict[str, str]]:
    macs: float = 0
    for r in _ran(rows):
        macs += PTFLOPS.get(type(_layer(r)), _zero)(r)
        if getattr(_layer(r), "activation", None) in PT_FUSED:  # F.relu(...) in forward
            macs += _out(r)
    macs = int(macs)  # ptflops returns int(total)
    params = sum(_module_trainable(r, rows) for r in rows)  # requires_grad ones only
    return {"macs": macs, "params": params}, {
        "macs": _ptflops_text(macs, "Mac"),
        "params": _ptflops_text(params, ""),
    }


def _ptflops_text(value: int | float, unit: str) -> str:
    """ptflops' as_strings form: G/M/K with two decimals."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value // factor > 0:
            return f"{round(value / factor, 2)} {prefix}{unit}"
    return f"{value} {unit}".rstrip()


# --- thop ----------------------------------------------------------------------------------------


def _th_conv(row: Row) -> int:
    layer, shape = _layer(row), row.input_shapes[0]
    kernel = prod(layer.axes("kernel"))
    return int(prod(row.output_shape) * (shape[0] // layer.groups) * kernel)  # output-based, also transposed


def _th_norm(row: Row) -> int:
    return 2 * _in(row) * (2 if _layer(row).affine else 1)


def _th_adaptive(row: Row, batch: int) -> int:
    shape, out = row.input_shapes[0], row.output_shape
    window = 1.0
    for n, m in zip(shape[1:], out[1:], strict=True):
        window *= n / m
    return int((window + 1) * batch * prod(out))  # thop rounds the whole batch's figure


def _th_softmax(row: Row) -> int:
    shape = row.input_shapes[0]
    features = shape[_layer(row).axis]
    return int(prod(shape) // features * (3 * features - 1))


def _th_upsample(row: Row) -> int:
    return {"nearest": 1, "linear": 5, "bilinear": 11}.get(_layer(row).mode, 0) * _out(row)


def _th_cell(kind: str, features: int, h: int, bias: bool) -> int:
    """thop's _count_rnn_cell, _count_lstm_cell, _count_gru_cell: one step of one direction."""
    gate = (features + h) * h + h + (2 * h if bias else 0)
    if kind == "rnn":
        return gate
    if kind == "lstm":
        return 4 * gate + 3 * h + h
    return 2 * gate + (h + features) * h + h + (2 * h if bias else 0) + h + 3 * h


def _th_recurrent(row: Row) -> int:
    layer = _layer(row)
    steps, features = row.input_shapes[0]
    dirs = 2 if layer.bidirectional else 1
    widths = [features] + [layer.units * dirs] * (layer.layers - 1)
    return steps * dirs * sum(_th_cell(layer.kind, w, layer.units, bool(layer.bias)) for w in widths)


def _per_sample(rule: Callable[[Row], int]) -> Callable[[Row, int], int]:
    return lambda row, batch: batch * rule(row)


# hooked module types (exact) -> MACs per sample; their parameters count, nobody else's
_THOP: dict[type, Callable[[Row], int]] = {
    **{cls: _th_conv for cls in (*CONVS, *TRANSPOSED)},
    L.BatchNorm: _th_norm,
    L.LayerNorm: _th_norm,
    L.InstanceNorm: _th_norm,
    L.Softmax: _th_softmax,
    L.ReLU: lambda row: 0,
    L.ReLU6: lambda row: 0,
    L.LeakyReLU: lambda row: 0,
    L.PReLU: _out,  # count_prelu, in eval mode
    **{cls: lambda row: 0 for cls in (*MAX_POOLS, L.GlobalMaxPool, L.Dropout)},
    **{cls: _out for cls in AVG_POOLS},
    L.Dense: lambda row: row.input_shapes[0][-1] * _out(row),
    L.Upsample: _th_upsample,
    **{cls: _th_recurrent for cls in RECURRENT},
}
THOP: dict[type, Callable[[Row, int], int]] = {
    **{cls: _per_sample(rule) for cls, rule in _THOP.items()},
    **{cls: _th_adaptive for cls in (*ADAPTIVE, L.GlobalAvgPool)},
}


def _th_grouped(row: Row, batch: int) -> int:
    """GroupedAttention's nn.Linear children: in_features * output elements each."""
    return batch * sum(f * prod(shape) for _, shape, f, _ in _projections(row))


def _thop_hooked(row: Row) -> bool:
    layer = _layer(row)
    same = isinstance(layer, MAX_POOLS + AVG_POOLS) and layer.padding == "same"  # SamePool: a custom module
    single = isinstance(layer, RECURRENT) and layer.bias == "single"  # SingleBiasLSTM: a custom module
    element = isinstance(layer, L.PReLU) and layer.slope_form == "element"  # ElementPReLU: a custom module
    return type(layer) in THOP and not same and not single and not element


def _thop(rows: tuple[Row, ...], batch: int, report: Any) -> tuple[dict[str, int | float], dict[str, str]]:
    hooked = [r for r in _ran(rows) if _thop_hooked(r)]
    grouped = [r for r in _ran(rows) if _grouped(r)]
    macs = sum(THOP[type(_layer(r))](r, batch) for r in hooked) + sum(_th_grouped(r, batch) for r in grouped)
    params = sum(_module_params(r) for r in hooked) + sum(
        _linear_params(shape, f, b) for r in grouped for _, shape, f, b in _projections(r)
    )
    return {"macs": macs, "params": params}, {"macs": f"{macs:,}", "params": f"{params:,}"}


COMPUTE: dict[str, Callable[[tuple[Row, ...], int, Any], tuple[dict[str, int | float], dict[str, str]]]] = {
    "netcalc": _netcalc,
    "torchinfo": _torchinfo,
    "fvcore": _fvcore,
    "ptflops": _ptflops,
    "thop": _thop,
    "keras": _keras,
}
