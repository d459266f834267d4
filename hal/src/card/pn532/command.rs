//! The PN532 commands the driver uses (UM0701-02 §7): codes, parameters, and parsers for their
//! responses. Pure functions; the simulator answers the same codes.

use std::fmt;

use super::error::Pn532Error;
use crate::card::{CardInfo, CardProtocol};

/// Diagnose (§7.2.1).
pub const DIAGNOSE: u8 = 0x00;
/// GetFirmwareVersion (§7.2.2).
pub const GET_FIRMWARE_VERSION: u8 = 0x02;
/// SAMConfiguration (§7.2.10).
pub const SAM_CONFIGURATION: u8 = 0x14;
/// RFConfiguration (§7.3.1).
pub const RF_CONFIGURATION: u8 = 0x32;
/// InDataExchange (§7.3.8).
pub const IN_DATA_EXCHANGE: u8 = 0x40;
/// InListPassiveTarget (§7.3.5).
pub const IN_LIST_PASSIVE_TARGET: u8 = 0x4A;
/// InRelease (§7.3.11).
pub const IN_RELEASE: u8 = 0x52;

/// The response code of a command: the command code plus one (§6.2.1.1).
pub fn response_code(command: u8) -> u8 {
    command.wrapping_add(1)
}

/// Diagnose test number 6: attention request / ISO/IEC 14443-4 card presence check (§7.2.1).
pub const DIAGNOSE_CARD_PRESENCE: u8 = 0x06;

/// SAMConfiguration parameters: normal mode (no SAM), virtual-card timeout 20 x 50 ms (unused in
/// normal mode), P70_IRQ driven. Leaves the LowVbat state the PN532 starts in (§7.2.10).
pub const SAM_NORMAL_MODE: [u8; 3] = [0x01, 0x14, 0x01];

/// HSU wake-up: the PN532 wakes on the `0x55` bytes and needs the line kept busy (a long preamble
/// of zeros) until its oscillator runs (UM0701-02 ch. 6, "HSU wake up condition"). The first
/// command after it must be SAMConfiguration, which leaves the LowVbat state (§7.2.10).
pub const HSU_WAKE_UP: [u8; 16] = [0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// RFConfiguration parameters for CfgItem 5 (MaxRetries): MxRtyATR and MxRtyPSL at their
/// defaults (0xFF, 0x01), and how often InListPassiveTarget retries activation. The default 0xFF
/// retries forever, which would block the driver while no card is there (§7.3.1).
pub fn max_retries(passive_activation: u8) -> [u8; 4] {
    [0x05, 0xFF, 0x01, passive_activation]
}

/// The More Information bit of the Tg byte of InDataExchange: more command data follows (§7.3.8).
pub const TG_MI: u8 = 0x40;

/// The most APDU bytes one InDataExchange command carries in a normal frame: 255 minus TFI,
/// command code and Tg. Longer APDUs are chained with [`TG_MI`].
pub const MAX_DATA_OUT: usize = 252;

/// Which cards InListPassiveTarget looks for (BrTy, §7.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modulation {
    /// ISO/IEC 14443 type A at 106 kbps.
    TypeA,
    /// ISO/IEC 14443 type B at 106 kbps.
    TypeB,
}

impl Modulation {
    /// The BrTy byte.
    pub fn code(self) -> u8 {
        match self {
            Modulation::TypeA => 0x00,
            Modulation::TypeB => 0x03,
        }
    }

    /// InListPassiveTarget parameters for one target; type B needs the AFI (0: all families).
    pub fn list_params(self) -> Vec<u8> {
        match self {
            Modulation::TypeA => vec![0x01, self.code()],
            Modulation::TypeB => vec![0x01, self.code(), 0x00],
        }
    }
}

/// What GetFirmwareVersion reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firmware {
    /// IC: 0x32 for the PN532.
    pub ic: u8,
    /// Firmware version.
    pub version: u8,
    /// Firmware revision.
    pub revision: u8,
    /// Supported protocols: bit 0 ISO/IEC 14443 A, bit 1 ISO/IEC 14443 B, bit 2 ISO 18092.
    pub support: u8,
}

/// The IC byte of a PN532.
pub const IC_PN532: u8 = 0x32;

impl Firmware {
    /// Parses the response parameters of GetFirmwareVersion.
    pub fn parse(params: &[u8]) -> Result<Self, Pn532Error> {
        match *params {
            [ic, version, revision, support] => Ok(Firmware { ic, version, revision, support }),
            _ => Err(malformed(GET_FIRMWARE_VERSION, "firmware version is not 4 bytes")),
        }
    }

