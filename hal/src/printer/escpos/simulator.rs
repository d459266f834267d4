//! A simulated ESC/POS receipt printer on the device end of a serial line (a pty in tests).
//!
//! It parses the real byte stream the way a printer does: real-time commands (`DLE EOT n`, `DLE ENQ`,
//! `DLE DC4`) are recognised as the bytes arrive, wherever they appear, like the many printers that
//! act on them even inside bit-image data; everything else is parsed command by command, and
//! commands it does not simulate are skipped by their documented length (or by their two prefix
//! bytes when unknown), so a stray command never derails it.
//!
//! What it prints is kept as a page image per receipt (a receipt runs from one `ESC @` to the next):
//! raster bands stacked in order, QR codes drawn with [`qr_image`], feeds as white rows.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};

use super::protocol::{
    DC4, DLE, ENQ, EOT, ESC, GS, QR_FN_ERROR_CORRECTION, QR_FN_MODEL, QR_FN_MODULE_SIZE, QR_FN_PRINT, QR_FN_STORE,
    QR_SYMBOL,
};
use crate::printer::PaperStatus;
use crate::printer::raster::qr_image;

/// Rows the simulator feeds for one line (`ESC d`, `LF`): the default line spacing of about 1/6 inch
/// (3.75 mm) at 8 dots/mm.
pub const LINE_DOTS: u32 = 30;

/// File separator: the `FS` (Kanji) commands.
const FS: u8 = 0x1C;

/// A command claiming more data than this is treated as garbage, not waited for.
const MAX_COMMAND_BYTES: usize = 8 << 20;

/// A fault the simulated printer shows in its status replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimulatorFault {
    /// Answers correctly.
    #[default]
    None,
    /// Answers every status request with a byte whose fixed bits are wrong (`0xFF`).
    GarbageStatus,
    /// Keeps reading and printing but never answers a status request.
    Silent,
}

/// One command the simulator parsed, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `ESC @`: initialise; starts a new receipt.
    Initialise,
    /// `DLE EOT n`: real-time status request (answered as soon as it arrives).
    StatusRequest(u8),
    /// `DLE ENQ n` or `DLE DC4 fn ...`: another real-time command (not simulated).
    RealTime {
        /// `ENQ` (0x05) or `DC4` (0x14).
        code: u8,
        /// The byte after it (`n` or `fn`).
        function: u8,
    },
    /// `GS v 0 m xL xH yL yH d1...dk`: a raster bit image.
    RasterImage {
        /// Scaling mode `m` (0 normal, 1 double width, 2 double height, 3 both).
        mode: u8,
        /// Bytes per row.
        width_bytes: u16,
        /// Rows.
        rows: u16,
    },
    /// `ESC a n`: justification (0 left, 1 centre, 2 right).
    Justify(u8),
    /// `ESC d n`: print and feed `n` lines.
    FeedLines(u8),
    /// `ESC J n`: print and feed `n` motion units (one dot here).
    FeedDots(u8),
    /// `LF`: print and feed one line.
    LineFeed,
    /// `GS ( k` function 165: QR model (49 model 1, 50 model 2, 51 micro).
    QrModel(u8),
    /// `GS ( k` function 167: QR module size in dots.
    QrModuleSize(u8),
    /// `GS ( k` function 169: QR error correction (48 L, 49 M, 50 Q, 51 H).
    QrErrorCorrection(u8),
    /// `GS ( k` function 180: QR data stored.
    QrStore {
        /// Payload length in bytes.
        bytes: usize,
    },
    /// `GS ( k` function 181: print the stored QR code.
    QrPrint,
    /// `GS V m [n]`: cut.
    Cut {
        /// `m` (0/48 full, 1/49 partial, 65/66 feed then cut, ...).
        mode: u8,
        /// `n` of the feed-then-cut forms.
        feed: Option<u8>,
    },
    /// Printable bytes for the character generator (this simulator draws no native text).
    Text(usize),
    /// A single control byte without meaning here (`CR`, `HT`, a stray `DLE`, ...).
    Control(u8),
    /// A documented command the simulator skips.
    Ignored {
        /// `ESC`, `GS` or `FS`.
        prefix: u8,
        /// The command byte after the prefix.
        code: u8,
        /// Total length skipped.
        length: usize,
    },
    /// An unknown command: only its prefix and command byte were skipped.
    Unknown {
        /// `ESC`, `GS` or `FS`.
        prefix: u8,
        /// The command byte after the prefix.
        code: u8,
    },
}

