//! The driver against the simulator on a pseudo-terminal pair, and against scripted transports.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};
use serialport::TTYPort;

use super::protocol::{self, FEED_BEFORE_CUT};
use super::*;
use crate::HealthStatus;
use crate::printer::raster::{DEBIAN_FONTS, qr_image};
use crate::printer::{Align, ReceiptItem, TextSize};
use crate::serial::pty_pair;

const WIDTH: u32 = 576;
const PRINTED: Duration = Duration::from_secs(5);

fn renderer() -> TextRenderer {
    TextRenderer::from_files(&DEBIAN_FONTS).expect("fonts-dejavu-core and fonts-noto-cjk are installed by the set-up")
}

fn rig() -> (EscPos<TTYPort>, EscPosSimulator) {
    let (host, device) = pty_pair().expect("pty pair");
    let simulator = EscPosSimulator::spawn(device, WIDTH).expect("simulator thread");
    let printer = EscPos::new(host, "pty", renderer(), WIDTH).with_reply_timeout(Duration::from_millis(500));
    (printer, simulator)
}

/// Strips stacked and thresholded the way a thermal printer would print them.
fn printed_form(strips: &[GrayImage]) -> GrayImage {
    let height = strips.iter().map(GrayImage::height).sum();
    let mut page = GrayImage::from_pixel(WIDTH, height, Luma([255]));
    let mut y = 0;
    for strip in strips {
        for (x, sy, pixel) in strip.enumerate_pixels() {
            if x < WIDTH && pixel.0[0] < protocol::INK_THRESHOLD {
                page.put_pixel(x, y + sy, Luma([0]));
            }
        }
        y += strip.height();
    }
    page
}

fn region(page: &GrayImage, x: u32, y: u32, width: u32, height: u32) -> GrayImage {
    image::imageops::crop_imm(page, x, y, width, height).to_image()
}

fn ink(image: &GrayImage) -> usize {
    image.pixels().filter(|p| p.0[0] == 0).count()
}

/// Pixels that are black in `expected` and white on the page, and any other difference.
fn differences(page: &GrayImage, expected: &GrayImage) -> Vec<(u32, u32, u8, u8)> {
    assert_eq!(page.dimensions(), expected.dimensions());
    page.enumerate_pixels()
        .filter(|(x, y, p)| expected.get_pixel(*x, *y) != *p)
        .map(|(x, y, p)| (x, y, expected.get_pixel(x, y).0[0], p.0[0]))
        .collect()
}

fn status_requests(commands: &[Command]) -> usize {
    commands.iter().filter(|c| matches!(c, Command::StatusRequest(_))).count()
}

#[test]
fn a_vietnamese_and_cjk_receipt_with_qr_code_and_rule_prints_end_to_end() {
    let (mut printer, simulator) = rig();
    let heading =
        ReceiptItem::Text {
            text: "BIÊN NHẬN HỒ SƠ".into(), size: TextSize::Large, align: Align::Center, bold: true
        };
    let cjk = ReceiptItem::Text {
        text: "外国人电子身份识别".into(),
        size: TextSize::Normal,
        align: Align::Left,
        bold: false,
    };
    let receipt =
        Receipt::new().item(heading.clone()).item(cjk.clone()).qr("HS-2026-000123", 4).item(ReceiptItem::Rule);
    printer.print(&receipt).expect("printed");
    assert!(simulator.wait_for_cuts(1, PRINTED), "the receipt was not cut");

    let receipts = simulator.receipts();
    assert_eq!(receipts.len(), 1);
    let printed = &receipts[0];
    assert_eq!(printed.qr_payloads, vec!["HS-2026-000123".to_owned()]);
    assert_eq!(printed.cuts, 1);
    assert_eq!(printed.page.width(), WIDTH);

    // The text rows carry the rendered text, dot for dot but for any dot cleared to keep raster
    // data from spelling a real-time command.
    let r = renderer();
    let heading_form = printed_form(&r.render_item(&heading, WIDTH));
    let text_form = printed_form(&[r.render_item(&heading, WIDTH), r.render_item(&cjk, WIDTH)].concat());
    assert!(ink(&heading_form) > 300 && ink(&text_form) > ink(&heading_form) + 300);
    let text_rows = region(&printed.page, 0, 0, WIDTH, text_form.height());
    let (_, stats) = protocol::encode_receipt(&r, &receipt, WIDTH, DEFAULT_BAND_ROWS);
    let cleared = differences(&text_rows, &text_form);
    assert_eq!(cleared.len(), stats.defused_dots);
    assert!(cleared.iter().all(|&(x, _, want, got)| x % 8 == 3 && want == 0 && got == 255));

    // Then the QR code (drawn by the printer, centred), then the rule, then the feed before the cut.
    let qr = qr_image("HS-2026-000123", 4);
    let qr_y = text_form.height();
    assert_eq!(region(&printed.page, (WIDTH - qr.width()) / 2, qr_y, qr.width(), qr.height()), qr);
    let rule_y = qr_y + qr.height();
    assert_eq!(ink(&region(&printed.page, 0, rule_y, WIDTH, 12)), 2 * WIDTH as usize);
    assert_eq!(printed.page.height(), rule_y + 12 + u32::from(FEED_BEFORE_CUT) * LINE_DOTS);

    let commands = simulator.commands();
    let job: Vec<&Command> = commands.iter().filter(|c| !matches!(c, Command::StatusRequest(_))).collect();
    assert_eq!(job.first(), Some(&&Command::Initialise));
    assert_eq!(job.last(), Some(&&Command::Cut { mode: 66, feed: Some(0) }));
    for expected in [Command::QrModel(50), Command::QrModuleSize(4), Command::QrErrorCorrection(49), Command::QrPrint] {
        assert!(commands.contains(&expected), "{expected:?} missing");
    }
    assert!(commands.iter().all(|c| !matches!(c, Command::Unknown { .. } | Command::RealTime { .. })));
    // Paper, then printer status, before anything is printed.
    assert_eq!(&commands[..2], &[Command::StatusRequest(4), Command::StatusRequest(1)]);
}

