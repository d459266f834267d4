//! VietQR payloads: the NAPAS profile of the EMVCo merchant-presented QR code.
//!
//! Sources: EMVCo "QR Code Specification for Payment Systems: Merchant-Presented Mode" (QRCPS-MPM)
//! v1.1 for the data-object layout, character sets, lengths and CRC; NAPAS "Technical Specifications
//! on NAPAS QR Switching, Part IV: QR Code Format" v1.5.2 (2021) for the merchant account information
//! template ID 38 (GUID `A000000727`, beneficiary organisation, service code).
//!
//! A payload is a flat list of data objects, each `ID` (2 digits) + `length` (2 decimal digits) +
//! `value`, ending with the CRC object `63 04 XXXX`. Templates (38, 62) hold nested data objects of
//! the same shape.

use image::GrayImage;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};

/// Globally unique identifier of the NAPAS 247 inter-bank transfer service in ID 38, sub-field 00
/// (NAPAS QR Switching Part IV).
pub const NAPAS_GUID: &str = "A000000727";

/// Quiet zone around the symbol, in modules: ISO/IEC 18004 requires four on every side.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// The CRC of ID 63: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR),
/// which the CRC catalogue names CRC-16/IBM-3740 (EMVCo QRCPS-MPM, CRC data object).
const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);

// Root data object IDs (EMVCo QRCPS-MPM, data objects under the root).
const ID_PAYLOAD_FORMAT: &str = "00";
const ID_POINT_OF_INITIATION: &str = "01";
const ID_MERCHANT_ACCOUNT_NAPAS: &str = "38";
const ID_CURRENCY: &str = "53";
const ID_AMOUNT: &str = "54";
const ID_COUNTRY: &str = "58";
const ID_MERCHANT_NAME: &str = "59";
const ID_MERCHANT_CITY: &str = "60";
const ID_ADDITIONAL_DATA: &str = "62";
const ID_CRC: &str = "63";

/// Payload format indicator: the only version EMVCo has defined.
const PAYLOAD_FORMAT_V1: &str = "01";
/// Point of initiation: the same code for many payments (no amount) ...
const STATIC_QR: &str = "11";
/// ... or a code made for one payment (amount set).
const DYNAMIC_QR: &str = "12";
/// ISO 4217 numeric code of the Vietnamese đồng.
const CURRENCY_VND: &str = "704";
/// ISO 3166-1 alpha-2 code of Viet Nam.
const COUNTRY_VN: &str = "VN";

// Maximum value lengths (EMVCo QRCPS-MPM): amount ans..13, merchant name ans..25, merchant city
// ans..15, purpose of transaction (ID 62 sub-field 08) ans..25; any object at most 99.
const MAX_AMOUNT_DIGITS: usize = 13;
const MAX_MERCHANT_NAME: usize = 25;
const MAX_MERCHANT_CITY: usize = 15;
const MAX_PURPOSE: usize = 25;
const MAX_VALUE: usize = 99;

/// What the transfer is credited to: ID 38 sub-field 02 (NAPAS QR Switching Part IV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum ServiceCode {
    /// `QRIBFTTA`: 24/7 inter-bank fund transfer to a bank account.
    #[default]
    #[serde(rename = "QRIBFTTA", alias = "to-account")]
    ToAccount,
    /// `QRIBFTTC`: 24/7 inter-bank fund transfer to a card number.
    #[serde(rename = "QRIBFTTC", alias = "to-card")]
    ToCard,
}

impl ServiceCode {
    /// The code as written in the payload.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCode::ToAccount => "QRIBFTTA",
            ServiceCode::ToCard => "QRIBFTTC",
        }
    }
}

/// The office's receiving account: the `[payment]` configuration section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VietQrConfig {
    /// Bank identification number of the receiving bank, 6 digits (e.g. `970403`), as published in the
    /// NAPAS member list.
    pub acquirer_bin: String,
    /// Account number (for `QRIBFTTA`) or card number (for `QRIBFTTC`) credited: ASCII letters and digits.
    pub account: String,
    /// `QRIBFTTA` (to an account, the default) or `QRIBFTTC` (to a card).
    #[serde(default)]
    pub service: ServiceCode,
    /// Merchant name shown by some banking apps (ID 59): printable ASCII without diacritics, at most 25
    /// characters; omitted when absent.
    #[serde(default)]
    pub merchant_name: Option<String>,
    /// Merchant city (ID 60): printable ASCII without diacritics, at most 15 characters; omitted when
    /// absent.
    #[serde(default)]
    pub merchant_city: Option<String>,
}

