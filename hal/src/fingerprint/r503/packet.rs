//! The R30x/R503 packet format, as a codec without I/O.
//!
//! Every exchange on the UART is a packet (R503 user manual, "Data package format"):
//!
//! ```text
//! EF 01 | address (4, big-endian) | identifier (1) | length (2, big-endian) | payload | checksum (2)
//! ```
//!
//! `length` counts the payload plus the two checksum bytes; the checksum is the sum of the identifier,
//! both length bytes and every payload byte, kept to its low 16 bits. The address is not covered by
//! the checksum: the module compares it with its own and stays silent when they differ.

use std::fmt;

/// The two bytes that start every packet (fixed by the manual, high byte first).
pub const HEADER: [u8; 2] = [0xEF, 0x01];

/// The module address a new R30x/R503 answers to.
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;

/// The password a new module is set to.
pub const DEFAULT_PASSWORD: u32 = 0;

/// The longest payload a packet carries: a data packet at the largest packet size (256 bytes).
pub const MAX_PAYLOAD: usize = 256;

/// Bytes before the payload: header, address, identifier, length.
const PREFIX_LEN: usize = 9;

/// Checksum bytes after the payload.
const CHECKSUM_LEN: usize = 2;

/// The byte an R503 sends once after power-on to say it is ready (manual, "Power-on delay"); it is not
/// a packet and the decoder skips it like any other stray byte.
pub const POWER_ON_BYTE: u8 = 0x55;

/// The package identifier: what a packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 0x01: a command from the host.
    Command,
    /// 0x02: a data packet with more data to follow.
    Data,
    /// 0x07: the module's acknowledgement of a command.
    Ack,
    /// 0x08: the last data packet of a transfer.
    EndData,
}

impl PacketKind {
    /// The identifier byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            PacketKind::Command => 0x01,
            PacketKind::Data => 0x02,
            PacketKind::Ack => 0x07,
            PacketKind::EndData => 0x08,
        }
    }

    /// The kind of an identifier byte, if it is one the manual defines.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(PacketKind::Command),
            0x02 => Some(PacketKind::Data),
            0x07 => Some(PacketKind::Ack),
            0x08 => Some(PacketKind::EndData),
            _ => None,
        }
    }
}

impl fmt::Display for PacketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PacketKind::Command => "command packet",
            PacketKind::Data => "data packet",
            PacketKind::Ack => "acknowledge packet",
            PacketKind::EndData => "end-of-data packet",
        })
    }
}

/// The instructions this driver and the simulator use (first payload byte of a command packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// 0x01 GenImg: take an image of the finger into the image buffer.
    GenImg,
    /// 0x0A UpImage: send the image buffer to the host as data packets.
    UpImage,
    /// 0x0F ReadSysPara: read the 16 bytes of system parameters.
    ReadSysPara,
    /// 0x13 VfyPwd: verify the handshake password.
    VfyPwd,
    /// 0x35 AuraLedConfig: set the ring light (R503 family only).
    AuraLedConfig,
}

impl Instruction {
    /// The instruction code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Instruction::GenImg => 0x01,
            Instruction::UpImage => 0x0A,
            Instruction::ReadSysPara => 0x0F,
            Instruction::VfyPwd => 0x13,
            Instruction::AuraLedConfig => 0x35,
        }
    }

    /// The instruction of a code, if it is one of those above.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(Instruction::GenImg),
            0x0A => Some(Instruction::UpImage),
            0x0F => Some(Instruction::ReadSysPara),
            0x13 => Some(Instruction::VfyPwd),
            0x35 => Some(Instruction::AuraLedConfig),
            _ => None,
        }
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Instruction::GenImg => "GenImg",
            Instruction::UpImage => "UpImage",
            Instruction::ReadSysPara => "ReadSysPara",
            Instruction::VfyPwd => "VfyPwd",
            Instruction::AuraLedConfig => "AuraLedConfig",
        })
    }
}

/// Confirmation codes (first payload byte of an acknowledge packet) the driver tells apart; the
/// manual's table lists more, which the driver reports by number.
pub mod confirmation {
    /// Command executed.
    pub const OK: u8 = 0x00;
    /// The module could not receive the command packet (checksum or framing error on its side).
    pub const RECEIVE_ERROR: u8 = 0x01;
    /// GenImg: no finger on the sensor.
    pub const NO_FINGER: u8 = 0x02;
    /// GenImg: a finger touched but no usable image was taken.
    pub const IMAGE_FAILED: u8 = 0x03;
    /// UpImage: the module failed to upload the image.
    pub const UPLOAD_FAILED: u8 = 0x0F;
    /// VfyPwd: wrong password.
    pub const WRONG_PASSWORD: u8 = 0x13;
    /// Any command: the password has to be verified first.
    pub const PASSWORD_REQUIRED: u8 = 0x21;
}

