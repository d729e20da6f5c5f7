"""4. Plan: ``mailzone plan`` for 1,000 domains from zone files, and octoDNS on the same records.

One scenario, written twice:

- mailzone: a stack file ``Pulumi.bench.yaml`` with 1,000 domains (half on
  Route 53, half on Cloudflare; senders from the catalogue, DMARC, SES with a
  MAIL FROM subdomain, a kept verification token) and a directory of zone files
  with what is published now, plus the providers' zones the SPF includes lead
  to (``examples/provider_zones.py``). ``mailzone plan --zones DIR --format
  json --no-lock``.
- octoDNS: a YAML source (the records each zone should hold) and a YAML
  provider as the target (the records published now), one zone per domain,
  and ``octodns-sync`` without ``--doit`` (a dry run: the plan is computed
  and printed, nothing is written).

Published now, by domain number modulo 5: 0 everything as desired; 1 an older
SPF record (update); 2 no DMARC record (create); 3 no MAIL FROM records
(two creates); 4 an SPF record with an address literal and the DMARC policy
``none`` (two updates). The octoDNS source holds every record of the zone
(its model: the source is the whole truth), so the records mailzone does not
manage (apex MX, host addresses) are equal on both sides; DKIM CNAMEs get
concrete tokens there, where mailzone's are known only after apply.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    PROJECT_BIN,
    ROOT,
    Row,
    Section,
    Settings,
    Stat,
    child_env,
    interleaved,
    log,
    pairwise,
    run_child,
    verdict,
)

TARGET_SECONDS = 5.0
REGION = "eu-west-1"
SENDERS = (
    ("amazon-ses", "google-workspace"),
    ("sendgrid", "mailgun"),
    ("amazon-ses", "mendix"),
    ("amazon-ses", "google-workspace", "mendix"),
)
INCLUDES = {"amazon-ses": "amazonses.com", "google-workspace": "_spf.google.com",
            "sendgrid": "sendgrid.net", "mailgun": "mailgun.org", "mendix": "_spf.mendix.com"}
#: Records of a name and type: values in presentation form (TXT unquoted, names absolute).
Records = dict[tuple[str, str], list[str]]


def _provider_zones() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "provider_zones", ROOT / "examples" / "provider_zones.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    zones: dict[str, str] = module.provider_zones()
    return zones


def _domain(index: int) -> tuple[dict[str, Any], Records, Records]:
    """(stack config entry, desired records, published records) of domain ``index``."""
    d = f"plan-{index:04d}.test"
    senders = SENDERS[index % len(SENDERS)]
    spf_all = "-all" if index % 3 == 0 else "~all"
    keep = f"site-verification=tok{index:05d}"
    rua = f"mailto:dmarc@{d}"
    config: dict[str, Any] = {
        "domain": d,
        "dns": ({"provider": "route53"} if index % 2 == 0 else
                {"provider": "cloudflare", "zoneId": f"{index:032x}"}),
        "senders": list(senders),
        "spfAll": spf_all,
        "keepTxt": [keep],
        "dmarc": {"policy": "quarantine", "rua": [rua]},
        "ses": {"mailFromSubdomain": "bounce"},
    }
    spf = " ".join(["v=spf1", *(f"include:{INCLUDES[s]}" for s in senders), spf_all])
    dmarc = f"v=DMARC1; p=quarantine; rua={rua}"
    mail_from = f"bounce.{d}"
    tokens = [f"t{index:04d}{k}abcdefghijklmnopqrstuvwxyz2"[:32] for k in range(3)]
    common: Records = {
        (d, "MX"): [f"10 mx1.{d}", f"20 mx2.{d}"],
        (f"mx1.{d}", "A"): ["192.0.2.25"],
        (f"mx2.{d}", "AAAA"): ["2001:db8::25"],
        (f"www.{d}", "A"): ["198.51.100.80"],
    }
    for token in tokens:
        common[(f"{token}._domainkey.{d}", "CNAME")] = [f"{token}.dkim.amazonses.com"]
    desired: Records = {
        **common,
        (d, "TXT"): [spf, keep],
        (f"_dmarc.{d}", "TXT"): [dmarc],
        (mail_from, "MX"): [f"10 feedback-smtp.{REGION}.amazonses.com"],
        (mail_from, "TXT"): ["v=spf1 include:amazonses.com -all"],
    }
    published = dict(desired)
    variant = index % 5
    if variant == 1:
        published[(d, "TXT")] = [f"v=spf1 include:{INCLUDES[senders[0]]} ~all", keep]
    elif variant == 2:
        del published[(f"_dmarc.{d}", "TXT")]
    elif variant == 3:
        del published[(mail_from, "MX")]
        del published[(mail_from, "TXT")]
    elif variant == 4:
        published[(d, "TXT")] = [spf.replace("v=spf1", "v=spf1 ip4:192.0.2.10"), keep]
        published[(f"_dmarc.{d}", "TXT")] = [f"v=DMARC1; p=none; rua={rua}"]
    return config, desired, published


def _quote(value: str) -> str:
    data = value
    parts = [data[i:i + 255] for i in range(0, len(data), 255)] or [""]
    return " ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parts)


def _zone_file(zone: str, records: Records) -> str:
    lines = [f"$ORIGIN {zone}.", "$TTL 3600",
             f"@ SOA ns1.{zone}. hostmaster.{zone}. 1 7200 3600 1209600 300",
             f"@ NS ns1.{zone}.", "ns1 A 192.0.2.53"]
    for (name, rdtype), values in records.items():
        for value in values:
            if rdtype == "TXT":
                value = _quote(value)
            elif rdtype == "MX":
                preference, _, host = value.partition(" ")
                value = f"{preference} {host}."
            elif rdtype == "CNAME":
                value = f"{value}."
            lines.append(f"{name}. {rdtype} {value}")
    return "\n".join(lines) + "\n"


def _octodns_zone(zone: str, records: Records) -> dict[str, Any]:
    """A zone in octoDNS's YAML: relative names, one entry per name (a list of types)."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for (name, rdtype), values in records.items():
        label = "" if name == zone else name[: -len(zone) - 1]
        entry: dict[str, Any] = {"type": rdtype, "ttl": 3600}
        if rdtype == "TXT":
            entry["values"] = [v.replace(";", "\\;") for v in values]
        elif rdtype == "MX":
            entry["values"] = [{"preference": int(v.split()[0]), "exchange": v.split()[1] + "."}
                               for v in values]
        elif rdtype == "CNAME":
            entry["value"] = values[0] + "."
        else:
            entry["values"] = list(values)
        by_name.setdefault(label, []).append(entry)
    return {label: entries[0] if len(entries) == 1 else entries
            for label, entries in sorted(by_name.items())}


