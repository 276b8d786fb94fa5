//! `permit0.Decision` and `permit0.Risk`: frozen objects that hold the
//! engine's outcome as Rust data and make Python values only for the
//! attributes read. An embedded decision costs one small allocation here.

use ed25519_dalek::SigningKey;
use permit0_audit::token::{issue, Basis, Claims};
use permit0_authorizer::Deferred;
use permit0_vm::risk::Verdict;
use permit0_vm::Outcome;
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// Signs capability tokens for the allows of an embedded Authorizer
/// configured with a signing key (docs/python.md, "Tokens").
pub struct Minter {
    pub key: SigningKey,
    pub ttl_ms: i64,
}

impl Minter {
    /// A token for an allow of a typed request (one with an action
    /// digest); `None` for anything else.
    fn mint(&self, d: &Decision) -> Option<String> {
        if d.verdict != Verdict::Allow {
            return None;
        }
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).ok()?;
        let now = permit0_vm::time::now_ms();
        let data = d.data();
        let mut claims = Claims {
            action: data.action.clone()?,
            action_digest: data.action_digest.clone()?,
            bundle: data.bundle.clone(),
            rule: data.rule.clone(),
            basis: Basis::Allowed,
            issued_ms: now,
            expires_ms: now.saturating_add(self.ttl_ms),
            single_use: true,
            max_amount: None,
            nonce: permit0_vm::hex(&nonce),
            key: String::new(),
            record: None,
        };
        Some(issue(&mut claims, &self.key))
    }
}

/// The risk of the action decided (docs/risk.md).
#[pyclass(frozen, module = "permit0", eq)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Risk {
    /// 0–100.
    #[pyo3(get)]
    score: i64,
    tier: Cow<'static, str>,
    flags: Vec<Cow<'static, str>>,
}

impl Risk {
    fn from_vm(r: &permit0_vm::Risk) -> Risk {
        Risk {
            score: i64::from(r.score),
            tier: Cow::Borrowed(r.tier.name()),
            flags: r.flags.iter().map(|f| Cow::Borrowed(f.name())).collect(),
        }
    }

    fn from_json(v: &Json) -> Result<Risk, String> {
        let bad = || format!("unreadable risk {v}");
        let score = v.get("score").and_then(Json::as_i64).ok_or_else(bad)?;
        let tier = v.get("tier").and_then(Json::as_str).ok_or_else(bad)?;
        let flags = match v.get("flags") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a
                .iter()
                .map(|f| f.as_str().map(|s| Cow::Owned(s.to_owned())).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(bad()),
        };
        Ok(Risk {
            score,
            tier: Cow::Owned(tier.to_owned()),
            flags,
        })
    }

    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(
            intern!(py, "flags"),
            self.flags.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
        )?;
        d.set_item(intern!(py, "score"), self.score)?;
        d.set_item(intern!(py, "tier"), self.tier.as_ref())?;
        Ok(d)
    }
}

#[pymethods]
impl Risk {
    /// Risk(score: int, tier: str, flags: tuple[str, ...] = ())
    #[new]
    #[pyo3(signature = (score, tier, flags = Vec::new()))]
    fn new(score: i64, tier: String, flags: Vec<String>) -> Risk {
        Risk {
            score,
            tier: Cow::Owned(tier),
            flags: flags.into_iter().map(Cow::Owned).collect(),
        }
    }

    /// One of `permit0.TIERS`.
    #[getter]
    fn tier(&self) -> &str {
        &self.tier
    }

    /// The risk flags (`"FINANCIAL"`, …).
    #[getter]
    fn flags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.flags.iter().map(|f| f.as_ref()))
    }

    /// `{"flags": [...], "score": …, "tier": …}`, as in the decision JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.dict(py)
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (i64, String, Vec<String>))> {
        let r = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                r.score,
                r.tier.to_string(),
                r.flags.iter().map(|f| f.to_string()).collect(),
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "Risk(score={}, tier={:?}, flags={:?})",
            self.score, self.tier, self.flags
        )
    }
}

/// One decision, frozen. `verdict` is `"allow"`, `"deny"` or `"escalate"`;
/// `rule` the deciding rule (`policy:line`) or `None`.
#[pyclass(frozen, module = "permit0")]
pub struct Decision {
    verdict: Verdict,
    /// An embedded decision's outcome, built when first read …
    deferred: Option<Deferred>,
    /// … into these (given at once for any other decision).
    data: OnceLock<Data>,
    /// A token given (a remote decision's), or …
    token: Option<String>,
    /// … minted on first read, for an embedded allow with a signing key.
    minter: Option<Arc<Minter>>,
    minted: OnceLock<Option<String>>,
    approval_id: Option<String>,
}

