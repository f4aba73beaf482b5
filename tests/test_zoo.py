"""The model zoo reproduces published figures exactly.

Params and GFLOPS: the torchvision docs' table of classification weights (the same numbers as
`weights.meta["num_params"]` and `["_ops"]` in torchvision 0.29 source). Exact MACs and buffers: torch
2.14.1 / torchvision 0.29.1 models, summed with forward hooks the fvcore way (conv: output elements *
in_channels / groups * kh * kw; transposed conv: input elements * out_channels / groups * kh * kw;
linear: rows * in * out; MultiheadAttention: N*D*3D + 2*N*N*D + N*D*D; nothing else), batch 1.
The torch figures agree with the published ones: resnet50 4,089,184,256 and alexnet 714,188,480 MACs
are the exact counts behind torchvision's 4.09 and 0.71 GFLOPS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import zoo_sizes

import netcalc

ZOO = Path(netcalc.__file__).parent / "zoo"

# name: (params, batchnorm running statistics, MACs, published GFLOPS or None, output shape)
EXPECTED = {
    # 61,706: the LeNet-5 (ReLU, max pool) figure; MACs by hand: 117,600 + 240,000 + 48,000 + 10,080 + 840
    "lenet5": (61_706, 0, 416_520, None, (10,)),
    # torchvision docs, AlexNet_Weights.IMAGENET1K_V1: 61,100,840 params, 0.71 GFLOPS
    "alexnet": (61_100_840, 0, 714_188_480, 0.71, (1000,)),
    # torchvision docs, VGG16_Weights.IMAGENET1K_V1: 138,357,544 params, 15.47 GFLOPS
    "vgg16": (138_357_544, 0, 15_470_264_320, 15.47, (1000,)),
    # torchvision docs, ResNet18_Weights.IMAGENET1K_V1: 11,689,512 params, 1.81 GFLOPS
    "resnet18": (11_689_512, 9_600, 1_814_073_344, 1.81, (1000,)),
    # torchvision docs, ResNet50_Weights.IMAGENET1K_V1: 25,557,032 params, 4.09 GFLOPS
    "resnet50": (25_557_032, 53_120, 4_089_184_256, 4.09, (1000,)),
    # torchvision docs, MobileNet_V2_Weights.IMAGENET1K_V1: 3,504,872 params, 0.30 GFLOPS
    "mobilenet_v2": (3_504_872, 34_112, 300_774_272, 0.30, (1000,)),
    # Ronneberger et al. 2015, Fig. 1 (1x572x572 -> 2x388x388); counts from the torch reference model
    "unet": (31_030_658, 0, 150_428_424_448, None, (2, 388, 388)),
    # torchvision docs, ViT_B_16_Weights.IMAGENET1K_V1: 86,567,656 params, 17.56 GFLOPS
    "vit_b_16": (86_567_656, 0, 17_563_828_224, 17.56, (1000,)),
    # torchvision docs, MobileNet_V3_Small_Weights.IMAGENET1K_V1: 2,542,856 params, 0.06 GFLOPS
    "mobilenet_v3_small": (2_542_856, 12_112, 56_510_400, 0.06, (1000,)),
    # torchvision docs, ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1: 2,278,604 params, 0.14 GFLOPS
    "shufflenet_v2_x1_0": (2_278_604, 16_180, 144_907_992, 0.14, (1000,)),
    # torchvision docs, ConvNeXt_Tiny_Weights.IMAGENET1K_V1: 28,589,128 params, 4.46 GFLOPS
    "convnext_tiny": (28_589_128, 0, 4_455_531_264, 4.46, (1000,)),
    # torchvision docs, Inception_V3_Weights.IMAGENET1K_V1: 27,161,264 params (AuxLogits included),
    # 5.71 GFLOPS (AuxLogits excluded: it runs in training only; here it is training_only)
    "inception_v3": (27_161_264, 36_224, 5_713_216_096, 5.71, (1000,)),
    # torchvision docs, EfficientNet_B0_Weights.IMAGENET1K_V1: 5,288,548 params, 0.39 GFLOPS
    "efficientnet_b0": (5_288_548, 42_016, 385_814_752, 0.39, (1000,)),
    # openai-community/gpt2 config in HF transformers 5.24 GPT2LMHeadModel (LM head tied to wte), meta
    # device (tools/llm_reference.py): 124,439,808 params; MACs over 1,024 tokens by FlopCounterMode
    "gpt2": (124_439_808, 0, 145_824_153_600, None, (1024, 50257)),
    # google-bert/bert-base-uncased config in HF transformers 5.24 BertModel (with pooler), meta device
    # (tools/llm_reference.py): 109,482,240 params; MACs over 128 tokens by FlopCounterMode
    "bert_base": (109_482_240, 0, 11_174_215_680, None, (128, 768)),
    # google-t5/t5-small config in HF transformers 5.24 T5ForConditionalGeneration (head tied to the
    # shared table), meta device (tools/llm_reference.py): 60,506,624 params; MACs over 512 input and 512
    # target tokens by FlopCounterMode
    "t5_small": (60_506_624, 0, 35_802_578_944, None, (512, 32128)),
    # Zaremba et al. 2014 medium: derived in the spec (19,780,400 params, PyTorch's two LSTM biases),
    # equal to nn.Embedding + nn.LSTM(650, 650, 2) + nn.Linear (tools/llm_reference.py); MACs over 35
    # steps: 35 * (2 * 4 * 650 * (650 + 650) + 650 * 10,000), equal to FlopCounterMode
    "lstm_lm": (19_780_400, 0, 464_100_000, None, (35, 10000)),
    # Meta Llama 3 8B config.json in HF transformers 5.24 LlamaForCausalLM on the meta device
    # (tools/llm_reference.py): 8,030,261,248 params; MACs over 8,192 tokens by FlopCounterMode
    "llama3_8b": (8_030_261_248, 0, 79_070_347_919_360, None, (8192, 128256)),
    # torchvision docs, Swin_T_Weights.IMAGENET1K_V1: 28,288,354 params, 4.49 GFLOPS (windowed attention:
    # per block N*C*3C + 2*N*49*C + N*C*C with N = H*W tokens in windows of 7x7 = 49)
    "swin_t": (28_288_354, 0, 4_490_566_656, 4.49, (1000,)),
}

# weights.meta["_ops"] in torchvision 0.29 source gives three decimals where the docs round to two
PUBLISHED_OPS = {
    "mobilenet_v3_small": 0.057,
    "shufflenet_v2_x1_0": 0.145,
    "convnext_tiny": 4.456,
    "efficientnet_b0": 0.386,
    "inception_v3": 5.713,
    "swin_t": 4.491,
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def zoo(request):
    """(name, report) of one zoo spec, analyzed through the public API."""
    return request.param, netcalc.analyze(netcalc.load(ZOO / f"{request.param}.yaml"))


def test_params_are_exact(zoo):
    name, report = zoo
    assert report.params == EXPECTED[name][0]


def test_batchnorm_state_is_exact(zoo):
    name, report = zoo
    assert report.totals.state == EXPECTED[name][1]


def test_macs_are_exact(zoo):
    name, report = zoo
    assert report.totals.macs == EXPECTED[name][2]


@pytest.mark.parametrize("name", [n for n, e in sorted(EXPECTED.items()) if e[3] is not None])
def test_macs_round_to_published_gflops(name):
    report = netcalc.analyze(netcalc.load(ZOO / f"{name}.yaml"))
    assert round(report.totals.macs / 1e9, 2) == EXPECTED[name][3]


@pytest.mark.parametrize("name", sorted(PUBLISHED_OPS))
def test_macs_round_to_published_ops(name):
    report = netcalc.analyze(netcalc.load(ZOO / f"{name}.yaml"))
    assert round(report.totals.macs / 1e9, 3) == PUBLISHED_OPS[name]


def test_output_shape(zoo):
    name, report = zoo
    assert report.output_shape == EXPECTED[name][4]


def test_unet_maps_572_to_388():
    report = netcalc.analyze(netcalc.load(ZOO / "unet.yaml"))
    assert report.input_shape == (1, 572, 572)
    assert report.output_shape == (2, 388, 388)


def test_every_spec_is_written_with_blocks():
    for name in EXPECTED:
        spec = netcalc.load(ZOO / f"{name}.yaml")
        assert spec.blocks, f"{name} defines no blocks"


def test_convnext_layer_scales_are_counted():
    # torchvision CNBlock.layer_scale is an nn.Parameter of shape (dim, 1, 1) in each of the
    # 3 + 3 + 9 + 3 blocks: 96*3 + 192*3 + 384*9 + 768*3 = 6,624 of the 28,589,128 parameters
    report = netcalc.analyze(netcalc.load(ZOO / "convnext_tiny.yaml"))
    assert sum(r.counts.params for r in report.rows if r.kind == "layer_scale") == 6_624


# specs/examples/inception-block.yaml: torchvision InceptionC(768, channels_7x7=128) followed by
# nn.AvgPool2d(3, 1, 1, count_include_pad=False), on 768x17x17; torch 2.14.1 / torchvision 0.29.1,
# forward hooks (fvcore convention): 1,297,408 params, 3,072 buffers, 374,063,104 MACs
INCEPTION_BLOCK = Path(__file__).resolve().parents[1] / "specs" / "examples" / "inception-block.yaml"


def test_inception_block_matches_torchvision():
    spec = netcalc.load(INCEPTION_BLOCK)
    report = netcalc.analyze(spec)
    assert (report.params, report.totals.state, report.totals.macs) == (1_297_408, 3_072, 374_063_104)
    assert report.output_shape == (768, 17, 17)
    layers = [node.layer for node in spec.nodes]
    kernels = {layer.kernel for layer in layers if layer.kind == "conv2d"}
    assert {(1, 7), (7, 1)} <= kernels
    assert [layer.count_include_pad for layer in layers if layer.kind == "avgpool2d"] == [True, False]


def test_zoo_specs_load_by_zoo_name():
    report = netcalc.analyze(netcalc.load("zoo:resnet18"))
    assert report.params == EXPECTED["resnet18"][0]


# --- sequence models: Hugging Face transformers 5.24 configs on the meta device (tools/llm_reference.py),
# MACs by torch.utils.flop_counter.FlopCounterMode (matrix products) over the spec's sequence lengths;
# the parameters also follow these formulas of the specs' own arguments, checked at full and small size
# (tests/zoo_sizes.py): V vocab, D width, n layers, h heads, g kv heads, d head width, F MLP width


def gpt2_params(context, vocab, dim, heads, layers):
    # wte, wpe; per layer 2 layernorms, c_attn 3D^2 + 3D, c_proj D^2 + D, MLP 8D^2 + 5D; ln_f; tied head
    return vocab * dim + context * dim + layers * (12 * dim * dim + 13 * dim) + 2 * dim


def bert_params(sequence, positions, vocab, dim, heads, ffn, layers):
    # word, position (positions rows), 2 token types, embeddings LayerNorm; per layer attention 4D^2 + 4D,
    # 2 LayerNorms, FFN 2*D*F + F + D; pooler D^2 + D
    layer = 4 * dim * dim + 4 * dim + 4 * dim + 2 * dim * ffn + ffn + dim
    return vocab * dim + positions * dim + 2 * dim + 2 * dim + layers * layer + dim * dim + dim


def t5_params(length, context, vocab, dim, heads, head_dim, ffn, layers, buckets):
    # shared table (decoder input and head tied to it); no biases; rmsnorm weight D;
    # encoder layer: attention 4*D*h*d, FF 2*D*F, 2 norms; decoder layer: two attentions, FF, 3 norms;
    # a relative bias of buckets x heads in the first layer of each stack; a final norm per stack
    inner = heads * head_dim
    encoder = 4 * dim * inner + 2 * dim * ffn + 2 * dim
    decoder = 8 * dim * inner + 2 * dim * ffn + 3 * dim
    return vocab * dim + layers * (encoder + decoder) + 2 * buckets * heads + 2 * dim


def llama_params(context, vocab, dim, heads, kv_heads, head_dim, ffn, layers):
    # embedding and untied head V*D each; per layer q, o D*h*d, k, v D*g*d, SwiGLU 3*D*F, 2 RMSNorms; norm
    per_layer = 2 * dim * heads * head_dim + 2 * dim * kv_heads * head_dim + 3 * dim * ffn + 2 * dim
    return 2 * vocab * dim + layers * per_layer + dim


def lstm_lm_params(steps, vocab, units, layers, bias):
    # embedding V*D (D = units); per layer 4 gate sets of W_ih, W_hh and two biases; decoder D*V + V
    return vocab * units + layers * 4 * (units * units + units * units + 2 * units) + units * vocab + vocab


FORMULAS = {
    "lstm_lm": lstm_lm_params,
    "gpt2": gpt2_params,
    "bert_base": bert_params,
    "t5_small": t5_params,
    "llama3_8b": llama_params,
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_sequence_model_params_follow_their_formula_at_any_size(name):
    full = netcalc.load(f"zoo:{name}")
    assert netcalc.analyze(full).params == FORMULAS[name](**full.spec.args) == EXPECTED[name][0]
    small = zoo_sizes.load(f"zoo:{name}")
    assert small.spec.args == {**full.spec.args, **zoo_sizes.SMALL[name]}
    assert netcalc.analyze(small).params == FORMULAS[name](**small.spec.args)
    # the same architecture: the same layer types and blocks, fewer of them
    assert {n.layer.kind for n in small.nodes} == {n.layer.kind for n in full.nodes}
    assert {g.block for g in small.groups} == {g.block for g in full.groups}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_sequence_models_verify_at_a_small_size(name):
    verification = netcalc.verify(zoo_sizes.load(f"zoo:{name}"), batch=1)
    assert verification.ok, verification.failures()


def test_swin_t_relative_position_tables_are_counted():
    # torchvision ShiftedWindowAttention.relative_position_bias_table: (2*7 - 1)^2 = 169 rows x heads in
    # each of the 2 + 2 + 6 + 2 blocks of 3, 6, 12, 24 heads: 169 * (6 + 12 + 72 + 48) = 23,322
    report = netcalc.analyze(netcalc.load(ZOO / "swin_t.yaml"))
    tables = [r.tensors["relative_bias_table"] for r in report.rows if r.kind == "attention"]
    assert len(tables) == 12
    assert sum(tables) == 23_322


def test_swin_t_verifies_at_a_reduced_size_through_its_arguments():
    """64x64, windows of 2 (stages of 16, 8, 4, 2 tokens a side), width 24: the NumPy backend agrees."""
    small = zoo_sizes.load("zoo:swin_t")
    assert small.spec.args == {"size": 64, "window": 2, "dim": 24}
    report = netcalc.analyze(small)
    assert report.output_shape == (1000,)
    # windows of 2x2 tokens: a relative position table of (2*2 - 1)^2 = 9 rows per head
    tables = [r.tensors["relative_bias_table"] for r in report.rows if r.kind == "attention"]
    assert tables == [9 * 3] * 2 + [9 * 6] * 2 + [9 * 12] * 6 + [9 * 24] * 2
    verification = netcalc.verify(small, batch=2)
    assert verification.ok, verification.failures()


def test_bert_base_gives_the_sequence_and_the_pooled_vector():
    report = netcalc.analyze(netcalc.load("zoo:bert_base"))
    assert report.outputs == (("encoder.12.output_norm", (128, 768)), ("pooler", (768,)))
    assert report.generation is None  # an encoder: every position sees every other


def test_gpt2_head_is_tied_to_the_token_table():
    report = netcalc.analyze(netcalc.load("zoo:gpt2"))
    head = report.rows[-1]
    assert (head.name, head.counts.params) == ("lm_head", 0)  # its 50,257 x 768 weights are wte's
    assert head.counts.macs == 1024 * 768 * 50257  # but it computes, once per position
    assert report.rows[0].tensors == {"weight": 50257 * 768}


def test_lstm_lm_keras_count():
    # Keras's LSTM keeps one bias per gate set: 4 * 650 fewer per layer, two layers
    keras = netcalc.analyze(netcalc.load("zoo:lstm_lm", args={"bias": "single"}))
    assert keras.params == EXPECTED["lstm_lm"][0] - 2 * 4 * 650 == 19_775_200


def test_the_zoo_listing_shows_every_input_and_output():
    import csv
    import io

    from typer.testing import CliRunner

    from netcalc.cli import app

    out = CliRunner().invoke(app, ["zoo", "--format", "csv"]).output
    rows = {row["spec"]: row for row in csv.DictReader(io.StringIO(out))}
    assert (rows["zoo:bert_base"]["input"], rows["zoo:bert_base"]["output"]) == (
        "tokens 128, segments 128",
        "128x768, 768",
    )
    assert (rows["zoo:resnet18"]["input"], rows["zoo:resnet18"]["output"]) == ("3x224x224", "1000")
