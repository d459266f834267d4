//! `kiosk chip read`: the technician's command that reads the card on the configured reader and
//! prints its data and each passive-authentication step. The binary only parses arguments and
//! prints what this returns.

use std::time::SystemTime;

use super::reader::{ChipError, ReadOptions, SystemRandom};
use super::report::{mrz_information_from_input, read_and_verify};
use crate::config::Config;
use crate::devices::Devices;

/// Exit status: read and verified.
pub const EXIT_VERIFIED: u8 = 0;
/// Exit status: read, but not verified or a check failed.
pub const EXIT_NOT_VERIFIED: u8 = 1;
/// Exit status: the chip could not be read (no card, access denied, reader fault, bad --mrz).
pub const EXIT_UNREADABLE: u8 = 2;

/// What the command prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit status ([`EXIT_VERIFIED`], [`EXIT_NOT_VERIFIED`], [`EXIT_UNREADABLE`]).
    pub exit: u8,
    /// Standard output (the report; personal data).
    pub stdout: String,
    /// Standard error (what went wrong, Vietnamese and English).
    pub stderr: String,
}

/// Reads the card. The MRZ comes from `mrz` (see [`mrz_information_from_input`]) or, without it,
/// from the simulated world's card (only for the simulated reader; OCR of the scanned back will
/// take its place).
pub fn chip_read(config: &Config, mrz: Option<&str>, json: bool, extended_length: bool) -> Outcome {
    let Some(today) = crate::clock::today_in_vietnam() else {
        return unreadable(
            "Không đọc được đồng hồ hệ thống.",
            "The system clock cannot be read; set it and try again.",
        );
    };
    let mut devices = Devices::open(config);
    let simulated = matches!(config.devices.card_reader.driver, crate::config::CardReaderDriver::Sim);
    let mrz_input = match mrz {
        Some(text) => text.to_owned(),
        None if simulated => devices.world.card_mrz().join("\n"),
        None => {
            return unreadable(
                "Cần dòng MRZ của thẻ: dùng --mrz.",
                "The card's MRZ is needed to open the chip: give it with --mrz.",
            );
        }
    };
    let mrz_information = match mrz_information_from_input(&mrz_input, today) {
        Ok(info) => info,
        Err(reason) => {
            return unreadable("Dòng MRZ không hợp lệ.", &format!("The MRZ given is not valid: {reason}."));
        }
    };
    let mut random = match SystemRandom::for_bac() {
        Ok(random) => random,
        Err(error) => return failed_read(&error),
    };
    let result = read_and_verify(
        devices.card_reader.as_mut(),
        &mrz_information,
        &mut random,
        ReadOptions { extended_length },
        &config.idcard.cscas,
        SystemTime::now(),
        &mut |_| {},
    );
    let _ = devices.card_reader.release();
    match result {
        Ok(report) => {
            let exit = if report.verified() { EXIT_VERIFIED } else { EXIT_NOT_VERIFIED };
            let stdout = if json { report.to_json() + "\n" } else { report.to_text() };
            let stderr = if config.idcard.cscas.is_empty() {
                "kiosk: no CSCA certificates configured ([idcard] csca_dir): chips cannot be verified\n".to_owned()
            } else {
                String::new()
            };
            Outcome { exit, stdout, stderr }
        }
        Err(error) => failed_read(&error),
    }
}

fn failed_read(error: &ChipError) -> Outcome {
    let (vi, en) = error.user_message();
    Outcome {
        exit: EXIT_UNREADABLE,
        stdout: String::new(),
        stderr: format!("kiosk: {vi}\nkiosk: {en}\nkiosk: ({error})\n"),
    }
}

fn unreadable(vi: &str, en: &str) -> Outcome {
    Outcome { exit: EXIT_UNREADABLE, stdout: String::new(), stderr: format!("kiosk: {vi}\nkiosk: {en}\n") }
}
