"""Creates the deployment's keys when absent: the dead-letter key pair (every service seals
personal data in dead letters with its public half; registration opens them with the private
one).   usage: python infra/keys.py DIRECTORY"""

from __future__ import annotations

import sys
from pathlib import Path

from keten.kernel.sealing import DeadLetterKey

PUBLIC = "dead-letters.pub"
PRIVATE = "dead-letters.key"


def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    public, private = directory / PUBLIC, directory / PRIVATE
    if public.exists() and private.exists():
        return
    DeadLetterKey.generate().write(public, private)
    print(f"keys: dead-letter key pair created in {directory}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