/// What was printed between one `ESC @` and the next.
#[derive(Clone, PartialEq)]
pub struct PrintedReceipt {
    /// The paper: raster bands, QR codes and feeds stacked top to bottom; ink is black (0).
    pub page: GrayImage,
    /// Payloads of the QR codes printed with `GS ( k`, in order.
    pub qr_payloads: Vec<String>,
    /// Cuts (`GS V`).
    pub cuts: u32,
}

impl std::fmt::Debug for PrintedReceipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintedReceipt")
            .field("page", &self.page.dimensions())
            .field("qr_codes", &self.qr_payloads.len())
            .field("cuts", &self.cuts)
            .finish()
    }
}

/// A simulated printer running on its own thread; dropping the handle stops it.
///
/// The port must time out its reads (serial ports and [`crate::serial::pty_pair`] do), so the thread
/// notices [`EscPosSimulator::stop`].
pub struct EscPosSimulator {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EscPosSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscPosSimulator").field("running", &self.is_running()).finish()
    }
}

struct Shared {
    printer: Mutex<SimulatedPrinter>,
    stop: AtomicBool,
    running: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SimulatedPrinter> {
        // Plain data: a panic elsewhere cannot leave it half-written in a way that matters to a test.
        self.printer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl EscPosSimulator {
    /// Starts a printer with paper `width_dots` wide (576 for 80 mm, 384 for 58 mm) on `port`.
    pub fn spawn(port: impl Read + Write + Send + 'static, width_dots: u32) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            printer: Mutex::new(SimulatedPrinter::new(width_dots.max(8))),
            stop: AtomicBool::new(false),
            running: AtomicBool::new(true),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("escpos-sim".into()).spawn(move || serve(port, &worker))?;
        Ok(EscPosSimulator { shared, thread: Some(thread) })
    }

    /// Sets what the paper sensors report; with [`PaperStatus::Out`] the printer goes offline and
    /// prints nothing.
    pub fn set_paper(&self, paper: PaperStatus) {
        self.shared.lock().paper = paper;
    }

    /// Opens or closes the cover; an open cover puts the printer offline.
    pub fn set_cover_open(&self, open: bool) {
        self.shared.lock().cover_open = open;
    }

    /// Injects a fault in the status replies.
    pub fn set_fault(&self, fault: SimulatorFault) {
        self.shared.lock().fault = fault;
    }

    /// The receipts printed so far, including one still in progress.
    pub fn receipts(&self) -> Vec<PrintedReceipt> {
        let printer = self.shared.lock();
        let mut receipts = printer.finished.clone();
        if printer.sheet.touched {
            receipts.push(printer.sheet.to_receipt());
        }
        receipts
    }

    /// Every command parsed so far, in order.
    pub fn commands(&self) -> Vec<Command> {
        self.shared.lock().log.clone()
    }

    /// Bytes received so far.
    pub fn bytes_received(&self) -> usize {
        self.shared.lock().bytes_received
    }

    /// Waits until `cuts` cuts have been made in total, for at most `timeout`; says whether they were.
    pub fn wait_for_cuts(&self, cuts: u32, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.lock().total_cuts >= cuts {
                return true;
            }
            if Instant::now() >= deadline || !self.is_running() {
                return self.shared.lock().total_cuts >= cuts;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the thread still serves the port (it ends when the port closes or on [`Self::stop`]).
    pub fn is_running(&self) -> bool {
        self.shared.running.load(Ordering::Acquire)
    }

    /// Stops the thread and closes the device end of the line, as if the printer were unplugged.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // The thread only ends by returning; a panic in it has nothing left to clean up.
            let _ = thread.join();
        }
    }
}

impl Drop for EscPosSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The thread: read, answer real-time requests at once, parse and print the rest.
fn serve(mut port: impl Read + Write, shared: &Shared) {
    let mut pending: Vec<u8> = Vec::new();
    let mut scanner = RealTimeScanner::default();
    let mut buf = [0u8; 4096];
    while !shared.stop.load(Ordering::Acquire) {
        let received = match port.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => &buf[..n],
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            Err(_) => break,
        };
        let replies = shared.lock().scan_real_time(&mut scanner, received);
        if !replies.is_empty() && port.write_all(&replies).is_err() {
            break;
        }
        pending.extend_from_slice(received);
        let consumed = shared.lock().process(&pending);
        pending.drain(..consumed);
    }
    shared.running.store(false, Ordering::Release);
}

/// Recognises `DLE EOT n`, `DLE ENQ n` and `DLE DC4 fn` anywhere in the stream, across reads.
#[derive(Debug, Default)]
struct RealTimeScanner {
    seen: Seen,
}

#[derive(Debug, Clone, Copy, Default)]
enum Seen {
    #[default]
    Nothing,
    Dle,
    DleWith(u8),
}

impl RealTimeScanner {
    fn push(&mut self, byte: u8) -> Option<Command> {
        let (next, found) = match (self.seen, byte) {
            (Seen::DleWith(EOT), n) => (Seen::Nothing, Some(Command::StatusRequest(n))),
            (Seen::DleWith(code), function) => (Seen::Nothing, Some(Command::RealTime { code, function })),
            (Seen::Dle, EOT | ENQ | DC4) => (Seen::DleWith(byte), None),
            (_, DLE) => (Seen::Dle, None),
            _ => (Seen::Nothing, None),
        };
        self.seen = next;
        found
    }
}

#[derive(Debug, Clone)]
struct QrSettings {
    model: u8,
    module: u8,
    level: u8,
    data: Option<Vec<u8>>,
}

impl Default for QrSettings {
    fn default() -> Self {
        // GS ( k defaults: model 2, module size 3, level L.
        QrSettings { model: 50, module: 3, level: 48, data: None }
    }
}

/// The paper of the receipt in progress.
#[derive(Debug, Clone)]
struct Sheet {
    width: u32,
    pixels: Vec<u8>,
    qr_payloads: Vec<String>,
    cuts: u32,
    touched: bool,
}

impl Sheet {
    fn new(width: u32) -> Self {
        Sheet { width, pixels: Vec::new(), qr_payloads: Vec::new(), cuts: 0, touched: false }
    }