/// The outcome's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Data {
    reason: String,
    rule: Option<String>,
    action: Option<String>,
    risk: Option<Risk>,
    bundle: String,
    action_digest: Option<String>,
    obligations: Map<String, Json>,
}

impl Data {
    fn from_outcome(o: Outcome) -> Data {
        Data {
            reason: o.reason,
            rule: o.rule,
            action: o.action,
            risk: o.risk.as_ref().map(Risk::from_vm),
            bundle: o.bundle,
            action_digest: o.action_digest,
            obligations: o.obligations,
        }
    }
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allow",
        Verdict::Deny => "deny",
        Verdict::Escalate => "escalate",
    }
}

fn verdict_from(s: &str) -> Option<Verdict> {
    match s {
        "allow" => Some(Verdict::Allow),
        "deny" => Some(Verdict::Deny),
        "escalate" => Some(Verdict::Escalate),
        _ => None,
    }
}

static MAPPING_PROXY: GILOnceCell<Py<PyType>> = GILOnceCell::new();

impl Decision {
    /// An embedded decision: its verdict now, the rest when read.
    pub fn deferred(d: Deferred, minter: Option<Arc<Minter>>) -> Decision {
        let verdict = d.verdict();
        Decision {
            verdict,
            deferred: Some(d),
            data: OnceLock::new(),
            token: None,
            minter: if verdict == Verdict::Allow {
                minter
            } else {
                None
            },
            minted: OnceLock::new(),
            approval_id: None,
        }
    }

    pub fn from_outcome(o: Outcome) -> Decision {
        Decision::with_data(o.verdict, Data::from_outcome(o), None, None)
    }

    fn with_data(
        verdict: Verdict,
        data: Data,
        token: Option<String>,
        approval_id: Option<String>,
    ) -> Decision {
        Decision {
            verdict,
            deferred: None,
            data: OnceLock::from(data),
            token,
            minter: None,
            minted: OnceLock::new(),
            approval_id,
        }
    }

    fn data(&self) -> &Data {
        self.data.get_or_init(|| match &self.deferred {
            Some(d) => Data::from_outcome(d.outcome()),
            // Unreachable: every other decision is made with its data.
            None => Data::from_outcome(Outcome::escalate(String::new(), None, "")),
        })
    }

    fn token_str(&self) -> Option<&str> {
        if let Some(t) = &self.token {
            return Some(t);
        }
        let m = self.minter.as_ref()?;
        self.minted.get_or_init(|| m.mint(self)).as_deref()
    }

    /// Reads a decision JSON (a service's answer). An unknown verdict is a
    /// deny, never an allow.
    fn from_json(v: &Json) -> Result<Decision, String> {
        let s = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
        let Some(verdict) = v
            .get("decision")
            .and_then(Json::as_str)
            .and_then(verdict_from)
        else {
            let got = v.get("decision").cloned().unwrap_or(Json::Null);
            return Ok(Decision::fail_closed(format!(
                "unreadable decision {got}; denied (fail closed)"
            )));
        };
        let risk = match v.get("risk") {
            None | Some(Json::Null) => None,
            Some(r) => Some(Risk::from_json(r)?),
        };
        let reason = match v.get("reason") {
            Some(Json::String(r)) => r.clone(),
            None | Some(Json::Null) => String::new(),
            Some(other) => other.to_string(),
        };
        let data = Data {
            reason,
            rule: s("rule"),
            action: s("action"),
            risk,
            bundle: s("bundle").unwrap_or_default(),
            action_digest: s("action_digest"),
            obligations: v
                .get("obligations")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default(),
        };
        Ok(Decision::with_data(
            verdict,
            data,
            s("token"),
            s("approval_id").or_else(|| s("approval")),
        ))
    }

    fn fail_closed(reason: String) -> Decision {
        let mut o = Outcome::escalate(reason, None, "");
        o.verdict = Verdict::Deny;
        Decision::from_outcome(o)
    }
}

