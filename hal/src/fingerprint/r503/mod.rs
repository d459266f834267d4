//! R30x / R503 optical and capacitive fingerprint modules on a UART (default 57600 baud, 8N1).
//!
//! The host sends command packets and the module answers each with an acknowledge packet whose first
//! byte is a confirmation code ([`packet`] describes the framing). A session starts with VfyPwd (the
//! handshake password, 0 from the factory) and ReadSysPara, which tells the data packet size the
//! module uses for image uploads. A capture polls GenImg until a finger lies on the sensor, then asks
//! for the image with UpImage: the module streams 256 x 288 pixels at 4 bits each (two pixels per
//! byte, high nibble first), 36,864 bytes in data packets of the configured size, the last one marked
//! end-of-data. On the R503 the ring light (AuraLedConfig) breathes while the driver waits.
//!
//! [`R503Simulator`] is a module on the other end of a pseudo-terminal speaking the same protocol,
//! with injectable faults; the tests run the driver against it.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use image::GrayImage;

use self::packet::{Decoder, Instruction, Packet, PacketError, PacketKind, PacketSize, confirmation};
use super::{FingerImage, FingerprintSensor};
use crate::serial::{is_retryable, write_all_before};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

pub mod packet;
mod simulator;
#[cfg(test)]
mod tests;

pub use simulator::{R503Simulator, SimulatorConfig};

/// Image width of the R30x/R503 sensor window.
pub const IMAGE_WIDTH: u32 = 256;
/// Image height of the R30x/R503 sensor window.
pub const IMAGE_HEIGHT: u32 = 288;
/// Bytes of one uploaded image: two 4-bit pixels per byte.
pub const IMAGE_BYTES: usize = (IMAGE_WIDTH * IMAGE_HEIGHT / 2) as usize;
/// Resolution of the sensor (manual, "Resolution: 508 dpi", rounded to the 500 ppi fingerprint
/// matchers expect).
pub const PPI: u32 = 500;
/// The factory baud rate (manual: 9600 x 6).
pub const DEFAULT_BAUD: u32 = 57_600;

/// How long the driver waits for one packet by default. GenImg takes a few hundred milliseconds on
/// an R503; the margin covers slower R30x modules.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between two GenImg while waiting for a finger.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The longest the driver spends throwing away the rest of an aborted exchange: the remainder of an
/// image upload takes about 7 s at 57600 baud.
const STALE_LIMIT: Duration = Duration::from_secs(10);

/// Bytes of system parameters after the confirmation code of a ReadSysPara answer.
const SYSTEM_PARAMETERS_LEN: usize = 16;

/// Effects of the R503 ring light (AuraLedConfig control codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuraEffect {
    /// 0x01: brightens and dims continuously.
    Breathing,
    /// 0x02: flashes.
    Flashing,
    /// 0x03: stays on.
    On,
    /// 0x04: stays off.
    Off,
    /// 0x05: brightens once and stays on.
    FadeIn,
    /// 0x06: dims once and stays off.
    FadeOut,
}

impl AuraEffect {
    /// The control code on the wire.
    pub fn code(self) -> u8 {
        match self {
            AuraEffect::Breathing => 0x01,
            AuraEffect::Flashing => 0x02,
            AuraEffect::On => 0x03,
            AuraEffect::Off => 0x04,
            AuraEffect::FadeIn => 0x05,
            AuraEffect::FadeOut => 0x06,
        }
    }

    /// The effect of a control code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(AuraEffect::Breathing),
            0x02 => Some(AuraEffect::Flashing),
            0x03 => Some(AuraEffect::On),
            0x04 => Some(AuraEffect::Off),
            0x05 => Some(AuraEffect::FadeIn),
            0x06 => Some(AuraEffect::FadeOut),
            _ => None,
        }
    }
}

/// Colours of the R503 ring light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuraColour {
    /// 0x01.
    Red,
    /// 0x02.
    Blue,
    /// 0x03.
    Purple,
}