    fn height(&self) -> u32 {
        (self.pixels.len() / self.width as usize) as u32
    }

    fn feed(&mut self, rows: u32) {
        self.touched = true;
        self.pixels.resize(self.pixels.len() + rows as usize * self.width as usize, 255);
    }

    /// Draws `GS v 0` data: MSB is the leftmost dot, 1 is black; dots beyond the paper are lost.
    fn draw_raster(&mut self, mode: u8, width_bytes: usize, rows: usize, data: &[u8]) {
        let (x_scale, y_scale) = (1 + usize::from(mode & 1), 1 + usize::from((mode >> 1) & 1));
        let width = self.width as usize;
        for row in data.chunks(width_bytes).take(rows) {
            let mut line = vec![255u8; width];
            for (i, byte) in row.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        let x = (i * 8 + bit) * x_scale;
                        for dot in line.iter_mut().skip(x).take(x_scale) {
                            *dot = 0;
                        }
                    }
                }
            }
            for _ in 0..y_scale {
                self.pixels.extend_from_slice(&line);
            }
        }
        self.touched = true;
    }

    fn draw_image(&mut self, image: &GrayImage, justify: u8) {
        let free = i64::from(self.width) - i64::from(image.width());
        let x = match justify {
            1 | 49 => free / 2,
            2 | 50 => free,
            _ => 0,
        };
        let mut strip = GrayImage::from_pixel(self.width, image.height(), Luma([255]));
        image::imageops::overlay(&mut strip, image, x, 0);
        self.pixels.extend_from_slice(strip.as_raw());
        self.touched = true;
    }

    fn to_receipt(&self) -> PrintedReceipt {
        let page = GrayImage::from_raw(self.width, self.height(), self.pixels.clone())
            .unwrap_or_else(|| GrayImage::new(self.width, 0));
        PrintedReceipt { page, qr_payloads: self.qr_payloads.clone(), cuts: self.cuts }
    }
}

