"""PySide's question to every module imported after it ("does its source mention PySide6?") is answered from
the file's bytes (gui.pyside_scan), with the answers PySide's own check gives."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import types

import yespo_console.gui  # noqa: F401  (installs the quick check)
from yespo_console.gui import pyside_scan


def _pyside_own(module: types.ModuleType) -> bool:
    # What shibokensupport.feature._mod_uses_pyside answers: the source through inspect, else False.
    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError, SyntaxError):
        return False


def test_the_quick_check_is_in_place_once_the_gui_is_imported():
    feature = sys.modules["shibokensupport.feature"]
    quick = feature._mod_uses_pyside
    assert getattr(quick, "_yespo_console_quick", False)
    assert pyside_scan.install()  # again: the same quick one, not wrapped twice
    assert feature._mod_uses_pyside is quick


def test_it_answers_as_pyside_would(tmp_path, monkeypatch):
    check = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    (tmp_path / "mentions_it.py").write_text("# PySide6 is named in a comment only\nVALUE = 1\n", encoding="utf-8")
    (tmp_path / "latin.py").write_bytes("# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"))
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = [importlib.import_module(name) for name in ("mentions_it", "latin", "yespo_console.gui.theme",
                                                           "yespo_console.core.errors")]
    modules += [sys, json.scanner, types.ModuleType("made_in_memory")]  # built in, maybe C, no file at all
    for module in modules:
        assert check(module) == _pyside_own(module), module.__name__
    assert [check(m) for m in modules[:4]] == [True, False, True, False]
