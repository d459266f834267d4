//! Identity-card capture quality (issue 4 item 1): find the card in a camera frame or a scan,
//! rectify it, measure it and give one guidance hint.
//!
//! How a frame is looked at:
//! 1. **Detection on a small copy.** The frame is shrunk to about 320 px wide with `fast_image_resize`;
//!    the background colour is the median of the frame's border ring and every pixel far enough from
//!    it (by more than the border's own spread) is card. The largest connected region is the card;
//!    its four corners come from the extreme points along the diagonals and its edges from straight
//!    lines fitted through the region's outline between them.
//! 2. **Refinement on the full frame.** Each edge is searched again along its normal at full
//!    resolution for the strongest colour step and refitted, so the corners land within a pixel or
//!    two of the truth.
//! 3. **Measurements.** The card must be ID-1 shaped (ISO/IEC 7810: 85.60 x 53.98 mm, corners near
//!    90°), inside the frame with a margin, and big enough. Its inside is rectified to a 200-dpi luma
//!    image (a third of the 600-dpi output, about the camera's own resolution at a good distance) on
//!    which sharpness (variance of the Laplacian), glare (fraction blown out in whole millimetres)
//!    and exposure
//!    (5th and 95th luma percentiles) are measured and the side is recognised (front: a portrait
//!    photo's large dark areas; back: full-width machine-readable-zone lines).
//! 4. **Verdict.** The first failed check, in the order a citizen can fix them, gives the hint.
//!    [`DocumentTracker`] adds stability over successive frames (`hold_still`).
//!
//! The 600-dpi, 2022 x 1275 colour crop for the dossier and the MRZ reader is made once, for the
//! accepted frame, by [`rectify`].
//!
//! The side recognition is tuned on the 2021 chip-based citizen identity card layout (photo at left
//! on the front, MRZ at the bottom of the back); check it on real cards before relying on it.

use fast_image_resize::{self as fr, images::Image as FrImage};
use image::RgbImage;
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use serde::{Deserialize, Serialize};

use super::{Verdict, histogram_percentile, laplacian_variance, luma};

/// Width of the rectified card at 600 dpi (85.60 mm).
pub const CARD_WIDTH_600DPI: u32 = 2022;
/// Height of the rectified card at 600 dpi (53.98 mm).
pub const CARD_HEIGHT_600DPI: u32 = 1275;
/// ID-1 aspect ratio, ISO/IEC 7810: 85.60 / 53.98.
pub const ID1_ASPECT: f64 = 85.60 / 53.98;

/// Width of the small copy the card is detected on.
const DETECTION_WIDTH: u32 = 320;
/// The analysis image is the card at 200 dpi (a third of 600 dpi).
const ANALYSIS_WIDTH: u32 = CARD_WIDTH_600DPI / 3;
const ANALYSIS_HEIGHT: u32 = CARD_HEIGHT_600DPI / 3;
/// Border of the card left out of the measurements: the rounded corners (3.18 mm radius) and the
/// edge, where the desk shows through the rectification.
const ANALYSIS_MARGIN: u32 = 12;
/// How far the apparent aspect ratio may stray from ID-1 (perspective changes it a little).
const ASPECT_TOLERANCE: f64 = 0.25;

/// `[capture.document]`: when a card capture is good enough. Defaults suit the 1280 x 720 kiosk
/// camera and a 600-dpi scanner.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentThresholds {
    /// Least variance of the Laplacian on the 200-dpi card image (sharp print gives several
    /// hundred; a defocused card tens).
    pub min_sharpness: f64,
    /// Largest fraction of the card that may be blown out by a reflection.
    pub max_glare_fraction: f64,
    /// Luma from which a pixel counts as blown out.
    pub saturation_luma: u8,
    /// The card's paper (95th luma percentile) must be at least this bright, else `too_dark`.
    pub min_bright_percentile: u8,
    /// The card's print (5th luma percentile) must be at most this bright, else `too_bright`.
    pub max_dark_percentile: u8,
    /// Least fraction of the frame the card must fill (a camera at 1280 x 720 needs about a
    /// fifth to resolve the print), else `move_closer`.
    pub min_card_area_fraction: f64,
    /// Largest departure of a card corner from 90°, in degrees (how much the card may lean away
    /// from the camera), else `hold_card_flat`.
    pub max_tilt_deg: f64,
    /// Successive frames the card must stay put before the capture is taken.
    pub stable_frames: u32,
    /// How far a corner may move between two frames and still count as still, as a fraction of the
    /// card's width.
    pub max_motion_fraction: f64,
}

impl Default for DocumentThresholds {
    fn default() -> Self {
        DocumentThresholds {
            min_sharpness: 60.0,
            max_glare_fraction: 0.015,
            saturation_luma: 253,
            min_bright_percentile: 120,
            max_dark_percentile: 150,
            min_card_area_fraction: 0.18,
            max_tilt_deg: 12.0,
            stable_frames: 3,
            max_motion_fraction: 0.01,
        }
    }
}

