"""The include lock: what each sender's SPF include resolved to at the last plan.

Providers change their SPF records. ``mailzone plan`` resolves every sender's
include tree and records it here (``mailzone.lock.json`` beside the stack
file): include -> the lookups it costs and the SPF text of every name in its
tree. A later plan that resolves an include differently warns with the
lookups before and after and the terms that changed (``describe_change``), so
a provider adding lookups is seen before it breaks a budget, the way some DNS
tools keep an SPF cache. Commit the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailzone.dns.resolver import normalize_name
from mailzone.errors import MailzoneError
from mailzone.textfile import FileProblem, read_text, write_text

#: The lock file's name, beside ``Pulumi.<stack>.yaml``.
LOCK_FILE_NAME = "mailzone.lock.json"
LOCK_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class LockEntry:
    """What one include resolved to: its lookup cost and the SPF text of every name."""

    lookups: int
    records: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"lookups": self.lookups, "records": dict(sorted(self.records.items()))}


@dataclass(frozen=True, slots=True)
class Lock:
    includes: Mapping[str, LockEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": LOCK_SCHEMA_VERSION,
            "about": (
                "mailzone plan: what each sender's SPF include resolved to. Commit this "
                "file; a plan warns (plan-include-changed) when a provider's record changes."
            ),
            "includes": {k: v.to_json() for k, v in sorted(self.includes.items())},
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


class LockFileError(MailzoneError):
    """The lock file cannot be read or written; the message names the file and the fix."""


def parse_lock(text: str, *, source: str = LOCK_FILE_NAME) -> Lock:
    """Read a lock from its JSON text. Raises ``LockFileError``."""
    # Never advise deleting it: the lock is what the last plan saw of every include.
    fix = (f"restore {source} from version control, or plan with --no-lock (or --lock "
           "another file) to leave it alone")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockFileError(f"{source} is not JSON ({exc}): {fix}") from None
    if not isinstance(data, dict) or data.get("schema_version") != LOCK_SCHEMA_VERSION:
        raise LockFileError(
            f"{source} is not a mailzone lock of schema_version {LOCK_SCHEMA_VERSION}: {fix}")
    raw = data.get("includes")
    if not isinstance(raw, dict):
        raise LockFileError(f"{source} has no 'includes' mapping: {fix}")
    includes: dict[str, LockEntry] = {}
    for include, entry in raw.items():
        records = entry.get("records") if isinstance(entry, dict) else None
        lookups = entry.get("lookups") if isinstance(entry, dict) else None
        if (not isinstance(records, dict) or not isinstance(lookups, int)
                or not all(isinstance(k, str) and isinstance(v, str)
                           for k, v in records.items())):
            raise LockFileError(f"{source}: the entry of {include!r} is malformed: {fix}")
        includes[normalize_name(str(include))] = LockEntry(lookups, dict(records))
    return Lock(includes)


def read_lock(path: Path) -> Lock | None:
    """The lock at ``path``, or None when there is none yet. Raises ``LockFileError``."""
    try:
        text = read_text(path, what="the include lock")
    except FileNotFoundError:
        return None
    except FileProblem as exc:
        raise LockFileError(str(exc)) from None
    return parse_lock(text, source=str(path))


def write_lock(path: Path, lock: Lock) -> bool:
    """Write ``lock`` to ``path`` when its content differs; True when written."""
    text = lock.dumps()
    try:
        if read_text(path, what="the include lock") == text:
            return False
    except (FileNotFoundError, FileProblem):
        pass
    try:
        write_text(path, text, what="the include lock")
    except FileProblem as exc:
        raise LockFileError(f"{exc}: give --lock with a path you can write, or --no-lock"
                            ) from None
    return True


def lock_path_for(stack_file: Path) -> Path:
    return stack_file.parent / LOCK_FILE_NAME



def _term_changes(old: str, new: str) -> str:
    old_terms, new_terms = old.split()[1:], new.split()[1:]
    added = [t for t in new_terms if t not in old_terms]
    removed = [t for t in old_terms if t not in new_terms]
    return " ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)]) or "reordered"


def describe_change(old: LockEntry, records: Mapping[str, str], lookups: int) -> str:
    parts: list[str] = []
    for name in sorted(set(old.records) | set(records)):
        before, after = old.records.get(name), records.get(name)
        if before == after:
            continue
        if before is None:
            parts.append(f"{name} is new in the tree")
        elif after is None:
            parts.append(f"{name} left the tree")
        else:
            parts.append(f"{name}: {_term_changes(before, after)}")
    return f"lookups {old.lookups} -> {lookups}; " + "; ".join(parts)
