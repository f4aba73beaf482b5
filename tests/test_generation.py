"""MACs per generated token (netcalc/analysis/generation.py), derived by hand on tiny networks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app


def test_decoder_only_is_its_forward_pass_over_the_context():
    # with the masked products counted, a forward pass over L positions costs L new tokens each
    # attending to all L keys: per token = forward / L exactly (L^2 products / L = L per query)
    spec = {
        "input": [8],
        "layers": [
            {"embedding": {"vocab": 10, "dim": 4}},
            {"attention": {"heads": 2, "causal": True}},
            {"dense": {"units": 10}},
        ],
    }
    report = netcalc.analyze(netcalc.load(spec))
    assert report.generation is not None
    assert report.generation.macs_per_token == (4 * 12 + 2 * 8 * 4 + 4 * 4) + 4 * 10 == 168
    assert report.generation.macs_per_token * 8 == report.totals.macs
    assert report.generation.layers == ((0, 0), (1, 128), (2, 40))  # the lookup is no MAC


@pytest.mark.parametrize(
    "layer",
    [
        {"attention": {"heads": 2}},  # bidirectional: every position sees later ones
        {"flatten": {}},  # (8, 4) -> (32,): the positions are gone
    ],
)
def test_no_figure_without_causal_mixing(layer):
    causal = {"attention": {"heads": 2, "causal": True}}
    spec = {"input": [8], "layers": [{"embedding": {"vocab": 10, "dim": 4}}, causal, layer]}
    assert netcalc.analyze(netcalc.load(spec)).generation is None


def test_no_figure_for_convolutional_networks():
    assert netcalc.analyze(netcalc.load("zoo:lenet5")).generation is None
    assert netcalc.analyze(netcalc.load("zoo:vit_b_16")).generation is None


GQA_DECODER = """\
input: [8]
layers:
  - embedding: {vocab: 10, dim: 8}
  - attention: {heads: 4, kv_heads: 2, head_dim: 3, causal: true}
  - dense: {units: 10}
"""


def test_grouped_query_attention_by_hand(tmp_path):
    # D = 8, h = 4 heads of d = 3 (inner 12), g = 2 kv heads (kv inner 6), L = 8
    attention = 8 * 12 + 2 * 8 * 6 + 2 * 8 * 12 + 12 * 8  # q; k, v of the new token; 8 keys; out
    spec = tmp_path / "gqa.yaml"
    spec.write_text(GQA_DECODER)
    runner = CliRunner()
    table = runner.invoke(app, ["count", str(spec)])
    assert table.exit_code == 0, table.output
    assert attention == 480
    assert f"Per generated token: {attention + 8 * 10:,} MACs" in table.output  # and the head, 8 x 10
    data = json.loads(runner.invoke(app, ["count", str(spec), "--format", "json"]).output)
    assert data["generation"] == {"input": "input", "context": 8, "macs_per_token": 560}
    lenet = json.loads(runner.invoke(app, ["count", "zoo:lenet5", "--format", "json"]).output)
    assert "generation" not in lenet


# The zoo's generators against Hugging Face transformers 5.24 (tools/llm_reference.py: FlopCounterMode
# on one new token over a KV cache of context - 1 positions, on the meta device; lstm_lm by hand only),
# and by hand: per layer the q, k, v, out and MLP products of one token, plus 2 * L * h * d over the
# context; the head.
PER_TOKEN = {
    "gpt2": ("input", 1024, 142_406_400),
    "lstm_lm": ("input", 35, 13_260_000),
    "t5_small": ("targets", 512, 44_761_088),
    "llama3_8b": ("input", 8192, 9_652_142_080),
}
BY_HAND = {
    # one step of each LSTM layer (4 gates of 650 x (650 + 650)); the decoder (by hand: no KV cache)
    "lstm_lm": 2 * 4 * 650 * (650 + 650) + 650 * 10000,
    # self-attention q, k, v, out and its 512 keys; cross-attention q, out and 512 memory keys; FF
    "t5_small": 6 * (4 * 512 * 512 + 2 * 512 * 512 + 2 * 512 * 512 + 2 * 512 * 512 + 2 * 512 * 2048)
    + 512 * 32128,
    # c_attn (q, k, v), c_proj, the MLP, 1,024 keys; the head (tied, but it computes)
    "gpt2": 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072 + 2 * 1024 * 768) + 768 * 50257,
    # q and out, k and v (8 kv heads of 128), SwiGLU, 8,192 keys; the untied head
    "llama3_8b": 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 8192 * 4096)
    + 4096 * 128256,
}


@pytest.mark.parametrize("name", sorted(PER_TOKEN))
def test_zoo_generators_match_transformers(name):
    g = netcalc.analyze(netcalc.load(f"zoo:{name}")).generation
    assert g is not None
    assert (g.input, g.context, g.macs_per_token) == PER_TOKEN[name]
    assert g.macs_per_token == BY_HAND[name]


def test_the_footer_says_what_a_generated_token_reuses():
    recurrent = CliRunner().invoke(app, ["count", "zoo:lstm_lm", "--set", "steps=4", "--set", "vocab=50"])
    attention = CliRunner().invoke(app, ["count", "zoo:gpt2", "--set", "context=8", "--set", "layers=1"])
    assert "with the recurrent state carried over" in recurrent.output
    assert "KV cache" not in recurrent.output
    assert "with a KV cache" in attention.output


def test_export_counts_nodes_in_words():
    from netcalc.render.runs import export_text

    one = export_text({"spec": "s", "path": "p", "opset": 17, "nodes": 1, "weights": 1})
    many = export_text({"spec": "s", "path": "p", "opset": 17, "nodes": 12, "weights": 61_706})
    assert "(opset 17, 1 node, 1 weight)" in one
    assert "(opset 17, 12 nodes, 61,706 weights)" in many
