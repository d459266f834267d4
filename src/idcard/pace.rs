//! PACE, Password Authenticated Connection Establishment: ICAO Doc 9303 Part 11 §4.4, terminal side,
//! with ECDH generic mapping and AES (id-PACE-ECDH-GM-AES-CBC-CMAC-128/-192/-256, §9.2.1) on NIST
//! P-256 or brainpoolP256r1 (standardized domain parameters 12 and 13, §9.5.1).
//!
//! PACE replaces BAC on newer documents: the password (the MRZ information, or the 6-digit CAN
//! printed on the card) never leaves the kiosk and cannot be tested offline from a recorded
//! session. The chip advertises PACE in `EF.CardAccess` ([`super::pace_info`]). The protocol, each
//! phase its own type that consumes itself (like [`super::bac`]):
//!
//! ```text
//! Pace::start(password, params) ─► SettingTemplate ── MSE:Set AT (§4.4.4.1: DO'80' protocol OID,
//!                                     │                 DO'83' password 01 = MRZ / 02 = CAN)
//!   on_response ─────────────────────▼
//! AwaitingNonce ── GENERAL AUTHENTICATE 1 (§4.4.4.2): the chip sends z = E(Kπ, s); we decrypt
//!                  the nonce s with Kπ = KDF(K, 3), K = SHA-1(MRZ information) or the CAN (§9.7.3).
//!   on_response(random) ─────────────▼
//! AwaitingMapping ── GENERAL AUTHENTICATE 2: mapping keys exchanged; H = SK_map·PK_map,IC and the
//!                    generic mapping Ĝ = s·G + H (§4.4.3.3.1).
//!   on_response(random) ─────────────▼
//! AwaitingKeyAgreement ── GENERAL AUTHENTICATE 3: ephemeral keys on Ĝ exchanged (§4.4.1; the
//!                         chip's key must differ from ours); K = x(SK·PK_IC), KSenc = KDF(K, 1),
//!                         KSmac = KDF(K, 2) (§9.7.1, SHA-1 for AES-128, SHA-256 otherwise).
//!   on_response ─────────────────────▼
//! AwaitingToken ── GENERAL AUTHENTICATE 4: tokens T = CMAC(KSmac, 7F49{06 OID, 86 PK_other})/8
//!                  (§4.4.3.4, §9.4); a chip that rejects ours (63xx) means a wrong password.
//!   on_response ─────────────────────▼
//! SecureChannel (AES secure messaging, §9.8, SSC = 0)
//! ```
//!
//! Nothing here does I/O: the caller moves the APDUs. Randomness comes from the caller
//! ([`TerminalRandom`]) so that production passes a CSPRNG and the tests the keys of Appendix G.

use std::fmt;

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

pub use super::bac::TerminalRandom;
use super::crypto::constant_time_eq;
use super::pace_crypto::{self, AesKey, AesStrength, CMAC_LEN, EcError, x_coordinate};
use super::pace_info::{
    ObjectId, PaceParams, PaceUnsupported, SecurityInfos, Tlv, push_der_length, read_all_tlv, read_tlv,
};
use super::sm::SecureChannel;

/// Status word of a command that worked (ISO/IEC 7816-4).
const SW_SUCCESS: u16 = 0x9000;
/// Tag of the dynamic authentication data template of GENERAL AUTHENTICATE (§4.4.4.2).
pub(crate) const TAG_DYNAMIC_AUTHENTICATION: u32 = 0x7C;
/// Tag of the public key data object the authentication tokens are computed over (§9.4).
const TAG_PUBLIC_KEY: [u8; 2] = [0x7F, 0x49];
/// Tag of the uncompressed EC point inside it.
const TAG_EC_POINT: u8 = 0x86;
/// Tags inside the dynamic authentication data (§4.4.4.2).
pub(crate) mod tags {
    /// Encrypted nonce (chip → terminal).
    pub const ENCRYPTED_NONCE: u32 = 0x80;
    /// Mapping data (terminal → chip).
    pub const MAPPING_TERMINAL: u32 = 0x81;
    /// Mapping data (chip → terminal).
    pub const MAPPING_CHIP: u32 = 0x82;
    /// Ephemeral public key (terminal → chip).
    pub const EPHEMERAL_TERMINAL: u32 = 0x83;
    /// Ephemeral public key (chip → terminal).
    pub const EPHEMERAL_CHIP: u32 = 0x84;
    /// Authentication token (terminal → chip).
    pub const TOKEN_TERMINAL: u32 = 0x85;
    /// Authentication token (chip → terminal).
    pub const TOKEN_CHIP: u32 = 0x86;
}

/// Which password PACE runs with (§4.4.4.1, DO'83').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordKind {
    /// The MRZ information (document number, birth date, expiry date with their check digits).
    Mrz,
    /// The Card Access Number printed on the card.
    Can,
}

impl PasswordKind {
    /// The password reference of MSE:Set AT: `01` MRZ, `02` CAN.
    pub fn reference(self) -> u8 {
        match self {
            PasswordKind::Mrz => 0x01,
            PasswordKind::Can => 0x02,
        }
    }
}

