//! Document scanners: a camera box with white/IR/UV lights, or an eSCL (driverless) scanner.

use image::RgbImage;

use crate::gpio::Light;
use crate::{Device, Result};

pub mod camera_box;
#[cfg(feature = "escl")]
pub mod escl;
pub mod sim;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    /// One image per light, in this order.
    pub lights: Vec<Light>,
    /// Wanted resolution in dots per inch (drivers deliver their nearest supported one).
    pub dpi: u32,
}

impl Default for ScanRequest {
    fn default() -> Self {
        ScanRequest { lights: vec![Light::White], dpi: 600 }
    }
}

/// One image of a scan.
#[derive(Clone)]
pub struct ScannedImage {
    /// The light it was taken under.
    pub light: Light,
    /// The pixels.
    pub image: RgbImage,
    /// Actual resolution in dots per inch.
    pub dpi: u32,
}

impl std::fmt::Debug for ScannedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A scan shows an identity document: never print pixels.
        f.debug_struct("ScannedImage")
            .field("light", &self.light)
            .field("size", &self.image.dimensions())
            .field("dpi", &self.dpi)
            .finish()
    }
}

/// A document scanner.
pub trait DocumentScanner: Device {
    /// Whether a document lies on the scanner (`Unsupported` if the scanner cannot tell).
    fn document_present(&mut self) -> Result<bool>;

    /// Scans the document once per requested light.
    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<ScannedImage>>;
}
