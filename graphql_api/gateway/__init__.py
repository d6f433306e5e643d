"""What guards a request before and around GraphQL: size and cost limits, rate limits,
production hardening, GraphQL over HTTP, bad input, database faults, revoked sockets,
the cache of resolved viewers."""
