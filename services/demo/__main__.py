"""``python -m services.demo [--json] [--keep]``: see the package's docstring."""

import sys

from .main import main

if __name__ == "__main__":
    sys.exit(main())