#[test]
fn raster_bytes_round_trip_from_driver_encoding_to_simulator_decoding() {
    let (printer, simulator) = rig();
    let mut printer = printer.with_band_rows(24);
    // Noise and solid blocks, 101 rows: several bands and a short last one.
    let mut seed = 0x9E37_79B9_u32;
    let image = GrayImage::from_fn(WIDTH, 101, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let solid = (40..60).contains(&y) && x > 100;
        Luma([if solid || seed & 1 == 0 { 0 } else { 255 }])
    });
    let receipt = Receipt::new().item(ReceiptItem::Image(image.clone()));
    printer.print(&receipt).expect("printed");
    assert!(simulator.wait_for_cuts(1, PRINTED));
    let page = &simulator.receipts()[0].page;
    let decoded = region(page, 0, 0, WIDTH, image.height());
    let (_, stats) = protocol::encode_receipt(&printer.renderer, &receipt, WIDTH, 24);
    assert_eq!(stats.bands, 5);
    let cleared = differences(&decoded, &image);
    assert_eq!(cleared.len(), stats.defused_dots);
    assert!(cleared.iter().all(|&(x, _, want, got)| x % 8 == 3 && want == 0 && got == 255));
    let bands = simulator.commands().iter().filter(|c| matches!(c, Command::RasterImage { .. })).count();
    assert_eq!(bands, 5);
}

#[test]
fn raster_data_that_spells_real_time_commands_is_defused() {
    let (mut printer, simulator) = rig();
    // One row whose bytes would read DLE EOT 1, DLE ENQ 2, DLE DC4 2 1 8 (power off) on the wire.
    let hazard = [0x10, 0x04, 0x01, 0x10, 0x05, 0x02, 0x10, 0x14, 0x02, 0x01, 0x08];
    let mut image = GrayImage::from_pixel(WIDTH, 1, Luma([255]));
    for (i, byte) in hazard.iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                image.put_pixel(i as u32 * 8 + bit, 0, Luma([0]));
            }
        }
    }
    printer.print(&Receipt::new().item(ReceiptItem::Image(image.clone()))).expect("printed");
    assert!(simulator.wait_for_cuts(1, PRINTED));
    let commands = simulator.commands();
    assert_eq!(status_requests(&commands), 2, "only the driver's own status requests: {commands:?}");
    assert!(commands.iter().all(|c| !matches!(c, Command::RealTime { .. })));
    let row = region(&simulator.receipts()[0].page, 0, 0, WIDTH, 1);
    let cleared: Vec<u32> = differences(&row, &image).iter().map(|d| d.0).collect();
    assert_eq!(cleared, vec![3, 27, 51]);
}

#[test]
fn paper_out_is_no_medium_and_nothing_is_printed() {
    let (mut printer, simulator) = rig();
    simulator.set_paper(PaperStatus::Out);
    assert_eq!(printer.paper_status().expect("status"), PaperStatus::Out);
    let error = printer.print(&Receipt::new().heading("Biên nhận").qr("HS-1", 4)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoMedium);
    assert!(error.message().contains("paper out"), "{error}");
    let health = printer.self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::NoMedium));
    // Only status requests went over the line.
    std::thread::sleep(Duration::from_millis(50));
    let commands = simulator.commands();
    assert!(!commands.is_empty());
    assert!(commands.iter().all(|c| matches!(c, Command::StatusRequest(_))), "{commands:?}");
    assert!(simulator.receipts().is_empty());
}

#[test]
fn near_end_still_prints_and_degrades_the_self_test() {
    let (mut printer, simulator) = rig();
    simulator.set_paper(PaperStatus::NearEnd);
    assert_eq!(printer.paper_status().expect("status"), PaperStatus::NearEnd);
    printer.print(&Receipt::new().text("Mã hồ sơ: HS-2026-000123")).expect("printed");
    assert!(simulator.wait_for_cuts(1, PRINTED));
    assert!(ink(&simulator.receipts()[0].page) > 100);
    let health = printer.self_test();
    assert_eq!(health.status, HealthStatus::Degraded);
    assert_eq!(health.details.get("paper").map(String::as_str), Some("near-end"));
}

