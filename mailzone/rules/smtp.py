"""SMTP endpoints in application settings, and the port-25 rule.

The settings come from ``mailzone.rules.settings`` (the one table of their
names); this module reads the hosts and ports they name: ``host``,
``host:port``, ``[v6]:port`` or an SMTP URL (``smtp://user:secret@host:587``).

Port 25 is for server-to-server relay; cloud platforms rate-limit or block it
outright for outbound connections. Submission goes to 587 (STARTTLS) or 465
(TLS). The one exception is a relay on the host itself (``localhost:25``),
which is allowed with a warning: above about a thousand messages a day an
external sending service is the better choice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from mailzone.findings import Finding
from mailzone.registry import SMTP_LOCAL_RELAY, SMTP_PORT_25, SMTP_PORT_25_ENV_FROM
from mailzone.rules.mailhost import is_local_host
from mailzone.rules.settings import Setting, SettingKind

SMTP_PORT_FORBIDDEN = 25
LOCAL_RELAY_DAILY_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str | None
    port: int | None
    scheme: str | None = None


def parse_port(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isdigit() else None


def parse_endpoint(value: str) -> Endpoint:
    """Host and port of ``host``, ``host:port``, ``[v6]:port`` or a URL/DSN
    (``smtp://user:secret@host:587``). Credentials are dropped."""
    text = value.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return Endpoint(None, None)
        return Endpoint(parts.hostname, port, parts.scheme.lower() or None)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = parse_port(rest[1:]) if rest.startswith(":") else None
        return Endpoint(host, port)
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        return Endpoint(host, parse_port(port_text))
    return Endpoint(text or None, None)


def display(value: str) -> str:
    """A setting value fit to print: URL credentials removed."""
    if "://" in value and "@" in value:
        scheme, _, rest = value.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return value


def is_smtp_url(endpoint: Endpoint) -> bool:
    return endpoint.scheme is not None and "smtp" in endpoint.scheme


def hosts(settings: Sequence[Setting]) -> list[tuple[Setting, Endpoint | None]]:
    """Every host a group of settings names (host settings and SMTP URLs).

    The endpoint is None when the value is not known yet.
    """
    out: list[tuple[Setting, Endpoint | None]] = []
    for setting in settings:
        if setting.kind is SettingKind.HOST:
            out.append((setting, None if setting.value is None else parse_endpoint(setting.value)))
        elif setting.kind is SettingKind.URL:
            if setting.value is None:
                out.append((setting, None))
                continue
            endpoint = parse_endpoint(setting.value)
            if is_smtp_url(endpoint):
                out.append((setting, endpoint))
    return out


def check_port_25(
    settings: Sequence[Setting],
    *,
    where: str = "",
    label: str = "",
    local_hosts: Collection[str] = (),
    daily_limit: int = LOCAL_RELAY_DAILY_LIMIT,
    host_elsewhere: bool = False,
) -> list[Finding]:
    """Port 25 in one group of settings (one environment, one parameter).

    ``smtp-port-25`` (error) when port 25 goes anywhere but the local host, or
    when no host is set beside it; ``smtp-local-relay`` (warning) when it goes
    to the local host only. ``local_hosts`` adds names that count as local (a
    sidecar relay's name). ``host_elsewhere``: the group takes more settings from
    elsewhere (a container's ``envFrom``), so a port with no host beside it may
    have one there and is not judged. Unknown values are never reported.
    """
    named = hosts(settings)
    findings: list[Finding] = []
    who = label or "the settings"
    for setting, endpoint in named:
        # host:25 in a host setting or a URL carries its own port.
        if endpoint is None or endpoint.port != SMTP_PORT_FORBIDDEN or endpoint.host is None:
            continue
        findings.append(
            _port_finding(who, setting, display(setting.value or ""), [endpoint.host],
                          where, local_hosts, daily_limit)
        )
    for setting in settings:
        if setting.kind is not SettingKind.PORT or setting.value is None:
            continue
        if parse_port(setting.value) != SMTP_PORT_FORBIDDEN:
            continue
        targets = [endpoint for _, endpoint in named]
        if any(t is None or t.host is None for t in targets):
            continue  # a host not known yet: it may be the local relay
        if not targets and host_elsewhere:
            continue  # the host may come with the settings read from elsewhere
        host_names = [t.host for t in targets if t is not None and t.host is not None]
        findings.append(
            _port_finding(who, setting, setting.value, host_names, where, local_hosts,
                          daily_limit)
        )
    return findings


def _port_finding(
    who: str,
    setting: Setting,
    value: str,
    host_names: list[str],
    where: str,
    local_hosts: Collection[str],
    daily_limit: int,
) -> Finding:
    fix = (
        "Use the provider's submission port: 587 (STARTTLS) or 465 (TLS); cloud platforms "
        "rate-limit or block outbound port 25"
    )
    key = setting.key
    at = setting.at
    if not host_names:
        return SMTP_PORT_25.error(
            f"{who}: {key}={value}{at} and no SMTP host beside it: port 25 towards an "
            f"unnamed host. {fix}",
            where or key,
        )
    remote = [h for h in host_names if not is_local_host(h, local_hosts)]
    if remote:
        return SMTP_PORT_25.error(
            f"{who}: {key}={value}{at} sends to {', '.join(sorted(set(remote)))} on port 25. "
            f"{fix}",
            where or key,
        )
    return SMTP_LOCAL_RELAY.warning(
        f"{who}: {key}={value}{at} sends through a local relay on "
        f"{', '.join(sorted(set(host_names)))}:25. That is fine for low volume; above about "
        f"{daily_limit} messages a day use an external sending service on port 587 or 465",
        where or key,
    )




def check_port_25_joined(
    parts: Sequence[tuple[Sequence[Setting], str, str]],
    *,
    more_elsewhere: bool = False,
    local_hosts: Collection[str] = (),
) -> list[Finding]:
    """Port 25 in settings one process reads from several sources, judged together.

    ``parts`` are (settings, label, where) of each source (a container's env, each
    ConfigMap it reads). A source with a port and no host of its own is judged with the
    hosts of the others (one with a host is judged where it is declared): port 25
    towards a remote host, or towards no host at all when every source is here
    (``more_elsewhere``: a source not in the stack may hold the host), is
    ``smtp-port-25-env-from``.
    A local relay is left alone here. Unknown values are never reported.
    """
    findings: list[Finding] = []
    for index, (settings, label, where) in enumerate(parts):
        if hosts(settings) or not any(s.kind is SettingKind.PORT for s in settings):
            continue
        others = [s for j, (other, _l, _w) in enumerate(parts) if j != index for s in other
                  if s.kind in (SettingKind.HOST, SettingKind.URL)]
        ports = [s for s in settings if s.kind is SettingKind.PORT]
        # Hosts that carry port 25 themselves are judged where they are declared.
        named = [s for s, e in hosts(others) if e is None or e.port != SMTP_PORT_FORBIDDEN]
        if not named and (others or more_elsewhere):
            continue  # no host to judge it with here, or one may be in a source not seen
        for finding in check_port_25([*ports, *named], where=where, label=label,
                                     local_hosts=local_hosts):
            if finding.code == SMTP_PORT_25.code:
                findings.append(SMTP_PORT_25_ENV_FROM.error(finding.message, finding.where))
    return findings
