"""The transformer's building blocks: class token, position embedding, attention."""

from math import prod
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from netcalc.errors import ShapeError
from netcalc.layers.base import Layer, PositiveInt, Saved, Shape, arg, keep_input
from netcalc.layers.fields import IDENTITY, Reads, offset, same
from netcalc.layers.formula import Explained, num, plus, same_shape, times

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
        # token i + 1 is input token i; token 0 reads position -1, outside the input: like padding
        return (Reads(((0, offset(-1)), (1, IDENTITY))),)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        n, d = inputs[0]
        return Explained((plus(n, 1), num(d)), {"token": num(d)}, note="one token more")


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

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        n, d = inputs[0]
        rows = self.length or n  # the table's rows: length, by default the sequence length
        return Explained(same_shape(output).shape, {"embedding": times(rows, d)}, note="as its input")


Projection = Literal["q", "k", "v", "out"]
PROJECTIONS: tuple[Projection, ...] = ("q", "k", "v", "out")


class Attention(Layer):
    """Multi-head attention on tokens (..., N, D): self-attention, or cross-attention to a memory.

    PyTorch MultiheadAttention (q = k = v = x) by default. With `from: [queries, memory]` keys and
    values come from the memory (..., M, Dm); leading axes attend independently (windows). With
    h = heads, g = kv_heads (default h), d = head_dim (default D / h):
    params = D*h*d (q) + 2 * Dm*g*d (k, v) + h*d*D (out) + biases h*d, g*d, g*d, D
             + ENTRIES * h (relative_bias);
    MACs per leading index = N*D*h*d + 2 * M*Dm*g*d + 2 * N*M*h*d (q . k, weights . v) + N*h*d*D.
    `causal` masks q . k above the diagonal: its products still count (PyTorch computes them, then
    adds -inf); the relative bias is a gather and an add, no MACs.
    Tensor names: PyTorch's in_proj_weight, in_proj_bias, out_proj.* when nn.MultiheadAttention holds
    the configuration (q_proj_weight, k_proj_weight, v_proj_weight when Dm != D); otherwise one
    projection each: q_proj.weight, k_proj.weight, v_proj.weight, out_proj.weight and their .bias.

    saved (PyTorch's nn.MultiheadAttention, batch first), per leading index: the input in (N, batch,
    D) order (a copy; at batch 1 the input itself), N * D, and, when the module is not
    nn.MultiheadAttention as is (a memory, leading axes, a causal mask, a relative bias), the
    memory's copy M * Dm (two in form 'kdim'); q and the heads' output read by out_proj, N * h*d
    each; k and v, M * g*d each; then without dropout or relative bias the fused kernel's
    log-sum-exp, heads * N (float32), and its causal mask, heads * N * M; else the math path's
    softmax weights, heads * N * M (with dropout also its mask and the dropped weights); with a
    relative bias its int64 index, N * M. With one projection
    each (form 'separate': grouped heads, narrow heads, biases per projection; `netcalc torch`
    writes the math out): the input itself and the memory, q, k and v repeated to every query head
    (N * h*d, M * h*d twice), the softmax weights heads * N * M (and with dropout its mask and the
    dropped weights), the heads' output copy N * h*d, and the relative bias's int64 index N * M.
    KV cache (inference, per token): k and v, 2 * g*d.
    """

    kind = "attention"
    arity = (1, 2)
    weighted = True
    heads: PositiveInt = arg(
        ..., "heads", "num_heads", "num_attention_heads", doc="number of attention (query) heads"
    )
    dropout: float = Field(0.0, ge=0.0, le=1.0, description="dropout on the attention weights in training")
    bias: bool | tuple[Projection, ...] = arg(
        True, "bias", "use_bias", doc="biases in the projections: true, false, or a list of q, k, v, out"
    )
    causal: bool = arg(False, "causal", "is_causal", doc="mask each query from later tokens (decoders)")
    kv_heads: PositiveInt | None = arg(
        None,
        "kv_heads",
        "num_key_value_heads",
        "num_kv_heads",
        doc="key/value heads, dividing heads (grouped-query; 1: multi-query); default heads",
    )
    head_dim: PositiveInt | None = arg(None, doc="width of one head; default D / heads")
    relative_bias: PositiveInt | None = arg(
        None, doc="entries of a learned relative position bias table (ENTRIES x heads) added to q . k"
    )

    @field_validator("bias", mode="before")
    @classmethod
    def _check_bias(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            unknown = [p for p in value if p not in PROJECTIONS]
            if unknown:
                raise ValueError(f"{unknown} names no projection: list some of q, k, v, out")
        return value

    @model_validator(mode="after")
    def _check_heads(self) -> Self:
        if self.kv_heads is not None and self.heads % self.kv_heads:
            divisors = [g for g in range(1, self.heads + 1) if self.heads % g == 0][:12]
            raise ValueError(
                f"kv_heads={self.kv_heads} does not divide heads={self.heads}: each key/value head "
                f"serves heads / kv_heads query heads — use one of {divisors}"
            )
        if isinstance(self.bias, tuple) and len(set(self.bias)) != len(self.bias):
            raise ValueError(
                f"bias lists a projection twice: {list(self.bias)} — name each of q, k, v, out once"
            )
        return self

    def biased(self, projection: Projection) -> bool:
        """Whether this projection (q, k, v or out) has a bias."""
        return self.bias if isinstance(self.bias, bool) else projection in self.bias

    def form(self, inputs: tuple[Shape, ...]) -> str:
        """How the weights are held: 'packed' (in_proj_weight), 'kdim' (q/k/v_proj_weight) or 'separate'."""
        d, dm = inputs[0][-1], inputs[-1][-1]
        grouped = self.kv_heads not in (None, self.heads)
        narrow = self.head_dim is not None and self.head_dim * self.heads != d
        if grouped or narrow or not isinstance(self.bias, bool):
            return "separate"
        return "packed" if dm == d else "kdim"

    def classic(self, inputs: tuple[Shape, ...]) -> bool:
        """Exactly nn.MultiheadAttention(q = k = v = x) on (N, D): no memory, window, mask or table."""
        plain = not self.causal and self.relative_bias is None
        return plain and len(inputs) == 1 and len(inputs[0]) == 2 and self.form(inputs) == "packed"

    def widths(self, inputs: tuple[Shape, ...]) -> tuple[int, int]:
        """(h * d, g * d): the widths of the queries and of the keys (and values) over all heads."""
        head_dim = self.head_dim or inputs[0][-1] // self.heads
        return self.heads * head_dim, (self.kv_heads or self.heads) * head_dim

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        queries, memory = inputs[0], inputs[-1]
        for what, shape in (("queries", queries), ("memory", memory))[: len(inputs)]:
            if len(shape) < 2:
                raise ShapeError(
                    f"attention needs {what} of tokens (..., N, D), at least 2 axes, but got {list(shape)} "
                    "— one token is [1, D] (reshape: {shape: [1, -1]})"
                )
        if memory[:-2] != queries[:-2]:
            raise ShapeError(
                f"cross-attention needs the memory's leading axes equal to the queries' but the queries "
                f"are {list(queries)} and the memory {list(memory)} — give both the same leading axes"
            )
        d = queries[-1]
        if self.head_dim is None and d % self.heads:
            raise ShapeError(
                f"embedding size D={d} is not divisible by heads={self.heads} — change heads or give head_dim"
            )
        return queries

    def params(self, inputs: tuple[Shape, ...]) -> dict[str, int]:
        d, dm = inputs[0][-1], inputs[-1][-1]
        inner, kv_inner = self.widths(inputs)
        form = self.form(inputs)
        if form == "packed":
            counts = {"in_proj_weight": 3 * d * d, "in_proj_bias": 3 * d}
        elif form == "kdim":
            counts = {
                "q_proj_weight": d * d,
                "k_proj_weight": d * dm,
                "v_proj_weight": d * dm,
                "in_proj_bias": 3 * d,
            }
        else:
            counts = {
                "q_proj.weight": inner * d,
                "q_proj.bias": inner,
                "k_proj.weight": kv_inner * dm,
                "k_proj.bias": kv_inner,
                "v_proj.weight": kv_inner * dm,
                "v_proj.bias": kv_inner,
            }
        counts |= {"out_proj.weight": d * inner, "out_proj.bias": d}
        if self.relative_bias is not None:
            counts["relative_bias_table"] = self.relative_bias * self.heads
        unbiased = [p for p in PROJECTIONS if not self.biased(p)]
        drop = {f"{p}_proj.bias" for p in unbiased} | ({"in_proj_bias"} if unbiased else set())
        return {name: n for name, n in counts.items() if name not in drop}

    def macs(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        (*lead, n, d), (m, dm) = inputs[0], inputs[-1][-2:]
        inner, kv_inner = self.widths(inputs)
        per_index = n * d * inner + 2 * m * dm * kv_inner + 2 * n * m * inner + n * inner * d
        return prod(lead) * per_index

    def saved(self, inputs: tuple[Shape, ...], output: Shape, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
        (*lead, n, d), (m, dm) = inputs[0], inputs[-1][-2:]
        inner, kv_inner = self.widths(inputs)
        windows = prod(lead)
        if self.form(inputs) == "separate":
            return self._saved_math(inputs, windows, n, m, inner)
        kept = [Saved("input copy", windows * n * d)]
        if len(inputs) > 1 or len(inputs[0]) > 2 or self.causal or self.relative_bias:
            # queries and keys reach nn.MultiheadAttention as two tensors: each projection copies
            # its own input (k and v one each when their weights are apart, form 'kdim')
            copies = ("memory copy", "memory copy for v") if self.form(inputs) == "kdim" else ("memory copy",)
            kept += [Saved(name, windows * m * dm) for name in copies]
        kept += [Saved("q", windows * n * inner), Saved("k", windows * m * kv_inner)]
        kept += [Saved("v", windows * m * kv_inner), Saved("heads output", windows * n * inner)]
        scores = windows * self.heads * n * m
        if self.dropout == 0.0 and not self.relative_bias:  # the fused kernel (its mask, if any)
            kept.append(Saved("logsumexp", windows * self.heads * n, itemsize=STATISTIC))
            kept += [Saved("mask", scores)] if self.causal else []
        else:  # the math path: a mask that needs a gradient (the bias table's), or dropout
            kept.append(Saved("weights", scores))
            kept += [Saved(name, scores) for name in ("dropout mask", "dropped")] if self.dropout else []
        if self.relative_bias:
            kept.append(Saved("bias index", n * m, batched=False, itemsize=8))
        return tuple(kept)

    def _saved_math(
        self, inputs: tuple[Shape, ...], windows: int, n: int, m: int, inner: int
    ) -> tuple[Saved, ...]:
        """What the written-out attention keeps (GroupedAttention in `netcalc torch`)."""
        kept = [keep_input(inputs, i) for i in range(len(inputs))]  # the projections' inputs
        kept += [Saved("q", windows * n * inner), Saved("k repeated", windows * m * inner)]
        kept += [Saved("v repeated", windows * m * inner), Saved("weights", windows * self.heads * n * m)]
        if self.dropout != 0.0:
            kept += [Saved(name, windows * self.heads * n * m) for name in ("dropout mask", "dropped")]
        kept.append(Saved("heads output", windows * n * inner))
        if self.relative_bias:
            kept.append(Saved("bias index", n * m, batched=False, itemsize=8))
        return tuple(kept)

    def explain(self, inputs: tuple[Shape, ...], output: Shape) -> Explained | None:
        (*lead, n, d), (m, dm) = inputs[0], inputs[-1][-2:]
        head_dim = self.head_dim or d // self.heads
        inner, kv_inner = times(self.heads, head_dim), times(self.kv_heads or self.heads, head_dim)
        formulas = {
            "in_proj_weight": times(3, d, d),
            "in_proj_bias": times(3, d),
            "q_proj_weight": times(d, d),
            "k_proj_weight": times(d, dm),
            "v_proj_weight": times(d, dm),
            "q_proj.weight": times(inner, d),
            "q_proj.bias": inner,
            "k_proj.weight": times(kv_inner, dm),
            "k_proj.bias": kv_inner,
            "v_proj.weight": times(kv_inner, dm),
            "v_proj.bias": kv_inner,
            "out_proj.weight": times(d, inner),
            "out_proj.bias": num(d),
            "relative_bias_table": times(self.relative_bias or 0, self.heads),
        }
        tensors = {name: formulas[name] for name in self.params(inputs)}
        # per leading index: q, then k and v, then q . k and weights . v, then out
        each = plus(times(n, d, inner), times(2, m, dm, kv_inner), times(2, n, m, inner), times(n, inner, d))
        macs = times(*lead, each) if lead else each
        return Explained(tuple(num(x) for x in output), tensors, macs, "as its queries")

    def kv_cache(self, inputs: tuple[Shape, ...]) -> int:
        """Elements cached per token for generation: its key and its value, 2 * kv_heads * head_dim."""
        return 2 * self.widths(inputs)[1]
