"""``python -m mlmath`` is the ``mlmath`` command."""

from mlmath.cli import main

raise SystemExit(main())
