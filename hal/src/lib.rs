//! Hardware-abstraction layer of the intake kiosk.
//!
//! One trait per device kind ([`camera::Camera`], [`scanner::DocumentScanner`],
//! [`card::CardReader`], [`fingerprint::FingerprintSensor`], [`gpio::Gpio`],
//! [`printer::ReceiptPrinter`]), each with a simulator of the same behaviour (including faults) and
//! real drivers behind cargo features:
//!
//! | feature  | drivers | needs at build time |
//! |----------|---------|---------------------|
//! | `serial` (default) | PN532 card reader, R30x/R503 fingerprint sensor, ESC/POS printer | nothing |
//! | `escl` (default)   | eSCL (driverless HTTP) document scanner | nothing |
//! | `v4l`    | V4L2 camera (MJPEG, YUYV) | libclang (bindgen) |
//! | `rppal`  | Raspberry Pi GPIO | nothing (runs only on a Pi) |
//! | `pcsc`   | PC/SC card readers | libpcsclite-dev |
//!
//! Every operation returns a [`DeviceError`] whose [`ErrorKind`] is shared by all drivers, and every
//! device answers a self-test with a structured [`Health`] record. Nothing here panics on device input.
#![warn(missing_docs)]

pub mod camera;
pub mod card;
pub mod error;
pub mod fingerprint;
pub mod gpio;
pub mod health;
pub mod printer;
pub mod scanner;
pub mod serial;
pub mod sim;

pub use error::{DeviceError, ErrorKind, Result};
pub use health::{DeviceInfo, DeviceKind, Health, HealthStatus};

/// What every device does besides its own work: say what it is and test itself.
pub trait Device: Send {
    /// What this device is and where it is reached.
    fn info(&self) -> DeviceInfo;

    /// Exercises the device without side effects a citizen could notice (no paper fed, no light left
    /// on) and reports its state.
    fn self_test(&mut self) -> Health;
}
