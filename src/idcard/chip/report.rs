//! One read of the chip with its parsed data and passive authentication, and how the technician's
//! `kiosk chip read` shows it. Holds personal data: print it only on that explicit command.

use std::fmt::Write as _;
use std::time::SystemTime;

use kiosk_hal::card::CardReader;
use serde::Serialize;

use super::lds::{Dg1, Dg2, Dg11, Dg13, EfCom, LdsFile, RawDataGroup};
use super::pa::{ChainStatus, CscaStore, DgHashStatus, PaReport, SignatureCheck, Verdict, passive_authentication};
use super::reader::{ChipError, ChipRead, ReadOptions, ReadProgress, read_chip};
use crate::idcard::bac::TerminalRandom;
use crate::idcard::mrz::{Date, Mrz};

/// Everything one read produced.
pub struct ChipReport {
    /// The raw read.
    pub read: ChipRead,
    /// EF.COM.
    pub com: Option<EfCom>,
    /// DG1.
    pub dg1: Option<Dg1>,
    /// DG1's MRZ, parsed.
    pub mrz: Option<Mrz>,
    /// DG2.
    pub dg2: Option<Dg2>,
    /// DG11.
    pub dg11: Option<Dg11>,
    /// DG13.
    pub dg13: Option<Dg13>,
    /// DG14 and DG15, kept raw.
    pub raw: Vec<RawDataGroup>,
    /// Files that were read but did not parse (file, reason).
    pub parse_errors: Vec<(LdsFile, String)>,
    /// Passive authentication.
    pub pa: PaReport,
}

impl std::fmt::Debug for ChipReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChipReport").field("files", &self.read.files).field("verdict", &self.pa.verdict).finish()
    }
}

/// Reads the chip ([`read_chip`]), parses the files and runs passive authentication at `now`.
pub fn read_and_verify(
    reader: &mut dyn CardReader,
    mrz_information: &str,
    random: &mut impl TerminalRandom,
    options: ReadOptions,
    cscas: &CscaStore,
    now: SystemTime,
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<ChipReport, ChipError> {
    let read = read_chip(reader, mrz_information, random, options, progress)?;
    let mut parse_errors = Vec::new();
    let parse = |file: LdsFile| read.files.get(file).map(|bytes| (file, bytes));
    let mut keep = |file: LdsFile, result: Result<(), String>| {
        if let Err(reason) = result {
            parse_errors.push((file, reason));
        }
    };
    let com = parse(LdsFile::Com).and_then(|(f, b)| EfCom::parse(b).map_err(|e| keep(f, Err(e.to_string()))).ok());
    let dg1 = parse(LdsFile::Dg(1)).and_then(|(f, b)| Dg1::parse(b).map_err(|e| keep(f, Err(e.to_string()))).ok());
    let today = days_since_epoch(now).and_then(Date::from_days_since_unix_epoch);
    let mrz = match (&dg1, today) {
        (Some(dg1), Some(today)) => match Mrz::parse(&dg1.lines(), today) {
            Ok(mrz) => Some(mrz),
            Err(e) => {
                keep(LdsFile::Dg(1), Err(format!("DG1 MRZ: {e}")));
                None
            }
        },
        _ => None,
    };
    let dg2 = parse(LdsFile::Dg(2)).and_then(|(f, b)| Dg2::parse(b).map_err(|e| keep(f, Err(e.to_string()))).ok());
    let dg11 = parse(LdsFile::Dg(11)).and_then(|(f, b)| Dg11::parse(b).map_err(|e| keep(f, Err(e.to_string()))).ok());
    let dg13 = parse(LdsFile::Dg(13)).and_then(|(f, b)| Dg13::parse(b).map_err(|e| keep(f, Err(e.to_string()))).ok());
    let raw = [14, 15]
        .into_iter()
        .filter_map(|n| parse(LdsFile::Dg(n)))
        .filter_map(|(f, b)| RawDataGroup::parse(f, b).map_err(|e| keep(f, Err(e.to_string()))).ok())
        .collect();
    let pa =
        passive_authentication(read.files.get(LdsFile::Sod).unwrap_or_default(), &read.files.data_groups(), cscas, now);
    Ok(ChipReport { read, com, dg1, mrz, dg2, dg11, dg13, raw, parse_errors, pa })
}

fn days_since_epoch(now: SystemTime) -> Option<i64> {
    // Vietnam time (UTC+7) decides the calendar day, as everywhere in the kiosk.
    let secs = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from((secs + 7 * 3600) / 86_400).ok()
}

/// The JSON shape of `kiosk chip read --json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    access: super::reader::AccessProtocol,
    access_parameters: Option<&'a str>,
    access_notes: &'a [String],
    files: Vec<JsonFile>,
    mrz: Option<&'a Mrz>,
    face_image: Option<JsonFace>,
    dg11: Option<&'a Dg11>,
    dg13: Vec<JsonDg13>,
    raw_data_groups: &'a [RawDataGroup],
    parse_errors: Vec<String>,
    passive_authentication: &'a PaReport,
}

