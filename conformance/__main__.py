"""python -m conformance (from a checkout) and python -m convsuite.conformance: see cli.py."""

import sys

from convsuite.conformance.cli import entry

if __name__ == "__main__":
    sys.exit(entry())
