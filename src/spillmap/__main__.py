"""``python -m spillmap`` is the ``spillmap`` command."""
from spillmap.cli import run

run()
