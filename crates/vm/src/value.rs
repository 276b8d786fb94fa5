//! Request values as the VM reads them: typed, with strings pre-folded for
//! case-insensitive matching so `decide` never has to allocate.

use std::cell::RefCell;
use std::sync::Arc;

/// A string with its folded form: lowercased, with invisible format
/// characters (zero-width spaces, soft hyphens, bidi controls) removed, so
/// `PassWord`, `pass\u{200B}word` and `password` match the same keyword.
///
/// Both are shared strings: when folding changes nothing (`acme.com`,
/// `prod`) `folded` is the same allocation as `raw`, so binding such a
/// string allocates once.
///
/// A `Text` is one thin shared pointer (8 bytes), so a bound [`Value`] is
/// 16 bytes: a request's slots sit close together, and `decide` reads
/// fewer cache lines of them (see docs/performance.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(Arc<TextParts>);

/// What a [`Text`] holds; read through it (`t.raw`, `t.folded`).
#[derive(Debug, PartialEq, Eq)]
pub struct TextParts {
    pub raw: Arc<str>,
    pub folded: Arc<str>,
}

impl std::ops::Deref for Text {
    type Target = TextParts;
    #[inline(always)]
    fn deref(&self) -> &TextParts {
        &self.0
    }
}

/// ASCII strings up to this long are lowercased on the stack.
const STACK_FOLD: usize = 128;

/// Strings up to this long are remembered per thread (see [`Text::new`]).
const RECENT_LEN: usize = 32;
/// Sets of [`RECENT`], each of two texts: two strings of a request that
/// hash alike (one in three of a hundred, direct-mapped) no longer throw
/// each other out on every request.
const RECENT_SETS: usize = 256;

thread_local! {
    /// The texts this thread bound recently, by a hash of the string:
    /// requests repeat their short strings (roles, environments,
    /// currencies, domains), and a repeat then costs no allocation and no
    /// folding. Bounded: 512 strings of at most 32 bytes per thread. A set
    /// keeps its most recent text first.
    static RECENT: RefCell<[[Option<Text>; 2]; RECENT_SETS]> =
        const { RefCell::new([const { [None, None] }; RECENT_SETS]) };
}

impl Text {
    /// The text of `raw`, sharing the allocation of an equal short string
    /// this thread bound recently.
    pub fn new(raw: &str) -> Text {
        if raw.len() > RECENT_LEN {
            return Text::fresh(raw);
        }
        let set = recent_set(raw);
        // `try_with`: a thread being torn down binds without the cache.
        let hit = RECENT
            .try_with(|r| {
                r.try_borrow().ok().and_then(|r| {
                    r.get(set)?
                        .iter()
                        .flatten()
                        .find(|t| crate::exec::same(&t.raw, raw))
                        .cloned()
                })
            })
            .ok()
            .flatten();
        if let Some(t) = hit {
            return t;
        }
        let t = Text::fresh(raw);
        let _ = RECENT.try_with(|r| {
            if let Some([first, second]) = r
                .try_borrow_mut()
                .ok()
                .as_deref_mut()
                .and_then(|r| r.get_mut(set))
            {
                *second = first.replace(t.clone());
            }
        });
        t
    }

    fn fresh(raw: &str) -> Text {
        let shared: Arc<str> = Arc::from(raw);
        let folded = if raw.is_ascii() {
            // No invisible character is ASCII, and ASCII lowercases to
            // ASCII: folding is `to_ascii_lowercase`.
            if !raw.bytes().any(|b| b.is_ascii_uppercase()) {
                Arc::clone(&shared)
            } else {
                let mut buf = [0u8; STACK_FOLD];
                match buf.get_mut(..raw.len()) {
                    Some(out) => {
                        out.iter_mut()
                            .zip(raw.bytes())
                            .for_each(|(o, b)| *o = b.to_ascii_lowercase());
                        match std::str::from_utf8(out) {
                            Ok(lower) => Arc::from(lower),
                            Err(_) => Arc::from(fold(raw)),
                        }
                    }
                    None => Arc::from(raw.to_ascii_lowercase()),
                }
            }
        } else {
            let f = fold(raw);
            if f == raw {
                Arc::clone(&shared)
            } else {
                Arc::from(f)
            }
        };
        Text::from_parts(shared, folded)
    }

    /// A text from its raw and folded forms, as given (no folding).
    pub fn from_parts(raw: Arc<str>, folded: Arc<str>) -> Text {
        Text(Arc::new(TextParts { raw, folded }))
    }
}

