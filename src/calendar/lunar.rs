//! The Vietnamese lunisolar calendar (âm lịch), computed from the astronomical method.
//!
//! # The rules
//! The calendar follows the rules of the Chinese calendar as reformed in 1645 (Shixian calendar),
//! applied on the meridian of Vietnam's standard time, UTC+7 (105° E; North Vietnam moved from
//! UTC+8 on 8 August 1967, the South in 1975):
//! 1. A month starts on the local day that contains the new moon (sóc).
//! 2. The winter solstice (đông chí, solar longitude 270°) always falls in month 11.
//! 3. An ordinary year has 12 months. When 13 month starts lie between two consecutive month 11s,
//!    the first month after month 11 that contains no major solar term (trung khí: solar
//!    longitude a multiple of 30°) is a leap month; it takes the number of the month before it.
//! 4. Month 1 starts the lunar year; its first day is Tết Nguyên Đán.
//!
//! Because a day's boundaries depend on the time zone, a new moon shortly before midnight in
//! Hanoi falls on the next day in Beijing: Tết 2007 was 17 February in Vietnam and 18 February
//! in China, and in 1985 the winter solstice fell in different months, so Vietnam's Tết (21
//! January) came a whole month before China's (20 February). The functions take the offset from
//! UTC in hours so that both calendars can be reckoned; the kiosk uses
//! [`VIETNAM_UTC_OFFSET_HOURS`].
//!
//! # The astronomy
//! - New moons: Jean Meeus, *Astronomical Algorithms*, 2nd ed. (1998), chapter 49 (mean phase,
//!   the 25 periodic terms for the new moon and the 14 planetary arguments), error under a minute.
//! - Apparent solar longitude: Meeus chapter 25, the "lower accuracy" method (error ≈ 0.01°, a
//!   quarter of an hour in the time of a solar term).
//! - ΔT = TT − UT, to turn the dynamical time of those formulas into civil time: the polynomial
//!   fits of F. Espenak and J. Meeus (NASA, "Polynomial expressions for Delta T", 2006).
//! - Julian Day Numbers: the integer algorithms of E. G. Richards, *Mapping Time* (1998) and the
//!   *Explanatory Supplement to the Astronomical Almanac* (1992), §12.92.
//!
//! Results are checked against an independent implementation (the `lunar-vn` package) for every
//! Tết from 1900 to 2100 (see the tests). Compared day by day over 1900–2100 the two agree except
//! for four months whose new moon falls within 72 seconds of midnight UTC+7 (starting 1944-06-20,
//! 1967-07-07, 2072-12-09 and 2077-11-15 here, a day later there): closer than the error of the
//! formulas and, for future years, of the predicted ΔT, and far from any holiday. Before 1968 the
//! calendars actually printed in Vietnam used UTC+8, so for historical dates pass
//! [`CHINA_UTC_OFFSET_HOURS`] where that matters.

use std::fmt;

/// Offset of Vietnam's standard time (Indochina Time) from UTC, in hours: the meridian on which
/// the Vietnamese calendar has been reckoned since 1968.
pub const VIETNAM_UTC_OFFSET_HOURS: f64 = 7.0;

/// Offset of China Standard Time from UTC, in hours: the meridian (120° E) of the Chinese calendar.
pub const CHINA_UTC_OFFSET_HOURS: f64 = 8.0;

/// Why a date could not be built or converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year, month and day do not name a day of the (proleptic) Gregorian calendar.
    #[error("{year:04}-{month:02}-{day:02} is not a Gregorian calendar date")]
    InvalidCivilDate {
        /// Year as given.
        year: i32,
        /// Month as given.
        month: u8,
        /// Day as given.
        day: u8,
    },
    /// A lunar month number outside 1..=12.
    #[error("lunar month {0} is not in 1..=12")]
    LunarMonthOutOfRange(u8),
    /// A lunar day outside 1..=30.
    #[error("lunar day {0} is not in 1..=30")]
    LunarDayOutOfRange(u8),
    /// The lunar year has no leap month with this number (it has another one, or none).
    #[error("lunar year {year} has no leap month {month}")]
    NoSuchLeapMonth {
        /// Lunar year.
        year: i32,
        /// Month number asked for as a leap month.
        month: u8,
    },
    /// Day 30 of a month that has only 29 days.
    #[error("lunar month {month}{} of year {year} has only 29 days", if *leap_month { " (leap)" } else { "" })]
    DayPastMonthEnd {
        /// Lunar year.
        year: i32,
        /// Month number.
        month: u8,
        /// Whether the month is the leap month of that number.
        leap_month: bool,
    },
}

