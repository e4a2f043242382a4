"""The kernel's Prometheus metrics: processed, dead-lettered, consumer lag, relay backlog."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MESSAGES_PROCESSED = Counter(
    "keten_messages_processed_total",
    "Messages consumed and applied (or skipped as duplicates)",
    ["consumer", "topic", "outcome"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "keten_messages_dead_lettered_total",
    "Messages sent to a dead-letter topic",
    ["consumer", "topic", "stage"],
)
CONSUMER_LAG = Gauge(
    "keten_consumer_lag",
    "Messages in the partition after the one last processed",
    ["consumer", "topic", "partition"],
)
RELAY_BACKLOG = Gauge(
    "keten_relay_backlog",
    "Events in the store not yet published to Kafka",
    ["relay"],
)
EVENTS_PUBLISHED = Counter(
    "keten_events_published_total", "Events published to Kafka by the outbox relay", ["relay"]
)
DEAD_LETTERS_PUBLISHED = Counter(
    "keten_dead_letters_published_total",
    "Dead letters published to their dead-letter topics by the outbox relay",
    ["relay"],
)
PROJECTION_EVENTS = Counter(
    "keten_projection_events_total", "Events applied to a projection", ["projection"]
)
TIMERS_FIRED = Counter("keten_timers_fired_total", "Timers fired", ["kind"])
LOOP_STOPPED = Gauge(
    "keten_loop_stopped",
    "1 while a loop (projection, timers) has stopped on something it cannot apply",
    ["loop"],
)
LOOP_STALLED_SECONDS = Gauge(
    "keten_loop_stalled_seconds",
    "Seconds a loop has been trying to store the records it holds without progress",
    ["loop"],
)
PARKED_MESSAGES = Gauge(
    "keten_parked_messages",
    "Messages parked until a fact they need is recorded, by consumer",
    ["consumer"],
)
MESSAGES_UNPARKED = Counter(
    "keten_messages_unparked_total",
    "Parked messages run again, by consumer and outcome",
    ["consumer", "outcome"],
)
