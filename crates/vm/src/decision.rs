//! What `decide` returns: a small `Copy` value filled without allocating,
//! and the [`Outcome`] a caller reads — the one decision shape (and its
//! JSON) that `permit0 eval`, the decision service, the SDKs and the audit
//! log share. Building an `Outcome` is the slow path: it formats the reason
//! and the digests.

use crate::program::Program;
use crate::request::{BindError, Request};
use crate::risk::{Flag, FlagSet, Tier, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Why the decision is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A rule decided (index into the program's rules).
    Rule(u16),
    /// No rule matched: the action's risk tier decided.
    Default,
    /// A hard gate of the risk model tripped (index into the model's gates).
    Gate(u8),
    /// The bundle knows no such action, or no mapping for the tool.
    UnknownAction,
    /// The request was bound against a different program (e.g. before a
    /// bundle swap): it must be bound again.
    StaleRequest,
    /// The request could not be bound (see [`Program::refuse`]).
    Unbound,
    /// The rules allowed, but the caller added something the engine ignored
    /// (see [`Request::taint`]), so a human must look.
    Tainted,
    /// The session store did not answer: the request was decided without
    /// its session's history and held for a human (see
    /// `permit0_session::without_history`).
    SessionStore,
    /// The VM met a state it cannot be in — code it could not run, an index
    /// out of range, a value of the wrong type. Verified code never does;
    /// if it happens anyway the decision is deny (fail closed). `pc` is the
    /// instruction (`u16::MAX` when there is none).
    Internal { fault: Fault, pc: u16 },
}

/// What went wrong inside the VM (see [`Cause::Internal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The request names an action the program does not hold.
    Action,
    /// A slot index past the request's slots.
    Slot,
    /// A constant, set, matcher or enum-set index past its pool.
    Constant,
    /// A session aggregate index past the request's aggregates.
    Aggregate,
    /// A slot holding a value of another type than the instruction reads.
    Type,
    /// A jump that is not forward.
    Jump,
    /// The code ran past its end without a decision.
    End,
    /// A rule index out of range, `fire` of a rule without a decision, or
    /// `amplify` of a rule that is not an amplify rule.
    Rule,
    /// `amplify` after `score`, or `score` twice.
    Order,
    /// An instruction where it cannot run (`mark` in rule code, a risk or
    /// decision instruction in mark code).
    Misplaced,
}

impl Fault {
    pub fn describe(self) -> &'static str {
        match self {
            Fault::Action => "the action is not in the program",
            Fault::Slot => "a slot index is out of range",
            Fault::Constant => "a constant index is out of range",
            Fault::Aggregate => "a session aggregate index is out of range",
            Fault::Type => "a slot holds a value of the wrong type",
            Fault::Jump => "a jump does not go forward",
            Fault::End => "the code ends without a decision",
            Fault::Rule => "a rule index is out of range or names the wrong kind of rule",
            Fault::Order => "`amplify` or `score` out of order",
            Fault::Misplaced => "an instruction is where it cannot run",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub cause: Cause,
    pub score: u8,
    pub tier: Tier,
    pub flags: FlagSet,
    pub action: Option<u32>,
}

impl Decision {
    pub(crate) fn fail(verdict: Verdict, cause: Cause) -> Decision {
        Decision {
            verdict,
            cause,
            score: 0,
            tier: Tier::Critical,
            flags: FlagSet::default(),
            action: None,
        }
    }

    pub fn rule(&self) -> Option<usize> {
        match self.cause {
            Cause::Rule(r) => Some(r as usize),
            _ => None,
        }
    }
}

impl Program {
    /// The decision for a request that could not be bound: escalated to a
    /// human, never allowed.
    pub fn refuse(&self, _err: &BindError) -> Decision {
        Decision::fail(Verdict::Escalate, Cause::Unbound)
    }

