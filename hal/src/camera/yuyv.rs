//! YUYV (YUY2, packed 4:2:2) to RGB conversion for V4L2 cameras that offer no MJPEG.
//!
//! Layout (V4L2 `V4L2_PIX_FMT_YUYV`): every 4 bytes `Y0 U Y1 V` describe two neighbouring pixels
//! sharing one chroma pair. UVC webcams send ITU-R BT.601 "limited" (studio) range: Y in 16..=235,
//! Cb/Cr in 16..=240 centred on 128.
//!
//! The conversion is done in fixed point (coefficients scaled by 256) because it runs on every
//! frame of the live preview on a Raspberry Pi; the rounding error stays below one code value.

use image::RgbImage;

use crate::{DeviceError, ErrorKind, Result};

/// BT.601 limited-range coefficients scaled by 2^8 (ITU-R BT.601-7 §2.5.3 inverted, with the
/// 255/219 luma and 255/224 chroma range expansion folded in).
mod coefficient {
    /// 255/219 = 1.164.
    pub const Y: i32 = 298;
    /// 1.402 × 255/224 = 1.596 (Cr → R).
    pub const R_FROM_V: i32 = 409;
    /// 0.344 × 255/224 = 0.392 (Cb → G).
    pub const G_FROM_U: i32 = 100;
    /// 0.714 × 255/224 = 0.813 (Cr → G).
    pub const G_FROM_V: i32 = 208;
    /// 1.772 × 255/224 = 2.017 (Cb → B).
    pub const B_FROM_U: i32 = 516;
}

/// Converts one YUYV frame to RGB.
///
/// `stride` is the driver's bytes per line (`bytesperline`, 0 when unknown: then `2 × width`).
/// The buffer may be longer than the image (drivers round buffers up to pages) but not shorter.
/// Sizes that cannot be YUYV (odd width, zero size, a stride shorter than a row, a short buffer)
/// are a [`ErrorKind::Protocol`] error: the bytes came from the device.
pub fn yuyv_to_rgb(data: &[u8], width: u32, height: u32, stride: u32) -> Result<RgbImage> {
    let layout = Layout::check(data.len(), width, height, stride)?;
    let mut rgb = vec![0u8; layout.row_rgb * layout.height];
    for (row_in, row_out) in data.chunks(layout.stride).zip(rgb.chunks_exact_mut(layout.row_rgb)) {
        convert_row(&row_in[..layout.row_yuyv], row_out);
    }
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| DeviceError::new(ErrorKind::Other, "YUYV: RGB buffer does not match the frame size"))
}

/// The byte geometry of a YUYV frame, checked against the buffer that holds it.
struct Layout {
    height: usize,
    stride: usize,
    row_yuyv: usize,
    row_rgb: usize,
}

impl Layout {
    fn check(len: usize, width: u32, height: u32, stride: u32) -> Result<Layout> {
        let protocol = |message: String| Err(DeviceError::new(ErrorKind::Protocol, message));
        if width == 0 || height == 0 {
            return protocol(format!("YUYV frame of {width}x{height} pixels"));
        }
        if !width.is_multiple_of(2) {
            // Two pixels share one chroma pair: an odd width cannot be packed.
            return protocol(format!("YUYV frame with odd width {width}"));
        }
        let (width, height) = (width as usize, height as usize);
        let row_yuyv = width * 2;
        let stride = if stride == 0 { row_yuyv } else { stride as usize };
        if stride < row_yuyv {
            return protocol(format!("YUYV stride {stride} is shorter than a row of {row_yuyv} bytes"));
        }
        // The last row needs no padding after it.
        let needed = (height - 1).checked_mul(stride).and_then(|n| n.checked_add(row_yuyv));
        match needed {
            Some(needed) if len >= needed => Ok(Layout { height, stride, row_yuyv, row_rgb: width.saturating_mul(3) }),
            Some(needed) => protocol(format!("YUYV buffer of {len} bytes, a {width}x{height} frame needs {needed}")),
            None => protocol(format!("YUYV frame of {width}x{height} pixels is too large")),
        }
    }
}

/// Converts one row; `yuyv` holds whole macropixels and `rgb` has 3 bytes per pixel.
fn convert_row(yuyv: &[u8], rgb: &mut [u8]) {
    for (pair, out) in yuyv.chunks_exact(4).zip(rgb.chunks_exact_mut(6)) {
        let u = i32::from(pair[1]) - 128;
        let v = i32::from(pair[3]) - 128;
        // Chroma terms are shared by both pixels of the pair; +128 rounds the final >> 8.
        let r = coefficient::R_FROM_V * v + 128;
        let g = -coefficient::G_FROM_U * u - coefficient::G_FROM_V * v + 128;
        let b = coefficient::B_FROM_U * u + 128;
        for (y, px) in [pair[0], pair[2]].into_iter().zip(out.chunks_exact_mut(3)) {
            let luma = coefficient::Y * (i32::from(y) - 16);
            px[0] = clamp_to_u8((luma + r) >> 8);
            px[1] = clamp_to_u8((luma + g) >> 8);
            px[2] = clamp_to_u8((luma + b) >> 8);
        }
    }
}

