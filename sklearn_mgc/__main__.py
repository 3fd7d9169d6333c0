"""``python -m sklearn_mgc``: the ``sklearn-mgc`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
