//! `kiosk inspect document` as a technician runs it on sample images: exit 0 accepted, 1 rejected,
//! 2 unreadable input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiosk_hal::gpio::Light;
use kiosk_hal::sim::CardSide;
use kiosk_hal::sim::scene::{self, CardArt, CardPose};

fn inspect(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/kiosk.toml"))
        .args(["inspect", "document"])
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the kiosk binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn saved(dir: &tempfile::TempDir, name: &str, image: &image::RgbImage) -> PathBuf {
    let path = dir.path().join(name);
    image.save(&path).expect("write the sample image");
    path
}

#[test]
fn a_good_scan_of_the_back_exits_0_with_the_mrz_fields_named_but_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let scan = scene::flatbed(&CardArt::standard(), CardSide::Back, Light::White, &mut scene::rng(5));
    let image = saved(&dir, "back.png", &scan);
    let crop = dir.path().join("crop.png");
    let output = inspect(&[&image, Path::new("--out"), &crop]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("side             back"), "{stdout}");
    assert!(stdout.contains("check digits valid") && stdout.contains("document number"), "{stdout}");
    assert!(!stdout.contains("NGUYEN") && !stdout.contains("001099012345"), "personal data printed: {stdout}");
    let crop = image::open(&crop).expect("the crop was written");
    assert_eq!((crop.width(), crop.height()), (2022, 1275));
}

#[test]
fn json_output_carries_the_measurements_and_the_full_mrz() {
    let dir = tempfile::tempdir().unwrap();
    let scan = scene::flatbed(&CardArt::standard(), CardSide::Back, Light::White, &mut scene::rng(6));
    let output = inspect(&[&saved(&dir, "back.png", &scan), Path::new("--json")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["verdict"]["hint_key"], "ok");
    assert_eq!(json["measurements"]["side"], "back");
    assert_eq!(json["mrz"]["valid"], true);
    assert_eq!(json["mrz"]["fields"]["document_number"], "099012345");
    assert!(json["measurements"]["sharpness"].as_f64().unwrap() > 60.0);
}

#[test]
fn a_card_too_far_away_exits_1_with_the_move_closer_hint() {
    let dir = tempfile::tempdir().unwrap();
    let pose = CardPose { width: 320.0, ..CardPose::default() };
    let art = CardArt::standard();
    let frame =
        scene::card_on_desk(art.side_small(CardSide::Front), &pose, &scene::desk(1280, 720), &mut scene::rng(7));
    let output = inspect(&[&saved(&dir, "far.png", &frame)]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("rejected (move_closer)") && stdout.contains("Move the card closer"), "{stdout}");
}

#[test]
fn a_missing_or_corrupt_file_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.png");
    let output = inspect(&[&missing]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read"), "{}", text(&output.stderr));
    let corrupt = dir.path().join("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nthis is not a picture").unwrap();
    let output = inspect(&[&corrupt]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not a readable image"), "{}", text(&output.stderr));
}
