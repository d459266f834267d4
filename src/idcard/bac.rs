//! Basic Access Control (BAC): ICAO Doc 9303 Part 11 §4.3, with the keys of §9.7.
//!
//! BAC proves to the chip that the kiosk has read the printed MRZ and establishes the 3DES session
//! keys of secure messaging. The protocol is a state machine in which each phase is its own type and
//! consumes itself, so the APDUs can only be produced and answered in the order Doc 9303 prescribes:
//!
//! ```text
//! Bac::start(keys) ─► AwaitingChallenge ──challenge_command()──────────────► chip   (GET CHALLENGE)
//!                        │ on_challenge(response, random)
//!                        ▼
//!                     AwaitingAuthentication ──external_authenticate_command()─► chip
//!                        │ on_authentication(response)
//!                        ▼
//!                     SecureChannel (secure messaging, see `sm`)
//! ```
//!
//! Nothing here does I/O: the caller moves the APDUs to and from the reader. Randomness (RND.IFD
//! and K.IFD) comes from the caller through [`TerminalRandom`], so that production passes a CSPRNG
//! and the tests pass the values of Doc 9303-11 Appendix D.

use std::fmt;

use sha1::{Digest, Sha1};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::crypto::{self, KeyPurpose, MAC_LEN, TDES_KEY_LEN, TdesKey, constant_time_eq, derive_tdes_key, retail_mac};
use super::sm::SecureChannel;

/// Length of RND.ICC and RND.IFD (Doc 9303-11 §4.3: 8-byte nonces).
const NONCE_LEN: usize = 8;
/// Length of the cryptogram E.IFD / E.ICC: 3DES over nonce || nonce || 16-byte key material.
const CRYPTOGRAM_LEN: usize = NONCE_LEN + NONCE_LEN + TDES_KEY_LEN;
/// Length of the EXTERNAL AUTHENTICATE data (cryptogram and its MAC) in both directions.
const AUTHENTICATION_DATA_LEN: usize = CRYPTOGRAM_LEN + MAC_LEN;
/// Status word of a command that worked (ISO/IEC 7816-4).
const SW_SUCCESS: u16 = 0x9000;

/// GET CHALLENGE for an 8-byte RND.ICC (Doc 9303-11 §4.3, ISO/IEC 7816-4).
const GET_CHALLENGE: [u8; 5] = [0x00, 0x84, 0x00, 0x00, NONCE_LEN as u8];

/// Why Basic Access Control did not end in a secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BacError {
    /// A response APDU was shorter than its two status bytes.
    #[error("the card's answer is too short to hold a status word")]
    MissingStatusWord,
    /// The chip refused GET CHALLENGE (e.g. it wants PACE, or BAC is not supported).
    #[error("the card refused to give a challenge (status {status:04X})")]
    ChallengeRefused {
        /// The status word the chip returned.
        status: u16,
    },
    /// The challenge was not the 8 bytes GET CHALLENGE asks for.
    #[error("the card's challenge is {len} bytes long instead of 8")]
    BadChallengeLength {
        /// Length of the data the chip returned.
        len: usize,
    },
    /// The chip rejected EXTERNAL AUTHENTICATE: typically `6300`, which means the keys derived from
    /// the MRZ are not this document's (a misread MRZ, or another document on the reader).
    #[error("the card did not accept our authentication (status {status:04X}); the MRZ probably does not match")]
    AuthenticationFailed {
        /// The status word the chip returned.
        status: u16,
    },
    /// The chip accepted EXTERNAL AUTHENTICATE but its answer is not E.ICC || M.ICC (40 bytes).
    #[error("the card's authentication answer is {len} bytes long instead of 40")]
    BadAuthenticationLength {
        /// Length of the data the chip returned.
        len: usize,
    },
    /// M.ICC does not authenticate E.ICC under Kmac: the answer was altered or is not from a chip
    /// that knows this document's keys.
    #[error("the card's authentication answer carries a wrong MAC")]
    CardMacInvalid,
    /// The decrypted answer does not echo RND.ICC and RND.IFD of this session (a replay).
    #[error("the card's authentication answer does not belong to this session")]
    NonceMismatch,
}

/// The Document Basic Access Keys Kenc and Kmac of Doc 9303-11 §9.7 ("Document Basic Access
/// Keys"), derived from the MRZ. Wiped from memory on drop; `Debug` does not show them.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BacKeys {
    k_enc: TdesKey,
    k_mac: TdesKey,
}

