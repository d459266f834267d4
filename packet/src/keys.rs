//! Keys: the kiosk's Ed25519 device key, the backend's X25519 key, and the key ids that name them.
//!
//! A key id is the first 8 bytes of SHA-256 over the raw 32-byte public key, so a new key always
//! gets a new id: rotating a key is enrolling the new public key beside the old one and switching
//! the kiosk over; packets sealed before carry the old id and still open.
//!
//! Text form of every key is standard base64 (RFC 4648 §4, with padding) of the raw 32 bytes; key
//! ids are 16 lowercase hexadecimal digits.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// Key problems: what is wrong with the key material given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The device key file is not a PKCS#8 Ed25519 key.
    #[error("the device key is not a PKCS#8 Ed25519 key ({0}); create a new one with `kiosk keys init --force`")]
    InvalidPkcs8(String),
    /// Text that should be base64 is not.
    #[error("the key is not valid base64; copy it again exactly as printed")]
    InvalidBase64,
    /// A key of the wrong size.
    #[error("the key is {got} bytes long, an X25519/Ed25519 key is 32; copy it again exactly as printed")]
    WrongLength {
        /// Bytes found.
        got: usize,
    },
    /// A key id that is not 16 hexadecimal digits.
    #[error("`{0}` is not a key id (16 hexadecimal digits)")]
    InvalidKeyId(String),
    /// The system random generator failed.
    #[error("the system random number generator failed; check the kernel entropy source and retry")]
    Random,
}

/// The id of a public key: the first 8 bytes of its SHA-256.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The id of a raw 32-byte public key.
    pub fn of_public_key(public_key: &[u8; 32]) -> KeyId {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest.as_ref()[..8]);
        KeyId(id)
    }

    /// Parses 16 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<KeyId, KeyError> {
        let invalid = || KeyError::InvalidKeyId(text.chars().take(40).collect());
        let text = text.trim();
        if text.len() != 16 || !text.is_ascii() {
            return Err(invalid());
        }
        let mut id = [0u8; 8];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(KeyId(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

fn decode_32(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| KeyError::InvalidBase64)?);
    <[u8; 32]>::try_from(&bytes[..]).map_err(|_| KeyError::WrongLength { got: bytes.len() })
}

/// The kiosk's signing key (Ed25519), loaded from its PKCS#8 v2 document.
///
/// ring keeps the expanded secret inside `Ed25519KeyPair` and does not wipe it on drop; the PKCS#8
/// bytes this type reads are wiped as soon as the key is parsed.
pub struct DeviceSigner {
    pair: Ed25519KeyPair,
    id: KeyId,
}

impl DeviceSigner {
    /// Generates a new device key and returns its PKCS#8 v2 document (to be written with mode 0600).
    pub fn generate_pkcs8() -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Random)?;
        Ok(Zeroizing::new(document.as_ref().to_vec()))
    }

    /// Reads a PKCS#8 (v1 or v2) Ed25519 key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceSigner, KeyError> {
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|e| KeyError::InvalidPkcs8(e.to_string()))?;
        Ok(DeviceSigner::from_pair(pair))
    }

    /// A signer from a fixed 32-byte seed: deterministic keys for tests and the worked example.
    pub fn from_seed(seed: &[u8; 32]) -> DeviceSigner {
        // A 32-byte seed is always accepted; the error branch cannot be taken.
        match Ed25519KeyPair::from_seed_unchecked(seed) {
            Ok(pair) => DeviceSigner::from_pair(pair),
            Err(_) => unreachable!("ring accepts every 32-byte Ed25519 seed"),
        }
    }

    fn from_pair(pair: Ed25519KeyPair) -> DeviceSigner {
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        DeviceSigner { pair, id: KeyId::of_public_key(&public) }
    }

    /// The public half, for enrolment at the backend.
    pub fn public_key(&self) -> DevicePublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        DevicePublicKey { bytes, id: self.id }
    }

    /// The key id written into packet headers.
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// Ed25519 signature (RFC 8032, pure) over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }
}

impl fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSigner").field("key_id", &self.id).finish_non_exhaustive()
    }
}

/// A kiosk's Ed25519 public key, as enrolled at the backend.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePublicKey {
    bytes: [u8; 32],
    id: KeyId,
}

impl DevicePublicKey {
    /// From the raw 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> DevicePublicKey {
        DevicePublicKey { bytes, id: KeyId::of_public_key(&bytes) }
    }

    /// From base64 text.
    pub fn from_base64(text: &str) -> Result<DevicePublicKey, KeyError> {
        Ok(DevicePublicKey::from_bytes(decode_32(text)?))
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Base64 text.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.bytes)
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.bytes).verify(message, signature).is_ok()
    }
}

impl fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePublicKey({})", self.id)
    }
}

/// The backend's X25519 public key, which packets are sealed to.
#[derive(Clone, PartialEq, Eq)]
pub struct BackendPublicKey {
    bytes: [u8; 32],
    id: KeyId,
}

