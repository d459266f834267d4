//! The parts of HPKE (RFC 9180) the packet needs, on `ring` primitives: DHKEM(X25519, HKDF-SHA256)
//! shared-secret derivation (§4.1), the base-mode key schedule (§5.1) and the single-shot AEAD with
//! the per-message nonce (§5.2).
//!
//! The functions take the AEAD as a parameter so that the RFC 9180 test vectors of the X25519 suites
//! (AES-128-GCM, ChaCha20-Poly1305) exercise the very same code the packet runs with AES-256-GCM.

use ring::{aead, hkdf, hmac};
use zeroize::Zeroizing;

/// RFC 9180 §7.1: DHKEM(X25519, HKDF-SHA256).
pub const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
/// RFC 9180 §7.2: HKDF-SHA256.
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// RFC 9180 §7.3: AES-128-GCM (test vectors only).
pub const AEAD_AES_128_GCM: u16 = 0x0001;
/// RFC 9180 §7.3: AES-256-GCM (the packet's AEAD).
pub const AEAD_AES_256_GCM: u16 = 0x0002;
/// RFC 9180 §7.3: ChaCha20-Poly1305 (test vectors only).
pub const AEAD_CHACHA20_POLY1305: u16 = 0x0003;

/// RFC 9180 §5.1: mode_base.
const MODE_BASE: u8 = 0x00;
/// RFC 9180 §4: the version label in every LabeledExtract/LabeledExpand.
const VERSION_LABEL: &[u8] = b"HPKE-v1";
/// Nh of HKDF-SHA256, Nsecret of DHKEM(X25519, HKDF-SHA256).
pub const HASH_LEN: usize = 32;
/// Nn of every AEAD in RFC 9180.
pub const NONCE_LEN: usize = 12;
/// Nt of every AEAD in RFC 9180.
pub const TAG_LEN: usize = 16;

/// `suite_id` of the KEM (RFC 9180 §4.1): "KEM" ‖ I2OSP(kem_id, 2).
fn kem_suite_id() -> [u8; 5] {
    let id = KEM_X25519_HKDF_SHA256.to_be_bytes();
    [b'K', b'E', b'M', id[0], id[1]]
}

/// `suite_id` of the whole suite (RFC 9180 §5.1): "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id.
fn hpke_suite_id(aead_id: u16) -> [u8; 10] {
    let mut id = [0u8; 10];
    id[..4].copy_from_slice(b"HPKE");
    id[4..6].copy_from_slice(&KEM_X25519_HKDF_SHA256.to_be_bytes());
    id[6..8].copy_from_slice(&KDF_HKDF_SHA256.to_be_bytes());
    id[8..10].copy_from_slice(&aead_id.to_be_bytes());
    id
}

/// LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
/// HKDF-Extract is HMAC-SHA256 keyed with the salt (RFC 5869 §2.2); ring keeps its own `Prk`
/// opaque, so HMAC is used directly to get the bytes `info_hash` and `psk_id_hash` need.
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; HASH_LEN]> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, salt);
    let mut context = hmac::Context::with_key(&key);
    for part in [VERSION_LABEL, suite_id, label, ikm] {
        context.update(part);
    }
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    out.copy_from_slice(context.sign().as_ref());
    out
}

/// An output length for `ring::hkdf`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖
/// info, L). `out.len()` is L; every L used here is far below the 255·Nh limit.
fn labeled_expand(suite_id: &[u8], prk: &[u8], label: &[u8], info: &[u8], out: &mut [u8]) {
    let length = u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes();
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    let parts = [&length[..], VERSION_LABEL, suite_id, label, info];
    // Expand fails only for L > 255·Nh, which the fixed sizes here never reach.
    let filled = prk.expand(&parts, Len(out.len())).and_then(|okm| okm.fill(out));
    debug_assert!(filled.is_ok(), "HKDF-Expand of {} bytes", out.len());
}

/// DHKEM ExtractAndExpand (RFC 9180 §4.1): the KEM shared secret from the X25519 output and the
/// KEM context `enc ‖ pkR`.
pub fn kem_shared_secret(dh: &[u8], enc: &[u8; 32], recipient_public: &[u8; 32]) -> Zeroizing<[u8; HASH_LEN]> {
    let suite = kem_suite_id();
    let eae_prk = labeled_extract(&suite, b"", b"eae_prk", dh);
    let mut kem_context = [0u8; 64];
    kem_context[..32].copy_from_slice(enc);
    kem_context[32..].copy_from_slice(recipient_public);
    let mut shared = Zeroizing::new([0u8; HASH_LEN]);
    labeled_expand(&suite, &eae_prk[..], b"shared_secret", &kem_context, &mut shared[..]);
    shared
}

