"""``python -m penwright`` opens the editor, as the ``penwright`` command does."""

import sys

from penwright.app.main import main

sys.exit(main())
