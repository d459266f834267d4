//! Raspberry Pi GPIO through `rppal`: the document-box lights out, presence, tamper and service
//! button in.
//!
//! Polarity and debouncing live in `Lines`, written against the small `PinBank` trait over
//! raw electrical levels, so they are tested with a scripted pin bank; `RppalBank` is the only
//! part that touches `/dev/gpiomem`.
//!
//! Debouncing samples the line when it is read (no background thread): a level counts once it
//! has held for [`GpioPins::debounce_ms`] of consecutive samples. A read whose first sample
//! agrees with the level already confirmed returns at once, so steady-state polling costs one
//! register read.

use std::time::{Duration, Instant};

use ::rppal::gpio::{Error as RppalError, Gpio as RppalController, InputPin, Level, OutputPin};

use super::{Gpio, GpioPins, Input, Light, Pull};
use crate::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, HealthStatus, Result};

/// Time between two samples of a bouncing input.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(1);

/// Raw access to the pins by BCM number: the only part of the driver that touches hardware.
trait PinBank: Send {
    /// The electrical level of an input pin (`true` = high).
    fn read_level(&mut self, pin: u8) -> Result<bool>;
    /// Drives an output pin high (`true`) or low.
    fn write_level(&mut self, pin: u8, high: bool) -> Result<()>;
    /// Monotonic time since an arbitrary origin.
    fn now(&self) -> Duration;
    /// Waits before the next sample.
    fn pause(&mut self, duration: Duration);
}

/// A debounced input's last confirmed logical level.
#[derive(Debug, Clone, Copy, Default)]
struct InputState {
    confirmed: Option<bool>,
}

/// One sample-and-settle of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    /// Logical level reported: `true` = active.
    active: bool,
    /// Electrical level of the last sample, for the technician.
    high: bool,
    /// Whether the level held for the debounce time (otherwise it is the last confirmed one or the
    /// input's safe default).
    settled: bool,
}

/// Polarity and debounce logic over a pin bank.
struct Lines<B: PinBank> {
    bank: B,
    pins: GpioPins,
    inputs: [InputState; 3],
}

impl<B: PinBank> Lines<B> {
    /// Wraps `bank` and switches every light off.
    fn new(bank: B, pins: GpioPins) -> Result<Lines<B>> {
        let mut lines = Lines { bank, pins, inputs: [InputState::default(); 3] };
        for light in Light::ALL {
            lines.set_light(light, false)?;
        }
        Ok(lines)
    }

    fn debounce(&self) -> Duration {
        Duration::from_millis(u64::from(self.pins.debounce_ms))
    }

    /// How long a read may sample a line that will not settle before it gives up.
    fn settle_budget(&self) -> Duration {
        (self.debounce() * 5).max(Duration::from_millis(5))
    }

    fn set_light(&mut self, light: Light, on: bool) -> Result<()> {
        let spec = self.pins.light(light);
        self.bank.write_level(spec.pin, on != spec.active_low)
    }

    fn read(&mut self, input: Input) -> Result<bool> {
        Ok(self.sample(input)?.active)
    }

    /// Samples `input` until one level has held for the debounce time, the first sample agrees
    /// with the confirmed level, or the settle budget runs out.
    fn sample(&mut self, input: Input) -> Result<Reading> {
        let spec = self.pins.input(input);
        let index = input_index(input);
        let (debounce, budget) = (self.debounce(), self.settle_budget());
        let start = self.bank.now();
        let mut candidate: Option<(bool, Duration)> = None;
        loop {
            let high = self.bank.read_level(spec.pin)?;
            let active = high != spec.active_low;
            let now = self.bank.now();
            let confirmed = self.inputs[index].confirmed;
            let since = match candidate {
                Some((level, since)) if level == active => since,
                _ if candidate.is_none() && confirmed == Some(active) => {
                    return Ok(Reading { active, high, settled: true });
                }
                _ => now,
            };
            candidate = Some((active, since));
            if now.saturating_sub(since) >= debounce {
                self.inputs[index].confirmed = Some(active);
                return Ok(Reading { active, high, settled: true });
            }
            if now.saturating_sub(start) >= budget {
                let active = confirmed.unwrap_or_else(|| safe_default(input));
                tracing::debug!(input = input.name(), pin = spec.pin, "input does not settle; keeping {active}");
                return Ok(Reading { active, high, settled: false });
            }
            self.bank.pause(SAMPLE_INTERVAL);
        }
    }
}

