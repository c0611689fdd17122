"""``python -m services.cli <command>``."""

import sys

from . import main

sys.exit(main())
