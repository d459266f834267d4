//! ESC/POS thermal receipt printers on a serial line (80 mm: 576 dots, 58 mm: 384 dots).
//!
//! Code pages have no Vietnamese with stacked diacritics and no CJK, so every text item is drawn by
//! [`TextRenderer`] and sent as a raster bit image (`GS v 0`) in bands of bounded height; QR codes
//! go to the printer's own encoder (`GS ( k`), which prints them sharper and with far fewer bytes.
//! The paper and online state come from the real-time status requests (`DLE EOT n`), which the
//! printer answers at once, even while busy.
//!
//! [`EscPosSimulator`] is a printer on the other end of a pseudo-terminal that parses the same byte
//! stream; the tests drive the driver against it.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use self::protocol::{OfflineCause, StatusRequest, XOFF, XON};
use super::raster::TextRenderer;
use super::{PaperStatus, Receipt, ReceiptPrinter};
use crate::serial::{self, is_retryable};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

mod protocol;
mod simulator;
#[cfg(test)]
mod tests;

pub use simulator::{Command, EscPosSimulator, LINE_DOTS, PrintedReceipt, SimulatorFault};

/// How long the driver waits for the answer to a status request by default. Printers answer
/// `DLE EOT` within milliseconds; the margin covers slow USB-serial adapters.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a write may make no progress by default before the printer counts as stalled (with
/// hardware flow control a printer holds the line while it prints a full buffer).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Default height of one `GS v 0` band: 32 rows are 2,304 bytes at 80 mm, within the smallest
/// common receive buffers (4 KiB).
pub const DEFAULT_BAND_ROWS: u16 = 32;

/// How long the driver listens for stale bytes (a late reply to an earlier request) before asking
/// for status.
const STALE_QUIET: Duration = Duration::from_millis(5);

/// What an ESC/POS printer can do wrong that is particular to this driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EscPosError {
    /// The reply to `DLE EOT n` does not have the fixed bits every status byte has.
    #[error("unexpected status byte {byte:#04x} in reply to DLE EOT {request}")]
    UnexpectedStatus {
        /// `n` of the request.
        request: u8,
        /// The byte received.
        byte: u8,
    },
}

impl From<EscPosError> for DeviceError {
    fn from(error: EscPosError) -> Self {
        let kind = match error {
            EscPosError::UnexpectedStatus { .. } => ErrorKind::Protocol,
        };
        DeviceError::new(kind, error.to_string()).with_source(error)
    }
}

/// An ESC/POS receipt printer on any byte transport: a serial port on the kiosk, one end of a pty
/// in tests. Reads on the transport must time out (serial ports do); the driver keeps its own
/// deadlines.
pub struct EscPos<T> {
    port: T,
    location: String,
    renderer: TextRenderer,
    width_dots: u32,
    band_rows: u16,
    reply_timeout: Duration,
    write_timeout: Duration,
}

impl<T> std::fmt::Debug for EscPos<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscPos")
            .field("location", &self.location)
            .field("width_dots", &self.width_dots)
            .field("band_rows", &self.band_rows)
            .finish_non_exhaustive()
    }
}

/// What the printer reported before a job or in its self-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PrinterState {
    paper: PaperStatus,
    offline: bool,
    cause: Option<OfflineCause>,
}

impl PrinterState {
    /// Why nothing can be printed now, if something prevents it. Paper comes first: a printer
    /// without paper is also offline, and "paper out" is what a technician must act on.
    fn blocker(&self) -> Option<DeviceError> {
        let cause = self.cause.unwrap_or_default();
        if self.paper == PaperStatus::Out || cause.paper_end {
            return Some(DeviceError::new(ErrorKind::NoMedium, "paper out: load a new paper roll"));
        }
        if !self.offline {
            return None;
        }
        let (kind, message) = if cause.cover_open {
            (ErrorKind::Busy, "printer offline: cover open")
        } else if cause.feed_button {
            (ErrorKind::Busy, "printer offline: paper is being fed with the feed button")
        } else if cause.error {
            (ErrorKind::Other, "printer offline: printer error (cutter jam or print head temperature)")
        } else {
            (ErrorKind::Busy, "printer offline")
        };
        Some(DeviceError::new(kind, message))
    }
}

fn paper_name(paper: PaperStatus) -> &'static str {
    match paper {
        PaperStatus::Ok => "ok",
        PaperStatus::NearEnd => "near-end",
        PaperStatus::Out => "out",
    }
}

