//! Reading the machine-readable zone from a rectified document image (issue 4 item 2): the TD1 zone
//! of an identity card's back (3 lines of 30) and the TD3 zone of a passport data page (2 of 44).
//!
//! The zone is printed in OCR-B at a fixed pitch of 2.54 mm (ICAO Doc 9303 Part 3 §4), so reading it
//! needs no general OCR: find the lines at the bottom of the document, cut each line into glyphs by
//! its column profile, normalise each glyph into a 20 x 30 cell (one pitch wide, the glyph's height) and take the nearest of 37 templates (`0-9`, `A-Z`, `<`), restricted by what
//! the position may hold (digits in dates and check digits, letters in names and codes; Doc 9303
//! Parts 4 and 5). The result is then validated with the MRZ parser: a zone whose check digits fail
//! is refused, never half-trusted.
//!
//! The templates (`ocrb_templates.png`, one 20 x 30 cell per character in [`ALPHABET`] order) are
//! cut by this very code from the OCR-B font of Debian's `fonts-ocr-b` package (public domain, see
//! `ocrb_templates.LICENSE`); the test `the_committed_templates_match_the_installed_font` checks them
//! and regenerates the file when run with `KIOSK_REGENERATE_OCRB=1`.

use std::sync::OnceLock;

use image::GrayImage;

use super::{histogram_percentile, otsu_threshold};
use crate::idcard::mrz::{Date, Mrz, MrzError};

/// The characters of the zone, in template order.
pub const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
/// Template cell width.
pub const CELL_WIDTH: usize = 20;
/// Template cell height.
pub const CELL_HEIGHT: usize = 30;
const CELL: usize = CELL_WIDTH * CELL_HEIGHT;

static TEMPLATE_PNG: &[u8] = include_bytes!("ocrb_templates.png");

/// Why a zone could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MrzOcrError {
    /// No lines of OCR-B print where the zone should be.
    #[error("no machine-readable zone found at the bottom of the document: place it face down, zone included")]
    NoZone,
    /// The lines found do not make a TD1 (3 x 30) or TD3 (2 x 44) zone.
    #[error(
        "the machine-readable zone has {lines} line(s) of {characters:?} characters, not 3 x 30 (card) or 2 x 44 (passport): rescan the document flat and clean"
    )]
    Shape {
        /// Lines found.
        lines: usize,
        /// Characters found on each.
        characters: Vec<usize>,
    },
    /// A glyph resembles no OCR-B character.
    #[error(
        "character {column} of line {line} of the machine-readable zone is unreadable (smudge or damage): clean the document and rescan it"
    )]
    Unreadable {
        /// Line (from 1).
        line: usize,
        /// Column (from 1).
        column: usize,
    },
    /// The characters read do not make a valid zone: a check digit fails or a field is malformed.
    #[error("the machine-readable zone was misread or is not genuine: {0}")]
    Invalid(#[source] MrzError),
    /// The built-in glyph templates could not be decoded (a build problem).
    #[error("the built-in OCR-B templates are damaged; reinstall the kiosk software")]
    Templates,
}

/// A zone read from an image and validated.
#[derive(Clone)]
pub struct MrzReading {
    /// The lines as read.
    pub lines: Vec<String>,
    /// The parsed, check-digit-validated zone.
    pub mrz: Mrz,
    /// The largest normalised template distance of any character (0 = perfect match; above about
    /// 0.35 the reading is doubtful).
    pub worst_distance: f32,
}

impl std::fmt::Debug for MrzReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The lines are personal data: only the shape and quality go to logs.
        f.debug_struct("MrzReading")
            .field("lines", &self.lines.len())
            .field("mrz", &self.mrz)
            .field("worst_distance", &self.worst_distance)
            .finish()
    }
}

/// Reads and validates the zone of a rectified card back or passport page (600 dpi works best; any
/// resolution where a character is at least about 15 pixels wide does). `today` resolves two-digit
/// years (see [`Mrz::parse`]).
pub fn read_mrz(image: &GrayImage, today: Date) -> Result<MrzReading, MrzOcrError> {
    let (lines, worst_distance) = read_mrz_lines(image)?;
    let mrz = Mrz::parse(&lines, today).map_err(MrzOcrError::Invalid)?;
    Ok(MrzReading { lines, mrz, worst_distance })
}