impl DocumentThresholds {
    /// Checks the ranges; the error names the key and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, reason: &str| Err((key.to_owned(), reason.to_owned()));
        if !(self.min_sharpness.is_finite() && self.min_sharpness >= 0.0) {
            return fail("min_sharpness", "must be a number of 0 or more (variance of the Laplacian)");
        }
        if !(0.0..=1.0).contains(&self.max_glare_fraction) {
            return fail("max_glare_fraction", "must be a fraction between 0 and 1");
        }
        if self.saturation_luma < 128 {
            return fail("saturation_luma", "must be between 128 and 255");
        }
        if self.max_dark_percentile >= self.min_bright_percentile.saturating_add(100) {
            return fail(
                "max_dark_percentile",
                "leaves no room for a normal exposure; keep it below min_bright_percentile + 100",
            );
        }
        if !(self.min_card_area_fraction > 0.0 && self.min_card_area_fraction < 1.0) {
            return fail("min_card_area_fraction", "must be a fraction between 0 and 1 (exclusive)");
        }
        if !(self.max_tilt_deg > 0.0 && self.max_tilt_deg <= 45.0) {
            return fail("max_tilt_deg", "must be between 0 and 45 degrees");
        }
        if !(1..=60).contains(&self.stable_frames) {
            return fail("stable_frames", "must be between 1 and 60 frames");
        }
        if !(self.max_motion_fraction > 0.0 && self.max_motion_fraction < 0.5) {
            return fail("max_motion_fraction", "must be a fraction between 0 and 0.5 of the card width");
        }
        Ok(())
    }
}

/// A point in frame pixels (x right, y down; the frame spans 0..width, 0..height).
pub type Point = (f32, f32);

/// Which side of the card faces the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The portrait side.
    Front,
    /// The machine-readable-zone side.
    Back,
    /// Neither could be recognised.
    Unknown,
}

/// What was measured on one frame. Fields that need a card are `None` when none was found (or it
/// was cut off by the frame edge).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentMeasurements {
    /// Frame size in pixels.
    pub frame_size: (u32, u32),
    /// Card corners in frame pixels: top-left, top-right, bottom-right, bottom-left.
    pub corners: Option<[Point; 4]>,
    /// Whether the whole card is inside the frame with a margin.
    pub in_frame: bool,
    /// Fraction of the frame the card covers.
    pub card_area_fraction: f64,
    /// Largest departure of a corner from 90°, in degrees.
    pub tilt_deg: f64,
    /// In-plane rotation of the card's bottom edge, in degrees (clockwise).
    pub rotation_deg: f64,
    /// Apparent width / height of the card.
    pub aspect: f64,
    /// Variance of the Laplacian on the 200-dpi card image.
    pub sharpness: Option<f64>,
    /// Fraction of the card blown out by reflections (in 1-mm blocks).
    pub glare_fraction: Option<f64>,
    /// 5th luma percentile of the card (its print).
    pub luma_p05: Option<u8>,
    /// 95th luma percentile of the card (its paper).
    pub luma_p95: Option<u8>,
    /// Which side faces the camera.
    pub side: Side,
}

/// Measurements of a frame and the verdict on it alone (no stability: see [`DocumentTracker`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentAnalysis {
    /// What was measured.
    pub measurements: DocumentMeasurements,
    /// Whether this frame is good and the one hint.
    pub verdict: Verdict,
}

/// The document hints, in the order they are checked.
pub mod hints {
    use super::Verdict;

    /// No card in the frame.
    pub const CARD_NOT_FOUND: Verdict = Verdict::reject(
        "card_not_found",
        "Không tìm thấy thẻ. Hãy đặt thẻ vào giữa khung hình.",
        "No card found. Hold your card in the middle of the frame.",
    );
    /// Part of the card is outside the frame.
    pub const FIT_CARD_IN_FRAME: Verdict = Verdict::reject(
        "fit_card_in_frame",
        "Hãy đưa toàn bộ thẻ vào trong khung hình.",
        "Fit the whole card inside the frame.",
    );
    /// The card is too small in the frame.
    pub const MOVE_CLOSER: Verdict =
        Verdict::reject("move_closer", "Hãy đưa thẻ lại gần camera hơn.", "Move the card closer to the camera.");
    /// The card leans away from the camera.
    pub const HOLD_CARD_FLAT: Verdict = Verdict::reject(
        "hold_card_flat",
        "Hãy giữ thẻ thẳng, mặt thẻ hướng thẳng vào camera.",
        "Hold the card flat, facing the camera.",
    );
    /// Underexposed.
    pub const TOO_DARK: Verdict = Verdict::reject(
        "too_dark",
        "Ảnh quá tối. Hãy đưa thẻ vào vùng có đèn chiếu sáng.",
        "Too dark. Hold the card under the light.",
    );
    /// Overexposed.
    pub const TOO_BRIGHT: Verdict = Verdict::reject(
        "too_bright",
        "Ảnh quá sáng. Hãy đưa thẻ ra xa nguồn sáng.",
        "Too bright. Move the card away from the light.",
    );
    /// A reflection hides part of the card.
    pub const AVOID_REFLECTIONS: Verdict = Verdict::reject(
        "avoid_reflections",
        "Thẻ bị lóa. Hãy nghiêng nhẹ thẻ để tránh ánh phản chiếu.",
        "Glare on the card. Tilt it slightly to avoid reflections.",
    );
    /// Out of focus or moving.
    pub const BLURRY: Verdict = Verdict::reject(
        "blurry",
        "Ảnh bị mờ. Hãy giữ yên thẻ để camera lấy nét.",
        "The picture is blurred. Hold the card still so the camera can focus.",
    );
    /// Good, but the card has not been still long enough.
    pub const HOLD_STILL: Verdict = Verdict::reject("hold_still", "Hãy giữ yên thẻ.", "Hold the card still.");
    /// Good.
    pub const OK: Verdict = Verdict::accept("ok", "Ảnh thẻ đạt yêu cầu.", "The card picture is good.");
}

