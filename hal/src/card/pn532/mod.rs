//! NXP PN532 NFC reader on its high-speed UART (HSU), the usual wiring of PN532 boards.
//!
//! The module is layered like the protocol: [`frame`] encodes and finds frames (UM0701-02 §6.2.1),
//! a private link layer runs the command dialog (ACK, NACK, abort), [`command`] knows the parameters
//! and responses of the few commands a card reader needs, and [`Pn532`] turns them into a
//! [`CardReader`]: InListPassiveTarget finds and activates an ISO/IEC 14443 card, InDataExchange
//! carries its APDUs (chaining long ones with the MI bit), InRelease lets it go. A poll while a card
//! is activated checks with Diagnose (card presence) that it still answers, without resetting it.
//!
//! What [`CardInfo`] holds: for type A the NFCID1 as `uid` and, as `atr`, the ATS without its length
//! byte TL (T0, interface bytes, historical bytes); for type B the PUPI and the ATQB.
//!
//! [`Pn532Simulator`] plays the PN532 (and a [`crate::card::sim::SimCard`] in its field) on the
//! device end of a serial line, so the whole stack runs on a pseudo-terminal pair in tests.

use std::io::{Read, Write};
use std::time::Duration;

use self::command::{Firmware, Modulation, Target};
use self::error::{STATUS_MI, status_code};
use self::link::Link;
use super::{CardInfo, CardReader};
use crate::{Device, DeviceInfo, DeviceKind, Health, Result};

pub mod command;
pub mod error;
pub mod frame;
mod link;
mod simulator;
#[cfg(all(test, unix))]
mod tests;

pub use error::Pn532Error;
pub use simulator::{Pn532Simulator, SimulatorHandle, SimulatorOptions, SimulatorStats};

/// The HSU speed a PN532 starts with (changed only by SetSerialBaudRate, which the driver never sends).
pub const DEFAULT_BAUD_RATE: u32 = 115_200;

/// Frames a chained card response may take before the driver gives up: an extended-length APDU
/// response of 65,538 bytes needs 261 frames of 252 bytes.
const MAX_RESPONSE_FRAMES: usize = 300;

/// How the driver talks to the PN532.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pn532Config {
    /// How long the PN532 may take to acknowledge a command (it does so within a millisecond; the
    /// margin covers USB-serial adapters that batch bytes).
    pub ack_timeout: Duration,
    /// How long the PN532 may take to answer a command, card round trip included (an eMRTD
    /// computing a signature may take a few hundred milliseconds).
    pub response_timeout: Duration,
    /// How many times a damaged response frame is asked for again before the command fails.
    pub nack_retries: u32,
    /// How often InListPassiveTarget retries activation before reporting no card
    /// (RFConfiguration MxRtyPassiveActivation; 0xFF would wait forever).
    pub passive_activation_retries: u8,
    /// Whether poll also looks for ISO/IEC 14443 type B cards when no type A card answers.
    pub poll_type_b: bool,
}

impl Default for Pn532Config {
    fn default() -> Self {
        Pn532Config {
            ack_timeout: Duration::from_millis(100),
            response_timeout: Duration::from_millis(1500),
            nack_retries: 2,
            passive_activation_retries: 1,
            poll_type_b: true,
        }
    }
}

/// A PN532 on any byte transport: a serial port on the kiosk, one end of a pty in tests. Reads on
/// the transport must time out (serial ports do); the driver keeps its own deadlines.
pub struct Pn532<T> {
    link: Link<T>,
    location: String,
    config: Pn532Config,
    /// Whether the PN532 is awake and configured (cleared after link failures).
    configured: bool,
    /// The card activated by the last poll.
    active: Option<Target>,
}

impl<T> std::fmt::Debug for Pn532<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The card's UID stays out: it identifies a person's card for the session.
        f.debug_struct("Pn532")
            .field("location", &self.location)
            .field("config", &self.config)
            .field("configured", &self.configured)
            .field("card_active", &self.active.is_some())
            .finish()
    }
}