impl fmt::Display for PasswordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasswordKind::Mrz => "MRZ",
            PasswordKind::Can => "card access number (CAN)",
        })
    }
}

/// A PACE password. Wiped from memory on drop; `Debug` does not show it.
#[derive(Clone)]
pub struct PacePassword {
    kind: PasswordKind,
    /// K of §9.7.3: SHA-1 of the MRZ information, or the CAN's characters.
    secret: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for PacePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PacePassword({:?}, <redacted>)", self.kind)
    }
}

impl PacePassword {
    /// The MRZ password: document number, date of birth and date of expiry, each followed by its
    /// check digit, as printed (e.g. `T22000129364081251010318`). K = SHA-1 of it (§9.7.3).
    pub fn mrz(mrz_information: &str) -> PacePassword {
        let hash = Sha1::digest(mrz_information.as_bytes());
        PacePassword { kind: PasswordKind::Mrz, secret: Zeroizing::new(hash.to_vec()) }
    }

    /// The CAN password: the 6 digits printed on the card (§9.7.3: K is the CAN itself).
    pub fn can(can: &str) -> Result<PacePassword, PaceError> {
        if can.len() != 6 || !can.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(PaceError::InvalidCan);
        }
        Ok(PacePassword { kind: PasswordKind::Can, secret: Zeroizing::new(can.as_bytes().to_vec()) })
    }

    /// Which password this is.
    pub fn kind(&self) -> PasswordKind {
        self.kind
    }

    /// Kπ = KDF(K, 3) with the key length of the session (§4.4.1, step 1, §9.7.1).
    pub(crate) fn password_key(&self, strength: AesStrength) -> AesKey {
        strength.derive_key(&self.secret, 3)
    }
}

/// The step of PACE an error happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceStep {
    /// MSE:Set AT.
    SetAuthenticationTemplate,
    /// GENERAL AUTHENTICATE 1, the encrypted nonce.
    EncryptedNonce,
    /// GENERAL AUTHENTICATE 2, nonce mapping.
    MapNonce,
    /// GENERAL AUTHENTICATE 3, key agreement.
    KeyAgreement,
    /// GENERAL AUTHENTICATE 4, mutual authentication.
    MutualAuthentication,
}

impl fmt::Display for PaceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaceStep::SetAuthenticationTemplate => "MSE:Set AT",
            PaceStep::EncryptedNonce => "GENERAL AUTHENTICATE (nonce)",
            PaceStep::MapNonce => "GENERAL AUTHENTICATE (mapping)",
            PaceStep::KeyAgreement => "GENERAL AUTHENTICATE (key agreement)",
            PaceStep::MutualAuthentication => "GENERAL AUTHENTICATE (mutual authentication)",
        })
    }
}

/// Why PACE did not end in a secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaceError {
    /// The CAN entered is not 6 digits.
    #[error("the card access number must be the 6 digits printed on the card")]
    InvalidCan,
    /// A response APDU was shorter than its two status bytes.
    #[error("the card's answer to {0} is too short to hold a status word")]
    MissingStatusWord(PaceStep),
    /// The chip refused a step with an error status (not a password failure).
    #[error("the card refused {step} (status {status:04X}); PACE is not possible, try BAC")]
    Refused {
        /// The step the chip refused.
        step: PaceStep,
        /// The status word it returned.
        status: u16,
    },
    /// The chip rejected our authentication token: the password (MRZ or CAN) is not this
    /// document's. `retries_left` is set when the chip says how many tries remain (`63Cx`).
    #[error("the card did not accept the {password}; check the MRZ or the card access number and try again")]
    AccessDenied {
        /// Which password was tried.
        password: PasswordKind,
        /// Tries left before the chip suspends or blocks the password, if the chip said so.
        retries_left: Option<u8>,
    },
    /// The chip's answer is not the dynamic authentication data the step expects.
    #[error("the card's answer to {0} is malformed")]
    Malformed(PaceStep),
    /// The chip sent a public key that is not a point on the agreed curve.
    #[error("the card's public key in {0} is not a valid point on the agreed curve")]
    InvalidPublicKey(PaceStep),
    /// The chip sent back our own ephemeral public key (§4.4.1 requires the keys to differ).
    #[error("the card answered with our own ephemeral key; the answer is not from a genuine chip")]
    ReflectedKey,
    /// The kiosk's random source failed (see [`EcError::BrokenRandomSource`]).
    #[error("the kiosk's random number source is not working; restart the kiosk and call a technician if it persists")]
    BrokenRandomSource,
    /// The chip's authentication token does not verify: its answer was altered or it does not know
    /// the password.
    #[error("the card's authentication token is wrong; the chip is not genuine or the answer was altered")]
    CardTokenInvalid,
}

/// Entry point of PACE.
#[derive(Debug)]
pub struct Pace;

impl Pace {
    /// Starts PACE with `password` and the parameters chosen from `EF.CardAccess`
    /// ([`super::pace_info::SecurityInfos::preferred_pace`]).
    pub fn start(password: PacePassword, params: PaceParams) -> SettingTemplate {
        let command = set_at_command(&params.protocol, password.kind(), None);
        SettingTemplate { password, params, command }
    }
}

