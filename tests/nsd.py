"""A real DNS server for tests: NSD serving a directory of zone files on loopback.

``NsdServer(zone_dir, work_dir)`` writes an ``nsd.conf`` into ``work_dir`` that
serves every ``<zone>.zone`` file of ``zone_dir`` (the zone is the file name
minus ``.zone``, as ``mailzone.dns.zonedir`` reads them), picks a free port, runs
``nsd -d`` in the foreground as a child process, and waits until it answers a
real query. ``stop()`` ends it (and ``start()`` brings it back on the same
port), so fault tests can pull the server away mid-test.

NSD runs without chroot, privilege drop, database or rate limiting (response
rate limiting is on by default in NSD and would drop answers under load).
Remote control listens on a unix socket, so ``query_count()`` reads NSD's own
counter (``nsd-control stats_noreset``, ``num.queries``) with no key files.

Use it through the fixtures of ``tests/conftest.py`` (``nsd`` and ``nsd_factory``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.message
import dns.query

NSD_MISSING = "nsd not found: run `make nsd` (Debian package nsd)"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class NsdNotFound(RuntimeError):
    """No nsd (or nsd-control) binary on this machine."""


class NsdError(RuntimeError):
    """NSD did not start, or a control command failed. The message holds its log."""


def find_binary(name: str) -> Path:
    """``nsd`` or ``nsd-control``: on PATH, else in /usr/sbin (Debian's place)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise NsdNotFound(NSD_MISSING)
    return Path(found)


def free_port(address: str) -> int:
    """A port free for both UDP and TCP on ``address``."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(100):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((address, 0))
            port: int = udp.getsockname()[1]
            try:
                with socket.socket(family, socket.SOCK_STREAM) as tcp:
                    tcp.bind((address, port))
            except OSError:
                continue
            return port
    raise NsdError(f"no free port on {address}")


def zone_files(zone_dir: Path) -> dict[str, Path]:
    """zone name -> file, for every ``*.zone`` file of ``zone_dir``."""
    return {
        path.name[: -len(".zone")].rstrip(".").lower(): path
        for path in sorted(zone_dir.glob("*.zone"))
        if path.is_file()
    }


class NsdServer:
    """One NSD process serving the zone files of ``zone_dir`` on ``address``."""

    def __init__(
        self,
        zone_dir: Path,
        work_dir: Path,
        address: str = "127.0.0.1",
        port: int | None = None,
        verbosity: int = 1,
    ) -> None:
        self.zone_dir = Path(zone_dir).resolve()
        self.work_dir = Path(work_dir).resolve()
        self.address = address
        self.port = port if port is not None else free_port(address)
        self.verbosity = verbosity
        self.zones = zone_files(self.zone_dir)
        self.nsd = find_binary("nsd")
        self.nsd_control = find_binary("nsd-control")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # Unix socket paths are limited to ~107 bytes: keep the socket in a short directory.
        self._control_dir = Path(tempfile.mkdtemp(prefix="nsd-ctl-"))
        self.config = self.work_dir / "nsd.conf"
        self.logfile = self.work_dir / "nsd.log"
        self.outfile = self.work_dir / "nsd.out"
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def nameserver(self) -> str:
        """``HOST:PORT`` as ``LiveResolver(nameserver=...)`` and ``--nameserver`` take it."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _write_config(self) -> None:
        work = self.work_dir
        lines = [
            "server:",
            f"    ip-address: {self.address}@{self.port}",
            f"    port: {self.port}",
            f'    zonesdir: "{self.zone_dir}"',
            f'    pidfile: "{work / "nsd.pid"}"',
            f'    logfile: "{self.logfile}"',
            '    database: ""',
            f'    zonelistfile: "{work / "zone.list"}"',
            f'    xfrdfile: "{work / "xfrd.state"}"',
            f'    xfrdir: "{work}"',
            '    username: ""',
            '    chroot: ""',
            f"    verbosity: {self.verbosity}",
            "    server-count: 1",
            "    reuseport: no",
            "    round-robin: no",
            "    hide-version: yes",
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            "remote-control:",
            "    control-enable: yes",
            f"    control-interface: {self._control_dir / 'nsd.ctl'}",
        ]
        for zone, path in self.zones.items():
            lines += ["zone:", f"    name: {zone}", f'    zonefile: "{path.name}"']
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> NsdServer:
        """Start NSD (again, on the same port) and wait until it answers."""
        if self.running:
            return self
        with self.outfile.open("ab") as out:
            self._process = subprocess.Popen(
                [str(self.nsd), "-d", "-c", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        probe = next(iter(self.zones), ".")
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NsdError(f"nsd exited with status {self._process.returncode}\n{self.log()}")
            if self._answers(probe):
                return self
            time.sleep(0.05)
        self.stop()
        raise NsdError(f"nsd did not answer within {START_TIMEOUT:g} s\n{self.log()}")

    def _answers(self, zone: str) -> bool:
        query = dns.message.make_query(zone.rstrip(".") + ".", "SOA")
        try:
            dns.query.udp(query, self.address, timeout=0.2, port=self.port)
        except (dns.exception.DNSException, OSError):
            return False
        return True

    def stop(self) -> None:
        """Stop NSD and wait for it to exit (it can be started again)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Our own process group (start_new_session): NSD and the children it forked.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)

    def close(self) -> None:
        """Stop NSD and remove the control socket's directory."""
        self.stop()
        shutil.rmtree(self._control_dir, ignore_errors=True)

    def __enter__(self) -> NsdServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def control(self, *command: str) -> str:
        """Run ``nsd-control`` against this server; its standard output."""
        result = subprocess.run(
            [str(self.nsd_control), "-c", str(self.config), *command],
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise NsdError(
                f"nsd-control {' '.join(command)} failed ({result.returncode}): "
                f"{result.stdout}{result.stderr}\n{self.log()}"
            )
        return result.stdout

    def stats(self) -> dict[str, float]:
        """NSD's statistics (``nsd-control stats_noreset``): ``num.queries``, ``num.tcp``, ..."""
        stats: dict[str, float] = {}
        for line in self.control("stats_noreset").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                stats[key.strip()] = float(value)
        return stats

    def query_count(self) -> int:
        """How many queries NSD has received since it started (UDP and TCP)."""
        return int(self.stats()["num.queries"])

    def log(self) -> str:
        parts = []
        for path in (self.outfile, self.logfile):
            if path.exists():
                parts.append(f"--- {path} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)