/// The simulated printer's state, shared between its thread and the handle.
#[derive(Debug)]
struct SimulatedPrinter {
    width: u32,
    paper: PaperStatus,
    cover_open: bool,
    fault: SimulatorFault,
    justify: u8,
    qr: QrSettings,
    sheet: Sheet,
    finished: Vec<PrintedReceipt>,
    log: Vec<Command>,
    total_cuts: u32,
    bytes_received: usize,
}

impl SimulatedPrinter {
    fn new(width: u32) -> Self {
        SimulatedPrinter {
            width,
            paper: PaperStatus::Ok,
            cover_open: false,
            fault: SimulatorFault::None,
            justify: 0,
            qr: QrSettings::default(),
            sheet: Sheet::new(width),
            finished: Vec::new(),
            log: Vec::new(),
            total_cuts: 0,
            bytes_received: 0,
        }
    }

    fn offline(&self) -> bool {
        self.cover_open || self.paper == PaperStatus::Out
    }

    /// The reply to `DLE EOT n` (DLE EOT, "Transmit status"): fixed bits 1 and 4 on, 0 and 7 off.
    fn status_byte(&self, n: u8) -> Option<u8> {
        const FIXED: u8 = 0b0001_0010;
        let out = self.paper == PaperStatus::Out;
        let near_end = self.paper != PaperStatus::Ok;
        match n {
            // Printer status: bit 3 offline.
            1 => Some(FIXED | if self.offline() { 0x08 } else { 0 }),
            // Offline cause: bit 2 cover open, bit 5 stopped by paper end.
            2 => Some(FIXED | if self.cover_open { 0x04 } else { 0 } | if out { 0x20 } else { 0 }),
            // Error cause: none simulated.
            3 => Some(FIXED),
            // Roll paper sensor: bits 2-3 near end, bits 5-6 paper end.
            4 => Some(FIXED | if near_end { 0x0C } else { 0 } | if out { 0x60 } else { 0 }),
            _ => None,
        }
    }

    fn reply_to(&self, n: u8) -> Option<u8> {
        match self.fault {
            SimulatorFault::None => self.status_byte(n),
            SimulatorFault::GarbageStatus => Some(0xFF),
            SimulatorFault::Silent => None,
        }
    }

    /// Feeds the received bytes through the real-time scanner; returns the replies to send.
    fn scan_real_time(&mut self, scanner: &mut RealTimeScanner, bytes: &[u8]) -> Vec<u8> {
        self.bytes_received += bytes.len();
        let mut replies = Vec::new();
        for &byte in bytes {
            if let Some(command) = scanner.push(byte) {
                if let Command::StatusRequest(n) = command {
                    replies.extend(self.reply_to(n));
                }
                self.log.push(command);
            }
        }
        replies
    }

    /// Parses and applies every complete command at the start of `bytes`; returns how many bytes
    /// were used.
    fn process(&mut self, bytes: &[u8]) -> usize {
        let mut at = 0;
        while let Parse::Complete { length, command, data } = parse(&bytes[at..]) {
            self.apply(command, data);
            at += length;
        }
        at
    }

    fn apply(&mut self, command: Command, data: &[u8]) {
        let printing = !self.offline();
        match &command {
            // Logged by the real-time scanner when they arrived.
            Command::StatusRequest(_) | Command::RealTime { .. } => return,
            Command::Initialise => {
                if self.sheet.touched {
                    let done = std::mem::replace(&mut self.sheet, Sheet::new(self.width));
                    self.finished.push(done.to_receipt());
                }
                self.justify = 0;
                self.qr = QrSettings::default();
            }
            Command::RasterImage { mode, width_bytes, rows } if printing => {
                self.sheet.draw_raster(*mode, usize::from(*width_bytes), usize::from(*rows), data);
            }
            Command::Justify(n) => self.justify = *n,
            Command::FeedLines(n) if printing => self.sheet.feed(u32::from(*n) * LINE_DOTS),
            Command::FeedDots(n) if printing => self.sheet.feed(u32::from(*n)),
            Command::LineFeed if printing => self.sheet.feed(LINE_DOTS),
            Command::QrModel(n) => self.qr.model = *n,
            Command::QrModuleSize(n) => self.qr.module = *n,
            Command::QrErrorCorrection(n) => self.qr.level = *n,
            Command::QrStore { .. } => self.qr.data = Some(data.to_vec()),
            Command::QrPrint if printing => self.print_qr(),
            Command::Cut { .. } if printing => {
                self.sheet.cuts += 1;
                self.sheet.touched = true;
                self.total_cuts += 1;
            }
            _ => {}
        }
        self.log.push(command);
    }

