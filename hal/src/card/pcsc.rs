//! PC/SC card readers (contact and contactless CCID readers) through pcsc-lite.
//!
//! One configured reader, found by a substring of its PC/SC name. [`CardReader::poll`] asks
//! `SCardGetStatusChange` with a zero timeout whether a card is there and connects to it in
//! shared mode; the classification of the card (contact or contactless) comes from its ATR, the
//! contactless UID from the reader's GET DATA pseudo-APDU (PC/SC Part 3).
//!
//! pcsc-lite may restart (USB hot-plug, idle exit) and readers may be replugged: a lost context or
//! reader is looked up again on the next poll instead of failing forever.

use std::ffi::CString;
use std::time::Duration;

use pcsc::{Card, Context, Disposition, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State};

use super::{CardInfo, CardProtocol, CardReader, status_word};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// Receive buffer for one response: extended-length responses carry up to 65 536 data bytes plus
/// SW1-SW2 (ISO/IEC 7816-4 §5.1); pcsc-lite's extended maximum covers that with its headers.
const RECEIVE_BUFFER: usize = pcsc::MAX_BUFFER_SIZE_EXTENDED;

/// GET DATA for the UID of a contactless card: `FF CA 00 00 00` (PC/SC Part 3 §3.2.2.1.3;
/// Le = 00: the whole UID).
const GET_UID: [u8; 5] = [0xFF, 0xCA, 0x00, 0x00, 0x00];

/// A PC/SC reader with at most one connected card.
pub struct PcscReader {
    wanted: String,
    context: Context,
    reader: CString,
    state: ReaderState,
    /// Event counter of the reader at the last state change (upper 16 bits of `dwEventState` in
    /// pcsc-lite): it moves on every insertion and removal, so a swapped card is noticed even
    /// between two polls.
    event_count: u32,
    card: Option<Connected>,
    /// The context or reader was lost: look them up again before the next poll.
    lost: bool,
    receive: Vec<u8>,
}

/// The connected card and what poll reported about it.
struct Connected {
    card: Card,
    info: CardInfo,
    /// The reader state's ATR and event counter at connection: the same card is still there
    /// while both are unchanged.
    state_atr: Vec<u8>,
    event_count: u32,
}

/// What the reader's state flags say about its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// No card.
    Empty,
    /// A card that answered with an ATR.
    Card,
    /// A card is there but does not answer (no ATR): held badly or not ISO 14443-4 / ISO 7816.
    Mute,
    /// Another application holds the card exclusively.
    Exclusive,
    /// The reader's state is not available (another application uses it in direct mode).
    Unavailable,
    /// The reader is gone (unplugged).
    Gone,
}

impl PcscReader {
    /// Connects to pcscd and picks the first reader whose name contains `reader` (ignoring
    /// case; empty: the first reader). No matching reader is [`ErrorKind::NotPresent`] with the
    /// names of those that exist; pcscd not running is [`ErrorKind::NotPresent`] too.
    pub fn open(reader: &str) -> Result<PcscReader> {
        let context = Context::establish(Scope::User).map_err(|e| map_pcsc("SCardEstablishContext", e))?;
        let name = find_reader(&context, reader)?;
        Ok(PcscReader {
            wanted: reader.to_owned(),
            context,
            state: ReaderState::new(name.clone(), State::UNAWARE),
            reader: name,
            event_count: 0,
            card: None,
            lost: false,
            receive: vec![0; RECEIVE_BUFFER],
        })
    }

    fn reader_name(&self) -> String {
        self.reader.to_string_lossy().into_owned()
    }

    /// Re-establishes the context and finds the reader again after pcscd restarted or the reader
    /// was replugged (its name may have a new index suffix).
    fn recover(&mut self) -> Result<()> {
        if self.context.is_valid().is_err() {
            self.context = Context::establish(Scope::User).map_err(|e| map_pcsc("SCardEstablishContext", e))?;
        }
        let name = find_reader(&self.context, &self.wanted)?;
        self.state = ReaderState::new(name.clone(), State::UNAWARE);
        self.reader = name;
        self.lost = false;
        tracing::info!(reader = %self.reader_name(), "PC/SC reader found again");
        Ok(())
    }

