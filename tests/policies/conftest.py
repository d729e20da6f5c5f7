"""One policy pack process for the whole session: starting it costs most of a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.policies.harness import Pack


@pytest.fixture(scope="session")
def pack() -> Iterator[Pack]:
    running = Pack()
    try:
        yield running
    finally:
        running.close()
