"""PyTorch code from a spec (netcalc torch, netcalc.to_torch): PyTorch itself is the witness.

For every case of the case table, every shipped spec and every zoo model, the module's parameter
count, buffer count and output shape equal netcalc's (large models are built on the meta device,
so nothing big is allocated); for small ones, the module's output equals the NumPy backend's for
the same weights, loaded by name. Needs the torch extra: pip install -e ".[torch]".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zoo_sizes
from cases import CASES, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc import backend
from netcalc.cli import app
from netcalc.engine import rows
from netcalc.interop.torch_code import module_paths, to_torch, torch_source
from netcalc.zoo import names as zoo_names

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml"))
ZOO = [f"zoo:{name}" for name in zoo_names()]
SMALL_MACS = 400_000_000  # per sample: run for real and compare outputs with NumPy
SMALL_PARAMS = 2_000_000


def structure(network: netcalc.Network, module) -> tuple[int, int, int, tuple[int, ...]]:
    """(params, buffers without BN's step counters, BN step counters, output shape per sample)."""
    params = sum(p.numel() for p in module.parameters())
    buffers = dict(module.named_buffers())
    counters = [n for n in buffers if n.endswith("num_batches_tracked")]
    state = sum(b.numel() for n, b in buffers.items() if n not in counters)
    module.eval()
    with torch.device("meta"):
        out = module(*empty_inputs(network))
    out = out[0] if isinstance(out, tuple) else out  # several outputs: the first, as the report's
    return params, state, len(counters), tuple(out.shape[1:])


def empty_inputs(network: netcalc.Network) -> list:
    """One batch of 2 per input, in the forward's order: int64 for token ids (an embedding reads)."""
    return [
        torch.empty(2, *shape, dtype=torch.long if i in network.token_ids else None)
        for i, (_, shape) in network.input_nodes.items()
    ]


def check_structure(network: netcalc.Network) -> None:
    report = netcalc.analyze(network)
    with torch.device("meta"):
        module = to_torch(network)
    batchnorms = sum(1 for n in network.nodes if n.layer.kind == "batchnorm")
    # PyTorch keeps one step counter (num_batches_tracked) per batch norm beside its statistics
    assert structure(network, module) == (
        report.totals.params,
        report.totals.state,
        batchnorms,
        tuple(report.output_shape),
    )


def small(network: netcalc.Network) -> bool:
    table = rows(network)
    return (
        sum(r.counts.macs for r in table) < SMALL_MACS and sum(r.counts.params for r in table) < SMALL_PARAMS
    )


def check_outputs(network: netcalc.Network) -> None:
    """The module, given the NumPy backend's weights by name, computes the backend's output."""
    result = backend.run(network, seed=1, batch=2, dtype="float64")
    paths = module_paths(network)
    state = {
        f"{paths[layer]}.{name}": torch.from_numpy(np.ascontiguousarray(array))
        for layer, tensors in result.weights.items()
        for name, array in tensors.items()
    }
    module = to_torch(network).double().eval()
    missing, unexpected = module.load_state_dict(state, strict=False)
    assert unexpected == []
    assert all(key.endswith("num_batches_tracked") for key in missing)
    inputs = np.random.default_rng(2).standard_normal((2, *network.input))
    if network.token_ids:  # int64 ids in [0, vocab) for an input an embedding reads
        inputs = backend.random_input(network, 2, seed=2)
    arrays = [inputs]
    if len(network.input_nodes) > 1:  # several inputs: one array each, by name
        arrays = list(backend.random_inputs(network, 2, seed=2, dtype="float64").values())
        inputs = {name: a for (name, _), a in zip(network.input_nodes.values(), arrays, strict=True)}
    expected = backend.run(network, x=inputs, weights=result.flat_weights(), dtype="float64").output
    with torch.no_grad():
        got = module(*(torch.from_numpy(a) for a in arrays))
    got = (got[0] if isinstance(got, tuple) else got).numpy()  # the first output, as the backend's
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_table(case):
    network = netcalc.load(spec_dict(case))
    check_structure(network)
    if small(network):
        check_outputs(network)


@pytest.mark.parametrize("source", SHIPPED + ZOO)
def test_shipped_and_zoo(source):
    network = netcalc.load(source)
    check_structure(network)
    if small(network):
        check_outputs(network)


@pytest.mark.parametrize("source", [s for s in ZOO if zoo_sizes.small_args(s)])
def test_sequence_models_at_a_small_size(source):
    """The full-size structure is checked above on the meta device; the outputs at a small size."""
    network = zoo_sizes.load(source)
    assert small(network)
    check_structure(network)
    check_outputs(network)


def test_small_covers_the_examples():
    """The output comparison really runs on the shipped examples, not only on tiny cases."""
    assert [s for s in SHIPPED + ZOO if small(netcalc.load(s))] == [
        "specs/dense-vs-conv/tiny.yaml",
        "specs/examples/inception-block.yaml",
        "specs/examples/tiny-resnet.yaml",
        "zoo:lenet5",
    ]


def test_names_and_structure():
    """One attribute per layer named as in the spec, blocks as sub-modules, repeats as Sequential."""
    network = netcalc.load("zoo:resnet18")
    module = to_torch(network)
    keys = set(module.state_dict())
    assert {"conv1.weight", "layer1.1.conv2d_1.weight", "layer1.2.batchnorm_2.running_var", "fc.bias"} <= keys
    assert type(module.layer1).__name__ == "Sequential"
    assert [name for name, _ in module.layer1.named_children()] == ["1", "2"]
    assert set(module_paths(network).values()) == {
        name for name, m in module.named_modules() if name and not list(m.children())
    }


def test_training_only_branch_runs_in_training_only():
    network = netcalc.load("zoo:inception_v3")
    text = torch_source(network)
    assert "if self.training:" in text
    with torch.device("meta"):
        module = to_torch(network)
    calls = []
    aux = dict(module.named_modules())["AuxLogits.dense_1"]
    aux.register_forward_hook(lambda *args: calls.append(1))
    with torch.device("meta"):
        module.eval()(torch.empty(1, *network.input))
        assert calls == []
        module.train()(torch.empty(2, *network.input))
        assert calls == [1]


def test_names_that_are_not_identifiers_or_shadow_module_methods():
    spec = {
        "name": "odd names",
        "input": [4],
        "layers": [
            {"dense": {"units": 3, "name": "forward"}},
            {"dense": {"units": 3, "name": "my-layer"}},
            {"add": {"from": ["forward", "my-layer"], "name": "x"}},
        ],
    }
    network = netcalc.load(spec)
    assert module_paths(network) == {"forward": "forward_", "my-layer": "my_layer", "x": "x_"}
    check_outputs(network)


def test_names_with_leading_underscores_are_neither_mangled_nor_python_own():
    spec = {
        "name": "underscores",
        "input": [4],
        "layers": [
            {"dense": {"units": 4, "name": "__init__"}},
            {"dense": {"units": 4, "name": "__x"}},
            {"dense": {"units": 4, "name": "_x"}},
        ],
    }
    network = netcalc.load(spec)
    assert module_paths(network) == {"__init__": "_init__", "__x": "_x", "_x": "_x_"}
    check_outputs(network)


def test_cli_writes_a_module(tmp_path):
    out = tmp_path / "model.py"
    result = CliRunner().invoke(app, ["torch", "zoo:lenet5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    module = namespace["Lenet5"]()
    assert sum(p.numel() for p in module.parameters()) == 61_706
    assert tuple(module(torch.zeros(1, 1, 32, 32)).shape) == (1, 10)


def test_cli_stdout_and_stdin():
    spec = "name: t\ninput: [3]\nlayers:\n  - dense: {units: 2}\n"
    result = CliRunner().invoke(app, ["torch", "-"], input=spec)
    assert result.exit_code == 0, result.output
    assert "nn.Linear(3, 2" in result.output


@pytest.mark.parametrize(
    ("args", "make", "count"),
    [
        ({}, lambda: torch.nn.PReLU(), 1),  # one slope shared by every element
        ({"parameters": "channel"}, lambda: torch.nn.PReLU(16), 16),  # one per channel: C = 16
        ({"num_parameters": 16, "init": 0.1}, lambda: torch.nn.PReLU(num_parameters=16, init=0.1), 16),
    ],
)
def test_prelu_counts_and_computes_as_pytorchs_own_prelu(args, make, count):
    """netcalc's prelu against nn.PReLU itself (not the code netcalc writes): the parameter count
    (by hand: 1 or C), no MACs and no neurons, and with the backend's slopes loaded into the
    module, the backend's output on a (2, 16, 5, 7) batch."""
    network = netcalc.load({"input": [16, 5, 7], "layers": [{"prelu": {**args, "name": "p"}}]})
    report = netcalc.analyze(network)
    module = make().double()
    assert report.totals.params == sum(p.numel() for p in module.parameters()) == count
    assert (report.totals.macs, report.totals.neurons) == (0, 0)
    x = np.random.default_rng(3).standard_normal((2, 16, 5, 7))
    result = backend.run(network, x=x, seed=1, dtype="float64")
    slopes = result.weights["p"]["weight"]
    assert slopes.shape == tuple(module.weight.shape)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(slopes))
        got = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, result.output, rtol=1e-15)
    assert np.all(result.output[x < 0] != x[x < 0])  # the slopes (in [0, 0.5)) really acted


def test_prelu_per_element_is_keras_default():
    """Keras's PReLU() holds alpha of shape input_shape[1:]: one slope per element, 5 * 7 * 16 = 560
    on a 5x7 image of 16 channels (channels first here: (16, 5, 7)); shared_axes=[1, 2] leaves
    one per channel, 16. The module netcalc writes holds the same, and computes
    y = x if x >= 0 else alpha * x element by element."""
    element = netcalc.load(
        {"input": [16, 5, 7], "layers": [{"prelu": {"parameters": "element", "name": "p"}}]}
    )
    channel = netcalc.load({"input": [16, 5, 7], "layers": [{"prelu": {"parameters": "channel"}}]})
    assert netcalc.analyze(element).totals.params == 5 * 7 * 16
    assert netcalc.analyze(channel).totals.params == 16
    module = to_torch(element).double().eval()
    assert sum(p.numel() for p in module.parameters()) == 560
    x = np.random.default_rng(4).standard_normal((2, 16, 5, 7))
    result = backend.run(element, x=x, seed=1, dtype="float64")
    alpha = result.weights["p"]["weight"]
    assert alpha.shape == (16, 5, 7)
    np.testing.assert_array_equal(result.output, np.where(x >= 0, x, alpha * x))
    with torch.no_grad():
        module.p.weight.copy_(torch.from_numpy(alpha))
        np.testing.assert_allclose(module(torch.from_numpy(x)).numpy(), result.output, rtol=1e-15)