/// The data packet size of a module, set in its system parameters (code 0..3 = 32..256 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PacketSize {
    /// Code 0: 32 bytes.
    Bytes32,
    /// Code 1: 64 bytes.
    Bytes64,
    /// Code 2: 128 bytes (factory default).
    Bytes128,
    /// Code 3: 256 bytes.
    Bytes256,
}

impl PacketSize {
    /// The size of a code from ReadSysPara, if it is one of the four the manual defines.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            0 => Some(PacketSize::Bytes32),
            1 => Some(PacketSize::Bytes64),
            2 => Some(PacketSize::Bytes128),
            3 => Some(PacketSize::Bytes256),
            _ => None,
        }
    }

    /// The code ReadSysPara reports.
    pub fn code(self) -> u16 {
        match self {
            PacketSize::Bytes32 => 0,
            PacketSize::Bytes64 => 1,
            PacketSize::Bytes128 => 2,
            PacketSize::Bytes256 => 3,
        }
    }

    /// Payload bytes per data packet.
    pub fn bytes(self) -> usize {
        32 << self.code()
    }
}

/// What is wrong with a packet, on its way in or out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// The checksum in the packet does not match its contents.
    #[error("packet checksum mismatch: computed {computed:#06x}, received {received:#06x}")]
    BadChecksum {
        /// What the contents add up to.
        computed: u16,
        /// What the packet says.
        received: u16,
    },
    /// The packet is addressed to or from another module.
    #[error("packet address {received:#010x} is not the configured {expected:#010x}")]
    WrongAddress {
        /// The configured address.
        expected: u32,
        /// The address in the packet.
        received: u32,
    },
    /// A payload longer than any packet may carry (a caller bug, caught before sending).
    #[error("payload of {len} bytes exceeds the {MAX_PAYLOAD}-byte packet limit")]
    PayloadTooLong {
        /// The payload length asked for.
        len: usize,
    },
}

/// The sum the manual defines: identifier, both length bytes and the payload, modulo 65536.
pub fn checksum(kind: PacketKind, length: u16, payload: &[u8]) -> u16 {
    let [high, low] = length.to_be_bytes();
    payload.iter().chain([kind.code(), high, low].iter()).fold(0u16, |sum, &byte| sum.wrapping_add(u16::from(byte)))
}

/// One packet: who it is addressed to, what it is and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    address: u32,
    kind: PacketKind,
    payload: Vec<u8>,
}

impl Packet {
    /// A packet, if `payload` fits in one.
    pub fn new(address: u32, kind: PacketKind, payload: Vec<u8>) -> Result<Self, PacketError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(PacketError::PayloadTooLong { len: payload.len() });
        }
        Ok(Packet { address, kind, payload })
    }

    /// A command packet: the instruction code followed by its parameters.
    pub fn command(address: u32, instruction: Instruction, parameters: &[u8]) -> Result<Self, PacketError> {
        let mut payload = Vec::with_capacity(1 + parameters.len());
        payload.push(instruction.code());
        payload.extend_from_slice(parameters);
        Packet::new(address, PacketKind::Command, payload)
    }

    /// The module address in the packet.
    pub fn address(&self) -> u32 {
        self.address
    }

    /// What the packet is.
    pub fn kind(&self) -> PacketKind {
        self.kind
    }

    /// The payload (without length and checksum).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload out.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// The length field: payload plus checksum bytes.
    fn length(&self) -> u16 {
        // `new` keeps the payload within MAX_PAYLOAD, far below u16::MAX.
        (self.payload.len() + CHECKSUM_LEN) as u16
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let length = self.length();
        let mut bytes = Vec::with_capacity(PREFIX_LEN + self.payload.len() + CHECKSUM_LEN);
        bytes.extend_from_slice(&HEADER);
        bytes.extend_from_slice(&self.address.to_be_bytes());
        bytes.push(self.kind.code());
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&self.payload);
        bytes.extend_from_slice(&checksum(self.kind, length, &self.payload).to_be_bytes());
        bytes
    }
}

/// Splits a byte stream into packets.
///
/// Bytes are pushed as they arrive; [`Decoder::next_packet`] returns the next complete packet, or an
/// error for a complete packet that is corrupt. A header whose identifier is unknown or whose length
/// is impossible is taken for stray bytes that happen to contain `EF 01`: the decoder drops its first
/// byte and searches on, so it resynchronises on the next real header. A packet with a plausible
/// header but a bad checksum or another address is consumed whole and reported.
#[derive(Debug, Clone)]
pub struct Decoder {
    address: u32,
    buffer: Vec<u8>,
    discarded: usize,
}

