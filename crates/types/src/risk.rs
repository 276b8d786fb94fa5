//! The default risk model (see `docs/risk.md`).
//!
//! Every action is scored before any user rule decides: nine risk flags say
//! what kind of harm an action can do, ten amplifiers say how much context
//! magnifies it, and the result is a raw score in `[0, 1]`, an integer score
//! `0..=100` and a tier. Five hard gates deny outright, whatever the score.
//!
//! Determinism: the score uses only IEEE-754 `+ - * /` in a fixed order plus
//! `libm::tanh` and `libm::round` (pure Rust), so it is bit-identical on every
//! machine and in every replay. [`Model::score`] and [`Model::gate`] never
//! allocate.

use std::fmt;

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------

/// What kind of harm an action can do.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Flag {
    Destruction,
    Physical,
    Execution,
    Privilege,
    Financial,
    Exposure,
    Governance,
    Outbound,
    Mutation,
}

impl Flag {
    /// All flags, in discriminant order (the order of `docs/risk.md`'s table).
    pub const ALL: [Flag; 9] = [
        Flag::Destruction,
        Flag::Physical,
        Flag::Execution,
        Flag::Privilege,
        Flag::Financial,
        Flag::Exposure,
        Flag::Governance,
        Flag::Outbound,
        Flag::Mutation,
    ];

    /// Upper-case name, e.g. `"DESTRUCTION"`.
    pub fn name(self) -> &'static str {
        match self {
            Flag::Destruction => "DESTRUCTION",
            Flag::Physical => "PHYSICAL",
            Flag::Execution => "EXECUTION",
            Flag::Privilege => "PRIVILEGE",
            Flag::Financial => "FINANCIAL",
            Flag::Exposure => "EXPOSURE",
            Flag::Governance => "GOVERNANCE",
            Flag::Outbound => "OUTBOUND",
            Flag::Mutation => "MUTATION",
        }
    }

    /// Inverse of [`Flag::name`] (exact, upper case).
    pub fn from_name(s: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Base weight of the default model.
    pub fn default_weight(self) -> f64 {
        match self {
            Flag::Destruction => 0.28,
            Flag::Physical => 0.26,
            Flag::Execution => 0.22,
            Flag::Privilege => 0.20,
            Flag::Financial => 0.20,
            Flag::Exposure => 0.16,
            Flag::Governance => 0.14,
            Flag::Outbound => 0.10,
            Flag::Mutation => 0.10,
        }
    }

    /// The category the flag's weight counts towards.
    pub fn category(self) -> Category {
        match self {
            Flag::Outbound | Flag::Exposure | Flag::Mutation => Category::Data,
            Flag::Destruction | Flag::Privilege | Flag::Financial => Category::Power,
            Flag::Execution | Flag::Physical | Flag::Governance => Category::Control,
        }
    }

    /// Whether a profile may never bring this flag's weight to zero.
    pub fn is_protected(self) -> bool {
        matches!(self, Flag::Destruction | Flag::Physical | Flag::Execution)
    }

    /// The bit of this flag in a [`FlagSet`].
    pub const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of flags: bit `i` is the flag whose discriminant is `i`.
///
/// Bits 9..16 carry no flag; they are ignored by scoring and by
/// [`FlagSet::iter`] (but not by `==`, [`FlagSet::contains_all`]) and
/// rejected in gates by [`Model::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct FlagSet(pub u16);

impl FlagSet {
    /// No flag.
    pub const EMPTY: FlagSet = FlagSet(0);
    /// Every flag.
    pub const ALL: FlagSet = FlagSet(0x01ff);

    /// This set plus `f`.
    pub const fn with(self, f: Flag) -> Self {
        FlagSet(self.0 | f.bit())
    }

    /// This set without `f`.
    pub const fn without(self, f: Flag) -> Self {
        FlagSet(self.0 & !f.bit())
    }

    /// Whether `f` is in the set.
    pub const fn contains(self, f: Flag) -> bool {
        self.0 & f.bit() != 0
    }

    /// Whether every bit of `other` is in this set.
    pub const fn contains_all(self, other: FlagSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union of two sets.
    pub const fn union(self, other: FlagSet) -> Self {
        FlagSet(self.0 | other.0)
    }

    /// Whether no flag bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 & FlagSet::ALL.0 == 0
    }

    /// Whether bits that name no flag are set.
    pub const fn has_unknown_bits(self) -> bool {
        self.0 & !FlagSet::ALL.0 != 0
    }

    /// The flags of the set, in [`Flag::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// The names of the flags of the set, in [`Flag::ALL`] order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        self.iter().map(Flag::name)
    }

    /// The set of the given flags.
    pub fn of(flags: &[Flag]) -> FlagSet {
        flags.iter().fold(FlagSet::EMPTY, |s, f| s.with(*f))
    }
}

impl FromIterator<Flag> for FlagSet {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        iter.into_iter().fold(FlagSet::EMPTY, FlagSet::with)
    }
}

// ---------------------------------------------------------------------------
// Amplifiers
// ---------------------------------------------------------------------------

/// How much context magnifies an action's harm.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amp {
    Destination,
    Sensitivity,
    Scope,
    Amount,
    Session,
    Irreversibility,
    Volume,
    Boundary,
    Actor,
    Environment,
}

/// Amplifiers that multiply the score, in the order of the product.
const COMPOUND: [Amp; 3] = [Amp::Destination, Amp::Boundary, Amp::Irreversibility];
/// Amplifiers summed into the boost, in the order of the sum.
const BOOST: [Amp; 7] = [
    Amp::Sensitivity,
    Amp::Scope,
    Amp::Amount,
    Amp::Session,
    Amp::Volume,
    Amp::Actor,
    Amp::Environment,
];

impl Amp {
    /// All amplifiers, in discriminant order (the order of `docs/risk.md`'s table).
    pub const ALL: [Amp; 10] = [
        Amp::Destination,
        Amp::Sensitivity,
        Amp::Scope,
        Amp::Amount,
        Amp::Session,
        Amp::Irreversibility,
        Amp::Volume,
        Amp::Boundary,
        Amp::Actor,
        Amp::Environment,
    ];

    /// Lower-case name, e.g. `"destination"`.
    pub fn name(self) -> &'static str {
        match self {
            Amp::Destination => "destination",
            Amp::Sensitivity => "sensitivity",
            Amp::Scope => "scope",
            Amp::Amount => "amount",
            Amp::Session => "session",
            Amp::Irreversibility => "irreversibility",
            Amp::Volume => "volume",
            Amp::Boundary => "boundary",
            Amp::Actor => "actor",
            Amp::Environment => "environment",
        }
    }

    /// Inverse of [`Amp::name`] (exact, lower case).
    pub fn from_name(s: &str) -> Option<Amp> {
        Amp::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The raw value at which the amplifier is fully on (`n = 1`).
    pub fn max(self) -> u8 {
        match self {
            Amp::Destination => 40,
            Amp::Sensitivity => 35,
            Amp::Scope => 35,
            Amp::Amount => 30,
            Amp::Session => 30,
            Amp::Irreversibility => 20,
            Amp::Volume => 25,
            Amp::Boundary => 20,
            Amp::Actor => 20,
            Amp::Environment => 15,
        }
    }

    /// Weight of the default model.
    pub fn default_weight(self) -> f64 {
        match self {
            Amp::Destination => 0.155,
            Amp::Sensitivity => 0.136,
            Amp::Scope => 0.136,
            Amp::Amount => 0.117,
            Amp::Session => 0.097,
            Amp::Irreversibility => 0.097,
            Amp::Volume => 0.078,
            Amp::Boundary => 0.078,
            Amp::Actor => 0.058,
            Amp::Environment => 0.048,
        }
    }

    /// Whether the amplifier multiplies the score (destination, boundary,
    /// irreversibility) rather than adding to the boost.
    pub fn is_compound(self) -> bool {
        COMPOUND.contains(&self)
    }
}

impl fmt::Display for Amp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Raw amplifier values, indexed by `Amp as usize`.
///
/// Values may leave `0..=max` after rule adjustments; scoring and gates use
/// the normalized `n = clamp(raw / max, 0, 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct Amps(pub [i32; 10]);

impl Amps {
    /// All amplifiers at zero.
    pub const ZERO: Amps = Amps([0; 10]);

    /// Raw value of `a`.
    pub fn get(&self, a: Amp) -> i32 {
        self.0.get(a as usize).copied().unwrap_or(0)
    }

    /// Sets the raw value of `a`.
    pub fn set(&mut self, a: Amp, v: i32) {
        if let Some(slot) = self.0.get_mut(a as usize) {
            *slot = v;
        }
    }

    /// Adds `delta` to the raw value of `a`, saturating at the `i32` range.
    pub fn add(&mut self, a: Amp, delta: i32) {
        if let Some(slot) = self.0.get_mut(a as usize) {
            *slot = slot.saturating_add(delta);
        }
    }

    /// `self` with `a` set to `v` (builder style).
    pub fn with(mut self, a: Amp, v: i32) -> Self {
        self.set(a, v);
        self
    }

    /// Normalized value `clamp(raw / max, 0, 1)`.
    pub fn norm(&self, a: Amp) -> f64 {
        (f64::from(self.get(a)) / f64::from(a.max())).clamp(0.0, 1.0)
    }
}

// ---------------------------------------------------------------------------
// Categories, tiers, verdicts
// ---------------------------------------------------------------------------

/// The three categories flags and amplifiers are grouped in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Data,
    Power,
    Control,
}

