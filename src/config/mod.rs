//! The kiosk's configuration: one typed tree, read once from TOML at start and validated before
//! anything else happens.
//!
//! Every error names the file, the key and the reason, so a technician can fix it without reading
//! code; a configuration error stops the kiosk before it touches any data.

use std::path::{Path, PathBuf};

use serde::Deserialize;

mod devices;
mod error;

pub use devices::*;
pub use error::ConfigError;

/// The default configuration: simulated devices, data under `var/`.
pub const DEFAULT_PATH: &str = "configs/kiosk.toml";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Identity and storage of this kiosk.
    pub kiosk: KioskSection,
    /// Logging.
    #[serde(default)]
    pub logging: LoggingSection,
    /// Devices, one table per kind.
    pub devices: DevicesSection,
    /// Certified-copy fee schedule (defaults: Circular 226/2016/TT-BTC).
    #[serde(default)]
    pub fees: crate::fees::FeeSchedule,
    /// VietQR payment receiving account; without it the kiosk offers payment at pickup only.
    pub payment: Option<crate::payment::VietQrConfig>,
    /// Where the administrative units come from.
    #[serde(default)]
    pub agency: AgencySection,
    /// Working days and processing times.
    #[serde(default)]
    pub calendar: CalendarSection,
    /// How much disk the outbox of sealed packets may use.
    #[serde(default)]
    pub outbox: crate::outbox::OutboxConfig,
    /// The device signing key and the backend key packets are sealed to.
    #[serde(default)]
    pub keys: KeysSection,
    /// How dossiers are built: PDF file name, JPEG quality.
    #[serde(default)]
    pub dossier: crate::dossier::DossierConfig,
    /// Capture quality thresholds.
    #[serde(default)]
    pub capture: crate::capture::CaptureConfig,
    /// `[idcard]`: identity-document checks.
    #[serde(default)]
    pub idcard: IdcardSection,
    /// Where the configuration was read from (not a key).
    #[serde(skip)]
    pub source: PathBuf,
}

/// `[kiosk]`: who this kiosk is and where it keeps its data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSection {
    /// Kiosk identifier, as enrolled at the backend (letters, digits, `-`; 3 to 32 characters).
    pub id: String,
    /// Directory for the outbox, audit log and device output; relative paths are relative to the
    /// configuration file.
    pub data_dir: PathBuf,
    /// Language the welcome screen starts in.
    #[serde(default)]
    pub default_language: Language,
}

/// The languages the kiosk speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// Tiếng Việt.
    #[default]
    Vi,
    /// English.
    En,
    /// 中文.
    Zh,
    /// 한국어.
    Ko,
    /// 日本語.
    Ja,
}

/// `[agency]`: the administrative units citizens choose their executing agency from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencySection {
    /// The 2-tier administrative-unit list (JSON, as `configs/admin-units-2025.json`); relative to the
    /// configuration file.
    #[serde(default = "default_units")]
    pub units: PathBuf,
}

impl Default for AgencySection {
    fn default() -> Self {
        AgencySection { units: default_units() }
    }
}

fn default_units() -> PathBuf {
    PathBuf::from("admin-units-2025.json")
}

/// `[calendar]`: the days off of public offices and the processing-time rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSection {
    /// Yearly tables of holidays and make-up Saturdays (`configs/holidays.toml`); relative to the
    /// configuration file. Years without a table use the statutory days computed from the lunar
    /// calendar.
    #[serde(default = "default_holidays")]
    pub holidays: PathBuf,
    /// Cut-off, office hours and processing times.
    #[serde(default)]
    pub due: crate::calendar::workdays::DueRules,
    /// The working-day calendar read from `holidays` when the configuration was loaded (not a key).
    #[serde(skip)]
    pub work_calendar: crate::calendar::workdays::WorkCalendar,
}

impl Default for CalendarSection {
    fn default() -> Self {
        CalendarSection { holidays: default_holidays(), due: Default::default(), work_calendar: Default::default() }
    }
}

