//! The logical data structure (LDS) of an eMRTD chip: ICAO Doc 9303 Part 10 §4.6–4.7 (EF.COM and the
//! data groups), with the Vietnamese DG13 of the citizen identity card.
//!
//! Every parser takes the file exactly as read from the chip and never panics: a malformed file is
//! an [`LdsError`]. Types holding personal data wipe it on drop and show none of it in `Debug`.

use std::fmt;

use serde::Serialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::tlv::{self, Tlv, TlvError};

/// A file of the eMRTD application (Doc 9303-10 §4.6, table 39: file identifiers and LDS tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LdsFile {
    /// EF.COM: LDS version and the list of data groups present.
    Com,
    /// A data group, 1 to 16.
    Dg(u8),
    /// EF.SOD: the document security object.
    Sod,
}

impl LdsFile {
    /// The file identifier used with SELECT (EF.COM `011E`, DGn `01nn`, EF.SOD `011D`).
    pub fn file_id(self) -> u16 {
        match self {
            LdsFile::Com => 0x011E,
            LdsFile::Dg(n) => 0x0100 | u16::from(n),
            LdsFile::Sod => 0x011D,
        }
    }

    /// The data group whose LDS tag (the first byte of the file, Doc 9303-10 table 39) is `tag`.
    pub fn from_tag(tag: u8) -> Option<LdsFile> {
        let dg = match tag {
            0x61 => 1,
            0x75 => 2,
            0x63 => 3,
            0x76 => 4,
            0x65..=0x6F => tag - 0x60,
            0x70 => 16,
            _ => return None,
        };
        Some(LdsFile::Dg(dg))
    }
}

impl fmt::Display for LdsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LdsFile::Com => f.write_str("EF.COM"),
            LdsFile::Dg(n) => write!(f, "DG{n}"),
            LdsFile::Sod => f.write_str("EF.SOD"),
        }
    }
}

/// Why an LDS file could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdsError {
    /// The file is not well-formed BER-TLV.
    #[error("{file} is not well-formed: {source}")]
    Tlv {
        /// Which file.
        file: LdsFile,
        /// What is wrong.
        source: TlvError,
    },
    /// The file does not start with its LDS tag.
    #[error("{file} starts with tag {found:X} instead of {expected:X}")]
    WrongTag {
        /// Which file.
        file: LdsFile,
        /// The tag it should start with.
        expected: u32,
        /// The tag it starts with.
        found: u32,
    },
    /// A data object the file must contain is missing.
    #[error("{file} lacks data object {tag:X}")]
    Missing {
        /// Which file.
        file: LdsFile,
        /// The missing tag.
        tag: u32,
    },
    /// The content is there but not as Doc 9303 describes it.
    #[error("{file} is malformed: {what}")]
    Malformed {
        /// Which file.
        file: LdsFile,
        /// What is wrong (no personal data).
        what: &'static str,
    },
}

/// Parses `bytes` as the single object with `tag` that makes up `file`; returns its value.
fn outer(file: LdsFile, bytes: &[u8], tag: u32) -> Result<Tlv<'_>, LdsError> {
    let wrap = |source| LdsError::Tlv { file, source };
    tlv::validate(bytes).map_err(wrap)?;
    let (object, _) = tlv::parse_one(bytes).map_err(wrap)?;
    if object.tag != tag {
        return Err(LdsError::WrongTag { file, expected: tag, found: object.tag });
    }
    Ok(object)
}

fn children<'a>(file: LdsFile, object: &Tlv<'a>) -> Result<Vec<Tlv<'a>>, LdsError> {
    object.children().map_err(|source| LdsError::Tlv { file, source })
}

/// EF.COM (Doc 9303-10 §4.6.1): LDS and Unicode versions and the data groups present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EfCom {
    /// LDS version, `aabb` (e.g. `0107` for 1.7).
    pub lds_version: String,
    /// Unicode version, `aabbcc`.
    pub unicode_version: String,
    /// The data groups present, in the order listed (unknown tags skipped).
    pub data_groups: Vec<LdsFile>,
}