/// Phase 0: MSE:Set AT selects PACE, its parameters and the password.
#[derive(Debug)]
pub struct SettingTemplate {
    password: PacePassword,
    params: PaceParams,
    command: Vec<u8>,
}

impl SettingTemplate {
    /// Adds DO'84' (the standardized domain parameter id) to MSE:Set AT. §4.4.4.1 requires it when
    /// the chip offers more than one set of domain parameters for PACE.
    pub fn with_domain_parameter_reference(mut self) -> SettingTemplate {
        self.command = set_at_command(&self.params.protocol, self.password.kind(), Some(self.params.parameter_id));
        self
    }

    /// The MSE:Set AT command to send.
    pub fn command(&self) -> &[u8] {
        &self.command
    }

    /// Takes the chip's answer to MSE:Set AT.
    pub fn on_response(self, response: &[u8]) -> Result<AwaitingNonce, PaceError> {
        let step = PaceStep::SetAuthenticationTemplate;
        let (_, status) = split_status(response, step)?;
        if status != SW_SUCCESS {
            return Err(PaceError::Refused { step, status });
        }
        let password_key = self.password.password_key(self.params.strength);
        Ok(AwaitingNonce { password: self.password.kind(), params: self.params, password_key })
    }
}

/// Phase 1: the chip's encrypted nonce.
#[derive(Debug)]
pub struct AwaitingNonce {
    password: PasswordKind,
    params: PaceParams,
    password_key: AesKey,
}

impl AwaitingNonce {
    /// GENERAL AUTHENTICATE with an empty dynamic authentication data template (chained, CLA 10).
    pub fn command(&self) -> Vec<u8> {
        general_authenticate(true, None)
    }

    /// Takes the encrypted nonce, decrypts it with Kπ and draws our mapping key from `random`.
    pub fn on_response(self, response: &[u8], random: &mut impl TerminalRandom) -> Result<AwaitingMapping, PaceError> {
        let step = PaceStep::EncryptedNonce;
        let encrypted = dynamic_data(response, step, tags::ENCRYPTED_NONCE, self.password)?;
        // §4.4.1, step 1: s = D(Kπ, z), AES-CBC with a zero IV; the nonce is one or two whole blocks.
        let nonce = pace_crypto::aes_cbc_decrypt(&self.password_key, &[0; 16], &encrypted)
            .map_err(|_| PaceError::Malformed(step))?;
        let curve = self.params.curve;
        let mapping_key = curve.random_private_key(random).map_err(|error| ec_error(error, step))?;
        let mapping_public =
            curve.multiply(mapping_key.as_slice(), &curve.generator()).map_err(|_| PaceError::Malformed(step))?;
        let command = general_authenticate(true, Some((tags::MAPPING_TERMINAL, &mapping_public)));
        Ok(AwaitingMapping { password: self.password, params: self.params, nonce, mapping_key, command })
    }
}

/// Phase 2: the chip's mapping key; then the mapped generator.
pub struct AwaitingMapping {
    password: PasswordKind,
    params: PaceParams,
    nonce: Zeroizing<Vec<u8>>,
    mapping_key: Zeroizing<[u8; pace_crypto::COORDINATE_LEN]>,
    command: Vec<u8>,
}

impl fmt::Debug for AwaitingMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingMapping").field("params", &self.params).finish_non_exhaustive()
    }
}

impl AwaitingMapping {
    /// GENERAL AUTHENTICATE carrying our mapping public key (DO'81').
    pub fn command(&self) -> &[u8] {
        &self.command
    }

    /// Takes the chip's mapping public key, computes Ĝ = s·G + H and draws our ephemeral key on Ĝ.
    pub fn on_response(
        self,
        response: &[u8],
        random: &mut impl TerminalRandom,
    ) -> Result<AwaitingKeyAgreement, PaceError> {
        let step = PaceStep::MapNonce;
        let chip_mapping = dynamic_data(response, step, tags::MAPPING_CHIP, self.password)?;
        let curve = self.params.curve;
        let h = curve.multiply(self.mapping_key.as_slice(), &chip_mapping).map_err(|error| ec_error(error, step))?;
        let generator = curve.map_generator(&self.nonce, &h).map_err(|error| ec_error(error, step))?;
        let ephemeral_key = curve.random_private_key(random).map_err(|error| ec_error(error, step))?;
        let ephemeral_public =
            curve.multiply(ephemeral_key.as_slice(), &generator).map_err(|error| ec_error(error, step))?;
        let command = general_authenticate(true, Some((tags::EPHEMERAL_TERMINAL, &ephemeral_public)));
        Ok(AwaitingKeyAgreement {
            password: self.password,
            params: self.params,
            ephemeral_key,
            ephemeral_public,
            command,
        })
    }
}

/// Phase 3: the chip's ephemeral key; then the session keys and our token.
pub struct AwaitingKeyAgreement {
    password: PasswordKind,
    params: PaceParams,
    ephemeral_key: Zeroizing<[u8; pace_crypto::COORDINATE_LEN]>,
    ephemeral_public: Vec<u8>,
    command: Vec<u8>,
}

