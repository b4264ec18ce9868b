"""The console's monochrome SVGs (resources/icons, drawn in `currentColor`) in a given colour, as files: a style
sheet takes images from files only, and Qt's SVG icon engine, given a file, renders an icon at the size it is
painted at when it is first painted, instead of at every size up front."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from yespo_console.core.paths import resources_dir


@cache
def _folder() -> Path | None:
    """This process's folder of tinted copies, removed at exit; None when no temporary folder can be made."""
    import atexit
    import shutil
    import tempfile

    try:
        folder = Path(tempfile.mkdtemp(prefix="yespo-console-icons-"))
    except OSError:
        return None
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def tinted_svg(name: str, color: str) -> Path:
    """resources/icons/NAME.svg in COLOR (#rrggbb). Where no copy can be written, the original: drawn in black
    rather than not at all."""
    original = resources_dir() / "icons" / f"{name}.svg"
    folder = _folder()
    if folder is None:
        return original
    path = folder / f"{name}-{color.lstrip('#')}.svg"
    if not path.exists():
        try:
            path.write_bytes(original.read_bytes().replace(b"currentColor", color.encode()))
        except OSError:
            return original
    return path
