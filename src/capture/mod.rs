//! Capture quality: pure functions that look at a camera frame or a scan and say whether it is good
//! enough for the back office, and if not, what the citizen should do (one guidance hint).
//!
//! Data flows `hal` → `capture` → `flow`: nothing here does I/O or keeps devices; the flow decides
//! what to do with a [`Verdict`] and the UI shows its hint by key (translations live with the UI; the
//! Vietnamese and English texts here are the defaults and what the technician tools print).
//!
//! - [`document`]: find an ID-1 card (or a page) in a frame, rectify it to 600 dpi, score sharpness,
//!   glare, exposure, framing, tilt and stability, and tell front from back (issue 4 item 1).
//! - [`mrz_ocr`]: read the machine-readable zone from a rectified card back or passport page
//!   (issue 4 item 2).

use serde::{Deserialize, Serialize};

use crate::config::Language;

pub mod document;
pub mod mrz_ocr;

/// The outcome of a quality check: accepted or not, and the one hint to show.
///
/// Shared by every capture kind (document, portrait, fingerprint) so the UI shows them alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Whether the capture is usable as it is.
    pub accepted: bool,
    /// Translation key of the hint (`move_closer`, `blurry`, ...; `ok` when accepted).
    pub hint_key: &'static str,
    /// Default texts of the hint.
    pub hint_text: HintText,
}

/// A guidance hint's default wording in Vietnamese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HintText {
    /// Tiếng Việt.
    pub vi: &'static str,
    /// English.
    pub en: &'static str,
}

impl Verdict {
    /// An accepted capture with hint `key`.
    pub const fn accept(key: &'static str, vi: &'static str, en: &'static str) -> Verdict {
        Verdict { accepted: true, hint_key: key, hint_text: HintText { vi, en } }
    }

    /// A rejected capture with hint `key`.
    pub const fn reject(key: &'static str, vi: &'static str, en: &'static str) -> Verdict {
        Verdict { accepted: false, hint_key: key, hint_text: HintText { vi, en } }
    }

    /// The hint in `language`: Vietnamese for Vietnamese, English otherwise (the UI's translation
    /// catalogues cover the other languages by [`Verdict::hint_key`]).
    pub fn text(&self, language: Language) -> &'static str {
        match language {
            Language::Vi => self.hint_text.vi,
            _ => self.hint_text.en,
        }
    }
}

/// Quality thresholds of every capture kind: the `[capture]` configuration section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureConfig {
    /// `[capture.document]`: identity cards and passport pages.
    #[serde(default)]
    pub document: document::DocumentThresholds,
}

impl CaptureConfig {
    /// Checks every threshold's range; the error names the key (below `capture.`) and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.document.validate().map_err(|(key, reason)| (format!("document.{key}"), reason))
    }
}

/// ITU-R BT.601 luma of an RGB pixel, in integer arithmetic (weights 77/150/29 of 256).
#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29) >> 8) as u8
}

/// Variance of the 4-neighbour Laplacian over the interior of a `width` x `height` luma buffer: the
/// usual focus measure (Pech-Pacheco et al. 2000). Sharp print gives hundreds to thousands; a
/// defocused image tens. 0 for images smaller than 3 x 3.
pub fn laplacian_variance(luma: &[u8], width: usize, height: usize) -> f64 {
    if width < 3 || height < 3 || luma.len() < width * height {
        return 0.0;
    }
    let (mut sum, mut sum_sq) = (0i64, 0i64);
    for y in 1..height - 1 {
        let (up, row, down) = (
            &luma[(y - 1) * width..y * width],
            &luma[y * width..(y + 1) * width],
            &luma[(y + 1) * width..(y + 2) * width],
        );
        let mut row_sum = 0i64;
        let mut row_sq = 0i64;
        for x in 1..width - 1 {
            let l = i32::from(up[x]) + i32::from(down[x]) + i32::from(row[x - 1]) + i32::from(row[x + 1])
                - 4 * i32::from(row[x]);
            row_sum += i64::from(l);
            row_sq += i64::from(l * l);
        }
        sum += row_sum;
        sum_sq += row_sq;
    }
    let n = ((width - 2) * (height - 2)) as f64;
    let mean = sum as f64 / n;
    sum_sq as f64 / n - mean * mean
}

/// The luma value below which `fraction` (0..=1) of the histogram's samples lie.
pub fn histogram_percentile(histogram: &[u32; 256], fraction: f64) -> u8 {
    let total: u64 = histogram.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0;
    }
    let target = (total as f64 * fraction.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (value, &count) in histogram.iter().enumerate() {
        seen += u64::from(count);
        if seen >= target {
            return value as u8;
        }
    }
    255
}

/// Otsu's threshold of a histogram: the value that best splits it into two classes (values above it
/// are the bright class).
pub fn otsu_threshold(histogram: &[u32; 256]) -> u8 {
    let total: f64 = histogram.iter().map(|&c| f64::from(c)).sum();
    let weighted: f64 = histogram.iter().enumerate().map(|(v, &c)| v as f64 * f64::from(c)).sum();
    let (mut weight_low, mut sum_low, mut best, mut best_value) = (0.0, 0.0, 0u8, -1.0);
    for (value, &count) in histogram.iter().enumerate() {
        weight_low += f64::from(count);
        if weight_low == 0.0 {
            continue;
        }
        let weight_high = total - weight_low;
        if weight_high == 0.0 {
            break;
        }
        sum_low += value as f64 * f64::from(count);
        let (mean_low, mean_high) = (sum_low / weight_low, (weighted - sum_low) / weight_high);
        let between = weight_low * weight_high * (mean_low - mean_high).powi(2);
        if between > best_value {
            best_value = between;
            best = value as u8;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_laplacian_variance_is_zero_on_flat_and_high_on_a_checkerboard() {
        let flat = vec![128u8; 32 * 32];
        assert_eq!(laplacian_variance(&flat, 32, 32), 0.0);
        let board: Vec<u8> = (0..32 * 32).map(|i| if (i % 32 + i / 32) % 2 == 0 { 0 } else { 255 }).collect();
        assert!(laplacian_variance(&board, 32, 32) > 100_000.0);
        assert_eq!(laplacian_variance(&board, 2, 2), 0.0, "too small to have an interior");
    }

    #[test]
    fn percentiles_and_otsu_follow_the_histogram() {
        let mut histogram = [0u32; 256];
        histogram[20] = 50;
        histogram[200] = 50;
        assert_eq!(histogram_percentile(&histogram, 0.05), 20);
        assert_eq!(histogram_percentile(&histogram, 0.95), 200);
        let threshold = otsu_threshold(&histogram);
        assert!((20..200).contains(&threshold), "{threshold}");
        assert_eq!(histogram_percentile(&[0; 256], 0.5), 0);
    }

    #[test]
    fn a_verdict_speaks_vietnamese_or_english() {
        let verdict = Verdict::reject("blurry", "Ảnh bị mờ", "The picture is blurred");
        assert_eq!(verdict.text(Language::Vi), "Ảnh bị mờ");
        assert_eq!(verdict.text(Language::Ko), "The picture is blurred");
        assert!(!verdict.accepted);
    }
}