/// Looks at frames; holds scratch buffers so that successive frames of the same size allocate
/// nothing. The result depends only on the frame and the thresholds.
pub struct DocumentAnalyzer {
    thresholds: DocumentThresholds,
    resizer: fr::Resizer,
    small: Option<FrImage<'static>>,
    distance: Vec<u8>,
    labels: Vec<u32>,
    stack: Vec<u32>,
    ring: Vec<usize>,
    ring_size: (usize, usize),
    card: Vec<u8>,
}

impl std::fmt::Debug for DocumentAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentAnalyzer").field("thresholds", &self.thresholds).finish_non_exhaustive()
    }
}

impl DocumentAnalyzer {
    /// An analyzer judging by `thresholds`.
    pub fn new(thresholds: DocumentThresholds) -> Self {
        DocumentAnalyzer {
            thresholds,
            resizer: fr::Resizer::new(),
            small: None,
            distance: Vec::new(),
            labels: Vec::new(),
            stack: Vec::new(),
            ring: Vec::new(),
            ring_size: (0, 0),
            card: vec![0; ((ANALYSIS_WIDTH - 2 * ANALYSIS_MARGIN) * (ANALYSIS_HEIGHT - 2 * ANALYSIS_MARGIN)) as usize],
        }
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> &DocumentThresholds {
        &self.thresholds
    }

    /// Measures one frame (camera frame or scan) and judges it on its own.
    pub fn analyze(&mut self, frame: &RgbImage) -> DocumentAnalysis {
        let mut m = DocumentMeasurements {
            frame_size: frame.dimensions(),
            corners: None,
            in_frame: false,
            card_area_fraction: 0.0,
            tilt_deg: 0.0,
            rotation_deg: 0.0,
            aspect: 0.0,
            sharpness: None,
            glare_fraction: None,
            luma_p05: None,
            luma_p95: None,
            side: Side::Unknown,
        };
        let Some(region) = self.find_card_region(frame) else {
            return DocumentAnalysis { measurements: m, verdict: hints::CARD_NOT_FOUND };
        };
        let corners = match region.touches_border {
            true => region.corners,
            false => refine_corners(frame, region.corners, region.scale),
        };
        let shape = Shape::of(&corners);
        m.corners = Some(corners);
        m.card_area_fraction = shape.area / (f64::from(frame.width()) * f64::from(frame.height()));
        m.tilt_deg = shape.tilt_deg;
        m.rotation_deg = shape.rotation_deg;
        m.aspect = shape.aspect;
        m.in_frame = !region.touches_border && inside_with_margin(&corners, frame.dimensions());
        if !m.in_frame {
            return DocumentAnalysis { measurements: m, verdict: hints::FIT_CARD_IN_FRAME };
        }
        if !shape.is_convex {
            m.corners = None;
            return DocumentAnalysis { measurements: m, verdict: hints::CARD_NOT_FOUND };
        }
        // A card leaning far back no longer looks ID-1 shaped: say so before judging the shape.
        if m.card_area_fraction < self.thresholds.min_card_area_fraction {
            return DocumentAnalysis { measurements: m, verdict: hints::MOVE_CLOSER };
        }
        if m.tilt_deg > self.thresholds.max_tilt_deg {
            return DocumentAnalysis { measurements: m, verdict: hints::HOLD_CARD_FLAT };
        }
        if (shape.aspect / ID1_ASPECT - 1.0).abs() > ASPECT_TOLERANCE {
            m.corners = None;
            return DocumentAnalysis { measurements: m, verdict: hints::CARD_NOT_FOUND };
        }
        if let Some(stats) = self.measure_card(frame, &corners) {
            m.sharpness = Some(stats.sharpness);
            m.glare_fraction = Some(stats.glare_fraction);
            m.luma_p05 = Some(stats.p05);
            m.luma_p95 = Some(stats.p95);
            m.side = stats.side;
        }
        let verdict = self.judge(&m);
        DocumentAnalysis { measurements: m, verdict }
    }

    /// The first failed check, in the order a citizen can fix them.
    fn judge(&self, m: &DocumentMeasurements) -> Verdict {
        let t = &self.thresholds;
        if m.card_area_fraction < t.min_card_area_fraction {
            return hints::MOVE_CLOSER;
        }
        if m.tilt_deg > t.max_tilt_deg {
            return hints::HOLD_CARD_FLAT;
        }
        let (Some(p05), Some(p95), Some(glare), Some(sharpness)) =
            (m.luma_p05, m.luma_p95, m.glare_fraction, m.sharpness)
        else {
            return hints::CARD_NOT_FOUND;
        };
        if p95 < t.min_bright_percentile {
            return hints::TOO_DARK;
        }
        if p05 > t.max_dark_percentile {
            return hints::TOO_BRIGHT;
        }
        if glare > t.max_glare_fraction {
            return hints::AVOID_REFLECTIONS;
        }
        if sharpness < t.min_sharpness {
            return hints::BLURRY;
        }
        hints::OK
    }

    /// Step 1: the card's region and rough corners on the small copy, in frame pixels.
    fn find_card_region(&mut self, frame: &RgbImage) -> Option<Region> {
        let (fw, fh) = frame.dimensions();
        if fw < 16 || fh < 16 {
            return None;
        }
        let sw = DETECTION_WIDTH.min(fw);
        let sh = ((u64::from(fh) * u64::from(sw)) / u64::from(fw)).max(8) as u32;
        let small = match &mut self.small {
            Some(image) if image.width() == sw && image.height() == sh => image,
            slot => slot.insert(FrImage::new(sw, sh, fr::PixelType::U8x3)),
        };
        let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box));
        self.resizer.resize(frame, small, &options).ok()?;
        let pixels = small.buffer();
        let (w, h) = (sw as usize, sh as usize);

