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
