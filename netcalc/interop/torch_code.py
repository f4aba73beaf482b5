"""PyTorch code from a spec: a readable nn.Module whose names, structure and forward follow the spec.

One attribute per layer, named after the layer; a block use is a sub-module (one class per distinct
block body), a repeated block use an nn.Sequential of its instances keyed '1', '2', ... (the spec's
instance names), so `state_dict()` keys are netcalc's layer paths plus the tensor name and the NumPy
backend's weights load unchanged. Shapes are static, so everything derived from them (input
channels, 'same' padding, the batch-norm rank) is written out as numbers.

`torch_source` is pure Python; `to_torch` imports torch and executes that same source, so the code a
user gets from `netcalc torch` and the module `netcalc.to_torch` returns are one thing.
"""

from __future__ import annotations

import keyword
import re
import types
from dataclasses import dataclass, field
from typing import Any

from netcalc import layers as L
from netcalc.engine import Row, rows
from netcalc.errors import NetcalcError, SpecError
from netcalc.graph import INPUT, Network, Node

INSTALL_HINT = "pip install 'netcalc[torch]'"

# nn.Module's own attributes (torch 2.13): a layer named like one would shadow a method
_MODULE_ATTRIBUTES = (
    "T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double "
    "dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule "
    "half ipu load_state_dict modules mtia named_buffers named_children named_modules named_parameters "
    "parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook "
    "register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook "
    "register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook "
    "register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict "
    "to to_empty train training type xpu zero_grad"
)
MODULE_ATTRIBUTES = frozenset(_MODULE_ATTRIBUTES.split())
TAKEN = frozenset({"x", "self", "torch", "nn", "F", "math", "OrderedDict"})

FUSED = {  # a layer's `activation:` argument, applied in forward
    "relu": "F.relu({})",
    "relu6": "F.relu6({})",
    "leaky_relu": "F.leaky_relu({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "F.softmax({}, dim=1)",
    "log_softmax": "F.log_softmax({}, dim=1)",
    "gelu": "F.gelu({})",
    "silu": "F.silu({})",
    "elu": "F.elu({})",
    "hardswish": "F.hardswish({})",
    "hardsigmoid": "F.hardsigmoid({})",
}

