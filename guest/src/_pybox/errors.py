"""The exceptions the driver raises (their classes live in C and in builtins)."""

import builtins as _builtins

_ProtectedNameError = _builtins.ProtectedNameError


def protected_error(name):
    return _ProtectedNameError(f"'{name}' is protected in this context: it cannot be rebound or deleted")