def write_scenario(work: Path, domains: int) -> tuple[Path, Path, Path]:
    """(stack file, zone directory, octoDNS config file)."""
    zones = work / "zones"
    octo = work / "octodns"
    for directory in (zones, octo / "desired", octo / "published"):
        directory.mkdir(parents=True, exist_ok=True)
    for origin, text in _provider_zones().items():
        (zones / f"{origin}.zone").write_text(text)
    entries = []
    octo_zones: dict[str, Any] = {}
    for index in range(domains):
        config, desired, published = _domain(index)
        zone = config["domain"]
        entries.append(config)
        (zones / f"{zone}.zone").write_text(_zone_file(zone, published))
        for side, records in (("desired", desired), ("published", published)):
            (octo / side / f"{zone}.yaml").write_text(
                yaml.safe_dump(_octodns_zone(zone, records), sort_keys=False))
        octo_zones[f"{zone}."] = {"sources": ["desired"], "targets": ["published"]}
    stack = work / "Pulumi.bench.yaml"
    stack.write_text(yaml.safe_dump({"config": {"aws:region": REGION,
                                                "mailzone:domains": entries}},
                                    sort_keys=False))
    config_file = octo / "config.yaml"
    provider = "octodns.provider.yaml.YamlProvider"
    config_file.write_text(yaml.safe_dump({
        "providers": {
            "desired": {"class": provider, "directory": str(octo / "desired"),
                        "enforce_order": False},
            "published": {"class": provider, "directory": str(octo / "published"),
                          "enforce_order": False},
        },
        "zones": octo_zones,
    }, sort_keys=False))
    return stack, zones, config_file


