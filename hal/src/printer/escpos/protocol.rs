//! The ESC/POS bytes the driver sends and reads: commands, status bytes and raster packing.
//!
//! Section names refer to the Epson "ESC/POS Command Reference" (TM series), which most 80 mm and
//! 58 mm receipt printers follow: `ESC @`, `ESC a`, `ESC d`, `GS v 0`, `GS ( k` (QR code, functions
//! 165, 167, 169, 180 and 181), `GS V` and `DLE EOT`.

use image::GrayImage;
use qrcode::{EcLevel, QrCode};

use crate::printer::raster::TextRenderer;
use crate::printer::{PaperStatus, Receipt, ReceiptItem};

/// Data link escape: starts the real-time commands.
pub(crate) const DLE: u8 = 0x10;
/// `DLE EOT n`: real-time status transmission.
pub(crate) const EOT: u8 = 0x04;
/// `DLE ENQ n`: real-time request (n = 2 clears the buffers).
pub(crate) const ENQ: u8 = 0x05;
/// `DLE DC4 fn ...`: real-time pulse / power-off / buffer clear.
pub(crate) const DC4: u8 = 0x14;
/// Escape.
pub(crate) const ESC: u8 = 0x1B;
/// Group separator: the `GS` commands.
pub(crate) const GS: u8 = 0x1D;
/// XON / XOFF: a printer configured for software flow control sends these between status bytes.
pub(crate) const XON: u8 = 0x11;
pub(crate) const XOFF: u8 = 0x13;

/// `ESC @`: clears the print buffer and resets the modes (justification, line spacing, QR settings).
pub(crate) const INITIALISE: [u8; 2] = [ESC, b'@'];

/// Lines fed (`ESC d`) after the last item so the receipt does not end right at the print head.
pub(crate) const FEED_BEFORE_CUT: u8 = 2;

/// `GS ( k` symbol type (cn) of QR codes.
pub(crate) const QR_SYMBOL: u8 = 49;
/// `GS ( k` functions for QR codes (fn 65 is "function 165", ...).
pub(crate) const QR_FN_MODEL: u8 = 65;
pub(crate) const QR_FN_MODULE_SIZE: u8 = 67;
pub(crate) const QR_FN_ERROR_CORRECTION: u8 = 69;
pub(crate) const QR_FN_STORE: u8 = 80;
pub(crate) const QR_FN_PRINT: u8 = 81;
/// QR model 2 (function 165, n1 = 50).
pub(crate) const QR_MODEL_2: u8 = 50;
/// Error correction level M, about 15 % (function 169, n = 49).
pub(crate) const QR_LEVEL_M: u8 = 49;
/// Module sizes function 167 accepts.
pub(crate) const QR_MODULE_RANGE: std::ops::RangeInclusive<u8> = 1..=16;

/// Longest payload sent to the printer's own QR encoder. Receipt payloads are dossier codes and short
/// URLs; the cap keeps the `GS ( k` length bytes away from the `DLE EOT` pattern (a length of 1,037
/// bytes would put `10 04` on the wire) and keeps the symbol within an 80 mm roll.
pub(crate) const MAX_NATIVE_QR_BYTES: usize = 512;

/// `GS V 66 n` (function B): feed to the cutting position plus `n` motion units, then cut partially.
pub(crate) const CUT_PARTIAL_AFTER_FEED: u8 = 66;

/// Largest band height: the row count goes in `yL` alone, so no band header has `yH` != 0.
pub(crate) const MAX_BAND_ROWS: u16 = 255;

/// A grey level below this is printed (thermal dots are on or off).
pub(crate) const INK_THRESHOLD: u8 = 128;

/// The real-time status requests (`DLE EOT n`) the driver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusRequest {
    /// n = 1: printer status (online / offline).
    Printer = 1,
    /// n = 2: why the printer is offline.
    OfflineCause = 2,
    /// n = 4: roll paper sensors.
    RollPaper = 4,
}

impl StatusRequest {
    /// The three command bytes.
    pub(crate) fn command(self) -> [u8; 3] {
        [DLE, EOT, self as u8]
    }

    /// The `n` of `DLE EOT n`.
    pub(crate) fn number(self) -> u8 {
        self as u8
    }
}

