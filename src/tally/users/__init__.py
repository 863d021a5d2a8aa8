"""People: users of a tenant and their roles."""
