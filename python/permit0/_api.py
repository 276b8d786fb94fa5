"""The Python API of permit0 over the native engine (``permit0._native``).

Every path that cannot reach a verdict ends in a deny: an engine that raises,
a request that is not JSON, permit0 used before it is configured. A wrong
allow is the one mistake this module must never make.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import logging
import os
import threading
import urllib.parse
import urllib.request
from types import MappingProxyType
from collections.abc import Mapping
from typing import Any, Callable, NamedTuple, Optional, Sequence, TypeVar, Union, overload

from . import _native

log = logging.getLogger("permit0")

TIERS = ("minimal", "low", "medium", "high", "critical")
_PUBLIC_PREFIX = "permit0-public-key ed25519 "
_SECRET_PREFIX = "permit0-secret-key ed25519 "

PathOrBytes = Union[str, "os.PathLike[str]", bytes]
F = TypeVar("F", bound=Callable[..., Any])


class BundleError(Exception):
    """A bundle or trusted key permit0 refuses (raised by ``configure`` and
    ``Authorizer``, never by a decision)."""


class PermitError(Exception):
    """A decision that is not an allow, raised by ``require``."""

    def __init__(self, decision: "Decision") -> None:
        super().__init__(decision.reason)
        self.decision = decision
        self.reason = decision.reason
        self.rule = decision.rule

    def __reduce__(self):
        return (type(self), (self.decision,))


class Denied(PermitError):
    """The action is denied: do not perform it."""


class EscalationRequired(PermitError):
    """The action needs a human's approval before it may run."""

    def __init__(self, decision: "Decision") -> None:
        super().__init__(decision)
        self.approval_id = decision.approval_id


# ``Decision`` and ``Risk`` are the engine's own frozen objects
# (crates/python/src/decision.rs): an embedded decision is one native object
# whose attributes become Python values only when read.
Decision = _native.Decision
Risk = _native.Risk


def _fail_closed(why: str, action: Optional[str] = None) -> Decision:
    return Decision("deny", f"{why}; denied (fail closed)", action=action)


# --- scope carried by @guard ----------------------------------------------------------


class _Scope(NamedTuple):
    """What a ``@guard`` carries into the calls made inside it (read by the
    engine, crates/python/src/request.rs). A tuple: cheap to make per call."""

    actor: Optional[Mapping[str, Any]]
    session: Optional[Mapping[str, Any]]
    tenant: Optional[str]
    arguments: Mapping[str, Any]


_scope: contextvars.ContextVar[Optional[_Scope]] = contextvars.ContextVar(
    "permit0_scope", default=None
)


def _as_actor(actor: Any) -> Optional[dict]:
    if actor is None:
        return None
    if isinstance(actor, str):
        return {"id": actor}
    if isinstance(actor, Mapping):
        return dict(actor)
    raise TypeError("actor must be an id (str) or a dict such as {'id': …, 'role': …}")


def _as_session(session: Any) -> Optional[dict]:
    if session is None:
        return None
    if isinstance(session, str):
        return {"id": session}
    if isinstance(session, Mapping):
        return dict(session)
    raise TypeError("session must be an id (str) or a dict such as {'id': …}")


def _arguments(sig: inspect.Signature, args: tuple, kwargs: dict) -> dict:
    """The guarded function's named arguments (a dict private to its scope)."""
    try:
        bound = sig.bind_partial(*args, **kwargs)
    except TypeError:
        return {}
    bound.apply_defaults()
    out: dict = {}
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL or name in ("self", "cls"):
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return out


