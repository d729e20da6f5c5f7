"""Fixtures shared by every test directory.

NSD, a real authoritative DNS server, serves zone files on loopback:

- ``nsd``: one server for the whole session over ``tests/zones/`` (the tests'
  small "internet"). Share it; never stop it (use ``nsd_factory`` for that).
- ``nsd_factory``: ``start(zone_dir=ZONES, address="127.0.0.1") -> NsdServer``
  starts a server of your own on any directory of ``<zone>.zone`` files; it is
  stopped when the test ends, and you may ``stop()``/``start()`` it mid-test.

    def test_something(nsd_factory, tmp_path):
        server = nsd_factory(tmp_path / "zones")
        resolver = LiveResolver(nameserver=server.nameserver, timeout=1.0)
        ...
        server.query_count()   # NSD's own counter of queries received

Without nsd the tests that need it fail (they never skip): run `make nsd`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.nsd import NSD_MISSING, NsdNotFound, NsdServer, find_binary

ZONES = Path(__file__).parent / "zones"

StartNsd = Callable[..., NsdServer]


@pytest.fixture(scope="session")
def zones_dir() -> Path:
    """``tests/zones/``: the zone files of the tests' small "internet"."""
    return ZONES


def _require_nsd() -> None:
    try:
        find_binary("nsd")
        find_binary("nsd-control")
    except NsdNotFound:
        pytest.fail(NSD_MISSING, pytrace=False)


@pytest.fixture(scope="session")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    """One NSD for the session, serving ``tests/zones/``. Do not stop it."""
    _require_nsd()
    server = NsdServer(ZONES, tmp_path_factory.mktemp("nsd-session"))
    with server:
        yield server


@pytest.fixture
def nsd_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartNsd]:
    """``start(zone_dir=ZONES, address="127.0.0.1", **options) -> NsdServer``, stopped after."""
    _require_nsd()
    servers: list[NsdServer] = []

    def start(zone_dir: Path = ZONES, address: str = "127.0.0.1", **options: int) -> NsdServer:
        server = NsdServer(zone_dir, tmp_path_factory.mktemp("nsd"), address=address, **options)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()