    /// Why, in words.
    pub fn reason(&self, d: &Decision, req: Option<&Request>) -> String {
        match d.cause {
            Cause::Rule(r) => match self.rules.get(r as usize) {
                Some(rule) => match &rule.reason {
                    Some(reason) => reason.to_string(),
                    None => format!("rule `{}` matched", rule.id),
                },
                None => "internal error: unknown rule".into(),
            },
            // Most decisions of a large policy set: pieces, not `format!`.
            Cause::Default => [
                "no rule matched; the action's risk tier `",
                d.tier.name(),
                "` ",
                match d.verdict {
                    Verdict::Allow => "allows",
                    Verdict::Escalate => "escalates",
                    Verdict::Deny => "denies",
                },
                " by default",
            ]
            .concat(),
            Cause::Gate(g) => format!(
                "hard gate `{}` of the risk model always denies",
                self.model
                    .gates
                    .get(g as usize)
                    .map(|g| g.name.as_str())
                    .unwrap_or("?")
            ),
            Cause::UnknownAction => match req {
                Some(r) if r.via_tool => format!(
                    "unknown tool `{}`: no mapping normalizes it, so a human must approve it",
                    r.asked
                ),
                Some(r) => format!(
                    "unknown action `{}`: the bundle does not know it, so a human must approve it",
                    r.asked
                ),
                None => "unknown action".into(),
            },
            Cause::StaleRequest => {
                "the request was bound against another bundle; bind it again".into()
            }
            Cause::Unbound => "the request could not be bound".into(),
            Cause::Tainted => match req.and_then(Request::taint) {
                Some(t) => format!("{t}; a human must approve it"),
                None => "the request carried something the gate ignored".into(),
            },
            Cause::SessionStore => {
                "the session store did not answer, so the session's caps and chains \
                 could not be read; a human must approve it"
                    .into()
            }
            Cause::Internal { fault, pc } => {
                let at = match (d.action.and_then(|a| self.action_name(a)), pc) {
                    (Some(a), u16::MAX) => format!(" in `{a}`"),
                    (Some(a), pc) => format!(" at instruction {pc} of `{a}`"),
                    (None, _) => String::new(),
                };
                format!(
                    "internal fault in the decision VM{at}: {}; denied (fail closed). \
                     Verified code never does this: please report it",
                    fault.describe()
                )
            }
        }
    }

    /// What a caller reads of a decision (docs/language.md, "The request
    /// and decision JSON").
    pub fn outcome(&self, d: &Decision, req: Option<&Request>) -> Outcome {
        let action = d
            .action
            .and_then(|a| self.action_name(a))
            .map(str::to_string)
            .or_else(|| req.map(|r| r.asked.to_string()));
        Outcome {
            verdict: d.verdict,
            reason: self.reason(d, req),
            rule: d.rule().and_then(|r| self.rule_id(r)).map(str::to_string),
            action,
            risk: d.action.map(|_| Risk {
                score: d.score,
                tier: d.tier,
                flags: d.flags.iter().collect(),
            }),
            obligations: self.obligations(d, req),
            bundle: self.digest_string(),
            action_digest: req
                .and_then(|r| self.action_digest(r))
                .map(|d| crate::canonical::sha256_string(&d)),
        }
    }

    /// The outcome of a request that could not be bound: escalated, never
    /// allowed. `asked` is the action or tool it named, if any.
    pub fn refusal(&self, err: &BindError, asked: Option<&str>) -> Outcome {
        let mut o = Outcome::escalate(
            format!("request cannot be bound: {err}"),
            asked,
            &self.digest_string(),
        );
        // A defect of the bundle, not of the request: no human answer can
        // make its code run, so nothing waits for one.
        if matches!(err, BindError::Unverified { .. }) {
            o.verdict = Verdict::Deny;
        }
        o
    }

    /// The decision JSON (docs/language.md, "The request and decision JSON").
    pub fn decision_json(&self, d: &Decision, req: Option<&Request>) -> Json {
        self.outcome(d, req).to_json()
    }

    /// The decision JSON for a request that could not be bound.
    pub fn refusal_json(&self, err: &BindError, asked: Option<&str>) -> Json {
        self.refusal(err, asked).to_json()
    }
}

/// A decision as its caller reads it — and, through serde, the decision
/// JSON every part of permit0 writes and reads (fields in the JSON's key
/// order, so the text is the same as a sorted map's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The canonical action decided, or the name the caller sent when the
    /// bundle does not know it.
    pub action: Option<String>,
    /// `sha256:…` of the action's canonical form: what an approval or a
    /// token binds to (docs/audit.md).
    pub action_digest: Option<String>,
    /// `sha256:…` of the bundle that decided.
    pub bundle: String,
    #[serde(rename = "decision")]
    pub verdict: Verdict,
    /// What the deciding rules ask of the executor (`log`, `notify`, …).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub obligations: Map<String, Json>,
    pub reason: String,
    pub risk: Option<Risk>,
    /// The id of the deciding rule (`policy:line`), when a rule decided.
    pub rule: Option<String>,
}

/// The risk of the action decided (docs/risk.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub flags: Vec<Flag>,
    pub score: u8,
    pub tier: Tier,
}

impl Outcome {
    /// An escalation decided outside the VM (input that is not a request,
    /// a refusal), by the bundle with digest `bundle` (`sha256:…`).
    pub fn escalate(reason: String, action: Option<&str>, bundle: &str) -> Outcome {
        Outcome {
            action: action.map(str::to_string),
            action_digest: None,
            bundle: bundle.to_string(),
            verdict: Verdict::Escalate,
            obligations: Map::new(),
            reason,
            risk: None,
            rule: None,
        }
    }

    /// The decision JSON.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// Reads a decision JSON back (an audit record's decision fields, a
    /// service's answer).
    pub fn from_json(v: &Json) -> Result<Outcome, serde_json::Error> {
        Outcome::deserialize(v)
    }
}
