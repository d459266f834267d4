//! Cryptographic primitives shared by Basic Access Control ([`super::bac`]) and 3DES secure
//! messaging ([`super::sm`]), as ICAO Doc 9303 Part 11 defines them.
//!
//! Everything here is pure: bytes in, bytes out. The block cipher itself comes from RustCrypto's
//! `des` crate; the modes around it (CBC with a zero IV, ISO/IEC 9797-1 MAC algorithm 3, padding
//! method 2) are small enough to write out, which keeps their exact behaviour next to the section
//! of Doc 9303 that asks for it.

use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

/// The DES block length in bytes; every 3DES computation of Doc 9303 works on 8-byte blocks.
pub const BLOCK_LEN: usize = 8;

/// Length of a two-key 3DES key (K1 || K2, parity bits included).
pub const TDES_KEY_LEN: usize = 16;

/// Length of a retail MAC (ISO/IEC 9797-1 MAC algorithm 3 with DES), Doc 9303-11 §9.8.6.2.
pub const MAC_LEN: usize = 8;

/// A two-key 3DES key as Doc 9303 uses it: K1 || K2, 16 bytes with DES parity bits.
pub type TdesKey = [u8; TDES_KEY_LEN];

/// Which key the key derivation function of Doc 9303-11 §9.7.1 derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Encryption key: counter c = 1.
    Encryption,
    /// MAC key: counter c = 2.
    Mac,
}

impl KeyPurpose {
    /// The 32-bit counter c of Doc 9303-11 §9.7.1 for this purpose.
    fn counter(self) -> u32 {
        match self {
            KeyPurpose::Encryption => 1,
            KeyPurpose::Mac => 2,
        }
    }
}

/// The input of a 3DES operation was not a whole number of 8-byte blocks (or was empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes is not a whole, non-zero number of 8-byte cipher blocks")]
pub struct NotWholeBlocks {
    /// The length that was offered.
    pub len: usize,
}

/// Derives a 3DES key from a shared secret: Doc 9303-11 §9.7.1 (KDF(K, c) = SHA-1(K || c)) and
/// §9.7.1.1 (take octets 1–8 and 9–16 of the hash as K1 and K2, adjust their DES parity).
pub fn derive_tdes_key(shared_secret: &[u8], purpose: KeyPurpose) -> TdesKey {
    let mut hasher = Sha1::new();
    hasher.update(shared_secret);
    hasher.update(purpose.counter().to_be_bytes());
    let mut hash = hasher.finalize();
    let mut key = [0u8; TDES_KEY_LEN];
    key.copy_from_slice(&hash[..TDES_KEY_LEN]);
    hash.as_mut_slice().zeroize();
    adjust_des_parity(&mut key);
    key
}

/// Sets the least significant bit of every byte so that the byte has odd parity, as FIPS 46-3
/// defines for DES keys (Doc 9303-11 §9.7.1.1: "adjust the parity bits").
pub fn adjust_des_parity(key: &mut [u8]) {
    for byte in key {
        let high_bits_set = (*byte & 0xFE).count_ones();
        *byte = (*byte & 0xFE) | u8::from(high_bits_set % 2 == 0);
    }
}

/// Appends ISO/IEC 9797-1 padding method 2 (one `80`, then `00` up to a multiple of 8 bytes;
/// always at least one byte, so a full block gets a whole padding block). Doc 9303-11 §9.8.6.2
/// and §4.3 use it for both encryption and MAC input.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut padded = Vec::with_capacity((data.len() / BLOCK_LEN + 1) * BLOCK_LEN);
    padded.extend_from_slice(data);
    pad_in_place(&mut padded);
    padded
}

/// [`pad`] on a buffer the caller owns (so secrets never get copied into a second allocation).
pub fn pad_in_place(buffer: &mut Vec<u8>) {
    buffer.push(0x80);
    while !buffer.len().is_multiple_of(BLOCK_LEN) {
        buffer.push(0x00);
    }
}

/// Removes ISO/IEC 9797-1 padding method 2: strips trailing `00` bytes and the `80` before them.
/// Returns `None` when the padding is absent or longer than one block.
pub fn unpad(padded: &[u8]) -> Option<&[u8]> {
    let marker = padded.iter().rposition(|&byte| byte != 0x00)?;
    let padding_len = padded.len() - marker;
    (padded[marker] == 0x80 && padding_len <= BLOCK_LEN).then(|| &padded[..marker])
}

