//! The chip's side of PACE (ICAO Doc 9303 Part 11 §4.4), for the chip simulator and for tests.
//!
//! [`PaceChip`] is a pure responder: it knows the document's password (MRZ information or CAN), the
//! parameters it advertises in `EF.CardAccess` and draws its nonce and keys from a caller-supplied
//! [`TerminalRandom`] (seeded in simulations, so runs are reproducible). It answers MSE:Set AT and
//! the four GENERAL AUTHENTICATE steps, checks the terminal's token, returns its own and then
//! yields its half of AES secure messaging:
//!
//! ```text
//! let mut chip = PaceChip::new(PacePassword::mrz(mrz), params, rng);
//! let response = chip.process(&command_apdu);   // data || SW1 SW2, as a card sends it
//! let channel = chip.established();             // Some(CardSecureChannel) once PACE succeeded
//! ```
//!
//! Status words follow ISO/IEC 7816-4: `6300` when the terminal's token is wrong (wrong password),
//! `6A80` for data the chip cannot use, `6985` for a step out of order, `6A86` for wrong P1-P2 and
//! `6D00` for an instruction PACE does not know. Any error starts PACE over.

use std::fmt;

use zeroize::Zeroizing;

use super::crypto::constant_time_eq;
use super::pace::{PacePassword, SessionKeys, TerminalRandom, authentication_token, find_in_template, tags};
use super::pace_crypto::{self, AesKey, COORDINATE_LEN};
use super::pace_info::{PaceParams, push_der_length, read_all_tlv};
use super::sm::CardSecureChannel;

/// Success.
const SW_OK: u16 = 0x9000;
/// Authentication failed: the terminal's token does not verify (wrong password).
const SW_AUTHENTICATION_FAILED: u16 = 0x6300;
/// Incorrect parameters in the command data field.
const SW_WRONG_DATA: u16 = 0x6A80;
/// Conditions of use not satisfied (a step out of order).
const SW_CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
/// Incorrect parameters P1-P2.
const SW_WRONG_P1P2: u16 = 0x6A86;
/// Instruction not supported.
const SW_INS_NOT_SUPPORTED: u16 = 0x6D00;
/// Wrong length.
const SW_WRONG_LENGTH: u16 = 0x6700;

/// Where the chip is in the protocol.
enum ChipState {
    /// No MSE:Set AT yet (or an error started over).
    Idle,
    /// MSE:Set AT accepted.
    TemplateSet,
    /// Nonce s sent encrypted.
    NonceSent { nonce: Zeroizing<Vec<u8>> },
    /// Generator mapped.
    Mapped { generator: Vec<u8> },
    /// Session keys agreed; the terminal's token is next.
    Agreed { keys: SessionKeys, terminal_public: Vec<u8>, chip_public: Vec<u8> },
    /// PACE succeeded.
    Established(SessionKeys),
}

/// The chip's side of PACE with ECDH generic mapping and AES. See the module documentation.
pub struct PaceChip<R: TerminalRandom> {
    password: PacePassword,
    params: PaceParams,
    random: R,
    state: ChipState,
}

impl<R: TerminalRandom> fmt::Debug for PaceChip<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaceChip")
            .field("password", &self.password)
            .field("params", &self.params)
            .field("established", &self.is_established())
            .finish_non_exhaustive()
    }
}

impl<R: TerminalRandom> PaceChip<R> {
    /// A chip that knows `password`, runs PACE with `params` (advertise them with
    /// [`PaceParams::card_access`]) and draws its nonce and keys from `random`.
    pub fn new(password: PacePassword, params: PaceParams, random: R) -> PaceChip<R> {
        PaceChip { password, params, random, state: ChipState::Idle }
    }

    /// The `EF.CardAccess` content this chip advertises.
    pub fn card_access(&self) -> Vec<u8> {
        self.params.card_access()
    }

    /// Whether PACE has succeeded (the next commands must use secure messaging).
    pub fn is_established(&self) -> bool {
        matches!(self.state, ChipState::Established(_))
    }

    /// Starts over, as a chip does when the field is switched off.
    pub fn reset(&mut self) {
        self.state = ChipState::Idle;
    }