    /// The protocols the chip supports, comma separated.
    pub fn protocols(&self) -> String {
        let names = [(0x01, "ISO14443A"), (0x02, "ISO14443B"), (0x04, "ISO18092")];
        let supported: Vec<_> =
            names.iter().filter(|(bit, _)| self.support & bit != 0).map(|(_, name)| *name).collect();
        supported.join(", ")
    }
}

impl fmt::Display for Firmware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ic == IC_PN532 {
            write!(f, "PN532 v{}.{}", self.version, self.revision)
        } else {
            write!(f, "IC {:#04x} v{}.{}", self.ic, self.version, self.revision)
        }
    }
}

/// A card InListPassiveTarget activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Logical number (Tg) for later commands.
    pub number: u8,
    /// What the kiosk learns about the card.
    pub info: CardInfo,
    /// Whether it speaks ISO/IEC 14443-4, so it can carry APDUs.
    pub iso_dep: bool,
}

/// SEL_RES (SAK) bit 6: the card complies with ISO/IEC 14443-4 (ISO/IEC 14443-3 §6.5.3.4).
const SEL_RES_ISO_DEP: u8 = 0x20;
/// ATQB protocol-type bit: the card complies with ISO/IEC 14443-4 (ISO/IEC 14443-3 §7.9.4.4).
const ATQB_ISO_DEP: u8 = 0x01;
/// ATQB length: 0x50, PUPI (4), application data (4), protocol info (3).
pub const ATQB_LEN: usize = 12;

/// Parses the response parameters of InListPassiveTarget; `None` when no card answered.
pub fn parse_target(modulation: Modulation, params: &[u8]) -> Result<Option<Target>, Pn532Error> {
    let (&count, data) = params.split_first().ok_or_else(|| malformed(IN_LIST_PASSIVE_TARGET, "empty"))?;
    if count == 0 {
        return Ok(None);
    }
    let (&number, data) = data.split_first().ok_or_else(|| malformed(IN_LIST_PASSIVE_TARGET, "no Tg"))?;
    let target = match modulation {
        Modulation::TypeA => parse_type_a(number, data)?,
        Modulation::TypeB => parse_type_b(number, data)?,
    };
    Ok(Some(target))
}

/// Type A target data: SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, then the ATS when the card is
/// ISO/IEC 14443-4 (§7.3.5). The reported ATR is the ATS without its length byte TL.
fn parse_type_a(number: u8, data: &[u8]) -> Result<Target, Pn532Error> {
    let [_sens_high, _sens_low, sel_res, uid_len, rest @ ..] = data else {
        return Err(malformed(IN_LIST_PASSIVE_TARGET, "type A target data too short"));
    };
    let uid = rest.get(..usize::from(*uid_len)).ok_or_else(|| malformed(IN_LIST_PASSIVE_TARGET, "NFCID1 cut short"))?;
    let ats = parse_ats(&rest[uid.len()..])?;
    let info = CardInfo { protocol: CardProtocol::TypeA, atr: ats.to_vec(), uid: uid.to_vec() };
    Ok(Target { number, info, iso_dep: sel_res & SEL_RES_ISO_DEP != 0 })
}

/// The ATS after its length byte, or nothing when there is none. TL counts itself (ISO/IEC
/// 14443-4 §5.2.1); a second target's data may follow, so TL must not exceed what is there.
fn parse_ats(bytes: &[u8]) -> Result<&[u8], Pn532Error> {
    let Some(&tl) = bytes.first() else {
        return Ok(&[]);
    };
    match bytes.get(1..usize::from(tl)) {
        Some(ats) if tl > 0 => Ok(ats),
        _ => Err(malformed(IN_LIST_PASSIVE_TARGET, "ATS length byte does not match the ATS")),
    }
}

/// Type B target data: ATQB (12 bytes), ATTRIB_RES length, ATTRIB_RES (§7.3.5). The reported ATR
/// is the ATQB and the UID its PUPI.
fn parse_type_b(number: u8, data: &[u8]) -> Result<Target, Pn532Error> {
    let atqb = data.get(..ATQB_LEN).ok_or_else(|| malformed(IN_LIST_PASSIVE_TARGET, "ATQB cut short"))?;
    if atqb[0] != 0x50 {
        return Err(malformed(IN_LIST_PASSIVE_TARGET, "ATQB does not start with 0x50"));
    }
    let attrib_len = data.get(ATQB_LEN).copied().unwrap_or(0);
    if data.len() < ATQB_LEN + 1 + usize::from(attrib_len) {
        return Err(malformed(IN_LIST_PASSIVE_TARGET, "ATTRIB_RES cut short"));
    }
    let info = CardInfo { protocol: CardProtocol::TypeB, atr: atqb.to_vec(), uid: atqb[1..5].to_vec() };
    Ok(Target { number, info, iso_dep: atqb[10] & ATQB_ISO_DEP != 0 })
}

