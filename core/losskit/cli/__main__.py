"""``python -m losskit.cli``: the same as the ``losskit`` command."""

import sys

from . import main

sys.exit(main())
