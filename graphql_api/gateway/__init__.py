"""What guards a request before and around GraphQL: size and cost limits, rate limits,
production hardening and GraphQL over HTTP."""
