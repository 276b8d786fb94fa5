//! `permit0._native`: the [`permit0_authorizer::Authorizer`] for Python.
//!
//! The pure-Python package `permit0` (python/permit0/) is the API; this
//! module is the engine underneath. A request is a Python dict bound
//! directly into the engine's JSON value (no JSON text in between), decided
//! with the GIL released, and the decision comes back as a dict in the
//! decision JSON's shape (docs/language.md, "The request and decision
//! JSON").
//!
//! Nothing that goes wrong with a request raises: a value that is not JSON
//! (a set, an object, a NaN) or a panic under the engine gives a deny, as
//! the Authorizer itself does. Only a bundle or key it refuses raises
//! `BundleError`, when an `Authorizer` is built or swapped.

// PyO3's macros expand to `unsafe` FFI glue; this crate writes none itself.
#![allow(unsafe_code)]

use permit0_authorizer::{Authorizer as Inner, Outcome, Verdict};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::Value as Json;
use std::time::Duration;

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
}

fn refused(e: permit0_authorizer::Error) -> PyErr {
    BundleError::new_err(e.to_string())
}

/// A deny for a request the engine could not even read.
fn deny(reason: String, request: &Bound<'_, PyAny>, bundle: &str) -> Outcome {
    let asked = request
        .get_item("action")
        .or_else(|_| request.get_item("tool"))
        .ok()
        .and_then(|a| a.extract::<String>().ok());
    let mut o = Outcome::escalate(reason, asked.as_deref(), bundle);
    o.verdict = Verdict::Deny;
    o
}

fn to_py<'py>(py: Python<'py>, o: &Outcome) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, &o.to_json())?)
}

#[pymethods]
impl Authorizer {
    /// Authorizer(bundle: bytes, trusted: list[str], max_skew: float | None = 300.0)
    ///
    /// Verifies `bundle` (a `.p0b`'s bytes) against the public keys in
    /// `trusted` (the text `permit0 keygen` writes to `.pub`). `max_skew`
    /// is how many seconds a request's `context.time` may be from this
    /// machine's clock; `None` takes every time as written (tests only).
    #[new]
    #[pyo3(signature = (bundle, trusted, max_skew = Some(300.0)))]
    fn new(bundle: &[u8], trusted: Vec<String>, max_skew: Option<f64>) -> PyResult<Self> {
        let keys: Vec<&str> = trusted.iter().map(String::as_str).collect();
        let inner = Inner::new(bundle, &keys).map_err(refused)?;
        let skew = match max_skew {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "max_skew must be a non-negative number of seconds or None",
                ))
            }
            None => None,
        };
        Ok(Authorizer {
            inner: inner.with_max_skew(skew),
        })
    }

    /// decide(request: dict) -> dict
    ///
    /// The decision JSON of one request: a canonical action
    /// (`{"action": …, "args": …}`) or a raw tool call
    /// (`{"tool": …, "args": …}`). Never raises for a bad request: what
    /// cannot be read is denied.
    fn decide<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let outcome = match pythonize::depythonize::<Json>(request) {
            Ok(json) => py.allow_threads(|| self.inner.decide(&json)),
            Err(e) => deny(
                format!("the request is not JSON ({e}); denied (fail closed)"),
                request,
                &self.inner.program().digest_string(),
            ),
        };
        to_py(py, &outcome)
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
        match pythonize::depythonize::<Json>(request) {
            Ok(json) => {
                let explained = py.allow_threads(|| self.inner.explain(&json));
                Ok(pythonize::pythonize(py, &explained.json)?)
            }
            Err(e) => {
                let o = deny(
                    format!("the request is not JSON ({e}); denied (fail closed)"),
                    request,
                    &self.inner.program().digest_string(),
                );
                to_py(py, &o)
            }
        }
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

    /// The `sha256:…` digest of the bundle deciding now.
    #[getter]
    fn bundle(&self) -> String {
        self.inner.program().digest_string()
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Authorizer>()?;
    m.add("BundleError", m.py().get_type::<BundleError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
