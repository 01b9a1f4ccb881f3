"""``python -m switchboard.worker.cli``: the ``switchboard`` command, for a supervisor's
children (``supervisor.py``), which run under the supervisor's own interpreter."""

from . import main

main()