/// The set of [`RECENT`] for a short string: its length and its bytes a
/// word at a time, the last word overlapping the one before (as
/// `exec::same` compares them), mixed by one multiplication each. Strings
/// in one set only cost a later one a fresh allocation: a hit is always
/// compared in full.
#[inline]
fn recent_set(s: &str) -> usize {
    let b = s.as_bytes();
    let n = b.len();
    let word = |at: usize| -> u64 {
        b.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |at: usize| -> u64 {
        b.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
    };
    let byte = |at: usize| b.get(at).map_or(0, |x| u64::from(*x));
    let mix = |h: u64, w: u64| (h.rotate_left(23) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut h = mix(0, n as u64);
    match n {
        8.. => {
            for i in 0..n / 8 {
                h = mix(h, word(i * 8));
            }
            h = mix(h, word(n - 8));
        }
        4..=7 => h = mix(h, half(0) | half(n - 4) << 32),
        _ => {
            h = mix(
                h,
                byte(0) | byte(n / 2) << 8 | byte(n.wrapping_sub(1)) << 16,
            )
        }
    }
    (h >> 56) as usize % RECENT_SETS
}

/// The folding used by every text operator, at compile time on keywords and
/// at bind time on request strings: the invisible characters of
/// [`crate::text::is_invisible`] removed, then lowercased.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !crate::text::is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// One time-boxed grant of `context.grants`, as the embedding issued it
/// (docs/language.md, "Grants").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub scope: Text,
    /// An action pattern: `payments.refund`, `payments.*` or `*`.
    pub action: Box<str>,
    /// Milliseconds since the epoch; the grant is valid from then on.
    pub not_before: Option<i64>,
    /// Milliseconds since the epoch; the grant is valid until (excluded).
    pub expires: i64,
    pub granted_by: Text,
}

impl Grant {
    /// The grant covers action `name` at `time`: its pattern matches the
    /// name and `not_before <= time < expires`. No allocation.
    #[inline]
    pub fn covers(&self, name: &str, time: i64) -> bool {
        let pattern = &*self.action;
        let matches = pattern == "*"
            || pattern == name
            || pattern.strip_suffix(".*").is_some_and(|domain| {
                name.strip_prefix(domain)
                    .is_some_and(|rest| rest.starts_with('.'))
            });
        matches && self.not_before.is_none_or(|nb| nb <= time) && time < self.expires
    }
}

/// One hop of `actor.chain`: from the human on whose behalf the work runs,
/// through each delegating agent, to the agent acting now (the last hop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub id: Text,
    /// `human`, `agent` or `service`.
    pub kind: Text,
    pub role: Option<Text>,
    /// Sorted, without duplicates.
    pub scopes: Box<[Text]>,
}

impl Hop {
    #[inline]
    pub fn holds(&self, scope: &str) -> bool {
        self.scopes
            .binary_search_by(|s| (*s.raw).cmp(scope))
            .is_ok()
    }
}

/// Some hop holds a scope the hop before it (its delegator) lacks: the
/// delegation widened somewhere. No allocation.
pub fn chain_widens(hops: &[Hop]) -> bool {
    hops.windows(2).any(|w| match w {
        [from, to] => to.scopes.iter().any(|s| !from.holds(&s.raw)),
        _ => false,
    })
}

/// The chain as JSON (its canonical form, and what explanations show).
pub fn chain_json(hops: &[Hop]) -> serde_json::Value {
    serde_json::Value::Array(
        hops.iter()
            .map(|h| {
                let mut m = serde_json::Map::new();
                m.insert("id".into(), (*h.id.raw).into());
                m.insert("kind".into(), (*h.kind.raw).into());
                if let Some(r) = &h.role {
                    m.insert("role".into(), (*r.raw).into());
                }
                m.insert(
                    "scopes".into(),
                    serde_json::Value::Array(h.scopes.iter().map(|s| (*s.raw).into()).collect()),
                );
                serde_json::Value::Object(m)
            })
            .collect(),
    )
}

/// Grants as JSON, times in milliseconds since the epoch (the canonical
/// form of `context.grants`, and what explanations show).
pub fn grants_json(gs: &[Grant]) -> serde_json::Value {
    serde_json::Value::Array(
        gs.iter()
            .map(|g| {
                let mut m = serde_json::Map::new();
                m.insert("action".into(), (*g.action).into());
                m.insert("expires".into(), g.expires.into());
                m.insert("granted_by".into(), (*g.granted_by.raw).into());
                if let Some(nb) = g.not_before {
                    m.insert("not_before".into(), nb.into());
                }
                m.insert("scope".into(), (*g.scope.raw).into());
                serde_json::Value::Object(m)
            })
            .collect(),
    )
}