    fn print_qr(&mut self) {
        let Some(data) = self.qr.data.clone() else { return };
        // Rendered with the kiosk's own encoder at level M whatever was selected: the simulator
        // checks what was asked for through its command log.
        let payload = String::from_utf8_lossy(&data).into_owned();
        let image = qr_image(&payload, self.qr.module);
        self.sheet.draw_image(&image, self.justify);
        self.sheet.qr_payloads.push(payload);
    }
}

/// What the parser found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
enum Parse<'a> {
    /// More bytes are needed.
    Incomplete,
    /// A whole command of `length` bytes; `data` is its bitmap or QR payload, if it has one.
    Complete { length: usize, command: Command, data: &'a [u8] },
}

fn complete(length: usize, command: Command) -> Parse<'static> {
    Parse::Complete { length, command, data: &[] }
}

/// A command of `length` bytes, once they are all there.
fn fixed(buf: &[u8], length: usize, command: impl FnOnce(&[u8]) -> Command) -> Parse<'static> {
    if buf.len() < length { Parse::Incomplete } else { complete(length, command(&buf[..length])) }
}

fn ignored(buf: &[u8], length: usize) -> Parse<'static> {
    if length > MAX_COMMAND_BYTES {
        return unknown(buf);
    }
    fixed(buf, length, |b| Command::Ignored { prefix: b[0], code: b[1], length })
}

fn unknown(buf: &[u8]) -> Parse<'static> {
    fixed(buf, 2, |b| Command::Unknown { prefix: b[0], code: b[1] })
}

fn u16_at(buf: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([buf[at], buf[at + 1]]))
}

/// Parses the command at the start of `buf`.
fn parse(buf: &[u8]) -> Parse<'_> {
    let Some(&first) = buf.first() else { return Parse::Incomplete };
    match first {
        DLE => parse_dle(buf),
        ESC => parse_esc(buf),
        GS => parse_gs(buf),
        FS => parse_fs(buf),
        b'\n' => complete(1, Command::LineFeed),
        0x00..=0x1F | 0x7F => complete(1, Command::Control(first)),
        _ => {
            let length = buf.iter().position(|&b| b < 0x20 || b == 0x7F).unwrap_or(buf.len());
            complete(length, Command::Text(length))
        }
    }
}

/// DLE EOT n, DLE ENQ n, DLE DC4 fn ... (lengths per function: 1, 2, 3 → 5 bytes, 7 → 4, 8 → 10).
fn parse_dle(buf: &[u8]) -> Parse<'_> {
    let Some(&code) = buf.get(1) else { return Parse::Incomplete };
    match code {
        EOT => fixed(buf, 3, |b| Command::StatusRequest(b[2])),
        ENQ => fixed(buf, 3, |b| Command::RealTime { code: ENQ, function: b[2] }),
        DC4 => {
            let Some(&function) = buf.get(2) else { return Parse::Incomplete };
            let length = match function {
                1..=3 => 5,
                7 => 4,
                8 => 10,
                _ => 3,
            };
            fixed(buf, length, |_| Command::RealTime { code: DC4, function })
        }
        _ => complete(1, Command::Control(DLE)),
    }
}

