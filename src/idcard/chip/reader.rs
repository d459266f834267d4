//! The terminal side of reading an eMRTD chip over any [`CardReader`]: ICAO Doc 9303 Part 10 §3
//! (file structure, READ BINARY) and Part 11 §4 (access control), under secure messaging.
//!
//! Order of work (Doc 9303-11 §4.1 and the habits of Vietnamese cards):
//! 1. SELECT EF.CardAccess directly (Vietnamese cards answer SELECT MF with `6D00`) and read it if
//!    present: it tells whether the chip offers PACE.
//! 2. SELECT the eMRTD application by AID `A0 00 00 02 47 10 01`.
//! 3. Access control: PACE with the MRZ as password when EF.CardAccess offers parameters this kiosk
//!    supports (ECDH generic mapping, AES, NIST P-256 or brainpoolP256r1), run in the master file
//!    before the application is selected (Doc 9303-11 §4.2, §4.4); else BAC with the MRZ
//!    information. After PACE the application is selected under secure messaging.
//! 4. Under secure messaging: EF.COM, then DG1, DG2, DG11, DG13, DG14, DG15 when EF.COM lists them,
//!    then EF.SOD. Each file is read in chunks; offsets beyond 32767 use the odd READ BINARY
//!    (`B1`, offset in DO'54').

use std::collections::BTreeMap;
use std::fmt;

use kiosk_hal::card::sim::EMRTD_AID;
use kiosk_hal::card::{CardReader, status_word};
use kiosk_hal::{DeviceError, ErrorKind};
use serde::Serialize;
use zeroize::Zeroize;

use super::lds::{LdsError, LdsFile};
use super::tlv;
use crate::idcard::bac::{Bac, BacError, BacKeys, TerminalRandom};
use crate::idcard::pace::{self, EstablishError, PaceError, PacePassword};
use crate::idcard::pace_crypto::{AesStrength, Curve};
use crate::idcard::pace_info::{PaceParams, SecurityInfos};
use crate::idcard::sm::{SecureChannel, SmError};

/// The data groups the kiosk reads when EF.COM lists them (DG3/DG4 need terminal authentication).
pub const WANTED_DATA_GROUPS: [u8; 6] = [1, 2, 11, 13, 14, 15];
/// EF.CardAccess, in the master file (Doc 9303-10 §3.11.3).
const EF_CARD_ACCESS: u16 = 0x011C;
/// Largest LDS file the kiosk accepts (a DG2 with a big JPEG 2000 stays well below).
pub const MAX_FILE_LEN: usize = 1 << 20;
/// Largest chunk per short READ BINARY under 3DES secure messaging: 0xDF keeps the protected
/// response (data padded to 8, DO'87', DO'99', DO'8E') within 256 bytes for every reader.
const SHORT_CHUNK: usize = 0xDF;
/// Chunk per READ BINARY with extended length.
const EXTENDED_CHUNK: usize = 0x0800;
/// The highest offset even READ BINARY can address (15 bits, ISO/IEC 7816-4 §11.3.3).
const MAX_SHORT_OFFSET: usize = 0x7FFF;

