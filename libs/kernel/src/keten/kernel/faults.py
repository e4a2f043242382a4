"""Which faults pass by themselves and which belong to one record: one place for the rule.

- An **outage** (connection lost, database restarting or refusing connections) is waited out:
  the work is tried again, unchanged, until the database answers.
- **Contention** (a serialisation failure, a deadlock, a lock timeout, a stream extended by
  someone else) is retried in a new transaction: a valid command is never refused for it.
- Anything else is a **record fault**: the same record fails the same way again, so it is
  isolated from its batch and dead-lettered (or, for a projection or a timer, stops that loop
  visibly).

asyncpg's client-side `DataError` (a value that cannot be encoded) is an `InterfaceError`,
which otherwise means a broken connection: it is a record fault, and is tested first.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import asyncpg
from asyncpg.exceptions import _base as asyncpg_base

from keten.kernel.eventstore import ConcurrencyError


class Fault(StrEnum):
    OUTAGE = "outage"
    CONTENTION = "contention"
    RECORD = "record"


_RECORD_FIRST: Final = (asyncpg_base.DataError,)
_OUTAGE: Final = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
_CONTENTION: Final = (
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.LockNotAvailableError,
    ConcurrencyError,
)


def classify(error: BaseException) -> Fault:
    if isinstance(error, _RECORD_FIRST):
        return Fault.RECORD
    if isinstance(error, _OUTAGE):
        return Fault.OUTAGE
    if isinstance(error, _CONTENTION):
        return Fault.CONTENTION
    return Fault.RECORD


def is_transient(error: BaseException) -> bool:
    """An outage or contention: trying again later can succeed."""
    return classify(error) is not Fault.RECORD
