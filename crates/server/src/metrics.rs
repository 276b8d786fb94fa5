//! `/metrics` in the Prometheus text format: decisions by verdict and
//! tenant, the decide latency histogram, pending approvals, store, audit
//! and webhook errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<(String, &'static str), u64>>,
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_ns: AtomicU64,
    audit_errors: AtomicU64,
    webhook_errors: AtomicU64,
    grant_uses: AtomicU64,
    redemptions: Mutex<BTreeMap<&'static str, u64>>,
    rate_limited: AtomicU64,
    reviewer_errors: AtomicU64,
    reviewer_tightened: AtomicU64,
}

impl Metrics {
    pub fn decision(&self, tenant: &str, verdict: &'static str, elapsed: std::time::Duration) {
        if let Ok(mut m) = self.decisions.lock() {
            *m.entry((tenant.to_string(), verdict)).or_default() += 1;
        }
        let s = elapsed.as_secs_f64();
        for (b, le) in self.buckets.iter().zip(BUCKETS) {
            if s <= le {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn audit_error(&self) {
        self.audit_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn webhook_error(&self) {
        self.webhook_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn grant_use(&self) {
        self.grant_uses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reviewer_error(&self) {
        self.reviewer_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reviewer_tightened(&self) {
        self.reviewer_tightened.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub fn redemption(&self, outcome: &'static str) {
        if let Ok(mut m) = self.redemptions.lock() {
            *m.entry(outcome).or_default() += 1;
        }
    }

    /// The text `/metrics` serves.
    pub fn render(&self, pending: Option<i64>, store_errors: u64) -> String {
        let mut o = String::new();
        o.push_str("# HELP permit0_decisions_total Decisions by verdict and tenant.\n# TYPE permit0_decisions_total counter\n");
        if let Ok(m) = self.decisions.lock() {
            for ((tenant, verdict), n) in m.iter() {
                let _ = writeln!(
                    o,
                    "permit0_decisions_total{{tenant=\"{}\",verdict=\"{verdict}\"}} {n}",
                    escape(tenant)
                );
            }
        }
        o.push_str("# HELP permit0_decide_seconds Time to decide one request (HTTP handler, excluding the network).\n# TYPE permit0_decide_seconds histogram\n");
        for (b, le) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                o,
                "permit0_decide_seconds_bucket{{le=\"{le}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(o, "permit0_decide_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            o,
            "permit0_decide_seconds_sum {}",
            self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9
        );
        let _ = writeln!(o, "permit0_decide_seconds_count {count}");
        if let Some(p) = pending {
            let _ = writeln!(o, "# HELP permit0_pending_approvals Approvals waiting for a human.\n# TYPE permit0_pending_approvals gauge\npermit0_pending_approvals {p}");
        }
        let counter = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(&mut o, "permit0_store_errors_total", "Session store observations that failed (decided without history, never looser than escalate).", store_errors);
        counter(
            &mut o,
            "permit0_audit_errors_total",
            "Audit log appends that failed.",
            self.audit_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "permit0_webhook_errors_total",
            "Webhook deliveries that failed after every retry.",
            self.webhook_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "permit0_grant_uses_total",
            "Requests allowed by a grant.",
            self.grant_uses.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "permit0_rate_limited_total",
            "Requests refused by the per-key rate limit.",
            self.rate_limited.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "permit0_reviewer_errors_total",
            "Reviewer calls that timed out or failed (the decision stood).",
            self.reviewer_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut o,
            "permit0_reviewer_tightened_total",
            "Allows the reviewer turned into deny or escalate.",
            self.reviewer_tightened.load(Ordering::Relaxed),
        );
        o.push_str("# HELP permit0_redemptions_total Token redemptions by outcome.\n# TYPE permit0_redemptions_total counter\n");
        if let Ok(m) = self.redemptions.lock() {
            for (k, n) in m.iter() {
                let _ = writeln!(o, "permit0_redemptions_total{{outcome=\"{k}\"}} {n}");
            }
        }
        o
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
