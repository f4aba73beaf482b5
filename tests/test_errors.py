"""Every bad input of issue 2 gives a NetcalcError whose one-line message names where and what.

Specs are given as YAML text so that messages carry a line: `<string>:LINE: layer I 'kind' (name): ...`.
"""

import re

import pytest
from typer.testing import CliRunner

import netcalc
from netcalc import graph
from netcalc.cli import app
from netcalc.errors import NetcalcError, ShapeError, SpecError

H = "input: [3, 8, 8]\nlayers:\n"  # the spec's first two lines; its first layer is on line 3


def fails(text: str, error: type[NetcalcError], pattern: str) -> str:
    """Load and analyze `text`; it must raise `error` with a one-line message matching `pattern`."""
    with pytest.raises(error, match=pattern) as info:
        netcalc.analyze(netcalc.load(text))
    message = str(info.value)
    assert "\n" not in message, message
    assert "Traceback" not in message
    return message


# (id, spec text, error class, regex of the message); `re.escape` where the text is literal
# fmt: off
CASES = [
    # unknown layer type, with the nearest name suggested
    ("unknown_type", H + "  - relu\n  - conv2dd: {filters: 4, kernel: 3}\n", SpecError,
     re.escape("<string>:4: layer 1 'conv2dd' (conv2dd_1): unknown layer type 'conv2dd' "
               "— did you mean 'conv2d'?")),
    ("unknown_type_far", H + "  - blorp\n", SpecError,
     re.escape("<string>:3: layer 0 'blorp' (blorp_1): unknown layer type 'blorp' — see `netcalc layers`")),
    # unknown or missing argument
    ("unknown_argument", H + "  - conv2d: {filters: 4, kernal: 3}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): unknown argument 'kernal' — did you mean "
               "'kernel'?")),
    ("unknown_argument_lists_valid", H + "  - relu: {zzz: 1}\n", SpecError,
     re.escape("<string>:3: layer 0 'relu' (relu_1): unknown argument 'zzz' — valid: name, from")),
    ("missing_argument", H + "  - conv2d: {filters: 4}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): missing argument 'kernel'")),
    # wrong type
    ("wrong_type_str", H + "  - conv2d: {filters: four, kernel: 3}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): filters: input should be a valid integer (got "
               "'four')")),
    ("wrong_type_float", H + "  - conv2d: {filters: 4.5, kernel: 3}\n", SpecError,
     r"<string>:3: layer 0 'conv2d' \(conv2d_1\): filters: .*integer.*\(got 4\.5\)"),
    ("wrong_type_bool", H + "  - conv2d: {filters: 4, kernel: 3, bias: maybe}\n", SpecError,
     r"<string>:3: layer 0 'conv2d' \(conv2d_1\): bias: input should be a valid boolean.*'maybe'"),
    ("wrong_padding", H + "  - conv2d: {filters: 4, kernel: 3, padding: full}\n", SpecError,
     r"<string>:3: layer 0 'conv2d' \(conv2d_1\): padding: .*'valid' or 'same' \(got 'full'\)"),
    ("args_not_mapping", H + "  - conv2d: 3\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d': arguments must be a mapping")),
    ("two_keys_in_a_layer", H + "  - {relu: {}, tanh: {}}\n", SpecError,
     re.escape("<string>:3: layer 0: a layer is a name like 'relu' or a one-key mapping")),
    # zero or negative sizes
    ("zero_filters", H + "  - conv2d: {filters: 0, kernel: 3}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): filters: input should be greater than 0 (got 0)")),
    ("negative_kernel", H + "  - conv2d: {filters: 4, kernel: -3}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): kernel: input should be greater than 0 (got -3)")),
    ("zero_stride", H + "  - maxpool2d: {size: 2, stride: 0}\n", SpecError,
     re.escape("<string>:3: layer 0 'maxpool2d' (maxpool2d_1): stride: input should be greater than 0")),
    ("zero_units", H + "  - flatten\n  - dense: {units: 0}\n", SpecError,
     re.escape("<string>:4: layer 1 'dense' (dense_1): units: input should be greater than 0 (got 0)")),
    ("negative_input", "input: [3, -8, 8]\nlayers: [relu]\n", SpecError,
     re.escape("<string>:1: input.1: Input should be greater than 0 (got -8)")),
    ("zero_scale", H + "  - upsample: {scale: 0}\n", SpecError,
     re.escape("<string>:3: layer 0 'upsample' (upsample_1): scale must be a positive finite number")),
    ("nan_scale", H + "  - upsample: {scale: .nan}\n", SpecError,
     re.escape("<string>:3: layer 0 'upsample' (upsample_1): scale must be a positive finite number (got "
               "nan)")),
    ("dropout_rate_one_or_more", H + "  - dropout: {rate: 1.5}\n", SpecError,
     re.escape("<string>:3: layer 0 'dropout' (dropout_1): rate: input should be less than 1 (got 1.5)")),
    # unknown `from` name, with the nearest name suggested
    ("unknown_from", H + "  - conv2d: {filters: 4, kernel: 3, name: stem}\n  - add: {from: [-1, stme]}\n",
     SpecError,
     re.escape("<string>:4: layer 1 'add' (add_1): from names unknown layer 'stme' — did you mean 'stem'?")),
    ("from_zero", H + "  - relu: {from: 0}\n", SpecError,
     re.escape("<string>:3: layer 0 'relu' (relu_1): from 0: use a negative offset")),
    ("from_before_start", H + "  - relu\n  - relu: {from: -5}\n", SpecError,
     re.escape("<string>:4: layer 1 'relu' (relu_2): from -5 reaches before the start of its list")),
    # cycles: a layer cannot take its own or a later output
    ("from_itself", H + "  - relu: {name: a, from: a}\n", SpecError,
     re.escape("<string>:3: layer 0 'relu' (a): from takes its own output: that would form a cycle")),
    ("forward_reference", H + "  - relu: {name: a, from: b}\n  - relu: {name: b}\n", SpecError,
     re.escape("<string>:3: layer 0 'relu' (a): from takes 'b', which comes later: that would form a cycle")),
    ("forward_reference_in_a_list", H + "  - add: {from: [input, c]}\n  - relu: {name: c}\n", SpecError,
     re.escape("<string>:3: layer 0 'add' (add_1): from takes 'c', which comes later")),
    # a block that uses itself, directly or not
    ("block_uses_itself", "input: [3]\nblocks:\n  b:\n    layers: [relu, b]\nlayers:\n  - b\n", SpecError,
     re.escape("<string>:4: block 'b' (b.b): the block uses itself (b -> b)")),
    ("block_uses_itself_indirectly",
     "input: [3]\nblocks:\n  b:\n    layers: [relu, c]\n  c:\n    layers: [tanh, b]\nlayers:\n  - b\n",
     SpecError, re.escape("<string>:6: block 'b' (b.c.b): the block uses itself (b -> c -> b)")),
    ("block_missing_argument", "input: [3]\nblocks:\n  b:\n    args: [width]\n    layers: [relu]\n"
                               "layers:\n  - b\n",
     SpecError, re.escape("<string>:7: block 'b' (b): missing argument 'width' (it has no default)")),
    ("block_unknown_argument",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers: [relu]\nlayers:\n  - b: {widht: 3}\n",
     SpecError, re.escape("<string>:7: block 'b' (b): unknown argument 'widht' — did you mean 'width'?")),
    ("block_named_like_a_layer", "input: [3]\nblocks:\n  relu:\n    layers: [tanh]\nlayers:\n  - relu\n",
     SpecError, re.escape("<string>:3: block 'relu' has the name of a layer type")),
    ("arithmetic_unknown_argument",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers:\n      - dense: {units: $wdth * 2}\n"
     "layers:\n  - b\n", SpecError,
     re.escape("<string>:6: layer 0 'dense' (b.dense_1): unknown argument $wdth (known: $width)")),
    ("arithmetic_division_by_zero",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers:\n      - dense: {units: $width // 0}\n"
     "layers:\n  - b\n", SpecError, re.escape("<string>:6: layer 0 'dense' (b.dense_1): '$width // 0' "
                                              "divides by zero")),
    ("arithmetic_not_arithmetic",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers:\n"
     "      - dense: {units: $width.__class__}\n"
     "layers:\n  - b\n", SpecError, re.escape("<string>:6: layer 0 'dense' (b.dense_1): '$width.__class__' "
                                              "is not "
                                              "arithmetic")),
    ("arithmetic_too_large",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers:\n"
     "      - dense: {units: $width ** 64 ** 64}\n"
     "layers:\n  - b\n", SpecError, re.escape("<string>:6: layer 0 'dense' (b.dense_1): '$width ** 64 ** 64' "
                                              "gives a "
                                              "number")),
    ("arithmetic_too_long",
     "input: [3]\nblocks:\n  b:\n    args: {width: 2}\n    layers:\n      - dense: {units: $width"
     + "+$width" * 50_000 + "}\nlayers:\n  - b\n", SpecError,
     re.escape("<string>:6: layer 0 'dense' (b.dense_1): an argument expression is too long or "
               "nested too deeply")),
    # add of different shapes; concat of mismatched spatial sizes
    ("add_different_shapes", H + "  - conv2d: {filters: 4, kernel: 1}\n  - add: {from: [-1, input]}\n",
     ShapeError,
     re.escape("<string>:4: layer 1 'add' (add_1): add needs equal shapes but input 0 is [4, 8, 8] and "
               "input 1 is [3, 8, 8]")),
    ("concat_spatial_mismatch", H + "  - maxpool2d: {size: 2}\n  - concat: {from: [-1, input]}\n", ShapeError,
     re.escape("<string>:4: layer 1 'concat' (concat_1): concat along axis 0 needs the other axes equal but "
               "input 0 is [3, 4, 4] and input 1 is [3, 8, 8] — crop, pad or resize one side")),
    ("multiply_cannot_broadcast", H + "  - flatten\n  - multiply: {from: [input, -1]}\n", ShapeError,
     re.escape("<string>:4: layer 1 'multiply' (multiply_1): multiply cannot broadcast axis 2: sizes [8, "
               "192]")),
    ("merge_needs_two_inputs", H + "  - add\n", SpecError,
     re.escape("<string>:3: layer 0 'add' (add_1): merges two or more inputs — give a list")),
    ("one_input_layer_given_two", H + "  - relu: {name: a}\n  - relu: {from: [a, input]}\n", SpecError,
     re.escape("<string>:4: layer 1 'relu' (relu_1): takes one input but from names 2")),
    # groups that don't divide channels
    ("groups_do_not_divide_channels", H + "  - conv2d: {filters: 4, kernel: 1, groups: 2}\n", ShapeError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): groups=2 does not divide the input channels C=3")),
    ("groups_do_not_divide_filters", H + "  - conv2d: {filters: 5, kernel: 3, groups: 3}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): filters=5 is not divisible by groups=3")),
    # dense on an input with no features (a scalar per sample)
    ("dense_without_features", "input: [4]\nlayers:\n  - select: {index: 1}\n  - dense: {units: 3}\n",
     ShapeError,
     re.escape("<string>:4: layer 1 'dense' (dense_1): dense needs an input with features on its last axis "
               "but got []")),
    # the example: a kernel larger than the padded input
    ("kernel_larger_than_input", "input: [3, 4, 4]\nlayers:\n"
                                 "  - conv2d: {filters: 4, kernel: 5, name: enc2}\n",
     ShapeError,
     re.escape("<string>:3: layer 0 'conv2d' (enc2): H=4 plus padding 0 is smaller than the kernel span 5 — "
               "reduce the kernel, add padding or remove a pooling layer")),
    ("conv_on_the_wrong_rank", "input: [3, 8]\nlayers:\n  - conv2d: {filters: 2, kernel: 3}\n", ShapeError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): conv2d expects a 3-axis input (C, H, W) but got "
               "2 axes")),
    ("reshape_size_mismatch", H + "  - reshape: {shape: [5, -1]}\n", ShapeError,
     re.escape("<string>:3: layer 0 'reshape' (reshape_1): cannot reshape [3, 8, 8] (192 elements) to [5, "
               "-1]")),
    ("attention_heads", "input: [10, 8]\nlayers:\n  - attention: {heads: 3}\n", ShapeError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): embedding size D=8 is not divisible by "
               "heads=3")),
    ("attention_kv_heads", "input: [10, 16]\nlayers:\n  - attention: {heads: 8, kv_heads: 3}\n", SpecError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): kv_heads=3 does not divide heads=8: each "
               "key/value head serves heads / kv_heads query heads — use one of [1, 2, 4, 8]")),
    ("attention_one_axis", "input: [16]\nlayers:\n  - attention: {heads: 2}\n", ShapeError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): attention needs queries of tokens "
               "(..., N, D), at least 2 axes, but got [16] — one token is [1, D] "
               "(reshape: {shape: [1, -1]})")),
    ("attention_memory_leading_axes",
     "input: [4, 16]\nlayers:\n  - reshape: {shape: [2, 2, 16]}\n"
     "  - attention: {heads: 2, from: [input, -1]}\n",
     ShapeError,
     re.escape("<string>:4: layer 1 'attention' (attention_1): cross-attention needs the memory's leading "
               "axes equal to the queries' but the queries are [4, 16] and the memory [2, 2, 16] — give "
               "both the same leading axes")),
    ("attention_three_inputs",
     "input: [4, 16]\nlayers:\n  - attention: {heads: 2, from: [input, input, input]}\n",
     SpecError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): takes 1 to 2 inputs but from names 3 — e.g. "
               "from: [queries, memory] for cross-attention")),
    ("attention_bias_unknown_projection",
     "input: [4, 16]\nlayers:\n  - attention: {heads: 2, bias: [q, o]}\n",
     SpecError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): bias: ['o'] names no projection: list some "
               "of q, k, v, out")),
    ("attention_bias_twice", "input: [4, 16]\nlayers:\n  - attention: {heads: 2, bias: [q, q]}\n", SpecError,
     re.escape("<string>:3: layer 0 'attention' (attention_1): bias lists a projection twice: ['q', 'q'] — "
               "name each of q, k, v, out once")),
    ("pool_padding_over_half", H + "  - maxpool2d: {size: 2, padding: 2}\n", SpecError,
     re.escape("<string>:3: layer 0 'maxpool2d' (maxpool2d_1): padding 2 is more than half the window 2")),
    ("kernel_list_length", H + "  - conv2d: {filters: 2, kernel: [3, 3, 3]}\n", SpecError,
     re.escape("<string>:3: layer 0 'conv2d' (conv2d_1): kernel has 3 values but there are 2 spatial axes")),
    # names
    ("duplicate_name", H + "  - relu: {name: a}\n  - relu: {name: a}\n", SpecError,
     re.escape("<string>:4: 'relu': name 'a' is already used at <string>:3")),
    ("name_with_a_dot", H + "  - relu: {name: a.b}\n", SpecError,
     re.escape("<string>:3: 'relu': name 'a.b' must be a word without dots")),
    # the top level
    ("not_a_mapping", "- relu\n- tanh\n", SpecError,
     re.escape("<string>: a spec is a mapping with at least 'input' and 'layers'")),
    ("missing_input", "layers: [relu]\n", SpecError, re.escape("<string>: missing 'input'")),
    ("empty_layers", "input: [3]\nlayers: []\n", SpecError, r"<string>:2: layers: needs at least one item"),
    ("unknown_dtype", "input: [3]\ndtype: float8\nlayers: [relu]\n", SpecError,
     r"<string>:2: dtype: .*'float32'.*\(got 'float8'\)"),
    # YAML: invalid (with its line), and tags that would build Python objects
    ("invalid_yaml_indentation", "input: [3]\nlayers:\n  - relu\n - tanh\n", SpecError,
     # the wording is the YAML parser's (libyaml's or PyYAML's); the line is netcalc's
     re.escape("<string>:4: invalid YAML: ") + r"(did not find expected key|expected <block end>)"),
    ("invalid_yaml_tab", "input: [3]\nlayers:\n\t- relu\n", SpecError,
     r"<string>:3: invalid YAML: found character.* that cannot start any token .*"
     + re.escape("this line has a tab: YAML indents with spaces")),
    ("python_tag", "input: !!python/object/apply:os.system ['echo pwned']\nlayers: [relu]\n", SpecError,
     re.escape("<string>:1: invalid YAML: could not determine a constructor for the tag "
               "'tag:yaml.org,2002:python/object/apply:os.system'")),
    ("python_name_tag", "input: [3]\nlayers: [!!python/name:os.system relu]\n", SpecError,
     r"<string>:2: invalid YAML: could not determine a constructor for the tag .*python/name:os\.system"),
    ("recursive_alias", "input: [2]\nlayers: &a [relu, *a]\n", SpecError,
     r"<string>:2: invalid YAML: found unconstructable recursive node"),
    # spec too large: a repeat beyond the limit
    ("repeat_beyond_the_limit", "input: [3]\nblocks:\n  b:\n    layers: [relu]\nlayers:\n"
                                "  - b: {repeat: 300000}\n",
     SpecError, re.escape("<string>:6: block 'b' (b): repeat must be a whole number from 1 to 200,000 "
                          "(got 300000)")),
    ("repeat_zero", "input: [3]\nblocks:\n  b:\n    layers: [relu]\nlayers:\n  - b: {repeat: 0}\n",
     SpecError, re.escape("<string>:6: block 'b' (b): repeat must be a whole number from 1 to 200,000 "
                          "(got 0)")),
    ("repeat_not_a_number", "input: [3]\nblocks:\n  b:\n    layers: [relu]\nlayers:\n  - b: {repeat: two}\n",
     SpecError, re.escape("<string>:6: block 'b' (b): repeat must be a whole number from 1 to 200,000 "
                          "(got 'two')")),
    # token ids: an embedding reads an input of ids (L,), and only embeddings read it
    ("embedding_on_two_axes", "input: [6, 4]\nlayers:\n  - embedding: {vocab: 10, dim: 8}\n", ShapeError,
     re.escape("<string>:3: layer 0 'embedding' (embedding_1): embedding reads token ids (L,) but got 2 "
               "axes [6, 4]: axis 1 (4) is one too many — write the ids' input with its length only "
               "(input: [L]); an (L, D) input is already embedded (use dense) [input [6, 4]]")),
    ("embedding_after_a_layer", "input: [6]\nlayers:\n  - dense: {units: 6}\n"
                                "  - embedding: {vocab: 10, dim: 8}\n", SpecError,
     re.escape("<string>:4: layer 1 'embedding' (embedding_1): an embedding reads token ids, which only "
               "an input holds, but it reads layer 'dense_1' — take the ids from the input (from: input)")),
    ("layer_reading_token_ids", "input: [6]\nlayers:\n  - embedding: {vocab: 10, dim: 8}\n"
                                "  - dense: {units: 3, from: input}\n", SpecError,
     re.escape("<string>:4: layer 1 'dense' (dense_1): reads the input, which holds token ids (an "
               "embedding reads it) — take the embedding's output instead (from: NAME)")),
    ("pos_embedding_table_too_short", "input: [6, 4]\nlayers:\n  - pos_embedding: {length: 5}\n",
     ShapeError, re.escape("<string>:3: layer 0 'pos_embedding' (pos_embedding_1): the sequence has N=6 "
                           "tokens but the position table has length=5 rows — raise length to 6 or more, "
                           "or shorten the sequence [input [6, 4]]")),
    ("groupnorm_groups_not_dividing", H + "  - groupnorm: {groups: 2}\n", ShapeError,
     re.escape("<string>:3: layer 0 'groupnorm' (groupnorm_1): groupnorm groups=2 does not divide the C=3 "
               "channels of [3, 8, 8] — use a divisor of 3 for groups [input [3, 8, 8]]")),
    ("instancenorm_on_a_vector", "input: [5]\nlayers:\n  - instancenorm\n", ShapeError,
     re.escape("<string>:3: layer 0 'instancenorm' (instancenorm_1): instancenorm normalizes each channel "
               "over its spatial axes: it needs (C, *spatial) but got [5] with no spatial axis — use "
               "layernorm for a vector [input [5]]")),
    ("pad_pairs_per_axis", H + "  - pad: {padding: [[1, 1], [1, 1]]}\n", ShapeError,
     re.escape("<string>:3: layer 0 'pad' (pad_1): padding has 2 [before, after] pairs but the input "
               "[3, 8, 8] has 3 axes — give one pair per axis, channels first ([0, 0] leaves one) "
               "[input [3, 8, 8]]")),
    ("pad_int_on_a_vector", "input: [5]\nlayers:\n  - pad: {padding: 1}\n", ShapeError,
     re.escape("<string>:3: layer 0 'pad' (pad_1): pad: 1 pads the spatial axes, but [5] has none — give "
               "one [before, after] pair per axis: padding: [[1, 1]] [input [5]]")),
    ("lstm_on_one_axis", "input: [128]\nlayers:\n  - lstm: {units: 8}\n", ShapeError,
     re.escape("<string>:3: layer 0 'lstm' (lstm_1): lstm reads a sequence (L, F) but got 1 axis [128]: it "
               "needs a time axis L and a feature axis F — reshape to [128, 1] for one feature per step, "
               "or embed token ids first [input [128]]")),
    ("rnn_on_three_axes", H + "  - rnn: {units: 8}\n", ShapeError,
     re.escape("<string>:3: layer 0 'rnn' (rnn_1): rnn reads a sequence (L, F) but got 3 axes [3, 8, 8]: it "
               "needs a time axis L and a feature axis F — reshape it to (L, F) [input [3, 8, 8]]")),
    ("gru_single_bias", "input: [6, 4]\nlayers:\n  - gru: {units: 8, bias: single}\n", SpecError,
     re.escape("<string>:3: layer 0 'gru' (gru_1): a GRU has no single-bias form: Keras's "
               "GRU(reset_after=True) has PyTorch's two biases (bias: true); reset_after=False computes "
               "another formula")),
    ("pad_negative", H + "  - pad: {padding: -1}\n", SpecError,
     r"<string>:3: layer 0 'pad' \(pad_1\): padding: .*greater than or equal to 0"),
]
# fmt: on