impl BacKeys {
    /// Derives Kenc and Kmac from the MRZ information: document number, date of birth and date of
    /// expiry, each followed by its check digit, as printed (fillers `<` included), e.g.
    /// `L898902C<369080619406236`.
    ///
    /// Doc 9303-11 §9.7: Kseed is the first 16 bytes of SHA-1(MRZ_information); Kenc and Kmac are
    /// KDF(Kseed, 1) and KDF(Kseed, 2) of §9.7.1.
    pub fn from_mrz_information(mrz_information: &str) -> BacKeys {
        let mut seed = key_seed(mrz_information);
        let keys = BacKeys {
            k_enc: derive_tdes_key(&seed, KeyPurpose::Encryption),
            k_mac: derive_tdes_key(&seed, KeyPurpose::Mac),
        };
        seed.zeroize();
        keys
    }
}

impl fmt::Debug for BacKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BacKeys { <redacted> }")
    }
}

/// Kseed: the most significant 16 bytes of SHA-1 over the MRZ information (Doc 9303-11 §9.7).
fn key_seed(mrz_information: &str) -> [u8; TDES_KEY_LEN] {
    let mut hash = Sha1::digest(mrz_information.as_bytes());
    let mut seed = [0u8; TDES_KEY_LEN];
    seed.copy_from_slice(&hash[..TDES_KEY_LEN]);
    hash.as_mut_slice().zeroize();
    seed
}

/// A source of the kiosk's random bytes (RND.IFD and K.IFD). Production passes a CSPRNG; any
/// `FnMut(&mut [u8])` that fills its buffer will do.
pub trait TerminalRandom {
    /// Fills `buffer` entirely with fresh random bytes.
    fn fill(&mut self, buffer: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> TerminalRandom for F {
    fn fill(&mut self, buffer: &mut [u8]) {
        self(buffer)
    }
}

/// Entry point of Basic Access Control.
#[derive(Debug)]
pub struct Bac;

impl Bac {
    /// Starts BAC with the keys derived from the document's MRZ.
    pub fn start(keys: BacKeys) -> AwaitingChallenge {
        AwaitingChallenge { keys }
    }
}

/// First phase: the kiosk asks the chip for its nonce RND.ICC.
#[derive(Debug)]
pub struct AwaitingChallenge {
    keys: BacKeys,
}

impl AwaitingChallenge {
    /// The GET CHALLENGE command APDU to send: `00 84 00 00 08`.
    pub fn challenge_command(&self) -> [u8; 5] {
        GET_CHALLENGE
    }

    /// Takes the chip's answer to GET CHALLENGE (the whole response APDU: RND.ICC then SW1 SW2),
    /// draws RND.IFD (8 bytes) and then K.IFD (16 bytes) from `random`, and prepares EXTERNAL
    /// AUTHENTICATE.
    pub fn on_challenge(
        self,
        response: &[u8],
        random: &mut impl TerminalRandom,
    ) -> Result<AwaitingAuthentication, BacError> {
        let (data, status) = split_status(response)?;
        if status != SW_SUCCESS {
            return Err(BacError::ChallengeRefused { status });
        }
        let rnd_icc: [u8; NONCE_LEN] = data.try_into().map_err(|_| BacError::BadChallengeLength { len: data.len() })?;
        let mut rnd_ifd = [0u8; NONCE_LEN];
        random.fill(&mut rnd_ifd);
        let mut k_ifd = [0u8; TDES_KEY_LEN];
        random.fill(&mut k_ifd);
        let command = external_authenticate_command(&self.keys, &rnd_icc, &rnd_ifd, &k_ifd);
        Ok(AwaitingAuthentication { keys: self.keys, rnd_icc, rnd_ifd, k_ifd, command })
    }
}

/// Second phase: the kiosk has proved knowledge of the MRZ keys and waits for the chip's proof.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingAuthentication {
    keys: BacKeys,
    rnd_icc: [u8; NONCE_LEN],
    rnd_ifd: [u8; NONCE_LEN],
    k_ifd: [u8; TDES_KEY_LEN],
    command: Vec<u8>,
}

impl fmt::Debug for AwaitingAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwaitingAuthentication { <redacted> }")
    }
}

impl AwaitingAuthentication {
    /// The EXTERNAL AUTHENTICATE command APDU to send:
    /// `00 82 00 00 28` || E.IFD || M.IFD || `28`.
    pub fn external_authenticate_command(&self) -> &[u8] {
        &self.command
    }

