//! The PN532 host-link frames (NXP UM0701-02 §6.2.1): encoding, and a decoder that finds frames in a
//! byte stream.
//!
//! Every frame starts with the start code `00 FF`, usually after a `00` preamble, and usually ends
//! with a `00` postamble; both pre- and postamble may be any number of zero bytes (§6.2.1.6), so the
//! decoder treats them, and anything else outside a frame, as filler it skips.

use thiserror::Error;

/// Frame identifier (TFI) of information frames from the host to the PN532.
pub const TFI_HOST: u8 = 0xD4;
/// Frame identifier (TFI) of information frames from the PN532 to the host.
pub const TFI_PN532: u8 = 0xD5;
/// The single data byte of the application-level error frame (§6.2.1.5).
pub const TFI_ERROR: u8 = 0x7F;

/// The most bytes (TFI included) a normal information frame carries: LEN is one byte (§6.2.1.1).
pub const MAX_NORMAL_LEN: usize = 255;
/// The most bytes (TFI included) the PN532 firmware accepts in an extended frame: 264 bytes of
/// packet data plus the TFI (§6.2.1.2).
pub const MAX_EXTENDED_LEN: usize = 265;

/// The ACK frame (§6.2.1.3).
pub const ACK: [u8; 6] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
/// The NACK frame (§6.2.1.4): the host asks the PN532 to send its last response again.
pub const NACK: [u8; 6] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

const PREAMBLE: u8 = 0x00;
const START_CODE: [u8; 2] = [0x00, 0xFF];
const POSTAMBLE: u8 = 0x00;

/// One frame of the host link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Acknowledges a frame; from the host it aborts the command in progress.
    Ack,
    /// Asks for the last response frame again (host to PN532 only).
    Nack,
    /// The PN532 found a syntax error in the command (the information frame `7F`).
    Error,
    /// A command or a response.
    Information {
        /// [`TFI_HOST`] or [`TFI_PN532`].
        tfi: u8,
        /// Packet data: the command or response code, then its parameters.
        data: Vec<u8>,
    },
}

impl Frame {
    /// The bytes of this frame on the wire; information frames longer than a normal frame allows
    /// use the extended format.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        match self {
            Frame::Ack => Ok(ACK.to_vec()),
            Frame::Nack => Ok(NACK.to_vec()),
            Frame::Error => encode_information(TFI_ERROR, &[]),
            Frame::Information { tfi, data } => encode_information(*tfi, data),
        }
    }
}

/// Encodes an information frame: a normal frame when TFI and data fit in 255 bytes, an extended
/// frame otherwise (the PN532 itself chooses the same way, §6.2.1.2).
pub fn encode_information(tfi: u8, data: &[u8]) -> Result<Vec<u8>, FrameError> {
    let len = data.len() + 1;
    if len > MAX_EXTENDED_LEN {
        return Err(FrameError::TooLong { len });
    }
    let mut bytes = Vec::with_capacity(len + 10);
    bytes.push(PREAMBLE);
    bytes.extend_from_slice(&START_CODE);
    if let Ok(short) = u8::try_from(len) {
        bytes.extend_from_slice(&[short, checksum(&[short])]);
    } else {
        let [high, low] = u16::try_from(len).map_err(|_| FrameError::TooLong { len })?.to_be_bytes();
        bytes.extend_from_slice(&[0xFF, 0xFF, high, low, checksum(&[high, low])]);
    }
    bytes.push(tfi);
    bytes.extend_from_slice(data);
    bytes.push(checksum(&bytes[bytes.len() - len..]));
    bytes.push(POSTAMBLE);
    Ok(bytes)
}

/// The byte that makes the low byte of the sum of `bytes` and itself zero (LCS and DCS, §6.2.1.1).
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte)).wrapping_neg()
}

/// What is wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FrameError {
    /// LEN + LCS (or LENM + LENL + LCS) is not 0 modulo 256.
    #[error("length checksum mismatch: length {len:#06x} with LCS {lcs:#04x}")]
    LengthChecksum {
        /// The length as received.
        len: u16,
        /// The length checksum as received.
        lcs: u8,
    },
    /// TFI + packet data + DCS is not 0 modulo 256.
    #[error("data checksum mismatch: DCS {found:#04x}, expected {expected:#04x}")]
    DataChecksum {
        /// The DCS the received data calls for.
        expected: u8,
        /// The DCS received.
        found: u8,
    },
    /// An information frame of length 0 (it must at least hold the TFI).
    #[error("information frame of length 0")]
    Empty,
    /// Longer than the PN532 handles.
    #[error("frame length {len} exceeds the PN532 maximum of {MAX_EXTENDED_LEN}")]
    TooLong {
        /// The length (TFI included).
        len: usize,
    },
}

impl FrameError {
    /// Whether this error means the `00 FF` found was not the start of a frame at all (garbage that
    /// happened to contain it, or a frame whose length bytes were hit): its length cannot be trusted,
    /// so the decoder skips only the start code and keeps searching.
    pub fn is_false_start(&self) -> bool {
        !matches!(self, FrameError::DataChecksum { .. })
    }
}