impl Category {
    /// All categories, in the order their contributions are summed.
    pub const ALL: [Category; 3] = [Category::Data, Category::Power, Category::Control];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Data => "data",
            Category::Power => "power",
            Category::Control => "control",
        }
    }

    /// Fixed category weight (profiles cannot change it).
    pub fn weight(self) -> f64 {
        match self {
            Category::Data => 0.25,
            Category::Power => 0.35,
            Category::Control => 0.40,
        }
    }

    /// The category's flags, in the order their weights are summed.
    pub fn flags(self) -> [Flag; 3] {
        match self {
            Category::Data => [Flag::Outbound, Flag::Exposure, Flag::Mutation],
            Category::Power => [Flag::Destruction, Flag::Privilege, Flag::Financial],
            Category::Control => [Flag::Execution, Flag::Physical, Flag::Governance],
        }
    }

    /// The amplifiers averaged for the category, in summation order.
    pub fn amps(self) -> [Amp; 4] {
        match self {
            Category::Data => [Amp::Sensitivity, Amp::Scope, Amp::Destination, Amp::Volume],
            Category::Power => [
                Amp::Amount,
                Amp::Irreversibility,
                Amp::Boundary,
                Amp::Environment,
            ],
            Category::Control => [Amp::Actor, Amp::Session, Amp::Scope, Amp::Environment],
        }
    }
}

/// Risk tier of a score.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Minimal,
    Low,
    Medium,
    High,
    Critical,
}

impl Tier {
    /// All tiers, lowest first.
    pub const ALL: [Tier; 5] = [
        Tier::Minimal,
        Tier::Low,
        Tier::Medium,
        Tier::High,
        Tier::Critical,
    ];