/// DLE EOT, "Transmit status": every reply to n = 1..4 has bit 1 and bit 4 on and bit 0 and bit 7 off.
/// Checking them tells a status byte from line noise, an echo or a reply to something else.
const FIXED_MASK: u8 = 0b1001_0011;
const FIXED_VALUE: u8 = 0b0001_0010;

/// Whether `byte` has the fixed bits of a `DLE EOT` reply.
pub(crate) fn has_status_fixed_bits(byte: u8) -> bool {
    byte & FIXED_MASK == FIXED_VALUE
}

/// DLE EOT n = 4, roll paper sensor status: bits 2-3 are the near-end sensor, bits 5-6 the paper-end
/// sensor (both bits of a pair are set together; either one is taken as the condition). Paper end wins.
pub(crate) fn paper_from_roll_status(byte: u8) -> PaperStatus {
    if byte & 0b0110_0000 != 0 {
        PaperStatus::Out
    } else if byte & 0b0000_1100 != 0 {
        PaperStatus::NearEnd
    } else {
        PaperStatus::Ok
    }
}

/// DLE EOT n = 1, printer status: bit 3 set means offline.
pub(crate) fn is_offline(printer_status: u8) -> bool {
    printer_status & 0b0000_1000 != 0
}

/// DLE EOT n = 2, offline cause status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct OfflineCause {
    /// Bit 2: the cover is open.
    pub(crate) cover_open: bool,
    /// Bit 3: paper is being fed with the feed button.
    pub(crate) feed_button: bool,
    /// Bit 5: printing stopped because the paper ran out.
    pub(crate) paper_end: bool,
    /// Bit 6: an error occurred (cutter jam, head temperature, ...).
    pub(crate) error: bool,
}

impl OfflineCause {
    /// Decodes an offline-cause byte (fixed bits already checked).
    pub(crate) fn from_byte(byte: u8) -> Self {
        OfflineCause {
            cover_open: byte & 0b0000_0100 != 0,
            feed_button: byte & 0b0000_1000 != 0,
            paper_end: byte & 0b0010_0000 != 0,
            error: byte & 0b0100_0000 != 0,
        }
    }
}

/// A 1-bit image in the `GS v 0` layout: rows top to bottom, `bytes_per_row` bytes each, the most
/// significant bit is the leftmost dot and 1 is black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitmap {
    width_dots: u32,
    bytes_per_row: usize,
    rows: usize,
    data: Vec<u8>,
}

impl Bitmap {
    /// An empty bitmap `width_dots` wide.
    pub(crate) fn new(width_dots: u32) -> Self {
        let bytes_per_row = width_dots.div_ceil(8) as usize;
        Bitmap { width_dots, bytes_per_row, rows: 0, data: Vec::new() }
    }

    /// Bytes per row (`xL + xH × 256` of `GS v 0`).
    #[cfg(test)]
    pub(crate) fn bytes_per_row(&self) -> usize {
        self.bytes_per_row
    }

