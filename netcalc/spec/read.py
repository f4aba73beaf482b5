"""Reading a spec's raw data from a path, stdin, YAML or JSON text, a dict or zoo:NAME, bounded.

Every read takes at most MAX_FILE_BYTES + 1 bytes, so /dev/zero, an endless pipe or a huge file
ends in one line, at once, whatever it holds.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import IO, Any

from netcalc.errors import SpecError, UsageError
from netcalc.spec.yamlio import MAX_FILE_BYTES, check_length, check_size, parse

SPEC_KEYS = ("input", "layers")
STDIN = "<stdin>"  # the name of what is piped in, in messages
EXAMPLE = "cat my.yaml | netcalc count -"


def read(source: str | Path | dict[str, Any]) -> tuple[Any, str]:
    """The raw data of a spec and a label for messages.

    A str is YAML/JSON text when it has a newline or starts with '{', or when no file of that
    name exists and it parses as a mapping with 'input' or 'layers' ("input: [3]" on one line);
    otherwise it is a path. 'zoo:NAME' names a shipped model.
    """
    if isinstance(source, dict):
        check_size(source, "<dict>")  # shared sub-lists are a dict's YAML aliases
        return source, "<dict>"
    if not isinstance(source, str | Path):
        raise UsageError(
            f"a spec is a path, YAML or JSON text, a dict, 'zoo:NAME' or a loaded network, "
            f"not {type(source).__name__}"
        )
    if isinstance(source, str) and source.startswith("zoo:"):
        from netcalc.zoo import zoo_path

        path = zoo_path(source[4:])
        return parse(path.read_text(encoding="utf-8"), source), source
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return parse(source), "<string>"  # YAML text; one line of it is a flow mapping
    if not str(source).strip():
        raise SpecError("no spec given: pass a YAML or JSON file, YAML text, a dict or zoo:NAME")
    if isinstance(source, str) and _one_line_spec(source):
        return parse(source), "<string>"
    path = Path(source)
    if path.suffix.lower() == ".onnx":  # a model file: its graph as a spec
        from netcalc.interop.onnx_import import read_onnx

        return read_onnx(path), str(path)
    return parse(read_path(path), str(path), is_json=path.suffix == ".json"), str(path)


def _one_line_spec(text: str) -> bool:
    """True for a one-line spec such as "input: [3]" that names no existing file."""
    if ":" not in text or len(text) > 4096:
        return False
    try:
        if Path(text).exists():
            return False
    except (OSError, ValueError):  # a name too long for the system, a NUL in it
        pass
    try:
        data = parse(text)
    except SpecError:
        return False
    return isinstance(data, dict) and any(key in data for key in SPEC_KEYS)


CHUNK = 1 << 20


def read_bounded(stream: IO[Any], limit: int) -> bytes:
    """At most `limit` bytes of a stream, read a megabyte at a time: `read(limit)` would reserve
    the whole limit at once (2 GB for an ONNX model) whatever the stream holds."""
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = stream.read(min(CHUNK, limit - total))
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", errors="surrogateescape")
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_path(path: Path) -> str:
    """The text of a spec file, reading at most the limit plus one byte."""
    try:
        with _open(path) as stream:
            data = read_bounded(stream, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: cannot read: it is a directory, not a spec file") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        raise SpecError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    if not data and stat.S_ISFIFO(path.stat().st_mode):
        raise SpecError(
            f"{path}: a named pipe with no writer: nothing to read — write the spec into it, or name the file"
        )
    return decode(data, str(path))


def _open(path: Path) -> IO[bytes]:
    """The file opened for reading; a named pipe without a writer reads as empty instead of
    waiting forever for one (a pipe with a writer, as bash's <(...), reads as usual)."""
    if not stat.S_ISFIFO(path.stat().st_mode):
        return path.open("rb")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # returns at once, writer or not
    os.set_blocking(fd, True)  # then wait for the writer's data, or end at once without one
    return os.fdopen(fd, "rb")


def read_stdin(stream: IO[Any] | None = None, example: str = EXAMPLE) -> str:
    """The text piped to stdin ('-'), reading at most the limit plus one byte."""
    return decode(stdin_bytes(MAX_FILE_BYTES + 1, stream, example), STDIN)


def stdin_bytes(
    size: int, stream: IO[Any] | None = None, example: str = EXAMPLE, what: str = "a spec"
) -> bytes:
    """At most `size` bytes piped to stdin; a closed or missing stdin is a UsageError whose hint
    is `example` (the command being run)."""
    stream = sys.stdin if stream is None else stream
    if stream is None or getattr(stream, "closed", False):
        raise UsageError(f"stdin is closed: pipe {what} in ({example}) or name a file")
    binary = getattr(stream, "buffer", None)
    try:
        return read_bounded(binary if binary is not None else stream, size)
    except (OSError, ValueError) as error:  # ValueError: I/O on a closed file
        raise UsageError(f"cannot read stdin: {getattr(error, 'strerror', None) or error}") from None


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark allowed), or a one-line SpecError saying what it is instead."""
    check_length(len(data), source)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SpecError(f"{source}: the file is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpecError(
            f"{source}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}) — "
            "a spec is a YAML or JSON text file"
        ) from None
