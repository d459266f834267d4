//! Simulated document scanner: a 600-dpi bed showing the card side the [`World`] puts on it.

use image::{Rgb, RgbImage};

use super::{DocumentScanner, ScanRequest, ScannedImage};
use crate::sim::scene;
use crate::sim::{FaultPlan, Injected, World};
use crate::{Device, DeviceInfo, DeviceKind, Health, Result};

/// A scanner that draws its scans.
pub struct SimScanner {
    world: World,
    faults: FaultPlan,
    seed: u64,
    scans: u64,
}

impl SimScanner {
    /// A scanner in `world`; `seed` varies where the citizen lays the card.
    pub fn new(world: World, faults: FaultPlan, seed: u64) -> Self {
        SimScanner { world, faults, seed, scans: 0 }
    }
}

impl Device for SimScanner {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Scanner, driver: "sim".into(), location: "simulated".into() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            self.faults.operation("scanner")?;
            let present = self.world.state().card_on_scanner.is_some();
            Ok(Health::ok(info)
                .with_detail("resolution", "600 dpi")
                .with_detail("lights", "white, infrared, ultraviolet")
                .with_detail("document", if present { "present" } else { "none" }))
        })
    }
}

impl DocumentScanner for SimScanner {
    fn document_present(&mut self) -> Result<bool> {
        self.faults.operation("scanner")?;
        Ok(self.world.state().card_on_scanner.is_some())
    }

    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<ScannedImage>> {
        let mut images = Vec::with_capacity(request.lights.len());
        self.scans += 1;
        for &light in &request.lights {
            // Each light is one exposure: a fault can strike between two of them.
            let injected = self.faults.operation("scanner")?;
            let mut rng = scene::rng(self.seed ^ self.scans.wrapping_mul(0x9E37_79B9));
            let mut image = match self.world.state().card_on_scanner {
                Some(side) => scene::flatbed(self.world.card(), side, light, &mut rng),
                None => RgbImage::from_pixel(
                    scene::CARD_WIDTH_600DPI + 180,
                    scene::CARD_HEIGHT_600DPI + 160,
                    scene::SCANNER_BED,
                ),
            };
            if injected == Injected::Garbage {
                let skip = image.width() as usize * 200;
                image.pixels_mut().skip(skip).for_each(|p| *p = Rgb([255, 0, 255]));
            }
            if request.dpi != 600 {
                let scale = request.dpi as f32 / 600.0;
                let (w, h) = ((image.width() as f32 * scale) as u32, (image.height() as f32 * scale) as u32);
                image = image::imageops::resize(&image, w.max(1), h.max(1), image::imageops::FilterType::Triangle);
            }
            images.push(ScannedImage { light, image, dpi: request.dpi });
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::gpio::Light;
    use crate::sim::{CardSide, Fault, WorldState};

    #[test]
    fn one_image_per_light_at_600_dpi_holding_the_card() {
        let world = World::new(WorldState { card_on_scanner: Some(CardSide::Back), ..WorldState::default() });
        let mut scanner = SimScanner::new(world, FaultPlan::none(), 5);
        assert!(scanner.document_present().unwrap());
        let request = ScanRequest { lights: vec![Light::White, Light::Infrared], dpi: 600 };
        let images = scanner.scan(&request).unwrap();
        assert_eq!(images.iter().map(|i| i.light).collect::<Vec<_>>(), [Light::White, Light::Infrared]);
        assert!(images[0].image.width() > scene::CARD_WIDTH_600DPI);
        assert_eq!(images[0].dpi, 600);
    }

    #[test]
    fn an_empty_bed_scans_blank_and_reports_no_document() {
        let world = World::new(WorldState { card_on_scanner: None, ..WorldState::default() });
        let mut scanner = SimScanner::new(world, FaultPlan::none(), 5);
        assert!(!scanner.document_present().unwrap());
        let scan = scanner.scan(&ScanRequest::default()).unwrap();
        assert!(scan[0].image.pixels().all(|p| *p == scene::SCANNER_BED));
    }

    #[test]
    fn unplug_between_two_lights_fails_the_scan() {
        let mut scanner = SimScanner::new(World::default(), FaultPlan::new(Fault::Unplug, 1), 5);
        let request = ScanRequest { lights: vec![Light::White, Light::Ultraviolet], dpi: 300 };
        assert_eq!(scanner.scan(&request).unwrap_err().kind(), ErrorKind::Disconnected);
    }
}