impl AuraColour {
    /// The colour index on the wire.
    pub fn code(self) -> u8 {
        match self {
            AuraColour::Red => 0x01,
            AuraColour::Blue => 0x02,
            AuraColour::Purple => 0x03,
        }
    }

    /// The colour of an index.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(AuraColour::Red),
            0x02 => Some(AuraColour::Blue),
            0x03 => Some(AuraColour::Purple),
            _ => None,
        }
    }
}

/// One AuraLedConfig setting of the ring light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuraLed {
    /// What the light does.
    pub effect: AuraEffect,
    /// Its colour.
    pub colour: AuraColour,
    /// Speed of breathing, flashing and fading (0x00 slowest .. 0xFF fastest).
    pub speed: u8,
    /// Flash count; 0 flashes until told otherwise.
    pub cycles: u8,
}

impl AuraLed {
    /// Blue breathing: "place your finger".
    pub fn waiting() -> Self {
        AuraLed { effect: AuraEffect::Breathing, colour: AuraColour::Blue, speed: 0x80, cycles: 0 }
    }

    /// The light off.
    pub fn off() -> Self {
        AuraLed { effect: AuraEffect::Off, colour: AuraColour::Blue, speed: 0, cycles: 0 }
    }

    /// The four parameter bytes in the manual's order: control code, speed, colour index, count.
    pub fn parameters(&self) -> [u8; 4] {
        [self.effect.code(), self.speed, self.colour.code(), self.cycles]
    }

    /// The setting carried by AuraLedConfig parameter bytes, if they are valid.
    pub fn from_parameters(bytes: &[u8]) -> Option<Self> {
        match *bytes {
            [effect, speed, colour, cycles] => Some(AuraLed {
                effect: AuraEffect::from_code(effect)?,
                colour: AuraColour::from_code(colour)?,
                speed,
                cycles,
            }),
            _ => None,
        }
    }
}

/// The module's system parameters (ReadSysPara, 16 bytes, all words big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemParameters {
    /// Status register: bit 0 busy, bit 1 matched, bit 2 password verified, bit 3 image in buffer.
    pub status: u16,
    /// System identifier code (0x0009 on the modules seen so far).
    pub system_id: u16,
    /// How many templates the finger library holds.
    pub library_size: u16,
    /// Matching threshold, 1 (lenient) .. 5 (strict).
    pub security_level: u16,
    /// The module address.
    pub address: u32,
    /// Payload bytes per data packet.
    pub packet_size: PacketSize,
    /// UART speed (the module stores a multiple of 9600).
    pub baud_rate: u32,
}

impl SystemParameters {
    /// Reads the 16 parameter bytes of a ReadSysPara answer.
    pub fn parse(bytes: &[u8]) -> Result<Self, R503Error> {
        let Ok(bytes) = <&[u8; SYSTEM_PARAMETERS_LEN]>::try_from(bytes) else {
            return Err(R503Error::ShortAnswer {
                instruction: Instruction::ReadSysPara,
                expected: SYSTEM_PARAMETERS_LEN,
                received: bytes.len(),
            });
        };
        let word = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let size_code = word(12);
        Ok(SystemParameters {
            status: word(0),
            system_id: word(2),
            library_size: word(4),
            security_level: word(6),
            address: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            packet_size: PacketSize::from_code(size_code).ok_or(R503Error::UnknownPacketSize(size_code))?,
            baud_rate: u32::from(word(14)) * 9600,
        })
    }

    /// The 16 bytes as the module sends them (the simulator answers with these).
    pub fn to_bytes(&self) -> [u8; SYSTEM_PARAMETERS_LEN] {
        let mut bytes = [0u8; SYSTEM_PARAMETERS_LEN];
        bytes[0..2].copy_from_slice(&self.status.to_be_bytes());
        bytes[2..4].copy_from_slice(&self.system_id.to_be_bytes());
        bytes[4..6].copy_from_slice(&self.library_size.to_be_bytes());
        bytes[6..8].copy_from_slice(&self.security_level.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.address.to_be_bytes());
        bytes[12..14].copy_from_slice(&self.packet_size.code().to_be_bytes());
        let multiplier = u16::try_from(self.baud_rate / 9600).unwrap_or(u16::MAX);
        bytes[14..16].copy_from_slice(&multiplier.to_be_bytes());
        bytes
    }
}

