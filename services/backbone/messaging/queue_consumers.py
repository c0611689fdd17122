"""nameko's queue consumer, stopping within a fifth of a second.

kombu's consume loop notices a stop only between waits for the broker, and nameko waits a
whole second there: a container's stop waited for three such loops in turn (its RPC
consumer, its subscriptions' consumer, then the consumer's thread), 3 s for every stop.
"""

from nameko.messaging import QueueConsumer
from nameko.rpc import RpcConsumer

STOP_NOTICED_WITHIN_SECONDS = 0.2


class PromptQueueConsumer(QueueConsumer):
    """A queue consumer whose loop looks for a stop every ``STOP_NOTICED_WITHIN_SECONDS``."""

    def consume(self, limit=None, timeout=None, safety_interval=STOP_NOTICED_WITHIN_SECONDS, **kwargs):
        return super().consume(limit=limit, timeout=timeout, safety_interval=safety_interval, **kwargs)


class PromptRpcConsumer(RpcConsumer):
    """nameko's RPC consumer on a ``PromptQueueConsumer``."""

    queue_consumer = PromptQueueConsumer()
