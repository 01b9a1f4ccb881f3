"""Hand-written payloads in each service's documented format, of the sample review.

They test the previews of the services whose integrations are not written yet (and
Slack's beside them), and show what the previews expect; once a service's integration
exists, the command renders its real payload instead (``samples.render_payload``).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["EXAMPLES"]

_TITLE: Final = "#42: Fix the parser"
_SUMMARY: Final = "New review from Alice Liddell (Fix it, then Ship it!)"
_URL: Final = "https://rb.example.com/r/42/#review7"
_BODY: Final = "Two nits, then it's good to go."

EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "slack": {
        "text": f"{_TITLE}: {_SUMMARY}: {_URL}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _TITLE}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{_URL}|{_SUMMARY}>"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _BODY}},
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": "*Fix it, then Ship it!*\n⚠️ 2 issues"}],
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Alice Liddell"}]},
        ],
    },
    # Mattermost: Slack-style attachments; text and values are Markdown.
    "mattermost": {
        "username": "Review Board",
        "attachments": [
            {
                "fallback": f"{_TITLE}: {_SUMMARY}: {_URL}",
                "color": "#daa038",
                "pretext": f"[{_SUMMARY}]({_URL})",
                "author_name": "Alice Liddell",
                "author_link": "https://rb.example.com/users/alice/",
                "title": _TITLE,
                "title_link": _URL,
                "text": _BODY,
                "fields": [
                    {"title": "Fix it, then Ship it!", "value": "⚠️ 2 issues", "short": True},
                    {"title": "Repository", "value": "backend", "short": True},
                ],
                "footer": "review.published",
            }
        ],
    },
    # Discord: embeds, colour an integer; mentions off.
    "discord": {
        "content": "",
        "embeds": [
            {
                "title": _TITLE,
                "url": _URL,
                "description": f"**{_SUMMARY}**\n{_BODY}",
                "color": 0xDAA038,
                "author": {"name": "Alice Liddell", "url": "https://rb.example.com/users/alice/"},
                "fields": [
                    {"name": "Fix it, then Ship it!", "value": "⚠️ 2 issues", "inline": True},
                    {"name": "Repository", "value": "backend", "inline": True},
                ],
                "footer": {"text": "review.published"},
                "timestamp": "2026-05-04T09:30:00+00:00",
            }
        ],
        "allowed_mentions": {"parse": []},
    },
    # Teams Workflows: one Adaptive Card (1.5) in a message.
    "msteams": {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.5",
                    "body": [
                        {"type": "TextBlock", "text": _TITLE, "size": "large", "weight": "bolder"},
                        {"type": "TextBlock", "text": f"[{_SUMMARY}]({_URL})", "wrap": True},
                        {"type": "TextBlock", "text": _BODY, "wrap": True},
                        {
                            "type": "FactSet",
                            "facts": [{"title": "Fix it, then Ship it!", "value": "⚠️ 2 issues"}],
                        },
                        {
                            "type": "ColumnSet",
                            "columns": [
                                {
                                    "type": "Column",
                                    "width": "auto",
                                    "items": [
                                        {
                                            "type": "TextBlock",
                                            "text": "Alice Liddell",
                                            "isSubtle": True,
                                            "size": "small",
                                        }
                                    ],
                                },
                                {
                                    "type": "Column",
                                    "items": [
                                        {
                                            "type": "TextBlock",
                                            "text": "review.published",
                                            "isSubtle": True,
                                            "size": "small",
                                        }
                                    ],
                                },
                            ],
                        },
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": "View review", "url": _URL}],
                },
            }
        ],
    },
    # Matrix: m.room.message content, HTML in formatted_body, plain text in body.
    "matrix": {
        "msgtype": "m.notice",
        "body": f"{_TITLE}\n{_SUMMARY}: {_URL}\n{_BODY}\nFix it, then Ship it!: ⚠️ 2 issues",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            f"<strong>{_TITLE}</strong><br>"
            f'<a href="{_URL}">{_SUMMARY}</a>'
            f"<blockquote>{_BODY.replace(chr(39), '&#39;')}</blockquote>"
            '<strong><font data-mx-color="#daa038">Fix it, then Ship it!</font></strong>'
            ": ⚠️ 2 issues"
        ),
    },
}
