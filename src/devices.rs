//! Opens the devices the configuration names.
//!
//! A device that cannot be opened does not stop the kiosk: it is replaced by an [`Absent`] stand-in
//! that fails every call with the reason, so the self-test and the service menu can say what is wrong.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_hal::camera::sim::{SimCamera, SimCameraSettings};
use kiosk_hal::camera::{Camera, Exposure, Focus, Frame};
use kiosk_hal::card::sim::{FileCard, SimCardReader};
use kiosk_hal::card::{CardInfo, CardReader};
use kiosk_hal::fingerprint::sim::SimFingerprint;
use kiosk_hal::fingerprint::{FingerImage, FingerprintSensor};
use kiosk_hal::gpio::sim::SimGpio;
use kiosk_hal::gpio::{Gpio, Input, Light, SharedGpio};
use kiosk_hal::printer::raster::TextRenderer;
use kiosk_hal::printer::sim::SimPrinter;
use kiosk_hal::printer::{PaperStatus, Receipt, ReceiptPrinter};
use kiosk_hal::scanner::sim::SimScanner;
use kiosk_hal::scanner::{DocumentScanner, ScanRequest, ScannedImage};
use kiosk_hal::sim::{FaultPlan, World};
use kiosk_hal::{Device, DeviceError, DeviceInfo, DeviceKind, ErrorKind, Health, HealthStatus};
use serde::Serialize;

use crate::config::{self, Config, SimSection};

/// Every device of the kiosk, opened.
pub struct Devices {
    /// The simulated surroundings (used by the simulated devices; harmless otherwise).
    pub world: World,
    /// Camera.
    pub camera: Box<dyn Camera>,
    /// Document scanner.
    pub scanner: Box<dyn DocumentScanner>,
    /// Card reader.
    pub card_reader: Box<dyn CardReader>,
    /// Fingerprint sensor.
    pub fingerprint: Box<dyn FingerprintSensor>,
    /// Lights and inputs, shared with the camera-box scanner.
    pub gpio: SharedGpio,
    /// Receipt printer.
    pub printer: Box<dyn ReceiptPrinter>,
    required: [(DeviceKind, bool); 6],
}

/// One line of the self-test.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// The device's health.
    #[serde(flatten)]
    pub health: Health,
    /// Whether the kiosk needs it.
    pub required: bool,
}

impl DeviceReport {
    /// Whether this report makes the self-test fail: a required device that failed.
    pub fn blocks_service(&self) -> bool {
        self.required && self.health.status == HealthStatus::Failed
    }
}

fn plan(sim: &Option<SimSection>) -> FaultPlan {
    sim.map(|s| FaultPlan::new(s.fault, s.fault_after)).unwrap_or_else(FaultPlan::none)
}

impl Devices {
    /// Opens every configured device (never fails: see [`Absent`]).
    pub fn open(config: &Config) -> Devices {
        let d = &config.devices;
        let world = World::new(d.simulation.world_state());
        let seed = d.simulation.seed;
        let gpio: SharedGpio = Arc::new(Mutex::new(open_gpio(&d.gpio, &world)));
        Devices {
            camera: open_camera(&d.camera, &world, seed),
            scanner: open_scanner(&d.scanner, &world, seed, &gpio),
            card_reader: open_card_reader(&d.card_reader, &world),
            fingerprint: open_fingerprint(&d.fingerprint, &world, seed),
            printer: open_printer(&d.printer),
            gpio,
            world,
            required: [
                (DeviceKind::Camera, d.camera.required),
                (DeviceKind::Scanner, d.scanner.required),
                (DeviceKind::CardReader, d.card_reader.required),
                (DeviceKind::Fingerprint, d.fingerprint.required),
                (DeviceKind::Gpio, d.gpio.required),
                (DeviceKind::Printer, d.printer.required),
            ],
        }
    }

    /// Whether the kiosk needs a device kind.
    pub fn required(&self, kind: DeviceKind) -> bool {
        self.required.iter().any(|&(k, r)| k == kind && r)
    }

    /// What each device is, in service-menu order.
    pub fn infos(&self) -> Vec<(DeviceInfo, bool)> {
        let gpio = lock(&self.gpio).info();
        [
            self.camera.info(),
            self.scanner.info(),
            self.card_reader.info(),
            self.fingerprint.info(),
            gpio,
            self.printer.info(),
        ]
        .into_iter()
        .map(|info| {
            let required = self.required(info.kind);
            (info, required)
        })
        .collect()
    }