/// The level assumed for an input that never settled since start: nobody present, service button
/// not pressed, and the enclosure open, because a tamper line that cannot be read must not hide
/// an intrusion.
fn safe_default(input: Input) -> bool {
    match input {
        Input::Presence | Input::ServiceButton => false,
        Input::Tamper => true,
    }
}

fn input_index(input: Input) -> usize {
    match input {
        Input::Presence => 0,
        Input::Tamper => 1,
        Input::ServiceButton => 2,
    }
}

/// The Raspberry Pi's GPIO through `rppal` (BCM numbering).
pub struct RppalGpio {
    lines: Lines<RppalBank>,
    board: String,
}

impl RppalGpio {
    /// Claims the pins of `pins`: lights as outputs driven off, inputs with their pull resistors.
    ///
    /// An invalid pin map is [`ErrorKind::Unsupported`] naming the field; a machine that is not a
    /// Raspberry Pi (or has no `/dev/gpiomem`) is [`ErrorKind::NotPresent`].
    pub fn new(pins: GpioPins) -> Result<RppalGpio> {
        pins.validate().map_err(|(field, reason)| {
            DeviceError::new(ErrorKind::Unsupported, format!("GPIO pin map, {field}: {reason}"))
        })?;
        let board = ::rppal::system::DeviceInfo::new().map_err(|e| {
            DeviceError::new(
                ErrorKind::NotPresent,
                "this machine is not a Raspberry Pi (rppal cannot identify the board); use the simulated GPIO driver elsewhere",
            )
            .with_source(e)
        })?;
        let controller = RppalController::new().map_err(|e| map_rppal("open GPIO", e))?;
        let bank = RppalBank::claim(&controller, &pins)?;
        let lines = Lines::new(bank, pins)?;
        Ok(RppalGpio { lines, board: board.model().to_string() })
    }
}

impl Drop for RppalGpio {
    fn drop(&mut self) {
        for light in Light::ALL {
            if let Err(error) = self.lines.set_light(light, false) {
                tracing::warn!(light = light.name(), %error, "could not switch the light off");
            }
        }
    }
}

impl Device for RppalGpio {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Gpio, driver: "rppal".into(), location: "/dev/gpiomem".into() }
    }

    /// Reads every input and reports its logical and electrical level; lights are not touched
    /// (testing them is the technician's explicit action in the service menu).
    fn self_test(&mut self) -> Health {
        Health::from_test(self.info(), |info| {
            let mut health = Health::ok(info).with_detail("board", &self.board);
            let mut unsettled = Vec::new();
            for input in Input::ALL {
                let reading = self.lines.sample(input)?;
                let pin = self.lines.pins.input(input).pin;
                let level = if reading.high { "high" } else { "low" };
                let state = if reading.active { "active" } else { "inactive" };
                health = health.with_detail(input.name(), format!("{state} (GPIO {pin} {level})"));
                if !reading.settled {
                    unsettled.push(input.name());
                }
                if input == Input::Tamper && reading.active {
                    health.status = HealthStatus::Degraded;
                    health.reason = Some("the enclosure is open (tamper switch)".into());
                }
            }
            if !unsettled.is_empty() && health.status == HealthStatus::Ok {
                health.status = HealthStatus::Degraded;
                health.reason = Some(format!("input does not settle (loose wire?): {}", unsettled.join(", ")));
            }
            Ok(health)
        })
    }
}

impl Gpio for RppalGpio {
    fn set_light(&mut self, light: Light, on: bool) -> Result<()> {
        self.lines.set_light(light, on)
    }

    fn read(&mut self, input: Input) -> Result<bool> {
        self.lines.read(input)
    }
}

/// The claimed `rppal` pins.
struct RppalBank {
    outputs: Vec<OutputPin>,
    inputs: Vec<InputPin>,
    origin: Instant,
}