    /// Asks pcscd for the reader's current state without waiting.
    fn refresh(&mut self) -> Result<Slot> {
        if self.lost {
            self.recover()?;
        }
        match self.context.get_status_change(Duration::ZERO, std::slice::from_mut(&mut self.state)) {
            Ok(()) => {
                self.event_count = self.state.event_count();
                self.state.sync_current_state();
            }
            // Nothing changed since the last call: the synced current state still holds.
            Err(PcscError::Timeout) => {}
            Err(error) => return Err(self.fail("SCardGetStatusChange", error)),
        }
        let slot = slot(self.state.current_state());
        if slot == Slot::Gone {
            self.lost = true;
        }
        Ok(slot)
    }

    /// Classifies a PC/SC failure and remembers whether the context or reader must be found again.
    fn fail(&mut self, what: &str, error: PcscError) -> DeviceError {
        if matches!(
            error,
            PcscError::NoService
                | PcscError::ServiceStopped
                | PcscError::InvalidHandle
                | PcscError::UnknownReader
                | PcscError::ReaderUnavailable
                | PcscError::NoReadersAvailable
        ) {
            self.lost = true;
            self.card = None;
        }
        map_pcsc(what, error)
    }

    /// Forgets the connected card without resetting it (it was removed or swapped).
    fn forget_card(&mut self) {
        if let Some(connected) = self.card.take()
            && let Err((_, error)) = connected.card.disconnect(Disposition::LeaveCard)
        {
            tracing::debug!(%error, "SCardDisconnect of a departed card");
        }
    }

    /// Connects to the card in the reader: T=1 first (every contactless card, most ID cards),
    /// then whatever the card offers.
    fn connect(&mut self) -> Result<Option<CardInfo>> {
        let connected = match self.context.connect(&self.reader, ShareMode::Shared, Protocols::T1) {
            Err(PcscError::ProtoMismatch) => self.context.connect(&self.reader, ShareMode::Shared, Protocols::ANY),
            other => other,
        };
        let card = match connected {
            Ok(card) => card,
            // The card left between the state query and the connection.
            Err(PcscError::NoSmartcard | PcscError::RemovedCard) => return Ok(None),
            Err(error) => return Err(self.fail("SCardConnect", error)),
        };
        let atr =
            card.status2_owned().map(|status| status.atr().to_vec()).unwrap_or_else(|_| self.state.atr().to_vec());
        let protocol = classify_atr(&atr);
        let uid = if protocol == CardProtocol::Contact { Vec::new() } else { self.read_uid(&card) };
        let info = CardInfo { protocol, atr, uid };
        let state_atr = self.state.atr().to_vec();
        self.card = Some(Connected { card, info: info.clone(), state_atr, event_count: self.event_count });
        Ok(Some(info))
    }

    /// The UID through GET DATA; empty when the reader does not implement it.
    fn read_uid(&mut self, card: &Card) -> Vec<u8> {
        match card.transmit(&GET_UID, &mut self.receive) {
            Ok(response) => uid_from_response(response).unwrap_or_else(|| {
                tracing::debug!(sw = ?status_word(response), "reader does not report the UID");
                Vec::new()
            }),
            Err(error) => {
                tracing::debug!(%error, "GET DATA (UID) failed");
                Vec::new()
            }
        }
    }
}

impl Drop for PcscReader {
    fn drop(&mut self) {
        // Leave the card as it is: another process may take over the reader.
        self.forget_card();
    }
}

impl Device for PcscReader {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::CardReader, driver: "pcsc".into(), location: self.reader_name() }
    }

    /// Asks pcscd for the reader's state; does not touch a card that lies on it.
    fn self_test(&mut self) -> Health {
        let info = self.info();
        Health::from_test(info, |info| {
            let slot = self.refresh()?;
            let card = match slot {
                Slot::Empty => "none",
                Slot::Card => "present",
                Slot::Mute => "present, not answering",
                Slot::Exclusive => "present, used exclusively by another application",
                Slot::Unavailable => {
                    return Ok(Health::degraded(info, "another application uses the reader directly"));
                }
                Slot::Gone => {
                    return Err(DeviceError::new(ErrorKind::Disconnected, "the reader was removed"));
                }
            };
            let mut health = Health::ok(info).with_detail("reader", self.reader_name()).with_detail("card", card);
            if slot == Slot::Card {
                let kind = match classify_atr(self.state.atr()) {
                    CardProtocol::Contact => "contact",
                    CardProtocol::TypeA | CardProtocol::TypeB => "contactless",
                };
                health = health.with_detail("card_interface", kind).with_detail("atr", hex(self.state.atr()));
            }
            Ok(health)
        })
    }
}

