//! Identity documents: reading who the applicant is from the document they present.
//!
//! It holds the machine-readable zone ([`mrz`], ICAO Doc 9303 Parts 3–6) of passports and identity
//! cards and the QR code printed on Vietnamese citizen identity cards ([`card_qr`]). Reading the chip
//! (BAC/PACE, secure messaging, DG1/DG2/DG11/DG13, passive authentication) joins them here.

pub mod bac;
pub mod card_qr;
pub mod chip;
pub mod chip_sim;
pub mod crypto;
pub mod mrz;
pub mod sm;