impl RppalBank {
    fn claim(controller: &RppalController, pins: &GpioPins) -> Result<RppalBank> {
        let mut outputs = Vec::new();
        for light in Light::ALL {
            let spec = pins.light(light);
            let pin = controller.get(spec.pin).map_err(|e| map_rppal(light.name(), e))?;
            // Start in the "off" level so claiming the pin never flashes the light.
            let mut output = if spec.active_low { pin.into_output_high() } else { pin.into_output_low() };
            // Keep driving "off" after the kiosk exits instead of floating the MOSFET gate.
            output.set_reset_on_drop(false);
            outputs.push(output);
        }
        let mut inputs = Vec::new();
        for input in Input::ALL {
            let spec = pins.input(input);
            let pin = controller.get(spec.pin).map_err(|e| map_rppal(input.name(), e))?;
            inputs.push(match spec.pull {
                Pull::None => pin.into_input(),
                Pull::Up => pin.into_input_pullup(),
                Pull::Down => pin.into_input_pulldown(),
            });
        }
        Ok(RppalBank { outputs, inputs, origin: Instant::now() })
    }
}

impl PinBank for RppalBank {
    fn read_level(&mut self, pin: u8) -> Result<bool> {
        let input = self.inputs.iter().find(|p| p.pin() == pin).ok_or_else(|| unclaimed(pin))?;
        Ok(input.read() == Level::High)
    }

