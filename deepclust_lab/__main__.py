"""``python -m deepclust_lab``: the same as the ``deepclust-lab`` command."""

import sys

from deepclust_lab.cli import main

sys.exit(main())
