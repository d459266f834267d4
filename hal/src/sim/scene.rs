//! Synthetic pictures for the simulators: an identity card (front and back) at 600 dpi, the card held
//! over a desk in perspective, a person facing the camera, a card on a scanner bed under white, IR or
//! UV light, and a fingerprint ridge pattern.
//!
//! The pictures are drawn, not photographed, but they have what the quality checks look at: a card
//! with ID-1 proportions, straight edges and printed detail, a face with eyes, nose and mouth on a
//! plain background, ridges at a 500-ppi ridge period. Everything is deterministic for a seed.

use std::sync::{Arc, OnceLock};

use image::{GrayImage, Luma, Rgb, RgbImage, Rgba, RgbaImage, imageops};
use imageproc::drawing::{
    draw_filled_circle_mut, draw_filled_ellipse_mut, draw_filled_rect_mut, draw_line_segment_mut,
};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use imageproc::rect::Rect;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::CardSide;
use crate::gpio::Light;

/// ID-1 card width in millimetres (ISO/IEC 7810).
pub const CARD_WIDTH_MM: f32 = 85.60;
/// ID-1 card height in millimetres (ISO/IEC 7810).
pub const CARD_HEIGHT_MM: f32 = 53.98;
/// Card width in pixels at 600 dpi.
pub const CARD_WIDTH_600DPI: u32 = 2022;
/// Card height in pixels at 600 dpi.
pub const CARD_HEIGHT_600DPI: u32 = 1275;

/// The QR payload printed on the standard synthetic card, in the layout of Vietnamese cards
/// (`ID|old ID|name|DOB ddmmyyyy|sex|address|issue date ddmmyyyy`). A made-up person.
pub const SAMPLE_CARD_QR: &str =
    "001099012345|012345678|Nguyễn Văn An|01011990|Nam|Số 1 Phố Hàng Bạc, Phường Hoàn Kiếm, Hà Nội|15062021";

/// The machine-readable zone of the standard synthetic card (TD1, Vietnamese layout), for the same
/// made-up person as [`SAMPLE_CARD_QR`]: document number 099012345 (the last 9 digits of the ID
/// number), born 1990-01-01, male, card valid until 2030-01-01. The simulated chip derives its BAC
/// keys from it; the drawn MRZ on the card back is only texture.
pub const SAMPLE_CARD_MRZ: [&str; 3] =
    ["IDVNM0990123459001099012345<<0", "9001011M3001019VNM<<<<<<<<<<<0", "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"];

/// Both sides of a card at 600 dpi, plus half-size copies for the camera simulator.
pub struct CardArt {
    front: RgbImage,
    back: RgbImage,
    front_small: RgbImage,
    back_small: RgbImage,
}

impl std::fmt::Debug for CardArt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardArt").field("size", &self.front.dimensions()).finish()
    }
}

impl CardArt {
    /// The standard synthetic card (drawn once per process).
    pub fn standard() -> Arc<CardArt> {
        static STANDARD: OnceLock<Arc<CardArt>> = OnceLock::new();
        STANDARD.get_or_init(|| Arc::new(CardArt::from_images(draw_front(), draw_back()))).clone()
    }

    /// A card from given pictures of its sides (resized to 600 dpi ID-1 if needed).
    pub fn from_images(front: RgbImage, back: RgbImage) -> Self {
        let to_card = |image: RgbImage| {
            if image.dimensions() == (CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI) {
                image
            } else {
                imageops::resize(&image, CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI, imageops::FilterType::Triangle)
            }
        };
        let (front, back) = (to_card(front), to_card(back));
        let half = |image: &RgbImage| {
            imageops::resize(image, CARD_WIDTH_600DPI / 2, CARD_HEIGHT_600DPI / 2, imageops::FilterType::Triangle)
        };
        CardArt { front_small: half(&front), back_small: half(&back), front, back }
    }

