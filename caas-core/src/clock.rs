//! Time, injected: a [`Clock`] trait with a system and a manual implementation,
//! and the [`Timestamp`] every crate stores (unix milliseconds).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// A point in time as milliseconds since the unix epoch (UTC).
///
/// Stored as `BIGINT` in SQL, serialized as an RFC 3339 string in JSON.
///
/// RFC 3339 writes four-digit years, so only
/// [`MIN_RFC3339`](Self::MIN_RFC3339) (`0000-01-01T00:00:00.000Z`) to
/// [`MAX_RFC3339`](Self::MAX_RFC3339) (`9999-12-31T23:59:59.999Z`) can be
/// written. The type holds any `i64`, but formatting ([`Display`](fmt::Display),
/// [`Serialize`]) never fails: a value outside that range is written as the
/// nearest end of it. Parsing only yields values inside it, and the
/// saturating arithmetic saturates at its ends, so values computed from input
/// stay in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// The earliest timestamp RFC 3339 can write: `0000-01-01T00:00:00.000Z`.
    pub const MIN_RFC3339: Timestamp = Timestamp(-62_167_219_200_000);

    /// The latest timestamp RFC 3339 can write: `9999-12-31T23:59:59.999Z`.
    pub const MAX_RFC3339: Timestamp = Timestamp(253_402_300_799_999);

    /// The timestamp `ms` milliseconds after the unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the unix epoch (rounded down).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Whether RFC 3339 can write this timestamp exactly
    /// ([`MIN_RFC3339`](Self::MIN_RFC3339) to [`MAX_RFC3339`](Self::MAX_RFC3339)).
    pub const fn is_rfc3339(self) -> bool {
        self.0 >= Self::MIN_RFC3339.0 && self.0 <= Self::MAX_RFC3339.0
    }

    /// This timestamp moved into [`MIN_RFC3339`](Self::MIN_RFC3339) to
    /// [`MAX_RFC3339`](Self::MAX_RFC3339): the value that is written for it.
    #[must_use]
    pub const fn clamp_rfc3339(self) -> Self {
        if self.0 < Self::MIN_RFC3339.0 {
            Self::MIN_RFC3339
        } else if self.0 > Self::MAX_RFC3339.0 {
            Self::MAX_RFC3339
        } else {
            self
        }
    }

    /// `self + d`, saturating at [`MAX_RFC3339`](Self::MAX_RFC3339) (and the
    /// result moved into the RFC 3339 range, like
    /// [`clamp_rfc3339`](Self::clamp_rfc3339)), so a sum can always be written.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms)).clamp_rfc3339()
    }

    /// `self - d`, saturating at [`MIN_RFC3339`](Self::MIN_RFC3339) (and the
    /// result moved into the RFC 3339 range, like
    /// [`clamp_rfc3339`](Self::clamp_rfc3339)), so a difference can always be written.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(ms)).clamp_rfc3339()
    }

    /// How long after `earlier` this is; zero if it is not after.
    pub fn duration_since(self, earlier: Timestamp) -> Duration {
        let ms = self.0.saturating_sub(earlier.0).max(0);
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// The `SystemTime` for this timestamp.
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }

    /// The timestamp of a `SystemTime` (millisecond precision).
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Parses an RFC 3339 timestamp such as `2026-11-21T10:00:00Z`.
    ///
    /// Accepted: `YYYY-MM-DD`, `T` or a space (or `t`), `hh:mm:ss`, an
    /// optional fraction (kept to the millisecond, rounded down), then `Z`,
    /// a `±hh:mm` offset or nothing (UTC). A leap second (`:60`) reads as
    /// `:59`. The result is within [`MIN_RFC3339`](Self::MIN_RFC3339) to
    /// [`MAX_RFC3339`](Self::MAX_RFC3339), so every value parsed can be
    /// written again, and writing then parsing gives the same value.
    pub fn parse_rfc3339(s: &str) -> Result<Self> {
        parse_rfc3339(s.as_bytes()).ok_or_else(|| {
            Error::invalid_input(format!(
                "`{}` is not an RFC 3339 timestamp from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z",
                crate::validate::truncate(s)
            ))
        })
    }

    /// The UTC calendar date `(year, month 1–12, day 1–31)` of this timestamp.
    pub fn civil_date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000))
    }

    /// The same UTC time of day `months` calendar months later: the same
    /// date, or the last day of the target month when it is shorter (31
    /// January + 1 month = 28 or 29 February). Saturates far in the future.
    pub fn add_calendar_months(self, months: u32) -> Self {
        let (year, month, day) = self.civil_date();
        let time_of_day = self.0.rem_euclid(86_400_000);
        let zero_based = i64::from(month - 1) + i64::from(months);
        let (year, month) = (
            year + zero_based.div_euclid(12),
            (zero_based.rem_euclid(12) + 1) as u32,
        );
        let last = days_in_month(year, month);
        let days = days_from_civil(year, month, day.min(last));
        Timestamp(days.saturating_mul(86_400_000).saturating_add(time_of_day)).clamp_rfc3339()
    }
}