impl fmt::Debug for AwaitingKeyAgreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingKeyAgreement").field("params", &self.params).finish_non_exhaustive()
    }
}

impl AwaitingKeyAgreement {
    /// GENERAL AUTHENTICATE carrying our ephemeral public key (DO'83').
    pub fn command(&self) -> &[u8] {
        &self.command
    }

    /// Takes the chip's ephemeral public key and derives the session keys and our token.
    pub fn on_response(self, response: &[u8]) -> Result<AwaitingToken, PaceError> {
        let step = PaceStep::KeyAgreement;
        let chip_public = dynamic_data(response, step, tags::EPHEMERAL_CHIP, self.password)?;
        // §4.4.1 (key agreement): the terminal checks that the chip's key differs from its own, so
        // a reflected key cannot make it authenticate itself.
        if constant_time_eq(&chip_public, &self.ephemeral_public) {
            return Err(PaceError::ReflectedKey);
        }
        let keys = SessionKeys::agree(&self.params, self.ephemeral_key.as_slice(), &chip_public)
            .map_err(|error| ec_error(error, step))?;
        let our_token = authentication_token(&keys.ks_mac, &self.params.protocol, &chip_public);
        let expected_token = authentication_token(&keys.ks_mac, &self.params.protocol, &self.ephemeral_public);
        let command = general_authenticate(false, Some((tags::TOKEN_TERMINAL, &our_token)));
        Ok(AwaitingToken { password: self.password, keys, expected_token, command })
    }
}

/// Phase 4: the chip's token; then the secure channel.
pub struct AwaitingToken {
    password: PasswordKind,
    keys: SessionKeys,
    expected_token: [u8; CMAC_LEN],
    command: Vec<u8>,
}

impl fmt::Debug for AwaitingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingToken").field("password", &self.password).finish_non_exhaustive()
    }
}

impl AwaitingToken {
    /// GENERAL AUTHENTICATE carrying our authentication token (DO'85'), the last of the chain.
    pub fn command(&self) -> &[u8] {
        &self.command
    }

    /// Checks the chip's token and opens AES secure messaging with SSC = 0.
    pub fn on_response(self, response: &[u8]) -> Result<SecureChannel, PaceError> {
        let step = PaceStep::MutualAuthentication;
        let token = dynamic_data(response, step, tags::TOKEN_CHIP, self.password)?;
        if !constant_time_eq(&token, &self.expected_token) {
            return Err(PaceError::CardTokenInvalid);
        }
        Ok(SecureChannel::from_aes_session_keys(self.keys.ks_enc.clone(), self.keys.ks_mac.clone()))
    }
}