/// Why the chip could not be read. [`ChipError::user_message`] gives the bilingual sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChipError {
    /// No card on the reader.
    #[error("no card on the reader")]
    NoCard,
    /// The card left the field during the read.
    #[error("the card was removed during reading")]
    CardRemoved,
    /// The reader itself went away.
    #[error("the card reader was disconnected: {0}")]
    ReaderDisconnected(String),
    /// The reader or card stopped answering.
    #[error("the card reader did not answer in time: {0}")]
    Timeout(String),
    /// Another reader failure.
    #[error("card reader error: {0}")]
    Reader(String),
    /// The card has no eMRTD application.
    #[error("the card has no ICAO eMRTD application (SELECT answered {status:04X})")]
    NotAnEmrtd {
        /// The status word.
        status: u16,
    },
    /// BAC was refused: the MRZ (document number, date of birth, date of expiry) is not this card's.
    #[error("access denied: check the MRZ / card number")]
    AccessDenied,
    /// BAC failed otherwise (a chip or reader fault).
    #[error("access control failed: {0}")]
    AccessFailed(BacError),
    /// PACE failed other than by a wrong password (a refused step, a malformed or tampered
    /// answer). The kiosk does not then retry with BAC: Doc 9303-11 §4.2 allows it only for chips
    /// known to support BAC, and a chip answering wrongly is not one to trust.
    #[error("PACE failed: {0}")]
    PaceFailed(PaceError),
    /// Secure messaging broke (wrong MAC, missing objects): a fault or interference.
    #[error("secure messaging failed: {0}")]
    SecureMessaging(SmError),
    /// A listed file could not be selected or read.
    #[error("{file} could not be read (status {status:04X})")]
    FileUnreadable {
        /// Which file.
        file: LdsFile,
        /// The chip's status word.
        status: u16,
    },
    /// A file's header is not BER-TLV or announces an absurd size.
    #[error("{file} has an invalid header or is larger than {MAX_FILE_LEN} bytes")]
    BadFileHeader {
        /// Which file.
        file: LdsFile,
    },
    /// EF.COM could not be parsed.
    #[error("{0}")]
    Lds(LdsError),
    /// The operating system gave no random numbers.
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
}

impl ChipError {
    /// A sentence for the citizen or technician, Vietnamese then English.
    pub fn user_message(&self) -> (&'static str, &'static str) {
        match self {
            ChipError::NoCard => (
                "Không thấy thẻ. Hãy đặt thẻ lên đầu đọc và giữ yên.",
                "No card found. Place the card on the reader and hold it still.",
            ),
            ChipError::CardRemoved => (
                "Thẻ đã bị nhấc ra khi đang đọc. Hãy đặt lại thẻ và giữ yên đến khi đọc xong.",
                "The card was removed while reading. Place it back and hold it still until reading ends.",
            ),
            ChipError::AccessDenied => (
                "Chip từ chối truy cập: kiểm tra lại dòng MRZ / số thẻ, ngày sinh và ngày hết hạn.",
                "Access denied: check the MRZ / card number, date of birth and date of expiry.",
            ),
            ChipError::ReaderDisconnected(_) | ChipError::Timeout(_) | ChipError::Reader(_) | ChipError::Random(_) => (
                "Đầu đọc thẻ gặp lỗi. Vui lòng thử lại hoặc gọi nhân viên.",
                "The card reader failed. Please try again or call staff.",
            ),
            _ => (
                "Không đọc được chip của thẻ. Hãy thử lại; nếu vẫn lỗi, dùng dòng MRZ trên thẻ.",
                "The card's chip could not be read. Try again; if it still fails, the printed MRZ is used.",
            ),
        }
    }

    fn from_device(error: DeviceError) -> ChipError {
        let text = error.to_string();
        match error.kind() {
            ErrorKind::NoMedium => ChipError::CardRemoved,
            ErrorKind::Disconnected | ErrorKind::NotPresent => ChipError::ReaderDisconnected(text),
            ErrorKind::Timeout => ChipError::Timeout(text),
            _ => ChipError::Reader(text),
        }
    }
}

/// How access to the chip was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AccessProtocol {
    /// Basic Access Control (Doc 9303-11 §4.3).
    Bac,
    /// Password Authenticated Connection Establishment (Doc 9303-11 §4.4).
    Pace,
}

/// What EF.CardAccess says about access control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChoice {
    /// No EF.CardAccess (or no PACE info in it): BAC.
    Bac,
    /// EF.CardAccess offers PACE (its bytes, for the PACE implementation to parse).
    PaceOffered(Vec<u8>),
}

