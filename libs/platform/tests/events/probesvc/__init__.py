"""A tiny test "service" that produces and consumes the platform's probe events (no real service needed)."""
