//! Opening-side tests: RFC 9180 vectors, round trips, tampering, truncation, garbage.

use super::*;
use crate::header::{MAX_PAYLOAD_LEN, OVERHEAD};
use crate::hpke::{self, TAG_LEN};
use crate::keys::DeviceSigner;
use crate::seal::{SealParams, seal, seal_deterministic};

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit")).collect()
}

fn hex32(text: &str) -> [u8; 32] {
    hex(text).try_into().expect("32 bytes")
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vectors() -> serde_json::Value {
    let text = include_str!("../../tests/data/hpke-vectors.json");
    serde_json::from_str(text).expect("the vector file is JSON")
}

fn field(v: &serde_json::Value, name: &str) -> Vec<u8> {
    hex(v[name].as_str().unwrap_or_else(|| panic!("vector field {name}")))
}

/// The receiver's side of RFC 9180 A.1.1 / A.2.1: DeriveKeyPair, Decap, KeySchedule, Open, and
/// Seal with the same context gives the published ciphertexts.
#[test]
fn rfc9180_x25519_vectors_open_on_the_receiving_side() {
    let all = vectors();
    for name in ["rfc9180_x25519_aes128gcm", "rfc9180_x25519_chacha20poly1305"] {
        let v = &all[name];
        let sk_r = hpke::derive_x25519_secret(&field(v, "ikmR"));
        assert_eq!(to_hex(&sk_r[..]), v["skRm"].as_str().unwrap(), "{name}: DeriveKeyPair(ikmR)");
        let sk_e = hpke::derive_x25519_secret(&field(v, "ikmE"));
        assert_eq!(to_hex(&sk_e[..]), v["skEm"].as_str().unwrap(), "{name}: DeriveKeyPair(ikmE)");
        let recipient = BackendKeyPair::from_secret_bytes(*sk_r);
        assert_eq!(to_hex(recipient.public_key().as_bytes()), v["pkRm"].as_str().unwrap(), "{name}: pkR");
        let enc = hex32(v["enc"].as_str().unwrap());
        let dh = recipient.diffie_hellman(&enc).expect("contributory");
        let shared = kem_shared_secret(&dh[..], &enc, recipient.public_key().as_bytes());
        assert_eq!(to_hex(&shared[..]), v["shared_secret"].as_str().unwrap(), "{name}: Decap");
        let aead_id = v["aead_id"].as_u64().unwrap() as u16;
        let schedule = KeySchedule::base(aead_id, &shared[..], &field(v, "info")).unwrap();
        assert_eq!(to_hex(&schedule.key), v["key"].as_str().unwrap(), "{name}: key");
        assert_eq!(to_hex(&schedule.base_nonce), v["base_nonce"].as_str().unwrap(), "{name}: base_nonce");
        assert_eq!(to_hex(&schedule.exporter_secret[..]), v["exporter_secret"].as_str().unwrap(), "{name}: exp");
        let encryptions = v["encryptions"].as_array().unwrap();
        assert!(encryptions.len() >= 2);
        for e in encryptions {
            let seq = e["seq"].as_u64().unwrap();
            assert_eq!(to_hex(&schedule.nonce(seq)), e["nonce"].as_str().unwrap(), "{name}: nonce {seq}");
            let mut buffer = field(e, "ct");
            let len = schedule.open_in_place(seq, &field(e, "aad"), &mut buffer).expect("vector opens");
            assert_eq!(&buffer[..len], &field(e, "pt")[..], "{name}: open {seq}");
            let mut sealed = field(e, "pt");
            let tag = schedule.seal_in_place(seq, &field(e, "aad"), &mut sealed).unwrap();
            sealed.extend_from_slice(&tag);
            assert_eq!(sealed, field(e, "ct"), "{name}: seal {seq}");
            // The wrong sequence number must not open.
            let mut again = field(e, "ct");
            assert!(schedule.open_in_place(seq + 1, &field(e, "aad"), &mut again).is_err());
        }
    }
}

/// The packet's exact suite (X25519, HKDF-SHA256, AES-256-GCM) against BoringSSL's vector.
#[test]
fn boringssl_x25519_aes256gcm_vector_matches_our_key_schedule_and_aead() {
    let v = &vectors()["tink_x25519_aes256gcm"];
    let recipient = hex32(v["pkRm"].as_str().unwrap());
    let ephemeral = x25519_dalek::StaticSecret::from(hex32(v["skEm"].as_str().unwrap()));
    let enc = x25519_dalek::PublicKey::from(&ephemeral).to_bytes();
    let dh = ephemeral.diffie_hellman(&x25519_dalek::PublicKey::from(recipient));
    let shared = kem_shared_secret(dh.as_bytes(), &enc, &recipient);
    let schedule = KeySchedule::base(AEAD_AES_256_GCM, &shared[..], &field(v, "info")).unwrap();
    assert_eq!(schedule.key.len(), 32);
    let e = &v["encryptions"][0];
    let mut sealed = field(e, "pt");
    let tag = schedule.seal_in_place(0, &field(e, "aad"), &mut sealed).unwrap();
    sealed.extend_from_slice(&tag);
    assert_eq!(to_hex(&sealed), e["ct"].as_str().unwrap());
    let mut opened = field(e, "ct");
    let len = schedule.open_in_place(0, &field(e, "aad"), &mut opened).unwrap();
    assert_eq!(&opened[..len], &field(e, "pt")[..]);
}

struct Fixture {
    device: DeviceSigner,
    backend: BackendKeyPair,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { device: DeviceSigner::from_seed(&[0x42; 32]), backend: BackendKeyPair::from_secret_bytes([0x11; 32]) }
    }

    fn seal(&self, payload: &[u8]) -> Vec<u8> {
        let params = SealParams { packet_id: None, created_at: 1_796_000_000 };
        seal(&self.device, self.backend.public_key(), &params, payload).expect("seals")
    }

    fn open(&self, packet: &[u8]) -> Result<OpenedPacket, OpenError> {
        open(std::slice::from_ref(&self.backend), &[self.device.public_key()], packet)
    }
}

