//! Cameras: live frames for card guidance and portraits.

use std::time::Duration;

use image::RgbImage;

use crate::{Device, Result};

pub mod sim;
#[cfg(feature = "v4l")]
pub mod v4l;
#[cfg(feature = "v4l")]
mod yuyv;

/// One decoded frame.
#[derive(Clone)]
pub struct Frame {
    /// The pixels, 8-bit RGB.
    pub image: RgbImage,
    /// Frame counter since the stream started.
    pub sequence: u64,
    /// Time since the stream started.
    pub timestamp: Duration,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Frames can show a person or a card: never print pixels.
        f.debug_struct("Frame")
            .field("size", &self.image.dimensions())
            .field("sequence", &self.sequence)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// Exposure control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// The camera chooses.
    Auto,
    /// Fixed exposure time in units of 100 µs (V4L2 `exposure_time_absolute`).
    Manual(u32),
}

/// Focus control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Focus {
    /// Continuous autofocus.
    Auto,
    /// Fixed focus position in the driver's units (V4L2 `focus_absolute`).
    Manual(u32),
}

/// A camera delivering RGB frames.
pub trait Camera: Device {
    /// Width and height of the frames this camera delivers.
    fn resolution(&self) -> (u32, u32);

    /// Waits up to `timeout` for the next frame, starting the stream if needed.
    fn frame(&mut self, timeout: Duration) -> Result<Frame>;

    /// Sets the exposure.
    fn set_exposure(&mut self, exposure: Exposure) -> Result<()>;

    /// Sets the focus.
    fn set_focus(&mut self, focus: Focus) -> Result<()>;

    /// Stops streaming (the next [`Camera::frame`] starts it again).
    fn stop(&mut self);
}