/// What can go wrong that is particular to the R30x/R503 protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum R503Error {
    /// A corrupt packet (checksum, address).
    #[error(transparent)]
    Packet(#[from] PacketError),
    /// A packet of the wrong kind at this point of an exchange.
    #[error("expected an {expected} during {instruction}, received an {received}")]
    UnexpectedPacket {
        /// The exchange.
        instruction: Instruction,
        /// What the protocol calls for.
        expected: PacketKind,
        /// What came.
        received: PacketKind,
    },
    /// An acknowledge packet without a confirmation code.
    #[error("empty acknowledge packet in answer to {instruction}")]
    EmptyAck {
        /// The exchange.
        instruction: Instruction,
    },
    /// An answer with fewer or more parameter bytes than the instruction returns.
    #[error("{instruction} answer carries {received} parameter bytes, expected {expected}")]
    ShortAnswer {
        /// The exchange.
        instruction: Instruction,
        /// Bytes the manual specifies.
        expected: usize,
        /// Bytes received.
        received: usize,
    },
    /// VfyPwd refused the configured password.
    #[error(
        "the module rejected the configured password (VfyPwd confirmation 0x13); set the module's password in the configuration"
    )]
    WrongPassword,
    /// The module refused or failed an instruction.
    #[error("{instruction} failed with confirmation code {code:#04x}: {}", describe_confirmation(*.code))]
    Rejected {
        /// The exchange.
        instruction: Instruction,
        /// The confirmation code.
        code: u8,
    },
    /// ReadSysPara reported a packet size code outside 0..3.
    #[error("unknown data packet size code {0} in the system parameters")]
    UnknownPacketSize(u16),
    /// A data packet longer than the packet size the module reported.
    #[error("image data packet of {len} bytes exceeds the module's {max}-byte packet size")]
    DataPacketTooLong {
        /// Payload bytes received.
        len: usize,
        /// The packet size from ReadSysPara.
        max: usize,
    },
    /// The image data did not add up to one 256 x 288 4-bit image.
    #[error("image data of {received} bytes, expected {expected}")]
    ImageLength {
        /// Bytes of one image.
        expected: usize,
        /// Bytes received (when too many: as far as the driver read).
        received: usize,
    },
}

impl R503Error {
    /// The shared kind a flow acts on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            R503Error::Packet(PacketError::PayloadTooLong { .. }) => ErrorKind::Other,
            R503Error::Rejected { code: confirmation::RECEIVE_ERROR, .. } => ErrorKind::Protocol,
            R503Error::Rejected { .. } | R503Error::WrongPassword => ErrorKind::Other,
            R503Error::Packet(_)
            | R503Error::UnexpectedPacket { .. }
            | R503Error::EmptyAck { .. }
            | R503Error::ShortAnswer { .. }
            | R503Error::UnknownPacketSize(_)
            | R503Error::DataPacketTooLong { .. }
            | R503Error::ImageLength { .. } => ErrorKind::Protocol,
        }
    }
}

impl From<R503Error> for DeviceError {
    fn from(error: R503Error) -> Self {
        DeviceError::new(error.kind(), error.to_string()).with_source(error)
    }
}

impl From<PacketError> for DeviceError {
    fn from(error: PacketError) -> Self {
        R503Error::Packet(error).into()
    }
}

