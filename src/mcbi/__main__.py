"""``python -m mcbi``: the command-line interface."""

import sys

from mcbi.cli import main

sys.exit(main())
