"""ONNX's LSTM, GRU and RNN nodes as netcalc's lstm, gru and rnn layers (a pass of the ONNX import).

A node runs one layer (both directions when bidirectional) in ONNX's layout: X (L, N, F) in,
Y (L, dirs, N, H), Y_h (dirs, N, H) and, for LSTM, Y_c out. Exporters wrap it in layout ops, and
those fold away, so the spec reads one layer on (steps, features):
- before: Transpose(1, 0, 2) of a batch-first (N, L, F) tensor (PyTorch batch_first=True, netcalc),
  or nothing when the graph input itself is (L, N, F) (PyTorch batch_first=False);
- after: Squeeze of the direction axis, or Transpose(0, 2, 1, 3) + Reshape(0, 0, -1) to
  (L, N, dirs * H), then Transpose(1, 0, 2) back to batch-first;
- the final state: Y_h read through netcalc's Transpose(1, 0, 2) + Reshape(0, dirs * H), a
  Squeeze of its direction axis, or PyTorch's h_n[i] (Concat of every layer's Y_h, Gather of a
  row); or the last step of a one-way sequence (tf2onnx's Slice + Squeeze of Keras's
  return_sequences=False, PyTorch's y[-1] sequence first): the layer's `return_sequences: false`
  output, a slice of it for one direction of two. Another step, y[i], is a select of the sequence.
Consecutive nodes of one module (one name scope, the second reading the first's sequence) are one
layer with `layers:`. Weights give only their dims (the gate blocks' order changes no count), with
one exception: B's recurrent half of zeros that are no parameter (a Constant, or the zeros tf2onnx
writes for Keras's one bias) is `bias: single`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from netcalc.errors import SpecError
from netcalc.interop.onnx_import import Importer, _attr, _listed, _scope, tensor_values

KINDS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
# ONNX's defaults, per direction: PyTorch's and Keras's cells
ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
NONLINEARITY = {"Tanh": "tanh", "Relu": "relu"}  # the RNN's one activation
DIRECTIONS = {"forward": 1, "bidirectional": 2}
Row = tuple["Group", int, int]  # a final state: its group, layer and direction


@dataclass(frozen=True)
class Planned:
    """A layer a pattern decided on, written when the walk reaches its node."""

    kind: str
    args: dict[str, Any]
    source: str  # the ONNX value it reads
    output: str  # the ONNX value it makes
    shape: tuple[int, ...]  # its sample shape
    aliases: tuple[str, ...] = ()  # other ONNX values equal to its output
    named: Any = None  # the node whose name scope names it, if not the node it is written at


@dataclass
class Group:
    """One netcalc layer: the recurrent nodes of one module, stacked."""

    index: int  # the last node's: where the layer is written
    node: Any  # the last node
    named: Any  # the node whose name scope names the layer
    args: dict[str, Any]  # units, bidirectional, bias, nonlinearity
    source: str
    steps: int
    layers: int = 1
    sequence: str | None = None  # the value holding its sequence output, if read
    seq_first: bool = False  # that value is (L, N, W): another recurrent node may stack on it
    # (node reading it, or None for the graph's output itself; value; direction, None for all)
    finals: list[tuple[int | None, str, int | None]] = field(default_factory=list)
    steps_read: list[tuple[int, str, int]] = field(default_factory=list)  # (node, value, step): y[i]

    @property
    def units(self) -> int:
        return int(self.args["units"])

    @property
    def directions(self) -> int:
        return 2 if self.args.get("bidirectional") else 1

    @property
    def width(self) -> int:
        """units * directions: the width of its outputs."""
        return self.units * self.directions


def seq_first_inputs(model: Any) -> set[str]:
    """Graph inputs read as a recurrent node's X (and by Shape only otherwise): (L, N, F)."""
    readers: dict[str, list[tuple[Any, int]]] = {}
    for node in model.graph.node:
        for slot, name in enumerate(node.input):
            readers.setdefault(name, []).append((node, slot))
    found = set()
    for info in model.graph.input:
        uses = readers.get(info.name, [])
        if any(n.op_type in KINDS for n, _ in uses) and all(
            n.op_type == "Shape" or (n.op_type in KINDS and slot == 0 and _attr(n, "layout", 0) == 0)
            for n, slot in uses
        ):
            found.add(info.name)
    return found


