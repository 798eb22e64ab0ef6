"""Root conftest: shared fixtures for every test tier come from the platform's testing package."""

pytest_plugins = ["aigym_platform.testing.fixtures"]