impl Pn532<Box<dyn serialport::SerialPort>> {
    /// Opens the PN532 on a serial device (`/dev/ttyUSB0`, `/dev/serial0`) at `baud` (the PN532
    /// starts at [`DEFAULT_BAUD_RATE`]).
    pub fn open(path: &str, baud: u32) -> Result<Self> {
        crate::serial::open(path, baud).map(|port| Pn532::new(port, path))
    }
}

impl<T: Read + Write + Send> Pn532<T> {
    /// A PN532 on `port`, described as `location` in health records, with the default settings.
    /// Nothing is sent until the first operation.
    pub fn new(port: T, location: impl Into<String>) -> Self {
        let config = Pn532Config::default();
        Pn532 {
            link: Link::new(port, config.ack_timeout, config.nack_retries),
            location: location.into(),
            config,
            configured: false,
            active: None,
        }
    }

    /// The same driver with other settings (tests use short deadlines).
    pub fn with_config(mut self, config: Pn532Config) -> Self {
        self.config = config;
        self.link.ack_timeout = config.ack_timeout;
        self.link.nack_retries = config.nack_retries;
        self
    }

    /// The settings in use.
    pub fn config(&self) -> &Pn532Config {
        &self.config
    }

    /// Asks the PN532 for its IC and firmware version.
    pub fn firmware(&mut self) -> Result<Firmware> {
        self.run(|reader| {
            reader.ensure_configured()?;
            Firmware::parse(&reader.call(command::GET_FIRMWARE_VERSION, &[])?)
        })
    }

    /// Runs `operation` and keeps the driver state true to what a failure means: a card that is
    /// gone is forgotten, and after link trouble the PN532 is woken and configured again.
    fn run<R>(&mut self, operation: impl FnOnce(&mut Self) -> Result<R, Pn532Error>) -> Result<R> {
        operation(self).map_err(|error| {
            if error.card_lost() || error.needs_reinit() {
                self.active = None;
            }
            if error.needs_reinit() {
                self.configured = false;
            }
            error.into()
        })
    }

    fn call(&mut self, command: u8, params: &[u8]) -> Result<Vec<u8>, Pn532Error> {
        self.link.call(command, params, self.config.response_timeout)
    }

    /// Wakes the PN532 and puts it in normal mode with prompt passive activation, once.
    fn ensure_configured(&mut self) -> Result<(), Pn532Error> {
        if self.configured {
            return Ok(());
        }
        self.link.discard_stale_input()?;
        self.link.wake_up()?;
        self.call(command::SAM_CONFIGURATION, &command::SAM_NORMAL_MODE)?;
        self.call(command::RF_CONFIGURATION, &command::max_retries(self.config.passive_activation_retries))?;
        self.configured = true;
        Ok(())
    }

    fn poll_card(&mut self) -> Result<Option<CardInfo>, Pn532Error> {
        self.ensure_configured()?;
        if let Some(target) = self.active.take()
            && self.card_still_there()?
        {
            let info = target.info.clone();
            self.active = Some(target);
            return Ok(Some(info));
        }
        let mut found = self.list_target(Modulation::TypeA)?;
        if found.is_none() && self.config.poll_type_b {
            found = self.list_target(Modulation::TypeB)?;
        }
        let info = found.as_ref().map(|target| target.info.clone());
        self.active = found;
        Ok(info)
    }

    /// Checks an activated card still answers, without resetting it: Diagnose with the card
    /// presence test (UM0701-02 §7.2.1, NumTst 6) answers with a status byte, 0 when present.
    /// The test concerns the target the PN532 has selected, which is the one the last poll listed.
    fn card_still_there(&mut self) -> Result<bool, Pn532Error> {
        let response = self.call(command::DIAGNOSE, &[command::DIAGNOSE_CARD_PRESENCE])?;
        let (status, _) = command::split_status(command::DIAGNOSE, &response)?;
        Ok(status_code(status) == 0)
    }

    fn list_target(&mut self, modulation: Modulation) -> Result<Option<Target>, Pn532Error> {
        let response = self.call(command::IN_LIST_PASSIVE_TARGET, &modulation.list_params())?;
        command::parse_target(modulation, &response)
    }

