"""Exception types shared by the package (one place, so notebooks and the pipeline can catch them)."""


class SoteError(Exception):
    """Base class for errors raised by this package."""


class InvalidParameter(SoteError, ValueError):
    """A caller passed a value outside what is allowed; the message names the value and the allowed ones."""


def invalid(name: str, value, allowed) -> InvalidParameter:
    """Build an InvalidParameter naming the parameter, the bad value and what is allowed."""
    if isinstance(allowed, range):
        allowed_text = f"{allowed.start}–{allowed.stop - 1}"
    elif isinstance(allowed, str):
        allowed_text = allowed
    else:
        allowed_text = ", ".join(str(a) for a in sorted(allowed, key=str))
    return InvalidParameter(f"{name}={value!r} is not allowed; allowed: {allowed_text}")


class FetchError(SoteError):
    """An HTTP request failed; the message names the request and what went wrong."""


class MirrorMiss(FetchError):
    """The mirror folder holds no answer for a request (never falls back to the network)."""


class ValidationError(SoteError):
    """Data did not pass a validation rule (feature count, codes, geometry, join, schema)."""


class ConfigError(SoteError):
    """The refresh's own input (options, runs file, manifest, mirror, model files) is unusable; nothing was run."""


class UnsafePath(SoteError):
    """A path a run would write, copy or delete lies outside the outputs folder (or is not a plain file there)."""