        // Background: the median colour of the border ring, and how much the ring itself varies.
        if self.ring_size != (w, h) {
            self.ring = border_ring(w, h);
            self.ring_size = (w, h);
        }
        let ring = &self.ring;
        let mut channels = [[0u32; 256]; 3];
        for &i in ring {
            for c in 0..3 {
                channels[c][usize::from(pixels[i * 3 + c])] += 1;
            }
        }
        let background = channels.map(|histogram| histogram_percentile(&histogram, 0.5));
        let distance_of = |i: usize| (0..3).map(|c| pixels[i * 3 + c].abs_diff(background[c])).max().unwrap_or(0);
        let mut spread = [0u32; 256];
        for &i in ring {
            spread[usize::from(distance_of(i))] += 1;
        }
        // The 75th percentile, not a higher one: a card cut off by the frame edge is part of the ring.
        // The margin above it keeps the card's own shadow on the desk out.
        let threshold = (u32::from(histogram_percentile(&spread, 0.75)) * 3 + 16).clamp(20, 64) as u8;
        self.distance.clear();
        self.distance.extend((0..w * h).map(distance_of));

        let component = largest_component(&self.distance, threshold, w, h, &mut self.labels, &mut self.stack)?;
        if component.area < w * h / 100 {
            return None;
        }
        let scale = fw as f32 / sw as f32;
        let scale_y = fh as f32 / sh as f32;
        let corners = outline_corners(&self.labels, component.label, w, h)?;
        let corners = corners.map(|(x, y)| (x * scale, y * scale_y));
        Some(Region { corners, touches_border: component.touches_border, scale })
    }

    /// Step 3: rectify the inside of the card to 200 dpi luma and measure it.
    fn measure_card(&mut self, frame: &RgbImage, corners: &[Point; 4]) -> Option<CardStats> {
        let (aw, ah) = (ANALYSIS_WIDTH as f32, ANALYSIS_HEIGHT as f32);
        let grid = [(0.0, 0.0), (aw, 0.0), (aw, ah), (0.0, ah)];
        let to_frame = Projection::from_control_points(grid, *corners)?;
        let (cw, ch) =
            ((ANALYSIS_WIDTH - 2 * ANALYSIS_MARGIN) as usize, (ANALYSIS_HEIGHT - 2 * ANALYSIS_MARGIN) as usize);
        let margin = ANALYSIS_MARGIN as f32;
        let (fw, fh) = (frame.width() as usize, frame.height() as usize);
        let raw = frame.as_raw().as_slice();
        let mut histogram = [0u32; 256];
        for (v, row) in self.card.chunks_exact_mut(cw).enumerate().take(ch) {
            for (u, out) in row.iter_mut().enumerate() {
                let (x, y) = to_frame * (u as f32 + margin + 0.5, v as f32 + margin + 0.5);
                let value = sample_luma(raw, fw, fh, x - 0.5, y - 0.5);
                *out = value;
                histogram[usize::from(value)] += 1;
            }
        }
        let card = &self.card[..cw * ch];
        let p05 = histogram_percentile(&histogram, 0.05);
        let p95 = histogram_percentile(&histogram, 0.95);
        Some(CardStats {
            sharpness: laplacian_variance(card, cw, ch),
            glare_fraction: blown_out_fraction(card, cw, ch, self.thresholds.saturation_luma),
            p05,
            p95,
            side: classify_side(card, cw, ch, p05, p95),
        })
    }
}

