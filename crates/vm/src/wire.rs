//! The bundle's frozen wire format. These structs are written by the compiler
//! and read by the VM, encoded with postcard; they are kept apart from the
//! runtime types so the in-memory program can change without changing bytes.
//! Any change here bumps [`FORMAT_VERSION`].
//!
//! A bundle file is:
//!
//! ```text
//! magic "P0B\x01" (4) | format u16 LE | key id (8) | payload length u32 LE
//! | payload (postcard `BundleWire`) | sha256 of everything before it (32)
//! | ed25519 signature of that digest (64)
//! ```
//!
//! Each action is stored as its name and then the rest of it as one
//! length-prefixed byte string (since format 7, see [`ActionWire`]): a process
//! that decides one request — a `permit0 hook` call — decodes and verifies
//! the one action it decides, not all of them.
//!
//! Nothing in a `BundleWire` is a hash map: the same sources always give the
//! same bytes.

use crate::instr::Instr;
use permit0_types::builtin::Builtin;
use serde::{Deserialize, Serialize};

pub const MAGIC: [u8; 4] = *b"P0B\x01";
pub const FORMAT_VERSION: u16 = 8;
pub const HEADER_LEN: usize = 4 + 2 + 8 + 4;
pub const DIGEST_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;
/// Bundles larger than this are refused before anything is decoded.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

/// The payload. `A` and `T` are how actions and tool mappings are read:
/// whole ([`ActionWire`], [`ToolWire`]: the compiler's form) or framed, each
/// left undecoded until it is used ([`FramedAction`], [`FramedTool`]: how a
/// program loads). The bytes are the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleWire<A = ActionWire, T = ToolWire> {
    pub taxonomy_version: String,
    pub taxonomy_digest: [u8; 32],
    pub compiler: String,
    /// The IANA time zone database version of the compiler's build
    /// ([`crate::local::TZDB_VERSION`]); a bundle whose rules read local
    /// time loads only where the VM's database has this version (format 5).
    pub tzdb: String,
    pub policies: Vec<PolicyWire>,
    pub model: ModelWire,
    /// Members of every enum, by enum id.
    pub enums: EnumTable,
    /// Fields of `actor` and `context` (in that order), appended to every
    /// action's own fields in its frame.
    pub namespaces: Vec<NamespaceWire>,
    pub actions: Vec<A>,
    pub rules: Vec<RuleWire>,
    pub ints: Vec<i64>,
    pub strs: Vec<String>,
    /// Sorted, deduplicated string sets (exact, or folded for text tests).
    pub sets: Vec<Vec<String>>,
    /// Sorted enum member sets.
    pub enum_sets: Vec<Vec<u16>>,
    pub matchers: Vec<MatcherWire>,
    pub aggregates: Vec<AggregateWire>,
    /// The scopes whose history the aggregates read (format 6), sorted;
    /// the first is always the plain session, which every request is
    /// recorded under.
    pub scopes: Vec<ScopeWire>,
    pub tools: Vec<T>,
}

/// The members of every enum, by enum id. On the wire a list of lists of
/// strings, as ever; in memory one string of every member and where each
/// ends, so that loading a bundle allocates nothing per member (a hook
/// process loads the bundle on every tool call, and the stdlib's enums
/// hold hundreds of members).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnumTable {
    /// Every member, one after another.
    text: String,
    /// Where each member ends in `text`.
    ends: Vec<u32>,
    /// Where each enum's members end in `ends`.
    enums: Vec<u32>,
}

/// The members of one enum, in order ([`EnumTable::members`]).
#[derive(Clone, Copy, Debug)]
pub struct Members<'a> {
    table: &'a EnumTable,
    start: usize,
    end: usize,
}

impl EnumTable {
    /// How many enums.
    pub fn len(&self) -> usize {
        self.enums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.enums.is_empty()
    }