@pytest.mark.parametrize("text, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_explained(text, error, pattern):
    fails(text, error, pattern)


def test_every_error_is_a_netcalc_error():
    assert issubclass(SpecError, NetcalcError) and issubclass(ShapeError, NetcalcError)


def test_alias_bomb():
    # 10 ** 7 values once expanded, from a 400-byte file
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdefg", "abcdef", strict=True):
        text += f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    text += "input: [2]\nlayers: [relu]\n"
    fails(
        text,
        SpecError,
        re.escape(
            "<string>: the spec holds more than 1,000,000 values once YAML aliases "
            "are expanded (an alias bomb?)"
        ),
    )


def test_spec_expanding_beyond_the_layer_limit(monkeypatch):
    monkeypatch.setattr(graph, "MAX_LAYERS", 50)
    text = (
        "input: [3]\nblocks:\n  inner:\n    layers: [relu, tanh]\n"
        "  outer:\n    layers:\n      - inner: {repeat: 5}\nlayers:\n  - outer: {repeat: 6}\n"
    )
    # refused before building, at the use: 6 x (5 x 2) = 60 layers
    fails(
        text,
        SpecError,
        r"<string>:9: block 'outer': expands to at least 60 layers \(6 repeats of 10\), more than 50 "
        "— reduce the repeats",
    )


def _nested(body: list[str], depth: int = 30, last: str = "relu", top: str = "b0") -> str:
    """Blocks b0 .. b{depth}: each holds `body` (uses of the next one, {n} its number); the last `last`."""
    text = "input: [4]\nblocks:\n"
    for i in range(depth):
        text += f"  b{i}:\n    args: {{k: 1}}\n    layers:\n"
        text += "".join(f"      - {entry.format(n=i + 1)}\n" for entry in body)
    return text + f"  b{depth}:\n    args: {{k: 1}}\n    layers: [{last}]\nlayers: [{top}]\n"


@pytest.mark.parametrize(
    "text",
    [
        _nested(["b{n}: {{repeat: 2}}"]),  # 30 nested repeats of 2
        _nested(["b{n}", "b{n}"]),  # a DAG: each block uses the next twice
        _nested(["b{n}: {{repeat: $k, k: 2}}"], top="b0: {k: 2}"),  # repeats from arguments
    ],
    ids=["nested-repeat", "dag", "argument-repeat"],
)
def test_an_exponential_expansion_is_refused_before_it_is_built(text):
    # 2^30 layers: the count comes from the spec, not from building 200,000 layers (seconds)
    fails(
        text,
        SpecError,
        r"^<string>:\d+: block 'b0': expands to at least 1,073,741,824 layers \(one instance\), more "
        "than 200,000 — reduce the repeats$",
    )


def test_a_wide_expansion_is_refused_before_it_is_built():
    text = "input: [4]\nblocks:\n  two:\n    layers: [relu, tanh]\n"
    text += "layers:\n  - relu\n  - two: {repeat: 150000}\n"
    fails(
        text,
        SpecError,
        r"<string>:7: block 'two': expands to at least 300,000 layers \(150,000 repeats of 2, besides 1 "
        r"other\), more than 200,000",
    )


def test_block_uses_whose_layers_are_all_skipped_are_bounded():
    # every relu skipped (when: false for k = 1): 2^30 block instances and no layer
    fails(
        _nested(["b{n}", "b{n}"], last="relu: {when: $k > 5}"),
        SpecError,
        r"<string>:\d+: block 'b0': the spec expands to more than 200,000 block instances — "
        "reduce the repeats",
    )


def test_a_condition_keeps_the_count_a_lower_bound(monkeypatch):
    # `when: $index == 0` cannot be worked out before the instance: it counts none, and the spec
    # is built (5 repeats, one relu each, 5 layers at a limit of 6)
    monkeypatch.setattr(graph, "MAX_LAYERS", 6)
    text = (
        "input: [3]\nblocks:\n  b:\n    layers:\n      - relu\n      - {tanh: {when: '$index == 0'}}\n"
        "layers:\n  - b: {repeat: 5}\n"
    )
    assert len(netcalc.load(text).nodes) == 6


def test_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(H + "  - relu\n  - conv2d: {filters: 4, kernel: 9}\n")
    with pytest.raises(
        ShapeError, match=re.escape(f"{path}:4: layer 1 'conv2d' (conv2d_1): H=8 plus padding 0")
    ):
        netcalc.analyze(netcalc.load(path))


def test_two_problems_give_two_lines_with_a_suggestion():
    with pytest.raises(SpecError) as info:
        netcalc.load("input: [3]\nlayer: [relu]\n")
    assert "<string>:2: unknown key 'layer' — did you mean 'layers'?" in str(info.value).splitlines()


def test_missing_file():
    with pytest.raises(SpecError, match=r"^nope/missing\.yaml: no such file$"):
        netcalc.load("nope/missing.yaml")


def test_unreadable_paths():
    with pytest.raises(SpecError, match="cannot read"):
        netcalc.load(".")  # a directory
    with pytest.raises(SpecError, match="cannot read"):
        netcalc.load("spec\x00.yaml")  # NUL in the path


def test_python_spec_errors_are_netcalc_errors():
    spec = netcalc.Spec(input=[3, 8, 8], layers=["relu", {"add": {"from": [-1, "nope"]}}])
    with pytest.raises(SpecError, match=re.escape("layer 1 'add' (add_1): from names unknown layer 'nope'")):
        netcalc.analyze(spec)


# ------------------------------------------------------------------------------------ CLI exit codes


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


def test_exit_0_on_success():
    result = invoke("count", "specs/dense-vs-conv/conv.yaml")
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            H + "  - conv2dd: {filters: 4, kernel: 3}\n",
            "unknown layer type 'conv2dd' — did you mean 'conv2d'?",
        ),
        (H + "  - conv2d: {filters: 4, kernel: 1}\n  - add: {from: [-1, input]}\n", "add needs equal shapes"),
        ("input: [3]\nlayers:\n  - relu\n - tanh\n", "invalid YAML"),
    ],
)
def test_exit_1_when_the_spec_is_wrong(tmp_path, text, pattern):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for command in (
        ["count", str(path)],
        ["count", "specs/dense-vs-conv/conv.yaml", str(path)],
        ["compare", "specs/dense-vs-conv/conv.yaml", str(path)],
    ):
        result = invoke(*command)
        assert result.exit_code == 1, result.output
        if command[:2] == ["count", "specs/dense-vs-conv/conv.yaml"]:  # the good one is reported
            assert result.stdout.startswith("two-conv-layers: 1x256x256 -> 64x256x256")
        else:
            assert result.stdout == ""
        assert result.stderr.startswith(f"error: {path}:")
        assert pattern in result.stderr
        assert "Traceback" not in result.output