/// Reads the zone's characters without validating them, with the worst template distance.
pub fn read_mrz_lines(image: &GrayImage) -> Result<(Vec<String>, f32), MrzOcrError> {
    let templates = templates().ok_or(MrzOcrError::Templates)?;
    let lines = find_zone_lines(image)?;
    let format = match lines.iter().map(|l| l.glyphs.len()).collect::<Vec<_>>().as_slice() {
        [30, 30, 30] => Layout::Td1,
        [44, 44] => Layout::Td3,
        counts => return Err(MrzOcrError::Shape { lines: counts.len(), characters: counts.to_vec() }),
    };
    let mut text = Vec::with_capacity(lines.len());
    let mut worst = 0.0f32;
    for (row, line) in lines.iter().enumerate() {
        let mut out = String::with_capacity(line.glyphs.len());
        for (column, cell) in line.glyphs.iter().enumerate() {
            let allowed = format.allowed(row, column);
            let (character, distance) = templates.nearest(cell, allowed);
            if distance > MAX_DISTANCE {
                return Err(MrzOcrError::Unreadable { line: row + 1, column: column + 1 });
            }
            worst = worst.max(distance);
            out.push(character);
        }
        text.push(out);
    }
    Ok((text, worst))
}

/// Above this normalised distance a glyph is not a character.
const MAX_DISTANCE: f32 = 0.6;

/// What a position of the zone may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// `0-9` and `<`.
    Digit,
    /// `A-Z` and `<`.
    Letter,
    /// Any character.
    Any,
}