    /// The members of enum `e`.
    pub fn members(&self, e: usize) -> Option<Members<'_>> {
        let end = *self.enums.get(e)? as usize;
        let start = match e.checked_sub(1) {
            Some(before) => *self.enums.get(before)? as usize,
            None => 0,
        };
        Some(Members {
            table: self,
            start,
            end,
        })
    }

    /// Appends an enum with these members; `None` when the table would
    /// outgrow its 32-bit offsets.
    fn push<'m>(&mut self, members: impl IntoIterator<Item = &'m str>) -> Option<()> {
        for m in members {
            self.push_member(m)?;
        }
        self.enums.push(u32::try_from(self.ends.len()).ok()?);
        Some(())
    }

    fn push_member(&mut self, m: &str) -> Option<()> {
        self.text.push_str(m);
        self.ends.push(u32::try_from(self.text.len()).ok()?);
        Some(())
    }
}

impl<'a> Members<'a> {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Member `i`.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        if i >= self.len() {
            return None;
        }
        let k = self.start + i;
        let end = *self.table.ends.get(k)? as usize;
        let begin = match k.checked_sub(1) {
            Some(before) => *self.table.ends.get(before)? as usize,
            None => 0,
        };
        self.table.text.get(begin..end)
    }

    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

impl From<Vec<Vec<String>>> for EnumTable {
    fn from(enums: Vec<Vec<String>>) -> EnumTable {
        let mut t = EnumTable::default();
        for e in &enums {
            // A table past 4 GiB is no bundle (they are refused at 256 MiB).
            let _ = t.push(e.iter().map(String::as_str));
        }
        t
    }
}

// Written with their lengths up front, as postcard needs.
impl Serialize for EnumTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for e in 0..self.len() {
            seq.serialize_element(&self.members(e).ok_or_else(|| S::Error::custom("enum"))?)?;
        }
        seq.end()
    }
}

impl Serialize for Members<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for i in 0..self.len() {
            seq.serialize_element(self.get(i).ok_or_else(|| S::Error::custom("member"))?)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for EnumTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EnumTable, D::Error> {
        use serde::de::{DeserializeSeed, Error, SeqAccess, Visitor};
        use std::fmt;

        struct Table;
        impl<'de> Visitor<'de> for Table {
            type Value = EnumTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of enums")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnumTable, A::Error> {
                let mut t = EnumTable::default();
                while seq.next_element_seed(OneEnum(&mut t))?.is_some() {
                    let n = u32::try_from(t.ends.len())
                        .map_err(|_| A::Error::custom("too many enum members"))?;
                    t.enums.push(n);
                }
                Ok(t)
            }
        }

        /// One enum's members, appended to the table.
        struct OneEnum<'t>(&'t mut EnumTable);
        impl<'de> DeserializeSeed<'de> for OneEnum<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for OneEnum<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of enum members")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element_seed(Member(&mut *self.0))?.is_some() {}
                Ok(())
            }
        }

        /// One member, read in place (borrowed from the bundle's bytes
        /// where the reader can) and appended.
        struct Member<'t>(&'t mut EnumTable);
        impl<'de> DeserializeSeed<'de> for Member<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_str(self)
            }
        }
        impl<'de> Visitor<'de> for Member<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum member")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
                self.0
                    .push_member(v)
                    .ok_or_else(|| E::custom("the enum members are too long"))
            }
        }

        d.deserialize_seq(Table)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyWire {
    pub name: String,
    /// sha256 of the policy's source text.
    pub source_digest: [u8; 32],
}

