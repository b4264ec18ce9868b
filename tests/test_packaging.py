"""The app's own files (icons, desktop entry, scenario recipes) live in the top-level resources/ folder and travel
inside the package as yespo_console/resources: the checkout's lookup finds them in resources/, and a wheel built
from this tree carries every one of them (and every module) and finds them once unpacked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from yespo_console.core.paths import resources_dir
from yespo_console.core.scenarios.recipes import bundled_dir, bundled_scenarios, resolve_scenario

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def source_files() -> list[str]:
    """Every file under resources/ in the source tree, as a path inside the wheel."""
    return sorted(f"yespo_console/resources/{p.relative_to(SOURCE).as_posix()}" for p in SOURCE.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_the_source_tree_has_the_resources() -> None:
    names = source_files()
    assert "yespo_console/resources/io.yespo.console.desktop" in names
    assert "yespo_console/resources/icons/yespo-console.svg" in names
    assert sum(name.startswith("yespo_console/resources/scenarios/") for name in names) >= 5
    # resources_dir() prefers a folder inside the package: one left there would hide resources/ in a checkout.
    assert not (ROOT / "yespo_console" / "resources").exists(), "yespo_console/resources is back: move it to resources/"


def source_modules() -> list[str]:
    """Every module of the package in the source tree, as a path inside the wheel."""
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "yespo_console").rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_pyproject_lists_every_package() -> None:
    """pyproject lists the packages (a `find` cannot map resources/ in): a new subpackage, or a new folder of
    resources/, must be added there."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "yespo_console").rglob("__init__.py")}
    folders = {".".join(("yespo_console", *p.relative_to(ROOT).parts)) for p in [SOURCE, *SOURCE.rglob("*")]
               if p.is_dir() and "__pycache__" not in p.parts}
    assert set(listed) == packages | folders


def test_the_lookup_finds_the_icons_the_desktop_entry_and_the_recipes() -> None:
    folder = resources_dir()
    assert folder.resolve() == SOURCE.resolve()  # a checkout (or an editable install) reads the top-level folder
    for size in ICON_SIZES:
        assert (folder / "icons" / f"yespo-console-{size}.png").is_file()
    assert (folder / "icons" / "yespo-console.svg").is_file()
    assert (folder / "io.yespo.console.desktop").is_file()
    assert bundled_dir() == folder / "scenarios"
    recipes = bundled_scenarios()
    assert {p.name for p in recipes} == {p.name for p in (SOURCE / "scenarios").iterdir() if p.is_file()}
    assert all(p.is_file() for p in recipes)
    assert resolve_scenario("abandoned-cart") == folder / "scenarios" / "abandoned-cart.yaml"


def test_the_window_icon_has_every_size(qapp: object) -> None:
    from yespo_console.gui.app import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(ICON_SIZES)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built by pip from a copy of the tree (the checkout's build/ and egg-info stay untouched, and no
    stale build/lib file can slip in)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    for folder in ("yespo_console", "resources"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = work / "dist"
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "--quiet", "-w", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("yespo_console-*.whl")
    return built


def test_the_wheel_carries_every_resource_and_module(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in (*source_files(), *source_modules()) if name not in names]
    assert not missing, f"{wheel.name} lacks {missing}"
    assert "yespo_console/py.typed" in names
    assert not any(name.startswith("resources/") for name in names), "resources/ must install inside the package"


def test_an_unpacked_wheel_finds_its_recipes_and_icons(wheel: Path, tmp_path: Path) -> None:
    """A plain install is the wheel unpacked into site-packages: the lookup must answer from there."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = (
        "import yespo_console\n"
        "from yespo_console.core.paths import resources_dir\n"
        "from yespo_console.core.scenarios.recipes import bundled_scenarios\n"
        "print(yespo_console.__file__)\n"
        "print(resources_dir())\n"
        "print(all((resources_dir() / 'icons' / f'yespo-console-{s}.png').is_file() for s in (16, 256)))\n"
        "print(','.join(p.stem for p in bundled_scenarios()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}  # ahead of the editable install's finder
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    package, folder, icons, recipes = result.stdout.splitlines()
    assert Path(package).is_relative_to(site) and Path(folder) == site / "yespo_console" / "resources"
    assert icons == "True"
    assert sorted(recipes.split(",")) == sorted(p.stem for p in (SOURCE / "scenarios").iterdir() if p.is_file())
