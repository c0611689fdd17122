"""The per-address limit on the one unauthenticated write (objections to a notice)."""

import pytest

from services.backbone.kernel.errors import TooManyRequests
from services.backbone.web.ratelimit import SlidingWindowLimit


def test_an_address_is_refused_past_its_share_of_the_window_and_let_in_again_after():
    now = [0.0]
    limit = SlidingWindowLimit(allowed=2, window_seconds=600, clock=lambda: now[0])
    limit.check("10.0.0.1")
    limit.check("10.0.0.1")
    limit.check("10.0.0.2")  # another address has its own share
    with pytest.raises(TooManyRequests) as refused:
        limit.check("10.0.0.1")
    assert refused.value.status == 429 and refused.value.retry_after == 601
    now[0] = 600.5
    limit.check("10.0.0.1")