impl EfCom {
    /// Parses EF.COM (tag `60`: `5F01` LDS version, `5F36` Unicode version, `5C` tag list).
    pub fn parse(bytes: &[u8]) -> Result<EfCom, LdsError> {
        let file = LdsFile::Com;
        let com = outer(file, bytes, 0x60)?;
        let mut lds_version = String::new();
        let mut unicode_version = String::new();
        let mut data_groups = None;
        for child in children(file, &com)? {
            match child.tag {
                0x5F01 => lds_version = String::from_utf8_lossy(child.value).into_owned(),
                0x5F36 => unicode_version = String::from_utf8_lossy(child.value).into_owned(),
                0x5C => data_groups = Some(child.value.iter().filter_map(|&tag| LdsFile::from_tag(tag)).collect()),
                _ => {}
            }
        }
        let data_groups = data_groups.ok_or(LdsError::Missing { file, tag: 0x5C })?;
        Ok(EfCom { lds_version, unicode_version, data_groups })
    }
}

/// DG1 (Doc 9303-10 §4.7.1): the MRZ as printed, one string without line breaks. Parse it with
/// [`crate::idcard::mrz::Mrz::parse`].
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Dg1 {
    /// The MRZ characters (90 for TD1, 72 for TD2, 88 for TD3).
    pub mrz: String,
}

impl fmt::Debug for Dg1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dg1 {{ mrz: <redacted {} characters> }}", self.mrz.len())
    }
}

impl Dg1 {
    /// Parses DG1 (tag `61` holding `5F1F`).
    pub fn parse(bytes: &[u8]) -> Result<Dg1, LdsError> {
        let file = LdsFile::Dg(1);
        let dg1 = outer(file, bytes, 0x61)?;
        let mrz = children(file, &dg1)?
            .into_iter()
            .find(|child| child.tag == 0x5F1F)
            .ok_or(LdsError::Missing { file, tag: 0x5F1F })?;
        if !mrz.value.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<') {
            return Err(LdsError::Malformed { file, what: "MRZ characters outside A-Z, 0-9 and <" });
        }
        Ok(Dg1 { mrz: String::from_utf8_lossy(mrz.value).into_owned() })
    }

    /// The MRZ cut into its lines (3 of 30, 2 of 36 or 2 of 44).
    pub fn lines(&self) -> Vec<&str> {
        let width = match self.mrz.len() {
            90 => 30,
            72 => 36,
            _ => 44,
        };
        self.mrz.as_bytes().chunks(width).filter_map(|line| std::str::from_utf8(line).ok()).collect()
    }
}

/// The encoding of a face image (ISO/IEC 19794-5 §5.7.2, image data type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FaceImageType {
    /// JPEG (ISO/IEC 10918).
    Jpeg,
    /// JPEG 2000 (ISO/IEC 15444).
    Jpeg2000,
}

impl FaceImageType {
    /// The media type to store or send the image with.
    pub fn media_type(self) -> &'static str {
        match self {
            FaceImageType::Jpeg => "image/jpeg",
            FaceImageType::Jpeg2000 => "image/jp2",
        }
    }

    /// Recognises the encoding from the image's first bytes (JPEG SOI marker, JP2 signature box or
    /// a bare JPEG 2000 codestream).
    pub fn sniff(image: &[u8]) -> Option<FaceImageType> {
        match image {
            [0xFF, 0xD8, 0xFF, ..] => Some(FaceImageType::Jpeg),
            [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, ..] | [0xFF, 0x4F, 0xFF, 0x51, ..] => {
                Some(FaceImageType::Jpeg2000)
            }
            _ => None,
        }
    }
}

/// DG2 (Doc 9303-10 §4.7.2): the face image from the first biometric template.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Dg2 {
    /// The encoded image, as stored on the chip.
    pub image: Vec<u8>,
    /// Width in pixels (from the decoded JPEG, or from the ISO/IEC 19794-5 header for JPEG 2000).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    #[zeroize(skip)]
    image_type: FaceImageType,
}