    /// The packed rows.
    #[cfg(test)]
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// Appends a grey strip, thresholded; dots beyond the bitmap width are cut off and a narrower
    /// strip is padded with white on the right.
    pub(crate) fn push_grey(&mut self, strip: &GrayImage) {
        let columns = strip.width().min(self.width_dots);
        for y in 0..strip.height() {
            let start = self.data.len();
            self.data.resize(start + self.bytes_per_row, 0);
            let row = &mut self.data[start..];
            for x in 0..columns {
                if strip.get_pixel(x, y).0[0] < INK_THRESHOLD {
                    row[(x / 8) as usize] |= 0x80 >> (x % 8);
                }
            }
            self.rows += 1;
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.rows = 0;
    }
}

/// Clears the dot that would let raster data spell a real-time command.
///
/// DLE EOT / DLE ENQ / DLE DC4 notes: many printers act on `10 04 n`, `10 05 n` and `10 14 fn`
/// wherever the sequence appears, even inside bit-image data (an unsolicited status byte, a buffer
/// clear, or with `DLE DC4 2` a power-off). A `0x10` data byte is a single dot; clearing it when the
/// next byte would complete such a sequence changes one dot in 8 and cannot create a new sequence.
/// Returns how many dots were cleared.
pub(crate) fn defuse_real_time_sequences(data: &mut [u8]) -> usize {
    let mut cleared = 0;
    for i in 0..data.len().saturating_sub(1) {
        if data[i] == DLE && matches!(data[i + 1], EOT | ENQ | DC4) {
            data[i] = 0;
            cleared += 1;
        }
    }
    cleared
}

/// Appends `GS v 0` commands for `bitmap` in bands of at most `band_rows` rows.
///
/// GS v 0, "Print raster bit image": `1D 76 30 m xL xH yL yH d1...dk`, m = 0 (normal size),
/// x = bytes per row, y = rows, k = x × y. Bands keep each command small enough for printers with
/// a few kilobytes of receive buffer; consecutive raster images print without a gap in standard mode.
/// Raster data is defused ([`defuse_real_time_sequences`]). Returns (bands, dots cleared).
pub(crate) fn append_raster_bands(bitmap: &Bitmap, band_rows: u16, out: &mut Vec<u8>) -> (usize, usize) {
    let band_rows = usize::from(band_rows.clamp(1, MAX_BAND_ROWS));
    let row_bytes = bitmap.bytes_per_row;
    if row_bytes == 0 || bitmap.rows == 0 {
        return (0, 0);
    }
    let [x_low, x_high] = (row_bytes as u16).to_le_bytes();
    let (mut bands, mut cleared) = (0, 0);
    for band in bitmap.data.chunks(band_rows * row_bytes) {
        bands += 1;
        let rows = (band.len() / row_bytes) as u16;
        let [y_low, y_high] = rows.to_le_bytes();
        out.extend_from_slice(&[GS, b'v', b'0', 0, x_low, x_high, y_low, y_high]);
        let start = out.len();
        out.extend_from_slice(band);
        cleared += defuse_real_time_sequences(&mut out[start..]);
    }
    (bands, cleared)
}

/// Appends one `GS ( k pL pH cn fn [parameters]` command.
fn append_gs_paren_k(out: &mut Vec<u8>, function: u8, parameters: &[u8]) {
    // (pL + pH × 256) counts cn, fn and the parameters.
    let [p_low, p_high] = ((parameters.len() + 2) as u16).to_le_bytes();
    out.extend_from_slice(&[GS, b'(', b'k', p_low, p_high, QR_SYMBOL, function]);
    out.extend_from_slice(parameters);
}

/// Whether the printer's own QR encoder should get this payload: printable ASCII only (dossier codes,
/// URLs; no byte can form a control sequence), not empty, not longer than [`MAX_NATIVE_QR_BYTES`].
pub(crate) fn fits_native_qr(data: &str) -> bool {
    !data.is_empty() && data.len() <= MAX_NATIVE_QR_BYTES && data.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// The module size to ask for: the requested one, within function 167's range, made smaller until the
/// symbol with its four-module quiet zone on each side fits the paper.
pub(crate) fn qr_module_size(data: &str, requested: u8, width_dots: u32) -> u8 {
    let requested = requested.clamp(*QR_MODULE_RANGE.start(), *QR_MODULE_RANGE.end());
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        return requested;
    };
    let modules = code.width() as u32 + 8;
    let largest_fitting = (width_dots / modules).clamp(1, u32::from(*QR_MODULE_RANGE.end())) as u8;
    requested.min(largest_fitting)
}

/// Appends the QR code commands: centred, model 2, module size, level M, store, print.
///
/// GS ( k: function 165 (select model), 167 (module size), 169 (error correction level),
/// 180 (store data in the symbol storage area, `m = 48`), 181 (print the stored symbol, `m = 48`).
pub(crate) fn append_qr(data: &str, module: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(&[ESC, b'a', 1]);
    append_gs_paren_k(out, QR_FN_MODEL, &[QR_MODEL_2, 0]);
    append_gs_paren_k(out, QR_FN_MODULE_SIZE, &[module]);
    append_gs_paren_k(out, QR_FN_ERROR_CORRECTION, &[QR_LEVEL_M]);
    let mut store = Vec::with_capacity(data.len() + 1);
    store.push(48);
    store.extend_from_slice(data.as_bytes());
    append_gs_paren_k(out, QR_FN_STORE, &store);
    append_gs_paren_k(out, QR_FN_PRINT, &[48]);
    out.extend_from_slice(&[ESC, b'a', 0]);
}

/// What encoding a receipt produced besides its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EncodeStats {
    /// `GS v 0` bands sent.
    pub(crate) bands: usize,
    /// QR codes sent to the printer's own encoder.
    pub(crate) native_qr: usize,
    /// Dots cleared by [`defuse_real_time_sequences`].
    pub(crate) defused_dots: usize,
}