    /// One side at 600 dpi.
    pub fn side(&self, side: CardSide) -> &RgbImage {
        match side {
            CardSide::Front => &self.front,
            CardSide::Back => &self.back,
        }
    }

    /// One side at 300 dpi.
    pub fn side_small(&self, side: CardSide) -> &RgbImage {
        match side {
            CardSide::Front => &self.front_small,
            CardSide::Back => &self.back_small,
        }
    }
}

/// Where a card is held in a camera frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardPose {
    /// Centre of the card in frame pixels.
    pub center: (f32, f32),
    /// Width of the card's nearer (bottom) edge in frame pixels.
    pub width: f32,
    /// In-plane rotation in degrees (clockwise).
    pub rotation_deg: f32,
    /// Perspective: how much shorter the far (top) edge is than the near one (0 = viewed straight on).
    pub tilt: f32,
}

impl Default for CardPose {
    fn default() -> Self {
        CardPose { center: (640.0, 370.0), width: 760.0, rotation_deg: 2.0, tilt: 0.06 }
    }
}

impl CardPose {
    /// The four card corners in frame pixels: top-left, top-right, bottom-right, bottom-left.
    pub fn corners(&self) -> [(f32, f32); 4] {
        let w = self.width / 2.0;
        let h = self.width * CARD_HEIGHT_MM / CARD_WIDTH_MM / 2.0;
        let top = w * (1.0 - self.tilt);
        let local = [(-top, -h), (top, -h), (w, h), (-w, h)];
        let (sin, cos) = self.rotation_deg.to_radians().sin_cos();
        local.map(|(x, y)| (self.center.0 + x * cos - y * sin, self.center.1 + x * sin + y * cos))
    }
}

/// A seeded random generator for the scenes.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An empty desk: a grey-brown surface lit from the top left.
pub fn desk(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let light = 1.0 - 0.25 * (x as f32 / width as f32 + y as f32 / height as f32) / 2.0;
        let grain = ((x as f32 * 0.05 + (y as f32 * 0.31).sin() * 3.0).sin() * 6.0) as i32;
        let shade = |base: f32| (base * light) as i32 + grain;
        Rgb([clamp(shade(120.0)), clamp(shade(104.0)), clamp(shade(88.0))])
    })
}

/// A card side held over the desk at `pose`, with sensor noise.
pub fn card_on_desk(art: &RgbImage, pose: &CardPose, desk: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (aw, ah) = (art.width() as f32, art.height() as f32);
    let from = [(0.0, 0.0), (aw, 0.0), (aw, ah), (0.0, ah)];
    let mut frame = desk.clone();
    // A soft shadow below the card first.
    let shadow = CardPose { center: (pose.center.0 + 10.0, pose.center.1 + 14.0), ..*pose };
    if let Some(projection) = Projection::from_control_points(from, shadow.corners()) {
        let mask = RgbaImage::from_pixel(art.width(), art.height(), Rgba([0, 0, 0, 90]));
        composite(&mut frame, &mask, projection);
    }
    if let Some(projection) = Projection::from_control_points(from, pose.corners()) {
        let card = RgbaImage::from_fn(art.width(), art.height(), |x, y| {
            let Rgb([r, g, b]) = *art.get_pixel(x, y);
            Rgba([r, g, b, 255])
        });
        composite(&mut frame, &card, projection);
    }
    add_noise(&mut frame, rng, 4);
    frame
}

/// Warps `layer` by `projection` and blends it over `frame` by its alpha.
fn composite(frame: &mut RgbImage, layer: &RgbaImage, projection: Projection) {
    let mut warped = RgbaImage::new(frame.width(), frame.height());
    warp_into(layer, projection, Interpolation::Bilinear, Border::Constant(Rgba([0, 0, 0, 0])), &mut warped);
    for (dst, src) in frame.pixels_mut().zip(warped.pixels()) {
        let alpha = u16::from(src.0[3]);
        if alpha == 0 {
            continue;
        }
        for c in 0..3 {
            dst.0[c] = ((u16::from(src.0[c]) * alpha + u16::from(dst.0[c]) * (255 - alpha)) / 255) as u8;
        }
    }
}

