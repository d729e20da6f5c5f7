"""``mailzone check``: what the world sees of a mail domain, for one domain or
thousands, through one shared resolver."""
