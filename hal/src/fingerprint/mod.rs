//! Fingerprint sensors.

use std::time::Duration;

use image::GrayImage;

use crate::{Device, Result};

#[cfg(feature = "serial")]
pub mod r503;
pub mod sim;

/// A captured fingerprint image.
#[derive(Clone)]
pub struct FingerImage {
    /// 8-bit grey levels, ridges dark.
    pub image: GrayImage,
    /// Resolution in pixels per inch.
    pub ppi: u32,
}

impl std::fmt::Debug for FingerImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Biometric data: never print pixels.
        f.debug_struct("FingerImage").field("size", &self.image.dimensions()).field("ppi", &self.ppi).finish()
    }
}

/// A fingerprint sensor.
pub trait FingerprintSensor: Device {
    /// Whether a finger is on the sensor now.
    fn finger_present(&mut self) -> Result<bool>;

    /// Waits up to `timeout` for a finger and captures its image; [`crate::ErrorKind::NoMedium`] when
    /// no finger came.
    fn capture(&mut self, timeout: Duration) -> Result<FingerImage>;
}
