"""--convention: other tools' totals, asserted equal to the tools themselves, field by field.

The tools (torchinfo, fvcore, ptflops, thop) run on `netcalc.to_torch` of every zoo model, every
shipped spec and one case-table network per layer type. torchinfo and thop run on PyTorch's meta
device (nothing allocated); fvcore traces and ptflops patches real calls, so they run on the CPU.
Keras's rule (batch-norm statistics are non-trainable params) is checked against its documented
figure for ResNet-50. Needs the torch extra.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import warnings
from pathlib import Path

import pytest
import zoo_sizes
from cases import CASES, spec_dict
from typer.testing import CliRunner

import netcalc
from netcalc.analysis.conventions import NAMES, convention
from netcalc.cli import app
from netcalc.interop.torch_code import to_torch
from netcalc.zoo import names as zoo_names

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")
fvcore_nn = pytest.importorskip("fvcore.nn")
ptflops = pytest.importorskip("ptflops")
thop = pytest.importorskip("thop")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml"))
ZOO = [f"zoo:{name}" for name in zoo_names()]
ONE_PER_KIND = list({c.kind: c for c in reversed(CASES)}.values())  # the first case of each kind


def ids(network: netcalc.Network, batch: int, device: str):
    """A batch of int64 token ids (zeros: a valid id) for a network whose input an embedding reads."""
    return torch.zeros((batch, *network.input), dtype=torch.long, device=device)


def several(network: netcalc.Network) -> bool:
    return len(network.input_nodes) > 1


def inputs(network: netcalc.Network, batch: int, device: str) -> tuple:
    """One batch per input, in the forward's order: int64 zeros for token ids, else floats."""
    return tuple(
        torch.zeros((batch, *shape), dtype=torch.long, device=device)
        if i in network.token_ids
        else torch.ones((batch, *shape), device=device)
        for i, (_, shape) in network.input_nodes.items()
    )


def meta_module(network: netcalc.Network):
    with torch.device("meta"):
        return to_torch(network).eval()


def torchinfo_summary(network: netcalc.Network, batch: int):
    if several(network):
        return torchinfo.summary(
            meta_module(network), input_data=list(inputs(network, batch, "meta")), verbose=0
        )
    if network.token_ids:
        return torchinfo.summary(meta_module(network), input_data=[ids(network, batch, "meta")], verbose=0)
    return torchinfo.summary(
        meta_module(network), input_size=(batch, *network.input), device="meta", verbose=0
    )


def torchinfo_layers(network: netcalc.Network) -> list[dict]:
    stats = torchinfo_summary(network, 1)
    return [
        {"output_shape": list(info.output_size), "params": info.num_params, "mult_adds": info.macs}
        for info in stats.summary_list
        if info.is_leaf_layer and info.executed
    ]


def torchinfo_figures(network: netcalc.Network, batch: int = 1) -> tuple[dict, str]:
    stats = torchinfo_summary(network, batch)
    figures = {
        "total_params": stats.total_params,
        "trainable_params": stats.trainable_params,
        "non_trainable_params": stats.total_params - stats.trainable_params,
        "total_mult_adds": stats.total_mult_adds,
        "input_size_bytes": stats.total_input,
        "forward_backward_pass_size_bytes": stats.total_output_bytes,
        "params_size_bytes": stats.total_param_bytes,
        "estimated_total_size_bytes": stats.total_input + stats.total_output_bytes + stats.total_param_bytes,
    }
    return figures, str(stats)


def cpu_module(network: netcalc.Network):
    """The module on the CPU with uninitialized weights: the tools count, values do not matter."""
    return meta_module(network).to_empty(device="cpu").eval()


def fvcore_figures(network: netcalc.Network, batch: int = 1) -> dict:
    torch.manual_seed(0)
    x = ids(network, batch, "cpu") if network.token_ids else torch.randn(batch, *network.input)
    if several(network):
        x = inputs(network, batch, "cpu")
    analysis = fvcore_nn.FlopCountAnalysis(cpu_module(network), x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    return {"total": analysis.total()}


def constructor(network: netcalc.Network):
    """ptflops' input_constructor: token ids, or the forward's arguments by input name."""
    if several(network):
        names = list(network.inputs)
        return lambda shape: dict(zip(names, inputs(network, 1, "cpu"), strict=True))
    return (lambda shape: ids(network, 1, "cpu")) if network.token_ids else None


def ptflops_figures(network: netcalc.Network) -> dict:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        macs, params = ptflops.get_model_complexity_info(
            cpu_module(network),
            tuple(network.input),
            input_constructor=constructor(network),
            as_strings=False,
            print_per_layer_stat=False,
            verbose=False,
        )
    return {"macs": macs, "params": params}


def thop_figures(network: netcalc.Network, batch: int = 1) -> dict:
    logging.disable(logging.WARNING)  # thop warns about every module type it has no rule for
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            macs, params = thop.profile(
                meta_module(network),
                inputs=inputs(network, batch, "meta")
                if several(network)
                else (
                    ids(network, batch, "meta")
                    if network.token_ids
                    else torch.empty(batch, *network.input, device="meta"),
                ),
                verbose=False,
            )
    finally:
        logging.disable(logging.NOTSET)
    return {"macs": int(macs), "params": int(params)}


def ours(name: str, network: netcalc.Network, batch: int = 1) -> dict:
    return convention(name, netcalc.analyze(network, batch=batch)).figures


def check_all(network: netcalc.Network) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours("torchinfo", network) == torchinfo_figures(network)[0]
        assert ours("thop", network) == thop_figures(network)
        assert ours("fvcore", network) == fvcore_figures(network)
        assert ours("ptflops", network) == ptflops_figures(network)


@pytest.mark.parametrize("source", ZOO + SHIPPED)
def test_zoo_and_shipped_specs(source):
    check_all(zoo_sizes.load(source))  # fvcore and ptflops allocate: sequence models run small


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=[c.id for c in ONE_PER_KIND])
def test_case_networks(case):
    network = netcalc.load(spec_dict(case))
    if netcalc.analyze(network).totals.macs > 300_000_000:
        network = netcalc.load(spec_dict(next(c for c in CASES if c.kind == case.kind and c is not case)))
    check_all(network)