/// A value of a VietQR payload that the kiosk builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `acquirer_bin` (ID 38 → 01 → 00).
    AcquirerBin,
    /// `account` (ID 38 → 01 → 01).
    Account,
    /// The amount (ID 54).
    Amount,
    /// `merchant_name` (ID 59).
    MerchantName,
    /// `merchant_city` (ID 60).
    MerchantCity,
    /// The purpose of transaction, i.e. the dossier code (ID 62 → 08).
    Purpose,
}

impl Field {
    /// The configuration key or argument name.
    pub fn key(self) -> &'static str {
        match self {
            Field::AcquirerBin => "acquirer_bin",
            Field::Account => "account",
            Field::Amount => "amount",
            Field::MerchantName => "merchant_name",
            Field::MerchantCity => "merchant_city",
            Field::Purpose => "purpose",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Why a VietQR payload cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VietQrError {
    /// The acquirer BIN is not exactly 6 ASCII digits.
    #[error("acquirer_bin must be exactly 6 digits, not {0:?}")]
    AcquirerBin(String),
    /// A value is present but empty.
    #[error("{0} must not be empty")]
    Empty(Field),
    /// A value holds a character outside printable ASCII; Vietnamese diacritics are not allowed in these
    /// fields (EMVCo "ans" character set) and are refused rather than silently stripped.
    #[error("{field} must be printable ASCII without diacritics; {character:?} is not")]
    NotAscii {
        /// The value.
        field: Field,
        /// The first offending character.
        character: char,
    },
    /// An ASCII character the field does not allow (account numbers: letters and digits; card numbers:
    /// digits).
    #[error("{field} must not contain {character:?}")]
    InvalidCharacter {
        /// The value.
        field: Field,
        /// The first offending character.
        character: char,
    },
    /// A value is longer than the specification allows.
    #[error("{field} is {length} characters long; at most {max} are allowed")]
    TooLong {
        /// The value (for a template that overflows, the value that made it overflow).
        field: Field,
        /// Its length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// An amount of zero: leave the amount out for a static code instead.
    #[error("the amount must be more than 0 VND")]
    ZeroAmount,
}

/// Why a payload read back is not a valid VietQR/EMVCo payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The payload holds a non-ASCII byte.
    #[error("the payload is not ASCII")]
    NotAscii,
    /// A data object ID or length is not two decimal digits, at this byte offset.
    #[error("bad data object header at offset {0}")]
    BadHeader(usize),
    /// A data object's value runs past the end, at this byte offset.
    #[error("data object at offset {0} runs past the end")]
    Truncated(usize),
    /// The payload does not start with the payload format indicator (ID 00).
    #[error("the payload does not start with the payload format indicator (ID 00)")]
    NoPayloadFormat,
    /// The payload does not end with a 4-character CRC object (ID 63).
    #[error("the payload does not end with a CRC (ID 63, length 04)")]
    NoCrc,
    /// The CRC written in the payload differs from the computed one.
    #[error("CRC mismatch: the payload says {stated}, the content gives {computed}")]
    CrcMismatch {
        /// The 4 hex digits in the payload.
        stated: String,
        /// The 4 hex digits computed over the payload.
        computed: String,
    },
}

/// Why a QR image cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The payload does not fit in a QR code at error-correction level M.
    #[error("the payload cannot be encoded as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
}

impl VietQrConfig {
    /// Checks the configuration; on error returns the offending key and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.merchant_account_information()
            .and_then(|_| optional_text(Field::MerchantName, self.merchant_name.as_deref(), MAX_MERCHANT_NAME))
            .and_then(|_| optional_text(Field::MerchantCity, self.merchant_city.as_deref(), MAX_MERCHANT_CITY))
            .map(|_| ())
            .map_err(|error| (field_of(&error).key().to_owned(), error.to_string()))
    }

