#!/usr/bin/env python3
"""Learn alignment's reference statistics again from the bundled registry and write the shipped file.

    .venv/bin/python scripts/alignment-statistics.py          # data/alignment/reference-statistics.tsv.gz
    .venv/bin/python scripts/alignment-statistics.py FILE     # elsewhere

Run it when what alignment compares changes (a node's text or concepts, the policy-domain words):
tests/test_alignment_statistics.py fails until the shipped file is what this writes
(plankg.build.align.statistics says why the statistics are fixed).
"""

import sys

from plankg.build.align.statistics import main

if __name__ == "__main__":
    sys.exit(main())
