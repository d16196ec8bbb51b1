"""``python -m spillmap`` is the ``spillmap`` command."""
from spillmap.cli import main

raise SystemExit(main())
