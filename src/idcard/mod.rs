//! Identity documents: reading who the applicant is from the document they present.
//!
//! It holds the machine-readable zone ([`mrz`], ICAO Doc 9303 Parts 3–6) of passports and identity
//! cards, the QR code printed on Vietnamese citizen identity cards ([`card_qr`]) and the chip
//! ([`chip`]: BAC, secure messaging, EF.COM, DG1/DG2/DG11/DG13/DG14/DG15, EF.SOD, passive
//! authentication), with a simulated chip for the simulator and tests ([`chip_sim`]).

pub mod bac;
pub mod card_qr;
pub mod chip;
pub mod chip_sim;
pub mod crypto;
pub mod mrz;
pub mod pace;
pub mod pace_card;
pub mod pace_crypto;
pub mod pace_info;
pub mod sm;
