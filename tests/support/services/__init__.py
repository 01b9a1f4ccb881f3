"""Stand-ins for the chat services: each checks a request as the real service does,
written from its documentation, and answers what it would (``RecordingSink.validate``)."""

from __future__ import annotations

from switchboard.testing import Received

__all__ = ["posted"]


def posted(
    path: str,
    body: bytes,
    content_type: str | None = "application/json",
    query: dict[str, str] | None = None,
) -> Received:
    """A POST of ``body`` to ``path`` as a stand-in receives it, for checking it directly."""
    lines = (("Content-Type", content_type),) if content_type else ()
    return Received(
        path=path,
        method="POST",
        headers=dict(lines),
        body=body,
        header_lines=lines,
        query=query or {},
    )
