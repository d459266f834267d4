//! Dates in the MRZ: six characters `YYMMDD` with no century (Doc 9303 Part 3 §3.8, representation
//! of dates). The century is inferred from the day the document is read, so "today" is always a
//! parameter and the result is deterministic.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A calendar date (Gregorian, years 1–9999). It can only hold a date that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived ordering compares year, then month, then day.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when it does not exist (month 13, 30 February, 29 February 2100, year 0).
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year == 0 || year > 9999 || month == 0 || month > 12 || day == 0 || day > days_in_month(year, month) {
            None
        } else {
            Some(Date { year, month, day })
        }
    }

    /// The year, 1–9999.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The date `days` days after 1970-01-01 (before it when negative), or `None` outside years
    /// 1–9999. This is how the command line turns the clock into "today":
    /// `(unix_seconds + utc_offset_seconds).div_euclid(86_400)`.
    pub fn from_days_since_unix_epoch(days: i64) -> Option<Date> {
        // 0001-01-01 and 9999-12-31; outside them the arithmetic below is pointless.
        if !(-719_162..=2_932_896).contains(&days) {
            return None;
        }
        // Count from 0000-03-01 so that the leap day ends the counting year, in 400-year eras of
        // 146,097 days (the proleptic Gregorian cycle).
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
        let year = era * 400 + year_of_era + i64::from(month <= 2);
        Date::new(u16::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?)
    }
}

/// Days in `month` of `year` (Gregorian leap years: every 4th, except centuries not divisible by 400).
pub(super) const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `1974-08-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A text that is not an ISO 8601 calendar date `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a date in the form YYYY-MM-DD")]
pub struct ParseDateError {
    /// The text given.
    pub text: String,
}

impl FromStr for Date {
    type Err = ParseDateError;

    /// Reads `YYYY-MM-DD` (e.g. the command line's `--today 2026-05-17`).
    fn from_str(text: &str) -> Result<Date, ParseDateError> {
        let error = || ParseDateError { text: text.to_owned() };
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(error());
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().map_err(|_| error());
        let month = u8::try_from(number(5..7)?).map_err(|_| error())?;
        let day = u8::try_from(number(8..10)?).map_err(|_| error())?;
        Date::new(number(0..4)?, month, day).ok_or_else(error)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A date of birth as the MRZ gives it. Where the holder's date of birth is not (fully) known the
/// issuer fills the unknown year, month or day with `<<` (Doc 9303 Part 3), so each part is
/// optional; a complete date is the usual case ([`BirthDate::date`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthDate {
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

impl BirthDate {
    /// The year with its century, when known.
    pub const fn year(self) -> Option<u16> {
        self.year
    }

    /// The month, when known.
    pub const fn month(self) -> Option<u8> {
        self.month
    }

    /// The day of the month, when known.
    pub const fn day(self) -> Option<u8> {
        self.day
    }

    /// The date, when year, month and day are all known.
    pub const fn date(self) -> Option<Date> {
        match (self.year, self.month, self.day) {
            (Some(year), Some(month), Some(day)) => Date::new(year, month, day),
            _ => None,
        }
    }
}

impl From<Date> for BirthDate {
    fn from(date: Date) -> BirthDate {
        BirthDate { year: Some(date.year), month: Some(date.month), day: Some(date.day) }
    }
}

impl fmt::Display for BirthDate {
    /// ISO 8601 when complete (`1974-08-12`); unknown parts as `X` the way the visual zone prints
    /// them (`1974-XX-XX`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(year) => write!(f, "{year:04}-")?,
            None => f.write_str("XXXX-")?,
        }
        match self.month {
            Some(month) => write!(f, "{month:02}-")?,
            None => f.write_str("XX-")?,
        }
        match self.day {
            Some(day) => write!(f, "{day:02}"),
            None => f.write_str("XX"),
        }
    }
}

impl Serialize for BirthDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a `YYMMDD` date of birth; `None` when it names no possible date.
///
/// The century is the latest one that does not put the birth after `today`: with today in 2026,
/// `740812` is 1974 and `100101` is 2010, while `261231` read on 2026-05-17 is 1926. (The usual
/// rule "a year after the current one is 19xx" is the same except within the current year.)
/// Unknown parts (`<<`) are allowed; with the year unknown, 29 February is accepted.
pub(super) fn birth_date(text: &str, today: Date) -> Option<BirthDate> {
    let [yy, mm, dd] = parts(text)?;
    let (yy, month, day) = (yy.known()?, mm.known()?, dd.known()?);
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        return None;
    }
    let year = match yy {
        Some(yy) => Some(birth_year(yy, month, day, today)?),
        None => None,
    };
    if let Some(day) = day {
        let longest = match (year, month) {
            (Some(year), Some(month)) => days_in_month(year, month),
            // Year unknown: a leap year, so that 29 February stays possible.
            (None, Some(month)) => days_in_month(2000, month),
            (_, None) => 31,
        };
        if day == 0 || day > longest {
            return None;
        }
    }
    Some(BirthDate { year, month, day })
}

