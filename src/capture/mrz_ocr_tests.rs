//! The MRZ reader on the simulator's OCR-B print: the card back, a flatbed scan of it, a passport
//! page, and a corrupted character that validation must catch.

use image::{GrayImage, Luma, RgbImage};
use kiosk_hal::gpio::Light;
use kiosk_hal::sim::CardSide;
use kiosk_hal::sim::scene::{self, CardArt, SAMPLE_CARD_MRZ, SAMPLE_PASSPORT_MRZ};

use super::*;
use crate::capture::document::{DocumentAnalyzer, DocumentThresholds, rectify};

const TODAY: Date = match Date::new(2026, 12, 2) {
    Some(date) => date,
    None => panic!("not a date"),
};

fn gray(image: &RgbImage) -> GrayImage {
    GrayImage::from_fn(image.width(), image.height(), |x, y| {
        let p = image.get_pixel(x, y).0;
        Luma([crate::capture::luma(p[0], p[1], p[2])])
    })
}

#[test]
fn the_committed_templates_match_the_installed_font() {
    // The alphabet as the second of two lines, so it lies in the lower part where the zone is sought.
    let line = scene::mrz_lines_image(&["", ALPHABET]).expect("fonts-ocr-b is installed (dev.sh)");
    let sheet = template_sheet_from_line(&line).expect("the alphabet cuts into 37 glyphs");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capture/ocrb_templates.png");
    if std::env::var_os("KIOSK_REGENERATE_OCRB").is_some() {
        sheet.save(&path).expect("write the templates");
    }
    let committed = image::load_from_memory(TEMPLATE_PNG).expect("the committed templates decode").to_luma8();
    assert_eq!(committed, sheet, "regenerate with KIOSK_REGENERATE_OCRB=1 (see ocrb_templates.LICENSE)");
    // Every template differs clearly from every other: the classifier can tell them apart.
    let templates = templates().expect("templates");
    for (i, a) in templates.cells.iter().enumerate() {
        for b in &templates.cells[i + 1..] {
            let sum: u32 = a.iter().zip(b).map(|(&x, &y)| u32::from(x.abs_diff(y)).pow(2)).sum();
            assert!((sum as f32 / CELL as f32).sqrt() / 255.0 > 0.1, "two templates nearly equal at {i}");
        }
    }
}

#[test]
fn the_simulated_card_back_reads_exactly() {
    let back = gray(CardArt::standard().side(CardSide::Back));
    let reading = read_mrz(&back, TODAY).expect("readable");
    assert_eq!(reading.lines, SAMPLE_CARD_MRZ);
    assert_eq!(reading.mrz.personal_number(), Some("001099012345"));
    assert!(reading.worst_distance < 0.2, "{}", reading.worst_distance);
    assert!(!format!("{reading:?}").contains("NGUYEN"), "Debug hides the name");
}

#[test]
fn a_flatbed_scan_reads_exactly_after_detection_and_rectification() {
    let scan = scene::flatbed(&CardArt::standard(), CardSide::Back, Light::White, &mut scene::rng(31));
    let analysis = DocumentAnalyzer::new(DocumentThresholds::default()).analyze(&scan);
    let crop = rectify(&scan, &analysis.measurements.corners.expect("card found")).expect("rectified");
    let reading = read_mrz(&gray(&crop), TODAY).expect("readable");
    assert_eq!(reading.lines, SAMPLE_CARD_MRZ);
}

#[test]
fn a_passport_page_reads_as_td3() {
    let page = gray(&scene::passport_page());
    let reading = read_mrz(&page, TODAY).expect("readable");
    assert_eq!(reading.lines, SAMPLE_PASSPORT_MRZ);
    assert_eq!(reading.mrz.document_number, "L898902C3");
}

#[test]
fn a_corrupted_digit_is_read_as_printed_and_refused_by_the_check_digits() {
    let mut back = gray(CardArt::standard().side(CardSide::Back));
    // Overprint the fourth character of the middle line (a birth-date digit, `1`) with an `8`.
    let eight = scene::mrz_lines_image(&["", "8"]).expect("font");
    let (x0, y0) = (110 + 3 * 60, 905 + 120 - 10);
    for y in 0..90 {
        for x in 0..60 {
            let v = eight.get_pixel(60 + x, 50 + 120 - 10 + y).0[0];
            back.put_pixel(x0 + x, y0 + y, Luma([v]));
        }
    }
    let (lines, _) = read_mrz_lines(&back).expect("still readable as characters");
    assert_eq!(lines[1], "9008011M3001019VNM<<<<<<<<<<<0");
    let error = read_mrz(&back, TODAY).unwrap_err();
    assert!(matches!(error, MrzOcrError::Invalid(_)), "{error}");
}

#[test]
fn a_page_without_a_zone_is_refused() {
    let blank = GrayImage::from_pixel(2022, 1275, Luma([240]));
    assert!(matches!(read_mrz(&blank, TODAY), Err(MrzOcrError::NoZone)));
    let front = gray(CardArt::standard().side(CardSide::Front));
    assert!(read_mrz(&front, TODAY).is_err());
}