#[derive(Serialize)]
struct JsonFile {
    file: String,
    bytes: usize,
}

#[derive(Serialize)]
struct JsonFace {
    media_type: &'static str,
    bytes: usize,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct JsonDg13 {
    id: u32,
    field: Option<super::lds::Dg13Field>,
    values: Vec<String>,
}

impl ChipReport {
    /// The exit status of `kiosk chip read`: 0 read and verified, 1 read but not verified or a
    /// check failed.
    pub fn verified(&self) -> bool {
        self.pa.verdict == Verdict::Verified && self.parse_errors.is_empty()
    }

    /// The report as pretty JSON (personal data included: technician command only).
    pub fn to_json(&self) -> String {
        let report = JsonReport {
            access: self.read.access,
            access_parameters: self.read.access_parameters.as_deref(),
            access_notes: &self.read.access_notes,
            files: self.read.files.files().map(|(f, b)| JsonFile { file: f.to_string(), bytes: b.len() }).collect(),
            mrz: self.mrz.as_ref(),
            face_image: self.dg2.as_ref().map(|dg2| JsonFace {
                media_type: dg2.image_type().media_type(),
                bytes: dg2.image.len(),
                width: dg2.width,
                height: dg2.height,
            }),
            dg11: self.dg11.as_ref(),
            dg13: self
                .dg13
                .iter()
                .flat_map(|dg13| dg13.elements.iter())
                .map(|e| JsonDg13 { id: e.id, field: super::lds::Dg13Field::from_id(e.id), values: e.values.clone() })
                .collect(),
            raw_data_groups: &self.raw,
            parse_errors: self.parse_errors.iter().map(|(f, e)| format!("{f}: {e}")).collect(),
            passive_authentication: &self.pa,
        };
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as text for the technician's terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let access = match self.read.access {
            super::reader::AccessProtocol::Bac => "BAC",
            super::reader::AccessProtocol::Pace => "PACE",
        };
        match &self.read.access_parameters {
            Some(parameters) => {
                let _ = writeln!(out, "chip read: ok ({access}: {parameters})");
            }
            None => {
                let _ = writeln!(out, "chip read: ok ({access})");
            }
        }
        for note in &self.read.access_notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let files: Vec<String> = self.read.files.files().map(|(f, b)| format!("{f} ({} B)", b.len())).collect();
        let _ = writeln!(out, "files read: {}", files.join(", "));
        if let Some(mrz) = &self.mrz {
            let _ = writeln!(
                out,
                "DG1 MRZ: {} {} / {}",
                mrz.document_number, mrz.primary_identifier, mrz.secondary_identifier
            );
        }
        if let Some(dg2) = &self.dg2 {
            let _ = writeln!(
                out,
                "DG2 face image: {} {}x{}, {} bytes",
                dg2.image_type().media_type(),
                dg2.width,
                dg2.height,
                dg2.image.len()
            );
        }
        if let Some(name) = self.dg11.as_ref().and_then(|d| d.full_name.as_deref()) {
            let _ = writeln!(out, "DG11 full name: {name}");
        }
        if let Some(dg13) = &self.dg13 {
            let _ = writeln!(out, "DG13:");
            for (field, value) in dg13.named() {
                let _ = writeln!(out, "  {:<40} {value}", field.label());
            }
            for element in dg13.unknown() {
                let _ = writeln!(out, "  {:<40} {}", format!("#{}", element.id), element.values.join(", "));
            }
        }
        for raw in &self.raw {
            let _ =
                writeln!(out, "{} ({} B) algorithms: {}", raw.file, raw.bytes.len(), raw.object_identifiers.join(", "));
        }
        for (file, error) in &self.parse_errors {
            let _ = writeln!(out, "{file}: not understood: {error}");
        }
        self.write_pa(&mut out);
        out
    }

