"""The quick YAML reader (libyaml's events, no node tree) gives what the full loader gives: the same
values of the same types, the same line of every key and item, and for anything else the loader's
own result or error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from netcalc.spec import yamlio

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted([*ROOT.glob("netcalc/zoo/*.yaml"), *ROOT.glob("specs/**/*.yaml")])


def _outcome(read: Any, text: str) -> Any:
    """What a reader makes of the text: its value with types and lines, or its error."""
    try:
        return _form(read(text))
    except Exception as error:  # the full loader's own errors, whatever they are
        return type(error).__name__, str(error)


def _form(value: Any) -> Any:
    if isinstance(value, dict):
        lines = getattr(value, "lines", None)
        return type(value).__name__, lines, [(_form(k), _form(v)) for k, v in value.items()]
    if isinstance(value, list):
        return type(value).__name__, getattr(value, "lines", None), [_form(v) for v in value]
    return type(value).__name__, repr(value)


def _full(text: str) -> Any:
    return yaml.load(text, Loader=yamlio._Loader)  # noqa: S506 - a SafeLoader


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_shipped_spec_is_read_quickly_as_the_loader_reads_it(path: Path) -> None:
    text = path.read_text()
    assert _form(yamlio._quick(text)) == _form(_full(text))  # _quick itself: no fallback


ODD = [
    "",
    "# only a comment\n",
    "42\n",
    "a: 1\nb: [2, 3]\n",
    "a: &x [1, 2]\nb: *x\n",  # an alias: the full loader
    "base: &b {k: 1}\nuse:\n  <<: *b\n  j: 2\n",  # a merge key
    "a: !!str 1\nb: !!int '2'\n",  # tags
    "a: !!set {x, y}\n",
    "a: !custom 1\n",
    "a: 1\na: 2\n",  # a duplicate key: the loader's message
    "1: a\n'1': b\n",
    "1: a\n0x1: b\n",  # the same key by value, written twice differently
    "a: 1\n---\nb: 2\n",  # two documents
    "---\n...\n",
    "a: [yes, no, on, off, ~, null, Null, true, FALSE]\n",
    "a: [0x1F, 0o17, 017, 1_000, 1:30, +5, -0, .inf, -.Inf, .nan, 1e3, 1.5e-3, 6.8523015e+5]\n",
    "a: [2001-12-14, 2001-12-14t21:59:43.10-05:00]\n",  # timestamps: the full loader
    "a: [=, '=', '1', \"2\", '', \"\"]\n",
    "= : 1\n",
    "? [1, 2]\n: a\n",  # a list as a key
    "? {a: 1}\n: b\n",
    "a: 1" + "0" * 5000 + "\n",  # more digits than Python parses
    "a: [1, 2\n",  # errors
    "a: b: c\n",
    "a:\n\t- 1\n",
    "a: 'unterminated\n",
    "a: \x00\n",
    "- - - - [1]\n",
    "[" * 150 + "]" * 150 + "\n",  # deeper than the quick reader goes
    "{a: [1, {b: c}], d: {}}\n",
    "a:\n  - b: 1\n    c: [1,\n        2]\n  -\n  - 'x'\n",
    "a: |\n  text\n  more\nb: >\n  folded\n",
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_yaml_reads_as_the_loader_reads_it(text: str) -> None:
    assert _outcome(yamlio._load, text) == _outcome(_full, text)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@given(VALUES, st.sampled_from([None, True, False]))
def test_any_dumped_value_reads_as_the_loader_reads_it(value: Any, flow: bool | None) -> None:
    text = yaml.safe_dump({"v": value}, default_flow_style=flow, allow_unicode=True)
    assert _outcome(yamlio._load, text) == _outcome(_full, text)