/// A person facing the camera in front of a plain light background; `t` (seconds) moves the head a
/// little, as a living person does.
pub fn portrait(width: u32, height: u32, t: f32, rng: &mut impl Rng) -> RgbImage {
    let mut img = RgbImage::from_fn(width, height, |_, y| {
        let v = 222 - (y * 12 / height.max(1)) as u8;
        Rgb([v, v, v.saturating_add(4)])
    });
    let scale = height as f32 / 720.0;
    let cx = width as f32 / 2.0 + 4.0 * (t * 0.9).sin() * scale;
    let cy = height as f32 * 0.45 + 3.0 * (t * 0.6).sin() * scale;
    let s = |v: f32| (v * scale) as i32;
    let at = |dx: f32, dy: f32| ((cx + dx * scale) as i32, (cy + dy * scale) as i32);
    let skin = Rgb([214, 168, 140]);
    let skin_shadow = Rgb([188, 140, 114]);
    // Shoulders and neck.
    draw_filled_ellipse_mut(&mut img, at(0.0, 330.0), s(300.0), s(150.0), Rgb([40, 52, 82]));
    draw_filled_rect_mut(
        &mut img,
        Rect::at(at(-48.0, 110.0).0, at(-48.0, 110.0).1).of_size(s(96.0) as u32, s(110.0) as u32),
        skin_shadow,
    );
    // Ears, head, hair.
    draw_filled_ellipse_mut(&mut img, at(-122.0, 10.0), s(20.0), s(36.0), skin_shadow);
    draw_filled_ellipse_mut(&mut img, at(122.0, 10.0), s(20.0), s(36.0), skin_shadow);
    draw_filled_ellipse_mut(&mut img, at(0.0, -75.0), s(128.0), s(105.0), Rgb([30, 24, 22]));
    draw_filled_ellipse_mut(&mut img, at(0.0, 0.0), s(118.0), s(152.0), skin);
    draw_filled_ellipse_mut(&mut img, at(0.0, -120.0), s(112.0), s(48.0), Rgb([30, 24, 22]));
    // Eyebrows, eyes (inter-eye distance 104 px at 720 lines), nose, mouth.
    for side in [-1.0f32, 1.0] {
        let ex = side * 52.0;
        draw_line_segment_mut(
            &mut img,
            (at(ex - 26.0, -45.0).0 as f32, at(ex - 26.0, -45.0).1 as f32),
            (at(ex + 26.0, -47.0).0 as f32, at(ex + 26.0, -47.0).1 as f32),
            Rgb([45, 35, 30]),
        );
        draw_filled_ellipse_mut(&mut img, at(ex, -45.0), s(26.0), s(4.0), Rgb([60, 45, 38]));
        draw_filled_ellipse_mut(&mut img, at(ex, -18.0), s(24.0), s(11.0), Rgb([240, 236, 232]));
        draw_filled_circle_mut(&mut img, at(ex, -18.0), s(10.0), Rgb([70, 46, 30]));
        draw_filled_circle_mut(&mut img, at(ex, -18.0), s(4.0), Rgb([12, 10, 10]));
        draw_filled_circle_mut(&mut img, at(ex + 3.0, -21.0), s(2.0), Rgb([250, 250, 250]));
        draw_filled_ellipse_mut(&mut img, at(side * 14.0, 42.0), s(8.0), s(5.0), Rgb([120, 80, 66]));
    }
    draw_filled_ellipse_mut(&mut img, at(0.0, 20.0), s(12.0), s(30.0), skin_shadow);
    draw_filled_ellipse_mut(&mut img, at(0.0, 82.0), s(38.0), s(10.0), Rgb([170, 82, 84]));
    draw_line_segment_mut(
        &mut img,
        (at(-36.0, 82.0).0 as f32, at(-36.0, 82.0).1 as f32),
        (at(36.0, 82.0).0 as f32, at(36.0, 82.0).1 as f32),
        Rgb([110, 50, 52]),
    );
    add_noise(&mut img, rng, 3);
    img
}

