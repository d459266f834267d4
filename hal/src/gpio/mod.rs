//! Lights and digital inputs: the document box lights, the presence sensor, the tamper switch and
//! the hidden service button.

use std::sync::{Arc, Mutex};

use crate::{Device, Result};

#[cfg(feature = "rppal")]
pub mod rppal;
pub mod sim;

/// A light channel of the document box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Light {
    /// Visible white light.
    White,
    /// Infrared (about 870 nm): MRZ and carbon inks stay dark, most colours vanish.
    Infrared,
    /// Ultraviolet (365 nm): security fluorescence.
    Ultraviolet,
}

impl Light {
    /// All channels.
    pub const ALL: [Light; 3] = [Light::White, Light::Infrared, Light::Ultraviolet];

    /// The name used in configuration, file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Light::White => "white",
            Light::Infrared => "infrared",
            Light::Ultraviolet => "ultraviolet",
        }
    }
}

/// A digital input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// Somebody stands in front of the kiosk.
    Presence,
    /// The enclosure was opened (true = tampered).
    Tamper,
    /// The hidden service button is pressed.
    ServiceButton,
}

impl Input {
    /// All inputs.
    pub const ALL: [Input; 3] = [Input::Presence, Input::Tamper, Input::ServiceButton];

    /// The name used in configuration and reports.
    pub fn name(self) -> &'static str {
        match self {
            Input::Presence => "presence",
            Input::Tamper => "tamper",
            Input::ServiceButton => "service_button",
        }
    }
}

/// Lights out, inputs in. Levels are logical: `true` means light on / input active, whatever the
/// wiring polarity.
pub trait Gpio: Device {
    /// Switches a light.
    fn set_light(&mut self, light: Light, on: bool) -> Result<()>;

    /// Reads an input (debounced where the driver supports it).
    fn read(&mut self, input: Input) -> Result<bool>;
}

/// GPIO shared by the document box and the rest of the kiosk.
pub type SharedGpio = Arc<Mutex<Box<dyn Gpio>>>;

/// Internal pull resistor of an input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pull {
    /// No pull resistor (external one fitted).
    #[default]
    None,
    /// Pull up to 3.3 V.
    Up,
    /// Pull down to ground.
    Down,
}

/// One GPIO line and how it is wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinSpec {
    /// BCM GPIO number (0 to 27 on a Raspberry Pi header).
    pub pin: u8,
    /// The line is active when low (a switch to ground, a low-side driver).
    #[serde(default)]
    pub active_low: bool,
    /// Pull resistor (inputs only).
    #[serde(default)]
    pub pull: Pull,
}

/// The pin map of the kiosk: three light channels out, three inputs in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpioPins {
    /// White light of the document box.
    pub white: PinSpec,
    /// Infrared light of the document box.
    pub infrared: PinSpec,
    /// Ultraviolet light of the document box.
    pub ultraviolet: PinSpec,
    /// Presence sensor (PIR or radar module).
    pub presence: PinSpec,
    /// Enclosure tamper switch.
    pub tamper: PinSpec,
    /// Hidden service button.
    pub service_button: PinSpec,
    /// An input must read the same for this long before its new level counts.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u32,
}

fn default_debounce_ms() -> u32 {
    20
}

impl GpioPins {
    /// Every line with its name, lights first.
    pub fn lines(&self) -> [(&'static str, PinSpec); 6] {
        [
            ("white", self.white),
            ("infrared", self.infrared),
            ("ultraviolet", self.ultraviolet),
            ("presence", self.presence),
            ("tamper", self.tamper),
            ("service_button", self.service_button),
        ]
    }

    /// The pin of a light.
    pub fn light(&self, light: Light) -> PinSpec {
        match light {
            Light::White => self.white,
            Light::Infrared => self.infrared,
            Light::Ultraviolet => self.ultraviolet,
        }
    }

    /// The pin of an input.
    pub fn input(&self, input: Input) -> PinSpec {
        match input {
            Input::Presence => self.presence,
            Input::Tamper => self.tamper,
            Input::ServiceButton => self.service_button,
        }
    }

    /// Checks pin numbers are on the header and used once; on error, the field and the reason.
    pub fn validate(&self) -> std::result::Result<(), (String, String)> {
        let lines = self.lines();
        for (i, (name, spec)) in lines.iter().enumerate() {
            if spec.pin > 27 {
                return Err((
                    format!("{name}.pin"),
                    format!("GPIO {} is not on the 40-pin header (0 to 27)", spec.pin),
                ));
            }
            if let Some((other, _)) = lines[..i].iter().find(|(_, s)| s.pin == spec.pin) {
                return Err((format!("{name}.pin"), format!("GPIO {} is already used by {other}", spec.pin)));
            }
        }
        if self.debounce_ms > 1000 {
            return Err(("debounce_ms".into(), "must be at most 1000".into()));
        }
        Ok(())
    }
}
