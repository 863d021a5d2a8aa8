"""OAuth 2.0: clients, tokens, scopes, the token and revocation endpoints."""
