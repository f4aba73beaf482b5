"""Dev-only: every sequence-model layer type against PyTorch itself, on random configurations.

For each configuration, a one-layer spec is analyzed by netcalc (output shape, parameter count) and
run by the NumPy backend (float64); the same layer is built here by hand in torch.nn (not through
`netcalc torch`), given the backend's weights by name, and run on the same input. A configuration
is equal when the shapes, the parameter counts and the outputs (within 1e-9 relative) all agree.
Keras's single-bias LSTM/SimpleRNN is PyTorch's module with the recurrent biases at zero; its count
is PyTorch's minus those biases.

    python tools/compare_torch_layers.py            # 120 configurations per layer type
    python tools/compare_torch_layers.py --per-kind 20 --seed 3
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import netcalc
from netcalc import backend


def _config(kind: str, r: random.Random) -> tuple[list[int], dict[str, Any]]:
    """A random (input shape, layer arguments) for one layer type."""
    if kind == "embedding":
        return [r.randint(1, 9)], {"vocab": r.randint(1, 30), "dim": r.randint(1, 12)}
    if kind == "pos_embedding":
        n = r.randint(1, 9)
        args = {"length": n + r.randint(0, 5)} if r.random() < 0.7 else {}
        return [n, r.randint(1, 8)], args
    if kind in ("rnn", "lstm", "gru"):
        args: dict[str, Any] = {
            "units": r.randint(1, 7),
            "layers": r.randint(1, 3),
            "bidirectional": r.random() < 0.5,
            "return_sequences": r.random() < 0.6,
            "bias": r.choice([True, False] + ([] if kind == "gru" else ["single"])),
        }
        if kind == "rnn":
            args["nonlinearity"] = r.choice(["tanh", "relu"])
        return [r.randint(1, 7), r.randint(1, 6)], args
    if kind == "rmsnorm":
        shape = [r.randint(1, 5) for _ in range(r.randint(1, 3))]
        return shape, {"eps": r.choice([1e-5, 1e-6]), "affine": r.random() < 0.7}
    if kind == "groupnorm":
        groups = r.randint(1, 4)
        shape = [groups * r.randint(1, 3)] + [r.randint(1, 5) for _ in range(r.randint(0, 3))]
        return shape, {"groups": groups, "eps": r.choice([1e-5, 1e-3]), "affine": r.random() < 0.7}
    if kind == "instancenorm":
        shape = [r.randint(1, 5)] + [r.randint(2, 5) for _ in range(r.randint(1, 3))]
        return shape, {"eps": r.choice([1e-5, 1e-3]), "affine": r.random() < 0.5}
    if kind == "log_softmax":
        shape = [r.randint(1, 5) for _ in range(r.randint(1, 4))]
        return shape, {"axis": r.randint(-len(shape), len(shape) - 1)}
    if kind == "pad":
        shape = [r.randint(1, 4) for _ in range(r.randint(1, 4))]
        if len(shape) > 1 and r.random() < 0.3:
            return shape, {"padding": r.randint(0, 3), "value": r.choice([0.0, -1.5])}
        pairs = [[r.randint(0, 3), r.randint(0, 3)] for _ in shape]
        return shape, {"padding": pairs, "value": r.choice([0.0, 2.0])}
    raise ValueError(kind)


def _recurrent(kind: str, features: int, args: dict[str, Any]) -> nn.Module:
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    extra = {"nonlinearity": args["nonlinearity"]} if kind == "rnn" else {}
    return cls(
        features,
        args["units"],
        num_layers=args["layers"],
        bias=bool(args["bias"]),
        batch_first=True,
        bidirectional=args["bidirectional"],
        **extra,
    )


def torch_layer(kind: str, shape: list[int], args: dict[str, Any]) -> tuple[nn.Module, Any, int]:
    """(module holding the tensors, forward function, PyTorch's parameter count as netcalc counts)."""
    if kind == "embedding":
        m = nn.Embedding(args["vocab"], args["dim"])
        return m, m, sum(p.numel() for p in m.parameters())
    if kind == "pos_embedding":
        holder = nn.Module()
        holder.embedding = nn.Parameter(torch.zeros(args.get("length", shape[0]), shape[1]))
        return holder, lambda x: x + holder.embedding[: x.shape[1]], holder.embedding.numel()
    if kind in ("rnn", "lstm", "gru"):
        m = _recurrent(kind, shape[1], args)
        count = sum(p.numel() for p in m.parameters())
        if args["bias"] == "single":  # Keras: the recurrent biases are not there
            count -= sum(p.numel() for n, p in m.named_parameters() if n.startswith("bias_hh"))
        dirs = 2 if args["bidirectional"] else 1

        def run(x: torch.Tensor) -> torch.Tensor:
            y, state = m(x)
            if args["return_sequences"]:
                return y
            h = state[0] if kind == "lstm" else state
            return h[-dirs:].transpose(0, 1).flatten(1)

        return m, run, count
    if kind == "rmsnorm":
        m = nn.RMSNorm(shape[-1], eps=args["eps"], elementwise_affine=args["affine"])
        return m, m, sum(p.numel() for p in m.parameters())
    if kind == "groupnorm":
        m = nn.GroupNorm(args["groups"], shape[0], eps=args["eps"], affine=args["affine"])
        return m, m, sum(p.numel() for p in m.parameters())
    if kind == "instancenorm":
        cls = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}[len(shape) - 1]
        m = cls(shape[0], eps=args["eps"], affine=args["affine"])
        return m, m, sum(p.numel() for p in m.parameters())
    if kind == "log_softmax":
        axis = args["axis"]
        m = nn.LogSoftmax(dim=axis + 1 if axis >= 0 else axis)
        return m, m, 0
    if kind == "pad":
        padding = args["padding"]
        pairs = [[0, 0]] + [[padding, padding]] * (len(shape) - 1) if isinstance(padding, int) else padding
        flat = tuple(p for pair in reversed(pairs) for p in pair)  # F.pad: the last axis first
        return nn.Module(), lambda x: F.pad(x, flat, value=args["value"]), 0
    raise ValueError(kind)