impl<T: Read + Write + Send> EscPos<T> {
    /// A printer on `port`, reached at `location` (shown in health records), printing with
    /// `renderer` on paper `width_dots` wide (576 for 80 mm, 384 for 58 mm at 203 dpi).
    pub fn new(port: T, location: impl Into<String>, renderer: TextRenderer, width_dots: u32) -> Self {
        EscPos {
            port,
            location: location.into(),
            renderer,
            width_dots: width_dots.max(8),
            band_rows: DEFAULT_BAND_ROWS,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }

    /// Sets how long to wait for a status reply before reporting [`ErrorKind::Timeout`].
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// Sets how long a write may make no progress before reporting [`ErrorKind::Timeout`].
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets the height of one raster band (1 to 255 rows); smaller for printers with tiny buffers.
    pub fn with_band_rows(mut self, rows: u16) -> Self {
        self.band_rows = rows.clamp(1, protocol::MAX_BAND_ROWS);
        self
    }

    /// Paper width in dots.
    pub fn width_dots(&self) -> u32 {
        self.width_dots
    }

    /// Gives the transport back.
    pub fn into_port(self) -> T {
        self.port
    }

    /// Writes all of `bytes`, waiting while the transport accepts nothing for up to the write timeout.
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let mut sent = 0;
        let mut deadline = Instant::now() + self.write_timeout;
        while sent < bytes.len() {
            match self.port.write(&bytes[sent..]) {
                Ok(0) => return Err(DeviceError::new(ErrorKind::Disconnected, "printer port accepts no more bytes")),
                Ok(n) => {
                    sent += n;
                    deadline = Instant::now() + self.write_timeout;
                }
                Err(e) if is_retryable(&e) => {
                    if Instant::now() >= deadline {
                        return Err(DeviceError::new(
                            ErrorKind::Timeout,
                            format!("printer stopped accepting data ({sent} of {} bytes sent)", bytes.len()),
                        )
                        .with_source(e));
                    }
                    if e.kind() == io::ErrorKind::WouldBlock {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                Err(e) => return Err(DeviceError::from_io("writing to the printer", e)),
            }
        }
        self.port.flush().map_err(|e| DeviceError::from_io("flushing the printer port", e))
    }

    /// Sends `DLE EOT n` and reads the one-byte answer.
    fn request_status(&mut self, request: StatusRequest) -> Result<u8> {
        self.send(&request.command())?;
        let deadline = Instant::now() + self.reply_timeout;
        loop {
            let byte = serial::read_byte_before(&mut self.port, deadline)
                .map_err(|e| DeviceError::from_io(&format!("status reply to DLE EOT {}", request.number()), e))?;
            // A printer set up for XON/XOFF flow control may send those between replies; no status
            // byte can look like them (bit 0 is always off in a status byte).
            if matches!(byte, XON | XOFF) {
                if Instant::now() >= deadline {
                    return Err(DeviceError::new(
                        ErrorKind::Timeout,
                        format!("status reply to DLE EOT {}: only flow-control bytes in time", request.number()),
                    ));
                }
                continue;
            }
            if !protocol::has_status_fixed_bits(byte) {
                return Err(EscPosError::UnexpectedStatus { request: request.number(), byte }.into());
            }
            return Ok(byte);
        }
    }

    /// Throws away bytes nobody asked for (a reply that came after its request timed out).
    fn discard_stale_input(&mut self) -> Result<()> {
        let dropped = serial::drain(&mut self.port, STALE_QUIET)
            .map_err(|e| DeviceError::from_io("discarding stale printer input", e))?;
        if dropped > 0 {
            tracing::debug!(dropped, "discarded stale bytes from the receipt printer");
        }
        Ok(())
    }

    /// Paper sensors, online state and, when offline, why.
    fn read_state(&mut self) -> Result<PrinterState> {
        self.discard_stale_input()?;
        let paper = protocol::paper_from_roll_status(self.request_status(StatusRequest::RollPaper)?);
        let offline = protocol::is_offline(self.request_status(StatusRequest::Printer)?);
        let cause = if offline {
            Some(OfflineCause::from_byte(self.request_status(StatusRequest::OfflineCause)?))
        } else {
            None
        };
        Ok(PrinterState { paper, offline, cause })
    }
}

impl EscPos<Box<dyn serialport::SerialPort>> {
    /// Opens the printer on the serial port `path` (8N1, no flow control) at `baud_rate`.
    ///
    /// Raster receipts are large (about 100 KiB for a long 80 mm receipt): 115200 baud is
    /// recommended; at 9600 baud such a receipt takes well over a minute.
    pub fn open(path: &str, baud_rate: u32, renderer: TextRenderer, width_dots: u32) -> Result<Self> {
        let port = serial::open(path, baud_rate)?;
        Ok(EscPos::new(port, path, renderer, width_dots))
    }
}

impl<T: Read + Write + Send> Device for EscPos<T> {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Printer, driver: "escpos".into(), location: self.location.clone() }
    }

    /// Status requests only (`DLE EOT 4`, `DLE EOT 1`, and `DLE EOT 2` when offline): no paper is fed.
    fn self_test(&mut self) -> Health {
        let width = self.width_dots;
        Health::from_test(self.info(), |info| {
            let state = self.read_state()?;
            if let Some(error) = state.blocker() {
                return Err(error);
            }
            let health = match state.paper {
                PaperStatus::NearEnd => Health::degraded(info, "paper roll nearly empty: replace it soon"),
                PaperStatus::Ok | PaperStatus::Out => Health::ok(info),
            };
            Ok(health
                .with_detail("paper", paper_name(state.paper))
                .with_detail("online", !state.offline)
                .with_detail("width_dots", width))
        })
    }
}

impl<T: Read + Write + Send> ReceiptPrinter for EscPos<T> {
    /// `DLE EOT 4`: the roll paper sensors.
    fn paper_status(&mut self) -> Result<PaperStatus> {
        self.discard_stale_input()?;
        let status = self.request_status(StatusRequest::RollPaper)?;
        Ok(protocol::paper_from_roll_status(status))
    }

    /// Checks paper and online state first and sends nothing when the printer cannot print; then
    /// sends the whole job (`ESC @`, raster bands, QR codes, feeds, partial cut). Returns once the
    /// bytes are on the line: a printer that runs out of paper mid-receipt keeps the rest.
    fn print(&mut self, receipt: &Receipt) -> Result<()> {
        // Rendering takes a while; the status is asked for afterwards so that it is fresh.
        let (job, stats) = protocol::encode_receipt(&self.renderer, receipt, self.width_dots, self.band_rows);
        let state = self.read_state()?;
        if let Some(error) = state.blocker() {
            return Err(error);
        }
        if state.paper == PaperStatus::NearEnd {
            tracing::warn!("receipt printer paper roll nearly empty");
        }
        tracing::debug!(
            bytes = job.len(),
            bands = stats.bands,
            native_qr = stats.native_qr,
            defused_dots = stats.defused_dots,
            "sending receipt"
        );
        self.send(&job)
    }
}
