//! Calendars the kiosk needs beyond the Gregorian one.
//!
//! Vietnamese public holidays such as Tết Nguyên Đán (lunar 1/1) and the Hùng Kings' Commemoration
//! Day (lunar 10/3, Labour Code 2019 Art. 112) follow the Vietnamese lunisolar calendar (âm lịch).
//! [`lunar`] computes that calendar from the astronomical method (new moons and solar terms
//! reckoned on the meridian of UTC+7), so holiday dates are available for years that have no
//! published holiday table in the configuration.

pub mod lunar;
pub mod workdays;