/// Fraction of the card in 8 x 8 blocks (1 mm at 200 dpi) that are blown out, at least 95% of
/// their pixels at `saturation` or above. A reflection blows out whole millimetres; printed white
/// (a QR code's light modules, the MRZ band) is interrupted by print or keeps some texture.
fn blown_out_fraction(card: &[u8], w: usize, h: usize, saturation: u8) -> f64 {
    const BLOCK: usize = 8;
    let (bw, bh) = (w / BLOCK, h / BLOCK);
    if bw == 0 || bh == 0 {
        return 0.0;
    }
    let mut blown = 0usize;
    for by in 0..bh {
        for bx in 0..bw {
            let bright: usize = (0..BLOCK)
                .map(|dy| {
                    let start = (by * BLOCK + dy) * w + bx * BLOCK;
                    card[start..start + BLOCK].iter().filter(|&&v| v >= saturation).count()
                })
                .sum();
            blown += usize::from(bright * 100 >= BLOCK * BLOCK * 95);
        }
    }
    blown as f64 / (bw * bh) as f64
}

struct Region {
    corners: [Point; 4],
    touches_border: bool,
    scale: f32,
}

struct CardStats {
    sharpness: f64,
    glare_fraction: f64,
    p05: u8,
    p95: u8,
    side: Side,
}

/// Indices of the pixels in the two-pixel ring along the image border.
fn border_ring(w: usize, h: usize) -> Vec<usize> {
    let mut ring = Vec::with_capacity(4 * (w + h));
    for y in 0..h {
        for x in 0..w {
            if x < 2 || y < 2 || x + 2 >= w || y + 2 >= h {
                ring.push(y * w + x);
            }
        }
    }
    ring
}

struct Component {
    label: u32,
    area: usize,
    touches_border: bool,
}