    fn exchange_apdu(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Pn532Error> {
        let target = self.active.as_ref().ok_or(Pn532Error::NoCard)?;
        if !target.iso_dep {
            return Err(Pn532Error::NotIsoDep);
        }
        let number = target.number;
        let first = self.send_apdu(number, apdu)?;
        self.receive_rest(number, first)
    }

    /// Sends the APDU, in chained pieces with the MI bit set in Tg on all but the last when it is
    /// longer than one frame carries (UM0701-02 §7.3.8); returns the answer to the last piece.
    fn send_apdu(&mut self, number: u8, apdu: &[u8]) -> Result<(u8, Vec<u8>), Pn532Error> {
        let mut rest = apdu;
        while rest.len() > command::MAX_DATA_OUT {
            let (piece, tail) = rest.split_at(command::MAX_DATA_OUT);
            self.data_exchange(number | command::TG_MI, piece)?;
            rest = tail;
        }
        self.data_exchange(number, rest)
    }

    /// Collects a chained card response: while the status byte has MI set, an InDataExchange with
    /// no data fetches the next piece (UM0701-02 §7.3.8).
    fn receive_rest(&mut self, number: u8, first: (u8, Vec<u8>)) -> Result<Vec<u8>, Pn532Error> {
        let (mut status, mut response) = first;
        let mut frames = 1;
        while status & STATUS_MI != 0 {
            if frames >= MAX_RESPONSE_FRAMES {
                return Err(Pn532Error::ChainTooLong { frames });
            }
            let (next_status, piece) = self.data_exchange(number, &[])?;
            response.extend_from_slice(&piece);
            status = next_status;
            frames += 1;
        }
        Ok(response)
    }

    /// One InDataExchange: the status byte (MI included) and the data, or the error it reports.
    fn data_exchange(&mut self, tg: u8, data: &[u8]) -> Result<(u8, Vec<u8>), Pn532Error> {
        let mut params = Vec::with_capacity(data.len() + 1);
        params.push(tg);
        params.extend_from_slice(data);
        let response = self.call(command::IN_DATA_EXCHANGE, &params)?;
        let (status, data) = command::split_status(command::IN_DATA_EXCHANGE, &response)?;
        match status_code(status) {
            0 => Ok((status, data.to_vec())),
            code => Err(Pn532Error::Status { command: command::IN_DATA_EXCHANGE, code }),
        }
    }

    /// Releases the activated card (InRelease, UM0701-02 §7.3.11). A status error means the
    /// card is already gone, which is what release wants.
    fn release_card(&mut self) -> Result<(), Pn532Error> {
        let Some(target) = self.active.take() else {
            return Ok(());
        };
        let response = self.call(command::IN_RELEASE, &[target.number])?;
        let (status, _) = command::split_status(command::IN_RELEASE, &response)?;
        if status_code(status) != 0 {
            tracing::debug!(status, "pn532: InRelease reported an error; the card was already gone");
        }
        Ok(())
    }
}

impl<T: Read + Write + Send> Device for Pn532<T> {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::CardReader, driver: "pn532".into(), location: self.location.clone() }
    }

    fn self_test(&mut self) -> Health {
        let info = self.info();
        match self.firmware() {
            Ok(firmware) if firmware.ic != command::IC_PN532 => {
                Health::degraded(info, format!("answers like another chip ({firmware}), not a PN532"))
                    .with_detail("firmware", firmware)
            }
            Ok(firmware) => Health::ok(info)
                .with_detail("firmware", firmware)
                .with_detail("protocols", firmware.protocols())
                .with_detail("card", if self.active.is_some() { "activated" } else { "none activated" }),
            Err(error) => Health::failed(info, &error),
        }
    }
}

impl<T: Read + Write + Send> CardReader for Pn532<T> {
    fn poll(&mut self) -> Result<Option<CardInfo>> {
        self.run(Self::poll_card)
    }

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        self.run(|reader| reader.exchange_apdu(command))
    }

    fn release(&mut self) -> Result<()> {
        self.run(Self::release_card)
    }
}
