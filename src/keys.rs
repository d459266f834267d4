//! The kiosk's device key on disk: creating it (`kiosk keys init`), showing its public half
//! (`kiosk keys show`) and loading it to sign packets.
//!
//! The key is an Ed25519 PKCS#8 v2 document, written with mode 0600 through a temporary file and a
//! rename (or a hard link when it must not replace an existing key), so a power cut leaves either
//! no key or a whole key, never half of one.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use kiosk_packet::{BackendPublicKey, DevicePublicKey, DeviceSigner, KeyError, SealError, SealParams};
use serde::Serialize;
use zeroize::Zeroizing;

/// Why the device key could not be created or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// `keys init` without `--force` on an existing key.
    #[error(
        "{0} already exists; the kiosk keeps its device key. To replace it (the backend must then enrol the new public key), run `kiosk keys init --force`"
    )]
    Exists(PathBuf),
    /// No key file.
    #[error("there is no device key at {0}; create one with `kiosk keys init`")]
    Missing(PathBuf),
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}; check the path in keys.device_key and its permissions")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The key file exists but others may read it.
    #[error("{path} is readable by other users (mode {mode:03o}); run `chmod 600 {path}` and keep it secret")]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The configuration names no backend key, so nothing can be sealed.
    #[error(
        "no backend key is configured; set keys.backend_public_key and keys.backend_key_id as the backend publishes them"
    )]
    NoBackendKey,
    /// The key file is not a usable key.
    #[error("{path}: {source}")]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        source: KeyError,
    },
}

/// What `keys init` and `keys show` print.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceKeyInfo {
    /// The key file.
    pub path: PathBuf,
    /// Ed25519 public key, base64 of the raw 32 bytes: what the backend enrols.
    pub public_key: String,
    /// Key id (first 8 bytes of SHA-256 of the public key, hex), written into every packet header.
    pub key_id: String,
}

impl DeviceKeyInfo {
    fn of(path: &Path, public: &DevicePublicKey) -> DeviceKeyInfo {
        DeviceKeyInfo { path: path.to_owned(), public_key: public.to_base64(), key_id: public.key_id().to_string() }
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeysError {
    let path = path.to_owned();
    move |source| KeysError::Io { action, path, source }
}

/// Creates the device key at `path` (and its directory); refuses to replace an existing key unless
/// `force`.
pub fn init_device_key(path: &Path, force: bool) -> Result<DeviceKeyInfo, KeysError> {
    if !force && path.exists() {
        return Err(KeysError::Exists(path.to_owned()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io("create the directory", &dir))?;
    let pkcs8 =
        DeviceSigner::generate_pkcs8().map_err(|source| KeysError::Invalid { path: path.to_owned(), source })?;
    let signer =
        DeviceSigner::from_pkcs8(&pkcs8).map_err(|source| KeysError::Invalid { path: path.to_owned(), source })?;
    let temp = write_temp_key(&dir, path, &pkcs8)?;
    let placed = if force {
        fs::rename(&temp, path).map_err(io("replace", path))
    } else {
        // A hard link fails if the name exists, so a key created meanwhile is never replaced.
        let linked = fs::hard_link(&temp, path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeysError::Exists(path.to_owned()),
            _ => KeysError::Io { action: "write", path: path.to_owned(), source: e },
        });
        let _ = fs::remove_file(&temp);
        linked
    };
    if placed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    placed?;
    // Make the new name durable.
    if let Ok(handle) = fs::File::open(&dir) {
        let _ = handle.sync_all();
    }
    Ok(DeviceKeyInfo::of(path, &signer.public_key()))
}

/// Writes the key to a new, private temporary file beside `path` and returns its name.
fn write_temp_key(dir: &Path, path: &Path, pkcs8: &[u8]) -> Result<PathBuf, KeysError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "device.p8".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp).map_err(io("create", &temp))?;
    let written = file.write_all(pkcs8).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io("write", &temp)(e));
    }
    Ok(temp)
}

