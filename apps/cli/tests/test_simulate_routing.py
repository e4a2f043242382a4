"""Run ids land on one partition, as Kafka's default partitioner places keys."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from keten.cli.simulate.routing import IdMaker, common_modulus, partition_of


def test_partition_of_agrees_with_the_producers_partitioner() -> None:
    partitioner = DefaultPartitioner()
    for key in ("sim-demo-1-c000001", "GM0014", "case-42", "x"):
        for count in (1, 3, 7):
            expected = partitioner(key.encode(), list(range(count)), list(range(count)))
            assert partition_of(key, count) == expected


def test_ids_are_numbered_uniquely_and_land_on_partition_zero() -> None:
    ids = IdMaker("sim-demo-1", common_modulus([3, 3, 2]))
    made = [ids.make("c") for _ in range(200)]
    assert len(set(made)) == 200
    assert all(partition_of(i, 3) == 0 and partition_of(i, 2) == 0 for i in made)
    assert made == sorted(made)


def test_the_common_modulus_covers_every_partition_count() -> None:
    assert common_modulus([3, 3, 3]) == 3
    assert common_modulus([3, 2]) == 6
    assert common_modulus([]) == 1
