"""Achievements service: badges with declarative rules, real-time awards, Open Badges 3.0 credentials."""