/// A day of the proleptic Gregorian calendar, always valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

impl CivilDate {
    /// The date `year-month-day`, if it exists in the Gregorian calendar.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, CalendarError> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        if valid { Ok(Self { year, month, day }) } else { Err(CalendarError::InvalidCivilDate { year, month, day }) }
    }

    /// The year (astronomical numbering: 0 is 1 BC).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The Julian Day Number: the count of days since 1 January 4713 BC (Julian calendar), which
    /// labels the day whose noon (UT) starts Julian Date `jdn`. 2000-01-01 is 2 451 545.
    pub fn jdn(self) -> i64 {
        // Richards' algorithm: count years from March of 4801 BC so that the leap day ends the
        // year, then 153 days per 5 months (31+30+31+30+31) and the Gregorian leap-year rule.
        let shift = i64::from(self.month <= 2);
        let y = i64::from(self.year) + 4800 - shift;
        let m = i64::from(self.month) + 12 * shift - 3;
        i64::from(self.day) + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)
            - 32045
    }

    /// The date whose Julian Day Number is `jdn` (inverse of [`CivilDate::jdn`]). Valid for any
    /// day from 4800 BC to far beyond the range of `i32` years the kiosk will ever see.
    pub fn from_jdn(jdn: i64) -> Self {
        // Richards' inverse: 400-year cycles (146 097 days), then 4-year cycles (1461 days),
        // then months of a March-based year.
        let a = jdn + 32044;
        let cycles400 = (4 * a + 3).div_euclid(146_097);
        let c = a - 146_097 * cycles400 / 4;
        let years4 = (4 * c + 3) / 1461;
        let e = c - 1461 * years4 / 4;
        let m = (5 * e + 2) / 153;
        let day = e - (153 * m + 2) / 5 + 1;
        let month = m + 3 - 12 * (m / 10);
        let year = 100 * cycles400 + years4 - 4800 + m / 10;
        // The arithmetic guarantees day 1..=31 and month 1..=12; years past i32 saturate.
        Self { year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, month: month as u8, day: day as u8 }
    }

    /// The date `days` days later (earlier when negative).
    pub fn add_days(self, days: i64) -> Self {
        Self::from_jdn(self.jdn() + days)
    }
}

impl fmt::Display for CivilDate {
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Gregorian leap years: every 4th year, except centuries not divisible by 400.
fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A day of the Vietnamese lunisolar calendar.
///
/// Not every value names a day: [`to_solar`] rejects a leap month the year does not have and day
/// 30 of a 29-day month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LunarDate {
    /// Lunar year, numbered as the Gregorian year in which its month 1 begins.
    pub year: i32,
    /// Month number, 1..=12 (a leap month repeats the number of the month before it).
    pub month: u8,
    /// Day of the month, 1..=30.
    pub day: u8,
    /// Whether this is the leap month (tháng nhuận) carrying `month`'s number.
    pub leap_month: bool,
}

impl fmt::Display for LunarDate {
    /// The Vietnamese way of writing it: `10/3/2025`, with ` (nhuận)` after a leap month.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.day, self.month, self.year)?;
        if self.leap_month { f.write_str(" (nhuận)") } else { Ok(()) }
    }
}

/// The lunar date of a Gregorian date, for a calendar reckoned at `tz_hours` from UTC
/// ([`VIETNAM_UTC_OFFSET_HOURS`] for Vietnam).
pub fn to_lunar(date: CivilDate, tz_hours: f64) -> LunarDate {
    let jdn = date.jdn();
    let k = lunation_containing(jdn, tz_hours);
    // The Gregorian year's month 11 contains 21/22 December, so a date belongs to the span that
    // starts at its own year's month 11 or, before that month, to the previous year's.
    let own = Span::starting(date.year, tz_hours);
    let span = if k >= own.k11 { own } else { Span::starting(date.year - 1, tz_hours) };
    let (month, leap_month, lunar_year) = span.name_of(k - span.k11);
    let day = jdn - new_moon_day(k, tz_hours) + 1;
    LunarDate { year: lunar_year, month, day: day as u8, leap_month }
}

