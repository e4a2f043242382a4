"""How the domain refuses a command."""

from __future__ import annotations


class Refused(Exception):  # noqa: N818 - a refusal by a rule, not a crash
    """A rule refuses the command. `reason` names the rule and ids, never personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
