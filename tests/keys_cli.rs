//! `kiosk keys init` and `kiosk keys show` as a technician runs them, on a copy of the simulator
//! configuration in a temporary directory.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::kiosk;
use kiosk_packet::{BackendKeyPair, DevicePublicKey, DeviceSigner, SealParams};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The simulator configuration in `dir` with `from` replaced by `to`, its device key at
/// `dir/keys/device.p8` (relative, so the path anchoring is tested too).
fn config_in(dir: &tempfile::TempDir, from: &str, to: &str) -> PathBuf {
    let key_line = "device_key = \"../var/keys/device.p8\"";
    let path = common::config_with(dir.path(), key_line, "device_key = \"keys/device.p8\"");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on standard output")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_a_0600_key_whose_printed_public_key_verifies_its_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir, "", "");
    let printed = json(&kiosk(&config, &["keys", "init", "--json"]));
    let key_file = dir.path().join("keys/device.p8");
    assert_eq!(printed["path"], key_file.display().to_string());
    assert_eq!(mode(&key_file), 0o600);

    let signer = DeviceSigner::from_pkcs8(&std::fs::read(&key_file).unwrap()).expect("a PKCS#8 Ed25519 key");
    let public = DevicePublicKey::from_base64(printed["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(printed["key_id"], public.key_id().to_string());
    let signature = signer.sign(b"dossier 2026-000123");
    assert!(public.verify(b"dossier 2026-000123", &signature));
    assert!(!public.verify(b"dossier 2026-000124", &signature));

    let shown = json(&kiosk(&config, &["keys", "show", "--json"]));
    assert_eq!(shown, printed);
    let text = String::from_utf8(kiosk(&config, &["keys", "show"]).stdout).unwrap();
    assert!(text.contains(printed["public_key"].as_str().unwrap()), "{text}");
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir, "", "");
    let first = json(&kiosk(&config, &["keys", "init", "--json"]));
    let key_file = dir.path().join("keys/device.p8");
    let before = std::fs::read(&key_file).unwrap();

    let refused = kiosk(&config, &["keys", "init"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("already exists") && message.contains("--force"), "{message}");
    assert_eq!(std::fs::read(&key_file).unwrap(), before, "the key was not touched");

    let replaced = json(&kiosk(&config, &["keys", "init", "--force", "--json"]));
    assert_ne!(replaced["public_key"], first["public_key"]);
    assert_ne!(replaced["key_id"], first["key_id"]);
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(std::fs::read_dir(dir.path().join("keys")).unwrap().count(), 1, "no temporary file is left");
}

#[test]
fn show_without_a_key_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir, "", "");
    let output = kiosk(&config, &["keys", "show"]);
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("kiosk keys init"), "{message}");
}

#[test]
fn a_mistyped_backend_key_id_stops_the_kiosk_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(&dir, "backend_key_id = \"06180c89292d4615\"", "backend_key_id = \"06180c89292d4616\"");
    let output = kiosk(&config, &["keys", "show"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("keys.backend_key_id") && message.contains("06180c89292d4615"), "{message}");
}

/// The simulator seals to the TEST ONLY development key of `configs/dev-keys/`, whose secret opens
/// the packet: the later demo relies on this pair matching.
#[test]
fn the_development_backend_key_opens_what_the_simulator_configuration_seals() {
    let config = kiosk::config::Config::load(&repo("configs/kiosk.toml")).unwrap();
    let backend_public = config.keys.backend.as_ref().expect("the simulator configuration names a backend key");
    let secret = std::fs::read_to_string(repo("configs/dev-keys/backend-dev.x25519")).unwrap();
    let backend = BackendKeyPair::from_secret_base64(&secret).unwrap();
    assert_eq!(backend.public_key(), backend_public);

    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("device.p8");
    kiosk::keys::init_device_key(&key_file, false).unwrap();
    let signer = kiosk::keys::load_device_signer(&key_file).unwrap();
    let params = SealParams { packet_id: None, created_at: 1_796_000_000 };
    let packet = kiosk_packet::seal(&signer, backend_public, &params, b"manifest and files").unwrap();
    let opened = kiosk_packet::open(&[backend], &[signer.public_key()], &packet).unwrap();
    assert_eq!(&opened.payload[..], b"manifest and files");
}
