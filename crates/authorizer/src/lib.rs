//! The front door: one thread-safe entry point that takes a request and
//! gives its [`Outcome`], doing every step in order — parse, normalize a raw
//! tool call, bind, place in time, read and record the session, decide —
//! and failing closed on any error along the way.
//!
//! A service needs four types: [`Authorizer`], the [`Outcome`] it gives for
//! each request, its [`Verdict`], and the [`Error`] of a bundle it refuses.
//! The `permit0` crate re-exports them.

pub use permit0_session::{Clock, MemoryStore, SessionLimits, SessionStore, StoreError};
pub use permit0_vm::risk::Verdict;
pub use permit0_vm::{Outcome, Risk};

use permit0_classify::CLASSIFIERS;
use permit0_session::DEFAULT_MAX_SKEW_MS;
use permit0_session::{self as session, SessionError};
use permit0_vm::{
    keys::parse_public_key, Engine, Explanation, LoadError, Program, Request, VerifyingKey,
};
use serde_json::Value as Json;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

/// Decides agent actions against a verified bundle. Share one across every
/// thread of a service (`&self` everywhere, `Send + Sync`): the program is
/// immutable and swapped atomically, and the session store serializes only
/// requests of one session.
///
/// ```no_run
/// # fn main() -> Result<(), permit0_authorizer::Error> {
/// let bundle = std::fs::read("policies.p0b").map_err(|e| permit0_authorizer::Error::Io(e.to_string()))?;
/// let key = std::fs::read_to_string("release.pub").map_err(|e| permit0_authorizer::Error::Io(e.to_string()))?;
/// let authorizer = permit0_authorizer::Authorizer::new(&bundle, &[key.as_str()])?;
/// let outcome = authorizer.decide(&serde_json::json!({
///     "action": "payments.refund",
///     "args": {"amount": 4_500, "currency": "usd", "customer": "cus_1"},
/// }));
/// if outcome.verdict != permit0_authorizer::Verdict::Allow {
///     println!("{}: {}", outcome.verdict, outcome.reason);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Authorizer {
    engine: Engine,
    store: Arc<dyn SessionStore>,
    /// How far `context.time` may be from the system clock; `None` takes
    /// every time as written (test scenarios, offline what-ifs).
    max_skew_ms: Option<i64>,
}

/// Why an [`Authorizer`] could not be built or a bundle not swapped in. A
/// request never gives an `Error`: what goes wrong deciding it is in its
/// [`Outcome`] (escalate or deny, never allow).
#[derive(Debug)]
pub enum Error {
    /// The bundle is tampered with, unsigned by a trusted key, of another
    /// format, or its code does not verify. Nothing of it ran.
    Bundle(LoadError),
    /// A trusted key that is not a permit0 public key.
    Key(String),
    /// No trusted key was given: a bundle nobody vouches for is never run.
    NoTrustedKey,
    /// A file could not be read (for callers that load bundles from disk).
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bundle(e) => write!(f, "the bundle is refused: {e}"),
            Error::Key(e) => write!(f, "bad trusted key: {e}"),
            Error::NoTrustedKey => f.write_str(
                "no trusted key: pass the public key (`.pub`) of whoever signs the bundles",
            ),
            Error::Io(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for Error {}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        Error::Bundle(e)
    }
}

/// A decision with every rule that matched and the values it read.
#[derive(Clone, Debug)]
pub struct Explained {
    pub outcome: Outcome,
    /// `None` when the request could not be bound (nothing ran).
    pub explanation: Option<Explanation>,
    /// The decision JSON with an `explain` member.
    pub json: Json,
}

impl Authorizer {
    /// Verifies `bundle` (signature by one of `trusted`, digest, format,
    /// bytecode) and decides with it, keeping sessions in memory. `trusted`
    /// holds public keys as `permit0 keygen` writes them (the `.pub` text).
    pub fn new(bundle: &[u8], trusted: &[&str]) -> Result<Authorizer, Error> {
        let keys = trusted
            .iter()
            .map(|t| parse_public_key(t).map_err(Error::Key))
            .collect::<Result<Vec<_>, _>>()?;
        Authorizer::with_keys(bundle, keys)
    }