/// The Gregorian date of a lunar date, for a calendar reckoned at `tz_hours` from UTC.
pub fn to_solar(lunar: LunarDate, tz_hours: f64) -> Result<CivilDate, CalendarError> {
    let LunarDate { year, month, day, leap_month } = lunar;
    if !(1..=12).contains(&month) {
        return Err(CalendarError::LunarMonthOutOfRange(month));
    }
    if !(1..=30).contains(&day) {
        return Err(CalendarError::LunarDayOutOfRange(day));
    }
    let span = Span::starting(if month >= 11 { year } else { year - 1 }, tz_hours);
    let offset = span.offset_of(month, leap_month).ok_or(CalendarError::NoSuchLeapMonth { year, month })?;
    let start = new_moon_day(span.k11 + offset, tz_hours);
    let length = new_moon_day(span.k11 + offset + 1, tz_hours) - start;
    if i64::from(day) > length {
        return Err(CalendarError::DayPastMonthEnd { year, month, leap_month });
    }
    Ok(CivilDate::from_jdn(start + i64::from(day) - 1))
}

/// The number of the leap month of lunar year `year` (reckoned at `tz_hours`), if it has one.
pub fn leap_month(year: i32, tz_hours: f64) -> Option<u8> {
    // A lunar year runs from offset 2 of the span starting in year-1 to offset 1 of the next
    // span (offset 2 if that span's leap month is 11 or 12).
    let earlier = Span::starting(year - 1, tz_hours);
    let later = Span::starting(year, tz_hours);
    match (earlier.leap_offset, later.leap_offset) {
        (Some(offset), _) if offset >= 3 => Some(earlier.name_of(offset).0),
        (_, Some(offset)) if offset <= 2 => Some(later.name_of(offset).0),
        _ => None,
    }
}

/// Tết Nguyên Đán of lunar year `year`: day 1 of month 1 in the Vietnamese calendar (UTC+7).
///
/// The public holiday around it (Labour Code 2019 Art. 112: five days of Tết, including the last
/// day of the old year) is laid out from this date by the holiday rules.
pub fn tet(year: i32) -> CivilDate {
    first_day_of_month(year, 1, VIETNAM_UTC_OFFSET_HOURS)
}

/// The Hùng Kings' Commemoration Day (Giỗ Tổ Hùng Vương, Labour Code 2019 Art. 112) of lunar year
/// `year`: day 10 of month 3 in the Vietnamese calendar (UTC+7). When the year has a leap third
/// month, the day is kept in the ordinary (first) third month.
pub fn hung_kings_day(year: i32) -> CivilDate {
    first_day_of_month(year, 3, VIETNAM_UTC_OFFSET_HOURS).add_days(9)
}

/// Day 1 of the ordinary month `month` of lunar year `year`, which always exists.
fn first_day_of_month(year: i32, month: u8, tz_hours: f64) -> CivilDate {
    let span = Span::starting(if month >= 11 { year } else { year - 1 }, tz_hours);
    let offset = span.offset_of(month, false).unwrap_or_else(|| unreachable!("ordinary months always exist"));
    CivilDate::from_jdn(new_moon_day(span.k11 + offset, tz_hours))
}

/// The months from the month 11 of one Gregorian year to the month before the next month 11
/// (the Chinese *sui*): 12 months, or 13 with one of them leap.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Gregorian year in which the span's month 11 begins.
    year: i32,
    /// Lunation number (Meeus k) of its month 11.
    k11: i64,
    /// Months after month 11 to the leap month, when the span has 13 months.
    leap_offset: Option<i64>,
}

impl Span {
    fn starting(year: i32, tz_hours: f64) -> Self {
        let k11 = month_11_lunation(year, tz_hours);
        let next_k11 = month_11_lunation(year + 1, tz_hours);
        let leap_offset = if next_k11 - k11 == 13 { first_month_without_major_term(k11, tz_hours) } else { None };
        Self { year, k11, leap_offset }
    }

    /// Number, leap flag and lunar year of the month `offset` months after month 11.
    fn name_of(&self, offset: i64) -> (u8, bool, i32) {
        let (ordinal, leap) = match self.leap_offset {
            Some(leap_offset) if offset >= leap_offset => (offset - 1, offset == leap_offset),
            _ => (offset, false),
        };
        // Ordinal 0 is month 11, 1 is month 12, 2 is month 1 of the next lunar year, …
        let month = (ordinal + 10).rem_euclid(12) + 1;
        let year = if ordinal < 2 { self.year } else { self.year + 1 };
        (month as u8, leap, year)
    }