impl CardReader for PcscReader {
    fn poll(&mut self) -> Result<Option<CardInfo>> {
        match self.refresh()? {
            Slot::Empty => {
                self.forget_card();
                Ok(None)
            }
            Slot::Card => {
                if let Some(connected) = &self.card
                    && connected.event_count == self.event_count
                    && connected.state_atr == self.state.atr()
                {
                    return Ok(Some(connected.info.clone()));
                }
                self.forget_card();
                self.connect()
            }
            Slot::Mute => {
                self.forget_card();
                Err(DeviceError::new(
                    ErrorKind::Protocol,
                    "a card is on the reader but does not answer; hold it still on the reader",
                ))
            }
            Slot::Exclusive if self.card.is_none() => {
                Err(DeviceError::new(ErrorKind::Busy, "another application holds the card exclusively"))
            }
            Slot::Exclusive => Ok(self.card.as_ref().map(|c| c.info.clone())),
            Slot::Unavailable => Err(DeviceError::new(ErrorKind::Busy, "another application uses the reader directly")),
            Slot::Gone => {
                self.card = None;
                Err(DeviceError::new(ErrorKind::Disconnected, format!("reader {} was removed", self.reader_name())))
            }
        }
    }

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        if command.is_empty() {
            return Err(DeviceError::new(ErrorKind::Other, "empty command APDU"));
        }
        let Some(connected) = &self.card else {
            return Err(DeviceError::new(ErrorKind::NoMedium, "no card is activated (poll first)"));
        };
        match connected.card.transmit(command, &mut self.receive) {
            Ok(response) => Ok(response.to_vec()),
            Err(error) => {
                let failure = self.fail("SCardTransmit", error);
                if matches!(failure.kind(), ErrorKind::NoMedium | ErrorKind::Disconnected) {
                    self.forget_card();
                }
                Err(failure)
            }
        }
    }

    /// Disconnects with a card reset (contactless: field off and on), so the next poll starts a
    /// new session: secure-messaging keys and selected files of the old one are gone.
    fn release(&mut self) -> Result<()> {
        let Some(connected) = self.card.take() else {
            return Ok(());
        };
        match connected.card.disconnect(Disposition::ResetCard) {
            Ok(()) => Ok(()),
            // Already gone: released as well as it can be.
            Err((_, PcscError::RemovedCard | PcscError::NoSmartcard)) => Ok(()),
            Err((_, error)) => Err(self.fail("SCardDisconnect", error)),
        }
    }
}

/// The first reader whose name contains `wanted` (ignoring case).
fn find_reader(context: &Context, wanted: &str) -> Result<CString> {
    let names = list_readers(context)?;
    let readable: Vec<String> = names.iter().map(|n| n.to_string_lossy().into_owned()).collect();
    match choose_reader(&readable, wanted) {
        Some(index) => Ok(names[index].clone()),
        None if readable.is_empty() => Err(DeviceError::new(ErrorKind::NotPresent, "no PC/SC reader is connected")),
        None => Err(DeviceError::new(
            ErrorKind::NotPresent,
            format!("no PC/SC reader name contains \"{wanted}\"; connected readers: {}", readable.join(", ")),
        )),
    }
}

fn list_readers(context: &Context) -> Result<Vec<CString>> {
    match context.list_readers_owned() {
        // A reader appeared between measuring and reading the list: read it again.
        Err(PcscError::InsufficientBuffer) => context.list_readers_owned(),
        other => other,
    }
    .map_err(|e| map_pcsc("SCardListReaders", e))
}

/// Index of the first name containing `wanted`, ignoring case.
fn choose_reader(names: &[String], wanted: &str) -> Option<usize> {
    let wanted = wanted.to_lowercase();
    names.iter().position(|name| name.to_lowercase().contains(&wanted))
}

fn slot(state: State) -> Slot {
    if state.contains(State::UNKNOWN) {
        Slot::Gone
    } else if state.contains(State::UNAVAILABLE) {
        Slot::Unavailable
    } else if state.contains(State::MUTE) {
        Slot::Mute
    } else if state.contains(State::EXCLUSIVE) {
        Slot::Exclusive
    } else if state.contains(State::PRESENT) {
        Slot::Card
    } else {
        Slot::Empty
    }
}