/// Two ASCII digits as a number.
fn digits2(b: &[u8], at: usize) -> Option<i64> {
    match (b.get(at), b.get(at + 1)) {
        (Some(h @ b'0'..=b'9'), Some(l @ b'0'..=b'9')) => {
            Some(i64::from(h - b'0') * 10 + i64::from(l - b'0'))
        }
        _ => None,
    }
}

/// The milliseconds of an RFC 3339 timestamp in range, or `None`.
fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let year = digits2(b, 0)? * 100 + digits2(b, 2)?;
    let month = digits2(b, 5)?;
    let day = digits2(b, 8)?;
    let (hour, minute) = (digits2(b, 11)?, digits2(b, 14)?);
    let second = digits2(b, 17)?;
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day).ok()?;
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // A leap second reads as the second before it.
    let second = second.min(59);
    let mut rest = &b[19..];
    let mut millis = 0;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in tail[..n].iter().take(3).enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &tail[n..];
    }
    let offset_min = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits2(rest, 1)?, digits2(rest, 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            let offset = h * 60 + m;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    let t = Timestamp(secs * 1000 + millis);
    t.is_rfc3339().then_some(t)
}

/// The number of days in `month` (1–12) of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian `(year, month, day)`.
///
/// The algorithm is Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both values are in range by construction.
    (year, month as u32, day as u32)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (inverse of `civil_from_days`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 with milliseconds, `2026-11-18T11:06:40.123Z`. Never fails: a
/// value outside [`Timestamp::MIN_RFC3339`] to [`Timestamp::MAX_RFC3339`] is
/// written as the nearest end of that range.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.clamp_rfc3339().0;
        let (year, month, day) = civil_from_days(ms.div_euclid(86_400_000));
        let in_day = ms.rem_euclid(86_400_000);
        let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
        let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
        // A `String` first so width and padding flags apply to the whole.
        let s =
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
        f.pad(&s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

/// A source of the current time.
///
/// Logic never reads the wall clock directly; it asks a `Clock`, so tests can
/// use a [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// A shared handle to the system clock.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the system clock is the one place that reads the wall clock"
    )]
    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    /// A manual clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            ms: AtomicI64::new(start.as_millis()),
        }
    }

    /// A shared manual clock showing `start`.
    pub fn shared(start: Timestamp) -> Arc<ManualClock> {
        Arc::new(Self::new(start))
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `t` (which may be in the past).
    pub fn set(&self, t: Timestamp) {
        self.ms.store(t.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_millis(1_000));
        assert_eq!(clock.now().as_millis(), 1_000);
        clock.advance(Duration::from_millis(250));
        assert_eq!(clock.now().as_millis(), 1_250);
        clock.set(Timestamp::from_millis(10));
        assert_eq!(clock.now().as_millis(), 10);
    }

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        let t = Timestamp::from_millis(1_795_000_000_123);
        let s = t.to_string();
        assert_eq!(s, "2026-11-18T11:06:40.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&s).unwrap(), t);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-18T11:06:40.123Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn calendar_months_clamp_to_the_month_end() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let cases = [
            ("2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00Z"),
            ("2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00Z"),
            ("2100-01-31T00:00:00Z", 1, "2100-02-28T00:00:00Z"),
            ("2000-01-30T00:00:00Z", 1, "2000-02-29T00:00:00Z"),
            ("2026-03-31T23:59:59Z", 1, "2026-04-30T23:59:59Z"),
            ("2026-01-15T08:30:00Z", 1, "2026-02-15T08:30:00Z"),
            ("2026-12-31T12:00:00Z", 1, "2027-01-31T12:00:00Z"),
            ("2026-11-30T12:00:00Z", 3, "2027-02-28T12:00:00Z"),
            ("2026-01-31T00:00:00Z", 3, "2026-04-30T00:00:00Z"),
            ("1970-12-31T23:00:00Z", 2, "1971-02-28T23:00:00Z"),
            ("2026-05-05T05:05:05Z", 0, "2026-05-05T05:05:05Z"),
        ];
        for (from, months, want) in cases {
            assert_eq!(
                t(from).add_calendar_months(months),
                t(want),
                "{from} + {months}"
            );
        }
    }

    #[test]
    fn bad_rfc3339_is_invalid_input() {
        let e = Timestamp::parse_rfc3339("yesterday").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn duration_since_never_goes_negative() {
        let a = Timestamp::from_millis(5);
        let b = Timestamp::from_millis(9);
        assert_eq!(b.duration_since(a), Duration::from_millis(4));
        assert_eq!(a.duration_since(b), Duration::ZERO);
    }

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(Timestamp::EPOCH.civil_date(), (1970, 1, 1));
        // 2000-02-29 (a leap day) and 2026-11-22.
        assert_eq!(
            Timestamp::from_millis(951_782_400_000).civil_date(),
            (2000, 2, 29)
        );
        assert_eq!(
            Timestamp::from_millis(1_795_305_600_000).civil_date(),
            (2026, 11, 22)
        );
        assert_eq!(Timestamp::from_millis(-1).civil_date(), (1969, 12, 31));
    }

    #[test]
    fn the_rfc3339_range_ends_are_written_exactly() {
        assert_eq!(
            Timestamp::MIN_RFC3339.to_string(),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::MAX_RFC3339.to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::from_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00.000Z");
        for (ms, want) in [
            (i64::MAX, "9999-12-31T23:59:59.999Z"),
            (
                Timestamp::MAX_RFC3339.as_millis() + 1,
                "9999-12-31T23:59:59.999Z",
            ),
            (i64::MIN, "0000-01-01T00:00:00.000Z"),
            (
                Timestamp::MIN_RFC3339.as_millis() - 1,
                "0000-01-01T00:00:00.000Z",
            ),
        ] {
            let t = Timestamp::from_millis(ms);
            assert!(!t.is_rfc3339());
            assert_eq!(t.to_string(), want, "{ms} is written as the nearest end");
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{want}\""));
        }
        let max = "9999-12-31T23:59:59.999Z";
        assert_eq!(
            Timestamp::parse_rfc3339(max).unwrap(),
            Timestamp::MAX_RFC3339
        );
        let min = "0000-01-01T00:00:00Z";
        assert_eq!(
            Timestamp::parse_rfc3339(min).unwrap(),
            Timestamp::MIN_RFC3339
        );
    }

    #[test]
    fn saturating_arithmetic_stays_in_the_rfc3339_range() {
        let far = Duration::from_secs(u64::MAX);
        assert_eq!(Timestamp::EPOCH.saturating_add(far), Timestamp::MAX_RFC3339);
        assert_eq!(Timestamp::EPOCH.saturating_sub(far), Timestamp::MIN_RFC3339);
        let t = Timestamp::from_millis(1_000);
        assert_eq!(
            t.saturating_add(Duration::from_millis(5)).as_millis(),
            1_005
        );
        assert_eq!(t.saturating_sub(Duration::from_millis(5)).as_millis(), 995);
        assert_eq!(
            Timestamp::MAX_RFC3339.add_calendar_months(u32::MAX),
            Timestamp::MAX_RFC3339
        );
    }

    #[test]
    fn parsing_accepts_offsets_fractions_and_leap_seconds() {
        let p = |s: &str| Timestamp::parse_rfc3339(s).map(Timestamp::as_millis);
        assert_eq!(p("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(p("1970-01-01 00:00:00").unwrap(), 0, "no zone is UTC");
        assert_eq!(p("1970-01-01t00:00:00z").unwrap(), 0);
        assert_eq!(p("1970-01-01T00:00:00+00:00").unwrap(), 0);
        assert_eq!(p("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert_eq!(p("1969-12-31T23:30:00-00:30").unwrap(), 0);
        assert_eq!(p("1970-01-01T00:00:00.5Z").unwrap(), 500);
        assert_eq!(p("1970-01-01T00:00:00.123999999Z").unwrap(), 123);
        assert_eq!(p("1970-01-01T00:00:00.5+01:00").unwrap(), 500 - 3_600_000);
        assert_eq!(p("1970-01-01T00:00:60Z").unwrap(), 59_000, "leap second");
        assert_eq!(p("2000-02-29T00:00:00Z").unwrap(), 951_782_400_000);
        for bad in [
            "",
            "2026-11-18",
            "2026-11-18T11:06",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:61Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00ZZ",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+01:60",
            "+2026-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
            "2026/01/01T00:00:00Z",
            "2026-01-01T00:00:00 UTC",
            // Past the ends once the offset is applied.
            "9999-12-31T23:59:59-00:01",
            "0000-01-01T00:00:00+00:01",
        ] {
            let e = Timestamp::parse_rfc3339(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_timestamp_is_written_and_reads_back_clamped(ms in proptest::num::i64::ANY) {
            let t = Timestamp::from_millis(ms);
            let s = t.to_string();
            proptest::prop_assert_eq!(s.len(), 24);
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&s).unwrap(), t.clamp_rfc3339());
            let json = serde_json::to_string(&t).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t.clamp_rfc3339());
        }

        #[test]
        fn timestamps_in_range_round_trip_exactly(
            ms in Timestamp::MIN_RFC3339.as_millis()..=Timestamp::MAX_RFC3339.as_millis(),
        ) {
            let t = Timestamp::from_millis(ms);
            proptest::prop_assert!(t.is_rfc3339());
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
        }

        #[test]
        fn the_formatter_agrees_with_humantime(ms in 0..=Timestamp::MAX_RFC3339.as_millis()) {
            let t = Timestamp::from_millis(ms);
            let theirs = humantime::format_rfc3339_millis(t.to_system_time()).to_string();
            proptest::prop_assert_eq!(t.to_string(), theirs.clone());
            let parsed = humantime::parse_rfc3339_weak(&theirs).unwrap();
            proptest::prop_assert_eq!(Timestamp::from_system_time(parsed), t);
        }

        #[test]
        fn saturating_sums_can_always_be_written(
            ms in proptest::num::i64::ANY,
            secs in proptest::num::u64::ANY,
            nanos in 0u32..1_000_000_000,
        ) {
            let t = Timestamp::from_millis(ms);
            let d = Duration::new(secs, nanos);
            proptest::prop_assert!(t.saturating_add(d).is_rfc3339());
            proptest::prop_assert!(t.saturating_sub(d).is_rfc3339());
        }

        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,40}") {
            if let Ok(t) = Timestamp::parse_rfc3339(&s) {
                proptest::prop_assert!(t.is_rfc3339());
            }
        }

        #[test]
        fn parsing_timestamp_shaped_text_never_panics(
            s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2})?",
        ) {
            if let Ok(t) = Timestamp::parse_rfc3339(&s) {
                proptest::prop_assert!(t.is_rfc3339());
                proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
            }
        }
    }

    #[test]
    fn days_from_civil_inverts_civil_from_days() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
