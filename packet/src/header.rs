//! The packet header: 96 bytes, fixed fields, big-endian (`docs/packet-format.md` §2).
//!
//! The header is the HPKE `aad`, so every byte of it is authenticated by the AEAD tag as well as by
//! the device signature.

use crate::hpke::{AEAD_AES_256_GCM, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256, TAG_LEN};
use crate::keys::{KeyId, SIGNATURE_LEN};

/// The first four bytes of every packet: "KPKT".
pub const MAGIC: [u8; 4] = *b"KPKT";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Signature algorithm code of Ed25519 (the TLS 1.3 SignatureScheme value, RFC 8446 §4.2.3).
pub const SIG_ED25519: u16 = 0x0807;
/// Length of the encoded header.
pub const HEADER_LEN: usize = 96;
/// Bytes a packet adds to its payload: header, AEAD tag, signature.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN + SIGNATURE_LEN;
/// The largest payload a packet may carry (1 GiB): far above any dossier, low enough that a forged
/// length cannot make an opener allocate without bound.
pub const MAX_PAYLOAD_LEN: u64 = 1 << 30;

/// Why bytes are not a packet header this crate can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer bytes than the header or than the length the header announces.
    #[error("the packet is truncated ({got} of {needed} bytes); the transfer was cut short, send it again")]
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        got: u64,
    },
    /// More bytes than the header announces.
    #[error("the packet has {got} bytes but its header announces {expected}; it was altered or joined to other data")]
    TrailingBytes {
        /// Bytes announced.
        expected: u64,
        /// Bytes present.
        got: u64,
    },
    /// Not a packet at all.
    #[error("not a sealed kiosk packet (bad magic); check that the right file was sent")]
    BadMagic,
    /// A format version this build does not know.
    #[error(
        "packet format version {0} is not supported (this build reads version {FORMAT_VERSION}); update the software"
    )]
    UnsupportedVersion(u16),
    /// Another HPKE suite.
    #[error("HPKE suite kem={kem:#06x} kdf={kdf:#06x} aead={aead:#06x} is not supported (only 0x0020/0x0001/0x0002)")]
    UnsupportedSuite {
        /// KEM id.
        kem: u16,
        /// KDF id.
        kdf: u16,
        /// AEAD id.
        aead: u16,
    },
    /// Another signature algorithm.
    #[error("signature algorithm {0:#06x} is not supported (only Ed25519, 0x0807)")]
    UnsupportedSignature(u16),
    /// The reserved field is not zero.
    #[error("the reserved header field is {0:#06x}, not zero; the packet was altered or comes from a newer format")]
    ReservedNotZero(u16),
    /// A payload length above [`MAX_PAYLOAD_LEN`].
    #[error("the payload length {0} exceeds the 1 GiB limit")]
    PayloadTooLarge(u64),
}

/// The decoded header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Id of the backend key the packet is sealed to.
    pub backend_key_id: KeyId,
    /// Id of the device key that signed it.
    pub device_key_id: KeyId,
    /// Random packet id, unique per packet (the outbox and backend deduplicate on it).
    pub packet_id: [u8; 16],
    /// Creation time, seconds since 1970-01-01T00:00:00Z.
    pub created_at: u64,
    /// Plaintext payload length in bytes.
    pub payload_len: u64,
    /// HPKE `enc`: the ephemeral X25519 public key.
    pub enc: [u8; 32],
}