impl Decoder {
    /// A decoder that accepts packets for (or from) the module at `address`.
    pub fn new(address: u32) -> Self {
        Decoder { address, buffer: Vec::with_capacity(2 * (PREFIX_LEN + MAX_PAYLOAD + CHECKSUM_LEN)), discarded: 0 }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Forgets buffered bytes and the count of discarded ones (before a new exchange).
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.discarded = 0;
    }

    /// Bytes skipped while looking for a header since the decoder was made or cleared.
    pub fn discarded(&self) -> usize {
        self.discarded
    }

    /// Bytes received but not yet part of a returned packet.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The next packet, an error for a corrupt one, or `None` until more bytes arrive.
    pub fn next_packet(&mut self) -> Option<Result<Packet, PacketError>> {
        loop {
            self.skip_to_header();
            if self.buffer.len() < PREFIX_LEN {
                return None;
            }
            let kind = PacketKind::from_code(self.buffer[6]);
            let length = u16::from_be_bytes([self.buffer[7], self.buffer[8]]);
            let plausible = usize::from(length) >= CHECKSUM_LEN && usize::from(length) <= MAX_PAYLOAD + CHECKSUM_LEN;
            let Some(kind) = kind.filter(|_| plausible) else {
                // Not a header after all: drop the EF and look for the next EF 01.
                self.discard(1);
                continue;
            };
            let total = PREFIX_LEN + usize::from(length);
            if self.buffer.len() < total {
                return None;
            }
            return Some(self.take_packet(kind, length, total));
        }
    }

    /// Drops everything before the first `EF 01`, keeping a trailing `EF` that may start one.
    fn skip_to_header(&mut self) {
        let start = self.buffer.windows(2).position(|pair| pair == HEADER);
        let drop = match start {
            Some(index) => index,
            None if self.buffer.last() == Some(&HEADER[0]) => self.buffer.len() - 1,
            None => self.buffer.len(),
        };
        self.discard(drop);
    }

    fn discard(&mut self, count: usize) {
        self.buffer.drain(..count);
        self.discarded += count;
    }