    /// The chip's half of AES secure messaging (SSC = 0), once PACE has succeeded.
    pub fn established(self) -> Option<CardSecureChannel> {
        match &self.state {
            ChipState::Established(keys) => {
                Some(CardSecureChannel::from_aes_session_keys(keys.ks_enc.clone(), keys.ks_mac.clone()))
            }
            _ => None,
        }
    }

    /// Answers one command APDU (short length) with a response APDU: data followed by SW1 SW2.
    pub fn process(&mut self, command: &[u8]) -> Vec<u8> {
        let state = std::mem::replace(&mut self.state, ChipState::Idle);
        let (next, data, status) = match self.answer(state, command) {
            Ok((next, data)) => (next, data, SW_OK),
            Err(status) => (ChipState::Idle, Vec::new(), status),
        };
        self.state = next;
        let mut response = data;
        response.extend_from_slice(&status.to_be_bytes());
        response
    }

    fn answer(&mut self, state: ChipState, command: &[u8]) -> Result<(ChipState, Vec<u8>), u16> {
        let [cla, ins, p1, p2, rest @ ..] = command else {
            return Err(SW_WRONG_LENGTH);
        };
        let set_at = match (*ins, *p1, *p2) {
            (0x22, 0xC1, 0xA4) => true,
            (0x86, 0x00, 0x00) => false,
            (0x22 | 0x86, _, _) => return Err(SW_WRONG_P1P2),
            _ => return Err(SW_INS_NOT_SUPPORTED),
        };
        // Short APDU, case 3 or 4: Lc, data, optional Le.
        let data = match rest {
            [lc, data @ ..] if data.len() == usize::from(*lc) || data.len() == usize::from(*lc) + 1 => {
                &data[..usize::from(*lc)]
            }
            _ => return Err(SW_WRONG_LENGTH),
        };
        if set_at {
            self.set_authentication_template(data).map(|()| (ChipState::TemplateSet, Vec::new()))
        } else {
            self.general_authenticate(state, *cla, data)
        }
    }

    /// MSE:Set AT (§4.4.4.1): DO'80' must name our protocol, DO'83' our password, DO'84' (if sent)
    /// our domain parameters.
    fn set_authentication_template(&self, data: &[u8]) -> Result<(), u16> {
        let objects = read_all_tlv(data).ok_or(SW_WRONG_DATA)?;
        let mut protocol_ok = false;
        let mut password_ok = false;
        for object in objects {
            match object.tag {
                0x80 => protocol_ok = object.value == self.params.protocol.as_der_content(),
                0x83 => password_ok = object.value == [self.password.kind().reference()],
                0x84 => {
                    if object.value != [self.params.parameter_id.min(0xFF) as u8] {
                        return Err(SW_WRONG_DATA);
                    }
                }
                _ => return Err(SW_WRONG_DATA),
            }
        }
        if protocol_ok && password_ok { Ok(()) } else { Err(SW_WRONG_DATA) }
    }