HELPERS = {
    "Add": '''class Add(nn.Module):
    """Element-wise sum of the inputs (a skip connection)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
''',
    "Multiply": '''class Multiply(nn.Module):
    """Element-wise product, sample axes aligned on the right (NumPy broadcasting per sample)."""

    def forward(self, *xs):
        rank = max(x.dim() for x in xs)
        out = None
        for x in xs:
            x = x.reshape(x.shape[0], *([1] * (rank - x.dim())), *x.shape[1:])
            out = x if out is None else out * x
        return out
''',
    "Concat": '''class Concat(nn.Module):
    """Concatenation along one axis."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)
''',
    "Matmul": '''class Matmul(nn.Module):
    """The matrix product of two activations (attention scores, attention-weighted values)."""

    def forward(self, a, b):
        return torch.matmul(a, b)
''',
    "Reshape": '''class Reshape(nn.Module):
    """Reshapes each sample."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
''',
    "Permute": '''class Permute(nn.Module):
    """Reorders the sample axes."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(0, *self.dims)
''',
    "Select": '''class Select(nn.Module):
    """One index along an axis, the axis dropped."""

    def __init__(self, dim, index):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        return x.select(self.dim, self.index)
''',
    "Slice": '''class Slice(nn.Module):
    """x[start:end] along one axis."""

    def __init__(self, dim, start, end):
        super().__init__()
        self.dim, self.start, self.end = dim, start, end

    def forward(self, x):
        return x[(slice(None),) * self.dim + (slice(self.start, self.end),)]
''',
    "SingleBias": '''class SingleBias:
    """Keras's LSTM and SimpleRNN: one bias per gate (bias_ih_l*); the recurrent bias is zero."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [n for n in self._flat_weights_names if n.startswith("bias_hh")]:
            delattr(self, name)

    def forward(self, x):
        for i, name in enumerate(self._flat_weights_names):
            if name.startswith("bias_hh"):
                self._flat_weights[i] = torch.zeros_like(getattr(self, name.replace("_hh", "_ih")))
        return super().forward(x)
''',
    "SingleBiasLSTM": '''class SingleBiasLSTM(SingleBias, nn.LSTM):
    """nn.LSTM with Keras's single bias."""
''',
    "SingleBiasRNN": '''class SingleBiasRNN(SingleBias, nn.RNN):
    """nn.RNN with Keras's single bias."""
''',
    "Pad": '''class Pad(nn.Module):
    """Constant padding; pads as F.pad takes them: the last axis's (before, after) first."""

    def __init__(self, pads, value):
        super().__init__()
        self.pads, self.value = pads, value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)
''',
    "CenterCrop": '''class CenterCrop(nn.Module):
    """Crops the spatial axes around the centre (torchvision's rounding)."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        index = [slice(None), slice(None)]
        for n, s in zip(x.shape[2:], self.size):
            top = int(round((int(n) - s) / 2.0))
            index.append(slice(top, top + s))
        return x[tuple(index)]
''',
    "StochasticDepth": '''class StochasticDepth(nn.Module):
    """Drops a whole residual branch per sample (row) or per batch in training (torchvision)."""

    def __init__(self, p, mode):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        shape = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        keep = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)
''',
    "ClassToken": '''class ClassToken(nn.Module):
    """Prepends one learned token to the sequence."""

    def __init__(self, dim):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], 1, -1), x], dim=1)
''',
    "PosEmbedding": '''class PosEmbedding(nn.Module):
    """Adds a learned embedding to every position."""

    def __init__(self, length, dim):
        super().__init__()
        self.embedding = nn.Parameter(torch.zeros(length, dim))

    def forward(self, x):
        return x + self.embedding[: x.shape[1]]
''',
    "LayerScale": '''class LayerScale(nn.Module):
    """A learned scale per channel (axis 1), and with bias a learned shift per channel after it."""

    def __init__(self, channels, init, bias=False):
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), init))
        self.bias = nn.Parameter(torch.zeros(channels)) if bias else None

    def forward(self, x):
        per_channel = (-1, *([1] * (x.dim() - 2)))
        y = x * self.scale.reshape(per_channel)
        return y if self.bias is None else y + self.bias.reshape(per_channel)
''',
    "ElementPReLU": '''class ElementPReLU(nn.Module):
    """PReLU with one slope per element of the sample (Keras's PReLU without shared axes)."""

    def __init__(self, shape, init=0.25):
        super().__init__()
        self.weight = nn.Parameter(torch.full(shape, init))

    def forward(self, x):
        # F.prelu takes one slope per channel (dim 1): here each element is a channel of its own
        return F.prelu(x.reshape(x.shape[0], -1), self.weight.reshape(-1)).view_as(x)
''',
    "logit_bias": '''def logit_bias(table, n, m, causal, like):
    """What attention adds to its scores (heads, n, m): the relative position bias, row (j - i) mod
    entries of the table for query i and key j (netcalc's witness index map), and -inf for key j > i."""
    bias = torch.zeros((1, n, m), dtype=like.dtype, device=like.device)
    if table is not None:
        index = (torch.arange(m, device=like.device)[None, :] - torch.arange(n, device=like.device)[:, None])
        bias = bias + table[index % table.shape[0]].permute(2, 0, 1)
    if causal:
        bias = bias + torch.full((n, m), float("-inf"), dtype=like.dtype, device=like.device).triu(1)
    return bias
''',
    "Attention": '''class Attention(nn.MultiheadAttention):
    """nn.MultiheadAttention on (N, ..., n, D), each leading index on its own, keys and values from
    a memory (N, ..., m, Dm) when given; a causal mask and a relative position bias table."""

    def __init__(self, dim, heads, memory_dim, causal=False, entries=None, **kwargs):
        other = memory_dim if memory_dim != dim else None
        super().__init__(dim, heads, kdim=other, vdim=other, batch_first=True, **kwargs)
        self.causal = causal
        if entries:
            self.relative_bias_table = nn.Parameter(torch.zeros(entries, heads))

    def forward(self, x, memory=None):
        memory = x if memory is None else memory
        q, kv = x.reshape(-1, *x.shape[-2:]), memory.reshape(-1, *memory.shape[-2:])
        mask = None
        if self.causal or hasattr(self, "relative_bias_table"):
            table = getattr(self, "relative_bias_table", None)
            bias = logit_bias(table, q.shape[1], kv.shape[1], self.causal, q)
            mask = bias.expand(q.shape[0], self.num_heads, -1, -1).reshape(-1, *bias.shape[1:])
        y = super().forward(q, kv, kv, need_weights=False, attn_mask=mask)[0]
        return y.reshape(x.shape)
''',
    "GroupedAttention": '''class GroupedAttention(nn.Module):
    """Attention with one Linear per projection on (N, ..., n, D), keys and values from a memory
    (N, ..., m, Dm) when given: kv_heads key/value heads, query head i reading key/value head
    i // (heads / kv_heads) (grouped-query attention), heads of any width, a bias on any projection."""

    def __init__(
        self, dim, heads, kv_heads, head_dim, memory_dim, biases, causal=False, entries=None, dropout=0.0
    ):
        super().__init__()
        self.heads, self.kv_heads, self.causal, self.dropout = heads, kv_heads, causal, dropout
        self.q_proj = nn.Linear(dim, heads * head_dim, bias="q" in biases)
        self.k_proj = nn.Linear(memory_dim, kv_heads * head_dim, bias="k" in biases)
        self.v_proj = nn.Linear(memory_dim, kv_heads * head_dim, bias="v" in biases)
        self.out_proj = nn.Linear(heads * head_dim, dim, bias="out" in biases)
        if entries:
            self.relative_bias_table = nn.Parameter(torch.zeros(entries, heads))

    def forward(self, x, memory=None):
        memory = x if memory is None else memory
        group = self.heads // self.kv_heads
        q = self.q_proj(x).unflatten(-1, (self.heads, -1)).transpose(-2, -3)  # (N, ..., h, n, d)
        k = self.k_proj(memory).unflatten(-1, (self.kv_heads, -1)).transpose(-2, -3)
        v = self.v_proj(memory).unflatten(-1, (self.kv_heads, -1)).transpose(-2, -3)
        k, v = k.repeat_interleave(group, dim=-3), v.repeat_interleave(group, dim=-3)
        scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
        table = getattr(self, "relative_bias_table", None)
        scores = scores + logit_bias(table, q.shape[-2], k.shape[-2], self.causal, q)
        weights = F.dropout(scores.softmax(-1), self.dropout, self.training)
        return self.out_proj((weights @ v).transpose(-2, -3).flatten(-2))
''',
    "SamePool": '''class SamePool(nn.Module):
    """TF/Keras SAME pooling: the odd pixel of padding after, averages over the real elements."""

    def __init__(self, mode, size, stride, pads):
        super().__init__()
        self.mode, self.size, self.stride, self.pads = mode, size, stride, pads

    def forward(self, x):
        pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[x.dim() - 2]
        if self.mode == "max":
            pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[x.dim() - 2]
            return pool(F.pad(x, self.pads, value=float("-inf")), self.size, self.stride)
        total = pool(F.pad(x, self.pads), self.size, self.stride)
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        return total / pool(F.pad(ones, self.pads), self.size, self.stride)
''',
}


