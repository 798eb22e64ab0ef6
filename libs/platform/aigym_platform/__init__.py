"""Shared platform code for every aigym service: no service logic lives here."""
