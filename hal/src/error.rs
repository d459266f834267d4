//! The shared error vocabulary of every device driver.
//!
//! Each driver keeps its own precise error type (a PN532 checksum mismatch, a V4L2 ioctl failure);
//! what leaves the driver is a [`DeviceError`] whose [`ErrorKind`] is the small, common set that flows,
//! the service menu and the self-tests match on.

use std::fmt;

/// What kind of failure a device reported, independent of the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device was there and went away (unplugged, port closed, USB reset).
    Disconnected,
    /// The device did not answer in time.
    Timeout,
    /// The device is in use or not ready for this request yet.
    Busy,
    /// The device answered with bytes that break its protocol (bad checksum, garbage, wrong frame).
    Protocol,
    /// The device is not there at all (no such path, no such reader).
    NotPresent,
    /// The device works but the medium is missing: no card on the reader, no finger on the sensor,
    /// no paper in the printer.
    NoMedium,
    /// The device cannot do what was asked (an unsupported format, light or command).
    Unsupported,
    /// Any other failure; the message says more.
    Other,
}

impl ErrorKind {
    /// A stable key for translated user and technician messages (`device.timeout`, ...).
    pub fn message_key(self) -> &'static str {
        match self {
            ErrorKind::Disconnected => "device.disconnected",
            ErrorKind::Timeout => "device.timeout",
            ErrorKind::Busy => "device.busy",
            ErrorKind::Protocol => "device.protocol",
            ErrorKind::NotPresent => "device.not-present",
            ErrorKind::NoMedium => "device.no-medium",
            ErrorKind::Unsupported => "device.unsupported",
            ErrorKind::Other => "device.other",
        }
    }

    /// What a technician should do about this kind of failure, in English (the service menu
    /// translates by [`ErrorKind::message_key`]).
    pub fn advice(self) -> &'static str {
        match self {
            ErrorKind::Disconnected => "check the cable and power of the device, then run the self-test again",
            ErrorKind::Timeout => "the device did not answer; power-cycle it and check the cable and baud rate",
            ErrorKind::Busy => "wait a moment and try again; if it persists, restart the kiosk service",
            ErrorKind::Protocol => "the device sent unexpected data; check the configured driver, baud rate and cable",
            ErrorKind::NotPresent => "connect the device or correct its path in the configuration",
            ErrorKind::NoMedium => "insert the card, finger or paper roll the device needs",
            ErrorKind::Unsupported => "the device cannot do this; check the configuration for this device",
            ErrorKind::Other => "see the kiosk log for details",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Busy => "busy",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::NotPresent => "not present",
            ErrorKind::NoMedium => "no medium",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Other => "failure",
        })
    }
}

/// An error from a device: a common [`ErrorKind`], a technical message (never personal data) and,
/// where there is one, the driver's own error as the source.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct DeviceError {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DeviceError {
    /// An error of `kind` with a technical message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DeviceError { kind, message: message.into(), source: None }
    }

    /// Attaches the driver's own error as the source.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The common kind flows and the service menu match on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The technical message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Classifies an I/O error from a transport (serial port, socket, device node).
    pub fn from_io(context: &str, error: std::io::Error) -> Self {
        DeviceError::new(io_error_kind(&error), format!("{context}: {error}")).with_source(error)
    }
}

/// The shared kind of an I/O error from a transport.
pub fn io_error_kind(error: &std::io::Error) -> ErrorKind {
    use std::io::ErrorKind as Io;
    // serialport reports EIO and ENODEV (an unplugged USB adapter) as `Other` errors without the OS
    // error number; only the message tells.
    let described_as_gone = error.kind() == Io::Other
        && matches!(error.to_string().as_str(), "I/O error" | "Input/output error" | "No such device");
    match error.kind() {
        _ if described_as_gone => ErrorKind::Disconnected,
        Io::TimedOut | Io::WouldBlock => ErrorKind::Timeout,
        Io::NotFound => ErrorKind::NotPresent,
        Io::BrokenPipe | Io::ConnectionReset | Io::ConnectionAborted | Io::UnexpectedEof => ErrorKind::Disconnected,
        Io::ResourceBusy => ErrorKind::Busy,
        _ if error.raw_os_error() == Some(5) => ErrorKind::Disconnected, // EIO: device gone
        _ if error.raw_os_error() == Some(19) => ErrorKind::Disconnected, // ENODEV
        _ => ErrorKind::Other,
    }
}

/// Results of device operations.
pub type Result<T, E = DeviceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_kinds_a_flow_can_act_on() {
        let timeout = DeviceError::from_io("read", std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        let gone = DeviceError::from_io("read", std::io::Error::from_raw_os_error(5));
        assert_eq!(gone.kind(), ErrorKind::Disconnected);
        let missing = DeviceError::from_io("open", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(missing.kind(), ErrorKind::NotPresent);
        assert!(missing.to_string().starts_with("not present: open:"));
        let serialport_eio = std::io::Error::other("I/O error");
        assert_eq!(io_error_kind(&serialport_eio), ErrorKind::Disconnected);
        assert_eq!(io_error_kind(&std::io::Error::other("something else")), ErrorKind::Other);
    }

    #[test]
    fn every_kind_has_a_distinct_message_key() {
        let kinds = [
            ErrorKind::Disconnected,
            ErrorKind::Timeout,
            ErrorKind::Busy,
            ErrorKind::Protocol,
            ErrorKind::NotPresent,
            ErrorKind::NoMedium,
            ErrorKind::Unsupported,
            ErrorKind::Other,
        ];
        let keys: std::collections::HashSet<_> = kinds.iter().map(|k| k.message_key()).collect();
        assert_eq!(keys.len(), kinds.len());
    }
}
