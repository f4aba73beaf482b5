"""Hostile input across every command, stdin, option, weight file and library call.

Over five hundred inputs, hand-written and generated, each of which must end in a one-line error
with exit code 1 or 2 (never "internal error" or a traceback), within 2 s and a bounded amount of
memory (tracemalloc's peak for in-process runs; an address-space limit for the subprocesses that
read /dev/zero and endless pipes). The commands run in-process through typer's CliRunner; only a
handful of cases that need a real stdin or a real file descriptor start a process.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import netcalc
from netcalc.cli import app
from netcalc.errors import NetcalcError

ROOT = Path(__file__).resolve().parent.parent
TINY = str(ROOT / "specs" / "dense-vs-conv" / "tiny.yaml")  # input [2]: dense 'hidden' 2, 'output' 1
SECONDS = 2.0
PEAK_BYTES = 160 * 2**20  # a failed run allocates nothing large; 11 MB stdin payloads are the most
MAX_LINE = 400
runner = CliRunner()


@dataclass(frozen=True)
class Hostile:
    """One hostile command line: its arguments ({dir} is the case's folder), stdin and files."""

    id: str
    args: tuple[str, ...]
    stdin: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    codes: frozenset[int] = frozenset({1, 2})


# --- hostile spec texts ------------------------------------------------------------------------

OK = "input: [3, 8, 8]\nlayers: [relu]\n"
DEEP = "input: [3]\nlayers: " + "[" * 5000 + "relu" + "]" * 5000 + "\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for n, p in zip("bcdefg", "abcdef", strict=True)
)