    /// Runs every device's self-test.
    pub fn self_test(&mut self) -> Vec<DeviceReport> {
        let gpio = lock(&self.gpio).self_test();
        let healths = [
            self.camera.self_test(),
            self.scanner.self_test(),
            self.card_reader.self_test(),
            self.fingerprint.self_test(),
            gpio,
            self.printer.self_test(),
        ];
        healths
            .into_iter()
            .map(|health| {
                let required = self.required(health.device.kind);
                if health.status != HealthStatus::Ok {
                    tracing::warn!(device = %health.device.kind, status = ?health.status, reason = ?health.reason, "self-test");
                }
                DeviceReport { health, required }
            })
            .collect()
    }
}

/// Locks the shared GPIO; a panic while it was held cannot leave pin state half-written.
pub fn lock(gpio: &SharedGpio) -> std::sync::MutexGuard<'_, Box<dyn Gpio>> {
    gpio.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open_camera(c: &config::CameraConfig, world: &World, seed: u64) -> Box<dyn Camera> {
    match c.driver {
        config::CameraDriver::Sim => {
            let settings = SimCameraSettings { width: c.width, height: c.height, fps: c.fps, seed };
            Box::new(SimCamera::new(settings, world.clone(), plan(&c.sim)))
        }
        #[cfg(feature = "v4l")]
        config::CameraDriver::V4l => {
            let path = c.v4l.as_ref().map(|v| v.path.clone()).unwrap_or_default();
            match kiosk_hal::camera::v4l::V4lCamera::open(&path, c.width, c.height, c.fps) {
                Ok(camera) => Box::new(camera),
                Err(e) => Box::new(Absent::new(DeviceKind::Camera, "v4l", &path.display().to_string(), e)),
            }
        }
        #[cfg(not(feature = "v4l"))]
        config::CameraDriver::V4l => Box::new(Absent::not_built(DeviceKind::Camera, "v4l")),
    }
}

// Only the camera box uses the shared GPIO, and it exists only with the `v4l` feature.
#[cfg_attr(not(feature = "v4l"), allow(unused_variables))]
fn open_scanner(s: &config::ScannerConfig, world: &World, seed: u64, gpio: &SharedGpio) -> Box<dyn DocumentScanner> {
    match s.driver {
        config::ScannerDriver::Sim => Box::new(SimScanner::new(world.clone(), plan(&s.sim), seed)),
        #[cfg(feature = "v4l")]
        config::ScannerDriver::CameraBox => {
            use kiosk_hal::scanner::camera_box::{CameraBox, CameraBoxSettings};
            let Some(b) = &s.camera_box else { return Box::new(Absent::not_built(DeviceKind::Scanner, "camera-box")) };
            let location = b.camera.display().to_string();
            match kiosk_hal::camera::v4l::V4lCamera::open(&b.camera, b.width, b.height, 15) {
                Ok(camera) => {
                    let settings = CameraBoxSettings {
                        dpi: b.dpi,
                        settle: Duration::from_millis(b.settle_ms),
                        discard_frames: b.discard_frames,
                        ..CameraBoxSettings::default()
                    };
                    Box::new(CameraBox::new(Box::new(camera), gpio.clone(), settings))
                }
                Err(e) => Box::new(Absent::new(DeviceKind::Scanner, "camera-box", &location, e)),
            }
        }
        #[cfg(not(feature = "v4l"))]
        config::ScannerDriver::CameraBox => Box::new(Absent::not_built(DeviceKind::Scanner, "camera-box")),
        #[cfg(feature = "escl")]
        config::ScannerDriver::Escl => {
            let Some(e) = &s.escl else { return Box::new(Absent::not_built(DeviceKind::Scanner, "escl")) };
            match kiosk_hal::scanner::escl::EsclScanner::new(&e.url, Duration::from_millis(e.timeout_ms)) {
                Ok(scanner) => Box::new(scanner),
                Err(err) => Box::new(Absent::new(DeviceKind::Scanner, "escl", &e.url, err)),
            }
        }
        #[cfg(not(feature = "escl"))]
        config::ScannerDriver::Escl => Box::new(Absent::not_built(DeviceKind::Scanner, "escl")),
    }
}