fn birth_year(yy: u8, month: Option<u8>, day: Option<u8>, today: Date) -> Option<u16> {
    let this_century = today.year - today.year % 100 + u16::from(yy);
    let earliest = (this_century, month.unwrap_or(1), day.unwrap_or(1));
    if earliest > (today.year, today.month, today.day) {
        this_century.checked_sub(100).filter(|year| *year > 0)
    } else {
        Some(this_century)
    }
}

/// Reads a `YYMMDD` date of expiry; `None` when it names no date.
///
/// The century puts the expiry within 50 years of `today` (after `today - 50`, at most `today + 50`):
/// read in 2026, `120415` is 2012 and `351231` is 2035 — every document valid today, and every one
/// expired in the last 50 years, comes out as 20xx as ICAO practice expects — while `940623` (the
/// Part 11 Appendix D worked example) is 1994 rather than an impossible 2094.
pub(super) fn expiry_date(text: &str, today: Date) -> Option<Date> {
    let [Part::Number(yy), Part::Number(month), Part::Number(day)] = parts(text)? else {
        return None;
    };
    let mut year = today.year - today.year % 100 + u16::from(yy);
    if year > today.year + 50 {
        year = year.checked_sub(100)?;
    } else if year + 50 <= today.year {
        year += 100;
    }
    Date::new(year, month, day)
}

/// One two-character part of a `YYMMDD` field.
#[derive(Clone, Copy)]
enum Part {
    /// Two digits.
    Number(u8),
    /// `<<`: not known.
    Unknown,
    /// Anything else, such as `1<`.
    Invalid,
}

impl Part {
    /// `Some(Some(n))` for a number, `Some(None)` for unknown, `None` for invalid.
    fn known(self) -> Option<Option<u8>> {
        match self {
            Part::Number(n) => Some(Some(n)),
            Part::Unknown => Some(None),
            Part::Invalid => None,
        }
    }
}