impl Allowed {
    fn admits(self, character: char) -> bool {
        match self {
            Allowed::Digit => character.is_ascii_digit() || character == '<',
            Allowed::Letter => character.is_ascii_uppercase() || character == '<',
            Allowed::Any => true,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    Td1,
    Td3,
}

impl Layout {
    /// The character class of each position (Doc 9303 Part 5 §4.2.2 for TD1, Part 4 §4.2.2 for TD3).
    fn allowed(self, line: usize, column: usize) -> Allowed {
        use Allowed::{Any, Digit, Letter};
        match (self, line, column) {
            // TD1 upper line: document code, issuing state, number (alphanumeric), its check digit,
            // optional data.
            (Layout::Td1, 0, 0..=4) => Letter,
            (Layout::Td1, 0, 14) => Digit,
            (Layout::Td1, 0, _) => Any,
            // Middle line: birth date and check, sex, expiry and check, nationality, optional data,
            // composite check.
            (Layout::Td1, 1, 0..=6) | (Layout::Td1, 1, 8..=14) | (Layout::Td1, 1, 29) => Digit,
            (Layout::Td1, 1, 7) | (Layout::Td1, 1, 15..=17) => Letter,
            (Layout::Td1, 1, _) => Any,
            // Lower line: the name.
            (Layout::Td1, _, _) => Letter,
            // TD3 upper line: document code, issuing state, name.
            (Layout::Td3, 0, _) => Letter,
            // Lower line: number and check, nationality, birth date and check, sex, expiry and
            // check, personal number and check, composite check.
            (Layout::Td3, _, 9) | (Layout::Td3, _, 13..=19) | (Layout::Td3, _, 21..=27) | (Layout::Td3, _, 42..=43) => {
                Digit
            }
            (Layout::Td3, _, 10..=12) | (Layout::Td3, _, 20) => Letter,
            (Layout::Td3, _, _) => Any,
        }
    }
}

/// One line of the zone: its glyphs normalised into cells.
struct ZoneLine {
    glyphs: Vec<[u8; CELL]>,
}

/// A glyph's ink bounding box within the image.
#[derive(Debug, Clone, Copy)]
struct GlyphBox {
    x0: usize,
    x1: usize,
    top: usize,
    bottom: usize,
}

/// Finds the zone's lines in the lower part of the image and cuts them into normalised glyphs.
fn find_zone_lines(image: &GrayImage) -> Result<Vec<ZoneLine>, MrzOcrError> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < 100 || h < 40 {
        return Err(MrzOcrError::NoZone);
    }
    let raw = image.as_raw();
    // Doc 9303: the TD1 zone takes the bottom 17.78 mm of 53.98 mm, the TD3 zone 23.2 of 88; look in
    // the bottom 45%.
    let band_top = h * 55 / 100;
    let mut histogram = [0u32; 256];
    for &v in &raw[band_top * w..] {
        histogram[usize::from(v)] += 1;
    }
    let threshold = otsu_threshold(&histogram);
    let paper = histogram_percentile(&histogram, 0.9);
    let ink_level = histogram_percentile(&histogram, 0.01);
    if paper.saturating_sub(ink_level) < 40 {
        return Err(MrzOcrError::NoZone);
    }
    let is_ink = |x: usize, y: usize| raw[y * w + x] <= threshold;

    // Rows with ink, grouped into runs: the candidate text lines.
    let min_row_ink = (w / 100).max(3);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut y = band_top;
    while y < h {
        let count = (0..w).filter(|&x| is_ink(x, y)).count();
        if count < min_row_ink {
            y += 1;
            continue;
        }
        let start = y;
        while y < h && (0..w).filter(|&x| is_ink(x, y)).count() >= min_row_ink {
            y += 1;
        }
        runs.push((start, y));
    }

    let mut lines = Vec::new();
    for (top, bottom) in runs {
        let boxes = glyph_boxes(&is_ink, w, top, bottom);
        if boxes.len() >= 20 {
            lines.push(boxes);
        }
    }
    if lines.is_empty() {
        return Err(MrzOcrError::NoZone);
    }
    // The zone is the last two or three lines of glyphs; lines above belong to the visual zone.
    let keep =
        if lines.len() >= 3 && lines[lines.len() - 3..].iter().all(|l| l.len() == 30) { 3 } else { lines.len().min(2) };
    let zone = &lines[lines.len() - keep..];
    Ok(zone.iter().map(|boxes| ZoneLine { glyphs: normalise_line(raw, w, boxes, paper, ink_level) }).collect())
}

/// Cuts the rows `top..bottom` into glyphs by the column profile of ink (OCR-B glyphs never touch at
/// the zone's pitch); tiny specks are dropped.
fn glyph_boxes(is_ink: &impl Fn(usize, usize) -> bool, w: usize, top: usize, bottom: usize) -> Vec<GlyphBox> {
    let mut boxes = Vec::new();
    let mut x = 0;
    let min_ink = ((bottom - top) / 4).max(3);
    while x < w {
        if !(top..bottom).any(|y| is_ink(x, y)) {
            x += 1;
            continue;
        }
        let x0 = x;
        let (mut glyph_top, mut glyph_bottom, mut ink) = (bottom, top, 0usize);
        while x < w && (top..bottom).any(|y| is_ink(x, y)) {
            for y in top..bottom {
                if is_ink(x, y) {
                    ink += 1;
                    glyph_top = glyph_top.min(y);
                    glyph_bottom = glyph_bottom.max(y + 1);
                }
            }
            x += 1;
        }
        if ink >= min_ink {
            boxes.push(GlyphBox { x0, x1: x, top: glyph_top, bottom: glyph_bottom });
        }
    }
    boxes
}

/// Normalises every glyph of a line into a cell: one pitch wide around the glyph's centre, a little
/// taller than the glyph, as darkness 0 (paper) to 255
/// (ink) averaged over the area each cell pixel covers.
fn normalise_line(raw: &[u8], w: usize, boxes: &[GlyphBox], paper: u8, ink: u8) -> Vec<[u8; CELL]> {
    let mut steps: Vec<f32> =
        boxes.windows(2).map(|p| (p[1].x0 + p[1].x1) as f32 / 2.0 - (p[0].x0 + p[0].x1) as f32 / 2.0).collect();
    steps.sort_by(f32::total_cmp);
    let pitch = steps.get(steps.len() / 2).copied().unwrap_or(20.0).max(4.0);
    let h = raw.len() / w;
    let span = f32::from(paper.saturating_sub(ink).max(1));
    boxes
        .iter()
        .map(|b| {
            let centre = (b.x0 + b.x1) as f32 / 2.0;
            let left = centre - pitch / 2.0;
            // Vertically the glyph's own extent: OCR-B digits stand taller than capitals, so a
            // line-wide window would shift with the line's mix of digits and letters.
            let glyph_height = (b.bottom - b.top) as f32;
            let window_top = b.top as f32 - 0.1 * glyph_height;
            let window_height = 1.2 * glyph_height;
            let mut cell = [0u8; CELL];
            for cy in 0..CELL_HEIGHT {
                let y0 = window_top + cy as f32 * window_height / CELL_HEIGHT as f32;
                let y1 = y0 + window_height / CELL_HEIGHT as f32;
                for cx in 0..CELL_WIDTH {
                    let x0 = left + cx as f32 * pitch / CELL_WIDTH as f32;
                    let x1 = x0 + pitch / CELL_WIDTH as f32;
                    let mean = area_mean(raw, w, h, x0, x1, y0, y1);
                    let darkness = ((f32::from(paper) - mean) / span).clamp(0.0, 1.0);
                    cell[cy * CELL_WIDTH + cx] = (darkness * 255.0 + 0.5) as u8;
                }
            }
            cell
        })
        .collect()
}

/// Mean of the pixels whose centres fall in `[x0, x1) x [y0, y1)` (at least the nearest one);
/// outside the image counts as paper (255).
fn area_mean(raw: &[u8], w: usize, h: usize, x0: f32, x1: f32, y0: f32, y1: f32) -> f32 {
    let (xa, xb) = (x0.round() as i64, (x1.round() as i64).max(x0.round() as i64 + 1));
    let (ya, yb) = (y0.round() as i64, (y1.round() as i64).max(y0.round() as i64 + 1));
    let (mut sum, mut n) = (0u32, 0u32);
    for y in ya..yb {
        for x in xa..xb {
            let v =
                if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 { 255 } else { raw[y as usize * w + x as usize] };
            sum += u32::from(v);
            n += 1;
        }
    }
    sum as f32 / n.max(1) as f32
}

/// The glyph templates.
struct Templates {
    cells: Vec<[u8; CELL]>,
}

impl Templates {
    /// The allowed character nearest to `cell` and its normalised distance (root mean square
    /// difference over the cell, 0..1).
    fn nearest(&self, cell: &[u8; CELL], allowed: Allowed) -> (char, f32) {
        let mut best = ('<', f32::MAX);
        for (character, template) in ALPHABET.chars().zip(&self.cells) {
            if !allowed.admits(character) {
                continue;
            }
            let sum: u32 = cell.iter().zip(template).map(|(&a, &b)| u32::from(a.abs_diff(b)).pow(2)).sum();
            let distance = (sum as f32 / CELL as f32).sqrt() / 255.0;
            if distance < best.1 {
                best = (character, distance);
            }
        }
        best
    }

