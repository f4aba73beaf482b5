"""A layer's figures as formulas with its own numbers filled in, for `netcalc explain`.

An Expr holds the same formula twice: `plain`, arithmetic that netcalc's safe evaluator
(netcalc.spec.arith) computes (a test checks it gives the reported figure), and `pretty`, how people
read it: `64 × (1 × 3 × 3) + 64`, `⌊(256 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ATOM, PRODUCT, SUM = 3, 2, 1  # binding strength: an operand weaker than its operator gets parentheses


@dataclass(frozen=True, slots=True)
class Expr:
    """One formula, as evaluable arithmetic and as text for people."""

    plain: str
    pretty: str
    level: int = ATOM


def num(n: int | float) -> Expr:
    """A number."""
    if n < 0:
        return Expr(f"({n})", f"(−{-n:,})")
    return Expr(str(n), f"{n:,}")


def _wrap(e: Expr, level: int) -> Expr:
    return Expr(f"({e.plain})", f"({e.pretty})") if e.level < level else e


def _items(xs: tuple[Expr | int, ...]) -> list[Expr]:
    return [x if isinstance(x, Expr) else num(x) for x in xs]


def times(*xs: Expr | int, dot: bool = False) -> Expr:
    """a × b × c (a·b with dot)."""
    items = [_wrap(x, PRODUCT) for x in _items(xs)]
    if len(items) == 1:
        return items[0]
    sign = "·" if dot else " × "
    return Expr(" * ".join(x.plain for x in items), sign.join(x.pretty for x in items), PRODUCT)


def grouped(e: Expr) -> Expr:
    """(e): a product kept together, as in filters × (C × kh × kw)."""
    return Expr(f"({e.plain})", f"({e.pretty})") if e.level < ATOM else e


def plus(*xs: Expr | int) -> Expr:
    """a + b + c."""
    items = _items(xs)
    if len(items) == 1:
        return items[0]
    return Expr(" + ".join(x.plain for x in items), " + ".join(x.pretty for x in items), SUM)


def minus(a: Expr | int, *bs: Expr | int) -> Expr:
    """a − b − c."""
    first, *rest = _items((a, *bs))
    rest = [_wrap(b, PRODUCT) for b in rest]
    return Expr(
        " - ".join([first.plain, *(b.plain for b in rest)]),
        " − ".join([first.pretty, *(b.pretty for b in rest)]),
        SUM,
    )


def over(a: Expr | int, b: Expr | int) -> Expr:
    """a / b, a whole division (channels per group)."""
    x, y = _wrap(_items((a,))[0], PRODUCT), _wrap(_items((b,))[0], ATOM)
    return Expr(f"({x.plain} // {y.plain})", f"{x.pretty} / {y.pretty}", PRODUCT)


def floor_of(a: Expr | int, b: Expr | int) -> Expr:
    """⌊a / b⌋."""
    x, y = _wrap(_items((a,))[0], PRODUCT), _wrap(_items((b,))[0], ATOM)
    return Expr(f"({x.plain} // {y.plain})", f"⌊{x.pretty} / {y.pretty}⌋")


def ceil_of(a: Expr | int, b: Expr | int) -> Expr:
    """⌈a / b⌉."""
    x, y = _wrap(_items((a,))[0], ATOM), _wrap(_items((b,))[0], ATOM)
    return Expr(f"(-(-{x.plain} // {y.plain}))", f"⌈{_wrap(x, PRODUCT).pretty} / {y.pretty}⌉")


def floor_times(a: Expr | int, scale: float) -> Expr:
    """⌊a × scale⌋ for a float scale."""
    x = _wrap(_items((a,))[0], PRODUCT)
    return Expr(f"({x.plain} * {scale!r} // 1)", f"⌊{x.pretty} × {scale!r}⌋")


def biggest(*xs: Expr | int) -> Expr:
    """max(a, b): a broadcast axis."""
    items = _items(xs)
    if len(items) == 1:
        return items[0]
    return Expr(f"max({', '.join(x.plain for x in items)})", f"max({', '.join(x.pretty for x in items)})")


@dataclass(frozen=True, slots=True)
class Explained:
    """What a layer rule says of its own figures, as formulas: the output size of each axis, the
    elements of each named tensor (trainable and state), and the MACs."""

    shape: tuple[Expr, ...]
    tensors: dict[str, Expr] = field(default_factory=dict)
    macs: Expr = field(default_factory=lambda: num(0))
    note: str = ""  # how the shape comes about when it is not a formula ("as its input")
    neurons: Expr | None = None  # when they are not the output elements (recurrent gates per step)


def same_shape(shape: tuple[int, ...], note: str = "as its input") -> Explained:
    """An element-wise layer: the output is the input's shape; no tensors, no MACs."""
    return Explained(tuple(num(n) for n in shape), note=note)


def elements(shape: tuple[int, ...]) -> Expr:
    """The product of a shape's sizes."""
    return times(*shape) if shape else num(1)
