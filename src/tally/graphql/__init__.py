"""The GraphQL read schema at /graphql, one module per domain."""