/// Where the packet data of a frame lies, once its header has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Ack,
    Nack,
    /// An information frame whose TFI starts `body_at` bytes after the start code.
    Information {
        body_at: usize,
        len: usize,
    },
}

/// Bytes the start code and the ACK/NACK code take.
const SHORT_FRAME_LEN: usize = 4;

/// Finds frames in a byte stream that may hold garbage, fragments and several frames at once.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
    garbage: usize,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Appends bytes as they arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Forgets buffered bytes (after an abort, before a fresh exchange).
    pub fn clear(&mut self) {
        self.buffer.clear();
    }

    /// Non-zero bytes skipped outside frames so far (zeros are legitimate pre- and postambles).
    pub fn garbage_skipped(&self) -> usize {
        self.garbage
    }

    /// The next complete frame, an error for a broken one, or `None` until more bytes arrive.
    ///
    /// After a false start (see [`FrameError::is_false_start`]) the decoder has skipped the start
    /// code, and after a data checksum error the whole frame, so calling again continues with the
    /// bytes that follow.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        self.skip_to_start_code();
        let header = match read_header(&self.buffer)? {
            Ok(header) => header,
            Err(error) => {
                self.consume(START_CODE.len());
                return Some(Err(error));
            }
        };
        match header {
            Header::Ack => {
                self.consume(SHORT_FRAME_LEN);
                Some(Ok(Frame::Ack))
            }
            Header::Nack => {
                self.consume(SHORT_FRAME_LEN);
                Some(Ok(Frame::Nack))
            }
            Header::Information { body_at, len } => self.take_information(body_at, len),
        }
    }

    /// Checks and removes an information frame once all its bytes are there.
    fn take_information(&mut self, body_at: usize, len: usize) -> Option<Result<Frame, FrameError>> {
        let body = self.buffer.get(body_at..body_at + len)?;
        let found = *self.buffer.get(body_at + len)?;
        let expected = checksum(body);
        let result = if found != expected {
            Err(FrameError::DataChecksum { expected, found })
        } else if body == [TFI_ERROR] {
            Ok(Frame::Error)
        } else {
            Ok(Frame::Information { tfi: body[0], data: body[1..].to_vec() })
        };
        self.consume(body_at + len + 1);
        Some(result)
    }

    /// Drops everything before the first start code; keeps a trailing `00` that may begin one.
    fn skip_to_start_code(&mut self) {
        let start = self.buffer.windows(2).position(|pair| pair == START_CODE);
        let skip = start.unwrap_or_else(|| self.buffer.len() - usize::from(self.buffer.last() == Some(&0x00)));
        self.garbage += self.buffer[..skip].iter().filter(|byte| **byte != 0x00).count();
        self.consume(skip);
    }

    fn consume(&mut self, count: usize) {
        self.buffer.drain(..count.min(self.buffer.len()));
    }
}

