"""``python -m jamtail``: the ``jamtail`` command (:func:`jamtail.cli.main`)."""

import sys

from jamtail.cli import main

sys.exit(main())
