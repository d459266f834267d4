//! Motion-JPEG frames from UVC cameras.
//!
//! Many UVC cameras send "abbreviated" JPEG frames without a DHT (define Huffman table) segment:
//! Motion JPEG as specified for AVI (OpenDML) fixes the Huffman tables to the example tables of
//! ITU-T T.81 Annex K.3 and leaves them out of every frame. A plain JPEG decoder then fails with
//! "no Huffman table", so a frame without DHT gets the Annex K tables inserted before its scan.

use std::borrow::Cow;

use image::RgbImage;

use crate::{DeviceError, ErrorKind, Result};

/// Marker codes (ITU-T T.81 Table B.1), each after a 0xFF byte.
mod marker {
    /// Start of image.
    pub const SOI: u8 = 0xD8;
    /// End of image.
    pub const EOI: u8 = 0xD9;
    /// Start of scan: entropy-coded data follows, tables must be defined before it.
    pub const SOS: u8 = 0xDA;
    /// Define Huffman table(s).
    pub const DHT: u8 = 0xC4;
    /// Temporary private use in arithmetic coding; stands alone.
    pub const TEM: u8 = 0x01;
    /// Restart markers RST0..RST7 stand alone.
    pub const RST: std::ops::RangeInclusive<u8> = 0xD0..=0xD7;
}

/// One Huffman table as T.81 §B.2.4.2 encodes it: the number of codes of each length 1..=16
/// (`BITS`) and the symbols in order of increasing code length (`HUFFVAL`).
struct HuffmanTable {
    /// Table class (0 = DC, 1 = AC) in the high nibble, destination (0 = luma, 1 = chroma) in the
    /// low nibble.
    class_and_id: u8,
    bits: [u8; 16],
    values: &'static [u8],
}

/// Table K.3: luminance DC differences.
const LUMA_DC: HuffmanTable = HuffmanTable {
    class_and_id: 0x00,
    bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    values: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/// Table K.4: chrominance DC differences.
const CHROMA_DC: HuffmanTable = HuffmanTable {
    class_and_id: 0x01,
    bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    values: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/// Table K.5: luminance AC coefficients (run/size symbols).
const LUMA_AC: HuffmanTable = HuffmanTable {
    class_and_id: 0x10,
    bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D],
    values: &[
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, //
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0, //
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28, //
        0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, //
        0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, //
        0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, //
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, //
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, //
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2, //
        0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, //
        0xF9, 0xFA,
    ],
};

/// Table K.6: chrominance AC coefficients (run/size symbols).
const CHROMA_AC: HuffmanTable = HuffmanTable {
    class_and_id: 0x11,
    bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    values: &[
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, //
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0, //
        0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26, //
        0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, //
        0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, //
        0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, //
        0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, //
        0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, //
        0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, //
        0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, //
        0xF9, 0xFA,
    ],
};

/// The four Annex K tables, in the order they go into the DHT segment.
const ANNEX_K_TABLES: [&HuffmanTable; 4] = [&LUMA_DC, &LUMA_AC, &CHROMA_DC, &CHROMA_AC];

/// One DHT segment holding all four Annex K tables (T.81 §B.2.4.2: a DHT segment may define
/// several tables).
fn annex_k_dht_segment() -> Vec<u8> {
    let body: usize = ANNEX_K_TABLES.iter().map(|t| 1 + t.bits.len() + t.values.len()).sum();
    // Lh counts itself (2 bytes) but not the marker; 2 + 4×17 + 12 + 12 + 162 + 162 = 418.
    let length = u16::try_from(2 + body).unwrap_or(u16::MAX);
    let mut segment = Vec::with_capacity(2 + usize::from(length));
    segment.extend_from_slice(&[0xFF, marker::DHT]);
    segment.extend_from_slice(&length.to_be_bytes());
    for table in ANNEX_K_TABLES {
        segment.push(table.class_and_id);
        segment.extend_from_slice(&table.bits);
        segment.extend_from_slice(table.values);
    }
    segment
}

/// What the header of a JPEG stream says about Huffman tables.
#[derive(Debug, PartialEq, Eq)]
enum Tables {
    /// A DHT segment comes before the scan.
    Present,
    /// No DHT before the first scan, whose marker starts at this offset.
    MissingBeforeScan(usize),
}

/// Walks the marker segments of a JPEG stream up to its first scan (T.81 §B.2: SOI, then
/// segments of `FF xx` + 16-bit length, then SOS).
fn find_tables(jpeg: &[u8]) -> Result<Tables> {
    if !jpeg.starts_with(&[0xFF, marker::SOI]) {
        return Err(protocol("MJPEG frame does not start with SOI"));
    }
    let mut at = 2;
    loop {
        if jpeg.get(at) != Some(&0xFF) {
            return Err(protocol(format!("MJPEG frame: no marker at offset {at}")));
        }
        let start = at;
        // Any number of 0xFF fill bytes may precede a marker (T.81 §B.1.1.2).
        while jpeg.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&code) = jpeg.get(at) else {
            return Err(protocol("MJPEG frame ends inside a marker"));
        };
        at += 1;
        match code {
            marker::DHT => return Ok(Tables::Present),
            marker::SOS => return Ok(Tables::MissingBeforeScan(start)),
            marker::EOI => return Err(protocol("MJPEG frame ends before its scan")),
            marker::TEM | marker::SOI => {}
            code if marker::RST.contains(&code) => {}
            _ => {
                let length = match jpeg.get(at..at + 2) {
                    Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
                    _ => return Err(protocol("MJPEG frame ends inside a segment length")),
                };
                if length < 2 {
                    return Err(protocol(format!("MJPEG segment FF{code:02X} with length {length}")));
                }
                at += length;
                if at > jpeg.len() {
                    return Err(protocol(format!("MJPEG segment FF{code:02X} runs past the frame")));
                }
            }
        }
    }
}

