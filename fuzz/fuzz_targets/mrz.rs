//! The MRZ parser on arbitrary text: no input may panic.
#![no_main]

use kiosk::idcard::mrz::{Date, Mrz};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(today) = Date::from_days_since_unix_epoch(20_454) {
        let _ = Mrz::parse_text(&text, today);
        let lines: Vec<&str> = text.split('\n').collect();
        let _ = Mrz::read(&lines, today);
    }
});
