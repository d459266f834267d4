//! Logging: readable lines on standard error in development, the systemd journal in production.
//!
//! Nothing personal is ever logged: no names, ID numbers, dates of birth, images or MRZ lines. Log
//! events carry device kinds, error kinds, timings and counts.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LoggingSection};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the configured level. Returns a
/// warning to show when the journal was asked for but is not there (the kiosk then logs to standard
/// error rather than not at all).
pub fn init(logging: &LoggingSection) -> Option<String> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&logging.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let text = || tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    match logging.format {
        LogFormat::Text => {
            let _ = registry.with(text()).try_init();
            None
        }
        LogFormat::Journald => match tracing_journald::layer() {
            Ok(journald) => {
                let _ = registry.with(journald.with_syslog_identifier("kiosk".into())).try_init();
                None
            }
            Err(error) => {
                let _ = registry.with(text()).try_init();
                Some(format!("the systemd journal is not reachable ({error}); logging to standard error"))
            }
        },
    }
}