fn clamp_to_u8(value: i32) -> u8 {
    value.clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forward BT.601 limited-range transform (ITU-R BT.601-7 §2.5), in floating point: an
    /// independent reference for the integer inverse under test.
    fn to_ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
        let (r, g, b) = (f64::from(r) / 255.0, f64::from(g) / 255.0, f64::from(b) / 255.0);
        let y = 16.0 + 65.481 * r + 128.553 * g + 24.966 * b;
        let cb = 128.0 - 37.797 * r - 74.203 * g + 112.0 * b;
        let cr = 128.0 + 112.0 * r - 93.786 * g - 18.214 * b;
        [y.round() as u8, cb.round() as u8, cr.round() as u8]
    }

    /// A `width`×`height` frame of one colour.
    fn uniform(colour: [u8; 3], width: u32, height: u32) -> Vec<u8> {
        let [y, u, v] = to_ycbcr(colour);
        [y, u, y, v].repeat((width * height / 2) as usize)
    }

    fn assert_close(actual: &[u8], expected: [u8; 3], what: &str) {
        for (a, e) in actual.iter().zip(expected) {
            assert!(a.abs_diff(e) <= 2, "{what}: got {actual:?}, expected {expected:?} ±2");
        }
    }

    #[test]
    fn studio_black_and_white_map_to_full_range() {
        let black = yuyv_to_rgb(&[16, 128, 16, 128], 2, 1, 0).unwrap();
        assert_eq!(black.as_raw(), &[0, 0, 0, 0, 0, 0]);
        let white = yuyv_to_rgb(&[235, 128, 235, 128], 2, 1, 0).unwrap();
        assert_eq!(white.as_raw(), &[255; 6]);
        // Values outside studio range (footroom, headroom) clamp instead of wrapping.
        let beyond = yuyv_to_rgb(&[0, 128, 255, 128], 2, 1, 0).unwrap();
        assert_eq!(beyond.as_raw(), &[0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn pure_colours_survive_the_round_trip_within_two_codes() {
        let colours = [
            ("red", [255, 0, 0]),
            ("green", [0, 255, 0]),
            ("blue", [0, 0, 255]),
            ("yellow", [255, 255, 0]),
            ("cyan", [0, 255, 255]),
            ("magenta", [255, 0, 255]),
            ("grey", [128, 128, 128]),
        ];
        for (name, colour) in colours {
            let image = yuyv_to_rgb(&uniform(colour, 4, 2), 4, 2, 0).unwrap();
            for pixel in image.pixels() {
                assert_close(&pixel.0, colour, name);
            }
        }
    }

    #[test]
    fn the_two_pixels_of_a_pair_keep_their_own_luma() {
        let image = yuyv_to_rgb(&[16, 128, 235, 128], 2, 1, 0).unwrap();
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(image.get_pixel(1, 0).0, [255, 255, 255]);
    }

    #[test]
    fn row_padding_from_the_driver_is_skipped() {
        // 2×2 frame, stride 8: 4 bytes of pixels then 4 bytes of padding per row.
        let data = [235, 128, 235, 128, 9, 9, 9, 9, 16, 128, 16, 128];
        let image = yuyv_to_rgb(&data, 2, 2, 8).unwrap();
        assert_eq!(image.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(image.get_pixel(0, 1).0, [0, 0, 0]);
    }

    #[test]
    fn buffers_that_cannot_hold_the_frame_are_protocol_errors() {
        let short = yuyv_to_rgb(&[16, 128, 16], 2, 1, 0).unwrap_err();
        assert_eq!(short.kind(), ErrorKind::Protocol);
        assert!(short.message().contains("needs 4"), "{}", short.message());
        let truncated = yuyv_to_rgb(&uniform([0, 0, 0], 4, 3)[..20], 4, 3, 0).unwrap_err();
        assert_eq!(truncated.kind(), ErrorKind::Protocol);
        let empty = yuyv_to_rgb(&[], 640, 480, 0).unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn impossible_geometries_are_protocol_errors_not_panics() {
        let data = [16u8, 128, 16, 128, 16, 128];
        for (width, height, stride) in [(3, 1, 0), (0, 1, 0), (2, 0, 0), (4, 1, 2), (u32::MAX - 1, u32::MAX, 0)] {
            let error = yuyv_to_rgb(&data, width, height, stride).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Protocol, "{width}x{height} stride {stride}");
        }
    }

    #[test]
    fn a_longer_buffer_is_accepted() {
        let mut data = uniform([255, 255, 255], 2, 1);
        data.extend_from_slice(&[0; 100]);
        let image = yuyv_to_rgb(&data, 2, 1, 0).unwrap();
        assert_eq!(image.dimensions(), (2, 1));
        assert_close(&image.get_pixel(0, 0).0, [255, 255, 255], "white");
    }
}
