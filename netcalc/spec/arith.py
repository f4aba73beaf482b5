"""A tiny, safe evaluator for block argument expressions such as `$width * 4` (never `eval`)."""

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
# e.g. torchvision's make_divisible: max(8, ...)
_FUNCTIONS: dict[str, Callable[..., Number]] = {"max": max, "min": min}
LIMIT = 10**15  # no spec needs larger numbers; keeps `$a ** $b` from eating the machine


class ArithError(ValueError):
    """An expression that is not small arithmetic over known arguments."""


def substitute(value: Any, args: dict[str, Any]) -> Any:
    """Replace `$name` and `$expr` strings inside value (recursively in lists and dicts)."""
    if isinstance(value, dict):
        return {k: substitute(v, args) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(v, args) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _WHOLE.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), args)
    return evaluate(value, args)


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
        return ast.parse(_NAME.sub(r"\1", text.strip()), mode="eval").body
    except SyntaxError:
        raise ArithError(f"'{text}' is not arithmetic over $arguments") from None


def _eval(node: ast.AST, args: dict[str, Any], text: str) -> Number:
    value: Number
    if isinstance(node, ast.Constant) and (type(node.value) is int or type(node.value) is float):
        value = node.value
    elif isinstance(node, ast.Name):
        value = _lookup(node.id, args)
        if type(value) not in (int, float):
            raise ArithError(f"${node.id} is {value!r}, not a number, in '{text}'")
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = _UNARY[type(node.op)](_eval(node.operand, args, text))
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and node.args
        and not node.keywords
    ):
        value = _FUNCTIONS[node.func.id](*(_eval(a, args, text) for a in node.args))
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, args, text), _eval(node.right, args, text)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > LIMIT):
            raise ArithError(f"'{text}' raises to too large a power")
        try:
            value = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ArithError(f"'{text}' divides by zero") from None
    else:
        raise ArithError(
            f"'{text}' is not arithmetic over $arguments (only + - * / // % **, parentheses, max() and min())"
        )
    if isinstance(value, complex) or abs(value) > LIMIT:
        raise ArithError(f"'{text}' gives a number out of range")
    return value
