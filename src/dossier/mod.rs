//! Dossiers: what a finished session hands to the seal step.
//!
//! A dossier is a manifest plus files, built entirely in memory (DESIGN.md: personal data never
//! touches the disk). [`CertifiedCopyDossier::build`] makes the certified-copy dossier (one PDF with
//! both card sides, and the two side JPEGs it embeds); [`EidDossier::build`] the foreigner level-2 e-ID
//! dossier (residence-card scans, portrait, fingerprints). [`Dossier::to_archive`] gives the payload
//! bytes the seal step encrypts.
//!
//! Modules: [`code`] dossier codes, [`jpeg`] the single JPEG encoding, [`pdf`] the certified-copy PDF
//! and its file name, [`manifest`] the manifest types (`docs/manifest.md`), [`archive`] the payload
//! archive and its verifying reader, [`sample`] realistic sample inputs for tests, benchmarks and
//! `kiosk dossier sample`.

pub mod archive;
pub mod code;
pub mod jpeg;
pub mod manifest;
pub mod pdf;
pub mod sample;
pub mod timestamp;

use image::{GrayImage, RgbImage};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use crate::config::Config;
use crate::fees::FeeError;
pub use code::{CodeError, DossierCode};
use manifest::*;
pub use timestamp::Timestamp;

/// `[dossier]`: how dossiers are built.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DossierConfig {
    /// The document label in the PDF's file name, `<Full Name>_<label>.pdf`.
    pub pdf_label: String,
    /// Whether the PDF's file name is folded to ASCII (`Nguyễn Văn An` → `Nguyen Van An`): some portals
    /// refuse non-ASCII file names.
    pub ascii_fold_file_name: bool,
    /// Most bytes a file name may take, `.pdf` included (40–100; 100 is the ustar name limit).
    pub max_file_name_bytes: usize,
    /// JPEG quality of the card, residence-card and portrait images (50–100).
    pub jpeg_quality: u8,
}

impl Default for DossierConfig {
    fn default() -> Self {
        DossierConfig {
            pdf_label: "Citizen Identity Card".to_owned(),
            ascii_fold_file_name: true,
            max_file_name_bytes: archive::MAX_NAME_BYTES,
            jpeg_quality: 90,
        }
    }
}

impl DossierConfig {
    /// Checks the section; on error returns the offending key and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |key: &str, reason: String| Err((key.to_owned(), reason));
        if !(40..=archive::MAX_NAME_BYTES).contains(&self.max_file_name_bytes) {
            return invalid(
                "max_file_name_bytes",
                format!(
                    "must be 40 to {} (the ustar name field), not {}",
                    archive::MAX_NAME_BYTES,
                    self.max_file_name_bytes
                ),
            );
        }
        let rule = self.file_name_rule();
        let label_only = pdf::file_name("", &rule);
        if self.pdf_label.trim().is_empty() || label_only == "document.pdf" {
            return invalid("pdf_label", "must name the document, e.g. \"Citizen Identity Card\"".to_owned());
        }
        if label_only.len() + 1 + 10 > self.max_file_name_bytes {
            return invalid(
                "pdf_label",
                format!("is too long: with the name it must fit in max_file_name_bytes ({})", self.max_file_name_bytes),
            );
        }
        if !(50..=100).contains(&self.jpeg_quality) {
            return invalid("jpeg_quality", format!("must be 50 to 100, not {}", self.jpeg_quality));
        }
        Ok(())
    }

    /// The file-name settings.
    pub fn file_name_rule(&self) -> pdf::FileNameRule<'_> {
        pdf::FileNameRule {
            label: &self.pdf_label,
            ascii_fold: self.ascii_fold_file_name,
            max_bytes: self.max_file_name_bytes,
        }
    }
}

