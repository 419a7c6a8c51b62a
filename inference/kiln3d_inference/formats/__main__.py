"""`python -m kiln3d_inference.formats`: see formats/cli.py."""

import sys

from kiln3d_inference.formats.cli import main

sys.exit(main())