/// A card side lying on a scanner bed (a little larger than the card) at 600 dpi, photographed
/// under `light`.
pub fn flatbed(art: &CardArt, side: CardSide, light: Light, rng: &mut impl Rng) -> RgbImage {
    let card = art.side(side);
    let (bed_w, bed_h) = (CARD_WIDTH_600DPI + 180, CARD_HEIGHT_600DPI + 160);
    let mut bed = RgbImage::from_pixel(bed_w, bed_h, Rgb([246, 246, 244]));
    // The citizen never lays the card perfectly: offset and a slight rotation.
    let dx = rng.random_range(50.0..130.0f32);
    let dy = rng.random_range(40.0..120.0f32);
    let angle = rng.random_range(-1.2..1.2f32).to_radians();
    let (cw, ch) = (card.width() as f32, card.height() as f32);
    let from = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)];
    let (sin, cos) = angle.sin_cos();
    let to = from.map(|(x, y)| (dx + x * cos - y * sin, dy + x * sin + y * cos));
    if let Some(projection) = Projection::from_control_points(from, to) {
        let layer = RgbaImage::from_fn(card.width(), card.height(), |x, y| {
            let Rgb([r, g, b]) = *card.get_pixel(x, y);
            Rgba([r, g, b, 255])
        });
        composite(&mut bed, &layer, projection);
    }
    let lit = match light {
        Light::White => bed,
        Light::Infrared => infrared(&bed),
        Light::Ultraviolet => ultraviolet(&bed),
    };
    let mut lit = lit;
    add_noise(&mut lit, rng, 3);
    lit
}

/// Under IR, dyes vanish and only carbon-black print (text, MRZ, photo) stays dark.
fn infrared(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let Rgb([r, g, b]) = *image.get_pixel(x, y);
        let (max, min) = (u32::from(r.max(g).max(b)), u32::from(r.min(g).min(b)));
        let chroma = max - min;
        // Dark and neutral → carbon ink; coloured → dye, transparent to IR.
        let v = if chroma < 40 { 255 - (255 - max) * (40 - chroma) / 40 } else { 235 } as u8;
        Rgb([v, v, v])
    })
}

/// Under UV the paper stays dark and fluorescent security fibres and the emblem glow.
fn ultraviolet(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let Rgb([r, g, _]) = *image.get_pixel(x, y);
        let glow = ((x as f32 * 0.013).sin() * (y as f32 * 0.021).cos()).abs() > 0.93 || (r > 180 && g < 90);
        if glow { Rgb([120, 220, 255]) } else { Rgb([28, 18, 60]) }
    })
}

/// A fingerprint-like ridge pattern (a loop around a core, ridge period about 9 px as at 500 ppi)
/// inside an elliptical fingertip; `seed` moves the core and the pressure.
pub fn fingerprint(width: u32, height: u32, seed: u64) -> GrayImage {
    let mut rng = rng(seed);
    let core = (width as f32 * rng.random_range(0.42..0.58f32), height as f32 * rng.random_range(0.38..0.52f32));
    let period = rng.random_range(8.5..10.0f32);
    let (rx, ry) = (width as f32 * 0.42, height as f32 * 0.46);
    let (mx, my) = (width as f32 / 2.0, height as f32 * 0.52);
    let mut img = GrayImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let inside = ((fx - mx) / rx).powi(2) + ((fy - my) / ry).powi(2);
        if inside > 1.0 {
            return Luma([232]);
        }
        let (dx, dy) = (fx - core.0, (fy - core.1) * 1.25);
        // Loop: concentric above the core, ridges flowing down and out below it.
        let r = if dy < 0.0 { (dx * dx + dy * dy).sqrt() } else { (dx * dx + dy * dy * 0.2).sqrt() + dy * 0.35 };
        let ridge = (r * std::f32::consts::TAU / period).cos();
        let edge_fade = (1.0 - inside).min(0.15) / 0.15;
        Luma([clamp((150.0 - 100.0 * ridge * edge_fade) as i32)])
    });
    add_noise_gray(&mut img, &mut rng, 10);
    img
}

