"""Dev-only: the bytes PyTorch autograd saves for the backward pass, for netcalc's own models.

Each spec is built in PyTorch by `netcalc.to_torch` (the module `netcalc torch` writes), put in
training mode and run forward once on a random float32 batch inside
`torch.autograd.graph.saved_tensors_hooks`. Every tensor the hook packs is counted once: tensors
are deduplicated by (storage data_ptr, storage offset, bytes), and those living in a parameter's
storage are left out (they are the weights, counted apart). Buffers (batch norm's running
statistics) are saved tensors too, so they count, as autograd keeps a reference to them.
PyTorch refuses to train a batch norm over one value per channel (Inception-v3's auxiliary branch
at batch 1 sees a 1x1 map); that check is Python's only (F._verify_batch_size), so it is switched
off here: the tensors saved do not depend on it.
tests/test_training_memory.py freezes the figures this prints; netcalc's estimate is checked
against them there.

    python tools/saved_tensors.py                      # the table for every zoo CNN, batch 1 and 4
    python tools/saved_tensors.py zoo:resnet18 --batch 1 --layers   # per module, with netcalc's
    python tools/saved_tensors.py zoo:resnet18 --batch 2 --checkpoint  # blocks checkpointed

With --checkpoint, each top-level block (each instance of a repeated one) runs inside
torch.utils.checkpoint(use_reentrant=False): the figure is what the forward pass keeps outside
the checkpoints, buffers left out: netcalc's `activations - recompute` with checkpoint="blocks".
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

import netcalc
from netcalc import engine
from netcalc.analysis.training import training_memory

F._verify_batch_size = lambda size: None  # see above: a check of values, not of what is saved

CNNS = (
    "alexnet",
    "convnext_tiny",
    "efficientnet_b0",
    "inception_v3",
    "lenet5",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "resnet18",
    "resnet50",
    "shufflenet_v2_x1_0",
    "unet",
    "vgg16",
)


class Checkpointed(nn.Module):
    """A block run under torch.utils.checkpoint: its activations are recomputed in the backward pass."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, *xs: torch.Tensor) -> Any:
        return checkpoint(self.block, *xs, use_reentrant=False)


def checkpoint_blocks(module: nn.Module, network: Any) -> None:
    """Wrap each top-level block of the module (each instance of a repeat) in Checkpointed."""
    tops = {g.path for g in network.groups if g.parent is None}
    repeated = {g.path for g in network.groups if g.repeat is not None}
    for attr, child in list(module.named_children()):
        if attr in repeated and isinstance(child, nn.Sequential):
            for key, instance in list(child.named_children()):
                setattr(child, key, Checkpointed(instance))
        elif attr in tops:
            setattr(module, attr, Checkpointed(child))


def saved_bytes(
    source: str, batch: int, blocks: bool = False, args: dict[str, Any] | None = None
) -> tuple[int, dict[str, int]]:
    """Bytes of the unique non-parameter tensors saved in one training forward pass, and per module."""
    torch.manual_seed(0)
    network = netcalc.load(source, args=args)
    module = netcalc.to_torch(network).train()
    if blocks:
        checkpoint_blocks(module, network)
    params = {p.untyped_storage().data_ptr() for p in module.parameters()}
    if blocks:  # compared with netcalc's activations, which leave the running statistics out
        params |= {b.untyped_storage().data_ptr() for b in module.buffers()}
    seen: dict[tuple[int, int, int], str] = {}
    where: list[str] = ["(top)"]
    names = {m: n for n, m in module.named_modules()}

    def enter(m: nn.Module, args: Any) -> None:
        where.append(names[m])

    def leave(m: nn.Module, args: Any, out: Any) -> None:
        where.pop()

    for m in module.modules():
        m.register_forward_pre_hook(enter)
        m.register_forward_hook(leave)

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            key = (storage.data_ptr(), t.storage_offset(), t.numel() * t.element_size())
            seen.setdefault(key, where[-1])
        return t

    vocab = network.token_ids.get(-1)  # token ids for an embedding, else real numbers
    x = (
        torch.randn(batch, *network.input)
        if vocab is None
        else torch.randint(0, vocab, (batch, *network.input))
    )
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x)
    per: dict[str, int] = defaultdict(int)
    for (_, _, size), name in seen.items():
        per[name] += size
    return sum(size for _, _, size in seen), dict(per)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=[f"zoo:{n}" for n in CNNS])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--layers", action="store_true", help="per module: torch and netcalc bytes")
    parser.add_argument("--checkpoint", action="store_true", help="each top-level block checkpointed")
    parser.add_argument("--set", nargs="*", default=[], help="spec arguments NAME=VALUE")
    args = parser.parse_args()
    values = {k: int(v) if v.isdigit() else v for k, v in (item.split("=", 1) for item in args.set)}
    print(f"{'model':<22} {'batch':>5} {'torch bytes':>15} {'netcalc bytes':>15} {'ratio':>8}")
    for source in args.specs:
        for batch in args.batch:
            total, per = saved_bytes(source, batch, args.checkpoint, values)
            network = netcalc.load(source, args=values)
            if args.checkpoint:
                mode = training_memory(network, engine.rows(network), batch=batch, checkpoint="blocks")
                figure = mode.activations - mode.recompute
            else:
                figure = training_memory(network, engine.rows(network), batch=batch).saved
            name = source.removeprefix("zoo:")
            print(f"{name:<22} {batch:>5} {total:>15,} {figure:>15,} {figure / total:>8.4f}")
            if args.layers:
                ours = training_memory(network, engine.rows(network), batch=batch)
                mine = {row.name: row.saved for row in ours.layers}
                for key, size in per.items():
                    print(f"    {key:<40} {size:>12,} {mine.get(key, 0):>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
