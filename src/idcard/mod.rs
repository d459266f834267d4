//! Identity documents: reading who the applicant is from the document they present.
//!
//! For now this holds the machine-readable zone ([`mrz`], ICAO Doc 9303 Parts 3–6) of passports and
//! identity cards. Reading the chip (BAC/PACE, secure messaging, DG1/DG2/DG11/DG13, passive
//! authentication) and the QR code printed on Vietnamese citizen identity cards will join it here.

pub mod mrz;