SPECS: dict[str, str | bytes] = {
    "empty": "",
    "blank": "   \n\n",
    "document_marker": "---\n",
    "null": "null\n",
    "tilde": "~\n",
    "list": "[]\n",
    "mapping": "{}\n",
    "number": "42\n",
    "string": "'x'\n",
    "no_layers": "input: [3]\n",
    "no_input": "layers: [relu]\n",
    "input_empty": "input: []\nlayers: [relu]\n",
    "input_zero": "input: [0]\nlayers: [relu]\n",
    "input_negative": "input: [-1]\nlayers: [relu]\n",
    "input_float": "input: [1.5]\nlayers: [relu]\n",
    "input_string": "input: [a]\nlayers: [relu]\n",
    "input_bool": "input: [true]\nlayers: [relu]\n",
    "input_nested": "input: [[3]]\nlayers: [relu]\n",
    "input_scalar": "input: 3\nlayers: [relu]\n",
    "input_null_item": "input: [3, null]\nlayers: [relu]\n",
    "input_huge": "input: [" + "9" * 40 + ", " + "9" * 40 + "]\nlayers: [relu]\n",
    "input_4000_digits": "input: [" + "9" * 4000 + "]\nlayers: [relu]\n",
    "input_5000_digits": "input: [" + "9" * 5000 + "]\nlayers: [relu]\n",
    "input_inf": "input: [3, .inf]\nlayers: [relu]\n",
    "input_nan": "input: [.nan]\nlayers: [relu]\n",
    "input_set": "input: !!set {3, 32}\nlayers: [relu]\n",
    "layers_empty": "input: [3]\nlayers: []\n",
    "layers_null": "input: [3]\nlayers: [null]\n",
    "layers_number": "input: [3]\nlayers: [42]\n",
    "layers_nested": "input: [3]\nlayers: [[relu]]\n",
    "layers_empty_mapping": "input: [3]\nlayers: [{}]\n",
    "layer_scalar_args": "input: [3]\nlayers: [{relu: 3}]\n",
    "layer_two_keys": "input: [3]\nlayers: [{relu: null, tanh: null}]\n",
    "unknown_layer": "input: [3]\nlayers: [frobnicate]\n",
    "conv_no_args": "input: [3, 8, 8]\nlayers: [conv2d]\n",
    "conv_filters_negative": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: -1, kernel: 3}}]\n",
    "conv_filters_zero": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 0, kernel: 3}}]\n",
    "conv_filters_string": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: '8', kernel: 3}}]\n",
    "conv_filters_huge": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: " + "9" * 40 + ", kernel: 3}}]\n",
    "conv_kernel_zero": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 0}}]\n",
    "conv_kernel_too_big": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 100}}]\n",
    "conv_stride_zero": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3, stride: 0}}]\n",
    "conv_padding_negative": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3, padding: -1}}]\n",
    "conv_padding_word": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3, padding: full}}]\n",
    "conv_groups_mismatch": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3, groups: 2}}]\n",
    "conv_dilation_zero": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3, dilation: 0}}]\n",
    "conv_kernel_list_wrong": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: [3, 3, 3]}}]\n",
    "conv_on_vector": "input: [3]\nlayers: [{conv2d: {filters: 4, kernel: 1}}]\n",
    "conv_typo": "input: [3, 8, 8]\nlayers: [{conv2d: {filters: 4, kernal: 3}}]\n",
    "dense_units_float": "input: [3]\nlayers: [{dense: {units: 1.5}}]\n",
    "dense_units_bool": "input: [3]\nlayers: [{dense: {units: true}}]\n",
    "dense_units_huge": "input: [3]\nlayers: [{dense: {units: " + "9" * 35 + "}}]\n",
    "dense_units_5000_digits": "input: [3]\nlayers: [{dense: {units: " + "1" * 5000 + "}}]\n",
    "dense_activation_unknown": "input: [3]\nlayers: [{dense: {units: 2, activation: swish9}}]\n",
    "from_unknown": "input: [3]\nlayers: [{relu: {from: nothing}}]\n",
    "from_positive": "input: [3]\nlayers: [{relu: {from: 5}}]\n",
    "from_far_back": "input: [3]\nlayers: [relu, {add: {from: [-1, -9]}}]\n",
    "from_later": "input: [3]\nlayers: [{relu: {from: x}}, {tanh: {name: x}}]\n",
    "add_one_input": "input: [3]\nlayers: [{add: {from: [-1]}}]\n",
    "add_shapes_differ": "input: [3]\nlayers: [{dense: {units: 4}}, {add: {from: [-1, input]}}]\n",
    "concat_axis_out": "input: [3, 4]\nlayers: [relu, {concat: {from: [-1, input], axis: 9}}]\n",
    "reshape_wrong": "input: [3, 4]\nlayers: [{reshape: {shape: [7]}}]\n",
    "reshape_two_free": "input: [3, 4]\nlayers: [{reshape: {shape: [-1, -1]}}]\n",
    "permute_repeat": "input: [3, 4]\nlayers: [{permute: {dims: [0, 0]}}]\n",
    "slice_axis_out": "input: [3, 4]\nlayers: [{slice: {axis: 99, end: 1}}]\n",
    "slice_axis_10e30": "input: [3, 4]\nlayers: [{slice: {axis: 1000000000000000000000000000000, end: 1}}]\n",
    "select_index_out": "input: [3, 4]\nlayers: [{select: {index: 99}}]\n",
    "upsample_scale_zero": "input: [3, 8, 8]\nlayers: [{upsample: {scale: 0}}]\n",
    "upsample_scale_negative": "input: [3, 8, 8]\nlayers: [{upsample: {scale: -2}}]\n",
    "upsample_scale_nan": "input: [3, 8, 8]\nlayers: [{upsample: {scale: .nan}}]\n",
    "upsample_scale_inf": "input: [3, 8, 8]\nlayers: [{upsample: {scale: .inf}}]\n",
    "upsample_scale_1e300": "input: [3, 8, 8]\nlayers: [{upsample: {scale: 1.0e+300}}]\n",
    "upsample_scale_1e400": "input: [3, 8, 8]\nlayers: [{upsample: {scale: 1.0e+400}}]\n",
    "upsample_both": "input: [3, 8, 8]\nlayers: [{upsample: {scale: 2, size: 4}}]\n",
    "upsample_nearest_align": "input: [3, 8, 8]\nlayers: [{upsample: {scale: 2, align_corners: true}}]\n",
    "dropout_rate_two": "input: [3]\nlayers: [{dropout: {rate: 2}}]\n",
    "dropout_rate_negative": "input: [3]\nlayers: [{dropout: {rate: -0.1}}]\n",
    "dropout_rate_nan": "input: [3]\nlayers: [{dropout: {rate: .nan}}]\n",
    "attention_heads_zero": "input: [4, 16]\nlayers: [{attention: {heads: 0}}]\n",
    "attention_heads_indivisible": "input: [4, 16]\nlayers: [{attention: {heads: 7}}]\n",
    "layernorm_dims_too_many": "input: [4, 16]\nlayers: [{layernorm: {dims: 9}}]\n",
    "maxpool_too_big": "input: [3, 4, 4]\nlayers: [{maxpool2d: {size: 9}}]\n",
    "center_crop_too_big": "input: [3, 4, 4]\nlayers: [{center_crop: {size: 9}}]\n",
    "channel_shuffle_indivisible": "input: [3, 4, 4]\nlayers: [{channel_shuffle: {groups: 2}}]\n",
    "block_recursive": "input: [3]\nblocks:\n  a:\n    layers: [a]\nlayers: [a]\n",
    "block_mutual": "input: [3]\nblocks:\n  a: {layers: [b]}\n  b: {layers: [a]}\nlayers: [a]\n",
    "block_no_layers": "input: [3]\nblocks:\n  a: {}\nlayers: [a]\n",
    "block_missing_arg": "input: [3]\nblocks:\n  a: {args: [n], layers: [{dense: {units: $n}}]}\n"
    "layers: [a]\n",
    "block_undefined_arg": "input: [3]\nblocks:\n  a: {layers: [{dense: {units: $n}}]}\nlayers: [a]\n",
    "block_arith_string": "input: [3]\nblocks:\n  a: {args: {n: x}, layers: [{dense: {units: $n * 2}}]}\n"
    "layers: [a]\n",
    "block_arith_call": "input: [3]\nblocks:\n  a: {args: {n: 2}, layers: [{dense: {units: __import__('os')}}]}"  # noqa: E501
    "\nlayers: [a]\n",
    "repeat_zero": "input: [3]\nlayers: [{relu: {repeat: 0}}]\n",
    "repeat_billion": "input: [3]\nlayers: [{relu: {repeat: 1000000000}}]\n",
    "repeat_string": "input: [3]\nlayers: [{relu: {repeat: many}}]\n",
    "deep_nesting": DEEP,
    "alias_bomb": BOMB + "input: [2]\nlayers: [relu]\n",
    "python_tag": "input: !!python/object/apply:os.system ['echo hi']\nlayers: [relu]\n",
    "python_name_tag": "input: [3]\nlayers: [!!python/name:os.system relu]\n",
    "binary_tag": "input: !!binary aGVsbG8=\nlayers: [relu]\n",
    "duplicate_key": "input: [3]\ninput: [4]\nlayers: [relu]\n",
    "tab_indent": "input: [3]\nlayers:\n\t- relu\n",
    "nul_byte": "input: [3]\x00\nlayers: [relu]\n",
    "control_char": "input: [3]\x07\nlayers: [relu]\n",
    "unclosed_bracket": "input: [3\nlayers: [relu]\n",
    "name_with_dots": "input: [3]\nlayers: [{relu: {name: a.b}}]\n",
    "name_200kb": "input: [3]\nlayers: [{relu: {name: 'a b " + "x" * 200_000 + "'}}]\n",
    "value_200kb": "input: [3]\nlayers: [{dense: {units: '" + "7" * 200_000 + "'}}]\n",
    "name_number": "input: [3]\nlayers: [{relu: {name: 3}}]\n",
    "dtype_unknown": "input: [3]\ndtype: float128\nlayers: [relu]\n",
    "top_level_typo": "input: [3]\nlayer: [relu]\n",
    "million_lines": "input: [3]\nlayers:\n" + "  - relu\n" * 1_000_001,
    "million_flow_items": "input: [3]\nlayers: [" + "relu, " * 1_000_001 + "relu]\n",
    "eleven_megabytes": "input: [3]\nlayers: [relu]\n# " + "x" * (11 * 2**20) + "\n",
    "utf16": OK.encode("utf-16"),
    "latin1": "input: [3]\nname: caf\xe9\nlayers: [relu]\n".encode("latin-1"),
    "random_bytes": bytes(random.Random(13).randrange(256) for _ in range(4096)),
    "invalid_utf8": b"input: [3]\nlayers: [\xed\xa0\x80]\n",
    "json_broken": b'{"input": [3], "layers": ["relu"',
    "escape_sequences": "input: [3]\nlayers: [\x1b[31mrelu]\n",
}
JSON_SPECS: dict[str, str] = {
    "json_duplicate": '{"input": [3], "input": [4], "layers": ["relu"]}',
    "json_5000_digits": '{"input": [' + "1" * 5000 + '], "layers": ["relu"]}',
    "json_nan": '{"input": [NaN], "layers": ["relu"]}',
    "json_array": '[{"input": [3]}]',
    "json_trailing": '{"input": [3], "layers": ["relu"]} x',
}

