//! `permit0._native`: the [`permit0_authorizer::Authorizer`] for Python.
//!
//! The pure-Python package `permit0` (python/permit0/) is the API; this
//! module is the engine underneath. A `permit` call's pieces (action,
//! args, actor, context, session, the `@guard` scope) are assembled here
//! straight into the engine's JSON value (no JSON text in between), decided
//! with the GIL released, and the decision comes back as a frozen
//! [`Decision`] holding the engine's result as Rust data: its outcome
//! (reason, digests, obligations) is built when first read, and Python
//! values are made only for the attributes read.
//!
//! Nothing that goes wrong with a request raises: a piece of the wrong
//! type, a value that is not JSON (an object, a NaN, a 100-bit integer) or
//! a panic under the engine gives a deny, as the Authorizer itself does. Only a bundle or key it refuses raises
//! `BundleError`, when an `Authorizer` is built or swapped.

// PyO3's macros expand to `unsafe` FFI glue; this crate writes none itself.
#![allow(unsafe_code)]

use decision::{Decision, Minter, Risk};
use permit0_authorizer::{Authorizer as Inner, Outcome, Verdict};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use request::Call;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

mod decision;
mod request;

create_exception!(
    _native,
    BundleError,
    PyException,
    "A bundle or trusted key the engine refuses: tampered, unsigned by a trusted key, another format, or no key given."
);

/// Decides requests against a verified bundle. Thread-safe: share one.
#[pyclass(frozen, module = "permit0._native")]
struct Authorizer {
    inner: Inner,
    minter: Option<Arc<Minter>>,
}

fn refused(e: permit0_authorizer::Error) -> PyErr {
    BundleError::new_err(e.to_string())
}

/// A deny for a request the engine could not even read.
fn deny(reason: String, asked: Option<&str>, bundle: &str) -> Outcome {
    let mut o = Outcome::escalate(reason, asked, bundle);
    o.verdict = Verdict::Deny;
    o
}

fn asked(request: &Bound<'_, PyAny>) -> Option<String> {
    request
        .get_item("action")
        .or_else(|_| request.get_item("tool"))
        .ok()
        .and_then(|a| a.extract::<String>().ok())
}

impl Authorizer {
    /// The engine's decision, with the GIL released while it decides; the
    /// outcome's reason, digests and obligations are built when read.
    fn decide_json(&self, py: Python<'_>, json: &Json) -> Decision {
        let d = py.allow_threads(|| self.inner.decide_deferred(json));
        Decision::deferred(d, self.minter.clone())
    }

    fn inputs_of(&self, action: &str) -> Option<Vec<String>> {
        let program = self.inner.program();
        let id = program.action_id(action)?;
        Some(
            program
                .action_inputs(id)
                .into_iter()
                .map(str::to_string)
                .collect(),
        )
    }

    /// A deny decided here (a request that is not one).
    fn denied(&self, reason: String, asked: Option<&str>) -> Decision {
        Decision::from_outcome(deny(reason, asked, &self.inner.program().digest_string()))
    }
}

#[pymethods]
impl Authorizer {
    /// Authorizer(bundle: bytes, trusted: list[str], max_skew: float | None = 300.0,
    ///            signing_key: str | None = None, token_ttl: float = 300.0)
    ///
    /// Verifies `bundle` (a `.p0b`'s bytes) against the public keys in
    /// `trusted` (the text `permit0 keygen` writes to `.pub`). `max_skew`
    /// is how many seconds a request's `context.time` may be from this
    /// machine's clock; `None` takes every time as written (tests only).
    /// With `signing_key` (the text of a `.key`), an allow carries a
    /// capability token valid `token_ttl` seconds.
    #[new]
    #[pyo3(signature = (bundle, trusted, max_skew = Some(300.0), signing_key = None, token_ttl = 300.0))]
    fn new(
        bundle: &[u8],
        trusted: Vec<String>,
        max_skew: Option<f64>,
        signing_key: Option<&str>,
        token_ttl: f64,
    ) -> PyResult<Self> {
        let keys: Vec<&str> = trusted.iter().map(String::as_str).collect();
        let inner = Inner::new(bundle, &keys).map_err(refused)?;
        let skew = match max_skew {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => {
                return Err(PyValueError::new_err(
                    "max_skew must be a non-negative number of seconds or None",
                ))
            }
            None => None,
        };
        let minter = match signing_key {
            None => None,
            Some(text) => {
                if !(token_ttl.is_finite() && token_ttl >= 1.0) {
                    return Err(PyValueError::new_err("token_ttl must be at least 1 second"));
                }
                let body = text
                    .trim()
                    .strip_prefix(permit0_vm::keys::SECRET_PREFIX)
                    .ok_or_else(|| {
                        BundleError::new_err(
                            "not a permit0 secret key: it must start with `permit0-secret-key ed25519`",
                        )
                    })?;
                let seed = permit0_vm::keys::decode_hex32(body)
                    .ok_or_else(|| BundleError::new_err("the secret key is not 64 hex digits"))?;
                Some(Arc::new(Minter {
                    key: ed25519_dalek::SigningKey::from_bytes(&seed),
                    ttl_ms: Duration::from_secs_f64(token_ttl)
                        .as_millis()
                        .try_into()
                        .unwrap_or(i64::MAX),
                }))
            }
        };
        Ok(Authorizer {
            inner: inner.with_max_skew(skew),
            minter,
        })
    }

