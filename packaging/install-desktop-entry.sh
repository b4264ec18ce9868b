#!/bin/sh
# Install (or remove) the desktop entry and icons of Yespo Console for the current user (XDG), so it shows in
# the application menu with its icon, and the window is matched to its entry (id io.yespo.console).
#
#   dist/yespo-console/install-desktop-entry.sh        # from a bundle: the bundle's program and resources
#   sh packaging/install-desktop-entry.sh              # from a checkout: the yespo-console on PATH or in .venv
#   sh packaging/install-desktop-entry.sh --exec /opt/yespo-console/yespo-console
#   sh packaging/install-desktop-entry.sh --uninstall
#
# Writes $XDG_DATA_HOME (default ~/.local/share)/applications/io.yespo.console.desktop with Exec= and TryExec=
# set to the program's absolute path, and icons/hicolor/<size>/apps/io.yespo.console.{png,svg}.
set -eu

APP_ID=io.yespo.console
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
DATA=${XDG_DATA_HOME:-${HOME:?HOME is not set}/.local/share}
EXEC=""
ACTION=install

die() { echo "install-desktop-entry.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --exec) [ $# -ge 2 ] || die "--exec needs a path"; EXEC=$2; shift 2 ;;
        --exec=*) EXEC=${1#--exec=}; shift ;;
        --uninstall) ACTION=uninstall; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done

APPS=$DATA/applications
HICOLOR=$DATA/icons/hicolor
SIZES="16 32 48 64 128 256"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$APPS" || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$HICOLOR/index.theme" ]; then
        gtk-update-icon-cache -q -f -t "$HICOLOR" || true
    fi
    touch "$HICOLOR" 2>/dev/null || true  # desktops that watch the folder's time reload the icons
}

if [ "$ACTION" = uninstall ]; then
    rm -f "$APPS/$APP_ID.desktop" "$HICOLOR/scalable/apps/$APP_ID.svg"
    for size in $SIZES; do rm -f "$HICOLOR/${size}x${size}/apps/$APP_ID.png"; done
    refresh_caches
    echo "removed $APPS/$APP_ID.desktop and the $APP_ID icons from $HICOLOR"
    exit 0
fi

# Where the resources (the package data yespo_console/resources) and the program are: beside this script in a
# bundle (_internal/yespo_console/resources), else in the checkout it sits in (its top-level resources/).
if [ -d "$HERE/_internal/yespo_console/resources" ]; then
    RESOURCES=$HERE/_internal/yespo_console/resources
    [ -n "$EXEC" ] || EXEC=$HERE/yespo-console
elif [ -d "$HERE/../resources/icons" ]; then
    RESOURCES=$(CDPATH='' cd -- "$HERE/../resources" && pwd)
    if [ -z "$EXEC" ]; then
        if [ -x "$HERE/../.venv/bin/yespo-console" ]; then
            EXEC=$(CDPATH='' cd -- "$HERE/../.venv/bin" && pwd)/yespo-console
        elif command -v yespo-console >/dev/null 2>&1; then
            EXEC=$(command -v yespo-console)
        else
            die "no yespo-console program found (not in $HERE/../.venv/bin, not on PATH): install it" \
                "(pip install yespo-console, or make run) or pass --exec /path/to/yespo-console"
        fi
    fi
else
    die "cannot find the resources folder: run this script from a bundle (dist/yespo-console/) or a checkout"
fi

case $EXEC in
    /*) ;;
    *) EXEC=$(CDPATH='' cd -- "$(dirname -- "$EXEC")" && pwd)/$(basename -- "$EXEC") ;;
esac
[ -x "$EXEC" ] || die "$EXEC is not an executable program"
DESKTOP=$RESOURCES/$APP_ID.desktop
[ -f "$DESKTOP" ] || die "$DESKTOP is missing"

# The Exec key's quoting rules (Desktop Entry Specification): a path with reserved characters goes in double
# quotes with ", `, $ and \ backslash-escaped, and every backslash is then doubled for the string value.
case $EXEC in
    *[!A-Za-z0-9/._+-]*)
        QUOTED=$(printf '%s' "$EXEC" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
        QUOTED="\"$QUOTED\"" ;;
    *) QUOTED=$EXEC ;;
esac

mkdir -p "$APPS" "$HICOLOR/scalable/apps"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/yespo-desktop.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TMP=$WORK/$APP_ID.desktop
TRY=$(printf '%s' "$EXEC" | sed 's/\\/\\\\/g')  # TryExec is a plain string: only backslashes are escaped
EXEC_LINE="Exec=$QUOTED gui" TRY_LINE="TryExec=$TRY" awk '
    /^\[/ { group = $0 }
    group == "[Desktop Entry]" && /^TryExec=/ { next }
    group == "[Desktop Entry]" && /^Exec=/ { print ENVIRON["EXEC_LINE"]; print ENVIRON["TRY_LINE"]; next }
    { print }
' "$DESKTOP" > "$TMP"
grep -q '^Exec=' "$TMP" || die "$DESKTOP has no Exec= line"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$TMP" || die "the desktop entry does not validate (see above)"
fi
cp "$TMP" "$APPS/$APP_ID.desktop"
chmod 644 "$APPS/$APP_ID.desktop"

for size in $SIZES; do
    png=$RESOURCES/icons/yespo-console-$size.png
    if [ -f "$png" ]; then
        mkdir -p "$HICOLOR/${size}x${size}/apps"
        cp "$png" "$HICOLOR/${size}x${size}/apps/$APP_ID.png"
    fi
done
if [ -f "$RESOURCES/icons/yespo-console.svg" ]; then
    cp "$RESOURCES/icons/yespo-console.svg" "$HICOLOR/scalable/apps/$APP_ID.svg"
fi
refresh_caches

printf 'installed %s (Exec=%s gui) and icons in %s\n' "$APPS/$APP_ID.desktop" "$QUOTED" "$HICOLOR"
