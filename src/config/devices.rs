//! `[devices.*]`: which driver each device kind uses and how to reach it.
//!
//! Every kind has a `driver` key and one optional sub-table per driver (`[devices.camera.v4l]`);
//! the table of the selected driver must be there (the simulator's may be left out).

use std::path::{Path, PathBuf};

use kiosk_hal::DeviceKind;
use kiosk_hal::sim::{CameraScene, CardSide, Fault, WorldState};
use serde::Deserialize;

use super::resolve;

type Invalid = (String, String);

fn yes() -> bool {
    true
}

/// `[devices]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesSection {
    /// The simulated surroundings, used by every simulated device.
    #[serde(default)]
    pub simulation: SimulationSection,
    /// `[devices.camera]`.
    pub camera: CameraConfig,
    /// `[devices.scanner]`.
    pub scanner: ScannerConfig,
    /// `[devices.card_reader]`.
    pub card_reader: CardReaderConfig,
    /// `[devices.fingerprint]`.
    pub fingerprint: FingerprintConfig,
    /// `[devices.gpio]`.
    pub gpio: GpioConfig,
    /// `[devices.printer]`.
    pub printer: PrinterConfig,
}

/// `[devices.simulation]`: what the simulated devices see at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationSection {
    /// Seed of every simulated random choice (noise, card placement, tremor).
    pub seed: u64,
    /// What the camera looks at: `portrait`, `card-front`, `card-back` or `empty`.
    pub camera_scene: SceneChoice,
    /// Which card side lies on the scanner: `front`, `back` or `none`.
    pub card_on_scanner: ScannerChoice,
    /// Whether the card is held on the card reader.
    pub card_on_reader: bool,
    /// Whether a finger is on the fingerprint sensor.
    pub finger_on_sensor: bool,
    /// Whether somebody stands in front of the kiosk.
    pub person_present: bool,
    /// Whether the enclosure is open.
    pub tampered: bool,
}

impl Default for SimulationSection {
    fn default() -> Self {
        SimulationSection {
            seed: 1,
            camera_scene: SceneChoice::Portrait,
            card_on_scanner: ScannerChoice::Front,
            card_on_reader: true,
            finger_on_sensor: true,
            person_present: true,
            tampered: false,
        }
    }
}

impl SimulationSection {
    /// The initial state of the simulated world.
    pub fn world_state(&self) -> WorldState {
        WorldState {
            camera_scene: match self.camera_scene {
                SceneChoice::Empty => CameraScene::Empty,
                SceneChoice::Portrait => CameraScene::Portrait,
                SceneChoice::CardFront => CameraScene::Card(CardSide::Front),
                SceneChoice::CardBack => CameraScene::Card(CardSide::Back),
            },
            card_on_scanner: match self.card_on_scanner {
                ScannerChoice::None => None,
                ScannerChoice::Front => Some(CardSide::Front),
                ScannerChoice::Back => Some(CardSide::Back),
            },
            card_on_reader: self.card_on_reader,
            finger_on_sensor: self.finger_on_sensor,
            person_present: self.person_present,
            tampered: self.tampered,
            service_button: false,
        }
    }
}

/// The simulated camera's scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SceneChoice {
    /// An empty desk.
    Empty,
    /// A person.
    Portrait,
    /// The card's front held up.
    CardFront,
    /// The card's back held up.
    CardBack,
}

/// What lies on the simulated scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScannerChoice {
    /// Nothing.
    None,
    /// The card's front.
    Front,
    /// The card's back.
    Back,
}

/// `[devices.<kind>.sim]`: an injected fault for a simulated device.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSection {
    /// `none`, `not-present`, `unplug`, `timeout`, `garbage`; `no-paper` and `paper-near-end` (printer),
    /// `no-card` (card reader), `no-finger` (fingerprint).
    #[serde(default)]
    pub fault: Fault,
    /// How many operations succeed before the fault strikes.
    #[serde(default)]
    pub fault_after: u32,
}

/// A serial device.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialSection {
    /// Device node, e.g. `/dev/ttyAMA0` or a stable udev name like `/dev/kiosk-nfc`.
    pub port: PathBuf,
    /// Baud rate; each driver has the device's factory default.
    pub baud: Option<u32>,
}

/// Camera drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CameraDriver {
    /// Simulator.
    Sim,
    /// V4L2 (USB UVC and CSI cameras).
    V4l,
}