/// Encrypts whole blocks with two-key 3DES in CBC mode and a zero IV: Doc 9303-11 §4.3
/// ("Encryption of Challenge and Response") and §9.8.6.1 (3DES secure messaging).
pub fn tdes_cbc_encrypt(key: &TdesKey, plaintext: &[u8]) -> Result<Vec<u8>, NotWholeBlocks> {
    check_whole_blocks(plaintext)?;
    let cipher = TdesEde2::new(&Array::from(*key));
    let mut chain = [0u8; BLOCK_LEN];
    let mut ciphertext = Vec::with_capacity(plaintext.len());
    for block in plaintext.chunks_exact(BLOCK_LEN) {
        let mut working = Array::from(xor_block(&chain, block));
        cipher.encrypt_block(&mut working);
        chain.copy_from_slice(&working);
        ciphertext.extend_from_slice(&working);
        working.as_mut_slice().zeroize();
    }
    Ok(ciphertext)
}

/// Decrypts whole blocks with two-key 3DES in CBC mode and a zero IV (the inverse of
/// [`tdes_cbc_encrypt`]). The plaintext is returned in a buffer that wipes itself on drop.
pub fn tdes_cbc_decrypt(key: &TdesKey, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, NotWholeBlocks> {
    check_whole_blocks(ciphertext)?;
    let cipher = TdesEde2::new(&Array::from(*key));
    let mut chain = [0u8; BLOCK_LEN];
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    for block in ciphertext.chunks_exact(BLOCK_LEN) {
        let mut working = Array::from(to_block(block));
        cipher.decrypt_block(&mut working);
        plaintext.extend_from_slice(&xor_block(&chain, &working));
        chain.copy_from_slice(block);
        working.as_mut_slice().zeroize();
    }
    Ok(plaintext)
}

/// The retail MAC: ISO/IEC 9797-1 MAC algorithm 3 with DES, a zero IV and padding method 2,
/// applied here to `data` (Doc 9303-11 §4.3 "Authentication of Challenge and Response" and
/// §9.8.6.2). K1 chains every block with single DES; the last block is finished with
/// DES⁻¹ under K2 and DES under K1.
pub fn retail_mac(key: &TdesKey, data: &[u8]) -> [u8; MAC_LEN] {
    let padded = Zeroizing::new(pad(data));
    let (k1, k2) = key.split_at(BLOCK_LEN);
    let first = Des::new(&Array::from(to_block(k1)));
    let second = Des::new(&Array::from(to_block(k2)));
    let mut chain = Array::from([0u8; BLOCK_LEN]);
    for block in padded.chunks_exact(BLOCK_LEN) {
        chain = Array::from(xor_block(&chain, block));
        first.encrypt_block(&mut chain);
    }
    second.decrypt_block(&mut chain);
    first.encrypt_block(&mut chain);
    to_block(&chain)
}

/// Compares two byte strings in time that depends only on their lengths, so that checking a MAC
/// does not tell an attacker how many leading bytes were right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

fn check_whole_blocks(data: &[u8]) -> Result<(), NotWholeBlocks> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK_LEN) {
        return Err(NotWholeBlocks { len: data.len() });
    }
    Ok(())
}

/// Copies the first eight bytes of `bytes` (callers pass exactly one block).
fn to_block(bytes: &[u8]) -> [u8; BLOCK_LEN] {
    let mut block = [0u8; BLOCK_LEN];
    for (slot, byte) in block.iter_mut().zip(bytes) {
        *slot = *byte;
    }
    block
}

