"""The demo is ``losskit demo`` (code in ``losskit.demo``); this script runs it with the same options.

``python examples/demo.py --out DIR`` is ``losskit demo --out DIR``: a small classifier
trained with plain cross-entropy and with focal + L2 + demographic parity from a config
file, a table of test-set scores and a PNG of the per-term loss curves.
"""

from __future__ import annotations

import sys

from losskit.cli import main

if __name__ == "__main__":
    sys.exit(main(["demo", *sys.argv[1:]]))
