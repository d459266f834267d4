//! `kiosk dossier` as a technician runs it: the real binary writes the sample dossier, and what it
//! wrote opens and verifies as the backend would open it.

use std::path::Path;
use std::process::{Command, Output};

fn kiosk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the kiosk binary runs")
}

#[test]
fn sample_writes_a_payload_that_verifies_and_a_pdf_qpdf_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let output = kiosk(&["dossier", "sample", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("made-up person"));

    let payload = std::fs::read(out.join("payload.tar")).unwrap();
    let opened = kiosk::dossier::archive::open(&payload).unwrap();
    assert_eq!(opened.manifest_json, std::fs::read(out.join("manifest.json")).unwrap());
    let names: Vec<&str> = opened.files.iter().map(|(entry, _)| entry.name.as_str()).collect();
    assert_eq!(names, ["Nguyen Van An_Citizen Identity Card.pdf", "card-front.jpg", "card-back.jpg"]);
    for (entry, bytes) in &opened.files {
        assert_eq!(std::fs::read(out.join(&entry.name)).unwrap(), bytes.as_slice(), "{}", entry.name);
    }

    let check = Command::new("qpdf")
        .arg("--check")
        .arg(out.join("Nguyen Van An_Citizen Identity Card.pdf"))
        .output()
        .expect("qpdf must be installed for this test: run ./dev.sh deps");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}

#[test]
fn check_accepts_sloppy_typing_and_refuses_typos() {
    let good = kiosk(&["dossier", "check", "1d23 fj75 4ct5"]);
    assert!(good.status.success());
    assert_eq!(String::from_utf8_lossy(&good.stdout).trim(), "1D23-FJ75-4CT5: valid");
    let typo = kiosk(&["dossier", "check", "1D23-FJ57-4CT5"]);
    assert!(!typo.status.success());
    assert!(String::from_utf8_lossy(&typo.stderr).contains("typing error"));
}

#[test]
fn sample_into_an_unwritable_place_fails_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let output = kiosk(&["dossier", "sample", "--out", file.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
}
