"""A program that hands SpfRecord and DmarcRecord records they must refuse.

Both refusals are collected and the program then fails, so the test can check
that neither component declared anything (not even itself).
"""

from __future__ import annotations

import pulumi

from components import (
    DmarcRecord,
    DmarcRecordArgs,
    RecordRefused,
    Route53Backend,
    SpfRecord,
    SpfRecordArgs,
)
from mailzone.stack.desired import DesiredRecord

dns = Route53Backend("Z0123456789ABCDEFGHIJ")
refusals: list[str] = []

spf_with_ip = DesiredRecord(
    key="spf", owner="SpfRecord", name="example.org", type="TXT",
    values=("v=spf1 ip4:192.0.2.10 include:amazonses.com ~all",), ttl=300,
)
spf_over_budget = DesiredRecord(
    key="spf", owner="SpfRecord", name="example.net", type="TXT",
    values=("v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net "
            "include:amazonses.com include:spf.mandrillapp.com ~all",), ttl=300,
)
costs = {"_spf.google.com": 4, "mailgun.org": 3, "sendgrid.net": 2, "amazonses.com": 1,
         "spf.mandrillapp.com": 1}
bad_dmarc = DesiredRecord(
    key="dmarc", owner="DmarcRecord", name="_dmarc.example.org", type="TXT",
    values=("v=DMARC1; p=maybe",), ttl=300,
)

for name, make in [
    ("ip", lambda: SpfRecord("example.org-spf", SpfRecordArgs(spf_with_ip, costs, dns))),
    ("budget", lambda: SpfRecord("example.net-spf", SpfRecordArgs(spf_over_budget, costs, dns))),
    ("dmarc", lambda: DmarcRecord("example.org-dmarc",
                                  DmarcRecordArgs(bad_dmarc, "example.org", dns))),
]:
    try:
        make()
    except RecordRefused as exc:
        refusals.append(f"{name}: " + " | ".join(f.code for f in exc.findings))
        print(str(exc))

print("REFUSALS " + "; ".join(refusals))
raise pulumi.RunError(f"{len(refusals)} records refused")