# Seeded mutations: one argument of a valid layer replaced by a value no spec may hold there.
MUTATED_LAYERS: dict[str, dict[str, Any]] = {
    "conv2d": {"filters": 4, "kernel": 3},
    "dense": {"units": 4},
    "maxpool2d": {"size": 2},
    "reshape": {"shape": [24]},
    "attention": {"heads": 2},
    "upsample": {"scale": 2},
}
BAD_VALUES: list[Any] = [0, -1, -(10**40), 10**40, "x", None, [], {}, 1.5, float("inf"), float("nan"), [[1]]]
INPUTS = {"conv2d": [3, 8, 8], "dense": [3], "maxpool2d": [3, 8, 8], "reshape": [3, 8], "attention": [4, 8],
          "upsample": [3, 8, 8]}  # fmt: skip


def mutated_specs() -> dict[str, dict[str, Any]]:
    """Each layer with each of its arguments set to each bad value it cannot take."""
    specs = {}
    for kind, args in MUTATED_LAYERS.items():
        for name in args:
            for i, value in enumerate(BAD_VALUES):
                if kind == "upsample" and value in (1.5, 10**40):  # a real scale; a scale too large
                    continue  # is refused by count (10^30), covered by upsample_scale_1e300
                spec = {"input": INPUTS[kind], "layers": [{kind: {**args, name: value}}]}
                specs[f"{kind}_{name}_{i}"] = spec
    return specs


