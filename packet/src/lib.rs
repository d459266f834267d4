//! The sealed packet of the intake kiosk: what the kiosk uploads and the backend opens.
//!
//! A packet is `header ‖ ciphertext ‖ tag ‖ signature`:
//! HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM to the
//! backend's public key, with the 96-byte header as the AEAD's associated data, then an Ed25519
//! signature of the kiosk's device key over everything before it. `docs/packet-format.md`
//! describes it byte for byte.
//!
//! Features:
//! - (always) [`seal`], [`peek_header`], key types: `ring` only, for the kiosk.
//! - `open`: [`open`] and [`BackendKeyPair`], for the backend, the demo and tests. It needs
//!   `x25519-dalek` because `ring` has no static X25519 keys.
#![warn(missing_docs)]

mod header;
mod hpke;
mod keys;
#[cfg(feature = "open")]
mod open;
mod seal;

pub use header::{FORMAT_VERSION, HEADER_LEN, Header, HeaderError, MAGIC, MAX_PAYLOAD_LEN, OVERHEAD, peek_header};
#[cfg(feature = "open")]
pub use keys::BackendKeyPair;
pub use keys::{BackendPublicKey, DevicePublicKey, DeviceSigner, KeyError, KeyId, SIGNATURE_LEN};
#[cfg(feature = "open")]
pub use open::{OpenError, OpenedPacket, open};
pub use seal::{SealError, SealParams, seal};

/// The HPKE `info` of every packet of format version 1 (RFC 9180 §5.1): binds the keys to this use.
pub const INFO: &[u8] = b"intake-kiosk sealed packet v1";
