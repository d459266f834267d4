//! Simulated fingerprint sensor: 256 x 288 images at 500 ppi, like an R503.

use std::time::Duration;

use image::Luma;

use super::{FingerImage, FingerprintSensor};
use crate::sim::{Fault, FaultPlan, Injected, World, scene};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, Result};

/// Image width of the simulated sensor (as the R503).
pub const WIDTH: u32 = 256;
/// Image height of the simulated sensor (as the R503).
pub const HEIGHT: u32 = 288;

/// A sensor that draws ridge patterns.
pub struct SimFingerprint {
    world: World,
    faults: FaultPlan,
    seed: u64,
    captures: u64,
}

impl SimFingerprint {
    /// A sensor in `world`; `seed` varies the finger.
    pub fn new(world: World, faults: FaultPlan, seed: u64) -> Self {
        SimFingerprint { world, faults, seed, captures: 0 }
    }

    fn finger_on_sensor(&self) -> bool {
        self.world.state().finger_on_sensor && self.faults.fault() != Fault::NoFinger
    }
}

impl Device for SimFingerprint {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Fingerprint, driver: "sim".into(), location: "simulated".into() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            self.faults.operation("fingerprint sensor")?;
            Ok(Health::ok(info).with_detail("image", format!("{WIDTH}x{HEIGHT} 500 ppi")))
        })
    }
}

impl FingerprintSensor for SimFingerprint {
    fn finger_present(&mut self) -> Result<bool> {
        self.faults.operation("fingerprint sensor")?;
        Ok(self.finger_on_sensor())
    }

    fn capture(&mut self, timeout: Duration) -> Result<FingerImage> {
        let injected = self.faults.operation("fingerprint sensor")?;
        if !self.finger_on_sensor() {
            return Err(DeviceError::new(
                ErrorKind::NoMedium,
                format!("no finger placed within {} ms", timeout.as_millis()),
            ));
        }
        self.captures += 1;
        // The same finger each time (seed), pressed a little differently (capture count).
        let mut image = scene::fingerprint(WIDTH, HEIGHT, self.seed.wrapping_add(self.captures % 3));
        if injected == Injected::Garbage {
            image.pixels_mut().step_by(3).for_each(|p| *p = Luma([0]));
        }
        Ok(FingerImage { image, ppi: 500 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::WorldState;

    #[test]
    fn a_placed_finger_gives_a_500_ppi_image_of_the_sensor_size() {
        let mut sensor = SimFingerprint::new(World::default(), FaultPlan::none(), 1);
        assert!(sensor.finger_present().unwrap());
        let print = sensor.capture(Duration::from_millis(10)).unwrap();
        assert_eq!((print.image.dimensions(), print.ppi), ((WIDTH, HEIGHT), 500));
    }

    #[test]
    fn no_finger_is_no_medium() {
        let world = World::new(WorldState { finger_on_sensor: false, ..WorldState::default() });
        let mut sensor = SimFingerprint::new(world.clone(), FaultPlan::none(), 1);
        assert_eq!(sensor.capture(Duration::from_millis(10)).unwrap_err().kind(), ErrorKind::NoMedium);
        let mut never = SimFingerprint::new(World::default(), FaultPlan::new(Fault::NoFinger, 0), 1);
        assert!(!never.finger_present().unwrap());
    }

    #[test]
    fn a_timeout_fault_fails_the_self_test() {
        let mut sensor = SimFingerprint::new(World::default(), FaultPlan::new(Fault::Timeout, 0), 1);
        let health = sensor.self_test();
        assert_eq!(health.error_kind, Some(ErrorKind::Timeout));
    }
}
