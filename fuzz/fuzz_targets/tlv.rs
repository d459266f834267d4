//! BER-TLV and every LDS parser built on it: no input may panic.
#![no_main]

use kiosk::idcard::chip::lds::{Dg1, Dg2, Dg11, EfCom, LdsFile, RawDataGroup};
use kiosk::idcard::chip::tlv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let valid = tlv::validate(data).is_ok();
    if valid {
        assert!(tlv::parse_all(data).is_ok(), "validate accepted what parse_all refuses");
    }
    let _ = tlv::encoded_length(data);
    let _ = EfCom::parse(data);
    let _ = Dg1::parse(data);
    let _ = Dg2::parse(data);
    let _ = Dg11::parse(data);
    let _ = RawDataGroup::parse(LdsFile::Dg(14), data);
});
