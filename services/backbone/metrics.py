"""Prometheus metrics of one service: events appended, published and consumed, handler
latency and failures, relay and consumer lag. Scraped at ``GET /metrics``.

Each service container has its own registry (several containers may share a process in
tests), so the names carry no service label; Prometheus adds the job.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServiceMetrics:
    """The metrics every service exports."""

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_appended = Counter(
            "sc_events_appended", "Events committed to this service's log", registry=r)
        self.events_published = Counter(
            "sc_events_published", "Contract events published by the relay (confirmed)",
            ["type"], registry=r)
        self.events_consumed = Counter(
            "sc_events_consumed", "Upstream events handled, by outcome "
            "(applied, duplicate, parked, replayed, invalid)", ["source", "outcome"], registry=r)
        self.handler_seconds = Histogram(
            "sc_handler_seconds", "Time to apply one upstream event (including catch-up)",
            ["source"], buckets=LATENCY_BUCKETS, registry=r)
        self.handler_failures = Counter(
            "sc_handler_failures", "Failed attempts to apply an upstream event, by kind "
            "(transient: retried until it works; waiting: for another source, retried until it "
            "comes; error: counts towards dead-lettering)",
            ["source", "kind"], registry=r)
        self.http_seconds = Histogram(
            "sc_http_request_seconds", "HTTP requests by route and status",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=r)
        self.relay_lag = Gauge(
            "sc_relay_lag", "Log positions not yet handed to the broker", registry=r)
        self.consumer_lag = Gauge(
            "sc_consumer_lag", "Positions of a source's log delivered here and not applied "
            "yet; a backlog still waiting in the queue is the queue's depth (sc queues, or the "
            "broker's own metrics), which this does not count", ["source"], registry=r)
        self.log_head = Gauge("sc_log_head", "Last position of this service's log", registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