fn parse_esc(buf: &[u8]) -> Parse<'_> {
    let Some(&code) = buf.get(1) else { return Parse::Incomplete };
    match code {
        b'@' => complete(2, Command::Initialise),
        b'a' => fixed(buf, 3, |b| Command::Justify(b[2])),
        b'd' => fixed(buf, 3, |b| Command::FeedLines(b[2])),
        b'J' => fixed(buf, 3, |b| Command::FeedDots(b[2])),
        b'2' | b'<' | b'L' | b'S' | b'i' | b'm' => ignored(buf, 2),
        b' ' | b'!' | b'%' | b'-' | b'3' | b'=' | b'?' | b'E' | b'G' | b'M' | b'R' | b'T' | b'U' | b'V' | b'e'
        | b'r' | b't' | b'u' | b'v' | b'{' => ignored(buf, 3),
        b'$' | b'\\' => ignored(buf, 4),
        b'c' => match buf.get(2) {
            None => Parse::Incomplete,
            Some(b'3' | b'4' | b'5') => ignored(buf, 4),
            Some(_) => unknown(buf),
        },
        b'p' => ignored(buf, 5),
        b'W' => ignored(buf, 10),
        // ESC * m nL nH d1...dk: k = n for 8-dot modes (0, 1), 3n for 24-dot modes (32, 33).
        b'*' => {
            if buf.len() < 5 {
                return Parse::Incomplete;
            }
            let columns = u16_at(buf, 3);
            match buf[2] {
                0 | 1 => ignored(buf, 5 + columns),
                32 | 33 => ignored(buf, 5 + 3 * columns),
                _ => unknown(buf),
            }
        }
        // ESC D n1...nk NUL: at most 32 tab positions.
        b'D' => match buf.iter().skip(2).take(33).position(|&b| b == 0) {
            Some(i) => ignored(buf, 2 + i + 1),
            None if buf.len() >= 2 + 33 => unknown(buf),
            None => Parse::Incomplete,
        },
        // ESC ( fn pL pH ...: the generic extended form.
        b'(' => {
            if buf.len() < 5 {
                return Parse::Incomplete;
            }
            ignored(buf, 5 + u16_at(buf, 3))
        }
        _ => unknown(buf),
    }
}

fn parse_gs(buf: &[u8]) -> Parse<'_> {
    let Some(&code) = buf.get(1) else { return Parse::Incomplete };
    match code {
        b'v' => parse_raster(buf),
        b'(' => {
            if buf.len() < 5 {
                return Parse::Incomplete;
            }
            let length = 5 + u16_at(buf, 3);
            if buf.len() < length {
                return Parse::Incomplete;
            }
            if buf[2] == b'k' { parse_symbol(&buf[5..length], length) } else { ignored(buf, length) }
        }
        b'V' => match buf.get(2) {
            None => Parse::Incomplete,
            Some(&mode @ (65 | 66 | 97 | 98 | 103 | 104)) => fixed(buf, 4, |b| Command::Cut { mode, feed: Some(b[3]) }),
            Some(&mode) => complete(3, Command::Cut { mode, feed: None }),
        },
        // GS 8 L p1 p2 p3 p4 m fn ...: four length bytes.
        b'8' => {
            if buf.len() < 7 {
                return Parse::Incomplete;
            }
            if buf[2] != b'L' {
                return unknown(buf);
            }
            let length = u32::from_le_bytes([buf[3], buf[4], buf[5], buf[6]]) as usize;
            ignored(buf, 7usize.saturating_add(length))
        }
        // GS k m: NUL-terminated data for m 0-6, counted data for m 65-79.
        b'k' => match buf.get(2) {
            None => Parse::Incomplete,
            Some(0..=6) => match buf.iter().skip(3).take(256).position(|&b| b == 0) {
                Some(i) => ignored(buf, 3 + i + 1),
                None if buf.len() >= 3 + 256 => unknown(buf),
                None => Parse::Incomplete,
            },
            Some(_) => match buf.get(3) {
                None => Parse::Incomplete,
                Some(&n) => ignored(buf, 4 + usize::from(n)),
            },
        },
        // GS * x y d1...d(x × y × 8): define a downloaded bit image.
        b'*' => {
            if buf.len() < 4 {
                return Parse::Incomplete;
            }
            ignored(buf, 4 + usize::from(buf[2]) * usize::from(buf[3]) * 8)
        }
        b':' => ignored(buf, 2),
        b'!' | b'/' | b'B' | b'H' | b'I' | b'T' | b'a' | b'b' | b'f' | b'h' | b'r' | b'w' => ignored(buf, 3),
        b'$' | b'L' | b'P' | b'W' | b'\\' => ignored(buf, 4),
        b'^' => ignored(buf, 5),
        _ => unknown(buf),
    }
}