fn default_holidays() -> PathBuf {
    PathBuf::from("holidays.toml")
}

impl CalendarSection {
    /// Reads the holiday tables into a working-day calendar; errors name the holiday file and key.
    fn read_work_calendar(&self) -> Result<crate::calendar::workdays::WorkCalendar, ConfigError> {
        let text = std::fs::read_to_string(&self.holidays).map_err(|e| ConfigError::unreadable(&self.holidays, &e))?;
        crate::calendar::workdays::HolidayTable::from_toml(&text, &self.holidays.display().to_string()).map_err(|e| {
            ConfigError { file: self.holidays.clone(), key: e.key.clone(), reason: e.reason.clone(), line: None }
        })
    }
}

/// `[keys]`: the kiosk's Ed25519 device key and the backend's X25519 key (`docs/packet-format.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    /// The device key (PKCS#8, mode 0600, made by `kiosk keys init`); relative to the configuration
    /// file.
    #[serde(default = "default_device_key")]
    pub device_key: PathBuf,
    /// The backend's X25519 public key, base64 of the raw 32 bytes. Without it the kiosk cannot seal.
    pub backend_public_key: Option<String>,
    /// That key's id (16 hex digits, first 8 bytes of its SHA-256): a check against a mistyped key,
    /// and the id a rotation switches.
    pub backend_key_id: Option<String>,
    /// The parsed backend key once the configuration is validated (not a key).
    #[serde(skip)]
    pub backend: Option<kiosk_packet::BackendPublicKey>,
}

impl Default for KeysSection {
    fn default() -> Self {
        KeysSection { device_key: default_device_key(), backend_public_key: None, backend_key_id: None, backend: None }
    }
}

fn default_device_key() -> PathBuf {
    PathBuf::from("var/keys/device.p8")
}

impl KeysSection {
    /// Parses the backend key and checks it against its id; errors name the key and the reason.
    fn parse_backend(&self) -> Result<Option<kiosk_packet::BackendPublicKey>, (String, String)> {
        let (key, id) = match (&self.backend_public_key, &self.backend_key_id) {
            (None, None) => return Ok(None),
            (Some(key), Some(id)) => (key, id),
            (Some(_), None) => {
                return Err(("keys.backend_key_id".into(), "must be set with backend_public_key".into()));
            }
            (None, Some(_)) => {
                return Err(("keys.backend_public_key".into(), "must be set with backend_key_id".into()));
            }
        };
        let public = kiosk_packet::BackendPublicKey::from_base64(key)
            .map_err(|e| ("keys.backend_public_key".to_owned(), e.to_string()))?;
        let id = kiosk_packet::KeyId::from_hex(id).map_err(|e| ("keys.backend_key_id".to_owned(), e.to_string()))?;
        if public.key_id() != id {
            let reason = format!(
                "is {id} but backend_public_key has id {}; copy both from the same backend key",
                public.key_id()
            );
            return Err(("keys.backend_key_id".into(), reason));
        }
        Ok(Some(public))
    }
}

/// `[idcard]`: identity documents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdcardSection {
    /// Directory of trusted CSCA certificates (DER `.der`/`.cer`/`.crt` or PEM `.pem`) for passive
    /// authentication of chips (ICAO Doc 9303-12); relative to the configuration file. Without it
    /// every chip reads as "not verified".
    #[serde(default)]
    pub csca_dir: Option<PathBuf>,
    /// The certificates read from `csca_dir` when the configuration was loaded (not a key).
    #[serde(skip)]
    pub cscas: crate::idcard::chip::pa::CscaStore,
}

/// `[logging]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingSection {
    /// `text` (readable, to standard error) or `journald` (structured, to the systemd journal).
    #[serde(default)]
    pub format: LogFormat,
    /// A `tracing` filter: `info`, `debug`, `kiosk_hal=debug,info`, ... (`RUST_LOG` overrides it).
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection { format: LogFormat::default(), level: default_log_level() }
    }
}

