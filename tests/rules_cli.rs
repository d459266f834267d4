//! `kiosk fee` and `kiosk units search` on the simulator configuration.

use std::path::Path;
use std::process::{Command, Output};

fn kiosk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml"))
        .args(args)
        .output()
        .expect("the kiosk binary runs")
}

#[test]
fn the_fee_of_three_card_copies_is_6000_vnd() {
    let output = kiosk(&["fee", "--copies", "3", "--json"]);
    assert!(output.status.success());
    let fee: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(fee["total_vnd"], 6000);
    assert_eq!(fee["per_copy_vnd"], 2000);
    let text = String::from_utf8(kiosk(&["fee", "--copies", "1", "--pages", "250"]).stdout).unwrap();
    assert!(text.contains("per copy (capped): 200.000 VND"), "{text}");
    assert_eq!(kiosk(&["fee", "--copies", "0"]).status.code(), Some(1));
}

#[test]
fn units_are_found_without_diacritics_and_within_a_province() {
    let output = kiosk(&["units", "search", "ba dinh", "--province", "01"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("00004  Phường Ba Đình, Thành phố Hà Nội"), "{text}");
    let hanoi = String::from_utf8(kiosk(&["units", "search", "ha noi", "--limit", "1"]).stdout).unwrap();
    assert!(hanoi.contains("Thành phố Hà Nội"), "{hanoi}");
    assert_eq!(kiosk(&["units", "search", "ba dinh", "--province", "99"]).status.code(), Some(1));
    assert_eq!(kiosk(&["units", "search", "zzzz"]).status.code(), Some(1));
}

#[test]
fn a_certified_copy_received_friday_after_15_00_is_due_tuesday() {
    let due = |submitted: &str| {
        let output = kiosk(&["calendar", "due", "--service", "certified-copy", "--submitted", submitted, "--json"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["due"].as_str().unwrap().to_owned()
    };
    // Friday 20 November 2026.
    assert_eq!(due("2026-11-20T14:59:00+07:00"), "2026-11-23T17:00:00+07:00");
    assert_eq!(due("2026-11-20T15:00:00+07:00"), "2026-11-24T17:00:00+07:00");
    // 08:00 UTC is 15:00 in Vietnam.
    assert_eq!(due("2026-11-20T08:00:00Z"), "2026-11-24T17:00:00+07:00");
    // Friday before the Tết 2026 break (14–22 February): the next working day is Monday 23 February.
    assert_eq!(due("2026-02-13T10:00:00+07:00"), "2026-02-23T17:00:00+07:00");
    let bad = kiosk(&["calendar", "due", "--service", "eid", "--submitted", "tomorrow"]);
    assert_eq!(bad.status.code(), Some(2));
}