    /// Months after month 11 to month `month` (the leap one if `leap`), if the span has it.
    fn offset_of(&self, month: u8, leap: bool) -> Option<i64> {
        let ordinal = (i64::from(month) + 1) % 12;
        match (self.leap_offset, leap) {
            (Some(leap_offset), true) if leap_offset == ordinal + 1 => Some(leap_offset),
            (_, true) => None,
            (Some(leap_offset), false) if ordinal >= leap_offset => Some(ordinal + 1),
            (_, false) => Some(ordinal),
        }
    }
}

/// Lunation number of the month 11 of Gregorian year `year`: the month containing the winter
/// solstice (rule 2).
fn month_11_lunation(year: i32, tz_hours: f64) -> i64 {
    let december_31 = CivilDate { year, month: 12, day: 31 }.jdn();
    let k = lunation_containing(december_31, tz_hours);
    // The month holding 31 December began in December. If the sun had already passed 270° when
    // it began, the solstice fell in the month before.
    if major_term_sector(new_moon_day(k, tz_hours), tz_hours) >= 9 { k - 1 } else { k }
}

/// In a 13-month span, months after month 11 to the first month with no major term (rule 3).
fn first_month_without_major_term(k11: i64, tz_hours: f64) -> Option<i64> {
    let mut sector = major_term_sector(new_moon_day(k11 + 1, tz_hours), tz_hours);
    for offset in 1..=12 {
        let next_sector = major_term_sector(new_moon_day(k11 + offset + 1, tz_hours), tz_hours);
        // The sun moves about 30° a month: an unchanged 30° sector means no multiple of 30° was
        // crossed between the starts of this month and the next.
        if next_sector == sector {
            return Some(offset);
        }
        sector = next_sector;
    }
    None
}

/// Lunation number k of the month that contains local day `jdn`.
fn lunation_containing(jdn: i64, tz_hours: f64) -> i64 {
    // Meeus 49.2: k = 0 is the new moon of 2000-01-06 (JDE 2 451 550.1), one every 29.53 days.
    let mut k = ((jdn as f64 - 2_451_550.1) / SYNODIC_MONTH_DAYS).floor() as i64;
    while new_moon_day(k, tz_hours) > jdn {
        k -= 1;
    }
    while new_moon_day(k + 1, tz_hours) <= jdn {
        k += 1;
    }
    k
}

/// Mean synodic month in days (Meeus 49.1).
const SYNODIC_MONTH_DAYS: f64 = 29.530_588_861;

/// Local day (Julian Day Number) on which new moon `k` falls at `tz_hours` from UTC (rule 1).
fn new_moon_day(k: i64, tz_hours: f64) -> i64 {
    let jd_ut = ephemeris_to_universal(new_moon_jde(k));
    // Julian Dates begin at noon UT: the local day is the integer part of JD + 0.5 + offset.
    (jd_ut + 0.5 + tz_hours / 24.0).floor() as i64
}

/// Which 30° sector (0..=11, sector 9 begins at the winter solstice) the apparent sun is in at the
/// start (local midnight) of day `jdn`.
fn major_term_sector(jdn: i64, tz_hours: f64) -> i64 {
    let midnight_ut = jdn as f64 - 0.5 - tz_hours / 24.0;
    let longitude = apparent_solar_longitude(universal_to_ephemeris(midnight_ut));
    (longitude / 30.0).floor() as i64
}

