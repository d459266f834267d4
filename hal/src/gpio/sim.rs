//! Simulated GPIO: lights remember their state, inputs follow the [`World`].

use std::collections::BTreeSet;

use super::{Gpio, Input, Light};
use crate::sim::{FaultPlan, World};
use crate::{Device, DeviceInfo, DeviceKind, Health, Result};

/// Simulated lights and inputs.
pub struct SimGpio {
    world: World,
    faults: FaultPlan,
    lit: BTreeSet<Light>,
}

impl SimGpio {
    /// GPIO in `world`.
    pub fn new(world: World, faults: FaultPlan) -> Self {
        SimGpio { world, faults, lit: BTreeSet::new() }
    }

    /// Whether a light is on (for tests and the simulated scanner).
    pub fn is_lit(&self, light: Light) -> bool {
        self.lit.contains(&light)
    }
}

impl Device for SimGpio {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Gpio, driver: "sim".into(), location: "simulated".into() }
    }

    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            let mut health = Health::ok(info);
            for input in Input::ALL {
                let active = self.read(input)?;
                health = health.with_detail(input.name(), if active { "active" } else { "inactive" });
            }
            if self.read(Input::Tamper)? {
                health = Health {
                    status: crate::HealthStatus::Degraded,
                    reason: Some("the enclosure is open (tamper switch)".into()),
                    ..health
                };
            }
            Ok(health)
        })
    }
}

impl Gpio for SimGpio {
    fn set_light(&mut self, light: Light, on: bool) -> Result<()> {
        self.faults.operation("gpio")?;
        if on {
            self.lit.insert(light);
        } else {
            self.lit.remove(&light);
        }
        Ok(())
    }

    fn read(&mut self, input: Input) -> Result<bool> {
        self.faults.operation("gpio")?;
        let state = self.world.state();
        Ok(match input {
            Input::Presence => state.person_present,
            Input::Tamper => state.tampered,
            Input::ServiceButton => state.service_button,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Fault, WorldState};
    use crate::{ErrorKind, HealthStatus};

    #[test]
    fn inputs_follow_the_world_and_lights_remember() {
        let world = World::new(WorldState::default());
        let mut gpio = SimGpio::new(world.clone(), FaultPlan::none());
        assert!(gpio.read(Input::Presence).unwrap());
        world.update(|s| s.service_button = true);
        assert!(gpio.read(Input::ServiceButton).unwrap());
        gpio.set_light(Light::Infrared, true).unwrap();
        assert!(gpio.is_lit(Light::Infrared) && !gpio.is_lit(Light::White));
        gpio.set_light(Light::Infrared, false).unwrap();
        assert!(!gpio.is_lit(Light::Infrared));
    }

    #[test]
    fn an_open_enclosure_degrades_the_self_test() {
        let world = World::new(WorldState { tampered: true, ..WorldState::default() });
        let health = SimGpio::new(world, FaultPlan::none()).self_test();
        assert_eq!(health.status, HealthStatus::Degraded);
        assert_eq!(health.details["tamper"], "active");
    }

    #[test]
    fn an_unplugged_gpio_board_fails() {
        let mut gpio = SimGpio::new(World::default(), FaultPlan::new(Fault::Unplug, 0));
        assert_eq!(gpio.read(Input::Tamper).unwrap_err().kind(), ErrorKind::Disconnected);
    }
}
