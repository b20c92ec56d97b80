"""Test-only helpers of the Relay bindings: not part of the public ``relay`` API.

They exist only in a build with the cargo feature ``testing``
(``maturin develop --features testing``, as scripts/test-bindings.sh builds); importing this
module from any other build raises ImportError.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relay._relay import Job

    def synthetic_job(events: int, interval_ms: int = 0, fail_with: str | None = None) -> Job:
        """A job streaming ``events`` progress events, returning ``events`` (or failing with a
        RepoError of code ``synthetic_failure``); for tests and boundary benchmarks."""

else:
    try:
        # A submodule object of the extension module, not an importable package path.
        from relay._relay import _testing as _native
    except ImportError:
        raise ImportError(
            "relay._testing needs relay built with the cargo feature `testing` "
            "(maturin develop --features testing)"
        ) from None
    synthetic_job = _native.synthetic_job

__all__ = ["synthetic_job"]
