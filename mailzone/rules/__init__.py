"""Rule functions that are not SPF or DMARC grammar: sender addresses, mail hosts,
SMTP settings and SES identities.

Each rule takes plain values (strings, mappings, record tuples) and returns a list
of ``mailzone.findings.Finding``. The components, the policy pack and the CLI call
the same functions, so they never disagree. Nothing here imports Pulumi.
"""
