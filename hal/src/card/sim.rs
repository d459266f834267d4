//! Simulated card reader and simulated cards.
//!
//! A [`SimCard`] answers APDUs like a real card; [`SimCardReader`] presents it when the simulated
//! citizen holds it on the reader (see [`crate::sim::World`]). The same [`SimCard`] can sit behind the
//! PN532 protocol simulator, so the whole stack from serial frames to APDUs runs in tests.

use std::collections::BTreeMap;

use super::{CardInfo, CardProtocol, CardReader};
use crate::sim::{FaultPlan, Injected, World};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// A simulated smart card.
pub trait SimCard: Send {
    /// How it talks.
    fn protocol(&self) -> CardProtocol;
    /// Answer to reset / select.
    fn atr(&self) -> Vec<u8>;
    /// Anti-collision identifier.
    fn uid(&self) -> Vec<u8>;
    /// Starts a fresh session (the card was just powered by the field).
    fn reset(&mut self);
    /// Answers one command APDU with a response APDU ending in a status word.
    fn process(&mut self, command: &[u8]) -> Vec<u8>;
}

/// ISO/IEC 7816-4 status words used by the simulated cards.
pub mod sw {
    /// Success.
    pub const OK: [u8; 2] = [0x90, 0x00];
    /// Wrong length.
    pub const WRONG_LENGTH: [u8; 2] = [0x67, 0x00];
    /// Security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: [u8; 2] = [0x69, 0x82];
    /// Command not allowed (no current EF).
    pub const NO_CURRENT_EF: [u8; 2] = [0x69, 0x86];
    /// File or application not found.
    pub const FILE_NOT_FOUND: [u8; 2] = [0x6A, 0x82];
    /// Incorrect parameters P1-P2.
    pub const WRONG_P1P2: [u8; 2] = [0x6A, 0x86];
    /// Offset outside the EF.
    pub const WRONG_OFFSET: [u8; 2] = [0x6B, 0x00];
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: [u8; 2] = [0x6D, 0x00];
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: [u8; 2] = [0x6E, 0x00];
}

/// A card with one application holding plain elementary files: SELECT by AID (P1=04) and by file
/// identifier (P1=02), READ BINARY with offset. Like Vietnamese identity cards it answers SELECT MF
/// with `6D00`. It has no access control; the identity-document code adds an ICAO chip with BAC/PACE.
#[derive(Debug, Clone)]
pub struct FileCard {
    aid: Vec<u8>,
    files: BTreeMap<u16, Vec<u8>>,
    uid: Vec<u8>,
    application_selected: bool,
    current: Option<u16>,
}

impl FileCard {
    /// A card with application `aid` holding `files` by file identifier.
    pub fn new(aid: &[u8], files: BTreeMap<u16, Vec<u8>>) -> Self {
        FileCard {
            aid: aid.to_vec(),
            files,
            uid: vec![0x08, 0x12, 0x34, 0x56],
            application_selected: false,
            current: None,
        }
    }

    /// The card the simulator uses when none is configured: the ICAO eMRTD application with an EF.COM
    /// listing DG1 and DG2 and small placeholder data groups.
    pub fn sample() -> Self {
        let mut files = BTreeMap::new();
        // EF.COM: tag 60 { 5F01 LDS version "0107", 5F36 Unicode "040000", 5C tag list DG1 (61) DG2 (75) }
        files.insert(
            0x011E,
            vec![
                0x60, 0x14, 0x5F, 0x01, 0x04, b'0', b'1', b'0', b'7', 0x5F, 0x36, 0x06, b'0', b'4', b'0', b'0', b'0',
                b'0', 0x5C, 0x02, 0x61, 0x75,
            ],
        );
        files.insert(0x0101, vec![0x61, 0x03, 0x5F, 0x1F, 0x00]);
        files.insert(0x0102, vec![0x75, 0x00]);
        FileCard::new(&EMRTD_AID, files)
    }

