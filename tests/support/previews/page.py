"""What every preview shares: escaping, the page around a message, Markdown's inline subset.

Safety is by construction: every string from a payload reaches the page through
``esc`` (text and attribute values alike), and the only markup added is fixed tags
around text already escaped. A link is kept only for an ``http``/``https`` URL. The page
also forbids script and remote loads (a Content-Security-Policy), a second wall; the
hostile-text test turns it off (``bypass_csp``) to prove the escaping alone holds.
"""

from __future__ import annotations

import html
import re
from typing import Final

__all__ = ["CSP", "document", "esc", "link", "markdown", "safe_href"]

#: No script, no remote anything: a preview is one self-contained page.
CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_BASE_CSS: Final = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.46 "Noto Sans", "DejaVu Sans", sans-serif, "Noto Color Emoji"; }
main { width: 720px; padding: 16px 20px; }
a { text-decoration: none; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; padding: 1px 3px;
       border-radius: 3px; }
.avatar { width: 36px; height: 36px; border-radius: 4px; flex: none; display: flex;
          align-items: center; justify-content: center; font-weight: 700; color: #fff; }
.post { display: flex; gap: 8px; }
.post > .content { flex: 1; min-width: 0; }
.who { font-weight: 700; }
.badge { font-size: 10px; font-weight: 700; padding: 1px 4px; border-radius: 3px;
         margin-left: 4px; vertical-align: 2px; }
.when { font-size: 12px; margin-left: 6px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def esc(value: object) -> str:
    """``value`` as HTML text, safe in an element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def safe_href(url: object) -> str | None:
    if isinstance(url, str) and re.match(r"https?://", url, re.IGNORECASE):
        return esc(url)
    return None


def link(url: object, label_html: str) -> str:
    """``label_html`` (already escaped) as a link to ``url``, or as it is for no URL."""
    href = safe_href(url)
    return f'<a href="{href}">{label_html}</a>' if href else label_html


def document(service: str, body: str, css: str) -> str:
    """A whole page: the message's markup ``body`` in ``<main>``, the service's ``css``."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{esc(service)} preview</title><style>{_BASE_CSS}{css}</style></head>"
        f'<body><main class="preview {esc(service)}">{body}</main></body></html>\n'
    )


# Markdown's inline subset, as Mattermost, Discord and Teams render it: a backslash
# escape, [label](url), **bold**, ~~strike~~, `code`, *italic* or _italic_.
_INLINE: Final = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|~~(?P<strike>.+?)~~"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*\\])(?P<mark>[*_])(?=\S)(?P<italic>.+?)(?<=\S)(?P=mark)(?![\w*])",
    re.DOTALL,
)


def markdown(text: str) -> str:
    """``text`` (Markdown) as escaped HTML with its inline formatting; newlines stay
    newlines (the previews' text is ``white-space: pre-wrap``)."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(esc(text[position : match.start()]))
        position = match.end()
        if match["escaped"] is not None:
            out.append(esc(match["escaped"]))
        elif match["label"] is not None:
            out.append(link(match["url"], markdown(match["label"])))
        elif match["bold"] is not None:
            out.append(f"<strong>{markdown(match['bold'])}</strong>")
        elif match["strike"] is not None:
            out.append(f"<del>{markdown(match['strike'])}</del>")
        elif match["code"] is not None:
            out.append(f"<code>{esc(match['code'])}</code>")
        else:
            out.append(f"<em>{markdown(match['italic'])}</em>")
    out.append(esc(text[position:]))
    return "".join(out)