/// The frame with the Annex K Huffman tables inserted before its scan when it has no DHT of its
/// own; unchanged (borrowed) otherwise.
pub(super) fn with_huffman_tables(jpeg: &[u8]) -> Result<Cow<'_, [u8]>> {
    match find_tables(jpeg)? {
        Tables::Present => Ok(Cow::Borrowed(jpeg)),
        Tables::MissingBeforeScan(scan) => {
            let dht = annex_k_dht_segment();
            let mut fixed = Vec::with_capacity(jpeg.len() + dht.len());
            fixed.extend_from_slice(&jpeg[..scan]);
            fixed.extend_from_slice(&dht);
            fixed.extend_from_slice(&jpeg[scan..]);
            Ok(Cow::Owned(fixed))
        }
    }
}

/// Decodes one MJPEG frame to RGB, supplying the standard Huffman tables when the camera left
/// them out.
pub(super) fn decode(jpeg: &[u8]) -> Result<RgbImage> {
    let complete = with_huffman_tables(jpeg)?;
    let image = image::load_from_memory_with_format(&complete, image::ImageFormat::Jpeg).map_err(|e| {
        DeviceError::new(ErrorKind::Protocol, format!("MJPEG frame does not decode: {e}")).with_source(e)
    })?;
    Ok(image.to_rgb8())
}

fn protocol(message: impl Into<String>) -> DeviceError {
    DeviceError::new(ErrorKind::Protocol, message)
}

