"""``python -m coursetools``: the same as the ``coursetools`` command (see ``coursetools.cli``)."""
import sys

from coursetools.cli import main

if __name__ == "__main__":
    sys.exit(main())
