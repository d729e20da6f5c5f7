"""The pack's bulk-sender policy, through its gRPC Analyzer: each sender against the bar."""

from __future__ import annotations

import pytest

from tests.policies.harness import UNKNOWN, Pack, of
from tests.policies.shapes import (
    R53,
    SESV2_IDENTITY,
    SESV2_MAIL_FROM,
    TOKENS,
    dkim_cnames,
    r53,
    sesv2_identity,
)

pytestmark = pytest.mark.slow

POLICY = "bulk-sender"
DMARC = (R53, "dmarc", r53("_dmarc.example.com", "TXT",
                           "v=DMARC1; p=none; rua=mailto:dmarc@example.com"))
OUTLOOK = "spf.protection.outlook.com"


def ses(*, mail_from: bool = True) -> list[tuple[str, str, dict[str, object]]]:
    stack: list[tuple[str, str, dict[str, object]]] = [
        (SESV2_IDENTITY, "identity", sesv2_identity("example.com", list(TOKENS))),
        *dkim_cnames("example.com"),
        (R53, "spf", r53("example.com", "TXT", "v=spf1 include:amazonses.com -all")),
    ]
    if mail_from:
        stack += [
            (SESV2_MAIL_FROM, "mail-from", {"emailIdentity": "example.com",
                                            "mailFromDomain": "mail.example.com"}),
            (R53, "mf-mx", r53("mail.example.com", "MX",
                               "10 feedback-smtp.us-east-1.amazonses.com")),
            (R53, "mf-spf", r53("mail.example.com", "TXT", "v=spf1 include:amazonses.com -all")),
        ]
    return stack


def messages(pack: Pack, stack: list[tuple[str, str, dict[str, object]]],
             **config: object) -> list[str]:
    found = of(pack.analyze_stack(stack, config=config or None), POLICY)
    return [d.message for d in found]


def test_ses_meeting_the_bar_passes(pack: Pack) -> None:
    assert messages(pack, [*ses(), DMARC]) == []


def test_each_requirement_short_is_named(pack: Pack) -> None:
    (no_dmarc,) = messages(pack, ses())
    assert "dmarc not met: no DMARC record applies" in no_dmarc
    assert no_dmarc.endswith("[bulk-sender-unmet]")
    no_cnames = [r for r in ses() if not r[1].startswith("dkim-")] + [DMARC]
    (dkim,) = messages(pack, no_cnames)
    # Without its CNAMEs SES signs with nothing of the domain's, and SPF aligns via MAIL FROM.
    assert "dkim not met" in dkim and "alignment" not in dkim
    (both,) = messages(pack, [r for r in ses(mail_from=False) if not r[1].startswith("dkim-")]
                       + [DMARC])
    assert "dkim not met" in both and "alignment not met" in both


def test_a_sender_with_documented_selectors(pack: Pack) -> None:
    spf = (R53, "spf", r53("example.com", "TXT", f"v=spf1 include:{OUTLOOK} -all"))
    (missing,) = messages(pack, [spf, DMARC])
    assert "Microsoft 365" in missing and "selector1._domainkey.example.com" in missing
    key = (R53, "selector1", r53("selector1._domainkey.example.com", "CNAME",
                                 "selector1-example-com._domainkey.example.onmicrosoft.com"))
    assert messages(pack, [spf, key, DMARC]) == []


def test_enforcement_is_advisory_unless_configured(pack: Pack) -> None:
    stack = ses()
    assert {d.level for d in of(pack.analyze_stack(stack), POLICY)} == {"advisory"}
    mandatory = of(pack.analyze_stack(stack, config={POLICY: "mandatory"}), POLICY)
    assert {d.level for d in mandatory} == {"mandatory"}
    elsewhere = pack.analyze_stack(stack, config={POLICY: {"externalDomains": ["example.com"]}})
    assert of(elsewhere, POLICY) == []


def test_unknown_values_are_not_judged(pack: Pack) -> None:
    assert messages(pack, [*ses(), (R53, "dmarc", r53(UNKNOWN, "TXT", "v=DMARC1; p=none"))]) == []


def test_an_unknown_value_silences_only_the_domain_that_needs_it(pack: Pack) -> None:
    other = [(R53, "other-spf", r53("example.org", "TXT", f"v=spf1 include:{OUTLOOK} -all"))]
    # A new identity's token CNAMEs are unknown at preview: example.org is still judged.
    unknown = [(R53, "pending", r53(UNKNOWN, "CNAME", UNKNOWN))]
    found = messages(pack, [*ses(), DMARC, *other, *unknown])
    assert len(found) == 1 and "example.org" in found[0]
    unknown_dmarc = [(R53, "dmarc", r53("_dmarc.example.com", "TXT", UNKNOWN))]
    assert all("example.com" not in m.split(" for ")[1] for m in
               messages(pack, [*ses(), *unknown_dmarc, *other]))
