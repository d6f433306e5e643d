"""What guards a request beyond its token: limits, rate limits, revocation of open sockets."""
