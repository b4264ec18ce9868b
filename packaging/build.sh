#!/bin/sh
# Build the one-folder app dist/yespo-console/ with PyInstaller (packaging/yespo-console.spec).
#
#   sh packaging/build.sh            # from anywhere; uses .venv/bin/python unless PYTHON is set
#   make package                     # installs the `package` extra, builds, then checks the bundle
#
# Needs the project installed in that Python with the `package` extra: pip install -e '.[package]'.
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
DIST=$ROOT/dist
WORK=$ROOT/build/pyinstaller

die() { echo "build.sh: $*" >&2; exit 1; }

[ -x "$PYTHON" ] || die "no Python at $PYTHON: run 'make package' (it creates .venv), or set PYTHON=/path/to/python"
"$PYTHON" -c 'import PyInstaller' 2>/dev/null \
    || die "PyInstaller is not installed in $PYTHON: run \"$PYTHON -m pip install -e '.[package]'\""
"$PYTHON" -c 'import yespo_console' 2>/dev/null \
    || die "yespo_console is not importable from $PYTHON: run \"$PYTHON -m pip install -e '.[package]'\""

start=$(date +%s)
# --clean: no stale analysis from an earlier build (PyInstaller's own cache of binaries is kept).
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/yespo-console.spec"
end=$(date +%s)

case "$(uname -s)" in
    Darwin) BUNDLE="$DIST/Yespo Console.app" ;;
    *) BUNDLE="$DIST/yespo-console" ;;
esac
[ -e "$BUNDLE" ] || die "PyInstaller finished but $BUNDLE is missing"
if [ -d "$DIST/yespo-console" ]; then
    # The package data (icons, desktop entry, recipes) beside the frozen package, where resources_dir() looks.
    for file in io.yespo.console.desktop icons/yespo-console.svg scenarios/abandoned-cart.yaml; do
        [ -f "$DIST/yespo-console/_internal/yespo_console/resources/$file" ] \
            || die "the bundle lacks _internal/yespo_console/resources/$file (see datas in packaging/yespo-console.spec)"
    done
    # The bundle carries its own desktop-entry installer (it finds the bundle beside itself).
    cp "$ROOT/packaging/install-desktop-entry.sh" "$DIST/yespo-console/install-desktop-entry.sh"
    chmod +x "$DIST/yespo-console/install-desktop-entry.sh"
fi
echo "built $BUNDLE in $((end - start)) s"
