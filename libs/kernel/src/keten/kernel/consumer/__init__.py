"""Exactly-once effects on consumption: inbox row and effect in one transaction, offset after."""

from keten.kernel.consumer.model import Delivery, Handler, IncomingRecord, Outcome, Rejected
from keten.kernel.consumer.processor import RecordProcessor, Stopping
from keten.kernel.consumer.subscription import subscribe

__all__ = [
    "Delivery",
    "Handler",
    "IncomingRecord",
    "Outcome",
    "RecordProcessor",
    "Rejected",
    "Stopping",
    "subscribe",
]