    /// check(tool: bool, name: str, args, actor, context, session, scope) -> Decision
    ///
    /// The decision on one `permit` call: the request is assembled from its
    /// pieces and the `@guard` scope (docs/python.md) and decided. Never
    /// raises for a bad request: what cannot be read is denied.
    #[pyo3(signature = (tool, name, args, actor, context, session, scope))]
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        py: Python<'_>,
        tool: bool,
        name: &str,
        args: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        context: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
        scope: &Bound<'_, PyAny>,
    ) -> Decision {
        let call = Call {
            tool,
            name,
            args,
            actor,
            context,
            session,
            scope,
        };
        match call.assemble(Some(&self.inner.program())) {
            Ok(json) => self.decide_json(py, &json),
            Err(e) => self.denied(e.reason(), Some(name)),
        }
    }

    /// request(tool, name, args, actor, context, session, scope) -> dict
    ///
    /// The request `check` would decide (for the reviewer, and to see it).
    /// Raises `TypeError` or `ValueError` for one that cannot be built.
    #[pyo3(signature = (tool, name, args, actor, context, session, scope))]
    #[allow(clippy::too_many_arguments)]
    fn request<'py>(
        &self,
        py: Python<'py>,
        tool: bool,
        name: &str,
        args: &Bound<'py, PyAny>,
        actor: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
        session: &Bound<'py, PyAny>,
        scope: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = Call {
            tool,
            name,
            args,
            actor,
            context,
            session,
            scope,
        };
        let json = call
            .assemble(Some(&self.inner.program()))
            .map_err(request::Bad::into_py)?;
        Ok(pythonize::pythonize(py, &json)?)
    }

    /// decide(request: dict) -> Decision
    ///
    /// The decision on one whole request: a canonical action
    /// (`{"action": …, "args": …}`) or a raw tool call
    /// (`{"tool": …, "args": …}`). Never raises for a bad request: what
    /// cannot be read is denied.
    fn decide(&self, py: Python<'_>, request: &Bound<'_, PyAny>) -> Decision {
        match request::json(request, 0) {
            Ok(json) => self.decide_json(py, &json),
            Err(e) => self.denied(
                format!("the request is not JSON ({e}); denied (fail closed)"),
                asked(request).as_deref(),
            ),
        }
    }

    /// explain(request: dict) -> dict
    ///
    /// The decision JSON with an `explain` member: every rule that matched
    /// and the values it read. Records nothing in the session.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let json = match request::json(request, 0) {
            Ok(json) => py.allow_threads(|| self.inner.explain(&json)).json,
            Err(e) => deny(
                format!("the request is not JSON ({e}); denied (fail closed)"),
                asked(request).as_deref(),
                &self.inner.program().digest_string(),
            )
            .to_json(),
        };
        Ok(pythonize::pythonize(py, &json)?)
    }

    /// swap(bundle: bytes) -> None
    ///
    /// Verifies a new bundle fully, then decides with it; on any error the
    /// old one stays and `BundleError` is raised.
    fn swap(&self, py: Python<'_>, bundle: &Bound<'_, PyBytes>) -> PyResult<()> {
        let bytes = bundle.as_bytes().to_vec();
        py.allow_threads(|| self.inner.swap(&bytes))
            .map_err(refused)
    }

    /// inputs(action: str) -> list[str] | None
    ///
    /// The input fields of a canonical action in this bundle (derived
    /// fields left out), or `None` when the bundle does not know it.
    fn inputs(&self, action: &str) -> Option<Vec<String>> {
        self.inputs_of(action)
    }

    /// The `sha256:…` digest of the bundle deciding now.
    #[getter]
    fn bundle(&self) -> String {
        self.inner.program().digest_string()
    }
}

/// assemble(tool, name, args, actor, context, session, scope) -> dict
///
/// The request of a `permit` call without a bundle (remote mode): as
/// `Authorizer.request`, but a guarded function's arguments fill nothing.
#[pyfunction]
#[pyo3(signature = (tool, name, args, actor, context, session, scope))]
#[allow(clippy::too_many_arguments)]
fn assemble<'py>(
    py: Python<'py>,
    tool: bool,
    name: &str,
    args: &Bound<'py, PyAny>,
    actor: &Bound<'py, PyAny>,
    context: &Bound<'py, PyAny>,
    session: &Bound<'py, PyAny>,
    scope: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let call = Call {
        tool,
        name,
        args,
        actor,
        context,
        session,
        scope,
    };
    let json = call.assemble(None).map_err(request::Bad::into_py)?;
    Ok(pythonize::pythonize(py, &json)?)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Authorizer>()?;
    m.add_class::<Decision>()?;
    m.add_class::<Risk>()?;
    m.add_function(wrap_pyfunction!(assemble, m)?)?;
    m.add("BundleError", m.py().get_type::<BundleError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
