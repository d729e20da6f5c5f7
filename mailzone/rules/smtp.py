"""SMTP settings an application reads, recognised by their keys, and the port-25 rule.

Applications take their mail settings from environment variables, parameter
stores and property files under many spellings: ``SMTP_HOST``, ``MAIL_SERVER``,
``EMAIL_HOST`` (Django), ``spring.mail.host``, ``mail.smtp.port`` (JavaMail),
``MAILER_DSN`` (Symfony), ``/app/prod/smtp/host`` (an SSM parameter). Keys are
compared case-insensitively with ``.``, ``_``, ``-``, ``/`` and camelCase as
word separators; a key is recognised by its last words (``host``, ``port``,
``url``...) together with a mail word anywhere in it (``smtp``, ``mail``,
``email``, ``mailer``, ``ses``).

Port 25 is for server-to-server relay; cloud platforms rate-limit or block it
outright for outbound connections. Submission goes to 587 (STARTTLS) or 465
(TLS). The one exception is a relay on the host itself (``localhost:25``),
which is allowed with a warning: above about a thousand messages a day an
external sending service is the better choice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from mailzone.findings import Finding
from mailzone.registry import SMTP_LOCAL_RELAY, SMTP_PORT_25
from mailzone.rules.mailhost import is_local_host

SMTP_PORT_FORBIDDEN = 25
LOCAL_RELAY_DAILY_LIMIT = 1000


class SettingKind(StrEnum):
    HOST = "host"
    PORT = "port"
    URL = "url"
    SENDER = "sender"


MAIL_WORDS = frozenset({"smtp", "mail", "email", "mailer", "ses", "smtps", "sendmail"})
_TAILS: dict[SettingKind, tuple[tuple[str, ...], ...]] = {
    SettingKind.HOST: (("host",), ("hostname",), ("server",), ("relay",), ("relayhost",)),
    SettingKind.PORT: (("port",),),
    SettingKind.URL: (("url",), ("uri",), ("dsn",)),
    SettingKind.SENDER: (
        ("from",),
        ("sender",),
        ("from", "email"),
        ("from", "address"),
        ("from", "addr"),
        ("from", "mail"),
        ("sender", "email"),
        ("sender", "address"),
        ("default", "sender"),
        ("server", "email"),
    ),
}
# Sender keys without a mail word in them.
_STANDALONE_SENDER_KEYS = frozenset(
    {("sender",), ("sender", "address"), ("sender", "email"), ("server", "email")}
)
# Keys that hold a credential: never recognised as anything, never printed.
_SECRET_WORDS = frozenset({"password", "passwd", "pass", "secret", "token", "key", "apikey"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[._\-/:\s]+")


def key_words(key: str) -> tuple[str, ...]:
    """``"spring.mail.host"`` -> ``("spring", "mail", "host")``; camelCase splits too."""
    spaced = _CAMEL.sub("_", key)
    return tuple(word for word in _SEPARATORS.split(spaced.lower()) if word)


def classify_key(key: str) -> SettingKind | None:
    """What a setting key holds, or None when it is not an SMTP setting."""
    words = key_words(key)
    if not words or _SECRET_WORDS.intersection(words):
        return None
    if words in _STANDALONE_SENDER_KEYS:
        return SettingKind.SENDER
    if not MAIL_WORDS.intersection(words):
        return None
    for kind, tails in _TAILS.items():
        for tail in tails:
            # The tail must follow at least one word: "MAIL_FROM", not a bare "FROM".
            if len(words) > len(tail) and words[-len(tail):] == tail:
                return kind
    return None


@dataclass(frozen=True, slots=True)
class Setting:
    """One key/value an application reads. ``value`` None: not known yet."""

    key: str
    kind: SettingKind
    value: str | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str | None
    port: int | None
    scheme: str | None = None


def settings_from(pairs: Iterable[tuple[str, str | None]]) -> list[Setting]:
    """The SMTP settings among key/value pairs (others are ignored)."""
    out: list[Setting] = []
    for key, value in pairs:
        kind = classify_key(key)
        if kind is not None:
            out.append(Setting(key, kind, value))
    return out


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
) -> list[Finding]:
    """Port 25 in one group of settings (one environment, one parameter).

    ``smtp-port-25`` (error) when port 25 goes anywhere but the local host, or
    when no host is set beside it; ``smtp-local-relay`` (warning) when it goes
    to the local host only. ``local_hosts`` adds names that count as local (a
    sidecar relay's name). Unknown values are never reported.
    """
    named = hosts(settings)
    findings: list[Finding] = []
    who = label or "the settings"
    for setting, endpoint in named:
        # host:25 in a host setting or a URL carries its own port.
        if endpoint is None or endpoint.port != SMTP_PORT_FORBIDDEN or endpoint.host is None:
            continue
        findings.append(
            _port_finding(who, setting.key, display(setting.value or ""), [endpoint.host],
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
        host_names = [t.host for t in targets if t is not None and t.host is not None]
        findings.append(
            _port_finding(who, setting.key, setting.value, host_names, where, local_hosts,
                          daily_limit)
        )
    return findings


def _port_finding(
    who: str,
    key: str,
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
    if not host_names:
        return SMTP_PORT_25.error(
            f"{who}: {key}={value} and no SMTP host beside it: port 25 towards an "
            f"unnamed host. {fix}",
            where or key,
        )
    remote = [h for h in host_names if not is_local_host(h, local_hosts)]
    if remote:
        return SMTP_PORT_25.error(
            f"{who}: {key}={value} sends to {', '.join(sorted(set(remote)))} on port 25. {fix}",
            where or key,
        )
    return SMTP_LOCAL_RELAY.warning(
        f"{who}: {key}={value} sends through a local relay on "
        f"{', '.join(sorted(set(host_names)))}:25. That is fine for low volume; above about "
        f"{daily_limit} messages a day use an external sending service on port 587 or 465",
        where or key,
    )


