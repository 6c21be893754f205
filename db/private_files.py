"""Files that hold people's data are created readable by the owner only.

The SQLite database (and the -wal/-shm files SQLite creates with the database's own
mode), backups and outbox .eml files hold addresses and live links: 0600, and any
folder we create for them 0700. Folders that already exist are left as they are.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as 0700; an existing folder is unchanged."""
    if path.is_dir():
        return
    private_dir(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    # mkdir's mode is filtered through the umask; make it exact.
    path.chmod(DIR_MODE)


def create_private(path: Path, *, exclusive: bool = False, make_parents: bool = True) -> None:
    """Make sure ``path`` exists with mode 0600; an existing file is tightened if ours.

    With ``exclusive`` an existing file is an error (FileExistsError).
    """
    if make_parents:
        private_dir(path.parent)
    if path.exists() and not exclusive:
        with contextlib.suppress(PermissionError):  # someone else's file: theirs to decide
            path.chmod(FILE_MODE)
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    # os.open's mode is filtered through the umask, which can only remove bits: exact now.
    os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new 0600 file at ``path``."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
