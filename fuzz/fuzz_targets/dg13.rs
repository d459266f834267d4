//! The Vietnamese DG13 parser: no input may panic.
#![no_main]

use kiosk::idcard::chip::lds::Dg13;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(dg13) = Dg13::parse(data) {
        assert!(!dg13.elements.is_empty());
        let _ = dg13.named();
    }
});
