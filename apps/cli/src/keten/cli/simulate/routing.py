"""Subject ids that Kafka's default partitioner puts on one partition.

Kafka keeps order only within a partition. Every case and location id of a run is chosen so
that its key hashes (murmur2, as the Java client and aiokafka do) to partition 0 of every topic;
the services key their events by the same ids. The consumers therefore see all of a run's case
and location messages in the order the simulator published them, and decisions that compete for
places or quota come out the same on every run with the same seed.
"""

from __future__ import annotations

from collections import defaultdict
from math import lcm

from aiokafka.partitioner import murmur2


def partition_of(key: str, partitions: int) -> int:
    """The partition the default partitioner picks for `key` among `partitions`."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


def common_modulus(partition_counts: list[int]) -> int:
    """A key on partition 0 modulo this number is on partition 0 of every listed topic."""
    return lcm(*partition_counts) if partition_counts else 1


class IdMaker:
    """Numbered ids (`<run>-c000017`) that land on partition 0; numbers that would not are
    skipped, so the numbering has gaps."""

    def __init__(self, run_id: str, partitions: int) -> None:
        self._run_id = run_id
        self._partitions = partitions
        self._next: defaultdict[str, int] = defaultdict(lambda: 1)

    def make(self, kind: str, width: int = 6) -> str:
        while True:
            number = self._next[kind]
            self._next[kind] = number + 1
            candidate = f"{self._run_id}-{kind}{number:0{width}d}"
            if partition_of(candidate, self._partitions) == 0:
                return candidate
