"""Mail authentication beyond SPF: DMARC (``dmarc``), DKIM key records (``dkim``)
and the sender catalogue (``catalogue``): each sending service's include, SMTP
hosts, ports and DKIM style, with the date its facts were taken."""