def spec_cases() -> list[Hostile]:
    cases = []
    every = (["count"], ["compare", "{dir}/ok.yaml"], ["run"], ["verify"], ["export", "-o", "{dir}/m.onnx"])
    for i, (name, text) in enumerate(SPECS.items()):
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        files = {"spec.yaml": data}
        # every spec through count and stdin; one in three through every command (they share the
        # loading, and the suite stays fast)
        for command in every if i % 3 == 0 else every[:1]:
            args = (command[0], "{dir}/spec.yaml", *command[1:])
            cases.append(Hostile(f"{command[0]}-{name}", args, files={**files, "ok.yaml": OK.encode()}))
        cases.append(Hostile(f"stdin-count-{name}", ("count", "-"), stdin=data))
    for name, text in JSON_SPECS.items():
        cases.append(
            Hostile(f"count-{name}", ("count", "{dir}/spec.json"), files={"spec.json": text.encode()})
        )
        cases.append(
            Hostile(f"verify-{name}", ("verify", "{dir}/spec.json"), files={"spec.json": text.encode()})
        )
    import json

    for name, spec in mutated_specs().items():
        data = json.dumps(spec, allow_nan=True).encode()
        cases.append(
            Hostile(f"count-mutated-{name}", ("count", "{dir}/spec.json"), files={"spec.json": data})
        )
    return cases


# --- options -----------------------------------------------------------------------------------

BAD_BATCH = ["0", "-1", "1.5", "x", "", "9" * 5000, "1e3"]
BAD_MEMORY = ["", "inf", "-inf", "1e400", "nan", "-1", "0", "2X", "G", "1e3", "9" * 5000, "2 G B", "0.0001"]
BAD_SEED = ["-1", "1.5", "x", "", "9" * 5000]
BAD_FORMAT = ["xml", "", "JSON ", "svg"]


def option_cases() -> list[Hostile]:
    cases = []
    for i, value in enumerate(BAD_BATCH):
        for command in ("count", "run", "verify"):
            cases.append(Hostile(f"{command}-batch-{i}", (command, TINY, "--batch", value)))
    for value in BAD_MEMORY:
        for command, tail in (("run", ()), ("verify", ()), ("export", ("-o", "{dir}/m.onnx"))):
            cases.append(
                Hostile(f"{command}-max-memory-{value[:8]}", (command, TINY, "--max-memory", value, *tail))
            )
    for i, value in enumerate(BAD_SEED):
        for command, tail in (("run", ()), ("verify", ()), ("export", ("-o", "{dir}/m.onnx"))):
            cases.append(Hostile(f"{command}-seed-{i}", (command, TINY, "--seed", value, *tail)))
    for value in BAD_FORMAT:
        for command in ("count", "run", "verify", "layers", "zoo", "schema"):
            args = (
                (command, "--format", value)
                if command in ("layers", "zoo", "schema")
                else (command, TINY, "--format", value)
            )
            cases.append(Hostile(f"{command}-format-{value or 'empty'}", args))
    extra: list[tuple[str, tuple[str, ...]]] = [
        ("count-depth-negative", ("count", TINY, "--depth", "-1")),
        ("count-no-spec", ("count",)),
        ("count-missing-file", ("count", "{dir}/nope.yaml")),
        ("count-directory", ("count", "{dir}")),
        ("count-two-stdins", ("count", "-", "-")),
        ("count-zoo-unknown", ("count", "zoo:nope")),
        ("count-zoo-empty", ("count", "zoo:")),
        ("count-zoo-traversal", ("count", "zoo:../../etc/passwd")),
        ("count-nul-in-path", ("count", "spec\x00.yaml")),
        ("count-unknown-option", ("count", TINY, "--frobnicate")),
        ("run-dtype-int8", ("run", TINY, "--dtype", "int8")),
        ("verify-dtype-empty", ("verify", TINY, "--dtype", "")),
        ("export-no-output", ("export", TINY)),
        ("export-opset-low", ("export", TINY, "-o", "{dir}/m.onnx", "--opset", "1")),
        ("export-opset-huge", ("export", TINY, "-o", "{dir}/m.onnx", "--opset", "99999")),
        ("export-opset-digits", ("export", TINY, "-o", "{dir}/m.onnx", "--opset", "9" * 5000)),
        ("layers-unknown", ("layers", "frobnicate")),
        ("layers-empty", ("layers", "")),
        ("layers-long", ("layers", "x" * 100_000)),
        ("zoo-extra", ("zoo", "nope")),
        ("schema-extra", ("schema", "nope")),
        ("compare-one-missing", ("compare", TINY, "{dir}/nope.yaml")),
        ("unknown-command", ("frobnicate",)),
    ]
    cases += [Hostile(name, args) for name, args in extra]
    return cases