/// The result of trying PACE.
#[derive(Debug)]
pub enum PaceOutcome {
    /// PACE established an AES secure channel with these parameters.
    Established {
        /// The channel (SSC 0).
        channel: SecureChannel,
        /// The parameters used.
        params: PaceParams,
    },
    /// EF.CardAccess offers no PACE this kiosk can run (another mapping, curve or cipher, or the
    /// file does not parse); nothing was sent to the chip. Fall back to BAC (eMRTDs offering PACE
    /// also support BAC, Doc 9303-11 §4.2). The text says why, for the technician.
    Unsupported(String),
}

/// A short description of PACE parameters for reports, e.g. `ECDH generic mapping, AES-128,
/// brainpoolP256r1`.
pub fn describe_pace(params: &PaceParams) -> String {
    let strength = match params.strength {
        AesStrength::Aes128 => "AES-128",
        AesStrength::Aes192 => "AES-192",
        AesStrength::Aes256 => "AES-256",
    };
    let curve = match params.curve {
        Curve::NistP256 => "NIST P-256",
        Curve::BrainpoolP256r1 => "brainpoolP256r1",
    };
    format!("ECDH generic mapping, {strength}, {curve} (protocol {})", params.protocol)
}

/// Chooses the access protocol from EF.CardAccess: PACE when it holds a PACEInfo
/// (id-PACE, OID prefix 0.4.0.127.0.7.2.2.4, Doc 9303-11 §9.2.1).
pub fn choose_access(card_access: Option<&[u8]>) -> AccessChoice {
    const ID_PACE_PREFIX: [u8; 7] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02];
    match card_access {
        Some(bytes) if bytes.windows(ID_PACE_PREFIX.len() + 1).any(|w| w[..7] == ID_PACE_PREFIX && w[7] == 0x04) => {
            AccessChoice::PaceOffered(bytes.to_vec())
        }
        _ => AccessChoice::Bac,
    }
}

/// PACE with the MRZ as password (Doc 9303-11 §4.4), parameters from EF.CardAccess. A wrong MRZ is
/// [`ChipError::AccessDenied`], as with BAC; parameters the kiosk cannot run are
/// [`PaceOutcome::Unsupported`]; any other failure is an error (no silent BAC retry).
pub fn establish_pace(
    reader: &mut dyn CardReader,
    card_access: &[u8],
    mrz_information: &str,
    random: &mut impl TerminalRandom,
) -> Result<PaceOutcome, ChipError> {
    let infos = match SecurityInfos::parse(card_access) {
        Ok(infos) => infos,
        Err(error) => return Ok(PaceOutcome::Unsupported(error.to_string())),
    };
    let params = match infos.preferred_pace() {
        Ok(params) => params,
        Err(reason) => return Ok(PaceOutcome::Unsupported(reason.to_string())),
    };
    let password = PacePassword::mrz(mrz_information);
    match pace::establish(password, &infos, random, |apdu| reader.transmit(apdu)) {
        Ok(channel) => Ok(PaceOutcome::Established { channel, params }),
        Err(EstablishError::Unsupported(reason)) => Ok(PaceOutcome::Unsupported(reason.to_string())),
        Err(EstablishError::Pace(PaceError::AccessDenied { .. })) => Err(ChipError::AccessDenied),
        Err(EstablishError::Pace(error)) => Err(ChipError::PaceFailed(error)),
        Err(EstablishError::Transport(error)) => Err(ChipError::from_device(error)),
    }
}

/// Progress of a read, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadProgress {
    /// The file being read.
    pub file: LdsFile,
    /// Bytes of it read so far.
    pub bytes_read: usize,
    /// Its size.
    pub total: usize,
    /// Files finished before this one.
    pub files_done: usize,
    /// Files to read in all (known once EF.COM is read; 1 before).
    pub files_total: usize,
}

/// Reading options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Use extended-length READ BINARY (larger chunks; the reader and chip must both support it:
    /// PC/SC readers usually do, the PN532's 262-byte frames do not).
    pub extended_length: bool,
}

/// The raw files read, wiped from memory on drop. `Debug` shows only which files and their sizes.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct RawFiles(BTreeMap<LdsFile, Vec<u8>>);

