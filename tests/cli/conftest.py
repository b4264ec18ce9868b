"""The command-line tests: `yespo-console COMMAND ...` through the real entry point, one file per command.

The sandbox fixtures (sandbox_thread, no_keyring) are tests/sandbox's, imported so that pytest picks them up
here too.
"""

from tests.sandbox.conftest import no_keyring, sandbox_thread  # noqa: F401 (fixtures)
