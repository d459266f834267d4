//! PACE end to end through the HAL's simulated card reader: the kiosk reads `EF.CardAccess`, runs
//! PACE against a simulated chip ([`PaceChip`] in front of the HAL's [`FileCard`]) and then reads
//! EF.COM under AES secure messaging, every APDU going through `CardReader::transmit`.
//!
//! The wrapper card below is also the pattern for the eMRTD chip simulator: plain commands before
//! access control, MSE:Set AT / GENERAL AUTHENTICATE to the PACE responder, then every command
//! opened and every answer protected by the chip's half of secure messaging.

use kiosk::idcard::pace::{Pace, PaceError, PacePassword, PasswordKind, TerminalRandom};
use kiosk::idcard::pace_card::PaceChip;
use kiosk::idcard::pace_crypto::{AesStrength, Curve};
use kiosk::idcard::pace_info::{PaceParams, SecurityInfos};
use kiosk::idcard::sm::{CardSecureChannel, SecureChannel};
use kiosk_hal::card::sim::{EMRTD_AID, FileCard, SimCard, SimCardReader};
use kiosk_hal::card::{CardProtocol, CardReader, status_word};
use kiosk_hal::sim::{FaultPlan, World, WorldState};

/// File identifier of EF.CardAccess (Doc 9303-10).
const CARD_ACCESS_FID: [u8; 2] = [0x01, 0x1C];

/// A seeded xorshift generator: reproducible randomness for both sides.
fn seeded(seed: u64) -> impl FnMut(&mut [u8]) + Send + Clone + 'static {
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

/// An eMRTD chip that offers PACE only: EF.CardAccess in the clear, the data groups of
/// [`FileCard::sample`] only under secure messaging.
struct PaceFileCard<R: TerminalRandom + Send + Clone + 'static> {
    files: FileCard,
    password: PacePassword,
    params: PaceParams,
    random: R,
    chip: Option<PaceChip<R>>,
    channel: Option<CardSecureChannel>,
    card_access_selected: bool,
}

impl<R: TerminalRandom + Send + Clone + 'static> PaceFileCard<R> {
    fn new(password: PacePassword, params: PaceParams, random: R) -> Self {
        let chip = PaceChip::new(password.clone(), params.clone(), random.clone());
        PaceFileCard {
            files: FileCard::sample(),
            password,
            params,
            random,
            chip: Some(chip),
            channel: None,
            card_access_selected: false,
        }
    }

    fn with_status(mut data: Vec<u8>, status: u16) -> Vec<u8> {
        data.extend_from_slice(&status.to_be_bytes());
        data
    }

    fn secure(&mut self, command: &[u8]) -> Vec<u8> {
        let Some(channel) = self.channel.as_mut() else {
            return vec![0x69, 0x82];
        };
        let Ok(plain) = channel.unprotect_command(command) else {
            // Doc 9303-11 §9.8: an SM error ends the session; the answer is plain.
            self.channel = None;
            return vec![0x69, 0x88];
        };
        let answer = self.files.process(&plain);
        let (data, status) = answer.split_at(answer.len().saturating_sub(2));
        let status = status_word(status).unwrap_or(0x6F00);
        channel.protect_response(data, status).unwrap_or_else(|_| vec![0x69, 0x88])
    }
}

impl<R: TerminalRandom + Send + Clone + 'static> SimCard for PaceFileCard<R> {
    fn protocol(&self) -> CardProtocol {
        self.files.protocol()
    }

    fn atr(&self) -> Vec<u8> {
        self.files.atr()
    }

    fn uid(&self) -> Vec<u8> {
        self.files.uid()
    }

    fn reset(&mut self) {
        self.files.reset();
        self.chip = Some(PaceChip::new(self.password.clone(), self.params.clone(), self.random.clone()));
        self.channel = None;
        self.card_access_selected = false;
    }

    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        if command.first().is_some_and(|cla| cla & 0x0C == 0x0C) {
            return self.secure(command);
        }
        match command {
            [_, 0x22 | 0x86, ..] => {
                let Some(mut chip) = self.chip.take() else {
                    return vec![0x69, 0x85];
                };
                let answer = chip.process(command);
                if chip.is_established() {
                    self.channel = chip.established();
                } else {
                    self.chip = Some(chip);
                }
                answer
            }
            [_, 0xA4, 0x02, _, 0x02, fid @ ..] if fid.starts_with(&CARD_ACCESS_FID) => {
                self.card_access_selected = true;
                vec![0x90, 0x00]
            }
            [_, 0xB0, 0x00, offset, ..] if self.card_access_selected => {
                let file = self.params.card_access();
                let start = usize::from(*offset).min(file.len());
                Self::with_status(file[start..].to_vec(), 0x9000)
            }
            // Before access control the data groups are out of reach (ISO/IEC 7816-4 6982).
            _ => vec![0x69, 0x82],
        }
    }
}