/// The risk model, weights as IEEE-754 doubles (postcard keeps every bit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelWire {
    pub flag_weights: Vec<f64>,
    pub amp_weights: Vec<f64>,
    pub bounds: Vec<f64>,
    pub gates: Vec<GateWire>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateWire {
    pub name: String,
    pub flags: u16,
    /// (amplifier index, normalized threshold)
    pub thresholds: Vec<(u8, f64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeWire {
    Bool,
    Int,
    Money,
    Str,
    Duration,
    Time,
    Enum(u32),
    List,
    Set,
    /// `context.grants`: time-boxed grants (format 5).
    Grants,
    /// `actor.chain`: the delegation chain (format 5).
    Chain,
    /// An IPv4 or IPv6 address (`context.ip`), tested against networks
    /// (format 6).
    Ip,
}

/// Also the loaded program's field (`program::FieldMeta`): decoded once,
/// never converted. `Box<str>` and `Option<Box<_>>` encode exactly as
/// `String` and `Option<_>` (the bytes are those of format 6); in memory a
/// field is 40 bytes instead of 96, and a program is built on every
/// `permit0 hook` call, where each page filled shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldWire {
    pub name: Box<str>,
    pub ty: TypeWire,
    pub optional: bool,
    /// A derived field's derivation over the action's input fields: the VM
    /// computes it at bind time, and a caller-supplied value taints the
    /// request.
    pub derive: Option<Box<ToolExprWire>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceWire {
    pub name: String,
    pub fields: Vec<FieldWire>,
}

/// An action. On the wire (format 7) it is its name, then the other fields
/// as one postcard-encoded byte string ([`FramedAction`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ActionWire {
    pub name: String,
    pub fields: Vec<FieldWire>,
    pub primary_flags: u16,
    pub secondary_flags: u16,
    pub amps: [i32; 10],
    /// Tier index (0 = minimal … 4 = critical).
    pub floor: Option<u8>,
    pub code: Vec<Instr>,
    /// Which session aggregates this action counts toward, run on each
    /// recorded action: `Mark` for every aggregate naming the action, behind
    /// its `where` filter; ends in `Default`. Empty when none names it.
    pub marks: Vec<Instr>,
    pub compliance: Vec<String>,
    /// The local times the action's rules read (`hour(context.time,
    /// actor.tz)`), computed at bind time; `num.local` indexes them
    /// (format 5).
    pub locals: Vec<crate::local::LocalWire>,
}

/// The fields of an action after its name, as they are framed.
#[derive(Serialize)]
struct ActionBodyRef<'a> {
    fields: &'a [FieldWire],
    primary_flags: u16,
    secondary_flags: u16,
    amps: [i32; 10],
    floor: Option<u8>,
    code: &'a [Instr],
    marks: &'a [Instr],
    compliance: &'a [String],
    locals: &'a [crate::local::LocalWire],
}

/// [`ActionBodyRef`], decoded.
#[derive(Deserialize)]
pub(crate) struct ActionBody {
    pub fields: Vec<FieldWire>,
    pub primary_flags: u16,
    pub secondary_flags: u16,
    pub amps: [i32; 10],
    pub floor: Option<u8>,
    pub code: Vec<Instr>,
    pub marks: Vec<Instr>,
    pub compliance: Vec<String>,
    pub locals: Vec<crate::local::LocalWire>,
}

/// A framed body: exactly the bytes of one `T`, nothing left over.
fn exactly<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((body, [])) => Ok(body),
        Ok((_, rest)) => Err(format!("{} unexpected trailing bytes", rest.len())),
        Err(e) => Err(e.to_string()),
    }
}

impl ActionBody {
    /// The body of a framed action.
    pub(crate) fn decode(bytes: &[u8]) -> Result<ActionBody, String> {
        exactly(bytes)
    }
}