@dataclass
class _Scope:
    """A block use (or one repeat of it), or the whole network: its direct items in order."""

    path: str
    block: str | None
    repeat: int | None
    items: list[Node | _Scope] = field(default_factory=list)

    def nodes(self) -> list[Node]:
        """Every node inside, in order."""
        found: list[Node] = []
        for item in self.items:
            found.extend(item.nodes() if isinstance(item, _Scope) else [item])
        return found


@dataclass
class _Code:
    """The source being written: helper classes used, block classes by body, names taken."""

    helpers: set[str] = field(default_factory=set)
    classes: dict[str, str] = field(default_factory=dict)  # body -> class name
    order: list[str] = field(default_factory=list)  # class sources, dependencies first


def torch_source(network: Network) -> str:
    """The spec as the source of a Python module defining one nn.Module class per block and the network."""
    table = {row.index: row for row in rows(network)}
    root = _tree(network)
    code = _Code()
    top = _class_name(network.name or "Net", code)
    _scope_class(root, table, network, code, top)
    helpers = [HELPERS[name] for name in HELPERS if name in code.helpers]
    body = "\n\n".join([*helpers, *code.order]).rstrip() + "\n"
    imports = "from collections import OrderedDict\n\n" if "OrderedDict(" in body else ""
    imports += "import torch\n" if "torch." in body else ""
    imports += "import torch.nn.functional as F\n" if "F." in body else ""
    head = (
        f'"""{_doc(network.name)}: written by `netcalc torch` from {_doc(network.source)}.\n\n'
        f"Input: {_inputs_doc(network)}. Parameter names are the spec's layer paths.\n"
        f'"""\n\n{imports}from torch import nn\n'
    )
    return head + "\n\n" + body


def _doc(text: str) -> str:
    """Spec text (its name, its path) made safe inside a docstring of the written module: one line,
    printable, backslashes and double quotes escaped, so it cannot close the docstring."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    return flat.replace("\\", "\\\\").replace('"', '\\"')


def _inputs_doc(network: Network) -> str:
    """'a batch of [3, 32, 32] samples', or each named input's batch; token ids say so."""
    whats = {i: "token ids (int64)" if i in network.token_ids else "samples" for i in network.input_nodes}
    if network.spec.inputs is None:
        return f"a batch of {list(network.input)} {whats[INPUT]}"
    return "batches of " + ", ".join(
        f"{name} {list(shape)} {whats[i]}" for i, (name, shape) in network.input_nodes.items()
    )


