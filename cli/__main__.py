import sys

from penwright.cli.main import main

sys.exit(main())
