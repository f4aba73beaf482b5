"""Dev-only: every form of PyTorch's recurrent modules, exported to ONNX and imported, counts as PyTorch does.

nn.LSTM, nn.GRU and nn.RNN (8 features, hidden 6) x batch_first True/False x num_layers 1/2 x
bidirectional or not x bias or not x what the model reads (h_n[-1], the sequence through a Linear
head, or the sequence as the output, its last step y[:, -1] / y[-1]) x constant folding on/off:
torch.onnx.export (opset 17, the batch axis symbolic), then netcalc's import. Expected: PyTorch's
parameter count and torch.utils.flop_counter's MACs (FLOPs / 2, oneDNN off: its fused LSTM kernel
hides the products from the counter). Prints every form that differs, then the tally.

    python tools/compare_torch_recurrent_onnx.py   # in the dev env (torch, onnx)
"""

from __future__ import annotations

import contextlib
import io
import itertools
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import netcalc  # noqa: E402  (this checkout's)
from netcalc.report import analyze  # noqa: E402

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class Reader(nn.Module):
    """A recurrent module and what the model reads of it."""

    def __init__(self, cell: type[nn.Module], first: bool, layers: int, both: bool, bias: bool, read: str):
        super().__init__()
        self.rnn = cell(8, 6, num_layers=layers, batch_first=first, bidirectional=both, bias=bias)
        self.first, self.read = first, read
        self.head = nn.Linear(6 if read == "h" else 6 * (2 if both else 1), 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, h = self.rnn(x)
        h = h[0] if isinstance(h, tuple) else h  # LSTM: (h_n, c_n)
        if self.read == "h":
            return self.head(h[-1])
        if self.read == "last":
            return self.head(y[:, -1] if self.first else y[-1])
        return self.head(y) if self.first else y  # a sequence-first sequence is the output

    def counted(self) -> int:
        """Parameters the forward pass uses (the head is unused when it returns y sequence-first)."""
        unused = self.read == "y" and not self.first
        return sum(p.numel() for n, p in self.named_parameters() if not (unused and n.startswith("head")))


def main() -> int:
    warnings.filterwarnings("ignore")
    forms = itertools.product(
        CELLS, (True, False), (1, 2), (False, True), (True, False), ("h", "y", "last"), (0, 1)
    )
    total = bad = 0
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "m.onnx"
        for name, first, layers, both, bias, read, fold in forms:
            module = Reader(CELLS[name], first, layers, both, bias, read).eval()
            x = torch.zeros(1, 5, 8) if first else torch.zeros(5, 1, 8)
            with contextlib.redirect_stderr(io.StringIO()):
                torch.onnx.export(
                    module, (x,), str(path), dynamo=False, do_constant_folding=bool(fold),
                    input_names=["input"], dynamic_axes={"input": {0 if first else 1: "N"}}, opset_version=17,
                )  # fmt: skip
            counter = FlopCounterMode(display=False)
            with counter, torch.backends.mkldnn.flags(enabled=False):
                module(x)
            expected = (module.counted(), counter.get_total_flops() // 2)
            try:
                totals = analyze(netcalc.load(str(path))).totals
                got: object = (totals.params, totals.macs)
            except netcalc.NetcalcError as error:
                got = str(error)
            total += 1
            if got != expected:
                bad += 1
                print(f"{name} batch_first={first} layers={layers} bidirectional={both} bias={bias} "
                      f"read={read} folded={fold}: netcalc {got}, PyTorch {expected}")  # fmt: skip
    print(f"{total} exports: {total - bad} count as PyTorch does, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