/// DeriveKeyPair's secret half for X25519 (RFC 9180 §7.1.3): the test vectors give `ikmR`.
#[cfg(all(test, feature = "open"))]
pub fn derive_x25519_secret(ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let suite = kem_suite_id();
    let dkp_prk = labeled_extract(&suite, b"", b"dkp_prk", ikm);
    let mut secret = Zeroizing::new([0u8; 32]);
    labeled_expand(&suite, &dkp_prk[..], b"sk", b"", &mut secret[..]);
    secret
}

/// The result of the base-mode key schedule (RFC 9180 §5.1).
pub struct KeySchedule {
    aead_id: u16,
    /// The AEAD key (Nk bytes).
    pub key: Zeroizing<Vec<u8>>,
    /// The base nonce; message `seq` uses `base_nonce XOR I2OSP(seq, Nn)`.
    pub base_nonce: [u8; NONCE_LEN],
    /// The exporter secret: the packet exports nothing, the test vectors check it.
    #[cfg(all(test, feature = "open"))]
    pub exporter_secret: Zeroizing<[u8; HASH_LEN]>,
}

/// Errors of the AEAD step. Deliberately without detail: a failed open says nothing about why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AeadFailure;

impl KeySchedule {
    /// KeyScheduleS/R in mode_base, no PSK: `aead_id` picks Nk and the suite id.
    pub fn base(aead_id: u16, shared_secret: &[u8], info: &[u8]) -> Option<KeySchedule> {
        let key_len = match aead_id {
            AEAD_AES_128_GCM => 16,
            AEAD_AES_256_GCM | AEAD_CHACHA20_POLY1305 => 32,
            _ => return None,
        };
        let suite = hpke_suite_id(aead_id);
        let psk_id_hash = labeled_extract(&suite, b"", b"psk_id_hash", b"");
        let info_hash = labeled_extract(&suite, b"", b"info_hash", info);
        let mut context = [0u8; 1 + 2 * HASH_LEN];
        context[0] = MODE_BASE;
        context[1..1 + HASH_LEN].copy_from_slice(&psk_id_hash[..]);
        context[1 + HASH_LEN..].copy_from_slice(&info_hash[..]);
        // psk = default_psk = "" in mode_base.
        let secret = labeled_extract(&suite, shared_secret, b"secret", b"");
        let mut key = Zeroizing::new(vec![0u8; key_len]);
        labeled_expand(&suite, &secret[..], b"key", &context, &mut key);
        let mut base_nonce = [0u8; NONCE_LEN];
        labeled_expand(&suite, &secret[..], b"base_nonce", &context, &mut base_nonce);
        #[cfg(all(test, feature = "open"))]
        let exporter_secret = {
            let mut exporter_secret = Zeroizing::new([0u8; HASH_LEN]);
            labeled_expand(&suite, &secret[..], b"exp", &context, &mut exporter_secret[..]);
            exporter_secret
        };
        Some(KeySchedule {
            aead_id,
            key,
            base_nonce,
            #[cfg(all(test, feature = "open"))]
            exporter_secret,
        })
    }

    /// ComputeNonce(seq) (RFC 9180 §5.2).
    pub fn nonce(&self, seq: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    fn aead_key(&self) -> Result<aead::LessSafeKey, AeadFailure> {
        let algorithm = match self.aead_id {
            AEAD_AES_128_GCM => &aead::AES_128_GCM,
            AEAD_AES_256_GCM => &aead::AES_256_GCM,
            AEAD_CHACHA20_POLY1305 => &aead::CHACHA20_POLY1305,
            _ => return Err(AeadFailure),
        };
        let key = aead::UnboundKey::new(algorithm, &self.key).map_err(|_| AeadFailure)?;
        Ok(aead::LessSafeKey::new(key))
    }

    /// Seals `in_out` in place as message `seq` and returns the tag.
    pub fn seal_in_place(&self, seq: u64, aad: &[u8], in_out: &mut [u8]) -> Result<[u8; TAG_LEN], AeadFailure> {
        let nonce = aead::Nonce::assume_unique_for_key(self.nonce(seq));
        let tag = self
            .aead_key()?
            .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), in_out)
            .map_err(|_| AeadFailure)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    #[cfg(feature = "open")]
    /// Opens `ciphertext ‖ tag` in place as message `seq`; returns the plaintext's length.
    pub fn open_in_place(&self, seq: u64, aad: &[u8], in_out: &mut [u8]) -> Result<usize, AeadFailure> {
        let nonce = aead::Nonce::assume_unique_for_key(self.nonce(seq));
        let plain = self.aead_key()?.open_in_place(nonce, aead::Aad::from(aad), in_out).map_err(|_| AeadFailure)?;
        Ok(plain.len())
    }
}