/// Reads the header of the frame at the start of `buffer` (which begins with the start code);
/// `None` until enough bytes arrived.
fn read_header(buffer: &[u8]) -> Option<Result<Header, FrameError>> {
    let (&first, &second) = (buffer.get(2)?, buffer.get(3)?);
    let (len, body_at) = match (first, second) {
        (0x00, 0xFF) => return Some(Ok(Header::Ack)),
        (0xFF, 0x00) => return Some(Ok(Header::Nack)),
        // Extended frame: LEN and LCS are both FF, the real length follows (§6.2.1.2).
        (0xFF, 0xFF) => {
            let (&high, &low, &lcs) = (buffer.get(4)?, buffer.get(5)?, buffer.get(6)?);
            if checksum(&[high, low]) != lcs {
                return Some(Err(FrameError::LengthChecksum { len: u16::from_be_bytes([high, low]), lcs }));
            }
            (usize::from(u16::from_be_bytes([high, low])), 7)
        }
        (len, lcs) if checksum(&[len]) != lcs => {
            return Some(Err(FrameError::LengthChecksum { len: u16::from(len), lcs }));
        }
        (len, _) => (usize::from(len), 4),
    };
    Some(match len {
        0 => Err(FrameError::Empty),
        _ if len > MAX_EXTENDED_LEN => Err(FrameError::TooLong { len }),
        _ => Ok(Header::Information { body_at, len }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GetFirmwareVersion as the host sends it (UM0701-02 §7.2.2).
    const GET_FIRMWARE_VERSION: [u8; 9] = [0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00];
    /// A PN532 v1.6 answering it: IC 32, Ver 01, Rev 06, Support 07.
    const FIRMWARE_RESPONSE: [u8; 13] = [0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00];

    fn decode_all(bytes: &[u8]) -> Vec<Result<Frame, FrameError>> {
        let mut decoder = Decoder::new();
        decoder.push(bytes);
        std::iter::from_fn(|| decoder.next_frame()).collect()
    }

    #[test]
    fn known_command_and_response_frames_encode_byte_exactly() {
        assert_eq!(encode_information(TFI_HOST, &[0x02]).unwrap(), GET_FIRMWARE_VERSION);
        assert_eq!(encode_information(TFI_PN532, &[0x03, 0x32, 0x01, 0x06, 0x07]).unwrap(), FIRMWARE_RESPONSE);
        // SAMConfiguration, normal mode, timeout 50 ms x 20, IRQ used.
        assert_eq!(
            encode_information(TFI_HOST, &[0x14, 0x01, 0x14, 0x01]).unwrap(),
            [0x00, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x14, 0x01, 0x02, 0x00]
        );
        assert_eq!(Frame::Error.encode().unwrap(), [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]);
        assert_eq!(Frame::Ack.encode().unwrap(), ACK);
        assert_eq!(Frame::Nack.encode().unwrap(), NACK);
    }

    #[test]
    fn known_frames_decode_with_their_kind_and_data() {
        let mut stream = ACK.to_vec();
        stream.extend_from_slice(&FIRMWARE_RESPONSE);
        stream.extend_from_slice(&NACK);
        stream.extend_from_slice(&[0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]);
        let frames: Vec<_> = decode_all(&stream).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            frames,
            [
                Frame::Ack,
                Frame::Information { tfi: TFI_PN532, data: vec![0x03, 0x32, 0x01, 0x06, 0x07] },
                Frame::Nack,
                Frame::Error,
            ]
        );
    }

    #[test]
    fn long_frames_use_the_extended_format_and_round_trip() {
        let data: Vec<u8> = (0..=255u8).chain(0..8).collect(); // 264 bytes, the firmware's maximum
        let bytes = encode_information(TFI_PN532, &data).unwrap();
        // 265 = 0x0109: LENM 01, LENL 09, LCS F6.
        assert_eq!(bytes[..8], [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x09, 0xF6]);
        assert_eq!(bytes.len(), 8 + 265 + 2);
        assert_eq!(decode_all(&bytes), [Ok(Frame::Information { tfi: TFI_PN532, data: data.clone() })]);
        let too_long = vec![0u8; 265];
        assert_eq!(encode_information(TFI_HOST, &too_long), Err(FrameError::TooLong { len: 266 }));
        // 254 bytes of data plus TFI still fit a normal frame.
        assert_eq!(encode_information(TFI_HOST, &[0xAB; 254]).unwrap()[3..5], [0xFF, 0x01]);
    }

    #[test]
    fn frames_split_across_reads_wait_for_their_last_byte() {
        let mut decoder = Decoder::new();
        for byte in &FIRMWARE_RESPONSE[..FIRMWARE_RESPONSE.len() - 2] {
            decoder.push(&[*byte]);
            assert_eq!(decoder.next_frame(), None);
        }
        decoder.push(&FIRMWARE_RESPONSE[FIRMWARE_RESPONSE.len() - 2..]);
        assert!(matches!(decoder.next_frame(), Some(Ok(Frame::Information { tfi: TFI_PN532, .. }))));
        assert_eq!(decoder.next_frame(), None);
    }

    #[test]
    fn garbage_before_a_frame_is_skipped_and_counted() {
        let mut stream = vec![0x55, 0x55, 0x13, 0xFF, 0x37];
        stream.extend_from_slice(&GET_FIRMWARE_VERSION);
        let mut decoder = Decoder::new();
        decoder.push(&stream);
        assert_eq!(decoder.next_frame(), Some(Ok(Frame::Information { tfi: TFI_HOST, data: vec![0x02] })));
        assert_eq!(decoder.garbage_skipped(), 5);
    }

    #[test]
    fn a_false_start_code_in_garbage_is_reported_then_passed_over() {
        // "00 FF 05 00" looks like a start code with LEN 5, but LCS 00 does not match it.
        let mut stream = vec![0xAA, 0x00, 0xFF, 0x05];
        stream.extend_from_slice(&ACK);
        assert_eq!(decode_all(&stream), [Err(FrameError::LengthChecksum { len: 5, lcs: 0x00 }), Ok(Frame::Ack)]);
    }

    #[test]
    fn a_bad_data_checksum_is_reported_and_the_next_frame_still_decodes() {
        let mut corrupt = FIRMWARE_RESPONSE;
        corrupt[11] ^= 0x01;
        let mut stream = corrupt.to_vec();
        stream.extend_from_slice(&ACK);
        assert_eq!(
            decode_all(&stream),
            [Err(FrameError::DataChecksum { expected: 0xE8, found: 0xE9 }), Ok(Frame::Ack)]
        );
    }

    #[test]
    fn impossible_lengths_are_false_starts() {
        assert_eq!(decode_all(&[0x00, 0x00, 0xFF, 0x00, 0x00]), [Err(FrameError::Empty)]);
        // Extended length 0x0200 with a matching LCS, beyond the firmware maximum.
        assert_eq!(
            decode_all(&[0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0xFE]),
            [Err(FrameError::TooLong { len: 512 })]
        );
        assert!(FrameError::Empty.is_false_start());
        assert!(!FrameError::DataChecksum { expected: 0, found: 1 }.is_false_start());
    }

    #[test]
    fn checksums_complement_the_sum_to_zero() {
        assert_eq!(checksum(&[0xD4, 0x02]), 0x2A);
        assert_eq!(checksum(&[]), 0x00);
        assert_eq!(checksum(&[0x80, 0x80]), 0x00);
    }
}