impl Header {
    /// The 96-byte encoding.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4..6].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        out[6..8].copy_from_slice(&KEM_X25519_HKDF_SHA256.to_be_bytes());
        out[8..10].copy_from_slice(&KDF_HKDF_SHA256.to_be_bytes());
        out[10..12].copy_from_slice(&AEAD_AES_256_GCM.to_be_bytes());
        out[12..14].copy_from_slice(&SIG_ED25519.to_be_bytes());
        // 14..16 reserved, zero.
        out[16..24].copy_from_slice(&self.backend_key_id.0);
        out[24..32].copy_from_slice(&self.device_key_id.0);
        out[32..48].copy_from_slice(&self.packet_id);
        out[48..56].copy_from_slice(&self.created_at.to_be_bytes());
        out[56..64].copy_from_slice(&self.payload_len.to_be_bytes());
        out[64..96].copy_from_slice(&self.enc);
        out
    }

    /// Decodes and checks the first [`HEADER_LEN`] bytes of `bytes` (magic, version, suite,
    /// reserved field, payload limit). Does not look at what follows.
    pub fn decode(bytes: &[u8]) -> Result<Header, HeaderError> {
        let Some(h) = bytes.get(..HEADER_LEN) else {
            // Say "bad magic" early for bytes that are clearly something else.
            if bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
                return Err(HeaderError::BadMagic);
            }
            return Err(HeaderError::Truncated { needed: HEADER_LEN as u64, got: bytes.len() as u64 });
        };
        if h[0..4] != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let u16_at = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let version = u16_at(4);
        if version != FORMAT_VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let (kem, kdf, aead) = (u16_at(6), u16_at(8), u16_at(10));
        if (kem, kdf, aead) != (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM) {
            return Err(HeaderError::UnsupportedSuite { kem, kdf, aead });
        }
        let sig = u16_at(12);
        if sig != SIG_ED25519 {
            return Err(HeaderError::UnsupportedSignature(sig));
        }
        let reserved = u16_at(14);
        if reserved != 0 {
            return Err(HeaderError::ReservedNotZero(reserved));
        }
        let payload_len = u64_at(56);
        if payload_len > MAX_PAYLOAD_LEN {
            return Err(HeaderError::PayloadTooLarge(payload_len));
        }
        let mut header = Header {
            backend_key_id: KeyId([0; 8]),
            device_key_id: KeyId([0; 8]),
            packet_id: [0; 16],
            created_at: u64_at(48),
            payload_len,
            enc: [0; 32],
        };
        header.backend_key_id.0.copy_from_slice(&h[16..24]);
        header.device_key_id.0.copy_from_slice(&h[24..32]);
        header.packet_id.copy_from_slice(&h[32..48]);
        header.enc.copy_from_slice(&h[64..96]);
        Ok(header)
    }

    /// Length of the whole packet this header announces.
    pub fn packet_len(&self) -> u64 {
        self.payload_len + OVERHEAD as u64
    }

    /// The packet id as 32 lowercase hexadecimal digits.
    pub fn packet_id_hex(&self) -> String {
        self.packet_id.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Reads the header of a packet without decrypting it and checks that the packet has exactly the
/// length the header announces (for the outbox and the backend, to route by key id and packet id).
pub fn peek_header(packet: &[u8]) -> Result<Header, HeaderError> {
    let header = Header::decode(packet)?;
    let (expected, got) = (header.packet_len(), packet.len() as u64);
    if got < expected {
        return Err(HeaderError::Truncated { needed: expected, got });
    }
    if got > expected {
        return Err(HeaderError::TrailingBytes { expected, got });
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            backend_key_id: KeyId([1, 2, 3, 4, 5, 6, 7, 8]),
            device_key_id: KeyId([9, 10, 11, 12, 13, 14, 15, 16]),
            packet_id: [0xaa; 16],
            created_at: 1_790_000_000,
            payload_len: 3,
            enc: [0x55; 32],
        }
    }

    #[test]
    fn the_header_encodes_at_the_documented_offsets_and_decodes_back() {
        let bytes = sample().encode();
        assert_eq!(&bytes[0..16], b"KPKT\x00\x01\x00\x20\x00\x01\x00\x02\x08\x07\x00\x00");
        assert_eq!(&bytes[16..24], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&bytes[48..56], &1_790_000_000u64.to_be_bytes());
        assert_eq!(&bytes[56..64], &[0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(Header::decode(&bytes), Ok(sample()));
    }

    #[test]
    fn each_fixed_field_is_checked() {
        let good = sample().encode();
        let with = |i: usize, v: u8| {
            let mut b = good;
            b[i] = v;
            Header::decode(&b)
        };
        assert_eq!(with(0, b'X'), Err(HeaderError::BadMagic));
        assert_eq!(with(5, 2), Err(HeaderError::UnsupportedVersion(2)));
        assert!(matches!(with(11, 1), Err(HeaderError::UnsupportedSuite { aead: 1, .. })));
        assert_eq!(with(13, 0x08), Err(HeaderError::UnsupportedSignature(0x0808)));
        assert_eq!(with(15, 1), Err(HeaderError::ReservedNotZero(1)));
        assert_eq!(with(56, 1), Err(HeaderError::PayloadTooLarge(3 | 1 << 56)));
    }

    #[test]
    fn peek_header_insists_on_the_announced_length() {
        let mut packet = sample().encode().to_vec();
        packet.resize(HEADER_LEN + 3 + TAG_LEN + SIGNATURE_LEN, 0);
        assert_eq!(peek_header(&packet), Ok(sample()));
        packet.push(0);
        assert!(matches!(peek_header(&packet), Err(HeaderError::TrailingBytes { .. })));
        packet.truncate(packet.len() - 2);
        assert!(matches!(peek_header(&packet), Err(HeaderError::Truncated { .. })));
        assert!(matches!(peek_header(b"KPK"), Err(HeaderError::Truncated { needed: 96, got: 3 })));
        assert_eq!(peek_header(b"%PDF-1.7 and more"), Err(HeaderError::BadMagic));
    }
}