fn draw_front() -> RgbImage {
    let (w, h) = (CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        // Pale blue-green background with a guilloche-like wave.
        let wave = ((x as f32 * 0.02 + (y as f32 * 0.015).sin() * 4.0).sin() * 10.0) as i32;
        Rgb([clamp(214 + wave), clamp(234 + wave / 2), clamp(232 - wave / 2)])
    });
    let mut rng = rng(2021);
    // Emblem: red disc with a yellow star-like centre.
    draw_filled_circle_mut(&mut img, (190, 180), 120, Rgb([200, 30, 36]));
    draw_filled_circle_mut(&mut img, (190, 180), 45, Rgb([250, 210, 40]));
    // Header lines (national title and card name).
    text_bars(&mut img, &mut rng, 380, 90, 1500, 46, Rgb([30, 30, 60]));
    text_bars(&mut img, &mut rng, 600, 170, 1000, 42, Rgb([30, 30, 60]));
    text_bars(&mut img, &mut rng, 560, 250, 1100, 70, Rgb([190, 30, 36]));
    // Portrait photo.
    draw_filled_rect_mut(&mut img, Rect::at(90, 380).of_size(520, 680), Rgb([190, 205, 225]));
    let mut photo_rng = self::rng(7);
    let face = portrait(520, 680, 0.0, &mut photo_rng);
    let face = imageops::crop_imm(&face, 0, 0, 520, 680).to_image();
    imageops::overlay(&mut img, &face, 90, 380);
    // Personal data fields: label and value pairs.
    for row in 0..7 {
        let y = 400 + row * 115;
        text_bars(&mut img, &mut rng, 700, y, 420, 34, Rgb([70, 70, 90]));
        text_bars(&mut img, &mut rng, 700, y + 48, 1000, 44, Rgb([15, 15, 25]));
    }
    // The card QR code, top right.
    let qr = crate::printer::raster::qr_image(SAMPLE_CARD_QR, 6);
    let qr = RgbImage::from_fn(qr.width(), qr.height(), |x, y| {
        let v = qr.get_pixel(x, y).0[0];
        Rgb([v, v, v])
    });
    imageops::overlay(&mut img, &qr, i64::from(w) - i64::from(qr.width()) - 60, 60);
    rounded_corners(&mut img);
    img
}

fn draw_back() -> RgbImage {
    let (w, h) = (CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let wave = ((y as f32 * 0.025 + (x as f32 * 0.01).sin() * 3.0).sin() * 8.0) as i32;
        Rgb([clamp(226 + wave), clamp(232 + wave / 2), clamp(214 - wave / 2)])
    });
    let mut rng = rng(2022);
    // Chip contacts.
    draw_filled_rect_mut(&mut img, Rect::at(120, 140).of_size(260, 200), Rgb([212, 175, 55]));
    for i in 1..3 {
        draw_line_segment_mut(
            &mut img,
            (120.0, 140.0 + i as f32 * 66.0),
            (380.0, 140.0 + i as f32 * 66.0),
            Rgb([150, 120, 40]),
        );
    }
    // Two fingerprint boxes.
    for (i, x) in [1180u32, 1600].into_iter().enumerate() {
        let print = fingerprint(340, 400, 40 + i as u64);
        let print = RgbImage::from_fn(340, 400, |px, py| {
            let v = print.get_pixel(px, py).0[0];
            Rgb([v, v, v])
        });
        imageops::overlay(&mut img, &print, i64::from(x), 90);
    }
    // Text fields: features, issue date, issuing authority and signature.
    for row in 0..4 {
        text_bars(&mut img, &mut rng, 120, 420 + row * 80, 960, 36, Rgb([20, 20, 30]));
    }
    // Machine-readable zone: a white band with three lines of 30 OCR-B-sized character cells.
    draw_filled_rect_mut(&mut img, Rect::at(0, 860).of_size(w, h - 860), Rgb([250, 250, 248]));
    for line in 0..3 {
        let y = 905 + line * 120;
        for cell in 0..30 {
            let x = 110 + cell * 60;
            mrz_cell(&mut img, &mut rng, x, y);
        }
    }
    rounded_corners(&mut img);
    img
}