/// Julian Ephemeris Day (TT) of true new moon number `k`: Meeus, chapter 49.
fn new_moon_jde(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85; // Julian centuries from J2000.0 (49.3)
    let (t2, t3, t4) = (t * t, t * t * t, t * t * t * t);
    // Mean phase (49.1).
    let mean =
        2_451_550.097_66 + SYNODIC_MONTH_DAYS * k + 0.000_154_37 * t2 - 0.000_000_150 * t3 + 0.000_000_000_73 * t4;
    // Eccentricity of the Earth's orbit (47.6) and the fundamental arguments (49.4–49.7).
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let m = (2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3).to_radians();
    let mm = (201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4).to_radians();
    let f = (160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4).to_radians();
    let omega = (124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3).to_radians();

    // Periodic terms for the new moon (Meeus p. 351), in days.
    let periodic = -0.40720 * mm.sin()
        + 0.17241 * e * m.sin()
        + 0.01608 * (2.0 * mm).sin()
        + 0.01039 * (2.0 * f).sin()
        + 0.00739 * e * (mm - m).sin()
        - 0.00514 * e * (mm + m).sin()
        + 0.00208 * e * e * (2.0 * m).sin()
        - 0.00111 * (mm - 2.0 * f).sin()
        - 0.00057 * (mm + 2.0 * f).sin()
        + 0.00056 * e * (2.0 * mm + m).sin()
        - 0.00042 * (3.0 * mm).sin()
        + 0.00042 * e * (m + 2.0 * f).sin()
        + 0.00038 * e * (m - 2.0 * f).sin()
        - 0.00024 * e * (2.0 * mm - m).sin()
        - 0.00017 * omega.sin()
        - 0.00007 * (mm + 2.0 * m).sin()
        + 0.00004 * (2.0 * mm - 2.0 * f).sin()
        + 0.00004 * (3.0 * m).sin()
        + 0.00003 * (mm + m - 2.0 * f).sin()
        + 0.00003 * (2.0 * mm + 2.0 * f).sin()
        - 0.00003 * (mm + m + 2.0 * f).sin()
        + 0.00003 * (mm - m + 2.0 * f).sin()
        - 0.00002 * (mm - m - 2.0 * f).sin()
        - 0.00002 * (3.0 * mm + m).sin()
        + 0.00002 * (4.0 * mm).sin();

    // Additional corrections for all phases from the planetary arguments A1–A14 (Meeus p. 351–352):
    // (coefficient in days, argument at k = 0 in degrees, degrees per lunation).
    const PLANETARY: [(f64, f64, f64); 14] = [
        (0.000_325, 299.77, 0.107_408),
        (0.000_165, 251.88, 0.016_321),
        (0.000_164, 251.83, 26.651_886),
        (0.000_126, 349.42, 36.412_478),
        (0.000_110, 84.66, 18.206_239),
        (0.000_062, 141.74, 53.303_771),
        (0.000_060, 207.14, 2.453_732),
        (0.000_056, 154.84, 7.306_860),
        (0.000_047, 34.52, 27.261_239),
        (0.000_042, 207.19, 0.121_824),
        (0.000_040, 291.34, 1.844_379),
        (0.000_037, 161.72, 24.198_154),
        (0.000_035, 239.56, 25.513_099),
        (0.000_023, 331.55, 3.592_518),
    ];
    let mut planetary = 0.0;
    for (index, &(coefficient, base, rate)) in PLANETARY.iter().enumerate() {
        // A1 alone has a T² term.
        let t2_term = if index == 0 { -0.009_173 * t2 } else { 0.0 };
        planetary += coefficient * (base + rate * k + t2_term).to_radians().sin();
    }

    mean + periodic + planetary
}

/// Apparent geocentric longitude of the sun in degrees, 0..360, at Julian Ephemeris Day `jde`:
/// Meeus chapter 25, lower-accuracy method (25.2–25.4, 25.8 and the correction for nutation and
/// aberration on p. 164).
fn apparent_solar_longitude(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let mean_longitude = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mean_anomaly = (357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t2).to_radians();
    let centre = (1.914_602 - 0.004_817 * t - 0.000_014 * t2) * mean_anomaly.sin()
        + (0.019_993 - 0.000_101 * t) * (2.0 * mean_anomaly).sin()
        + 0.000_289 * (3.0 * mean_anomaly).sin();
    let omega = (125.04 - 1934.136 * t).to_radians();
    let apparent = mean_longitude + centre - 0.005_69 - 0.004_78 * omega.sin();
    apparent.rem_euclid(360.0)
}

/// Julian Date (UT) of the instant with Julian Ephemeris Date `jde` (TT).
fn ephemeris_to_universal(jde: f64) -> f64 {
    jde - delta_t_seconds(decimal_year(jde)) / 86_400.0
}

/// Julian Ephemeris Date (TT) of the instant with Julian Date `jd_ut` (UT).
fn universal_to_ephemeris(jd_ut: f64) -> f64 {
    jd_ut + delta_t_seconds(decimal_year(jd_ut)) / 86_400.0
}

