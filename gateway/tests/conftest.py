"""Make `aigym_gateway` importable when the workspace's editable install is missing (bare checkout)."""

from __future__ import annotations

import sys
from pathlib import Path

# `make install` installs the package in editable mode; this only matters when that link is absent.
_GATEWAY_ROOT = str(Path(__file__).resolve().parents[1])
if _GATEWAY_ROOT not in sys.path:
    sys.path.insert(0, _GATEWAY_ROOT)
