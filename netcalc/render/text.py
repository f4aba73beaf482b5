"""Small text helpers shared by every renderer: shapes, human-sized numbers, terminal widths."""

from __future__ import annotations

import unicodedata


def shape_text(shape: tuple[int, ...]) -> str:
    """(64, 256, 256) as '64x256x256'."""
    return "x".join(str(n) for n in shape) if shape else "scalar"


def human(n: float, unit: str = "") -> str:
    """1234567 as '1.23 M'; bytes as 'MB' in powers of 1000 (torchinfo's convention)."""
    units = ((10**18, "E"), (10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
    for factor, prefix in units:
        if abs(n) >= factor:
            return f"{n / factor:.2f} {prefix}{unit}"
    return f"{n:g} {unit}".rstrip()


def width(text: str) -> int:
    """Terminal columns of a text: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
