//! The camera box: a document scanner made of a fixed camera over a glass plate and white, infrared
//! and ultraviolet lights switched through GPIO. One frame per light.

use std::time::Duration;

use super::{DocumentScanner, ScanRequest, ScannedImage};
use crate::camera::Camera;
use crate::gpio::{Light, SharedGpio};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// How the box is built.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraBoxSettings {
    /// Resolution of the camera image on the glass, measured when the box is calibrated.
    pub dpi: u32,
    /// Time the lights need to reach full brightness and the camera to adapt.
    pub settle: Duration,
    /// Frames thrown away after switching lights (they were exposed under the previous light).
    pub discard_frames: u32,
    /// Deadline for one frame.
    pub frame_timeout: Duration,
}

impl Default for CameraBoxSettings {
    fn default() -> Self {
        CameraBoxSettings {
            dpi: 600,
            settle: Duration::from_millis(80),
            discard_frames: 2,
            frame_timeout: Duration::from_secs(2),
        }
    }
}

/// A camera box scanner.
pub struct CameraBox {
    camera: Box<dyn Camera>,
    gpio: SharedGpio,
    settings: CameraBoxSettings,
}

impl CameraBox {
    /// A box with its own camera and the kiosk's shared GPIO.
    pub fn new(camera: Box<dyn Camera>, gpio: SharedGpio, settings: CameraBoxSettings) -> Self {
        CameraBox { camera, gpio, settings }
    }

    fn set_light(&self, light: Light, on: bool) -> Result<()> {
        let mut gpio = self.gpio.lock().map_err(|_| DeviceError::new(ErrorKind::Other, "GPIO lock poisoned"))?;
        gpio.set_light(light, on)
    }

    fn all_lights_off(&self) -> Result<()> {
        Light::ALL.into_iter().try_for_each(|light| self.set_light(light, false))
    }

    fn exposure_under(&mut self, light: Light) -> Result<ScannedImage> {
        self.all_lights_off()?;
        self.set_light(light, true)?;
        std::thread::sleep(self.settings.settle);
        for _ in 0..self.settings.discard_frames {
            self.camera.frame(self.settings.frame_timeout)?;
        }
        let frame = self.camera.frame(self.settings.frame_timeout)?;
        Ok(ScannedImage { light, image: frame.image, dpi: self.settings.dpi })
    }
}

impl Device for CameraBox {
    fn info(&self) -> DeviceInfo {
        let camera = self.camera.info();
        DeviceInfo {
            kind: DeviceKind::Scanner,
            driver: "camera-box".into(),
            location: format!("{} camera at {}", camera.driver, camera.location),
        }
    }

    fn self_test(&mut self) -> Health {
        let camera = self.camera.self_test();
        let mut health = Health { device: self.info(), ..camera.clone() };
        if let Err(error) = self.all_lights_off() {
            return Health::failed(self.info(), &error);
        }
        health.details.insert("dpi".into(), self.settings.dpi.to_string());
        health
    }
}

impl DocumentScanner for CameraBox {
    fn document_present(&mut self) -> Result<bool> {
        Err(DeviceError::new(
            ErrorKind::Unsupported,
            "a camera box has no document sensor; the capture checks find the card in the image",
        ))
    }

    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<ScannedImage>> {
        let result: Result<Vec<_>> = request.lights.iter().map(|&light| self.exposure_under(light)).collect();
        // Whatever happened, no light stays on: UV in particular must not.
        let off = self.all_lights_off();
        self.camera.stop();
        let images = result?;
        off?;
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::camera::sim::{SimCamera, SimCameraSettings};
    use crate::gpio::Gpio;
    use crate::gpio::sim::SimGpio;
    use crate::sim::{Fault, FaultPlan, World};

    /// GPIO that records every switch, to check the light sequence.
    struct Recording(Arc<Mutex<Vec<(Light, bool)>>>, SimGpio);

    impl Device for Recording {
        fn info(&self) -> DeviceInfo {
            self.1.info()
        }
        fn self_test(&mut self) -> Health {
            self.1.self_test()
        }
    }

    impl Gpio for Recording {
        fn set_light(&mut self, light: Light, on: bool) -> Result<()> {
            self.0.lock().unwrap().push((light, on));
            self.1.set_light(light, on)
        }
        fn read(&mut self, input: crate::gpio::Input) -> Result<bool> {
            self.1.read(input)
        }
    }

    type SwitchLog = Arc<Mutex<Vec<(Light, bool)>>>;

    fn scanner(camera_fault: Fault, after: u32) -> (CameraBox, SwitchLog) {
        let world = World::default();
        let log = Arc::new(Mutex::new(Vec::new()));
        let gpio: SharedGpio =
            Arc::new(Mutex::new(Box::new(Recording(log.clone(), SimGpio::new(world.clone(), FaultPlan::none())))));
        let settings = SimCameraSettings { width: 320, height: 180, ..SimCameraSettings::default() };
        let camera = SimCamera::new(settings, world, FaultPlan::new(camera_fault, after));
        let settings = CameraBoxSettings { settle: Duration::ZERO, discard_frames: 1, ..CameraBoxSettings::default() };
        (CameraBox::new(Box::new(camera), gpio, settings), log)
    }

    fn lit_during(log: &[(Light, bool)]) -> Vec<Light> {
        log.iter().filter(|(_, on)| *on).map(|(l, _)| *l).collect()
    }

    #[test]
    fn each_light_is_switched_on_alone_for_its_image_and_all_end_off() {
        let (mut scanner, log) = scanner(Fault::None, 0);
        let request = ScanRequest { lights: vec![Light::White, Light::Infrared, Light::Ultraviolet], dpi: 600 };
        let images = scanner.scan(&request).unwrap();
        assert_eq!(images.len(), 3);
        assert_eq!(images[2].light, Light::Ultraviolet);
        let log = log.lock().unwrap();
        assert_eq!(lit_during(&log), [Light::White, Light::Infrared, Light::Ultraviolet]);
        assert!(log.iter().rev().take(3).all(|(_, on)| !on), "the scan ends with every light off");
    }

    #[test]
    fn a_camera_unplugged_mid_scan_still_leaves_the_lights_off() {
        let (mut scanner, log) = scanner(Fault::Unplug, 3);
        let request = ScanRequest { lights: vec![Light::White, Light::Ultraviolet], dpi: 600 };
        assert_eq!(scanner.scan(&request).unwrap_err().kind(), ErrorKind::Disconnected);
        let log = log.lock().unwrap();
        assert_eq!(log.last(), Some(&(Light::Ultraviolet, false)));
    }

    #[test]
    fn the_box_cannot_sense_a_document() {
        let (mut scanner, _) = scanner(Fault::None, 0);
        assert_eq!(scanner.document_present().unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
