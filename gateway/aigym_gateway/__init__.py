"""The AI Gym Envoy gateway: one typed template rendered to an Envoy v3 bootstrap (local and Kubernetes)."""

from aigym_gateway.config import (
    GatewayConfig,
    JwtConfig,
    UpstreamService,
    default_descriptor_path,
    render,
    render_yaml,
)

__all__ = [
    "GatewayConfig",
    "JwtConfig",
    "UpstreamService",
    "default_descriptor_path",
    "render",
    "render_yaml",
]