    /// The four GENERAL AUTHENTICATE steps (§4.4.4.2), chosen by the chip's state.
    fn general_authenticate(&mut self, state: ChipState, cla: u8, data: &[u8]) -> Result<(ChipState, Vec<u8>), u16> {
        let curve = self.params.curve;
        // Steps 1–3 are chained (CLA 10); the last one is not (CLA 00).
        let chained = cla == 0x10;
        match state {
            ChipState::TemplateSet if chained => {
                if data != [0x7C, 0x00] {
                    return Err(SW_WRONG_DATA);
                }
                // §4.4.1, step 1: the nonce's length is a multiple of the cipher's block; as long as the
                // key here, rounded up to whole AES blocks (so 32 bytes for AES-192).
                let nonce_len = self.params.strength.key_len().next_multiple_of(pace_crypto::AES_BLOCK_LEN);
                let mut nonce = Zeroizing::new(vec![0u8; nonce_len]);
                self.random.fill(&mut nonce);
                let password_key: AesKey = self.password.password_key(self.params.strength);
                let encrypted =
                    pace_crypto::aes_cbc_encrypt(&password_key, &[0; 16], &nonce).map_err(|_| SW_WRONG_DATA)?;
                Ok((ChipState::NonceSent { nonce }, template(tags::ENCRYPTED_NONCE, &encrypted)))
            }
            ChipState::NonceSent { nonce } if chained => {
                let terminal_mapping = find_in_template(data, tags::MAPPING_TERMINAL).ok_or(SW_WRONG_DATA)?;
                let key = curve.random_private_key(&mut self.random).map_err(|_| SW_WRONG_DATA)?;
                let chip_mapping = curve.multiply(key.as_slice(), &curve.generator()).map_err(|_| SW_WRONG_DATA)?;
                let h = curve.multiply(key.as_slice(), &terminal_mapping).map_err(|_| SW_WRONG_DATA)?;
                let generator = curve.map_generator(&nonce, &h).map_err(|_| SW_WRONG_DATA)?;
                Ok((ChipState::Mapped { generator }, template(tags::MAPPING_CHIP, &chip_mapping)))
            }
            ChipState::Mapped { generator } if chained => {
                let terminal_public = find_in_template(data, tags::EPHEMERAL_TERMINAL).ok_or(SW_WRONG_DATA)?;
                curve.validate_point(&terminal_public).map_err(|_| SW_WRONG_DATA)?;
                let key: Zeroizing<[u8; COORDINATE_LEN]> =
                    curve.random_private_key(&mut self.random).map_err(|_| SW_WRONG_DATA)?;
                let chip_public = curve.multiply(key.as_slice(), &generator).map_err(|_| SW_WRONG_DATA)?;
                // §4.4.1, key agreement step: the chip, too, refuses a peer key equal to its own.
                if constant_time_eq(&chip_public, &terminal_public) {
                    return Err(SW_WRONG_DATA);
                }
                let keys =
                    SessionKeys::agree(&self.params, key.as_slice(), &terminal_public).map_err(|_| SW_WRONG_DATA)?;
                let answer = template(tags::EPHEMERAL_CHIP, &chip_public);
                Ok((ChipState::Agreed { keys, terminal_public, chip_public }, answer))
            }
            ChipState::Agreed { keys, terminal_public, chip_public } if !chained => {
                let token = find_in_template(data, tags::TOKEN_TERMINAL).ok_or(SW_WRONG_DATA)?;
                let expected = authentication_token(&keys.ks_mac, &self.params.protocol, &chip_public);
                if !constant_time_eq(&token, &expected) {
                    return Err(SW_AUTHENTICATION_FAILED);
                }
                let own = authentication_token(&keys.ks_mac, &self.params.protocol, &terminal_public);
                Ok((ChipState::Established(keys), template(tags::TOKEN_CHIP, &own)))
            }
            _ => Err(SW_CONDITIONS_NOT_SATISFIED),
        }
    }
}