/// Labels 4-connected regions of pixels whose distance exceeds `threshold` and returns the largest.
fn largest_component(
    distance: &[u8],
    threshold: u8,
    w: usize,
    h: usize,
    labels: &mut Vec<u32>,
    stack: &mut Vec<u32>,
) -> Option<Component> {
    labels.clear();
    labels.resize(w * h, 0);
    let mut best: Option<Component> = None;
    let mut next = 0u32;
    for start in 0..w * h {
        if labels[start] != 0 || distance[start] <= threshold {
            continue;
        }
        next += 1;
        let (mut area, mut touches_border) = (0usize, false);
        labels[start] = next;
        stack.clear();
        stack.push(start as u32);
        while let Some(i) = stack.pop() {
            let i = i as usize;
            area += 1;
            let (x, y) = (i % w, i / w);
            touches_border |= x == 0 || y == 0 || x + 1 == w || y + 1 == h;
            let mut visit = |j: usize| {
                if labels[j] == 0 && distance[j] > threshold {
                    labels[j] = next;
                    stack.push(j as u32);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        if best.as_ref().is_none_or(|b| area > b.area) {
            best = Some(Component { label: next, area, touches_border });
        }
    }
    best
}

/// Corners of a labelled region: rough ones from the extreme points along the diagonals (good for
/// in-plane rotations up to about 30°), then each side's outline points between them fitted by a
/// straight line, and the lines intersected. Coordinates are in small-image pixels.
fn outline_corners(labels: &[u32], label: u32, w: usize, h: usize) -> Option<[Point; 4]> {
    let (mut tl, mut tr, mut br, mut bl) = ((0usize, 0usize), (0, 0), (0, 0), (0, 0));
    let (mut min_sum, mut max_sum, mut min_diff, mut max_diff) = (i64::MAX, i64::MIN, i64::MAX, i64::MIN);
    for y in 0..h {
        for x in 0..w {
            if labels[y * w + x] != label {
                continue;
            }
            let (sum, diff) = ((x + y) as i64, x as i64 - y as i64);
            if sum < min_sum {
                (min_sum, tl) = (sum, (x, y));
            }
            if sum > max_sum {
                (max_sum, br) = (sum, (x, y));
            }
            if diff > max_diff {
                (max_diff, tr) = (diff, (x, y));
            }
            if diff < min_diff {
                (min_diff, bl) = (diff, (x, y));
            }
        }
    }
    let inside = |x: usize, y: usize| labels[y * w + x] == label;
    // Outline points of each side, from its middle 80% (the rounded card corners stay out).
    let span = |a: usize, b: usize| {
        let (lo, hi) = (a.min(b) as f32, a.max(b) as f32);
        let margin = (hi - lo) * 0.1;
        ((lo + margin).ceil() as usize, (hi - margin).floor() as usize)
    };
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    let (x0, x1) = span(tl.0.max(bl.0), tr.0.min(br.0));
    for x in x0..=x1.min(w - 1) {
        if let Some(y) = (0..h).find(|&y| inside(x, y)) {
            top.push((x as f32 + 0.5, y as f32));
        }
        if let Some(y) = (0..h).rev().find(|&y| inside(x, y)) {
            bottom.push((x as f32 + 0.5, y as f32 + 1.0));
        }
    }
    let mut left = Vec::new();
    let mut right = Vec::new();
    let (y0, y1) = span(tl.1.max(tr.1), bl.1.min(br.1));
    for y in y0..=y1.min(h - 1) {
        if let Some(x) = (0..w).find(|&x| inside(x, y)) {
            left.push((x as f32, y as f32 + 0.5));
        }
        if let Some(x) = (0..w).rev().find(|&x| inside(x, y)) {
            right.push((x as f32 + 1.0, y as f32 + 0.5));
        }
    }
    let lines = [fit_line(&top)?, fit_line(&right)?, fit_line(&bottom)?, fit_line(&left)?];
    Some([
        intersect(&lines[3], &lines[0])?,
        intersect(&lines[0], &lines[1])?,
        intersect(&lines[1], &lines[2])?,
        intersect(&lines[2], &lines[3])?,
    ])
}

/// A straight line through `point` along the unit vector `direction`.
#[derive(Debug, Clone, Copy)]
struct Line {
    point: Point,
    direction: Point,
}

/// Total-least-squares line through points, refitted once without the points far from the first fit.
fn fit_line(points: &[Point]) -> Option<Line> {
    let first = fit_line_once(points.iter().copied())?;
    let mut residuals: Vec<f32> = points.iter().map(|p| distance_to(&first, *p)).collect();
    residuals.sort_by(f32::total_cmp);
    let limit = (residuals[residuals.len() / 2] * 3.0).max(1.0);
    let kept = points.iter().copied().filter(|p| distance_to(&first, *p) <= limit);
    fit_line_once(kept).or(Some(first))
}

fn fit_line_once(points: impl Iterator<Item = Point> + Clone) -> Option<Line> {
    let n = points.clone().count();
    if n < 2 {
        return None;
    }
    let (sx, sy) = points.clone().fold((0.0f64, 0.0f64), |(sx, sy), (x, y)| (sx + f64::from(x), sy + f64::from(y)));
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
    for (x, y) in points {
        let (dx, dy) = (f64::from(x) - mx, f64::from(y) - my);
        xx += dx * dx;
        xy += dx * dy;
        yy += dy * dy;
    }
    // Direction of the largest eigenvector of the scatter matrix.
    let angle = 0.5 * (2.0 * xy).atan2(xx - yy);
    Some(Line { point: (mx as f32, my as f32), direction: (angle.cos() as f32, angle.sin() as f32) })
}

fn distance_to(line: &Line, p: Point) -> f32 {
    let (dx, dy) = (p.0 - line.point.0, p.1 - line.point.1);
    (dx * line.direction.1 - dy * line.direction.0).abs()
}

fn intersect(a: &Line, b: &Line) -> Option<Point> {
    let cross = a.direction.0 * b.direction.1 - a.direction.1 * b.direction.0;
    if cross.abs() < 1e-3 {
        return None;
    }
    let (dx, dy) = (b.point.0 - a.point.0, b.point.1 - a.point.1);
    let t = (dx * b.direction.1 - dy * b.direction.0) / cross;
    Some((a.point.0 + t * a.direction.0, a.point.1 + t * a.direction.1))
}

/// Step 2: each edge searched again at full resolution along its normal for the strongest colour
/// step, refitted, and the corners recomputed. Keeps the rough corners when a refit fails.
fn refine_corners(frame: &RgbImage, rough: [Point; 4], scale: f32) -> [Point; 4] {
    let center = rough.iter().fold((0.0, 0.0), |c, p| (c.0 + p.0 / 4.0, c.1 + p.1 / 4.0));
    // The small copy's outline may sit a few of its pixels off (shadow, blur): search that far.
    let reach = (scale * 3.0 + 3.0).round() as i32;
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let raw = frame.as_raw().as_slice();
    let mut lines = Vec::with_capacity(4);
    for side in 0..4 {
        let (a, b) = (rough[side], rough[(side + 1) % 4]);
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        if length < 4.0 {
            return rough;
        }
        let along = ((b.0 - a.0) / length, (b.1 - a.1) / length);
        let mut normal = (-along.1, along.0);
        let middle = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        if (middle.0 - center.0) * normal.0 + (middle.1 - center.1) * normal.1 < 0.0 {
            normal = (-normal.0, -normal.1);
        }
        let samples = 40;
        let mut points = Vec::with_capacity(samples);
        let mut profile = vec![0.0f32; (2 * reach + 3) as usize];
        for k in 0..samples {
            let t = 0.1 + 0.8 * k as f32 / (samples - 1) as f32;
            let base = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            for (i, value) in profile.iter_mut().enumerate() {
                let s = i as f32 - reach as f32 - 1.0;
                *value = sample_sum(raw, w, h, base.0 + s * normal.0 - 0.5, base.1 + s * normal.1 - 0.5);
            }
            let gradient = |i: usize| (profile[i + 1] - profile[i - 1]).abs();
            let Some(best) = (1..profile.len() - 1).max_by(|&i, &j| gradient(i).total_cmp(&gradient(j))) else {
                continue;
            };
            if gradient(best) < 24.0 {
                continue;
            }
            // Sub-pixel: the vertex of the parabola through the gradient around its peak. The step
            // lies between samples best-1 and best+1, so the edge is at best (plus the offset).
            let offset = if best > 1 && best + 2 < profile.len() {
                let (g0, g1, g2) = (gradient(best - 1), gradient(best), gradient(best + 1));
                let denominator = g0 - 2.0 * g1 + g2;
                if denominator.abs() > 1e-3 { (0.5 * (g0 - g2) / denominator).clamp(-0.5, 0.5) } else { 0.0 }
            } else {
                0.0
            };
            let s = best as f32 + offset - reach as f32 - 1.0;
            points.push((base.0 + s * normal.0, base.1 + s * normal.1));
        }
        match (points.len() >= samples / 3).then(|| fit_line(&points)).flatten() {
            Some(line) => lines.push(line),
            None => return rough,
        }
    }
    let mut corners = rough;
    for (i, corner) in corners.iter_mut().enumerate() {
        match intersect(&lines[(i + 3) % 4], &lines[i]) {
            Some(point) => *corner = point,
            None => return rough,
        }
    }
    corners
}

/// Bilinear sample of the sum of the three channels at pixel-index coordinates (clamped).
#[inline]
fn sample_sum(raw: &[u8], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let at = |xi: usize, yi: usize| {
        let i = (yi * w + xi) * 3;
        f32::from(raw[i]) + f32::from(raw[i + 1]) + f32::from(raw[i + 2])
    };
    bilinear(w, h, x, y, at)
}

/// Bilinear sample of luma at pixel-index coordinates (clamped).
#[inline]
fn sample_luma(raw: &[u8], w: usize, h: usize, x: f32, y: f32) -> u8 {
    let at = |xi: usize, yi: usize| {
        let i = (yi * w + xi) * 3;
        f32::from(luma(raw[i], raw[i + 1], raw[i + 2]))
    };
    (bilinear(w, h, x, y, at) + 0.5) as u8
}

#[inline]
fn bilinear(w: usize, h: usize, x: f32, y: f32, at: impl Fn(usize, usize) -> f32) -> f32 {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Geometry of a quadrilateral TL, TR, BR, BL.
struct Shape {
    area: f64,
    tilt_deg: f64,
    rotation_deg: f64,
    aspect: f64,
    is_convex: bool,
}

impl Shape {
    fn of(corners: &[Point; 4]) -> Shape {
        let p = corners.map(|(x, y)| (f64::from(x), f64::from(y)));
        let mut area = 0.0;
        let mut tilt: f64 = 0.0;
        let mut signs = [false; 4];
        for i in 0..4 {
            let (a, b, c) = (p[(i + 3) % 4], p[i], p[(i + 1) % 4]);
            area += b.0 * c.1 - c.0 * b.1;
            let (u, v) = ((a.0 - b.0, a.1 - b.1), (c.0 - b.0, c.1 - b.1));
            let cross = u.0 * v.1 - u.1 * v.0;
            signs[i] = cross > 0.0;
            let angle = cross.abs().atan2(u.0 * v.0 + u.1 * v.1).to_degrees();
            tilt = tilt.max((angle - 90.0).abs());
        }
        let length = |a: (f64, f64), b: (f64, f64)| ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let widths = length(p[0], p[1]) + length(p[3], p[2]);
        let heights = length(p[0], p[3]) + length(p[1], p[2]);
        Shape {
            area: area.abs() / 2.0,
            tilt_deg: tilt,
            rotation_deg: (p[2].1 - p[3].1).atan2(p[2].0 - p[3].0).to_degrees(),
            aspect: if heights > 0.0 { widths / heights } else { 0.0 },
            is_convex: signs.iter().all(|&s| s == signs[0]),
        }
    }
}

/// Whether every corner lies inside the frame, at least 0.5% of the frame's width from its edges.
fn inside_with_margin(corners: &[Point; 4], (w, h): (u32, u32)) -> bool {
    let margin = w as f32 * 0.005;
    corners.iter().all(|&(x, y)| x >= margin && y >= margin && x <= w as f32 - margin && y <= h as f32 - margin)
}

/// Front or back from the content of the 200-dpi card image (without its margin).
///
/// Back: at least two full-width lines of small print in the lower part, as a machine-readable
/// zone's lines are (ICAO Doc 9303 Part 5: the TD1 zone spans the card's width at its bottom).
/// Front: large dark areas where the portrait is (hair, clothing), which text never makes.
fn classify_side(card: &[u8], w: usize, h: usize, p05: u8, p95: u8) -> Side {
    let ink = ((u16::from(p05) + u16::from(p95)) / 2) as u8;
    let mrz_lines = count_full_width_lines(card, w, h, ink);
    let photo = dark_block_fraction(card, w, h);
    match (mrz_lines >= 2, photo >= 0.08) {
        (true, false) => Side::Back,
        (false, true) => Side::Front,
        _ => Side::Unknown,
    }
}

/// Lines of print in the lower 38% of the card that run across at least 85% of its width without a
/// gap wider than 4% of it.
fn count_full_width_lines(card: &[u8], w: usize, h: usize, ink: u8) -> usize {
    let start = h * 62 / 100;
    let min_dark = w * 3 / 100;
    let mut lines = 0;
    let mut y = start;
    let mut columns = vec![false; w];
    while y < h {
        let dark_in = |y: usize| card[y * w..(y + 1) * w].iter().filter(|&&v| v < ink).count();
        if dark_in(y) < min_dark {
            y += 1;
            continue;
        }
        columns.iter_mut().for_each(|c| *c = false);
        while y < h && dark_in(y) >= min_dark {
            for (column, &v) in columns.iter_mut().zip(&card[y * w..(y + 1) * w]) {
                *column |= v < ink;
            }
            y += 1;
        }
        let first = columns.iter().position(|&c| c);
        let last = columns.iter().rposition(|&c| c);
        if let (Some(first), Some(last)) = (first, last) {
            let mut gap = 0;
            let mut widest = 0;
            for &c in &columns[first..=last] {
                gap = if c { 0 } else { gap + 1 };
                widest = widest.max(gap);
            }
            if (last - first) * 100 >= w * 85 && widest * 100 <= w * 4 {
                lines += 1;
            }
        }
    }
    lines
}

/// Fraction of 16 x 16 blocks (5 mm at 200 dpi, larger than any letter) that are dark on average,
/// in the left part of the card where the portrait is printed.
fn dark_block_fraction(card: &[u8], w: usize, h: usize) -> f64 {
    const BLOCK: usize = 16;
    let (x0, x1) = (w * 3 / 100, w * 32 / 100);
    let (y0, y1) = (h * 25 / 100, h * 85 / 100);
    let (mut dark, mut total) = (0usize, 0usize);
    for by in (y0..y1.saturating_sub(BLOCK)).step_by(BLOCK) {
        for bx in (x0..x1.saturating_sub(BLOCK)).step_by(BLOCK) {
            let sum: usize = (by..by + BLOCK)
                .map(|y| card[y * w + bx..y * w + bx + BLOCK].iter().map(|&v| usize::from(v)).sum::<usize>())
                .sum();
            total += 1;
            dark += usize::from(sum / (BLOCK * BLOCK) < 100);
        }
    }
    if total == 0 { 0.0 } else { dark as f64 / total as f64 }
}

/// The card cut out of `frame` and perspective-corrected to 2022 x 1275 (600 dpi), for the dossier
/// and the MRZ reader. `None` when the corners do not make a quadrilateral.
pub fn rectify(frame: &RgbImage, corners: &[Point; 4]) -> Option<RgbImage> {
    let (w, h) = (CARD_WIDTH_600DPI as f32, CARD_HEIGHT_600DPI as f32);
    let projection = Projection::from_control_points(*corners, [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)])?;
    let mut out = RgbImage::new(CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI);
    warp_into(frame, projection, Interpolation::Bilinear, Border::Constant(image::Rgb([255, 255, 255])), &mut out);
    Some(out)
}

/// Stability over successive camera frames: the capture is taken once the card has been good and
/// has not moved for `stable_frames` frames.
#[derive(Debug, Clone)]
pub struct DocumentTracker {
    stable_frames: u32,
    max_motion_fraction: f64,
    last: Option<[Point; 4]>,
    still_for: u32,
}

impl DocumentTracker {
    /// A tracker with the stability thresholds of `thresholds`.
    pub fn new(thresholds: &DocumentThresholds) -> Self {
        DocumentTracker {
            stable_frames: thresholds.stable_frames,
            max_motion_fraction: thresholds.max_motion_fraction,
            last: None,
            still_for: 0,
        }
    }

    /// Takes the next frame's analysis and gives the verdict with stability: a frame that is good on
    /// its own becomes `hold_still` until the card has stayed put long enough.
    pub fn observe(&mut self, analysis: &DocumentAnalysis) -> Verdict {
        let corners = analysis.measurements.corners;
        self.still_for = match (self.last, corners) {
            (Some(last), Some(now)) if self.moved(&last, &now) <= self.max_motion_fraction => self.still_for + 1,
            (_, Some(_)) => 1,
            (_, None) => 0,
        };
        self.last = corners;
        if !analysis.verdict.accepted {
            analysis.verdict
        } else if self.still_for < self.stable_frames {
            hints::HOLD_STILL
        } else {
            analysis.verdict
        }
    }

    /// How many successive frames the card has stayed put (0 without a card).
    pub fn still_for(&self) -> u32 {
        self.still_for
    }

    /// The largest corner movement between two frames as a fraction of the card's width.
    fn moved(&self, last: &[Point; 4], now: &[Point; 4]) -> f64 {
        let width = f64::from(((now[1].0 - now[0].0).powi(2) + (now[1].1 - now[0].1).powi(2)).sqrt()).max(1.0);
        let moved = last
            .iter()
            .zip(now)
            .map(|(a, b)| f64::from(((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()))
            .fold(0.0, f64::max);
        moved / width
    }
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
