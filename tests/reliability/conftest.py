"""The reliability suite (issue 7): crashes, faults, fuzzing and secret leaks.

Fast versions run in `make test`; the long ones carry `@pytest.mark.soak` and are skipped unless
YESPO_SOAK=1 (`make soak` sets it and selects them with `-m soak`). Tests that come in both sizes take a
`scale` parameter ("fast" or "soak", the latter marked), see `SCALES` in helpers.py.

The GUI fixtures (qloop, session, settings, window) and the sandbox ones (sandbox_thread, no_keyring) are
the existing ones, imported so that pytest picks them up here too.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

import hypothesis
import pytest

from tests.gui.conftest import qloop, session, settings, window  # noqa: F401 (fixtures)
from tests.reliability.helpers import SOAK, SOAK_ENV
from tests.sandbox.conftest import no_keyring, sandbox_thread  # noqa: F401 (fixtures)

# The fuzz tests pick one of these by their scale; YESPO_SOAK=1 is what lets the "soak" ones run at all.
# No deadline: a GUI example may wait for a repaint on a busy machine, which is not what is tested.
hypothesis.settings.register_profile("yespo-fast", max_examples=80, deadline=None,
                                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.register_profile("yespo-soak", max_examples=2_000, deadline=None,
                                     suppress_health_check=[hypothesis.HealthCheck.too_slow])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SOAK:
        return
    skip = pytest.mark.skip(reason=f"soak test: run with `make soak` ({SOAK_ENV}=1)")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)