impl BackendPublicKey {
    /// From the raw 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> BackendPublicKey {
        BackendPublicKey { bytes, id: KeyId::of_public_key(&bytes) }
    }

    /// From base64 text.
    pub fn from_base64(text: &str) -> Result<BackendPublicKey, KeyError> {
        Ok(BackendPublicKey::from_bytes(decode_32(text)?))
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Base64 text.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.bytes)
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.id
    }
}

impl fmt::Debug for BackendPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendPublicKey({})", self.id)
    }
}

/// The backend's X25519 key pair (opening side only). The secret is wiped on drop.
#[cfg(feature = "open")]
#[derive(Clone)]
pub struct BackendKeyPair {
    secret: x25519_dalek::StaticSecret,
    public: BackendPublicKey,
}

#[cfg(feature = "open")]
impl BackendKeyPair {
    /// A new random key pair.
    pub fn generate() -> Result<BackendKeyPair, KeyError> {
        use ring::rand::SecureRandom as _;
        let mut secret = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(&mut secret[..]).map_err(|_| KeyError::Random)?;
        Ok(BackendKeyPair::from_secret_bytes(*secret))
    }

    /// From the raw 32-byte X25519 secret (clamped by X25519 itself, RFC 7748 §5).
    pub fn from_secret_bytes(secret: [u8; 32]) -> BackendKeyPair {
        let secret = x25519_dalek::StaticSecret::from(secret);
        let public = BackendPublicKey::from_bytes(x25519_dalek::PublicKey::from(&secret).to_bytes());
        BackendKeyPair { secret, public }
    }

    /// From the base64 text of the secret (the format of `configs/dev-keys/*.x25519`).
    pub fn from_secret_base64(text: &str) -> Result<BackendKeyPair, KeyError> {
        Ok(BackendKeyPair::from_secret_bytes(decode_32(text)?))
    }

    /// The secret as base64 text, wiped when dropped.
    pub fn secret_base64(&self) -> Zeroizing<String> {
        let bytes = Zeroizing::new(self.secret.to_bytes());
        Zeroizing::new(BASE64.encode(&bytes[..]))
    }

    /// The public half.
    pub fn public_key(&self) -> &BackendPublicKey {
        &self.public
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.public.id
    }

    /// X25519(secret, their_public), or `None` for a non-contributory (all-zero) result, which
    /// RFC 9180 §7.1.4 requires the recipient to reject.
    pub(crate) fn diffie_hellman(&self, their_public: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
        let shared = self.secret.diffie_hellman(&x25519_dalek::PublicKey::from(*their_public));
        shared.was_contributory().then(|| Zeroizing::new(shared.to_bytes()))
    }
}

#[cfg(feature = "open")]
impl fmt::Debug for BackendKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendKeyPair({}, secret redacted)", self.public.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_round_trip_through_hex_and_reject_bad_text() {
        let id = KeyId([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        assert_eq!(id.to_string(), "0123456789abcdef");
        assert_eq!(KeyId::from_hex("0123456789ABCDEF"), Ok(id));
        for bad in ["", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", "ééééééééé"] {
            assert!(KeyId::from_hex(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_device_key_signs_and_its_public_key_verifies() {
        let pkcs8 = DeviceSigner::generate_pkcs8().unwrap();
        let signer = DeviceSigner::from_pkcs8(&pkcs8).unwrap();
        let public = DevicePublicKey::from_base64(&signer.public_key().to_base64()).unwrap();
        assert_eq!(public.key_id(), signer.key_id());
        let signature = signer.sign(b"message");
        assert!(public.verify(b"message", &signature));
        assert!(!public.verify(b"messagf", &signature));
        let other = DeviceSigner::from_pkcs8(&DeviceSigner::generate_pkcs8().unwrap()).unwrap();
        assert_ne!(other.key_id(), signer.key_id(), "a new key is a new id");
    }

    #[test]
    fn bad_key_material_is_rejected_with_a_reason() {
        assert!(matches!(DeviceSigner::from_pkcs8(b"not a key"), Err(KeyError::InvalidPkcs8(_))));
        assert_eq!(BackendPublicKey::from_base64("@@@").unwrap_err(), KeyError::InvalidBase64);
        assert_eq!(BackendPublicKey::from_base64("AAAA").unwrap_err(), KeyError::WrongLength { got: 3 });
    }

    #[test]
    fn debug_output_shows_ids_not_secrets() {
        let signer = DeviceSigner::from_seed(&[7; 32]);
        let text = format!("{signer:?}");
        assert!(text.contains(&signer.key_id().to_string()), "{text}");
        assert!(!text.contains("0707"), "{text}");
    }

    #[cfg(feature = "open")]
    #[test]
    fn backend_secret_round_trips_through_base64() {
        let pair = BackendKeyPair::generate().unwrap();
        let again = BackendKeyPair::from_secret_base64(&pair.secret_base64()).unwrap();
        assert_eq!(again.public_key(), pair.public_key());
        assert!(!format!("{pair:?}").contains(pair.secret_base64().as_str()));
    }
}
