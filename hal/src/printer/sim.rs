//! Simulated receipt printer: renders receipts to images (and PNG files when told where).

use std::path::PathBuf;

use image::GrayImage;

use super::raster::TextRenderer;
use super::{PaperStatus, Receipt, ReceiptPrinter};
use crate::sim::{Fault, FaultPlan, Injected};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// A printer that draws its receipts.
pub struct SimPrinter {
    renderer: TextRenderer,
    width_dots: u32,
    faults: FaultPlan,
    output_dir: Option<PathBuf>,
    printed: Vec<GrayImage>,
}

impl SimPrinter {
    /// A printer `width_dots` wide; with `output_dir`, every receipt is also written there as a PNG.
    pub fn new(renderer: TextRenderer, width_dots: u32, faults: FaultPlan, output_dir: Option<PathBuf>) -> Self {
        SimPrinter { renderer, width_dots, faults, output_dir, printed: Vec::new() }
    }

    /// The receipts printed so far.
    pub fn printed(&self) -> &[GrayImage] {
        &self.printed
    }

    fn paper(&self) -> PaperStatus {
        match self.faults.fault() {
            Fault::NoPaper => PaperStatus::Out,
            Fault::PaperNearEnd => PaperStatus::NearEnd,
            _ => PaperStatus::Ok,
        }
    }

    fn save(&self, page: &GrayImage) -> Result<()> {
        let Some(dir) = &self.output_dir else { return Ok(()) };
        std::fs::create_dir_all(dir).map_err(|e| DeviceError::from_io("simulated printer output directory", e))?;
        // Number after what is already there, so a later run never overwrites an earlier receipt.
        let path = (0..)
            .map(|n| dir.join(format!("receipt-{n:04}.png")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join("receipt.png"));
        page.save(&path)
            .map_err(|e| DeviceError::new(ErrorKind::Other, format!("cannot write {}: {e}", path.display())))
    }
}

impl Device for SimPrinter {
    fn info(&self) -> DeviceInfo {
        let location = match &self.output_dir {
            Some(dir) => format!("simulated, receipts in {}", dir.display()),
            None => "simulated".into(),
        };
        DeviceInfo { kind: DeviceKind::Printer, driver: "sim".into(), location }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            let paper = self.paper_status()?;
            let health = match paper {
                PaperStatus::Ok => Health::ok(info),
                PaperStatus::NearEnd => Health::degraded(info, "paper roll nearly empty: replace it soon"),
                PaperStatus::Out => {
                    return Err(DeviceError::new(ErrorKind::NoMedium, "paper out: load a new paper roll"));
                }
            };
            Ok(health.with_detail("paper", format!("{paper:?}").to_lowercase()).with_detail("width", self.width_dots))
        })
    }
}

impl ReceiptPrinter for SimPrinter {
    fn paper_status(&mut self) -> Result<PaperStatus> {
        if self.faults.operation("printer")? == Injected::Garbage {
            return Err(DeviceError::new(ErrorKind::Protocol, "simulated printer sent an invalid status byte"));
        }
        Ok(self.paper())
    }

    fn print(&mut self, receipt: &Receipt) -> Result<()> {
        if self.paper_status()? == PaperStatus::Out {
            return Err(DeviceError::new(ErrorKind::NoMedium, "paper out: nothing printed"));
        }
        let page = self.renderer.render_receipt(receipt, self.width_dots);
        self.save(&page)?;
        self.printed.push(page);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HealthStatus;
    use crate::printer::raster::DEBIAN_FONTS;

    fn printer(fault: Fault, dir: Option<PathBuf>) -> SimPrinter {
        let renderer = TextRenderer::from_files(&DEBIAN_FONTS).expect("set-up installs the fonts");
        SimPrinter::new(renderer, 576, FaultPlan::new(fault, 0), dir)
    }

    #[test]
    fn a_receipt_is_rendered_and_saved_as_png() {
        let dir = std::env::temp_dir().join(format!("kiosk-sim-printer-{}", std::process::id()));
        let mut p = printer(Fault::None, Some(dir.clone()));
        p.print(&Receipt::new().heading("Biên nhận").qr("HS-1", 4)).unwrap();
        p.print(&Receipt::new().text("second")).unwrap();
        assert_eq!(p.printed().len(), 2);
        let saved = image::open(dir.join("receipt-0000.png")).unwrap().to_luma8();
        assert_eq!(saved, p.printed()[0]);
        assert!(dir.join("receipt-0001.png").exists(), "the second receipt does not overwrite the first");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn paper_out_prints_nothing_and_fails_the_self_test() {
        let mut p = printer(Fault::NoPaper, None);
        assert_eq!(p.print(&Receipt::new().text("x")).unwrap_err().kind(), ErrorKind::NoMedium);
        assert!(p.printed().is_empty());
        assert_eq!(p.self_test().status, HealthStatus::Failed);
        assert_eq!(printer(Fault::PaperNearEnd, None).self_test().status, HealthStatus::Degraded);
    }
}