def test_exit_1_for_a_missing_file():
    result = invoke("count", "no/such/spec.yaml")
    assert result.exit_code == 1
    assert result.stderr == "error: no/such/spec.yaml: no such file\n"


@pytest.mark.parametrize(
    "args",
    [
        ["count", "specs/dense-vs-conv/conv.yaml", "--format", "xml"],  # unknown format
        ["count"],  # missing argument
        ["compare", "specs/dense-vs-conv/conv.yaml"],  # compare needs two specs
        ["count", "specs/dense-vs-conv/conv.yaml", "--batch", "0"],
        ["count", "specs/dense-vs-conv/conv.yaml", "--batch", "two"],
        ["count", "specs/dense-vs-conv/conv.yaml", "--depth", "-1"],
        ["count", "specs/dense-vs-conv/conv.yaml", "--colour"],  # unknown option
        ["counts", "specs/dense-vs-conv/conv.yaml"],  # unknown command
    ],
)
def test_exit_2_on_usage_errors(args):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "input: [1]\nlayers: [relu]\nlayers: [tanh]\n",
            r"<string>:3: duplicate key 'layers' \(first at line 2\) — keep one of them",
        ),
        (
            "input: [1]\nlayers:\n  - dense: {units: 4, units: 64}\n",
            r"<string>:3: duplicate key 'units' \(first at line 3\)",
        ),
        (
            "input: [4]\nlayers:\n  - dense: {units: 8, training_only: true, name: aux}\n"
            "  - dense: {units: 3, name: main}\n",
            r"<string>:4: layer 1 'dense' \(main\): takes the output of training-only layer 'aux'",
        ),
        (
            "input: [4]\nlayers:\n  - dense: {units: 8}\n  - dense: {units: 3, training_only: true}\n",
            r"<string>:4: the network's output, layer 1 'dense' \(dense_2\), is training_only",
        ),
        ("input: [3]\nlayers:\n  - relu: {name: '-1'}\n", r"name '-1' must be a word .* not a number"),
        ("input: [3]\nlayers:\n  - relu: {name: a/b}\n", r"name 'a/b' must be a word without dots, slashes"),
        (  # share_tensors is a tuple in the model: the message says what YAML writes, a list
            "input: [4]\nlayers:\n  - dense: {units: 4, name: a}\n"
            "  - dense: {units: 4, share: a, share_tensors: weight}\n",
            r"<string>:4: .*share_tensors: input should be a list \(got 'weight'\) — write a list",
        ),
        (  # U+202E reverses the text after it wherever the name is shown
            'input: [3]\nlayers:\n  - relu: {name: "a\\u202eb"}\n',
            r"<string>:3: 'relu': name 'a\\u202eb' must be a word .* invisible characters",
        ),
        (
            'input: [3]\nblocks:\n  "b\\u200b": {layers: [relu]}\nlayers: [relu]\n',
            r"<string>:3: block name 'b\\u200b' must be a word .* invisible characters",
        ),
        (
            "input: [3]\nblocks:\n  input: {layers: [relu]}\nlayers: [relu]\n",
            r"<string>:3: block name 'input' must be .* rename the block",
        ),
        ("input: [3]\nlayers: [42]\n", r"^<string>:2: layers\.0: a layer is a name like 'relu'"),
        (
            "input: [3]\nblocks:\n  b: {args: 5, layers: [relu]}\nlayers: [b]\n",
            r"^<string>:3: blocks\.b\.args: a block's args are a mapping",
        ),
    ],
)
def test_more_bad_specs_are_one_line_errors(text, pattern):
    with pytest.raises(SpecError, match=pattern) as info:
        netcalc.analyze(netcalc.load(text))
    assert "\n" not in str(info.value)


