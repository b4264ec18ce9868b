"""The program PyInstaller freezes: `yespo-console [COMMAND ...]`, as the `yespo-console` console script."""

import os
import sys

os.environ.setdefault("QT_API", "pyside6")  # qasync looks for a Qt binding by name; only PySide6 is bundled

from yespo_console.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
