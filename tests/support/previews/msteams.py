"""Microsoft Teams: a Workflows webhook's Adaptive Card as Teams' light theme shows it.

Each attachment of ``contentType`` ``application/vnd.microsoft.card.adaptive`` is a card:
its ``body`` of ``TextBlock`` (``size``, ``weight``, ``color``, ``isSubtle``; Markdown's
inline subset, which is what Teams renders in one), ``FactSet`` (a two-column table),
``ColumnSet`` of ``Column``s and ``Container``, and its ``actions`` (``Action.OpenUrl``
as a button linking to its URL). Any other element shows as a note, so a card the preview
cannot show is noticed rather than hidden.
"""

from __future__ import annotations

from typing import Any, Final

from .page import document, esc, link, markdown

__all__ = ["CARD_TYPE", "msteams_preview"]

CARD_TYPE: Final = "application/vnd.microsoft.card.adaptive"

_CSS: Final = """
body { background: #f5f5f5; color: #242424; }
.avatar { background: #5b5fc7; }
a { color: #5b5fc7; }
.card { background: #fff; border-radius: 6px; padding: 14px 16px; margin-top: 6px;
        box-shadow: 0 1px 2px rgba(0,0,0,.14); max-width: 560px; }
.tb { margin: 4px 0; }
.size-small { font-size: 12px; } .size-medium { font-size: 17px; }
.size-large { font-size: 21px; } .size-extraLarge { font-size: 26px; }
.weight-bolder { font-weight: 700; } .weight-lighter { font-weight: 300; }
.color-accent { color: #5b5fc7; } .color-good { color: #0b6a0b; }
.color-warning { color: #835b00; } .color-attention { color: #c4314b; }
.subtle { opacity: .72; }
.separator { border-top: 1px solid #e0e0e0; padding-top: 8px; }
table.facts { border-collapse: collapse; margin: 6px 0; }
.facts td { padding: 2px 12px 2px 0; vertical-align: top; }
.facts td:first-child { font-weight: 700; white-space: nowrap; }
.columns { display: flex; gap: 12px; } .column { flex: 1; min-width: 0; }
.column.auto { flex: none; }
.actions { display: flex; gap: 8px; margin-top: 12px; }
.action { border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 12px; color: #242424;
          font-weight: 600; font-size: 14px; }
.unsupported { color: #c4314b; font-style: italic; }
code { background: #f0f0f0; }
"""

_TOKENS: Final = {
    "size": {"small", "medium", "large", "extraLarge"},
    "weight": {"bolder", "lighter"},
    "color": {"accent", "good", "warning", "attention"},
}


def _classes(element: dict[str, Any]) -> str:
    # Adaptive Cards' enum values are case-insensitive ("Bolder", "bolder").
    by_case = {key: {value.lower(): value for value in allowed} for key, allowed in _TOKENS.items()}
    classes = [
        f"{key}-{by_case[key][str(element[key]).lower()]}"
        for key in _TOKENS
        if str(element.get(key, "")).lower() in by_case[key]
    ]
    if element.get("isSubtle"):
        classes.append("subtle")
    if element.get("separator"):
        classes.append("separator")
    return " ".join(classes)


def _elements(items: object) -> str:
    if not isinstance(items, list):
        return ""
    return "".join(_element(item) for item in items if isinstance(item, dict))


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    classes = _classes(element)
    if kind == "TextBlock":
        text = markdown(str(element.get("text", "")))
        return f'<div class="tb text {classes}">{text}</div>'
    if kind == "FactSet":
        rows = "".join(
            f"<tr><td>{markdown(str(f.get('title', '')))}</td>"
            f'<td class="text">{markdown(str(f.get("value", "")))}</td></tr>'
            for f in element.get("facts") or []
            if isinstance(f, dict)
        )
        return f'<table class="facts {classes}">{rows}</table>'
    if kind == "ColumnSet":
        columns = "".join(
            f'<div class="column{" auto" if c.get("width") == "auto" else ""}">'
            f"{_elements(c.get('items'))}</div>"
            for c in element.get("columns") or []
            if isinstance(c, dict)
        )
        return f'<div class="columns {classes}">{columns}</div>'
    if kind == "Container":
        return f'<div class="container {classes}">{_elements(element.get("items"))}</div>'
    return f'<div class="unsupported">[{esc(kind)}]</div>'


def _action(action: dict[str, Any]) -> str:
    title = esc(action.get("title") or "Open")
    if action.get("type") == "Action.OpenUrl":
        return link(action.get("url"), f'<span class="action">{title}</span>')
    return f'<span class="unsupported">[{esc(action.get("type"))}]</span>'


def _card(card: dict[str, Any]) -> str:
    actions = "".join(_action(a) for a in card.get("actions") or [] if isinstance(a, dict))
    actions_html = f'<div class="actions">{actions}</div>' if actions else ""
    return f'<div class="card">{_elements(card.get("body"))}{actions_html}</div>'


def msteams_preview(payload: dict[str, Any]) -> str:
    cards = [
        a["content"]
        for a in payload.get("attachments") or []
        if isinstance(a, dict)
        and a.get("contentType") == CARD_TYPE
        and isinstance(a.get("content"), dict)
    ]
    body = (
        '<div class="post"><div class="avatar">W</div><div class="content">'
        '<div><span class="who">Workflows</span></div>'
        f"{''.join(_card(card) for card in cards)}</div></div>"
    )
    return document("msteams", body, _CSS)
