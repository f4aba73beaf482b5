"""Sizes as text, one rule for every output and message.

Counts and the report's byte figures are in powers of 1000 (k, M, G, ...: torchinfo's 'MB' is
10^6 bytes, and the README's tables follow it). A byte figure beside a limit is in powers of 1024
(KiB, MiB, GiB, ...), because limits are written that way (--max-memory 2G, max_memory: 2GiB)
and the two must read alike. Both ladders go to yotta (10^24, 2^80); a figure past a thousand of
the top unit is in scientific notation (1.70e+29), never '169802.28 E'.
"""

from __future__ import annotations

DECIMAL = ("k", "M", "G", "T", "P", "E", "Z", "Y")
BINARY = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi")


def _scaled(n: float, base: int, prefixes: tuple[str, ...], unit: str, whole: bool = False) -> str:
    """n in the largest unit of the ladder that keeps it at 1 or more, with two decimals (none
    for a whole number of the unit when `whole`: a limit reads as it was written, '2 GiB')."""
    if abs(n) >= base ** len(prefixes) * 1000:
        return f"{n:.2e} {unit}".rstrip()
    for power in range(len(prefixes), 0, -1):
        if abs(n) >= base**power:
            figure = f"{n // base**power:.0f}" if whole and n % base**power == 0 else f"{n / base**power:.2f}"
            return f"{figure} {prefixes[power - 1]}{unit}"
    return f"{n:g} {unit}".rstrip()


def human(n: float, unit: str = "") -> str:
    """1234567 as '1.23 M'; bytes as '1.23 MB' in powers of 1000 (torchinfo's convention)."""
    return _scaled(n, 1000, DECIMAL, unit)


def binary(n: float) -> str:
    """Bytes in powers of 1024, as limits are written: '50.75 MiB', '200 MiB'."""
    return _scaled(n, 1024, BINARY, "B", whole=True)