impl fmt::Debug for Dg2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dg2")
            .field("type", &self.image_type)
            .field("bytes", &self.image.len())
            .field("size", &(self.width, self.height))
            .finish()
    }
}

impl Dg2 {
    /// Parses DG2: `75` { `7F61` { `02` count, `7F60` { `A1` header, `5F2E`/`7F2E` data } } }, the data
    /// being an ISO/IEC 19794-5 facial record. A JPEG is decoded (to check it and learn its size); a
    /// JPEG 2000 image is passed through with its media type.
    pub fn parse(bytes: &[u8]) -> Result<Dg2, LdsError> {
        let file = LdsFile::Dg(2);
        let dg2 = outer(file, bytes, 0x75)?;
        let group = children(file, &dg2)?
            .into_iter()
            .find(|child| child.tag == 0x7F61)
            .ok_or(LdsError::Missing { file, tag: 0x7F61 })?;
        let template = children(file, &group)?
            .into_iter()
            .find(|child| child.tag == 0x7F60)
            .ok_or(LdsError::Missing { file, tag: 0x7F60 })?;
        let data = children(file, &template)?
            .into_iter()
            .find(|child| child.tag == 0x5F2E || child.tag == 0x7F2E)
            .ok_or(LdsError::Missing { file, tag: 0x5F2E })?;
        let record = FacialRecord::parse(data.value).ok_or(LdsError::Malformed {
            file,
            what: "the biometric data block is not an ISO/IEC 19794-5 facial record",
        })?;
        let image_type = FaceImageType::sniff(record.image)
            .or(record.declared_type)
            .ok_or(LdsError::Malformed { file, what: "the face image is neither JPEG nor JPEG 2000" })?;
        let (width, height) = match image_type {
            FaceImageType::Jpeg => {
                let decoded = image::load_from_memory_with_format(record.image, image::ImageFormat::Jpeg)
                    .map_err(|_| LdsError::Malformed { file, what: "the JPEG face image does not decode" })?;
                (decoded.width(), decoded.height())
            }
            FaceImageType::Jpeg2000 => (u32::from(record.width), u32::from(record.height)),
        };
        Ok(Dg2 { image: record.image.to_vec(), width, height, image_type })
    }

    /// JPEG or JPEG 2000.
    pub fn image_type(&self) -> FaceImageType {
        self.image_type
    }

    /// Decodes a JPEG face image (for display or comparison); `None` for JPEG 2000, which the kiosk
    /// passes through undecoded.
    pub fn decode(&self) -> Option<image::DynamicImage> {
        match self.image_type {
            FaceImageType::Jpeg => image::load_from_memory_with_format(&self.image, image::ImageFormat::Jpeg).ok(),
            FaceImageType::Jpeg2000 => None,
        }
    }
}

/// The parts of an ISO/IEC 19794-5 facial record the kiosk needs.
struct FacialRecord<'a> {
    image: &'a [u8],
    declared_type: Option<FaceImageType>,
    width: u16,
    height: u16,
}

/// Length of the general header (§5.4): "FAC\0", version, record length (4), number of faces (2).
const FAC_HEADER_LEN: usize = 14;
/// Length of the facial information block before the feature points (§5.5).
const FACIAL_INFO_LEN: usize = 20;
/// Length of one feature point (§5.6).
const FEATURE_POINT_LEN: usize = 8;
/// Length of the image information block (§5.7).
const IMAGE_INFO_LEN: usize = 12;