    fn write_level(&mut self, pin: u8, high: bool) -> Result<()> {
        let output = self.outputs.iter_mut().find(|p| p.pin() == pin).ok_or_else(|| unclaimed(pin))?;
        output.write(Level::from(high));
        Ok(())
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn unclaimed(pin: u8) -> DeviceError {
    DeviceError::new(ErrorKind::Other, format!("GPIO {pin} was not claimed by the driver"))
}

/// Classifies an `rppal` error; `what` names the line or step.
fn map_rppal(what: &str, error: RppalError) -> DeviceError {
    let (kind, message) = match &error {
        RppalError::UnknownModel => (
            ErrorKind::NotPresent,
            "this machine is not a Raspberry Pi (unknown board); use the simulated GPIO driver elsewhere".to_owned(),
        ),
        RppalError::PinUsed(pin) => (ErrorKind::Busy, format!("{what}: GPIO {pin} is already in use")),
        RppalError::PinNotAvailable(pin) => (ErrorKind::Unsupported, format!("{what}: this board has no GPIO {pin}")),
        RppalError::PermissionDenied(path) => {
            (ErrorKind::Other, format!("{what}: permission denied on {path} (add the kiosk user to the gpio group)"))
        }
        RppalError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            (ErrorKind::NotPresent, format!("{what}: no GPIO device ({io})"))
        }
        RppalError::Io(io) => (ErrorKind::Other, format!("{what}: {io}")),
        other => (ErrorKind::Other, format!("{what}: {other}")),
    };
    DeviceError::new(kind, message).with_source(error)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::gpio::PinSpec;

    /// A pin's electrical level as a function of virtual time.
    type Script = Box<dyn Fn(Duration) -> bool + Send>;

    /// A pin bank in virtual time: inputs follow scripts, outputs are recorded, pauses advance the
    /// clock (so debounce tests take no real time).
    struct FakeBank {
        now: Duration,
        inputs: BTreeMap<u8, Script>,
        outputs: BTreeMap<u8, bool>,
        samples: usize,
    }

    impl FakeBank {
        fn new() -> FakeBank {
            FakeBank { now: Duration::ZERO, inputs: BTreeMap::new(), outputs: BTreeMap::new(), samples: 0 }
        }

        fn input(mut self, pin: u8, script: impl Fn(Duration) -> bool + Send + 'static) -> FakeBank {
            self.inputs.insert(pin, Box::new(script));
            self
        }
    }

    impl PinBank for FakeBank {
        fn read_level(&mut self, pin: u8) -> Result<bool> {
            self.samples += 1;
            let script = self.inputs.get(&pin).ok_or_else(|| unclaimed(pin))?;
            Ok(script(self.now))
        }

        fn write_level(&mut self, pin: u8, high: bool) -> Result<()> {
            self.outputs.insert(pin, high);
            Ok(())
        }

        fn now(&self) -> Duration {
            self.now
        }

        fn pause(&mut self, duration: Duration) {
            self.now += duration;
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn pin(pin: u8, active_low: bool, pull: Pull) -> PinSpec {
        PinSpec { pin, active_low, pull }
    }

    /// A typical kiosk wiring: lights on low-side MOSFETs (active-high), an active-low PIR module,
    /// a normally-closed tamper switch to ground with pull-up (open = high = tampered), a service
    /// button to ground with pull-up (pressed = low).
    fn kiosk_pins() -> GpioPins {
        GpioPins {
            white: pin(5, false, Pull::None),
            infrared: pin(6, false, Pull::None),
            ultraviolet: pin(13, true, Pull::None),
            presence: pin(17, true, Pull::None),
            tamper: pin(27, false, Pull::Up),
            service_button: pin(22, true, Pull::Up),
            debounce_ms: 20,
        }
    }

    fn steady(level: bool) -> impl Fn(Duration) -> bool + Send + 'static {
        move |_| level
    }

    fn lines(bank: FakeBank) -> Lines<FakeBank> {
        Lines::new(bank, kiosk_pins()).unwrap()
    }

    #[test]
    fn lights_start_off_and_follow_their_polarity() {
        let mut lines = lines(FakeBank::new());
        // Off: active-high lights low, the active-low UV light high.
        assert_eq!(lines.bank.outputs, BTreeMap::from([(5, false), (6, false), (13, true)]));
        lines.set_light(Light::White, true).unwrap();
        lines.set_light(Light::Ultraviolet, true).unwrap();
        assert!(lines.bank.outputs[&5]);
        assert!(!lines.bank.outputs[&13]);
        lines.set_light(Light::Ultraviolet, false).unwrap();
        assert!(lines.bank.outputs[&13]);
    }

    #[test]
    fn an_active_low_presence_sensor_reads_active_when_low() {
        let bank = FakeBank::new().input(17, |t| t < ms(100));
        let mut lines = lines(bank);
        // High: nobody. The first read waits for the debounce time to confirm it.
        assert!(!lines.read(Input::Presence).unwrap());
        assert_eq!(lines.bank.now, ms(20));
        lines.bank.now = ms(200);
        assert!(lines.read(Input::Presence).unwrap(), "low means somebody is there");
    }

    #[test]
    fn a_confirmed_level_is_read_with_a_single_sample() {
        let mut lines = lines(FakeBank::new().input(17, steady(true)));
        assert!(!lines.read(Input::Presence).unwrap());
        let (samples, now) = (lines.bank.samples, lines.bank.now);
        assert!(!lines.read(Input::Presence).unwrap());
        assert_eq!(lines.bank.samples, samples + 1);
        assert_eq!(lines.bank.now, now, "no waiting in steady state");
    }

    #[test]
    fn a_bouncing_service_button_settles_to_pressed() {
        // Released (high) until 5 ms, contact bounce every millisecond until 17 ms, then held low.
        let bounce = |t: Duration| {
            let t = t.as_millis();
            if t < 5 {
                true
            } else if t < 17 {
                t.is_multiple_of(2)
            } else {
                false
            }
        };
        let mut lines = lines(FakeBank::new().input(22, bounce));
        assert!(lines.read(Input::ServiceButton).unwrap(), "pressed once the contact settles");
        // Settled at 17 ms, confirmed 20 ms later.
        assert_eq!(lines.bank.now, ms(37));
    }

    #[test]
    fn a_short_glitch_does_not_change_a_confirmed_input() {
        // Button released; a 3 ms spike to low (pressed) right when the next read starts.
        let glitch = |t: Duration| !(ms(100)..ms(103)).contains(&t);
        let mut lines = lines(FakeBank::new().input(22, glitch));
        assert!(!lines.read(Input::ServiceButton).unwrap());
        lines.bank.now = ms(100);
        assert!(!lines.read(Input::ServiceButton).unwrap(), "a 3 ms glitch is shorter than the 20 ms debounce");
        assert_eq!(lines.bank.now, ms(123), "the released level was re-confirmed after the glitch");
    }

    #[test]
    fn tamper_defaults_to_open_when_its_line_never_settles() {
        // A loose wire: the level flips every millisecond.
        let flapping = |t: Duration| t.as_millis().is_multiple_of(2);
        let bank = FakeBank::new().input(27, flapping).input(17, flapping).input(22, flapping);
        let mut lines = lines(bank);
        let tamper = lines.sample(Input::Tamper).unwrap();
        assert!(tamper.active, "an unreadable tamper line must count as opened");
        assert!(!tamper.settled);
        assert_eq!(lines.bank.now, ms(100), "gives up after five debounce times");
        assert!(!lines.read(Input::Presence).unwrap(), "nobody is assumed present");
        assert!(!lines.read(Input::ServiceButton).unwrap(), "the service button is assumed released");
    }

    #[test]
    fn an_unsettled_line_keeps_its_last_confirmed_level() {
        // Tamper switch closed (low) for a second, then the wire starts flapping.
        let script = |t: Duration| t >= ms(1000) && t.as_millis().is_multiple_of(2);
        let mut lines = lines(FakeBank::new().input(27, script));
        assert!(!lines.read(Input::Tamper).unwrap());
        lines.bank.now = ms(1000);
        let reading = lines.sample(Input::Tamper).unwrap();
        assert_eq!((reading.active, reading.settled), (false, false));
    }

    #[test]
    fn a_cut_tamper_wire_reads_as_tampered() {
        // With the pull-up, an open circuit reads high, the same as an opened switch.
        let mut lines = lines(FakeBank::new().input(27, steady(true)));
        assert!(lines.read(Input::Tamper).unwrap());
    }

    #[test]
    fn zero_debounce_takes_the_first_sample() {
        let pins = GpioPins { debounce_ms: 0, ..kiosk_pins() };
        let mut lines = Lines::new(FakeBank::new().input(17, steady(false)), pins).unwrap();
        assert!(lines.read(Input::Presence).unwrap());
        assert_eq!(lines.bank.samples, 1);
    }

    #[test]
    fn read_errors_from_the_bank_are_returned() {
        let mut lines = lines(FakeBank::new());
        let error = lines.read(Input::Presence).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Other);
    }

    #[test]
    fn an_invalid_pin_map_is_refused_before_touching_hardware() {
        let pins = GpioPins { tamper: pin(17, false, Pull::Up), ..kiosk_pins() };
        let error = RppalGpio::new(pins).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(error.message().contains("tamper.pin"), "{}", error.message());
    }

    #[test]
    fn off_a_raspberry_pi_the_driver_is_not_present() {
        if ::rppal::system::DeviceInfo::new().is_ok() {
            return; // Running on a Pi: there the driver opens.
        }
        let error = RppalGpio::new(kiosk_pins()).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::NotPresent);
        assert!(error.message().contains("not a Raspberry Pi"), "{}", error.message());
    }

    #[test]
    fn rppal_errors_map_to_kinds() {
        assert_eq!(map_rppal("x", RppalError::UnknownModel).kind(), ErrorKind::NotPresent);
        assert_eq!(map_rppal("x", RppalError::PinUsed(4)).kind(), ErrorKind::Busy);
        assert_eq!(map_rppal("x", RppalError::PinNotAvailable(40)).kind(), ErrorKind::Unsupported);
        let missing = RppalError::Io(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(map_rppal("x", missing).kind(), ErrorKind::NotPresent);
        let denied = map_rppal("white", RppalError::PermissionDenied("/dev/gpiomem".into()));
        assert!(denied.message().contains("gpio group"));
    }

    #[test]
    fn the_pin_map_round_trips_through_serde_and_rejects_unknown_fields() {
        let json = serde_json::to_value(kiosk_pins()).unwrap();
        let back: GpioPins = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, kiosk_pins());
        let mut extra = json;
        extra["presence"]["invert"] = serde_json::Value::Bool(true);
        assert!(serde_json::from_value::<GpioPins>(extra).is_err());
    }
}