/// Word-like dark bars: what printed text looks like to an edge detector.
fn text_bars(img: &mut RgbImage, rng: &mut impl Rng, x: u32, y: u32, width: u32, height: u32, colour: Rgb<u8>) {
    let mut cx = x;
    while cx < x + width {
        let word = rng.random_range(height..height * 4);
        let word = word.min(x + width - cx);
        for letter in (0..word).step_by((height / 2).max(2) as usize) {
            let lh = height * rng.random_range(6..10u32) / 10;
            let lw = (height / 2).saturating_sub(height / 8).max(1);
            draw_filled_rect_mut(img, Rect::at((cx + letter) as i32, (y + height - lh) as i32).of_size(lw, lh), colour);
        }
        cx += word + height;
    }
}

/// A character cell of the MRZ: strokes in a 40 x 60 box at a 60-px (2.54 mm) pitch.
fn mrz_cell(img: &mut RgbImage, rng: &mut impl Rng, x: i32, y: i32) {
    let ink = Rgb([10, 10, 12]);
    if rng.random_bool(0.2) {
        // '<' filler
        draw_line_segment_mut(img, (x as f32 + 34.0, y as f32 + 10.0), (x as f32 + 6.0, y as f32 + 34.0), ink);
        draw_line_segment_mut(img, (x as f32 + 6.0, y as f32 + 34.0), (x as f32 + 34.0, y as f32 + 58.0), ink);
        return;
    }
    let strokes = rng.random_range(2..5u32);
    for _ in 0..strokes {
        let (ax, ay) = (rng.random_range(0..40) + x, rng.random_range(0..60) + y);
        let (bx, by) = (rng.random_range(0..40) + x, rng.random_range(0..60) + y);
        for t in -3..=3 {
            draw_line_segment_mut(img, ((ax + t) as f32, ay as f32), ((bx + t) as f32, by as f32), ink);
        }
    }
}

fn rounded_corners(img: &mut RgbImage) {
    // ISO/IEC 7810 corner radius 3.18 mm = 75 px at 600 dpi; outside it, white (the card edge).
    let r = 75.0f32;
    let (w, h) = (img.width() as f32, img.height() as f32);
    for (cx, cy) in [(r, r), (w - r, r), (r, h - r), (w - r, h - r)] {
        let x0 = if cx < w / 2.0 { 0 } else { (w - r) as u32 };
        let y0 = if cy < h / 2.0 { 0 } else { (h - r) as u32 };
        for y in y0..y0 + r as u32 {
            for x in x0..x0 + r as u32 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                if d > r {
                    img.put_pixel(x, y, Rgb([255, 255, 255]));
                }
            }
        }
    }
}

/// Adds uniform sensor noise of ±`amplitude` to every channel.
pub fn add_noise(img: &mut RgbImage, rng: &mut impl Rng, amplitude: u8) {
    jitter(img, rng, amplitude);
}

fn add_noise_gray(img: &mut GrayImage, rng: &mut impl Rng, amplitude: u8) {
    jitter(img, rng, amplitude);
}