def to_torch(source: Any) -> Any:
    """The spec as a torch.nn.Module (imports torch; `pip install 'netcalc[torch]'`)."""
    from netcalc.loading import load

    try:
        import torch  # noqa: F401
    except ImportError:
        raise NetcalcError(f"netcalc.to_torch needs PyTorch: {INSTALL_HINT}") from None
    network = load(source)
    text = torch_source(network)
    module = types.ModuleType(f"netcalc_torch_{_identifier(network.name or 'net')}")
    exec(compile(text, f"<netcalc torch {network.name}>", "exec"), module.__dict__)  # our own source
    return getattr(module, _class_name(network.name or "Net", _Code()))()


def module_paths(network: Network) -> dict[str, str]:
    """Each layer's path -> its module's dotted name in the PyTorch module (the state_dict prefix)."""
    found: dict[str, str] = {}

    def walk(scope: _Scope, prefix: str) -> None:
        used: set[str] = set()
        if not scope.path and network.spec.inputs is not None:  # forward's parameters come first
            for name in network.inputs:
                _attribute(name, used)
        for item in scope.items:
            attr = _attribute(_local(item.path, scope), used)
            if not isinstance(item, _Scope):
                found[item.path] = prefix + attr
            elif item.repeat is None:
                walk(item, f"{prefix}{attr}.")
            else:
                for instance in item.items:
                    if isinstance(instance, _Scope):
                        walk(instance, f"{prefix}{attr}.{_local(instance.path, item)}.")

    walk(_tree(network), "")
    return found


# --- the tree of scopes ------------------------------------------------------------------------


def _tree(network: Network) -> _Scope:
    """Block uses as nested scopes; a repeated use holds its instances."""
    root = _Scope("", None, None)
    groups = {g.path: g for g in network.groups}
    scopes: dict[str, _Scope] = {}
    for node in network.nodes:
        parent = root
        for path in node.groups:
            if path not in scopes:
                group = groups[path]
                scopes[path] = _Scope(path, group.block, group.repeat)
                parent.items.append(scopes[path])
            parent = scopes[path]
        parent.items.append(node)
    return root


def _local(path: str, scope: _Scope) -> str:
    return path[len(scope.path) + 1 :] if scope.path else path


def _identifier(name: str) -> str:
    """A Python identifier for a spec name: other characters become '_'; leading underscores become
    one (in a class, `self.__x` is name-mangled and `__init__` is Python's own)."""
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    if ident.startswith("__"):
        ident = "_" + ident.lstrip("_")
    return ident


def _attribute(name: str, used: set[str]) -> str:
    """An attribute name for a layer, unique in its module, never one of nn.Module's own."""
    ident = _identifier(name)
    while ident in MODULE_ATTRIBUTES or ident in TAKEN or keyword.iskeyword(ident) or ident in used:
        ident += "_"
    used.add(ident)
    return ident


def _class_name(name: str, code: _Code) -> str:
    base = "".join(part[:1].upper() + part[1:] for part in re.split(r"[\W_]+", name) if part) or "Net"
    if base[0].isdigit():
        base = "Net" + base
    base = base if base not in HELPERS else base + "Block"
    taken = set(code.classes.values())
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


# --- classes -----------------------------------------------------------------------------------


def _scope_class(scope: _Scope, table: dict[int, Row], network: Network, code: _Code, name: str) -> str:
    """The class of one scope (writing its sub-scopes' classes first); returns the class name."""
    init: list[str] = []
    forward: list[str] = []
    used: set[str] = set()
    nodes = scope.nodes()
    reads = _reads(scope, nodes)
    if not scope.path and network.spec.inputs is not None:  # named inputs: forward(self, tokens, image)
        reads = list(network.input_nodes)
        params = [_attribute(name, used) for name in network.inputs]
    else:
        params = ["x"] + [f"x{i}" for i in range(2, len(reads) + 1)]
    values = dict(zip(reads, params, strict=True))
    all_training = all(n.training_only for n in nodes)
    for item in scope.items:
        if isinstance(item, _Scope):
            attr = _attribute(_local(item.path, scope), used)
            module, call, sub_nodes = _scope_use(item, attr, values, table, network, code)
            init.append(f"self.{attr} = {module}")
            training = all(n.training_only for n in sub_nodes)
            out = sub_nodes[-1].index
        else:
            attr = _attribute(_local(item.path, scope), used)
            module, template = _layer(item.layer, table[item.index], code)
            if not item.trainable and table[item.index].tensors:  # frozen: `trainable: false`
                module += ".requires_grad_(False)"
            init.append(f"self.{attr} = {module}")
            args = ", ".join(_value(values, i, item, network) for i in item.inputs)
            call = template.format(f"self.{attr}", args)
            training, out = item.training_only, item.index
        if training and not all_training:  # an auxiliary branch: run in training only
            forward.append(f"{attr} = None\n        if self.training:\n            {attr} = {call}")
        else:
            forward.append(f"{attr} = {call}")
        values[out] = attr
    if not scope.path:
        init.extend(_ties(network, table))
    forward.append(f"return {_returned(scope, values, nodes, network)}")
    body = _class_body(scope, network, init, forward, params)
    if body in code.classes:
        return code.classes[body]
    name = _class_name(name, code)
    code.classes[body] = name
    code.order.append(f"class {name}(nn.Module):\n" + body)
    return name