_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _binder(sig: inspect.Signature) -> Callable[[tuple, dict], dict]:
    """``_arguments`` for one signature, fast for the common one: named
    parameters only (no ``*args``, ``**kwargs`` or positional-only). Any
    call it cannot map plainly (too many positionals, an unknown or doubled
    keyword) goes to ``_arguments``, which answers the same."""
    params = list(sig.parameters.values())
    if any(p.kind not in _NAMED for p in params):
        return lambda args, kwargs: _arguments(sig, args, kwargs)
    positional = tuple(
        p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )
    names = frozenset(p.name for p in params)
    defaults = {
        p.name: p.default
        for p in params
        if p.default is not inspect.Parameter.empty and p.name not in ("self", "cls")
    }
    drop = ("self", "cls") if names & {"self", "cls"} else ()

    def bind(args: tuple, kwargs: dict) -> dict:
        if len(args) > len(positional):
            return _arguments(sig, args, kwargs)
        out = dict(zip(positional, args))
        if kwargs:
            if not names.issuperset(kwargs) or not out.keys().isdisjoint(kwargs):
                return _arguments(sig, args, kwargs)
            out.update(kwargs)
        for name in drop:
            out.pop(name, None)
        for name, value in defaults.items():
            out.setdefault(name, value)
        return out

    return bind


@overload
def guard(fn: F) -> F: ...
@overload
def guard(
    fn: None = None, *, actor: Any = None, session: Any = None, tenant: Optional[str] = None
) -> Callable[[F], F]: ...
def guard(fn=None, *, actor=None, session=None, tenant=None):
    """Marks a function (sync or async) that performs agent actions.

    Inside it, ``permit.require``/``check``/``tool`` take the actor, session
    and tenant given here (or by an enclosing ``@guard``), and an action's
    fields that the args dict leaves out are filled from the guarded
    function's own arguments of the same name (the dict wins)."""

    def wrap(f):
        arguments = _binder(inspect.signature(f))
        actor_d, session_d = _as_actor(actor), _as_session(session)

        def scope_for(args, kwargs) -> _Scope:
            outer = _scope.get()
            if outer is None:
                return _Scope(actor_d, session_d, tenant, arguments(args, kwargs))
            return _Scope(
                actor_d if actor_d is not None else outer.actor,
                session_d if session_d is not None else outer.session,
                tenant if tenant is not None else outer.tenant,
                arguments(args, kwargs),
            )

        if inspect.iscoroutinefunction(f):

            @functools.wraps(f)
            async def async_guarded(*args, **kwargs):
                token = _scope.set(scope_for(args, kwargs))
                try:
                    return await f(*args, **kwargs)
                finally:
                    _scope.reset(token)

            return async_guarded

        @functools.wraps(f)
        def guarded(*args, **kwargs):
            token = _scope.set(scope_for(args, kwargs))
            try:
                return f(*args, **kwargs)
            finally:
                _scope.reset(token)

        return guarded

    return wrap(fn) if fn is not None else wrap


# --- the authorizer -------------------------------------------------------------------


def _read_bytes(src: PathOrBytes) -> bytes:
    if isinstance(src, bytes):
        return src
    with open(os.fspath(src), "rb") as fh:
        return fh.read()


def _read_key(src: PathOrBytes, prefix: str = _PUBLIC_PREFIX) -> str:
    if isinstance(src, bytes):
        return src.decode("utf-8")
    if isinstance(src, str) and src.strip().startswith(prefix):
        return src
    with open(os.fspath(src), "r", encoding="utf-8") as fh:
        return fh.read()


Reviewer = Callable[[Decision, Mapping[str, Any]], Optional[str]]


