//! Online payment of the dossier fee.
//!
//! The kiosk shows a VietQR code (NAPAS 247 inter-bank transfer, EMVCo merchant-presented QR) that the
//! citizen scans with any Vietnamese banking app; the dossier code travels as the purpose of the
//! transaction so the office can match the transfer to the dossier. Everything here is pure: building
//! and checking payloads and drawing the QR image. Confirming that the money arrived is the backend's
//! job.

pub mod vietqr;

pub use vietqr::{DecodeError, Field, RenderError, ServiceCode, VietQrConfig, VietQrError};
