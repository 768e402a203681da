"""The UI: the plan at a glance, the query page, search; its strings in two languages."""
