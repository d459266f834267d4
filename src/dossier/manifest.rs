//! The dossier manifest: `manifest.json`, the first entry of the payload archive.
//!
//! Every field is documented in `docs/manifest.md` and constrained by `docs/manifest.schema.json`; a
//! test validates the manifests built here against that schema, so the three cannot drift apart.
//! Output is deterministic: struct fields serialize in declaration order, lists keep their order,
//! there are no maps.
//!
//! Values that identify a person are held in [`Personal`], which never shows in `Debug` output and is
//! wiped from memory on drop (DESIGN.md, security model; Law 91/2025/QH15).

use serde::{Serialize, Serializer};
use zeroize::Zeroize;

use super::code::DossierCode;
use super::timestamp::Timestamp;
use crate::config::Language;
use crate::fees::FeeBreakdown;

/// Version of the manifest layout; raised on every incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A personal-data string: serialized as is, redacted in `Debug`, zeroized on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Personal(String);

impl Personal {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Personal(value.into())
    }

    /// The value (to fill a PDF title or a file name, never a log).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Personal {
    fn from(value: &str) -> Self {
        Personal(value.to_owned())
    }
}

impl std::fmt::Debug for Personal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Personal {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Serialize for Personal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Which procedure the dossier is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Certified copy of the citizen identity card (Decree 23/2015, Decree 45/2020).
    CertifiedCopy,
    /// Level-2 electronic identification of a foreigner (Decree 69/2024/ND-CP).
    ForeignerEid,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The procedure.
    pub service: Service,
    /// The dossier code printed on the receipt.
    pub dossier_code: DossierCode,
    /// The kiosk and its software.
    pub kiosk: KioskInfo,
    /// The executing agency chosen by the applicant.
    pub agency: AgencyRef,
    /// Submission and due times.
    pub timestamps: Timestamps,
    /// The applicant's consent to processing their personal data.
    pub consent: ConsentRecord,
    /// Certified-copy details (present exactly when `service` is `certified_copy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certified_copy: Option<CertifiedCopySection>,
    /// Foreigner e-ID details (present exactly when `service` is `foreigner_eid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreigner_eid: Option<EidSection>,
    /// Every other file of the payload, in archive order.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Pretty-printed JSON with a final newline: the `manifest.json` bytes.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// `kiosk`: which kiosk built the dossier, with which software.
#[derive(Debug, Clone, Serialize)]
pub struct KioskInfo {
    /// Kiosk id, as enrolled at the backend (`[kiosk] id`).
    pub id: String,
    /// Version of the kiosk software (the `kiosk` crate version).
    pub software_version: String,
}

/// `agency`: the executing agency (2-tier model, Resolution 202/2025/QH15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencyRef {
    /// Province code, 2 digits.
    pub province_code: String,
    /// Province name, NFC.
    pub province_name: String,
    /// Commune code, 5 digits.
    pub commune_code: String,
    /// Commune name, NFC.
    pub commune_name: String,
}

impl AgencyRef {
    /// From the administrative-unit list.
    pub fn new(province: &crate::agency::Province, commune: &crate::agency::Commune) -> Self {
        AgencyRef {
            province_code: province.code.clone(),
            province_name: province.name.clone(),
            commune_code: commune.code.clone(),
            commune_name: commune.name.clone(),
        }
    }
}

/// `timestamps`.
#[derive(Debug, Clone, Serialize)]
pub struct Timestamps {
    /// When the applicant pressed "Nộp hồ sơ" (submit).
    pub submitted: Timestamp,
    /// When the result is due, by the working-day calendar.
    pub due: Timestamp,
}

/// `consent`: the record DESIGN.md requires (time, wording version hash, language, kiosk, request),
/// Law 91/2025/QH15 and Decree 356/2025: explicit, separate consent for sensitive data.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentRecord {
    /// When the applicant ticked the consent box.
    pub given_at: Timestamp,
    /// Version label of the consent wording shown (e.g. `2026-01`).
    pub wording_version: String,
    /// SHA-256 (lower-case hex) of the exact consent text shown, in the language shown.
    pub wording_sha256: String,
    /// Language the wording was shown in.
    pub language: Language,
    /// Kiosk the consent was given at.
    pub kiosk_id: String,
    /// The request consented to: the dossier code.
    pub request: DossierCode,
}

