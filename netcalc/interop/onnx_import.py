"""ONNX import: an .onnx model as a netcalc spec (a dict, written as YAML by `netcalc import`).

One layer per ONNX node, named after the node, each with an explicit `from:`; initializers give
the weight shapes (their data is never needed, so weight-free models work: stripped initializers,
or external data that is absent), the graph input gives the sample shape (the batch axis may be
symbolic), shape inference gives the shapes in between. A MatMul by a weight followed by the Add
of a bias is one dense layer, as PyTorch's Linear on tokens; a product of two activations is a
`matmul` layer. An operator netcalc does not know is an error listing every such operator with
its count and node names: never a silent zero.

Imports onnx (and through it NumPy) only when called: `pip install 'netcalc[onnx]'`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

from netcalc.errors import NetcalcError, SpecError
from netcalc.layers import BY_KIND, Layer
from netcalc.spec.model import MAX_SPEC_NAME
from netcalc.spec.read import read_bounded

MAX_BYTES = 2**31  # protobuf cannot hold a larger message; weights beyond it are external data
MAX_STDIN_BYTES = 2**28  # a model piped in is held in memory: 256 MiB; larger ones are read as files
MIN_OPSET, MAX_OPSET = 7, 23
INSTALL_HINT = "pip install 'netcalc[onnx]'"
PASS_THROUGH = ("Identity", "Dropout")
STRING = 8  # onnx.TensorProto.STRING (onnx is imported only when a model is read)
EXPORTER_GRAPHS = ("", "main_graph", "torch_jit", "tf2onnx")  # graph names that say no model: the file's
# PyTorch's exporter names the tensors it makes (a folded transpose of a weight) 'onnx::Op_N'. Its
# deduplication of equal initializers leaves an Identity per duplicate: one whose output has such
# a name is the same tensor read again (a module called twice); one named like a parameter
# ('layer2.bn1.weight') is a parameter of its own whose values happen to be equal (a fresh
# model's batch-norm ones and zeros), so it is counted.
EXPORTER_NAMED = "onnx::"
# PyTorch's dynamo exporter names nodes 'node_MatMul_1' and keeps each one's module path in its
# metadata: "['', 'h', 'h.0', 'h.0.attn', 'linear']" (the root, the modules, the call)
NAME_SCOPES = "pkg.torch.onnx.name_scopes"
# attention's tensors by role, at the end of an initializer's name (netcalc's '<layer>/<tensor>',
# PyTorch's '<module>.<tensor>'; Llama's code calls the output projection o_proj)
ROLE = re.compile(
    r"(in_proj_weight|in_proj_bias|[qkv]_proj_weight|[qkv]_proj\.weight|[qkv]_proj\.bias|"
    r"out_proj\.weight|out_proj\.bias|o_proj\.weight|o_proj\.bias|relative_bias_table)$"
)
SQRT_2, SQRT_2_PI, KAPPA = 2.0**0.5, (2.0 / 3.141592653589793) ** 0.5, 0.044715  # the GELUs' constants
SUBGRAPHS = ("Loop", "Scan", "If")  # control flow (tf2onnx's Keras GRU and SimpleRNN are a Loop)
FOLDABLE = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish", "Elu": "elu"}


def read_onnx(path: str | Path) -> dict[str, Any]:
    """The spec (a raw dict, validated by the caller) of the ONNX model at `path`."""
    path = Path(path)
    try:
        if not path.is_file():  # a directory, a device (/dev/zero), a pipe: never read unbounded
            raise SpecError(f"{path}: no such file, or not a regular file")
        with path.open("rb") as file:
            data = read_bounded(file, MAX_BYTES + 1)  # bounded: a larger file cannot be ONNX
    except OSError as error:
        raise SpecError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_onnx(data, path.name)


def parse_onnx(data: bytes, label: str) -> dict[str, Any]:
    """The spec of an ONNX model given as bytes (a file's, or stdin's); `label` names it in messages."""
    try:
        import onnx
    except ImportError:
        raise NetcalcError(f"reading ONNX models needs the onnx package: {INSTALL_HINT}") from None
    if len(data) > MAX_BYTES:
        raise SpecError(f"{label}: more than {MAX_BYTES:,} bytes, more than an ONNX file can hold")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as error:  # protobuf's DecodeError and friends: not ONNX, or cut short
        raise SpecError(
            f"{label}: not a readable ONNX model (truncated, or another format): {type(error).__name__}"
        ) from None
    if not model.graph.node:
        raise SpecError(f"{label}: not an ONNX model with a graph (no nodes)")
    return Importer(model, label).spec()


Made = dict[str, tuple[int, Any]]  # value -> (index, node) of the node that makes it
Users = dict[str, list[tuple[int, Any]]]  # value -> the (index, node) pairs reading it


@dataclass
class Value:
    """An activation: the layer that makes it ('input' for the graph input) and its sample shape."""

    ref: str
    shape: tuple[int, ...] | None


@dataclass
class Importer:
    """Walks an ONNX graph in dependency order, writing one spec entry per node."""

    model: Any
    label: str
    weights: dict[str, tuple[int, ...]] = field(default_factory=dict)  # initializer -> dims
    consts: dict[str, Any] = field(default_factory=dict)  # small constants with data -> values
    values: dict[str, Value] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # inferred, batch included
    layers: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    skip: set[int] = field(default_factory=set)  # nodes folded into an earlier layer
    shape_values: set[str] = field(default_factory=set)  # computed from shapes, not activations
    rewrite: dict[int, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)  # node -> layer
    initializers: set[str] = field(default_factory=set)
    origin: dict[str, str] = field(default_factory=dict)  # a weight read again -> its initializer
    owners: dict[str, str] = field(default_factory=dict)  # initializer -> the first layer that reads it
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # layer -> initializer -> tensor
    ids: dict[str, str] = field(default_factory=dict)  # ids mapped by arithmetic -> the ids themselves
    tensordot: dict[str, tuple[str, Any]] = field(default_factory=dict)  # MatMul out -> (x, Reshape back)
    made_by: dict[str, Any] = field(default_factory=dict)  # value -> the node that makes it
    made_at: dict[str, int] = field(default_factory=dict)  # value -> the first node (index) that makes it
    planned: dict[int, Callable[[Any], None]] = field(default_factory=dict)  # node -> writes its layers
    seq_first: set[str] = field(default_factory=set)  # graph inputs (L, N, F) read by a recurrent node

    def spec(self) -> dict[str, Any]:
        """The raw spec of the whole model."""
        graph = self.model.graph
        self._check_opset()
        for node in graph.node:  # another domain's operator is not the ONNX one of the same name
            if node.domain not in ("", "ai.onnx"):
                self.unknown.setdefault(f"{node.domain}.{node.op_type}", []).append(
                    node.name or node.output[0]
                )
        self._refuse_unknown()
        self._read_initializers()
        self._infer_shapes()
        from netcalc.interop import onnx_recurrent  # it builds on this module

        onnx_recurrent.weight_inputs(self)
        self.seq_first = onnx_recurrent.seq_first_inputs(self.model)
        samples = self._inputs()
        if not graph.output:
            raise SpecError(f"{self.label}: the graph has no outputs — export the model with its output")
        self._module_scopes()
        nodes = self._ordered()
        self.made_by = {out: node for node in nodes for out in node.output}
        for index, node in enumerate(nodes):
            for out in node.output:
                self.made_at.setdefault(out, index)
        consumers = Counter(name for node in nodes for name in node.input)
        self._patterns(nodes, consumers)
        onnx_recurrent.Recurrent(self, nodes, consumers).run()
        for index, node in enumerate(nodes):
            if index not in self.skip:
                self._node(index, node, nodes, consumers)
        self._refuse_unknown()
        outputs = self._outputs(samples)
        last = self.layers[-1]["_name"] if self.layers else None
        for entry in self.layers:
            del entry["_name"]
        name = graph.name if graph.name not in EXPORTER_GRAPHS else Path(self.label).stem
        spec: dict[str, Any] = {
            "name": _word(name)[:MAX_SPEC_NAME] or "imported",
            "description": f"imported from {self.label}",
        }
        if list(samples) == ["input"]:
            spec["input"] = list(samples["input"])
        else:
            spec["inputs"] = {k: list(v) for k, v in samples.items()}
        spec["layers"] = self.layers
        if outputs != [last]:  # the last layer is the output unless the graph says otherwise
            spec["outputs"] = outputs
        return spec

    def _refuse_unknown(self) -> None:
        if self.unknown:
            listed = "; ".join(
                f"{op} x{len(names)} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
                for op, names in sorted(self.unknown.items())
            )
            raise SpecError(f"{self.label}: operators netcalc cannot count: {listed}")

    def _outputs(self, samples: dict[str, tuple[int, ...]]) -> list[str]:
        """The layers that make the graph's outputs, in the graph's order."""
        refs = []
        for info in self.model.graph.output:
            out = self.values.get(info.name)
            if out is None or out.ref in samples or not self.layers:
                raise SpecError(f"{self.label}: the graph's output '{info.name}' is not made by a layer")
            refs.append(out.ref)
        return list(dict.fromkeys(refs))

    # --- reading --------------------------------------------------------------------------------

    def _module_scopes(self) -> None:
        """Name a node of PyTorch's dynamo exporter '<module>/<name>', as the TorchScript exporter
        scopes its nodes, so that layers are named after modules and patterns see a module's nodes."""
        for node in self.model.graph.node:
            scopes = next((p.value for p in node.metadata_props if p.key == NAME_SCOPES), "")
            path = re.findall(r"'([^'/]*)'", scopes[:4096])  # bounded: a hostile path is cut short
            if len(path) > 2 and path[-2] and "/" not in node.name:
                node.name = f"{path[-2]}/{node.name}"

    def _check_opset(self) -> None:
        versions = {o.domain: o.version for o in self.model.opset_import}
        version = versions.get("", versions.get("ai.onnx"))
        if version is None or not MIN_OPSET <= version <= MAX_OPSET:
            raise SpecError(
                f"{self.label}: opset {version} is not supported: "
                f"netcalc reads opsets {MIN_OPSET} to {MAX_OPSET}"
            )

    def _read_initializers(self) -> None:
        self.initializers = {tensor.name for tensor in self.model.graph.initializer}
        for tensor in self.model.graph.initializer:
            self.weights[tensor.name] = tuple(tensor.dims)
            small = 0 < len(tensor.dims) <= 1 and (tensor.dims[0] if tensor.dims else 1) <= 16
            if (small or not tensor.dims) and (tensor.raw_data or _has_data(tensor)):
                self.consts[tensor.name] = tensor_values(self.label, tensor).tolist()
        for node in self.model.graph.node:
            if node.op_type == "Constant":
                for attr in node.attribute:
                    if attr.name == "value":
                        self.consts[node.output[0]] = tensor_values(self.label, attr.t).tolist()
                        self.weights.setdefault(node.output[0], tuple(attr.t.dims))
                    elif attr.name in ("value_float", "value_int"):
                        self.consts[node.output[0]] = attr.f if attr.name == "value_float" else attr.i
                    elif attr.name in ("value_floats", "value_ints"):
                        self.consts[node.output[0]] = list(attr.floats or attr.ints)

    def _infer_shapes(self) -> None:
        import onnx

        try:
            inferred = onnx.shape_inference.infer_shapes(self.model)
        except Exception:  # shapes then come from the value_info the file holds
            inferred = self.model
        graph = inferred.graph
        for info in [*graph.value_info, *graph.output, *graph.input]:
            dims = info.type.tensor_type.shape.dim
            if info.type.tensor_type.HasField("shape"):
                self.shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims)

    def _inputs(self) -> dict[str, tuple[int, ...]]:
        """Each graph input's sample shape, by its spec name: 'input' for the one input."""
        inputs = [i for i in self.model.graph.input if i.name not in self.weights]
        if not inputs:
            raise SpecError(f"{self.label}: the graph has no inputs")
        samples = {}
        for info in inputs:
            if not info.type.HasField("tensor_type") or info.type.tensor_type.elem_type == STRING:
                raise SpecError(
                    f"{self.label}: input '{info.name}' is not a tensor of numbers (a string, a sequence "
                    "or a map) — netcalc counts networks of tensors: export the model after its "
                    "preprocessing (a tokenizer's ids, an image's pixels)"
                )
            shape = self.shapes.get(info.name)
            if shape and len(shape) == 3 and info.name in self.seq_first:
                shape = (shape[1], shape[0], shape[2])  # (L, N, F) read by a recurrent node: batch first
            if not shape or len(shape) < 2 or any(n <= 0 for n in shape[1:]):
                later = shape and shape[0] > 0 and shape[1] < 0  # (L, N, ...): a sequence-first model
                fix = "export batch first (batch_first=True)" if later else "export with a fixed sample shape"
                raise SpecError(
                    f"{self.label}: input '{info.name}' needs fixed sizes after the batch axis "
                    f"(got {list(shape or [])}) — {fix}"
                )
            name = "input" if len(inputs) == 1 else self._input_name(info.name)
            self.values[info.name] = Value(name, shape[1:])
            samples[name] = shape[1:]
        return samples

    def _input_name(self, given: str) -> str:
        """A word for a named input (spec input names are identifiers), unique among the names."""
        name = re.sub(r"\W+", "_", given).strip("_") or "input"
        if name[0].isdigit():
            name = f"input_{name}"
        while name in self.names:
            name += "_"
        self.names.add(name)
        return name

    def _ordered(self) -> list[Any]:
        """The nodes the output needs, each after the nodes it reads from (a cycle is an error)."""
        graph = self.model.graph
        producer = {out: node for node in graph.node for out in node.output if out}
        order: list[Any] = []
        state: dict[int, int] = {}  # 1: visiting, 2: done
        stack: list[tuple[Any, int]] = [(producer[o.name], 0) for o in graph.output if o.name in producer]
        while stack:
            node, i = stack.pop()
            key = id(node)
            if i == 0:
                if state.get(key) == 2:
                    continue
                state[key] = 1
            inputs = [n for n in node.input if n in producer]
            if i < len(inputs):
                stack.append((node, i + 1))
                before = producer[inputs[i]]
                if state.get(id(before)) == 1:
                    raise SpecError(
                        f"{self.label}: the graph has a cycle through node "
                        f"'{before.name or before.op_type}' — "
                        "ONNX graphs must be acyclic"
                    )
                if state.get(id(before)) != 2:
                    stack.append((before, 0))
                continue
            state[key] = 2
            order.append(node)
        known = set(producer) | {i.name for i in graph.input} | self.initializers
        for node in order:
            missing = next((n for n in node.input if n and n not in known), None)
            if missing is not None:
                raise SpecError(
                    f"{self.label}: node '{node.name or node.output[0]}' reads '{missing}', which no node, "
                    "initializer or graph input makes — the graph is cut short"
                )
        return order

    # --- one node -------------------------------------------------------------------------------

    def _node(self, index: int, node: Any, nodes: list[Any], consumers: Counter[str]) -> None:
        op = node.op_type
        if op == "Constant":
            return
        if index in self.planned:  # a layer a pattern decided on (a recurrent node and its layout)
            self.planned[index](node)
            return
        if index in self.rewrite:  # a decomposed activation (SiLU, GELU) as one layer
            kind, source, args = self.rewrite[index]
            if not self._fold_activation((kind, args), node, index, nodes, consumers, source):
                self._add(node, kind, {"_inputs": [source], **args}, [source])
                self.values[node.output[0]].shape = self.shape_of(source)  # these keep the shape
            return
        data = [n for n in node.input if n and n in self.values]
        if op == "Transpose" and node.input[0] in self.weights or (op in PASS_THROUGH and not data):
            self._alias(node)
            return
        if op == "Expand" and node.input[0] in self.weights:  # a class token, broadcast over the batch
            self.weights[node.output[0]] = self.weights[node.input[0]]
            return
        if op == "Gather" and node.input[0] in self.initializers and self._count(node.input[1]):
            rows = self._count(node.input[1]) or 0  # the first rows of a table (positions 0 .. T-1)
            self.weights[node.output[0]] = (rows, *self.weights[node.input[0]][1:])
            return
        if op in SUBGRAPHS:  # its body reads activations by name, not as inputs: never shape arithmetic
            self.unknown.setdefault(op, []).append(node.name or node.output[0])
            self.values[node.output[0]] = Value("input", None)
            return
        if self._shape_arithmetic(node):
            self.shape_values.update(node.output)
            return
        if not data and all(n in self.weights or n in self.consts for n in node.input if n):
            if op == "Concat" and all(n in self.consts for n in node.input):  # scales, sizes
                self.consts[node.output[0]] = [v for n in node.input for v in _listed(self.consts[n])]
            scalar = op == "Unsqueeze" and not isinstance(self.consts.get(node.input[0], []), list)
            if scalar:  # a scalar made a list of one: PyTorch's bounds of a slice x[:, :6]
                self.consts[node.output[0]] = [self.consts[node.input[0]]]
            for out in node.output:  # arithmetic on weights (a reshaped scale): still a weight
                inferred = self.shapes.get(out)
                if inferred is not None:
                    self.weights[out] = inferred
            return
        if op in PASS_THROUGH:  # an identity on activations: a layer that keeps the shape
            op = "Dropout"
        handler = HANDLERS.get(op)
        entry: Any = handler(self, node, index, nodes, consumers) if handler else None
        if entry is not None and self._fold_activation(entry, node, index, nodes, consumers):
            return
        if entry is None:
            self.unknown.setdefault(op, []).append(node.name or node.output[0])
            self.values[node.output[0]] = Value("input", None)  # keep walking to list every unknown op
            return
        kind, args = entry
        self._add(node, kind, args, data)

    def _add(self, node: Any, kind: str, args: dict[str, Any], data: list[str]) -> None:
        name = self._name(node, args.pop("_scope", ""))  # a folded pattern: the scope it fills
        ins, out = args.pop("_inputs", data), args.pop("_output", node.output[0])
        if not ins or any(n not in self.values for n in ins):  # a hostile graph: weights only
            raise SpecError(
                f"{self.label}: {node.op_type} node '{node.name or out}' reads no activation (its inputs "
                "are made from weights and constants only) — a layer needs the input's data"
            )
        refs = [self.values[n].ref for n in ins]
        made = [node] if out == node.output[0] else [node, self.made_by[out]]  # a dense's Add too
        read = [self.origin.get(n, n) for m in made for n in m.input if n in self.weights]
        weights = set(read)
        if _can_share(kind):
            args.update(self._share(read))
        for w in weights:
            self.owners.setdefault(w, name)
        # the tensor each initializer is: the main node's first weight, then the bias (Gemm's C,
        # Conv's B, the Add after a MatMul); a table read by Gather is an embedding's weight
        self.roles[name] = {w: "weight" if i == 0 else "bias" for i, w in enumerate(dict.fromkeys(read))}
        self.layers.append(
            {kind: {**args, "name": name, "from": refs if len(refs) > 1 else refs[0]}, "_name": name}
        )
        self.values[out] = Value(name, _sample(self.shapes.get(out)))

    def _share(self, read: list[str]) -> dict[str, Any]:
        """`share:` for a layer whose initializers some earlier layer read first (tied weights):
        all of them, or with share_tensors the ones that are (a weight shared, a bias of its own:
        PyTorch's `b.weight = a.weight`); nothing if they are several layers'."""
        mine = {w: "weight" if i == 0 else "bias" for i, w in enumerate(dict.fromkeys(read))}
        earlier = {self.owners[w] for w in mine if w in self.owners}
        if len(earlier) != 1:
            return {}
        owner = earlier.pop()
        theirs = self.roles.get(owner, {})
        taken = [role for w, role in mine.items() if w in self.owners]
        if any(theirs.get(w) != role for w, role in mine.items() if w in self.owners):
            return {}  # the same initializer as another tensor (a weight as a bias): not netcalc's sharing
        kept = set(mine.values()) - set(taken)
        if kept & set(theirs.values()):  # the owner has a tensor of the same name this layer keeps
            return {"share": owner, "share_tensors": taken}
        return {"share": owner}

    def _patterns(self, nodes: list[Any], consumers: Counter[str]) -> None:
        """SiLU (x * sigmoid(x)), the erf and tanh GELUs and RMSNorm, as exporters decompose them:
        one layer each."""
        made: Made = {out: (i, n) for i, n in enumerate(nodes) for out in n.output}
        users: Users = {}
        for i, n in enumerate(nodes):
            for name in n.input:
                users.setdefault(name, []).append((i, n))
        for i, node in enumerate(nodes):
            if node.op_type == "Sigmoid" and consumers[node.output[0]] == 1:
                j, mul = users[node.output[0]][0]
                if mul.op_type == "Mul" and set(mul.input) == {node.input[0], node.output[0]}:
                    self.skip.add(i)
                    self.rewrite[j] = ("silu", node.input[0], {})
            if node.op_type == "Erf":
                self._erf_gelu(i, node, made, users)
            if node.op_type == "Tanh":
                self._tanh_gelu(i, node, made, users)
            if node.op_type == "ReduceMean":
                self._rmsnorm(i, node, made, users)
            if node.op_type == "Reshape":
                self._shuffle(i, node, users)
            if node.op_type == "Gather":
                self._id_arithmetic(node, made, consumers)
            if node.op_type == "MatMul":
                self._tensordot(node, made, users)
            if node.op_type == "Reciprocal" and node.name:
                self._keras_layernorm(node, nodes, consumers)
            if node.op_type == "Softmax" and node.name:
                self._attention(node, nodes)

    def _keras_layernorm(self, reciprocal: Any, nodes: list[Any], consumers: Counter[str]) -> None:
        """Keras's LayerNormalization (last axis) as tf2onnx writes it, in its name scope: the mean
        and the variance as GlobalAveragePool of (N, T, D), Sub, Mul, Add of eps, Sqrt, Reciprocal,
        times gamma, and x * m + (beta - mean * m): one layernorm with gamma and beta (their (1, 1, D)
        initializers), on one input, the scope's last node its only output."""
        scope = _scope(reciprocal.name)
        inside = [(i, n) for i, n in enumerate(nodes) if n.name.startswith(scope + "/")]
        made = {out for _, n in inside for out in n.output}
        ops = Counter(n.op_type for _, n in inside)
        outside = {
            name
            for _, n in inside
            for name in n.input
            if name and name not in made and name not in self.initializers and name not in self.consts
        }
        weights = {w: self.weights[w] for _, n in inside for w in n.input if w in self.initializers}
        *_, (last, final) = inside
        leaving = [out for out in made if consumers[out] > sum(list(n.input).count(out) for _, n in inside)]
        if (
            ops["GlobalAveragePool"] != 2
            or ops["Sqrt"] != 1
            or len(outside) != 1
            or leaving != [final.output[0]]
        ):
            return
        x = outside.pop()
        shape = self.shapes.get(x)
        learned = [dims for w, dims in weights.items() if len(dims) > 0]
        if (
            shape is None
            or len(shape) != 3
            or any(prod(d) != shape[-1] or d[-1] != shape[-1] for d in learned)
        ):
            return  # GlobalAveragePool of (N, T, D) is over D only; gamma and beta are (.., D)
        if len(learned) not in (0, 2):
            return  # gamma without beta (or beta alone): netcalc's layernorm has both or neither
        eps = [self.consts[w] for w, dims in weights.items() if not dims and w in self.consts]
        args: dict[str, Any] = {"eps": _float32(float(_listed(eps[0])[0])) if len(eps) == 1 else 1e-3}
        if not learned:
            args["affine"] = False
        self.skip.update(i for i, _ in inside[:-1])
        self.rewrite[last] = ("layernorm", x, args)

    def _tensordot(self, matmul: Any, made: Made, users: Users) -> None:
        """Keras's Dense on tokens as tf2onnx writes it (Tensordot): Reshape (N, T, D) to (-1, D),
        MatMul by the (D, U) weight, Reshape back to (N, T, U), Add of the bias. The Reshapes are
        skipped; the MatMul is the dense on the tokens (its target checked when it is walked)."""
        first, dims = made.get(matmul.input[0]), self.weights.get(matmul.input[1])
        if first is None or first[1].op_type != "Reshape" or dims is None or len(dims) != 2:
            return
        i, reshape = first
        target = _listed(self.consts.get(reshape.input[1], []))
        full = self.shapes.get(reshape.input[0])
        if target != [-1, dims[0]] or not full or len(full) < 3 or full[-1] != dims[0]:
            return
        after = users.get(matmul.output[0], [])
        if len(users.get(reshape.output[0], [])) != 1 or len(after) != 1 or after[0][1].op_type != "Reshape":
            return
        self.skip.update((i, after[0][0]))
        self.tensordot[matmul.output[0]] = (reshape.input[0], after[0][1])

    def _id_arithmetic(self, gather: Any, made: Made, consumers: Counter[str]) -> None:
        """Keras's Embedding as tf2onnx writes it: the ids mapped first (a negative id counts from
        the end: Less, Not, Cast, Mul and Add on the ids and constants), then the table's Gather.
        The mapping changes no count: the Gather reads the ids themselves, the rest is skipped."""
        table = gather.input[0]
        if table not in self.initializers or len(self.weights.get(table, ())) != 2:
            return
        chain: dict[int, Any] = {}
        sources, stack = set(), [gather.input[1]]
        while stack:
            name = stack.pop()
            if name in self.values or name in self.consts:  # the graph's ids, or a constant
                sources.update({name} & set(self.values))
                continue
            producer = made.get(name)
            if producer is None or producer[1].op_type not in ID_OPS or len(chain) >= ID_CHAIN:
                return
            if producer[0] not in chain:
                chain[producer[0]] = producer[1]
                stack.extend(n for n in producer[1].input if n)
        outs = {out for node in chain.values() for out in node.output}
        reads = Counter(n for node in [*chain.values(), gather] for n in node.input if n in outs)
        if len(sources) != 1 or not chain or any(consumers[o] != reads[o] for o in outs):
            return  # another input, or a value the chain makes read elsewhere: not only an id map
        self.skip.update(chain)
        self.ids[gather.input[1]] = sources.pop()

    def _attention(self, softmax: Any, nodes: list[Any]) -> None:
        """Self-attention decomposed by an exporter, inside one name scope (PyTorch's
        '/attn/...' for nn.MultiheadAttention, netcalc's '<layer>/...'): one (3D, D) and one
        (D, D) projection, two products of activations and a Softmax, on one input. Counts equal
        netcalc's attention layer, so it becomes one."""
        scope = _scope(softmax.name)
        inside = [
            (i, n)
            for i, n in enumerate(nodes)
            if n.name == scope or n.name.startswith((f"{scope}/", f"{scope}."))
        ]
        made = {out for _, n in inside for out in n.output}
        weights = [held for _, n in inside for w in n.input if (held := self._held(w))]
        matrices = sorted({self.weights[w] for w in weights if len(self.weights[w]) == 2}, reverse=True)
        if (
            len(matrices) != 2
            or matrices[1][0] != matrices[1][1]
            or matrices[0] != (3 * matrices[1][0], matrices[1][0])
        ):
            self._general_attention(inside, made)
            return
        d = matrices[1][0]
        biases = {self.weights[w] for w in weights if len(self.weights[w]) == 1}
        if biases not in (set(), {(3 * d,), (d,)}):
            return
        outside = {
            n
            for _, node in inside
            for n in node.input
            if n and n not in made and not self._held(n) and n not in self.consts
        }
        outside = {n for n in outside if not self._causal_mask(n)}  # a mask made before the scope
        causal = self._masked(softmax)
        products = [
            n for _, n in inside if n.op_type == "MatMul" and not set(n.input) & self._projected(inside)
        ]
        heads = self._heads(inside, d)
        last = self._exit(inside)
        if len(outside) != 1 or len(products) != 2 or heads is None or causal is None or last is None:
            self._general_attention(inside, made)
            return
        self.skip.update(i for i, _ in inside if i != last)
        args = {"heads": heads, "bias": bool(biases), **({"causal": True} if causal else {})}
        self.rewrite[last] = ("attention", outside.pop(), args)

    def _general_attention(self, inside: list[tuple[int, Any]], made: set[str]) -> None:
        """netcalc's export of every other attention form, and PyTorch's of attention written with
        one Linear per projection (Llama's code): weights named by role (PyTorch's names, one Linear
        per projection, Llama's o_proj), the key Reshape to (..., kv_heads, 1, head_dim) (netcalc)
        or to (N, T, kv_heads, head_dim) (PyTorch's view, repeated to every query head after), a
        Trilu mask (causal), a Gather on an (ENTRIES, heads) table (relative bias); one input, or
        queries then memory (cross-attention), in order of first use."""
        roles = {
            re.sub("^o_proj", "out_proj", match.group(1)): self.weights[w]
            for _, n in inside
            for w in n.input
            if w in self.initializers and (match := ROLE.search(w))
        }
        roles.update(self._folded_roles(inside))
        key = roles.get("k_proj.weight") or roles.get("k_proj_weight") or roles.get("in_proj_weight")
        out = roles.get("out_proj.weight")
        if key is None or out is None or len(out) != 2:
            return
        d, inner = out
        kv_inner = key[0] // 3 if "in_proj_weight" in roles else key[0]
        targets = [
            _listed(self.consts.get(n.input[1], []))
            for _, n in inside
            if n.op_type == "Reshape" and len(n.input) > 1
        ]
        grouped = [t[-3:] for t in targets if len(t) >= 5 and t[-2] == 1 and t[-3] * t[-1] == kv_inner]
        split = (grouped[0][0], grouped[0][2]) if grouped else self._key_heads(inside, kv_inner)
        outside = [
            name
            for _, node in inside
            for name in node.input
            if name and name not in made and name not in self.initializers and name not in self.consts
        ]
        sources = [n for n in dict.fromkeys(outside) if not self._causal_mask(n)]
        if split is None or not 1 <= len(sources) <= 2:
            return
        kv_heads, width = split
        heads = inner // width
        args: dict[str, Any] = {"heads": heads}
        if kv_heads != heads:
            args["kv_heads"] = kv_heads
        if inner != d:
            args["head_dim"] = width
        biased = [p for p in ("q", "k", "v", "out") if f"{p}_proj.bias" in roles]
        biased = ["q", "k", "v", *biased] if "in_proj_bias" in roles else biased
        args["bias"] = True if len(biased) == 4 else biased or False
        if any(n.op_type == "Softmax" and self._masked(n) for _, n in inside):
            args["causal"] = True
        if "relative_bias_table" in roles:
            args["relative_bias"] = roles["relative_bias_table"][0]
        last = self._exit(inside)
        if last is None:
            return
        self.skip.update(i for i, _ in inside if i != last)
        scope = next(_scope(n.name) for _, n in inside if n.op_type == "Softmax")  # not its out_proj's
        self.rewrite[last] = ("attention", sources[0], {**args, "_inputs": sources, "_scope": scope})

    def _exit(self, inside: list[tuple[int, Any]]) -> int | None:
        """The index of the one node of a scope whose output is read after it (by a node outside,
        or as a graph output): the folded layer's output. Constants aside (PyTorch's exporter names
        a constant after the scope that makes it first, though only a later scope reads it). None
        when there is not one: the scope is not one layer."""
        within = {id(node) for _, node in inside}
        made = {out: i for i, node in inside if node.op_type != "Constant" for out in node.output}
        graph = self.model.graph
        read = {made[n] for node in graph.node if id(node) not in within for n in node.input if n in made}
        read |= {made[info.name] for info in graph.output if info.name in made}
        return read.pop() if len(read) == 1 else None

    def _key_heads(self, inside: list[tuple[int, Any]], kv_inner: int) -> tuple[int, int] | None:
        """(kv_heads, head_dim) as PyTorch's code splits the key projection: a Reshape of the
        MatMul by the key weight to (N, T, kv_heads, head_dim), the batch and length taken from the
        input's shape (Concat of Unsqueezed scalars), the heads and width constants."""
        for _, node in inside:
            if (
                node.op_type != "Reshape"
                or len(node.input) < 2
                or not self._projects(node.input[0], "k_proj.weight")
            ):
                continue
            target = self._target(node.input[1])
            if len(target) == 4 and isinstance(target[2], int) and isinstance(target[3], int):
                kv_heads, width = target[2], target[3]
                return (kv_heads, width) if kv_heads * width == kv_inner else None
        return None

    def _projects(self, value: str, role: str) -> bool:
        """Whether `value` is a MatMul by the weight named `role` (transposed, as PyTorch's Linear),
        perhaps plus its bias."""
        node = self.made_by.get(value)
        if node is not None and node.op_type == "Add" and len(node.input) == 2:
            biased = [n for n in node.input if n not in self.initializers]
            node = self.made_by.get(biased[0]) if len(biased) == 1 else None
        if node is None or node.op_type != "MatMul":
            return False
        weight = node.input[1]
        transposed = self.made_by.get(weight)
        if transposed is not None and transposed.op_type == "Transpose":
            weight = transposed.input[0]
        module = role.split(".")[0]  # a weight the exporter folded: the MatMul's scope names it
        return weight in self.initializers and (
            weight.endswith(role) or _scope(node.name).endswith((f"/{module}", f".{module}"))
        )

    def _folded_roles(self, inside: list[tuple[int, Any]]) -> dict[str, tuple[int, ...]]:
        """Projection weights that PyTorch's default export (constant folding) stores transposed as
        'onnx::MatMul_N' initializers: the role is the module the MatMul's scope ends in
        ('/self_attn/k_proj/MatMul': k_proj.weight), the dims PyTorch's (out, in)."""
        found: dict[str, tuple[int, ...]] = {}
        for _, node in inside:
            weight = node.input[1] if node.op_type == "MatMul" and len(node.input) == 2 else ""
            role = f"{re.split('[/.]', _scope(node.name))[-1]}.weight"
            folded = weight in self.initializers and not ROLE.search(weight)
            if folded and len(self.weights[weight]) == 2 and ROLE.fullmatch(role):
                found[re.sub("^o_proj", "out_proj", role)] = tuple(reversed(self.weights[weight]))
        return found

    def _target(self, value: str) -> list[Any]:
        """A Reshape's target: a constant, or a Concat of constants and Unsqueezed constants, with
        None for each part computed from a shape; [] when neither."""
        if value in self.consts:
            return _listed(self.consts[value])
        concat = self.made_by.get(value)
        if concat is None or concat.op_type != "Concat":
            return []
        parts: list[Any] = []
        for part in concat.input:
            unsqueezed = self.made_by.get(part)
            if unsqueezed is not None and unsqueezed.op_type == "Unsqueeze":
                part = unsqueezed.input[0]
            parts.extend(_listed(self.consts[part]) if part in self.consts else [None])
        return parts

    def _projected(self, inside: list[tuple[int, Any]]) -> set[str]:
        """Weights and the values made from them by Transpose: a MatMul by one is a projection."""
        found = set(self.initializers)
        for _, node in inside:
            if node.op_type in ("Transpose", "Identity") and node.input[0] in found:
                found.update(node.output)
        return found

    def _heads(self, inside: list[tuple[int, Any]], d: int) -> int | None:
        """The head count: netcalc's Reshape to (0, 0, 3, heads, d/heads), or PyTorch's D / heads."""
        for _, node in inside:
            target = _listed(self.consts.get(node.input[1], [])) if len(node.input) > 1 else []
            if node.op_type == "Reshape" and len(target) == 5 and target[2] == 3:
                return int(target[3])
            if (
                node.op_type == "Div"
                and len(target) == 1
                and isinstance(target[0], int)
                and d % target[0] == 0
            ):
                return int(target[0])
        return None

    def _shuffle(self, i: int, first: Any, users: dict[str, list[tuple[int, Any]]]) -> None:
        """Channel shuffle as Reshape (N, g, C/g, -1), Transpose (0, 2, 1, 3), Reshape back."""
        target = self.consts.get(first.input[1])
        after = users.get(first.output[0], [])
        if not isinstance(target, list) or len(target) != 4 or target[0] != 0 or len(after) != 1:
            return
        j, swap = after[0]
        again = users.get(swap.output[0], [])
        if swap.op_type != "Transpose" or list(_attr(swap, "perm", [])) != [0, 2, 1, 3] or len(again) != 1:
            return
        k, last = again[0]
        if last.op_type == "Reshape":
            self.skip.update((i, j))
            self.rewrite[k] = ("channel_shuffle", first.input[0], {"groups": target[1]})

    def _erf_gelu(self, i: int, erf: Any, made: Made, users: Users) -> None:
        """0.5 * x * (1 + erf(x / sqrt 2)) (x * (1 / sqrt 2) too), in any order of its products."""
        scaled = made.get(erf.input[0])
        if scaled is None:
            return
        x = self._scaled(scaled[1], "Div", SQRT_2) or self._scaled(scaled[1], "Mul", 1 / SQRT_2)
        plus = self._plus_one(erf.output[0], users)
        if x is None or plus is None:
            return
        tail = self._gelu_tail(plus[1].output[0], x, made, users)
        if tail is not None:
            self._fold_gelu([scaled, (i, erf), plus, *tail], x, "none", users)

    def _tanh_gelu(self, i: int, tanh: Any, made: Made, users: Users) -> None:
        """0.5 * x * (1 + tanh(inner)), in any order of its products, the inner as PyTorch's
        nn.GELU('tanh'), GPT-2's code and netcalc's export below opset 20 write it, or as Hugging
        Face's FastGELU does."""
        scaled = made.get(tanh.input[0])
        plus = self._plus_one(tanh.output[0], users)
        found = (self._tanh_inner(scaled, made) or self._fast_inner(scaled, made)) if scaled else None
        if found is None or plus is None:
            return
        x, inner = found
        tail = self._gelu_tail(plus[1].output[0], x, made, users)
        if tail is not None:
            self._fold_gelu([*inner, (i, tanh), plus, *tail], x, "tanh", users)

    def _tanh_inner(self, scaled: tuple[int, Any], made: Made) -> tuple[str, list[tuple[int, Any]]] | None:
        """x and the nodes of sqrt(2 / pi) * (x + 0.044715 * x^3), x^3 as Pow(x, 3), x * x * x or
        x * (x * x)."""
        inner = self._scaled(scaled[1], "Mul", SQRT_2_PI)
        add = made.get(inner) if inner else None
        if add is None or add[1].op_type != "Add" or len(add[1].input) != 2:
            return None
        for x, rest in (add[1].input, reversed(add[1].input)):  # x + 0.044715 x^3, either way round
            cubed = made.get(rest)
            cube = self._scaled(cubed[1], "Mul", KAPPA) if cubed else None
            powers = self._cube(cube, x, made) if cubed and cube else None
            if cubed is not None and powers is not None:
                return str(x), [*powers, cubed, add, scaled]
        return None

    def _fast_inner(self, product: tuple[int, Any], made: Made) -> tuple[str, list[tuple[int, Any]]] | None:
        """x and the nodes of (x * sqrt(2 / pi)) * (1 + 0.044715 * x * x) (FastGELU's)."""
        if product[1].op_type != "Mul" or len(product[1].input) != 2:
            return None
        for a, b in (product[1].input, reversed(product[1].input)):
            left, right = made.get(a), made.get(b)
            x = self._scaled(left[1], "Mul", SQRT_2_PI) if left else None
            if left is None or right is None or x is None or right[1].op_type != "Add":
                continue
            rest = [n for n in right[1].input if not _near(self.consts.get(n), 1.0)]
            one_added = len(rest) == 1 and len(right[1].input) == 2
            square = self._scaled_square(rest[0], x, made) if one_added else None
            if square is not None:
                return x, [left, *square, right, product]
        return None

    def _scaled_square(self, value: str, x: str, made: Made) -> list[tuple[int, Any]] | None:
        """The nodes making `value` = 0.044715 * x * x: (x * 0.044715) * x or 0.044715 * (x * x)."""
        last = made.get(value)
        if last is None or last[1].op_type != "Mul" or len(last[1].input) != 2:
            return None
        a, b = last[1].input
        first = made.get(b if a == x else a) if x in (a, b) else None
        if first is not None and self._scaled(first[1], "Mul", KAPPA) == x:
            return [first, last]
        square = made.get(self._scaled(last[1], "Mul", KAPPA) or "")
        if square is not None and square[1].op_type == "Mul" and list(square[1].input) == [x, x]:
            return [square, last]
        return None

    def _scaled(self, node: Any, op: str, constant: float) -> str | None:
        """The other operand of `node` when it is `op` by (about) `constant`, else None."""
        if node.op_type != op or len(node.input) != 2:
            return None
        a, b = node.input
        if _near(self.consts.get(b), constant):
            return str(a)
        if op == "Mul" and _near(self.consts.get(a), constant):
            return str(b)
        return None

    def _plus_one(self, value: str, users: Users) -> tuple[int, Any] | None:
        """The one node reading `value` when it adds 1 to it."""
        add = self._only_user(value, "Add", users)
        if add is None or len(add[1].input) != 2:
            return None
        (other,) = [n for n in add[1].input if n != value] or [value]
        return add if _near(self.consts.get(other), 1.0) else None

    def _cube(self, value: str, x: str, made: Made) -> list[tuple[int, Any]] | None:
        """The nodes making `value` = x^3: Pow(x, 3), or x * (x * x) in either order."""
        last = made.get(value)
        if last is None:
            return None
        node = last[1]
        if node.op_type == "Pow" and node.input[0] == x and _near(self.consts.get(node.input[1]), 3.0):
            return [last]
        if node.op_type != "Mul" or len(node.input) != 2 or x not in node.input:
            return None
        square = made.get(node.input[1] if node.input[0] == x else node.input[0])
        if square is None or square[1].op_type != "Mul" or list(square[1].input) != [x, x]:
            return None
        return [square, last]

    def _gelu_tail(self, value: str, x: str, made: Made, users: Users) -> list[tuple[int, Any]] | None:
        """The nodes multiplying `value` by x and by 0.5: one after the other in either order, or
        once by a Mul(x, 0.5) made beside it. None for anything else (another factor)."""
        chain: list[tuple[int, Any]] = []
        need = {"x", "half"}
        while need:
            after = self._only_user(value, "Mul", users)
            if after is None or len(after[1].input) != 2:
                return None
            mul = after[1]
            (other,) = [n for n in mul.input if n != value] or [value]
            half = made.get(other)
            if other == x and "x" in need:
                need.discard("x")
            elif _near(self.consts.get(other), 0.5) and "half" in need:
                need.discard("half")
            elif need == {"x", "half"} and half is not None and self._scaled(half[1], "Mul", 0.5) == x:
                chain.append(half)
                need.clear()
            else:
                return None
            chain.append(after)
            value = mul.output[0]
        return chain

    def _fold_gelu(self, chain: list[tuple[int, Any]], x: str, approximate: str, users: Users) -> None:
        """One gelu layer for the nodes of `chain` (the last in graph order makes the output), when
        no node outside it reads a value made inside (else the nodes stay as they are)."""
        indexes = {j for j, _ in chain}
        last = max(indexes)
        outputs = {o.name for o in self.model.graph.output}
        inner = [value for j, node in chain if j != last for value in node.output]
        if any(v in outputs or any(k not in indexes for k, _ in users.get(v, [])) for v in inner):
            return
        self.skip.update(indexes - {last})
        self.rewrite[last] = ("gelu", x, {} if approximate == "none" else {"approximate": approximate})

    def _rmsnorm(self, i: int, mean: Any, made: Made, users: Users) -> None:
        """x / sqrt(mean(x^2) + eps) [* weight] over the last axis, as exporters write it: the square
        by Pow(x, 2) or Mul(x, x); the division by Div(x, rms), or a product with its reciprocal
        (Reciprocal, or Div(1, rms): PyTorch's rsqrt); the weight a (D,) initializer. Anything else
        (another axis, another power, a weight of another shape) is left to the operators."""
        square = made.get(mean.input[0])
        x = self._squared(square[1]) if square else None
        shape = self.shapes.get(x) if x else None
        if square is None or x is None or not shape or not self._over_last_axis(mean, len(shape)):
            return
        if len(users.get(mean.input[0], [])) != 1:  # the square read elsewhere too: not only a norm
            return
        add = self._only_user(mean.output[0], "Add", users)
        if add is None:
            return
        eps = _scalar(self.consts.get(next((n for n in add[1].input if n != mean.output[0]), "")))
        root = self._only_user(add[1].output[0], "Sqrt", users)
        divided = self._divided(x, root[1].output[0], users) if root else None
        if eps is None or root is None or divided is None:
            return
        chain, y = [square[0], i, add[0], root[0], *divided[0]], divided[1]
        scaled = self._only_user(y, "Mul", users)
        weight = next((n for n in scaled[1].input if n != y), "") if scaled else ""
        affine = self.weight_dims(weight) == shape[-1:]
        if scaled and affine:
            chain.append(scaled[0])
        *inner, last = chain
        self.skip.update(inner)
        self.rewrite[last] = ("rmsnorm", x, {"eps": _float32(eps), "affine": affine})

    def _squared(self, node: Any) -> str | None:
        """x of Pow(x, 2) or Mul(x, x), else None."""
        if node.op_type == "Mul" and len(node.input) == 2 and node.input[0] == node.input[1]:
            return str(node.input[0])
        if node.op_type == "Pow" and _near(self.consts.get(node.input[1]), 2.0):
            return str(node.input[0])
        return None

    def _over_last_axis(self, mean: Any, rank: int) -> bool:
        """A ReduceMean over the last axis only, kept (axes an attribute before opset 18, an input after)."""
        given = mean.input[1] if len(mean.input) > 1 and mean.input[1] else None
        axes = self.consts.get(given) if given else _attr(mean, "axes", None)
        return _attr(mean, "keepdims", 1) == 1 and axes is not None and _listed(axes) in ([-1], [rank - 1])

    def _divided(self, x: str, rms: str, users: Users) -> tuple[list[int], str] | None:
        """The nodes of x / rms and its value: Div(x, rms), or Mul(x, 1 / rms) with Reciprocal or
        Div(1, rms)."""
        found = users.get(rms, [])
        if len(found) != 1:
            return None
        j, node = found[0]
        if node.op_type == "Div" and list(node.input) == [x, rms]:
            return [j], node.output[0]
        one = node.op_type == "Div" and node.input[1] == rms and _near(self.consts.get(node.input[0]), 1.0)
        if node.op_type != "Reciprocal" and not one:
            return None
        product = self._only_user(node.output[0], "Mul", users)
        if product is None or sorted(product[1].input) != sorted([x, node.output[0]]):
            return None
        return [j, product[0]], product[1].output[0]

    def _only_user(self, value: str, op_type: str, users: Users) -> tuple[int, Any] | None:
        """(index, node) of the one node reading `value`, if it is an `op_type`; else None."""
        found = users.get(value, [])
        return found[0] if len(found) == 1 and found[0][1].op_type == op_type else None

    def weight_dims(self, name: str) -> tuple[int, ...] | None:
        """The dims of the initializer `name` is (directly or through Identity nodes), else None."""
        held = self._held(name)
        return self.weights[held] if held is not None else None

    def _held(self, name: str) -> str | None:
        """The initializer `name` is, directly or through Identity nodes (PyTorch's exporter keeps
        one of equal initializers and reads it again through an Identity named after the other)."""
        for _ in range(8):
            if name in self.initializers:
                return name
            node = self.made_by.get(name)
            if node is None or node.op_type != "Identity":
                return None
            name = node.input[0]
        return None

    def _masked(self, softmax: Any) -> bool | None:
        """Whether the scores reaching `softmax` are masked causally: False when no Add makes them,
        True when an Add of a causal mask does, None for any other Add (another mask, a bias)."""
        add = self.made_by.get(softmax.input[0])
        if add is None or add.op_type != "Add":
            return False
        return True if any(self._causal_mask(n) for n in add.input) else None

    def _causal_mask(self, value: str) -> bool:
        """Whether `value` is -inf above the diagonal and 0 elsewhere, reshaped or not: as
        Trilu(a fill of -inf, k=1, upper) (PyTorch's mask argument, netcalc's export) or as
        Where(Trilu(ones, lower) == 0, -inf, 0) (nn.MultiheadAttention's is_causal)."""
        node = self.made_by.get(value)
        for _ in range(8):  # through the reshapes that broadcast the mask over batch and heads
            if node is None or node.op_type not in ("Unsqueeze", "Reshape", "Cast", "Expand"):
                break
            node = self.made_by.get(node.input[0])
        if node is not None and node.op_type == "Trilu":
            return self._band(node, upper=True, k=1) == float("-inf")
        if node is None or node.op_type != "Where" or len(node.input) != 3:
            return False
        equal = self.made_by.get(node.input[0])
        if equal is None or equal.op_type != "Equal" or not _near(self.consts.get(equal.input[1]), 0.0):
            return False
        band = self.made_by.get(equal.input[0])
        low, high = (self.consts.get(n) for n in node.input[1:])
        kept = band is not None and band.op_type == "Trilu" and self._band(band, upper=False, k=0) == 1.0
        return kept and _near(low, float("-inf")) and _near(high, 0.0)

    def _band(self, trilu: Any, upper: bool, k: int) -> float | None:
        """The one value filling the tensor `trilu` keeps a triangle of (ConstantOfShape, or a
        constant Expanded), when it keeps the triangle asked for; None otherwise."""
        given = trilu.input[1] if len(trilu.input) > 1 and trilu.input[1] else None
        if bool(_attr(trilu, "upper", 1)) != upper or not _near(self.consts.get(given) if given else 0, k):
            return None
        return self.fill_value(trilu.input[0])

    def fill_value(self, value: str) -> float | None:
        """The one number filling the tensor `value` made from a shape: ConstantOfShape's (0 by
        default), or a one-element constant Expanded; None otherwise."""
        fill = self.made_by.get(value)
        if fill is not None and fill.op_type == "ConstantOfShape":
            tensor = _attr(fill, "value", None)
            values = tensor_values(self.label, tensor).tolist() if tensor is not None else [0.0]
            return float(values[0]) if len(values) == 1 else None
        if fill is not None and fill.op_type == "Expand" and fill.input[0] in self.consts:
            return _scalar(self.consts[fill.input[0]])  # a list of one, or a scalar (dynamo's)
        return None

    def table_of(self, value: str) -> str | None:
        """The initializer whose first rows `value` is: Slice(table, 0, T) (netcalc's export of a
        longer position table) or Gather(table, Range(0, T, 1)) (an nn.Embedding of positions)."""
        node = self.made_by.get(value)
        if node is None or not node.input or node.input[0] not in self.initializers:
            return None
        if node.op_type == "Slice" or node.op_type == "Gather" and self._count(node.input[1]):
            return str(node.input[0])
        return None

    def _count(self, value: str) -> int | None:
        """n when `value` is Range(0, n, 1) with n known from the shapes (positions 0 .. n-1)."""
        node = self.made_by.get(value)
        if node is None or node.op_type != "Range" or len(node.input) != 3:
            return None
        start, limit, delta = node.input
        if not (_near(self.consts.get(start), 0.0) and _near(self.consts.get(delta), 1.0)):
            return None
        return self._size(limit)

    def _size(self, value: str) -> int | None:
        """A scalar computed from an activation's shape, as exporters take a sequence's length:
        Gather(Shape(x), axis), perhaps Cast or Squeezed; None when not known."""
        for _ in range(4):
            node = self.made_by.get(value)
            if node is None or node.op_type not in ("Cast", "Squeeze", "Unsqueeze"):
                break
            value = node.input[0]
        shape_of = self.made_by.get(node.input[0]) if node is not None and node.op_type == "Gather" else None
        if node is None or shape_of is None or shape_of.op_type != "Shape":
            return None
        index, shape = self.consts.get(node.input[1]), self.shapes.get(shape_of.input[0])
        index = index[0] if isinstance(index, list) and len(index) == 1 else index
        if shape is None or not isinstance(index, int) or not -len(shape) <= index < len(shape):
            return None
        start = _attr(shape_of, "start", 0)
        position = index + (start if start >= 0 else start + len(shape))
        size = shape[position] if 0 <= position < len(shape) else -1
        return size if size > 0 else None

    def _fold_activation(
        self, entry: Any, node: Any, index: int, nodes: list[Any], consumers: Counter[str], source: str = ""
    ) -> bool:
        """An activation in the same name scope as the conv/dense before it is that layer's
        `activation:` (netcalc's own export names both nodes after the layer); False otherwise."""
        kind, args = entry
        args = {k: v for k, v in args.items() if not k.startswith("_")}
        source = source or (node.input[0] if node.input else "")
        before = self.values.get(source)
        defaults: tuple[dict[str, Any], ...] = (
            {},
            {"axis": 0},
            {"negative_slope": 0.01},
            {"alpha": 1.0},
            {"approximate": "none"},
        )
        if kind not in FUSED_KINDS or before is None or before.ref == "input" or consumers[source] != 1:
            return False
        at = self.made_at.get(source, index)  # a lookup: scanning the nodes before made a chain quadratic
        producer = nodes[at] if at < index else None
        owner = self.layers[-1] if self.layers and self.layers[-1]["_name"] == before.ref else None
        if producer is None or owner is None or _scope(producer.name) != _scope(node.name) or not node.name:
            return False
        ((layer_kind, layer_args),) = ((k, v) for k, v in owner.items() if k != "_name")
        if layer_kind not in FUSING or layer_args.get("activation") or args not in defaults:
            return False
        layer_args["activation"] = kind
        self.values[node.output[0]] = Value(before.ref, _sample(self.shapes.get(node.output[0])))
        return True

    def _shape_arithmetic(self, node: Any) -> bool:
        """Shape (of an activation) and the integer arithmetic exporters do on it: no layer."""
        if node.op_type == "Shape":
            return True
        given = [n for n in node.input if n]
        known = [n in self.shape_values or n in self.consts or n in self.weights for n in given]
        return all(known) and any(n in self.shape_values for n in given)

    def _alias(self, node: Any) -> None:
        source = node.input[0]
        if source in self.weights:  # a weight seen through Identity or Transpose: its dims
            dims = self.weights[source]
            perm = _attr(node, "perm", list(reversed(range(len(dims)))))
            self.weights[node.output[0]] = (
                tuple(dims[p] for p in perm) if node.op_type == "Transpose" else dims
            )
            if node.op_type == "Transpose" or node.output[0].startswith(EXPORTER_NAMED):
                self.origin[node.output[0]] = self.origin.get(source, source)  # the same tensor again
        elif source in self.values:
            self.values[node.output[0]] = self.values[source]

    def _name(self, node: Any, scope: str = "") -> str:
        base = _word(scope or _scope(node.name) or node.output[0]) or node.op_type.lower()
        if base.lstrip("+-").isdigit() or base == "input":
            base = f"{node.op_type.lower()}_{base}"
        name, n = base, 1
        while name in self.names:
            n += 1
            name = f"{base}_{n}"
        self.names.add(name)
        return name

    def shape_of(self, name: str) -> tuple[int, ...] | None:
        value = self.values.get(name)
        return value.shape if value else None