/// Why [`establish`] did not end in a secure channel.
#[derive(Debug, thiserror::Error)]
pub enum EstablishError<E: std::error::Error + 'static> {
    /// `EF.CardAccess` offers no PACE this kiosk can run; the reader should fall back to BAC.
    #[error("PACE cannot be used with this card: {0}")]
    Unsupported(#[from] PaceUnsupported),
    /// The protocol failed (wrong password, refused step, tampered answer …).
    #[error(transparent)]
    Pace(#[from] PaceError),
    /// The card reader failed (card removed, timeout …).
    #[error("the card reader failed during PACE: {0}")]
    Transport(#[source] E),
}

/// Runs the whole of PACE over `transmit` (one command APDU in, the response APDU out): chooses
/// the parameters from `EF.CardAccess`, sends MSE:Set AT (with DO'84' when the file lists more
/// than one PACEInfo, as §4.4.4.1 requires) and the four GENERAL AUTHENTICATE steps, and returns the
/// AES secure channel. Use the phase types directly to interleave anything else.
pub fn establish<E: std::error::Error + 'static>(
    password: PacePassword,
    card_access: &SecurityInfos,
    random: &mut impl TerminalRandom,
    mut transmit: impl FnMut(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<SecureChannel, EstablishError<E>> {
    let params = card_access.preferred_pace()?;
    let mut state = Pace::start(password, params);
    if card_access.pace_infos().count() > 1 {
        state = state.with_domain_parameter_reference();
    }
    let mut send = |command: &[u8]| transmit(command).map_err(EstablishError::Transport);
    let response = send(state.command())?;
    let state = state.on_response(&response)?;
    let response = send(&state.command())?;
    let state = state.on_response(&response, random)?;
    let response = send(state.command())?;
    let state = state.on_response(&response, random)?;
    let response = send(state.command())?;
    let state = state.on_response(&response)?;
    let response = send(state.command())?;
    Ok(state.on_response(&response)?)
}

/// KSenc and KSmac of a PACE session (§4.4.1, §9.7.1). Wiped on drop (see [`AesKey`]).
#[derive(Clone)]
pub struct SessionKeys {
    /// The encryption key KSenc.
    pub ks_enc: AesKey,
    /// The MAC key KSmac.
    pub ks_mac: AesKey,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys { <redacted> }")
    }
}

impl SessionKeys {
    /// K = x(own private key · peer public key), then KSenc = KDF(K, 1), KSmac = KDF(K, 2).
    pub(crate) fn agree(params: &PaceParams, own_private: &[u8], peer_public: &[u8]) -> Result<SessionKeys, EcError> {
        let shared = Zeroizing::new(params.curve.multiply(own_private, peer_public)?);
        let secret = x_coordinate(&shared);
        Ok(SessionKeys { ks_enc: params.strength.derive_key(secret, 1), ks_mac: params.strength.derive_key(secret, 2) })
    }
}

/// T = CMAC(KSmac, 7F49 { 06 OID, 86 public point })/8: the authentication token over the other
/// side's ephemeral public key (Doc 9303-11 §4.4.3.4, data object of §9.4 for ECDH).
pub fn authentication_token(ks_mac: &AesKey, protocol: &ObjectId, public_point: &[u8]) -> [u8; CMAC_LEN] {
    let mut inner = protocol.to_der();
    inner.push(TAG_EC_POINT);
    push_der_length(&mut inner, public_point.len());
    inner.extend_from_slice(public_point);
    let mut object = TAG_PUBLIC_KEY.to_vec();
    push_der_length(&mut object, inner.len());
    object.extend_from_slice(&inner);
    pace_crypto::aes_cmac8(ks_mac, &object)
}

/// MSE:Set AT for mutual authentication (P1P2 = C1A4, §4.4.4.1).
fn set_at_command(protocol: &ObjectId, password: PasswordKind, parameter_id: Option<u32>) -> Vec<u8> {
    let mut data = vec![0x80];
    push_der_length(&mut data, protocol.as_der_content().len());
    data.extend_from_slice(protocol.as_der_content());
    data.extend_from_slice(&[0x83, 0x01, password.reference()]);
    if let Some(id) = parameter_id {
        data.extend_from_slice(&[0x84, 0x01, id.min(0xFF) as u8]);
    }
    let mut command = vec![0x00, 0x22, 0xC1, 0xA4, data.len() as u8];
    command.extend_from_slice(&data);
    command
}

/// GENERAL AUTHENTICATE (INS 86, §4.4.4.2): CLA 10 (command chaining) for steps 1–3, 00 for the last;
/// data 7C { object }; Le = 00.
pub(crate) fn general_authenticate(chained: bool, object: Option<(u32, &[u8])>) -> Vec<u8> {
    let mut inner = Vec::new();
    if let Some((tag, value)) = object {
        inner.push(tag as u8);
        push_der_length(&mut inner, value.len());
        inner.extend_from_slice(value);
    }
    let mut data = vec![TAG_DYNAMIC_AUTHENTICATION as u8];
    push_der_length(&mut data, inner.len());
    data.extend_from_slice(&inner);
    let mut command = vec![if chained { 0x10 } else { 0x00 }, 0x86, 0x00, 0x00, data.len() as u8];
    command.extend_from_slice(&data);
    command.push(0x00);
    command
}

/// Splits a response APDU into its data and status word.
fn split_status(response: &[u8], step: PaceStep) -> Result<(&[u8], u16), PaceError> {
    let [data @ .., sw1, sw2] = response else {
        return Err(PaceError::MissingStatusWord(step));
    };
    Ok((data, u16::from_be_bytes([*sw1, *sw2])))
}

/// The value of `tag` inside the chip's dynamic authentication data `7C { … }`.
fn dynamic_data(response: &[u8], step: PaceStep, tag: u32, password: PasswordKind) -> Result<Vec<u8>, PaceError> {
    let (data, status) = split_status(response, step)?;
    if status != SW_SUCCESS {
        // A chip that cannot verify our token answers 6300 (or 63Cx with the tries left), some 6982:
        // the password was wrong (§4.4.4.2 and ISO/IEC 7816-4 status words).
        let denied = step == PaceStep::MutualAuthentication && (status & 0xFF00 == 0x6300 || status == 0x6982);
        return Err(if denied {
            let retries_left = (status & 0xFFF0 == 0x63C0).then_some((status & 0x000F) as u8);
            PaceError::AccessDenied { password, retries_left }
        } else {
            PaceError::Refused { step, status }
        });
    }
    find_in_template(data, tag).ok_or(PaceError::Malformed(step))
}

/// Finds `tag` in a `7C` template that fills `data` exactly.
pub(crate) fn find_in_template(data: &[u8], tag: u32) -> Option<Vec<u8>> {
    let (template, rest) = read_tlv(data)?;
    if template.tag != TAG_DYNAMIC_AUTHENTICATION || !rest.is_empty() {
        return None;
    }
    let objects: Vec<Tlv<'_>> = read_all_tlv(template.value)?;
    objects.iter().find(|object| object.tag == tag).map(|object| object.value.to_vec())
}

fn ec_error(error: EcError, step: PaceStep) -> PaceError {
    match error {
        EcError::InvalidPoint | EcError::Infinity => PaceError::InvalidPublicKey(step),
        EcError::BrokenRandomSource => PaceError::BrokenRandomSource,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::idcard::crypto::tests::hex;
    use crate::idcard::pace_crypto::Curve;
    use crate::idcard::pace_info::SecurityInfos;

    // ICAO Doc 9303 Part 11, Appendix G.1 "ECDH based example": PACE-ECDH-GM-AES-CBC-CMAC-128 on
    // brainpoolP256r1 with the MRZ password T22000129 / 640812 / 101031. The numbers were taken from
    // that appendix as quoted (identically) in the test suites of two independent open-source
    // readers, gmrtd (Go, pace_test.go) and jcexpress (Java, IcaoAppendixG1PaceTest.java).
    pub(crate) const MRZ_INFORMATION: &str = "T22000129364081251010318";
    pub(crate) const CARD_ACCESS: &str = "31143012060A04007F0007020204020202010202010D";
    pub(crate) const NONCE_ENCRYPTED: &str = "95A3A016522EE98D01E76CB6B98B42C3";
    pub(crate) const NONCE: &str = "3F00C4D39D153F2B2A214A078D899B22";
    pub(crate) const SK_MAP_IFD: &str = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99";
    pub(crate) const PK_MAP_IFD: &str = "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E\
                                         544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D";
    pub(crate) const SK_MAP_IC: &str = "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560";
    pub(crate) const PK_MAP_IC: &str = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57\
                                        30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
    pub(crate) const H: &str = "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5\
                                0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181";
    pub(crate) const MAPPED_G: &str = "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2\
                                       8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522";
    pub(crate) const SK_IFD: &str = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595";
    pub(crate) const PK_IFD: &str = "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C\
                                     3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462";
    pub(crate) const SK_IC: &str = "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A";
    pub(crate) const PK_IC: &str = "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
                                    7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";
    pub(crate) const SHARED_SECRET: &str = "28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925";
    pub(crate) const KS_ENC: &str = "F5F0E35C0D7161EE6724EE513A0D9A7F";
    pub(crate) const KS_MAC: &str = "FE251C7858B356B24514B3BD5F4297D1";
    pub(crate) const T_IFD: &str = "C2B0BD78D94BA866";
    pub(crate) const T_IC: &str = "3ABB9674BCE93C08";
    /// The five command/response pairs of the appendix (the MSE:Set AT without DO'84').
    pub(crate) const TRANSCRIPT: [(&str, &str); 5] = [
        ("0022C1A40F800A04007F00070202040202830101", "9000"),
        ("10860000027C0000", "7C128010 95A3A016522EE98D01E76CB6B98B42C3 9000"),
        (
            "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E\
             544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00",
            "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57\
             30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54 9000",
        ),
        (
            "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C\
             3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200",
            "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
             7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094 9000",
        ),
        ("008600000C7C0A8508C2B0BD78D94BA86600", "7C0A8608 3ABB9674BCE93C08 9000"),
    ];

    /// A `TerminalRandom` that hands out the given byte strings in turn (the appendix's keys).
    pub(crate) fn scripted_random(values: &[&str]) -> impl FnMut(&mut [u8]) + Send + use<> {
        let mut queue: std::collections::VecDeque<Vec<u8>> = values.iter().map(|value| hex(value)).collect();
        move |buffer: &mut [u8]| {
            let next = queue.pop_front().expect("the test scripted enough random values");
            assert_eq!(next.len(), buffer.len(), "scripted random value of the wrong length");
            buffer.copy_from_slice(&next);
        }
    }

    fn appendix_params() -> PaceParams {
        SecurityInfos::parse(&hex(CARD_ACCESS)).expect("appendix file").preferred_pace().expect("supported")
    }

    #[test]
    fn appendix_g1_computations_step_by_step() {
        let curve = Curve::BrainpoolP256r1;
        let password = PacePassword::mrz(MRZ_INFORMATION);
        let k_pi = password.password_key(AesStrength::Aes128);
        assert_eq!(k_pi.as_bytes(), hex("89DED1B26624EC1E634C1989302849DD").as_slice());
        let nonce = pace_crypto::aes_cbc_decrypt(&k_pi, &[0; 16], &hex(NONCE_ENCRYPTED)).expect("one block");
        assert_eq!(nonce.to_vec(), hex(NONCE));
        assert_eq!(curve.multiply(&hex(SK_MAP_IFD), &curve.generator()), Ok(hex(PK_MAP_IFD)));
        assert_eq!(curve.multiply(&hex(SK_MAP_IC), &curve.generator()), Ok(hex(PK_MAP_IC)));
        assert_eq!(curve.multiply(&hex(SK_MAP_IFD), &hex(PK_MAP_IC)), Ok(hex(H)));
        assert_eq!(curve.multiply(&hex(SK_MAP_IC), &hex(PK_MAP_IFD)), Ok(hex(H)));
        assert_eq!(curve.map_generator(&nonce, &hex(H)), Ok(hex(MAPPED_G)));
        assert_eq!(curve.multiply(&hex(SK_IFD), &hex(MAPPED_G)), Ok(hex(PK_IFD)));
        assert_eq!(curve.multiply(&hex(SK_IC), &hex(MAPPED_G)), Ok(hex(PK_IC)));
        let shared = curve.multiply(&hex(SK_IFD), &hex(PK_IC)).expect("valid point");
        assert_eq!(x_coordinate(&shared), hex(SHARED_SECRET).as_slice());
        let params = appendix_params();
        let keys = SessionKeys::agree(&params, &hex(SK_IC), &hex(PK_IFD)).expect("valid point");
        assert_eq!(keys.ks_enc.as_bytes(), hex(KS_ENC).as_slice());
        assert_eq!(keys.ks_mac.as_bytes(), hex(KS_MAC).as_slice());
        assert_eq!(authentication_token(&keys.ks_mac, &params.protocol, &hex(PK_IC)).to_vec(), hex(T_IFD));
        assert_eq!(authentication_token(&keys.ks_mac, &params.protocol, &hex(PK_IFD)).to_vec(), hex(T_IC));
    }

    #[test]
    fn appendix_g1_terminal_transcript_byte_for_byte() {
        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
        let state = Pace::start(PacePassword::mrz(MRZ_INFORMATION), appendix_params());
        assert_eq!(state.command(), hex(TRANSCRIPT[0].0).as_slice());
        let state = state.on_response(&hex(TRANSCRIPT[0].1)).expect("set AT");
        assert_eq!(state.command(), hex(TRANSCRIPT[1].0));
        let state = state.on_response(&hex(TRANSCRIPT[1].1), &mut random).expect("nonce");
        assert_eq!(state.nonce.to_vec(), hex(NONCE));
        assert_eq!(state.command(), hex(TRANSCRIPT[2].0).as_slice());
        let state = state.on_response(&hex(TRANSCRIPT[2].1), &mut random).expect("mapping");
        assert_eq!(state.command(), hex(TRANSCRIPT[3].0).as_slice());
        let state = state.on_response(&hex(TRANSCRIPT[3].1)).expect("key agreement");
        assert_eq!(state.keys.ks_enc.as_bytes(), hex(KS_ENC).as_slice());
        assert_eq!(state.keys.ks_mac.as_bytes(), hex(KS_MAC).as_slice());
        assert_eq!(state.command(), hex(TRANSCRIPT[4].0).as_slice());
        let channel = state.on_response(&hex(TRANSCRIPT[4].1)).expect("mutual authentication");
        let (ks_enc, ks_mac, ssc) = channel.aes_state_for_tests();
        assert_eq!((ks_enc, ks_mac, ssc), (hex(KS_ENC), hex(KS_MAC), [0u8; 16]));
    }

    #[test]
    fn domain_parameter_reference_is_added_on_request() {
        let state =
            Pace::start(PacePassword::mrz(MRZ_INFORMATION), appendix_params()).with_domain_parameter_reference();
        assert_eq!(state.command(), hex("0022C1A412800A04007F0007020204020283010184010D").as_slice());
        let can = Pace::start(PacePassword::can("123456").expect("6 digits"), appendix_params());
        assert_eq!(&can.command()[can.command().len() - 3..], &[0x83, 0x01, 0x02]);
    }

    /// Runs the appendix transcript up to the last step and returns the state awaiting the token.
    fn appendix_until_token() -> AwaitingToken {
        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
        let state = Pace::start(PacePassword::mrz(MRZ_INFORMATION), appendix_params());
        let state = state.on_response(&hex(TRANSCRIPT[0].1)).expect("set AT");
        let state = state.on_response(&hex(TRANSCRIPT[1].1), &mut random).expect("nonce");
        let state = state.on_response(&hex(TRANSCRIPT[2].1), &mut random).expect("mapping");
        state.on_response(&hex(TRANSCRIPT[3].1)).expect("key agreement")
    }

    #[test]
    fn a_rejected_token_is_access_denied_with_the_tries_left() {
        assert_eq!(
            appendix_until_token().on_response(&hex("63C2")).expect_err("denied"),
            PaceError::AccessDenied { password: PasswordKind::Mrz, retries_left: Some(2) }
        );
        assert_eq!(
            appendix_until_token().on_response(&hex("6300")).expect_err("denied"),
            PaceError::AccessDenied { password: PasswordKind::Mrz, retries_left: None }
        );
        let message = PaceError::AccessDenied { password: PasswordKind::Can, retries_left: None }.to_string();
        assert!(message.contains("card access number"), "{message}");
    }

    #[test]
    fn a_wrong_or_altered_card_token_is_refused() {
        assert_eq!(
            appendix_until_token().on_response(&hex("7C0A8608 3ABB9674BCE93C09 9000")).expect_err("bad token"),
            PaceError::CardTokenInvalid
        );
        assert_eq!(
            appendix_until_token().on_response(&hex("7C0A8508 3ABB9674BCE93C08 9000")).expect_err("wrong tag"),
            PaceError::Malformed(PaceStep::MutualAuthentication)
        );
    }

    #[test]
    fn bad_answers_in_every_step_are_errors_not_panics() {
        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD, SK_MAP_IFD, SK_IFD]);
        let start = || Pace::start(PacePassword::mrz(MRZ_INFORMATION), appendix_params());
        assert_eq!(
            start().on_response(&hex("6A80")).expect_err("refused"),
            PaceError::Refused { step: PaceStep::SetAuthenticationTemplate, status: 0x6A80 }
        );
        assert_eq!(
            start().on_response(&[0x90]).expect_err("short"),
            PaceError::MissingStatusWord(PaceStep::SetAuthenticationTemplate)
        );
        let nonce_state = || start().on_response(&hex("9000")).expect("set AT");
        for (answer, error) in [
            (
                "7C12801095A3A016522EE98D01E76CB6B98B42C3 6985",
                PaceError::Refused { step: PaceStep::EncryptedNonce, status: 0x6985 },
            ),
            ("7C11800F95A3A016522EE98D01E76CB6B98B42 9000", PaceError::Malformed(PaceStep::EncryptedNonce)),
            ("7C13801095A3A016522EE98D01E76CB6B98B42C3 9000", PaceError::Malformed(PaceStep::EncryptedNonce)),
            ("9000", PaceError::Malformed(PaceStep::EncryptedNonce)),
        ] {
            assert_eq!(nonce_state().on_response(&hex(answer), &mut random).expect_err(answer), error);
        }
        // A mapping point off the curve, then a reflected ephemeral key.
        let mapping = nonce_state().on_response(&hex(TRANSCRIPT[1].1), &mut random).expect("nonce");
        let mut off_curve = hex(TRANSCRIPT[2].1);
        off_curve[40] ^= 1;
        assert_eq!(
            mapping.on_response(&off_curve, &mut random).expect_err("off curve"),
            PaceError::InvalidPublicKey(PaceStep::MapNonce)
        );
        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
        let mapping = nonce_state().on_response(&hex(TRANSCRIPT[1].1), &mut random).expect("nonce");
        let agreement = mapping.on_response(&hex(TRANSCRIPT[2].1), &mut random).expect("mapping");
        let reflected = format!("7C438441{PK_IFD}9000");
        assert_eq!(agreement.on_response(&hex(&reflected)).expect_err("reflected"), PaceError::ReflectedKey);
    }

    #[test]
    fn truncated_answers_never_panic() {
        for cut in 0..hex(TRANSCRIPT[2].1).len() {
            let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
            let state = Pace::start(PacePassword::mrz(MRZ_INFORMATION), appendix_params());
            let state = state.on_response(&hex(TRANSCRIPT[0].1)).expect("set AT");
            let state = state.on_response(&hex(TRANSCRIPT[1].1), &mut random).expect("nonce");
            assert!(state.on_response(&hex(TRANSCRIPT[2].1)[..cut], &mut random).is_err(), "cut at {cut}");
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the card was removed")]
    struct Removed;

    #[test]
    fn establish_runs_the_appendix_transcript_and_reports_each_failure_kind() {
        let infos = SecurityInfos::parse(&hex(CARD_ACCESS)).expect("appendix file");
        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
        let mut step = 0;
        let channel = establish(PacePassword::mrz(MRZ_INFORMATION), &infos, &mut random, |command: &[u8]| {
            let (expected, answer) = TRANSCRIPT[step];
            assert_eq!(command, hex(expected).as_slice(), "command {step}");
            step += 1;
            Ok::<_, Removed>(hex(answer))
        })
        .expect("appendix transcript");
        assert_eq!(channel.aes_state_for_tests().0, hex(KS_ENC));

        let mut random = scripted_random(&[SK_MAP_IFD, SK_IFD]);
        let error = establish(PacePassword::mrz(MRZ_INFORMATION), &infos, &mut random, |_: &[u8]| Err(Removed))
            .expect_err("no card");
        assert!(matches!(error, EstablishError::Transport(Removed)), "{error:?}");
        assert!(error.to_string().contains("removed"), "{error}");

        let no_pace = SecurityInfos { infos: vec![] };
        let error = establish(PacePassword::mrz(MRZ_INFORMATION), &no_pace, &mut random, |_: &[u8]| Err(Removed))
            .expect_err("no PACE");
        assert!(matches!(error, EstablishError::Unsupported(PaceUnsupported::NotOffered)), "{error:?}");
    }

    #[test]
    fn establish_names_the_domain_parameters_when_the_file_offers_several() {
        // Two PACEInfos (brainpoolP256r1 and NIST P-256): MSE:Set AT must carry DO'84'.
        let file = hex("3128 3012060A04007F0007020204020202010202010D 3012060A04007F0007020204020202010202010C");
        let infos = SecurityInfos::parse(&file).expect("well-formed");
        let mut random = scripted_random(&[]);
        let mut first = None;
        let _ = establish(PacePassword::mrz(MRZ_INFORMATION), &infos, &mut random, |command: &[u8]| {
            first.get_or_insert_with(|| command.to_vec());
            Err(Removed)
        });
        assert_eq!(first, Some(hex("0022C1A412800A04007F0007020204020283010184010D")));
    }

    #[test]
    fn can_must_be_six_digits_and_nothing_leaks_in_debug() {
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(PacePassword::can(bad).expect_err(bad), PaceError::InvalidCan);
        }
        let password = PacePassword::can("123456").expect("6 digits");
        assert_eq!(password.kind(), PasswordKind::Can);
        let text = format!("{password:?} {:?}", PacePassword::mrz(MRZ_INFORMATION));
        assert!(!text.contains("123456") && !text.contains("T22000129"), "{text}");
        let state = appendix_until_token();
        let text = format!("{state:?} {:?}", state.keys);
        assert!(!text.contains("F5F0") && !text.to_lowercase().contains("f5f0"), "{text}");
    }
}