    /// Builds the payload text to encode in the QR code.
    ///
    /// With an amount the code is dynamic (point of initiation `12`) and the banking app pre-fills the
    /// amount; without one it is static (`11`) and the payer types the amount. `purpose` (the dossier
    /// code) goes into ID 62 sub-field 08 so the office can match the transfer.
    pub fn payload(&self, amount_vnd: Option<u64>, purpose: Option<&str>) -> Result<String, VietQrError> {
        let mut out = String::with_capacity(160);
        push_object(&mut out, ID_PAYLOAD_FORMAT, PAYLOAD_FORMAT_V1);
        push_object(&mut out, ID_POINT_OF_INITIATION, if amount_vnd.is_some() { DYNAMIC_QR } else { STATIC_QR });
        push_object(&mut out, ID_MERCHANT_ACCOUNT_NAPAS, &self.merchant_account_information()?);
        push_object(&mut out, ID_CURRENCY, CURRENCY_VND);
        if let Some(amount) = amount_vnd {
            push_object(&mut out, ID_AMOUNT, &amount_text(amount)?);
        }
        push_object(&mut out, ID_COUNTRY, COUNTRY_VN);
        if let Some(name) = optional_text(Field::MerchantName, self.merchant_name.as_deref(), MAX_MERCHANT_NAME)? {
            push_object(&mut out, ID_MERCHANT_NAME, name);
        }
        if let Some(city) = optional_text(Field::MerchantCity, self.merchant_city.as_deref(), MAX_MERCHANT_CITY)? {
            push_object(&mut out, ID_MERCHANT_CITY, city);
        }
        if let Some(purpose) = purpose {
            check_ascii_text(Field::Purpose, purpose, MAX_PURPOSE)?;
            let mut additional = String::new();
            push_object(&mut additional, "08", purpose);
            push_object(&mut out, ID_ADDITIONAL_DATA, &additional);
        }
        // The CRC covers everything before it, including its own ID and length "6304".
        out.push_str(ID_CRC);
        out.push_str("04");
        let crc = crc16_ccitt_false(out.as_bytes());
        out.push_str(&format!("{crc:04X}"));
        Ok(out)
    }

    /// ID 38: GUID, beneficiary organisation (BIN, account) and service code.
    fn merchant_account_information(&self) -> Result<String, VietQrError> {
        let bin = &self.acquirer_bin;
        if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VietQrError::AcquirerBin(bin.clone()));
        }
        self.check_account()?;
        let mut beneficiary = String::new();
        push_object(&mut beneficiary, "00", bin);
        push_object(&mut beneficiary, "01", &self.account);
        let mut info = String::new();
        push_object(&mut info, "00", NAPAS_GUID);
        push_object(&mut info, "01", &beneficiary);
        push_object(&mut info, "02", self.service.as_str());
        if info.len() > MAX_VALUE {
            // Only a long account number can push the template over the limit.
            let max = self.account.len() - (info.len() - MAX_VALUE);
            return Err(VietQrError::TooLong { field: Field::Account, length: self.account.len(), max });
        }
        Ok(info)
    }

    fn check_account(&self) -> Result<(), VietQrError> {
        let account = &self.account;
        if account.is_empty() {
            return Err(VietQrError::Empty(Field::Account));
        }
        if let Some(character) = account.chars().find(|c| !c.is_ascii()) {
            return Err(VietQrError::NotAscii { field: Field::Account, character });
        }
        let allowed = |c: &char| match self.service {
            ServiceCode::ToAccount => c.is_ascii_alphanumeric(),
            ServiceCode::ToCard => c.is_ascii_digit(),
        };
        match account.chars().find(|c| !allowed(c)) {
            Some(character) => Err(VietQrError::InvalidCharacter { field: Field::Account, character }),
            None => Ok(()),
        }
    }
}

/// The field an error is about.
fn field_of(error: &VietQrError) -> Field {
    match error {
        VietQrError::AcquirerBin(_) => Field::AcquirerBin,
        VietQrError::Empty(field)
        | VietQrError::NotAscii { field, .. }
        | VietQrError::InvalidCharacter { field, .. }
        | VietQrError::TooLong { field, .. } => *field,
        VietQrError::ZeroAmount => Field::Amount,
    }
}