class Authorizer:
    """Decides agent actions against a signed bundle, in this process.

    ``bundle`` is a ``.p0b`` path or its bytes; ``trusted`` the public keys
    that may sign it (``.pub`` paths, or the key text). Thread-safe: share
    one. ``reviewer`` is a second stage that can only tighten: it is called
    for allows whose risk tier is above ``review_above`` and may return
    ``"deny"``, ``"escalate"`` or ``None`` (keep the allow). With
    ``signing_key`` (a ``.key`` path or its text), an allow carries a
    capability token (``Decision.token``) valid ``token_ttl`` seconds."""

    def __init__(
        self,
        bundle: PathOrBytes,
        trusted: Sequence[PathOrBytes],
        *,
        reviewer: Optional[Reviewer] = None,
        review_above: str = "low",
        max_skew: Optional[float] = 300.0,
        signing_key: Optional[PathOrBytes] = None,
        token_ttl: float = 300.0,
    ) -> None:
        if isinstance(trusted, (str, bytes)):
            trusted = [trusted]
        if review_above not in TIERS:
            raise ValueError(f"review_above must be one of {TIERS}")
        try:
            keys = [_read_key(k) for k in trusted]
            secret = None if signing_key is None else _read_key(signing_key, _SECRET_PREFIX)
            self._native = _native.Authorizer(
                _read_bytes(bundle), keys, max_skew, secret, token_ttl
            )
        except _native.BundleError as e:
            raise BundleError(str(e)) from None
        except OSError as e:
            raise BundleError(f"cannot read the bundle or a key: {e}") from None
        self._reviewer = reviewer
        self._review_above = TIERS.index(review_above)
        # No reviewer: `permit` calls the engine directly (_Permit).
        self._fast = reviewer is None

    _fast = False

    @property
    def bundle(self) -> str:
        """The ``sha256:…`` digest of the bundle deciding now."""
        return self._native.bundle

    def swap(self, bundle: PathOrBytes) -> None:
        """Verifies a new bundle, then decides with it (the old one stays on error)."""
        try:
            self._native.swap(_read_bytes(bundle))
        except _native.BundleError as e:
            raise BundleError(str(e)) from None

    # the request and its decision -------------------------------------------------

    def _request(
        self,
        key: str,
        name: str,
        args: Optional[Mapping[str, Any]],
        actor: Any,
        context: Optional[Mapping[str, Any]],
        session: Any,
    ) -> dict:
        """The request a call makes (``key`` is ``"action"`` or ``"tool"``),
        assembled by the engine exactly as it decides it."""
        return self._native.request(key == "tool", name, args, actor, context, session, _scope.get())

    def _run(self, tool: bool, name: str, args, actor, context, session) -> Decision:
        # One call into the engine: it assembles the request from these
        # pieces and the @guard scope, decides, and never raises for a bad
        # request (it denies). Anything that does raise is a deny too.
        scope = _scope.get()
        try:
            d = self._native.check(tool, name, args, actor, context, session, scope)
        except Exception as e:  # noqa: BLE001 — fail closed on anything
            return _engine_failed(name, e)
        if self._reviewer is None or d.verdict != "allow":
            return d
        return self._review(
            d, lambda: self._native.request(tool, name, args, actor, context, session, scope)
        )

    def _wait(self, d: Decision, seconds: float) -> Decision:
        return d  # embedded mode queues no approval to wait for

    def _waited(self, d: Decision, wait: Optional[float]) -> Decision:
        if wait is None or d.verdict != "escalate" or not d.approval_id:
            return d
        try:
            return self._wait(d, wait)
        except Exception as e:  # noqa: BLE001 — still an escalation
            log.warning("permit0: waiting for approval %s failed: %s", d.approval_id, e)
            return d

    def _review(self, d: Decision, request: Callable[[], Mapping[str, Any]]) -> Decision:
        if self._reviewer is None or d.verdict != "allow" or d.risk is None:
            return d
        # A tier this package does not know is reviewed, as the highest.
        risk = d.risk
        tier = TIERS.index(risk.tier) if risk.tier in TIERS else len(TIERS)
        if tier <= self._review_above:
            return d
        # The reviewer sees the decision without its token: an allow it may
        # still turn into a deny must not have minted one.
        seen = Decision(
            d.verdict,
            d.reason,
            rule=d.rule,
            action=d.action,
            risk=risk,
            bundle=d.bundle,
            action_digest=d.action_digest,
            obligations=d.obligations,
            approval_id=d.approval_id,
        )
        try:
            verdict = self._reviewer(seen, MappingProxyType(dict(request())))
        except Exception as e:  # noqa: BLE001
            log.warning("permit0: the reviewer raised (%s); the decision stands", e)
            return d
        if verdict is None:
            return d
        if verdict not in ("deny", "escalate"):
            log.warning(
                "permit0: the reviewer returned %r (only 'deny', 'escalate' or None count); "
                "the decision stands",
                verdict,
            )
            return d
        return Decision(
            verdict,
            f"the reviewer asked to {verdict} what the policy allowed ({d.reason})",
            rule="reviewer",
            action=d.action,
            risk=risk,
            bundle=d.bundle,
            action_digest=d.action_digest,
            obligations=d.obligations,
        )

    # public API --------------------------------------------------------------------

    def check(
        self,
        action: str,
        args: Optional[Mapping[str, Any]] = None,
        *,
        actor: Any = None,
        context: Optional[Mapping[str, Any]] = None,
        session: Any = None,
    ) -> Decision:
        """The decision on a canonical action; never raises."""
        return self._run(False, action, args, actor, context, session)

    def require(
        self,
        action: str,
        args: Optional[Mapping[str, Any]] = None,
        *,
        actor: Any = None,
        context: Optional[Mapping[str, Any]] = None,
        session: Any = None,
        wait: Optional[float] = None,
    ) -> Decision:
        """The decision when it allows; raises ``Denied`` or ``EscalationRequired`` otherwise.
        In remote mode, ``wait=N`` waits up to N seconds for a human to
        answer an escalation, then returns or raises on the answer."""
        d = self._run(False, action, args, actor, context, session)
        if d.allowed:
            return d
        return _raise(self._waited(d, wait))

    def check_tool(
        self,
        tool: str,
        args: Optional[Mapping[str, Any]] = None,
        *,
        actor: Any = None,
        context: Optional[Mapping[str, Any]] = None,
        session: Any = None,
    ) -> Decision:
        """The decision on a raw tool call (``{"tool": …}``); never raises."""
        return self._run(True, tool, args, actor, context, session)

    def tool(
        self,
        tool: str,
        args: Optional[Mapping[str, Any]] = None,
        *,
        actor: Any = None,
        context: Optional[Mapping[str, Any]] = None,
        session: Any = None,
        wait: Optional[float] = None,
    ) -> Decision:
        """A raw tool call, decided like ``require``: raises unless allowed."""
        d = self._run(True, tool, args, actor, context, session)
        if d.allowed:
            return d
        return _raise(self._waited(d, wait))

    def explain(self, request: Mapping[str, Any]) -> dict:
        """The decision JSON of a full request with every matched rule (records nothing)."""
        return self._native.explain(request)

    # Embedded decisions take microseconds and run in-line; a remote one
    # (a network round trip, an approval wait) runs in a worker thread, with
    # the caller's context (the @guard scope) copied.
    _blocking = False

    async def _async(self, fn: Callable[..., Decision], *a: Any, **kw: Any) -> Decision:
        if self._blocking:
            return await asyncio.to_thread(fn, *a, **kw)
        return fn(*a, **kw)

    async def acheck(self, action: str, args=None, **kw: Any) -> Decision:
        """``check`` for async code."""
        return await self._async(self.check, action, args, **kw)

    async def arequire(self, action: str, args=None, **kw: Any) -> Decision:
        """``require`` for async code."""
        return await self._async(self.require, action, args, **kw)

    async def atool(self, tool: str, args=None, **kw: Any) -> Decision:
        """``tool`` for async code."""
        return await self._async(self.tool, tool, args, **kw)