def _class_body(
    scope: _Scope, network: Network, init: list[str], forward: list[str], params: list[str]
) -> str:
    what = f"Block '{scope.block}'" if scope.block else f"The network '{_doc(network.name)}'"
    doc = f'    """{what}."""\n\n'
    lines = "".join(f"        {line}\n" for line in init)
    steps = "".join(f"        {line}\n" for line in forward)
    head = f"    def __init__(self):\n        super().__init__()\n{lines}\n"
    return f"{doc}{head}    def forward(self, {', '.join(params)}):\n{steps}"


def _scope_use(
    scope: _Scope, attr: str, values: dict[int, str], table: dict[int, Row], network: Network, code: _Code
) -> tuple[str, str, list[Node]]:
    """(constructor, forward call, nodes) of a block use: its class, or a Sequential of its repeats."""
    nodes = scope.nodes()
    args = ", ".join(_value(values, i, nodes[0], network) for i in _reads(scope, nodes))
    if scope.repeat is None:
        cls = _scope_class(scope, table, network, code, scope.block or "Block")
        return f"{cls}()", f"self.{attr}({args})", nodes
    instances = [item for item in scope.items if isinstance(item, _Scope)]
    classes = [_scope_class(item, table, network, code, scope.block or "Block") for item in instances]
    names = [_local(item.path, scope) for item in instances]
    if len(set(classes)) == 1 and names == [str(i) for i in range(1, len(names) + 1)]:
        module = f"nn.Sequential(OrderedDict((str(i), {classes[0]}()) for i in range(1, {len(names) + 1})))"
    else:
        module = (
            "nn.Sequential(OrderedDict(["
            + ", ".join(f'("{n}", {c}())' for n, c in zip(names, classes, strict=True))
            + "]))"
        )
    if all(len(_reads(item, item.nodes())) == 1 for item in instances):
        return module, f"self.{attr}({args})", nodes
    # instances that also read values from outside are called one by one with them
    calls, inner = [], dict(values)
    for k, item in enumerate(instances):
        sub = item.nodes()
        given = ", ".join(_value(inner, i, sub[0], network) for i in _reads(item, sub))
        inner[sub[-1].index] = f"self.{attr}[{k}]({given})"
        calls.append(inner[sub[-1].index])
    return module, calls[-1], nodes


def _ties(network: Network, table: dict[int, Row]) -> list[str]:
    """`share:` as PyTorch writes tied weights: the sharer's parameter is the owner's Parameter."""
    paths = module_paths(network) if any(n.shares is not None for n in network.nodes) else {}
    lines = []
    for node in network.nodes:
        row = table[node.index]
        for name in row.shared_tensors:
            mine, owner = _submodule(paths[node.path]), _submodule(paths[str(row.shares)])
            lines.append(f"{mine}.{name} = {owner}.{name}  # share: {row.shares}")
    return lines


def _submodule(dotted: str) -> str:
    """The expression of a module by its dotted name, from the network's own class."""
    return f"self.{dotted}" if "." not in dotted else f"self.get_submodule({dotted!r})"


def _returned(scope: _Scope, values: dict[int, str], nodes: list[Node], network: Network) -> str:
    """What a scope's forward returns: its last value; the network's declared outputs, as a tuple."""
    if scope.path or not network.declared:
        return values[nodes[-1].index]
    for index in network.outputs:
        if index not in values:
            node = network.nodes[index]
            raise SpecError(
                f"{network.where(('outputs',))}: outputs: '{node.path}' is inside block "
                f"'{node.groups[0]}'; PyTorch code keeps a block's inner values private — "
                "list the block's output instead"
            )
    returned = [values[i] for i in network.outputs]
    return returned[0] if len(returned) == 1 else ", ".join(returned)


def _reads(scope: _Scope, nodes: list[Node]) -> list[int]:
    """The values a scope reads from outside, in order of first use: its input first."""
    if not scope.path:
        return [INPUT]
    inside = {n.index for n in nodes}
    return list(dict.fromkeys(i for n in nodes for i in n.inputs if i not in inside))


def _value(values: dict[int, str], index: int, node: Node, network: Network) -> str:
    if index not in values:
        source = network.nodes[index].path
        raise SpecError(
            f"{node.where}: layer '{node.path}' reads '{source}' from inside another block; "
            "PyTorch code keeps a block's inner values private — make it the block's output"
        )
    return values[index]


# --- layers ------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    return repr(tuple(value)) if isinstance(value, list | tuple) else repr(value)


