//! Wall-clock helpers. Vietnam keeps UTC+7 all year (no daylight saving), so local dates are
//! computed with a fixed offset rather than a time-zone database.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::idcard::mrz::Date;

/// Vietnam's offset from UTC in seconds (Indochina Time, UTC+7).
pub const VIETNAM_UTC_OFFSET_SECS: i64 = 7 * 3600;

/// Today's date in Vietnam by the system clock; `None` if the clock is before 1970 or absurd.
pub fn today_in_vietnam() -> Option<Date> {
    let secs = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Date::from_days_since_unix_epoch((secs + VIETNAM_UTC_OFFSET_SECS).div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_date_after_this_code_was_written() {
        let today = today_in_vietnam().expect("the test machine's clock is set");
        assert!(today >= "2026-01-01".parse::<Date>().unwrap(), "{today}");
    }
}