/// Turns a receipt into the byte stream of one print job: `ESC @`, the items, a feed and a cut.
///
/// Text, images and rules are drawn by `renderer` and sent as raster (code pages have no Vietnamese
/// with stacked diacritics and no CJK); consecutive raster strips are joined before being cut into
/// bands. QR codes use the printer's encoder when [`fits_native_qr`], raster otherwise. Feeds are
/// `ESC d n` (print and feed n lines).
pub(crate) fn encode_receipt(
    renderer: &TextRenderer,
    receipt: &Receipt,
    width_dots: u32,
    band_rows: u16,
) -> (Vec<u8>, EncodeStats) {
    let mut out = INITIALISE.to_vec();
    let mut stats = EncodeStats::default();
    let mut pending = Bitmap::new(width_dots);
    let flush = |pending: &mut Bitmap, out: &mut Vec<u8>, stats: &mut EncodeStats| {
        let (bands, cleared) = append_raster_bands(pending, band_rows, out);
        stats.bands += bands;
        stats.defused_dots += cleared;
        pending.clear();
    };
    for item in &receipt.items {
        match item {
            ReceiptItem::Qr { data, module_dots } if fits_native_qr(data) => {
                flush(&mut pending, &mut out, &mut stats);
                append_qr(data, qr_module_size(data, *module_dots, width_dots), &mut out);
                stats.native_qr += 1;
            }
            ReceiptItem::Feed(lines) => {
                flush(&mut pending, &mut out, &mut stats);
                if *lines > 0 {
                    out.extend_from_slice(&[ESC, b'd', *lines]);
                }
            }
            other => {
                for strip in renderer.render_item(other, width_dots) {
                    pending.push_grey(&strip);
                }
            }
        }
    }
    flush(&mut pending, &mut out, &mut stats);
    out.extend_from_slice(&[ESC, b'd', FEED_BEFORE_CUT]);
    out.extend_from_slice(&[GS, b'V', CUT_PARTIAL_AFTER_FEED, 0]);
    (out, stats)
}

#[cfg(test)]
mod tests {
    use image::Luma;

    use super::*;

    #[test]
    fn fixed_bits_accept_real_status_bytes_and_reject_noise() {
        // Paper fine, near end, out (with near end), offline printer, offline cause "paper end".
        for byte in [0x12, 0x1E, 0x7E, 0x72, 0x1A, 0x32] {
            assert!(has_status_fixed_bits(byte), "{byte:#04x}");
        }
        for byte in [0x00, 0xFF, 0x13, 0x11, 0x92, 0x10, 0x02] {
            assert!(!has_status_fixed_bits(byte), "{byte:#04x}");
        }
    }

    #[test]
    fn roll_paper_bits_map_to_paper_states_with_paper_end_first() {
        assert_eq!(paper_from_roll_status(0x12), PaperStatus::Ok);
        assert_eq!(paper_from_roll_status(0x1E), PaperStatus::NearEnd);
        assert_eq!(paper_from_roll_status(0x16), PaperStatus::NearEnd);
        assert_eq!(paper_from_roll_status(0x72), PaperStatus::Out);
        assert_eq!(paper_from_roll_status(0x7E), PaperStatus::Out);
        assert_eq!(paper_from_roll_status(0x32), PaperStatus::Out);
    }

    #[test]
    fn offline_cause_bits_are_decoded() {
        let cause = OfflineCause::from_byte(0x16);
        assert!(cause.cover_open && !cause.paper_end && !cause.error && !cause.feed_button);
        let cause = OfflineCause::from_byte(0x72);
        assert!(cause.paper_end && cause.error && !cause.cover_open);
        assert!(is_offline(0x1A) && !is_offline(0x12));
    }

