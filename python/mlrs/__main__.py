"""`python -m mlrs`: the same command as `mlrs`."""

import sys

from mlrs._cli import main

sys.exit(main())