    fn take_packet(&mut self, kind: PacketKind, length: u16, total: usize) -> Result<Packet, PacketError> {
        let frame: Vec<u8> = self.buffer.drain(..total).collect();
        let address = u32::from_be_bytes([frame[2], frame[3], frame[4], frame[5]]);
        let payload = &frame[PREFIX_LEN..total - CHECKSUM_LEN];
        let received = u16::from_be_bytes([frame[total - 2], frame[total - 1]]);
        let computed = checksum(kind, length, payload);
        if computed != received {
            return Err(PacketError::BadChecksum { computed, received });
        }
        if address != self.address {
            return Err(PacketError::WrongAddress { expected: self.address, received: address });
        }
        Ok(Packet { address, kind, payload: payload.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// VfyPwd with the default address and password, byte for byte as the manual's example.
    const VFYPWD_DEFAULT: [u8; 16] =
        [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1B];
    /// An acknowledge packet with confirmation 0x00 from the default address.
    const ACK_OK: [u8; 12] = [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x00, 0x00, 0x0A];

    fn decode_all(decoder: &mut Decoder) -> Vec<Result<Packet, PacketError>> {
        std::iter::from_fn(|| decoder.next_packet()).collect()
    }

    #[test]
    fn vfypwd_with_defaults_encodes_as_in_the_manual() {
        let packet = Packet::command(DEFAULT_ADDRESS, Instruction::VfyPwd, &DEFAULT_PASSWORD.to_be_bytes()).unwrap();
        assert_eq!(packet.encode(), VFYPWD_DEFAULT);
    }

    #[test]
    fn short_commands_encode_with_their_checksums() {
        let gen_img = Packet::command(DEFAULT_ADDRESS, Instruction::GenImg, &[]).unwrap();
        assert_eq!(gen_img.encode(), [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05]);
        let read_sys_para = Packet::command(DEFAULT_ADDRESS, Instruction::ReadSysPara, &[]).unwrap();
        assert_eq!(read_sys_para.encode(), [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x0F, 0x00, 0x13]);
        let up_image = Packet::command(0x1234_5678, Instruction::UpImage, &[]).unwrap();
        assert_eq!(up_image.encode(), [0xEF, 0x01, 0x12, 0x34, 0x56, 0x78, 0x01, 0x00, 0x03, 0x0A, 0x00, 0x0E]);
    }

    #[test]
    fn a_known_acknowledgement_decodes() {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        decoder.push(&ACK_OK);
        let packet = decoder.next_packet().unwrap().unwrap();
        assert_eq!(packet.kind(), PacketKind::Ack);
        assert_eq!(packet.address(), DEFAULT_ADDRESS);
        assert_eq!(packet.payload(), [confirmation::OK]);
        assert!(decoder.next_packet().is_none());
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn a_packet_split_across_reads_waits_for_its_last_byte() {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        for byte in &ACK_OK[..ACK_OK.len() - 1] {
            decoder.push(&[*byte]);
            assert!(decoder.next_packet().is_none());
        }
        decoder.push(&ACK_OK[ACK_OK.len() - 1..]);
        assert!(decoder.next_packet().unwrap().is_ok());
    }

    #[test]
    fn garbage_and_the_power_on_byte_before_a_header_are_skipped_and_counted() {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        decoder.push(&[POWER_ON_BYTE, 0x00, 0x13, 0xEF, 0xEF]);
        assert!(decoder.next_packet().is_none());
        // The trailing EF may start a header, so it is kept until the next byte shows it does not.
        assert_eq!(decoder.buffered(), 1);
        decoder.push(&ACK_OK);
        let packets = decode_all(&mut decoder);
        assert_eq!(packets, vec![Ok(Packet::new(DEFAULT_ADDRESS, PacketKind::Ack, vec![0]).unwrap())]);
        assert_eq!(decoder.discarded(), 5);
    }

    #[test]
    fn a_false_header_with_an_unknown_identifier_or_length_resynchronises() {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        // EF 01 + address + identifier 0x55 (unknown), then EF 01 + address + Ack with length 0x1000.
        decoder.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x55, 0x00, 0x03]);
        decoder.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x10, 0x00]);
        decoder.push(&ACK_OK);
        let packets = decode_all(&mut decoder);
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].as_ref().map(Packet::kind), Ok(PacketKind::Ack));
        assert_eq!(decoder.discarded(), 18);
    }

    #[test]
    fn a_bad_checksum_is_reported_and_the_next_packet_still_decodes() {
        let mut corrupt = ACK_OK;
        corrupt[11] ^= 0x01;
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        decoder.push(&corrupt);
        decoder.push(&ACK_OK);
        let packets = decode_all(&mut decoder);
        assert_eq!(packets[0], Err(PacketError::BadChecksum { computed: 0x000A, received: 0x000B }));
        assert!(packets[1].is_ok());
        assert_eq!(packets.len(), 2);
    }

    #[test]
    fn a_packet_for_another_address_is_reported() {
        let mut decoder = Decoder::new(0x0000_0001);
        decoder.push(&ACK_OK);
        assert_eq!(
            decoder.next_packet(),
            Some(Err(PacketError::WrongAddress { expected: 1, received: DEFAULT_ADDRESS }))
        );
    }

    #[test]
    fn the_checksum_wraps_modulo_65536() {
        // 300 x 0xFF + 0x02 + 0x01 + 0x2E = 76,549, which leaves 11,013 after dropping 65,536.
        assert_eq!(checksum(PacketKind::Data, 0x012E, &[0xFF; 300]), 11_013);
        // A full 256-byte packet of 0xFF stays just below the wrap and still round-trips.
        let packet = Packet::new(7, PacketKind::EndData, vec![0xFF; MAX_PAYLOAD]).unwrap();
        assert_eq!(checksum(PacketKind::EndData, 258, packet.payload()), 65_280 + 0x08 + 0x01 + 0x02);
        let mut decoder = Decoder::new(7);
        decoder.push(&packet.encode());
        assert_eq!(decoder.next_packet(), Some(Ok(packet)));
    }

    #[test]
    fn an_oversized_payload_is_refused_before_sending() {
        let error = Packet::new(DEFAULT_ADDRESS, PacketKind::Data, vec![0; MAX_PAYLOAD + 1]).unwrap_err();
        assert_eq!(error, PacketError::PayloadTooLong { len: MAX_PAYLOAD + 1 });
    }

    #[test]
    fn packet_size_codes_map_to_bytes() {
        let sizes: Vec<usize> = (0..4).filter_map(PacketSize::from_code).map(PacketSize::bytes).collect();
        assert_eq!(sizes, [32, 64, 128, 256]);
        assert_eq!(PacketSize::from_code(4), None);
    }

    #[test]
    fn identifiers_and_instructions_round_trip() {
        for kind in [PacketKind::Command, PacketKind::Data, PacketKind::Ack, PacketKind::EndData] {
            assert_eq!(PacketKind::from_code(kind.code()), Some(kind));
        }
        for instruction in [
            Instruction::GenImg,
            Instruction::UpImage,
            Instruction::ReadSysPara,
            Instruction::VfyPwd,
            Instruction::AuraLedConfig,
        ] {
            assert_eq!(Instruction::from_code(instruction.code()), Some(instruction));
        }
    }
}