/// Why a dossier cannot be built. Shown to the technician; the citizen sees a generic "please ask
/// staff" screen keyed on the variant.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    /// The fee cannot be computed.
    #[error("cannot compute the fee: {0}")]
    Fee(#[from] FeeError),
    /// An image cannot be encoded.
    #[error("cannot encode a captured image: {0}")]
    Jpeg(#[from] jpeg::JpegError),
    /// A fingerprint image cannot be encoded as PNG.
    #[error("cannot encode a fingerprint as PNG: {0}")]
    Png(#[from] image::ImageError),
    /// The manifest cannot be serialized.
    #[error("cannot write the manifest: {0}")]
    Manifest(#[from] serde_json::Error),
    /// The archive cannot be written.
    #[error("cannot write the payload: {0}")]
    Archive(#[from] archive::ArchiveError),
    /// A finger is neither captured nor recorded as an exception, or is both, or twice.
    #[error("finger {position:?} must be captured once or recorded once as an exception; finish the fingerprint step")]
    FingerNotAccounted {
        /// The finger.
        position: FingerPosition,
    },
}

/// A captured card side (or other document image) and the quality gate's figures. The pixels are
/// wiped on drop.
pub struct Capture {
    /// The crop, RGB (600 dpi for cards: 2022 × 1275).
    pub image: RgbImage,
    /// Resolution of the crop in dots per inch.
    pub dpi: u16,
    /// Sharpness (variance of the Laplacian).
    pub sharpness: f32,
    /// Glare fraction, 0–1.
    pub glare_fraction: f32,
    /// Mean luminance, 0–255.
    pub mean_luminance: f32,
    /// Captures until this one passed.
    pub attempts: u32,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Capture({}x{} px, {} dpi)", self.image.width(), self.image.height(), self.dpi)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let pixels: &mut [u8] = &mut self.image;
        pixels.zeroize();
    }
}

impl Capture {
    fn quality(&self, side: Side, file: &str) -> CaptureQuality {
        CaptureQuality {
            side,
            file: file.to_owned(),
            width_px: self.image.width(),
            height_px: self.image.height(),
            dpi: u32::from(self.dpi),
            sharpness: self.sharpness,
            glare_fraction: self.glare_fraction,
            mean_luminance: self.mean_luminance,
            attempts: self.attempts,
        }
    }
}

/// One file of a dossier. The bytes are wiped on drop; `Debug` shows neither name (it may hold the
/// applicant's name) nor bytes.
#[derive(Clone)]
pub struct DossierFile {
    /// Name inside the archive.
    pub name: String,
    /// IANA media type.
    pub media_type: &'static str,
    /// Content.
    pub bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for DossierFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DossierFile({}, {} bytes)", self.media_type, self.bytes.len())
    }
}

impl DossierFile {
    fn new(name: impl Into<String>, media_type: &'static str, bytes: Zeroizing<Vec<u8>>) -> Self {
        DossierFile { name: name.into(), media_type, bytes }
    }

    fn entry(&self) -> FileEntry {
        FileEntry::describe(&self.name, self.media_type, &self.bytes)
    }
}

/// A built dossier: its manifest and its files, ready to archive and seal.
#[derive(Debug, Clone)]
pub struct Dossier {
    /// The manifest (its `files` list describes `files`, in the same order).
    pub manifest: Manifest,
    /// The files.
    pub files: Vec<DossierFile>,
}

impl Dossier {
    fn assemble(mut manifest: Manifest, files: Vec<DossierFile>) -> Dossier {
        manifest.files = files.iter().map(DossierFile::entry).collect();
        Dossier { manifest, files }
    }

    /// The payload: `manifest.json` then the files, as one ustar archive ([`archive`]).
    pub fn to_archive(&self) -> Result<Zeroizing<Vec<u8>>, DossierError> {
        let manifest = Zeroizing::new(self.manifest.to_json()?);
        let inputs: Vec<archive::ArchiveInput<'_>> =
            self.files.iter().map(|f| archive::ArchiveInput { name: &f.name, bytes: &f.bytes }).collect();
        Ok(Zeroizing::new(archive::write(&manifest, &inputs)?))
    }

    /// The file called `name`.
    pub fn file(&self, name: &str) -> Option<&DossierFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Name of the front-side JPEG in a certified-copy dossier.
pub const CARD_FRONT_FILE: &str = "card-front.jpg";
/// Name of the back-side JPEG in a certified-copy dossier.
pub const CARD_BACK_FILE: &str = "card-back.jpg";

/// How the fee is being paid, before the amount is known.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    /// VietQR transfer or payment at pickup.
    pub method: PaymentMethod,
    /// Bank reference of the confirmed transfer.
    pub reference: Option<String>,
}

/// Everything the certified-copy flow collected.
#[derive(Debug)]
pub struct CertifiedCopyInputs {
    /// The dossier code (made when the session started, printed on the receipt).
    pub code: DossierCode,
    /// When "Nộp hồ sơ" was pressed.
    pub submitted: Timestamp,
    /// The executing agency.
    pub agency: AgencyRef,
    /// The card holder.
    pub applicant: CicApplicant,
    /// Chip reading results, when the chip was read.
    pub chip: Option<ChipVerification>,
    /// Front side, 600 dpi.
    pub front: Capture,
    /// Back side, 600 dpi.
    pub back: Capture,
    /// Copies ordered.
    pub copies: u32,
    /// Whether the officer marked the case complex (longer processing time).
    pub complex: bool,
    /// How the result is received.
    pub receipt: Receipt,
    /// Contact details.
    pub contact: Contact,
    /// Payment.
    pub payment: PaymentInput,
    /// Consent.
    pub consent: Consent,
}

/// The certified-copy dossier builder.
pub struct CertifiedCopyDossier;

impl CertifiedCopyDossier {
    /// Builds the dossier: fee and due time from the configuration, one JPEG per side, the PDF
    /// embedding those very JPEGs, the manifest.
    pub fn build(inputs: &CertifiedCopyInputs, config: &Config) -> Result<Dossier, DossierError> {
        let settings = &config.dossier;
        let fee = config.fees.certified_copy_of_card(inputs.copies)?;
        let (due_date, due_time) = config.calendar.work_calendar.due_certified_copy(
            inputs.submitted.vietnam_minute(),
            &config.calendar.due,
            inputs.complex,
        );
        let front = jpeg::encode(&inputs.front.image, settings.jpeg_quality, inputs.front.dpi)?;
        let back = jpeg::encode(&inputs.back.image, settings.jpeg_quality, inputs.back.dpi)?;
        let pdf_name = pdf::file_name(inputs.applicant.full_name.expose(), &settings.file_name_rule());
        let metadata = pdf::PdfMetadata {
            title: pdf_name.trim_end_matches(".pdf").to_owned(),
            author: author(&inputs.agency, &config.kiosk.id),
            subject: format!("Certified copy (chứng thực bản sao), dossier {}", inputs.code),
            producer: producer(),
            created: inputs.submitted,
        };
        let pdf_bytes = Zeroizing::new(pdf::certified_copy_pdf(&front, &back, &metadata));

        let section = CertifiedCopySection {
            applicant: inputs.applicant.clone(),
            chip: inputs.chip.clone(),
            copies: inputs.copies,
            receipt: inputs.receipt.clone(),
            contact: inputs.contact.clone(),
            payment: Payment {
                method: inputs.payment.method,
                amount_vnd: fee.total_vnd,
                reference: inputs.payment.reference.clone(),
            },
            fee,
            captures: vec![
                inputs.front.quality(Side::Front, CARD_FRONT_FILE),
                inputs.back.quality(Side::Back, CARD_BACK_FILE),
            ],
            copy_pdf: Personal::new(pdf_name.as_str()),
        };
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            service: Service::CertifiedCopy,
            dossier_code: inputs.code.clone(),
            kiosk: kiosk_info(config),
            agency: inputs.agency.clone(),
            timestamps: Timestamps { submitted: inputs.submitted, due: Timestamp::from_vietnam(due_date, due_time) },
            consent: consent_record(&inputs.consent, config, &inputs.code),
            certified_copy: Some(section),
            foreigner_eid: None,
            files: Vec::new(),
        };
        let files = vec![
            DossierFile::new(pdf_name, "application/pdf", pdf_bytes),
            DossierFile::new(CARD_FRONT_FILE, "image/jpeg", front.bytes),
            DossierFile::new(CARD_BACK_FILE, "image/jpeg", back.bytes),
        ];
        Ok(Dossier::assemble(manifest, files))
    }
}

/// A captured fingerprint.
pub struct FingerCapture {
    /// Which finger.
    pub position: FingerPosition,
    /// The grey image from the sensor (500 ppi).
    pub image: GrayImage,
    /// Quality score, 0–100.
    pub quality: u8,
}

impl std::fmt::Debug for FingerCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FingerCapture({:?}, {}x{} px)", self.position, self.image.width(), self.image.height())
    }
}