impl RawFiles {
    /// The bytes of a file, if it was read.
    pub fn get(&self, file: LdsFile) -> Option<&[u8]> {
        self.0.get(&file).map(Vec::as_slice)
    }

    /// The files read, in order.
    pub fn files(&self) -> impl Iterator<Item = (LdsFile, &[u8])> {
        self.0.iter().map(|(file, bytes)| (*file, bytes.as_slice()))
    }

    /// The data groups read, number → bytes (what passive authentication hashes).
    pub fn data_groups(&self) -> BTreeMap<u8, Vec<u8>> {
        self.0
            .iter()
            .filter_map(|(file, bytes)| match file {
                LdsFile::Dg(n) => Some((*n, bytes.clone())),
                _ => None,
            })
            .collect()
    }
}

impl Drop for RawFiles {
    fn drop(&mut self) {
        for bytes in self.0.values_mut() {
            bytes.zeroize();
        }
    }
}

impl fmt::Debug for RawFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(file, bytes)| (file.to_string(), bytes.len()))).finish()
    }
}

/// What a read produced.
#[derive(Debug)]
pub struct ChipRead {
    /// How access was established.
    pub access: AccessProtocol,
    /// The PACE parameters used (see [`describe_pace`]); `None` after BAC.
    pub access_parameters: Option<String>,
    /// Remarks on access (e.g. PACE offered with parameters the kiosk cannot run, BAC used).
    pub access_notes: Vec<String>,
    /// Every file read.
    pub files: RawFiles,
}

/// A source of randomness for access control filled from the operating system's CSPRNG up front
/// (BAC draws exactly 24 bytes: RND.IFD and K.IFD; PACE draws more and gets them from the OS).
pub struct SystemRandom {
    pool: Vec<u8>,
}

impl SystemRandom {
    /// Draws the bytes one BAC needs.
    pub fn for_bac() -> Result<SystemRandom, ChipError> {
        let mut pool = vec![0u8; 24];
        getrandom::fill(&mut pool).map_err(|e| ChipError::Random(e.to_string()))?;
        Ok(SystemRandom { pool })
    }
}

impl TerminalRandom for SystemRandom {
    fn fill(&mut self, buffer: &mut [u8]) {
        let take = buffer.len().min(self.pool.len());
        buffer[..take].copy_from_slice(&self.pool[..take]);
        self.pool.drain(..take);
        // PACE needs more than the pool: ask the OS again rather than reuse bytes.
        if take < buffer.len() {
            buffer[take..].fill(0);
            let _ = getrandom::fill(&mut buffer[take..]);
        }
    }
}

