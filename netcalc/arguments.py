"""Checks of the library's and the command line's arguments: one rule per kind of argument.

`load`, `analyze`, `run`, `verify` and `export` call these before any work, so a wrong argument is
a one-line UsageError (exit code 2 on the command line) and never a foreign exception. Plain ints
and NumPy integers are sizes; bools, floats and strings are not.
"""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction
from typing import Any

from netcalc.errors import UsageError

MAX_BATCH = 2**31 - 1
MAX_SEED = 2**63 - 1
MAX_BYTES = 2**60  # an exbibyte: any larger memory limit is a typo
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}
SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGTP]?)(?:I?B)?\s*", re.IGNORECASE)
COUNT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKMGT]?)\s*")
COUNT_UNITS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
DTYPES = ("float32", "float64")


def whole(name: str, value: object, low: int, high: int) -> int:
    """An int (a NumPy integer too) from `low` to `high`, or a UsageError naming the argument."""
    kind = "a positive whole number" if low == 1 else f"a whole number of {low} or more"
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise UsageError(f"{name} must be {kind}, at most {high:,} (got {_shown(value)})")
    number = operator.index(value)  # type: ignore[unused-ignore]  # has __index__: checked above
    if not low <= number <= high:
        raise UsageError(f"{name} must be {kind}, at most {high:,} (got {_shown(number)})")
    return number


def batch(value: object) -> int:
    """A batch size: 1 or more."""
    return whole("batch", value, 1, MAX_BATCH)


def seed(value: object) -> int:
    """A seed: 0 or more (NumPy's generators take non-negative seeds)."""
    return whole("seed", value, 0, MAX_SEED)


def dtype(value: object) -> str:
    """'float32' or 'float64'."""
    if not isinstance(value, str) or value not in DTYPES:
        raise UsageError(f"dtype must be one of {', '.join(DTYPES)} (got {_shown(value)})")
    return value


def parse_bytes(text: str, option: str = "--max-memory") -> int:
    """'2G', '512M', '1.5GiB' or a plain number of bytes: positive, finite, at most an exbibyte.
    K, M, G, T and P are powers of 1024, with or without B or iB (2G = 2GB = 2GiB)."""
    match = SIZE.fullmatch(text)
    if not match:
        raise UsageError(
            f"{option} takes a size like 2G, 512M or 1000000 (got {_shown(text)}): "
            "digits, then K, M, G, T or P"
        )
    value = float(match.group(1)) * UNITS[match.group(2).upper()]
    if not 0 < value <= MAX_BYTES or not math.isfinite(value):
        raise UsageError(f"{option} must be more than 0 and at most 1024P (got {_shown(text)})")
    return max(int(value), 1)


def parse_count(text: str, option: str) -> int:
    """'5M', '1.5G', '250k' or a plain whole number: k, M, G and T are powers of 1000."""
    match = COUNT.fullmatch(text)
    value = Fraction(match.group(1)) * COUNT_UNITS[match.group(2)] if match else None
    if value is None or value.denominator != 1 or not 0 < value <= MAX_BYTES:
        raise UsageError(
            f"{option} takes a whole count like 5M, 1G, 250k or 5000000 (got {_shown(text)}): "
            "digits, then k, M, G or T (powers of 1000)"
        )
    return int(value)


def max_memory(value: object) -> int | None:
    """A memory limit in bytes: None (the default), a positive whole number, or a size like '2G'."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_bytes(value)
    return whole("max_memory", value, 1, MAX_BYTES)


def flag(name: str, value: object) -> bool:
    """True or False (NumPy's bool too), nothing else."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise UsageError(f"{name} must be True or False (got {_shown(value)})")
    return bool(value)


def _shown(value: Any) -> str:
    """A value as the user wrote it, cut short: messages stay one short line."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a number of {value.bit_length() * 30103 // 100000}+ digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
