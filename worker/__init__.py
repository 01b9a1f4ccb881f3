"""The worker layer: producers, the queue, the dispatcher, delivery, the web app and the CLI.

It builds on ``switchboard.integrations``, which never imports from here.
"""

__all__: list[str] = []