impl Drop for SystemRandom {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

/// Reads the chip on `reader`: access control with `mrz_information` (see
/// [`crate::idcard::mrz::Mrz::mrz_information`]), then every wanted file.
pub fn read_chip(
    reader: &mut dyn CardReader,
    mrz_information: &str,
    random: &mut impl TerminalRandom,
    options: ReadOptions,
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<ChipRead, ChipError> {
    if reader.poll().map_err(ChipError::from_device)?.is_none() {
        return Err(ChipError::NoCard);
    }
    let card_access = read_card_access(reader)?;
    let mut access_notes = Vec::new();
    // PACE runs in the master file, before the application is selected (Doc 9303-11 §4.2).
    let pace = match choose_access(card_access.as_deref()) {
        AccessChoice::PaceOffered(bytes) => match establish_pace(reader, &bytes, mrz_information, random)? {
            PaceOutcome::Established { channel, params } => Some((channel, params)),
            PaceOutcome::Unsupported(reason) => {
                access_notes.push(format!("EF.CardAccess offers PACE, but {reason}; BAC used"));
                None
            }
        },
        AccessChoice::Bac => None,
    };
    let (access, access_parameters, channel) = match pace {
        Some((channel, params)) => (AccessProtocol::Pace, Some(describe_pace(&params)), channel),
        None => {
            let status = plain(reader, &select_aid_command())?;
            if status != 0x9000 {
                return Err(ChipError::NotAnEmrtd { status });
            }
            (AccessProtocol::Bac, None, basic_access_control(reader, mrz_information, random)?)
        }
    };
    let mut session = Session { reader, channel, options };
    if access == AccessProtocol::Pace {
        let (_, status) = session.exchange(&select_aid_command())?;
        if status != 0x9000 {
            return Err(ChipError::NotAnEmrtd { status });
        }
    }
    let files = session.read_files(progress)?;
    Ok(ChipRead { access, access_parameters, access_notes, files })
}

fn select_aid_command() -> Vec<u8> {
    let mut command = vec![0x00, 0xA4, 0x04, 0x0C, EMRTD_AID.len() as u8];
    command.extend_from_slice(&EMRTD_AID);
    command
}

/// Sends a plain command; returns its status word.
fn plain(reader: &mut dyn CardReader, command: &[u8]) -> Result<u16, ChipError> {
    let response = reader.transmit(command).map_err(ChipError::from_device)?;
    status_word(&response).ok_or_else(|| ChipError::Reader("the card's answer has no status word".into()))
}

/// EF.CardAccess, read in the clear if the chip has one (its absence means BAC).
fn read_card_access(reader: &mut dyn CardReader) -> Result<Option<Vec<u8>>, ChipError> {
    let [hi, lo] = EF_CARD_ACCESS.to_be_bytes();
    if plain(reader, &[0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo])? != 0x9000 {
        return Ok(None);
    }
    let response = reader.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00]).map_err(ChipError::from_device)?;
    Ok(match response.split_last_chunk::<2>() {
        Some((data, [0x90, 0x00])) if !data.is_empty() => Some(data.to_vec()),
        _ => None,
    })
}

fn basic_access_control(
    reader: &mut dyn CardReader,
    mrz_information: &str,
    random: &mut impl TerminalRandom,
) -> Result<SecureChannel, ChipError> {
    let bac = Bac::start(BacKeys::from_mrz_information(mrz_information));
    let response = reader.transmit(&bac.challenge_command()).map_err(ChipError::from_device)?;
    let bac = bac.on_challenge(&response, random).map_err(ChipError::AccessFailed)?;
    let response = reader.transmit(bac.external_authenticate_command()).map_err(ChipError::from_device)?;
    bac.on_authentication(&response).map_err(|error| match error {
        BacError::AuthenticationFailed { .. } => ChipError::AccessDenied,
        other => ChipError::AccessFailed(other),
    })
}

struct Session<'r> {
    reader: &'r mut dyn CardReader,
    channel: SecureChannel,
    options: ReadOptions,
}

