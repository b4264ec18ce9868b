"""The command-line tests: `yespo-console COMMAND ...` through the real entry point, one file per command.

The sandbox fixtures (sandbox_thread, no_keyring) are tests/sandbox's, imported so that pytest picks them up
here too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import SCENARIO
from tests.sandbox.conftest import no_keyring, sandbox_thread  # noqa: F401 (fixtures)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """SCENARIO in a file."""
    path = tmp_path / "check.yaml"
    path.write_text(SCENARIO)
    return path
