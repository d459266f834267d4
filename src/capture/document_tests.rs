//! Card capture quality on frames drawn by the HAL's scene code: the card in perspective on a desk
//! at 1280 x 720, blurred, with a reflection, cut off, too far, and on a flatbed scanner.

use image::{Rgb, RgbImage};
use kiosk_hal::gpio::Light;
use kiosk_hal::sim::CardSide;
use kiosk_hal::sim::scene::{self, CardArt, CardPose};

use super::*;

fn frame_of(side: CardSide, pose: CardPose, seed: u64) -> RgbImage {
    let art = CardArt::standard();
    scene::card_on_desk(art.side_small(side), &pose, &scene::desk(1280, 720), &mut scene::rng(seed))
}

fn analyze(frame: &RgbImage) -> DocumentAnalysis {
    DocumentAnalyzer::new(DocumentThresholds::default()).analyze(frame)
}

fn key(analysis: &DocumentAnalysis) -> &'static str {
    analysis.verdict.hint_key
}

fn max_corner_error(found: &[Point; 4], truth: &[Point; 4]) -> f32 {
    found.iter().zip(truth).map(|(a, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()).fold(0.0, f32::max)
}

#[test]
fn a_sharp_framed_front_is_accepted_as_the_front_with_its_corners_found() {
    let pose = CardPose::default();
    let analysis = analyze(&frame_of(CardSide::Front, pose, 1));
    let m = &analysis.measurements;
    assert!(analysis.verdict.accepted, "{analysis:?}");
    assert_eq!(key(&analysis), "ok");
    assert_eq!(m.side, Side::Front, "{m:?}");
    let corners = m.corners.expect("corners");
    let error = max_corner_error(&corners, &pose.corners());
    assert!(error < 3.0, "corners off by {error} px: {corners:?} vs {:?}", pose.corners());
    assert!((m.aspect / ID1_ASPECT - 1.0).abs() < 0.08, "{}", m.aspect);
    assert!(m.tilt_deg < 6.0 && (m.rotation_deg - 2.0).abs() < 1.0, "{m:?}");
}

#[test]
fn a_rotated_leaning_back_is_accepted_as_the_back_with_its_corners_found() {
    let pose = CardPose { center: (600.0, 380.0), width: 820.0, rotation_deg: -7.0, tilt: 0.1 };
    let analysis = analyze(&frame_of(CardSide::Back, pose, 2));
    assert_eq!(key(&analysis), "ok", "{analysis:?}");
    assert_eq!(analysis.measurements.side, Side::Back);
    let error = max_corner_error(&analysis.measurements.corners.expect("corners"), &pose.corners());
    assert!(error < 3.0, "corners off by {error} px");
}

#[test]
fn a_blurred_card_is_rejected_as_blurry() {
    let sharp = frame_of(CardSide::Front, CardPose::default(), 3);
    let mut blurred = imageproc::filter::gaussian_blur_f32(&sharp, 3.0);
    scene::add_noise(&mut blurred, &mut scene::rng(3), 4);
    let analysis = analyze(&blurred);
    assert_eq!(key(&analysis), "blurry", "{analysis:?}");
    let sharp_score = analyze(&sharp).measurements.sharpness.expect("measured");
    let blurred_score = analysis.measurements.sharpness.expect("measured");
    assert!(blurred_score * 4.0 < sharp_score, "{blurred_score} vs {sharp_score}");
}

/// A lamp's reflection on the laminate: blown out in the middle, fading at the rim.
fn add_glare(frame: &mut RgbImage, centre: (f32, f32), radius: f32) {
    for (x, y, pixel) in frame.enumerate_pixels_mut() {
        let d = ((x as f32 - centre.0).powi(2) + (y as f32 - centre.1).powi(2)).sqrt() / radius;
        if d < 1.0 {
            let boost = if d < 0.6 { 1.0 } else { (1.0 - d) / 0.4 };
            for c in pixel.0.iter_mut() {
                *c = (f32::from(*c) + (255.0 - f32::from(*c)) * boost + 0.5).min(255.0) as u8;
            }
        }
    }
}

#[test]
fn a_reflection_on_the_card_asks_to_avoid_reflections() {
    let mut frame = frame_of(CardSide::Front, CardPose::default(), 4);
    add_glare(&mut frame, (760.0, 330.0), 110.0);
    let analysis = analyze(&frame);
    assert_eq!(key(&analysis), "avoid_reflections", "{analysis:?}");
    let glare = analysis.measurements.glare_fraction.expect("measured");
    assert!(glare > 0.03, "{glare}");
    let clean = analyze(&frame_of(CardSide::Front, CardPose::default(), 4));
    assert!(clean.measurements.glare_fraction.expect("measured") < DocumentThresholds::default().max_glare_fraction);
}

#[test]
fn a_card_cut_off_by_the_frame_edge_asks_to_fit_it_in_the_frame() {
    let pose = CardPose { center: (1100.0, 380.0), ..CardPose::default() };
    let analysis = analyze(&frame_of(CardSide::Front, pose, 5));
    assert_eq!(key(&analysis), "fit_card_in_frame", "{analysis:?}");
    assert!(!analysis.measurements.in_frame);
}

#[test]
fn a_card_far_from_the_camera_asks_to_move_closer() {
    let pose = CardPose { width: 330.0, ..CardPose::default() };
    let analysis = analyze(&frame_of(CardSide::Front, pose, 6));
    assert_eq!(key(&analysis), "move_closer", "{analysis:?}");
    let fraction = analysis.measurements.card_area_fraction;
    let truth = 330.0 * 330.0 / ID1_ASPECT / (1280.0 * 720.0) * 0.97;
    assert!((fraction - truth).abs() < 0.01, "{fraction} vs {truth}");
}

#[test]
fn a_card_leaning_far_back_asks_to_hold_it_flat() {
    let pose = CardPose { tilt: 0.45, ..CardPose::default() };
    let analysis = analyze(&frame_of(CardSide::Front, pose, 7));
    assert_eq!(key(&analysis), "hold_card_flat", "{analysis:?}");
}

#[test]
fn an_empty_desk_has_no_card() {
    let mut frame = scene::desk(1280, 720);
    scene::add_noise(&mut frame, &mut scene::rng(8), 4);
    let analysis = analyze(&frame);
    assert_eq!(key(&analysis), "card_not_found", "{analysis:?}");
    assert!(analysis.measurements.corners.is_none());
    let tiny = RgbImage::from_pixel(8, 8, Rgb([0, 0, 0]));
    assert_eq!(key(&analyze(&tiny)), "card_not_found");
}

#[test]
fn a_dark_frame_is_too_dark_and_a_washed_out_one_too_bright() {
    let frame = frame_of(CardSide::Back, CardPose::default(), 9);
    let dark = RgbImage::from_fn(1280, 720, |x, y| Rgb(frame.get_pixel(x, y).0.map(|v| (u16::from(v) * 2 / 5) as u8)));
    assert_eq!(key(&analyze(&dark)), "too_dark");
    let washed = RgbImage::from_fn(1280, 720, |x, y| {
        Rgb(frame.get_pixel(x, y).0.map(|v| (170 + u16::from(v) * 85 / 255).min(255) as u8))
    });
    let analysis = analyze(&washed);
    assert!(matches!(key(&analysis), "too_bright" | "avoid_reflections"), "{analysis:?}");
}

#[test]
fn the_tracker_wants_the_card_still_for_the_configured_frames() {
    let thresholds = DocumentThresholds::default();
    let mut analyzer = DocumentAnalyzer::new(thresholds.clone());
    let mut tracker = DocumentTracker::new(&thresholds);
    let mut verdicts = Vec::new();
    // A hand holding the card: sub-pixel tremor, then a jerk of 40 px, then still again.
    let shifts = [0.0, 0.3, -0.2, 0.1, 40.0, 40.2, 40.0, 39.9];
    for (i, dx) in shifts.into_iter().enumerate() {
        let pose = CardPose { center: (640.0 + dx, 370.0), ..CardPose::default() };
        let analysis = analyzer.analyze(&frame_of(CardSide::Front, pose, 20 + i as u64));
        verdicts.push(tracker.observe(&analysis).hint_key);
    }
    assert_eq!(verdicts, ["hold_still", "hold_still", "ok", "ok", "hold_still", "hold_still", "ok", "ok"]);
    let empty = analyzer.analyze(&scene::desk(1280, 720));
    assert_eq!(tracker.observe(&empty).hint_key, "card_not_found");
    assert_eq!(tracker.still_for(), 0);
}

#[test]
fn a_flatbed_scan_is_found_accepted_and_rectified_onto_the_card() {
    let art = CardArt::standard();
    let scan = scene::flatbed(&art, CardSide::Back, Light::White, &mut scene::rng(10));
    let analysis = analyze(&scan);
    assert_eq!(key(&analysis), "ok", "{analysis:?}");
    assert_eq!(analysis.measurements.side, Side::Back);
    let corners = analysis.measurements.corners.expect("corners");
    let crop = rectify(&scan, &corners).expect("a quadrilateral");
    assert_eq!(crop.dimensions(), (CARD_WIDTH_600DPI, CARD_HEIGHT_600DPI));
    // The rectified crop lies on the original artwork: compare the luma of 16 x 16 blocks.
    let original = art.side(CardSide::Back);
    let block_mean = |image: &RgbImage, bx: u32, by: u32| {
        let mut sum = 0u32;
        for y in by..by + 16 {
            for x in bx..bx + 16 {
                let p = image.get_pixel(x, y).0;
                sum += u32::from(crate::capture::luma(p[0], p[1], p[2]));
            }
        }
        sum / 256
    };
    let mut worst = 0u32;
    for by in (100..1150).step_by(64) {
        for bx in (100..1900).step_by(64) {
            worst = worst.max(block_mean(&crop, bx, by).abs_diff(block_mean(original, bx, by)));
        }
    }
    assert!(worst < 30, "a block differs by {worst} levels: the crop is misaligned");
}

#[test]
fn thresholds_out_of_range_name_their_key() {
    assert!(DocumentThresholds::default().validate().is_ok());
    let bad = DocumentThresholds { max_tilt_deg: 90.0, ..DocumentThresholds::default() };
    assert_eq!(bad.validate().unwrap_err().0, "max_tilt_deg");
    let bad = DocumentThresholds { max_glare_fraction: 1.5, ..DocumentThresholds::default() };
    assert_eq!(bad.validate().unwrap_err().0, "max_glare_fraction");
    let bad = DocumentThresholds { stable_frames: 0, ..DocumentThresholds::default() };
    assert_eq!(bad.validate().unwrap_err().0, "stable_frames");
}

#[test]
fn the_configuration_reads_and_checks_the_capture_section() {
    use crate::config::Config;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml");
    let text = std::fs::read_to_string(&path).expect("the simulator configuration");
    let config = Config::parse(&text, &path).expect("valid");
    assert!(config.capture.document.min_sharpness > 0.0);
    let changed = text.replace("max_tilt_deg = 12.0", "max_tilt_deg = 80.0");
    assert_ne!(changed, text, "configs/kiosk.toml sets capture.document.max_tilt_deg");
    let error = Config::parse(&changed, &path).unwrap_err();
    assert_eq!(error.key, "capture.document.max_tilt_deg");
    assert!(error.reason.contains("45"), "{error}");
}

#[test]
fn printed_white_on_a_front_scan_is_not_taken_for_glare() {
    // The QR code's light modules are pure white at 600 dpi; only whole blown-out millimetres count.
    let scan = scene::flatbed(&CardArt::standard(), CardSide::Front, Light::White, &mut scene::rng(12));
    let analysis = analyze(&scan);
    assert_eq!(key(&analysis), "ok", "{analysis:?}");
    assert_eq!(analysis.measurements.side, Side::Front);
    assert!(analysis.measurements.glare_fraction.expect("measured") < 0.005);
}
