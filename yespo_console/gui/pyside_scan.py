"""A quicker answer to the question PySide asks of every module imported after it.

Once PySide6 is imported it hooks `__import__`, and after each new module asks whether that module's source
mentions "PySide6" (shibokensupport.feature `_mod_uses_pyside`, for its opt-in `from __feature__ import
snake_case`; PYSIDE-2029). It asks through `inspect.getsource`, which detects the file's encoding, decodes
it and keeps every line in `linecache`: for the hundred-odd modules the console imports after Qt, that is a
noticeable part of its start-up (napari/napari#8584 measured the same). This gives the same answer from the
file's bytes, and leaves anything that is not a plain source file to PySide's own check. Where PySide has no
such function (another version), nothing changes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

import shiboken6  # noqa: F401  (loads shibokensupport, whose check is replaced here)

_MARK = "_yespo_console_quick"


def _quick(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass  # in a zip, or gone: as PySide would answer
        return original(module)

    setattr(uses_pyside, _MARK, True)
    return uses_pyside


def install() -> bool:
    """Replace PySide's check, once; whether it is (now) the quick one."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if not callable(original):
        return False
    if not getattr(original, _MARK, False):
        feature._mod_uses_pyside = _quick(original)  # type: ignore[union-attr]
    return True
