"""The native engine (crates/python). Use the ``permit0`` package's API instead."""

from typing import Any, Mapping, Optional, Sequence

__version__: str

class BundleError(Exception): ...

class Risk:
    score: int
    tier: str
    flags: tuple[str, ...]
    def __init__(self, score: int, tier: str, flags: Sequence[str] = ()) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

class Decision:
    verdict: str
    reason: str
    rule: Optional[str]
    action: Optional[str]
    risk: Optional[Risk]
    bundle: str
    action_digest: Optional[str]
    obligations: Mapping[str, Any]
    token: Optional[str]
    approval_id: Optional[str]
    def __init__(
        self,
        verdict: str,
        reason: str,
        rule: Optional[str] = None,
        action: Optional[str] = None,
        risk: Optional[Risk] = None,
        bundle: str = "",
        action_digest: Optional[str] = None,
        obligations: Optional[Mapping[str, Any]] = None,
        token: Optional[str] = None,
        approval_id: Optional[str] = None,
    ) -> None: ...
    @property
    def allowed(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> "Decision": ...

class Authorizer:
    def __init__(
        self,
        bundle: bytes,
        trusted: Sequence[str],
        max_skew: Optional[float] = 300.0,
        signing_key: Optional[str] = None,
        token_ttl: float = 300.0,
    ) -> None: ...
    def check(
        self,
        tool: bool,
        name: str,
        args: Optional[Mapping[str, Any]],
        actor: Any,
        context: Optional[Mapping[str, Any]],
        session: Any,
        scope: Any,
    ) -> Decision: ...
    def request(
        self,
        tool: bool,
        name: str,
        args: Optional[Mapping[str, Any]],
        actor: Any,
        context: Optional[Mapping[str, Any]],
        session: Any,
        scope: Any,
    ) -> dict[str, Any]: ...
    def decide(self, request: Mapping[str, Any]) -> Decision: ...
    def explain(self, request: Mapping[str, Any]) -> dict[str, Any]: ...
    def inputs(self, action: str) -> Optional[list[str]]: ...
    def swap(self, bundle: bytes) -> None: ...
    @property
    def bundle(self) -> str: ...

def assemble(
    tool: bool,
    name: str,
    args: Optional[Mapping[str, Any]],
    actor: Any,
    context: Optional[Mapping[str, Any]],
    session: Any,
    scope: Any,
) -> dict[str, Any]: ...
