//! EF.SOD parsing and the whole of passive authentication: no input may panic.
#![no_main]

use std::collections::BTreeMap;

use kiosk::idcard::chip::pa::{CscaStore, Sod, passive_authentication};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sod) = Sod::parse(data) {
        let _ = sod.verify_signature();
        let _ = sod.signer_certificate();
    }
    let groups = BTreeMap::from([(1u8, data.to_vec())]);
    let _ = passive_authentication(data, &groups, &CscaStore::default(), std::time::SystemTime::UNIX_EPOCH);
});