    /// Lower-case name, e.g. `"minimal"`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Minimal => "minimal",
            Tier::Low => "low",
            Tier::Medium => "medium",
            Tier::High => "high",
            Tier::Critical => "critical",
        }
    }

    /// Inverse of [`Tier::name`].
    pub fn from_name(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Decision of the default model for the tier.
    pub fn default_verdict(self) -> Verdict {
        match self {
            Tier::Minimal | Tier::Low => Verdict::Allow,
            Tier::Medium | Tier::High => Verdict::Escalate,
            Tier::Critical => Verdict::Deny,
        }
    }

    /// Index of this tier's upper bound in [`Model::bounds`]
    /// (`None` for critical, which has none).
    pub fn bound_index(self) -> Option<usize> {
        match self {
            Tier::Minimal => Some(0),
            Tier::Low => Some(1),
            Tier::Medium => Some(2),
            Tier::High => Some(3),
            Tier::Critical => None,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decision. Ordered so that `max` combines: deny > escalate > allow.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Escalate,
    Deny,
}

impl Verdict {
    /// All verdicts, weakest first.
    pub const ALL: [Verdict; 3] = [Verdict::Allow, Verdict::Escalate, Verdict::Deny];

    /// `"allow"`, `"escalate"` or `"deny"`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Escalate => "escalate",
            Verdict::Deny => "deny",
        }
    }

    /// Inverse of [`Verdict::name`].
    pub fn from_name(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.name() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------
// Gates
// ---------------------------------------------------------------------------

/// A hard gate: denies when all its flags are present and every normalized
/// amplifier reaches its threshold (`n >= threshold`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub name: String,
    pub flags: FlagSet,
    pub thresholds: Vec<(Amp, f64)>,
}

/// Names of the five standard gates, in the order of [`standard_gates`].
pub const STANDARD_GATE_NAMES: [&str; 5] = [
    "irreversible_destruction",
    "financial_exfiltration",
    "privileged_prod_execution",
    "governance_trust_boundary",
    "classified_external_send",
];

/// The five hard gates of the default model (no profile can remove or
/// loosen them).
pub fn standard_gates() -> Vec<Gate> {
    vec![
        Gate::new(
            "irreversible_destruction",
            &[Flag::Destruction],
            &[(Amp::Irreversibility, 0.90)],
        ),
        Gate::new(
            "financial_exfiltration",
            &[Flag::Financial, Flag::Outbound],
            &[(Amp::Amount, 0.83), (Amp::Destination, 0.75)],
        ),
        Gate::new(
            "privileged_prod_execution",
            &[Flag::Execution, Flag::Privilege],
            &[(Amp::Environment, 0.80), (Amp::Scope, 0.80)],
        ),
        Gate::new(
            "governance_trust_boundary",
            &[Flag::Governance],
            &[(Amp::Boundary, 0.90)],
        ),
        Gate::new(
            "classified_external_send",
            &[Flag::Outbound, Flag::Exposure],
            &[(Amp::Sensitivity, 0.94), (Amp::Destination, 0.75)],
        ),
    ]
}

impl Gate {
    /// Convenience constructor.
    pub fn new(name: &str, flags: &[Flag], thresholds: &[(Amp, f64)]) -> Gate {
        Gate {
            name: name.to_owned(),
            flags: FlagSet::of(flags),
            thresholds: thresholds.to_vec(),
        }
    }

    /// Whether the gate trips. Never allocates.
    pub fn trips(&self, flags: FlagSet, amps: &Amps) -> bool {
        flags.contains_all(self.flags) && self.thresholds.iter().all(|(a, t)| amps.norm(*a) >= *t)
    }

    /// Whether this gate trips on every input `other` trips on (it is the
    /// same or stricter): it requires no flag `other` does not, and each of
    /// its thresholds is at most `other`'s for the same amplifier (or
    /// trivially met, `<= 0`).
    pub fn covers(&self, other: &Gate) -> bool {
        other.flags.contains_all(self.flags)
            && self.thresholds.iter().all(|(a, t)| {
                *t <= 0.0 || other.thresholds.iter().any(|(oa, ot)| oa == a && *t <= *ot)
            })
    }

    /// Checks the gate is well formed.
    pub fn check(&self) -> Result<(), ProfileError> {
        let bad = |reason: String| ProfileError::InvalidGate {
            gate: self.name.clone(),
            reason,
        };
        if self.name.is_empty()
            || self
                .name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad(
                "a gate name must be non-empty, without spaces or control characters".to_owned(),
            ));
        }
        if self.flags.has_unknown_bits() {
            return Err(bad(format!(
                "flag bits {:#06x} name no flag",
                self.flags.0 & !FlagSet::ALL.0
            )));
        }
        if self.flags.is_empty() && self.thresholds.is_empty() {
            return Err(bad(
                "it requires no flag and no threshold, so it would deny every action".to_owned(),
            ));
        }
        for (i, (a, t)) in self.thresholds.iter().enumerate() {
            if !t.is_finite() || *t < 0.0 || *t > 1.0 {
                return Err(bad(format!(
                    "threshold of `{a}` must be within 0-1, got {t}"
                )));
            }
            if self.thresholds.iter().take(i).any(|(b, _)| b == a) {
                return Err(bad(format!("`{a}` has more than one threshold")));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Model and score
// ---------------------------------------------------------------------------

/// Default upper bounds of minimal, low, medium and high.
pub const DEFAULT_BOUNDS: [f64; 4] = [0.15, 0.35, 0.55, 0.75];
/// How far a tier bound may move from its default.
pub const MAX_BOUND_SHIFT: f64 = 0.10;
/// Lowest allowed ratio of a flag weight to its default.
pub const MIN_FLAG_RATIO: f64 = 0.5;
/// Highest allowed ratio of a flag weight to its default.
pub const MAX_FLAG_RATIO: f64 = 2.0;
/// Scale applied inside `tanh`.
pub const SCALE: f64 = 1.8;
/// Slack for guardrail comparisons, so that e.g. `0.35 - 0.10` (which is
/// `0.24999999999999997` in `f64`) counts as a shift of exactly 0.10.
const SLACK: f64 = 1e-9;

/// A calibrated risk model: weights, tier bounds and hard gates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Indexed by `Flag as usize`.
    pub flag_weights: [f64; 9],
    /// Indexed by `Amp as usize`.
    pub amp_weights: [f64; 10],
    /// Upper bounds of minimal, low, medium, high (inclusive), strictly
    /// increasing.
    pub bounds: [f64; 4],
    /// The standard gates first, then added ones; any tripped gate denies.
    pub gates: Vec<Gate>,
}

/// Result of scoring an action.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// `tanh(...)` clamped to `[0, 1]`.
    pub raw: f64,
    /// `round(raw * 100)`, half away from zero.
    pub score: u8,
    /// Tier of `raw` under the model's bounds.
    pub tier: Tier,
}

impl Default for Model {
    fn default() -> Self {
        Model::standard()
    }
}

impl Model {
    /// The default model of `docs/risk.md`, with its five hard gates.
    pub fn standard() -> Model {
        Model {
            flag_weights: Flag::ALL.map(Flag::default_weight),
            amp_weights: Amp::ALL.map(Amp::default_weight),
            bounds: DEFAULT_BOUNDS,
            gates: standard_gates(),
        }
    }

    /// Weight of `f` in this model.
    pub fn flag_weight(&self, f: Flag) -> f64 {
        self.flag_weights.get(f as usize).copied().unwrap_or(0.0)
    }

    /// Weight of `a` in this model.
    pub fn amp_weight(&self, a: Amp) -> f64 {
        self.amp_weights.get(a as usize).copied().unwrap_or(0.0)
    }

    /// Upper bound of tier `t` (`None` for critical).
    pub fn bound(&self, t: Tier) -> Option<f64> {
        t.bound_index().and_then(|i| self.bounds.get(i).copied())
    }

    /// Scores an action. Never allocates; the summation order is fixed.
    ///
    /// A non-finite result (possible only with a model that fails
    /// [`Model::validate`]) fails closed: `raw = 1`.
    pub fn score(&self, flags: FlagSet, amps: &Amps) -> Score {
        let mut base = 0.0;
        for cat in Category::ALL {
            let f = cat
                .flags()
                .into_iter()
                .filter(|fl| flags.contains(*fl))
                .fold(0.0, |acc, fl| acc + self.flag_weight(fl));
            if f > 0.0 {
                let cat_amps = cat.amps();
                let sum_w = cat_amps
                    .into_iter()
                    .fold(0.0, |acc, a| acc + self.amp_weight(a));
                let amp = cat_amps.into_iter().fold(0.0, |acc, a| {
                    acc + self.amp_weight(a) / sum_w * amps.norm(a)
                });
                base += cat.weight() * f * (1.0 + amp) / 2.0;
            }
        }
        let compound = COMPOUND.into_iter().fold(1.0, |acc, a| {
            acc * (1.0 + self.amp_weight(a) * amps.norm(a))
        });
        let boost = BOOST
            .into_iter()
            .fold(0.0, |acc, a| acc + self.amp_weight(a) * amps.norm(a));
        let t = libm::tanh(base * compound * (1.0 + boost) * SCALE);
        let raw = if t.is_nan() { 1.0 } else { t.clamp(0.0, 1.0) };
        // raw is in [0, 1], so the rounded value is in 0..=100.
        let score = libm::round(raw * 100.0) as u8;
        Score {
            raw,
            score,
            tier: self.tier_of(raw),
        }
    }

    /// Index of the first tripped gate, if any. Never allocates.
    pub fn gate(&self, flags: FlagSet, amps: &Amps) -> Option<usize> {
        self.gates.iter().position(|g| g.trips(flags, amps))
    }

    /// Tier of a raw score; each bound is inclusive (`raw <= bound`).
    /// NaN is critical.
    pub fn tier_of(&self, raw: f64) -> Tier {
        Tier::ALL
            .into_iter()
            .zip(self.bounds)
            .find(|(_, b)| raw <= *b)
            .map_or(Tier::Critical, |(t, _)| t)
    }

    /// Applies a profile, checking every guardrail (against the *default*
    /// figures, so stacking profiles cannot creep past them).
    ///
    /// Flag and amplifier multipliers multiply this model's weights, bound
    /// shifts move this model's bounds, gates are appended (a profile may
    /// only add gates: reusing an existing gate's name is an error). Floors
    /// are checked syntactically; the compiler applies them per action.
    pub fn with_profile(&self, p: &Profile) -> Result<Model, ProfileError> {
        let mut m = self.clone();

        for (i, (flag, mult)) in p.flag_multipliers.iter().enumerate() {
            if p.flag_multipliers.iter().take(i).any(|(f, _)| f == flag) {
                return Err(ProfileError::DuplicateFlag(*flag));
            }
            if *mult == 0.0 && flag.is_protected() {
                return Err(ProfileError::ZeroedFlag(*flag));
            }
            if !mult.is_finite() || *mult <= 0.0 {
                return Err(ProfileError::InvalidMultiplier {
                    target: flag.name().to_owned(),
                    value: *mult,
                });
            }
            if let Some(w) = m.flag_weights.get_mut(*flag as usize) {
                *w *= *mult;
                check_flag_weight(*flag, *w)?;
            }
        }

        for (i, (amp, mult)) in p.amp_multipliers.iter().enumerate() {
            if p.amp_multipliers.iter().take(i).any(|(a, _)| a == amp) {
                return Err(ProfileError::DuplicateAmp(*amp));
            }
            if !mult.is_finite() || *mult <= 0.0 {
                return Err(ProfileError::InvalidMultiplier {
                    target: amp.name().to_owned(),
                    value: *mult,
                });
            }
            if let Some(w) = m.amp_weights.get_mut(*amp as usize) {
                *w *= *mult;
                check_amp_weight(*amp, *w)?;
            }
        }

        for (i, (tier, shift)) in p.bound_shifts.iter().enumerate() {
            if p.bound_shifts.iter().take(i).any(|(t, _)| t == tier) {
                return Err(ProfileError::DuplicateShift(*tier));
            }
            if !shift.is_finite() {
                return Err(ProfileError::InvalidShift {
                    tier: *tier,
                    shift: *shift,
                });
            }
            let slot = tier
                .bound_index()
                .and_then(|i| m.bounds.get_mut(i))
                .ok_or(ProfileError::CriticalBound)?;
            *slot += *shift;
            check_bound(*tier, *slot)?;
        }

        for (i, g) in p.gates.iter().enumerate() {
            g.check()?;
            if p.gates.iter().take(i).any(|h| h.name == g.name) {
                return Err(ProfileError::DuplicateGate(g.name.clone()));
            }
            if m.gates.iter().any(|h| h.name == g.name) {
                return Err(ProfileError::GateExists(g.name.clone()));
            }
        }
        m.gates.extend(p.gates.iter().cloned());

        p.check_floors()?;
        m.validate()?;
        Ok(m)
    }

    /// Checks a model (e.g. one loaded from a bundle) against every
    /// guardrail: flag weights within 0.5x-2x of default (so never zero),
    /// amplifier weights finite and positive, bounds within 0.10 of default
    /// and strictly increasing, gates well formed with unique names, and the
    /// five standard gates present under their names and not loosened.
    pub fn validate(&self) -> Result<(), ProfileError> {
        for (f, w) in Flag::ALL.into_iter().zip(self.flag_weights) {
            check_flag_weight(f, w)?;
        }
        for (a, w) in Amp::ALL.into_iter().zip(self.amp_weights) {
            check_amp_weight(a, w)?;
        }
        for (t, b) in Tier::ALL.into_iter().zip(self.bounds) {
            check_bound(t, b)?;
        }
        for ((lo_t, lo), (hi_t, hi)) in Tier::ALL
            .into_iter()
            .zip(self.bounds)
            .zip(Tier::ALL.into_iter().zip(self.bounds).skip(1))
        {
            if lo >= hi {
                return Err(ProfileError::BoundsNotIncreasing {
                    lower: lo_t,
                    lower_bound: lo,
                    upper: hi_t,
                    upper_bound: hi,
                });
            }
        }
        for (i, g) in self.gates.iter().enumerate() {
            g.check()?;
            if self.gates.iter().take(i).any(|h| h.name == g.name) {
                return Err(ProfileError::DuplicateGate(g.name.clone()));
            }
        }
        for std_gate in standard_gates() {
            match self.gates.iter().find(|g| g.name == std_gate.name) {
                None => return Err(ProfileError::StandardGateMissing(std_gate.name)),
                Some(g) if !g.covers(&std_gate) => {
                    return Err(ProfileError::StandardGateLoosened(std_gate.name))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn check_flag_weight(flag: Flag, weight: f64) -> Result<(), ProfileError> {
    if weight == 0.0 && flag.is_protected() {
        return Err(ProfileError::ZeroedFlag(flag));
    }
    let d = flag.default_weight();
    let ok = weight.is_finite()
        && weight >= d * MIN_FLAG_RATIO - SLACK
        && weight <= d * MAX_FLAG_RATIO + SLACK;
    if ok {
        Ok(())
    } else {
        Err(ProfileError::FlagWeightOutOfRange { flag, weight })
    }
}

fn check_amp_weight(amp: Amp, weight: f64) -> Result<(), ProfileError> {
    if weight.is_finite() && weight > 0.0 {
        Ok(())
    } else {
        Err(ProfileError::InvalidAmpWeight { amp, weight })
    }
}

fn check_bound(tier: Tier, bound: f64) -> Result<(), ProfileError> {
    let Some(default) = tier.bound_index().and_then(|i| DEFAULT_BOUNDS.get(i)) else {
        return Err(ProfileError::CriticalBound);
    };
    if bound.is_finite() && (bound - default).abs() <= MAX_BOUND_SHIFT + SLACK {
        Ok(())
    } else {
        Err(ProfileError::BoundOutOfRange { tier, bound })
    }
}

// ---------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------

/// A calibration profile: adjusts a [`Model`] within the guardrails and
/// records per-action tier floors for the compiler.
///
/// In serialized form every field is optional (missing = empty) and unknown
/// fields are rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub flag_multipliers: Vec<(Flag, f64)>,
    pub amp_multipliers: Vec<(Amp, f64)>,
    /// Shift of the upper bound of a tier (minimal..high).
    pub bound_shifts: Vec<(Tier, f64)>,
    /// Gates added to the model's.
    pub gates: Vec<Gate>,
    /// `(action name, lowest tier)`: the compiler raises that action's tier
    /// to at least the floor.
    pub floors: Vec<(String, Tier)>,
}

impl Profile {
    /// The floor declared for `action`, if any.
    pub fn floor_of(&self, action: &str) -> Option<Tier> {
        self.floors
            .iter()
            .find(|(a, _)| a == action)
            .map(|(_, t)| *t)
    }

    /// Checks the floors syntactically: action names are non-empty
    /// dot-separated segments without whitespace, each declared once.
    pub fn check_floors(&self) -> Result<(), ProfileError> {
        for (i, (action, _)) in self.floors.iter().enumerate() {
            let syntax_ok = !action.is_empty()
                && action
                    .split('.')
                    .all(|seg| !seg.is_empty() && !seg.chars().any(char::is_whitespace));
            if !syntax_ok {
                return Err(ProfileError::InvalidFloor {
                    action: action.clone(),
                });
            }
            if self.floors.iter().take(i).any(|(a, _)| a == action) {
                return Err(ProfileError::DuplicateFloor(action.clone()));
            }
        }
        Ok(())
    }
}

/// The fintech example profile of `docs/risk.md`.
pub fn fintech() -> Profile {
    Profile {
        name: "fintech".to_owned(),
        flag_multipliers: vec![
            (Flag::Financial, 1.5),
            (Flag::Exposure, 1.3),
            (Flag::Outbound, 1.2),
            (Flag::Mutation, 0.8),
        ],
        amp_multipliers: vec![(Amp::Amount, 1.4), (Amp::Destination, 1.3)],
        bound_shifts: vec![(Tier::Medium, -0.05), (Tier::High, -0.05)],
        gates: vec![Gate::new(
            "fintech_outbound_funds",
            &[Flag::Financial, Flag::Outbound],
            &[(Amp::Amount, 0.70), (Amp::Destination, 0.60)],
        )],
        floors: vec![
            ("payments.transfer".to_owned(), Tier::Medium),
            ("iam.assign_role".to_owned(), Tier::High),
        ],
    }
}

/// The healthtech example profile of `docs/risk.md`. The published model
/// names its two gates without thresholds; these are this module's choice.
pub fn healthtech() -> Profile {
    Profile {
        name: "healthtech".to_owned(),
        flag_multipliers: vec![
            (Flag::Exposure, 1.8),
            (Flag::Outbound, 1.5),
            (Flag::Physical, 1.4),
        ],
        amp_multipliers: vec![(Amp::Sensitivity, 1.6)],
        bound_shifts: vec![],
        gates: vec![
            Gate::new(
                "phi_external_send",
                &[Flag::Outbound, Flag::Exposure],
                &[(Amp::Sensitivity, 0.70), (Amp::Destination, 0.50)],
            ),
            Gate::new(
                "bulk_patient_export",
                &[Flag::Exposure],
                &[(Amp::Sensitivity, 0.60), (Amp::Volume, 0.80)],
            ),
        ],
        floors: vec![],
    }
}

/// Why a profile or a model was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileError {
    /// A multiplier is NaN, infinite, zero or negative.
    InvalidMultiplier { target: String, value: f64 },
    /// DESTRUCTION, PHYSICAL or EXECUTION would be zeroed.
    ZeroedFlag(Flag),
    /// A flag weight would leave 0.5x-2x of its default.
    FlagWeightOutOfRange { flag: Flag, weight: f64 },
    /// An amplifier weight is not finite and positive.
    InvalidAmpWeight { amp: Amp, weight: f64 },
    /// A bound shift is NaN or infinite.
    InvalidShift { tier: Tier, shift: f64 },
    /// A shift targets the critical tier, which has no upper bound.
    CriticalBound,
    /// A tier bound would move more than 0.10 from its default.
    BoundOutOfRange { tier: Tier, bound: f64 },
    /// Tier bounds would not be strictly increasing.
    BoundsNotIncreasing {
        lower: Tier,
        lower_bound: f64,
        upper: Tier,
        upper_bound: f64,
    },
    /// The same flag is multiplied twice in one profile.
    DuplicateFlag(Flag),
    /// The same amplifier is multiplied twice in one profile.
    DuplicateAmp(Amp),
    /// The same bound is shifted twice in one profile.
    DuplicateShift(Tier),
    /// Two gates share a name.
    DuplicateGate(String),
    /// A profile gate reuses the name of a gate the model already has.
    GateExists(String),
    /// A gate is malformed.
    InvalidGate { gate: String, reason: String },
    /// One of the five standard gates is absent.
    StandardGateMissing(String),
    /// One of the five standard gates would trip less often than its default.
    StandardGateLoosened(String),
    /// A floor's action name is malformed.
    InvalidFloor { action: String },
    /// The same action has two floors.
    DuplicateFloor(String),
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::InvalidMultiplier { target, value } => write!(
                f,
                "multiplier of `{target}` must be finite and greater than 0, got {value}"
            ),
            ProfileError::ZeroedFlag(flag) => write!(f, "`{flag}` can never be zeroed"),
            ProfileError::FlagWeightOutOfRange { flag, weight } => write!(
                f,
                "weight of `{flag}` would be {weight:.2}, outside 0.5x-2x of its default {:.2}",
                flag.default_weight()
            ),
            ProfileError::InvalidAmpWeight { amp, weight } => write!(
                f,
                "weight of `{amp}` would be {weight}, it must be finite and greater than 0"
            ),
            ProfileError::InvalidShift { tier, shift } => write!(
                f,
                "shift of the upper bound of `{tier}` must be finite, got {shift}"
            ),
            ProfileError::CriticalBound => {
                write!(f, "the `critical` tier has no upper bound to shift")
            }
            ProfileError::BoundOutOfRange { tier, bound } => {
                let default = tier
                    .bound_index()
                    .and_then(|i| DEFAULT_BOUNDS.get(i))
                    .copied()
                    .unwrap_or(f64::NAN);
                write!(
                    f,
                    "upper bound of `{tier}` would be {bound:.2}, more than 0.10 from its default {default:.2}"
                )
            }
            ProfileError::BoundsNotIncreasing {
                lower,
                lower_bound,
                upper,
                upper_bound,
            } => write!(
                f,
                "upper bound of `{lower}` ({lower_bound:.2}) must stay below that of `{upper}` ({upper_bound:.2})"
            ),
            ProfileError::DuplicateFlag(flag) => {
                write!(f, "`{flag}` has more than one multiplier")
            }
            ProfileError::DuplicateAmp(amp) => write!(f, "`{amp}` has more than one multiplier"),
            ProfileError::DuplicateShift(tier) => {
                write!(f, "upper bound of `{tier}` is shifted more than once")
            }
            ProfileError::DuplicateGate(name) => {
                write!(f, "gate `{name}` is declared more than once")
            }
            ProfileError::GateExists(name) => write!(
                f,
                "gate `{name}` already exists; a profile may only add gates"
            ),
            ProfileError::InvalidGate { gate, reason } => write!(f, "gate `{gate}`: {reason}"),
            ProfileError::StandardGateMissing(name) => {
                write!(f, "standard gate `{name}` is missing")
            }
            ProfileError::StandardGateLoosened(name) => write!(
                f,
                "standard gate `{name}` is loosened; it must trip whenever the default one does"
            ),
            ProfileError::InvalidFloor { action } => write!(
                f,
                "floor action `{action}` must be non-empty dot-separated names without spaces"
            ),
            ProfileError::DuplicateFloor(action) => {
                write!(f, "action `{action}` has more than one floor")
            }
        }
    }
}

impl std::error::Error for ProfileError {}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::float_cmp
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn amps(pairs: &[(Amp, i32)]) -> Amps {
        pairs.iter().fold(Amps::ZERO, |a, (k, v)| a.with(*k, *v))
    }

    fn next_up(x: f64) -> f64 {
        f64::from_bits(x.to_bits() + 1)
    }

    fn next_down(x: f64) -> f64 {
        f64::from_bits(x.to_bits() - 1)
    }

    fn check1() -> (FlagSet, Amps) {
        (
            FlagSet::of(&[Flag::Outbound, Flag::Mutation, Flag::Exposure]),
            amps(&[
                (Amp::Scope, 18),
                (Amp::Irreversibility, 18),
                (Amp::Sensitivity, 14),
                (Amp::Destination, 28),
                (Amp::Boundary, 14),
            ]),
        )
    }

    fn check2() -> (FlagSet, Amps) {
        (
            FlagSet::of(&[
                Flag::Outbound,
                Flag::Mutation,
                Flag::Exposure,
                Flag::Governance,
                Flag::Privilege,
            ]),
            amps(&[
                (Amp::Scope, 30),
                (Amp::Irreversibility, 18),
                (Amp::Sensitivity, 20),
                (Amp::Destination, 36),
                (Amp::Boundary, 14),
            ]),
        )
    }

    // ----- tables -------------------------------------------------------

    #[test]
    fn tables_match_risk_md() {
        let fw: Vec<f64> = Flag::ALL.iter().map(|f| f.default_weight()).collect();
        assert_eq!(fw, [0.28, 0.26, 0.22, 0.20, 0.20, 0.16, 0.14, 0.10, 0.10]);
        let aw: Vec<f64> = Amp::ALL.iter().map(|a| a.default_weight()).collect();
        assert_eq!(
            aw,
            [0.155, 0.136, 0.136, 0.117, 0.097, 0.097, 0.078, 0.078, 0.058, 0.048]
        );
        let max: Vec<u8> = Amp::ALL.iter().map(|a| Amp::max(*a)).collect();
        assert_eq!(max, [40, 35, 35, 30, 30, 20, 25, 20, 20, 15]);
        for (i, f) in Flag::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert!(f.category().flags().contains(f));
        }
        for (i, a) in Amp::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i);
        }
        let cw: f64 = Category::ALL.iter().map(|c| c.weight()).sum();
        assert!((cw - 1.0).abs() < 1e-12);
        let compound: Vec<Amp> = Amp::ALL.into_iter().filter(|a| a.is_compound()).collect();
        assert_eq!(
            compound,
            [Amp::Destination, Amp::Irreversibility, Amp::Boundary]
        );
        assert_eq!(COMPOUND.len() + BOOST.len(), 10);
        assert!(BOOST.iter().all(|a| !a.is_compound()));
    }

    #[test]
    fn names_round_trip() {
        for f in Flag::ALL {
            assert_eq!(Flag::from_name(f.name()), Some(f));
            assert_eq!(f.name(), f.name().to_uppercase());
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.name())
            );
        }
        for a in Amp::ALL {
            assert_eq!(Amp::from_name(a.name()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.name())
            );
        }
        for t in Tier::ALL {
            assert_eq!(Tier::from_name(t.name()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.name())
            );
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_name(v.name()), Some(v));
        }
        assert_eq!(Flag::Destruction.name(), "DESTRUCTION");
        assert_eq!(Amp::Destination.name(), "destination");
        assert_eq!(Tier::Minimal.name(), "minimal");
        assert_eq!(Verdict::Escalate.name(), "escalate");
        assert_eq!(Flag::from_name("destruction"), None);
        assert_eq!(Amp::from_name("Destination"), None);
        assert_eq!(Tier::from_name("extreme"), None);
        assert_eq!(Verdict::from_name("block"), None);
    }

    #[test]
    fn verdicts_combine_by_max_and_tiers_map_to_defaults() {
        assert_eq!(Verdict::Allow.max(Verdict::Escalate), Verdict::Escalate);
        assert_eq!(Verdict::Deny.max(Verdict::Escalate), Verdict::Deny);
        let v: Vec<Verdict> = Tier::ALL.iter().map(|t| t.default_verdict()).collect();
        assert_eq!(
            v,
            [
                Verdict::Allow,
                Verdict::Allow,
                Verdict::Escalate,
                Verdict::Escalate,
                Verdict::Deny
            ]
        );
    }

    #[test]
    fn flagset_basics() {
        let s = FlagSet::EMPTY.with(Flag::Mutation).with(Flag::Destruction);
        assert_eq!(s.0, 0b1_0000_0001);
        assert!(s.contains(Flag::Mutation) && !s.contains(Flag::Physical));
        assert!(s.contains_all(FlagSet::of(&[Flag::Mutation])));
        assert!(!s.contains_all(FlagSet::of(&[Flag::Mutation, Flag::Physical])));
        assert!(s.contains_all(FlagSet::EMPTY));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Flag::Destruction, Flag::Mutation]
        );
        assert_eq!(s.names().collect::<Vec<_>>(), ["DESTRUCTION", "MUTATION"]);
        assert_eq!(s.without(Flag::Mutation), FlagSet::of(&[Flag::Destruction]));
        assert_eq!(Flag::ALL.into_iter().collect::<FlagSet>(), FlagSet::ALL);
        assert!(FlagSet(0x8000).is_empty() && FlagSet(0x8000).has_unknown_bits());
        assert_eq!(FlagSet(0xffff).iter().count(), 9);
    }

    #[test]
    fn amps_basics() {
        let mut a = Amps::default();
        a.set(Amp::Amount, 12);
        a.add(Amp::Amount, 3);
        assert_eq!(a.get(Amp::Amount), 15);
        assert_eq!(a.0[Amp::Amount as usize], 15);
        assert_eq!(a.norm(Amp::Amount), 0.5);
        a.set(Amp::Volume, i32::MAX);
        a.add(Amp::Volume, 1);
        assert_eq!(a.get(Amp::Volume), i32::MAX);
        assert_eq!(a.norm(Amp::Volume), 1.0);
        a.set(Amp::Actor, i32::MIN);
        a.add(Amp::Actor, -1);
        assert_eq!(a.get(Amp::Actor), i32::MIN);
        assert_eq!(a.norm(Amp::Actor), 0.0);
    }

    // ----- score ----------------------------------------------------------

    #[test]
    fn worked_check_1_is_low() {
        let (f, a) = check1();
        let s = Model::standard().score(f, &a);
        assert_eq!(format!("{:.4}", s.raw), "0.1675");
        assert_eq!(s.tier, Tier::Low);
        assert_eq!(s.score, 17);
    }

    #[test]
    fn worked_check_2_is_medium() {
        let (f, a) = check2();
        let s = Model::standard().score(f, &a);
        assert_eq!(format!("{:.4}", s.raw), "0.4260");
        assert_eq!(s.tier, Tier::Medium);
        assert_eq!(s.score, 43);
    }

    #[test]
    fn score_bits_are_pinned() {
        let m = Model::standard();
        let (f, a) = check1();
        assert_eq!(m.score(f, &a).raw.to_bits(), PIN_CHECK1);
        let (f, a) = check2();
        assert_eq!(m.score(f, &a).raw.to_bits(), PIN_CHECK2);
        let all_max = Amps(Amp::ALL.map(|a| i32::from(a.max())));
        let s = m.score(FlagSet::ALL, &all_max);
        assert_eq!(s.raw.to_bits(), PIN_ALL_MAX);
        assert_eq!((s.score, s.tier), (98, Tier::Critical));
        let s = m.score(FlagSet::of(&[Flag::Destruction]), &Amps::ZERO);
        assert_eq!(s.raw.to_bits(), PIN_DESTRUCTION_ONLY);
    }

    /// 0.16753880099993268
    const PIN_CHECK1: u64 = 0x3fc5_71e9_538d_89a4;
    /// 0.4259826755822569 (glibc's tanh gives 0.42598267558225694, one ulp
    /// more: platform math would not reproduce these bits)
    const PIN_CHECK2: u64 = 0x3fdb_434c_d712_74ac;
    /// 0.9824991817012275, the highest raw the standard model can produce
    const PIN_ALL_MAX: u64 = 0x3fef_70a2_1fb8_1cf3;
    /// 0.08797199978508433
    const PIN_DESTRUCTION_ONLY: u64 = 0x3fb6_8555_3e0a_6872;

    #[test]
    fn score_is_repeatable() {
        let m = Model::standard();
        let (f, a) = check2();
        let first = m.score(f, &a);
        for _ in 0..100 {
            assert_eq!(m.score(f, &a).raw.to_bits(), first.raw.to_bits());
        }
        assert_eq!(m.clone().score(f, &a), first);
    }

    #[test]
    fn no_flags_score_zero_whatever_the_amplifiers() {
        let all_max = Amps(Amp::ALL.map(|a| i32::from(a.max())));
        let s = Model::standard().score(FlagSet::EMPTY, &all_max);
        assert_eq!((s.raw, s.score, s.tier), (0.0, 0, Tier::Minimal));
        // unknown bits are ignored
        let s = Model::standard().score(FlagSet(0xfe00), &all_max);
        assert_eq!(s.raw, 0.0);
    }

    #[test]
    fn out_of_range_amplifiers_are_clamped() {
        let m = Model::standard();
        let f = FlagSet::of(&[Flag::Financial, Flag::Outbound]);
        let at_max = Amps(Amp::ALL.map(|a| i32::from(a.max())));
        let beyond = Amps([i32::MAX; 10]);
        assert_eq!(m.score(f, &at_max), m.score(f, &beyond));
        assert_eq!(m.score(f, &Amps::ZERO), m.score(f, &Amps([-7; 10])));
    }

    #[test]
    fn invalid_model_fails_closed() {
        let mut m = Model::standard();
        m.amp_weights = [0.0; 10]; // category averages divide by zero
        let s = m.score(FlagSet::of(&[Flag::Mutation]), &Amps::ZERO);
        assert_eq!((s.raw, s.score, s.tier), (1.0, 100, Tier::Critical));
        assert!(m.validate().is_err());
    }

    // ----- tiers ----------------------------------------------------------

    #[test]
    fn tier_bounds_are_inclusive() {
        let m = Model::standard();
        for (tier, b) in Tier::ALL.into_iter().zip(DEFAULT_BOUNDS) {
            assert_eq!(m.tier_of(b), tier, "bound {b}");
            assert_eq!(m.tier_of(next_down(b)), tier, "below {b}");
            let next = Tier::ALL[tier as usize + 1];
            assert_eq!(m.tier_of(next_up(b)), next, "above {b}");
        }
        assert_eq!(m.tier_of(0.0), Tier::Minimal);
        assert_eq!(m.tier_of(0.15), Tier::Minimal);
        assert_eq!(m.tier_of(0.35), Tier::Low);
        assert_eq!(m.tier_of(0.55), Tier::Medium);
        assert_eq!(m.tier_of(0.75), Tier::High);
        assert_eq!(m.tier_of(1.0), Tier::Critical);
        assert_eq!(m.tier_of(f64::NAN), Tier::Critical);
        assert_eq!(m.bound(Tier::Medium), Some(0.55));
        assert_eq!(m.bound(Tier::Critical), None);
    }

    // ----- gates ----------------------------------------------------------

    /// Checks gate `name` trips exactly from the given raw values on, with
    /// exactly its flags, and not one step below any threshold nor with any
    /// flag missing.
    fn check_gate(name: &str, flags: &[Flag], at: &[(Amp, i32)]) {
        let m = Model::standard();
        let idx = m.gates.iter().position(|g| g.name == name).unwrap();
        let g = &m.gates[idx];
        assert_eq!(g.flags, FlagSet::of(flags));
        assert_eq!(g.thresholds.len(), at.len());
        let f = FlagSet::of(flags);
        let a = amps(at);
        // the raw values are the smallest that reach each threshold
        for ((amp, t), (amp2, raw)) in g.thresholds.iter().zip(at) {
            assert_eq!(amp, amp2);
            assert!(f64::from(*raw) / f64::from(Amp::max(*amp)) >= *t);
            assert!(f64::from(*raw - 1) / f64::from(Amp::max(*amp)) < *t);
        }
        assert_eq!(m.gate(f, &a), Some(idx), "{name} at threshold");
        let top = Amps([1000; 10]);
        assert!(g.trips(FlagSet::ALL, &top));
        for (amp, raw) in at {
            let mut below = a;
            below.set(*amp, raw - 1);
            assert!(!g.trips(f, &below), "{name} with {amp} just below");
            assert_eq!(m.gate(f, &below), None, "{name} with {amp} just below");
        }
        for fl in flags {
            assert!(!g.trips(f.without(*fl), &top), "{name} without {fl}");
        }
    }

    #[test]
    fn gate_irreversible_destruction() {
        check_gate(
            "irreversible_destruction",
            &[Flag::Destruction],
            &[(Amp::Irreversibility, 18)],
        );
    }

    #[test]
    fn gate_financial_exfiltration() {
        check_gate(
            "financial_exfiltration",
            &[Flag::Financial, Flag::Outbound],
            &[(Amp::Amount, 25), (Amp::Destination, 30)],
        );
    }

    #[test]
    fn gate_privileged_prod_execution() {
        check_gate(
            "privileged_prod_execution",
            &[Flag::Execution, Flag::Privilege],
            &[(Amp::Environment, 12), (Amp::Scope, 28)],
        );
    }

    #[test]
    fn gate_governance_trust_boundary() {
        check_gate(
            "governance_trust_boundary",
            &[Flag::Governance],
            &[(Amp::Boundary, 18)],
        );
    }

    #[test]
    fn gate_classified_external_send() {
        check_gate(
            "classified_external_send",
            &[Flag::Outbound, Flag::Exposure],
            &[(Amp::Sensitivity, 33), (Amp::Destination, 30)],
        );
    }

    #[test]
    fn standard_gates_come_first_in_table_order() {
        let m = Model::standard();
        let names: Vec<&str> = m.gates.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, STANDARD_GATE_NAMES);
        assert_eq!(Model::standard().validate(), Ok(()));
        assert_eq!(Model::default(), Model::standard());
    }

    #[test]
    fn gate_covers_is_same_or_stricter() {
        let std = &standard_gates()[1];
        assert!(std.covers(std));
        let lower = Gate::new(
            "x",
            &[Flag::Financial, Flag::Outbound],
            &[(Amp::Amount, 0.5), (Amp::Destination, 0.75)],
        );
        assert!(lower.covers(std) && !std.covers(&lower));
        let fewer_flags = Gate::new("x", &[Flag::Financial], &[(Amp::Amount, 0.83)]);
        assert!(fewer_flags.covers(std));
        let more_flags = Gate::new(
            "x",
            &[Flag::Financial, Flag::Outbound, Flag::Exposure],
            &[(Amp::Amount, 0.83), (Amp::Destination, 0.75)],
        );
        assert!(!more_flags.covers(std));
        let extra_threshold = Gate::new(
            "x",
            &[Flag::Financial, Flag::Outbound],
            &[
                (Amp::Amount, 0.83),
                (Amp::Destination, 0.75),
                (Amp::Volume, 0.1),
            ],
        );
        assert!(!extra_threshold.covers(std));
        let higher = Gate::new(
            "x",
            &[Flag::Financial, Flag::Outbound],
            &[(Amp::Amount, 0.84), (Amp::Destination, 0.75)],
        );
        assert!(!higher.covers(std));
    }

    // ----- the tanh caveat --------------------------------------------------

    /// `libm::tanh` is not monotone at the last bit: this adjacent pair (in
    /// its `t / (t + 2)` branch, arguments 0.2554..0.5493) goes down by one
    /// ulp. See docs/risk.md, "Monotonicity". If libm fixes this, update the
    /// doc and drop this test.
    #[test]
    fn libm_tanh_is_not_monotone_at_the_last_bit() {
        let lo = f64::from_bits(0x3fd5_2fa6_e9c1_599a);
        let hi = f64::from_bits(0x3fd5_2fa6_e9c1_599b);
        assert!(hi > lo);
        let (tl, th) = (libm::tanh(lo), libm::tanh(hi));
        assert!(th < tl);
        assert_eq!(tl.to_bits() - th.to_bits(), 1);
    }

    // ----- profiles ---------------------------------------------------------

    fn flag_profile(f: Flag, mult: f64) -> Profile {
        Profile {
            name: "t".into(),
            flag_multipliers: vec![(f, mult)],
            ..Profile::default()
        }
    }

    fn amp_profile(a: Amp, mult: f64) -> Profile {
        Profile {
            name: "t".into(),
            amp_multipliers: vec![(a, mult)],
            ..Profile::default()
        }
    }

    fn shift_profile(shifts: &[(Tier, f64)]) -> Profile {
        Profile {
            name: "t".into(),
            bound_shifts: shifts.to_vec(),
            ..Profile::default()
        }
    }

    fn gate_profile(g: Gate) -> Profile {
        Profile {
            name: "t".into(),
            gates: vec![g],
            ..Profile::default()
        }
    }

    fn apply(p: &Profile) -> Result<Model, ProfileError> {
        Model::standard().with_profile(p)
    }

    #[test]
    fn empty_profile_changes_nothing() {
        assert_eq!(apply(&Profile::default()).unwrap(), Model::standard());
    }

    #[test]
    fn fintech_applies_every_field() {
        let p = fintech();
        let m = apply(&p).unwrap();
        let std = Model::standard();
        // flag multipliers
        for f in Flag::ALL {
            let expect = match f {
                Flag::Financial => 0.20 * 1.5,
                Flag::Exposure => 0.16 * 1.3,
                Flag::Outbound => 0.10 * 1.2,
                Flag::Mutation => 0.10 * 0.8,
                _ => f.default_weight(),
            };
            assert_eq!(m.flag_weight(f), expect, "{f}");
        }
        // amplifier multipliers
        for a in Amp::ALL {
            let expect = match a {
                Amp::Amount => 0.117 * 1.4,
                Amp::Destination => 0.155 * 1.3,
                _ => a.default_weight(),
            };
            assert_eq!(m.amp_weight(a), expect, "{a}");
        }
        // bound shifts: medium and high upper bounds -0.05
        assert_eq!(m.bounds, [0.15, 0.35, 0.55 - 0.05, 0.75 - 0.05]);
        assert_eq!(
            (std.tier_of(0.52), m.tier_of(0.52)),
            (Tier::Medium, Tier::High)
        );
        assert_eq!(
            (std.tier_of(0.72), m.tier_of(0.72)),
            (Tier::High, Tier::Critical)
        );
        // the added gate: FINANCIAL + OUTBOUND, amount >= 0.70, destination >= 0.60
        assert_eq!(m.gates.len(), 6);
        let f = FlagSet::of(&[Flag::Financial, Flag::Outbound]);
        let a = amps(&[(Amp::Amount, 21), (Amp::Destination, 24)]);
        assert_eq!(std.gate(f, &a), None);
        assert_eq!(m.gate(f, &a), Some(5));
        assert_eq!(m.gate(f, &a.with(Amp::Amount, 20)), None);
        assert_eq!(m.gate(f, &a.with(Amp::Destination, 23)), None);
        // weights take effect in the score
        let fa = amps(&[(Amp::Amount, 15), (Amp::Destination, 10)]);
        assert!(m.score(f, &fa).raw > std.score(f, &fa).raw);
        let mutation = FlagSet::of(&[Flag::Mutation]);
        assert!(m.score(mutation, &Amps::ZERO).raw < std.score(mutation, &Amps::ZERO).raw);
        // floors are recorded for the compiler
        assert_eq!(p.floor_of("payments.transfer"), Some(Tier::Medium));
        assert_eq!(p.floor_of("iam.assign_role"), Some(Tier::High));
        assert_eq!(p.floor_of("payments.refund"), None);
        assert_eq!(m.validate(), Ok(()));
    }

    #[test]
    fn healthtech_applies_every_field() {
        let p = healthtech();
        let m = apply(&p).unwrap();
        let std = Model::standard();
        for f in Flag::ALL {
            let expect = match f {
                Flag::Exposure => 0.16 * 1.8,
                Flag::Outbound => 0.10 * 1.5,
                Flag::Physical => 0.26 * 1.4,
                _ => f.default_weight(),
            };
            assert_eq!(m.flag_weight(f), expect, "{f}");
        }
        for a in Amp::ALL {
            let expect = match a {
                Amp::Sensitivity => 0.136 * 1.6,
                _ => a.default_weight(),
            };
            assert_eq!(m.amp_weight(a), expect, "{a}");
        }
        assert_eq!(m.bounds, DEFAULT_BOUNDS);
        assert_eq!(m.gates.len(), 7);
        // PHI sent outside
        let send = FlagSet::of(&[Flag::Outbound, Flag::Exposure]);
        let a = amps(&[(Amp::Sensitivity, 25), (Amp::Destination, 20)]);
        assert_eq!(std.gate(send, &a), None);
        assert_eq!(m.gate(send, &a), Some(5));
        assert_eq!(m.gate(send, &a.with(Amp::Sensitivity, 24)), None);
        assert_eq!(m.gate(send, &a.with(Amp::Destination, 19)), None);
        // bulk patient export
        let exp = FlagSet::of(&[Flag::Exposure]);
        let a = amps(&[(Amp::Sensitivity, 21), (Amp::Volume, 20)]);
        assert_eq!(std.gate(exp, &a), None);
        assert_eq!(m.gate(exp, &a), Some(6));
        assert_eq!(m.gate(exp, &a.with(Amp::Sensitivity, 20)), None);
        assert_eq!(m.gate(exp, &a.with(Amp::Volume, 19)), None);
        // weights take effect in the score
        let s = amps(&[(Amp::Sensitivity, 10)]);
        assert!(m.score(exp, &s).raw > std.score(exp, &s).raw);
        let phys = FlagSet::of(&[Flag::Physical]);
        assert!(m.score(phys, &Amps::ZERO).raw > std.score(phys, &Amps::ZERO).raw);
        assert!(p.floors.is_empty());
        assert_eq!(m.validate(), Ok(()));
    }

    #[test]
    fn each_profile_field_takes_effect_alone() {
        let std = Model::standard();
        let (f, a) = check2();
        let base = std.score(f, &a).raw;
        // a flag multiplier changes that flag only
        let m = apply(&flag_profile(Flag::Governance, 1.5)).unwrap();
        assert!(m.score(f, &a).raw > base);
        let not_gov = f.without(Flag::Governance);
        assert_eq!(m.score(not_gov, &a), std.score(not_gov, &a));
        // an amplifier multiplier: lowers boundary's own term...
        let m = apply(&amp_profile(Amp::Boundary, 0.5)).unwrap();
        assert!(m.score(f, &a).raw < base);
        // ...and with boundary at 0 it still reweighs the power average
        // (boundary's weight is in its denominator), so only without a
        // power flag is the score unchanged
        let b0 = a.with(Amp::Boundary, 0);
        assert!(m.score(f, &b0).raw > std.score(f, &b0).raw);
        let no_power = f.without(Flag::Privilege);
        assert_eq!(m.score(no_power, &b0), std.score(no_power, &b0));
        // a bound shift moves that bound only
        let m = apply(&shift_profile(&[(Tier::Low, 0.08)])).unwrap();
        assert_eq!(m.bounds, [0.15, 0.35 + 0.08, 0.55, 0.75]);
        assert_eq!(m.tier_of(0.40), Tier::Low);
        assert_eq!(std.tier_of(0.40), Tier::Medium);
        // a gate
        let g = Gate::new("bulk_delete", &[Flag::Destruction], &[(Amp::Volume, 0.5)]);
        let m = apply(&gate_profile(g.clone())).unwrap();
        assert_eq!(m.gates.last(), Some(&g));
        let d = FlagSet::of(&[Flag::Destruction]);
        assert_eq!(m.gate(d, &amps(&[(Amp::Volume, 13)])), Some(5));
        assert_eq!(m.gate(d, &amps(&[(Amp::Volume, 12)])), None);
        // floors
        let p = Profile {
            floors: vec![("files.delete".into(), Tier::High)],
            ..Profile::default()
        };
        apply(&p).unwrap();
        assert_eq!(p.floor_of("files.delete"), Some(Tier::High));
    }

    #[test]
    fn flag_weight_stays_within_half_and_double() {
        let e = apply(&flag_profile(Flag::Destruction, 0.35)).unwrap_err();
        assert_eq!(
            e,
            ProfileError::FlagWeightOutOfRange {
                flag: Flag::Destruction,
                weight: 0.28 * 0.35
            }
        );
        assert_eq!(
            e.to_string(),
            "weight of `DESTRUCTION` would be 0.10, outside 0.5x-2x of its default 0.28"
        );
        for mult in [0.49, 2.01, 10.0, 1e-9] {
            for f in Flag::ALL {
                assert!(
                    matches!(
                        apply(&flag_profile(f, mult)),
                        Err(ProfileError::FlagWeightOutOfRange { flag, .. }) if flag == f
                    ),
                    "{f} x{mult}"
                );
            }
        }
        // the edges are allowed
        for mult in [0.5, 2.0] {
            let p = Profile {
                flag_multipliers: Flag::ALL.iter().map(|f| (*f, mult)).collect(),
                ..Profile::default()
            };
            apply(&p).unwrap();
        }
    }

    #[test]
    fn protected_flags_can_never_be_zeroed() {
        for f in [Flag::Destruction, Flag::Physical, Flag::Execution] {
            let e = apply(&flag_profile(f, 0.0)).unwrap_err();
            assert_eq!(e, ProfileError::ZeroedFlag(f));
            assert_eq!(e.to_string(), format!("`{}` can never be zeroed", f.name()));
            let mut m = Model::standard();
            m.flag_weights[f as usize] = 0.0;
            assert_eq!(m.validate(), Err(ProfileError::ZeroedFlag(f)));
        }
        // the other flags cannot be zeroed either (0 is not a valid multiplier)
        assert_eq!(
            apply(&flag_profile(Flag::Outbound, 0.0)).unwrap_err(),
            ProfileError::InvalidMultiplier {
                target: "OUTBOUND".into(),
                value: 0.0
            }
        );
        let mut m = Model::standard();
        m.flag_weights[Flag::Mutation as usize] = 0.0;
        assert!(matches!(
            m.validate(),
            Err(ProfileError::FlagWeightOutOfRange {
                flag: Flag::Mutation,
                ..
            })
        ));
    }

    #[test]
    fn multipliers_must_be_finite_and_positive() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0] {
            assert!(matches!(
                apply(&flag_profile(Flag::Financial, bad)),
                Err(ProfileError::InvalidMultiplier { ref target, .. }) if target == "FINANCIAL"
            ));
            assert!(matches!(
                apply(&amp_profile(Amp::Amount, bad)),
                Err(ProfileError::InvalidMultiplier { ref target, .. }) if target == "amount"
            ));
        }
        assert_eq!(
            apply(&amp_profile(Amp::Amount, -2.0))
                .unwrap_err()
                .to_string(),
            "multiplier of `amount` must be finite and greater than 0, got -2"
        );
        // amplifier multipliers have no range guardrail beyond that
        apply(&amp_profile(Amp::Amount, 5.0)).unwrap();
        apply(&amp_profile(Amp::Amount, 0.01)).unwrap();
        let mut m = Model::standard();
        m.amp_weights[Amp::Volume as usize] = f64::NAN;
        assert!(matches!(
            m.validate(),
            Err(ProfileError::InvalidAmpWeight {
                amp: Amp::Volume,
                ..
            })
        ));
    }

    #[test]
    fn tier_bounds_move_at_most_a_tenth() {
        for t in [Tier::Minimal, Tier::Low, Tier::Medium, Tier::High] {
            apply(&shift_profile(&[(t, 0.10)])).unwrap();
            apply(&shift_profile(&[(t, -0.10)])).unwrap();
            assert!(matches!(
                apply(&shift_profile(&[(t, 0.11)])),
                Err(ProfileError::BoundOutOfRange { tier, .. }) if tier == t
            ));
            assert!(matches!(
                apply(&shift_profile(&[(t, -0.101)])),
                Err(ProfileError::BoundOutOfRange { tier, .. }) if tier == t
            ));
        }
        assert_eq!(
            apply(&shift_profile(&[(Tier::Medium, 0.11)]))
                .unwrap_err()
                .to_string(),
            "upper bound of `medium` would be 0.66, more than 0.10 from its default 0.55"
        );
        assert_eq!(
            apply(&shift_profile(&[(Tier::Critical, 0.01)])),
            Err(ProfileError::CriticalBound)
        );
        assert!(matches!(
            apply(&shift_profile(&[(Tier::Low, f64::NAN)])),
            Err(ProfileError::InvalidShift {
                tier: Tier::Low,
                ..
            })
        ));
        // stacking profiles is measured against the defaults
        let once = apply(&shift_profile(&[(Tier::High, 0.06)])).unwrap();
        assert!(matches!(
            once.with_profile(&shift_profile(&[(Tier::High, 0.06)])),
            Err(ProfileError::BoundOutOfRange {
                tier: Tier::High,
                ..
            })
        ));
    }

    #[test]
    fn tier_bounds_stay_strictly_increasing() {
        let e = apply(&shift_profile(&[(Tier::Minimal, 0.10), (Tier::Low, -0.10)])).unwrap_err();
        assert!(matches!(
            e,
            ProfileError::BoundsNotIncreasing {
                lower: Tier::Minimal,
                upper: Tier::Low,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "upper bound of `minimal` (0.25) must stay below that of `low` (0.25)"
        );
        let mut m = Model::standard();
        m.bounds = [0.15, 0.45, 0.45, 0.75];
        assert!(matches!(
            m.validate(),
            Err(ProfileError::BoundsNotIncreasing {
                lower: Tier::Low,
                upper: Tier::Medium,
                ..
            })
        ));
    }

    #[test]
    fn duplicate_entries_are_rejected() {
        let p = Profile {
            flag_multipliers: vec![(Flag::Financial, 1.1), (Flag::Financial, 1.2)],
            ..Profile::default()
        };
        assert_eq!(apply(&p), Err(ProfileError::DuplicateFlag(Flag::Financial)));
        let p = Profile {
            amp_multipliers: vec![(Amp::Scope, 1.1), (Amp::Scope, 1.2)],
            ..Profile::default()
        };
        assert_eq!(apply(&p), Err(ProfileError::DuplicateAmp(Amp::Scope)));
        let p = shift_profile(&[(Tier::Low, 0.01), (Tier::Low, 0.01)]);
        assert_eq!(apply(&p), Err(ProfileError::DuplicateShift(Tier::Low)));
        let g = Gate::new("g", &[Flag::Mutation], &[]);
        let p = Profile {
            gates: vec![g.clone(), g],
            ..Profile::default()
        };
        assert_eq!(apply(&p), Err(ProfileError::DuplicateGate("g".into())));
        let p = Profile {
            floors: vec![("a.b".into(), Tier::Low), ("a.b".into(), Tier::High)],
            ..Profile::default()
        };
        assert_eq!(apply(&p), Err(ProfileError::DuplicateFloor("a.b".into())));
        assert_eq!(
            ProfileError::DuplicateFloor("a.b".into()).to_string(),
            "action `a.b` has more than one floor"
        );
    }

    #[test]
    fn profiles_may_only_add_gates() {
        for name in STANDARD_GATE_NAMES {
            // even a stricter gate may not reuse a standard gate's name
            let g = Gate::new(name, &[Flag::Destruction], &[]);
            assert_eq!(
                apply(&gate_profile(g)),
                Err(ProfileError::GateExists(name.into()))
            );
        }
        let fin = apply(&fintech()).unwrap();
        let again = Profile {
            gates: fintech().gates,
            ..Profile::default()
        };
        assert_eq!(
            fin.with_profile(&again).unwrap_err().to_string(),
            "gate `fintech_outbound_funds` already exists; a profile may only add gates"
        );
    }

    #[test]
    fn malformed_gates_are_rejected() {
        let bad = [
            Gate::new("g", &[Flag::Mutation], &[(Amp::Volume, 1.5)]),
            Gate::new("g", &[Flag::Mutation], &[(Amp::Volume, -0.1)]),
            Gate::new("g", &[Flag::Mutation], &[(Amp::Volume, f64::NAN)]),
            Gate::new(
                "g",
                &[Flag::Mutation],
                &[(Amp::Volume, 0.2), (Amp::Volume, 0.3)],
            ),
            Gate::new("", &[Flag::Mutation], &[]),
            Gate::new("a gate", &[Flag::Mutation], &[]),
            Gate::new("g", &[], &[]),
            Gate {
                name: "g".into(),
                flags: FlagSet(0x0200),
                thresholds: vec![],
            },
        ];
        for g in bad {
            assert!(
                matches!(
                    apply(&gate_profile(g.clone())),
                    Err(ProfileError::InvalidGate { .. })
                ),
                "{g:?}"
            );
        }
        assert_eq!(
            apply(&gate_profile(Gate::new(
                "g",
                &[Flag::Mutation],
                &[(Amp::Volume, 1.5)]
            )))
            .unwrap_err()
            .to_string(),
            "gate `g`: threshold of `volume` must be within 0-1, got 1.5"
        );
        // a gate with thresholds only, or flags only, is fine
        apply(&gate_profile(Gate::new("g", &[], &[(Amp::Volume, 1.0)]))).unwrap();
        apply(&gate_profile(Gate::new("g", &[Flag::Physical], &[]))).unwrap();
    }

    #[test]
    fn malformed_floors_are_rejected() {
        for action in [
            "",
            ".",
            "payments..transfer",
            "payments.",
            "pay ments.transfer",
        ] {
            let p = Profile {
                floors: vec![(action.into(), Tier::Medium)],
                ..Profile::default()
            };
            assert_eq!(
                apply(&p),
                Err(ProfileError::InvalidFloor {
                    action: action.into()
                }),
                "{action:?}"
            );
        }
    }

    #[test]
    fn validate_rejects_removed_or_loosened_standard_gates() {
        for (i, name) in STANDARD_GATE_NAMES.iter().enumerate() {
            let mut m = Model::standard();
            m.gates.remove(i);
            let e = m.validate().unwrap_err();
            assert_eq!(e, ProfileError::StandardGateMissing((*name).into()));
            assert_eq!(e.to_string(), format!("standard gate `{name}` is missing"));

            // raising a threshold loosens the gate
            let mut m = Model::standard();
            m.gates[i].thresholds[0].1 += 0.01;
            assert_eq!(
                m.validate(),
                Err(ProfileError::StandardGateLoosened((*name).into()))
            );
            // requiring one more flag loosens it too
            let mut m = Model::standard();
            let extra = Flag::ALL
                .into_iter()
                .find(|f| !m.gates[i].flags.contains(*f))
                .unwrap();
            m.gates[i].flags = m.gates[i].flags.with(extra);
            assert_eq!(
                m.validate(),
                Err(ProfileError::StandardGateLoosened((*name).into()))
            );
            // lowering a threshold tightens it: allowed
            let mut m = Model::standard();
            m.gates[i].thresholds[0].1 -= 0.1;
            assert_eq!(m.validate(), Ok(()));
        }
        // the order of gates does not matter to validation
        let mut m = Model::standard();
        m.gates.reverse();
        assert_eq!(m.validate(), Ok(()));
        let mut m = Model::standard();
        m.gates.push(m.gates[0].clone());
        assert!(matches!(m.validate(), Err(ProfileError::DuplicateGate(_))));
    }

    #[test]
    fn stacked_profiles_are_checked_against_defaults() {
        let fin = apply(&fintech()).unwrap();
        // EXPOSURE would be 0.16 x 1.3 x 1.8 = 0.37 > 2 x 0.16
        assert_eq!(
            fin.with_profile(&healthtech()).unwrap_err().to_string(),
            "weight of `EXPOSURE` would be 0.37, outside 0.5x-2x of its default 0.16"
        );
    }

    #[test]
    fn profiles_round_trip_through_json() {
        for p in [fintech(), healthtech()] {
            let json = serde_json::to_string(&p).unwrap();
            let back: Profile = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p);
        }
        // A model survives JSON only up to the last bit of its weights:
        // without serde_json's `float_roundtrip` feature, parsing may be off
        // by one ulp (0.16 * 1.3 = 0.20800000000000002 comes back as 0.208).
        // Bundles must carry weights in a bit-exact encoding.
        let m = apply(&fintech()).unwrap();
        let back: Model = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back.gates, m.gates);
        assert_eq!(back.bounds, m.bounds);
        let ulps = |x: &[f64], y: &[f64]| {
            x.iter()
                .zip(y)
                .map(|(a, b)| a.to_bits().abs_diff(b.to_bits()))
                .max()
                .unwrap()
        };
        assert!(ulps(&back.flag_weights, &m.flag_weights) <= 1);
        assert!(ulps(&back.amp_weights, &m.amp_weights) <= 1);
        let p: Profile = serde_json::from_str(
            r#"{"name":"x","flag_multipliers":[["FINANCIAL",1.5]],"bound_shifts":[["medium",-0.05]]}"#,
        )
        .unwrap();
        assert_eq!(p.flag_multipliers, [(Flag::Financial, 1.5)]);
        assert_eq!(p.bound_shifts, [(Tier::Medium, -0.05)]);
        assert!(p.gates.is_empty());
    }

    #[test]
    fn unknown_profile_fields_are_rejected() {
        assert!(serde_json::from_str::<Profile>(r#"{"name":"x","colour":1}"#).is_err());
        assert!(
            serde_json::from_str::<Profile>(r#"{"flag_multipliers":[["FINANCE",1.5]]}"#).is_err()
        );
        assert!(serde_json::from_str::<Profile>(
            r#"{"gates":[{"name":"g","flags":1,"thresholds":[],"loose":true}]}"#
        )
        .is_err());
    }

    // ----- properties -------------------------------------------------------

    fn any_amps() -> impl Strategy<Value = Amps> {
        proptest::array::uniform10(-10i32..60).prop_map(Amps)
    }

    fn any_flags() -> impl Strategy<Value = FlagSet> {
        (0u16..512).prop_map(FlagSet)
    }

    fn any_amp() -> impl Strategy<Value = Amp> {
        proptest::sample::select(Amp::ALL.to_vec())
    }

    fn any_flag() -> impl Strategy<Value = Flag> {
        proptest::sample::select(Flag::ALL.to_vec())
    }

    /// Any profile the guardrails accept for weights (amplifier multipliers
    /// 0.25x-4x) and bounds.
    fn sane_model() -> impl Strategy<Value = Model> {
        (
            proptest::array::uniform9(0.5f64..=2.0),
            proptest::array::uniform10(0.25f64..=4.0),
            proptest::array::uniform4(-0.09f64..=0.09),
        )
            .prop_map(|(fm, am, sh)| {
                let p = Profile {
                    name: "random".into(),
                    flag_multipliers: Flag::ALL.into_iter().zip(fm).collect(),
                    amp_multipliers: Amp::ALL.into_iter().zip(am).collect(),
                    bound_shifts: Tier::ALL.into_iter().zip(sh).collect(),
                    ..Profile::default()
                };
                apply(&p).unwrap()
            })
    }

    /// Models with amplifier weights anywhere from 1e-20x to 1000x default.
    fn extreme_model() -> impl Strategy<Value = Model> {
        proptest::array::uniform10(-20.0f64..3.0).prop_map(|exps| {
            let p = Profile {
                amp_multipliers: Amp::ALL
                    .into_iter()
                    .zip(exps.map(|e| 10f64.powf(e)))
                    .collect(),
                ..Profile::default()
            };
            apply(&p).unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn raising_an_amplifier_never_lowers_the_score(
            flags in any_flags(), a in any_amps(), amp in any_amp(), delta in 1i32..60,
        ) {
            let m = Model::standard();
            let before = m.score(flags, &a);
            let mut raised = a;
            raised.add(amp, delta);
            let after = m.score(flags, &raised);
            prop_assert!(after.raw >= before.raw);
            prop_assert!(after.score >= before.score);
            prop_assert!(after.tier >= before.tier);
        }

        #[test]
        fn adding_a_flag_always_raises_the_score(
            flags in any_flags(), a in any_amps(), flag in any_flag(),
        ) {
            let flags = flags.without(flag);
            let m = Model::standard();
            let before = m.score(flags, &a);
            let after = m.score(flags.with(flag), &a);
            // strictly: the standard model never saturates (max raw 0.9825)
            prop_assert!(after.raw > before.raw);
            prop_assert!(after.score >= before.score);
            prop_assert!(after.tier >= before.tier);
        }

        #[test]
        fn monotone_under_any_sane_profile(
            m in sane_model(), flags in any_flags(), a in any_amps(),
            amp in any_amp(), delta in 1i32..60, flag in any_flag(),
        ) {
            let before = m.score(flags, &a);
            let mut raised = a;
            raised.add(amp, delta);
            let after = m.score(flags, &raised);
            prop_assert!(after.raw >= before.raw);
            prop_assert!(after.tier >= before.tier);
            let more = m.score(flags.with(flag), &a);
            prop_assert!(more.raw >= before.raw);
            prop_assert!(more.tier >= before.tier);
        }

        /// With absurdly small amplifier weights an amplifier step can move
        /// the tanh argument by a single ulp, where libm's tanh may step down
        /// by one ulp: the true property is "never lower by more than 1 ulp".
        #[test]
        fn extreme_amplifier_weights_never_lower_the_score_by_more_than_one_ulp(
            m in extreme_model(), flags in any_flags(), a in any_amps(),
            amp in any_amp(), delta in 1i32..60,
        ) {
            let before = m.score(flags, &a);
            let mut raised = a;
            raised.add(amp, delta);
            let after = m.score(flags, &raised);
            prop_assert!(after.raw.to_bits() + 1 >= before.raw.to_bits());
        }

        #[test]
        fn gates_always_trip(
            gate in 0usize..5, flags in any_flags(), a in any_amps(),
            extra in proptest::array::uniform10(0i32..1000),
        ) {
            let m = Model::standard();
            let g = &m.gates[gate];
            let flags = flags.union(g.flags);
            let mut a = a;
            for (amp, t) in &g.thresholds {
                let max = i32::from(Amp::max(*amp));
                let least = (0..=max).find(|k| f64::from(*k) / f64::from(max) >= *t).unwrap();
                a.set(*amp, least + extra[*amp as usize]);
            }
            prop_assert!(g.trips(flags, &a));
            let first = m.gate(flags, &a);
            prop_assert!(matches!(first, Some(i) if i <= gate));
            // and whatever the profile
            let fin = apply(&fintech()).unwrap();
            prop_assert!(fin.gate(flags, &a).is_some());
        }

        #[test]
        fn score_is_consistent_and_deterministic(
            m in sane_model(), flags in any_flags(), a in any_amps(),
        ) {
            let s = m.score(flags, &a);
            prop_assert_eq!(m.score(flags, &a).raw.to_bits(), s.raw.to_bits());
            prop_assert!((0.0..=1.0).contains(&s.raw));
            prop_assert_eq!(f64::from(s.score), (s.raw * 100.0).round());
            prop_assert_eq!(s.tier, m.tier_of(s.raw));
            prop_assert_eq!(flags.0 & FlagSet::ALL.0 == 0, s.raw == 0.0);
        }
    }
}
