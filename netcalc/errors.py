"""The errors netcalc raises: one line each, naming where, what and how to fix it."""

MAX_LINE = 400  # characters of one message line: a 200 KB value is shown by its two ends


def shorten(line: str, limit: int = MAX_LINE) -> str:
    """A line cut in the middle when longer than `limit`: its start (where) and end (the fix) stay."""
    if len(line) <= limit:
        return line
    keep = (limit - 5) // 2
    return f"{line[:keep]} ... {line[-keep:]}"


class NetcalcError(Exception):
    """Anything wrong with what the user gave netcalc; the CLI turns it into exit code 1.

    Each line of the message is at most MAX_LINE characters (a long value is cut in the middle).
    """

    exit_code = 1

    def __init__(self, message: object = "") -> None:
        super().__init__("\n".join(shorten(line) for line in str(message).splitlines()))


class SpecError(NetcalcError):
    """The spec file is malformed: YAML, unknown names, wrong argument types or values."""


class ShapeError(NetcalcError):
    """The spec is well formed but a layer cannot accept the shape it receives."""


class VerifyError(NetcalcError):
    """The backend's arrays disagree with the engine's counts."""

    exit_code = 3


class ResourceError(NetcalcError):
    """A run would need more memory than allowed."""


class UsageError(NetcalcError):
    """The command line or a library call is wrong: an option, a format, an argument."""

    exit_code = 2


class BudgetError(NetcalcError):
    """A figure is over its limit (`netcalc check`, for CI)."""

    exit_code = 4


class ChangedError(NetcalcError):
    """Two designs differ where the caller asked for none (`diff --fail-on-change`, for CI)."""

    exit_code = 5