/// A client address as the request sent it, read strictly with the
/// standard library's parsers (`Ipv4Addr`/`Ipv6Addr`: no octal or short
/// IPv4 forms, no zone ids, no brackets, no spaces). An IPv4-mapped IPv6
/// address (`::ffff:10.1.2.3`) is its IPv4 address, so a mapped spelling
/// cannot escape an IPv4 network; a deprecated IPv4-compatible one
/// (`::10.1.2.3`, other than `::` and `::1`) is refused rather than
/// guessed at (docs/language.md, "Addresses").
pub fn parse_ip(s: &str) -> Result<std::net::IpAddr, &'static str> {
    use std::net::IpAddr;
    let ip: IpAddr = s
        .parse()
        .map_err(|_| "an IPv4 or IPv6 address (`10.1.2.3`, `2001:db8::1`)")?;
    Ok(match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                IpAddr::V4(v4)
            } else {
                let bits = u128::from(v6);
                if bits >> 32 == 0 && bits > 1 {
                    return Err("an IPv4 address or an IPv6 address other than the deprecated IPv4-compatible form (`::a.b.c.d`: send the IPv4 address itself)");
                }
                ip
            }
        }
    })
}

/// A network (`10.0.0.0/8`, `2001:db8::/32`) of an `ip` test. Built by
/// [`Net::parse`], which accepts only the canonical network form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    v4: bool,
    /// The network address, IPv4 in the low 32 bits.
    bits: u128,
    prefix: u8,
}

/// Why a network literal is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// Not an address, or not `address/prefix`.
    Malformed,
    /// The prefix is longer than the address (33 for IPv4, 129 for IPv6).
    PrefixTooLong(u8),
    /// Bits are set after the prefix: the network is the one given here.
    HostBits(String),
    /// An IPv4-mapped IPv6 network: the IPv4 network is the one given here.
    Mapped(String),
}

impl Net {
    /// `a.b.c.d/n`, `x:y::/n` or a single address (a /32 or /128), in the
    /// strict address syntax of [`parse_ip`]; bits after the prefix must
    /// be zero.
    pub fn parse(s: &str) -> Result<Net, NetError> {
        use std::net::IpAddr;
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                if p.is_empty()
                    || p.len() > 3
                    || !p.bytes().all(|b| b.is_ascii_digit())
                    || (p.len() > 1 && p.starts_with('0'))
                {
                    return Err(NetError::Malformed);
                }
                (a, Some(p.parse::<u8>().map_err(|_| NetError::Malformed)?))
            }
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| NetError::Malformed)?;
        let (v4, bits, max) = match ip {
            IpAddr::V4(a) => (true, u128::from(u32::from(a)), 32u8),
            IpAddr::V6(a) => (false, u128::from(a), 128u8),
        };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(NetError::PrefixTooLong(prefix));
        }
        let net = Net {
            v4,
            bits: bits & mask(prefix, max),
            prefix,
        };
        if let IpAddr::V6(a) = ip {
            if let (Some(m), true) = (a.to_ipv4_mapped(), prefix >= 96) {
                let v4net = Net {
                    v4: true,
                    bits: u128::from(u32::from(m)) & mask(prefix - 96, 32),
                    prefix: prefix - 96,
                };
                return Err(NetError::Mapped(v4net.to_string()));
            }
        }
        if net.bits != bits {
            return Err(NetError::HostBits(net.to_string()));
        }
        Ok(net)
    }

    /// The address lies in the network (an IPv4 address never lies in an
    /// IPv6 network, nor the reverse; mapped addresses are IPv4 already).
    #[inline]
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let (v4, bits, max) = match ip {
            std::net::IpAddr::V4(a) => (true, u128::from(u32::from(a)), 32u8),
            std::net::IpAddr::V6(a) => (false, u128::from(a), 128u8),
        };
        v4 == self.v4 && bits & mask(self.prefix, max) == self.bits
    }
}