#[test]
fn the_self_test_only_asks_for_status() {
    let (mut printer, simulator) = rig();
    let health = printer.self_test();
    assert_eq!(health.status, HealthStatus::Ok, "{health:?}");
    assert_eq!(health.details.get("online").map(String::as_str), Some("true"));
    assert_eq!(health.device.driver, "escpos");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(simulator.commands(), vec![Command::StatusRequest(4), Command::StatusRequest(1)]);
    assert_eq!(simulator.bytes_received(), 6);
}

#[test]
fn an_open_cover_makes_the_printer_busy_and_prints_nothing() {
    let (mut printer, simulator) = rig();
    simulator.set_cover_open(true);
    let health = printer.self_test();
    assert_eq!(health.status, HealthStatus::Failed);
    assert_eq!(health.error_kind, Some(ErrorKind::Busy));
    assert!(health.reason.as_deref().unwrap_or_default().contains("cover open"), "{health:?}");
    assert_eq!(printer.print(&Receipt::new().text("x")).unwrap_err().kind(), ErrorKind::Busy);
    std::thread::sleep(Duration::from_millis(50));
    assert!(simulator.commands().iter().all(|c| matches!(c, Command::StatusRequest(_))));
    assert!(simulator.receipts().is_empty());
}

#[test]
fn a_garbage_status_byte_is_a_protocol_error() {
    let (mut printer, simulator) = rig();
    simulator.set_fault(SimulatorFault::GarbageStatus);
    let error = printer.paper_status().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol);
    assert!(error.message().contains("unexpected status byte 0xff"), "{error}");
    assert_eq!(printer.print(&Receipt::new().text("x")).unwrap_err().kind(), ErrorKind::Protocol);
    assert_eq!(printer.self_test().error_kind, Some(ErrorKind::Protocol));
    assert!(simulator.receipts().is_empty());
}

#[test]
fn silence_is_a_timeout_within_the_configured_deadline() {
    let (printer, simulator) = rig();
    let mut printer = printer.with_reply_timeout(Duration::from_millis(150));
    simulator.set_fault(SimulatorFault::Silent);
    let started = Instant::now();
    let error = printer.paper_status().unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(took >= Duration::from_millis(150) && took < Duration::from_secs(1), "{took:?}");
    assert_eq!(printer.self_test().error_kind, Some(ErrorKind::Timeout));
    // Once the printer answers again, so does the driver.
    simulator.set_fault(SimulatorFault::None);
    simulator.set_paper(PaperStatus::NearEnd);
    assert_eq!(printer.paper_status().expect("status"), PaperStatus::NearEnd);
}

#[test]
fn an_unplugged_printer_is_disconnected() {
    let (mut printer, mut simulator) = rig();
    assert_eq!(printer.paper_status().expect("status"), PaperStatus::Ok);
    simulator.stop();
    assert!(!simulator.is_running());
    assert_eq!(printer.paper_status().unwrap_err().kind(), ErrorKind::Disconnected);
    assert_eq!(printer.print(&Receipt::new().text("x")).unwrap_err().kind(), ErrorKind::Disconnected);
}

#[test]
fn the_simulator_stops_when_the_driver_closes_the_line() {
    let (printer, simulator) = rig();
    drop(printer);
    let deadline = Instant::now() + Duration::from_secs(1);
    while simulator.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!simulator.is_running());
}

/// A transport that answers with scripted bytes, one per read, and times out when it has none.
struct Scripted {
    replies: VecDeque<Option<u8>>,
    written: Vec<u8>,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.replies.pop_front() {
            Some(Some(byte)) => {
                buf[0] = byte;
                Ok(1)
            }
            Some(None) => Ok(0),
            None => Err(io::ErrorKind::TimedOut.into()),
        }
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn scripted(replies: impl IntoIterator<Item = Option<u8>>) -> EscPos<Scripted> {
    let port = Scripted { replies: replies.into_iter().collect(), written: Vec::new() };
    EscPos::new(port, "scripted", renderer(), 384).with_reply_timeout(Duration::from_millis(50))
}

#[test]
fn xon_xoff_bytes_before_a_status_reply_are_skipped() {
    let mut printer = scripted([Some(XON), Some(XOFF), Some(0x1E)]);
    assert_eq!(printer.request_status(StatusRequest::RollPaper).expect("status"), 0x1E);
    assert_eq!(printer.into_port().written, vec![0x10, 0x04, 0x04]);
}

#[test]
fn a_closed_transport_is_disconnected() {
    // The first end-of-file ends the stale-input drain, the second comes instead of the reply.
    let mut printer = scripted([None, None]);
    assert_eq!(printer.paper_status().unwrap_err().kind(), ErrorKind::Disconnected);
}