/// Splits the response of InDataExchange, InRelease or Diagnose (card presence) into its status
/// byte and the data after it.
pub fn split_status(command: u8, params: &[u8]) -> Result<(u8, &[u8]), Pn532Error> {
    params.split_first().map(|(status, data)| (*status, data)).ok_or_else(|| malformed(command, "no status byte"))
}

fn malformed(command: u8, reason: &'static str) -> Pn532Error {
    Pn532Error::Malformed { command, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_of_a_pn532_v1_6_reads_as_such() {
        let firmware = Firmware::parse(&[0x32, 0x01, 0x06, 0x07]).unwrap();
        assert_eq!(firmware.to_string(), "PN532 v1.6");
        assert_eq!(firmware.protocols(), "ISO14443A, ISO14443B, ISO18092");
        assert!(Firmware::parse(&[0x32, 0x01]).is_err());
    }

    #[test]
    fn a_type_a_card_with_ats_gives_uid_and_ats() {
        // NbTg 1, Tg 1, SENS_RES 00 04, SEL_RES 20, 4-byte UID, ATS TL=06 78 77 94 02 80.
        let params = [0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x12, 0x34, 0x56, 0x06, 0x78, 0x77, 0x94, 0x02, 0x80];
        let target = parse_target(Modulation::TypeA, &params).unwrap().unwrap();
        assert_eq!(target.number, 1);
        assert!(target.iso_dep);
        assert_eq!(target.info.protocol, CardProtocol::TypeA);
        assert_eq!(target.info.uid, [0x08, 0x12, 0x34, 0x56]);
        assert_eq!(target.info.atr, [0x78, 0x77, 0x94, 0x02, 0x80]);
    }

    #[test]
    fn a_mifare_classic_with_a_seven_byte_uid_has_no_ats_and_no_iso_dep() {
        let params = [0x01, 0x01, 0x00, 0x44, 0x08, 0x07, 0x04, 0x33, 0x18, 0xEA, 0x70, 0x32, 0x80];
        let target = parse_target(Modulation::TypeA, &params).unwrap().unwrap();
        assert!(!target.iso_dep);
        assert_eq!(target.info.uid.len(), 7);
        assert!(target.info.atr.is_empty());
    }

    #[test]
    fn no_target_is_none_and_cut_responses_are_malformed() {
        assert_eq!(parse_target(Modulation::TypeA, &[0x00]).unwrap(), None);
        let cut_uid = [0x01, 0x01, 0x00, 0x04, 0x20, 0x07, 0x08, 0x12];
        assert!(matches!(parse_target(Modulation::TypeA, &cut_uid), Err(Pn532Error::Malformed { .. })));
        let long_tl = [0x01, 0x01, 0x00, 0x04, 0x20, 0x01, 0x08, 0x09, 0x78];
        assert!(matches!(parse_target(Modulation::TypeA, &long_tl), Err(Pn532Error::Malformed { .. })));
        assert!(parse_target(Modulation::TypeA, &[]).is_err());
    }

    #[test]
    fn a_type_b_card_gives_atqb_and_pupi() {
        let atqb = [0x50, 0xA1, 0xB2, 0xC3, 0xD4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x71];
        let mut params = vec![0x01, 0x01];
        params.extend_from_slice(&atqb);
        params.extend_from_slice(&[0x01, 0x00]);
        let target = parse_target(Modulation::TypeB, &params).unwrap().unwrap();
        assert_eq!(target.info.protocol, CardProtocol::TypeB);
        assert_eq!(target.info.uid, [0xA1, 0xB2, 0xC3, 0xD4]);
        assert_eq!(target.info.atr, atqb);
        assert!(target.iso_dep);
        params[2] = 0x51;
        assert!(parse_target(Modulation::TypeB, &params).is_err());
    }

    #[test]
    fn command_parameters_follow_the_manual() {
        assert_eq!(Modulation::TypeA.list_params(), [0x01, 0x00]);
        assert_eq!(Modulation::TypeB.list_params(), [0x01, 0x03, 0x00]);
        assert_eq!(max_retries(2), [0x05, 0xFF, 0x01, 0x02]);
        assert_eq!(response_code(IN_DATA_EXCHANGE), 0x41);
        assert_eq!(split_status(IN_RELEASE, &[0x00]).unwrap(), (0x00, &[][..]));
        assert!(split_status(IN_RELEASE, &[]).is_err());
    }
}