#[test]
fn seal_then_open_round_trips_empty_one_byte_and_3_mb() {
    let f = Fixture::new();
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    for payload in [&b""[..], &b"x"[..], &big[..]] {
        let packet = f.seal(payload);
        assert_eq!(packet.len(), payload.len() + OVERHEAD);
        if payload.len() > 64 {
            assert!(!packet.windows(64).any(|w| w == &payload[..64]), "the payload is not in clear");
        }
        let opened = f.open(&packet).expect("opens");
        assert_eq!(&opened.payload[..], payload);
        assert_eq!(opened.header.payload_len, payload.len() as u64);
        assert_eq!(opened.header.created_at, 1_796_000_000);
        assert_eq!(opened.header.device_key_id, f.device.key_id());
        assert_eq!(opened.header.backend_key_id, f.backend.key_id());
        assert_eq!(peek_header(&packet).unwrap(), opened.header);
    }
    assert_ne!(f.seal(b"same").as_slice(), f.seal(b"same").as_slice(), "fresh ephemeral key and packet id");
}

#[test]
fn every_flipped_bit_is_rejected() {
    let f = Fixture::new();
    let packet = f.seal(b"dossier");
    let sig_start = packet.len() - SIGNATURE_LEN;
    for bit in 0..packet.len() * 8 {
        let mut bad = packet.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let error = f.open(&bad).expect_err(&format!("bit {bit} flipped still opens"));
        let byte = bit / 8;
        // Past the fixed fields and ids, tampering can only show as a bad signature.
        if (32..HEADER_LEN).contains(&byte) && !(56..64).contains(&byte) || byte >= HEADER_LEN {
            assert_eq!(error, OpenError::SignatureInvalid, "bit {bit} (byte {byte}, signature from {sig_start})");
        }
    }
}

#[test]
fn the_header_is_authenticated_by_the_aead_too() {
    // Even the holder of the device key cannot move a ciphertext under another header.
    let f = Fixture::new();
    let mut packet = f.seal(b"dossier");
    packet[55] ^= 1; // created_at
    packet.truncate(packet.len() - SIGNATURE_LEN);
    let signature = f.device.sign(&packet);
    packet.extend_from_slice(&signature);
    assert_eq!(f.open(&packet).unwrap_err(), OpenError::DecryptionFailed);
}

#[test]
fn wrong_backend_key_and_unknown_device_are_named() {
    let f = Fixture::new();
    let packet = f.seal(b"dossier");
    let other = BackendKeyPair::from_secret_bytes([0x12; 32]);
    let result = open(std::slice::from_ref(&other), &[f.device.public_key()], &packet);
    assert_eq!(result.unwrap_err(), OpenError::UnknownBackendKey(f.backend.key_id()));
    let stranger = DeviceSigner::from_seed(&[0x43; 32]).public_key();
    let result = open(std::slice::from_ref(&f.backend), &[stranger], &packet);
    assert_eq!(result.unwrap_err(), OpenError::UnknownDevice(f.device.key_id()));
    // A packet signed by another kiosk whose key is enrolled under the first kiosk's id cannot
    // exist (ids are derived), but a forged header naming the enrolled kiosk fails its signature.
    let impostor = DeviceSigner::from_seed(&[0x44; 32]);
    let mut forged = seal(&impostor, f.backend.public_key(), &SealParams::default(), b"x").unwrap();
    forged[24..32].copy_from_slice(&f.device.key_id().0);
    assert_eq!(f.open(&forged).unwrap_err(), OpenError::SignatureInvalid);
}