def _dim(axis: int) -> int:
    """A sample axis as a tensor dim: batch first."""
    return axis + 1 if axis >= 0 else axis


def _pad_arg(pads: tuple[tuple[int, int], ...]) -> str:
    """F.pad's order: last axis first."""
    return repr(tuple(p for pair in reversed(pads) for p in pair))


def _fused(template: str, activation: str | None) -> str:
    return FUSED[activation].format(template) if activation else template


def _layer(layer: L.Layer, row: Row, code: _Code) -> tuple[str, str]:
    """(constructor expression, forward template: {0} the module, {1} its inputs, comma-separated)."""
    shapes = row.input_shapes
    shape = shapes[0]
    rank = len(shape) - 1
    if isinstance(layer, L.Dense):
        module = f"nn.Linear({shape[-1]}, {layer.units}{_kw(bias=(layer.bias, True))})"
        return module, _fused("{0}({1})", layer.activation)
    if isinstance(layer, L.Conv):
        return _conv(layer, shape, rank)
    if isinstance(layer, L.ConvTranspose):
        return _conv_transpose(layer, shape, rank)
    if isinstance(layer, L.MaxPool | L.AvgPool):
        return _pool(layer, shape, rank, code)
    if type(layer) in RECURRENT:
        return _recurrent(layer, shape, code)
    simple = _simple(layer, shape, rank, code, shapes)
    if simple is not None:
        return simple
    raise NetcalcError(f"PyTorch code for layer type '{layer.kind}' is not written yet")


def _kw(**values: tuple[Any, Any]) -> str:
    """Keyword arguments that differ from PyTorch's defaults, as ', name=value' text."""
    return "".join(f", {k}={_fmt(v)}" for k, (v, default) in values.items() if v != default)


def _conv(layer: Any, shape: tuple[int, ...], rank: int) -> tuple[str, str]:
    pads = layer.pads(shape[1:])
    symmetric = all(a == b for a, b in pads)
    padding = tuple(a for a, _ in pads) if symmetric else (0,) * rank
    ones, zeros = (1,) * rank, (0,) * rank
    module = (
        f"nn.Conv{rank}d({shape[0]}, {layer.filters}, {_fmt(layer.axes('kernel'))}"
        + _kw(
            stride=(layer.axes("stride"), ones),
            padding=(padding, zeros),
            dilation=(layer.axes("dilation"), ones),
            groups=(layer.groups, 1),
            bias=(layer.bias, True),
        )
        + ")"
    )
    call = "{0}({1})" if symmetric else "{0}(F.pad({1}, " + _pad_arg(pads) + "))"
    return module, _fused(call, layer.activation)


def _conv_transpose(layer: Any, shape: tuple[int, ...], rank: int) -> tuple[str, str]:
    ones, zeros = (1,) * rank, (0,) * rank
    module = (
        f"nn.ConvTranspose{rank}d({shape[0]}, {layer.filters}, {_fmt(layer.axes('kernel'))}"
        + _kw(
            stride=(layer.axes("stride"), ones),
            padding=(layer.axes("padding"), zeros),
            output_padding=(layer.axes("output_padding"), zeros),
            groups=(layer.groups, 1),
            bias=(layer.bias, True),
            dilation=(layer.axes("dilation"), ones),
        )
        + ")"
    )
    return module, _fused("{0}({1})", layer.activation)


def _pool(layer: Any, shape: tuple[int, ...], rank: int, code: _Code) -> tuple[str, str]:
    size, stride = layer.axes("size"), layer.axes("stride")
    is_max = isinstance(layer, L.MaxPool)
    if layer.padding == "same":
        code.helpers.add("SamePool")
        pads = _pad_arg(layer.pads(shape[1:]))
        mode = "max" if is_max else "avg"
        return f'SamePool("{mode}", {_fmt(size)}, {_fmt(stride)}, {pads})', "{0}({1})"
    padding = (0,) * rank if layer.padding == "valid" else layer.axes("padding")
    rest = _kw(stride=(stride, size), padding=(padding, (0,) * rank))
    if is_max:
        rest += _kw(dilation=(layer.axes("dilation"), (1,) * rank), ceil_mode=(layer.ceil_mode, False))
        return f"nn.MaxPool{rank}d({_fmt(size)}{rest})", "{0}({1})"
    rest += _kw(ceil_mode=(layer.ceil_mode, False), count_include_pad=(layer.count_include_pad, True))
    return f"nn.AvgPool{rank}d({_fmt(size)}{rest})", "{0}({1})"