/// EMVCo "ans" text: non-empty, printable ASCII (0x20–0x7E), at most `max` characters.
fn check_ascii_text(field: Field, value: &str, max: usize) -> Result<(), VietQrError> {
    if value.is_empty() {
        return Err(VietQrError::Empty(field));
    }
    if let Some(character) = value.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(VietQrError::NotAscii { field, character });
    }
    if value.len() > max {
        return Err(VietQrError::TooLong { field, length: value.len(), max });
    }
    Ok(())
}

/// An optional "ans" value: absent is fine, present must pass [`check_ascii_text`].
fn optional_text(field: Field, value: Option<&str>, max: usize) -> Result<Option<&str>, VietQrError> {
    value.map(|text| check_ascii_text(field, text, max).map(|()| text)).transpose()
}

/// ID 54 for VND: whole đồng, no decimal point (the currency has no minor unit in use).
fn amount_text(amount_vnd: u64) -> Result<String, VietQrError> {
    if amount_vnd == 0 {
        return Err(VietQrError::ZeroAmount);
    }
    let text = amount_vnd.to_string();
    if text.len() > MAX_AMOUNT_DIGITS {
        return Err(VietQrError::TooLong { field: Field::Amount, length: text.len(), max: MAX_AMOUNT_DIGITS });
    }
    Ok(text)
}

/// Appends one data object. Callers have bounded `value` to 99 ASCII characters.
fn push_object(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() <= MAX_VALUE && value.is_ascii());
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
}

/// CRC-16/CCITT-FALSE of `bytes`, as used by ID 63.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// Splits a payload into its root data objects `(ID, value)`, in order, after checking that it starts
/// with ID 00 and that its final ID 63 matches the CRC of everything before the CRC value. The CRC is
/// compared without regard to hex-digit case, since some generators write lower case.
pub fn decode(payload: &str) -> Result<Vec<(String, String)>, DecodeError> {
    let objects = decode_template(payload)?;
    if objects.first().is_none_or(|(id, _)| id != ID_PAYLOAD_FORMAT) {
        return Err(DecodeError::NoPayloadFormat);
    }
    match objects.last() {
        Some((id, stated)) if id == ID_CRC && stated.len() == 4 => {
            let covered = &payload.as_bytes()[..payload.len() - 4];
            let computed = format!("{:04X}", crc16_ccitt_false(covered));
            if !stated.eq_ignore_ascii_case(&computed) {
                return Err(DecodeError::CrcMismatch { stated: stated.clone(), computed });
            }
            Ok(objects)
        }
        _ => Err(DecodeError::NoCrc),
    }
}

/// Splits the value of a template (ID 38, 62, …) into its data objects, without any CRC check.
pub fn decode_template(text: &str) -> Result<Vec<(String, String)>, DecodeError> {
    if !text.is_ascii() {
        return Err(DecodeError::NotAscii);
    }
    let mut objects = Vec::new();
    let mut offset = 0;
    while offset < text.len() {
        let header = text.get(offset..offset + 4).ok_or(DecodeError::Truncated(offset))?;
        if !header.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecodeError::BadHeader(offset));
        }
        let length: usize = header[2..].parse().map_err(|_| DecodeError::BadHeader(offset))?;
        let value = text.get(offset + 4..offset + 4 + length).ok_or(DecodeError::Truncated(offset))?;
        objects.push((header[..2].to_owned(), value.to_owned()));
        offset += 4 + length;
    }
    Ok(objects)
}

