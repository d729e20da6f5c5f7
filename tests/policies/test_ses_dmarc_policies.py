"""SES identity completeness and DMARC, through the pack's gRPC Analyzer."""

from __future__ import annotations

import pytest

from tests.policies.harness import UNKNOWN, Diagnostic, Pack, of
from tests.policies.shapes import (
    CF6,
    R53,
    SES_DOMAIN_DKIM,
    SES_DOMAIN_IDENTITY,
    SES_MAIL_FROM,
    SESV2_IDENTITY,
    SESV2_MAIL_FROM,
    TOKENS,
    cf6,
    dkim_cnames,
    r53,
    sesv2_identity,
)

pytestmark = pytest.mark.slow


def no_preview_errors(diagnostics: list[Diagnostic]) -> None:
    assert not [d for d in diagnostics if "can't run policy" in d.message], diagnostics


MAIL_FROM_MX = (R53, "mail-from-mx",
                r53("mail.example.com", "MX", "10 feedback-smtp.us-east-1.amazonses.com"))
MAIL_FROM_SPF = (R53, "mail-from-spf",
                 r53("mail.example.com", "TXT", "v=spf1 include:amazonses.com ~all"))
MAIL_FROM_ATTRS = (SESV2_MAIL_FROM, "mail-from",
                   {"emailIdentity": "example.com", "mailFromDomain": "mail.example.com",
                    "behaviorOnMxFailure": "USE_DEFAULT_VALUE"})


def complete(domain: str = "example.com") -> list[tuple[str, str, dict[str, object]]]:
    return [
        (SESV2_IDENTITY, "identity", sesv2_identity(domain, list(TOKENS))),
        *dkim_cnames(domain),
        MAIL_FROM_ATTRS, MAIL_FROM_MX, MAIL_FROM_SPF,
    ]


# --- ses-identity-complete (stack) --------------------------------------------------------


def test_identity_missing_a_dkim_cname_is_rejected(pack: Pack) -> None:
    stack = [r for r in complete() if r[1] != "dkim-2"]
    found = of(pack.analyze_stack(stack), "ses-identity-complete")
    assert len(found) == 1 and found[0].level == "mandatory"
    assert found[0].urn.endswith("::identity")
    assert "has 2 of its 3 DKIM CNAMEs" in found[0].message
    assert f"{TOKENS[2]}._domainkey.example.com -> {TOKENS[2]}.dkim" in found[0].message
    assert TOKENS[0] not in found[0].message  # only the missing record is named


def test_an_identity_s_cnames_must_point_at_its_region_s_zone(pack: Pack) -> None:
    cape_town = {**sesv2_identity("example.com", list(TOKENS)), "region": "af-south-1"}
    wrong = [(SESV2_IDENTITY, "identity", cape_town), *dkim_cnames("example.com")]
    found = of(pack.analyze_stack(wrong), "ses-identity-complete")
    assert len(found) == 1 and "has 0 of its 3 DKIM CNAMEs" in found[0].message
    assert (f"{TOKENS[0]}._domainkey.example.com -> {TOKENS[0]}.dkim.af-south-1.amazonses.com"
            in found[0].message)
    assert "(the Easy DKIM zone of af-south-1)" in found[0].message
    right = [(SESV2_IDENTITY, "identity", cape_town), *[
        (R53, f"dkim-{i}", r53(f"{t}._domainkey.example.com", "CNAME",
                               f"{t}.dkim.af-south-1.amazonses.com"))
        for i, t in enumerate(TOKENS)]]
    assert of(pack.analyze_stack(right), "ses-identity-complete") == []
    # Without a region of its own the identity takes the provider's: any SES zone will do.
    assert of(pack.analyze_stack(complete()), "ses-identity-complete") == []


def test_a_mail_from_domain_s_mx_must_be_its_region_s_feedback_endpoint(pack: Pack) -> None:
    attributes = (SESV2_MAIL_FROM, "mail-from", {**MAIL_FROM_ATTRS[2], "region": "eu-west-1"})
    stack = [r for r in complete() if r[1] != "mail-from"] + [attributes]
    found = of(pack.analyze_stack(stack), "ses-identity-complete")
    assert len(found) == 1 and "feedback-smtp.eu-west-1.amazonses.com" in found[0].message


