//! What the end-to-end tests share: the real `kiosk` binary run on a copy of the simulator
//! configuration.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `kiosk` binary with `config`.
pub fn kiosk(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the kiosk binary runs")
}

/// The simulator configuration in the repository.
pub fn default_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml")
}

/// The simulator configuration with `from` replaced by `to`, written into `dir`; its data files
/// (units, holidays, the simulator's CSCA) still come from the repository and its data directory is `dir/var`.
pub fn config_with(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(default_config()).unwrap();
    assert!(text.contains(from), "fixture changed: {from:?} is not in configs/kiosk.toml");
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut text = text.replacen(from, to, 1).replacen("data_dir = \"../var\"", "data_dir = \"var\"", 1);
    for (key, file) in [("units", "admin-units-2025.json"), ("holidays", "holidays.toml"), ("csca_dir", "csca-sim")] {
        let absolute = configs.join(file).display().to_string();
        text = text.replacen(&format!("{key} = \"{file}\""), &format!("{key} = {absolute:?}"), 1);
    }
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