impl<'a> FacialRecord<'a> {
    /// The first face of the record. A block that does not start with the "FAC" format identifier
    /// is taken to be the bare image (some issuers store it so).
    fn parse(block: &'a [u8]) -> Option<FacialRecord<'a>> {
        if !block.starts_with(b"FAC\0") {
            return FaceImageType::sniff(block).map(|t| FacialRecord {
                image: block,
                declared_type: Some(t),
                width: 0,
                height: 0,
            });
        }
        let face = block.get(FAC_HEADER_LEN..)?;
        let block_len = usize::try_from(u32::from_be_bytes(face.get(..4)?.try_into().ok()?)).ok()?;
        let face = face.get(..block_len.min(face.len()))?;
        let feature_points = usize::from(u16::from_be_bytes(face.get(4..6)?.try_into().ok()?));
        let info_start = FACIAL_INFO_LEN.checked_add(feature_points.checked_mul(FEATURE_POINT_LEN)?)?;
        let info = face.get(info_start..info_start.checked_add(IMAGE_INFO_LEN)?)?;
        let declared_type = match info[1] {
            0 => Some(FaceImageType::Jpeg),
            1 => Some(FaceImageType::Jpeg2000),
            _ => None,
        };
        let width = u16::from_be_bytes([info[2], info[3]]);
        let height = u16::from_be_bytes([info[4], info[5]]);
        let image = face.get(info_start + IMAGE_INFO_LEN..)?;
        Some(FacialRecord { image, declared_type, width, height })
    }
}

/// Builds an ISO/IEC 19794-5 facial record around one image (the simulator and tests use it).
pub fn facial_record(image: &[u8], image_type: FaceImageType, width: u16, height: u16) -> Vec<u8> {
    let face_len = (FACIAL_INFO_LEN + IMAGE_INFO_LEN + image.len()) as u32;
    let mut record = Vec::with_capacity(FAC_HEADER_LEN + face_len as usize);
    record.extend_from_slice(b"FAC\x00");
    record.extend_from_slice(b"010\x00");
    record.extend_from_slice(&(FAC_HEADER_LEN as u32 + face_len).to_be_bytes());
    record.extend_from_slice(&1u16.to_be_bytes());
    record.extend_from_slice(&face_len.to_be_bytes());
    record.extend_from_slice(&[0; FACIAL_INFO_LEN - 4]); // no feature points, unspecified properties
    record.push(1); // full frontal
    record.push(match image_type {
        FaceImageType::Jpeg => 0,
        FaceImageType::Jpeg2000 => 1,
    });
    record.extend_from_slice(&width.to_be_bytes());
    record.extend_from_slice(&height.to_be_bytes());
    record.extend_from_slice(&[1, 0, 0, 0, 0, 0]); // sRGB, unspecified source, device, quality
    record.extend_from_slice(image);
    record
}

/// Named fields of DG11 (Doc 9303-10 §4.7.11, "additional personal details").
#[derive(Clone, Default, PartialEq, Eq, Serialize, Zeroize, ZeroizeOnDrop)]
pub struct Dg11 {
    /// `5F0E` full name, in national characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `5F10` personal number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    /// `5F2B` full date of birth, `yyyymmdd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_date_of_birth: Option<String>,
    /// `5F11` place of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_of_birth: Option<String>,
    /// `5F42` permanent address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent_address: Option<String>,
    /// `5F12` telephone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    /// `5F13` profession.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profession: Option<String>,
    /// `5F14` title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `5F15` personal summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_summary: Option<String>,
    /// `5F16` proof of citizenship (an image), kept as bytes.
    #[serde(skip)]
    pub proof_of_citizenship: Option<Vec<u8>>,
    /// `5F17` other valid travel document numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_td_numbers: Option<String>,
    /// `5F18` custody information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custody_information: Option<String>,
    /// Other names (`A0` { `5F0F` … }).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_names: Vec<String>,
}

impl fmt::Debug for Dg11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dg11 { <redacted> }")
    }
}