fn jitter(samples: &mut [u8], rng: &mut impl Rng, amplitude: u8) {
    let mut noise = vec![0u8; samples.len()];
    rng.fill_bytes(&mut noise);
    let span = i32::from(amplitude) * 2 + 1;
    for (value, n) in samples.iter_mut().zip(noise) {
        *value = clamp(i32::from(*value) + i32::from(n) % span - i32::from(amplitude));
    }
}

fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_luma(img: &RgbImage) -> f32 {
        img.pixels().map(|p| (u32::from(p.0[0]) + u32::from(p.0[1]) + u32::from(p.0[2])) as f32 / 3.0).sum::<f32>()
            / (img.width() * img.height()) as f32
    }

    #[test]
    fn the_standard_card_has_id1_proportions_at_600_dpi() {
        let card = CardArt::standard();
        let front = card.side(CardSide::Front);
        assert_eq!(front.dimensions(), (CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI));
        let ratio = CARD_WIDTH_MM / CARD_HEIGHT_MM;
        assert!((front.width() as f32 / front.height() as f32 - ratio).abs() < 0.005);
        assert_eq!(card.side_small(CardSide::Back).width(), CARD_WIDTH_600DPI / 2);
        assert_ne!(card.side(CardSide::Front), card.side(CardSide::Back));
    }

    #[test]
    fn the_card_lands_where_the_pose_says() {
        let card = CardArt::standard();
        let pose = CardPose::default();
        let frame = card_on_desk(card.side_small(CardSide::Front), &pose, &desk(1280, 720), &mut rng(1));
        assert_eq!(frame.dimensions(), (1280, 720));
        // The card's pale background at its centre-right differs from the brown desk in a corner.
        let inside = frame.get_pixel(900, 330);
        let outside = frame.get_pixel(20, 700);
        assert!(inside.0[1] > 170 && outside.0[1] < 130, "inside {inside:?} outside {outside:?}");
        let corners = pose.corners();
        assert!(corners[0].1 < corners[3].1 && corners[0].0 < corners[1].0);
    }

    #[test]
    fn scenes_are_deterministic_for_a_seed_and_differ_across_seeds() {
        let a = portrait(320, 180, 0.5, &mut rng(3));
        let b = portrait(320, 180, 0.5, &mut rng(3));
        let c = portrait(320, 180, 0.5, &mut rng(4));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_portrait_has_a_dark_pupil_where_the_eye_is_and_a_light_background() {
        let img = portrait(1280, 720, 0.0, &mut rng(1));
        let left_pupil = img.get_pixel(640 - 52, 324 - 18);
        assert!(left_pupil.0.iter().all(|&v| v < 60), "{left_pupil:?}");
        assert!(img.get_pixel(60, 60).0.iter().all(|&v| v > 200));
    }

    #[test]
    fn ir_keeps_carbon_ink_and_drops_colour_uv_is_dark() {
        let card = CardArt::standard();
        let white = flatbed(&card, CardSide::Front, Light::White, &mut rng(1));
        let ir = flatbed(&card, CardSide::Front, Light::Infrared, &mut rng(1));
        let uv = flatbed(&card, CardSide::Front, Light::Ultraviolet, &mut rng(1));
        assert_eq!(white.dimensions(), ir.dimensions());
        assert!(mean_luma(&ir) > mean_luma(&white), "the coloured background vanishes under IR");
        assert!(mean_luma(&uv) < 80.0);
    }

    #[test]
    fn fingerprint_ridges_alternate_along_a_line_through_the_core() {
        let print = fingerprint(256, 288, 1);
        let row: Vec<u8> = (40..216).map(|x| print.get_pixel(x, 200).0[0]).collect();
        let crossings = row.windows(2).filter(|w| (w[0] < 150) != (w[1] < 150)).count();
        // Below the core the ridge distance grows from about 70 to 125 px on either side: some 6 ridges
        // a side at a 9-px period, two crossings each; noise may add a few.
        assert!((18..=60).contains(&crossings), "{crossings} crossings");
        assert!(print.get_pixel(0, 0).0[0] > 215, "outside the fingertip is light");
    }
}
