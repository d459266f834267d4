//! Budgets of issue 4 (one core, release): document analysis of a 1280 x 720 frame ≤ 10 ms. Also
//! the once-per-capture steps: the 600-dpi rectification and the MRZ reading of a card back.
//!
//! `cargo bench -p kiosk --bench capture_document`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{GrayImage, Luma};
use kiosk::capture::document::{DocumentAnalyzer, DocumentThresholds, rectify};
use kiosk::capture::{luma, mrz_ocr};
use kiosk::idcard::mrz::Date;
use kiosk_hal::sim::CardSide;
use kiosk_hal::sim::scene::{self, CardArt, CardPose};

fn document(c: &mut Criterion) {
    let art = CardArt::standard();
    let frame = scene::card_on_desk(
        art.side_small(CardSide::Back),
        &CardPose::default(),
        &scene::desk(1280, 720),
        &mut scene::rng(1),
    );
    let mut analyzer = DocumentAnalyzer::new(DocumentThresholds::default());
    let analysis = analyzer.analyze(&frame);
    assert!(analysis.verdict.accepted, "the benchmark frame must pass: {analysis:?}");
    c.bench_function("document analysis 1280x720", |b| b.iter(|| analyzer.analyze(black_box(&frame))));
    let corners = analysis.measurements.corners.unwrap_or_default();
    c.bench_function("rectify to 2022x1275", |b| b.iter(|| rectify(black_box(&frame), &corners)));

    let back = art.side(CardSide::Back);
    let back = GrayImage::from_fn(back.width(), back.height(), |x, y| {
        let p = back.get_pixel(x, y).0;
        Luma([luma(p[0], p[1], p[2])])
    });
    let today = Date::new(2026, 12, 2).unwrap_or_else(|| unreachable!("a valid date"));
    assert!(mrz_ocr::read_mrz(&back, today).is_ok());
    c.bench_function("MRZ OCR of a rectified card back (TD1)", |b| {
        b.iter(|| mrz_ocr::read_mrz(black_box(&back), today))
    });
}

criterion_group!(benches, document);
criterion_main!(benches);
