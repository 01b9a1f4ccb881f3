"""Matrix: an ``m.room.message`` as a timeline row of Element, Matrix's best-known client.

With ``format`` ``org.matrix.custom.html`` the ``formatted_body`` is shown, rebuilt from
the spec's allowed tags and attributes only (client-server API, "m.room.message
msgtypes", the suggested allow-list): every other tag is dropped (its text kept, but for
``script`` and ``style``, whose text is dropped too), every other attribute dropped, a
link kept only for an ``http``/``https``/``mailto`` URL, a colour only as ``#rrggbb``.
Images (``mxc://``, which a page cannot load) show as their ``alt`` text. Otherwise the
plain ``body`` is shown. ``m.notice`` is grey, as clients show bots' messages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, Final

from .page import document, esc

__all__ = ["ALLOWED_TAGS", "matrix_preview", "sanitise"]

ALLOWED_TAGS: Final = frozenset(
    {
        "font",
        "del",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "p",
        "a",
        "ul",
        "ol",
        "sup",
        "sub",
        "li",
        "b",
        "i",
        "u",
        "strong",
        "em",
        "strike",
        "code",
        "hr",
        "br",
        "div",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "caption",
        "pre",
        "span",
        "img",
        "details",
        "summary",
    }
)
_VOID: Final = frozenset({"br", "hr", "img"})
_DROP_CONTENT: Final = frozenset({"script", "style"})
_COLOUR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_HREF: Final = re.compile(r"(https?|mailto):", re.IGNORECASE)

_CSS: Final = """
body { background: #fff; color: #17191c; }
.avatar { background: #0dbd8b; border-radius: 50%; width: 32px; height: 32px; }
.who { color: #0dbd8b; }
.when { color: #737d8c; }
a { color: #0086e6; }
.notice { color: #5c6470; }
.body blockquote { margin: 4px 0; padding-left: 10px; border-left: 4px solid #e3e8f0; }
.body p { margin: 4px 0; }
.body h1, .body h2, .body h3 { margin: 6px 0; font-size: 17px; }
code { background: #f4f6fa; }
"""


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.dropping += 1
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "img":  # mxc:// cannot load in a page: its alt text stands in
            self.out.append(esc(f"[{values.get('alt') or 'image'}]"))
            return
        kept = []
        if tag == "a" and _HREF.match(values.get("href", "")):
            kept.append(f'href="{esc(values["href"])}"')
        colour = values.get("data-mx-color") or values.get("color") or ""
        if tag in {"font", "span"} and _COLOUR.fullmatch(colour):
            kept.append(f'style="color: {colour}"')
        if tag == "code" and values.get("class", "").startswith("language-"):
            kept.append(f'class="{esc(values["class"])}"')
        self.out.append(f"<{tag}{''.join(' ' + k for k in kept)}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in self.open:
            return
        while self.open:  # close whatever was left open inside it, so tags stay nested
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(esc(data))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitise(formatted_body: str) -> str:
    """``formatted_body`` with only the spec's allowed tags and attributes, all text escaped."""
    parser = _Sanitiser()
    parser.feed(formatted_body)
    return parser.result()


def matrix_preview(content: dict[str, Any], *, sender: str = "Switchboard") -> str:
    formatted = content.get("format") == "org.matrix.custom.html"
    if formatted and isinstance(content.get("formatted_body"), str):
        message = f'<div class="body">{sanitise(content["formatted_body"])}</div>'
    else:
        message = f'<div class="body text">{esc(content.get("body", ""))}</div>'
    notice = " notice" if content.get("msgtype") == "m.notice" else ""
    body = (
        f'<div class="post{notice}"><div class="avatar">{esc(sender[:1])}</div>'
        f'<div class="content"><div><span class="who">{esc(sender)}</span></div>'
        f"{message}</div></div>"
    )
    return document("matrix", body, _CSS)
