"""Tenants: one per X-Clarus-Subdomain."""