impl Drop for FingerCapture {
    fn drop(&mut self) {
        let pixels: &mut [u8] = &mut self.image;
        pixels.zeroize();
    }
}

/// The residence card as collected.
#[derive(Debug)]
pub struct ResidenceCardInput {
    /// Card number.
    pub number: Personal,
    /// Temporary or permanent.
    pub card_type: ResidenceCardType,
    /// Expiry date, `YYYY-MM-DD`.
    pub expiry_date: Personal,
    /// Front scan.
    pub front: Capture,
    /// Back scan.
    pub back: Capture,
}

/// Everything the foreigner e-ID flow collected.
#[derive(Debug)]
pub struct EidInputs {
    /// The dossier code.
    pub code: DossierCode,
    /// When the application was submitted.
    pub submitted: Timestamp,
    /// The immigration office.
    pub agency: AgencyRef,
    /// The applicant.
    pub applicant: EidApplicant,
    /// Representative, for applicants under 14.
    pub representative: Option<Representative>,
    /// Passport data.
    pub passport: PassportData,
    /// Residence card.
    pub residence_card: ResidenceCardInput,
    /// Contact details.
    pub contact: EidContact,
    /// Where the result goes.
    pub delivery: EidDelivery,
    /// Whether photo and fingerprints were already on file.
    pub biometrics_on_file: bool,
    /// Portrait photo.
    pub portrait: Capture,
    /// Portrait quality score, 0–100.
    pub portrait_quality: u8,
    /// Captured fingers.
    pub fingerprints: Vec<FingerCapture>,
    /// Fingers not captured, with the reason.
    pub finger_exceptions: Vec<(FingerPosition, FingerException)>,
    /// The officer's confirmation.
    pub officer: OfficerConfirmation,
    /// Consent.
    pub consent: Consent,
}