/// `7C { tag value }`, the dynamic authentication data of a GENERAL AUTHENTICATE answer.
fn template(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut inner = vec![tag as u8];
    push_der_length(&mut inner, value.len());
    inner.extend_from_slice(value);
    let mut out = vec![0x7C];
    push_der_length(&mut out, inner.len());
    out.extend_from_slice(&inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::crypto::tests::hex;
    use crate::idcard::pace::tests::{
        CARD_ACCESS, MRZ_INFORMATION, NONCE, SK_IC, SK_MAP_IC, TRANSCRIPT, scripted_random,
    };
    use crate::idcard::pace::{Pace, PaceError, PasswordKind};
    use crate::idcard::pace_crypto::{AesStrength, Curve};
    use crate::idcard::pace_info::SecurityInfos;
    use crate::idcard::sm::SecureChannel;

    /// A seeded xorshift generator: reproducible "randomness" for both sides in tests.
    fn seeded(seed: u64) -> impl FnMut(&mut [u8]) + Send {
        let mut state = seed | 1;
        move |buffer: &mut [u8]| {
            for byte in buffer {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = (state >> 29) as u8;
            }
        }
    }

    /// Runs the terminal against the chip, passing every APDU through `tamper` (index, bytes).
    fn handshake(
        terminal_password: PacePassword,
        chip: &mut PaceChip<impl TerminalRandom>,
        seed: u64,
        mut tamper: impl FnMut(usize, &mut Vec<u8>),
    ) -> Result<SecureChannel, PaceError> {
        let params = SecurityInfos::parse(&chip.card_access()).expect("own file").preferred_pace().expect("supported");
        let mut random = seeded(seed);
        let mut exchange = |index: usize, command: &[u8]| {
            let mut command = command.to_vec();
            tamper(2 * index, &mut command);
            let mut response = chip.process(&command);
            tamper(2 * index + 1, &mut response);
            response
        };
        let state = Pace::start(terminal_password, params);
        let response = exchange(0, state.command());
        let state = state.on_response(&response)?;
        let response = exchange(1, &state.command());
        let state = state.on_response(&response, &mut random)?;
        let response = exchange(2, state.command());
        let state = state.on_response(&response, &mut random)?;
        let response = exchange(3, state.command());
        let state = state.on_response(&response)?;
        let response = exchange(4, state.command());
        state.on_response(&response)
    }

    fn chip(password: PacePassword, strength: AesStrength, curve: Curve, seed: u64) -> PaceChip<impl TerminalRandom> {
        PaceChip::new(password, PaceParams::ecdh_generic_mapping(strength, curve), seeded(seed))
    }

    // ICAO Doc 9303-11 Appendix G.1 from the chip's side: with the appendix's nonce and chip keys,
    // every answer of the transcript comes out byte for byte.
    #[test]
    fn appendix_g1_chip_answers_byte_for_byte() {
        let params = SecurityInfos::parse(&hex(CARD_ACCESS)).expect("file").preferred_pace().expect("supported");
        let mut chip =
            PaceChip::new(PacePassword::mrz(MRZ_INFORMATION), params, scripted_random(&[NONCE, SK_MAP_IC, SK_IC]));
        assert_eq!(chip.card_access(), hex(CARD_ACCESS));
        for (command, response) in TRANSCRIPT {
            assert_eq!(chip.process(&hex(command)), hex(response), "{command}");
        }
        assert!(chip.is_established());
        assert!(chip.established().is_some());
    }

    #[test]
    fn full_handshakes_on_both_curves_and_all_key_lengths_carry_secure_messaging() {
        for curve in [Curve::NistP256, Curve::BrainpoolP256r1] {
            for strength in [AesStrength::Aes128, AesStrength::Aes192, AesStrength::Aes256] {
                let label = format!("{curve:?} {strength:?}");
                let mut card = chip(PacePassword::mrz(MRZ_INFORMATION), strength, curve, 7);
                let mut terminal =
                    handshake(PacePassword::mrz(MRZ_INFORMATION), &mut card, 11, |_, _| {}).expect(&label);
                let mut card = card.established().expect(&label);
                let (ks_enc, _, ssc) = terminal.aes_state_for_tests();
                assert_eq!((ks_enc.len(), ssc), (strength.key_len(), [0; 16]), "{label}");
                for (command, answer) in [
                    (hex("00A4040C 07 A0000002471001"), vec![]),
                    (hex("00B0000000"), (0..=255).collect::<Vec<u8>>()),
                    (hex("00B00100 000400"), vec![0x42; 1024]),
                ] {
                    let protected = terminal.protect(&command).expect(&label);
                    assert_eq!(card.unprotect_command(&protected).as_ref(), Ok(&command), "{label}");
                    let response = card.protect_response(&answer, 0x9000).expect(&label);
                    assert_eq!(terminal.unprotect(&response), Ok([&answer[..], &[0x90, 0x00]].concat()), "{label}");
                }
            }
        }
    }

    #[test]
    fn can_handshake_works_and_a_wrong_password_is_access_denied() {
        let mut card = chip(PacePassword::can("482915").expect("CAN"), AesStrength::Aes128, Curve::NistP256, 3);
        assert!(handshake(PacePassword::can("482915").expect("CAN"), &mut card, 5, |_, _| {}).is_ok());

        let mut card = chip(PacePassword::can("482915").expect("CAN"), AesStrength::Aes128, Curve::NistP256, 3);
        let error =
            handshake(PacePassword::can("482916").expect("CAN"), &mut card, 5, |_, _| {}).expect_err("wrong CAN");
        assert_eq!(error, PaceError::AccessDenied { password: PasswordKind::Can, retries_left: None });
        assert!(!card.is_established() && card.established().is_none());

        let mut card = chip(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes256, Curve::BrainpoolP256r1, 3);
        let error =
            handshake(PacePassword::mrz("T22000129364081251010319"), &mut card, 5, |_, _| {}).expect_err("wrong MRZ");
        assert_eq!(error, PaceError::AccessDenied { password: PasswordKind::Mrz, retries_left: None });

        // The chip knows the MRZ only: a CAN attempt is refused at MSE:Set AT.
        let mut card = chip(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes128, Curve::NistP256, 3);
        let error = handshake(PacePassword::can("482915").expect("CAN"), &mut card, 5, |_, _| {}).expect_err("no CAN");
        assert!(matches!(error, PaceError::Refused { status: 0x6A80, .. }), "{error:?}");
    }

    #[test]
    fn tampering_with_any_step_fails_cleanly() {
        let mut failures = 0;
        for target in 0..10 {
            for position in [0, 5, 7, 12, 40, 66, 70] {
                let mut card = chip(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes128, Curve::BrainpoolP256r1, 9);
                let result = handshake(PacePassword::mrz(MRZ_INFORMATION), &mut card, 13, |index, bytes| {
                    if index == target && !bytes.is_empty() {
                        let at = position % bytes.len();
                        bytes[at] ^= 0x04;
                    }
                });
                // A few changes touch bytes the chip need not check (CLA bit 3 of an unchained
                // command, Le) and go unnoticed; every other one must end without a channel. Only a
                // tampered last answer (index 9) leaves the chip itself established.
                if result.is_err() {
                    failures += 1;
                    if target < 9 {
                        assert!(!card.is_established(), "target {target} position {position}");
                    }
                }
            }
        }
        assert!(failures >= 60, "only {failures} of 70 tamperings were caught");
    }

    #[test]
    fn steps_out_of_order_and_garbage_are_refused_with_status_words() {
        let mut card = chip(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes128, Curve::NistP256, 1);
        assert_eq!(card.process(&hex("10860000027C0000")), hex("6985"), "nonce before MSE:Set AT");
        assert_eq!(card.process(&hex("00B0000004")), hex("6D00"));
        assert_eq!(card.process(&hex("0022")), hex("6700"));
        assert_eq!(card.process(&hex("0022C1A4 06 800100 8301")), hex("6700"));
        assert_eq!(card.process(&hex("0022C1A4 03 830101")), hex("6A80"), "no protocol");
        assert_eq!(card.process(&hex("00860001 02 7C00 00")), hex("6A86"));
        let set_at = PaceParams::ecdh_generic_mapping(AesStrength::Aes128, Curve::NistP256);
        let command = Pace::start(PacePassword::mrz(MRZ_INFORMATION), set_at).with_domain_parameter_reference();
        assert_eq!(card.process(command.command()), hex("9000"));
        assert_eq!(card.process(&hex("00860000027C0000")), hex("6985"), "unchained first step");
        let mut random = seeded(99);
        for _ in 0..2000 {
            let mut bytes = vec![0u8; 1 + usize::from(random_byte(&mut random)) % 80];
            random(&mut bytes);
            if bytes.len() > 4 {
                bytes[1] = [0x22, 0x86][usize::from(bytes[0] & 1)];
            }
            let response = card.process(&bytes);
            assert!(response.len() >= 2);
        }
        assert!(!card.is_established());
    }

    fn random_byte(random: &mut impl FnMut(&mut [u8])) -> u8 {
        let mut byte = [0u8];
        random(&mut byte);
        byte[0]
    }

    #[test]
    fn debug_shows_no_password() {
        let card = chip(PacePassword::can("482915").expect("CAN"), AesStrength::Aes128, Curve::NistP256, 1);
        let text = format!("{card:?}");
        assert!(!text.contains("482915") && text.contains("redacted"), "{text}");
    }
}
