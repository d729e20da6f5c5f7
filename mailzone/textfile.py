"""The text files users give and the ones mailzone writes: one error that names the file.

Reading: a file that is missing, unreadable or not UTF-8 gives a ``FileProblem`` with
one line naming the file, the problem and the fix (a leading UTF-8 byte-order mark is
dropped, as editors on some systems write one). Writing: the text goes to a temporary
file beside the target, then replaces it, so a failure never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mailzone.errors import MailzoneError

BOM = "\ufeff"


class FileProblem(MailzoneError):
    """A file could not be read or written; ``path`` is the file, the message says why."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        self.problem = message
        super().__init__(f"{path}: {message}")


def read_text(path: Path | str, *, what: str) -> str:
    """The UTF-8 text of ``path`` (``what`` names it for people: "the stack settings").

    Raises ``FileNotFoundError`` when there is no such file (callers decide what that
    means) and ``FileProblem`` for every other failure.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise FileProblem(path, f"{what}: this is a directory, not a file") from None
    except OSError as exc:
        raise FileProblem(path, f"cannot read {what}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(path, f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} on "
                                f"line {line}): save the file as UTF-8") from None
    return text.removeprefix(BOM)


def write_text(path: Path | str, text: str, *, what: str) -> None:
    """Write ``text`` to ``path`` whole or not at all. Raises ``FileProblem``."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise FileProblem(path, f"cannot write {what}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise FileProblem(path, f"cannot write {what}: {exc.strerror}") from None