    fn from_png(png: &[u8]) -> Option<Templates> {
        let sheet = image::load_from_memory(png).ok()?.to_luma8();
        let count = ALPHABET.len();
        if sheet.dimensions() != ((CELL_WIDTH * count) as u32, CELL_HEIGHT as u32) {
            return None;
        }
        let cells = (0..count)
            .map(|i| {
                let mut cell = [0u8; CELL];
                for y in 0..CELL_HEIGHT {
                    for x in 0..CELL_WIDTH {
                        cell[y * CELL_WIDTH + x] = sheet.get_pixel((i * CELL_WIDTH + x) as u32, y as u32).0[0];
                    }
                }
                cell
            })
            .collect();
        Some(Templates { cells })
    }
}

fn templates() -> Option<&'static Templates> {
    static TEMPLATES: OnceLock<Option<Templates>> = OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::from_png(TEMPLATE_PNG)).as_ref()
}

/// Cuts the template sheet from an image of [`ALPHABET`] printed as one MRZ line (what the
/// regeneration test feeds it from the OCR-B font). `None` when the line does not cut into exactly
/// 37 glyphs.
pub fn template_sheet_from_line(image: &GrayImage) -> Option<GrayImage> {
    let lines = find_zone_lines(image).ok()?;
    let line = lines.last()?;
    if line.glyphs.len() != ALPHABET.len() {
        return None;
    }
    let mut sheet = GrayImage::new((CELL_WIDTH * ALPHABET.len()) as u32, CELL_HEIGHT as u32);
    for (i, cell) in line.glyphs.iter().enumerate() {
        for y in 0..CELL_HEIGHT {
            for x in 0..CELL_WIDTH {
                sheet.put_pixel((i * CELL_WIDTH + x) as u32, y as u32, image::Luma([cell[y * CELL_WIDTH + x]]));
            }
        }
    }
    Some(sheet)
}

#[cfg(test)]
#[path = "mrz_ocr_tests.rs"]
mod tests;
