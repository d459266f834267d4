//! The technician commands as a technician runs them: the real `kiosk` binary, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kiosk(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the kiosk binary runs")
}

fn default_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml")
}

/// The simulator configuration with `from` replaced, written into a fresh directory.
fn config_with(dir: &tempfile::TempDir, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(default_config()).unwrap();
    assert!(text.contains(from), "fixture changed: {from:?} is not in configs/kiosk.toml");
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/admin-units-2025.json");
    let text =
        text.replacen("units = \"admin-units-2025.json\"", &format!("units = {:?}", units.display().to_string()), 1);
    // The data files the configuration names stay in the repository.
    let holidays = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/holidays.toml");
    let text =
        text.replacen("holidays = \"holidays.toml\"", &format!("holidays = {:?}", holidays.display().to_string()), 1);
    let csca = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/csca-sim");
    let text = text.replacen("csca_dir = \"csca-sim\"", &format!("csca_dir = {:?}", csca.display().to_string()), 1);
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn selftest_json_on_the_simulators_reports_every_device_ok_and_exits_0() {
    let output = kiosk(&default_config(), &["devices", "selftest", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["ok"], true);
    let devices = report["devices"].as_array().unwrap();
    let kinds: Vec<&str> = devices.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["camera", "scanner", "card_reader", "fingerprint", "gpio", "printer"]);
    assert!(devices.iter().all(|d| d["status"] == "ok" && d["driver"] == "sim"));
}

#[test]
fn an_injected_fault_fails_the_selftest_naming_the_device_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        &dir,
        "[devices.card_reader]\ndriver = \"sim\"",
        "[devices.card_reader]\ndriver = \"sim\"\nsim = { fault = \"timeout\" }",
    );
    let output = kiosk(&config, &["devices", "selftest", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["ok"], false);
    let failed: Vec<&serde_json::Value> =
        report["devices"].as_array().unwrap().iter().filter(|d| d["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["kind"], "card_reader");
    assert_eq!(failed[0]["error_kind"], "timeout");
    assert!(failed[0]["reason"].as_str().unwrap().contains("stopped answering"));

    let text = kiosk(&config, &["devices", "selftest"]);
    assert_eq!(text.status.code(), Some(1));
    let out = stdout(&text);
    assert!(out.contains("card_reader") && out.contains("FAILED") && out.contains("power-cycle"), "{out}");
}

#[test]
fn an_optional_device_that_fails_does_not_fail_the_selftest() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        &dir,
        "[devices.fingerprint]\ndriver = \"sim\"",
        "[devices.fingerprint]\ndriver = \"sim\"\nrequired = false\nsim = { fault = \"not-present\" }",
    );
    let output = kiosk(&config, &["devices", "selftest"]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("failed (optional)"));
}

#[cfg(feature = "serial")]
#[test]
fn a_real_driver_on_a_missing_port_is_reported_not_present() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        &dir,
        "[devices.printer]\ndriver = \"sim\"",
        "[devices.printer]\ndriver = \"escpos\"\nescpos = { port = \"/dev/kiosk-no-such-printer\" }",
    );
    let output = kiosk(&config, &["devices", "selftest", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let printer = &report["devices"][5];
    assert_eq!(printer["error_kind"], "not_present");
    assert!(printer["reason"].as_str().unwrap().contains("/dev/kiosk-no-such-printer"), "{printer}");
}

#[test]
fn a_bad_configuration_exits_2_naming_file_key_and_reason_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(&dir, "fps = 30", "fps = 30\nzoom = 2");
    let output = kiosk(&config, &["devices", "selftest"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(&config.display().to_string()), "{err}");
    assert!(err.contains("key `devices.camera.zoom`") && err.contains("unknown field"), "{err}");
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the configuration file: no data directory was created");
}

#[test]
fn capture_writes_images_from_each_device() {
    let dir = tempfile::tempdir().unwrap();
    let config = default_config();
    let camera = dir.path().join("camera.png");
    assert!(kiosk(&config, &["devices", "capture", "camera", "--out", camera.to_str().unwrap()]).status.success());
    assert_eq!(image::image_dimensions(&camera).unwrap(), (1280, 720));

    let scan = dir.path().join("scan.png");
    let output = kiosk(
        &config,
        &["devices", "capture", "scanner", "--light", "white,infrared", "--out", scan.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(image::image_dimensions(&scan).unwrap().0 > 2022, "a 600-dpi scan is wider than the card");
    assert!(dir.path().join("scan-infrared.png").exists());

    let finger = dir.path().join("finger.png");
    assert!(kiosk(&config, &["devices", "capture", "fingerprint", "--out", finger.to_str().unwrap()]).status.success());
    assert_eq!(image::image_dimensions(&finger).unwrap(), (256, 288));

    let bad = kiosk(&config, &["devices", "capture", "camera", "--out", dir.path().join("x.txt").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains(".png"));
}

#[test]
fn print_test_writes_a_receipt_and_paper_out_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(&dir, "output_dir = \"../var/receipts\"", "output_dir = \"receipts\"");
    let output = kiosk(&config, &["devices", "print-test"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let receipt = image::open(dir.path().join("receipts/receipt-0000.png")).unwrap().to_luma8();
    assert_eq!(receipt.width(), 576);
    assert!(receipt.pixels().filter(|p| p.0[0] < 128).count() > 5_000, "the receipt has text and a QR code");

    let empty =
        config_with(&dir, "output_dir = \"../var/receipts\"", "output_dir = \"receipts\"\nfault = \"no-paper\"");
    let output = kiosk(&empty, &["devices", "print-test"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("paper out"), "{}", stderr(&output));
}