/// Contact card or contactless card, from the ATR.
///
/// A contactless reader builds a pseudo-ATR (PC/SC Part 3 §3.1.3.2.3): `3B 8n 80 01`, i.e. TS
/// direct convention, T0 with only TD1 and n historical bytes, TD1 = T=0 with TD2, TD2 = T=1 and
/// nothing more; then the historical bytes and TCK. A contact card answers its own ATR, which
/// (practically) never has that exact shape. Type A and type B cannot be told apart reliably from
/// the pseudo-ATR (a type B one carries 8 ATQB-derived historical bytes, a type A ATS may too),
/// so every contactless card is reported as type A, the type of eMRTD chips and most ID cards.
fn classify_atr(atr: &[u8]) -> CardProtocol {
    match atr {
        [0x3B, t0, 0x80, 0x01, ..] if t0 & 0xF0 == 0x80 => CardProtocol::TypeA,
        _ => CardProtocol::Contact,
    }
}

/// The UID from a GET DATA response: the data before `90 00`, `None` on any other status.
fn uid_from_response(response: &[u8]) -> Option<Vec<u8>> {
    match status_word(response) {
        Some(0x9000) => Some(response[..response.len() - 2].to_vec()),
        _ => None,
    }
}

/// The common error kind of a PC/SC failure.
fn error_kind(error: PcscError) -> ErrorKind {
    use PcscError as E;
    match error {
        E::NoSmartcard | E::RemovedCard => ErrorKind::NoMedium,
        E::NoService | E::NoReadersAvailable | E::UnknownReader => ErrorKind::NotPresent,
        E::ServiceStopped | E::ReaderUnavailable | E::InvalidHandle | E::CommError | E::ResetCard => {
            ErrorKind::Disconnected
        }
        E::UnpoweredCard => ErrorKind::Disconnected,
        E::Timeout | E::WaitedTooLong => ErrorKind::Timeout,
        E::SharingViolation | E::NotReady | E::ServerTooBusy => ErrorKind::Busy,
        E::UnresponsiveCard | E::InvalidAtr | E::CommDataLost | E::InsufficientBuffer => ErrorKind::Protocol,
        E::ProtoMismatch
        | E::UnsupportedCard
        | E::CardUnsupported
        | E::ReaderUnsupported
        | E::UnsupportedFeature
        | E::UnknownCard => ErrorKind::Unsupported,
        _ => ErrorKind::Other,
    }
}

