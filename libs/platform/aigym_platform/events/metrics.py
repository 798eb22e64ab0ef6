"""Prometheus metrics of the event path: backlog, publish latency, consumer lag, retries, dead letters."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

OUTBOX_BACKLOG = Gauge("aigym_events_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "aigym_events_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
PUBLISHED = Counter("aigym_events_published", "Deliveries the broker accepted", ["service", "event_type"])
PUBLISH_LATENCY = Histogram(
    "aigym_events_publish_latency_seconds",
    "Outbox insert to broker acceptance",
    ["service"],
    buckets=_LATENCY_BUCKETS,
)
REDELIVERED = Counter(
    "aigym_events_redelivered",
    "Deliveries published again (receipt deadline passed, broker restarted, relay started)",
    ["service", "reason"],
)
PENDING_RECEIPTS = Gauge(
    "aigym_events_pending_receipts", "Deliveries sent but not yet confirmed by their consumer", ["service"]
)
CONSUMER_LAG = Histogram(
    "aigym_events_consumer_lag_seconds",
    "Event occurred_at to the consumer's committed effect",
    ["handler"],
    buckets=_LATENCY_BUCKETS,
)
HANDLED = Counter("aigym_events_handled", "Deliveries handled, by outcome", ["handler", "outcome"])
RETRIES = Counter("aigym_events_retries", "Handler failures that were scheduled for a retry", ["handler"])
DEAD_LETTERS = Counter("aigym_events_dead_letters", "Events moved to the dead-letter table", ["handler"])