    /// Checks the chip's answer to EXTERNAL AUTHENTICATE (the whole response APDU: E.ICC, M.ICC,
    /// SW1 SW2) and derives the session keys and send sequence counter of secure messaging.
    pub fn on_authentication(self, response: &[u8]) -> Result<SecureChannel, BacError> {
        let (data, status) = split_status(response)?;
        if status != SW_SUCCESS {
            return Err(BacError::AuthenticationFailed { status });
        }
        if data.len() != AUTHENTICATION_DATA_LEN {
            return Err(BacError::BadAuthenticationLength { len: data.len() });
        }
        let (e_icc, m_icc) = data.split_at(CRYPTOGRAM_LEN);
        // Doc 9303-11 §4.3: the terminal checks the MAC over E.ICC before decrypting it.
        if !constant_time_eq(&retail_mac(&self.keys.k_mac, e_icc), m_icc) {
            return Err(BacError::CardMacInvalid);
        }
        let r = crypto::tdes_cbc_decrypt(&self.keys.k_enc, e_icc).map_err(|_| BacError::CardMacInvalid)?;
        // R = RND.ICC || RND.IFD || K.ICC; the echoed RND.IFD ties the answer to this session.
        let (nonces, k_icc) = r.split_at(2 * NONCE_LEN);
        let mut expected_nonces = [0u8; 2 * NONCE_LEN];
        expected_nonces[..NONCE_LEN].copy_from_slice(&self.rnd_icc);
        expected_nonces[NONCE_LEN..].copy_from_slice(&self.rnd_ifd);
        if !constant_time_eq(nonces, &expected_nonces) {
            return Err(BacError::NonceMismatch);
        }
        Ok(self.session(k_icc))
    }

    /// Doc 9303-11 §4.3: KSseed = K.IFD xor K.ICC; KSenc and KSmac are KDF(KSseed, 1) and
    /// KDF(KSseed, 2) (§9.7.1); §9.8.6.3: SSC = the four least significant bytes of RND.ICC
    /// followed by the four least significant bytes of RND.IFD.
    fn session(&self, k_icc: &[u8]) -> SecureChannel {
        let mut ks_seed = self.k_ifd;
        for (seed_byte, icc_byte) in ks_seed.iter_mut().zip(k_icc) {
            *seed_byte ^= icc_byte;
        }
        let ks_enc = derive_tdes_key(&ks_seed, KeyPurpose::Encryption);
        let ks_mac = derive_tdes_key(&ks_seed, KeyPurpose::Mac);
        ks_seed.zeroize();
        let mut ssc = [0u8; 8];
        ssc[..4].copy_from_slice(&self.rnd_icc[NONCE_LEN - 4..]);
        ssc[4..].copy_from_slice(&self.rnd_ifd[NONCE_LEN - 4..]);
        SecureChannel::from_session_keys(ks_enc, ks_mac, ssc)
    }
}

/// Builds EXTERNAL AUTHENTICATE (Doc 9303-11 §4.3): S = RND.IFD || RND.ICC || K.IFD,
/// E.IFD = 3DES-CBC(Kenc, S), M.IFD = MAC(Kmac, E.IFD); data E.IFD || M.IFD, Le = 40.
fn external_authenticate_command(
    keys: &BacKeys,
    rnd_icc: &[u8; NONCE_LEN],
    rnd_ifd: &[u8; NONCE_LEN],
    k_ifd: &[u8; TDES_KEY_LEN],
) -> Vec<u8> {
    let mut s = [0u8; CRYPTOGRAM_LEN];
    s[..NONCE_LEN].copy_from_slice(rnd_ifd);
    s[NONCE_LEN..2 * NONCE_LEN].copy_from_slice(rnd_icc);
    s[2 * NONCE_LEN..].copy_from_slice(k_ifd);
    // S is four whole blocks, so encryption cannot fail; an empty cryptogram would only make the
    // chip answer 6300, never a panic.
    let e_ifd = crypto::tdes_cbc_encrypt(&keys.k_enc, &s).unwrap_or_default();
    s.zeroize();
    let m_ifd = retail_mac(&keys.k_mac, &e_ifd);
    let mut command = Vec::with_capacity(5 + AUTHENTICATION_DATA_LEN + 1);
    command.extend_from_slice(&[0x00, 0x82, 0x00, 0x00, AUTHENTICATION_DATA_LEN as u8]);
    command.extend_from_slice(&e_ifd);
    command.extend_from_slice(&m_ifd);
    command.push(AUTHENTICATION_DATA_LEN as u8);
    command
}

