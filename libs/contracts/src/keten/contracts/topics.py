"""Every Kafka topic of the public contract, in one place."""

from typing import Final

REGISTRATION_COMMANDS: Final = "registration.commands"
PLACEMENT_COMMANDS: Final = "placement.commands"
CAPACITY_COMMANDS: Final = "capacity.commands"
HOUSING_COMMANDS: Final = "housing.commands"

REGISTRATION_EVENTS: Final = "registration.events"
PLACEMENT_EVENTS: Final = "placement.events"
HOUSING_EVENTS: Final = "housing.events"
CAPACITY_EVENTS: Final = "capacity.events"

ALERTS: Final = "alerts"

# Under the simulated clock, the newest event time each service has seen, keyed by service.
CLOCK: Final = "keten.clock"

DLQ_SUFFIX: Final = ".dlq"

COMMAND_TOPICS: Final = (
    REGISTRATION_COMMANDS,
    PLACEMENT_COMMANDS,
    CAPACITY_COMMANDS,
    HOUSING_COMMANDS,
)
EVENT_TOPICS: Final = (REGISTRATION_EVENTS, PLACEMENT_EVENTS, HOUSING_EVENTS, CAPACITY_EVENTS)
# Topics that keep only the newest value of each key (log compaction): a state, not a history.
COMPACTED_TOPICS: Final = (CLOCK,)


def dead_letter_topic(topic: str) -> str:
    """The topic where messages of `topic` that could not be applied are kept."""
    return topic + DLQ_SUFFIX


def all_topics() -> tuple[str, ...]:
    """Every topic the project creates: commands, events, alerts and their dead-letter twins,
    and the compacted ones."""
    primary = (*COMMAND_TOPICS, *EVENT_TOPICS, ALERTS)
    return (*primary, *(dead_letter_topic(t) for t in primary), *COMPACTED_TOPICS)