def compare(kind: str, shape: list[int], args: dict[str, Any], seed: int) -> list[str]:
    """What differs between netcalc and PyTorch for one configuration (empty: all equal)."""
    network = netcalc.load({"name": kind, "input": shape, "layers": [{kind: args}]})
    row = netcalc.analyze(network).rows[0]
    result = backend.run(network, seed=seed, batch=3, dtype="float64")
    module, forward, count = torch_layer(kind, shape, args)
    module = module.double()
    state = {name: torch.from_numpy(a) for name, a in result.weights[row.name].items()}
    own = dict(module.named_parameters())
    problems = []
    if set(state) - set(own) or (set(own) - set(state) and args.get("bias") != "single"):
        problems.append(f"tensors: netcalc {sorted(state)}, PyTorch {sorted(own)}")
    with torch.no_grad():
        for name, p in own.items():
            p.copy_(state[name] if name in state else torch.zeros_like(p))  # Keras: bias_hh = 0
    x = backend.random_input(network, 3, seed=seed, dtype="float64")
    with torch.no_grad():
        y = forward(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    expected = backend.run(network, x=x, weights=result.flat_weights(), dtype="float64").output
    if tuple(y.shape[1:]) != row.output_shape:
        problems.append(f"shape: netcalc {list(row.output_shape)}, PyTorch {list(y.shape[1:])}")
    if count != row.counts.params:
        problems.append(f"params: netcalc {row.counts.params:,}, PyTorch {count:,}")
    if y.shape != expected.shape or not np.allclose(y, expected, rtol=1e-9, atol=1e-12):
        error = float(np.abs(y - expected).max()) if y.shape == expected.shape else float("nan")
        problems.append(f"outputs differ by up to {error:.3g}")
    return problems


KINDS = (
    "embedding",
    "pos_embedding",
    "rnn",
    "lstm",
    "gru",
    "rmsnorm",
    "groupnorm",
    "instancenorm",
    "log_softmax",
    "pad",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=120, help="configurations per layer type")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    r = random.Random(options.seed)
    tried, equal, failures = Counter(), Counter(), []
    for kind in KINDS:
        for i in range(options.per_kind):
            shape, args = _config(kind, r)
            problems = compare(kind, shape, args, seed=i)
            tried[kind] += 1
            if problems:
                failures.append(f"{kind} {shape} {args}: {'; '.join(problems)}")
            else:
                equal[kind] += 1
    for kind in KINDS:
        print(f"{kind:14} {tried[kind]:5} configurations, {equal[kind]:5} equal")
    print(f"{'total':14} {sum(tried.values()):5} configurations, {sum(equal.values()):5} equal")
    for line in failures[:20]:
        print("DIFFERS:", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