    fn select(&mut self, p1: u8, data: &[u8]) -> Vec<u8> {
        match (p1, data) {
            (0x00, [] | [0x3F, 0x00]) => sw::INS_NOT_SUPPORTED.to_vec(),
            (0x04, aid) if aid == self.aid.as_slice() => {
                self.application_selected = true;
                self.current = None;
                sw::OK.to_vec()
            }
            (0x04, _) => sw::FILE_NOT_FOUND.to_vec(),
            (0x02 | 0x00, [hi, lo]) if self.application_selected => {
                let fid = u16::from_be_bytes([*hi, *lo]);
                if self.files.contains_key(&fid) {
                    self.current = Some(fid);
                    sw::OK.to_vec()
                } else {
                    sw::FILE_NOT_FOUND.to_vec()
                }
            }
            (0x02 | 0x00, [_, _]) => sw::FILE_NOT_FOUND.to_vec(),
            _ => sw::WRONG_P1P2.to_vec(),
        }
    }

    fn read_binary(&self, p1: u8, p2: u8, le: usize) -> Vec<u8> {
        if p1 & 0x80 != 0 {
            return sw::WRONG_P1P2.to_vec(); // short-EF addressing not offered
        }
        let Some(file) = self.current.and_then(|fid| self.files.get(&fid)) else {
            return sw::NO_CURRENT_EF.to_vec();
        };
        let offset = usize::from(u16::from_be_bytes([p1, p2]));
        if offset > file.len() {
            return sw::WRONG_OFFSET.to_vec();
        }
        let le = if le == 0 { 256 } else { le };
        let end = (offset + le).min(file.len());
        let mut response = file[offset..end].to_vec();
        response.extend_from_slice(&sw::OK);
        response
    }
}

/// The ICAO 9303 eMRTD application identifier.
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

impl SimCard for FileCard {
    fn protocol(&self) -> CardProtocol {
        CardProtocol::TypeA
    }

    fn atr(&self) -> Vec<u8> {
        // Historical bytes of a typical eMRTD ATS.
        vec![0x78, 0x77, 0x94, 0x02, 0x80]
    }

    fn uid(&self) -> Vec<u8> {
        self.uid.clone()
    }

    fn reset(&mut self) {
        self.application_selected = false;
        self.current = None;
    }

    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        let Some(apdu) = ShortApdu::parse(command) else {
            return sw::WRONG_LENGTH.to_vec();
        };
        if apdu.cla & 0xF0 != 0x00 {
            return sw::CLA_NOT_SUPPORTED.to_vec();
        }
        match apdu.ins {
            0xA4 => self.select(apdu.p1, apdu.data),
            0xB0 => self.read_binary(apdu.p1, apdu.p2, apdu.le),
            _ => sw::INS_NOT_SUPPORTED.to_vec(),
        }
    }
}

/// A parsed short command APDU (ISO/IEC 7816-4 cases 1-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortApdu<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data.
    pub data: &'a [u8],
    /// Expected response length (0 = none or 256, as in the encoding).
    pub le: usize,
}

impl<'a> ShortApdu<'a> {
    /// Parses a short APDU; `None` if the length bytes do not add up.
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let (&[cla, ins, p1, p2], body) = bytes.split_first_chunk::<4>()?;
        let (data, le) = match body {
            [] => (&[][..], 0),
            [le] => (&[][..], usize::from(*le)),
            [lc, rest @ ..] if *lc != 0 && rest.len() == usize::from(*lc) => (rest, 0),
            [lc, rest @ ..] if *lc != 0 && rest.len() == usize::from(*lc) + 1 => {
                (&rest[..usize::from(*lc)], usize::from(rest[usize::from(*lc)]))
            }
            _ => return None,
        };
        Some(ShortApdu { cla, ins, p1, p2, data, le })
    }
}

/// A simulated card reader presenting a [`SimCard`] whenever the world says the card is held on it.
pub struct SimCardReader {
    world: World,
    card: Box<dyn SimCard>,
    faults: FaultPlan,
    active: bool,
}

impl SimCardReader {
    /// A reader in `world` holding `card`.
    pub fn new(world: World, card: Box<dyn SimCard>, faults: FaultPlan) -> Self {
        SimCardReader { world, card, faults, active: false }
    }

    fn card_present(&self) -> bool {
        self.world.state().card_on_reader && self.faults.fault() != crate::sim::Fault::NoCard
    }

    fn card_info(&self) -> CardInfo {
        CardInfo { protocol: self.card.protocol(), atr: self.card.atr(), uid: self.card.uid() }
    }
}

