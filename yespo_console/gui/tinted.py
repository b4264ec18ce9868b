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


def tinted_svg_bytes(name: str, color: str) -> bytes:
    """resources/icons/NAME.svg in COLOR (#rrggbb), as SVG text."""
    return (resources_dir() / "icons" / f"{name}.svg").read_bytes().replace(b"currentColor", color.encode())


def tinted_copy(name: str, color: str) -> Path | None:
    """resources/icons/NAME.svg in COLOR (#rrggbb), as a file; None where no copy can be written."""
    folder = _folder()
    if folder is None:
        return None
    path = folder / f"{name}-{color.lstrip('#')}.svg"
    if not path.exists():
        try:
            path.write_bytes(tinted_svg_bytes(name, color))
        except OSError:
            return None
    return path


def tinted_svg(name: str, color: str) -> Path:
    """A tinted copy's path, or where none can be written the original's: drawn in black rather than not at all."""
    return tinted_copy(name, color) or resources_dir() / "icons" / f"{name}.svg"
