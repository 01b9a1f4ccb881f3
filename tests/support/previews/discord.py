"""Discord: a webhook message as Discord's dark theme shows it.

The ``content`` (Markdown), then each embed: a bar of its ``color`` (an integer) on the
left, the ``author``, the ``title`` (a link to ``url``), the ``description`` (Markdown),
the ``fields`` (``inline`` ones up to three to a row, the others full width), and the
``footer`` with the ``timestamp``. Mentions are text: the payload's ``allowed_mentions``
decides whether anyone is notified, not how the message looks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from .page import document, esc, link, markdown

__all__ = ["discord_preview"]

_CSS: Final = """
body { background: #313338; color: #dbdee1; }
.avatar { background: #5865f2; border-radius: 50%; width: 40px; height: 40px; }
.who { color: #f2f3f5; }
a { color: #00a8fc; }
.badge { background: #5865f2; color: #fff; }
.embed { display: flex; margin-top: 6px; max-width: 520px; background: #2b2d31;
         border-radius: 4px; }
.bar { width: 4px; flex: none; border-radius: 4px 0 0 4px; }
.inner { padding: 8px 16px 12px 12px; flex: 1; min-width: 0; font-size: 14px; }
.author { font-size: 14px; font-weight: 600; color: #f2f3f5; margin-top: 4px; }
.author a { color: #f2f3f5; }
.title { font-size: 16px; font-weight: 600; color: #f2f3f5; margin-top: 6px; }
.description { margin-top: 6px; }
.fields { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-top: 8px; }
.field.block { grid-column: 1 / -1; }
.field .name { font-weight: 600; color: #f2f3f5; }
.footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
code { background: #1e1f22; color: #dbdee1; }
"""


def _colour(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
        return f"#{value:06x}"
    return "#1e1f22"  # Discord draws an embed with no colour with a dark bar


def _when(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return esc(value)


def _fields(fields: list[Any]) -> str:
    cells = []
    for field in fields:
        if not isinstance(field, dict):
            continue
        width = "inline" if field.get("inline") else "block"
        cells.append(
            f'<div class="field {width}"><div class="name">{markdown(str(field.get("name", "")))}'
            f'</div><div class="text">{markdown(str(field.get("value", "")))}</div></div>'
        )
    return f'<div class="fields">{"".join(cells)}</div>' if cells else ""


def _embed(embed: dict[str, Any]) -> str:
    parts = []
    author = embed.get("author")
    if isinstance(author, dict) and author.get("name"):
        name = esc(author["name"])
        parts.append(f'<div class="author">{link(author.get("url"), name)}</div>')
    if embed.get("title"):
        title = markdown(str(embed["title"]))  # Discord renders a title's emphasis
        parts.append(f'<div class="title">{link(embed.get("url"), title)}</div>')
    if embed.get("description"):
        text = markdown(str(embed["description"]))
        parts.append(f'<div class="description text">{text}</div>')
    parts.append(_fields(embed.get("fields") or []))
    footer = embed.get("footer")
    bits = [esc(footer["text"])] if isinstance(footer, dict) and footer.get("text") else []
    if embed.get("timestamp"):
        bits.append(_when(embed["timestamp"]))
    if bits:
        parts.append(f'<div class="footer">{" • ".join(bits)}</div>')
    bar = f'<div class="bar" style="background: {_colour(embed.get("color"))}"></div>'
    return f'<div class="embed">{bar}<div class="inner">{"".join(parts)}</div></div>'


def discord_preview(payload: dict[str, Any]) -> str:
    content = payload.get("content")
    html = f'<div class="text">{markdown(str(content))}</div>' if content else ""
    html += "".join(_embed(e) for e in payload.get("embeds") or [] if isinstance(e, dict))
    name = esc(payload.get("username") or "Switchboard")
    body = (
        f'<div class="post"><div class="avatar">D</div><div class="content">'
        f'<div><span class="who">{name}</span><span class="badge">APP</span></div>'
        f"{html}</div></div>"
    )
    return document("discord", body, _CSS)
