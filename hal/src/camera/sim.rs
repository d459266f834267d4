//! Simulated camera: renders what the [`World`] puts in front of it.

use std::time::Duration;

use image::{Rgb, RgbImage};
use rand::RngExt;

use super::{Camera, Exposure, Focus, Frame};
use crate::sim::scene::{self, CardPose};
use crate::sim::{CameraScene, FaultPlan, Injected, World};
use crate::{Device, DeviceInfo, DeviceKind, Health, Result};

/// Settings of the simulated camera.
#[derive(Debug, Clone, PartialEq)]
pub struct SimCameraSettings {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second (sets frame timestamps).
    pub fps: u32,
    /// Seed of the sensor noise and hand tremor.
    pub seed: u64,
}

impl Default for SimCameraSettings {
    fn default() -> Self {
        SimCameraSettings { width: 1280, height: 720, fps: 30, seed: 1 }
    }
}

/// A camera that draws its frames.
pub struct SimCamera {
    settings: SimCameraSettings,
    world: World,
    faults: FaultPlan,
    desk: RgbImage,
    sequence: u64,
    exposure: Exposure,
    streaming: bool,
}

impl SimCamera {
    /// A camera looking at `world`.
    pub fn new(settings: SimCameraSettings, world: World, faults: FaultPlan) -> Self {
        let desk = scene::desk(settings.width, settings.height);
        SimCamera { settings, world, faults, desk, sequence: 0, exposure: Exposure::Auto, streaming: false }
    }

    fn render(&self, rng: &mut impl rand::Rng, t: f32) -> RgbImage {
        let (w, h) = (self.settings.width, self.settings.height);
        match self.world.state().camera_scene {
            CameraScene::Empty => {
                let mut desk = self.desk.clone();
                scene::add_noise(&mut desk, rng, 4);
                desk
            }
            CameraScene::Portrait => scene::portrait(w, h, t, rng),
            CameraScene::Card(side) => {
                // A hand holding the card trembles by a pixel or two.
                let base = CardPose::default();
                let sx = w as f32 / 1280.0;
                let pose = CardPose {
                    center: (
                        base.center.0 * sx + rng.random_range(-1.5..1.5f32),
                        base.center.1 * h as f32 / 720.0 + rng.random_range(-1.5..1.5f32),
                    ),
                    width: base.width * sx,
                    ..base
                };
                scene::card_on_desk(self.world.card().side_small(side), &pose, &self.desk, rng)
            }
        }
    }
}

impl Device for SimCamera {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Camera, driver: "sim".into(), location: "simulated".into() }
    }

    fn self_test(&mut self) -> Health {
        let resolution = format!("{}x{}", self.settings.width, self.settings.height);
        Health::from_test(self.info(), |info| {
            let frame = self.frame(Duration::from_secs(1))?;
            self.stop();
            Ok(Health::ok(info)
                .with_detail("resolution", resolution)
                .with_detail("format", "RGB24 (rendered)")
                .with_detail("frame", frame.sequence))
        })
    }
}

impl Camera for SimCamera {
    fn resolution(&self) -> (u32, u32) {
        (self.settings.width, self.settings.height)
    }

    fn frame(&mut self, _timeout: Duration) -> Result<Frame> {
        let injected = self.faults.operation("camera")?;
        self.streaming = true;
        let sequence = self.sequence;
        self.sequence += 1;
        let timestamp = Duration::from_secs_f64(sequence as f64 / f64::from(self.settings.fps.max(1)));
        let mut rng = scene::rng(self.settings.seed.wrapping_mul(1_000_003).wrapping_add(sequence));
        let mut image = self.render(&mut rng, timestamp.as_secs_f32());
        if let Exposure::Manual(units) = self.exposure {
            // 333 units (33 ms) is the scene's nominal exposure.
            let gain = units as f32 / 333.0;
            image.pixels_mut().for_each(|p| p.0 = p.0.map(|v| (v as f32 * gain).min(255.0) as u8));
        }
        if injected == Injected::Garbage {
            // A corrupt USB transfer: the lower part of the frame is green garbage.
            let h = image.height();
            for y in h / 3..h {
                for x in 0..image.width() {
                    image.put_pixel(x, y, Rgb([0, 255, 0]));
                }
            }
        }
        Ok(Frame { image, sequence, timestamp })
    }

    fn set_exposure(&mut self, exposure: Exposure) -> Result<()> {
        self.faults.check_present("camera")?;
        self.exposure = exposure;
        Ok(())
    }

    fn set_focus(&mut self, _focus: Focus) -> Result<()> {
        self.faults.check_present("camera")
    }

    fn stop(&mut self) {
        self.streaming = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{CardSide, Fault, WorldState};
    use crate::{ErrorKind, HealthStatus};

    fn camera(scene: CameraScene, fault: Fault, after: u32) -> SimCamera {
        let world = World::new(WorldState { camera_scene: scene, ..WorldState::default() });
        SimCamera::new(SimCameraSettings::default(), world, FaultPlan::new(fault, after))
    }

    #[test]
    fn frames_count_up_and_change_slightly_like_a_live_stream() {
        let mut cam = camera(CameraScene::Card(CardSide::Front), Fault::None, 0);
        let a = cam.frame(Duration::from_millis(100)).unwrap();
        let b = cam.frame(Duration::from_millis(100)).unwrap();
        assert_eq!((a.sequence, b.sequence), (0, 1));
        assert!(b.timestamp > a.timestamp);
        assert_eq!(a.image.dimensions(), (1280, 720));
        assert_ne!(a.image, b.image);
    }

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let mut one = camera(CameraScene::Portrait, Fault::None, 0);
        let mut two = camera(CameraScene::Portrait, Fault::None, 0);
        assert_eq!(one.frame(Duration::ZERO).unwrap().image, two.frame(Duration::ZERO).unwrap().image);
    }

    #[test]
    fn unplug_mid_stream_is_reported_as_disconnected() {
        let mut cam = camera(CameraScene::Empty, Fault::Unplug, 2);
        cam.frame(Duration::ZERO).unwrap();
        cam.frame(Duration::ZERO).unwrap();
        assert_eq!(cam.frame(Duration::ZERO).unwrap_err().kind(), ErrorKind::Disconnected);
        let health = cam.self_test();
        assert_eq!(health.status, HealthStatus::Failed);
        assert_eq!(health.error_kind, Some(ErrorKind::Disconnected));
    }

    #[test]
    fn garbage_frames_are_visibly_corrupt() {
        let mut cam = camera(CameraScene::Empty, Fault::Garbage, 0);
        let frame = cam.frame(Duration::ZERO).unwrap();
        assert_eq!(frame.image.get_pixel(640, 700).0, [0, 255, 0]);
    }

    #[test]
    fn manual_exposure_darkens_or_brightens() {
        let mut cam = camera(CameraScene::Empty, Fault::None, 0);
        let auto = cam.frame(Duration::ZERO).unwrap().image;
        cam.set_exposure(Exposure::Manual(100)).unwrap();
        let short = cam.frame(Duration::ZERO).unwrap().image;
        let sum = |i: &RgbImage| i.iter().map(|&v| u64::from(v)).sum::<u64>();
        assert!(sum(&short) * 2 < sum(&auto));
    }
}