class RemoteAuthorizer(Authorizer):
    """Decides through a ``permit0 serve`` decision service
    (``POST /v1/decide``, ``Authorization: Bearer <api_key>``). Any network
    or HTTP error is a deny. The service knows no Python scope, so in
    remote mode a guarded function's arguments fill no fields."""

    _blocking = True

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        *,
        timeout: float = 10.0,
        reviewer: Optional[Reviewer] = None,
        review_above: str = "low",
    ) -> None:
        if review_above not in TIERS:
            raise ValueError(f"review_above must be one of {TIERS}")
        self._url = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._reviewer = reviewer
        self._review_above = TIERS.index(review_above)

    @property
    def bundle(self) -> str:
        raise NotImplementedError("a remote authorizer's bundle is the service's")

    def swap(self, bundle: PathOrBytes) -> None:
        raise NotImplementedError("upload bundles to the service (POST /v1/bundles)")

    def explain(self, request: Mapping[str, Any]) -> dict:
        raise NotImplementedError("explain is embedded-mode only")

    def _request(self, key, name, args, actor, context, session) -> dict:
        return _native.assemble(key == "tool", name, args, actor, context, session, _scope.get())

    def _run(self, tool: bool, name: str, args, actor, context, session) -> Decision:
        try:
            req = _native.assemble(tool, name, args, actor, context, session, _scope.get())
        except Exception as e:  # noqa: BLE001
            return _fail_closed(f"the request could not be built: {e}", name)
        try:
            d = Decision.from_dict(self._call("POST", "/v1/decide", req))
        except Exception as e:  # noqa: BLE001 — fail closed on anything
            log.error("permit0: the decision service failed on %r: %s", name, e)
            return _fail_closed(f"permit0 decision service error: {e}", name)
        return self._review(d, lambda: req)

    def _call(self, method: str, path: str, body: Any = None, timeout: Optional[float] = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        r = urllib.request.Request(self._url + path, data=data, method=method)
        r.add_header("Content-Type", "application/json")
        if self._api_key:
            r.add_header("Authorization", f"Bearer {self._api_key}")
        with urllib.request.urlopen(r, timeout=timeout or self._timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def _wait(self, d: Decision, seconds: float) -> Decision:
        aid = urllib.parse.quote(str(d.approval_id), safe="")
        path = f"/v1/approvals/{aid}/wait?timeout={max(0, int(seconds))}"
        return Decision.from_dict(self._call("GET", path, timeout=seconds + self._timeout))


def _engine_failed(name: str, e: Exception) -> Decision:
    log.error("permit0: the engine failed on %r: %s", name, e)
    return _fail_closed(f"permit0 engine error: {e}", name)


def _raise(d: Decision) -> Decision:
    if d.verdict == "allow":
        return d
    if d.verdict == "escalate":
        raise EscalationRequired(d)
    raise Denied(d)


# --- module state ---------------------------------------------------------------------

_lock = threading.Lock()
_default: Optional[Authorizer] = None


def configure(
    bundle: Optional[PathOrBytes] = None,
    trusted: Optional[Sequence[PathOrBytes]] = None,
    *,
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    reviewer: Optional[Reviewer] = None,
    review_above: str = "low",
    max_skew: Optional[float] = 300.0,
    signing_key: Optional[PathOrBytes] = None,
    token_ttl: float = 300.0,
) -> Authorizer:
    """Sets the authorizer behind ``permit``: embedded (``bundle``,
    ``trusted``; raises ``BundleError`` for a bundle or key it refuses;
    ``signing_key`` makes allows carry a token) or remote (``url``,
    ``api_key``: a ``permit0 serve``)."""
    global _default
    a: Authorizer
    if url is not None:
        if bundle is not None:
            raise ValueError("configure takes bundle= (embedded) or url= (remote), not both")
        a = RemoteAuthorizer(url, api_key, reviewer=reviewer, review_above=review_above)
    elif bundle is None or not trusted:
        raise BundleError("configure needs bundle= and trusted=[…], or url=")
    else:
        a = Authorizer(
            bundle,
            trusted,
            reviewer=reviewer,
            review_above=review_above,
            max_skew=max_skew,
            signing_key=signing_key,
            token_ttl=token_ttl,
        )
    with _lock:
        _default = a
    return a


def _from_env() -> Authorizer:
    bundle = os.environ.get("PERMIT0_BUNDLE")
    trusted = os.environ.get("PERMIT0_TRUSTED")
    url = os.environ.get("PERMIT0_URL")
    if url:
        return RemoteAuthorizer(url, os.environ.get("PERMIT0_API_KEY"))
    if not bundle or not trusted:
        raise BundleError(
            "permit0 is not configured: call permit0.configure(bundle=…, trusted=[…]) "
            "or set PERMIT0_BUNDLE and PERMIT0_TRUSTED"
        )
    keys = [k for k in trusted.replace(",", os.pathsep).split(os.pathsep) if k.strip()]
    return Authorizer(bundle, keys, signing_key=os.environ.get("PERMIT0_SIGNING_KEY") or None)


def _authorizer() -> Authorizer:
    global _default
    a = _default  # one read: set once, swapped whole by configure/reset
    if a is not None:
        return a
    with _lock:
        if _default is None:
            _default = _from_env()
        return _default


def reset() -> None:
    """Forgets the configured authorizer (the next call reads the environment again)."""
    global _default
    with _lock:
        _default = None


class _Permit:
    """``permit``: the API over the configured authorizer. Unconfigured, or
    with a bundle it cannot load, every decision is a deny."""

    def _get(self, name: str) -> "Authorizer | Decision":
        a = _default  # one read: set once, swapped whole by configure/reset
        if a is not None:
            return a
        try:
            return _authorizer()
        except Exception as e:  # noqa: BLE001
            return _fail_closed(str(e), name)

    # check and require are the hot path: for an embedded authorizer with
    # no reviewer they call the engine directly (what Authorizer._run does
    # then, one Python call less).

    def check(self, action: str, args=None, *, actor=None, context=None, session=None) -> Decision:
        """``Authorizer.check`` on the configured authorizer."""
        a = _default
        if a is not None and a._fast:
            try:
                return a._native.check(False, action, args, actor, context, session, _scope.get())
            except Exception as e:  # noqa: BLE001 — fail closed on anything
                return _engine_failed(action, e)
        a = self._get(action)
        if isinstance(a, Authorizer):
            return a._run(False, action, args, actor, context, session)
        return a

    def require(
        self, action: str, args=None, *, actor=None, context=None, session=None, wait=None
    ) -> Decision:
        """``Authorizer.require`` on the configured authorizer."""
        a = _default
        if a is not None and a._fast:
            try:
                d = a._native.check(False, action, args, actor, context, session, _scope.get())
            except Exception as e:  # noqa: BLE001 — fail closed on anything
                d = _engine_failed(action, e)
            if d.allowed:
                return d
            return _raise(d)  # embedded mode queues no approval to wait for
        a = self._get(action)
        if not isinstance(a, Authorizer):
            return _raise(a)
        d = a._run(False, action, args, actor, context, session)
        if d.allowed:
            return d
        return _raise(a._waited(d, wait))

    def check_tool(self, tool: str, args=None, **kw: Any) -> Decision:
        """``Authorizer.check_tool`` on the configured authorizer."""
        a = self._get(tool)
        return a.check_tool(tool, args, **kw) if isinstance(a, Authorizer) else a

    def tool(self, tool: str, args=None, **kw: Any) -> Decision:
        """``Authorizer.tool`` on the configured authorizer."""
        a = self._get(tool)
        return a.tool(tool, args, **kw) if isinstance(a, Authorizer) else _raise(a)

    async def acheck(self, action: str, args=None, **kw: Any) -> Decision:
        a = self._get(action)
        return await a.acheck(action, args, **kw) if isinstance(a, Authorizer) else a

    async def arequire(self, action: str, args=None, **kw: Any) -> Decision:
        a = self._get(action)
        return await a.arequire(action, args, **kw) if isinstance(a, Authorizer) else _raise(a)

    async def atool(self, tool: str, args=None, **kw: Any) -> Decision:
        a = self._get(tool)
        return await a.atool(tool, args, **kw) if isinstance(a, Authorizer) else _raise(a)


permit = _Permit()