/// Names of the e-ID image files.
pub const RESIDENCE_FRONT_FILE: &str = "residence-card-front.jpg";
/// Back of the residence card.
pub const RESIDENCE_BACK_FILE: &str = "residence-card-back.jpg";
/// Portrait.
pub const PORTRAIT_FILE: &str = "portrait.jpg";

/// The foreigner level-2 e-ID dossier builder (Decree 69/2024/ND-CP).
pub struct EidDossier;

impl EidDossier {
    /// Builds the dossier: each of the ten fingers must be captured or recorded as an exception.
    pub fn build(inputs: &EidInputs, config: &Config) -> Result<Dossier, DossierError> {
        check_fingers_accounted(inputs)?;
        let quality = config.dossier.jpeg_quality;
        let card = &inputs.residence_card;
        let card_front = jpeg::encode(&card.front.image, quality, card.front.dpi)?;
        let card_back = jpeg::encode(&card.back.image, quality, card.back.dpi)?;
        let portrait = jpeg::encode(&inputs.portrait.image, quality, inputs.portrait.dpi)?;
        let mut fingers: Vec<&FingerCapture> = inputs.fingerprints.iter().collect();
        fingers.sort_by_key(|f| f.position);

        let mut files = vec![
            DossierFile::new(RESIDENCE_FRONT_FILE, "image/jpeg", card_front.bytes),
            DossierFile::new(RESIDENCE_BACK_FILE, "image/jpeg", card_back.bytes),
            DossierFile::new(PORTRAIT_FILE, "image/jpeg", portrait.bytes),
        ];
        let mut fingerprints = Vec::with_capacity(fingers.len());
        for finger in fingers {
            let name = format!("{}.png", finger.position.file_stem());
            files.push(DossierFile::new(name.clone(), "image/png", encode_png(&finger.image)?));
            fingerprints.push(FingerprintRecord {
                position: finger.position,
                position_code: finger.position.code(),
                file: name,
                quality: finger.quality,
            });
        }
        let mut exceptions: Vec<FingerExceptionRecord> = inputs
            .finger_exceptions
            .iter()
            .map(|&(position, reason)| FingerExceptionRecord { position, position_code: position.code(), reason })
            .collect();
        exceptions.sort_by_key(|e| e.position);

        let (due_date, due_time) = config.calendar.work_calendar.due_eid(
            inputs.submitted.vietnam_minute(),
            &config.calendar.due,
            inputs.biometrics_on_file,
        );
        let section = EidSection {
            applicant: inputs.applicant.clone(),
            representative: inputs.representative.clone(),
            passport: inputs.passport.clone(),
            residence_card: ResidenceCard {
                number: card.number.clone(),
                card_type: card.card_type,
                expiry_date: card.expiry_date.clone(),
                captures: vec![
                    card.front.quality(Side::Front, RESIDENCE_FRONT_FILE),
                    card.back.quality(Side::Back, RESIDENCE_BACK_FILE),
                ],
            },
            contact: inputs.contact.clone(),
            delivery: inputs.delivery,
            biometrics_on_file: inputs.biometrics_on_file,
            portrait: PortraitRecord {
                file: PORTRAIT_FILE.to_owned(),
                width_px: portrait.width,
                height_px: portrait.height,
                quality: inputs.portrait_quality,
            },
            fingerprints,
            fingerprint_exceptions: exceptions,
            officer_confirmation: inputs.officer.clone(),
        };
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            service: Service::ForeignerEid,
            dossier_code: inputs.code.clone(),
            kiosk: kiosk_info(config),
            agency: inputs.agency.clone(),
            timestamps: Timestamps { submitted: inputs.submitted, due: Timestamp::from_vietnam(due_date, due_time) },
            consent: consent_record(&inputs.consent, config, &inputs.code),
            certified_copy: None,
            foreigner_eid: Some(section),
            files: Vec::new(),
        };
        Ok(Dossier::assemble(manifest, files))
    }
}