ACTIVATION_MODULES = {
    L.ReLU: "nn.ReLU()",
    L.ReLU6: "nn.ReLU6()",
    L.Sigmoid: "nn.Sigmoid()",
    L.Tanh: "nn.Tanh()",
    L.SiLU: "nn.SiLU()",
    L.Hardswish: "nn.Hardswish()",
    L.Hardsigmoid: "nn.Hardsigmoid()",
    L.Flatten: "nn.Flatten()",
    L.Add: "Add()",
    L.Multiply: "Multiply()",
    L.Matmul: "Matmul()",
}


def _simple(
    layer: Any, shape: tuple[int, ...], rank: int, code: _Code, shapes: tuple[tuple[int, ...], ...] = ()
) -> tuple[str, str] | None:
    """Layers whose module needs no more than its own arguments and the input shape."""
    one = "{0}({1})"
    if type(layer) in ACTIVATION_MODULES:
        module = ACTIVATION_MODULES[type(layer)]
        if not module.startswith("nn."):
            code.helpers.add(module[:-2])
        return module, one
    modules: dict[type, Any] = {
        L.LeakyReLU: lambda: f"nn.LeakyReLU({layer.negative_slope!r})",
        L.PReLU: lambda: _prelu(layer, shape, code),
        L.Softmax: lambda: f"nn.Softmax(dim={_dim(layer.axis)})",
        L.LogSoftmax: lambda: f"nn.LogSoftmax(dim={_dim(layer.axis)})",
        L.RMSNorm: lambda: (
            f"nn.RMSNorm({shape[-1]}, eps={layer.eps!r}" + _kw(elementwise_affine=(layer.affine, True)) + ")"
        ),
        L.GroupNorm: lambda: (
            f"nn.GroupNorm({layer.groups}, {shape[0]}"
            + _kw(eps=(layer.eps, 1e-5), affine=(layer.affine, True))
            + ")"
        ),
        L.InstanceNorm: lambda: _instancenorm(layer, shape),
        L.GELU: lambda: f'nn.GELU(approximate="{layer.approximate}")',
        L.ELU: lambda: f"nn.ELU(alpha={layer.alpha!r})",
        L.Dropout: lambda: f"nn.Dropout({layer.rate!r})",
        L.BatchNorm: lambda: _batchnorm(layer, shape),
        L.LayerNorm: lambda: (
            f"nn.LayerNorm({_fmt(shape[-layer.dims :])}"
            + _kw(eps=(layer.eps, 1e-5), elementwise_affine=(layer.affine, True))
            + ")"
        ),
        L.AdaptiveAvgPool1d: lambda: f"nn.AdaptiveAvgPool1d({_fmt(layer.size)})",
        L.AdaptiveAvgPool2d: lambda: f"nn.AdaptiveAvgPool2d({_fmt(layer.size)})",
        L.AdaptiveAvgPool3d: lambda: f"nn.AdaptiveAvgPool3d({_fmt(layer.size)})",
        L.GlobalAvgPool: lambda: _global(rank, "Avg"),
        L.GlobalMaxPool: lambda: _global(rank, "Max"),
        L.Upsample: lambda: _upsample(layer),
        L.ChannelShuffle: lambda: f"nn.ChannelShuffle({layer.groups})",
        L.Embedding: lambda: f"nn.Embedding({layer.vocab}, {layer.dim})",
    }
    helpers: dict[type, Any] = {
        L.Concat: lambda: f"Concat(dim={_dim(layer.axis)})",
        L.Reshape: lambda: f"Reshape({_fmt(layer.shape)})",
        L.Permute: lambda: f"Permute({_fmt(tuple(d + 1 for d in layer.dims))})",
        L.Select: lambda: f"Select({layer.axis + 1}, {layer.index})",
        L.Slice: lambda: f"Slice({layer.axis + 1}, {layer.start}, {layer.end})",
        L.CenterCrop: lambda: (
            f"CenterCrop({_fmt(layer.size if isinstance(layer.size, tuple) else (layer.size,) * rank)})"
        ),
        L.StochasticDepth: lambda: f'StochasticDepth({layer.rate!r}, "{layer.mode}")',
        L.Pad: lambda: f"Pad({_pad_arg(layer.pairs(shape))}, {layer.value!r})",
        L.ClassToken: lambda: f"ClassToken({shape[-1]})",
        L.PosEmbedding: lambda: f"PosEmbedding({layer.length or shape[0]}, {shape[1]})",
        L.LayerScale: lambda: f"LayerScale({shape[0]}, {layer.init!r}{', bias=True' if layer.bias else ''})",
    }
    if isinstance(layer, L.Attention):
        return _attention(layer, shapes, code)
    if type(layer) in modules:
        return modules[type(layer)](), one
    if type(layer) in helpers:
        module = helpers[type(layer)]()
        code.helpers.add(module.split("(")[0])
        return module, one
    return None