    /// [`Authorizer::new`] with keys already parsed.
    pub fn with_keys(bundle: &[u8], trusted: Vec<VerifyingKey>) -> Result<Authorizer, Error> {
        if trusted.is_empty() {
            return Err(Error::NoTrustedKey);
        }
        let program = Program::load(bundle, &trusted)?.with_builtins(&CLASSIFIERS);
        Ok(Authorizer::assemble(Engine::new(program, trusted)))
    }

    /// [`Authorizer::with_keys`] for a process that decides one request and
    /// exits (`permit0 hook`): the envelope and signature are checked over
    /// the whole bundle as always, but only the actions a request uses are
    /// decoded and verified ([`Program::load_lazily`]); an action whose
    /// code fails to verify is denied, never run.
    pub fn with_keys_lazily(
        bundle: &[u8],
        trusted: Vec<VerifyingKey>,
    ) -> Result<Authorizer, Error> {
        if trusted.is_empty() {
            return Err(Error::NoTrustedKey);
        }
        let program = Program::load_lazily(bundle, &trusted)?.with_builtins(&CLASSIFIERS);
        Ok(Authorizer::assemble(Engine::new(program, trusted)))
    }

    /// Decides with a program already in memory (compiled by the caller, as
    /// `permit0 eval` does with policy files). [`Authorizer::swap`] then
    /// accepts bundles signed by `trusted`.
    pub fn from_program(program: Program, trusted: Vec<VerifyingKey>) -> Authorizer {
        Authorizer::assemble(Engine::new(program.with_builtins(&CLASSIFIERS), trusted))
    }

    fn assemble(engine: Engine) -> Authorizer {
        Authorizer {
            engine,
            store: Arc::new(MemoryStore::default()),
            max_skew_ms: Some(DEFAULT_MAX_SKEW_MS),
        }
    }

    /// Keeps sessions in `store` instead of in memory (a store shared by
    /// replicas, or a [`MemoryStore`] with other limits).
    pub fn with_store(mut self, store: Arc<dyn SessionStore>) -> Authorizer {
        self.store = store;
        self
    }

    /// How far a request's `context.time` may be from the system clock
    /// (default 5 minutes); `None` takes every time as written — only for
    /// test scenarios and offline what-ifs, never for live decisions.
    pub fn with_max_skew(mut self, max_skew: Option<Duration>) -> Authorizer {
        self.max_skew_ms = max_skew.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self
    }

    /// The clock a request is decided at now.
    pub fn clock(&self) -> Clock {
        match self.max_skew_ms {
            Some(ms) => Clock::system().with_max_skew(ms),
            None => Clock::unchecked(),
        }
    }

    /// Decides a request (docs/language.md, "The request and decision
    /// JSON"): a canonical action or a raw tool call.
    pub fn decide(&self, request: &Json) -> Outcome {
        self.decide_at(request, self.clock())
    }

    /// Decides a request given as JSON text, read strictly: a key given
    /// twice, text that is not UTF-8, more than 1 MiB or more than 64
    /// levels deep is refused (escalate), since the tool that runs the call
    /// may read such a request differently.
    pub fn decide_bytes(&self, request: &[u8]) -> Outcome {
        let program = self.engine.program();
        let clock = self.clock();
        guarded(&program, &Json::Null, || {
            match program.bind_bytes(request) {
                Ok(req) => self.decide_bound(&program, req, clock),
                Err(e) => {
                    // The slow path, for refusals only: name what was asked.
                    let json = permit0_vm::parse_request(request).ok();
                    program.refusal(&e, json.as_ref().and_then(asked))
                }
            }
        })
    }

    /// Decides at a given clock: replay ([`Clock::logged`]) and tools that
    /// keep their own time.
    pub fn decide_at(&self, request: &Json, clock: Clock) -> Outcome {
        let program = self.engine.program();
        guarded(&program, request, || {
            self.decide_with(&program, request, clock)
        })
    }

