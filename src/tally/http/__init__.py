"""What every endpoint shares: envelopes, errors, tenancy and bearer tokens, idempotency, pagination."""
