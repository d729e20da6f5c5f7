"""``SpfRecord`` and ``DmarcRecord``: a domain's policy TXT records, checked first.

Each component judges its record with the core's checks before it declares
anything (not even itself): a record with errors raises ``RecordRefused``
listing every finding, and the stack is left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.dns import DnsBackend, render
from mailzone.errors import MailzoneError
from mailzone.findings import Finding
from mailzone.mail.dmarc import validate_dmarc
from mailzone.stack.desired import DesiredRecord, check_spf_record

SPF_TYPE = "mailzone:index:SpfRecord"
DMARC_TYPE = "mailzone:index:DmarcRecord"


class RecordRefused(MailzoneError):
    """A component refused its record; ``findings`` holds every error."""

    def __init__(self, component: str, name: str, findings: Sequence[Finding]) -> None:
        self.component = component
        self.findings = list(findings)
        lines = [f"{component} {name!r} refused its record; nothing was declared:"]
        lines += [f"  {f.code}: {f.message}" for f in self.findings]
        super().__init__("\n".join(lines))


def _text(record: DesiredRecord) -> str:
    if len(record.values) != 1 or not isinstance(record.values[0], str):
        raise ValueError(f"{record.key}: expected one known value")
    return record.values[0]


def _name(record: DesiredRecord) -> str:
    if not isinstance(record.name, str):
        raise ValueError(f"{record.key}: expected a known name")
    return record.name


@dataclass(frozen=True)
class SpfRecordArgs:
    """``record`` is the apex SPF record from ``desired_records`` (``key == "spf"``).

    ``include_costs`` maps each include to what writing it costs in DNS lookups
    (the include and its tree); ``mailzone.stack.config.include_costs`` builds it.
    """

    record: DesiredRecord
    include_costs: Mapping[str, int]
    dns: DnsBackend


class SpfRecord(pulumi.ComponentResource):
    """The apex TXT ``v=spf1 include:... ~all``, with the TXT values to keep."""

    text: pulumi.Output[str]

    @staticmethod
    def check(record: DesiredRecord, include_costs: Mapping[str, int]) -> list[Finding]:
        """The core's findings for the record (errors refuse it)."""
        return check_spf_record(_text(record), include_costs, domain=_name(record))

    def __init__(
        self, name: str, args: SpfRecordArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        errors = [f for f in self.check(args.record, args.include_costs) if f.is_error]
        if errors:
            raise RecordRefused("SpfRecord", name, errors)
        super().__init__(SPF_TYPE, name, None, opts)
        self.records = args.dns.declare(name, render(args.record), parent=self)
        self.text = pulumi.Output.from_input(_text(args.record))
        self.register_outputs({"text": self.text, "name": _name(args.record)})


@dataclass(frozen=True)
class DmarcRecordArgs:
    """``record`` is the ``_dmarc`` record from ``desired_records``; ``domain`` its domain."""

    record: DesiredRecord
    domain: str
    dns: DnsBackend


class DmarcRecord(pulumi.ComponentResource):
    """``_dmarc.<domain>`` TXT, validated with ``mailzone.mail.dmarc``."""

    text: pulumi.Output[str]

    @staticmethod
    def check(record: DesiredRecord, domain: str) -> list[Finding]:
        """``mailzone.mail.dmarc``'s findings for the record (errors refuse it)."""
        return validate_dmarc(_text(record), domain)

    def __init__(
        self, name: str, args: DmarcRecordArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        errors = [f for f in self.check(args.record, args.domain) if f.is_error]
        if errors:
            raise RecordRefused("DmarcRecord", name, errors)
        super().__init__(DMARC_TYPE, name, None, opts)
        self.records = args.dns.declare(name, render(args.record), parent=self)
        self.text = pulumi.Output.from_input(_text(args.record))
        self.register_outputs({"text": self.text, "name": _name(args.record)})
