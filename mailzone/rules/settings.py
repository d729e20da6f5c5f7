"""Application mail settings as the rules read them, and the one table of their names.

Applications take their mail settings from environment variables, parameter
stores, property files and platform constants under many spellings:
``SMTP_HOST``, ``MAIL_SERVER``, ``EMAIL_HOST`` (Django), ``spring.mail.host``
(Spring Boot), ``mail.smtp.port`` (JavaMail), ``MAILER_DSN`` (Symfony),
``MAIL_PASSWORD`` (Laravel), ``/app/prod/smtp/host`` (an SSM parameter),
``MX_EmailModule_SMTPHost`` (a Mendix constant: the Mendix runtime reads constants
from ``MX_<Module>_<Constant>`` variables). Every reader of every runtime the
pack knows (Lambda, ECS, Kubernetes, Cloud Run, App Service, ...) hands its
key/value pairs to ``settings_from``, which recognises them through ONE table,
``DEFAULT_NAMES``; a team adds its own names through the pack's config
(``settingNames``), never by a second recogniser.

A key is compared by its words, case-insensitively, with ``.``, ``_``, ``-``,
``/``, ``:`` and camelCase (``SMTPHost`` too) as separators. It is recognised
when its words are one of the table's ``exact`` names, or when it has a mail word
(``smtp``, ``mail``, ``email``, ...) and ends in one of a kind's tails (``host``,
``port``, ``password``, ...). Keys that name another credential (``token``,
``api_key``, ``secret``) are never recognised, so their values are never read.

A value may be unknown (``None``: computed during a preview) or a secret: the
pack marks values the engine sent as Pulumi secrets with ``SecretText``, and
``Setting.secret`` says so, so that a secret is judged but never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SettingKind(StrEnum):
    HOST = "host"
    PORT = "port"
    URL = "url"
    SENDER = "sender"
    PASSWORD = "password"


class SecretText(str):
    """A value the engine marked secret (a Pulumi secret): judged, never printed.

    A ``str`` subclass so that every reader passes it through unchanged; only
    ``Setting.secret`` and the message redaction look at the difference.
    """

    __slots__ = ()


Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SettingNames:
    """The table of setting names: what a key must look like to be a mail setting.

    ``exact``: whole keys (as their words) and what they hold. ``mail_words``: a
    key needs one of them to be recognised by its tail. ``tails``: per kind, the
    last words that make a key that kind (``("from", "email")``: ...FROM_EMAIL).
    ``standalone``: keys recognised without a mail word (``SENDER_ADDRESS``).
    ``credential_words``: words that mark a credential other than a password.
    """

    exact: Mapping[Words, SettingKind]
    mail_words: frozenset[str]
    tails: Mapping[SettingKind, tuple[Words, ...]]
    standalone: Mapping[Words, SettingKind] = field(default_factory=dict)
    credential_words: frozenset[str] = frozenset()

    def classify(self, key: str) -> SettingKind | None:
        """What a setting key holds, or None when it is not a mail setting."""
        words = key_words(key)
        if not words:
            return None
        exact = self.exact.get(words) or self.standalone.get(words)
        if exact is not None:
            return exact
        if self.credential_words.intersection(words) or not self.mail_words.intersection(words):
            return None
        for kind, tails in self.tails.items():
            for tail in tails:
                # The tail must follow at least one word: "MAIL_FROM", not a bare "FROM".
                if len(words) > len(tail) and words[-len(tail):] == tail:
                    return kind
        return None

    def extended(self, extra: Mapping[SettingKind, Iterable[str]]) -> SettingNames:
        """This table with more exact names (from the pack's ``settingNames`` config)."""
        if not extra:
            return self
        exact = dict(self.exact)
        for kind, keys in extra.items():
            for key in keys:
                words = key_words(key)
                if words:
                    exact[words] = kind
        return SettingNames(exact, self.mail_words, self.tails, self.standalone,
                            self.credential_words)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[._\-/:\s]+")


def key_words(key: str) -> Words:
    """``"spring.mail.host"`` -> ``("spring", "mail", "host")``; camelCase splits too
    (``"SMTPHost"`` -> ``("smtp", "host")``)."""
    spaced = _CAMEL.sub("_", key)
    return tuple(word for word in _SEPARATORS.split(spaced.lower()) if word)


def _names(kind: SettingKind, *keys: str) -> dict[Words, SettingKind]:
    return {key_words(key): kind for key in keys}


#: The one table. The exact names are the well-known spellings, listed so that
#: they are documented (docs/policy-pack.md) and recognised whatever the tails
#: say; the tails recognise the many other spellings of the same settings.
DEFAULT_NAMES: SettingNames = SettingNames(
    exact={
        **_names(SettingKind.HOST, "SMTP_HOST", "SMTP_SERVER", "SMTP_HOSTNAME", "MAIL_HOST",
                 "MAIL_SERVER", "MAIL_SMTP_HOST", "EMAIL_HOST", "EMAIL_SERVER",
                 "SPRING_MAIL_HOST", "spring.mail.host", "mail.smtp.host", "SMTP_RELAY",
                 "RELAYHOST", "MX_EmailModule_SMTPHost"),
        **_names(SettingKind.PORT, "SMTP_PORT", "MAIL_PORT", "MAIL_SMTP_PORT", "EMAIL_PORT",
                 "SPRING_MAIL_PORT", "spring.mail.port", "mail.smtp.port",
                 "MX_EmailModule_SMTPPort"),
        **_names(SettingKind.URL, "MAILER_DSN", "MAILER_URL", "MAIL_URL", "SMTP_URL",
                 "EMAIL_URL"),
        **_names(SettingKind.SENDER, "MAIL_FROM", "MAIL_FROM_ADDRESS", "EMAIL_FROM",
                 "SMTP_FROM", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL", "MAIL_DEFAULT_SENDER",
                 "SENDER_ADDRESS", "SENDER_EMAIL", "MX_EmailModule_FromAddress"),
        **_names(SettingKind.PASSWORD, "SMTP_PASSWORD", "SMTP_PASS", "MAIL_PASSWORD",
                 "MAIL_SMTP_PASSWORD", "EMAIL_PASSWORD", "EMAIL_HOST_PASSWORD",
                 "SPRING_MAIL_PASSWORD", "spring.mail.password", "mail.smtp.password",
                 "MAILER_PASSWORD", "MX_EmailModule_SMTPPassword"),
    },
    mail_words=frozenset({"smtp", "mail", "email", "mailer", "ses", "smtps", "sendmail"}),
    tails={
        SettingKind.PASSWORD: (("password",), ("passwd",), ("pass",), ("pwd",)),
        SettingKind.HOST: (("host",), ("hostname",), ("server",), ("relay",), ("relayhost",)),
        SettingKind.PORT: (("port",),),
        SettingKind.URL: (("url",), ("uri",), ("dsn",)),
        SettingKind.SENDER: (
            ("from",), ("sender",), ("from", "email"), ("from", "address"),
            ("from", "addr"), ("from", "mail"), ("sender", "email"), ("sender", "address"),
            ("default", "sender"), ("server", "email"),
        ),
    },
    standalone=_names(SettingKind.SENDER, "SENDER", "SENDER_ADDRESS", "SENDER_EMAIL",
                      "SERVER_EMAIL"),
    # Credentials that are not the SMTP password (API keys, tokens): never read.
    credential_words=frozenset({"secret", "token", "key", "apikey"}),
)


def classify_key(key: str, names: SettingNames = DEFAULT_NAMES) -> SettingKind | None:
    """What a setting key holds by ``names`` (the default table), or None."""
    return names.classify(key)


@dataclass(frozen=True, slots=True)
class Setting:
    """One key/value an application reads. ``value`` None: not known yet.

    ``path`` is where the value sits in the declaring resource's properties
    (``spec.template.spec.containers[0].env[3].value``), for the operator who
    fixes it; ``secret`` is true when the engine sent the value as a secret.
    """

    key: str
    kind: SettingKind
    value: str | None
    path: str = ""
    secret: bool = False

    @property
    def at(self) -> str:
        """`` (at <path>)`` for a message, or nothing when the path is not known."""
        return f" (at {self.path})" if self.path else ""


def settings_from(pairs: Iterable[tuple[str, str | None, str]],
                  names: SettingNames = DEFAULT_NAMES) -> list[Setting]:
    """The mail settings among (key, value, path) triples; others are ignored."""
    out: list[Setting] = []
    for key, value, path in pairs:
        kind = names.classify(key)
        if kind is not None:
            out.append(Setting(key, kind, value, path, isinstance(value, SecretText)))
    return out
