"""Prometheus metrics of one service: events appended, published and consumed, handler
latency and failures, relay and consumer lag. Scraped at ``GET /metrics``.

Each service container has its own registry (several containers may share a process in
tests), so the names carry no service label; Prometheus adds the job.
"""

import logging
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from services.backbone.ops.polling import PROBE_SECONDS, within

log = logging.getLogger(__name__)

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
            "(applied, duplicate, parked, replayed, invalid, forged: refused as not its source's)", ["source", "outcome"], registry=r)
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
        self.scrape_errors = Counter(
            "sc_metrics_scrape_errors", "Gauges that could not be read at a scrape (the store "
            "not answering); they showed NaN", ["gauge"], registry=r)

    def read_at_scrape(self, gauge: Gauge, name: str, read: Callable[[], float]) -> None:
        """Sets ``gauge`` from ``read()`` at every scrape. A read that fails or does not
        answer within ``PROBE_SECONDS`` (the store is down: the relay's lag and the log's
        head are queries) shows as NaN and is counted in ``sc_metrics_scrape_errors``:
        /metrics must still answer during an outage, when the other figures matter most."""

        def guarded() -> float:
            try:
                return within(PROBE_SECONDS, read, name)
            except Exception as error:  # reported in the exposition, never raised
                self.scrape_errors.labels(name).inc()
                log.warning("metric %s not read: %s: %s", name, type(error).__name__, error)
                return float("nan")

        gauge.set_function(guarded)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
