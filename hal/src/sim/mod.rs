//! What the simulators share: injectable faults and the simulated surroundings (the [`World`]: what
//! lies on the scanner, who stands in front of the camera, whether a card or finger is presented).
//!
//! Simulators are deterministic: every random choice comes from a seeded generator, so a test or a
//! demo that uses the same seed sees the same frames.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::{DeviceError, ErrorKind, Result};

pub mod scene;

/// A fault a simulated device can be told to show, from configuration or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Behaves well.
    #[default]
    None,
    /// Not connected at all.
    NotPresent,
    /// Unplugged after `fault_after` operations (mid-capture if that is where it falls).
    Unplug,
    /// Stops answering after `fault_after` operations.
    Timeout,
    /// Sends garbage (corrupt frames, bad bytes) after `fault_after` operations.
    Garbage,
    /// Printer only: the paper roll is empty.
    NoPaper,
    /// Printer only: the paper roll is nearly empty.
    PaperNearEnd,
    /// Card reader only: no card is ever presented.
    NoCard,
    /// Fingerprint sensor only: no finger is ever presented.
    NoFinger,
}

impl Fault {
    /// Whether this fault makes sense for a device kind (configuration validation uses it).
    pub fn applies_to(self, kind: crate::DeviceKind) -> bool {
        use crate::DeviceKind as K;
        match self {
            Fault::None | Fault::NotPresent | Fault::Unplug | Fault::Timeout => true,
            Fault::Garbage => kind != K::Gpio,
            Fault::NoPaper | Fault::PaperNearEnd => kind == K::Printer,
            Fault::NoCard => kind == K::CardReader,
            Fault::NoFinger => kind == K::Fingerprint,
        }
    }
}

/// What an operation should do under the fault plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Behave normally.
    Nothing,
    /// Deliver corrupt data.
    Garbage,
}

/// Counts a simulated device's operations and injects its fault when the time comes.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    fault: Fault,
    after: u32,
    operations: u32,
}

impl FaultPlan {
    /// A plan that shows `fault` once `after` operations went well.
    pub fn new(fault: Fault, after: u32) -> Self {
        FaultPlan { fault, after, operations: 0 }
    }

    /// A plan without faults.
    pub fn none() -> Self {
        FaultPlan::new(Fault::None, 0)
    }

    /// The configured fault (device-specific faults are read by the device itself).
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// Checks the device is reachable at all, without counting an operation.
    pub fn check_present(&self, what: &str) -> Result<()> {
        match self.fault {
            Fault::NotPresent => {
                Err(DeviceError::new(ErrorKind::NotPresent, format!("simulated {what} is not connected")))
            }
            Fault::Unplug if self.operations >= self.after => {
                Err(DeviceError::new(ErrorKind::Disconnected, format!("simulated {what} was unplugged")))
            }
            _ => Ok(()),
        }
    }

    /// Counts one operation of `what` and says what it should do, or fails it.
    pub fn operation(&mut self, what: &str) -> Result<Injected> {
        self.check_present(what)?;
        self.operations = self.operations.saturating_add(1);
        let due = self.operations > self.after;
        match self.fault {
            Fault::Unplug if due => {
                Err(DeviceError::new(ErrorKind::Disconnected, format!("simulated {what} was unplugged")))
            }
            Fault::Timeout if due => {
                Err(DeviceError::new(ErrorKind::Timeout, format!("simulated {what} stopped answering")))
            }
            Fault::Garbage if due => Ok(Injected::Garbage),
            _ => Ok(Injected::Nothing),
        }
    }
}

/// Which side of the identity card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardSide {
    /// Photo side.
    Front,
    /// MRZ / chip side.
    Back,
}

/// What the simulated camera sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CameraScene {
    /// An empty desk.
    Empty,
    /// A card held over the desk, in perspective.
    Card(CardSide),
    /// A person facing the camera in front of a plain background.
    Portrait,
}