/// What the applicant consented with, before the kiosk adds kiosk and request.
#[derive(Debug, Clone)]
pub struct Consent {
    /// When the applicant ticked the consent box.
    pub given_at: Timestamp,
    /// Version label of the consent wording.
    pub wording_version: String,
    /// SHA-256 (lower-case hex) of the consent text shown.
    pub wording_sha256: String,
    /// Language it was shown in.
    pub language: Language,
}

/// How the applicant was identified on the certified-copy path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    /// Read from the card chip (DG1/DG13), with the verification in `chip`.
    Chip,
    /// Read from the MRZ on the back scan.
    Mrz,
    /// Read from the QR code on the front scan.
    CardQr,
    /// Typed by the applicant.
    Typed,
}

/// `certified_copy.applicant`.
#[derive(Debug, Clone, Serialize)]
pub struct CicApplicant {
    /// 12-digit personal identification number.
    pub id_number: Personal,
    /// Full name as on the card (NFC).
    pub full_name: Personal,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: Personal,
    /// Sex as on the card (`Nam`, `Nữ`).
    pub sex: Personal,
    /// Where these data came from.
    pub identified_by: IdentifiedBy,
}

/// One side of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Front (photo side).
    Front,
    /// Back.
    Back,
}

/// Quality figures of one accepted capture, as measured by the quality gate.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureQuality {
    /// The side captured.
    pub side: Side,
    /// The file holding it (in `files`).
    pub file: String,
    /// Width of the crop in pixels.
    pub width_px: u32,
    /// Height of the crop in pixels.
    pub height_px: u32,
    /// Resolution of the crop in dots per inch.
    pub dpi: u32,
    /// Sharpness (variance of the Laplacian on the grey crop; higher is sharper).
    pub sharpness: f32,
    /// Fraction of the card area that is saturated by glare, 0–1.
    pub glare_fraction: f32,
    /// Mean luminance of the crop, 0–255.
    pub mean_luminance: f32,
    /// Captures taken until this one passed the gate (1 = first time).
    pub attempts: u32,
}

/// Outcome of passive authentication (ICAO 9303 Part 11 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassiveAuthentication {
    /// SOD signature, certificate chain to a configured CSCA and every data-group hash verified.
    Valid,
    /// Some check failed (the dossier still goes in, flagged for the officer).
    Invalid,
    /// No CSCA certificate configured for the issuer.
    NotChecked,
}

/// Access control used to read the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessControl {
    /// Basic Access Control (ICAO 9303 Part 11 §4.3).
    Bac,
    /// PACE (ICAO 9303 Part 11 §4.4).
    Pace,
}

/// `certified_copy.chip`: results of reading and verifying the card chip.
#[derive(Debug, Clone, Serialize)]
pub struct ChipVerification {
    /// BAC or PACE.
    pub access_control: AccessControl,
    /// Data groups read, by number (e.g. `[1, 2, 13, 14]`).
    pub data_groups_read: Vec<u8>,
    /// Passive authentication result.
    pub passive_authentication: PassiveAuthentication,
    /// Whether the chip's DG1 matches the MRZ printed on the card.
    pub mrz_matches_chip: bool,
}

/// How the applicant receives the result ("hình thức nhận kết quả").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptMethod {
    /// Picked up at the agency.
    DirectPickup,
    /// Downloaded online (portal / e-mail link).
    Online,
    /// Delivered by post; the postal fee is collected on delivery.
    Post,
}

/// `certified_copy.receipt`.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// The method.
    pub method: ReceiptMethod,
    /// Delivery address (only for `post`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<Personal>,
}

/// Contact details.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Phone number as typed, digits with an optional leading `+`.
    pub phone: Personal,
    /// E-mail address, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Personal>,
}

/// How the fee was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Bank transfer from the VietQR code shown on screen.
    Vietqr,
    /// To be paid at the agency when picking up.
    AtPickup,
}

/// `certified_copy.payment`.
#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    /// The method.
    pub method: PaymentMethod,
    /// The amount, in VND (the fee total).
    pub amount_vnd: u64,
    /// Bank transaction reference, when the transfer was confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// `certified_copy`: the certified-copy part.
#[derive(Debug, Clone, Serialize)]
pub struct CertifiedCopySection {
    /// The card holder.
    pub applicant: CicApplicant,
    /// Chip reading, when the card was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chip: Option<ChipVerification>,
    /// Number of certified copies ordered.
    pub copies: u32,
    /// How the result is received.
    pub receipt: Receipt,
    /// Contact details.
    pub contact: Contact,
    /// The fee (Circular 226/2016/TT-BTC), as computed from the `[fees]` schedule.
    pub fee: FeeBreakdown,
    /// The payment.
    pub payment: Payment,
    /// Quality of the two card captures.
    pub captures: Vec<CaptureQuality>,
    /// The certified-copy PDF (in `files`); its name holds the applicant's name.
    pub copy_pdf: Personal,
}

