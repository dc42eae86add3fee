"""python -m convsuite.conformance.launcher: the `convsuite` command, from a checkout."""

import sys

from convsuite.conformance.launcher.main import main

sys.exit(main())