/// What the confirmation codes of the manual's table mean, for messages.
fn describe_confirmation(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x01 => "the module could not receive the command packet",
        0x02 => "no finger on the sensor",
        0x03 => "no usable finger image was taken",
        0x06 => "the image is too disorderly",
        0x07 => "the image has too few feature points",
        0x0E => "the module cannot receive the following data packets",
        0x0F => "the module failed to upload the image",
        0x13 => "wrong password",
        0x15 => "no valid image in the buffer",
        0x18 => "flash write error",
        0x1A => "invalid register number",
        0x21 => "the password must be verified first",
        _ => "a code this driver does not know",
    }
}

/// Driver settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R503Config {
    /// Module address (factory: `0xFFFFFFFF`).
    pub address: u32,
    /// Handshake password (factory: 0).
    pub password: u32,
    /// How long to wait for each packet of an answer.
    pub reply_timeout: Duration,
    /// Pause between two GenImg while waiting for a finger.
    pub poll_interval: Duration,
    /// Ring light while waiting for a finger; `None` for modules without one (R305, R307). A module
    /// that refuses the setting does not stop the capture.
    pub ring_light: Option<AuraLed>,
}

impl Default for R503Config {
    fn default() -> Self {
        R503Config {
            address: packet::DEFAULT_ADDRESS,
            password: packet::DEFAULT_PASSWORD,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            ring_light: Some(AuraLed::waiting()),
        }
    }
}

/// What one GenImg found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touch {
    /// An image is in the module's buffer.
    Image,
    /// Nothing on the sensor.
    NoFinger,
    /// Something touched, but the image was unusable (confirmation 0x03).
    Unusable,
}

/// An R30x/R503 module on a serial port (or anything else that reads and writes bytes).
///
/// The port must time out its reads after a short while (serial ports from
/// [`crate::serial::open`] and [`crate::serial::pty_pair`] do, after 20 ms); the driver keeps its
/// own deadline per packet.
pub struct R503<T: Read + Write + Send> {
    port: T,
    location: String,
    config: R503Config,
    decoder: Decoder,
    /// Learnt at the handshake; `None` until then and after any failed exchange, so the next
    /// operation handshakes again (the module may have been power-cycled).
    session: Option<SystemParameters>,
    /// Whether an exchange was abandoned and its remaining bytes may still arrive.
    stale: bool,
}

impl<T: Read + Write + Send> std::fmt::Debug for R503<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("R503")
            .field("location", &self.location)
            .field("address", &format_args!("{:#010x}", self.config.address))
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl R503<Box<dyn serialport::SerialPort>> {
    /// Opens the module on the serial port at `path` ([`DEFAULT_BAUD`] unless it was reconfigured),
    /// with the factory address and password.
    pub fn open(path: &str, baud: u32) -> Result<Self> {
        Ok(R503::new(crate::serial::open(path, baud)?, path))
    }
}

impl<T: Read + Write + Send> R503<T> {
    /// A driver for the module on `port`, reached at `location` (shown in health records), with the
    /// factory address and password; the handshake happens at the first operation.
    pub fn new(port: T, location: impl Into<String>) -> Self {
        let config = R503Config::default();
        R503 {
            port,
            location: location.into(),
            decoder: Decoder::new(config.address),
            config,
            session: None,
            stale: false,
        }
    }

    /// Replaces all settings.
    pub fn with_config(mut self, config: R503Config) -> Self {
        self.decoder = Decoder::new(config.address);
        self.config = config;
        self.session = None;
        self
    }

    /// Talks to the module at `address`.
    pub fn with_address(self, address: u32) -> Self {
        let config = R503Config { address, ..self.config.clone() };
        self.with_config(config)
    }

    /// Uses `password` for the handshake.
    pub fn with_password(self, password: u32) -> Self {
        let config = R503Config { password, ..self.config.clone() };
        self.with_config(config)
    }

    /// The settings in use.
    pub fn config(&self) -> &R503Config {
        &self.config
    }

    /// Gives the port back.
    pub fn into_inner(self) -> T {
        self.port
    }