/// `foreigner_eid.applicant`.
#[derive(Debug, Clone, Serialize)]
pub struct EidApplicant {
    /// Full name as in the passport.
    pub full_name: Personal,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: Personal,
    /// Sex: `F`, `M` or `X` (ICAO 9303).
    pub sex: Personal,
    /// Nationality, ISO 3166-1 alpha-3 (ICAO 9303 codes).
    pub nationality: Personal,
}

/// `foreigner_eid.representative`: for applicants under 14 (Decree 69/2024/ND-CP).
#[derive(Debug, Clone, Serialize)]
pub struct Representative {
    /// Full name.
    pub full_name: Personal,
    /// Relationship to the applicant (`parent`, `guardian`).
    pub relationship: String,
    /// Number of the representative's identity document.
    pub document_number: Personal,
}

/// `foreigner_eid.passport`: passport or international travel document.
#[derive(Debug, Clone, Serialize)]
pub struct PassportData {
    /// Document number.
    pub number: Personal,
    /// Document type from the MRZ (`P`, `PO`, …).
    pub document_type: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issue_date: Personal,
    /// Place (authority) of issue.
    pub issue_place: Personal,
    /// Expiry date, `YYYY-MM-DD`.
    pub expiry_date: Personal,
}

/// Temporary or permanent residence card (Law 47/2014/QH13 on entry and residence of foreigners).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceCardType {
    /// Temporary residence card ("thẻ tạm trú").
    Temporary,
    /// Permanent residence card ("thẻ thường trú").
    Permanent,
}

/// `foreigner_eid.residence_card`.
#[derive(Debug, Clone, Serialize)]
pub struct ResidenceCard {
    /// Card number.
    pub number: Personal,
    /// Temporary or permanent.
    pub card_type: ResidenceCardType,
    /// Expiry date, `YYYY-MM-DD`.
    pub expiry_date: Personal,
    /// Files of the scanned front and back (in `files`), with their quality.
    pub captures: Vec<CaptureQuality>,
}

/// `foreigner_eid.contact`.
#[derive(Debug, Clone, Serialize)]
pub struct EidContact {
    /// Phone number.
    pub phone: Personal,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Personal>,
    /// Address in Viet Nam.
    pub address_in_vietnam: Personal,
}

/// `foreigner_eid.portrait`.
#[derive(Debug, Clone, Serialize)]
pub struct PortraitRecord {
    /// The JPEG file (in `files`).
    pub file: String,
    /// Width in pixels.
    pub width_px: u32,
    /// Height in pixels.
    pub height_px: u32,
    /// Quality score of the portrait gate, 0–100.
    pub quality: u8,
}

/// Finger positions, numbered as ISO/IEC 19794-4 (and ANSI/NIST-ITL) finger position codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerPosition {
    /// 1.
    RightThumb,
    /// 2.
    RightIndex,
    /// 3.
    RightMiddle,
    /// 4.
    RightRing,
    /// 5.
    RightLittle,
    /// 6.
    LeftThumb,
    /// 7.
    LeftIndex,
    /// 8.
    LeftMiddle,
    /// 9.
    LeftRing,
    /// 10.
    LeftLittle,
}

impl FingerPosition {
    /// All ten, in code order.
    pub const ALL: [FingerPosition; 10] = [
        FingerPosition::RightThumb,
        FingerPosition::RightIndex,
        FingerPosition::RightMiddle,
        FingerPosition::RightRing,
        FingerPosition::RightLittle,
        FingerPosition::LeftThumb,
        FingerPosition::LeftIndex,
        FingerPosition::LeftMiddle,
        FingerPosition::LeftRing,
        FingerPosition::LeftLittle,
    ];

    /// The ISO/IEC 19794-4 finger position code, 1–10.
    pub fn code(self) -> u8 {
        self as u8 + 1
    }

    /// A file-name stem: `finger-01-right-thumb`.
    pub fn file_stem(self) -> String {
        let name = serde_json::to_value(self).ok().and_then(|v| v.as_str().map(|s| s.replace('_', "-")));
        format!("finger-{:02}-{}", self.code(), name.unwrap_or_default())
    }
}

