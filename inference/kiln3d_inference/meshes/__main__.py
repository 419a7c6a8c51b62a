"""`python -m kiln3d_inference.meshes`: see cli.py."""

import sys

from kiln3d_inference.meshes.cli import main

sys.exit(main())
