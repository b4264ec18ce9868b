"""One exception hierarchy for the core; library errors are mapped to these at the boundary."""


class YespoConsoleError(Exception):
    """Base of every error the core raises on purpose. The message is meant for a person."""


class InputError(YespoConsoleError):
    """Input that cannot be used: an unreadable file, a malformed scenario, a bad argument."""


class StoreError(YespoConsoleError):
    """The history store cannot do what was asked (locked, corrupt, newer schema, full disk)."""


class SecretStoreError(YespoConsoleError):
    """No usable keyring and no environment fallback for a secret."""
