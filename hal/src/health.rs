//! Structured self-test results.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{DeviceError, ErrorKind};

/// The kinds of device the kiosk drives; one trait each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Camera for portraits and live card guidance.
    Camera,
    /// Document scanner (camera box or eSCL).
    Scanner,
    /// Contactless / contact smart-card reader.
    CardReader,
    /// Fingerprint sensor.
    Fingerprint,
    /// Lights and digital inputs (presence, tamper, service button).
    Gpio,
    /// Receipt printer.
    Printer,
}

impl DeviceKind {
    /// All kinds, in the order the service menu lists them.
    pub const ALL: [DeviceKind; 6] = [
        DeviceKind::Camera,
        DeviceKind::Scanner,
        DeviceKind::CardReader,
        DeviceKind::Fingerprint,
        DeviceKind::Gpio,
        DeviceKind::Printer,
    ];

    /// The name used in configuration keys and the CLI (`card_reader`, ...).
    pub fn config_name(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::Scanner => "scanner",
            DeviceKind::CardReader => "card_reader",
            DeviceKind::Fingerprint => "fingerprint",
            DeviceKind::Gpio => "gpio",
            DeviceKind::Printer => "printer",
        }
    }
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.config_name())
    }
}

/// What a device is: shown by `kiosk devices list` and in every health record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// Kind of device.
    pub kind: DeviceKind,
    /// Driver name (`sim`, `v4l`, `pn532`, ...).
    pub driver: String,
    /// Where the device is reached (`/dev/video0`, `http://scanner.local/eSCL`, `simulated`).
    pub location: String,
}

/// Overall state of a device after its self-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealthStatus {
    /// Works as expected.
    Ok,
    /// Works, but needs attention soon (paper near its end, a light dim, a slow answer).
    Degraded,
    /// Does not work.
    Failed,
}

/// The result of one device's self-test.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The device tested.
    #[serde(flatten)]
    pub device: DeviceInfo,
    /// Overall verdict.
    pub status: HealthStatus,
    /// Why the device is degraded or failed, for a technician.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error kind behind a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    /// Measured facts (firmware version, resolution, paper state, ...).
    pub details: BTreeMap<String, String>,
}

impl Health {
    /// A healthy record for `device`.
    pub fn ok(device: DeviceInfo) -> Self {
        Health { device, status: HealthStatus::Ok, reason: None, error_kind: None, details: BTreeMap::new() }
    }

    /// A degraded record with a reason.
    pub fn degraded(device: DeviceInfo, reason: impl Into<String>) -> Self {
        Health { status: HealthStatus::Degraded, reason: Some(reason.into()), ..Health::ok(device) }
    }

    /// A failed record built from the error that made the test fail.
    pub fn failed(device: DeviceInfo, error: &DeviceError) -> Self {
        Health {
            status: HealthStatus::Failed,
            reason: Some(error.to_string()),
            error_kind: Some(error.kind()),
            ..Health::ok(device)
        }
    }

    /// Adds a measured fact.
    pub fn with_detail(mut self, key: &str, value: impl ToString) -> Self {
        self.details.insert(key.to_owned(), value.to_string());
        self
    }

    /// Runs `test`; a returned error makes the record failed, otherwise `test` decides.
    pub fn from_test(device: DeviceInfo, test: impl FnOnce(DeviceInfo) -> Result<Health, DeviceError>) -> Self {
        match test(device.clone()) {
            Ok(health) => health,
            Err(error) => Health::failed(device, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> DeviceInfo {
        DeviceInfo { kind: DeviceKind::Printer, driver: "sim".into(), location: "simulated".into() }
    }

    #[test]
    fn a_failing_test_becomes_a_failed_record_with_its_kind() {
        let health = Health::from_test(info(), |_| Err(DeviceError::new(ErrorKind::NoMedium, "paper out")));
        assert_eq!(health.status, HealthStatus::Failed);
        assert_eq!(health.error_kind, Some(ErrorKind::NoMedium));
        assert_eq!(health.reason.as_deref(), Some("no medium: paper out"));
    }

    #[test]
    fn health_serialises_flat_for_the_json_selftest() {
        let health = Health::ok(info()).with_detail("paper", "ok");
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["kind"], "printer");
        assert_eq!(json["status"], "ok");
        assert_eq!(json["details"]["paper"], "ok");
        assert!(json.get("reason").is_none());
    }
}