impl Dg11 {
    /// Parses DG11 (tag `6B`).
    pub fn parse(bytes: &[u8]) -> Result<Dg11, LdsError> {
        let file = LdsFile::Dg(11);
        let dg11 = outer(file, bytes, 0x6B)?;
        let mut fields = Dg11::default();
        for child in children(file, &dg11)? {
            let text = || Some(String::from_utf8_lossy(child.value).into_owned());
            match child.tag {
                0x5F0E => fields.full_name = text(),
                0x5F10 => fields.personal_number = text(),
                0x5F2B => fields.full_date_of_birth = text(),
                0x5F11 => fields.place_of_birth = text(),
                0x5F42 => fields.permanent_address = text(),
                0x5F12 => fields.telephone = text(),
                0x5F13 => fields.profession = text(),
                0x5F14 => fields.title = text(),
                0x5F15 => fields.personal_summary = text(),
                0x5F16 => fields.proof_of_citizenship = Some(child.value.to_vec()),
                0x5F17 => fields.other_td_numbers = text(),
                0x5F18 => fields.custody_information = text(),
                0xA0 => {
                    for name in children(file, &child)?.into_iter().filter(|n| n.tag == 0x5F0F) {
                        fields.other_names.push(String::from_utf8_lossy(name.value).into_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(fields)
    }
}

/// The fields of the Vietnamese DG13 (citizen identity card), by their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dg13Field {
    /// 1: the 12-digit personal identification number.
    IdNumber,
    /// 2: full name.
    FullName,
    /// 3: date of birth, dd/mm/yyyy.
    DateOfBirth,
    /// 4: sex.
    Sex,
    /// 5: nationality.
    Nationality,
    /// 6: ethnicity.
    Ethnicity,
    /// 7: religion.
    Religion,
    /// 8: place of origin (quê quán).
    PlaceOfOrigin,
    /// 9: place of residence.
    PlaceOfResidence,
    /// 10: personal identifying marks.
    IdentifyingMarks,
    /// 11: date of issue.
    DateOfIssue,
    /// 12: date of expiry.
    DateOfExpiry,
    /// 13: parents' names.
    Parents,
    /// 14: spouse's name.
    Spouse,
    /// 15: the old identity number.
    OldIdNumber,
}

impl Dg13Field {
    /// The field with number `id` (DESIGN.md "Identity documents").
    pub fn from_id(id: u32) -> Option<Dg13Field> {
        use Dg13Field::*;
        Some(match id {
            1 => IdNumber,
            2 => FullName,
            3 => DateOfBirth,
            4 => Sex,
            5 => Nationality,
            6 => Ethnicity,
            7 => Religion,
            8 => PlaceOfOrigin,
            9 => PlaceOfResidence,
            10 => IdentifyingMarks,
            11 => DateOfIssue,
            12 => DateOfExpiry,
            13 => Parents,
            14 => Spouse,
            15 => OldIdNumber,
            _ => return None,
        })
    }

    /// Bilingual label for the technician's output.
    pub fn label(self) -> &'static str {
        use Dg13Field::*;
        match self {
            IdNumber => "Số định danh / ID number",
            FullName => "Họ và tên / Full name",
            DateOfBirth => "Ngày sinh / Date of birth",
            Sex => "Giới tính / Sex",
            Nationality => "Quốc tịch / Nationality",
            Ethnicity => "Dân tộc / Ethnicity",
            Religion => "Tôn giáo / Religion",
            PlaceOfOrigin => "Quê quán / Place of origin",
            PlaceOfResidence => "Nơi thường trú / Residence",
            IdentifyingMarks => "Đặc điểm nhận dạng / Identifying marks",
            DateOfIssue => "Ngày cấp / Date of issue",
            DateOfExpiry => "Có giá trị đến / Date of expiry",
            Parents => "Cha, mẹ / Parents",
            Spouse => "Vợ, chồng / Spouse",
            OldIdNumber => "Số CMND cũ / Old ID number",
        }
    }
}

/// One element of DG13: its number and its text values (most have one; parents have two).
#[derive(Clone, PartialEq, Eq, Serialize, Zeroize, ZeroizeOnDrop)]
pub struct Dg13Element {
    /// The element's number.
    pub id: u32,
    /// Its values as text (UTF-8 strings; other primitive values as hex).
    pub values: Vec<String>,
}

/// DG13 of a Vietnamese citizen identity card: a list of SEQUENCE { INTEGER id, value… }, kept
/// generically (unknown ids too) with the known ids reachable by name.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Zeroize, ZeroizeOnDrop)]
pub struct Dg13 {
    /// Every element, in the order on the chip.
    pub elements: Vec<Dg13Element>,
}

impl fmt::Debug for Dg13 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dg13 {{ {} elements: <redacted> }}", self.elements.len())
    }
}

/// ASN.1 universal tags met in DG13.
const TAG_INTEGER: u32 = 0x02;
const TAG_SEQUENCE: u32 = 0x30;
const TAG_SET: u32 = 0x31;

impl Dg13 {
    /// Parses DG13 (tag `6D`). Objects that are not SEQUENCE { INTEGER, … } (an issuer OID or
    /// version at the front) are skipped; sequences and sets are searched for elements.
    pub fn parse(bytes: &[u8]) -> Result<Dg13, LdsError> {
        let file = LdsFile::Dg(13);
        let dg13 = outer(file, bytes, 0x6D)?;
        let mut dg13_fields = Dg13::default();
        collect_elements(file, &dg13, &mut dg13_fields.elements, 0)?;
        if dg13_fields.elements.is_empty() {
            return Err(LdsError::Malformed { file, what: "no SEQUENCE { INTEGER id, value } element" });
        }
        Ok(dg13_fields)
    }