# --- stdin -------------------------------------------------------------------------------------

STDIN: dict[str, bytes] = {
    "random-4k": bytes(random.Random(1).randrange(256) for _ in range(4096)),
    "random-64k": bytes(random.Random(2).randrange(256) for _ in range(65536)),
    "utf16": OK.encode("utf-16"),
    "utf32": OK.encode("utf-32"),
    "utf16-be-no-bom": OK.encode("utf-16-be"),
    "nul": b"\x00" * 100,
    "empty": b"",
    "newline": b"\n",
    "eleven-megabytes": b"a" * (11 * 2**20),
    "yes-relu": b"layers: [relu]\n" * (2**20),
    "bom-garbage": b"\xef\xbb\xbf\xff\xfe",
    "surrogate": b"input: [3]\nlayers: [\xed\xb2\x80]\n",
    "gzip": b"\x1f\x8b\x08\x00" + bytes(100),
    "zip": b"PK\x03\x04" + bytes(100),
    "npy": b"\x93NUMPY" + bytes(100),
}


def stdin_cases() -> list[Hostile]:
    cases = []
    for name, data in STDIN.items():
        for command, extra in (
            ("count", ()),
            ("run", ()),
            ("verify", ()),
            ("export", ("-o", "{dir}/m.onnx")),
        ):
            cases.append(Hostile(f"pipe-{command}-{name}", (command, "-", *extra), stdin=data))
    return cases


# --- weight and input files --------------------------------------------------------------------


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue() + data