    fn decide_with(&self, program: &Program, request: &Json, clock: Clock) -> Outcome {
        match program.bind(request) {
            Ok(req) => self.decide_bound(program, req, clock),
            Err(e) => program.refusal(&e, asked(request)),
        }
    }

    /// Session, decide and outcome of a bound request.
    fn decide_bound(&self, program: &Program, req: Request, clock: Clock) -> Outcome {
        match self.decide_unbuilt(program, req, clock) {
            Unbuilt::Ready(o) => o,
            bound => bound.outcome(program),
        }
    }

    /// Session and decision of a bound request, its outcome not yet built.
    fn decide_unbuilt(&self, program: &Program, mut req: Request, clock: Clock) -> Unbuilt {
        match session::observe(program, self.store.as_ref(), &mut req, clock, true) {
            Ok(()) => Unbuilt::Bound {
                decision: program.decide(&req),
                request: req,
                store_error: None,
            },
            Err(SessionError::Clock(e)) => Unbuilt::Ready(program.refusal(&e, Some(req.asked()))),
            Err(SessionError::Store(e)) => {
                let d = session::without_history(program.decide(&req));
                let store_error = (d.cause == permit0_vm::Cause::SessionStore).then(|| {
                    format!(
                        "{e}; the session's caps and chains could not be read, so a human must approve it"
                    )
                });
                Unbuilt::Bound {
                    decision: d,
                    request: req,
                    store_error,
                }
            }
        }
    }

    /// [`Authorizer::decide`], with the [`Outcome`]'s reason, digests and
    /// obligations built only when asked ([`Deferred::outcome`]): the
    /// verdict is final at once. For embeddings where most decisions are
    /// read for their verdict only (the Python SDK's `Decision`).
    pub fn decide_deferred(&self, request: &Json) -> Deferred {
        let program = self.engine.program();
        let clock = self.clock();
        let kind = catch_unwind(AssertUnwindSafe(|| match program.bind(request) {
            Ok(req) => self.decide_unbuilt(&program, req, clock),
            Err(e) => Unbuilt::Ready(program.refusal(&e, asked(request))),
        }))
        .unwrap_or_else(|_| Unbuilt::Ready(internal_error(&program, asked(request))));
        Deferred { program, kind }
    }

    /// [`Authorizer::decide`] and, when the request escalates, the
    /// explanation a human approving it reads (the `explain` member of
    /// [`Authorizer::explain`]'s JSON), from the same binding and the same
    /// reading of the session: the values shown are the values the decision
    /// read, not a second reading that already counts this request. Costs
    /// nothing more for a request that does not escalate; none is given
    /// for a decision made without the session's history.
    pub fn decide_explaining_escalation(&self, request: &Json) -> (Outcome, Option<Json>) {
        let program = self.engine.program();
        let clock = self.clock();
        catch_unwind(AssertUnwindSafe(|| {
            let req = match program.bind(request) {
                Ok(req) => req,
                Err(e) => return (program.refusal(&e, asked(request)), None),
            };
            let unbuilt = self.decide_unbuilt(&program, req, clock);
            let explain = match &unbuilt {
                Unbuilt::Bound {
                    request,
                    decision,
                    store_error: None,
                } if decision.verdict == permit0_vm::risk::Verdict::Escalate => {
                    let e = program.explain(request);
                    // The same request and history give the same decision;
                    // should they not, no explanation rather than a wrong one.
                    (e.decision == *decision)
                        .then(|| program.explanation_json(&e, Some(request)))
                        .and_then(|mut j| j.get_mut("explain").map(Json::take))
                }
                _ => None,
            };
            (unbuilt.outcome(&program), explain)
        }))
        .unwrap_or_else(|_| (internal_error(&program, asked(request)), None))
    }

    /// The decision with every rule that matched and the values it read.
    /// Reads the session but records nothing: explaining a request does not
    /// count it.
    pub fn explain(&self, request: &Json) -> Explained {
        self.explain_at(request, self.clock())
    }