def weight_inputs(im: Importer) -> None:
    """W, R and B given as graph inputs (weights fed at run time): weights of their declared dims."""
    names = {i.name for i in im.model.graph.input}
    for node in im.model.graph.node:
        if node.op_type in KINDS:
            for name in node.input[1:4]:
                if name in names and name not in im.weights:
                    im.weights[name] = im.shapes.get(name, ())


def emit(im: Importer, planned: list[Planned], node: Any) -> None:
    """Write the planned layers at their node."""
    for p in planned:
        im._add(p.named or node, p.kind, {**p.args, "_inputs": [p.source], "_output": p.output}, [p.source])
        made = im.values[p.output]
        made.shape = p.shape
        for alias in p.aliases:
            im.values[alias] = made


@dataclass
class Recurrent:
    """The pass: every recurrent node's layer planned, the layout nodes around it skipped."""

    im: Importer
    nodes: list[Any]
    consumers: Counter[str]
    users: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    index: dict[int, int] = field(default_factory=dict)  # id(node) -> its position
    groups: list[Group] = field(default_factory=list)
    ends: dict[str, Group] = field(default_factory=dict)  # a (L, N, W) sequence -> its group
    rows: dict[str, list[Row]] = field(default_factory=dict)  # a final-state value -> its rows

    def run(self) -> None:
        """Plan every recurrent node's layer (im.planned) and fold its layout nodes (im.skip)."""
        for i, n in enumerate(self.nodes):
            self.index[id(n)] = i
            for name in n.input:
                self.users.setdefault(name, []).append((i, n))
        for i, node in enumerate(self.nodes):
            if node.op_type in KINDS:
                self._recurrent(i, node)
            elif any(name in self.rows for name in node.input):
                self._final(i, node)
        self._outputs()
        for group in self.groups:
            self._write(group)

    def _outputs(self) -> None:
        """A final state that is a graph output as it is, (1, N, H): the one direction's final state
        of the last layer; more rows are an error."""
        for info in self.im.model.graph.output:
            rows = self.rows.get(info.name)
            if rows is None:
                continue
            group, k, _ = rows[0]
            if len(rows) != 1 or k != group.layers - 1:
                raise SpecError(
                    f"{self.im.label}: the graph's output '{info.name}' holds the final states of "
                    f"{len(rows)} layers and directions as they are: netcalc's {KINDS[group.node.op_type]} "
                    "outputs the last layer's final state per sample — return h_n[-1] (or the sequence)"
                )
            group.finals.append((None, info.name, None))

    # --- a recurrent node ---------------------------------------------------------------------------

    def _recurrent(self, i: int, node: Any) -> None:
        """The node's group: a new one, or the group below it that it stacks onto."""
        args = self._args(node)
        x = node.input[0]
        below = self.ends.get(x)
        if below is not None and self._stacks(below, node, args):
            self.im.skip.add(below.index)
            del self.ends[x]
            group = below
            group.layers += 1
            group.index, group.node, group.sequence = i, node, None
        else:
            shape = self.im.shapes.get(x)
            if shape is None or len(shape) != 3 or shape[0] <= 0:
                raise SpecError(
                    f"{_where(self.im, node)}: its input X has no known (steps, batch, features) shape "
                    f"(got {list(shape or [])}) — export with a fixed sequence length"
                )
            group = Group(i, node, self._named(node), args, self._source(node), shape[0])
            self.groups.append(group)
        self.im.skip.add(i)
        self._sequence(group, node)
        if group.sequence is not None and group.seq_first:
            self.ends[group.sequence] = group
        if len(node.output) > 1 and node.output[1]:
            self.rows[node.output[1]] = [(group, group.layers - 1, d) for d in range(group.directions)]
        if len(node.output) > 2 and self.users.get(node.output[2]):
            raise SpecError(
                f"{_where(self.im, node)}: its cell state Y_c is read: netcalc's lstm outputs the hidden "
                "state only (the sequence or the final one) — export without returning c_n"
            )

    def _args(self, node: Any) -> dict[str, Any]:
        """The layer's arguments from the node's attributes."""
        self._refuse(node)
        dirs = DIRECTIONS[_attr(node, "direction", "forward")]
        args: dict[str, Any] = {"units": self._units(node, dirs)}
        if dirs == 2:
            args["bidirectional"] = True
        args.update(self._activations(node, dirs))
        bias = self._bias(node)
        if bias is not True:
            args["bias"] = bias
        return args

    def _refuse(self, node: Any) -> None:
        """An error for a node netcalc's layers cannot express, naming the fix."""
        op, where = node.op_type, _where(self.im, node)
        direction = _attr(node, "direction", "forward")
        if not isinstance(direction, str) or direction not in DIRECTIONS:
            raise SpecError(
                f"{where}: direction {direction!r}: netcalc's {KINDS[op]} runs forward or both ways "
                "(bidirectional) — reverse the sequence before it instead"
            )
        if _attr(node, "layout", 0) != 0:
            raise SpecError(
                f"{where}: layout=1 (batch first) is not read — export with layout 0 (the default)"
            )
        if op == "LSTM" and _given(node, 7):
            raise SpecError(
                f"{where}: it has peephole weights P ('{node.input[7]}'): netcalc's lstm has none "
                "(PyTorch's and Keras's LSTM have none) — export without peepholes"
            )
        if op == "LSTM" and _attr(node, "input_forget", 0):
            raise SpecError(
                f"{where}: input_forget=1 couples two gates: netcalc's lstm does not — export without it"
            )
        if _attr(node, "clip", None) is not None:
            raise SpecError(
                f"{where}: clip: netcalc's {KINDS[op]} does not clip its cell — export without clip"
            )
        for slot, role in ((4, "sequence_lens"), (5, "initial_h"), (6, "initial_c")):
            if _given(node, slot) and not self._constant(node.input[slot]):
                raise SpecError(
                    f"{where}: {role} is read from '{node.input[slot]}': netcalc counts every step of "
                    "every sequence from a zero state — export without lengths or initial states"
                )
        if op == "GRU" and _attr(node, "linear_before_reset", 0) != 1:
            raise SpecError(
                f"{where}: linear_before_reset=0 applies the reset gate before the recurrent product "
                "(Keras's reset_after=False): netcalc's gru is PyTorch's (linear_before_reset=1, Keras's "
                "reset_after=True), the same counts but another formula — export with reset_after=True"
            )

    def _activations(self, node: Any, dirs: int) -> dict[str, Any]:
        """The RNN's nonlinearity; an error for activations other than PyTorch's."""
        op, where, args = node.op_type, _where(self.im, node), {}
        activations = [
            a.decode() if isinstance(a, bytes) else str(a) for a in _listed(_attr(node, "activations", []))
        ]
        if op == "RNN":
            kinds = set(activations or ["Tanh"])
            if len(kinds) != 1 or kinds - set(NONLINEARITY):
                raise SpecError(
                    f"{where}: activations {activations}: netcalc's rnn takes Tanh or Relu, the same both "
                    "ways — export nn.RNN with nonlinearity tanh or relu"
                )
            (kind,) = kinds
            if kind != "Tanh":  # tanh: the layer's default
                args["nonlinearity"] = NONLINEARITY[kind]
        elif activations and activations != ACTIVATIONS[op] * dirs:
            raise SpecError(
                f"{where}: activations {activations}: netcalc's {KINDS[op]} has "
                f"{', '.join(ACTIVATIONS[op])} (ONNX's default, PyTorch's and Keras's) — export with those"
            )
        return args

    def _units(self, node: Any, dirs: int) -> int:
        """hidden_size, or R's last axis (dirs, G * H, H); W and R checked against it."""
        gates, where = GATES[node.op_type], _where(self.im, node)
        if len(node.input) < 3 or not all(node.input[:3]):
            raise SpecError(
                f"{where}: reads {list(node.input)}; an ONNX {node.op_type} reads X, W and R at least — "
                "the file is damaged: export the model again"
            )
        w, r = (self.im.weights.get(n) if n else None for n in node.input[1:3])
        units = _attr(node, "hidden_size", None)
        if units is not None and not isinstance(units, int):
            raise SpecError(f"{where}: hidden_size {units!r} is not an integer — fix the attribute")
        if units is None and r is not None and len(r) == 3 and r[2] > 0:
            units = r[2]
        if units is None:
            raise SpecError(
                f"{where}: no hidden_size attribute and no R weight of known shape: the hidden size is "
                "unknown — export with hidden_size (every exporter writes it)"
            )
        for role, dims in (("W", w), ("R", r)):
            if dims and all(n > 0 for n in dims) and (len(dims) != 3 or dims[:2] != (dirs, gates * units)):
                raise SpecError(
                    f"{where}: {role} has shape {list(dims)}, not ({dirs}, {gates} * {units}, ...) as "
                    f"hidden_size {units} and {dirs} direction(s) need — fix hidden_size or the weights"
                )
        return int(units)

    def _bias(self, node: Any) -> bool | str:
        """True for B (Wb and Rb: PyTorch's two biases), False without B, 'single' when Rb is zeros
        that are no parameter: a Constant (netcalc's export of Keras's one bias), or the zero half
        of an initializer that holds its data (tf2onnx's of Keras's LSTM)."""
        if not _given(node, 3):
            return False
        im, b = self.im, node.input[3]
        made = im.made_by.get(b)
        if made is not None and made.op_type == "Concat" and len(made.input) == 2 and _attr(made, "axis", 0):
            zeros = made.input[1]
            values = im.consts.get(zeros)
            if zeros not in im.initializers and values is not None and not any(_flat(values)):
                return "single"
        if node.op_type != "GRU" and b in im.initializers and _zero_half(im, b):
            return "single"
        return True

    def _source(self, node: Any) -> str:
        """The value the layer reads: the batch-first one its Transpose(1, 0, 2) makes X from, a
        (L, N, F) graph input, or another recurrent layer's (L, N, W) sequence."""
        im, x = self.im, node.input[0]
        made = im.made_by.get(x)
        if x in self.ends or (made is None and x in im.values):
            return str(x)
        if made is None:
            raise SpecError(f"{_where(im, node)}: its input X '{x}' is made by no node and is no graph input")
        swapped = made.op_type == "Transpose" and _listed(_attr(made, "perm", [])) == [1, 0, 2]
        if swapped and self.consumers[x] == 1 and made.input[0] not in im.weights:
            im.skip.add(self.index[id(made)])
            return str(made.input[0])
        raise SpecError(
            f"{_where(im, node)}: its input X comes from {made.op_type} '{made.name}' in ONNX's (steps, "
            "batch, features) layout, which netcalc does not fold — export with batch_first=True"
        )

    def _named(self, node: Any) -> Any:
        """The node itself when its name has a scope ('/rnn/LSTM'), else the Transpose before it
        when that has one (tf2onnx's 'LSTM__33' after 'sequential/lstm/transpose')."""
        made = self.im.made_by.get(node.input[0])
        if _scope(node.name) == node.name and made is not None and _scope(made.name) != made.name:
            return made
        return node

    def _stacks(self, below: Group, node: Any, args: dict[str, Any]) -> bool:
        """Whether the node is the next layer of the group below: same module and form, its only reader."""
        return (
            below.node.op_type == node.op_type
            and _scope(below.node.name) == _scope(node.name)
            and below.args == args
            and self.consumers[node.input[0]] == 1
            and node.input[0] not in {o.name for o in self.im.model.graph.output}
        )

    def _sequence(self, group: Group, node: Any) -> None:
        """Follow Y through its layout ops to the value holding the sequence (L, W), skipping the
        nodes on the way: the group's sequence (None when Y is not read). Its last step, sliced and
        squeezed (tf2onnx's Keras LSTM with return_sequences=False), is the one direction's final
        state."""
        im, value, state = self.im, node.output[0], "y"
        outputs = {o.name for o in im.model.graph.output}
        while True:
            after = self.users.get(value, [])
            if state == "batch" or (state == "seq" and (value in outputs or _stacking(value, after))):
                group.sequence, group.seq_first = value, state == "seq"
                return
            if not after and value not in outputs:
                return
            if len(after) != 1 or value in outputs:
                break
            j, nxt = after[0]
            if nxt.input[0] != value:  # read as an index, a shape: not a layout op on it
                break
            op, perm = nxt.op_type, _listed(_attr(nxt, "perm", []))
            if state == "y" and op == "Squeeze" and group.directions == 1 and _listed(self._axes(nxt)) == [1]:
                state = "seq"
            elif state == "y" and op == "Transpose" and perm == [0, 2, 1, 3]:
                state = "y_t"
            elif state == "y_t" and op == "Reshape" and self._reshaped(nxt, 3, group.width):
                state = "seq"
            elif state == "seq" and op == "Transpose" and perm == [1, 0, 2]:
                state = "batch"
            elif (
                state == "seq"
                and op == "Slice"
                and group.directions == 1
                and self._last_step(nxt, group.steps)
            ):
                state = "last"
            elif state == "last" and op == "Squeeze" and _listed(self._axes(nxt)) == [0]:
                group.finals.append((j, nxt.output[0], None))
                return
            elif state == "seq" and op == "Gather" and _attr(nxt, "axis", 0) == 0 and self._step(nxt, group):
                return
            else:
                break
            im.skip.add(j)
            value = nxt.output[0]
        reader = self.users.get(value, [])
        what = f"{reader[0][1].op_type} '{reader[0][1].name}'" if reader else "the graph's output"
        raise SpecError(
            f"{_where(im, node)}: its sequence Y is read by {what} in ONNX's (steps, ..., batch, ...) "
            "layout, which netcalc does not fold — export with batch_first=True, or transpose back to "
            "(batch, steps, features) right after it"
        )

    # --- final states -------------------------------------------------------------------------------

    def _final(self, j: int, node: Any) -> None:
        """A node reading final states: a Concat of them (PyTorch's h_n), a row of them (h_n[i]),
        netcalc's Transpose + Reshape of all of them, a Squeeze of the one direction."""
        im, op = self.im, node.op_type
        given = [self.rows.get(n) for n in node.input]
        mine = given[0]
        if op == "Concat" and _attr(node, "axis", 0) == 0 and all(g is not None for g in given):
            self.rows[node.output[0]] = [row for g in given if g for row in g]
            im.skip.add(j)
            return
        if mine is not None and op == "Gather" and _attr(node, "axis", 0) == 0:
            index = im.consts.get(node.input[1])
            if isinstance(index, int) and -len(mine) <= index < len(mine):
                group, k, d = mine[index]
                self._last_layer(group, k, node)
                group.finals.append((j, node.output[0], d))
                return
        if mine is not None and op == "Squeeze" and len(mine) == 1 and _listed(self._axes(node)) == [0]:
            group, k, _ = mine[0]
            self._last_layer(group, k, node)
            group.finals.append((j, node.output[0], None))
            return
        if mine is not None and op == "Transpose" and _listed(_attr(node, "perm", [])) == [1, 0, 2]:
            after = self.users.get(node.output[0], [])
            group, k, _ = mine[0]
            whole = len(mine) == group.directions and {row[1] for row in mine} == {k}
            merged = len(after) == 1 and after[0][1].op_type == "Reshape"
            if whole and merged and self._reshaped(after[0][1], 2, group.width):
                self._last_layer(group, k, node)
                im.skip.add(j)
                group.finals.append((after[0][0], after[0][1].output[0], None))
                return
        name = next(n for n in node.input if n in self.rows)
        raise SpecError(
            f"{im.label}: {op} node '{node.name or node.output[0]}' reads the final states '{name}' in a "
            "form netcalc does not fold (it folds h_n[i], a Squeeze of the one direction, or all "
            "directions of the last layer) — read h_n[-1], or the last step of the sequence"
        )

    def _last_layer(self, group: Group, k: int, node: Any) -> None:
        if k != group.layers - 1:
            raise SpecError(
                f"{self.im.label}: {node.op_type} node '{node.name or node.output[0]}' reads the final "
                f"state of layer {k} of {group.layers}: netcalc's {KINDS[group.node.op_type]} outputs the "
                "last layer's — read h_n of the last layer"
            )

    def _write(self, group: Group) -> None:
        """Plan the group's layer at its last node, and a slice or select per final state read."""
        im, units = self.im, group.units
        sequences = group.sequence is not None
        args = {**group.args, "layers": group.layers} if group.layers > 1 else dict(group.args)
        if not sequences:
            args["return_sequences"] = False
        state = group.node.output[1] if len(group.node.output) > 1 and group.node.output[1] else ""
        output = group.sequence or state or group.finals[0][1]  # no Y_h: the last step read
        shape = (group.steps, group.width) if sequences else (group.width,)
        aliases: list[str] = []
        after: list[Planned] = []  # layers written right after it (for the graph's own outputs)
        for j, value, d in group.finals:
            if sequences and group.directions == 2:
                raise SpecError(
                    f"{_where(im, group.node)}: both its sequence and its final state are read: "
                    "netcalc's bidirectional layer outputs one of them — read the sequence only"
                )
            if sequences:  # the one direction's final state: the last step
                part = Planned("select", {"axis": 0, "index": -1}, output, value, (units,))
            elif d is None or group.directions == 1:  # the whole final state: the layer's output
                im.skip.update([j] if j is not None else [])
                aliases.append(value)
                continue
            else:  # one direction of two
                bounds = {"start": d * units, "end": (d + 1) * units} if d == 0 else {"start": d * units}
                part = Planned("slice", {"axis": 0, **bounds}, output, value, (units,))
            if j is None:
                after.append(part)
            else:
                im.planned[j] = partial(emit, im, [part])
        for j, value, index in group.steps_read:
            step = Planned("select", {"axis": 0, "index": index}, output, value, (group.width,))
            im.planned[j] = partial(emit, im, [step])
        kind = KINDS[group.node.op_type]
        layer = Planned(kind, args, group.source, output, shape, tuple(aliases), group.named)
        im.planned[group.index] = partial(emit, im, [layer, *after])
        im.skip.discard(group.index)

    def _constant(self, name: str) -> bool:
        """Made from constants and shapes only (PyTorch's zero initial state: ConstantOfShape of the
        input's batch size, sliced per layer), not from an activation or a graph input."""
        im, seen = self.im, 0
        while name not in im.weights and name not in im.consts:
            made = im.made_by.get(name)
            if made is None or seen > len(self.nodes):  # a graph input; the bound: no cycle
                return False
            if made.op_type in ("Shape", "ConstantOfShape"):
                return True
            if made.op_type not in (
                "Slice",
                "Expand",
                "Unsqueeze",
                "Squeeze",
                "Reshape",
                "Identity",
                "Gather",
            ):
                return False
            name, seen = made.input[0], seen + 1
        return True

    # --- small readers ------------------------------------------------------------------------------

    def _axes(self, node: Any) -> Any:
        if len(node.input) > 1 and node.input[1]:
            return self.im.consts.get(node.input[1])
        return _attr(node, "axes", None)

    def _step(self, node: Any, group: Group) -> bool:
        """y[i] on the (L, N, W) sequence (PyTorch's batch_first=False): the one direction's final
        state for the last step, else a select of the sequence."""
        index = self.im.consts.get(node.input[1])
        if not isinstance(index, int) or not -group.steps <= index < group.steps:
            return False
        j = self.index[id(node)]
        if group.directions == 1 and index % group.steps == group.steps - 1:
            group.finals.append((j, node.output[0], None))
        else:
            group.sequence, group.seq_first = node.input[0], True
            group.steps_read.append((j, node.output[0], index))
        return True

    def _last_step(self, node: Any, steps: int) -> bool:
        """A Slice of the last step on axis 0: starts -1 (or L - 1), ends past L, step 1."""
        names = [*node.input[1:5], "", "", "", ""][:4]  # starts, ends, axes, steps; the last two optional
        starts, ends, axes, by = (self.im.consts.get(n) if n else None for n in names)
        return (
            _listed(axes) == [0]
            and _listed(starts) in ([-1], [steps - 1])
            and isinstance(_listed(ends)[0], int)
            and _listed(ends)[0] >= steps
            and by in (None, 1, [1])
        )

    def _reshaped(self, node: Any, rank: int, width: int) -> bool:
        """A Reshape to `rank` axes keeping the leading ones (0) and merging the rest to `width`."""
        target = self.im.consts.get(node.input[1]) if len(node.input) > 1 else None
        if not isinstance(target, list) or len(target) != rank:
            return False
        return all(n == 0 for n in target[:-1]) and target[-1] in (-1, width)


def _stacking(value: str, after: list[tuple[int, Any]]) -> bool:
    """Read only as the X of recurrent nodes."""
    return bool(after) and all(n.op_type in KINDS and n.input[0] == value for _, n in after)


def _where(im: Importer, node: Any) -> str:
    return f"{im.label}: {node.op_type} node '{node.name or node.output[0]}'"


def _given(node: Any, slot: int) -> bool:
    return len(node.input) > slot and bool(node.input[slot])


def _flat(values: Any) -> list[Any]:
    if isinstance(values, list):
        return [v for item in values for v in _flat(item)]
    return [values]


def _zero_half(im: Importer, name: str) -> bool:
    """Whether the initializer holds its data and every Rb (the second half of each row) is 0."""
    model = im.model
    tensor = next(t for t in model.graph.initializer if t.name == name)
    if len(tensor.dims) != 2 or tensor.dims[1] % 2 or not (tensor.raw_data or tensor.float_data):
        return False
    values = tensor_values(im.label, tensor)
    return not values[:, tensor.dims[1] // 2 :].any()
