"""Make the Windows .ico and the macOS .icns from resources/icons/ (the PNGs, and the SVG for sizes
with no PNG).

    .venv/bin/python packaging/make_icons.py build/icons      # writes yespo-console.ico and yespo-console.icns

Both formats may hold PNG images as they are (ICO since Windows Vista, ICNS since macOS 10.7), so the
containers are written here byte by byte: no Pillow, no iconutil. Sizes with no PNG in the icons folder
(512 and 1024 for macOS) are rendered from the SVG with Qt, offscreen. The PyInstaller spec runs this on
every build; `--check` reads both files back with Qt's ico/icns image plugins.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"  # the package data core.paths.resources_dir finds
STEM = "yespo-console"

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# OSType of each PNG-holding ICNS entry and its pixel size (the @2x types hold the doubled size).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512), (b"ic10", 1024),
)


class IconSource:
    """PNG bytes for any size: the PNG in the icons folder when there is one, else the SVG rendered by Qt."""

    def __init__(self, folder: Path = ICONS) -> None:
        self.folder = folder
        self._cache: dict[int, bytes] = {}

    def png(self, size: int) -> bytes:
        if size not in self._cache:
            path = self.folder / f"{STEM}-{size}.png"
            self._cache[size] = path.read_bytes() if path.exists() else self._render(size)
        return self._cache[size]

    def _render(self, size: int) -> bytes:
        svg = self.folder / f"{STEM}.svg"
        if not svg.exists():
            raise SystemExit(f"make_icons: no {STEM}-{size}.png and no {svg.name} to render it from in {self.folder}")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QBuffer, QByteArray, QIODevice
        from PySide6.QtGui import QGuiApplication, QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer

        _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
        renderer = QSvgRenderer(str(svg))
        if not renderer.isValid():
            raise SystemExit(f"make_icons: Qt cannot read {svg}")
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise SystemExit(f"make_icons: Qt could not encode the {size}px rendering as PNG")
        return bytes(data.data())


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def ico_bytes(source: IconSource, sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size + the PNGs; a size of 256 is written as 0, as the format says."""
    images = []
    for size in sizes:
        data = source.png(size)
        if png_size(data) != (size, size):
            raise SystemExit(f"make_icons: the {size}px icon is {png_size(data)}, not {size}x{size}")
        images.append((size, data))
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = [], []
    for size, data in images:
        side = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset))
        blobs.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(blobs)


def icns_bytes(source: IconSource) -> bytes:
    chunks = []
    for ostype, size in ICNS_TYPES:
        data = source.png(size)
        if png_size(data) != (size, size):
            raise SystemExit(f"make_icons: the {size}px icon is {png_size(data)}, not {size}x{size}")
        chunks.append(ostype + struct.pack(">I", 8 + len(data)) + data)
    body = b"".join(chunks)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out: Path, folder: Path = ICONS) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    source = IconSource(folder)
    ico, icns = out / f"{STEM}.ico", out / f"{STEM}.icns"
    ico.write_bytes(ico_bytes(source))
    icns.write_bytes(icns_bytes(source))
    return ico, icns


def check(paths: tuple[Path, ...]) -> list[str]:
    """Read each file back with Qt's image plugins; one line per file."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImageReader

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    lines = []
    for path in paths:
        reader = QImageReader(str(path))
        count = reader.imageCount()
        sizes = []
        for index in range(max(count, 1)):
            reader.jumpToImage(index)
            image = reader.read()
            if image.isNull():
                raise SystemExit(f"make_icons: Qt cannot read image {index} of {path}: {reader.errorString()}")
            sizes.append(image.width())
        lines.append(f"{path}: {bytes(reader.format().data()).decode()} with {len(sizes)} images, "
                     f"sizes {sorted(set(sizes))}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for yespo-console.ico and yespo-console.icns")
    parser.add_argument("--check", action="store_true", help="read both back with Qt and print what they hold")
    args = parser.parse_args(argv)
    paths = write_icons(args.out)
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    if args.check:
        print("\n".join(check(paths)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