def npz_bytes(members: dict[str, bytes], compress: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def good_weights() -> dict[str, bytes]:
    return {
        "hidden/weight.npy": npy_bytes(np.ones((2, 2), np.float32)),
        "output/weight.npy": npy_bytes(np.ones((1, 2), np.float32)),
    }


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("output/weight.npy", npy_bytes(np.ones((1, 2), np.float32)))
        with archive.open("hidden/weight.npy", "w", force_zip64=True) as member:
            member.write(npy_header((2**24, 2)))
            for _ in range(128):
                member.write(bytes(2**20))  # 128 MiB of zeros in about 128 KiB
    return out.getvalue()


def weight_files() -> dict[str, bytes]:
    good = good_weights()
    files = {
        "not-a-zip": b"hello\n",
        "empty": b"",
        "zip-garbage": b"PK\x03\x04garbage",
        "empty-zip": npz_bytes({}),
        "npy-instead": npy_bytes(np.ones(3, np.float32)),
        "text-member": npz_bytes({**good, "readme.txt": b"hi"}),
        "missing-tensor": npz_bytes({"hidden/weight.npy": good["hidden/weight.npy"]}),
        "extra-tensor": npz_bytes({**good, "ghost/weight.npy": npy_bytes(np.ones(3, np.float32))}),
        "wrong-shape": npz_bytes({**good, "hidden/weight.npy": npy_bytes(np.ones((3, 3), np.float32))}),
        "complex": npz_bytes({**good, "hidden/weight.npy": npy_bytes(np.ones((2, 2), np.complex64))}),
        "strings": npz_bytes({**good, "hidden/weight.npy": npy_bytes(np.array([["a", "b"], ["c", "d"]]))}),
        "object": npz_bytes({**good, "hidden/weight.npy": npy_header((2, 2), "|O", b"\x80\x04N.")}),
        "header-10e12": npz_bytes({**good, "hidden/weight.npy": npy_header((10**6, 10**6))}),
        "header-negative": npz_bytes(
            {**good, "hidden/weight.npy": npy_header((2, 2)).replace(b"(2, 2)", b"(-2, 2)")}
        ),
        "header-garbage": npz_bytes(
            {**good, "hidden/weight.npy": b"\x93NUMPY\x01\x00\x10\x00{'descr': x}    \n"}
        ),
        "header-huge-length": npz_bytes(
            {**good, "hidden/weight.npy": b"\x93NUMPY\x01\x00\xff\xff" + b" " * 100}
        ),
        "cut-short": npz_bytes({**good, "hidden/weight.npy": npy_bytes(np.ones((2, 2), np.float32))[:-5]}),
        "version-9": npz_bytes({**good, "hidden/weight.npy": b"\x93NUMPY\x09\x00" + bytes(20)}),
        "bomb": bomb(),
        "many-members": npz_bytes({f"m{i}.npy": b"" for i in range(2000)}),
        "long-name": npz_bytes({**good, ("x" * 60_000) + ".npy": npy_bytes(np.ones(1, np.float32))}),
        "traversal-name": npz_bytes({**good, "../../evil.npy": npy_bytes(np.ones(1, np.float32))}),
        "dtype-void": npz_bytes({**good, "hidden/weight.npy": npy_header((2, 2), "|V64", bytes(256))}),
    }
    return files


def input_files() -> dict[str, bytes]:
    return {
        "not-npy": b"hello\n",
        "empty": b"",
        "npz": npz_bytes({"x.npy": npy_bytes(np.ones((1, 2), np.float32))}),
        "batch-zero": npy_bytes(np.zeros((0, 2), np.float32)),
        "scalar": npy_bytes(np.array(3.0)),
        "wrong-shape": npy_bytes(np.zeros((1, 5), np.float32)),
        "complex": npy_bytes(np.zeros((1, 2), np.complex128)),
        "strings": npy_bytes(np.array([["a", "b"]])),
        "object": npy_header((1, 2), "|O", b"\x80\x04N."),
        "header-10e12": npy_header((10**6, 10**6)),
        "header-over-limit": npy_header((10**9, 2)),
        "cut-short": npy_bytes(np.ones((4, 2), np.float32))[:-3],
        "header-garbage": b"\x93NUMPY\x01\x00\x10\x00{'descr': x}    \n",
        "version-9": b"\x93NUMPY\x09\x00" + bytes(20),
        "pickle": b"\x80\x04\x95" + bytes(20),
    }


def file_cases() -> list[Hostile]:
    cases = []
    for name, data in weight_files().items():
        cases.append(
            Hostile(f"run-weights-{name}", ("run", TINY, "--weights", "{dir}/w.npz"), files={"w.npz": data})
        )
        cases.append(
            Hostile(
                f"export-weights-{name}",
                ("export", TINY, "-o", "{dir}/m.onnx", "--weights", "{dir}/w.npz"),
                files={"w.npz": data},
            )
        )
    for name, data in input_files().items():
        cases.append(
            Hostile(f"run-input-{name}", ("run", TINY, "--input", "{dir}/x.npy"), files={"x.npy": data})
        )
    ok = {"spec.yaml": OK.encode()}
    cases += [
        Hostile("run-output-directory", ("run", TINY, "--output", "{dir}/")),
        Hostile(
            "run-output-existing-directory", ("run", TINY, "--output", "{dir}/sub"), files={"sub/keep": b""}
        ),
        Hostile("run-save-weights-directory", ("run", TINY, "--save-weights", "{dir}")),
        Hostile("run-output-missing-parent", ("run", TINY, "--output", "{dir}/no/such/y.npy")),
        Hostile("run-output-is-spec", ("run", "{dir}/spec.yaml", "--output", "{dir}/spec.yaml"), files=ok),
        Hostile(
            "run-save-weights-is-spec",
            ("run", "{dir}/spec.yaml", "--save-weights", "{dir}/spec.yaml"),
            files=ok,
        ),
        Hostile(
            "run-output-is-input",
            ("run", TINY, "--input", "{dir}/x.npy", "--output", "{dir}/x.npy"),
            files={"x.npy": npy_bytes(np.ones((1, 2), np.float32))},
        ),
        Hostile("export-output-is-spec", ("export", "{dir}/spec.yaml", "-o", "{dir}/spec.yaml"), files=ok),
        Hostile("export-output-directory", ("export", TINY, "-o", "{dir}")),
        Hostile("export-output-missing-parent", ("export", TINY, "-o", "{dir}/no/m.onnx")),
        Hostile("run-weights-missing", ("run", TINY, "--weights", "{dir}/nope.npz")),
        Hostile("run-weights-directory", ("run", TINY, "--weights", "{dir}")),
        Hostile("run-input-missing", ("run", TINY, "--input", "{dir}/nope.npy")),
    ]
    return cases


def onnx_files() -> dict[str, bytes]:
    """Files named .onnx that are not readable models (every command reads a .onnx file)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    cycle = helper.make_graph(
        [helper.make_node("Relu", ["y"], ["z"]), helper.make_node("Relu", ["z"], ["y"])], "g", [x], [y]
    )
    unknown = helper.make_graph([helper.make_node("Frobnicate", ["x"], ["y"])], "g", [x], [y])
    good = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(good).SerializeToString()
    return {
        "empty": b"",
        "text": b"input: [3]\nlayers: [relu]\n",
        "random": bytes(random.Random(7).randrange(256) for _ in range(4096)),
        "zip": npz_bytes({"a.npy": b""}),
        "truncated": model[: len(model) // 2],
        "cycle": helper.make_model(cycle).SerializeToString(),
        "unknown-op": helper.make_model(unknown).SerializeToString(),
        "opset-1": helper.make_model(good, opset_imports=[helper.make_opsetid("", 1)]).SerializeToString(),
        "no-graph": onnx.ModelProto().SerializeToString(),
    }


def onnx_cases() -> list[Hostile]:
    cases = []
    for name, data in onnx_files().items():
        files = {"m.onnx": data}
        cases.append(Hostile(f"count-onnx-{name}", ("count", "{dir}/m.onnx"), files=files))
        cases.append(Hostile(f"import-onnx-{name}", ("import", "{dir}/m.onnx"), files=files))
        cases.append(Hostile(f"import-stdin-{name}", ("import", "-"), stdin=data))
    cases.append(Hostile("import-not-onnx-name", ("import", TINY)))
    cases.append(Hostile("import-missing", ("import", "{dir}/nope.onnx")))
    return cases


CASES = spec_cases() + option_cases() + stdin_cases() + file_cases() + onnx_cases()


def test_the_suite_holds_over_500_hostile_inputs() -> None:
    assert len(CASES) + len(LIBRARY) >= 500, len(CASES) + len(LIBRARY)
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.fixture(scope="module", autouse=True)
def warm_up() -> None:
    """Imports that the first run or export makes (NumPy, onnx) are not part of any case's time."""
    import onnx  # noqa: F401

    from netcalc.interop import onnx_export  # noqa: F401

    netcalc.run(SPEC)


def assert_one_line_error(stderr: str, case_id: str) -> None:
    """netcalc's own errors: every line 'error: ...', short; click's usage errors: its 'Error:'."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, f"{case_id}: no message"
    assert all(len(line) <= MAX_LINE + 10 for line in lines), f"{case_id}: a line over {MAX_LINE} characters"
    if lines[0].startswith("Usage:"):  # typer/click: usage, hint, then one 'Error: ...' line
        assert sum(line.lstrip("│ ").startswith("Error") for line in lines) == 1, f"{case_id}: {stderr}"
        return
    assert all(line.startswith("error: ") for line in lines), f"{case_id}: {stderr!r}"
    assert len(lines) <= 3, f"{case_id}: {len(lines)} lines"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_command_line(case: Hostile, tmp_path: Path) -> None:
    for name, data in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    args = [a.replace("{dir}", str(tmp_path)) for a in case.args]
    before = sorted(p.name for p in tmp_path.iterdir())
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = runner.invoke(app, args, input=case.stdin)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    output = result.output
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in case.codes, f"exit {result.exit_code}: {output[:500]}"
    assert_one_line_error(result.stderr, case.id)
    assert elapsed < SECONDS, f"{elapsed:.2f} s"
    assert peak < PEAK_BYTES + len(case.stdin or b"") * 3, f"{peak:,} bytes"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == before, f"files written by a failed command: {set(written) - set(before)}"


# --- the library -------------------------------------------------------------------------------

SPEC = {"input": [2], "layers": [{"dense": {"units": 2}}]}
BAD_SIZES: list[Any] = [0, -3, True, False, 1.5, "2", None, 10**40, np.float64(2), [1], -(2**70)]
BAD_SEEDS: list[Any] = [-1, 1.5, "0", None, 2**64, np.float32(1), [0]]
BAD_DTYPES: list[Any] = ["int8", "", None, 32, np.float32, "float16"]
BAD_LIMITS: list[Any] = [0, -1, "", "inf", "nan", "2X", float("nan"), float("inf"), 1.5, True, [1]]
BAD_SOURCES: list[Any] = [
    None,
    42,
    1.5,
    b"input: [3]",
    ["input", 3],
    "",
    "   ",
    "zoo:",
    "zoo:nope",
    "no-such.yaml",
    "x" * 100_000,
    "spec\x00.yaml",
    {"input": []},
    {"layers": 3},
    {},
]
BAD_X: list[Any] = [
    np.ones((1, 2)) * 1j,
    [[1, 2], [3]],
    "x",
    np.array([["a", "b"]]),
    np.ones(2),
    np.ones((0, 2)),
    np.ones((1, 3)),
    {"a": 1},
    object(),
]
BAD_WEIGHTS: list[Any] = [
    [1, 2],
    "w.npz",
    {"dense_1/weight": "x"},
    {"dense_1/weight": np.ones((3, 3))},
    {"ghost/weight": np.ones(2)},
    {1: np.ones(2)},
    {"dense_1/weight": [[1], [2, 3]]},
]


def library_calls() -> list[tuple[str, Callable[[], object]]]:
    calls: list[tuple[str, Callable[[], object]]] = []
    for i, source in enumerate(BAD_SOURCES):
        calls += [(f"load-source-{i}", partial(netcalc.load, source))]
        calls += [(f"analyze-source-{i}", partial(netcalc.analyze, source))]
        calls += [(f"run-source-{i}", partial(netcalc.run, source))]
    for i, size in enumerate(BAD_SIZES):
        calls += [(f"analyze-batch-{i}", partial(netcalc.analyze, SPEC, batch=size))]
        calls += [(f"run-batch-{i}", partial(netcalc.run, SPEC, batch=size))]
        calls += [(f"verify-batch-{i}", partial(netcalc.verify, SPEC, batch=size))]
    for i, seed in enumerate(BAD_SEEDS):
        calls += [(f"run-seed-{i}", partial(netcalc.run, SPEC, seed=seed))]
        calls += [(f"verify-seed-{i}", partial(netcalc.verify, SPEC, seed=seed))]
        calls += [(f"export-seed-{i}", partial(netcalc.export, SPEC, "/nonexistent-dir/m.onnx", seed=seed))]
    for i, dtype in enumerate(BAD_DTYPES):
        calls += [(f"run-dtype-{i}", partial(netcalc.run, SPEC, dtype=dtype))]
        calls += [(f"verify-dtype-{i}", partial(netcalc.verify, SPEC, dtype=dtype))]
    for i, limit in enumerate(BAD_LIMITS):
        calls += [(f"run-max-memory-{i}", partial(netcalc.run, SPEC, max_memory=limit))]
        calls += [(f"verify-max-memory-{i}", partial(netcalc.verify, SPEC, max_memory=limit))]
    for i, x in enumerate(BAD_X):
        calls += [(f"run-x-{i}", partial(netcalc.run, SPEC, x=x))]
    for i, weights in enumerate(BAD_WEIGHTS):
        calls += [(f"run-weights-{i}", partial(netcalc.run, SPEC, weights=weights))]
    calls += [
        ("run-training-string", lambda: netcalc.run(SPEC, training="yes")),
        ("run-progress-number", lambda: netcalc.run(SPEC, progress=3)),
        ("run-over-limit", lambda: netcalc.run(SPEC, max_memory=1024)),
        ("export-directory", lambda: netcalc.export(SPEC, ".")),
        ("export-empty-path", lambda: netcalc.export(SPEC, "")),
        ("export-opset", lambda: netcalc.export(SPEC, "/nonexistent-dir/m.onnx", opset=3)),
        ("spec-empty-input", lambda: netcalc.Spec(input=[])),
        ("spec-bad-layers", lambda: netcalc.Spec(input=[3], layers=3)),
        ("conv2d-filters-zero", lambda: netcalc.layers.Conv2d(filters=0, kernel=3)),
        ("dense-units-string", lambda: netcalc.layers.Dense(units="x")),
        ("dropout-rate-two", lambda: netcalc.layers.Dropout(rate=2)),
        ("upsample-nothing", lambda: netcalc.layers.Upsample()),
    ]
    return calls


LIBRARY = library_calls()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("name", "call"), LIBRARY, ids=[name for name, _ in LIBRARY])
def test_hostile_library_call(name: str, call: Callable[[], object]) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(NetcalcError) as raised:
            call()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(raised.value)
    assert message and len(message.splitlines()) <= 3, message
    assert all(len(line) <= MAX_LINE for line in message.splitlines())
    assert elapsed < SECONDS and peak < PEAK_BYTES


# --- a handful of real processes: stdin closed or endless, /dev/zero -----------------------------


def netcalc_process(shell: str, limit_bytes: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    """Run a shell pipeline with `netcalc` as this Python's module, under an address-space limit."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    command = shell.replace("netcalc", f"{sys.executable} -c 'from netcalc.cli import main; main()'")
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, preexec_fn=limit, cwd=ROOT
    )


