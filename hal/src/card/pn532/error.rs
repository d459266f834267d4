//! What can go wrong between the host and a PN532, and which shared [`ErrorKind`] each failure is.

use std::io;
use std::time::Duration;

use thiserror::Error;

use super::frame::FrameError;
use crate::{DeviceError, ErrorKind};

/// A failure particular to the PN532 driver.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Pn532Error {
    /// Reading or writing the serial line failed.
    #[error("{context}: {source}")]
    Io {
        /// What the driver was doing.
        context: &'static str,
        /// The transport's error.
        source: io::Error,
    },
    /// The PN532 did not acknowledge a command in time.
    #[error("no ACK for command {command:#04x} within {waited:?}")]
    NoAck {
        /// Command code.
        command: u8,
        /// How long the driver waited.
        waited: Duration,
    },
    /// The PN532 acknowledged a command but did not answer it in time.
    #[error("no response to command {command:#04x} within {waited:?}")]
    NoResponse {
        /// Command code.
        command: u8,
        /// How long the driver waited.
        waited: Duration,
    },
    /// Something other than an ACK came where the ACK belongs.
    #[error("expected an ACK for command {command:#04x}, received {received}")]
    ExpectedAck {
        /// Command code.
        command: u8,
        /// What came instead.
        received: &'static str,
    },
    /// The response frame stayed corrupt after the allowed retransmissions (NACKs).
    #[error("response to command {command:#04x} still corrupt after {nacks} retransmission requests: {last}")]
    Corrupt {
        /// Command code.
        command: u8,
        /// NACKs sent.
        nacks: u32,
        /// The last frame error seen.
        last: FrameError,
    },
    /// The PN532 answered with the error frame: it found a syntax error in the command (UM0701-02
    /// §6.2.1.5).
    #[error("the PN532 rejected command {command:#04x} as malformed (error frame)")]
    ErrorFrame {
        /// Command code.
        command: u8,
    },
    /// A response frame that does not belong to the command sent.
    #[error("command {command:#04x} was answered by frame TFI {tfi:#04x} code {code:#04x}")]
    UnexpectedResponse {
        /// Command code.
        command: u8,
        /// TFI received.
        tfi: u8,
        /// Response code received (0 when the frame had none).
        code: u8,
    },
    /// A response whose parameters do not follow the command's documented layout.
    #[error("malformed response to command {command:#04x}: {reason}")]
    Malformed {
        /// Command code.
        command: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// The PN532 reported an error in the status byte of a response (UM0701-02 §7.1).
    #[error("PN532 status {code:#04x} for command {command:#04x}: {}", status_text(*code))]
    Status {
        /// Command code.
        command: u8,
        /// The error code (low 6 bits of the status byte).
        code: u8,
    },
    /// A card answer chained over more frames than any APDU response needs.
    #[error("card response chained over more than {frames} frames")]
    ChainTooLong {
        /// Frames received before giving up.
        frames: usize,
    },
    /// The activated card does not speak ISO/IEC 14443-4, so it cannot carry APDUs.
    #[error("the card on the reader does not support ISO/IEC 14443-4 (APDUs)")]
    NotIsoDep,
    /// APDUs were sent with no card activated.
    #[error("no card activated: poll first")]
    NoCard,
    /// A command too long for the largest frame the PN532 accepts.
    #[error("command {command:#04x} with {len} bytes of parameters does not fit in one frame")]
    CommandTooLong {
        /// Command code.
        command: u8,
        /// Parameter bytes.
        len: usize,
    },
}

impl Pn532Error {
    /// The shared kind flows and the service menu act on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Pn532Error::Io { source, .. } => io_kind(source),
            Pn532Error::NoAck { .. } | Pn532Error::NoResponse { .. } => ErrorKind::Timeout,
            Pn532Error::Status { code, .. } => status_kind(*code),
            Pn532Error::NotIsoDep => ErrorKind::Unsupported,
            Pn532Error::NoCard => ErrorKind::NoMedium,
            Pn532Error::CommandTooLong { .. } => ErrorKind::Unsupported,
            Pn532Error::ExpectedAck { .. }
            | Pn532Error::Corrupt { .. }
            | Pn532Error::ErrorFrame { .. }
            | Pn532Error::UnexpectedResponse { .. }
            | Pn532Error::Malformed { .. }
            | Pn532Error::ChainTooLong { .. } => ErrorKind::Protocol,
        }
    }

    /// Whether the card is gone or no longer activated, so the driver must forget it.
    pub fn card_lost(&self) -> bool {
        self.kind() == ErrorKind::NoMedium
    }

    /// Whether the PN532 may have lost its configuration (power cycle, line trouble), so the driver
    /// wakes and configures it again before the next command.
    pub fn needs_reinit(&self) -> bool {
        matches!(
            self,
            Pn532Error::Io { .. }
                | Pn532Error::NoAck { .. }
                | Pn532Error::NoResponse { .. }
                | Pn532Error::ExpectedAck { .. }
                | Pn532Error::Corrupt { .. }
                | Pn532Error::UnexpectedResponse { .. }
        )
    }
}