def run(settings: Settings) -> Section:
    section = Section("Plan")
    work = settings.work / "plan"
    domains = settings.plan_domains
    log(f"plan: writing {domains} domains")
    stack, zones, octo_config = write_scenario(work, domains)
    env = child_env()
    mailzone: list[str | Path] = [PROJECT_BIN / "mailzone", "plan", "--stack", stack,
                                  "--zones", zones, "--format", "json", "--no-lock"]
    sync = settings.peer_bin("octodns-sync")

    def ours() -> float:
        return run_child(mailzone, stdout=work / "mailzone.json", stderr=work / "mailzone.err",
                         env=env, ok=(0, 1, 2), cwd=work).seconds

    def peer() -> float:
        assert sync is not None
        return run_child([sync, "--config-file", octo_config], stdout=work / "octodns.out",
                         stderr=work / "octodns.err", env=env, cwd=work).seconds

    for _ in range(settings.warmup):
        ours()
        if sync is not None:
            peer()
    log(f"plan: {settings.runs} interleaved runs")
    mine, theirs = interleaved(settings.runs, ours, peer if sync is not None else None)
    plan = json.loads((work / "mailzone.json").read_text())
    changes = _mailzone_changes(plan)
    stat = Stat.of(mine)
    row = Row("4. Plan", f"seconds for {domains} domains from zone files", stat.show(" s"),
              target=f"< {TARGET_SECONDS:g} s", status=verdict(stat.median < TARGET_SECONDS))
    section.rows.append(row)
    section.raw.update({"domains": domains, "ours_seconds": mine, "ours_changes": changes})
    note = (f"Plan: mailzone planned {changes.get('create', 0)} creates and "
            f"{changes.get('update', 0)} updates")
    if theirs:
        peer_stat = Stat.of(theirs)
        ratio = pairwise(theirs, mine)
        row.peer = peer_stat.show(" s")
        row.ratio = ratio.show("x")
        row.target += "; faster than octoDNS"
        row.status = verdict(stat.median < TARGET_SECONDS and ratio.median > 1.0)
        octo = _octodns_changes(work / "octodns.err")
        section.raw.update({"peer_seconds": theirs, "peer_changes": octo})
        note += (f"; octoDNS {octo.get('Create', 0)} creates and {octo.get('Update', 0)} "
                 f"updates ({octo.get('Delete', 0)} deletes)")
    section.notes.append(note + " (DKIM CNAMEs are known after apply for mailzone).")
    return section


def _mailzone_changes(plan: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for domain in plan.get("domains", []):
        for record in domain.get("records", []):
            action = record.get("action", "")
            counts[action] = counts.get(action, 0) + 1
    return counts


def _octodns_changes(log_file: Path) -> dict[str, int]:
    """Creates, updates and deletes, from the summary line octoDNS prints per zone."""
    counts = {"Create": 0, "Update": 0, "Delete": 0}
    pattern = re.compile(r"Summary: Creates=(\d+), Updates=(\d+), Deletes=(\d+)")
    for match in pattern.finditer(log_file.read_text(errors="replace")):
        for kind, value in zip(("Create", "Update", "Delete"), match.groups(), strict=True):
            counts[kind] += int(value)
    return counts