fn open_card_reader(r: &config::CardReaderConfig, world: &World) -> Box<dyn CardReader> {
    match r.driver {
        config::CardReaderDriver::Sim => {
            // The simulated citizen's ICAO chip (BAC, secure messaging, signed EF.SOD).
            let card: Box<dyn kiosk_hal::card::sim::SimCard> = match crate::idcard::chip_sim::ChipSim::citizen(
                crate::idcard::chip_sim::ChipSimOptions::pace_default(),
            ) {
                Ok(chip) => Box::new(chip),
                Err(error) => {
                    tracing::warn!(%error, "simulated chip unavailable, using a plain file card");
                    Box::new(FileCard::sample())
                }
            };
            Box::new(SimCardReader::new(world.clone(), card, plan(&r.sim)))
        }
        #[cfg(feature = "serial")]
        config::CardReaderDriver::Pn532 => {
            let Some(s) = &r.pn532 else { return Box::new(Absent::not_built(DeviceKind::CardReader, "pn532")) };
            let port = s.port.display().to_string();
            match kiosk_hal::card::pn532::Pn532::open(&port, s.baud.unwrap_or(115_200)) {
                Ok(reader) => Box::new(reader),
                Err(e) => Box::new(Absent::new(DeviceKind::CardReader, "pn532", &port, e)),
            }
        }
        #[cfg(not(feature = "serial"))]
        config::CardReaderDriver::Pn532 => Box::new(Absent::not_built(DeviceKind::CardReader, "pn532")),
        #[cfg(feature = "pcsc")]
        config::CardReaderDriver::Pcsc => {
            let name = r.pcsc.as_ref().map(|p| p.reader.clone()).unwrap_or_default();
            match kiosk_hal::card::pcsc::PcscReader::open(&name) {
                Ok(reader) => Box::new(reader),
                Err(e) => Box::new(Absent::new(DeviceKind::CardReader, "pcsc", &name, e)),
            }
        }
        #[cfg(not(feature = "pcsc"))]
        config::CardReaderDriver::Pcsc => Box::new(Absent::not_built(DeviceKind::CardReader, "pcsc")),
    }
}

fn open_fingerprint(f: &config::FingerprintConfig, world: &World, seed: u64) -> Box<dyn FingerprintSensor> {
    match f.driver {
        config::FingerprintDriver::Sim => Box::new(SimFingerprint::new(world.clone(), plan(&f.sim), seed)),
        #[cfg(feature = "serial")]
        config::FingerprintDriver::R503 => {
            let Some(s) = &f.r503 else { return Box::new(Absent::not_built(DeviceKind::Fingerprint, "r503")) };
            let port = s.port.display().to_string();
            match kiosk_hal::fingerprint::r503::R503::open(&port, s.baud.unwrap_or(57_600)) {
                Ok(sensor) => Box::new(sensor),
                Err(e) => Box::new(Absent::new(DeviceKind::Fingerprint, "r503", &port, e)),
            }
        }
        #[cfg(not(feature = "serial"))]
        config::FingerprintDriver::R503 => Box::new(Absent::not_built(DeviceKind::Fingerprint, "r503")),
    }
}

fn open_gpio(g: &config::GpioConfig, world: &World) -> Box<dyn Gpio> {
    match g.driver {
        config::GpioDriver::Sim => Box::new(SimGpio::new(world.clone(), plan(&g.sim))),
        #[cfg(feature = "rppal")]
        config::GpioDriver::Rppal => {
            let Some(pins) = &g.rppal else { return Box::new(Absent::not_built(DeviceKind::Gpio, "rppal")) };
            match kiosk_hal::gpio::rppal::RppalGpio::new(pins.clone()) {
                Ok(gpio) => Box::new(gpio),
                Err(e) => Box::new(Absent::new(DeviceKind::Gpio, "rppal", "/dev/gpiomem", e)),
            }
        }
        #[cfg(not(feature = "rppal"))]
        config::GpioDriver::Rppal => Box::new(Absent::not_built(DeviceKind::Gpio, "rppal")),
    }
}

