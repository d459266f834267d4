//! Text and receipts as bitmaps.
//!
//! Thermal printers only know a few code pages; Vietnamese with its stacked diacritics and CJK do not
//! fit them, so the kiosk renders every line itself from TrueType/OpenType fonts and sends raster.
//! Fonts are tried in order for each character (a Latin font first, a CJK font after it).

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, GlyphId, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};

use super::{Align, Receipt, ReceiptItem, TextSize};

/// Why fonts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The file could not be read.
    #[error("cannot read font {path}: {source}")]
    Read {
        /// The font file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a font ab_glyph can read.
    #[error("{path} is not a TrueType/OpenType font")]
    Parse {
        /// The font file.
        path: PathBuf,
    },
    /// No font was configured.
    #[error("no font configured")]
    NoFonts,
}

/// Renders text with a fallback chain of fonts.
pub struct TextRenderer {
    fonts: Vec<FontVec>,
}

impl std::fmt::Debug for TextRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextRenderer").field("fonts", &self.fonts.len()).finish()
    }
}

/// Pixel height of each text size at the printer's 203 dpi (8 dots/mm): 2.5, 3.5 and 5 mm.
pub fn text_px(size: TextSize) -> f32 {
    match size {
        TextSize::Small => 20.0,
        TextSize::Normal => 28.0,
        TextSize::Large => 40.0,
    }
}

impl TextRenderer {
    /// Loads fonts from files, in fallback order. A `.ttc` collection contributes its first face.
    pub fn from_files(paths: &[impl AsRef<Path>]) -> Result<Self, FontError> {
        let fonts = paths.iter().map(|p| load_font(p.as_ref())).collect::<Result<Vec<_>, _>>()?;
        if fonts.is_empty() {
            return Err(FontError::NoFonts);
        }
        Ok(TextRenderer { fonts })
    }

    /// Whether some configured font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        c.is_whitespace() || self.fonts.iter().any(|f| f.glyph_id(c) != GlyphId(0))
    }

    fn font_for(&self, c: char) -> &FontVec {
        self.fonts.iter().find(|f| f.glyph_id(c) != GlyphId(0)).unwrap_or(&self.fonts[0])
    }

    /// Width in pixels of `text` at height `px`.
    pub fn measure(&self, text: &str, px: f32) -> f32 {
        text.chars()
            .map(|c| self.font_for(c).as_scaled(PxScale::from(px)).h_advance(self.font_for(c).glyph_id(c)))
            .sum()
    }

    /// Splits `text` into lines no wider than `width` pixels: at spaces where there are any, between
    /// characters otherwise (CJK has no spaces), and at explicit newlines.
    pub fn wrap(&self, text: &str, px: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in split_keep_spaces(paragraph) {
                let candidate = format!("{line}{word}");
                if self.measure(candidate.trim_end(), px) <= width || line.is_empty() && self.measure(word, px) <= width
                {
                    line = candidate;
                    continue;
                }
                if !line.trim().is_empty() {
                    lines.push(line.trim_end().to_owned());
                }
                line = String::new();
                // A word wider than the line is broken between characters.
                for c in word.trim_start().chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if self.measure(&next, px) > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    /// Draws one line on a white strip `width` pixels wide; ink is black (0).
    pub fn render_line(&self, text: &str, px: f32, bold: bool, align: Align, width: u32) -> GrayImage {
        let scale = PxScale::from(px);
        let primary = self.fonts[0].as_scaled(scale);
        let ascent = primary.ascent();
        let height = (primary.ascent() - primary.descent() + primary.line_gap()).ceil().max(1.0) as u32;
        let mut strip = GrayImage::from_pixel(width, height, Luma([255]));
        let text_width = self.measure(text, px) + if bold { 1.0 } else { 0.0 };
        let mut x = match align {
            Align::Left => 0.0,
            Align::Center => ((width as f32 - text_width) / 2.0).max(0.0),
            Align::Right => (width as f32 - text_width).max(0.0),
        };
        for c in text.chars() {
            let font = self.font_for(c);
            let scaled = font.as_scaled(scale);
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(x, ascent));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let passes: &[i32] = if bold { &[0, 1] } else { &[0] };
                for &dx in passes {
                    outline.draw(|gx, gy, coverage| {
                        let px_x = bounds.min.x as i32 + gx as i32 + dx;
                        let px_y = bounds.min.y as i32 + gy as i32;
                        if px_x >= 0 && px_y >= 0 && (px_x as u32) < width && (px_y as u32) < height {
                            let pixel = strip.get_pixel_mut(px_x as u32, px_y as u32);
                            let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
                            pixel.0[0] = pixel.0[0].min(255 - ink);
                        }
                    });
                }
            }
            x += scaled.h_advance(id);
        }
        strip
    }

    /// Draws a whole receipt `width` dots wide: text wrapped, QR codes and images centred.
    pub fn render_receipt(&self, receipt: &Receipt, width: u32) -> GrayImage {
        let strips: Vec<GrayImage> = receipt.items.iter().flat_map(|item| self.render_item(item, width)).collect();
        stack(&strips, width)
    }

    /// Draws one receipt item as one or more strips `width` dots wide.
    pub fn render_item(&self, item: &ReceiptItem, width: u32) -> Vec<GrayImage> {
        match item {
            ReceiptItem::Text { text, size, align, bold } => {
                let px = text_px(*size);
                self.wrap(text, px, width as f32)
                    .iter()
                    .map(|line| self.render_line(line, px, *bold, *align, width))
                    .collect()
            }
            ReceiptItem::Qr { data, module_dots } => vec![centre(&qr_image(data, *module_dots), width)],
            ReceiptItem::Image(image) => {
                let mut bilevel = image.clone();
                image::imageops::dither(&mut bilevel, &image::imageops::colorops::BiLevel);
                vec![centre(&bilevel, width)]
            }
            ReceiptItem::Rule => {
                let mut rule = GrayImage::from_pixel(width, 12, Luma([255]));
                for y in 5..7 {
                    for x in 0..width {
                        rule.put_pixel(x, y, Luma([0]));
                    }
                }
                vec![rule]
            }
            ReceiptItem::Feed(lines) => {
                vec![GrayImage::from_pixel(width, u32::from(*lines) * text_px(TextSize::Normal) as u32, Luma([255]))]
            }
        }
    }
}

