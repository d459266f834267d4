//! `kiosk mrz check` as a technician runs it: exit 0 valid, 1 invalid, 2 unreadable.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const TD1: [&str; 3] =
    ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];

fn mrz_check(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["mrz", "check", "--today", "2026-11-22"])
        .args(args)
        .current_dir(std::env::temp_dir()) // needs no configuration file
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_valid_td1_from_arguments_exits_0_with_its_fields() {
    let output = mrz_check(&TD1, "");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("D23145890") && text.contains("ERIKSSON") && text.contains("1974-08-12"), "{text}");
}

#[test]
fn a_td3_on_stdin_prints_json() {
    let zone = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
    let output = mrz_check(&["--json"], zone);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["document_number"], "L898902C3");
    assert_eq!(json["date_of_expiry"], "2012-04-15");
    assert_eq!(json["secondary_identifier"], "ANNA MARIA");
}

#[test]
fn a_wrong_check_digit_exits_1_and_says_which() {
    let bad = ["I<UTOD231458908<<<<<<<<<<<<<<<", TD1[1], TD1[2]];
    let output = mrz_check(&bad, "");
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("check document number 8 WRONG"), "{text}");
}

#[test]
fn garbage_exits_2_with_a_reason() {
    let output = mrz_check(&["hello"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unreadable MRZ"));
    let output = mrz_check(&TD1, "");
    assert_eq!(output.status.code(), Some(0), "sanity: the same call with good lines passes");
}