fn open_printer(p: &config::PrinterConfig) -> Box<dyn ReceiptPrinter> {
    let renderer = match TextRenderer::from_files(&p.fonts) {
        Ok(renderer) => renderer,
        Err(e) => {
            let error = DeviceError::new(ErrorKind::Other, e.to_string());
            return Box::new(Absent::new(DeviceKind::Printer, "fonts", "receipt fonts", error));
        }
    };
    match p.driver {
        config::PrinterDriver::Sim => {
            let sim = p.sim.clone().unwrap_or_default();
            let faults = FaultPlan::new(sim.fault, sim.fault_after);
            Box::new(SimPrinter::new(renderer, p.width_dots, faults, sim.output_dir))
        }
        #[cfg(feature = "serial")]
        config::PrinterDriver::Escpos => {
            let Some(s) = &p.escpos else { return Box::new(Absent::not_built(DeviceKind::Printer, "escpos")) };
            let port = s.port.display().to_string();
            match kiosk_hal::printer::escpos::EscPos::open(&port, s.baud.unwrap_or(19_200), renderer, p.width_dots) {
                Ok(printer) => Box::new(printer),
                Err(e) => Box::new(Absent::new(DeviceKind::Printer, "escpos", &port, e)),
            }
        }
        #[cfg(not(feature = "serial"))]
        config::PrinterDriver::Escpos => Box::new(Absent::not_built(DeviceKind::Printer, "escpos")),
    }
}

/// A device that could not be opened: every call fails with the reason it could not.
pub struct Absent {
    info: DeviceInfo,
    kind: ErrorKind,
    message: String,
}

impl Absent {
    /// Stands in for `kind` whose driver failed to open with `error`.
    pub fn new(kind: DeviceKind, driver: &str, location: &str, error: DeviceError) -> Self {
        tracing::error!(device = %kind, driver, location, %error, "cannot open device");
        Absent {
            info: DeviceInfo { kind, driver: driver.into(), location: location.into() },
            kind: error.kind(),
            message: error.message().to_owned(),
        }
    }

    fn not_built(kind: DeviceKind, driver: &str) -> Self {
        let error =
            DeviceError::new(ErrorKind::Unsupported, format!("driver `{driver}` is not configured or not built in"));
        Absent::new(kind, driver, "-", error)
    }

    fn error(&self) -> DeviceError {
        DeviceError::new(self.kind, self.message.clone())
    }
}

impl Device for Absent {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn self_test(&mut self) -> Health {
        Health::failed(self.info.clone(), &self.error())
    }
}

impl Camera for Absent {
    fn resolution(&self) -> (u32, u32) {
        (0, 0)
    }
    fn frame(&mut self, _: Duration) -> kiosk_hal::Result<Frame> {
        Err(self.error())
    }
    fn set_exposure(&mut self, _: Exposure) -> kiosk_hal::Result<()> {
        Err(self.error())
    }
    fn set_focus(&mut self, _: Focus) -> kiosk_hal::Result<()> {
        Err(self.error())
    }
    fn stop(&mut self) {}
}

impl DocumentScanner for Absent {
    fn document_present(&mut self) -> kiosk_hal::Result<bool> {
        Err(self.error())
    }
    fn scan(&mut self, _: &ScanRequest) -> kiosk_hal::Result<Vec<ScannedImage>> {
        Err(self.error())
    }
}

impl CardReader for Absent {
    fn poll(&mut self) -> kiosk_hal::Result<Option<CardInfo>> {
        Err(self.error())
    }
    fn transmit(&mut self, _: &[u8]) -> kiosk_hal::Result<Vec<u8>> {
        Err(self.error())
    }
    fn release(&mut self) -> kiosk_hal::Result<()> {
        Ok(())
    }
}

impl FingerprintSensor for Absent {
    fn finger_present(&mut self) -> kiosk_hal::Result<bool> {
        Err(self.error())
    }
    fn capture(&mut self, _: Duration) -> kiosk_hal::Result<FingerImage> {
        Err(self.error())
    }
}

impl Gpio for Absent {
    fn set_light(&mut self, _: Light, _: bool) -> kiosk_hal::Result<()> {
        Err(self.error())
    }
    fn read(&mut self, _: Input) -> kiosk_hal::Result<bool> {
        Err(self.error())
    }
}

impl ReceiptPrinter for Absent {
    fn paper_status(&mut self) -> kiosk_hal::Result<PaperStatus> {
        Err(self.error())
    }
    fn print(&mut self, _: &Receipt) -> kiosk_hal::Result<()> {
        Err(self.error())
    }
}