/// The top `prefix` bits of a `max`-bit address.
fn mask(prefix: u8, max: u8) -> u128 {
    let all: u128 = if max >= 128 {
        u128::MAX
    } else {
        (1u128 << max) - 1
    };
    match max.checked_sub(prefix) {
        Some(rest) if rest < 128 => all & !((1u128 << rest) - 1),
        _ => 0,
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.v4 {
            let a = std::net::Ipv4Addr::from(u32::try_from(self.bits).unwrap_or(0));
            write!(f, "{a}/{}", self.prefix)
        } else {
            write!(f, "{}/{}", std::net::Ipv6Addr::from(self.bits), self.prefix)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Value {
    /// An optional field the request did not send. Every test of it is false.
    #[default]
    Absent,
    Bool(bool),
    /// int, money (minor units), duration (ms), time (ms since the epoch)
    Int(i64),
    /// Index of the member in the field's enum.
    Enum(u16),
    Str(Text),
    /// Boxed, like every variant that holds more than a word: a `Value` is
    /// 16 bytes.
    List(Box<Vec<Text>>),
    /// `context.grants` (format 5).
    Grants(Arc<Vec<Grant>>),
    /// `actor.chain` (format 5).
    Chain(Arc<Vec<Hop>>),
    /// An `ip` field, IPv4-mapped addresses as their IPv4 address (format 6).
    /// Boxed: an address is 17 bytes, a `Value` two words.
    Ip(Box<std::net::IpAddr>),
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn folding_defeats_case_and_invisible_characters() {
        assert_eq!(fold("PassWord"), "password");
        assert_eq!(fold("pass\u{200B}word"), "password");
        assert_eq!(fold("API\u{00AD}_KEY"), "api_key");
        assert_eq!(fold("ÄRGER"), "ärger");
    }

    #[test]
    fn a_text_folds_like_fold_and_shares_what_folding_leaves_alone() {
        let long = "X".repeat(STACK_FOLD + 1);
        for raw in [
            "prod",
            "PassWord",
            "pass\u{200B}word",
            "ÄRGER",
            "ärger",
            "",
            &long,
        ] {
            let t = Text::new(raw);
            assert_eq!(&*t.raw, raw);
            assert_eq!(*t.folded, fold(raw), "{raw:?}");
        }
        let t = Text::new("acme.com");
        assert!(
            Arc::ptr_eq(&t.raw, &t.folded),
            "one string for a string folding leaves alone"
        );
    }

    #[test]
    fn addresses_are_read_strictly_and_mapped_forms_are_ipv4() {
        let v4 = |s: &str| parse_ip(s).map(|a| a.to_string());
        assert_eq!(v4("10.1.2.3").unwrap(), "10.1.2.3");
        assert_eq!(v4("::ffff:10.1.2.3").unwrap(), "10.1.2.3");
        assert_eq!(v4("::FFFF:0a01:0203").unwrap(), "10.1.2.3");
        assert_eq!(v4("0:0:0:0:0:ffff:10.1.2.3").unwrap(), "10.1.2.3");
        assert_eq!(v4("2001:DB8::1").unwrap(), "2001:db8::1");
        assert_eq!(v4("::1").unwrap(), "::1");
        for bad in [
            "010.1.2.3",
            "10.1",
            "167838211",
            "0x0a.1.2.3",
            "10.1.2.3 ",
            " 10.1.2.3",
            "fe80::1%eth0",
            "[::1]",
            "10.1.2.3/32",
            "::10.1.2.3",
            "",
            "10.1.2.256",
        ] {
            assert!(parse_ip(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn networks_are_canonical_and_contain_their_addresses() {
        let n = Net::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(parse_ip("10.200.3.4").unwrap()));
        assert!(n.contains(parse_ip("::ffff:10.200.3.4").unwrap()));
        assert!(!n.contains(parse_ip("11.0.0.1").unwrap()));
        assert!(!n.contains(parse_ip("::a00:1").unwrap_or(std::net::IpAddr::from([0u8; 16]))));
        let all4 = Net::parse("0.0.0.0/0").unwrap();
        assert!(all4.contains(parse_ip("203.0.113.9").unwrap()));
        assert!(!all4.contains(parse_ip("2001:db8::1").unwrap()));
        let v6 = Net::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(parse_ip("2001:db8:ffff::1").unwrap()));
        assert!(!v6.contains(parse_ip("2001:db9::1").unwrap()));
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert_eq!(Net::parse("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert_eq!(
            Net::parse("10.1.2.3/8"),
            Err(NetError::HostBits("10.0.0.0/8".into()))
        );
        assert_eq!(Net::parse("10.0.0.0/33"), Err(NetError::PrefixTooLong(33)));
        assert_eq!(Net::parse("::/129"), Err(NetError::PrefixTooLong(129)));
        assert_eq!(
            Net::parse("::ffff:10.0.0.0/104"),
            Err(NetError::Mapped("10.0.0.0/8".into()))
        );
        for bad in [
            "10.0.0.0/",
            "10.0.0.0/08",
            "10/8",
            "10.0.0.0/8/8",
            "x/8",
            "10.0.0.0/-1",
        ] {
            assert_eq!(Net::parse(bad), Err(NetError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_value_is_two_words() {
        // A request's slots are read by `decide` straight from memory:
        // every byte a value grows by is a byte more per slot per request.
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 8);
    }
}