fn xor_block(a: &[u8], b: &[u8]) -> [u8; BLOCK_LEN] {
    let mut out = [0u8; BLOCK_LEN];
    for ((slot, x), y) in out.iter_mut().zip(a).zip(b) {
        *slot = x ^ y;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses a hex string, ignoring spaces (test vectors are copied with their grouping).
    pub(crate) fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        assert!(digits.len().is_multiple_of(2), "odd number of hex digits in {text:?}");
        digits
            .chunks(2)
            .map(|pair| {
                let pair = std::str::from_utf8(pair).expect("hex is ASCII");
                u8::from_str_radix(pair, 16).expect("valid hex digit")
            })
            .collect()
    }

    /// [`hex`] into a fixed-size array.
    pub(crate) fn hex_array<const N: usize>(text: &str) -> [u8; N] {
        hex(text).try_into().expect("hex string of the right length")
    }

    // Doc 9303 Part 11 Appendix D.1: the first 16 bytes of SHA-1(Kseed || 00000001) are
    // Ka = AB94FCEDF2664EDF and Kb = B9B291F85D7F77F2; adjusting their parity gives Kenc.
    #[test]
    fn parity_adjustment_turns_appendix_d1_hash_octets_into_kenc() {
        let mut key = hex("AB94FCEDF2664EDF B9B291F85D7F77F2");
        adjust_des_parity(&mut key);
        assert_eq!(key, hex("AB94FDECF2674FDF B9B391F85D7F76F2"));
    }

    #[test]
    fn every_adjusted_byte_has_odd_parity_and_keeps_its_high_bits() {
        let mut all: Vec<u8> = (0..=255).collect();
        adjust_des_parity(&mut all);
        for (original, adjusted) in (0..=255u8).zip(all) {
            assert_eq!(adjusted.count_ones() % 2, 1);
            assert_eq!(adjusted & 0xFE, original & 0xFE);
        }
    }

    // Doc 9303 Part 11 Appendix D.1 (Kseed → Kenc, Kmac) and D.3 (KSseed → KSenc, KSmac).
    #[test]
    fn kdf_reproduces_appendix_d_keys() {
        let kseed = hex("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(derive_tdes_key(&kseed, KeyPurpose::Encryption).to_vec(), hex("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(derive_tdes_key(&kseed, KeyPurpose::Mac).to_vec(), hex("7962D9ECE03D1ACD4C76089DCE131543"));
        let ks_seed = hex("0036D272F5C350ACAC50C3F572D23600");
        assert_eq!(derive_tdes_key(&ks_seed, KeyPurpose::Encryption).to_vec(), hex("979EC13B1CBFE9DCD01AB0FED307EAE5"));
        assert_eq!(derive_tdes_key(&ks_seed, KeyPurpose::Mac).to_vec(), hex("F1CB1F1FB5ADF208806B89DC579DC1F8"));
    }

    // Doc 9303 Part 11 Appendix D.3: S = RND.IFD || RND.ICC || K.IFD encrypts to E.IFD and
    // E.ICC decrypts to R = RND.ICC || RND.IFD || K.ICC, both under Kenc.
    #[test]
    fn cbc_reproduces_appendix_d3_cryptograms() {
        let kenc = hex_array("AB94FDECF2674FDFB9B391F85D7F76F2");
        let s = hex("781723860C06C226 4608F91988702212 0B795240CB7049B01C19B33E32804F0B");
        let e_ifd = hex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
        assert_eq!(tdes_cbc_encrypt(&kenc, &s), Ok(e_ifd.clone()));
        assert_eq!(tdes_cbc_decrypt(&kenc, &e_ifd).map(|p| p.to_vec()), Ok(s));
        let e_icc = hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F");
        let r = hex("4608F91988702212 781723860C06C226 0B4F80323EB3191CB04970CB4052790B");
        assert_eq!(tdes_cbc_decrypt(&kenc, &e_icc).map(|p| p.to_vec()), Ok(r));
    }

    // Doc 9303 Part 11 Appendix D.3 (M.IFD, M.ICC under Kmac) and D.4 (first CC under KSmac; the
    // appendix shows N already padded — retail_mac pads the unpadded SSC || M the same way).
    #[test]
    fn retail_mac_reproduces_appendix_d_macs() {
        let kmac = hex_array("7962D9ECE03D1ACD4C76089DCE131543");
        let e_ifd = hex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
        assert_eq!(retail_mac(&kmac, &e_ifd).to_vec(), hex("5F1448EEA8AD90A7"));
        let e_icc = hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F");
        assert_eq!(retail_mac(&kmac, &e_icc).to_vec(), hex("2F2D235D074D7449"));
        let ksmac = hex_array("F1CB1F1FB5ADF208806B89DC579DC1F8");
        let n_unpadded = hex("887022120C06C227 0CA4020C80000000 8709016375432908C044F6");
        assert_eq!(pad(&n_unpadded), hex("887022120C06C2270CA4020C800000008709016375432908C044F68000000000"));
        assert_eq!(retail_mac(&ksmac, &n_unpadded).to_vec(), hex("BF8B92D635FF24F8"));
    }

    #[test]
    fn padding_round_trips_and_rejects_garbage() {
        assert_eq!(pad(&[]), hex("8000000000000000"));
        assert_eq!(pad(&hex("011E")), hex("011E800000000000"));
        assert_eq!(pad(&[0xAA; 8]).len(), 16);
        assert_eq!(unpad(&hex("011E800000000000")), Some(&[0x01, 0x1E][..]));
        assert_eq!(unpad(&hex("8000000000000000")), Some(&[][..]));
        assert_eq!(unpad(&hex("011E000000000000")), None);
        assert_eq!(unpad(&hex("0000000000000000")), None);
        assert_eq!(unpad(&[]), None);
        assert_eq!(unpad(&hex("80 0000000000000000")), None, "padding longer than a block");
    }

    #[test]
    fn cbc_refuses_partial_blocks() {
        let key = [0x01; TDES_KEY_LEN];
        assert_eq!(tdes_cbc_encrypt(&key, &[0; 7]), Err(NotWholeBlocks { len: 7 }));
        assert_eq!(tdes_cbc_decrypt(&key, &[]).map(|p| p.to_vec()), Err(NotWholeBlocks { len: 0 }));
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
