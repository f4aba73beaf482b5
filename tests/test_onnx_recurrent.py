"""ONNX import of LSTM, GRU and RNN nodes (netcalc/interop/onnx_recurrent.py).

netcalc's own export of every form of its recurrent layers reads back as the same layer; PyTorch's
exports are fixtures of tests/test_onnx_import.py; recurrent nodes netcalc cannot express are
one-line errors naming the node and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import netcalc
from netcalc.errors import SpecError
from netcalc.report import analyze

onnx = pytest.importorskip("onnx")
from test_onnx_import import stripped_export  # noqa: E402  (needs onnx)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "onnx"

FORMS = [
    {"lstm": {"units": 6, "bidirectional": True, "layers": 2, "return_sequences": False}},
    {"lstm": {"units": 6, "bias": "single"}},
    {"gru": {"units": 6, "bias": False, "layers": 3}},
    {"rnn": {"units": 6, "bidirectional": True, "nonlinearity": "relu"}},
    {"rnn": {"units": 6, "return_sequences": False}},
]


@pytest.mark.parametrize("layer", FORMS, ids=lambda form: str(form).replace(" ", ""))
def test_netcalc_exports_read_back_as_the_same_layer(layer, tmp_path):
    """One ONNX node per stacked layer, the layout ops around them, Y_h for the final state: one layer."""
    network = netcalc.load({"name": "r", "input": [7, 5], "layers": [layer, {"dense": {"units": 3}}]})
    back = netcalc.load(str(stripped_export(network, tmp_path / "r.onnx")))
    ((kind, args),) = layer.items()
    assert back.spec.layers[0] == {kind: {**args, "name": f"{kind}_1", "from": "input"}}
    assert analyze(back).to_dict()["totals"] == analyze(network).to_dict()["totals"]


@pytest.mark.parametrize(
    ("name", "params", "macs", "layers"),
    [
        # embedding 100*16; LSTM(16, 24, 2 layers): 4*24*(16+24) + 2*4*24 = 4,032 and
        # 4*24*(24+24) + 2*4*24 = 4,800; decoder 24*100+100. MACs: 12 steps * 4*24*((16+24) + (24+24))
        # + 12*24*100. Exported with constant folding: W, R, B are initializers of their own.
        (
            "lstm_lm",
            1_600 + 4_032 + 4_800 + 2_500,
            101_376 + 28_800,
            [
                ("embedding", {"vocab": 100, "dim": 16}),
                ("lstm", {"units": 24, "layers": 2}),
                ("dense", {"units": 100, "bias": True}),
            ],
        ),
        # GRU(8, 12, 2 layers, both ways): 2 * (3*12*(8+12) + 2*3*12) = 1,584 and
        # 2 * (3*12*(24+12) + 2*3*12) = 2,736; head 24*3+3. MACs: 10 steps * 2 * 3*12*((8+12) + (24+12))
        # + 24*3. h_n[-2] and h_n[-1]: the forward and backward halves of the final state, concatenated.
        (
            "gru_classifier",
            1_584 + 2_736 + 75,
            40_320 + 72,
            [
                ("gru", {"units": 12, "bidirectional": True, "layers": 2, "return_sequences": False}),
                ("slice", {"axis": 0, "start": 0, "end": 12}),
                ("slice", {"axis": 0, "start": 12}),
                ("concat", {"axis": 0}),
                ("dense", {"units": 3, "bias": True}),
            ],
        ),
        # RNN(8, 16, relu, no bias), the input (10, N, 8) sequence first: 16*8 + 16*16; head 16*4+4.
        # MACs: 10 steps * 16*(8+16) + 16*4.
        (
            "rnn_relu",
            384 + 68,
            3_840 + 64,
            [
                ("rnn", {"units": 16, "nonlinearity": "relu", "bias": False, "return_sequences": False}),
                ("dense", {"units": 4, "bias": True}),
            ],
        ),
    ],
)
def test_pytorch_recurrent_exports_read_as_one_layer(name, params, macs, layers):
    """torch.onnx.export of nn.LSTM, nn.GRU and nn.RNN (tools/make_onnx_fixtures.py): the counts
    PyTorch gives (its parameters; torch.utils.flop_counter's MACs) and a spec that reads naturally."""
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    network = netcalc.load(str(FIXTURES / f"{name}.onnx"))
    report = analyze(network)
    assert (
        (report.totals.params, report.totals.macs) == (params, macs) == (expected["params"], expected["macs"])
    )
    read = [(kind, args) for entry in network.spec.layers for kind, args in entry.items()]
    assert [
        (kind, {k: v for k, v in args.items() if k not in ("name", "from")}) for kind, args in read
    ] == layers


def recurrent_model(
    op: str = "LSTM", inputs: tuple[str, ...] = (), read: str = "Y_h", dirs: int = 1, **attrs
):
    """x (N, 5, 4) -> Transpose -> one recurrent node of hidden size 3 -> its final state (N, 3)."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    weights = [
        helper.make_tensor("W", TensorProto.FLOAT, [dirs, gates * 3, 4], [0.0] * dirs * gates * 12),
        helper.make_tensor("R", TensorProto.FLOAT, [dirs, gates * 3, 3], [0.0] * dirs * gates * 9),
        helper.make_tensor("P", TensorProto.FLOAT, [1, 9], [0.0] * 9),
    ]
    given = {"W", "R", *inputs}
    weights = [w for w in weights if w.name in given]
    slots = ["xt", "W", "R", "", "", "", "", "P"]
    node_inputs = [n if n in given or n == "xt" else "" for n in slots]
    while not node_inputs[-1]:
        node_inputs.pop()
    outputs = ["Y", "Y_h", "Y_c"][: 3 if op == "LSTM" else 2]
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2], name="t"),
        helper.make_node(op, node_inputs, outputs, name="rnn/" + op, **attrs),
        helper.make_node("Squeeze", [read, "zero"], ["y"], name="last"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 5, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    zero = helper.make_tensor("zero", TensorProto.INT64, [1], [0])
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[*weights, zero])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_hand_made_recurrent_node_reads_as_its_layer(tmp_path):
    """The final state through a Squeeze of its direction axis: return_sequences false."""
    onnx.save(recurrent_model("GRU", hidden_size=3, linear_before_reset=1), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers == [
        {"gru": {"units": 3, "bias": False, "return_sequences": False, "name": "rnn", "from": "input"}}
    ]
    assert analyze(network).totals.params == 3 * 3 * (4 + 3)  # W and R; no B


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            recurrent_model(inputs=("P",), hidden_size=3),
            r"LSTM node 'rnn/LSTM': it has peephole weights P \('P'\): netcalc's lstm has none .* — "
            "export without peepholes",
        ),
        (
            recurrent_model(hidden_size=3, activations=["Sigmoid", "Tanh", "Relu"]),
            r"activations \['Sigmoid', 'Tanh', 'Relu'\]: netcalc's lstm has Sigmoid, Tanh, Tanh",
        ),
        (
            recurrent_model("RNN", hidden_size=3, activations=["Sigmoid"]),
            r"RNN node 'rnn/RNN': activations \['Sigmoid'\]: netcalc's rnn takes Tanh or Relu",
        ),
        (
            recurrent_model("GRU", hidden_size=3),
            r"GRU node 'rnn/GRU': linear_before_reset=0 .* another formula — export with reset_after=True",
        ),
        (
            recurrent_model(read="Y_c", hidden_size=3),
            r"its cell state Y_c is read: netcalc's lstm outputs the hidden state only",
        ),
        (
            recurrent_model(hidden_size=3, direction="reverse"),
            r"direction 'reverse': netcalc's lstm runs forward or both ways",
        ),
        (
            recurrent_model(hidden_size=5),
            r"W has shape \[1, 12, 4\], not \(1, 4 \* 5, \.\.\.\) as hidden_size 5",
        ),
        (  # hostile: attributes of another type
            recurrent_model("RNN", hidden_size=3, activations=[1.5]),
            r"RNN node 'rnn/RNN': activations \['1.5'\]: netcalc's rnn takes Tanh or Relu",
        ),
        (recurrent_model(hidden_size="3"), r"hidden_size '3' is not an integer — fix the attribute"),
    ],
    ids=[
        "peephole",
        "activations",
        "rnn-activation",
        "reset-before",
        "cell-state",
        "reverse",
        "shape",
        "floats",
        "size",
    ],
)
def test_recurrent_nodes_netcalc_cannot_express_are_one_line_errors(model, message, tmp_path):
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=message) as error:
        netcalc.load(str(tmp_path / "m.onnx"))
    assert "\n" not in str(error.value) and str(error.value).startswith("m.onnx: ")


def test_no_hidden_size_and_no_weights_is_an_error(tmp_path):
    """W and R fed as graph inputs of unknown shape, no hidden_size: the hidden size is unknown."""
    model = recurrent_model()
    helper = onnx.helper
    del model.graph.initializer[:2]
    for name in ("W", "R"):
        model.graph.input.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["a", "b", "c"]))
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"no hidden_size attribute and no R weight of known shape"):
        netcalc.load(str(tmp_path / "m.onnx"))
    model.graph.node[1].attribute.append(helper.make_attribute("hidden_size", 3))
    onnx.save(model, str(tmp_path / "m.onnx"))  # with it: W and R are weights fed at run time
    assert analyze(netcalc.load(str(tmp_path / "m.onnx"))).totals.params == 4 * 3 * (4 + 3)


def test_keras_lstm_converted_by_tf2onnx_reads_as_keras_layers():
    """tf2onnx writes each Keras LSTM as one node: B holds Keras's one bias and zeros for Rb (kept in
    the fixture: bias single); return_sequences=False is a Slice of the last step and a Squeeze."""
    network = netcalc.load(str(FIXTURES / "keras_lstm.onnx"))
    kinds = [
        (kind, args.get("units"), args.get("bias"), args.get("return_sequences"))
        for e in network.spec.layers
        for kind, args in e.items()
    ]
    assert kinds == [("lstm", 12, "single", None), ("lstm", 6, "single", False), ("dense", 3, True, None)]


def test_a_zero_recurrent_bias_is_single_only_with_its_data(tmp_path):
    """B's zero Rb half says Keras's one bias only where the file holds B's values: stripped, it is
    PyTorch's two biases (the count the file's shapes give)."""
    model = onnx.load(str(FIXTURES / "keras_lstm.onnx"))
    first = next(n for n in model.graph.node if n.op_type == "LSTM")
    bias = next(t for t in model.graph.initializer if t.name == first.input[3])  # (1, 2 * 4 * 12)
    assert bias.raw_data or bias.float_data
    bias.ClearField("raw_data")
    bias.ClearField("float_data")
    onnx.save(model, str(tmp_path / "m.onnx"))
    assert analyze(netcalc.load(str(tmp_path / "m.onnx"))).totals.params == 1_485 + 4 * 12


def test_a_loop_reading_activations_from_its_body_is_an_unknown_operator(tmp_path):
    """tf2onnx writes Keras 3's GRU and SimpleRNN as a Loop whose body reads the sequence by name:
    its inputs are constants and shapes only, and it was taken for shape arithmetic (a silent zero)."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond"], ["cond_out"]),
            helper.make_node("Add", ["v", "x"], ["v_out"]),  # x: the outer graph's input
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v", TensorProto.FLOAT, None),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, None),
        ],
    )
    steps = helper.make_tensor("steps", TensorProto.INT64, [], [3])
    start = helper.make_tensor("start", TensorProto.FLOAT, [1, 4], [0.0] * 4)
    loop = helper.make_node("Loop", ["steps", "", "start"], ["y"], name="rnn/while_loop", body=body)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([loop], "g", [x], [y], initializer=[steps, start])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"operators netcalc cannot count: Loop x1 \(rnn/while_loop\)"):
        netcalc.load(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    ("index", "layers"),
    [
        (-1, [("rnn", {"units": 3, "bias": False, "return_sequences": False})]),
        (2, [("rnn", {"units": 3, "bias": False}), ("select", {"axis": 0, "index": 2})]),
    ],
)
def test_a_step_of_a_sequence_first_output(index, layers, tmp_path):
    """PyTorch's y[i] on a batch_first=False output (L, N, H): Gather on axis 0. The last step is
    the final state (return_sequences: false); another step is a select of the sequence."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    nodes = [
        helper.make_node("RNN", ["x", "W", "R"], ["Y"], name="rnn/RNN", hidden_size=3),
        helper.make_node("Squeeze", ["Y", "one"], ["seq"], name="rnn/Squeeze"),  # (L, N, H)
        helper.make_node("Gather", ["seq", "i"], ["y"], name="pick", axis=0),
    ]
    weights = [
        helper.make_tensor("W", TensorProto.FLOAT, [1, 3, 4], [0.0] * 12),
        helper.make_tensor("R", TensorProto.FLOAT, [1, 3, 3], [0.0] * 9),
        helper.make_tensor("one", TensorProto.INT64, [1], [1]),
        helper.make_tensor("i", TensorProto.INT64, [], [index]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, "N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    read = [(kind, args) for entry in network.spec.layers for kind, args in entry.items()]
    assert [
        (kind, {k: v for k, v in args.items() if k not in ("name", "from")}) for kind, args in read
    ] == layers
    assert list(analyze(network).input_shape) == [5, 4]
    assert analyze(network).totals.macs == 5 * 3 * (4 + 3)  # every step's products, whichever is read


def test_a_final_state_that_is_the_graph_output(tmp_path):
    """Y_h itself as the graph's output (an encoder returning h_n): (1, N, H) is the one direction's
    final state, the layer's output; the final states of two directions (or layers) as they are
    are an error naming the fix."""
    model = recurrent_model("GRU", hidden_size=3, linear_before_reset=1)
    del model.graph.node[2]  # the Squeeze
    model.graph.output[0].name = "Y_h"
    onnx.save(model, str(tmp_path / "m.onnx"))
    network = netcalc.load(str(tmp_path / "m.onnx"))
    assert network.spec.layers == [
        {"gru": {"units": 3, "bias": False, "return_sequences": False, "name": "rnn", "from": "input"}}
    ]
    both = recurrent_model("GRU", dirs=2, hidden_size=3, linear_before_reset=1, direction="bidirectional")
    del both.graph.node[2]
    both.graph.output[0].name = "Y_h"
    onnx.save(both, str(tmp_path / "m.onnx"))
    with pytest.raises(
        SpecError, match=r"the graph's output 'Y_h' holds the final states of 2 .* return h_n\[-1\]"
    ):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_sequence_first_input_not_read_by_a_recurrent_node_names_the_fix(tmp_path):
    """Token ids (L, N) of PyTorch's sequence-first word_language_model: the batch on axis 1."""
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [7, "N", 4])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"\(got \[7, -1, 4\]\) — export batch first \(batch_first=True\)$"):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_value_no_node_makes_is_an_error(tmp_path):
    """A graph cut short (h_n[-1]'s Gather removed): the head reads a value nothing makes."""
    model = onnx.load(str(FIXTURES / "rnn_relu.onnx"))
    gather = next(n for n in model.graph.node if n.name == "/Gather")
    model.graph.node.remove(gather)
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(
        SpecError, match=r"node '/head/Gemm' reads '/Gather_output_0', which no node, initializer"
    ):
        netcalc.load(str(tmp_path / "m.onnx"))


def test_a_layer_that_reads_no_activation_is_an_error(tmp_path):
    """h_n[-1]'s Gather reading nothing (an empty input): the head reads weights and constants only."""
    model = onnx.load(str(FIXTURES / "rnn_relu.onnx"))
    next(n for n in model.graph.node if n.name == "/Gather").input[0] = ""
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"Gemm node '/head/Gemm' reads no activation"):
        netcalc.load(str(tmp_path / "m.onnx"))


@pytest.mark.parametrize("node_inputs", [["xt", "W"], ["xt", "W", ""], ["xt", "", "R"]])
def test_a_node_without_w_or_r_is_an_error(node_inputs, tmp_path):
    """X, W and R are an ONNX recurrent node's required inputs: a node without one (hand-made or
    damaged) unpacked too few values (an internal error)."""
    model = recurrent_model(hidden_size=3)
    del model.graph.node[1].input[:]
    model.graph.node[1].input.extend(node_inputs)
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(SpecError, match=r"^m\.onnx: LSTM node 'rnn/LSTM': reads .* X, W and R at least"):
        netcalc.load(str(tmp_path / "m.onnx"))
