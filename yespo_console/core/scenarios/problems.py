"""Where a scenario file is wrong: `ScenarioError` gathers every problem of a scenario file (core.documents has
`Problem`, the line marks and the reader), in line order, so a user mends them all in one go."""

from __future__ import annotations

from yespo_console.core.documents import DocumentError


class ScenarioError(DocumentError):
    """A scenario that cannot be used; `problems` has one entry per mistake, with its line."""