def test_duplicate_key_in_a_json_spec(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"input": [1], "input": [2], "layers": ["relu"]}')
    with pytest.raises(SpecError, match=r"dup\.json: duplicate key 'input'"):
        netcalc.load(path)


def test_a_negative_seed_is_a_usage_error():
    result = CliRunner().invoke(app, ["run", "specs/dense-vs-conv/tiny.yaml", "--seed", "-1"])
    assert result.exit_code == 2


def test_token_ids_given_to_run_must_be_in_the_vocabulary():
    network = netcalc.load("input: [3]\nlayers:\n  - embedding: {vocab: 5, dim: 2}\n")
    assert netcalc.run(network, x=[[0, 4, 2]]).output.shape == (1, 3, 2)
    for bad in ([[0, 5, 1]], [[-1, 0, 0]], [[0.5, 1, 1]]):
        with pytest.raises(
            SpecError,
            match=r"the input holds token ids \(an embedding reads it\): whole "
            r"numbers from 0 to 4 \(the vocabulary\), but the array has values from",
        ):
            netcalc.run(network, x=bad)


def test_token_ids_take_eight_bytes_in_the_memory_figures():
    spec = "input: [128]\nlayers:\n  - embedding: {vocab: 10, dim: 4}\n"
    ids = netcalc.analyze(netcalc.load(spec), batch=2)
    assert ids.memory.input == 128 * 2 * 8  # int64
    assert ids.memory.total == 128 * 2 * 8 + 10 * 4 * 4 + 128 * 4 * 2 * 4
    floats = netcalc.analyze(netcalc.load("input: [128]\nlayers:\n  - dense: {units: 4}\n"), batch=2)
    assert floats.memory.input == 128 * 2 * 4  # a 1-axis input of floats keeps its meaning


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "inputs: []\nlayers: [relu]\n",
            SpecError,
            "<string>:1: inputs: Input should be a valid dictionary (got []) — name each input with its "
            "shape, like inputs: {tokens: [128], image: [3, 224, 224]}",
        ),
        (
            "input: [3]\nlayers:\n  - gelu: {approximate: {a: 1}}\n",
            SpecError,
            "<string>:3: layer 0 'gelu' (gelu_1): approximate: input should be 'none' or 'tanh' "
            "(got {'a': 1}) — write one of them, like approximate: none",
        ),
        (
            "input: [3]\nlayers:\n  - dense: {units: 0}\n",
            SpecError,
            "<string>:3: layer 0 'dense' (dense_1): units: input should be greater than 0 (got 0) — set "
            "units to 1 or more",
        ),
        (
            "input: [3]\nlayers:\n  - dense: {units: 2, bias: maybe}\n",
            SpecError,
            "<string>:3: layer 0 'dense' (dense_1): bias: input should be a valid boolean, unable to "
            "interpret input (got 'maybe') — write true or false",
        ),
        (
            "input: [3]\nblocks:\n  b:\n    - relu\nlayers: [b]\n",
            SpecError,
            "<string>:3: blocks.b: Input should be a valid dictionary (got ['relu']) — a block is a "
            "mapping with its layers, like blocks: {stem: {layers: [relu]}}",
        ),
        ("input: [3]\nlayers: []\n", SpecError, "<string>:2: layers: needs at least one item — add one"),
        (
            "input: [3, 4]\nlayers:\n  - conv2d: {filters: 2, kernel: 3}\n",
            ShapeError,
            "<string>:3: layer 0 'conv2d' (conv2d_1): conv2d expects a 3-axis input (C, H, W) but got 2 "
            "axes [3, 4] — give it a (C, H, W) input (a channel axis of 1 first if it has none), or use "
            "the 1d form of conv [input [3, 4]]",
        ),
        (
            "input: [3, 4]\nlayers:\n  - select: {axis: 2}\n",
            ShapeError,
            "<string>:3: layer 0 'select' (select_1): select axis 2 does not exist in input [3, 4] — set "
            "axis from 0 to 1 [input [3, 4]]",
        ),
        (
            "input: [4, 8]\nlayers:\n  - conv1d: {filters: 3, kernel: 1, groups: 2}\n",
            SpecError,
            "<string>:3: layer 0 'conv1d' (conv1d_1): filters=3 is not divisible by groups=2 — set "
            "filters to a multiple of 2",
        ),
        (
            "input: [2, 3, 4]\nlayers:\n  - permute: {dims: [0, 0, 1]}\n",
            ShapeError,
            "<string>:3: layer 0 'permute' (permute_1): permute dims [0, 0, 1] is not an ordering of the 3 "
            "axes of [2, 3, 4] — list each axis once, like dims: [2, 1, 0] [input [2, 3, 4]]",
        ),
        (
            "input: [6, 4]\nlayers:\n  - reshape: {shape: [5, -1]}\n",
            ShapeError,
            "<string>:3: layer 0 'reshape' (reshape_1): cannot reshape [6, 4] (24 elements) to [5, -1]: "
            "24 is not divisible by 5 — give sizes whose product divides 24 [input [6, 4]]",
        ),
    ],
    ids=[
        "inputs-list",
        "gelu-dict",
        "units-0",
        "bias-word",
        "block-list",
        "no-layers",
        "rank",
        "select",
        "groups",
        "permute",
        "reshape",
    ],
)
def test_a_message_says_how_to_fix_it(text, error, message):
    fails(text, error, "^" + re.escape(message) + "$")