impl Session<'_> {
    /// Sends `command` protected and returns the plain answer: data and status word.
    fn exchange(&mut self, command: &[u8]) -> Result<(Vec<u8>, u16), ChipError> {
        let protected = self.channel.protect(command).map_err(ChipError::SecureMessaging)?;
        let response = self.reader.transmit(&protected).map_err(ChipError::from_device)?;
        let mut plain = self.channel.unprotect(&response).map_err(ChipError::SecureMessaging)?;
        let Some((_, &[sw1, sw2])) = plain.split_last_chunk::<2>() else {
            return Err(ChipError::SecureMessaging(SmError::Malformed));
        };
        plain.truncate(plain.len() - 2);
        Ok((plain, u16::from_be_bytes([sw1, sw2])))
    }

    fn read_files(&mut self, progress: &mut dyn FnMut(ReadProgress)) -> Result<RawFiles, ChipError> {
        let mut files = RawFiles::default();
        let com = self.read_file(LdsFile::Com, (0, 1), progress)?;
        let listed = super::lds::EfCom::parse(&com).map_err(ChipError::Lds)?.data_groups;
        files.0.insert(LdsFile::Com, com);
        let mut wanted: Vec<LdsFile> =
            WANTED_DATA_GROUPS.iter().map(|&n| LdsFile::Dg(n)).filter(|dg| listed.contains(dg)).collect();
        wanted.push(LdsFile::Sod);
        let total = wanted.len() + 1;
        for (index, file) in wanted.into_iter().enumerate() {
            let bytes = self.read_file(file, (index + 1, total), progress)?;
            files.0.insert(file, bytes);
        }
        Ok(files)
    }

    /// SELECT `file` and READ BINARY all of it: the first four bytes give the TLV length.
    fn read_file(
        &mut self,
        file: LdsFile,
        (files_done, files_total): (usize, usize),
        progress: &mut dyn FnMut(ReadProgress),
    ) -> Result<Vec<u8>, ChipError> {
        let [hi, lo] = file.file_id().to_be_bytes();
        let (_, status) = self.exchange(&[0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo])?;
        if status != 0x9000 {
            return Err(ChipError::FileUnreadable { file, status });
        }
        let mut bytes = self.read_chunk(file, 0, 4)?;
        let total = tlv::encoded_length(&bytes).map_err(|_| ChipError::BadFileHeader { file })?;
        if total > MAX_FILE_LEN {
            return Err(ChipError::BadFileHeader { file });
        }
        bytes.truncate(total);
        let chunk = if self.options.extended_length { EXTENDED_CHUNK } else { SHORT_CHUNK };
        while bytes.len() < total {
            progress(ReadProgress { file, bytes_read: bytes.len(), total, files_done, files_total });
            let want = chunk.min(total - bytes.len());
            let data = self.read_chunk(file, bytes.len(), want)?;
            if data.is_empty() {
                return Err(ChipError::BadFileHeader { file });
            }
            bytes.extend_from_slice(&data[..data.len().min(want)]);
        }
        progress(ReadProgress { file, bytes_read: bytes.len(), total, files_done: files_done + 1, files_total });
        Ok(bytes)
    }

    /// One READ BINARY of up to `len` bytes at `offset`.
    fn read_chunk(&mut self, file: LdsFile, offset: usize, len: usize) -> Result<Vec<u8>, ChipError> {
        let le = le_bytes(len);
        let (data, status) = if offset <= MAX_SHORT_OFFSET {
            let [p1, p2] = (offset as u16).to_be_bytes();
            let mut command = vec![0x00, 0xB0, p1, p2];
            command.extend_from_slice(&le);
            self.exchange(&command)?
        } else {
            // ISO/IEC 7816-4 §11.3.3: odd INS, offset in DO'54', data returned in DO'53'.
            let [_, a, b, c] = (offset as u32).to_be_bytes();
            let mut command = vec![0x00, 0xB1, 0x00, 0x00];
            let body = [0x54, 0x03, a, b, c];
            if le.len() > 1 {
                command.extend_from_slice(&[0x00, 0x00, body.len() as u8]);
                command.extend_from_slice(&body);
                command.extend_from_slice(&le[1..]);
            } else {
                command.push(body.len() as u8);
                command.extend_from_slice(&body);
                command.extend_from_slice(&le);
            }
            let (wrapped, status) = self.exchange(&command)?;
            let data = match tlv::parse_one(&wrapped) {
                Ok((object, _)) if object.tag == 0x53 => object.value.to_vec(),
                _ if status != 0x9000 => Vec::new(),
                _ => return Err(ChipError::BadFileHeader { file }),
            };
            (data, status)
        };
        // 6282: end of file reached before Le bytes (ISO/IEC 7816-4), the data is still good.
        if status != 0x9000 && status != 0x6282 {
            return Err(ChipError::FileUnreadable { file, status });
        }
        Ok(data)
    }
}

/// Le for `len` bytes: one byte up to 256, else extended (`00` high low).
fn le_bytes(len: usize) -> Vec<u8> {
    if len <= 256 {
        vec![(len % 256) as u8]
    } else {
        let [_, _, hi, lo] = (len.min(65535) as u32).to_be_bytes();
        vec![0x00, hi, lo]
    }
}
