"""The transformer's building blocks: class token, position embedding, self-attention."""

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg
from netcalc.layers.fields import IDENTITY, Reads, same

STATISTIC = 4  # bytes: the attention kernel's log-sum-exp is float32


def _tokens(kind: str, shape: Shape) -> tuple[int, int]:
    if len(shape) != 2:
        raise ShapeError(f"{kind} expects tokens (N, D) but got {list(shape)} — reshape and permute first")
    return shape


class ClassToken(Layer):
    """Prepends one learned token: (N, D) -> (N + 1, D). params: token = D.

    saved: nothing.
    """

    kind = "class_token"

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        n, d = _tokens(self.kind, inputs[0])
        return (n + 1, d)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"token": inputs[0][1]}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # token i + 1 is input token i, token 0 reads nothing: not one window, the tokens are spread
        return (Reads((None, (1, IDENTITY)), merged={0: (0,)}),)


class PosEmbedding(Layer):
    """Adds a learned position embedding to every token: (N, D). params: embedding = length * D.

    Row i of the table is added to token i. The table has `length` rows, by default N, the
    sequence length (BERT: 512 rows for sequences of 128); a longer sequence is an error.
    saved: nothing (a sum).
    """

    kind = "pos_embedding"
    length: PositiveInt | None = arg(
        None,
        "length",
        "sequence_length",
        "max_position_embeddings",
        doc="rows of the table (default: the sequence length N)",
    )

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        return ()

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        n, _d = _tokens(self.kind, inputs[0])
        if self.length is not None and n > self.length:
            raise ShapeError(
                f"the sequence has N={n} tokens but the position table has length={self.length} "
                f"rows — raise length to {n} or more, or shorten the sequence"
            )
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        n, d = inputs[0]
        return {"embedding": (self.length or n) * d}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (same(2),)


class Attention(Layer):
    """Multi-head self-attention on tokens (N, D) (PyTorch MultiheadAttention, q = k = v = x).

    params = 3 * D * D + 3 * D (in_proj) + D * D + D (out_proj), biases when `bias`;
    MACs = N * D * 3D (q, k, v) + N * N * D (q . k) + N * N * D (weights . v) + N * D * D (out).

    saved (PyTorch's nn.MultiheadAttention, batch first): the input in (N, batch, D) order (a
    copy; at batch 1 the input itself), q, k and v, and the heads' output read by out_proj, each
    N * D; without dropout the fused kernel's log-sum-exp, heads * N (float32); with dropout the
    math path's softmax weights, dropout mask and dropped weights, 3 * heads * N * N.
    KV cache (inference, per token): k and v, 2 * D.
    """

    kind = "attention"
    weighted = True
    heads: PositiveInt = arg(..., "heads", "num_heads", doc="number of attention heads")
    dropout: float = arg(0.0, doc="dropout on the attention weights in training")
    bias: bool = arg(True, "bias", "use_bias", doc="biases in the projections")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        _n, d = _tokens(self.kind, inputs[0])
        if d % self.heads:
            raise ShapeError(f"embedding size D={d} is not divisible by heads={self.heads}")
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        d = inputs[0][1]
        counts = {
            "in_proj_weight": 3 * d * d,
            "in_proj_bias": 3 * d,
            "out_proj.weight": d * d,
            "out_proj.bias": d,
        }
        if not self.bias:
            del counts["in_proj_bias"], counts["out_proj.bias"]
        return counts

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        n, d = inputs[0]
        return n * d * 3 * d + 2 * n * n * d + n * d * d

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        n, d = inputs[0]
        kept = [Saved(name, n * d) for name in ("input copy", "q", "k", "v", "heads output")]
        if self.dropout == 0.0:
            kept.append(Saved("logsumexp", self.heads * n, itemsize=STATISTIC))
        else:
            kept += [Saved(name, self.heads * n * n) for name in ("weights", "dropout mask", "dropped")]
        return tuple(kept)

    def kv_cache(self, inputs: tuple[Shape, ...]) -> int:
        """Elements cached per token for generation: its key and its value, 2 * D."""
        return 2 * inputs[0][1]
