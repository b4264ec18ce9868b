"""Where profiles live: the `profiles` folder in the data directory (one file per account, YAML or JSON), and
the example profiles bundled with the app. `find_profile` takes a file path or a name in that folder."""

from __future__ import annotations

import os
from pathlib import Path

from yespo_console.core.errors import InputError
from yespo_console.core.events.profiles import BUILTIN, BUILTIN_NAME, Profile
from yespo_console.core.paths import data_dir, resources_dir
from yespo_console.core.profiles.files import load_profile

SUFFIXES = (".yaml", ".yml", ".json")


def profiles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    path = data_dir(override) / "profiles"
    path.mkdir(parents=True, exist_ok=True)
    return path


def example_profiles() -> list[Path]:
    """The profiles bundled with the app (resources/profiles)."""
    folder = resources_dir() / "profiles"
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES) if folder.is_dir() else []


def user_profiles(override: str | os.PathLike[str] | None = None) -> list[Path]:
    return sorted(p for p in profiles_dir(override).iterdir() if p.suffix in SUFFIXES and p.is_file())


def profile_names(data: str | os.PathLike[str] | None = None) -> list[str]:
    """What a profile choice offers: the built-in one, the user's, then the bundled examples."""
    return list(dict.fromkeys([BUILTIN_NAME, *(p.stem for p in user_profiles(data)),
                               *(p.stem for p in example_profiles())]))


def find_profile(ref: str | None, data: str | os.PathLike[str] | None = None) -> Profile:
    """The profile `ref` names: None or "built-in", a file path, or a file name (with or without suffix) in the
    profiles folder or among the bundled examples. InputError naming the choices when there is none."""
    if ref is None or ref.strip().lower() == BUILTIN_NAME:
        return BUILTIN
    path = Path(ref).expanduser()
    if path.suffix in SUFFIXES and (path.is_file() or os.sep in ref or "/" in ref):
        return load_profile(path)
    candidates = [*user_profiles(data), *example_profiles()]
    for candidate in candidates:
        if ref in (candidate.name, candidate.stem):
            return load_profile(candidate)
    known = ", ".join(profile_names(data))
    raise InputError(f"no profile {ref!r}: give a file path, or one of: {known} "
                     f"(profiles live in {profiles_dir(data)})")