fn parts(text: &str) -> Option<[Part; 3]> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 {
        return None;
    }
    let part = |i: usize| match (bytes[i], bytes[i + 1]) {
        (b'<', b'<') => Part::Unknown,
        (tens @ b'0'..=b'9', units @ b'0'..=b'9') => Part::Number((tens - b'0') * 10 + (units - b'0')),
        _ => Part::Invalid,
    };
    Some([part(0), part(2), part(4)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: u16, month: u8, day: u8) -> Date {
        Date::new(year, month, day).expect("a valid date")
    }

    #[test]
    fn only_existing_dates_can_be_made() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 2, 30).is_none());
        assert!(Date::new(2024, 4, 31).is_none());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::new(2024, 0, 1).is_none());
        assert!(Date::new(2024, 1, 0).is_none());
        assert!(Date::new(0, 1, 1).is_none());
        assert!(Date::new(10_000, 1, 1).is_none());
    }

    #[test]
    fn dates_order_and_print_as_iso() {
        assert!(date(1974, 8, 12) < date(1974, 8, 13));
        assert!(date(1974, 12, 31) < date(1975, 1, 1));
        assert_eq!(date(974, 8, 2).to_string(), "0974-08-02");
        assert_eq!(serde_json::to_string(&date(2012, 4, 15)).unwrap(), "\"2012-04-15\"");
    }

    #[test]
    fn days_since_the_epoch_become_dates() {
        assert_eq!(Date::from_days_since_unix_epoch(0), Some(date(1970, 1, 1)));
        assert_eq!(Date::from_days_since_unix_epoch(-1), Some(date(1969, 12, 31)));
        assert_eq!(Date::from_days_since_unix_epoch(11_016), Some(date(2000, 2, 29)));
        assert_eq!(Date::from_days_since_unix_epoch(20_590), Some(date(2026, 5, 17)));
        assert_eq!(Date::from_days_since_unix_epoch(-719_162), Some(date(1, 1, 1)));
        assert_eq!(Date::from_days_since_unix_epoch(2_932_896), Some(date(9999, 12, 31)));
        assert_eq!(Date::from_days_since_unix_epoch(-719_163), None);
        assert_eq!(Date::from_days_since_unix_epoch(2_932_897), None);
        assert_eq!(Date::from_days_since_unix_epoch(i64::MIN), None);
        assert_eq!(Date::from_days_since_unix_epoch(i64::MAX), None);
    }

    #[test]
    fn days_since_the_epoch_count_every_day_once() {
        let mut previous = Date::from_days_since_unix_epoch(-800).unwrap();
        for days in -799..60_000 {
            let next = Date::from_days_since_unix_epoch(days).unwrap();
            let expected_next = Date::new(previous.year, previous.month, previous.day + 1)
                .or_else(|| Date::new(previous.year, previous.month + 1, 1))
                .or_else(|| Date::new(previous.year + 1, 1, 1))
                .unwrap();
            assert_eq!(next, expected_next, "day {days}");
            previous = next;
        }
    }

    #[test]
    fn iso_text_parses() {
        assert_eq!("2026-05-17".parse::<Date>(), Ok(date(2026, 5, 17)));
        for bad in ["2026-5-17", "2026-02-30", "2026/05/17", "20260517", "2026-05-1x", "", "+026-05-17", "2026-05-17 "]
        {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }

    #[test]
    fn birth_century_is_the_latest_not_in_the_future() {
        let today = date(2026, 5, 17);
        assert_eq!(birth_date("740812", today).and_then(BirthDate::date), Some(date(1974, 8, 12)));
        assert_eq!(birth_date("100101", today).and_then(BirthDate::date), Some(date(2010, 1, 1)));
        assert_eq!(birth_date("260517", today).and_then(BirthDate::date), Some(date(2026, 5, 17)));
        assert_eq!(birth_date("260518", today).and_then(BirthDate::date), Some(date(1926, 5, 18)));
        assert_eq!(birth_date("270101", today).and_then(BirthDate::date), Some(date(1927, 1, 1)));
        // The century decides the leap year.
        assert_eq!(birth_date("000229", today).and_then(BirthDate::date), Some(date(2000, 2, 29)));
        assert_eq!(birth_date("000229", date(1999, 1, 1)), None);
    }

    #[test]
    fn birth_dates_may_have_unknown_parts() {
        let today = date(2026, 5, 17);
        let year_only = birth_date("74<<<<", today).unwrap();
        assert_eq!((year_only.year(), year_only.month(), year_only.day()), (Some(1974), None, None));
        assert_eq!(year_only.to_string(), "1974-XX-XX");
        assert_eq!(year_only.date(), None);
        let unknown = birth_date("<<<<<<", today).unwrap();
        assert_eq!(unknown.to_string(), "XXXX-XX-XX");
        assert_eq!(birth_date("<<0229", today).unwrap().to_string(), "XXXX-02-29");
        assert_eq!(birth_date("26<<<<", today).unwrap().year(), Some(2026));
        assert_eq!(birth_date("2606<<", today).unwrap().year(), Some(1926));
        assert_eq!(serde_json::to_string(&year_only).unwrap(), "\"1974-XX-XX\"");
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        let today = date(2026, 5, 17);
        for bad in ["741312", "740230", "740431", "740800", "740001", "7<0812", "74081<", "7408", "74081234", "<<<<32"]
        {
            assert_eq!(birth_date(bad, today), None, "{bad}");
        }
    }

    #[test]
    fn expiry_century_is_within_fifty_years_of_today() {
        let today = date(2026, 5, 17);
        assert_eq!(expiry_date("120415", today), Some(date(2012, 4, 15)));
        assert_eq!(expiry_date("351231", today), Some(date(2035, 12, 31)));
        assert_eq!(expiry_date("760101", today), Some(date(2076, 1, 1)));
        assert_eq!(expiry_date("770101", today), Some(date(1977, 1, 1)));
        assert_eq!(expiry_date("940623", today), Some(date(1994, 6, 23)));
        assert_eq!(expiry_date("050101", date(2099, 1, 1)), Some(date(2105, 1, 1)));
        assert_eq!(expiry_date("490101", date(2099, 1, 1)), Some(date(2149, 1, 1)));
        assert_eq!(expiry_date("500101", date(2099, 1, 1)), Some(date(2050, 1, 1)));
        for bad in ["121315", "120230", "12<<15", "<<<<<<", "1204", "120415<"] {
            assert_eq!(expiry_date(bad, today), None, "{bad}");
        }
    }
}
