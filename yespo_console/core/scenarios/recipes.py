"""The recipes shipped with the console: scenario files in resources/scenarios, listed
by file name and found by name (`abandoned-cart` or `abandoned-cart.yaml`) when a path given to
`run` does not exist.
"""

from __future__ import annotations

from pathlib import Path

from yespo_console.core.errors import InputError
from yespo_console.core.paths import resources_dir

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def bundled_dir() -> Path:
    """The recipes shipped with the console: resources/scenarios (found by core.paths.resources_dir)."""
    return resources_dir() / "scenarios"


def bundled_scenarios() -> list[Path]:
    """The recipes shipped in resources/scenarios, by file name."""
    folder = bundled_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SCENARIO_SUFFIXES and p.is_file())


def resolve_scenario(name: str) -> Path:
    """A scenario file: the path as given when it exists, else a bundled recipe by name
    (`abandoned-cart` or `abandoned-cart.yaml`). InputError naming the recipes otherwise."""
    path = Path(name)
    if path.exists():
        return path
    for recipe in bundled_scenarios():
        if name in (recipe.name, recipe.stem):
            return recipe
    recipes = ", ".join(p.stem for p in bundled_scenarios()) or "none found"
    raise InputError(f"{name}: no such file, and no bundled recipe by that name (recipes: {recipes})")

