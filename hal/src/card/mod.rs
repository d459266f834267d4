//! Smart-card readers: an APDU transport plus card presence.
//!
//! The reader knows nothing of ICAO 9303; the identity-document code above speaks APDUs through
//! [`CardReader::transmit`], whatever the reader (PC/SC, PN532 over UART, simulator).

use crate::{Device, Result};

#[cfg(feature = "pcsc")]
pub mod pcsc;
#[cfg(feature = "serial")]
pub mod pn532;
pub mod sim;

/// How the card talks to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardProtocol {
    /// ISO/IEC 14443 type A, ISO-DEP.
    TypeA,
    /// ISO/IEC 14443 type B, ISO-DEP.
    TypeB,
    /// ISO/IEC 7816 contact card.
    Contact,
}

/// A card the reader has activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardInfo {
    /// Protocol in use.
    pub protocol: CardProtocol,
    /// Answer to reset (contact) or answer to select / ATQB (contactless).
    pub atr: Vec<u8>,
    /// Anti-collision identifier (random per session on eMRTDs), empty for contact cards.
    pub uid: Vec<u8>,
}

/// A smart-card reader.
pub trait CardReader: Device {
    /// Looks for a card and activates it; `None` when there is none. Calling it again while the same
    /// card stays activated returns it again without resetting it.
    fn poll(&mut self) -> Result<Option<CardInfo>>;

    /// Sends one command APDU to the activated card and returns the response APDU including the
    /// status word. A removed card gives [`crate::ErrorKind::NoMedium`].
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>>;

    /// Deactivates the card (the next [`CardReader::poll`] starts a fresh session).
    fn release(&mut self) -> Result<()>;
}

/// The status word at the end of a response APDU, if there is one.
pub fn status_word(response: &[u8]) -> Option<u16> {
    match response {
        [.., sw1, sw2] => Some(u16::from_be_bytes([*sw1, *sw2])),
        _ => None,
    }
}