/// Every finger exactly once, either captured or excepted.
fn check_fingers_accounted(inputs: &EidInputs) -> Result<(), DossierError> {
    for position in FingerPosition::ALL {
        let captured = inputs.fingerprints.iter().filter(|f| f.position == position).count();
        let excepted = inputs.finger_exceptions.iter().filter(|(p, _)| *p == position).count();
        if captured + excepted != 1 {
            return Err(DossierError::FingerNotAccounted { position });
        }
    }
    Ok(())
}

/// A grey fingerprint image as PNG (lossless: fingerprint matchers need the ridges intact).
fn encode_png(image: &GrayImage) -> Result<Zeroizing<Vec<u8>>, image::ImageError> {
    use image::ImageEncoder;
    let mut bytes = Zeroizing::new(Vec::new());
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut *bytes,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    encoder.write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::L8)?;
    Ok(bytes)
}

fn kiosk_info(config: &Config) -> KioskInfo {
    KioskInfo { id: config.kiosk.id.clone(), software_version: env!("CARGO_PKG_VERSION").to_owned() }
}

fn consent_record(consent: &Consent, config: &Config, code: &DossierCode) -> ConsentRecord {
    ConsentRecord {
        given_at: consent.given_at,
        wording_version: consent.wording_version.clone(),
        wording_sha256: consent.wording_sha256.clone(),
        language: consent.language,
        kiosk_id: config.kiosk.id.clone(),
        request: code.clone(),
    }
}

/// PDF `/Author`: the executing agency and the kiosk that made the copy.
fn author(agency: &AgencyRef, kiosk_id: &str) -> String {
    format!("{}, {} (kiosk {})", agency.commune_name, agency.province_name, kiosk_id)
}

/// PDF `/Producer`.
fn producer() -> String {
    format!("intake-kiosk {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests;