def test_mail_from_without_mx_or_ses_spf_is_rejected(pack: Pack) -> None:
    no_mx = of(pack.analyze_stack([r for r in complete() if r[1] != "mail-from-mx"]),
               "ses-identity-complete")
    assert len(no_mx) == 1 and "no MX record towards feedback-smtp" in no_mx[0].message
    wrong_spf = [r for r in complete() if r[1] != "mail-from-spf"] + [
        (R53, "mail-from-spf", r53("mail.example.com", "TXT", "v=spf1 include:mailgun.org ~all"))]
    found = of(pack.analyze_stack(wrong_spf), "ses-identity-complete")
    assert len(found) == 1 and "an SPF record without include:amazonses.com" in found[0].message
    assert found[0].urn.endswith("::mail-from")


def test_classic_ses_resources_are_checked_too(pack: Pack) -> None:
    stack = [
        (SES_DOMAIN_IDENTITY, "identity", {"domain": "example.org"}),
        (SES_DOMAIN_DKIM, "dkim", {"domain": "example.org", "dkimTokens": list(TOKENS)}),
        *dkim_cnames("example.org")[:1],
        (SES_MAIL_FROM, "mail-from", {"domain": "example.org",
                                      "mailFromDomain": "bounce.example.org"}),
    ]
    messages = sorted(d.message for d in of(pack.analyze_stack(stack), "ses-identity-complete"))
    assert len(messages) == 3
    assert any("has 1 of its 3 DKIM CNAMEs" in m for m in messages)
    assert any("bounce.example.org has no MX" in m for m in messages)
    assert any("bounce.example.org has no SPF record in the stack" in m for m in messages)


def test_complete_identities_pass_on_either_provider(pack: Pack) -> None:
    assert of(pack.analyze_stack(complete()), "ses-identity-complete") == []
    cloudflare = [
        (SESV2_IDENTITY, "identity", sesv2_identity("example.net", list(TOKENS))),
        *[(CF6, f"dkim-{i}", cf6(f"{t}._domainkey.example.net", "CNAME",
                                 f"{t}.dkim.amazonses.com")) for i, t in enumerate(TOKENS)],
    ]
    assert of(pack.analyze_stack(cloudflare), "ses-identity-complete") == []


def test_unknown_tokens_and_names_are_not_violations(pack: Pack) -> None:
    # A new identity at preview: its tokens, and the CNAMEs built from them, are unknown.
    stack = [
        (SESV2_IDENTITY, "identity", {"emailIdentity": "example.com",
                                      "dkimSigningAttributes": UNKNOWN}),
        *[(R53, f"dkim-{i}", r53(UNKNOWN, "CNAME", UNKNOWN)) for i in range(3)],
        (SESV2_MAIL_FROM, "mail-from", {"emailIdentity": "example.com",
                                        "mailFromDomain": UNKNOWN}),
    ]
    diagnostics = pack.analyze_stack(stack)
    assert of(diagnostics, "ses-identity-complete") == []
    no_preview_errors(diagnostics)
    # Unknown tokens do not excuse records that are not declared at all.
    missing = of(pack.analyze_stack(stack[:1]), "ses-identity-complete")
    assert len(missing) == 1 and "has 0 of its 3" in missing[0].message


def test_external_domains_config_skips_identities(pack: Pack) -> None:
    stack = [(SESV2_IDENTITY, "identity", sesv2_identity("example.com", list(TOKENS))),
             MAIL_FROM_ATTRS]
    assert len(of(pack.analyze_stack(stack), "ses-identity-complete")) == 3
    external = pack.analyze_stack(stack, config={
        "ses-identity-complete": {"externalDomains": ["example.com"]}})
    assert of(external, "ses-identity-complete") == []


# --- dmarc-valid ------------------------------------------------------------------------------