impl From<Pn532Error> for DeviceError {
    fn from(error: Pn532Error) -> Self {
        DeviceError::new(error.kind(), format!("pn532: {error}")).with_source(error)
    }
}

/// Classifies a transport error. `serialport` reports EIO and ENODEV (a USB adapter pulled out)
/// as `Other` errors without the OS error number, so they are recognised by their description.
fn io_kind(error: &io::Error) -> ErrorKind {
    crate::error::io_error_kind(error)
}

/// The error code in the low 6 bits of a status byte; bit 6 is MI and bit 7 NAD (UM0701-02 §7.1).
pub fn status_code(status: u8) -> u8 {
    status & 0x3F
}

/// More Information: more data follows in another frame (UM0701-02 §7.3.8).
pub const STATUS_MI: u8 = 0x40;

/// Which shared kind a PN532 error code is: a card that stopped answering, was released or was
/// swapped is a missing medium; everything else is a protocol failure.
fn status_kind(code: u8) -> ErrorKind {
    match code {
        // 01: the target did not answer; 29: released by the initiator; 2A: card exchanged;
        // 2B: card disappeared; 27: no such target in the current context (after a PN532 reset).
        0x01 | 0x27 | 0x29 | 0x2A | 0x2B => ErrorKind::NoMedium,
        // 0D: overheating; 2D: over-current on the antenna: hardware faults.
        0x0D | 0x2D => ErrorKind::Other,
        _ => ErrorKind::Protocol,
    }
}

/// The meaning of a PN532 error code (UM0701-02 §7.1, error codes table).
pub fn status_text(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x01 => "the target has not answered (timeout)",
        0x02 => "CRC error",
        0x03 => "parity error",
        0x04 => "erroneous bit count during anti-collision",
        0x05 => "framing error",
        0x06 => "abnormal bit collision",
        0x07 => "communication buffer too small",
        0x09 => "RF buffer overflow",
        0x0A => "RF field not switched on in time",
        0x0B => "RF protocol error",
        0x0D => "overheating",
        0x0E => "internal buffer overflow",
        0x10 => "invalid parameter",
        0x12 => "DEP: command not supported by the target",
        0x13 => "DEP: data format not as specified",
        0x14 => "MIFARE authentication error",
        0x23 => "ISO/IEC 14443-3 UID check byte wrong",
        0x25 => "DEP: invalid device state",
        0x26 => "operation not allowed in this configuration",
        0x27 => "command not acceptable in the current context",
        0x29 => "the target has been released by the initiator",
        0x2A => "card ID mismatch: the card has been exchanged",
        0x2B => "the activated card has disappeared",
        0x2C => "NFCID3 mismatch",
        0x2D => "over-current",
        0x2E => "NAD missing in DEP frame",
        _ => "unknown error code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_what_a_flow_can_do_about_them() {
        let status = |code| Pn532Error::Status { command: 0x40, code };
        assert_eq!(status(0x01).kind(), ErrorKind::NoMedium);
        assert_eq!(status(0x29).kind(), ErrorKind::NoMedium);
        assert_eq!(status(0x2B).kind(), ErrorKind::NoMedium);
        assert!(status(0x01).card_lost());
        assert_eq!(status(0x02).kind(), ErrorKind::Protocol);
        assert_eq!(status(0x2D).kind(), ErrorKind::Other);
        assert_eq!(status_code(0x41), 0x01, "the MI bit is not part of the code");
        let message = DeviceError::from(status(0x2A)).to_string();
        assert!(message.contains("exchanged"), "{message}");
    }

    #[test]
    fn transport_errors_keep_their_kind_and_unplugging_is_disconnected() {
        let io = |error| Pn532Error::Io { context: "read", source: error };
        assert_eq!(io(io::Error::from(io::ErrorKind::TimedOut)).kind(), ErrorKind::Timeout);
        assert_eq!(io(io::Error::from(io::ErrorKind::UnexpectedEof)).kind(), ErrorKind::Disconnected);
        assert_eq!(io(io::Error::from(io::ErrorKind::BrokenPipe)).kind(), ErrorKind::Disconnected);
        assert_eq!(io(io::Error::other("I/O error")).kind(), ErrorKind::Disconnected);
        assert_eq!(io(io::Error::other("something else")).kind(), ErrorKind::Other);
        assert!(io(io::Error::from(io::ErrorKind::BrokenPipe)).needs_reinit());
    }
}