# attention held as GroupedAttention (one nn.Linear per projection): grouped-query, narrow heads,
# bias lists, a memory of another width, windows (leading axes) with a relative bias
GROUPED_ATTENTION = [
    "input: [6, 16]\nlayers:\n  - attention: {heads: 4, kv_heads: 2, causal: true, bias: false}\n"
    "  - dense: {units: 16, bias: false}\n",
    "input: [6, 16]\nlayers:\n  - attention: {heads: 4, head_dim: 8, bias: [q, v]}\n",
    "input: [5, 12]\nlayers:\n  - dense: {units: 8, name: memory}\n"
    "  - attention: {heads: 4, kv_heads: 2, from: [input, memory]}\n",
    "input: [2, 5, 12]\nlayers:\n  - attention: {heads: 4, kv_heads: 1, relative_bias: 9, bias: [k, out]}\n",
]


@pytest.mark.parametrize("text", GROUPED_ATTENTION)
def test_grouped_attention(text):
    check_all(netcalc.load(text))


@pytest.mark.parametrize("source", ZOO)
def test_count_json_equals_torchinfo_summary(source):
    """Acceptance: `count zoo:NAME --convention torchinfo --format json` equals torchinfo's summary."""
    options = ["--convention", "torchinfo", "--format", "json", *zoo_sizes.set_options(source)]
    result = CliRunner().invoke(app, ["count", source, *options])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    figures, text = torchinfo_figures(zoo_sizes.load(source))
    assert data["figures"] == figures
    layers = [{k: v for k, v in layer.items() if k != "layer"} for layer in data["layers"]]
    assert layers == torchinfo_layers(zoo_sizes.load(source))  # per layer, in order
    for key, value in data["printed"].items():  # the printed lines too, as torchinfo writes them
        label = key.split(" (")[0]
        line = next(line for line in text.splitlines() if line.startswith(label))
        assert line.endswith(f": {value}"), (line, value)


def test_batch_scales_like_the_tools():
    network = netcalc.load("specs/examples/tiny-resnet.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours("torchinfo", network, 3) == torchinfo_figures(network, 3)[0]
        assert ours("fvcore", network, 3) == fvcore_figures(network, 3)
        assert ours("thop", network, 3) == thop_figures(network, 3)
    # ptflops always builds a batch of one
    assert convention("ptflops", netcalc.analyze(network, batch=3)).batch == 1


def test_keras_counts_batchnorm_statistics_as_non_trainable_params():
    # keras.applications.ResNet50: Total params 25,636,712; Trainable 25,583,592; Non-trainable 53,120
    # (its convolutions have biases: 25,557,032 + 26,560 conv biases + 53,120 statistics = 25,636,712)
    figures = ours("keras", netcalc.load("zoo:resnet50"))
    assert figures["non_trainable_params"] == 53_120
    assert figures["total_params"] == figures["trainable_params"] + 53_120 == 25_557_032 + 53_120


def test_every_convention_on_the_cli():
    for name in NAMES:
        result = CliRunner().invoke(app, ["count", "zoo:lenet5", "--convention", name])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        app, ["compare", "zoo:lenet5", "zoo:alexnet", "--convention", "thop", "-f", "csv"]
    )
    assert result.output.splitlines()[0] == "network,convention,batch,macs,params"
    assert result.output.splitlines()[1] == "lenet5,thop,1,416520,61706"
    bad = CliRunner().invoke(app, ["count", "zoo:lenet5", "--convention", "flops"])
    assert bad.exit_code == 2


def test_readme_side_by_side_table():
    """The README's ResNet-18 table is --convention's output, not hand-kept numbers."""
    readme = (ROOT / "README.md").read_text()
    report = netcalc.analyze(netcalc.load("zoo:resnet18"))
    fig = {name: convention(name, report).figures for name in NAMES if name != "netcalc"}
    expected = {
        "netcalc": (report.totals.macs, report.totals.params),
        "torchinfo": (fig["torchinfo"]["total_mult_adds"], fig["torchinfo"]["total_params"]),
        "fvcore": (fig["fvcore"]["total"], None),
        "ptflops": (fig["ptflops"]["macs"], fig["ptflops"]["params"]),
        "thop": (fig["thop"]["macs"], fig["thop"]["params"]),
        "keras": (None, fig["keras"]["total_params"]),
    }
    for name, (macs, params) in expected.items():
        row = next(line for line in readme.splitlines() if re.match(rf"\| {name} \| [0-9,]*\s*\|", line))
        cells = [c.strip() for c in row.split("|")[2:4]]
        assert cells == [f"{macs:,}" if macs is not None else "", f"{params:,}" if params is not None else ""]
    assert (
        "| torchinfo | 1,814,083,944 | 11,689,512 | input 602,176 B, forward/backward 39,747,392 B" in readme
    )
    assert fig["torchinfo"]["input_size_bytes"] == 602_176
    assert fig["torchinfo"]["forward_backward_pass_size_bytes"] == 39_747_392
    assert fig["torchinfo"]["params_size_bytes"] == 46_758_048