    #[test]
    fn grey_strips_pack_msb_first_with_one_for_black() {
        let mut strip = GrayImage::from_pixel(10, 2, Luma([255]));
        strip.put_pixel(0, 0, Luma([0]));
        strip.put_pixel(9, 0, Luma([127]));
        strip.put_pixel(3, 1, Luma([128])); // light grey: not printed
        strip.put_pixel(7, 1, Luma([10]));
        let mut bitmap = Bitmap::new(10);
        bitmap.push_grey(&strip);
        assert_eq!(bitmap.bytes_per_row(), 2);
        assert_eq!(bitmap.data(), &[0x80, 0x40, 0x01, 0x00]);
    }

    #[test]
    fn bands_have_bounded_height_and_correct_headers() {
        let mut bitmap = Bitmap::new(576);
        bitmap.push_grey(&GrayImage::from_pixel(576, 70, Luma([0])));
        let mut out = Vec::new();
        assert_eq!(append_raster_bands(&bitmap, 32, &mut out), (3, 0));
        let row = 72;
        assert_eq!(out.len(), 3 * 8 + 70 * row);
        assert_eq!(&out[..8], &[GS, b'v', b'0', 0, 72, 0, 32, 0]);
        let second = 8 + 32 * row;
        assert_eq!(&out[second..second + 8], &[GS, b'v', b'0', 0, 72, 0, 32, 0]);
        let third = second + 8 + 32 * row;
        assert_eq!(&out[third..third + 8], &[GS, b'v', b'0', 0, 72, 0, 6, 0]);
        assert!(out[third + 8..].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn real_time_sequences_in_raster_data_lose_one_dot_each() {
        let mut data = vec![0x10, 0x04, 0x01, 0x10, 0x05, 0x02, 0x10, 0x14, 0x02, 0x10, 0x10, 0x04, 0x10, 0x20, 0x10];
        let cleared = defuse_real_time_sequences(&mut data);
        assert_eq!(cleared, 4);
        assert_eq!(data, vec![0, 0x04, 0x01, 0, 0x05, 0x02, 0, 0x14, 0x02, 0x10, 0, 0x04, 0x10, 0x20, 0x10]);
        assert!(data.windows(2).all(|w| !(w[0] == DLE && matches!(w[1], EOT | ENQ | DC4))));
    }

    #[test]
    fn qr_commands_follow_the_gs_paren_k_layout() {
        let mut out = Vec::new();
        append_qr("HS-1", 4, &mut out);
        let expected: Vec<u8> = [
            &[ESC, b'a', 1][..],
            &[GS, b'(', b'k', 4, 0, 49, 65, 50, 0],
            &[GS, b'(', b'k', 3, 0, 49, 67, 4],
            &[GS, b'(', b'k', 3, 0, 49, 69, 49],
            &[GS, b'(', b'k', 7, 0, 49, 80, 48, b'H', b'S', b'-', b'1'],
            &[GS, b'(', b'k', 3, 0, 49, 81, 48],
            &[ESC, b'a', 0],
        ]
        .concat();
        assert_eq!(out, expected);
    }

    #[test]
    fn only_short_printable_ascii_goes_to_the_native_qr_encoder() {
        assert!(fits_native_qr("https://dichvucong.gov.vn/tra-cuu?ma=HS-2026-000123"));
        assert!(!fits_native_qr(""));
        assert!(!fits_native_qr("Nguyễn"));
        assert!(!fits_native_qr("a\u{10}\u{4}"));
        assert!(!fits_native_qr(&"A".repeat(MAX_NATIVE_QR_BYTES + 1)));
    }

    #[test]
    fn qr_modules_shrink_to_fit_narrow_paper() {
        let data = "https://dichvucong.gov.vn/tra-cuu?ma=HS-2026-000123";
        let modules = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).unwrap().width() as u32 + 8;
        assert_eq!(qr_module_size(data, 4, 576), 4);
        let shrunk = qr_module_size(data, 16, 384);
        assert!(u32::from(shrunk) * modules <= 384 && u32::from(shrunk + 1) * modules > 384, "{shrunk}");
        assert_eq!(qr_module_size(data, 0, 576), 1);
    }
}
