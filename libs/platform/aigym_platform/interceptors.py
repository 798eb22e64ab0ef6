"""Server interceptor: identity, deadline, request validation, error catalogue, logs and metrics per RPC."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any, cast

import grpc
import protovalidate
from google.protobuf.message import Message

from aigym_platform import metrics
from aigym_platform.db import database_failure
from aigym_platform.errors import (
    DomainError,
    FieldViolation,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
)
from aigym_platform.identity import current_identity_var, deadline_var, request_id_var, rpc_method_var
from aigym_platform.rpc_errors import internal_status, status_code_of, to_status
from aigym_platform.tokens import TokenVerifier

log = logging.getLogger(__name__)

ACT_AS_TENANT_HEADER = "x-aigym-tenant"
ENVOY_TIMEOUT_HEADER = "x-envoy-expected-rq-timeout-ms"
EXEMPT_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")

Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


def _path_element(element: Any) -> str:
    subscript = getattr(element, "subscript", None)  # a Oneof(field, value) for list indexes and map keys
    if subscript is None:
        return str(element.field_name)
    value = subscript.value
    return f"{element.field_name}[{value!r}]" if isinstance(value, str) else f"{element.field_name}[{value}]"


def violations_of(error: protovalidate.ValidationError) -> list[FieldViolation]:
    """Turn protovalidate violations into field violations with dotted paths (`program.tags[1]`)."""
    return [
        FieldViolation(
            field=".".join(_path_element(e) for e in violation.proto.field.elements)
            if violation.proto.field
            else "",
            description=violation.proto.message,
            reason=violation.proto.rule_id,
        )
        for violation in error.violations
    ]


def _validate(request: Any) -> None:
    if not isinstance(request, Message):
        return
    try:
        protovalidate.validate(request)
    except protovalidate.ValidationError as exc:
        violations = violations_of(exc)
        summary = "; ".join(f"{v.field}: {v.description}" for v in violations[:5])
        raise InvalidArgument(f"invalid request: {summary}", violations=violations) from exc


class Admission:
    """Whether the server still admits calls, and how many are in flight (for a clean shutdown)."""

    def __init__(self) -> None:
        self.closing = False
        self.in_flight = 0
        self._last_arrival = 0.0

    def enter(self) -> None:
        """Count a call in."""
        self.in_flight += 1
        self._last_arrival = time.monotonic()

    def leave(self) -> None:
        """Count a call out."""
        self.in_flight -= 1

    async def wait_quiet(self, quiet: float, limit: float) -> bool:
        """Wait until nothing is in flight and no call arrived for `quiet` seconds; False after `limit`.

        Calls that reached the server but were not yet dispatched would be CANCELLED by the final stop;
        waiting for quiet lets them be dispatched and answered UNAVAILABLE instead.
        """
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.in_flight == 0 and time.monotonic() - self._last_arrival >= quiet:
                return True
            await asyncio.sleep(0.01)
        return False


class PlatformServerInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every unary handler: verify token -> Identity, set deadline, validate, map errors, measure."""

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        default_deadline_seconds: float,
        public_methods: Collection[str] = (),
        admission: Admission | None = None,
    ) -> None:
        self.admission = admission or Admission()
        self._verifier = verifier
        self._default_deadline = default_deadline_seconds
        self._public = frozenset(public_methods)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        """Return the wrapped handler (health and reflection pass through untouched)."""
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(EXEMPT_PREFIXES) or handler.unary_unary is None:
            return handler
        wrapped = self._wrap(cast(Behavior, handler.unary_unary), method)
        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap(self, behavior: Behavior, method: str) -> Behavior:
        service, short = metrics.split_method(method)
        public = method in self._public

        async def wrapped(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            md = {
                key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)
            }
            request_id = md.get("x-request-id") or uuid.uuid4().hex
            request_id_var.set(request_id)
            rpc_method_var.set(method)
            current_identity_var.set(None)
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            metrics.RPC_IN_FLIGHT.labels(service).inc()
            self.admission.enter()
            try:
                if self.admission.closing:
                    raise Unavailable(
                        "server is shutting down; retry on another instance", reason="SHUTTING_DOWN"
                    )
                timeout = self._timeout(context, md)
                deadline_var.set(time.monotonic() + timeout)
                self._authenticate(md, public)
                _validate(request)
                async with asyncio.timeout(timeout):
                    return await behavior(request, context)
            except DomainError as error:
                status = to_status(error, request_id=request_id)
                code = status_code_of(status)
                log.info("rpc failed: %s %s", error.code, error.message)
                await context.abort(code, status.message, trailing_metadata=_details(status))
            except TimeoutError:
                code = grpc.StatusCode.DEADLINE_EXCEEDED
                await context.abort(code, "deadline exceeded")
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED
                raise
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except Exception as error:
                failure = database_failure(error)  # a lost race or connection the client may retry
                if failure is None:
                    log.exception("unhandled error in %s", method)
                    status = internal_status(request_id=request_id)
                else:
                    log.warning("database %s in %s", failure.reason, method)
                    status = to_status(failure, request_id=request_id)
                code = status_code_of(status)
                await context.abort(code, status.message, trailing_metadata=_details(status))
            finally:
                self.admission.leave()
                metrics.RPC_IN_FLIGHT.labels(service).dec()
                metrics.RPC_HANDLED.labels(service, short, code.name).inc()
                metrics.RPC_LATENCY.labels(service, short).observe(time.perf_counter() - started)

        return wrapped

    def _timeout(self, context: grpc.aio.ServicerContext[Any, Any], md: dict[str, str]) -> float:
        remaining = context.time_remaining()
        if remaining is not None:
            return max(remaining, 0.0)
        envoy_ms = md.get(ENVOY_TIMEOUT_HEADER, "")
        if envoy_ms.isdigit() and int(envoy_ms) > 0:
            return int(envoy_ms) / 1000.0
        return self._default_deadline

    def _authenticate(self, md: dict[str, str], public: bool) -> None:
        header = md.get("authorization", "")
        if not header:
            if public:
                return
            raise Unauthenticated("missing bearer token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization must be `Bearer <token>`")
        identity = self._verifier.verify(token.strip(), act_as_tenant=md.get(ACT_AS_TENANT_HEADER) or None)
        current_identity_var.set(identity)


def _details(status: Any) -> tuple[tuple[str, bytes], ...]:
    return (("grpc-status-details-bin", status.SerializeToString()),)