/// GS v 0 m xL xH yL yH d1...dk, k = (xL + xH × 256) × (yL + yH × 256).
fn parse_raster(buf: &[u8]) -> Parse<'_> {
    match buf.get(2) {
        None => return Parse::Incomplete,
        Some(b'0') => {}
        Some(_) => return unknown(buf),
    }
    if buf.len() < 8 {
        return Parse::Incomplete;
    }
    let (width_bytes, rows) = (u16_at(buf, 4), u16_at(buf, 6));
    let length = 8 + width_bytes * rows;
    if length > MAX_COMMAND_BYTES {
        return unknown(buf);
    }
    if buf.len() < length {
        return Parse::Incomplete;
    }
    let command = Command::RasterImage { mode: buf[3], width_bytes: width_bytes as u16, rows: rows as u16 };
    Parse::Complete { length, command, data: &buf[8..length] }
}

/// The parameters of a complete `GS ( k` command: cn fn [...].
fn parse_symbol(parameters: &[u8], length: usize) -> Parse<'_> {
    let ignored = Command::Ignored { prefix: GS, code: b'(', length };
    let command = match parameters {
        [QR_SYMBOL, QR_FN_MODEL, n, ..] => Command::QrModel(*n),
        [QR_SYMBOL, QR_FN_MODULE_SIZE, n, ..] => Command::QrModuleSize(*n),
        [QR_SYMBOL, QR_FN_ERROR_CORRECTION, n, ..] => Command::QrErrorCorrection(*n),
        [QR_SYMBOL, QR_FN_STORE, 48, data @ ..] => {
            return Parse::Complete { length, command: Command::QrStore { bytes: data.len() }, data };
        }
        [QR_SYMBOL, QR_FN_PRINT, ..] => Command::QrPrint,
        _ => ignored,
    };
    complete(length, command)
}