impl Serialize for ActionWire {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let body = postcard::to_allocvec(&ActionBodyRef {
            fields: &self.fields,
            primary_flags: self.primary_flags,
            secondary_flags: self.secondary_flags,
            amps: self.amps,
            floor: self.floor,
            code: &self.code,
            marks: &self.marks,
            compliance: &self.compliance,
            locals: &self.locals,
        })
        .map_err(serde::ser::Error::custom)?;
        FramedAction {
            name: self.name.clone(),
            body: body.into_boxed_slice(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ActionWire {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ActionWire, D::Error> {
        let f = FramedAction::deserialize(d)?;
        let b = ActionBody::decode(&f.body)
            .map_err(|e| serde::de::Error::custom(format!("action `{}`: {e}", f.name)))?;
        Ok(ActionWire {
            name: f.name,
            fields: b.fields,
            primary_flags: b.primary_flags,
            secondary_flags: b.secondary_flags,
            amps: b.amps,
            floor: b.floor,
            code: b.code,
            marks: b.marks,
            compliance: b.compliance,
            locals: b.locals,
        })
    }
}

/// An action as a program loads it: its name, and the rest still encoded
/// (decoded and verified when the action is first used).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FramedAction {
    pub name: String,
    #[serde(with = "bytes")]
    pub body: Box<[u8]>,
}

/// A byte string as one length-prefixed run (postcard's `bytes`), read in
/// one copy rather than element by element.
mod bytes {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u8]>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Box<[u8]>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Box<[u8]>, E> {
                Ok(v.into())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Box<[u8]>, E> {
                Ok(v.into_boxed_slice())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Box<[u8]>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out.into_boxed_slice())
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleWire {
    /// `policy:N`
    pub id: String,
    /// 0 allow, 1 escalate, 2 deny; `None` for an `amplify` rule.
    pub verdict: Option<u8>,
    pub amplify: Vec<(u8, i32)>,
    pub reason: Option<String>,
    pub obligations: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatcherWire {
    /// Folded needles.
    pub needles: Vec<String>,
    /// Every needle must be found (`contains_all`), not just one.
    pub all: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggKindWire {
    Count,
    Sum,
    Seen,
    Distinct,
}

/// Whose history a session function reads: `session.count`,
/// `actor.count`, `tenant.count` (format 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScopeBaseWire {
    Session,
    Actor,
    Tenant,
}

impl ScopeBaseWire {
    pub fn name(self) -> &'static str {
        match self {
            ScopeBaseWire::Session => "session",
            ScopeBaseWire::Actor => "actor",
            ScopeBaseWire::Tenant => "tenant",
        }
    }
}

/// A scope of history: a base, narrowed by `by FIELD` to the earlier
/// actions that carried the request's value of that field (format 6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScopeWire {
    pub base: ScopeBaseWire,
    pub by: Option<String>,
}

impl ScopeWire {
    /// The plain session: the first scope of every bundle.
    pub fn session() -> ScopeWire {
        ScopeWire {
            base: ScopeBaseWire::Session,
            by: None,
        }
    }

    /// `tenant by account_id`, `session`: how messages name it.
    pub fn describe(&self) -> String {
        match &self.by {
            Some(f) => format!("{} by {f}", self.base.name()),
            None => self.base.name().to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateWire {
    /// Index into [`BundleWire::scopes`] (format 6).
    pub scope: u16,
    pub kind: AggKindWire,
    pub actions: Vec<u32>,
    pub field: Option<String>,
    /// Milliseconds before the request's `context.time`, or 0.
    pub window_ms: i64,
    /// The last N actions of the session, or 0.
    pub window_actions: i64,
    pub text: String,
}

/// A raw tool name mapped onto an action: each field of the action is
/// computed from the raw call by a small expression. On the wire (format 7)
/// its condition and fields are one postcard-encoded byte string after the
/// rest ([`FramedTool`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolWire {
    pub names: Vec<String>,
    /// A conditional mapping's condition (format 5): the mapping applies to
    /// the calls where it holds.
    pub when: Option<ToolCondWire>,
    pub action: u32,
    pub fields: Vec<(String, ToolExprWire)>,
    /// Every raw argument the tool accepts, sorted.
    pub args: Vec<String>,
    /// The shape each typed argument of the `_` list must have, sorted by
    /// name (format 8): `_ = [args.timeout: int]`.
    pub shapes: Vec<(String, ArgShape)>,
}

/// The JSON shape an argument a mapping accepts without reading must have
/// (format 8): `_ = [args.timeout: int, args.description: string]`. The
/// gate never reads the value, so it cannot judge it; the shape is what it
/// can hold the caller to, so `{"command": "ls", "timeout": "rm -rf ~"}`
/// is not a request the gate understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArgShape {
    String,
    Int,
    Number,
    Bool,
    /// A string, a number or a bool: an id some clients send as text and
    /// others as a number. Never a list or an object.
    Scalar,
    StringList,
    IntList,
}

impl ArgShape {
    pub const ALL: [ArgShape; 7] = [
        ArgShape::String,
        ArgShape::Int,
        ArgShape::Number,
        ArgShape::Bool,
        ArgShape::Scalar,
        ArgShape::StringList,
        ArgShape::IntList,
    ];

    /// As a policy writes it.
    pub fn spelling(self) -> &'static str {
        match self {
            ArgShape::String => "string",
            ArgShape::Int => "int",
            ArgShape::Number => "number",
            ArgShape::Bool => "bool",
            ArgShape::Scalar => "scalar",
            ArgShape::StringList => "list<string>",
            ArgShape::IntList => "list<int>",
        }
    }
}

/// A tool mapping as a program loads it: what finds it (names, action,
/// whether it has a condition), and its condition, fields and accepted
/// arguments still encoded, decoded when a call first uses the mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FramedTool {
    pub names: Vec<String>,
    pub action: u32,
    pub conditional: bool,
    #[serde(with = "bytes")]
    pub body: Box<[u8]>,
}

#[derive(Serialize)]
struct ToolBodyRef<'a> {
    when: &'a Option<ToolCondWire>,
    fields: &'a [(String, ToolExprWire)],
    args: &'a [String],
    shapes: &'a [(String, ArgShape)],
}

