"""A tiny, safe evaluator for block argument expressions such as `$width * 4` (never `eval`):
arithmetic, comparisons, `and`/`or`/`not`, `A if COND else B`, max(), min(), round() and an item
of a list argument (`$in[0]`), over numbers and true/false, every value bounded."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_NAME = re.compile(r"\$([A-Za-z_]\w*)")
_WHOLE = re.compile(r"\s*\$([A-Za-z_]\w*)\s*")
Number = int | float
_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE: dict[type[ast.cmpop], Callable[[Number, Number], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
# e.g. torchvision's make_divisible: max(8, ...); round() is Python's (a half goes to the even side)
_FUNCTIONS: dict[str, Callable[..., Number]] = {"max": max, "min": min, "round": round}
_SUPPORTED = (
    "only + - * / // % **, comparisons, and, or, not, A if COND else B, parentheses, max(), min(), "
    "round() and $list[i]"
)
# the node types an expression may hold (operators and contexts included); checked before evaluating
_ALLOWED = (
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Subscript,
    ast.UnaryOp,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.BinOp,
    *_BINARY,
    *_UNARY,
    ast.Not,
    *_COMPARE,
)
_PREFIX = "_arg_"  # `$in` becomes `_arg_in`: an argument may have a Python keyword's name
LIMIT = 10**15  # no spec needs larger numbers; keeps `$a ** $b` from eating the machine


class ArithError(ValueError):
    """An expression that is not small arithmetic over known arguments."""


def substitute(value: Any, args: dict[str, Any]) -> Any:
    """Replace `$name` and `$expr` strings inside value (recursively in lists and dicts)."""
    if isinstance(value, dict):
        return {k: v if _plain(v) else substitute(v, args) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if _plain(v) else substitute(v, args) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _WHOLE.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), args)
    return evaluate(value, args)


def references(text: str) -> list[str]:
    """The argument names a text uses: '$a * $b' -> ['a', 'b']."""
    return _NAME.findall(text)


def fixed(values: dict[str, Any]) -> bool:
    """Whether a mapping's values have nothing to substitute (substitute would give an equal copy)."""
    return all(map(_fixed_value, values.values()))


def _fixed_value(value: Any) -> bool:
    """A plain value, or a list of them (`from: [-1, c0]`)."""
    return _plain(value) or isinstance(value, list) and all(map(_plain, value))


def _plain(value: Any) -> bool:
    """A value with nothing to substitute (most of a spec's): a number, a bool, None, text without $."""
    kind = type(value)
    return kind in _NUMBERS or (kind is str and "$" not in value)


_NUMBERS = frozenset([int, float, bool, type(None)])


def _lookup(name: str, args: dict[str, Any]) -> Any:
    if name not in args:
        known = ", ".join(f"${a}" for a in args) or "none here"
        raise ArithError(f"unknown argument ${name} (known: {known})")
    return args[name]


def evaluate(text: str, args: dict[str, Any]) -> Number:
    """Evaluate arithmetic with + - * / // % ** and parentheses over $arguments and numbers."""
    result = _eval(_parsed(text), args, text)
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return result


@lru_cache(maxsize=4096)  # a sweep evaluates the same few expressions at every point
def _parsed(text: str) -> ast.expr:
    """The expression's tree (never changed by _eval), the `$` of its names dropped."""
    try:
        tree = ast.parse(_NAME.sub(_PREFIX + r"\1", text.strip()), mode="eval").body
    except SyntaxError:
        raise ArithError(f"'{text}' is not arithmetic over $arguments") from None
    for node in ast.walk(tree):  # every branch, also those a condition will not take
        allowed = isinstance(node, _ALLOWED) and not (
            isinstance(node, ast.Call)
            and (not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS)
        )
        if not allowed or (isinstance(node, ast.Constant) and type(node.value) not in (int, float, bool)):
            raise ArithError(f"'{text}' is not arithmetic over $arguments ({_SUPPORTED})")
    return tree


def _eval(node: ast.AST, args: dict[str, Any], text: str) -> Number:
    value: Number
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        value = node.value  # type: ignore[assignment]  # the type was just checked
    elif isinstance(node, ast.Name):
        value = _number(node.id.removeprefix(_PREFIX), _lookup(node.id.removeprefix(_PREFIX), args), text)
    elif isinstance(node, ast.Subscript):
        value = _item(node, args, text)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = _UNARY[type(node.op)](_eval(node.operand, args, text))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value = not _eval(node.operand, args, text)
    elif isinstance(node, ast.BoolOp):  # and / or, short-circuit as Python's
        value = _eval(node.values[0], args, text)
        for item in node.values[1:]:
            if bool(value) == isinstance(node.op, ast.Or):
                break
            value = _eval(item, args, text)
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left, value = _eval(node.left, args, text), True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, args, text)
            if not _COMPARE[type(op)](left, right):
                value = False
                break
            left = right
    elif isinstance(node, ast.IfExp):  # A if COND else B: only the branch taken is evaluated
        value = _eval(node.body if _eval(node.test, args, text) else node.orelse, args, text)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and node.args
        and not node.keywords
        and (node.func.id != "round" or len(node.args) <= 2)
    ):
        given = [_eval(a, args, text) for a in node.args]
        if node.func.id != "round" and len(given) < 2:
            raise ArithError(
                f"'{text}': {node.func.id}() takes two or more numbers, like {node.func.id}(8, $c // 2)"
            )
        if node.func.id == "round" and (
            len(given) == 2 and (type(given[1]) is not int or abs(given[1]) > 15)
        ):
            raise ArithError(f"'{text}': round(x, n) takes a whole number of digits n from -15 to 15")
        value = _FUNCTIONS[node.func.id](*given)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, args, text), _eval(node.right, args, text)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > LIMIT):
            raise ArithError(f"'{text}' raises to too large a power")
        try:
            value = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ArithError(f"'{text}' divides by zero") from None
    else:
        raise ArithError(f"'{text}' is not arithmetic over $arguments ({_SUPPORTED})")
    if isinstance(value, complex) or abs(value) > LIMIT:
        raise ArithError(f"'{text}' gives a number out of range")
    return value


def _number(name: str, value: Any, text: str) -> Number:
    if type(value) not in (int, float, bool) or value != value:  # NaN is the one value unequal to itself
        raise ArithError(f"${name} is {value!r}, not a number, in '{text}'")
    return value  # type: ignore[no-any-return]


def _item(node: ast.Subscript, args: dict[str, Any], text: str) -> Number:
    """`$in[0]`: one item of a list argument (a shape), by a whole-number index (negative from
    the end)."""
    if not isinstance(node.value, ast.Name) or isinstance(node.slice, ast.Slice):
        raise ArithError(f"'{text}': only a $argument takes an index, like $in[0]")
    name = node.value.id.removeprefix(_PREFIX)
    items = _lookup(name, args)
    index = _eval(node.slice, args, text)
    if not isinstance(items, list | tuple):
        raise ArithError(f"'{text}': ${name} is {items!r}, not a list, so it takes no index")
    if type(index) is not int or not -len(items) <= index < len(items):
        raise ArithError(f"'{text}': index {index!r} is outside ${name}, which has {len(items)} items")
    return _number(f"{name}[{index}]", items[index], text)
