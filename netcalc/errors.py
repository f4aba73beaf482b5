"""The errors netcalc raises: one line each, naming where, what and how to fix it."""


class NetcalcError(Exception):
    """Anything wrong with what the user gave netcalc; the CLI turns it into exit code 1."""

    exit_code = 1


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


class ChangedError(NetcalcError):
    """Two designs differ where the caller asked for none (`diff --fail-on-change`, for CI)."""

    exit_code = 5
