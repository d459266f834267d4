//! Wall-clock helpers. Vietnam keeps UTC+7 all year (no daylight saving), so local dates are
//! computed with a fixed offset rather than a time-zone database.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar::lunar::CivilDate;
use crate::calendar::workdays::LocalTime;
use crate::idcard::mrz::Date;

/// Vietnam's offset from UTC in seconds (Indochina Time, UTC+7).
pub const VIETNAM_UTC_OFFSET_SECS: i64 = 7 * 3600;

/// Today's date in Vietnam by the system clock; `None` if the clock is before 1970 or absurd.
pub fn today_in_vietnam() -> Option<Date> {
    let secs = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Date::from_days_since_unix_epoch((secs + VIETNAM_UTC_OFFSET_SECS).div_euclid(86_400))
}

/// Reads an RFC 3339 timestamp (`2026-11-20T15:30:00+07:00`, `…Z`, seconds optional) and gives the
/// date and time of day it is in Vietnam. `None` when it is not such a timestamp.
pub fn rfc3339_in_vietnam(text: &str) -> Option<(CivilDate, LocalTime)> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let date = CivilDate::new(year, month, day).ok()?;
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = offset[1..].split_once(':')?;
        let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        (clock, sign * (hours * 60 + minutes))
    };
    let mut fields = clock.split(':');
    let hour: i64 = fields.next()?.parse().ok()?;
    let minute: i64 = fields.next()?.parse().ok()?;
    let second: f64 = fields.next().map_or(Some(0.0), |s| s.parse().ok())?;
    if fields.next().is_some() || hour > 23 || minute > 59 || !(0.0..61.0).contains(&second) {
        return None;
    }
    let vietnam = hour * 60 + minute - offset_minutes + VIETNAM_UTC_OFFSET_SECS / 60;
    let day_shift = vietnam.div_euclid(24 * 60);
    let minutes = vietnam.rem_euclid(24 * 60);
    let time = LocalTime::new(u8::try_from(minutes / 60).ok()?, u8::try_from(minutes % 60).ok()?)?;
    Some((date.add_days(day_shift), time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_moved_to_vietnam_time() {
        let at = |text| rfc3339_in_vietnam(text).map(|(d, t)| format!("{d} {t}"));
        assert_eq!(at("2026-11-20T15:30:00+07:00").as_deref(), Some("2026-11-20 15:30"));
        assert_eq!(at("2026-11-20T08:00:00Z").as_deref(), Some("2026-11-20 15:00"));
        assert_eq!(at("2026-12-31T20:15Z").as_deref(), Some("2027-01-01 03:15"));
        assert_eq!(at("2026-11-20T01:00:00-05:00").as_deref(), Some("2026-11-20 13:00"));
        for bad in ["2026-11-20", "2026-13-01T10:00Z", "2026-11-20T25:00Z", "2026-11-20T10:00+7", "yesterday"] {
            assert_eq!(rfc3339_in_vietnam(bad), None, "{bad}");
        }
    }

    #[test]
    fn today_is_a_date_after_this_code_was_written() {
        let today = today_in_vietnam().expect("the test machine's clock is set");
        assert!(today >= "2026-01-01".parse::<Date>().unwrap(), "{today}");
    }
}
