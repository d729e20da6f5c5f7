"""``mailzone plan``: desired records against the records published now.

``model`` holds what a plan is (actions, value statuses, the SPF diff),
``build`` computes it through any resolver, ``lock`` keeps the include trees of
the last plan."""
