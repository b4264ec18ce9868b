"""The core must import and run without Qt: a fresh interpreter proves it."""

import pkgutil
import subprocess
import sys

import yespo_console.core


def test_core_imports_no_qt():
    modules = [m.name for m in pkgutil.walk_packages(yespo_console.core.__path__, "yespo_console.core.")]
    code = "; ".join(f"import {m}" for m in modules) + (
        "; import sys; bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'PyQt6'))"
        "; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) >= 25