@pytest.mark.skipif(
    not Path("/dev/zero").exists() or shutil.which("yes") is None, reason="needs a Unix system"
)
@pytest.mark.parametrize(
    ("shell", "message"),
    [
        ("netcalc count /dev/zero", "larger than 10 MiB"),
        ("yes 'layers: [relu]' | netcalc count -", "larger than 10 MiB"),
        ("head -c 100000 /dev/urandom | netcalc count -", "not UTF-8 text"),
        ("netcalc count - 0<&-", "stdin is closed"),
        ("netcalc run - 0<&-", "stdin is closed"),
        ("netcalc import - 0<&-", "stdin is closed"),
        ("head -c 30000000 /dev/zero | netcalc import -", "ONNX"),
    ],
    ids=[
        "dev-zero",
        "yes-pipe",
        "random-pipe",
        "closed-stdin-count",
        "closed-stdin-run",
        "closed-stdin-import",
        "import-zeros",
    ],
)
def test_hostile_reads_in_a_real_process(shell: str, message: str) -> None:
    start = time.perf_counter()
    done = netcalc_process(shell)
    elapsed = time.perf_counter() - start
    assert done.returncode in (1, 2), done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "internal error" not in done.stderr
    assert elapsed < 10, f"{elapsed:.1f} s (the process start included)"
    assert os.environ.get("NETCALC_DEBUG") is None
