"""Slack: a Block Kit message as Slack's light theme shows it.

Blocks: ``header``, ``section`` (``text``, ``fields`` two to a row), ``context`` (small
grey elements in a row), ``divider``; anything else shows as a note. mrkdwn's subset:
``<url|label>`` links, ``<!date^...|fallback>`` as its fallback, ``<!here>``-style
mentions as text, and ``*bold*``, ``_italic_``, ``~strike~``, `` `code` `` (in
``verbatim`` text objects too: ``verbatim`` only stops Slack turning bare URLs and
names into links, which a preview never does). The three
entities Slack escapes (``&amp;``, ``&lt;``, ``&gt;``) are read back before escaping for
HTML.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .page import document, esc, link

__all__ = ["slack_preview"]

_CSS: Final = """
body { background: #fff; color: #1d1c1d; }
.avatar { background: #4a154b; }
a { color: #1264a3; }
.badge { background: #e8e8e8; color: #616061; }
.header { font-size: 18px; font-weight: 900; margin: 2px 0 4px; }
.section { margin: 4px 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin: 6px 0; }
.context { font-size: 12px; color: #616061; display: flex; gap: 8px; flex-wrap: wrap; }
hr { border: 0; border-top: 1px solid #ddd; }
code { background: #f6f6f6; border: 1px solid #ddd; color: #c01343; }
.unsupported { color: #a00; font-style: italic; }
"""

_CONTROL: Final = re.compile(r"<([^<>]*)>")
_FORMAT: Final = re.compile(
    r"(?<![\w*])\*(?=\S)(?P<bold>[^*\n]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)(?P<italic>[^_\n]+?)(?<=\S)_(?![\w_])"
    r"|(?<![\w~])~(?=\S)(?P<strike>[^~\n]+?)(?<=\S)~(?![\w~])"
    r"|`(?P<code>[^`\n]+)`"
)
_TAGS: Final = {"bold": "strong", "italic": "em", "strike": "del", "code": "code"}


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _formatted(text: str) -> str:
    """Plain mrkdwn text (no control sequences) as HTML."""
    out, position = [], 0
    for match in _FORMAT.finditer(text):
        out.append(esc(_unescape(text[position : match.start()])))
        position = match.end()
        kind = match.lastgroup or "code"
        inner = _unescape(match[kind])
        out.append(f"<{_TAGS[kind]}>{esc(inner)}</{_TAGS[kind]}>")
    out.append(esc(_unescape(text[position:])))
    return "".join(out)


def _control(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        return esc(_unescape(label))
    if target.startswith(("!", "@", "#")):  # a mention or a channel: shown as its name
        return f"<strong>@{esc(_unescape(label or target.lstrip('!@#')))}</strong>"
    return link(target, _formatted(label) if label else esc(target))


def mrkdwn(text: str) -> str:
    out, position = [], 0
    for match in _CONTROL.finditer(text):
        out.append(_formatted(text[position : match.start()]))
        out.append(_control(match[1]))
        position = match.end()
    out.append(_formatted(text[position:]))
    return "".join(out)


def _text(obj: Any) -> str:
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn(raw) if obj.get("type") == "mrkdwn" else esc(raw)


def _block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="header">{_text(block.get("text"))}</div>'
    if kind == "section":
        parts = []
        if "text" in block:
            parts.append(f'<div class="section text">{_text(block["text"])}</div>')
        if block.get("fields"):
            cells = "".join(f'<div class="text">{_text(f)}</div>' for f in block["fields"])
            parts.append(f'<div class="fields">{cells}</div>')
        return "".join(parts)
    if kind == "context":
        items = "".join(f"<span>{_text(e)}</span>" for e in block.get("elements", []))
        return f'<div class="context">{items}</div>'
    if kind == "divider":
        return "<hr>"
    return f'<div class="unsupported">[{esc(kind)} block]</div>'


def slack_preview(payload: dict[str, Any]) -> str:
    blocks = payload.get("blocks")
    if blocks:
        content = "".join(_block(block) for block in blocks if isinstance(block, dict))
    else:
        content = f'<div class="text">{mrkdwn(str(payload.get("text", "")))}</div>'
    name = esc(payload.get("username") or "Switchboard")
    body = (
        f'<div class="post"><div class="avatar">S</div><div class="content">'
        f'<div><span class="who">{name}</span><span class="badge">APP</span></div>'
        f"{content}</div></div>"
    )
    return document("slack", body, _CSS)