    /// Handshakes (VfyPwd, ReadSysPara) unless that already happened, and returns what the module
    /// reported.
    pub fn connect(&mut self) -> Result<SystemParameters> {
        if let Some(parameters) = self.session {
            return Ok(parameters);
        }
        self.verify_password()?;
        let parameters = self.read_system_parameters()?;
        self.session = Some(parameters);
        Ok(parameters)
    }

    /// VfyPwd with the configured password.
    pub fn verify_password(&mut self) -> Result<()> {
        let (code, _) = self.exchange(Instruction::VfyPwd, &self.config.password.to_be_bytes())?;
        match code {
            confirmation::OK => Ok(()),
            confirmation::WRONG_PASSWORD => Err(R503Error::WrongPassword.into()),
            code => Err(R503Error::Rejected { instruction: Instruction::VfyPwd, code }.into()),
        }
    }

    /// ReadSysPara.
    pub fn read_system_parameters(&mut self) -> Result<SystemParameters> {
        let (code, parameters) = self.exchange(Instruction::ReadSysPara, &[])?;
        if code != confirmation::OK {
            return Err(R503Error::Rejected { instruction: Instruction::ReadSysPara, code }.into());
        }
        SystemParameters::parse(&parameters).map_err(|error| {
            self.lose_session();
            error.into()
        })
    }

    /// Sets the ring light (R503 family; other modules refuse it).
    pub fn set_ring_light(&mut self, led: AuraLed) -> Result<()> {
        self.connect()?;
        let (code, _) = self.exchange(Instruction::AuraLedConfig, &led.parameters())?;
        match code {
            confirmation::OK => Ok(()),
            code => Err(R503Error::Rejected { instruction: Instruction::AuraLedConfig, code }.into()),
        }
    }

    /// Uploads the image in the module's buffer (taken by the last successful GenImg) as 8-bit grey.
    pub fn upload_image(&mut self) -> Result<GrayImage> {
        let packet_size = self.connect()?.packet_size;
        let (code, _) = self.exchange(Instruction::UpImage, &[])?;
        if code != confirmation::OK {
            return Err(R503Error::Rejected { instruction: Instruction::UpImage, code }.into());
        }
        let data = self.receive_image_data(packet_size).inspect_err(|_| self.lose_session())?;
        Ok(unpack_image(&data)?)
    }

    /// One GenImg.
    fn take_image(&mut self) -> Result<Touch> {
        self.connect()?;
        let (code, _) = self.exchange(Instruction::GenImg, &[])?;
        match code {
            confirmation::OK => Ok(Touch::Image),
            confirmation::NO_FINGER => Ok(Touch::NoFinger),
            confirmation::IMAGE_FAILED => Ok(Touch::Unusable),
            code => Err(R503Error::Rejected { instruction: Instruction::GenImg, code }.into()),
        }
    }