    fn write_pa(&self, out: &mut String) {
        for check in &self.pa.data_groups {
            let status = match check.status {
                DgHashStatus::Ok => "ok",
                DgHashStatus::Mismatch => "MISMATCH (the data group was altered)",
                DgHashStatus::NotInSod => "not in EF.SOD",
            };
            let _ = writeln!(out, "DG{} hash: {status}", check.data_group);
        }
        let signature = match &self.pa.signature {
            Ok(SignatureCheck::Valid) => "ok".to_owned(),
            Ok(SignatureCheck::Invalid) => "INVALID".to_owned(),
            Ok(SignatureCheck::MessageDigestMismatch) => "INVALID (message digest does not match)".to_owned(),
            Err(e) => format!("not checked: {e}"),
        };
        let _ = writeln!(out, "SOD signature: {signature}");
        let chain = match &self.pa.chain {
            ChainStatus::Ok(csca) => format!("ok (CSCA {csca})"),
            ChainStatus::CscaUnknown(issuer) => format!("CSCA unknown ({issuer}): not verified"),
            ChainStatus::Invalid => "INVALID (not signed by the configured CSCA)".to_owned(),
            ChainStatus::Unsupported(why) => format!("not checked: {why}"),
        };
        let _ = writeln!(out, "certificate chain: {chain}");
        for note in &self.pa.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let verdict = match self.pa.verdict {
            Verdict::Verified => "ok",
            Verdict::NotVerified => "not verified",
            Verdict::Failed => "FAILED",
        };
        let _ = writeln!(out, "passive authentication: {verdict}");
    }
}

/// The BAC "MRZ information" from what the technician typed: a whole MRZ (TD1 3 lines, TD3 2
/// lines; lines separated by line breaks or spaces) or just document number + check digit + date
/// of birth + check digit + date of expiry + check digit (24 characters, as BAC hashes them).
pub fn mrz_information_from_input(input: &str, today: Date) -> Result<String, String> {
    let parts: Vec<&str> = input.split(|c: char| c.is_whitespace() || c == '|').filter(|p| !p.is_empty()).collect();
    if let [single] = parts.as_slice()
        && single.len() == 24
    {
        let info = single.to_ascii_uppercase();
        let ok = |field: &str, check: &str| {
            crate::idcard::mrz::check_digit(field).map(|d| d.to_string()) == Some(check.to_owned())
        };
        if ok(&info[0..9], &info[9..10]) && ok(&info[10..16], &info[16..17]) && ok(&info[17..23], &info[23..24]) {
            return Ok(info);
        }
        return Err("the MRZ information's check digits are wrong (document number, birth or expiry)".into());
    }
    Mrz::parse(&parts, today).map(|mrz| mrz.mrz_information().to_owned()).map_err(|e| e.to_string())
}