/// Draws `payload` as a QR code (error-correction level M), black on white, `module_px` pixels per
/// module, with the 4-module quiet zone ISO/IEC 18004 requires.
pub fn render(payload: &str, module_px: u32) -> Result<GrayImage, RenderError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    Ok(code.render::<image::Luma<u8>>().quiet_zone(true).module_dimensions(module_px, module_px).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published examples of the npm package `dynamic-vietqr` 0.0.81, README
    /// (https://app.unpkg.com/dynamic-vietqr@0.0.81/files/README.md): account 0011012345678 at BIN
    /// 970403, 180,000 VND, purpose "thanh toan don hang".
    const SAMPLE_DYNAMIC_TO_ACCOUNT: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62230819thanh toan don hang63045FAB";
    const SAMPLE_DYNAMIC_TO_CARD: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTC530370454061800005802VN62230819thanh toan don hang630415C1";
    const SAMPLE_STATIC_TO_ACCOUNT: &str =
        "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F";

    fn sample_config(service: ServiceCode) -> VietQrConfig {
        VietQrConfig {
            acquirer_bin: "970403".into(),
            account: "0011012345678".into(),
            service,
            merchant_name: None,
            merchant_city: None,
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(id, value)| (id.to_string(), value.to_string())).collect()
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn published_samples_have_valid_crcs() {
        for sample in [SAMPLE_DYNAMIC_TO_ACCOUNT, SAMPLE_DYNAMIC_TO_CARD, SAMPLE_STATIC_TO_ACCOUNT] {
            decode(sample).unwrap();
        }
    }

    #[test]
    fn building_the_sample_fields_reproduces_the_samples() {
        let purpose = Some("thanh toan don hang");
        let to_account = sample_config(ServiceCode::ToAccount);
        assert_eq!(to_account.payload(Some(180_000), purpose).unwrap(), SAMPLE_DYNAMIC_TO_ACCOUNT);
        assert_eq!(to_account.payload(None, None).unwrap(), SAMPLE_STATIC_TO_ACCOUNT);
        let to_card = sample_config(ServiceCode::ToCard);
        assert_eq!(to_card.payload(Some(180_000), purpose).unwrap(), SAMPLE_DYNAMIC_TO_CARD);
    }

    #[test]
    fn built_payload_decodes_to_its_fields() {
        let config = VietQrConfig {
            merchant_name: Some("UBND PHUONG BA DINH".into()),
            merchant_city: Some("HA NOI".into()),
            ..sample_config(ServiceCode::ToAccount)
        };
        let payload = config.payload(Some(6_000), Some("HS-2025-000123")).unwrap();
        let objects = decode(&payload).unwrap();
        let crc = objects.last().unwrap().1.clone();
        assert_eq!(
            objects,
            pairs(&[
                ("00", "01"),
                ("01", "12"),
                ("38", "0010A00000072701270006970403011300110123456780208QRIBFTTA"),
                ("53", "704"),
                ("54", "6000"),
                ("58", "VN"),
                ("59", "UBND PHUONG BA DINH"),
                ("60", "HA NOI"),
                ("62", "0814HS-2025-000123"),
                ("63", &crc),
            ])
        );
        assert_eq!(
            decode_template(&objects[2].1).unwrap(),
            pairs(&[("00", NAPAS_GUID), ("01", "000697040301130011012345678"), ("02", "QRIBFTTA")])
        );
        assert_eq!(decode_template(&objects[8].1).unwrap(), pairs(&[("08", "HS-2025-000123")]));
        assert_eq!(crc, crc.to_ascii_uppercase());
    }

    #[test]
    fn flipped_character_fails_the_crc() {
        let tampered = SAMPLE_DYNAMIC_TO_ACCOUNT.replacen("180000", "100000", 1);
        assert!(matches!(decode(&tampered), Err(DecodeError::CrcMismatch { .. })));
    }

    #[test]
    fn lower_case_crc_is_accepted_when_decoding() {
        decode(&SAMPLE_DYNAMIC_TO_CARD.replace("15C1", "15c1")).unwrap();
    }

    #[test]
    fn malformed_payloads_are_rejected() {
        assert_eq!(decode("0002015802VN"), Err(DecodeError::NoCrc));
        assert_eq!(decode("5802VN63041234"), Err(DecodeError::NoPayloadFormat));
        assert_eq!(decode("000201580"), Err(DecodeError::Truncated(6)));
        assert_eq!(decode("0002015899VN"), Err(DecodeError::Truncated(6)));
        assert_eq!(decode("0002015xVN"), Err(DecodeError::BadHeader(6)));
        assert_eq!(decode("000201590Hà"), Err(DecodeError::NotAscii));
    }

    #[test]
    fn diacritics_are_refused_not_stripped() {
        let config = VietQrConfig {
            merchant_name: Some("UBND Phường Ba Đình".into()),
            ..sample_config(ServiceCode::ToAccount)
        };
        assert_eq!(
            config.payload(None, None),
            Err(VietQrError::NotAscii { field: Field::MerchantName, character: 'ư' })
        );
        let config = sample_config(ServiceCode::ToAccount);
        assert_eq!(
            config.payload(Some(1), Some("Lệ phí")),
            Err(VietQrError::NotAscii { field: Field::Purpose, character: 'ệ' })
        );
    }

    #[test]
    fn invalid_values_are_rejected() {
        let with = |f: fn(&mut VietQrConfig)| {
            let mut config = sample_config(ServiceCode::ToAccount);
            f(&mut config);
            config.payload(Some(1_000), Some("HS1")).unwrap_err()
        };
        assert_eq!(with(|c| c.acquirer_bin = "97040".into()), VietQrError::AcquirerBin("97040".into()));
        assert_eq!(with(|c| c.acquirer_bin = "97040A".into()), VietQrError::AcquirerBin("97040A".into()));
        assert_eq!(with(|c| c.account = String::new()), VietQrError::Empty(Field::Account));
        assert_eq!(
            with(|c| c.account = "0011-0123".into()),
            VietQrError::InvalidCharacter { field: Field::Account, character: '-' }
        );
        assert_eq!(
            with(|c| c.account = "1".repeat(56)),
            VietQrError::TooLong { field: Field::Account, length: 56, max: 55 }
        );
        assert_eq!(
            with(|c| c.merchant_city = Some("THANH PHO HO CHI MINH".into())),
            VietQrError::TooLong { field: Field::MerchantCity, length: 21, max: 15 }
        );
        let config = sample_config(ServiceCode::ToCard);
        assert_eq!(
            VietQrConfig { account: "9704A".into(), ..config.clone() }.payload(None, None),
            Err(VietQrError::InvalidCharacter { field: Field::Account, character: 'A' })
        );
        assert_eq!(config.payload(Some(0), None), Err(VietQrError::ZeroAmount));
        assert!(matches!(config.payload(Some(10_000_000_000_000), None), Err(VietQrError::TooLong { .. })));
        assert!(matches!(config.payload(None, Some(&"X".repeat(26))), Err(VietQrError::TooLong { .. })));
        assert_eq!(config.payload(None, Some("")), Err(VietQrError::Empty(Field::Purpose)));
    }

    #[test]
    fn account_of_55_characters_still_fits() {
        let config = VietQrConfig { account: "1".repeat(55), ..sample_config(ServiceCode::ToAccount) };
        let payload = config.payload(None, None).unwrap();
        assert_eq!(decode(&payload).unwrap()[2].1.len(), 99);
    }

    #[test]
    fn config_from_toml_and_validation() {
        let config: VietQrConfig = toml::from_str(
            "acquirer_bin = \"970403\"\naccount = \"0011012345678\"\nservice = \"QRIBFTTC\"\nmerchant_city = \"HUE\"\n",
        )
        .unwrap();
        assert_eq!(config.service, ServiceCode::ToCard);
        assert_eq!(config.validate(), Ok(()));
        let aliased: VietQrConfig =
            toml::from_str("acquirer_bin = \"970403\"\naccount = \"1\"\nservice = \"to-account\"\n").unwrap();
        assert_eq!(aliased.service, ServiceCode::ToAccount);
        assert!(toml::from_str::<VietQrConfig>("acquirer_bin = \"970403\"\naccount = \"1\"\nbank = \"x\"\n").is_err());
        let bad = VietQrConfig { merchant_name: Some("Huế".into()), ..config };
        assert_eq!(bad.validate().unwrap_err().0, "merchant_name");
    }

    #[test]
    fn qr_image_has_a_white_quiet_zone_and_square_modules() {
        let module_px = 6;
        let image = render(SAMPLE_DYNAMIC_TO_ACCOUNT, module_px).unwrap();
        assert_eq!(image.width(), image.height());
        assert_eq!(image.width() % module_px, 0);
        let modules = image.width() / module_px - 2 * QUIET_ZONE_MODULES;
        // QR versions have 17 + 4·version modules per side.
        assert_eq!((modules - 17) % 4, 0);
        let quiet = QUIET_ZONE_MODULES * module_px;
        for i in 0..image.width() {
            for edge in [0, quiet - 1, image.width() - quiet, image.width() - 1] {
                assert_eq!(image.get_pixel(i, edge).0[0], 255);
                assert_eq!(image.get_pixel(edge, i).0[0], 255);
            }
        }
        // The top-left finder pattern starts right inside the quiet zone.
        assert_eq!(image.get_pixel(quiet, quiet).0[0], 0);
    }
}