/// [`ToolBodyRef`], decoded.
#[derive(Deserialize)]
pub(crate) struct ToolBody {
    pub when: Option<ToolCondWire>,
    pub fields: Vec<(String, ToolExprWire)>,
    pub args: Vec<String>,
    pub shapes: Vec<(String, ArgShape)>,
}

impl ToolBody {
    /// The body of a framed mapping: exactly one body, whose condition is
    /// there exactly when the frame says so.
    pub(crate) fn decode(t: &FramedTool) -> Result<ToolBody, String> {
        let body: ToolBody = exactly(&t.body)?;
        if body.when.is_some() != t.conditional {
            return Err("the condition disagrees with its frame".into());
        }
        let sorted = body.shapes.windows(2).all(|w| match w {
            [a, b] => a.0 < b.0,
            _ => true,
        });
        let accepted = body
            .shapes
            .iter()
            .all(|(n, _)| body.args.binary_search(n).is_ok());
        if !sorted || !accepted {
            return Err("an argument's shape names no accepted argument, or twice".into());
        }
        Ok(body)
    }
}

impl Serialize for ToolWire {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let body = postcard::to_allocvec(&ToolBodyRef {
            when: &self.when,
            fields: &self.fields,
            args: &self.args,
            shapes: &self.shapes,
        })
        .map_err(serde::ser::Error::custom)?;
        FramedTool {
            names: self.names.clone(),
            action: self.action,
            conditional: self.when.is_some(),
            body: body.into_boxed_slice(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ToolWire {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ToolWire, D::Error> {
        let t = FramedTool::deserialize(d)?;
        let b = ToolBody::decode(&t)
            .map_err(|e| serde::de::Error::custom(format!("tool `{}`: {e}", t.names.join(", "))))?;
        Ok(ToolWire {
            names: t.names,
            when: b.when,
            action: t.action,
            fields: b.fields,
            args: b.args,
            shapes: b.shapes,
        })
    }
}

/// A conditional mapping's condition; a value that is not exactly a boolean
/// (or, for `Eq`, two non-null values) refuses the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToolCondWire {
    True(ToolExprWire),
    Eq(ToolExprWire, ToolExprWire),
    Not(Box<ToolCondWire>),
    All(Vec<ToolCondWire>),
    Any(Vec<ToolCondWire>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToolExprWire {
    /// A raw argument of the tool call.
    Arg(String),
    /// An input field of the action (in a derivation).
    Input(String),
    /// A field of the request's `context` or `actor`.
    Field(String, String),
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
    /// A normalizer builtin applied to arguments; the builtin is stored as
    /// its one-byte id (format 4; format 3 stored its name).
    Call(Builtin, Vec<ToolExprWire>),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping's shapes name arguments it accepts, once each, in order;
    /// bytes that say otherwise (a tampered or hand-made bundle) are refused
    /// when the mapping is decoded.
    #[test]
    fn a_mapping_whose_shapes_name_no_accepted_argument_is_refused() {
        let tool = |args: &[&str], shapes: &[(&str, ArgShape)]| ToolWire {
            names: vec!["Bash".into()],
            when: None,
            action: 0,
            fields: vec![],
            args: args.iter().map(|a| a.to_string()).collect(),
            shapes: shapes.iter().map(|(n, s)| (n.to_string(), *s)).collect(),
        };
        let back = |t: &ToolWire| {
            let bytes = postcard::to_allocvec(t).unwrap_or_default();
            postcard::from_bytes::<ToolWire>(&bytes).map_err(|e| e.to_string())
        };
        let good = tool(
            &["description", "timeout"],
            &[
                ("description", ArgShape::String),
                ("timeout", ArgShape::Number),
            ],
        );
        assert_eq!(back(&good), Ok(good.clone()));
        for bad in [
            tool(&["timeout"], &[("cwd", ArgShape::String)]),
            tool(
                &["description", "timeout"],
                &[
                    ("timeout", ArgShape::Int),
                    ("description", ArgShape::String),
                ],
            ),
            tool(
                &["timeout"],
                &[("timeout", ArgShape::Int), ("timeout", ArgShape::Bool)],
            ),
        ] {
            assert!(back(&bad).is_err(), "{bad:?}");
        }
    }

    /// The table is written exactly as the list of lists it replaced, so
    /// bundles of format 7 read as before, and reads back member by member.
    #[test]
    fn enum_members_keep_their_wire_form_and_order() {
        let lists = vec![
            vec!["usd".to_string(), "eur".into(), "gbp".into()],
            vec![],
            vec!["low".into(), "élevé".into(), "".into(), "critical".into()],
        ];
        let table = EnumTable::from(lists.clone());
        let bytes = postcard::to_allocvec(&table).unwrap_or_default();
        assert_eq!(bytes, postcard::to_allocvec(&lists).unwrap_or_default());
        let back: EnumTable = postcard::from_bytes(&bytes).unwrap_or_default();
        assert_eq!(back, table);
        assert_eq!(back.len(), 3);
        for (e, list) in lists.iter().enumerate() {
            let members = back.members(e).map(|m| m.iter().collect::<Vec<_>>());
            assert_eq!(members, Some(list.iter().map(String::as_str).collect()));
            assert_eq!(back.members(e).map(|m| m.len()), Some(list.len()));
        }
        assert_eq!(back.members(2).and_then(|m| m.get(1)), Some("élevé"));
        assert!(back.members(1).is_some_and(|m| m.is_empty()));
        assert!(back.members(3).is_none());
        assert!(back.members(0).and_then(|m| m.get(3)).is_none());
    }

    /// Bytes that end inside a member, or hold a member that is not UTF-8,
    /// are an error, not a table.
    #[test]
    fn a_broken_enum_table_is_refused() {
        let lists = vec![vec!["usd".to_string(), "eur".into()]];
        let bytes = postcard::to_allocvec(&lists).unwrap_or_default();
        for cut in 0..bytes.len() {
            let short = bytes.get(..cut).unwrap_or_default();
            assert!(postcard::from_bytes::<EnumTable>(short).is_err(), "{cut}");
        }
        let mut bad = bytes.clone();
        if let Some(b) = bad.last_mut() {
            *b = 0xff;
        }
        assert!(postcard::from_bytes::<EnumTable>(&bad).is_err());
    }
}