def test_invalid_dmarc_records_are_rejected(pack: Pack) -> None:
    bad_policy = of(pack.analyze(R53, r53("_dmarc.example.com", "TXT", "v=DMARC1; p=block")),
                    "dmarc-valid")
    no_policy = of(pack.analyze(CF6, cf6("_dmarc.example.org", "TXT",
                                         '"v=DMARC1; rua=mailto:dmarc@example.org"')),
                   "dmarc-valid")
    misplaced = of(pack.analyze(R53, r53("example.com", "TXT", "v=DMARC1; p=reject"),
                                name="apex"), "dmarc-valid")
    assert len(bad_policy) == 2 and bad_policy[0].level == "mandatory"
    assert bad_policy[1].message.endswith("[dmarc-not-applied]")
    assert "_dmarc.example.com" in bad_policy[0].message and "'block'" in bad_policy[0].message
    # RFC 9989: a record without p= is p=none, not an invalid record.
    assert no_policy == []
    assert len(misplaced) == 1 and "look for it at _dmarc.example.com" in misplaced[0].message


def test_valid_dmarc_passes(pack: Pack) -> None:
    for value in ("v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com",
                  '"v=DMARC1; p=none; " "rua=mailto:dmarc-reports@example.com"'):
        assert of(pack.analyze(R53, r53("_dmarc.example.com", "TXT", value)), "dmarc-valid") == []


def test_dmarc_unknown_is_not_a_violation(pack: Pack) -> None:
    diagnostics = [*pack.analyze(R53, r53("_dmarc.example.com", "TXT", UNKNOWN)),
                   *pack.analyze(CF6, cf6(UNKNOWN, "TXT", "v=DMARC1; p=reject"))]
    assert of(diagnostics, "dmarc-valid") == []
    no_preview_errors(diagnostics)


def test_dmarc_config_minimum_policy(pack: Pack) -> None:
    props = r53("_dmarc.example.com", "TXT", "v=DMARC1; p=none; rua=mailto:d@example.com")
    assert of(pack.analyze(R53, props), "dmarc-valid") == []
    strict = of(pack.analyze(R53, props, config={"dmarc-valid": {"minimumPolicy": "quarantine"}}),
                "dmarc-valid")
    assert len(strict) == 1 and "at least p=quarantine" in strict[0].message
    # A record without p= is p=none to receivers (RFC 9989), so it is as weak.
    bare = r53("_dmarc.example.com", "TXT", "v=DMARC1; rua=mailto:d@example.com")
    weak = of(pack.analyze(R53, bare, config={"dmarc-valid": {"minimumPolicy": "quarantine"}}),
              "dmarc-valid")
    assert len(weak) == 1 and "has p=none" in weak[0].message


# --- dmarc-missing (stack, advisory) -----------------------------------------------------------


def test_sending_domain_without_dmarc_is_advised(pack: Pack) -> None:
    found = of(pack.analyze_stack([
        (SESV2_IDENTITY, "identity", sesv2_identity("example.com")),
        (CF6, "org-spf", cf6("example.org", "TXT", "v=spf1 include:amazonses.com -all")),
    ]), "dmarc-missing")
    assert sorted(d.urn.rsplit("::", 1)[1] for d in found) == ["identity", "org-spf"]
    assert {d.level for d in found} == {"advisory"}
    assert "_dmarc.example.com" in " ".join(d.message for d in found)


def test_dmarc_at_the_domain_or_a_parent_covers_it(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        (SESV2_IDENTITY, "identity", sesv2_identity("notify.example.com")),
        *complete()[1:],  # the MAIL FROM subdomain's SPF is not a From domain
        (R53, "dmarc", r53("_dmarc.example.com", "TXT", "v=DMARC1; p=reject")),
    ])
    assert of(diagnostics, "dmarc-missing") == []


def test_dmarc_missing_unknown_names_are_not_violations(pack: Pack) -> None:
    diagnostics = pack.analyze_stack([
        (SESV2_IDENTITY, "identity", sesv2_identity("example.com")),
        (R53, "dmarc", r53(UNKNOWN, "TXT", UNKNOWN)),
    ])
    assert of(diagnostics, "dmarc-missing") == []
    no_preview_errors(diagnostics)


def test_dmarc_missing_config_external_domains(pack: Pack) -> None:
    stack = [(SESV2_IDENTITY, "identity", sesv2_identity("example.com"))]
    assert len(of(pack.analyze_stack(stack), "dmarc-missing")) == 1
    external = pack.analyze_stack(stack, config={
        "dmarc-missing": {"externalDomains": ["example.com"]}})
    assert of(external, "dmarc-missing") == []