fn default_log_level() -> String {
    "info".into()
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Human-readable lines on standard error (development, terminals).
    #[default]
    Text,
    /// The systemd journal (production).
    Journald,
}

impl Config {
    /// Reads, parses and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::unreadable(path, &e))?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::from_toml(path, text, "", &e))?;
        let mut config: Config = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ConfigError::from_toml(path, text, &e.path().to_string(), e.inner()))?;
        config.source = path.to_owned();
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.validate().map_err(|(key, reason)| ConfigError::invalid(path, text, &key, reason))?;
        config.keys.backend =
            config.keys.parse_backend().map_err(|(key, reason)| ConfigError::invalid(path, text, &key, reason))?;
        config.calendar.work_calendar = config.calendar.read_work_calendar()?;
        if let Some(dir) = &config.idcard.csca_dir {
            config.idcard.cscas = crate::idcard::chip::pa::CscaStore::load_dir(dir)
                .map_err(|e| ConfigError::invalid(path, text, "idcard.csca_dir", e.to_string()))?;
        }
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        resolve(&mut self.kiosk.data_dir, base);
        resolve(&mut self.agency.units, base);
        resolve(&mut self.calendar.holidays, base);
        resolve(&mut self.keys.device_key, base);
        if let Some(dir) = &mut self.idcard.csca_dir {
            resolve(dir, base);
        }
        self.devices.resolve_paths(base);
    }

    /// Checks what the types cannot: formats, ranges, files that must exist, drivers built in.
    fn validate(&self) -> Result<(), (String, String)> {
        let id = &self.kiosk.id;
        let id_ok = (3..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !id_ok {
            return Err(("kiosk.id".into(), format!("`{id}` must be 3 to 32 letters, digits or `-`")));
        }
        if self.kiosk.data_dir.as_os_str().is_empty() {
            return Err(("kiosk.data_dir".into(), "must not be empty".into()));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&self.logging.level) {
            return Err(("logging.level".into(), format!("`{}` is not a log filter: {e}", self.logging.level)));
        }
        self.fees.validate().map_err(|(field, reason)| (format!("fees.{field}"), reason))?;
        self.outbox.validate().map_err(|(field, reason)| (format!("outbox.{field}"), reason))?;
        if let Some(payment) = &self.payment {
            payment.validate().map_err(|(field, reason)| (format!("payment.{field}"), reason))?;
        }
        if self.keys.device_key.as_os_str().is_empty() {
            return Err(("keys.device_key".into(), "must not be empty".into()));
        }
        self.keys.parse_backend()?;
        self.dossier.validate().map_err(|(field, reason)| (format!("dossier.{field}"), reason))?;
        self.capture.validate().map_err(|(key, reason)| (format!("capture.{key}"), reason))?;
        if !self.agency.units.is_file() {
            let reason = format!("administrative-unit list {} does not exist", self.agency.units.display());
            return Err(("agency.units".into(), reason));
        }
        if let Some(dir) = &self.idcard.csca_dir
            && !dir.is_dir()
        {
            return Err(("idcard.csca_dir".into(), format!("CSCA directory {} does not exist", dir.display())));
        }
        self.devices.validate()
    }
}

/// Makes a relative path relative to `base` (the configuration file's directory), folding `..`
/// so messages show `var/receipts` rather than `configs/../var/receipts`.
pub(crate) fn resolve(path: &mut PathBuf, base: &Path) {
    use std::path::Component;
    if path.is_absolute() || path.as_os_str().is_empty() {
        return;
    }
    let mut joined = PathBuf::new();
    for component in base.join(&*path).components() {
        match component {
            Component::ParentDir if matches!(joined.components().next_back(), Some(Component::Normal(_))) => {
                joined.pop();
            }
            Component::CurDir => {}
            other => joined.push(other),
        }
    }
    *path = if joined.as_os_str().is_empty() { PathBuf::from(".") } else { joined };
}

#[cfg(test)]
mod tests;
