"""How a decision ends when it does not take effect: refused, or not yet.

`Refused(reason)` sends the message to its dead letters. `NotYet(stream, what)` parks it in the
service's store until `stream` (a stream of the same store, where the missing fact is recorded)
grows past the version the decision saw; then it runs again, in its own event time. The
exceptions carry them out of a handler.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refused:
    """A business rule refuses the message; `reason` names the rule and ids, never personal
    data: it travels in the dead letter's headers."""

    reason: str


@dataclass(frozen=True)
class NotYet:
    """The message needs a fact this service has not recorded yet: `stream` is where it will be
    recorded, `what` says what it is ("application centre AC-1"). The message is ready once the
    stream has grown past `after_version`, the version the decision saw (0: the stream did not
    exist), so a fact recorded while the decision was taken is never missed."""

    stream: str
    what: str
    after_version: int = 0


Verdict = Refused | NotYet


class Rejected(Exception):  # noqa: N818 - a refusal by a business rule, not a crash
    """Raised for a `Refused` message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Parked(Exception):  # noqa: N818 - a wait, not a crash
    """Raised for a message that must wait (`NotYet`)."""

    def __init__(self, not_yet: NotYet) -> None:
        super().__init__(f"waits for {not_yet.what}")
        self.not_yet = not_yet


def settle(verdict: Verdict | None) -> None:
    """Raises what the verdict asks for; a decision without one (done) passes."""
    if isinstance(verdict, Refused):
        raise Rejected(verdict.reason)
    if isinstance(verdict, NotYet):
        raise Parked(verdict)
