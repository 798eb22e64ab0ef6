"""Events between services: envelope, registry, transactional outbox, relay, idempotent consumers."""