/// `[devices.camera]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Driver.
    pub driver: CameraDriver,
    /// Whether the kiosk can work without it (the self-test fails only for required devices).
    #[serde(default = "yes")]
    pub required: bool,
    /// Frame width.
    #[serde(default = "default_width")]
    pub width: u32,
    /// Frame height.
    #[serde(default = "default_height")]
    pub height: u32,
    /// Frames per second.
    #[serde(default = "default_fps")]
    pub fps: u32,
    /// Simulator settings.
    pub sim: Option<SimSection>,
    /// V4L2 settings.
    pub v4l: Option<V4lSection>,
}

fn default_width() -> u32 {
    1280
}
fn default_height() -> u32 {
    720
}
fn default_fps() -> u32 {
    30
}

/// `[devices.camera.v4l]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V4lSection {
    /// Device node, e.g. `/dev/video0` or `/dev/kiosk-camera`.
    pub path: PathBuf,
}

/// Scanner drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScannerDriver {
    /// Simulator.
    Sim,
    /// Camera over glass with white/IR/UV lights on GPIO.
    CameraBox,
    /// eSCL driverless network or USB (IPP-over-USB) scanner.
    Escl,
}

/// `[devices.scanner]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    /// Driver.
    pub driver: ScannerDriver,
    /// Whether the kiosk can work without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Simulator settings.
    pub sim: Option<SimSection>,
    /// Camera box settings.
    pub camera_box: Option<CameraBoxSection>,
    /// eSCL settings.
    pub escl: Option<EsclSection>,
}

/// `[devices.scanner.camera_box]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraBoxSection {
    /// V4L2 device node of the box camera.
    pub camera: PathBuf,
    /// Frame width of the box camera.
    #[serde(default = "box_width")]
    pub width: u32,
    /// Frame height of the box camera.
    #[serde(default = "box_height")]
    pub height: u32,
    /// Resolution on the glass, from calibration.
    #[serde(default = "box_dpi")]
    pub dpi: u32,
    /// Light settling time in milliseconds.
    #[serde(default = "box_settle")]
    pub settle_ms: u64,
    /// Frames discarded after each light switch.
    #[serde(default = "box_discard")]
    pub discard_frames: u32,
}

fn box_width() -> u32 {
    3840
}
fn box_height() -> u32 {
    2160
}
fn box_dpi() -> u32 {
    600
}
fn box_settle() -> u64 {
    80
}
fn box_discard() -> u32 {
    2
}

/// `[devices.scanner.escl]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsclSection {
    /// Base URL of the eSCL service, e.g. `http://192.0.2.10/eSCL`.
    pub url: String,
    /// Deadline of one scan in milliseconds.
    #[serde(default = "escl_timeout")]
    pub timeout_ms: u64,
}

fn escl_timeout() -> u64 {
    30_000
}

/// Card reader drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardReaderDriver {
    /// Simulator.
    Sim,
    /// NXP PN532 over UART.
    Pn532,
    /// Any PC/SC reader (pcscd).
    Pcsc,
}

/// `[devices.card_reader]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardReaderConfig {
    /// Driver.
    pub driver: CardReaderDriver,
    /// Whether the kiosk can work without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Simulator settings.
    pub sim: Option<SimSection>,
    /// PN532 settings (default 115200 baud).
    pub pn532: Option<SerialSection>,
    /// PC/SC settings.
    pub pcsc: Option<PcscSection>,
}

/// `[devices.card_reader.pcsc]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcscSection {
    /// Part of the reader name to use (empty: the first reader).
    #[serde(default)]
    pub reader: String,
}

/// Fingerprint drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FingerprintDriver {
    /// Simulator.
    Sim,
    /// R30x / R503 over UART.
    R503,
}

/// `[devices.fingerprint]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintConfig {
    /// Driver.
    pub driver: FingerprintDriver,
    /// Whether the kiosk can work without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Simulator settings.
    pub sim: Option<SimSection>,
    /// R503 settings (default 57600 baud).
    pub r503: Option<SerialSection>,
}

/// GPIO drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GpioDriver {
    /// Simulator.
    Sim,
    /// Raspberry Pi GPIO through rppal.
    Rppal,
}

/// `[devices.gpio]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpioConfig {
    /// Driver.
    pub driver: GpioDriver,
    /// Whether the kiosk can work without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Simulator settings.
    pub sim: Option<SimSection>,
    /// Pin map for rppal.
    pub rppal: Option<kiosk_hal::gpio::GpioPins>,
}

/// Printer drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrinterDriver {
    /// Simulator (receipts as PNG files).
    Sim,
    /// ESC/POS thermal printer over serial.
    Escpos,
}