FUSED_KINDS = (
    "relu",
    "relu6",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "gelu",
    "silu",
    "elu",
    "hardswish",
    "hardsigmoid",
)
FUSING = ("dense", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _scope(name: str) -> str:
    """A node's name without its last '/Op' part: 'layer1.conv/Conv' -> 'layer1.conv'."""
    return name.rsplit("/", 1)[0] if "/" in name.strip("/") else name


def _can_share(kind: str) -> bool:
    """Whether layers of this type take `share:` (they say their parameters' shapes)."""
    cls = BY_KIND.get(kind)
    return cls is not None and cls.tensor_shapes is not Layer.tensor_shapes


def _word(name: str) -> str:
    """A netcalc layer name: no dots, slashes or spaces."""
    return re.sub(r"[^\w-]+", "_", name).strip("_")


def _sample(shape: tuple[int, ...] | None) -> tuple[int, ...] | None:
    return shape[1:] if shape else None


def _fits(dims: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Equal shapes, an unknown size (-1, from shape inference) matching any."""
    return len(dims) == len(shape) and all(n == m or m < 0 for n, m in zip(dims, shape, strict=True))


def _near(value: Any, target: float) -> bool:
    """Whether a constant (a number or a list of one) is `target` to float32's precision."""
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return value == target or abs(value - target) <= 1e-6 * abs(target)


def _scalar(value: Any) -> float | None:
    """A constant's one number (a scalar, or a list of one), else None."""
    values = _listed(value) if value is not None else []
    return float(values[0]) if len(values) == 1 and isinstance(values[0], (int, float)) else None


def _float32(value: float) -> float:
    """The shortest decimal of a float32 constant: 1e-05 for the 9.99999975e-06 it stores."""
    import numpy as np

    return float(str(np.float32(value)))


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def tensor_values(label: str, tensor: Any) -> Any:
    """A tensor's values as the file holds them, or a one-line error: data stored outside the file
    is not read (its path is the file's to name), and data that does not fill the dims is damage."""
    import onnx
    from onnx import numpy_helper

    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        raise SpecError(
            f"{label}: the value of '{tensor.name}' is stored outside the file, and netcalc reads only "
            "the file: save the model with its constants inside (onnx.save(model, path) without "
            "save_as_external_data)"
        )
    try:
        return numpy_helper.to_array(tensor)
    except Exception as error:  # onnx and NumPy raise ValueError, TypeError, ... on damaged data
        raise SpecError(
            f"{label}: the tensor '{tensor.name}' of dims {list(tensor.dims)} cannot be read "
            f"({type(error).__name__}: {str(error)[:120]}): the file is damaged; export the model again"
        ) from None


def _has_data(tensor: Any) -> bool:
    return bool(tensor.float_data or tensor.int64_data or tensor.int32_data or tensor.double_data)


def _attr(node: Any, name: str, default: Any) -> Any:
    import onnx

    for attr in node.attribute:
        if attr.name == name:
            value = onnx.helper.get_attribute_value(attr)
            return value.decode() if isinstance(value, bytes) else value
    return default


# --- handlers: (importer, node, index, nodes, consumers) -> (kind, args) or None -------------------


def _weight_fits(im: Importer, node: Any, position: int, want: tuple[int | None, ...], meaning: str) -> None:
    """Refuse a node whose initializer at `position` has other dims than its input needs (None: any
    size): such a model holds other weights than the layer netcalc would write counts."""
    if len(node.input) <= position or not node.input[position]:
        return
    dims = im.weights.get(node.input[position])
    if dims is None or _fits(dims, tuple(-1 if n is None else n for n in want)):
        return
    needed = ", ".join("..." if n is None else str(n) for n in want)
    raise SpecError(
        f"{im.label}: {node.op_type} node '{node.name or node.output[0]}': '{node.input[position]}' has "
        f"shape {list(dims)}, not [{needed}] as {meaning} — the model is inconsistent: export it again"
    )


def _conv(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    dims = im.weights.get(node.input[1])
    if dims is None:
        return None
    rank = len(dims) - 2
    kernel = list(_attr(node, "kernel_shape", dims[2:]))
    shape, groups = im.shape_of(node.input[0]), _attr(node, "group", 1)
    if shape and rank == len(shape) - 1 and groups > 0 and shape[0] % groups == 0:
        window = f"kernel {kernel}" if kernel != list(dims[2:]) else "its kernel"
        meaning = f"an input of {shape[0]} channels, groups {groups} and {window} need"
        _weight_fits(im, node, 1, (dims[0], shape[0] // groups, *kernel), meaning)
        _weight_fits(im, node, 2, (dims[0],), f"its {dims[0]} filters need (one bias each)")
    args: dict[str, Any] = {
        "filters": dims[0],
        "kernel": kernel,
        "stride": list(_attr(node, "strides", [1] * rank)),
        "dilation": list(_attr(node, "dilations", [1] * rank)),
        "groups": _attr(node, "group", 1),
        "bias": len(node.input) > 2 and bool(node.input[2]),
    }
    padding = _padding(node, rank)
    if padding is None:
        return None
    args["padding"] = padding
    return f"conv{rank}d", args


def _padding(node: Any, rank: int) -> Any:
    auto = _attr(node, "auto_pad", "NOTSET")
    if auto == "VALID":
        return "valid"
    if auto in ("SAME_UPPER",):
        return "same"
    if auto != "NOTSET":  # SAME_LOWER pads the odd pixel first, netcalc's same after; or no ONNX value
        return None
    pads = list(_attr(node, "pads", [0] * 2 * rank))
    before, after = pads[:rank], pads[rank:]
    return before if before == after else None  # uneven explicit pads: not a netcalc padding


def _conv_transpose(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    dims = im.weights.get(node.input[1])
    if dims is None or _attr(node, "output_shape", None) is not None:
        return None
    if _attr(node, "auto_pad", "NOTSET") not in ("NOTSET", "VALID"):  # pads worked out from the output
        return None
    rank, groups = len(dims) - 2, _attr(node, "group", 1)
    pads = list(_attr(node, "pads", [0] * 2 * rank))
    if pads[:rank] != pads[rank:]:
        return None
    return f"conv_transpose{rank}d", {
        "filters": dims[1] * groups,
        "kernel": list(_attr(node, "kernel_shape", dims[2:])),
        "stride": list(_attr(node, "strides", [1] * rank)),
        "dilation": list(_attr(node, "dilations", [1] * rank)),
        "padding": pads[:rank],
        "output_padding": list(_attr(node, "output_padding", [0] * rank)),
        "groups": groups,
        "bias": len(node.input) > 2 and bool(node.input[2]),
    }


def _gemm(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    dims = im.weights.get(node.input[1])
    if dims is None or _attr(node, "transA", 0) or _attr(node, "alpha", 1.0) != 1.0:
        return None
    units = dims[0] if _attr(node, "transB", 0) else dims[1]
    shape = im.shape_of(node.input[0])
    if shape and len(dims) == 2:
        want = (units, shape[-1]) if _attr(node, "transB", 0) else (shape[-1], units)
        _weight_fits(im, node, 1, want, f"an input of width {shape[-1]} needs")
    return "dense", {"units": units, "bias": len(node.input) > 2 and bool(node.input[2])}


def _matmul(im: Importer, node: Any, index: int, nodes: list[Any], consumers: Counter[str]) -> Any:
    a, b = node.input[0], node.input[1]
    folded = im.tensordot.get(node.output[0])  # Keras's Dense on tokens: the Reshapes around it skipped
    if folded is not None:
        a = folded[0]
    if b in im.weights and a in im.values:  # x @ W: a dense layer, with the next Add's bias if any
        dims = im.weights[b]
        if len(dims) != 2:
            return None
        shape = im.shape_of(a)
        if shape and folded is None:
            _weight_fits(im, node, 1, (shape[-1], dims[1]), f"an input of width {shape[-1]} needs")
        args: dict[str, Any] = {"units": dims[1], "bias": False}
        out = node.output[0]
        if folded is not None:
            shape = im.shape_of(a)
            back = _shape_value(im, folded[1].input[1], SHAPE_DEPTH)
            if shape is None or back != [BATCH, *shape[:-1], dims[1]]:
                return None  # not back to (N, T, U): the MatMul is left unknown, never miscounted
            out = folded[1].output[0]
            args.update(_inputs=[a], _output=out)
        for j in range(index + 1, len(nodes)):
            nxt = nodes[j]
            if nxt.op_type == "Add" and out in nxt.input and consumers[out] == 1:
                other = [n for n in nxt.input if n != out]
                if other and other[0] in im.weights and im.weights[other[0]] == (dims[1],):
                    im.skip.add(j)
                    args.update(bias=True, _output=nxt.output[0])
                break
        return "dense", args
    if a in im.values and b in im.values:
        return "matmul", {}
    return None


def _batchnorm(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    if any(n not in im.weights for n in node.input[1:5]):
        return None
    shape = im.shape_of(node.input[0])
    if shape:
        for position in range(1, 5):
            _weight_fits(im, node, position, (shape[0],), f"an input of {shape[0]} channels needs")
    momentum = round(1.0 - _attr(node, "momentum", 0.9), 6)  # ONNX weighs the old value
    return "batchnorm", {"eps": _float32(_attr(node, "epsilon", 1e-5)), "momentum": momentum}


def _layernorm(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    shape = im.shape_of(node.input[0])
    if shape is None or len(node.input) < 3 or not node.input[2]:
        return None  # netcalc's layernorm has a bias
    axis = _attr(node, "axis", -1)
    dims = -axis if axis < 0 else len(shape) + 1 - axis
    return "layernorm", {"eps": _float32(_attr(node, "epsilon", 1e-5)), "dims": dims}


def _rms_normalization(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    """RMSNormalization (opset 23) over the last axis; its scale a (D,) weight, or ones: a constant,
    or a fill of the input's shape (PyTorch's export of nn.RMSNorm without weight)."""
    shape = im.shape_of(node.input[0])
    if shape is None or _attr(node, "axis", -1) not in (-1, len(shape)):
        return None
    scale = node.input[1]
    ones = scale not in im.initializers and (
        set(_listed(im.consts.get(scale, []))) == {1.0} or im.fill_value(scale) == 1.0
    )
    if not ones and im.weight_dims(scale) != shape[-1:]:
        return None
    return "rmsnorm", {"eps": _float32(_attr(node, "epsilon", 1e-5)), "affine": not ones}


def _pool(kind: str) -> Any:
    def handle(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
        kernel = list(_attr(node, "kernel_shape", []))
        rank = len(kernel)
        padding = _padding(node, rank)
        if padding is None or not kernel:
            return None
        args: dict[str, Any] = {
            "size": kernel,
            "stride": list(_attr(node, "strides", [1] * rank)),
            "padding": padding,
            "ceil_mode": bool(_attr(node, "ceil_mode", 0)),
        }
        if kind == "maxpool":
            args["dilation"] = list(_attr(node, "dilations", [1] * rank))
        else:
            args["count_include_pad"] = bool(_attr(node, "count_include_pad", 0))
        return f"{kind}{rank}d", args

    return handle


def _flatten(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    return ("flatten", {}) if _attr(node, "axis", 1) == 1 else None


def _reshape(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    out = _sample(im.shapes.get(node.output[0]))
    target = im.consts.get(node.input[1])
    shape = im.shape_of(node.input[0])
    if target is not None and shape is not None and target and target[0] in (0, -1):
        sizes = [shape[i] if n == 0 and i < len(shape) else n for i, n in enumerate(target[1:])]
        return "reshape", {"shape": sizes}
    if out and all(n > 0 for n in out):
        return "reshape", {"shape": list(out)}
    return _batch_reshape(im, node)


BATCH = "N"  # the batch size in a shape computed from a Shape node: symbolic, taken as it is
SHAPE_DEPTH = 32  # nodes followed back from a computed target: exporters' chains are a few long


def _batch_reshape(im: Importer, node: Any) -> tuple[str, dict[str, Any]] | None:
    """A Reshape to a target computed as (batch size, sizes...) from the input's Shape (tf2onnx's
    Keras Flatten: Shape, Gather, Cast, Slice, Concat with -1): flatten, or reshape to the sizes."""
    target = _shape_value(im, node.input[1], SHAPE_DEPTH) if len(node.input) > 1 else None
    shape = im.shape_of(node.input[0])
    if not target or target[0] != BATCH or shape is None or BATCH in target[1:]:
        return None
    sizes = [int(n) for n in target[1:]]
    if sizes in ([-1], [prod(shape)]) and len(shape) > 1:
        return "flatten", {}
    if not sizes or any(n == 0 or n < -1 for n in sizes) or sizes.count(-1) > 1:
        return None
    return "reshape", {"shape": sizes}


def _shape_value(im: Importer, name: str, depth: int) -> list[Any] | None:
    """The value of a 1-D integer tensor computed from activations' shapes and constants, the batch
    size as BATCH; None if any step is not one of the few exporters use for it."""
    if name in im.consts:
        return _listed(im.consts[name])
    node = im.made_by.get(name)
    if node is None or depth <= 0:
        return None
    op, depth = node.op_type, depth - 1
    if op == "Shape":
        sample = im.shape_of(node.input[0])
        full = None if sample is None else [BATCH, *sample]
        start, end = _attr(node, "start", 0), _attr(node, "end", None)
        return None if full is None else full[start:end]
    args = [_shape_value(im, n, depth) if n else None for n in node.input]
    if op in ("Cast", "Identity", "Squeeze", "Unsqueeze"):  # 1-D values and scalars as lists
        return args[0]
    if op == "Concat" and all(a is not None for a in args):
        return [v for a in args if a is not None for v in a]
    if op == "Gather" and args[0] is not None and args[1] is not None and _attr(node, "axis", 0) == 0:
        values, picks = args[0], args[1]
        if all(isinstance(i, int) and -len(values) <= i < len(values) for i in picks):
            return [values[i] for i in picks]
        return None
    if op == "Slice" and len(args) >= 3:
        return _sliced(*args)
    return None


def _sliced(
    values: list[Any] | None, starts: list[Any] | None, ends: list[Any] | None, *rest: list[Any] | None
) -> list[Any] | None:
    """A 1-D Slice of known values (axis 0, step 1)."""
    axes, steps = (list(rest) + [None, None])[:2]
    if values is None or starts is None or ends is None or len(starts) != 1 or len(ends) != 1:
        return None
    if (axes is not None and axes != [0]) or (steps is not None and steps != [1]):
        return None
    return values[starts[0] : ends[0]]


def _transpose(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    perm = list(_attr(node, "perm", []))
    if not perm or perm[0] != 0:
        return None  # the batch axis moves: not a per-sample permutation
    return "permute", {"dims": [p - 1 for p in perm[1:]]}


def _concat(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    axis = _attr(node, "axis", 1)
    data = [n for n in node.input if n in im.values]
    if len(node.input) == 2 and len(data) == 1 and axis == 1 and node.input[0] in im.weights:
        dims, shape = im.weights[node.input[0]], im.shape_of(data[0])
        if shape is not None and len(shape) == 2 and dims[-1:] == shape[-1:] and prod(dims[:-1]) == 1:
            return "class_token", {"_inputs": data}  # one learned token before the sequence
    shape = im.shape_of(data[0]) if data else None
    if shape is not None and not -len(shape) - 1 <= axis <= len(shape):
        raise SpecError(
            f"{im.label}: Concat node '{node.name or node.output[0]}': axis {axis} is not an axis of its "
            f"input of {len(shape) + 1} axes (batch included: {-len(shape) - 1} to {len(shape)}) — the "
            "model is inconsistent: export it again"
        )
    if axis == 0 or (shape is not None and axis == -len(shape) - 1) or len(data) != len(node.input):
        return None  # along the batch axis: not a per-sample concat
    return "concat", {"axis": axis - 1 if axis > 0 else axis}


def _binary(merge: str) -> Any:
    def handle(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
        if len(node.input) > 2 or all(n in im.values for n in node.input):
            shapes = {im.shape_of(n) for n in node.input}
            if any(n not in im.values for n in node.input) or (merge == "add" and len(shapes) > 1):
                return None  # netcalc's add takes equal shapes
            return merge, {}
        a, b = node.input[0], node.input[1]
        weight = b if b in im.weights else a if a in im.weights else None
        x = a if weight == b else b
        shape = im.shape_of(x)
        if weight is None:
            return None
        dims = tuple(n for n in im.weights[weight])
        if merge == "add" and len(dims) == 2 and (shape is None or _fits(dims, shape)):  # position embedding
            table = im.table_of(weight)  # the first T rows of a longer table (length: its rows)
            if table is not None:
                return "pos_embedding", {"_inputs": [x], "length": im.weights[table][0]}
            return "pos_embedding", {"_inputs": [x]}
        return None

    return handle


def _mul(im: Importer, node: Any, index: int, nodes: list[Any], consumers: Counter[str]) -> Any:
    """A per-channel scale, with the Add of a per-channel shift after it if there is one (an
    inference batch norm as tf2onnx writes Keras's): a layer_scale; else a multiply."""
    weights = [n for n in node.input if n in im.weights]
    data = [n for n in node.input if n in im.values]
    if len(node.input) != 2 or len(weights) != 1 or len(data) != 1:
        return _binary("multiply")(im, node)
    shape = im.shape_of(data[0])
    if shape is None or not _per_channel(im.weights[weights[0]], shape):
        return None
    args: dict[str, Any] = {"_inputs": data}
    out = node.output[0]
    after = [(j, n) for j, n in enumerate(nodes) if j > index and out in n.input]
    if consumers[out] == 1 and len(after) == 1 and after[0][1].op_type == "Add":
        j, add = after[0]
        shift = [_weight_dims(im, n) for n in add.input if n != out]
        if len(shift) == 1 and shift[0] is not None and _per_channel(shift[0], shape):
            im.skip.add(j)
            args.update(bias=True, _output=add.output[0])
    return "layer_scale", args


def _weight_dims(im: Importer, name: str) -> tuple[int, ...] | None:
    """A weight's dims, also of one reshaped by a node not walked yet (netcalc's export reshapes a
    (C,) shift to (C, 1, 1) after the Mul that comes before the Add)."""
    if name in im.weights:
        return im.weights[name]
    node = im.made_by.get(name)
    if node is None or not all(n in im.weights or n in im.consts for n in node.input if n):
        return None
    return im.shapes.get(name)


def _per_channel(dims: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether a tensor of these dims, broadcast against (N, *shape) as ONNX does (aligned at the
    last axis), holds one value per channel (axis 0 of the sample): (C,) on (C,), (C, 1, 1) or
    (1, C, 1, 1) on (C, H, W); not (C,) on (C, H, W), which runs along W."""
    full = len(shape) + 1
    if not shape or len(dims) > full:
        return False
    padded = (1,) * (full - len(dims)) + tuple(dims)
    return padded[1] == shape[0] and prod(padded) == shape[0]


def _activation(kind: str) -> Any:
    return lambda im, node, *_: (kind, {})


def _leaky(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]]:
    return "leaky_relu", {"negative_slope": _attr(node, "alpha", 0.01)}


def _prelu(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    """PRelu by its slope's shape, broadcast as ONNX does: one slope, one per channel (PyTorch's
    (C, 1, 1)), or one per element of the sample (Keras's default)."""
    x, slope = node.input[0], node.input[1] if len(node.input) > 1 else ""
    shape, dims = im.shape_of(x), im.weights.get(slope)
    if x not in im.values or shape is None or dims is None:
        return None  # a slope computed from activations: not a learned one
    if prod(dims) == 1:
        return "prelu", {"_inputs": [x], "parameters": 1}
    if _per_channel(dims, shape):
        return "prelu", {"_inputs": [x], "parameters": "channel"}
    if len(dims) <= len(shape) + 1 and (1,) * (len(shape) + 1 - len(dims)) + tuple(dims) == (1, *shape):
        return "prelu", {"_inputs": [x], "parameters": "element"}
    raise SpecError(
        f"{im.label}: PRelu node '{node.name or node.output[0]}' has slopes of shape {list(dims)}: "
        f"neither one, one per channel nor one per element of its input {list(shape)} — netcalc's "
        "prelu has no such form"
    )


def _elu(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]]:
    return "elu", {"alpha": _attr(node, "alpha", 1.0)}


def _gelu(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]]:
    return "gelu", {"approximate": _attr(node, "approximate", "none")}


def _softmax(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    axis = _attr(node, "axis", -1)
    return ("softmax", {"axis": axis - 1 if axis > 0 else axis}) if axis != 0 else None


def _hardsigmoid(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    alpha, beta = _attr(node, "alpha", 0.2), _attr(node, "beta", 0.5)
    return ("hardsigmoid", {}) if abs(alpha - 1 / 6) < 1e-6 and beta == 0.5 else None


def _clip(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    low = im.consts.get(node.input[1]) if len(node.input) > 1 and node.input[1] else _attr(node, "min", None)
    high = im.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else _attr(node, "max", None)
    if low == 0 and high == 6:
        return "relu6", {}
    if low == 0 and high is None:
        return "relu", {}
    return None


def _resize(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    shape = im.shape_of(node.input[0])
    mode = _attr(node, "mode", "nearest")
    if shape is None or mode not in ("nearest", "linear"):
        return None
    rank = len(shape) - 1
    args: dict[str, Any] = {}
    if mode == "linear":
        args["mode"] = {1: "linear", 2: "bilinear", 3: "trilinear"}.get(rank)
        args["align_corners"] = _attr(node, "coordinate_transformation_mode", "") == "align_corners"
    scales = im.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    sizes = im.consts.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    if scales:
        args["scale"] = [float(s) for s in scales[2:]]
    elif sizes:
        args["size"] = [int(s) for s in sizes[2:]]
    elif (computed := _computed_sizes(im, node)) is not None:  # (N, C) of the input's Shape, then sizes
        args["size"] = computed
    else:  # sizes computed from the input's shape (PyTorch's Upsample): the inferred output size
        out = _sample(im.shapes.get(node.output[0]))
        if not out or any(n <= 0 for n in out):
            return None
        args["size"] = list(out[1:])
    return "upsample", args


def _computed_sizes(im: Importer, node: Any) -> list[int] | None:
    """A Resize's sizes computed as Concat(Shape(x)[:2], sizes) (PyTorch's Upsample(size=...))."""
    given = node.input[3] if len(node.input) > 3 and node.input[3] else None
    sizes = _shape_value(im, given, SHAPE_DEPTH) if given else None
    if not sizes or len(sizes) < 3 or not all(isinstance(n, int) and n > 0 for n in sizes[2:]):
        return None
    return [int(n) for n in sizes[2:]]


def _pad(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    """Constant padding of the sample axes (PyTorch's F.pad and ZeroPad2d, Keras's ZeroPadding2D):
    pads given, or computed from constants only (PyTorch reorders its pads in a few nodes)."""
    shape = im.shape_of(node.input[0])
    given = node.input[1] if len(node.input) > 1 and node.input[1] else None
    pads = (im.consts.get(given) or _constant_value(im, given)) if given else _attr(node, "pads", None)
    filled = node.input[2] if len(node.input) > 2 and node.input[2] else None
    value = im.consts.get(filled, 0.0) if filled else _attr(node, "value", 0.0)
    axes = node.input[3] if len(node.input) > 3 and node.input[3] else None
    if _attr(node, "mode", "constant") != "constant" or shape is None or pads is None or axes:
        return None
    pads, rank = _listed(pads), len(shape) + 1
    if len(pads) != 2 * rank or pads[0] or pads[rank] or any(n < 0 for n in pads):
        return None  # the batch axis padded, or cropped (negative pads): not netcalc's pad
    value = _listed(value)
    if len(value) != 1:
        return None
    pairs = [[int(pads[a]), int(pads[a + rank])] for a in range(1, rank)]
    return "pad", {"padding": pairs, "value": float(value[0])}


ID_OPS = {
    "Cast", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Equal", "Not", "And", "Or", "Mul",
    "Add", "Sub", "Where", "Identity",
}  # fmt: skip
ID_CHAIN = 16  # nodes: tf2onnx's negative-id mapping is 7


FOLDABLE_OPS = {
    "Constant", "Shape", "Gather", "Mul", "Sub", "Add", "Neg", "Cast", "ConstantOfShape", "Concat",
    "Reshape", "Slice", "Transpose", "Squeeze", "Unsqueeze", "Identity",
}  # fmt: skip
FOLD_LIMIT = 64  # nodes, and elements of any value: pads and sizes are a few numbers


def _constant_value(im: Importer, name: str) -> list[Any] | None:
    """The value of a small tensor computed from constants only, by ONNX's reference evaluator on
    the nodes that make it; None if they read an activation, are many, or make a large value."""
    import numpy as np
    from onnx import helper

    found: dict[int, Any] = {}
    stack = [name]
    while stack:
        tensor = stack.pop()
        node = im.made_by.get(tensor)
        if node is None or node.op_type not in FOLDABLE_OPS or len(found) >= FOLD_LIMIT:
            return None
        if id(node) in found:
            continue
        if node.op_type == "ConstantOfShape":  # the one op that allocates by a value: bound it first
            size = _constant_value(im, node.input[0])
            if size is None or prod(size) > FOLD_LIMIT:
                return None
        found[id(node)] = node
        stack.extend(n for n in node.input if n)
    order = {id(n): i for i, n in enumerate(im.model.graph.node)}
    nodes = sorted(found.values(), key=lambda n: order.get(id(n), 0))
    graph = helper.make_graph(nodes, "folded", [], [helper.make_empty_tensor_value_info(name)])
    model = helper.make_model(graph, opset_imports=im.model.opset_import)
    try:
        from onnx.reference import ReferenceEvaluator

        (value,) = ReferenceEvaluator(model).run(None, {})
    except Exception:  # an op the evaluator rejects on these values: not a constant netcalc reads
        return None
    array = np.asarray(value)
    return array.reshape(-1).tolist() if array.size <= FOLD_LIMIT else None


def _instancenorm(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    """InstanceNormalization: affine when its scale and bias are initializers (PyTorch's
    InstanceNorm(affine=True)); Constant ones and zeros are netcalc's export of affine false."""
    scale, bias = node.input[1], node.input[2]
    learned = {n in im.initializers for n in (scale, bias)}
    if len(learned) != 1 or not all(n in im.weights for n in (scale, bias)):
        return None
    return "instancenorm", {"eps": _float32(_attr(node, "epsilon", 1e-5)), "affine": learned.pop()}


def _log_softmax(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    axis = _attr(node, "axis", -1)
    return ("log_softmax", {"axis": axis - 1 if axis > 0 else axis}) if axis != 0 else None


def _slice(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    shape = im.shape_of(node.input[0])
    starts, ends = (im.consts.get(n) for n in node.input[1:3])
    axes = im.consts.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    steps = im.consts.get(node.input[4]) if len(node.input) > 4 and node.input[4] else None
    if shape is None or starts is None or ends is None or (steps and set(_listed(steps)) != {1}):
        return None
    starts, ends = _listed(starts), _listed(ends)
    axes = _listed(axes) if axes is not None else list(range(len(starts)))
    axes = [a + len(shape) + 1 if a < 0 else a for a in axes]
    if 0 in axes:
        return None
    if len(axes) == 1:
        end = ends[0] if ends[0] < shape[axes[0] - 1] else None
        return "slice", {"axis": axes[0] - 1, "start": starts[0], "end": end}
    spatial = shape[1:]
    if sorted(axes) != list(range(2, len(shape) + 1)):
        return None
    size = [min(e, spatial[a - 2]) - b for a, b, e in zip(axes, starts, ends, strict=True)]
    centred = all(
        b == int(round((spatial[a - 2] - n) / 2.0)) for a, b, n in zip(axes, starts, size, strict=True)
    )
    return ("center_crop", {"size": size}) if centred else None


def _squeeze(im: Importer, node: Any, index: int, nodes: list[Any], consumers: Counter[str]) -> Any:
    """Squeeze or Unsqueeze of size-1 axes other than the batch (tf2onnx's after a global pool);
    a bias added right after a Squeeze of a convolution is that convolution's (Keras's Conv1D)."""
    entry = _squeezed(im, node)
    if entry is not None and node.op_type == "Squeeze":
        _conv_bias_after(im, node, index, nodes, consumers, entry[1])
    return entry


def _conv_bias_after(
    im: Importer, node: Any, index: int, nodes: list[Any], consumers: Counter[str], args: dict[str, Any]
) -> None:
    """tf2onnx writes Keras's Conv1D as Unsqueeze, a 2-D Conv without bias, Squeeze, then the Add
    of a per-channel bias: the bias is the convolution's (the same count), the Add no layer."""
    source, out = node.input[0], node.output[0]
    owner = im.layers[-1] if im.layers and im.values.get(source) else None
    shape = _sample(im.shapes.get(out))
    if owner is None or shape is None or consumers[source] != 1 or consumers[out] != 1:
        return
    ((kind, conv),) = ((k, v) for k, v in owner.items() if k != "_name")
    if owner["_name"] != im.values[source].ref or not kind.startswith("conv") or conv.get("bias"):
        return
    after = [(j, n) for j, n in enumerate(nodes) if j > index and out in n.input]
    if len(after) != 1 or after[0][1].op_type != "Add":
        return
    j, add = after[0]
    bias = [_weight_dims(im, n) for n in add.input if n != out]
    if len(bias) == 1 and bias[0] is not None and _per_channel(bias[0], shape):
        conv["bias"] = True
        im.skip.add(j)
        args["_output"] = add.output[0]


def _squeezed(im: Importer, node: Any) -> tuple[str, dict[str, Any]] | None:
    given = node.input[1] if len(node.input) > 1 and node.input[1] else None
    axes = im.consts.get(given) if given else _attr(node, "axes", None)
    full = im.shapes.get(node.output[0] if node.op_type == "Unsqueeze" else node.input[0])
    out = _sample(im.shapes.get(node.output[0]))
    if axes is None or full is None or not out or any(n <= 0 for n in out):
        return None
    if any(a % len(full) == 0 for a in _listed(axes)):
        return None  # the batch axis: not a per-sample reshape
    return "reshape", {"shape": list(out)}


def _reduce(kind: str) -> Any:
    def handle(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
        """ReduceMean or ReduceMax over every spatial axis of (N, C, *spatial): the global pool
        (PyTorch's `x.mean((2, 3))`); with keepdims 0 the pool and a flatten, as Keras's
        GlobalAveragePooling is written. Any other axes (channels, tokens, batch) are no pool, nor
        is a mean over the last axis of a rank-3 tensor: (N, C, L) and tokens (N, T, D) look alike."""
        shape = im.shapes.get(node.input[0])
        given = node.input[1] if len(node.input) > 1 and node.input[1] else None
        axes = im.consts.get(given) if given else _attr(node, "axes", None)
        if shape is None or len(shape) < 4 or axes is None or node.input[0] not in im.values:
            return None
        rank = len(shape)
        if sorted(int(a) % rank for a in _listed(axes)) != list(range(2, rank)):
            return None
        if _attr(node, "keepdims", 1) == 1:
            return kind, {}
        im._add(node, kind, {}, [node.input[0]])  # the pool, then the flatten that drops its axes
        return "flatten", {"_inputs": [node.output[0]], "_scope": f"{im.values[node.output[0]].ref}_flatten"}

    return handle


def _gather(im: Importer, node: Any, *_: Any) -> tuple[str, dict[str, Any]] | None:
    index, axis = im.consts.get(node.input[1]), _attr(node, "axis", 0)
    table, ids = im.weights.get(node.input[0]), im.ids.get(node.input[1], node.input[1])
    if table is not None and len(table) == 2 and axis == 0 and ids in im.values:
        # rows of a table picked by ids
        return "embedding", {"vocab": table[0], "dim": table[1], "_inputs": [ids]}
    if node.input[0] not in im.values or not isinstance(index, int) or axis == 0:
        return None  # a batch index: not a netcalc layer
    return "select", {"axis": axis - 1 if axis > 0 else axis, "index": index}


HANDLERS: dict[str, Any] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "BatchNormalization": _batchnorm,
    "LayerNormalization": _layernorm,
    "RMSNormalization": _rms_normalization,
    "MaxPool": _pool("maxpool"),
    "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _activation("global_avgpool"),
    "GlobalMaxPool": _activation("global_maxpool"),
    "ReduceMean": _reduce("global_avgpool"),
    "ReduceMax": _reduce("global_maxpool"),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Concat": _concat,
    "Add": _binary("add"),
    "Sum": _binary("add"),
    "Mul": _mul,
    "Relu": _activation("relu"),
    "Sigmoid": _activation("sigmoid"),
    "Tanh": _activation("tanh"),
    "HardSwish": _activation("hardswish"),
    "HardSigmoid": _hardsigmoid,
    "LeakyRelu": _leaky,
    "PRelu": _prelu,
    "Elu": _elu,
    "Gelu": _gelu,
    "Softmax": _softmax,
    "Clip": _clip,
    "Slice": _slice,
    "Gather": _gather,
    "Squeeze": _squeeze,
    "Unsqueeze": _squeeze,
    "Dropout": lambda im, node, *_: ("dropout", {}),
    "Resize": _resize,
    "Pad": _pad,
    "InstanceNormalization": _instancenorm,
    "LogSoftmax": _log_softmax,
}