def _attention(layer: Any, shapes: tuple[tuple[int, ...], ...], code: _Code) -> tuple[str, str]:
    """nn.MultiheadAttention as is for self-attention on (N, T, D); its subclass Attention for
    memories, leading axes, masks and relative bias; GroupedAttention for one Linear per projection."""
    d, memory = shapes[0][-1], shapes[-1][-1]
    rest = _kw(dropout=(layer.dropout, 0.0))
    extra = _kw(causal=(layer.causal, False), entries=(layer.relative_bias, None))
    form = layer.form(shapes)
    if form == "separate":
        inner, kv_inner = layer.widths(shapes)
        width = inner // layer.heads
        biases = [p for p in ("q", "k", "v", "out") if layer.biased(p)]
        code.helpers.update(("GroupedAttention", "logit_bias"))
        sizes = f"{d}, {layer.heads}, {kv_inner // width}, {width}, {memory}"
        module = f"GroupedAttention({sizes}, {biases!r}{extra}{rest})"
        return module, "{0}({1})"
    bias = _kw(bias=(layer.bias, True))
    if layer.classic(shapes):  # self-attention: query = key = value
        module = f"nn.MultiheadAttention({d}, {layer.heads}{rest}{bias}, batch_first=True)"
        return module, "{0}({1}, {1}, {1}, need_weights=False)[0]"
    code.helpers.update(("Attention", "logit_bias"))
    return f"Attention({d}, {layer.heads}, {memory}{extra}{rest}{bias})", "{0}({1})"


def _prelu(layer: Any, shape: tuple[int, ...], code: _Code) -> str:
    """nn.PReLU(1) or nn.PReLU(C); one slope per element: ElementPReLU, slopes of the sample's shape."""
    init = _kw(init=(layer.init, 0.25))
    if layer.slope_form != "element":
        return f"nn.PReLU({layer.slopes(shape)[0]}{init})"
    code.helpers.add("ElementPReLU")
    return f"ElementPReLU({_fmt(layer.slopes(shape))}{init})"


def _batchnorm(layer: Any, shape: tuple[int, ...]) -> str:
    rank = max(len(shape) - 1, 1)
    if rank > 3:
        raise NetcalcError(f"PyTorch has no batch norm over {rank} spatial axes (input {list(shape)})")
    rest = _kw(eps=(layer.eps, 1e-5), momentum=(layer.momentum, 0.1), affine=(layer.affine, True))
    return f"nn.BatchNorm{rank}d({shape[0]}{rest})"


RECURRENT: dict[type[L.Layer], str] = {L.RNN: "RNN", L.LSTM: "LSTM", L.GRU: "GRU"}


def _recurrent(layer: Any, shape: tuple[int, ...], code: _Code) -> tuple[str, str]:
    """nn.RNN/LSTM/GRU, batch first; the final hidden states of the last layer, directions side by
    side, when return_sequences is false."""
    name = RECURRENT[type(layer)]
    cls = f"nn.{name}"
    if layer.bias == "single":
        code.helpers.update({"SingleBias", f"SingleBias{name}"})
        cls = f"SingleBias{name}"
    rest = _kw(num_layers=(layer.layers, 1), bias=(bool(layer.bias), True))
    if isinstance(layer, L.RNN):
        rest += _kw(nonlinearity=(layer.nonlinearity, "tanh"))
    rest += ", batch_first=True" + _kw(bidirectional=(layer.bidirectional, False))
    module = f"{cls}({shape[-1]}, {layer.units}{rest})"
    if layer.return_sequences:
        return module, "{0}({1})[0]"
    final = "[1][0]" if isinstance(layer, L.LSTM) else "[1]"  # h_n: (layers * dirs, N, H)
    dirs = 2 if layer.bidirectional else 1
    return module, "{0}({1})" + final + f"[-{dirs}:].transpose(0, 1).flatten(1)"


def _instancenorm(layer: Any, shape: tuple[int, ...]) -> str:
    rank = len(shape) - 1
    if not 1 <= rank <= 3:
        raise NetcalcError(f"PyTorch has no instance norm over {rank} spatial axes (input {list(shape)})")
    rest = _kw(eps=(layer.eps, 1e-5), affine=(layer.affine, False))
    return f"nn.InstanceNorm{rank}d({shape[0]}{rest})"


def _global(rank: int, op: str) -> str:
    if not 1 <= rank <= 3:
        raise NetcalcError(f"PyTorch has no global pooling over {rank} spatial axes")
    return f"nn.Adaptive{op}Pool{rank}d(1)"


def _upsample(layer: Any) -> str:
    what = f"size={_fmt(layer.size)}" if layer.size is not None else f"scale_factor={_fmt(layer.scale)}"
    corners = "" if layer.mode == "nearest" else f", align_corners={layer.align_corners}"
    return f'nn.Upsample({what}, mode="{layer.mode}"{corners})'
