"""DNS as the rest of the core sees it: one question, one answer.

``resolver`` holds the protocol and the answer type; ``memory``, ``zonedir``,
``live`` and ``authoritative`` answer it from a dict, a directory of BIND zone
files, DNS servers, and each domain's own name servers; ``source`` picks the one
a command asked for; ``txt`` encodes TXT values as character-strings. Nothing
here knows SPF, DMARC or Pulumi.
"""