/// `[devices.printer]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// Driver.
    pub driver: PrinterDriver,
    /// Whether the kiosk can work without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Printable width in dots: 576 for 80 mm paper, 384 for 58 mm.
    #[serde(default = "default_width_dots")]
    pub width_dots: u32,
    /// Fonts for receipt text, in fallback order (a Latin/Vietnamese font first, then CJK).
    #[serde(default = "default_fonts")]
    pub fonts: Vec<PathBuf>,
    /// Simulator settings.
    pub sim: Option<SimPrinterSection>,
    /// ESC/POS settings (default 19200 baud).
    pub escpos: Option<SerialSection>,
}

fn default_width_dots() -> u32 {
    576
}

fn default_fonts() -> Vec<PathBuf> {
    kiosk_hal::printer::raster::DEBIAN_FONTS.iter().map(PathBuf::from).collect()
}

/// `[devices.printer.sim]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimPrinterSection {
    /// Injected fault.
    #[serde(default)]
    pub fault: Fault,
    /// Operations before the fault strikes.
    #[serde(default)]
    pub fault_after: u32,
    /// Where receipts are written as PNG files (relative to the configuration file); none: not saved.
    pub output_dir: Option<PathBuf>,
}

impl DevicesSection {
    pub(super) fn resolve_paths(&mut self, base: &Path) {
        if let Some(v4l) = &mut self.camera.v4l {
            resolve(&mut v4l.path, base);
        }
        for serial in
            [&mut self.card_reader.pn532, &mut self.fingerprint.r503, &mut self.printer.escpos].into_iter().flatten()
        {
            resolve(&mut serial.port, base);
        }
        for font in &mut self.printer.fonts {
            resolve(font, base);
        }
        if let Some(dir) = self.printer.sim.as_mut().and_then(|s| s.output_dir.as_mut()) {
            resolve(dir, base);
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        self.validate_camera()?;
        self.validate_scanner()?;
        self.validate_card_reader()?;
        self.validate_fingerprint()?;
        self.validate_gpio()?;
        self.validate_printer()
    }

    fn validate_camera(&self) -> Result<(), Invalid> {
        let c = &self.camera;
        check_sim(DeviceKind::Camera, c.sim.as_ref().map(|s| s.fault))?;
        if !(160..=7680).contains(&c.width) || !(120..=4320).contains(&c.height) {
            return Err(key(
                DeviceKind::Camera,
                "width",
                format!("{}x{} is not a camera resolution", c.width, c.height),
            ));
        }
        if !(1..=120).contains(&c.fps) {
            return Err(key(DeviceKind::Camera, "fps", format!("{} is outside 1 to 120", c.fps)));
        }
        match c.driver {
            CameraDriver::Sim => Ok(()),
            CameraDriver::V4l => {
                let v4l = table(DeviceKind::Camera, "v4l", &c.v4l)?;
                device_path(DeviceKind::Camera, "v4l.path", &v4l.path)?;
                built_with(DeviceKind::Camera, "v4l", cfg!(feature = "v4l"))
            }
        }
    }

    fn validate_scanner(&self) -> Result<(), Invalid> {
        let s = &self.scanner;
        check_sim(DeviceKind::Scanner, s.sim.as_ref().map(|s| s.fault))?;
        match s.driver {
            ScannerDriver::Sim => Ok(()),
            ScannerDriver::CameraBox => {
                let b = table(DeviceKind::Scanner, "camera_box", &s.camera_box)?;
                if !(100..=2400).contains(&b.dpi) {
                    return Err(key(
                        DeviceKind::Scanner,
                        "camera_box.dpi",
                        format!("{} is outside 100 to 2400", b.dpi),
                    ));
                }
                if self.gpio.driver == GpioDriver::Sim {
                    tracing::warn!("the camera box will switch simulated lights: [devices.gpio] driver is sim");
                }
                device_path(DeviceKind::Scanner, "camera_box.camera", &b.camera)?;
                built_with(DeviceKind::Scanner, "v4l", cfg!(feature = "v4l"))
            }
            ScannerDriver::Escl => {
                let e = table(DeviceKind::Scanner, "escl", &s.escl)?;
                if !e.url.starts_with("http://") && !e.url.starts_with("https://") {
                    return Err(key(
                        DeviceKind::Scanner,
                        "escl.url",
                        format!("`{}` must start with http:// or https://", e.url),
                    ));
                }
                built_with(DeviceKind::Scanner, "escl", cfg!(feature = "escl"))
            }
        }
    }

    fn validate_card_reader(&self) -> Result<(), Invalid> {
        let r = &self.card_reader;
        check_sim(DeviceKind::CardReader, r.sim.as_ref().map(|s| s.fault))?;
        match r.driver {
            CardReaderDriver::Sim => Ok(()),
            CardReaderDriver::Pn532 => {
                serial(DeviceKind::CardReader, "pn532", &r.pn532)?;
                built_with(DeviceKind::CardReader, "serial", cfg!(feature = "serial"))
            }
            CardReaderDriver::Pcsc => {
                table(DeviceKind::CardReader, "pcsc", &r.pcsc)?;
                built_with(DeviceKind::CardReader, "pcsc", cfg!(feature = "pcsc"))
            }
        }
    }

    fn validate_fingerprint(&self) -> Result<(), Invalid> {
        let f = &self.fingerprint;
        check_sim(DeviceKind::Fingerprint, f.sim.as_ref().map(|s| s.fault))?;
        match f.driver {
            FingerprintDriver::Sim => Ok(()),
            FingerprintDriver::R503 => {
                serial(DeviceKind::Fingerprint, "r503", &f.r503)?;
                built_with(DeviceKind::Fingerprint, "serial", cfg!(feature = "serial"))
            }
        }
    }

    fn validate_gpio(&self) -> Result<(), Invalid> {
        let g = &self.gpio;
        check_sim(DeviceKind::Gpio, g.sim.as_ref().map(|s| s.fault))?;
        match g.driver {
            GpioDriver::Sim => Ok(()),
            GpioDriver::Rppal => {
                let pins = table(DeviceKind::Gpio, "rppal", &g.rppal)?;
                pins.validate().map_err(|(field, reason)| key(DeviceKind::Gpio, &format!("rppal.{field}"), reason))?;
                built_with(DeviceKind::Gpio, "rppal", cfg!(feature = "rppal"))
            }
        }
    }

    fn validate_printer(&self) -> Result<(), Invalid> {
        let p = &self.printer;
        check_sim(DeviceKind::Printer, p.sim.as_ref().map(|s| s.fault))?;
        if !(128..=2048).contains(&p.width_dots) || !p.width_dots.is_multiple_of(8) {
            return Err(key(
                DeviceKind::Printer,
                "width_dots",
                format!("{} must be a multiple of 8 from 128 to 2048", p.width_dots),
            ));
        }
        if p.fonts.is_empty() {
            return Err(key(DeviceKind::Printer, "fonts", "at least one font is needed to print receipts".into()));
        }
        for (i, font) in p.fonts.iter().enumerate() {
            if !font.is_file() {
                let reason = format!(
                    "font file {} does not exist (on Debian: apt-get install fonts-dejavu-core fonts-noto-cjk)",
                    font.display()
                );
                return Err(key(DeviceKind::Printer, &format!("fonts[{i}]"), reason));
            }
        }
        match p.driver {
            PrinterDriver::Sim => Ok(()),
            PrinterDriver::Escpos => {
                serial(DeviceKind::Printer, "escpos", &p.escpos)?;
                built_with(DeviceKind::Printer, "serial", cfg!(feature = "serial"))
            }
        }
    }
}

fn key(kind: DeviceKind, field: &str, reason: String) -> Invalid {
    (format!("devices.{}.{field}", kind.config_name()), reason)
}

fn check_sim(kind: DeviceKind, fault: Option<Fault>) -> Result<(), Invalid> {
    match fault {
        Some(fault) if !fault.applies_to(kind) => {
            Err(key(kind, "sim.fault", format!("fault `{fault:?}` does not apply to a {kind}")))
        }
        _ => Ok(()),
    }
}

fn built_with(kind: DeviceKind, feature: &str, built: bool) -> Result<(), Invalid> {
    if built {
        Ok(())
    } else {
        Err(key(kind, "driver", format!("this kiosk was built without the `{feature}` feature that driver needs")))
    }
}

fn table<'a, T>(kind: DeviceKind, name: &str, section: &'a Option<T>) -> Result<&'a T, Invalid> {
    section.as_ref().ok_or_else(|| {
        key(
            kind,
            name,
            format!("driver `{name}` is selected but the table [devices.{}.{name}] is missing", kind.config_name()),
        )
    })
}

fn serial(kind: DeviceKind, name: &str, section: &Option<SerialSection>) -> Result<(), Invalid> {
    let serial = table(kind, name, section)?;
    if serial.baud.is_some_and(|b| !(1200..=921_600).contains(&b)) {
        return Err(key(kind, &format!("{name}.baud"), "must be between 1200 and 921600".into()));
    }
    device_path(kind, &format!("{name}.port"), &serial.port)
}

fn device_path(kind: DeviceKind, field: &str, path: &Path) -> Result<(), Invalid> {
    if !path.starts_with("/dev") {
        return Err(key(kind, field, format!("{} is not a device node under /dev", path.display())));
    }
    Ok(())
}