/// Splits a response APDU into its data and its status word SW1 SW2.
fn split_status(response: &[u8]) -> Result<(&[u8], u16), BacError> {
    match response {
        [data @ .., sw1, sw2] => Ok((data, u16::from_be_bytes([*sw1, *sw2]))),
        _ => Err(BacError::MissingStatusWord),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::crypto::tests::{hex, hex_array};

    // All values in this module: ICAO Doc 9303 Part 11, Appendix D ("Worked example: Basic Access
    // Control"), D.1 (key derivation from the MRZ of the specimen passport L898902C<, born
    // 1969-08-06, expiring 1994-06-23) and D.3 (authentication and establishment of session keys).
    const MRZ_INFORMATION: &str = "L898902C<369080619406236";
    const KSEED: &str = "239AB9CB282DAF66231DC5A4DF6BFBAE";
    const KENC: &str = "AB94FDECF2674FDFB9B391F85D7F76F2";
    const KMAC: &str = "7962D9ECE03D1ACD4C76089DCE131543";
    const RND_ICC: &str = "4608F91988702212";
    const RND_IFD: &str = "781723860C06C226";
    const K_IFD: &str = "0B795240CB7049B01C19B33E32804F0B";
    const E_IFD: &str = "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2";
    const M_IFD: &str = "5F1448EEA8AD90A7";
    const E_ICC: &str = "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F";
    const M_ICC: &str = "2F2D235D074D7449";
    const K_ICC: &str = "0B4F80323EB3191CB04970CB4052790B";
    const KS_SEED: &str = "0036D272F5C350ACAC50C3F572D23600";
    const KS_ENC: &str = "979EC13B1CBFE9DCD01AB0FED307EAE5";
    const KS_MAC: &str = "F1CB1F1FB5ADF208806B89DC579DC1F8";
    const SSC: &str = "887022120C06C226";

    /// Hands out the bytes of Appendix D.3 in the order `on_challenge` draws them.
    fn appendix_random() -> impl FnMut(&mut [u8]) {
        let mut script = hex(&format!("{RND_IFD}{K_IFD}"));
        move |buffer: &mut [u8]| {
            let rest = script.split_off(buffer.len());
            buffer.copy_from_slice(&script);
            script = rest;
        }
    }

    fn appendix_keys() -> BacKeys {
        BacKeys::from_mrz_information(MRZ_INFORMATION)
    }

    fn with_status(data: &str) -> Vec<u8> {
        let mut apdu = hex(data);
        apdu.extend_from_slice(&[0x90, 0x00]);
        apdu
    }

    fn awaiting_authentication() -> AwaitingAuthentication {
        Bac::start(appendix_keys())
            .on_challenge(&with_status(RND_ICC), &mut appendix_random())
            .expect("appendix challenge is accepted")
    }

    #[test]
    fn d1_derives_kseed_kenc_and_kmac_from_the_mrz_information() {
        assert_eq!(key_seed(MRZ_INFORMATION).to_vec(), hex(KSEED));
        let keys = appendix_keys();
        assert_eq!(keys.k_enc.to_vec(), hex(KENC));
        assert_eq!(keys.k_mac.to_vec(), hex(KMAC));
    }

    #[test]
    fn d3_get_challenge_command_is_00_84_00_00_08() {
        assert_eq!(Bac::start(appendix_keys()).challenge_command(), [0x00, 0x84, 0x00, 0x00, 0x08]);
    }

    #[test]
    fn d3_external_authenticate_carries_e_ifd_and_m_ifd() {
        let state = awaiting_authentication();
        assert_eq!(state.rnd_icc.to_vec(), hex(RND_ICC));
        assert_eq!(state.rnd_ifd.to_vec(), hex(RND_IFD));
        assert_eq!(state.k_ifd.to_vec(), hex(K_IFD));
        let command = state.external_authenticate_command();
        assert_eq!(&command[5..37], hex(E_IFD).as_slice());
        assert_eq!(&command[37..45], hex(M_IFD).as_slice());
        assert_eq!(command, hex(&format!("0082000028 {E_IFD} {M_IFD} 28")).as_slice());
    }

    #[test]
    fn d3_card_answer_is_checked_and_yields_session_keys_and_ssc() {
        let state = awaiting_authentication();
        // The chip's cryptogram decrypts to RND.ICC || RND.IFD || K.ICC and its MAC verifies.
        let r = crypto::tdes_cbc_decrypt(&state.keys.k_enc, &hex(E_ICC)).expect("whole blocks");
        assert_eq!(r.to_vec(), hex(&format!("{RND_ICC}{RND_IFD}{K_ICC}")));
        assert_eq!(retail_mac(&state.keys.k_mac, &hex(E_ICC)).to_vec(), hex(M_ICC));
        let ks_seed: Vec<u8> = hex(K_IFD).iter().zip(hex(K_ICC)).map(|(a, b)| a ^ b).collect();
        assert_eq!(ks_seed, hex(KS_SEED));

        let channel = state.on_authentication(&with_status(&format!("{E_ICC}{M_ICC}"))).expect("appendix answer");
        let (ks_enc, ks_mac, ssc) = channel.session_state_for_tests();
        assert_eq!(ks_enc.to_vec(), hex(KS_ENC));
        assert_eq!(ks_mac.to_vec(), hex(KS_MAC));
        assert_eq!(ssc.to_vec(), hex(SSC));
    }

    #[test]
    fn a_flipped_bit_anywhere_in_the_card_answer_is_refused() {
        let answer = with_status(&format!("{E_ICC}{M_ICC}"));
        for index in 0..answer.len() {
            for bit in 0..8 {
                let mut altered = answer.clone();
                altered[index] ^= 1 << bit;
                let result = awaiting_authentication().on_authentication(&altered);
                assert!(result.is_err(), "byte {index} bit {bit} went unnoticed");
            }
        }
    }

    #[test]
    fn a_wrong_mac_is_reported_as_such() {
        let mut answer = with_status(&format!("{E_ICC}{M_ICC}"));
        answer[CRYPTOGRAM_LEN] ^= 0x01;
        assert_eq!(awaiting_authentication().on_authentication(&answer).err(), Some(BacError::CardMacInvalid));
    }

    #[test]
    fn an_answer_for_other_nonces_is_a_nonce_mismatch() {
        // A correctly encrypted and MACed answer, but echoing a different RND.IFD (a replay).
        let kenc = hex_array(KENC);
        let kmac = hex_array(KMAC);
        let r = hex(&format!("{RND_ICC} 0000000000000000 {K_ICC}"));
        let e_icc = crypto::tdes_cbc_encrypt(&kenc, &r).expect("whole blocks");
        let mut answer = e_icc.clone();
        answer.extend_from_slice(&retail_mac(&kmac, &e_icc));
        answer.extend_from_slice(&[0x90, 0x00]);
        assert_eq!(awaiting_authentication().on_authentication(&answer).err(), Some(BacError::NonceMismatch));
    }

    #[test]
    fn card_status_words_become_precise_errors() {
        let refused = Bac::start(appendix_keys()).on_challenge(&[0x6D, 0x00], &mut appendix_random());
        assert_eq!(refused.err(), Some(BacError::ChallengeRefused { status: 0x6D00 }));
        let short = Bac::start(appendix_keys()).on_challenge(&with_status("4608F919"), &mut appendix_random());
        assert_eq!(short.err(), Some(BacError::BadChallengeLength { len: 4 }));
        let empty = Bac::start(appendix_keys()).on_challenge(&[0x90], &mut appendix_random());
        assert_eq!(empty.err(), Some(BacError::MissingStatusWord));
        let wrong_mrz = awaiting_authentication().on_authentication(&[0x63, 0x00]);
        assert_eq!(wrong_mrz.err(), Some(BacError::AuthenticationFailed { status: 0x6300 }));
        let truncated = awaiting_authentication().on_authentication(&with_status(E_ICC));
        assert_eq!(truncated.err(), Some(BacError::BadAuthenticationLength { len: 32 }));
    }

    #[test]
    fn random_answers_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..2000 {
            let len = round % 48;
            let bytes: Vec<u8> = (0..len).map(|_| next_random_byte(&mut state)).collect();
            assert!(awaiting_authentication().on_authentication(&bytes).is_err());
            let _ = Bac::start(appendix_keys()).on_challenge(&bytes, &mut appendix_random());
        }
    }

    fn next_random_byte(state: &mut u64) -> u8 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 24) as u8
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let keys = format!("{:?}", appendix_keys());
        let state = format!("{:?}", awaiting_authentication());
        for text in [keys, state] {
            assert!(text.contains("redacted"));
            assert!(!text.to_uppercase().contains("AB94"), "{text}");
        }
    }
}
