//! The QR code printed on Vietnamese citizen identity cards (CCCD / Căn cước).
//!
//! Its text is seven fields separated by `|`: the 12-digit personal identification number, the old
//! 9-digit identity card number (empty when there was none), the full name, the date of birth
//! (ddmmyyyy), the sex (`Nam` / `Nữ`), the place of residence and the date of issue (ddmmyyyy). It is
//! read from the card-side scan as a fallback when the chip cannot be read, and to cross-check it.

use std::fmt;

use image::GrayImage;
use serde::Serialize;

use super::mrz::Date;

/// The data of a card's QR code.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CardQr {
    /// Personal identification number, 12 digits.
    pub id_number: String,
    /// The old identity card number (9 digits), when the card shows one.
    pub old_id_number: Option<String>,
    /// Full name as printed, in NFC.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex as printed: `Nam` (male) or `Nữ` (female).
    pub sex: String,
    /// Place of residence.
    pub address: String,
    /// Date of issue of the card.
    pub issue_date: Date,
}

impl fmt::Debug for CardQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: never in logs.
        f.write_str("CardQr { .. }")
    }
}

/// Why a card QR code could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardQrError {
    /// No QR code was found in the image.
    #[error("no QR code found on the card side")]
    NotFound,
    /// QR codes were found but none could be decoded.
    #[error("a QR code was found but could not be decoded ({0})")]
    Undecodable(String),
    /// The text does not have the seven `|`-separated fields.
    #[error("the card QR code has {found} fields separated by '|', not 7")]
    FieldCount {
        /// How many there were.
        found: usize,
    },
    /// A field is malformed.
    #[error("the card QR code's {field} is not valid")]
    Field {
        /// Which field.
        field: &'static str,
    },
}

/// Parses the text of a card QR code.
pub fn parse(text: &str) -> Result<CardQr, CardQrError> {
    let fields: Vec<&str> = text.trim().split('|').map(str::trim).collect();
    let [id, old_id, name, birth, sex, address, issued] = fields[..] else {
        return Err(CardQrError::FieldCount { found: fields.len() });
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(id, 12) {
        return Err(CardQrError::Field { field: "personal identification number" });
    }
    if !old_id.is_empty() && !digits(old_id, 9) {
        return Err(CardQrError::Field { field: "old identity card number" });
    }
    if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err(CardQrError::Field { field: "full name" });
    }
    if !matches!(sex, "Nam" | "Nữ") {
        return Err(CardQrError::Field { field: "sex" });
    }
    if address.chars().any(char::is_control) {
        return Err(CardQrError::Field { field: "address" });
    }
    Ok(CardQr {
        id_number: id.to_owned(),
        old_id_number: (!old_id.is_empty()).then(|| old_id.to_owned()),
        full_name: name.to_owned(),
        date_of_birth: ddmmyyyy(birth).ok_or(CardQrError::Field { field: "date of birth" })?,
        sex: sex.to_owned(),
        address: address.to_owned(),
        issue_date: ddmmyyyy(issued).ok_or(CardQrError::Field { field: "date of issue" })?,
    })
}

/// Finds the card QR code in a grey image of a card side and parses it.
pub fn read_from_image(image: &GrayImage) -> Result<CardQr, CardQrError> {
    let mut prepared = rqrr::PreparedImage::prepare(image.clone());
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(CardQrError::NotFound);
    }
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) => return parse(&text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    Err(CardQrError::Undecodable(last_error.unwrap_or_default()))
}

fn ddmmyyyy(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day = text[0..2].parse().ok()?;
    let month = text[2..4].parse().ok()?;
    let year = text[4..8].parse().ok()?;
    Date::new(year, month, day)
}

#[cfg(test)]
mod tests {
    use image::imageops::{self, FilterType};
    use kiosk_hal::gpio::Light;
    use kiosk_hal::sim::CardSide;
    use kiosk_hal::sim::scene::{CardArt, SAMPLE_CARD_QR, flatbed, rng};

    use super::*;

    #[test]
    fn the_seven_fields_are_parsed() {
        let qr = parse(SAMPLE_CARD_QR).unwrap();
        assert_eq!(qr.id_number, "001099012345");
        assert_eq!(qr.old_id_number.as_deref(), Some("012345678"));
        assert_eq!(qr.full_name, "Nguyễn Văn An");
        assert_eq!(qr.date_of_birth, Date::new(1990, 1, 1).unwrap());
        assert_eq!(qr.sex, "Nam");
        assert!(qr.address.ends_with("Hà Nội"));
        assert_eq!(qr.issue_date, Date::new(2021, 6, 15).unwrap());
    }

    #[test]
    fn an_empty_old_number_is_none() {
        let qr = parse("079203001234||Trần Thị Bình|29022004|Nữ|Phường Bến Thành, TP. Hồ Chí Minh|01072024").unwrap();
        assert_eq!(qr.old_id_number, None);
        assert_eq!(qr.date_of_birth, Date::new(2004, 2, 29).unwrap());
    }

    #[test]
    fn malformed_text_names_the_field() {
        assert_eq!(parse("a|b").unwrap_err(), CardQrError::FieldCount { found: 2 });
        let field = |text: &str| match parse(text) {
            Err(CardQrError::Field { field }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field("00109901234|012345678|A|01011990|Nam|x|15062021"), "personal identification number");
        assert_eq!(field("001099012345|0123|A|01011990|Nam|x|15062021"), "old identity card number");
        assert_eq!(field("001099012345||A|31021990|Nam|x|15062021"), "date of birth");
        assert_eq!(field("001099012345||A|01011990|Male|x|15062021"), "sex");
        assert_eq!(field("001099012345||A|01011990|Nam|x|2021"), "date of issue");
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let shown = format!("{:?}", parse(SAMPLE_CARD_QR).unwrap());
        assert!(!shown.contains("Nguyễn") && !shown.contains("001099012345"));
    }

    #[test]
    fn the_qr_is_read_from_a_600_dpi_scan_of_the_simulated_card() {
        // The simulated scanner lays the card with an offset, a slight rotation and sensor noise.
        let card = CardArt::standard();
        let scan = flatbed(&card, CardSide::Front, Light::White, &mut rng(3));
        let qr = read_from_image(&imageops::grayscale(&scan)).unwrap();
        assert_eq!(qr, parse(SAMPLE_CARD_QR).unwrap());
    }

    #[test]
    fn a_side_without_a_qr_code_says_so() {
        let card = CardArt::standard();
        let back = imageops::grayscale(card.side_small(CardSide::Back));
        let small = imageops::resize(&back, 400, 252, FilterType::Triangle);
        assert_eq!(read_from_image(&small).unwrap_err(), CardQrError::NotFound);
    }
}
