"""Test helpers shared by every service: real PostgreSQL, token minting, in-process servers on port 0."""