/// The simulated surroundings of the kiosk.
#[derive(Debug, Clone)]
pub struct WorldState {
    /// What the camera looks at.
    pub camera_scene: CameraScene,
    /// Which card side lies on the scanner, if any.
    pub card_on_scanner: Option<CardSide>,
    /// Whether the card is held on the card reader.
    pub card_on_reader: bool,
    /// Whether a finger lies on the fingerprint sensor.
    pub finger_on_sensor: bool,
    /// Whether somebody stands in front of the kiosk.
    pub person_present: bool,
    /// Whether the enclosure is open.
    pub tampered: bool,
    /// Whether the hidden service button is pressed.
    pub service_button: bool,
}

impl Default for WorldState {
    fn default() -> Self {
        WorldState {
            camera_scene: CameraScene::Portrait,
            card_on_scanner: Some(CardSide::Front),
            card_on_reader: true,
            finger_on_sensor: true,
            person_present: true,
            tampered: false,
            service_button: false,
        }
    }
}

/// A handle on the simulated surroundings, shared by every simulated device and by whoever plays the
/// citizen (the demo driver, a test).
#[derive(Debug, Clone)]
pub struct World {
    state: Arc<Mutex<WorldState>>,
    card: Arc<scene::CardArt>,
}

impl Default for World {
    fn default() -> Self {
        World::new(WorldState::default())
    }
}

impl World {
    /// Surroundings in `state`, with the standard synthetic card.
    pub fn new(state: WorldState) -> Self {
        World { state: Arc::new(Mutex::new(state)), card: scene::CardArt::standard() }
    }

    /// Surroundings in `state`, with a given card.
    pub fn with_card(state: WorldState, card: scene::CardArt) -> Self {
        World { state: Arc::new(Mutex::new(state)), card: Arc::new(card) }
    }

    /// The current state (a copy).
    pub fn state(&self) -> WorldState {
        self.lock().clone()
    }

    /// Changes the state.
    pub fn update(&self, change: impl FnOnce(&mut WorldState)) {
        change(&mut self.lock());
    }

    /// The card the citizen holds.
    pub fn card(&self) -> &scene::CardArt {
        &self.card
    }

    /// The machine-readable zone printed on the back of the card the citizen holds (what OCR of the
    /// scanned back would read; the simulated chip's BAC keys come from it).
    pub fn card_mrz(&self) -> [&'static str; 3] {
        scene::SAMPLE_CARD_MRZ
    }

    fn lock(&self) -> MutexGuard<'_, WorldState> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unplug_strikes_after_the_configured_operations_and_stays() {
        let mut plan = FaultPlan::new(Fault::Unplug, 2);
        assert_eq!(plan.operation("camera").unwrap(), Injected::Nothing);
        assert_eq!(plan.operation("camera").unwrap(), Injected::Nothing);
        assert_eq!(plan.operation("camera").unwrap_err().kind(), ErrorKind::Disconnected);
        assert_eq!(plan.check_present("camera").unwrap_err().kind(), ErrorKind::Disconnected);
    }

    #[test]
    fn garbage_and_timeout_are_injected_when_due() {
        let mut garbage = FaultPlan::new(Fault::Garbage, 1);
        assert_eq!(garbage.operation("x").unwrap(), Injected::Nothing);
        assert_eq!(garbage.operation("x").unwrap(), Injected::Garbage);
        let mut timeout = FaultPlan::new(Fault::Timeout, 0);
        assert_eq!(timeout.operation("x").unwrap_err().kind(), ErrorKind::Timeout);
    }

    #[test]
    fn device_specific_faults_apply_only_to_their_device() {
        use crate::DeviceKind;
        assert!(Fault::NoPaper.applies_to(DeviceKind::Printer));
        assert!(!Fault::NoPaper.applies_to(DeviceKind::Camera));
        assert!(Fault::Unplug.applies_to(DeviceKind::Gpio));
        assert!(!Fault::Garbage.applies_to(DeviceKind::Gpio));
    }

    #[test]
    fn world_changes_are_seen_by_every_handle() {
        let world = World::new(WorldState::default());
        let other = world.clone();
        world.update(|s| s.card_on_reader = false);
        assert!(!other.state().card_on_reader);
    }
}