    /// [`Authorizer::explain`] at a given clock.
    pub fn explain_at(&self, request: &Json, clock: Clock) -> Explained {
        let program = self.engine.program();
        let refused = |o: Outcome| Explained {
            json: o.to_json(),
            outcome: o,
            explanation: None,
        };
        let mut req = match program.bind(request) {
            Ok(r) => r,
            Err(e) => return refused(program.refusal(&e, asked(request))),
        };
        match session::observe(&program, self.store.as_ref(), &mut req, clock, false) {
            Ok(()) => {}
            Err(SessionError::Clock(e)) => return refused(program.refusal(&e, Some(req.asked()))),
            // Explained without history: the decision says so.
            Err(SessionError::Store(_)) => {
                let d = session::without_history(program.decide(&req));
                return refused(program.outcome(&d, Some(&req)));
            }
        }
        let e = program.explain(&req);
        Explained {
            outcome: program.outcome(&e.decision, Some(&req)),
            json: program.explanation_json(&e, Some(&req)),
            explanation: Some(e),
        }
    }

    /// Verifies `bundle` fully, then swaps it in atomically: requests
    /// already deciding finish on the old program. On any error the old
    /// program stays.
    pub fn swap(&self, bundle: &[u8]) -> Result<(), Error> {
        self.engine.swap(bundle)?;
        Ok(())
    }

    /// The program deciding now (for the bare VM underneath: bind, decide).
    pub fn program(&self) -> Arc<Program> {
        self.engine.program()
    }

    /// Where sessions are kept.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }
}

/// The action or tool a request names, for the outcome of one that cannot
/// be bound.
fn asked(request: &Json) -> Option<&str> {
    request
        .get("action")
        .or_else(|| request.get("tool"))
        .and_then(Json::as_str)
}

/// Runs `f`, and denies if it panics: the code under it is written not to,
/// but a service that embeds it must get a decision, and never an allow,
/// whatever a request holds.
fn guarded(program: &Program, request: &Json, f: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| internal_error(program, asked(request)))
}

fn internal_error(program: &Program, asked: Option<&str>) -> Outcome {
    let mut o = Outcome::escalate(
        "internal error while deciding this request; denied (fail closed). Please report it".into(),
        asked,
        &program.digest_string(),
    );
    o.verdict = permit0_vm::risk::Verdict::Deny;
    o
}

/// A decision whose [`Outcome`] is built on demand
/// ([`Authorizer::decide_deferred`]).
pub struct Deferred {
    program: Arc<Program>,
    kind: Unbuilt,
}

// A bound request holds its slots inline (permit0_vm's `Request`): boxing it
// would cost every deferred decision an allocation to save a copy.
#[allow(clippy::large_enum_variant)]
enum Unbuilt {
    /// Refused, or failed: the outcome is already whole.
    Ready(Outcome),
    Bound {
        request: Request,
        decision: permit0_vm::Decision,
        /// The reason of a decision made without the session's history.
        store_error: Option<String>,
    },
}

impl Unbuilt {
    fn outcome(&self, program: &Program) -> Outcome {
        match self {
            Unbuilt::Ready(o) => o.clone(),
            Unbuilt::Bound {
                request,
                decision,
                store_error,
            } => {
                let mut out = program.outcome(decision, Some(request));
                if let Some(e) = store_error {
                    out.reason.clone_from(e);
                }
                out
            }
        }
    }
}

impl Deferred {
    /// The verdict: final, the same as the outcome's.
    pub fn verdict(&self) -> Verdict {
        match &self.kind {
            Unbuilt::Ready(o) => o.verdict,
            Unbuilt::Bound { decision, .. } => decision.verdict,
        }
    }

    /// The outcome [`Authorizer::decide`] gives for the request, built now
    /// (by the program that decided it, even if another was swapped in
    /// since). Building it does not panic; if it did, the outcome is an
    /// internal error with this decision's verdict kept, never loosened.
    pub fn outcome(&self) -> Outcome {
        catch_unwind(AssertUnwindSafe(|| self.kind.outcome(&self.program))).unwrap_or_else(|_| {
            let mut o = internal_error(&self.program, None);
            o.verdict = self.verdict();
            o
        })
    }
}