/// Approximate decimal year of a Julian Date (good to a day, plenty for ΔT).
fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_545.0) / 365.2425
}

/// ΔT = TT − UT in seconds for decimal year `y`: Espenak & Meeus (2006) polynomials, 1800–2150,
/// with their long-term parabola outside that range.
fn delta_t_seconds(y: f64) -> f64 {
    let long_term = |y: f64| {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    };
    match y {
        y if y < 1800.0 => long_term(y),
        y if y < 1860.0 => {
            let t = y - 1800.0;
            13.72 - 0.332_447 * t + 0.006_861_2 * t.powi(2) + 0.004_111_6 * t.powi(3) - 0.000_374_36 * t.powi(4)
                + 0.000_012_127_2 * t.powi(5)
                - 0.000_000_169_9 * t.powi(6)
                + 0.000_000_000_875 * t.powi(7)
        }
        y if y < 1900.0 => {
            let t = y - 1860.0;
            7.62 + 0.573_7 * t - 0.251_754 * t.powi(2) + 0.016_806_68 * t.powi(3) - 0.000_447_362_4 * t.powi(4)
                + t.powi(5) / 233_174.0
        }
        y if y < 1920.0 => {
            let t = y - 1900.0;
            -2.79 + 1.494_119 * t - 0.059_893_9 * t.powi(2) + 0.006_196_6 * t.powi(3) - 0.000_197 * t.powi(4)
        }
        y if y < 1941.0 => {
            let t = y - 1920.0;
            21.20 + 0.844_93 * t - 0.076_100 * t.powi(2) + 0.002_093_6 * t.powi(3)
        }
        y if y < 1961.0 => {
            let t = y - 1950.0;
            29.07 + 0.407 * t - t.powi(2) / 233.0 + t.powi(3) / 2547.0
        }
        y if y < 1986.0 => {
            let t = y - 1975.0;
            45.45 + 1.067 * t - t.powi(2) / 260.0 - t.powi(3) / 718.0
        }
        y if y < 2005.0 => {
            let t = y - 2000.0;
            63.86 + 0.3345 * t - 0.060_374 * t.powi(2)
                + 0.001_727_5 * t.powi(3)
                + 0.000_651_814 * t.powi(4)
                + 0.000_023_735_99 * t.powi(5)
        }
        y if y < 2050.0 => {
            let t = y - 2000.0;
            62.92 + 0.322_17 * t + 0.005_589 * t.powi(2)
        }
        y if y < 2150.0 => long_term(y) - 0.5628 * (2150.0 - y),
        y => long_term(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VN: f64 = VIETNAM_UTC_OFFSET_HOURS;
    const CN: f64 = CHINA_UTC_OFFSET_HOURS;

    fn date(year: i32, month: u8, day: u8) -> CivilDate {
        CivilDate::new(year, month, day).expect("test dates are valid")
    }

    fn lunar(year: i32, month: u8, day: u8, leap_month: bool) -> LunarDate {
        LunarDate { year, month, day, leap_month }
    }

    fn parse_iso(text: &str) -> CivilDate {
        let mut parts = text.split('-').map(|part| part.parse::<i32>().expect("numeric date part"));
        let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            panic!("not an ISO date: {text}");
        };
        date(y, m as u8, d as u8)
    }

    #[test]
    fn julian_day_numbers_match_known_epochs() {
        // J2000.0 is JD 2 451 545.0 = 2000-01-01 12:00; MJD 0 = JD 2 400 000.5 = 1858-11-17 00:00.
        assert_eq!(date(2000, 1, 1).jdn(), 2_451_545);
        assert_eq!(date(1858, 11, 17).jdn(), 2_400_001);
        // Meeus example 7.a: 1957 October 4.81 is JD 2 436 116.31.
        assert_eq!(date(1957, 10, 4).jdn(), 2_436_116);
        for jdn in [2_415_021, 2_451_544, 2_451_604, 2_451_605, 2_488_070] {
            assert_eq!(CivilDate::from_jdn(jdn).jdn(), jdn);
        }
        assert_eq!(CivilDate::from_jdn(2_451_604), date(2000, 2, 29));
        assert_eq!(date(2024, 12, 31).add_days(1), date(2025, 1, 1));
        assert_eq!(date(2025, 3, 1).add_days(-1), date(2025, 2, 28));
    }

    #[test]
    fn civil_dates_reject_days_that_do_not_exist() {
        assert!(CivilDate::new(2000, 2, 29).is_ok());
        assert_eq!(CivilDate::new(1900, 2, 29), Err(CalendarError::InvalidCivilDate { year: 1900, month: 2, day: 29 }));
        assert!(CivilDate::new(2023, 2, 29).is_err());
        assert!(CivilDate::new(2025, 4, 31).is_err());
        assert!(CivilDate::new(2025, 13, 1).is_err());
        assert!(CivilDate::new(2025, 1, 0).is_err());
        assert_eq!(date(2025, 4, 7).to_string(), "2025-04-07");
    }

    #[test]
    fn new_moon_matches_meeus_example_49a() {
        // 1977 February new moon, k = -283: JDE 2 443 192.65118 (18 Feb 1977, 3h37m42s TD).
        assert!((new_moon_jde(-283) - 2_443_192.651_18).abs() < 0.000_01);
    }

    #[test]
    fn solar_longitude_matches_meeus_example_25a() {
        // 1992 October 13.0 TD: apparent longitude 199.90895°.
        assert!((apparent_solar_longitude(2_448_908.5) - 199.908_95).abs() < 0.000_1);
    }

    #[test]
    fn delta_t_is_close_to_observed_values() {
        // Observed ΔT (IERS): 1900.0 ≈ -2.8 s, 1950.0 ≈ 29.1 s, 2000.0 ≈ 63.8 s.
        assert!((delta_t_seconds(1900.0) + 2.79).abs() < 0.01);
        assert!((delta_t_seconds(1950.0) - 29.07).abs() < 0.01);
        assert!((delta_t_seconds(2000.0) - 63.86).abs() < 0.01);
    }

    /// Every Tết 1900–2100 against the table generated with the `lunar-vn` package (an
    /// independent implementation of the same method; provenance in the file's first line).
    #[test]
    fn tet_matches_lunar_vn_table_1900_to_2100() {
        let table = include_str!("testdata/tet-1900-2100.csv");
        let mut rows = 0;
        for line in table.lines().filter(|line| !line.starts_with('#') && !line.starts_with("year")) {
            let (year, expected) = line.split_once(',').expect("year,date rows");
            let year: i32 = year.parse().expect("numeric year");
            assert_eq!(tet(year), parse_iso(expected), "Tết {year}");
            rows += 1;
        }
        assert_eq!(rows, 201);
    }

    /// Years where Vietnam's Tết differs from China's because of the meridian: 1985 (a whole
    /// month), 2007 and 2030 (one day). Vietnamese dates per Hồ Ngọc Đức's "Thuật toán tính âm
    /// lịch"; Chinese dates confirmed with the `lunar-python` package (6tail, MIT).
    #[test]
    fn tet_differs_from_chinese_new_year_in_known_years() {
        let cases = [
            (1985, date(1985, 1, 21), date(1985, 2, 20)),
            (2007, date(2007, 2, 17), date(2007, 2, 18)),
            (2030, date(2030, 2, 2), date(2030, 2, 3)),
        ];
        for (year, vietnam, china) in cases {
            assert_eq!(tet(year), vietnam, "Tết {year}");
            assert_eq!(to_solar(lunar(year, 1, 1, false), VN), Ok(vietnam), "Vietnam {year}");
            assert_eq!(to_solar(lunar(year, 1, 1, false), CN), Ok(china), "China {year}");
            assert_eq!(to_lunar(vietnam, VN), lunar(year, 1, 1, false));
            assert_eq!(to_lunar(china, CN), lunar(year, 1, 1, false));
        }
        // In 1985 the Chinese 20 February is still day 1 of Vietnam's second month.
        assert_eq!(to_lunar(date(1985, 2, 20), VN), lunar(1985, 2, 1, false));
        // In both calendars the other years agree, e.g. 2025 and 2026.
        assert_eq!(to_solar(lunar(2026, 1, 1, false), CN), Ok(tet(2026)));
    }

    #[test]
    fn every_day_2000_to_2030_round_trips() {
        let first = date(2000, 1, 1).jdn();
        let last = date(2030, 12, 31).jdn();
        let mut previous = to_lunar(CivilDate::from_jdn(first - 1), VN);
        for jdn in first..=last {
            let day = CivilDate::from_jdn(jdn);
            let lunar = to_lunar(day, VN);
            assert_eq!(to_solar(lunar, VN), Ok(day), "{day} -> {lunar}");
            // Days advance by one, or a new month starts after day 29 or 30.
            let continues = lunar.day == previous.day + 1 && lunar.month == previous.month;
            let new_month = lunar.day == 1 && (previous.day == 29 || previous.day == 30);
            assert!(continues || new_month, "{previous} then {lunar} on {day}");
            previous = lunar;
        }
    }

    /// Leap months of 2020 (4), 2023 (2) and 2025 (6), and none in 2024, as printed in Vietnamese
    /// calendars; 2025's sixth month ran 25/6–24/7 (30 days), the leap sixth 25/7–22/8 (29 days).
    #[test]
    fn leap_months_are_placed_by_the_no_major_term_rule() {
        assert_eq!(leap_month(2020, VN), Some(4));
        assert_eq!(leap_month(2023, VN), Some(2));
        assert_eq!(leap_month(2024, VN), None);
        assert_eq!(leap_month(2025, VN), Some(6));
        assert_eq!(leap_month(2028, VN), Some(5));

        assert_eq!(to_solar(lunar(2025, 6, 1, false), VN), Ok(date(2025, 6, 25)));
        assert_eq!(to_solar(lunar(2025, 6, 30, false), VN), Ok(date(2025, 7, 24)));
        assert_eq!(to_solar(lunar(2025, 6, 1, true), VN), Ok(date(2025, 7, 25)));
        assert_eq!(to_solar(lunar(2025, 6, 29, true), VN), Ok(date(2025, 8, 22)));
        assert_eq!(to_lunar(date(2025, 8, 22), VN), lunar(2025, 6, 29, true));
        assert_eq!(to_lunar(date(2025, 8, 23), VN), lunar(2025, 7, 1, false));
        assert_eq!(
            to_solar(lunar(2025, 6, 30, true), VN),
            Err(CalendarError::DayPastMonthEnd { year: 2025, month: 6, leap_month: true })
        );
        assert_eq!(to_solar(lunar(2025, 5, 1, true), VN), Err(CalendarError::NoSuchLeapMonth { year: 2025, month: 5 }));
        assert_eq!(to_solar(lunar(2024, 4, 1, true), VN), Err(CalendarError::NoSuchLeapMonth { year: 2024, month: 4 }));
        assert!(to_lunar(date(2020, 6, 1), VN).leap_month);
        assert!(to_lunar(date(2023, 4, 1), VN).leap_month);
        // The lunar year 2025 (Ất Tỵ) has 384 days: Tết 2025 to Tết 2026.
        assert_eq!(tet(2025), date(2025, 1, 29));
        assert_eq!(tet(2026), date(2026, 2, 17));
        assert_eq!(tet(2026).jdn() - tet(2025).jdn(), 384);
    }

    #[test]
    fn lunar_dates_out_of_range_are_rejected() {
        assert_eq!(to_solar(lunar(2025, 13, 1, false), VN), Err(CalendarError::LunarMonthOutOfRange(13)));
        assert_eq!(to_solar(lunar(2025, 0, 1, false), VN), Err(CalendarError::LunarMonthOutOfRange(0)));
        assert_eq!(to_solar(lunar(2025, 1, 31, false), VN), Err(CalendarError::LunarDayOutOfRange(31)));
        assert_eq!(to_solar(lunar(2025, 1, 0, false), VN), Err(CalendarError::LunarDayOutOfRange(0)));
    }

    /// Government announcements: 10/3 Ất Tỵ was Monday 7 April 2025, 10/3 Bính Ngọ is Sunday
    /// 26 April 2026.
    #[test]
    fn hung_kings_day_2025_and_2026() {
        assert_eq!(hung_kings_day(2025), date(2025, 4, 7));
        assert_eq!(hung_kings_day(2026), date(2026, 4, 26));
        assert_eq!(to_lunar(date(2025, 4, 7), VN), lunar(2025, 3, 10, false));
        assert_eq!(lunar(2025, 3, 10, false).to_string(), "10/3/2025");
        assert_eq!(lunar(2025, 6, 1, true).to_string(), "1/6/2025 (nhuận)");
    }
}
