//! Sealing (kiosk side, `ring` only): HPKE base mode to the backend key, then the device signature.

use ring::agreement;
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::INFO;
use crate::header::{HEADER_LEN, Header, MAX_PAYLOAD_LEN, OVERHEAD};
use crate::hpke::{AEAD_AES_256_GCM, KeySchedule, kem_shared_secret};
use crate::keys::{BackendPublicKey, DeviceSigner};

/// What the caller decides about a packet besides its payload.
#[derive(Debug, Clone, Default)]
pub struct SealParams {
    /// The packet id; `None` draws 16 random bytes (the normal case).
    pub packet_id: Option<[u8; 16]>,
    /// Creation time, seconds since 1970-01-01T00:00:00Z (the kiosk's clock).
    pub created_at: u64,
}

/// Why a packet could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The payload exceeds [`MAX_PAYLOAD_LEN`].
    #[error("the payload is {0} bytes, more than the 1 GiB a packet may carry; split the dossier")]
    PayloadTooLarge(usize),
    /// The system random generator failed.
    #[error("the system random number generator failed; check the kernel entropy source and retry")]
    Random,
    /// The configured backend key is unusable for X25519 (a low-order point).
    #[error("the configured backend public key is not a usable X25519 key; check keys.backend_public_key")]
    BadBackendKey,
    /// The AEAD refused (never expected with a valid key).
    #[error("encryption failed; retry, and report it to the maintainers if it persists")]
    Encryption,
}

/// Seals `payload` to `backend` and signs the packet with `signer`.
///
/// Layout: `header (96) ‖ AES-256-GCM ciphertext ‖ tag (16) ‖ Ed25519 signature (64)`; the header
/// is the AEAD's `aad`, the signature covers header ‖ ciphertext ‖ tag (`docs/packet-format.md`).
pub fn seal(
    signer: &DeviceSigner,
    backend: &BackendPublicKey,
    params: &SealParams,
    payload: &[u8],
) -> Result<Vec<u8>, SealError> {
    let rng = SystemRandom::new();
    let packet_id = match params.packet_id {
        Some(id) => id,
        None => {
            let mut id = [0u8; 16];
            rng.fill(&mut id).map_err(|_| SealError::Random)?;
            id
        }
    };
    // RFC 9180 §4.1 Encap: a fresh ephemeral key per packet; ring rejects an all-zero X25519 output.
    let ephemeral =
        agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).map_err(|_| SealError::Random)?;
    let public = ephemeral.compute_public_key().map_err(|_| SealError::Random)?;
    let mut enc = [0u8; 32];
    enc.copy_from_slice(public.as_ref());
    let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, backend.as_bytes());
    agreement::agree_ephemeral(ephemeral, &peer, |dh| {
        seal_with_dh(signer, backend, params, packet_id, enc, dh, payload)
    })
    .map_err(|_| SealError::BadBackendKey)?
}

/// Everything after the Diffie-Hellman step; shared with the deterministic test sealer.
pub(crate) fn seal_with_dh(
    signer: &DeviceSigner,
    backend: &BackendPublicKey,
    params: &SealParams,
    packet_id: [u8; 16],
    enc: [u8; 32],
    dh: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, SealError> {
    if payload.len() as u64 > MAX_PAYLOAD_LEN {
        return Err(SealError::PayloadTooLarge(payload.len()));
    }
    let header = Header {
        backend_key_id: backend.key_id(),
        device_key_id: signer.key_id(),
        packet_id,
        created_at: params.created_at,
        payload_len: payload.len() as u64,
        enc,
    };
    let shared = kem_shared_secret(dh, &enc, backend.as_bytes());
    let schedule = KeySchedule::base(AEAD_AES_256_GCM, &shared[..], INFO).ok_or(SealError::Encryption)?;
    let mut packet = Vec::with_capacity(payload.len() + OVERHEAD);
    packet.extend_from_slice(&header.encode());
    packet.extend_from_slice(payload);
    let (aad, body) = packet.split_at_mut(HEADER_LEN);
    // Single-shot HPKE: the only message of the context, sequence number 0.
    let tag = schedule.seal_in_place(0, aad, body).map_err(|_| SealError::Encryption)?;
    packet.extend_from_slice(&tag);
    let signature = signer.sign(&packet);
    packet.extend_from_slice(&signature);
    Ok(packet)
}

/// Seals with a fixed ephemeral secret: reproducible packets for tests and the worked example in
/// `docs/packet-format.md`. Never for real packets (a fixed ephemeral key is a fixed AEAD key).
#[cfg(all(test, feature = "open"))]
pub(crate) fn seal_deterministic(
    signer: &DeviceSigner,
    backend: &BackendPublicKey,
    params: &SealParams,
    ephemeral_secret: [u8; 32],
    payload: &[u8],
) -> Result<Vec<u8>, SealError> {
    let secret = x25519_dalek::StaticSecret::from(ephemeral_secret);
    let enc = x25519_dalek::PublicKey::from(&secret).to_bytes();
    let dh = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*backend.as_bytes()));
    seal_with_dh(signer, backend, params, params.packet_id.unwrap_or([0; 16]), enc, dh.as_bytes(), payload)
}
