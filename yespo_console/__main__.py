import sys

from yespo_console.cli.main import main

sys.exit(main())
