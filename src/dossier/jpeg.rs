//! The one JPEG encoding of each captured image.
//!
//! A card crop is encoded exactly once; the same bytes go into the PDF (as a DCTDecode stream) and
//! into the payload archive, so the backend can prove the PDF shows exactly the archived images.
//! The encoder is `jpeg-encoder` (AVX2 when the CPU has it): measured in `benches/dossier.rs` against
//! the `image` crate's encoder, it is the faster of the two on the 2022×1275 crops.

use image::RgbImage;
use zeroize::Zeroizing;

/// Resolution written into the JFIF header of card crops: the scanner's 600 dpi, so viewers that
/// honour it show the card at true size.
pub const CARD_DPI: u16 = 600;

/// An encoded JPEG and its pixel size. The bytes are personal data: wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Jpeg {
    /// The JPEG file, JFIF, baseline.
    pub bytes: Zeroizing<Vec<u8>>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl std::fmt::Debug for Jpeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jpeg({}x{}, {} bytes)", self.width, self.height, self.bytes.len())
    }
}

/// Why an image cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum JpegError {
    /// JPEG cannot hold images wider or taller than 65,535 pixels, or empty ones.
    #[error("the image is {width}x{height} pixels; JPEG needs 1 to 65,535 on each side (a capture fault: retake it)")]
    BadSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The encoder failed.
    #[error("the image could not be encoded as JPEG: {0}")]
    Encode(#[from] jpeg_encoder::EncodingError),
}

/// Encodes `image` at `quality` (1–100) with `dpi` in the JFIF header.
pub fn encode(image: &RgbImage, quality: u8, dpi: u16) -> Result<Jpeg, JpegError> {
    let (width, height) = image.dimensions();
    let bad_size = || JpegError::BadSize { width, height };
    let w = u16::try_from(width).ok().filter(|&w| w > 0).ok_or_else(bad_size)?;
    let h = u16::try_from(height).ok().filter(|&h| h > 0).ok_or_else(bad_size)?;
    // About 0.6 bytes per pixel at quality 90 for a scanned card; reserve that to avoid regrowth.
    let mut bytes = Zeroizing::new(Vec::with_capacity(image.as_raw().len() / 5));
    let mut encoder = jpeg_encoder::Encoder::new(&mut *bytes, quality.clamp(1, 100));
    encoder.set_density(jpeg_encoder::PixelDensity::dpi(dpi));
    encoder.encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)?;
    Ok(Jpeg { bytes, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_decodable_jpeg_of_the_same_size_with_600_dpi() {
        let image = RgbImage::from_fn(321, 200, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let jpeg = encode(&image, 90, CARD_DPI).unwrap();
        assert_eq!(&jpeg.bytes[..2], &[0xFF, 0xD8]);
        let decoded = image::load_from_memory_with_format(&jpeg.bytes, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (321, 200));
        // JFIF APP0: "JFIF\0", version, units = 1 (dots per inch), X and Y density.
        let app0 = jpeg.bytes.windows(5).position(|w| w == b"JFIF\0").unwrap();
        assert_eq!(jpeg.bytes[app0 + 7], 1);
        assert_eq!(&jpeg.bytes[app0 + 8..app0 + 12], &[0x02, 0x58, 0x02, 0x58]);
    }

    #[test]
    fn higher_quality_gives_more_bytes() {
        let image = RgbImage::from_fn(256, 256, |x, y| image::Rgb([(x ^ y) as u8, (x * 3) as u8, (y * 5) as u8]));
        let low = encode(&image, 40, CARD_DPI).unwrap();
        let high = encode(&image, 95, CARD_DPI).unwrap();
        assert!(high.bytes.len() > low.bytes.len());
    }

    #[test]
    fn empty_image_is_refused() {
        assert!(matches!(encode(&RgbImage::new(0, 10), 90, CARD_DPI), Err(JpegError::BadSize { width: 0, .. })));
    }

    #[test]
    fn debug_shows_no_bytes() {
        let jpeg = encode(&RgbImage::new(8, 8), 90, CARD_DPI).unwrap();
        assert_eq!(format!("{jpeg:?}"), format!("Jpeg(8x8, {} bytes)", jpeg.bytes.len()));
    }
}