/// A QR code as black modules on white with a four-module quiet zone. Data too long for any QR
/// version gives an empty (white) image rather than a failure: the receipt still prints its text.
pub fn qr_image(data: &str, module_dots: u8) -> GrayImage {
    let dots = u32::from(module_dots.max(1));
    match qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code.render::<Luma<u8>>().quiet_zone(true).module_dimensions(dots, dots).build(),
        Err(error) => {
            tracing::warn!(%error, "QR code content does not fit a QR code");
            GrayImage::from_pixel(dots, dots, Luma([255]))
        }
    }
}

fn load_font(path: &Path) -> Result<FontVec, FontError> {
    let data = std::fs::read(path).map_err(|source| FontError::Read { path: path.to_owned(), source })?;
    FontVec::try_from_vec_and_index(data, 0).map_err(|_| FontError::Parse { path: path.to_owned() })
}

fn split_keep_spaces(text: &str) -> Vec<&str> {
    // "a bc d" -> ["a", " bc", " d"]: each piece carries the space before it.
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == ' ' && i > start {
            pieces.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn centre(image: &GrayImage, width: u32) -> GrayImage {
    let mut strip = GrayImage::from_pixel(width, image.height(), Luma([255]));
    let x = (i64::from(width) - i64::from(image.width())) / 2;
    image::imageops::overlay(&mut strip, image, x, 0);
    strip
}

fn stack(strips: &[GrayImage], width: u32) -> GrayImage {
    let height = strips.iter().map(|s| s.height()).sum::<u32>().max(1);
    let mut page = GrayImage::from_pixel(width, height, Luma([255]));
    let mut y = 0;
    for strip in strips {
        image::imageops::overlay(&mut page, strip, 0, i64::from(y));
        y += strip.height();
    }
    page
}

/// Font files the Debian packages `fonts-dejavu-core` and `fonts-noto-cjk` install: the defaults of
/// the simulator configuration and of the tests.
pub const DEBIAN_FONTS: [&str; 2] =
    ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"];

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer() -> TextRenderer {
        TextRenderer::from_files(&DEBIAN_FONTS)
            .expect("fonts-dejavu-core and fonts-noto-cjk are installed by the set-up")
    }

    fn ink(image: &GrayImage) -> usize {
        image.pixels().filter(|p| p.0[0] < 128).count()
    }

    #[test]
    fn vietnamese_and_cjk_characters_have_glyphs_in_the_fallback_chain() {
        let r = renderer();
        for c in "Nguyễn Thị Ánh Tuyết 中文 한국어 日本語".chars() {
            assert!(r.covers(c), "no glyph for {c:?}");
        }
    }

    #[test]
    fn a_rendered_line_has_ink_and_diacritics_add_ink() {
        let r = renderer();
        let plain = r.render_line("Nguyen", 28.0, false, Align::Left, 576);
        let marked = r.render_line("Nguyễn", 28.0, false, Align::Left, 576);
        assert!(ink(&plain) > 50);
        assert!(ink(&marked) > ink(&plain), "the tilde and hook must be drawn");
        let bold = r.render_line("Nguyen", 28.0, true, Align::Left, 576);
        assert!(ink(&bold) > ink(&plain));
    }

    #[test]
    fn centred_text_sits_in_the_middle() {
        let r = renderer();
        let line = r.render_line("QR", 28.0, false, Align::Center, 576);
        let xs: Vec<u32> = line.enumerate_pixels().filter(|(_, _, p)| p.0[0] < 128).map(|(x, _, _)| x).collect();
        let mid = (xs.iter().min().unwrap() + xs.iter().max().unwrap()) / 2;
        assert!((270..=306).contains(&mid), "centre at {mid}");
    }

    #[test]
    fn long_text_wraps_within_the_width_and_keeps_every_word() {
        let r = renderer();
        let text = "Kết quả sẽ được trả trong một ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ";
        let lines = r.wrap(text, 28.0, 300.0);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(r.measure(line, 28.0) <= 300.0, "{line} too wide");
        }
        assert_eq!(lines.join(" "), text);
        let cjk = r.wrap("外国人电子身份识别二级账户注册申请已经受理完毕请保留本收据", 28.0, 200.0);
        assert!(cjk.len() > 1 && cjk.iter().all(|l| r.measure(l, 28.0) <= 200.0));
    }

    #[test]
    fn receipt_stacks_text_qr_and_rule() {
        let r = renderer();
        let receipt =
            Receipt::new().heading("BIÊN NHẬN").qr("HS-2026-000123", 4).item(ReceiptItem::Rule).text("Cảm ơn");
        let page = r.render_receipt(&receipt, 576);
        assert_eq!(page.width(), 576);
        let qr = qr_image("HS-2026-000123", 4);
        assert!(page.height() > qr.height() + 40);
        assert!(ink(&page) > ink(&qr));
    }

    #[test]
    fn a_missing_font_file_is_named_in_the_error() {
        let err = TextRenderer::from_files(&["/nonexistent/font.ttf"]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/font.ttf"));
    }
}
