"""A Teams Workflows webhook, as its documentation says it judges a request.

The real trigger answers ``202 Accepted`` (empty) as soon as the flow run is queued, and a
card Teams cannot post fails inside the run, unseen by the sender. So this stand-in checks
up front everything the run would refuse, and answers a refused card with a Logic Apps
error (``400 {"error": {"code": ..., "message": ...}}``) the tests see. The rules, from
https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
the Adaptive Card schema (adaptivecards.io) and Teams' card formatting page
(docs/research: chat-formats.md, §4):

* POST, ``application/json``, at most 28 KB (28,000 bytes here, the strict reading);
* the URL's ``sig`` is the Workflow's (401 ``DirectApiAuthorizationRequired`` without it);
* ``{"type": "message", "attachments": [...]}``, each attachment
  ``contentType: application/vnd.microsoft.card.adaptive`` with ``content`` a card;
* the card: ``type: AdaptiveCard``, a ``version`` from 1.0 to 1.5, ``body`` a list of known
  elements, ``actions`` of the kinds a webhook may carry (no ``Action.Submit``);
* ``TextBlock``: a string ``text`` and only its own properties, with their enum values;
  ``FactSet``: ``facts``, each exactly a string ``title`` and a string ``value``;
  ``Action.OpenUrl``: an absolute http(s) ``url``.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from switchboard.testing import Answer, Received

__all__ = ["PATH", "QUERY", "SIG", "accepted", "answer", "check", "violations"]

#: Where the tests' Workflow lives on the sink (the shape of a Logic Apps trigger URL).
PATH: Final = "/workflows/0a1b2c3d/triggers/manual/paths/invoke"
SIG: Final = "s3cr3t-signature"
QUERY: Final = f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}"
MAX_BYTES: Final = 28_000
VERSIONS: Final = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"})

ELEMENTS: Final = frozenset(
    {
        "TextBlock",
        "FactSet",
        "ColumnSet",
        "Column",
        "Container",
        "Image",
        "ImageSet",
        "RichTextBlock",
        "ActionSet",
        "Table",
    }
)
ACTIONS: Final = frozenset({"Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"})
_CARD_KEYS: Final = {"$schema", "type", "version", "body", "actions", "msteams", "fallbackText"}
_COMMON: Final = {
    "type",
    "id",
    "spacing",
    "separator",
    "isVisible",
    "height",
    "horizontalAlignment",
}
_TEXT_BLOCK: Final[dict[str, type | set[str]]] = {
    "text": str,
    "wrap": bool,
    "isSubtle": bool,
    "maxLines": int,
    "weight": {"Default", "Lighter", "Bolder"},
    "size": {"Default", "Small", "Medium", "Large", "ExtraLarge"},
    "color": {"Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"},
    "fontType": {"Default", "Monospace"},
    "style": {"default", "heading"},
}


def answer(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    """A Logic Apps error answer."""
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return Answer(
        status=status, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


def accepted() -> Answer:
    """What the trigger answers a request it queued."""
    return Answer(status=202, body=b"")


def check(request: Received) -> Answer | None:
    if request.query.get("sig") != SIG:
        return answer(401, "DirectApiAuthorizationRequired", "The request must be signed.")
    problems = violations(request)
    if not problems:
        return None
    return answer(400, "InvalidRequestContent", problems[0])


def violations(request: Received) -> list[str]:
    """Every rule the request breaks, where and why."""
    if request.method != "POST":
        return [f"method {request.method}"]
    if (request.header("Content-Type") or "").split(";")[0].strip() != "application/json":
        return ["not application/json"]
    if len(request.body) > MAX_BYTES:
        return [f"The payload is too large ({len(request.body)} bytes, over 28 KB)."]
    try:
        payload = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return ["not JSON"]
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return ['not {"type": "message", ...}']
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return ["attachments is not a non-empty list"]
    problems = []
    for n, attachment in enumerate(attachments):
        where = f"/attachments/{n}"
        if not isinstance(attachment, dict) or attachment.get("contentType") != (
            "application/vnd.microsoft.card.adaptive"
        ):
            problems.append(f"{where}: not an Adaptive Card attachment")
        elif attachment.get("contentUrl") is not None:
            problems.append(f"{where}/contentUrl: must be null")
        else:
            problems += _card(attachment.get("content"), f"{where}/content")
    return problems


def _card(card: Any, where: str) -> list[str]:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [f"{where}: not an AdaptiveCard"]
    problems = [f"{where}/{key}: unknown" for key in sorted(set(card) - _CARD_KEYS)]
    if card.get("version") not in VERSIONS:
        problems.append(f"{where}/version: {card.get('version')!r}")
    body = card.get("body", [])
    if not isinstance(body, list):
        return [*problems, f"{where}/body: not a list"]
    for n, element in enumerate(body):
        problems += _element(element, f"{where}/body/{n}")
    actions = card.get("actions", [])
    if not isinstance(actions, list):
        return [*problems, f"{where}/actions: not a list"]
    for n, action in enumerate(actions):
        problems += _action(action, f"{where}/actions/{n}")
    return problems


def _element(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict) or element.get("type") not in ELEMENTS:
        return [f"{where}: unknown element"]
    if element["type"] == "TextBlock":
        text = element.get("text")
        if not isinstance(text, str) or not text:
            return [f"{where}/text: required"]
        problems = []
        for key, value in element.items():
            rule = _TEXT_BLOCK.get(key)
            if rule is None:
                if key not in _COMMON:
                    problems.append(f"{where}/{key}: unknown")
            elif isinstance(rule, type):
                if type(value) is not rule:
                    problems.append(f"{where}/{key}: not {rule.__name__}")
            elif value not in rule:
                problems.append(f"{where}/{key}: {value!r}")
        return problems
    if element["type"] == "FactSet":
        facts = element.get("facts")
        if not isinstance(facts, list) or not facts:
            return [f"{where}/facts: required"]
        return [
            f"{where}/facts/{n}: needs exactly a string title and value"
            for n, fact in enumerate(facts)
            if not isinstance(fact, dict)
            or set(fact) != {"title", "value"}
            or not all(isinstance(v, str) for v in fact.values())
        ]
    return []


def _action(action: Any, where: str) -> list[str]:
    if not isinstance(action, dict) or action.get("type") not in ACTIONS:
        return [f"{where}: not an action a webhook card may carry"]
    if action["type"] == "Action.OpenUrl":
        url = action.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return [f"{where}/url: not an absolute http(s) URL"]
    return []
