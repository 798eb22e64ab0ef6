"""Root conftest: shared fixtures for every test tier come from the platform's testing package."""

import os

pytest_plugins = ["aigym_platform.testing.fixtures"]

# Test receivers listen on loopback; production keeps the default (non-public addresses refused).
# Tests of the refusal build their settings with the flag off explicitly.
os.environ.setdefault("AIGYM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
