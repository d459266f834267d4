//! The intake kiosk: configuration, devices, and (in later modules) flows, dossiers, sealing and
//! store-and-forward upload. The `kiosk` binary is a thin command line over this library.
//!
//! Data moves one way: `hal` (devices) → `capture` → `flow` → `dossier` → `seal` → `outbox` →
//! `uplink`. See `docs/` and the README.
#![warn(missing_docs)]

pub mod agency;
pub mod calendar;
pub mod capture;
pub mod clock;
pub mod config;
pub mod devices;
pub mod dossier;
pub mod fees;
pub mod idcard;
pub mod keys;
pub mod logging;
pub mod outbox;
pub mod payment;
pub mod systemd;
pub mod technician;
