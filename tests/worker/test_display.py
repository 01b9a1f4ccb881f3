"""``worker/display.py``: what the CLI and the API show of a configuration's settings.

A URL shows its scheme, host and path; whatever may be a credential (a password, a user
alone, any query value, a fragment) is masked, whatever the parameter is called.
"""

from __future__ import annotations

import pytest

from switchboard.worker.display import MASK, masked_settings, masked_url, unmasked_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://x.example/hook?token=S3CRET", f"https://x.example/hook?token={MASK}"),
        ("https://x.example/hook?code=S3CRET&v=2", f"https://x.example/hook?code={MASK}&v={MASK}"),
        ("https://user:S3CRET@x.example/h", f"https://user:{MASK}@x.example/h"),
        ("https://S3CRET@x.example/h", f"https://{MASK}@x.example/h"),
        ("https://x.example/h?S3CRET", f"https://x.example/h?{MASK}"),
        ("https://x.example/h#S3CRET", f"https://x.example/h#{MASK}"),
        ("http://[::1]:8080/h", "http://[::1]:8080/h"),
        ("https://x.example/plain/path", "https://x.example/plain/path"),
    ],
)
def test_a_url_keeps_what_names_the_endpoint_and_masks_the_rest(url: str, shown: str) -> None:
    assert masked_url(url) == shown
    assert "S3CRET" not in masked_url(url)


def test_a_url_that_cannot_be_read_is_masked_whole() -> None:
    assert masked_url("https://x.example:S3CRET/h") == MASK


def test_settings_mask_secrets_and_urls_alone_or_in_lists() -> None:
    shown = masked_settings(
        {
            "url": "https://x.example/h?token=S3CRET",
            "mirrors": ["https://y.example/?k=S3CRET", "not a url"],
            "secret": "S3CRET",
            "unset_secret": None,
            "count": 3,
        },
        frozenset({"secret", "unset_secret"}),
    )
    assert shown == {
        "url": f"https://x.example/h?token={MASK}",
        "mirrors": [f"https://y.example/?k={MASK}", "not a url"],
        "secret": MASK,
        "unset_secret": None,
        "count": 3,
    }


def test_an_edited_masked_url_takes_back_what_its_masks_hide() -> None:
    stored = "https://u:pw@h.example.com/in?token=T0K&v=2&token=T2#frag"
    shown = masked_url(stored)
    assert unmasked_url(shown, stored) == stored
    moved = shown.replace("/in", "/in2").replace("v=********", "v=3")
    assert (
        unmasked_url(moved, stored) == "https://u:pw@h.example.com/in2?token=T0K&v=3&token=T2#frag"
    )
    assert unmasked_url(masked_url("https://T0K@h/x"), "https://T0K@h/x") == "https://T0K@h/x"
    assert unmasked_url(shown + "&new=********", stored) is None  # nothing to give back
    assert unmasked_url(shown.replace("u:", "someone-else:"), stored) is None