fn map_pcsc(what: &str, error: PcscError) -> DeviceError {
    let kind = error_kind(error);
    let hint = match error {
        PcscError::NoService => " (is pcscd running?)",
        PcscError::RemovedCard => " (card removed)",
        PcscError::InsufficientBuffer => " (response longer than 64 KiB)",
        _ => "",
    };
    DeviceError::new(kind, format!("{what}: {error}{hint}")).with_source(error)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contactless_pseudo_atrs_are_type_a() {
        // ACR122U with a MIFARE Classic 1K: storage-card pseudo-ATR (PC/SC Part 3 §3.1.3.2.3.1).
        let mifare = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x00, 0x6A,
        ];
        assert_eq!(classify_atr(&mifare), CardProtocol::TypeA);
        // ISO 14443-4 card: ATS historical bytes in the pseudo-ATR (§3.1.3.2.3.2).
        let iso_dep = [0x3B, 0x84, 0x80, 0x01, 0x80, 0x73, 0xC8, 0x21, 0x9C];
        assert_eq!(classify_atr(&iso_dep), CardProtocol::TypeA);
        // No historical bytes at all.
        assert_eq!(classify_atr(&[0x3B, 0x80, 0x80, 0x01, 0x01]), CardProtocol::TypeA);
    }

    #[test]
    fn contact_atrs_are_contact() {
        // T=1 smart card with TA1, TD1, TD2 and 15 historical bytes.
        let t1 = [0x3B, 0xDF, 0x18, 0x00, 0x81, 0x31, 0xFE, 0x58, 0x80, 0x31, 0x90, 0x52, 0x41];
        assert_eq!(classify_atr(&t1), CardProtocol::Contact);
        // T=0 card with two historical bytes.
        assert_eq!(classify_atr(&[0x3B, 0x02, 0x14, 0x50]), CardProtocol::Contact);
        // Inverse convention.
        assert_eq!(classify_atr(&[0x3F, 0x8F, 0x80, 0x01]), CardProtocol::Contact);
        // Same T0 but TD1 asks for T=1 directly: not the pseudo-ATR shape.
        assert_eq!(classify_atr(&[0x3B, 0x81, 0x81, 0x31, 0x00]), CardProtocol::Contact);
        // Truncated or empty answers do not look contactless.
        assert_eq!(classify_atr(&[0x3B, 0x8F, 0x80]), CardProtocol::Contact);
        assert_eq!(classify_atr(&[]), CardProtocol::Contact);
    }

    #[test]
    fn the_uid_is_the_data_before_9000() {
        assert_eq!(uid_from_response(&[0x04, 0xA1, 0xB2, 0xC3, 0x90, 0x00]), Some(vec![0x04, 0xA1, 0xB2, 0xC3]));
        // 6A 81: function not supported (contact reader); 63 00: no UID.
        assert_eq!(uid_from_response(&[0x6A, 0x81]), None);
        assert_eq!(uid_from_response(&[0x01, 0x02, 0x63, 0x00]), None);
        assert_eq!(uid_from_response(&[0x90]), None);
        assert_eq!(uid_from_response(&[0x90, 0x00]), Some(vec![]));
    }

    #[test]
    fn pcsc_errors_map_to_the_kinds_flows_act_on() {
        let cases = [
            (PcscError::NoSmartcard, ErrorKind::NoMedium),
            (PcscError::RemovedCard, ErrorKind::NoMedium),
            (PcscError::NoService, ErrorKind::NotPresent),
            (PcscError::NoReadersAvailable, ErrorKind::NotPresent),
            (PcscError::UnknownReader, ErrorKind::NotPresent),
            (PcscError::ReaderUnavailable, ErrorKind::Disconnected),
            (PcscError::ServiceStopped, ErrorKind::Disconnected),
            (PcscError::ResetCard, ErrorKind::Disconnected),
            (PcscError::Timeout, ErrorKind::Timeout),
            (PcscError::SharingViolation, ErrorKind::Busy),
            (PcscError::UnresponsiveCard, ErrorKind::Protocol),
            (PcscError::InsufficientBuffer, ErrorKind::Protocol),
            (PcscError::ProtoMismatch, ErrorKind::Unsupported),
            (PcscError::Cancelled, ErrorKind::Other),
        ];
        for (error, kind) in cases {
            assert_eq!(error_kind(error), kind, "{error:?}");
        }
        let mapped = map_pcsc("SCardEstablishContext", PcscError::NoService);
        assert_eq!(mapped.kind(), ErrorKind::NotPresent);
        assert!(mapped.message().contains("pcscd"), "{}", mapped.message());
    }

    #[test]
    fn reader_state_flags_classify_the_slot() {
        assert_eq!(slot(State::EMPTY), Slot::Empty);
        assert_eq!(slot(State::CHANGED | State::PRESENT), Slot::Card);
        assert_eq!(slot(State::PRESENT | State::INUSE), Slot::Card, "shared use by another process is fine");
        assert_eq!(slot(State::PRESENT | State::MUTE), Slot::Mute);
        assert_eq!(slot(State::PRESENT | State::EXCLUSIVE | State::INUSE), Slot::Exclusive);
        assert_eq!(slot(State::UNAVAILABLE), Slot::Unavailable);
        assert_eq!(slot(State::CHANGED | State::UNKNOWN | State::UNAVAILABLE), Slot::Gone);
        assert_eq!(slot(State::UNAWARE), Slot::Empty);
    }

    #[test]
    fn the_reader_is_chosen_by_substring_ignoring_case() {
        let names = [
            "ACS ACR1252 1S CL Reader [ACR1252 Reader SAM] 00 00".to_owned(),
            "ACS ACR1252 1S CL Reader [ACR1252 Reader PICC] 00 01".to_owned(),
            "Identiv uTrust 3700 F CL Reader 01 00".to_owned(),
        ];
        assert_eq!(choose_reader(&names, "picc"), Some(1));
        assert_eq!(choose_reader(&names, "uTrust"), Some(2));
        assert_eq!(choose_reader(&names, ""), Some(0), "empty: the first reader");
        assert_eq!(choose_reader(&names, "Omnikey"), None);
        assert_eq!(choose_reader(&[], ""), None);
    }

    #[test]
    fn a_reader_that_is_not_there_is_not_present() {
        // Without pcscd: NoService; with it: no reader has this name. Both are NotPresent.
        let error = PcscReader::open("no-such-reader-7f3a").err().unwrap();
        assert_eq!(error.kind(), ErrorKind::NotPresent, "{error}");
    }

    #[test]
    fn atrs_are_shown_as_hex() {
        assert_eq!(hex(&[0x3B, 0x8F, 0x80, 0x01]), "3B8F8001");
    }
}