@pytest.mark.parametrize(
    ("layer", "error", "pattern"),
    [
        (
            "prelu: {parameters: pixel}",
            SpecError,
            "parameters: input should be 1, channel, element or the "
            "channel count \\(got 'pixel'\\) — write parameters: channel for one slope per channel",
        ),
        ("prelu: {num_parameters: 0}", SpecError, "parameters: input should be 1, channel, .* \\(got 0\\)"),
        ("prelu: {parameters: true}", SpecError, "parameters: input should be 1, .* \\(got True\\)"),
        ("prelu: {parameters: 1.5}", SpecError, "parameters: input should be 1, .* \\(got 1.5\\)"),
        ("prelu: {parameters: [3]}", SpecError, "parameters: input should be 1, .* \\(got \\[3\\]\\)"),
        (
            "prelu: {num_parameters: 4}",
            ShapeError,
            re.escape(
                "prelu parameters=4 must be 1 or the C=3 channels of [3, 8, 8] — set parameters to 3 "
                "or channel"
            ),
        ),
        ("prelu: {init: .nan}", SpecError, "init: input should be a finite number \\(got nan\\)"),
    ],
)
def test_a_wrong_prelu_slope_count_is_one_line(layer, error, pattern):
    message = fails(H + f"  - {layer}\n", error, pattern)
    assert message.startswith("<string>:3: layer 0 'prelu' (prelu_1): "), message


def test_prelu_per_channel_needs_a_channel_axis():
    fails(
        "input: [4]\nlayers:\n  - select\n  - prelu: {parameters: channel}\n",
        ShapeError,
        "prelu with one slope per channel needs a channel axis but got a scalar input — use parameters: 1",
    )
    assert netcalc.analyze("input: [4]\nlayers:\n  - select\n  - prelu\n").totals.params == 1
