"""mailzone.plan.build over zone-file fixtures: one test per case of the plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mailzone.dns.authoritative import AuthoritativeResolver
from mailzone.dns.memory import MemoryResolver
from mailzone.dns.resolver import Answer, RdType
from mailzone.dns.zonedir import ZoneDirResolver
from mailzone.errors import DnsError
from mailzone.mail.discovery import Discovery
from mailzone.plan.build import build_plan, plan_offline
from mailzone.plan.lock import Lock, LockEntry, LockFileError, parse_lock, read_lock, write_lock
from mailzone.plan.model import (
    EXIT_CHANGES,
    EXIT_ERRORS,
    EXIT_NO_CHANGES,
    Action,
    PlannedValue,
    RecordPlan,
    ValueStatus,
)
from mailzone.plan.pack import pack_findings
from mailzone.plan.values import plan_values
from tests.unit.plan.fixtures import (
    CLOUDFLARE,
    ROUTE53,
    codes,
    domain,
    plan,
    record,
    stack,
    statuses,
    zone,
    zone_dir,
)

GOOGLE_OLD = "v=spf1 include:_spf.google.com ip4:192.0.2.25 ~all"


# -- create / update / unchanged ------------------------------------------------------


def test_a_domain_with_nothing_published_gets_every_record_created(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.com"]}})
    result = plan(zones, config)
    spf = record(result, "example.com", "spf")
    assert spf.action is Action.CREATE
    assert statuses(spf) == {"v=spf1 include:amazonses.com ~all": "add"}
    assert spf.spf is not None
    assert spf.spf.lookups_before is None and spf.spf.lookups_after == 1
    assert spf.spf.added == ["include:amazonses.com", "~all"] and spf.spf.removed == []
    dmarc = record(result, "example.com", "dmarc")
    assert dmarc.action is Action.CREATE
    assert result.changes and not result.errors
    assert result.exit_status == EXIT_CHANGES


def test_an_spf_update_is_an_spf_diff_with_the_budget_before_and_after(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com", f'@ TXT "{GOOGLE_OLD}"')})
    config = stack({"domain": "example.com", "dns": ROUTE53,
                    "senders": ["amazon-ses", "google-workspace", "mailgun"]})
    result = plan(zones, config)
    spf = record(result, "example.com", "spf")
    assert spf.action is Action.UPDATE
    new = "v=spf1 include:amazonses.com include:_spf.google.com include:mailgun.org ~all"
    assert statuses(spf) == {GOOGLE_OLD: "remove", new: "add"}
    diff = spf.spf
    assert diff is not None
    assert diff.before == GOOGLE_OLD and diff.after == new
    assert diff.removed == ["ip4:192.0.2.25"]
    assert diff.added == ["include:amazonses.com", "include:mailgun.org"]
    # Walked through the zone files: Google's include and its three _netblocks.
    assert (diff.lookups_before, diff.lookups_after, diff.limit) == (4, 8, 10)
    lookups = {t.term: t.lookups for t in diff.terms}
    assert lookups["include:_spf.google.com"] == 4
    assert lookups["include:mailgun.org"] == 3
    assert lookups["ip4:192.0.2.25"] == 0
    # 8 of 10: the policy pack's headroom advisory shows under the domain.
    assert "spf-lookup-headroom" in codes(domain(result, "example.com"))
    assert result.exit_status == EXIT_CHANGES


def test_records_published_as_desired_are_unchanged_and_the_plan_exits_0(
        tmp_path: Path) -> None:
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "spfAll": "-all",
                    "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.com"]},
                    "ses": {"mailFromSubdomain": "bounce"}})
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com",
        '@ TXT "v=spf1 include:amazonses.com -all"',
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"',
        "bounce MX 10 feedback-smtp.eu-west-1.amazonses.com.",
        'bounce TXT "v=spf1 include:amazonses.com -all"',
    )})
    result = plan(zones, config)
    actions = {r.key: r.action for r in domain(result, "example.com").records}
    assert actions == {
        "spf": Action.UNCHANGED, "dmarc": Action.UNCHANGED,
        "dkim-0": Action.KNOWN_AFTER_APPLY, "dkim-1": Action.KNOWN_AFTER_APPLY,
        "dkim-2": Action.KNOWN_AFTER_APPLY,
        "mail-from-mx": Action.UNCHANGED, "mail-from-spf": Action.UNCHANGED,
    }
    assert all(r.spf is None for r in domain(result, "example.com").records)
    assert not result.changes and not result.errors
    assert result.exit_status == EXIT_NO_CHANGES


def test_dkim_tokens_are_known_after_apply(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "ses": {}})
    result = plan(zones, config)
    dkim = [r for r in domain(result, "example.com").records if r.key.startswith("dkim-")]
    assert len(dkim) == 3
    for index, item in enumerate(dkim):
        assert item.action is Action.KNOWN_AFTER_APPLY
        assert item.name == f"<dkim_tokens[{index}]>._domainkey.example.com"
        assert [(v.value, v.status) for v in item.values] == [
            (f"<dkim_tokens[{index}]>.dkim.amazonses.com", ValueStatus.KNOWN_AFTER_APPLY)]
    # The pack's SES rule counts the unplaced CNAMEs: no ses-dkim-missing.
    assert "ses-dkim-missing" not in codes(domain(result, "example.com"))
    assert result.summary()["known-after-apply"] == 3


# -- values other than ours ------------------------------------------------------------


def test_route53_keeps_keeptxt_values_in_the_record_set(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com", f'@ TXT "{GOOGLE_OLD}"', '@ TXT "site-verification=keep-me"')})
    config = stack({"domain": "example.com", "dns": ROUTE53,
                    "senders": ["google-workspace"], "keepTxt": ["site-verification=keep-me"]})
    result = plan(zones, config)
    spf = record(result, "example.com", "spf")
    assert statuses(spf)["site-verification=keep-me"] == "kept"
    assert "site-verification=keep-me" in spf.after()
    assert not result.errors and result.exit_status == EXIT_CHANGES


def test_route53_would_delete_a_value_missing_from_keeptxt_which_is_an_error(
        tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com", f'@ TXT "{GOOGLE_OLD}"', '@ TXT "site-verification=forgotten"')})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["google-workspace"]})
    result = plan(zones, config)
    spf = record(result, "example.com", "spf")
    assert statuses(spf)["site-verification=forgotten"] == "lost"
    assert "site-verification=forgotten" not in spf.after()
    lost = [f for f in domain(result, "example.com").findings if f.code == "plan-value-lost"]
    assert len(lost) == 1 and lost[0].is_error
    assert "site-verification=forgotten" in lost[0].message and "keepTxt" in lost[0].message
    assert result.summary()["lost"] == 1
    assert result.exit_status == EXIT_ERRORS


def test_a_keeptxt_value_not_published_yet_is_written_by_route53(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "keepTxt": ["site-verification=new"]})
    spf = record(plan(zones, config), "example.com", "spf")
    assert statuses(spf)["site-verification=new"] == "add"


def test_cloudflare_leaves_other_values_alone(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.net": zone(
        "example.net", '@ TXT "v=spf1 include:sendgrid.net -all"',
        '@ TXT "site-verification=someone-elses"')})
    config = stack({"domain": "example.net", "dns": CLOUDFLARE,
                    "senders": ["sendgrid", "mailgun"], "spfAll": "-all"})
    result = plan(zones, config)
    spf = record(result, "example.net", "spf")
    assert statuses(spf) == {
        "v=spf1 include:sendgrid.net -all": "remove",
        "v=spf1 include:sendgrid.net include:mailgun.org -all": "add",
        "site-verification=someone-elses": "unmanaged",
    }
    assert spf.action is Action.UPDATE
    assert "plan-value-lost" not in codes(domain(result, "example.net"))
    assert result.exit_status == EXIT_CHANGES


def test_a_second_spf_value_left_at_a_name_is_an_error(tmp_path: Path) -> None:
    # Cloudflare: the stack's record takes over one v=spf1 value; the other stays.
    zones = zone_dir(tmp_path, {"example.net": zone(
        "example.net", '@ TXT "v=spf1 include:sendgrid.net -all"',
        '@ TXT "v=spf1 ip4:192.0.2.10 -all"')})
    config = stack({"domain": "example.net", "dns": CLOUDFLARE,
                    "senders": ["sendgrid", "mailgun"], "spfAll": "-all"})
    result = plan(zones, config)
    spf = record(result, "example.net", "spf")
    assert statuses(spf)["v=spf1 ip4:192.0.2.10 -all"] == "unmanaged"
    found = domain(result, "example.net").findings
    multiple = [f for f in found if f.code == "spf-multiple-records"]
    assert multiple and all(f.is_error for f in multiple)
    # The value left behind is judged too: the pack's IP literal rule.
    literal = [f for f in found if f.code == "spf-ip-literal"]
    assert literal and "192.0.2.10" in literal[0].message
    assert result.exit_status == EXIT_ERRORS


def test_route53_replaces_every_published_spf_value(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com", '@ TXT "v=spf1 include:_spf.google.com ~all"',
        '@ TXT "v=spf1 include:sendgrid.net ~all"')})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"]})
    result = plan(zones, config)
    spf = record(result, "example.com", "spf")
    assert sorted(v.status.value for v in spf.values) == ["add", "remove", "remove"]
    assert spf.spf is not None
    assert any("2 v=spf1 values" in note for note in spf.spf.notes)
    assert "spf-multiple-records" not in codes(domain(result, "example.com"))
    assert result.exit_status == EXIT_CHANGES


def test_a_cname_at_a_managed_name_is_an_error(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com", "bounce CNAME elsewhere.example.com.",
        'elsewhere TXT "v=spf1 -all"')})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "ses": {"mailFromSubdomain": "bounce"}})
    result = plan(zones, config)
    conflict = [f for f in domain(result, "example.com").findings
                if f.code == "plan-cname-conflict"]
    assert {f.where for f in conflict} == {"bounce.example.com"}
    assert len(conflict) == 2  # the MX and the TXT record
    assert result.exit_status == EXIT_ERRORS


def test_a_record_that_cannot_be_read_is_unknown_and_an_error() -> None:
    resolver = MemoryResolver({"example.com": {RdType.TXT: ["v=spf1 -all"]}},
                              timeouts=["_dmarc.example.com"])
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "dmarc": {"policy": "none", "rua": ["mailto:dmarc@example.com"]}})
    result = plan_offline(config, resolver)
    dmarc = record(result, "example.com", "dmarc")
    assert dmarc.action is Action.UNKNOWN
    errors = [f for f in domain(result, "example.com").findings if f.code == "plan-dns-error"]
    assert errors and "timed out" in errors[0].message
    assert result.exit_status == EXIT_ERRORS


# -- findings of the policy pack's rules ------------------------------------------------


def test_an_ip_literal_mx_left_at_a_managed_name_is_reported(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.net": zone(
        "example.net", "bounce MX 10 feedback-smtp.eu-west-1.amazonses.com.",
        "bounce MX 20 192.0.2.7.", 'bounce TXT "v=spf1 include:amazonses.com -all"')})
    config = stack({"domain": "example.net", "dns": CLOUDFLARE, "senders": ["amazon-ses"],
                    "ses": {"mailFromSubdomain": "bounce"}})
    result = plan(zones, config)
    mx = record(result, "example.net", "mail-from-mx")
    assert statuses(mx)["20 192.0.2.7"] == "unmanaged"
    found = [f for f in domain(result, "example.net").findings
             if f.code == "mail-host-ip-literal"]
    assert found and "192.0.2.7" in found[0].message
    assert result.exit_status == EXIT_ERRORS


def test_a_domain_without_dmarc_gets_the_packs_warning(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"]})
    found = codes(domain(plan(zones, config), "example.com"))
    assert "dmarc-missing" in found
    assert "config-no-dmarc" not in found  # the same warning once


def test_a_published_dmarc_record_not_managed_here_is_judged(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone(
        "example.com", '_dmarc TXT "v=DMARC1; p=none"')})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"]})
    found = codes(domain(plan(zones, config), "example.com"))
    assert "dmarc-missing" not in found
    assert {"dmarc-policy-none", "dmarc-no-rua"} <= set(found)


def test_config_warnings_appear_under_their_domain(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com"),
                                "example.org": zone("example.org")})
    config = stack(
        {"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
         "dmarc": {"policy": "reject", "rua": ["mailto:dmarc@example.com"]}},
        {"domain": "example.org", "dns": ROUTE53, "senders": ["amazon-ses"],
         "dmarc": {"policy": "none", "rua": ["mailto:dmarc@example.org"]}},
    )
    result = plan(zones, config)
    assert "dmarc-policy-none" not in codes(domain(result, "example.com"))
    none = [f for f in domain(result, "example.org").findings if f.code == "dmarc-policy-none"]
    assert [f.where for f in none] == ["domains[1].dmarc"]


def test_the_ses_rule_is_run_over_the_records_after_the_plan() -> None:
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                    "ses": {"mailFromSubdomain": "bounce"}})
    spf_only = [RecordPlan("mail-from-spf", "SesDomainIdentity", "bounce.example.com", "TXT",
                           3600, Action.CREATE,
                           (PlannedValue("v=spf1 include:amazonses.com -all",
                                         ValueStatus.ADD),))]
    found = [f.code for f in pack_findings(config.domains[0], spf_only,
                                              Discovery.nothing_published("example.com"))]
    assert "ses-mail-from-mx-missing" in found
    assert "ses-dkim-missing" in found


# -- include trees, budgets and the lock ---------------------------------------------------


def _grow_sendgrid(directory: Path) -> None:
    """sendgrid.net adds two includes to its record (the provider changed)."""
    path = directory / "sendgrid.net.zone"
    text = path.read_text().replace(
        "include:ab.sendgrid.net ~all",
        "include:ab.sendgrid.net include:eu.sendgrid.net ~all",
    )
    path.write_text(text + 'eu TXT "v=spf1 include:ab.sendgrid.net ~all"\n')


def test_the_budget_is_walked_through_the_zones_not_the_catalogue(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.net": zone("example.net")})
    _grow_sendgrid(zones)
    config = stack({"domain": "example.net", "dns": CLOUDFLARE,
                    "senders": ["google-workspace", "mailgun", "sendgrid"]})
    result = plan(zones, config)
    spf = record(result, "example.net", "spf")
    assert spf.spf is not None
    # Catalogue: 4 + 3 + 2 = 9. As published now sendgrid costs 4: 11, over the limit.
    assert spf.spf.lookups_after == 11
    found = domain(result, "example.net").findings
    assert any(f.code == "spf-lookup-limit" and f.is_error for f in found)
    cost = [f for f in found if f.code == "plan-include-cost"]
    assert cost and "costs 4" in cost[0].message and "says 2" in cost[0].message
    assert result.exit_status == EXIT_ERRORS


def test_the_lock_records_trees_and_warns_when_a_provider_changed(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path / "zones", {"example.net": zone("example.net")})
    config = stack({"domain": "example.net", "dns": CLOUDFLARE, "senders": ["sendgrid"]})
    first = plan(zones, config)
    report = first.includes[0]
    assert (report.include, report.resolved, report.lookups) == ("sendgrid.net", True, 2)
    assert report.previous is None and not report.changed
    entry = first.lock.includes["sendgrid.net"]
    assert entry.lookups == 2
    assert set(entry.records) == {"sendgrid.net", "ab.sendgrid.net"}
    lock_file = tmp_path / "mailzone.lock.json"
    assert write_lock(lock_file, first.lock) is True
    assert write_lock(lock_file, first.lock) is False  # same content: left alone

    again = plan(zones, config, read_lock(lock_file))
    assert "plan-include-changed" not in codes(domain(again, "example.net"))

    _grow_sendgrid(zones)
    changed = plan(zones, config, read_lock(lock_file))
    warnings = [f for f in domain(changed, "example.net").findings
                if f.code == "plan-include-changed"]
    assert len(warnings) == 1 and not warnings[0].is_error
    assert "lookups 2 -> 4" in warnings[0].message
    assert "+include:eu.sendgrid.net" in warnings[0].message
    assert "eu.sendgrid.net is new in the tree" in warnings[0].message
    assert changed.includes[0].changed
    assert changed.lock.includes["sendgrid.net"].lookups == 4


def test_an_unresolvable_include_keeps_its_previous_lock_entry(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.net": zone("example.net")})
    (zones / "sendgrid.net.zone").unlink()
    config = stack({"domain": "example.net", "dns": CLOUDFLARE, "senders": ["sendgrid"]})
    previous = Lock({"sendgrid.net": LockEntry(2, {"sendgrid.net": "v=spf1 -all"}),
                     "other.example": LockEntry(1, {"other.example": "v=spf1 -all"})})
    result = plan(zones, config, previous)
    assert not result.includes[0].resolved
    assert result.lock.includes == previous.includes
    # Not a catalogue gap: sendgrid's records are in the catalogue, so it is missing.
    assert "spf-include-missing" in codes(domain(result, "example.net"))


def test_a_catalogue_include_without_records_is_counted_at_its_cost(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com"),
                                "example.org": zone("example.org")})
    config = stack(
        {"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses", "mendix"]},
        {"domain": "example.org", "dns": ROUTE53, "senders": ["amazon-ses", "mendix"]},
    )
    result = plan(zones, config)
    for name in ("example.com", "example.org"):
        spf = record(result, name, "spf")
        assert spf.spf is not None and spf.spf.lookups_after == 2
        found = domain(result, name).findings
        unresolved = [f for f in found if f.code == "plan-include-unresolved"]
        assert [f.where for f in unresolved] == [name]
        assert "spf-include-missing" not in [f.code for f in found]
    mendix = next(i for i in result.includes if i.include == "_spf.mendix.com")
    assert not mendix.resolved and mendix.catalogue_lookups == 1
    assert result.exit_status == EXIT_CHANGES


def test_an_include_outside_the_catalogue_that_is_missing_is_an_error(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com")})
    config = stack({"domain": "example.com", "dns": ROUTE53,
                    "senders": [{"include": "spf.partner.example", "lookups": 1}]})
    result = plan(zones, config)
    assert "spf-include-missing" in codes(domain(result, "example.com"))
    assert result.exit_status == EXIT_ERRORS


def test_lock_text_round_trips_and_bad_locks_name_the_fix(tmp_path: Path) -> None:
    lock = Lock({"sendgrid.net": LockEntry(2, {"sendgrid.net": "v=spf1 -all"})})
    assert parse_lock(lock.dumps()) == lock
    for text in ("not json", '{"schema_version": 99, "includes": {}}',
                 '{"schema_version": 1, "includes": {"x.example": {"lookups": "2"}}}'):
        with pytest.raises(LockFileError, match="--no-lock"):
            parse_lock(text)
    assert read_lock(tmp_path / "absent.json") is None


# -- the pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "published", "expected"),
    [
        ("route53", ["v=spf1 -all", "token=a"],
         {"v=spf1 -all": "remove", "token=a": "lost", "v=spf1 include:x.example -all": "add",
          "token=k": "add"}),
        ("route53", ["token=k", "v=spf1 include:x.example -all"],
         {"v=spf1 include:x.example -all": "unchanged", "token=k": "kept"}),
        ("cloudflare", ["v=spf1 -all", "token=a"],
         {"v=spf1 -all": "remove", "token=a": "unmanaged",
          "v=spf1 include:x.example -all": "add"}),
        ("cloudflare", ["token=k"],
         {"token=k": "kept", "v=spf1 include:x.example -all": "add"}),
    ],
)
def test_plan_values(provider: str, published: list[str], expected: dict[str, str]) -> None:
    planned = plan_values(provider, "TXT", ["v=spf1 include:x.example -all"], ["token=k"],
                          published)
    assert {v.value: v.status.value for v in planned} == expected
    # What goes is listed before what comes.
    order = [v.status for v in planned]
    if ValueStatus.REMOVE in order:
        assert order.index(ValueStatus.REMOVE) < order.index(ValueStatus.ADD)


def test_mx_values_compare_names_without_case_or_trailing_dot() -> None:
    planned = plan_values("route53", "MX", ["10 feedback-smtp.eu-west-1.amazonses.com"], [],
                          ["10 Feedback-SMTP.eu-west-1.amazonses.com."])
    assert [v.status for v in planned] == [ValueStatus.UNCHANGED]


def test_authoritative_resolver_asks_each_domains_own_servers() -> None:
    recursive = MemoryResolver({
        "example.com": {RdType.NS: ["ns1.example.com", "ns2.example.com"],
                        RdType.TXT: ["from the recursive cache"]},
        "ns1.example.com": {RdType.A: ["192.0.2.1"]},
        "ns2.example.com": {RdType.A: ["192.0.2.2"]},
        "provider.example": {RdType.TXT: ["v=spf1 -all"]},
    })
    servers = {
        "192.0.2.1": MemoryResolver(timeouts=["example.com", "_dmarc.example.com"]),
        "192.0.2.2": MemoryResolver({"example.com": {RdType.TXT: ["fresh"]}}),
    }
    asked: list[str] = []

    def server(address: str) -> MemoryResolver:
        asked.append(address)
        return servers[address]

    resolver = AuthoritativeResolver(recursive, ["example.com", "example.org"], server)

    def resolve(name: str) -> Answer:
        return asyncio.run(resolver.resolve(name, RdType.TXT))

    assert resolve("example.com").records == ("fresh",)  # ns1 timed out; ns2 answered
    assert resolve("provider.example").records == ("v=spf1 -all",)
    assert resolve("sub.example.com") == Answer("sub.example.com", RdType.TXT, (),
                                                nxdomain=True)
    assert asked == ["192.0.2.1", "192.0.2.2"]  # each server built once
    with pytest.raises(DnsError, match="delegated"):
        resolve("example.org")


def test_progress_is_reported_once_per_domain(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com"),
                                "example.org": zone("example.org")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"]},
                   {"domain": "example.org", "dns": ROUTE53, "senders": ["amazon-ses"]})
    seen: list[str] = []
    plan_offline(config, ZoneDirResolver(zones), progress=lambda d: seen.append(d.domain))
    assert seen == ["example.com", "example.org"]


def test_domains_planned_concurrently_give_the_same_plan(tmp_path: Path) -> None:
    zones = zone_dir(tmp_path, {"example.com": zone("example.com", f'@ TXT "{GOOGLE_OLD}"'),
                                "example.org": zone("example.org")})
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["google-workspace"]},
                   {"domain": "example.org", "dns": ROUTE53, "senders": ["mendix"]})
    sequential = plan_offline(config, ZoneDirResolver(zones))
    concurrent = asyncio.run(build_plan(config, ZoneDirResolver(zones), concurrency=4))
    assert concurrent.to_json() == sequential.to_json()


def _apex_zones(tmp_path: Path, names: list[str]) -> Path:
    return zone_dir(tmp_path / "zones", {name: zone(
        name, '@ TXT "v=spf1 include:old.example.net -all"', '@ TXT "token=a"',
        '@ TXT "token=b"') for name in names})


def test_a_plan_that_replaces_every_txt_value_at_an_apex_is_unsafe(tmp_path: Path) -> None:
    zones = _apex_zones(tmp_path, ["example.com"])
    config = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"]})
    result = plan(zones, config)
    (unsafe,) = [f for f in domain(result, "example.com").findings if f.code == "plan-unsafe"]
    assert unsafe.is_error and "all 3 TXT values at the apex of example.com" in unsafe.message
    assert result.exit_status == EXIT_ERRORS
    # Keeping the tokens makes it an ordinary update of the SPF record.
    kept = stack({"domain": "example.com", "dns": ROUTE53, "senders": ["amazon-ses"],
                  "keepTxt": ["token=a", "token=b"]})
    assert "plan-unsafe" not in codes(domain(plan(zones, kept), "example.com"))


def test_a_plan_that_replaces_more_than_the_share_is_unsafe_unless_allowed(
        tmp_path: Path) -> None:
    from mailzone.plan.guard import UnsafeGuard

    names = [f"d{i}.example.com" for i in range(4)]
    zones = _apex_zones(tmp_path, names)
    config = stack(*({"domain": n, "dns": ROUTE53, "senders": ["amazon-ses"],
                      "keepTxt": ["token=a"]} for n in names))
    # Per domain: the SPF record replaced and token=b lost, token=a kept: 8 of 12 going.
    result = plan_offline(config, ZoneDirResolver(zones))
    share = [f for f in result.findings if f.code == "plan-unsafe" and not f.where]
    assert len(share) == 1 and share[0].is_error
    assert "8 of the 12 values" in share[0].message
    allowed = plan_offline(config, ZoneDirResolver(zones), guard=UnsafeGuard(allow=True))
    assert {f.severity.value for f in allowed.findings if f.code == "plan-unsafe"} == {
        "warning"}
    relaxed = plan_offline(config, ZoneDirResolver(zones), guard=UnsafeGuard(share=0.7))
    assert [f for f in relaxed.findings if f.code == "plan-unsafe" and not f.where] == []
