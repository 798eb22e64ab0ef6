"""Process managers for the embedded dev/test stack: PostgreSQL, Redis, Envoy and the suite's own children."""
