//! Opening (backend side, feature `open`): check the device signature first, then decrypt.

use std::fmt;

use zeroize::Zeroizing;

use crate::INFO;
use crate::header::{HEADER_LEN, Header, HeaderError, peek_header};
use crate::hpke::{AEAD_AES_256_GCM, KeySchedule, kem_shared_secret};
use crate::keys::{BackendKeyPair, DevicePublicKey, KeyId, SIGNATURE_LEN};

/// Why a packet was not opened. None of these reveal anything about the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The header is unreadable or the length does not match it.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// Sealed to a backend key this opener does not hold.
    #[error(
        "the packet is sealed to backend key {0}, which this backend does not hold; load that key (rotation keeps old keys)"
    )]
    UnknownBackendKey(KeyId),
    /// Signed by a device key that is not enrolled.
    #[error(
        "the packet is signed by device key {0}, which is not enrolled; enrol the kiosk's public key (`kiosk keys show`)"
    )]
    UnknownDevice(KeyId),
    /// The signature does not verify: altered in transit or forged.
    #[error("the device signature is invalid: the packet was altered or not made by the enrolled kiosk; reject it")]
    SignatureInvalid,
    /// The ephemeral key gives an all-zero X25519 output (RFC 9180 §7.1.4).
    #[error("the packet's ephemeral key is invalid; reject it")]
    InvalidEphemeralKey,
    /// The AEAD tag does not verify.
    #[error("decryption failed: the packet was not sealed to this backend key or was altered; reject it")]
    DecryptionFailed,
}

/// An opened packet. The payload holds personal data: it is wiped on drop and never printed.
pub struct OpenedPacket {
    /// The authenticated header.
    pub header: Header,
    /// The plaintext payload (the dossier archive).
    pub payload: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for OpenedPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedPacket")
            .field("header", &self.header)
            .field("payload", &format_args!("<{} bytes redacted>", self.payload.len()))
            .finish()
    }
}

/// Opens `packet` with whichever of `backend_keys` it is sealed to, after checking its signature
/// against the enrolled key among `devices` that the header names.
pub fn open(
    backend_keys: &[BackendKeyPair],
    devices: &[DevicePublicKey],
    packet: &[u8],
) -> Result<OpenedPacket, OpenError> {
    let header = peek_header(packet)?;
    let backend = backend_keys
        .iter()
        .find(|k| k.key_id() == header.backend_key_id)
        .ok_or(OpenError::UnknownBackendKey(header.backend_key_id))?;
    let device = devices
        .iter()
        .find(|d| d.key_id() == header.device_key_id)
        .ok_or(OpenError::UnknownDevice(header.device_key_id))?;
    // The signature first: nothing unauthenticated reaches the KEM or the AEAD.
    let (signed, signature) = packet.split_at(packet.len() - SIGNATURE_LEN);
    if !device.verify(signed, signature) {
        return Err(OpenError::SignatureInvalid);
    }
    let dh = backend.diffie_hellman(&header.enc).ok_or(OpenError::InvalidEphemeralKey)?;
    let shared = kem_shared_secret(&dh[..], &header.enc, backend.public_key().as_bytes());
    let schedule = KeySchedule::base(AEAD_AES_256_GCM, &shared[..], INFO).ok_or(OpenError::DecryptionFailed)?;
    let (aad, sealed) = signed.split_at(HEADER_LEN);
    let mut body = Zeroizing::new(sealed.to_vec());
    let len = schedule.open_in_place(0, aad, &mut body).map_err(|_| OpenError::DecryptionFailed)?;
    body.truncate(len);
    Ok(OpenedPacket { header, payload: body })
}

#[cfg(test)]
mod tests;