fn parse_fs(buf: &[u8]) -> Parse<'_> {
    let Some(&code) = buf.get(1) else { return Parse::Incomplete };
    match code {
        b'&' | b'.' => ignored(buf, 2),
        b'!' | b'-' | b'C' | b'W' => ignored(buf, 3),
        b'p' => ignored(buf, 4),
        b'(' => {
            if buf.len() < 5 {
                return Parse::Incomplete;
            }
            ignored(buf, 5 + u16_at(buf, 3))
        }
        _ => unknown(buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(printer: &mut SimulatedPrinter, bytes: &[u8]) -> (usize, Vec<u8>) {
        let mut scanner = RealTimeScanner::default();
        let replies = printer.scan_real_time(&mut scanner, bytes);
        (printer.process(bytes), replies)
    }

    #[test]
    fn unknown_and_skipped_commands_do_not_derail_the_parser() {
        let mut printer = SimulatedPrinter::new(16);
        let mut stream = vec![ESC, b'@', ESC, b'!', 0x38, ESC, b'z', GS, b'(', b'L', 2, 0, 48, 69];
        stream.extend_from_slice(b"HELLO\r\n");
        stream.extend_from_slice(&[FS, b'.', GS, b'k', 4]);
        stream.extend_from_slice(b"123\0");
        stream.extend_from_slice(&[ESC, b'*', 33, 2, 0, 1, 2, 3, 4, 5, 6]);
        stream.extend_from_slice(&[GS, b'v', b'0', 0, 2, 0, 1, 0, 0b1010_0000, 0b0000_0001]);
        let (used, replies) = run(&mut printer, &stream);
        assert_eq!(used, stream.len());
        assert!(replies.is_empty());
        assert!(printer.log.contains(&Command::Unknown { prefix: ESC, code: b'z' }));
        assert!(printer.log.contains(&Command::Text(5)));
        assert!(printer.log.contains(&Command::Ignored { prefix: ESC, code: b'*', length: 11 }));
        let row = &printer.sheet.pixels[printer.sheet.pixels.len() - 16..];
        let ink: Vec<usize> = row.iter().enumerate().filter(|(_, p)| **p == 0).map(|(x, _)| x).collect();
        assert_eq!(ink, vec![0, 2, 15]);
    }

    #[test]
    fn commands_split_across_reads_wait_for_their_remaining_bytes() {
        let mut printer = SimulatedPrinter::new(8);
        let stream = [GS, b'v', b'0', 0, 1, 0, 2, 0, 0xF0, 0x0F];
        assert_eq!(printer.process(&stream[..3]), 0);
        assert_eq!(printer.process(&stream[..9]), 0);
        assert_eq!(printer.process(&stream), stream.len());
        assert_eq!(printer.sheet.height(), 2);
        assert_eq!(&printer.sheet.pixels[..8], &[0, 0, 0, 0, 255, 255, 255, 255]);
    }

    #[test]
    fn status_requests_are_answered_even_inside_bitmap_data() {
        let mut printer = SimulatedPrinter::new(32);
        printer.paper = PaperStatus::NearEnd;
        let stream = [GS, b'v', b'0', 0, 4, 0, 1, 0, DLE, EOT, 4, 0, DLE, EOT, 1];
        let (used, replies) = run(&mut printer, &stream);
        assert_eq!(used, stream.len());
        assert_eq!(replies, vec![0x1E, 0x12]);
        assert_eq!(printer.log.iter().filter(|c| matches!(c, Command::StatusRequest(_))).count(), 2);
    }

    #[test]
    fn status_bytes_follow_the_paper_and_cover() {
        let mut printer = SimulatedPrinter::new(8);
        assert_eq!([1, 2, 4].map(|n| printer.status_byte(n)), [Some(0x12), Some(0x12), Some(0x12)]);
        printer.paper = PaperStatus::Out;
        assert_eq!([1, 2, 4].map(|n| printer.status_byte(n)), [Some(0x1A), Some(0x32), Some(0x7E)]);
        printer.paper = PaperStatus::Ok;
        printer.cover_open = true;
        assert_eq!([1, 2, 4].map(|n| printer.status_byte(n)), [Some(0x1A), Some(0x16), Some(0x12)]);
        printer.fault = SimulatorFault::Silent;
        assert_eq!(printer.reply_to(4), None);
    }

    #[test]
    fn a_stored_qr_code_is_printed_centred_and_recorded() {
        let mut printer = SimulatedPrinter::new(400);
        let mut stream = vec![ESC, b'@'];
        super::super::protocol::append_qr("HS-9", 3, &mut stream);
        stream.extend_from_slice(&[GS, b'V', 66, 0]);
        run(&mut printer, &stream);
        let expected = qr_image("HS-9", 3);
        assert_eq!(printer.sheet.qr_payloads, vec!["HS-9".to_owned()]);
        assert_eq!(printer.sheet.height(), expected.height());
        let receipt = printer.sheet.to_receipt();
        let x = (400 - expected.width()) / 2;
        let region = image::imageops::crop_imm(&receipt.page, x, 0, expected.width(), expected.height()).to_image();
        assert_eq!(region, expected);
        assert_eq!(receipt.cuts, 1);
        assert!(printer.log.contains(&Command::QrModel(50)) && printer.log.contains(&Command::QrErrorCorrection(49)));
    }

    #[test]
    fn paper_out_draws_nothing_and_counts_no_cut() {
        let mut printer = SimulatedPrinter::new(8);
        printer.paper = PaperStatus::Out;
        run(&mut printer, &[ESC, b'@', GS, b'v', b'0', 0, 1, 0, 1, 0, 0xFF, ESC, b'd', 3, GS, b'V', 66, 0]);
        assert!(!printer.sheet.touched);
        assert_eq!(printer.total_cuts, 0);
        assert!(printer.log.contains(&Command::Cut { mode: 66, feed: Some(0) }));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_are_consumed_or_awaited() {
        let mut printer = SimulatedPrinter::new(64);
        let mut seed = 0x2545_F491_u32;
        let mut stream = Vec::new();
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            // Bias towards command prefixes so that many command paths are exercised.
            let byte = match seed % 7 {
                0 => ESC,
                1 => GS,
                2 => DLE,
                _ => (seed >> 8) as u8,
            };
            stream.push(byte);
        }
        let mut pending = Vec::new();
        for chunk in stream.chunks(97) {
            pending.extend_from_slice(chunk);
            let used = printer.process(&pending);
            assert!(used <= pending.len());
            pending.drain(..used);
        }
        assert!(pending.len() < stream.len());
        assert!(!printer.log.is_empty());
    }
}
