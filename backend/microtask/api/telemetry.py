"""FastAPI's own OpenTelemetry bridge, turned off for the platform's apps.

FastAPI 0.165 asks OpenTelemetry's global providers on every request whether anyone
configured them (about 20 µs a request; three requests make every gasless slot), and
when someone has, its ``logs`` bridge exports the messages of validation failures and
exceptions, where a request's contents may appear. microtask configures no OpenTelemetry
anywhere; a deployment that wants traces wraps the ASGI app with OpenTelemetry's own
middleware instead, deliberately.
"""

from __future__ import annotations

from typing import Final

from fastapi.telemetry import TelemetryConfig

OFF: Final[TelemetryConfig] = {"tracing": False, "metrics": False, "logs": False}