/// `foreigner_eid.fingerprints[]`.
#[derive(Debug, Clone, Serialize)]
pub struct FingerprintRecord {
    /// Which finger.
    pub position: FingerPosition,
    /// ISO/IEC 19794-4 finger position code, 1–10.
    pub position_code: u8,
    /// The PNG file (in `files`).
    pub file: String,
    /// Quality score, 0–100 (NFIQ 2 scale; sensor score rescaled when NFIQ is not available).
    pub quality: u8,
}

/// Why a finger was not captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerException {
    /// Missing (amputated or congenital).
    Missing,
    /// Temporarily not capturable (bandaged, injured).
    Injured,
    /// Captured but too poor after the allowed retries.
    Unusable,
}

/// `foreigner_eid.fingerprint_exceptions[]`.
#[derive(Debug, Clone, Serialize)]
pub struct FingerExceptionRecord {
    /// Which finger.
    pub position: FingerPosition,
    /// ISO/IEC 19794-4 finger position code, 1–10.
    pub position_code: u8,
    /// Why it is not captured.
    pub reason: FingerException,
}

/// Where the e-ID result is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EidDelivery {
    /// The VNeID app.
    Vneid,
    /// SMS to the contact phone.
    Sms,
    /// E-mail to the contact address.
    Email,
}

/// How the officer confirmed the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerMethod {
    /// The officer's card on the reader.
    OfficerCard,
    /// The officer's PIN.
    Pin,
}

/// `foreigner_eid.officer_confirmation`.
#[derive(Debug, Clone, Serialize)]
pub struct OfficerConfirmation {
    /// The officer's staff id (not personal data of the applicant).
    pub officer_id: String,
    /// Card or PIN.
    pub method: OfficerMethod,
    /// When the officer confirmed.
    pub confirmed_at: Timestamp,
}

/// `foreigner_eid`: the level-2 e-ID part (Decree 69/2024/ND-CP, Decision 5349/QD-BCA-C06).
#[derive(Debug, Clone, Serialize)]
pub struct EidSection {
    /// The applicant.
    pub applicant: EidApplicant,
    /// The representative of an applicant under 14.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<Representative>,
    /// Passport data.
    pub passport: PassportData,
    /// Residence card.
    pub residence_card: ResidenceCard,
    /// Contact details.
    pub contact: EidContact,
    /// Where the result is delivered.
    pub delivery: EidDelivery,
    /// Whether portrait and fingerprints were already on file (3 instead of 7 working days).
    pub biometrics_on_file: bool,
    /// Portrait.
    pub portrait: PortraitRecord,
    /// Captured fingers, in position order.
    pub fingerprints: Vec<FingerprintRecord>,
    /// Fingers not captured, with the reason.
    pub fingerprint_exceptions: Vec<FingerExceptionRecord>,
    /// The officer's confirmation.
    pub officer_confirmation: OfficerConfirmation,
}

/// `files[]`: one payload file. `Debug` leaves the name out: the PDF's name holds the applicant's.
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// File name inside the archive (no directories).
    pub name: String,
    /// IANA media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

impl std::fmt::Debug for FileEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileEntry({}, {} bytes, sha256 {})", self.media_type, self.size, self.sha256)
    }
}

impl FileEntry {
    /// The entry describing `bytes` stored as `name`.
    pub fn describe(name: &str, media_type: &str, bytes: &[u8]) -> Self {
        FileEntry {
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xF), 16).unwrap_or('0'));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_values_are_redacted_in_debug_but_serialized() {
        let applicant = CicApplicant {
            id_number: "001099012345".into(),
            full_name: "Nguyễn Văn An".into(),
            date_of_birth: "1990-01-01".into(),
            sex: "Nam".into(),
            identified_by: IdentifiedBy::Chip,
        };
        let debug = format!("{applicant:?}");
        assert!(!debug.contains("001099012345") && !debug.contains("Nguyễn") && !debug.contains("1990"));
        assert!(debug.contains("<redacted>"));
        let json = serde_json::to_value(&applicant).unwrap();
        assert_eq!(json["full_name"], "Nguyễn Văn An");
        assert_eq!(json["identified_by"], "chip");
    }

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        // FIPS 180-2 Appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn finger_codes_and_file_names_follow_iso_19794_4() {
        assert_eq!(FingerPosition::ALL.map(FingerPosition::code), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(FingerPosition::RightThumb.file_stem(), "finger-01-right-thumb");
        assert_eq!(FingerPosition::LeftLittle.file_stem(), "finger-10-left-little");
    }
}
