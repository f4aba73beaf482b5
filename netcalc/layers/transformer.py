"""The transformer's building blocks: class token, position embedding, self-attention."""

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Shape, arg
from netcalc.layers.fields import IDENTITY, Reads, same


def _tokens(kind: str, shape: Shape) -> tuple[int, int]:
    if len(shape) != 2:
        raise ShapeError(f"{kind} expects tokens (N, D) but got {list(shape)} — reshape and permute first")
    return shape


class ClassToken(Layer):
    """Prepends one learned token: (N, D) -> (N + 1, D). params: token = D."""

    kind = "class_token"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        n, d = _tokens(self.kind, inputs[0])
        return (n + 1, d)

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        return {"token": inputs[0][1]}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        # token i + 1 is input token i, token 0 reads nothing: not one window, the tokens are spread
        return (Reads((None, (1, IDENTITY)), merged={0: (0,)}),)


class PosEmbedding(Layer):
    """Adds a learned position embedding to every token: (N, D). params: embedding = N * D."""

    kind = "pos_embedding"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        _tokens(self.kind, inputs[0])
        return inputs[0]

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        n, d = inputs[0]
        return {"embedding": n * d}

    def reads(self, inputs: tuple[Shape, ...], output: Shape) -> tuple[Reads, ...]:
        return (same(2),)


class Attention(Layer):
    """Multi-head self-attention on tokens (N, D) (PyTorch MultiheadAttention, q = k = v = x).

    params = 3 * D * D + 3 * D (in_proj) + D * D + D (out_proj), biases when `bias`;
    MACs = N * D * 3D (q, k, v) + N * N * D (q . k) + N * N * D (weights . v) + N * D * D (out).
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
