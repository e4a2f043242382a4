"""A service made up for the shutdown tests, run as a process of its own through the kernel's
`main()` as every service is: `python -m tests.kernel.shutdown_app`.

Its name (hence its consumer group) and its command topic come from the environment, so that it
shares nothing with other tests' services on the same broker: it consumes `KernelTestDo`
commands (one `KernelTestHappened` event each, published by the relay) and keeps the counters
projection of `KernelTestRecorded` events, which the tests write straight into its store.
"""

from __future__ import annotations

import os

from keten.kernel.service import ServiceSpec, Subscription, main
from tests.kernel.consumer_app import apply_command
from tests.kernel.events_for_tests import KernelTestHappened
from tests.support.counters import Counters

NAME_VARIABLE = "KETEN_SHUTDOWN_TEST_SERVICE"
TOPIC_VARIABLE = "KETEN_SHUTDOWN_TEST_TOPIC"
PROJECTION = "counters"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=os.environ[NAME_VARIABLE],
        default_port=0,
        subscriptions=[
            Subscription("commands", (os.environ[TOPIC_VARIABLE],), {"KernelTestDo": apply_command})
        ],
        projections=[Counters(PROJECTION, "KernelTestRecorded")],
        publishes=[KernelTestHappened],
    )


if __name__ == "__main__":
    main(spec())