#[cfg(test)]
mod tests {
    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageEncoder, Rgb};

    use super::*;

    /// A small colourful JPEG as the image crate writes it (with DHT, which uses the Annex K
    /// tables).
    fn sample_jpeg() -> (RgbImage, Vec<u8>) {
        let image = RgbImage::from_fn(24, 16, |x, y| Rgb([(x * 10) as u8, (y * 15) as u8, ((x + y) * 5) as u8]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .write_image(image.as_raw(), 24, 16, image::ExtendedColorType::Rgb8)
            .unwrap();
        (image, jpeg)
    }

    /// Removes every DHT segment before the scan, as an abbreviated UVC frame has none.
    fn strip_dht(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut at = 2;
        loop {
            let code = jpeg[at + 1];
            if code == marker::SOS {
                out.extend_from_slice(&jpeg[at..]);
                return out;
            }
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            if code != marker::DHT {
                out.extend_from_slice(&jpeg[at..at + 2 + length]);
            }
            at += 2 + length;
        }
    }

    #[test]
    fn annex_k_tables_are_complete() {
        for table in ANNEX_K_TABLES {
            let codes: usize = table.bits.iter().map(|&n| usize::from(n)).sum();
            assert_eq!(codes, table.values.len(), "table {:02X}", table.class_and_id);
        }
        let segment = annex_k_dht_segment();
        assert_eq!(&segment[..4], &[0xFF, 0xC4, 0x01, 0xA2]);
        assert_eq!(segment.len(), 2 + 418);
    }

    #[test]
    fn a_frame_without_dht_decodes_after_insertion() {
        let (_, jpeg) = sample_jpeg();
        let stripped = strip_dht(&jpeg);
        assert!(stripped.len() < jpeg.len(), "the sample must have had a DHT to strip");
        let Tables::MissingBeforeScan(scan) = find_tables(&stripped).unwrap() else {
            panic!("a stripped frame must report missing tables");
        };
        assert_eq!(&stripped[scan..scan + 2], &[0xFF, marker::SOS]);
        // Without the tables the decoder refuses the frame...
        assert!(image::load_from_memory_with_format(&stripped, image::ImageFormat::Jpeg).is_err());
        // ...with them it decodes to exactly what the original decodes to.
        let fixed = with_huffman_tables(&stripped).unwrap();
        assert!(matches!(fixed, Cow::Owned(_)));
        let expected = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!(decode(&stripped).unwrap(), expected);
    }

    #[test]
    fn a_frame_with_dht_is_left_alone_and_decodes() {
        let (original, jpeg) = sample_jpeg();
        assert!(matches!(with_huffman_tables(&jpeg).unwrap(), Cow::Borrowed(_)));
        let decoded = decode(&jpeg).unwrap();
        assert_eq!(decoded.dimensions(), original.dimensions());
        // Lossy, but close to the source.
        let (a, b) = (decoded.get_pixel(12, 8).0, original.get_pixel(12, 8).0);
        assert!(a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12), "{a:?} vs {b:?}");
    }

    #[test]
    fn fill_bytes_before_markers_are_skipped() {
        let (_, jpeg) = sample_jpeg();
        let stripped = strip_dht(&jpeg);
        let mut padded = stripped[..2].to_vec();
        padded.extend_from_slice(&[0xFF, 0xFF]);
        padded.extend_from_slice(&stripped[2..]);
        assert!(matches!(find_tables(&padded).unwrap(), Tables::MissingBeforeScan(_)));
        assert!(decode(&padded).is_ok());
    }

    #[test]
    fn broken_frames_are_protocol_errors() {
        let (_, jpeg) = sample_jpeg();
        let cases: [(&str, Vec<u8>); 6] = [
            ("empty", vec![]),
            ("no SOI", jpeg[2..].to_vec()),
            ("header cut", jpeg[..30].to_vec()),
            ("only SOI", vec![0xFF, 0xD8]),
            ("EOI before scan", vec![0xFF, 0xD8, 0xFF, 0xD9]),
            ("zero length", vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xDA]),
        ];
        for (name, frame) in cases {
            let error = decode(&frame).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Protocol, "{name}");
        }
        // A scan cut short: the header is fine, the decoder must fail without panicking.
        let truncated = &jpeg[..jpeg.len() / 2];
        if let Err(error) = decode(truncated) {
            assert_eq!(error.kind(), ErrorKind::Protocol);
        }
    }
}
