"""Mattermost: an incoming webhook's post as Mattermost's light theme shows it.

The post's ``text`` (Markdown), then each Slack-style attachment: a bar of its
``color`` on the left, ``pretext`` above it, the author, the ``title`` (a link to
``title_link``), the ``text`` (Markdown) and the ``fields``, two to a row when both are
``short`` and full width otherwise, then the ``footer``. Mattermost turns Slack's
``<url|label>`` links into links; the preview does the same.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .page import document, esc, link, markdown

__all__ = ["mattermost_preview"]

_CSS: Final = """
body { background: #fff; color: #3f4350; }
.avatar { background: #1e325c; border-radius: 50%; }
a { color: #386fe5; }
.badge { background: #e6e6ea; color: #3f4350; }
.attachment { display: flex; margin: 6px 0; border: 1px solid #dddde0; border-radius: 4px; }
.bar { width: 5px; flex: none; border-radius: 4px 0 0 4px; }
.inner { padding: 10px 12px; flex: 1; min-width: 0; }
.pretext { margin: 4px 0; }
.author { font-size: 13px; color: #6b6e78; }
.title { font-weight: 700; font-size: 15px; margin: 2px 0 4px; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 8px; }
.field.long { grid-column: 1 / -1; }
.field h4 { margin: 0; font-size: 14px; }
.footer { font-size: 12px; color: #6b6e78; margin-top: 8px; }
code { background: #f3f3f5; border: 1px solid #dddde0; color: #c7254e; }
"""

_SLACK_LINK: Final = re.compile(r"<(https?://[^|<>\s]+)\|([^<>]+)>|<(https?://[^|<>\s]+)>")
_HEX: Final = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")
_NAMED: Final = {"good": "#2eb886", "warning": "#daa038", "danger": "#a30200"}


def _text(value: object) -> str:
    # Mattermost rewrites <url|label> as [label](url) before rendering Markdown.
    def to_markdown(match: re.Match[str]) -> str:
        url = match[1] or match[3]
        return f"[{match[2] or url}]({url})"

    return markdown(_SLACK_LINK.sub(to_markdown, str(value)))


def _colour(value: object) -> str:
    text = str(value or "")
    if _HEX.fullmatch(text):
        return text
    return _NAMED.get(text, "#dddde0")


def _fields(fields: list[Any]) -> str:
    cells = []
    for field in fields:
        if not isinstance(field, dict):
            continue
        width = "short" if field.get("short") else "long"
        cells.append(
            f'<div class="field {width}"><h4>{esc(field.get("title", ""))}</h4>'
            f'<div class="text">{_text(field.get("value", ""))}</div></div>'
        )
    return f'<div class="fields">{"".join(cells)}</div>' if cells else ""


def _attachment(attachment: dict[str, Any]) -> str:
    parts = []
    if attachment.get("author_name"):
        name = esc(attachment["author_name"])
        parts.append(f'<div class="author">{link(attachment.get("author_link"), name)}</div>')
    if attachment.get("title"):
        title = esc(attachment["title"])
        parts.append(f'<div class="title">{link(attachment.get("title_link"), title)}</div>')
    if attachment.get("text"):
        parts.append(f'<div class="text">{_text(attachment["text"])}</div>')
    parts.append(_fields(attachment.get("fields") or []))
    if attachment.get("footer"):
        parts.append(f'<div class="footer">{esc(attachment["footer"])}</div>')
    pretext = attachment.get("pretext")
    above = f'<div class="pretext text">{_text(pretext)}</div>' if pretext else ""
    bar = f'<div class="bar" style="background: {esc(_colour(attachment.get("color")))}"></div>'
    return f'{above}<div class="attachment">{bar}<div class="inner">{"".join(parts)}</div></div>'


def mattermost_preview(payload: dict[str, Any]) -> str:
    content = f'<div class="text">{_text(payload["text"])}</div>' if payload.get("text") else ""
    attachments = payload.get("attachments") or []
    content += "".join(_attachment(a) for a in attachments if isinstance(a, dict))
    name = esc(payload.get("username") or "webhook")
    body = (
        f'<div class="post"><div class="avatar">M</div><div class="content">'
        f'<div><span class="who">{name}</span><span class="badge">BOT</span></div>'
        f"{content}</div></div>"
    )
    return document("mattermost", body, _CSS)
