//! What the technician commands do: list and test devices, capture a picture from one, print a test
//! receipt. The command line (and later the service menu) only presents the results.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk_hal::gpio::Light;
use kiosk_hal::printer::{Align, Receipt, ReceiptItem, TextSize};
use kiosk_hal::scanner::ScanRequest;
use kiosk_hal::{DeviceError, HealthStatus};
use serde::Serialize;

use crate::devices::{DeviceReport, Devices};

/// The self-test of every device, as `kiosk devices selftest` reports it.
#[derive(Debug, Serialize)]
pub struct SelfTest {
    /// The kiosk.
    pub kiosk_id: String,
    /// Whether every required device works (ok or degraded).
    pub ok: bool,
    /// One record per device.
    pub devices: Vec<DeviceReport>,
    /// How long the whole test took, in milliseconds.
    pub elapsed_ms: u128,
}

/// Tests every device.
pub fn self_test(devices: &mut Devices, kiosk_id: &str) -> SelfTest {
    let started = Instant::now();
    let reports = devices.self_test();
    let ok = !reports.iter().any(DeviceReport::blocks_service);
    SelfTest { kiosk_id: kiosk_id.to_owned(), ok, devices: reports, elapsed_ms: started.elapsed().as_millis() }
}

impl SelfTest {
    /// A table for a terminal, with what to do for each failed device.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for report in &self.devices {
            let h = &report.health;
            let status = match h.status {
                HealthStatus::Ok => "ok",
                HealthStatus::Degraded => "DEGRADED",
                HealthStatus::Failed if report.required => "FAILED",
                HealthStatus::Failed => "failed (optional)",
            };
            let details: Vec<String> = h.details.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                out,
                "{:<12} {:<11} {:<18} {:<30} {}",
                h.device.kind.to_string(),
                h.device.driver,
                status,
                h.device.location,
                details.join(" ")
            );
            if let Some(reason) = &h.reason {
                let advice = h.error_kind.map(|k| format!(" → {}", k.advice())).unwrap_or_default();
                let _ = writeln!(out, "{:<12} {reason}{advice}", "");
            }
        }
        let verdict = if self.ok { "all required devices work" } else { "a required device does not work" };
        let _ = writeln!(out, "{verdict} ({} ms)", self.elapsed_ms);
        out
    }
}

/// What `kiosk devices capture` can take a picture with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureSource {
    /// One camera frame.
    Camera,
    /// One scan per requested light.
    Scanner,
    /// One fingerprint.
    Fingerprint,
}

/// Takes a picture from `source` and writes it to `out` (format from the extension: png, jpg, bmp,
/// ...). A scan under several lights writes one file per light, suffixed `-infrared`,
/// `-ultraviolet`. Returns the files written.
pub fn capture(
    devices: &mut Devices,
    source: CaptureSource,
    lights: &[Light],
    out: &Path,
) -> Result<Vec<PathBuf>, CaptureError> {
    image::ImageFormat::from_path(out).map_err(|_| CaptureError::Format(out.to_owned()))?;
    match source {
        CaptureSource::Camera => {
            let frame = devices.camera.frame(Duration::from_secs(5))?;
            devices.camera.stop();
            save(frame.image, out)?;
            Ok(vec![out.to_owned()])
        }
        CaptureSource::Scanner => {
            let lights = if lights.is_empty() { vec![Light::White] } else { lights.to_vec() };
            let scans = devices.scanner.scan(&ScanRequest { lights, dpi: 600 })?;
            let mut written = Vec::new();
            for (i, scan) in scans.into_iter().enumerate() {
                let path = if i == 0 { out.to_owned() } else { suffixed(out, scan.light.name()) };
                save(scan.image, &path)?;
                written.push(path);
            }
            Ok(written)
        }
        CaptureSource::Fingerprint => {
            let print = devices.fingerprint.capture(Duration::from_secs(10))?;
            save(print.image, out)?;
            Ok(vec![out.to_owned()])
        }
    }
}

/// Why a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The device failed.
    #[error("{0} → {advice}", advice = .0.kind().advice())]
    Device(#[from] DeviceError),
    /// The output file name has no image extension.
    #[error("{0}: use a file name ending in .png, .jpg or .bmp")]
    Format(PathBuf),
    /// The image could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn save(image: impl Into<image::DynamicImage>, path: &Path) -> Result<(), CaptureError> {
    image.into().save(path).map_err(|e| CaptureError::Write { path: path.to_owned(), reason: e.to_string() })
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}

/// The test receipt: every script the kiosk prints, a QR code and a rule.
pub fn test_receipt(kiosk_id: &str) -> Receipt {
    Receipt::new()
        .heading("IN THỬ / PRINT TEST")
        .text(format!("Kiosk {kiosk_id} · kiosk {}", env!("CARGO_PKG_VERSION")))
        .item(ReceiptItem::Rule)
        .text("Tiếng Việt: Cộng hòa Xã hội Chủ nghĩa Việt Nam — Độc lập, Tự do, Hạnh phúc")
        .text("中文：外国人电子身份识别")
        .text("한국어: 전자 신원 확인")
        .text("日本語：電子身分証明")
        .item(ReceiptItem::Text {
            text: "0123456789 ₫ đ Đ ư Ư ơ Ơ".into(),
            size: TextSize::Large,
            align: Align::Center,
            bold: true,
        })
        .qr(format!("KIOSK-PRINT-TEST:{kiosk_id}"), 6)
        .item(ReceiptItem::Feed(2))
}

/// Prints the test receipt (the printer driver refuses it, printing nothing, when the paper is out).
pub fn print_test(devices: &mut Devices, kiosk_id: &str) -> Result<(), DeviceError> {
    devices.printer.print(&test_receipt(kiosk_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_lights_get_suffixed_file_names() {
        assert_eq!(suffixed(Path::new("/tmp/scan.png"), "infrared"), Path::new("/tmp/scan-infrared.png"));
        assert_eq!(suffixed(Path::new("scan"), "uv"), Path::new("scan-uv"));
    }
}
