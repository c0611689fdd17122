import pytest

from tests.support.broker import UpstreamLog
from tests.support.fixtures import batch_opened_payload
from tests.support.platform import wait_until


@pytest.fixture
def evaluation_log(platform):
    """Evaluation's events, published by the test (the real service is tested elsewhere)."""
    log = UpstreamLog(platform.config, "evaluation")
    yield log
    log.close()


@pytest.fixture
def registry_log(platform):
    """The registry's events, published by the test (the real one runs elsewhere)."""
    log = UpstreamLog(platform.config, "registry")
    yield log
    log.close()


def open_batch(platform, upstream: UpstreamLog, **kwargs) -> str:
    payload = batch_opened_payload(**kwargs)
    upstream.emit("BatchOpened", payload)
    wait_until(lambda: platform.app("registry").last_position("evaluation") >= upstream.position,
               message="registry to record the batch")
    return payload["batch_id"]
