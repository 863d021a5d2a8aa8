"""Tasks: the unit of warehouse work; each stock check has one."""