#[test]
fn rotated_backend_keys_open_old_and_new_packets() {
    let f = Fixture::new();
    let new = BackendKeyPair::from_secret_bytes([0x13; 32]);
    let old_packet = f.seal(b"old");
    let new_packet = seal(&f.device, new.public_key(), &SealParams::default(), b"new").unwrap();
    let keyring = [new.clone(), f.backend.clone()];
    let devices = [f.device.public_key()];
    assert_eq!(&open(&keyring, &devices, &old_packet).unwrap().payload[..], b"old");
    assert_eq!(&open(&keyring, &devices, &new_packet).unwrap().payload[..], b"new");
}

#[test]
fn every_truncation_is_rejected_as_truncated() {
    let f = Fixture::new();
    let packet = f.seal(b"a small dossier");
    for len in 0..packet.len() {
        match f.open(&packet[..len]) {
            Err(OpenError::Header(HeaderError::Truncated { got, .. })) => assert_eq!(got, len as u64),
            other => panic!("{len} bytes: {other:?}"),
        }
    }
    let mut longer = packet.clone();
    longer.push(0);
    assert!(matches!(f.open(&longer), Err(OpenError::Header(HeaderError::TrailingBytes { .. }))));
}

#[test]
fn random_garbage_is_rejected_without_panic() {
    let f = Fixture::new();
    let valid_header = &f.seal(b"0123456789")[..HEADER_LEN];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..2000 {
        let len = (next() % 400) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Half of the rounds start with a valid header, so the checks behind it are reached too.
        if round % 2 == 0 && len >= HEADER_LEN {
            bytes[..HEADER_LEN].copy_from_slice(valid_header);
        }
        assert!(f.open(&bytes).is_err(), "round {round}");
        let _ = peek_header(&bytes);
    }
    // A header announcing the maximum payload over a short body: refused, no allocation.
    let mut huge = valid_header.to_vec();
    huge[56..64].copy_from_slice(&MAX_PAYLOAD_LEN.to_be_bytes());
    assert!(matches!(f.open(&huge), Err(OpenError::Header(HeaderError::Truncated { .. }))));
    huge[56..64].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(f.open(&huge).unwrap_err(), OpenError::Header(HeaderError::PayloadTooLarge(u64::MAX)));
}

#[test]
fn an_all_zero_ephemeral_key_is_refused() {
    // RFC 9180 §7.1.4: X25519 with a low-order point gives all zeroes; the opener must refuse.
    let f = Fixture::new();
    let mut packet = f.seal(b"dossier");
    packet[64..96].fill(0);
    packet.truncate(packet.len() - SIGNATURE_LEN);
    let signature = f.device.sign(&packet);
    packet.extend_from_slice(&signature);
    assert_eq!(f.open(&packet).unwrap_err(), OpenError::InvalidEphemeralKey);
}

/// The worked example of `docs/packet-format.md` §7: fixed keys, so the bytes never change. If the
/// format changes, this test prints the new hex for the document.
#[test]
fn the_documented_example_packet_is_reproduced_and_opens() {
    let device = DeviceSigner::from_seed(&hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    let backend =
        BackendKeyPair::from_secret_bytes(hex32("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"));
    let ephemeral = hex32("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
    let params = SealParams { packet_id: Some(*b"0123456789abcdef"), created_at: 1_796_000_000 };
    let packet = seal_deterministic(&device, backend.public_key(), &params, ephemeral, b"Xin chao").unwrap();
    assert_eq!(packet.len(), 8 + HEADER_LEN + TAG_LEN + SIGNATURE_LEN);
    let opened = open(std::slice::from_ref(&backend), &[device.public_key()], &packet).unwrap();
    assert_eq!(&opened.payload[..], b"Xin chao");

    // The intermediate values an independent opener can compare against.
    let enc: [u8; 32] = packet[64..96].try_into().unwrap();
    let dh = backend.diffie_hellman(&enc).unwrap();
    let shared = kem_shared_secret(&dh[..], &enc, backend.public_key().as_bytes());
    let schedule = KeySchedule::base(AEAD_AES_256_GCM, &shared[..], INFO).unwrap();
    let values = [
        ("shared_secret", to_hex(&shared[..])),
        ("key", to_hex(&schedule.key)),
        ("base_nonce", to_hex(&schedule.base_nonce)),
    ];
    let lines: Vec<String> = packet.chunks(32).map(to_hex).collect();
    let doc = include_str!("../../../docs/packet-format.md");
    let doc_hex: String = doc.split_whitespace().collect();
    let listing = format!(
        "device public key {} (id {})\nbackend public key {} (id {})\n{:?}\npacket:\n{}",
        to_hex(device.public_key().as_bytes()),
        device.key_id(),
        to_hex(backend.public_key().as_bytes()),
        backend.key_id(),
        values,
        lines.join("\n")
    );
    assert!(doc_hex.contains(&lines.concat()), "docs/packet-format.md lacks the example packet:\n{listing}");
    assert!(doc.contains(&to_hex(device.public_key().as_bytes())), "{listing}");
    assert!(doc.contains(&backend.key_id().to_string()), "{listing}");
    for (name, value) in &values {
        assert!(doc.contains(value.as_str()), "docs/packet-format.md lacks {name}:\n{listing}");
    }
}
