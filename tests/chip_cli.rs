//! `kiosk chip read` as a technician runs it: the real binary on the simulator configuration, the
//! simulated ICAO chip behind the simulated card reader.

mod common;

use std::path::PathBuf;

use common::{default_config, kiosk};

/// The simulator configuration with `from` replaced, in a fresh directory (data files stay in the
/// repository).
fn config_with(dir: &tempfile::TempDir, from: &str, to: &str) -> PathBuf {
    common::config_with(dir.path(), from, to)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_default_configuration_reads_the_simulated_card_and_verifies_it() {
    let output = kiosk(&default_config(), &["chip", "read"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", text(&output.stderr));
    // The default simulated card offers PACE (brainpoolP256r1, AES-128) and the kiosk uses it.
    assert!(stdout.contains("chip read: ok (PACE: ECDH generic mapping, AES-128, brainpoolP256r1"), "{stdout}");
    assert!(stdout.contains("Nguyễn Văn An"), "{stdout}");
    assert!(stdout.contains("DG2 face image: image/jpeg 240x320"), "{stdout}");
    for dg in [1, 2, 11, 13, 14] {
        assert!(stdout.contains(&format!("DG{dg} hash: ok")), "{stdout}");
    }
    assert!(stdout.contains("SOD signature: ok"), "{stdout}");
    assert!(stdout.trim_end().ends_with("passive authentication: ok"), "{stdout}");
}

#[test]
fn json_output_carries_the_fields_and_each_step() {
    let td1 = "IDVNM0990123459001099012345<<0\n9001011M3001019VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
    let output = kiosk(&default_config(), &["chip", "read", "--json", "--mrz", td1]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["passive_authentication"]["verdict"], "verified");
    assert_eq!(json["access"], "Pace");
    assert!(json["access_parameters"].as_str().is_some_and(|p| p.contains("brainpoolP256r1")), "{json}");
    assert_eq!(json["passive_authentication"]["signature"]["Ok"], "valid");
    assert_eq!(json["face_image"]["media_type"], "image/jpeg");
    let dg13 = json["dg13"].as_array().unwrap();
    let id = dg13.iter().find(|e| e["field"] == "id_number").unwrap();
    assert_eq!(id["values"][0], "001099012345");
    assert_eq!(json["mrz"]["document_number"], "099012345");
}

#[test]
fn a_wrong_mrz_is_access_denied_with_exit_2() {
    let output = kiosk(&default_config(), &["chip", "read", "--mrz", "099012346090010113001019"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("kiểm tra lại dòng MRZ"), "{stderr}");
    assert!(stderr.contains("Access denied: check the MRZ"), "{stderr}");
    assert!(output.stdout.is_empty());
    let bad = kiosk(&default_config(), &["chip", "read", "--mrz", "099012345990010113001018"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("check digits"), "{}", text(&bad.stderr));
}

#[test]
fn an_unknown_csca_reads_but_is_not_verified_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-cscas");
    std::fs::create_dir(&empty).unwrap();
    let config = config_with(&dir, "csca_dir = \"csca-sim\"", &format!("csca_dir = {:?}", empty.display().to_string()));
    let output = kiosk(&config, &["chip", "read"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("CSCA unknown"), "{stdout}");
    assert!(stdout.contains("passive authentication: not verified"), "{stdout}");
    assert!(text(&output.stderr).contains("no CSCA certificates configured"));
}

#[test]
fn no_card_on_the_reader_exits_2_with_a_bilingual_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(&dir, "card_on_reader = true", "card_on_reader = false");
    let output = kiosk(&config, &["chip", "read"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Không thấy thẻ"), "{stderr}");
    assert!(stderr.contains("No card found"), "{stderr}");
}
