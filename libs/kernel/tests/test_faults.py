"""Which faults are waited out, retried, or belong to one record."""

from __future__ import annotations

import asyncpg
from asyncpg.exceptions import _base as asyncpg_base

from keten.kernel.eventstore import ConcurrencyError
from keten.kernel.faults import Fault, classify


def test_outages_contention_and_record_faults_are_told_apart() -> None:
    assert classify(ConnectionResetError()) is Fault.OUTAGE
    assert classify(asyncpg.ConnectionDoesNotExistError("gone")) is Fault.OUTAGE
    assert classify(asyncpg.CannotConnectNowError("starting")) is Fault.OUTAGE
    assert classify(asyncpg.AdminShutdownError("shutting down")) is Fault.OUTAGE
    assert classify(asyncpg.SerializationError("conflict")) is Fault.CONTENTION
    assert classify(asyncpg.DeadlockDetectedError("deadlock")) is Fault.CONTENTION
    assert classify(asyncpg.LockNotAvailableError("lock timeout")) is Fault.CONTENTION
    assert classify(ConcurrencyError("stream moved")) is Fault.CONTENTION
    assert classify(asyncpg.CharacterNotInRepertoireError("NUL")) is Fault.RECORD
    assert classify(OverflowError("date value out of range")) is Fault.RECORD
    assert classify(KeyError("x")) is Fault.RECORD


def test_the_client_side_data_error_is_a_record_fault_though_it_is_an_interface_error() -> None:
    error = asyncpg_base.DataError("invalid input for query argument $1")

    assert isinstance(error, asyncpg.InterfaceError)
    assert classify(error) is Fault.RECORD