    /// The values of a known field, joined by ", " (for parents: father, mother).
    pub fn get(&self, field: Dg13Field) -> Option<String> {
        self.elements.iter().find(|e| Dg13Field::from_id(e.id) == Some(field)).map(|element| element.values.join(", "))
    }

    /// The known fields with their values, in field order.
    pub fn named(&self) -> Vec<(Dg13Field, String)> {
        (1..=15).filter_map(Dg13Field::from_id).filter_map(|field| Some((field, self.get(field)?))).collect()
    }

    /// Elements whose id is not one of the known fields.
    pub fn unknown(&self) -> impl Iterator<Item = &Dg13Element> {
        self.elements.iter().filter(|e| Dg13Field::from_id(e.id).is_none())
    }
}

fn collect_elements(file: LdsFile, object: &Tlv<'_>, out: &mut Vec<Dg13Element>, depth: usize) -> Result<(), LdsError> {
    if depth > tlv::MAX_DEPTH {
        return Err(LdsError::Tlv { file, source: TlvError::TooDeep });
    }
    for child in children(file, object)? {
        if !matches!(child.tag, TAG_SEQUENCE | TAG_SET) {
            continue;
        }
        let inner = children(file, &child)?;
        match inner.split_first() {
            Some((id, values)) if id.tag == TAG_INTEGER && !values.is_empty() => {
                let id =
                    integer(id.value).ok_or(LdsError::Malformed { file, what: "element id is not a small integer" })?;
                let mut texts = Vec::new();
                for value in values {
                    collect_texts(file, value, &mut texts, depth + 1)?;
                }
                out.push(Dg13Element { id, values: texts });
            }
            _ => collect_elements(file, &child, out, depth + 1)?,
        }
    }
    Ok(())
}

fn collect_texts(file: LdsFile, value: &Tlv<'_>, out: &mut Vec<String>, depth: usize) -> Result<(), LdsError> {
    if depth > tlv::MAX_DEPTH {
        return Err(LdsError::Tlv { file, source: TlvError::TooDeep });
    }
    if value.is_constructed() {
        for inner in children(file, value)? {
            collect_texts(file, &inner, out, depth + 1)?;
        }
        return Ok(());
    }
    // UTF8String, PrintableString, IA5String, … : text; anything else is kept as hex.
    let text = match (value.tag, std::str::from_utf8(value.value)) {
        (0x0C | 0x13 | 0x16 | 0x1A | 0x04, Ok(text)) => text.to_owned(),
        (TAG_INTEGER, _) => integer(value.value).map(|n| n.to_string()).unwrap_or_else(|| hex(value.value)),
        _ => hex(value.value),
    };
    out.push(text);
    Ok(())
}

fn integer(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 4 || bytes[0] & 0x80 != 0 {
        return None;
    }
    Some(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A data group kept as read (DG14: chip and terminal authentication infos; DG15: active
/// authentication public key), with the algorithm object identifiers found in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawDataGroup {
    /// Which data group.
    pub file: LdsFile,
    /// The file's bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Every OBJECT IDENTIFIER inside, in dotted form (protocol and algorithm identifiers).
    pub object_identifiers: Vec<String>,
}

impl RawDataGroup {
    /// Keeps DG14 (`6E`) or DG15 (`6F`) and lists its OIDs.
    pub fn parse(file: LdsFile, bytes: &[u8]) -> Result<RawDataGroup, LdsError> {
        let tag = match file {
            LdsFile::Dg(14) => 0x6E,
            LdsFile::Dg(15) => 0x6F,
            _ => return Err(LdsError::Malformed { file, what: "only DG14 and DG15 are kept raw" }),
        };
        let object = outer(file, bytes, tag)?;
        let mut object_identifiers = Vec::new();
        collect_oids(object.value, &mut object_identifiers, 0);
        Ok(RawDataGroup { file, bytes: bytes.to_vec(), object_identifiers })
    }
}

fn collect_oids(input: &[u8], out: &mut Vec<String>, depth: usize) {
    let Ok(objects) = tlv::parse_all(input) else { return };
    for object in objects {
        if object.tag == 0x06 {
            if let Some(oid) = dotted_oid(object.value) {
                out.push(oid);
            }
        } else if depth < tlv::MAX_DEPTH {
            // SubjectPublicKeyInfo wraps a BIT STRING whose content is DER too; try any value.
            let inner = if object.tag == 0x03 { object.value.get(1..).unwrap_or_default() } else { object.value };
            if object.is_constructed() || object.tag == 0x03 {
                collect_oids(inner, out, depth + 1);
            }
        }
    }
}

/// The dotted form of an OBJECT IDENTIFIER's content octets (X.690 §8.19).
pub fn dotted_oid(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for (i, &byte) in content.iter().enumerate() {
        value = value.checked_mul(128)? | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(arcs.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idcard::chip::tlv::{append, encode};

    fn dg13_element(id: u8, values: &[&str]) -> Vec<u8> {
        let mut body = encode(0x02, &[id]);
        for value in values {
            append(&mut body, 0x0C, value.as_bytes());
        }
        encode(0x30, &body)
    }

    #[test]
    fn ef_com_lists_data_groups_and_skips_unknown_tags() {
        let mut body = encode(0x5F01, b"0107");
        append(&mut body, 0x5F36, b"040000");
        append(&mut body, 0x5C, &[0x61, 0x75, 0x6B, 0x6D, 0x99]);
        let com = EfCom::parse(&encode(0x60, &body)).unwrap();
        assert_eq!(com.lds_version, "0107");
        assert_eq!(com.data_groups, [LdsFile::Dg(1), LdsFile::Dg(2), LdsFile::Dg(11), LdsFile::Dg(13)]);
        assert_eq!(LdsFile::Dg(13).file_id(), 0x010D);
        assert!(matches!(EfCom::parse(&encode(0x61, &body)), Err(LdsError::WrongTag { found: 0x61, .. })));
        assert!(matches!(EfCom::parse(&encode(0x60, b"")), Err(LdsError::Missing { tag: 0x5C, .. })));
    }

    #[test]
    fn dg13_maps_known_ids_keeps_unknown_ones_and_reads_utf8() {
        let mut body = encode(0x06, &[0x2B, 0x06, 0x01]); // an issuer OID first, skipped
        body.extend(dg13_element(1, &["001099012345"]));
        body.extend(dg13_element(2, &["Nguyễn Văn An"]));
        body.extend(dg13_element(13, &["Nguyễn Văn Bình", "Trần Thị Cúc"]));
        body.extend(dg13_element(42, &["future field"]));
        let dg13 = Dg13::parse(&encode(0x6D, &body)).unwrap();
        assert_eq!(dg13.get(Dg13Field::FullName).as_deref(), Some("Nguyễn Văn An"));
        assert_eq!(dg13.get(Dg13Field::Parents).as_deref(), Some("Nguyễn Văn Bình, Trần Thị Cúc"));
        assert_eq!(dg13.get(Dg13Field::Spouse), None);
        assert_eq!(dg13.unknown().map(|e| e.id).collect::<Vec<_>>(), [42]);
        assert_eq!(dg13.named().len(), 3);
        let debug = format!("{dg13:?}");
        assert!(!debug.contains("Nguy") && debug.contains("redacted"), "{debug}");
        assert!(Dg13::parse(&encode(0x6D, &encode(0x04, b"x"))).is_err());
    }

    #[test]
    fn dg2_extracts_a_jpeg_and_passes_jpeg2000_through() {
        let picture = image::RgbImage::from_pixel(8, 6, image::Rgb([200, 120, 90]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(picture)
            .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let wrap = |record: Vec<u8>| {
            let template = encode(0x7F60, &[encode(0xA1, &[0x80, 0x02, 0x01, 0x01]), encode(0x5F2E, &record)].concat());
            encode(0x75, &encode(0x7F61, &[encode(0x02, &[1]), template].concat()))
        };
        let dg2 = Dg2::parse(&wrap(facial_record(&jpeg, FaceImageType::Jpeg, 8, 6))).unwrap();
        assert_eq!((dg2.image_type(), dg2.width, dg2.height), (FaceImageType::Jpeg, 8, 6));
        assert_eq!(dg2.image, jpeg);
        let jp2 = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A];
        let dg2 = Dg2::parse(&wrap(facial_record(&jp2, FaceImageType::Jpeg2000, 320, 400))).unwrap();
        assert_eq!(dg2.image_type().media_type(), "image/jp2");
        assert_eq!((dg2.width, dg2.height), (320, 400));
        let mut broken = jpeg.clone();
        broken.truncate(20);
        assert!(Dg2::parse(&wrap(facial_record(&broken, FaceImageType::Jpeg, 8, 6))).is_err());
    }

    #[test]
    fn dg1_and_dg11_read_their_fields() {
        let mrz = "IDVNM0990123459001099012345<<09001011M3001019VNM<<<<<<<<<<<0NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
        let dg1 = Dg1::parse(&encode(0x61, &encode(0x5F1F, mrz.as_bytes()))).unwrap();
        assert_eq!(dg1.lines().len(), 3);
        assert!(!format!("{dg1:?}").contains("NGUYEN"));
        assert!(Dg1::parse(&encode(0x61, &encode(0x5F1F, b"abc"))).is_err());
        let mut body = encode(0x5C, &[0x5F, 0x0E]);
        append(&mut body, 0x5F0E, "NGUYỄN VĂN AN".as_bytes());
        append(&mut body, 0xA0, &encode(0x5F0F, b"AN NGUYEN"));
        let dg11 = Dg11::parse(&encode(0x6B, &body)).unwrap();
        assert_eq!(dg11.full_name.as_deref(), Some("NGUYỄN VĂN AN"));
        assert_eq!(dg11.other_names, ["AN NGUYEN"]);
    }

    #[test]
    fn oids_are_listed_in_dotted_form() {
        // id-CA-ECDH-AES-CBC-CMAC-128 (BSI TR-03110) and an INTEGER version.
        let ca = encode(
            0x30,
            &[encode(0x06, &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02]), encode(0x02, &[1])].concat(),
        );
        let dg14 = RawDataGroup::parse(LdsFile::Dg(14), &encode(0x6E, &encode(0x31, &ca))).unwrap();
        assert_eq!(dg14.object_identifiers, ["0.4.0.127.0.7.2.2.3.2.2"]);
        assert_eq!(dotted_oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D]).as_deref(), Some("1.2.840.113549"));
        assert_eq!(dotted_oid(&[0x86]), None);
    }
}
