"""The delivery API's types, as an integration author builds them."""

from __future__ import annotations

import pytest

from switchboard.integrations import DeliveryRequest


@pytest.mark.parametrize("owned", ["webhook-id", "Host", "Transfer-Encoding"])
def test_a_delivery_request_cannot_carry_a_header_the_engine_sets(owned: str) -> None:
    with pytest.raises(ValueError, match=f"the delivery engine sets {owned} itself"):
        DeliveryRequest("https://example.com/", headers={owned: "x"})