#[pymethods]
impl Decision {
    /// Decision(verdict, reason, rule=None, action=None, risk=None,
    /// bundle="", action_digest=None, obligations=None, token=None,
    /// approval_id=None)
    #[new]
    #[pyo3(signature = (verdict, reason, rule = None, action = None, risk = None, bundle = String::new(), action_digest = None, obligations = None, token = None, approval_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        verdict: &str,
        reason: String,
        rule: Option<String>,
        action: Option<String>,
        risk: Option<PyRef<'_, Risk>>,
        bundle: String,
        action_digest: Option<String>,
        obligations: Option<&Bound<'_, PyAny>>,
        token: Option<String>,
        approval_id: Option<String>,
    ) -> PyResult<Decision> {
        let verdict = verdict_from(verdict).ok_or_else(|| {
            PyValueError::new_err(format!(
                "verdict must be 'allow', 'deny' or 'escalate', not {verdict:?}"
            ))
        })?;
        let obligations = match obligations {
            None => Map::new(),
            Some(o) => match crate::request::json(o, 0).map_err(PyValueError::new_err)? {
                Json::Object(m) => m,
                _ => return Err(PyValueError::new_err("obligations must be a dict")),
            },
        };
        let data = Data {
            reason,
            rule,
            action,
            risk: risk.map(|r| r.clone()),
            bundle,
            action_digest,
            obligations,
        };
        Ok(Decision::with_data(verdict, data, token, approval_id))
    }

    /// Reads the decision JSON (`to_dict()`'s, or a `permit0 serve`
    /// answer). An unknown verdict reads as a deny.
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyAny>) -> PyResult<Decision> {
        let v = crate::request::json(d, 0).map_err(PyValueError::new_err)?;
        Decision::from_json(&v).map_err(PyValueError::new_err)
    }

    /// `"allow"`, `"deny"` or `"escalate"`.
    #[getter]
    fn verdict<'py>(&self, py: Python<'py>) -> &Bound<'py, PyString> {
        match self.verdict {
            Verdict::Allow => intern!(py, "allow"),
            Verdict::Deny => intern!(py, "deny"),
            Verdict::Escalate => intern!(py, "escalate"),
        }
    }

    /// Whether the action may run.
    #[getter]
    fn allowed(&self) -> bool {
        self.verdict == Verdict::Allow
    }

    #[getter]
    fn reason(&self) -> &str {
        &self.data().reason
    }

    /// The deciding rule (`policy:line`, or `reviewer`), or `None`.
    #[getter]
    fn rule(&self) -> Option<&str> {
        self.data().rule.as_deref()
    }

    /// The canonical action decided.
    #[getter]
    fn action(&self) -> Option<&str> {
        self.data().action.as_deref()
    }

    #[getter]
    fn risk(&self) -> Option<Risk> {
        self.data().risk.clone()
    }

    /// `sha256:…` of the bundle that decided.
    #[getter]
    fn bundle(&self) -> &str {
        &self.data().bundle
    }

    /// `sha256:…` of the request's canonical form (what a token binds).
    #[getter]
    fn action_digest(&self) -> Option<&str> {
        self.data().action_digest.as_deref()
    }

    /// What the deciding rules ask of the executor (read-only mapping).
    #[getter]
    fn obligations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = pythonize::pythonize(py, &self.data().obligations)?;
        MAPPING_PROXY
            .import(py, "types", "MappingProxyType")?
            .call1((d,))
    }

    /// The capability token (docs/python.md, "Tokens"): an approved remote
    /// decision's, or an embedded allow's when the Authorizer has a
    /// signing key (minted on first read). `None` otherwise.
    #[getter]
    fn token(&self) -> Option<&str> {
        self.token_str()
    }

    /// The service's approval id of a remote escalation (`None` embedded).
    #[getter]
    fn approval_id(&self) -> Option<&str> {
        self.approval_id.as_deref()
    }

    /// The decision JSON (docs/language.md).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let data = self.data();
        let d = PyDict::new(py);
        d.set_item("action", data.action.as_deref())?;
        d.set_item("action_digest", data.action_digest.as_deref())?;
        d.set_item("bundle", &data.bundle)?;
        d.set_item("decision", verdict_name(self.verdict))?;
        d.set_item("reason", &data.reason)?;
        match &data.risk {
            Some(r) => d.set_item("risk", r.dict(py)?)?,
            None => d.set_item("risk", py.None())?,
        }
        d.set_item("rule", data.rule.as_deref())?;
        if !data.obligations.is_empty() {
            d.set_item("obligations", pythonize::pythonize(py, &data.obligations)?)?;
        }
        if let Some(t) = self.token_str() {
            d.set_item("token", t)?;
        }
        if let Some(a) = &self.approval_id {
            d.set_item("approval_id", a)?;
        }
        Ok(d)
    }

    /// Pickles as its decision JSON (an embedded allow's token minted).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyDict>,))> {
        let from_dict = slf.get_type().getattr("from_dict")?;
        Ok((from_dict, (slf.get().to_dict(slf.py())?,)))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(o) = other.downcast::<Decision>() else {
            return false;
        };
        let o = o.get();
        self.verdict == o.verdict
            && self.data() == o.data()
            && self.token_str() == o.token_str()
            && self.approval_id == o.approval_id
    }

    fn __repr__(&self) -> String {
        let data = self.data();
        let q = |s: Option<&str>| s.map_or("None".to_string(), |s| format!("{s:?}"));
        format!(
            "Decision(verdict={:?}, reason={:?}, rule={}, action={})",
            verdict_name(self.verdict),
            data.reason,
            q(data.rule.as_deref()),
            q(data.action.as_deref())
        )
    }
}
