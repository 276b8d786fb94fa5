//! Deciding with a verified bundle in this process.

use crate::{Decider, Decision};
use permit0_authorizer::{Authorizer, Verdict};

/// Decides with an [`Authorizer`] (a bundle verified at start); sessions
/// live in memory, one per proxy process. Escalations cannot be approved
/// here: they are refused with the reason.
pub struct Embedded {
    authorizer: Authorizer,
}

impl Embedded {
    pub fn new(authorizer: Authorizer) -> Embedded {
        Embedded { authorizer }
    }
}

impl Decider for Embedded {
    fn decide(&self, request: &[u8]) -> Decision {
        let o = self.authorizer.decide_bytes(request);
        match o.verdict {
            Verdict::Allow => Decision::Allow,
            Verdict::Deny => Decision::Deny(o.reason),
            Verdict::Escalate => Decision::Escalate {
                reason: o.reason,
                approval: None,
            },
        }
    }

    fn denies_always(&self, tool: &str) -> bool {
        self.authorizer.program().denies_tool_always(tool)
    }
}