impl Device for SimCardReader {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::CardReader, driver: "sim".into(), location: "simulated".into() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            self.faults.operation("card reader")?;
            let presence = if self.card_present() { "card present" } else { "no card" };
            Ok(Health::ok(info).with_detail("firmware", "simulated 1.0").with_detail("card", presence))
        })
    }
}

impl CardReader for SimCardReader {
    fn poll(&mut self) -> Result<Option<CardInfo>> {
        self.faults.operation("card reader")?;
        if !self.card_present() {
            self.active = false;
            return Ok(None);
        }
        if !self.active {
            self.card.reset();
            self.active = true;
        }
        Ok(Some(self.card_info()))
    }

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        let injected = self.faults.operation("card reader")?;
        if !self.card_present() {
            self.active = false;
            return Err(DeviceError::new(ErrorKind::NoMedium, "the card was removed from the reader"));
        }
        if !self.active {
            return Err(DeviceError::new(ErrorKind::NoMedium, "no card activated: poll first"));
        }
        if injected == Injected::Garbage {
            return Err(DeviceError::new(ErrorKind::Protocol, "simulated reader returned a corrupt frame"));
        }
        Ok(self.card.process(command))
    }

    fn release(&mut self) -> Result<()> {
        self.active = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::status_word;
    use crate::sim::{Fault, WorldState};

    fn reader(fault: Fault) -> (World, SimCardReader) {
        let world = World::new(WorldState::default());
        let reader = SimCardReader::new(world.clone(), Box::new(FileCard::sample()), FaultPlan::new(fault, 0));
        (world, reader)
    }

    #[test]
    fn select_mf_is_refused_like_a_vietnamese_card_and_the_aid_selects() {
        let (_, mut r) = reader(Fault::None);
        r.poll().unwrap().expect("card present");
        assert_eq!(status_word(&r.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]).unwrap()), Some(0x6D00));
        let mut select_aid = vec![0x00, 0xA4, 0x04, 0x0C, 0x07];
        select_aid.extend_from_slice(&EMRTD_AID);
        assert_eq!(status_word(&r.transmit(&select_aid).unwrap()), Some(0x9000));
        assert_eq!(status_word(&r.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E]).unwrap()), Some(0x9000));
        let head = r.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x04]).unwrap();
        assert_eq!(head, [0x60, 0x14, 0x5F, 0x01, 0x90, 0x00]);
        let tail = r.transmit(&[0x00, 0xB0, 0x00, 0x14, 0x00]).unwrap();
        assert_eq!(tail, [0x61, 0x75, 0x90, 0x00]);
        assert_eq!(status_word(&r.transmit(&[0x00, 0xB0, 0x00, 0x40, 0x01]).unwrap()), Some(0x6B00));
    }

    #[test]
    fn malformed_apdus_get_status_words_not_panics() {
        let (_, mut r) = reader(Fault::None);
        r.poll().unwrap();
        for bad in [&[0x00][..], &[0x00, 0xA4, 0x04, 0x0C, 0x09, 0x01], &[0x80, 0xA4, 0, 0], &[0x00, 0x2A, 0, 0]] {
            let response = r.transmit(bad).unwrap();
            assert!(status_word(&response).is_some_and(|sw| sw != 0x9000), "{bad:02X?}");
        }
    }

    #[test]
    fn a_card_taken_away_mid_session_is_no_medium_and_poll_sees_it_gone() {
        let (world, mut r) = reader(Fault::None);
        r.poll().unwrap().unwrap();
        world.update(|s| s.card_on_reader = false);
        assert_eq!(r.transmit(&[0x00, 0xB0, 0, 0, 1]).unwrap_err().kind(), ErrorKind::NoMedium);
        assert!(r.poll().unwrap().is_none());
    }

    #[test]
    fn injected_faults_surface_with_their_kinds() {
        let (_, mut no_card) = reader(Fault::NoCard);
        assert!(no_card.poll().unwrap().is_none());
        let (_, mut unplugged) = reader(Fault::Unplug);
        assert_eq!(unplugged.poll().unwrap_err().kind(), ErrorKind::Disconnected);
        assert_eq!(unplugged.self_test().status, crate::HealthStatus::Failed);
    }
}