    /// Polls GenImg until an image is taken or `timeout` has passed (at least one GenImg either way).
    fn wait_for_finger(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut touched_unusably = false;
        loop {
            match self.take_image()? {
                Touch::Image => return Ok(()),
                Touch::NoFinger => {}
                Touch::Unusable => touched_unusably = true,
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(self.config.poll_interval.min(deadline - now));
        }
        let waited = timeout.as_millis();
        if touched_unusably {
            Err(DeviceError::new(
                ErrorKind::Other,
                format!("a finger touched the sensor but no usable image was taken within {waited} ms (GenImg 0x03)"),
            ))
        } else {
            Err(DeviceError::new(ErrorKind::NoMedium, format!("no finger placed within {waited} ms")))
        }
    }

    /// Lights the ring if configured; a refusal is logged, not fatal (the light only guides).
    fn light_ring(&mut self) -> bool {
        let Some(led) = self.config.ring_light else { return false };
        match self.set_ring_light(led) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "fingerprint ring light not set");
                false
            }
        }
    }

    fn switch_ring_off(&mut self) {
        if let Err(error) = self.set_ring_light(AuraLed::off()) {
            tracing::warn!(%error, "fingerprint ring light not switched off");
        }
    }

    /// Sends a command and returns the confirmation code and parameters of its acknowledgement.
    fn exchange(&mut self, instruction: Instruction, parameters: &[u8]) -> Result<(u8, Vec<u8>)> {
        self.try_exchange(instruction, parameters).inspect_err(|_| self.lose_session())
    }

    fn try_exchange(&mut self, instruction: Instruction, parameters: &[u8]) -> Result<(u8, Vec<u8>)> {
        self.send(instruction, parameters)?;
        let deadline = Instant::now() + self.config.reply_timeout;
        let packet = self.receive(instruction, "reply", deadline)?;
        if packet.kind() != PacketKind::Ack {
            return Err(R503Error::UnexpectedPacket {
                instruction,
                expected: PacketKind::Ack,
                received: packet.kind(),
            }
            .into());
        }
        let mut payload = packet.into_payload();
        if payload.is_empty() {
            return Err(R503Error::EmptyAck { instruction }.into());
        }
        let code = payload.remove(0);
        Ok((code, payload))
    }

    /// The data packets after an accepted UpImage, joined.
    fn receive_image_data(&mut self, packet_size: PacketSize) -> Result<Vec<u8>> {
        let mut data = Vec::with_capacity(IMAGE_BYTES);
        loop {
            let deadline = Instant::now() + self.config.reply_timeout;
            let packet = self.receive(Instruction::UpImage, "image data", deadline)?;
            let last = match packet.kind() {
                PacketKind::Data => false,
                PacketKind::EndData => true,
                other => {
                    return Err(R503Error::UnexpectedPacket {
                        instruction: Instruction::UpImage,
                        expected: PacketKind::Data,
                        received: other,
                    }
                    .into());
                }
            };
            let len = packet.payload().len();
            if len > packet_size.bytes() {
                return Err(R503Error::DataPacketTooLong { len, max: packet_size.bytes() }.into());
            }
            if data.len() + len > IMAGE_BYTES {
                return Err(R503Error::ImageLength { expected: IMAGE_BYTES, received: data.len() + len }.into());
            }
            data.extend_from_slice(packet.payload());
            if last {
                return Ok(data);
            }
        }
    }

    fn send(&mut self, instruction: Instruction, parameters: &[u8]) -> Result<()> {
        if self.stale {
            self.discard_stale_input()?;
        }
        self.decoder.clear();
        let bytes = Packet::command(self.config.address, instruction, parameters)?.encode();
        write_all_before(&mut self.port, &bytes, Instant::now() + self.config.reply_timeout)
            .map_err(|e| DeviceError::from_io(&format!("sending {instruction}"), e))
    }

    /// Reads until the next packet for this module, or fails at `deadline`.
    fn receive(&mut self, instruction: Instruction, what: &str, deadline: Instant) -> Result<Packet> {
        let mut chunk = [0u8; 512];
        loop {
            if let Some(decoded) = self.decoder.next_packet() {
                return Ok(decoded?);
            }
            match self.port.read(&mut chunk) {
                Ok(0) => {
                    return Err(DeviceError::new(
                        ErrorKind::Disconnected,
                        format!("serial port closed while waiting for the {instruction} {what}"),
                    ));
                }
                Ok(n) => self.decoder.push(&chunk[..n]),
                Err(e) if is_retryable(&e) => {}
                Err(e) => return Err(DeviceError::from_io(&format!("waiting for the {instruction} {what}"), e)),
            }
            // Checked after every read, so a stream of garbage cannot hold the driver past its deadline.
            if Instant::now() >= deadline {
                return Err(self.timeout(instruction, what));
            }
        }
    }

    fn timeout(&self, instruction: Instruction, what: &str) -> DeviceError {
        let ignored = match self.decoder.discarded() {
            0 => String::new(),
            n => format!(" ({n} stray bytes ignored)"),
        };
        DeviceError::new(
            ErrorKind::Timeout,
            format!("no {instruction} {what} within {} ms{ignored}", self.config.reply_timeout.as_millis()),
        )
    }

    /// Reads and drops what is left of an abandoned exchange, until the line is quiet.
    fn discard_stale_input(&mut self) -> Result<()> {
        let give_up = Instant::now() + STALE_LIMIT;
        let mut chunk = [0u8; 512];
        let mut dropped = 0usize;
        while Instant::now() < give_up {
            match self.port.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => dropped += n,
                Err(e) if is_retryable(&e) => break,
                Err(e) => return Err(DeviceError::from_io("discarding stale bytes", e)),
            }
        }
        if dropped > 0 {
            tracing::debug!(dropped, "discarded stale bytes from the fingerprint module");
        }
        self.stale = false;
        Ok(())
    }

    fn lose_session(&mut self) {
        self.session = None;
        self.stale = true;
    }
}