#[derive(Debug)]
enum ReadError {
    Device(String),
    Pace(PaceError),
    Unexpected(#[expect(dead_code, reason = "read through Debug in failure messages")] &'static str),
}

fn transmit(reader: &mut SimCardReader, command: &[u8]) -> Result<Vec<u8>, ReadError> {
    reader.transmit(command).map_err(|error| ReadError::Device(error.to_string()))
}

/// The kiosk's side: EF.CardAccess, PACE, then SELECT eMRTD and the first bytes of EF.COM under SM.
fn read_ef_com_head(
    reader: &mut SimCardReader,
    password: PacePassword,
    before_step: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, ReadError> {
    reader.poll().map_err(|error| ReadError::Device(error.to_string()))?.ok_or(ReadError::Unexpected("no card"))?;
    let select = [0x00, 0xA4, 0x02, 0x0C, 0x02, CARD_ACCESS_FID[0], CARD_ACCESS_FID[1]];
    if status_word(&transmit(reader, &select)?) != Some(0x9000) {
        return Err(ReadError::Unexpected("EF.CardAccess not found"));
    }
    let file = transmit(reader, &[0x00, 0xB0, 0x00, 0x00, 0x00])?;
    let infos = SecurityInfos::parse(&file[..file.len().saturating_sub(2)])
        .map_err(|_| ReadError::Unexpected("EF.CardAccess malformed"))?;
    let params = infos.preferred_pace().map_err(|_| ReadError::Unexpected("no usable PACE"))?;

    let mut random = seeded(0xC0FFEE);
    before_step(0);
    let state = Pace::start(password, params);
    let response = transmit(reader, state.command())?;
    let state = state.on_response(&response).map_err(ReadError::Pace)?;
    before_step(1);
    let response = transmit(reader, &state.command())?;
    let state = state.on_response(&response, &mut random).map_err(ReadError::Pace)?;
    before_step(2);
    let response = transmit(reader, state.command())?;
    let state = state.on_response(&response, &mut random).map_err(ReadError::Pace)?;
    before_step(3);
    let response = transmit(reader, state.command())?;
    let state = state.on_response(&response).map_err(ReadError::Pace)?;
    before_step(4);
    let response = transmit(reader, state.command())?;
    let mut channel: SecureChannel = state.on_response(&response).map_err(ReadError::Pace)?;

    let mut secure = |command: Vec<u8>| -> Result<Vec<u8>, ReadError> {
        let protected = channel.protect(&command).map_err(|_| ReadError::Unexpected("protect"))?;
        channel.unprotect(&transmit(reader, &protected)?).map_err(|_| ReadError::Unexpected("unprotect"))
    };
    let mut select_aid = vec![0x00, 0xA4, 0x04, 0x0C, EMRTD_AID.len() as u8];
    select_aid.extend_from_slice(&EMRTD_AID);
    if secure(select_aid)? != [0x90, 0x00] {
        return Err(ReadError::Unexpected("eMRTD application not selected"));
    }
    if secure(vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E])? != [0x90, 0x00] {
        return Err(ReadError::Unexpected("EF.COM not selected"));
    }
    secure(vec![0x00, 0xB0, 0x00, 0x00, 0x04])
}

const MRZ_INFORMATION: &str = "T22000129364081251010318";

fn reader_with(password: PacePassword, strength: AesStrength, curve: Curve) -> (World, SimCardReader) {
    let world = World::new(WorldState::default());
    let card = PaceFileCard::new(password, PaceParams::ecdh_generic_mapping(strength, curve), seeded(42));
    let reader = SimCardReader::new(world.clone(), Box::new(card), FaultPlan::none());
    (world, reader)
}

#[test]
fn pace_then_secure_messaging_reads_ef_com_through_the_simulated_reader() {
    for (strength, curve) in [(AesStrength::Aes128, Curve::BrainpoolP256r1), (AesStrength::Aes256, Curve::NistP256)] {
        let (_, mut reader) = reader_with(PacePassword::mrz(MRZ_INFORMATION), strength, curve);
        let head = read_ef_com_head(&mut reader, PacePassword::mrz(MRZ_INFORMATION), &mut |_| {})
            .unwrap_or_else(|error| panic!("{strength:?} {curve:?}: {error:?}"));
        // The first four bytes of the sample EF.COM (tag 60, length 14, 5F01) and the status word.
        assert_eq!(head, [0x60, 0x14, 0x5F, 0x01, 0x90, 0x00], "{strength:?} {curve:?}");
    }
}

#[test]
fn data_groups_are_out_of_reach_without_pace() {
    let (_, mut reader) = reader_with(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes128, Curve::NistP256);
    reader.poll().expect("reader works").expect("card present");
    let response = reader.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x04]).expect("card answers");
    assert_eq!(status_word(&response), Some(0x6982));
}

#[test]
fn a_wrong_can_is_reported_as_access_denied() {
    let chip_can = PacePassword::can("735201").expect("6 digits");
    let (_, mut reader) = reader_with(chip_can, AesStrength::Aes128, Curve::BrainpoolP256r1);
    let typed = PacePassword::can("735210").expect("6 digits");
    match read_ef_com_head(&mut reader, typed, &mut |_| {}) {
        Err(ReadError::Pace(error)) => {
            assert_eq!(error, PaceError::AccessDenied { password: PasswordKind::Can, retries_left: None });
            assert!(error.to_string().contains("card access number"), "{error}");
        }
        other => panic!("expected access denied, got {other:?}"),
    }
}

#[test]
fn removing_the_card_in_any_pace_step_is_a_clean_device_error() {
    for step in 0..5 {
        let (world, mut reader) = reader_with(PacePassword::mrz(MRZ_INFORMATION), AesStrength::Aes128, Curve::NistP256);
        let mut pull = |at: usize| {
            if at == step {
                world.update(|state| state.card_on_reader = false);
            }
        };
        match read_ef_com_head(&mut reader, PacePassword::mrz(MRZ_INFORMATION), &mut pull) {
            Err(ReadError::Device(message)) => assert!(message.contains("removed"), "step {step}: {message}"),
            other => panic!("step {step}: expected a device error, got {other:?}"),
        }
    }
}