/// Reads the device key, refusing a file that other users can read.
pub fn load_device_signer(path: &Path) -> Result<DeviceSigner, KeysError> {
    let metadata = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => KeysError::Missing(path.to_owned()),
        _ => KeysError::Io { action: "read", path: path.to_owned(), source: e },
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeysError::TooOpen { path: path.to_owned(), mode });
    }
    let pkcs8 = Zeroizing::new(fs::read(path).map_err(io("read", path))?);
    DeviceSigner::from_pkcs8(&pkcs8).map_err(|source| KeysError::Invalid { path: path.to_owned(), source })
}

/// The public key and id of the existing device key.
pub fn show_device_key(path: &Path) -> Result<DeviceKeyInfo, KeysError> {
    Ok(DeviceKeyInfo::of(path, &load_device_signer(path)?.public_key()))
}

/// The two keys sealing needs, loaded once at start: the device key from its file and the backend
/// key from the configuration.
#[derive(Debug)]
pub struct SealingKeys {
    /// The device signing key.
    pub signer: DeviceSigner,
    /// The backend key packets are sealed to.
    pub backend: BackendPublicKey,
}

impl SealingKeys {
    /// Loads both keys named by the `[keys]` section.
    pub fn load(keys: &crate::config::KeysSection) -> Result<SealingKeys, KeysError> {
        let backend = keys.backend.clone().ok_or(KeysError::NoBackendKey)?;
        Ok(SealingKeys { signer: load_device_signer(&keys.device_key)?, backend })
    }

    /// Seals one dossier archive created at `created_at` (seconds since the Unix epoch) with a fresh
    /// random packet id.
    pub fn seal(&self, created_at: u64, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        kiosk_packet::seal(&self.signer, &self.backend, &SealParams { packet_id: None, created_at }, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_a_private_key_that_show_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/device.p8");
        let created = init_device_key(&path, false).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(show_device_key(&path).unwrap(), created);
        assert_eq!(created.key_id.len(), 16);
        // Nothing but the key is left in the directory.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn init_refuses_to_replace_a_key_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.p8");
        let first = init_device_key(&path, false).unwrap();
        assert!(matches!(init_device_key(&path, false), Err(KeysError::Exists(_))));
        assert_eq!(show_device_key(&path).unwrap(), first, "the refused init left the key alone");
        let second = init_device_key(&path, true).unwrap();
        assert_ne!(second.public_key, first.public_key);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn sealing_keys_need_both_keys_and_seal_to_the_configured_backend() {
        let dir = tempfile::tempdir().unwrap();
        let mut keys = crate::config::KeysSection { device_key: dir.path().join("device.p8"), ..Default::default() };
        init_device_key(&keys.device_key, false).unwrap();
        assert!(matches!(SealingKeys::load(&keys), Err(KeysError::NoBackendKey)));
        let backend = kiosk_packet::BackendKeyPair::generate().unwrap();
        keys.backend = Some(backend.public_key().clone());
        let sealing = SealingKeys::load(&keys).unwrap();
        let packet = sealing.seal(1_796_000_000, b"archive").unwrap();
        let header = kiosk_packet::peek_header(&packet).unwrap();
        assert_eq!(header.backend_key_id, backend.key_id());
        assert_eq!(header.device_key_id, sealing.signer.key_id());
        let opened = kiosk_packet::open(&[backend], &[sealing.signer.public_key()], &packet).unwrap();
        assert_eq!(&opened.payload[..], b"archive");
    }

    #[test]
    fn loading_refuses_missing_open_and_corrupt_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.p8");
        assert!(matches!(load_device_signer(&path), Err(KeysError::Missing(_))));
        init_device_key(&path, false).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_device_signer(&path).unwrap_err();
        assert!(error.to_string().contains("chmod 600"), "{error}");
        fs::write(&path, b"garbage").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(load_device_signer(&path), Err(KeysError::Invalid { .. })));
    }
}
