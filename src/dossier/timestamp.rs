//! Instants in a dossier: seconds since the Unix epoch, written in Vietnam time (UTC+7, no daylight
//! saving), e.g. `2026-12-02T17:40:50+07:00`.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::calendar::lunar::CivilDate;
use crate::calendar::workdays::LocalTime;
use crate::clock::VIETNAM_UTC_OFFSET_SECS;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JDN: i64 = 2_440_588;

/// An instant, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix_seconds: i64,
}

/// A [`Timestamp`] broken down in Vietnam time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VietnamTime {
    /// The date.
    pub date: CivilDate,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl Timestamp {
    /// The instant `unix_seconds` after the epoch.
    pub fn from_unix(unix_seconds: i64) -> Self {
        Timestamp { unix_seconds }
    }

    /// Now, by the system clock (the epoch if the clock is before 1970).
    pub fn now() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp { unix_seconds: seconds }
    }

    /// The instant that is `time` on `date` in Vietnam.
    pub fn from_vietnam(date: CivilDate, time: LocalTime) -> Self {
        let days = date.jdn() - UNIX_EPOCH_JDN;
        Timestamp { unix_seconds: days * 86_400 + i64::from(time.minutes()) * 60 - VIETNAM_UTC_OFFSET_SECS }
    }

    /// The date and time of day in Vietnam.
    pub fn vietnam(self) -> VietnamTime {
        let local = self.unix_seconds.saturating_add(VIETNAM_UTC_OFFSET_SECS);
        let seconds_of_day = local.rem_euclid(86_400);
        VietnamTime {
            date: CivilDate::from_jdn(local.div_euclid(86_400) + UNIX_EPOCH_JDN),
            hour: (seconds_of_day / 3_600) as u8,
            minute: (seconds_of_day / 60 % 60) as u8,
            second: (seconds_of_day % 60) as u8,
        }
    }

    /// Date and time of day to the minute in Vietnam, as the working-day calendar takes them.
    pub fn vietnam_minute(self) -> (CivilDate, LocalTime) {
        let t = self.vietnam();
        // hour < 24 and minute < 60 by construction.
        (t.date, LocalTime::new(t.hour, t.minute).unwrap_or_else(|| unreachable!("hour and minute are in range")))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in Vietnam time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.vietnam();
        write!(f, "{}T{:02}:{:02}:{:02}+07:00", t.date, t.hour, t.minute, t.second)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_is_written_in_vietnam_time() {
        // 2026-12-02T10:40:50Z is 17:40:50 in Hà Nội.
        assert_eq!(Timestamp::from_unix(1_796_208_050).to_string(), "2026-12-02T17:40:50+07:00");
        // Past 17:00 UTC the date in Vietnam is already the next day.
        assert_eq!(Timestamp::from_unix(1_796_234_400).to_string(), "2026-12-03T01:00:00+07:00");
        assert_eq!(Timestamp::from_unix(0).to_string(), "1970-01-01T07:00:00+07:00");
    }

    #[test]
    fn vietnam_dates_round_trip() {
        let date = CivilDate::new(2026, 12, 3).unwrap();
        let time = LocalTime::new(17, 0).unwrap();
        let at = Timestamp::from_vietnam(date, time);
        assert_eq!(at.to_string(), "2026-12-03T17:00:00+07:00");
        assert_eq!(at.vietnam_minute(), (date, time));
    }

    #[test]
    fn agrees_with_the_clock_module() {
        let at = Timestamp::from_unix(1_796_208_050);
        assert_eq!(crate::clock::rfc3339_in_vietnam(&at.to_string()), Some(at.vietnam_minute()));
    }
}