impl<T: Read + Write + Send> Device for R503<T> {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Fingerprint, driver: "r503".into(), location: self.location.clone() }
    }

    /// Handshakes afresh and reports the system parameters; takes no image and leaves the light off.
    fn self_test(&mut self) -> Health {
        self.session = None;
        Health::from_test(self.info(), |info| {
            let parameters = self.connect()?;
            Ok(Health::ok(info)
                .with_detail("address", format!("{:#010x}", parameters.address))
                .with_detail("library_size", parameters.library_size)
                .with_detail("security_level", parameters.security_level)
                .with_detail("packet_size", parameters.packet_size.bytes())
                .with_detail("baud_rate", parameters.baud_rate)
                .with_detail("system_id", format!("{:#06x}", parameters.system_id))
                .with_detail("status_register", format!("{:#06x}", parameters.status))
                .with_detail("image", format!("{IMAGE_WIDTH}x{IMAGE_HEIGHT} 4-bit {PPI} ppi")))
        })
    }
}

impl<T: Read + Write + Send> FingerprintSensor for R503<T> {
    /// One GenImg: a finger is present when the module takes an image.
    fn finger_present(&mut self) -> Result<bool> {
        match self.take_image()? {
            Touch::Image => Ok(true),
            Touch::NoFinger => Ok(false),
            Touch::Unusable => {
                Err(R503Error::Rejected { instruction: Instruction::GenImg, code: confirmation::IMAGE_FAILED }.into())
            }
        }
    }

    fn capture(&mut self, timeout: Duration) -> Result<FingerImage> {
        self.connect()?;
        let lit = self.light_ring();
        let waited = self.wait_for_finger(timeout);
        // The finger may leave once the image is in the module's buffer; switch the light off first
        // unless the line is gone (another exchange would only wait out the same failure).
        let line_alive = match &waited {
            Ok(()) => true,
            Err(error) => !matches!(error.kind(), ErrorKind::Disconnected | ErrorKind::Timeout),
        };
        if lit && line_alive {
            self.switch_ring_off();
        }
        waited?;
        let image = self.upload_image()?;
        Ok(FingerImage { image, ppi: PPI })
    }
}

/// Expands an uploaded image: two 4-bit pixels per byte, high nibble first, row by row; each level
/// 0..15 becomes 0..255 (x17, so white stays 255).
pub fn unpack_image(data: &[u8]) -> Result<GrayImage, R503Error> {
    let length_error = R503Error::ImageLength { expected: IMAGE_BYTES, received: data.len() };
    if data.len() != IMAGE_BYTES {
        return Err(length_error);
    }
    let pixels = data.iter().flat_map(|&byte| [(byte >> 4) * 17, (byte & 0x0F) * 17]).collect();
    GrayImage::from_raw(IMAGE_WIDTH, IMAGE_HEIGHT, pixels).ok_or(length_error)
}

/// What a capture of `image` looks like after the module's 4-bit quantisation (its top four bits,
/// expanded as [`unpack_image`] does).
pub fn quantise_to_sensor_levels(image: &GrayImage) -> GrayImage {
    GrayImage::from_fn(image.width(), image.height(), |x, y| image::Luma([(image.get_pixel(x, y).0[0] >> 4) * 17]))
}
