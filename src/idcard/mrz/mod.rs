//! The machine-readable zone (MRZ) of passports and identity cards, ICAO Doc 9303: reading the
//! fields and verifying every check digit.
//!
//! Three formats are read, told apart by the number and length of the lines:
//! - TD1, identity cards, 3 lines of 30 characters (Part 5), including the Vietnamese citizen
//!   identity card, whose upper line carries the 12-digit personal identification number;
//! - TD2, 2 lines of 36 (Part 6);
//! - TD3, passports, 2 lines of 44 (Part 4).
//!
//! [`Mrz::parse`] refuses a zone with any wrong check digit; [`Mrz::read`] returns the fields with
//! each check digit's result, for a technician's screen or an OCR retry loop. Both take "today" as a
//! parameter, because two-digit years only become dates relative to it. Nothing here does I/O.
//!
//! The check digits find every single misread character except one between characters of equal
//! value modulo 10 (`0`, `<`, `A`, `K`, `U`; `1`, `B`, `L`, `V`; …) in a field that allows both, and
//! no check digit covers the names, sex and nationality (nor the document code and issuing state).
//! Compare the result with the chip's DG1 when the chip can be read.

mod check_digit;
mod date;
mod error;
mod layout;
#[cfg(test)]
mod tests;

use std::fmt::{self, Write as _};

use serde::Serialize;

pub use self::check_digit::{character_value, check_digit};
pub use self::date::{BirthDate, Date, ParseDateError};
pub use self::error::{Field, MrzError};
pub use self::layout::Format;
use self::layout::{Layout, Position, Span};

/// The holder's sex as the MRZ records it (Doc 9303 Part 4 §4.2.2, Part 5 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `F`.
    Female,
    /// `M`.
    Male,
    /// `<`: not specified.
    Unspecified,
    /// `X`: printed by some issuers for "unspecified" in the zone (ICAO prints `X` in the visual
    /// zone and `<` in the MRZ).
    X,
}

impl Sex {
    fn from_mrz(character: u8) -> Option<Sex> {
        match character {
            b'F' => Some(Sex::Female),
            b'M' => Some(Sex::Male),
            b'<' => Some(Sex::Unspecified),
            b'X' => Some(Sex::X),
            _ => None,
        }
    }

    /// The character in the zone.
    pub const fn code(self) -> char {
        match self {
            Sex::Female => 'F',
            Sex::Male => 'M',
            Sex::Unspecified => '<',
            Sex::X => 'X',
        }
    }
}

/// One check digit: what the zone prints and what its field gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckDigitResult {
    /// The field it protects.
    pub field: Field,
    /// Line of the check digit (from 1).
    pub line: usize,
    /// Column of the check digit (from 1).
    pub column: usize,
    /// The check digit computed from the field.
    pub expected: u8,
    /// The character printed.
    pub found: char,
    /// Whether they agree.
    pub valid: bool,
}

impl CheckDigitResult {
    /// This result as an error (whether or not it is valid).
    pub fn to_error(&self) -> MrzError {
        MrzError::CheckDigit {
            field: self.field,
            line: self.line,
            column: self.column,
            expected: self.expected,
            found: self.found,
        }
    }
}

/// A machine-readable zone, read.
///
/// Holds personal data: its `Debug` shows only the format, document code and issuing state, so it
/// can sit in session types that get logged. `Serialize` gives everything except the BAC key input
/// (field names in snake_case, dates as ISO 8601 text) for the technician's `--json` output.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Mrz {
    /// TD1, TD2 or TD3.
    pub format: Format,
    /// Document code without fillers: `P`, `I`, `ID`, `AC`, …
    pub document_code: String,
    /// Issuing state or organisation without fillers (`UTO`, `VNM`, `D`).
    pub issuing_state: String,
    /// Document number without trailing fillers; a TD1/TD2 number longer than 9 characters is
    /// complete (its continuation taken from the optional data).
    pub document_number: String,
    /// Optional data without trailing fillers: TD1 upper line and TD2 lower line (after any
    /// document number continuation), TD3 personal number field.
    pub optional_data: String,
    /// TD1 middle line optional data without trailing fillers; `None` for TD2 and TD3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional_data_2: Option<String>,
    /// Date of birth; parts may be unknown.
    pub date_of_birth: BirthDate,
    /// Sex.
    pub sex: Sex,
    /// Date of expiry.
    pub date_of_expiry: Date,
    /// Nationality without fillers.
    pub nationality: String,
    /// Primary identifier (surname, family name), `<` read as a space.
    pub primary_identifier: String,
    /// Secondary identifier (given names), `<` read as a space; empty when the holder has one name.
    pub secondary_identifier: String,
    /// The name field is full to its last character, so the name may have been cut short (Part 3:
    /// names too long for the field are truncated); take the full name from the chip or the
    /// visual zone.
    pub name_may_be_truncated: bool,
    personal_number: Option<String>,
    /// Every check digit, in the zone's order, composite last.
    pub check_digits: Vec<CheckDigitResult>,
    check_digits_valid: bool,
    #[serde(skip)]
    mrz_information: String,
}

impl Mrz {
    /// Reads a zone and verifies every check digit: the first wrong one is the error.
    ///
    /// `lines` are the zone's lines; white space around each is ignored and blank lines are
    /// dropped. A single line holding the whole zone (as the chip's DG1 stores it: 90, 72 or 88
    /// characters) is split. `today` resolves the century of two-digit years (see [`Mrz::read`]).
    pub fn parse<S: AsRef<str>>(lines: &[S], today: Date) -> Result<Mrz, MrzError> {
        let mrz = Mrz::read(lines, today)?;
        match mrz.first_check_digit_error() {
            Some(error) => Err(error),
            None => Ok(mrz),
        }
    }

    /// [`Mrz::parse`] for the zone as one text, lines separated by line breaks.
    pub fn parse_text(text: &str, today: Date) -> Result<Mrz, MrzError> {
        Mrz::parse(&text.lines().collect::<Vec<_>>(), today)
    }

    /// Reads a zone's fields and computes every check digit, without refusing wrong ones: see
    /// [`Mrz::check_digits`] and [`Mrz::check_digits_valid`]. Still refuses a zone whose shape,
    /// characters or dates are wrong.
    ///
    /// Centuries: a date of birth takes the latest century that does not put it after `today`; a
    /// date of expiry the century that puts it within 50 years of `today` (20xx for any document
    /// read this century that expired after 1976 or expires before 2076).
    pub fn read<S: AsRef<str>>(lines: &[S], today: Date) -> Result<Mrz, MrzError> {
        let lines = split_lines(lines);
        let lengths: Vec<usize> = lines.iter().map(|line| line.chars().count()).collect();
        let format = Format::for_line_lengths(&lengths).ok_or(MrzError::LineCount { found: lines.len() })?;
        check_characters(&lines)?;
        check_lengths(&lengths, format)?;
        Reader { lines, layout: format.layout(), today, checks: Vec::new() }.read()
    }

    /// Whether every check digit is right (always true after [`Mrz::parse`]).
    pub fn check_digits_valid(&self) -> bool {
        self.check_digits_valid
    }

    /// The first wrong check digit, if any.
    pub fn first_check_digit_error(&self) -> Option<MrzError> {
        self.check_digits.iter().find(|check| !check.valid).map(CheckDigitResult::to_error)
    }

    /// The holder's personal number: on a Vietnamese citizen identity card the 12-digit personal
    /// identification number from the upper line's optional data; on a passport (TD3) the personal
    /// number field, when used; otherwise `None` (other TD1 and TD2 optional data is issuer-defined).
    pub fn personal_number(&self) -> Option<&str> {
        self.personal_number.as_deref()
    }

    /// The "MRZ information" that Basic Access Control derives its keys from (Doc 9303 Part 11
    /// §9.7.2, worked in Appendix D): document number, its check digit, date of birth, its check
    /// digit, date of expiry, its check digit — exactly as printed, fillers included
    /// (`L898902C<369080619406236`). A TD1/TD2 number longer than 9 characters is given in full
    /// with the check digit printed after it. Hash it (SHA-1, first 16 bytes) for K_seed.
    pub fn mrz_information(&self) -> &str {
        &self.mrz_information
    }

    /// Whether the document has expired on `today` (it is valid through its date of expiry).
    pub fn expired(&self, today: Date) -> bool {
        today > self.date_of_expiry
    }

    /// The fields and check digits as a table for a technician's terminal, with whether the
    /// document has expired on `today`. Contains personal data: print it, never log it.
    pub fn to_text(&self, today: Date) -> String {
        let mut out = String::new();
        let mut row = |label: &str, value: &dyn fmt::Display| {
            let _ = writeln!(out, "{label:<16} {value}");
        };
        let lines = format!("{}, {} lines of {}", self.format, self.format.line_count(), self.format.line_length());
        row("format", &lines);
        row("document code", &self.document_code);
        row("issuing state", &self.issuing_state);
        row("document number", &self.document_number);
        if let Some(number) = &self.personal_number {
            row("personal number", number);
        }
        row("surname", &self.primary_identifier);
        row("given names", &self.secondary_identifier);
        if self.name_may_be_truncated {
            row("", &"(the name fills its field and may be truncated)");
        }
        row("nationality", &self.nationality);
        row("date of birth", &self.date_of_birth);
        row("sex", &self.sex.code());
        let status = if self.expired(today) { "expired" } else { "not expired" };
        row("date of expiry", &format!("{} ({status} as of {today})", self.date_of_expiry));
        row("optional data", &self.optional_data);
        if let Some(data) = &self.optional_data_2 {
            row("optional data 2", data);
        }
        for check in &self.check_digits {
            let verdict = if check.valid {
                format!("{} ok", check.found)
            } else {
                format!("{} WRONG: the field's digits give {}", check.found, check.expected)
            };
            row(&format!("check {}", check.field), &verdict);
        }
        out
    }
}

impl fmt::Debug for Mrz {
    /// Redacted: personal data never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mrz")
            .field("format", &self.format)
            .field("document_code", &self.document_code)
            .field("issuing_state", &self.issuing_state)
            .finish_non_exhaustive()
    }
}

/// Trimmed, non-blank lines; a lone line as long as a whole zone is cut into the zone's lines.
fn split_lines<S: AsRef<str>>(lines: &[S]) -> Vec<&str> {
    let lines: Vec<&str> = lines.iter().map(|line| line.as_ref().trim()).filter(|line| !line.is_empty()).collect();
    if let [whole] = lines.as_slice() {
        for format in [Format::Td1, Format::Td2, Format::Td3] {
            let length = format.line_length();
            if whole.len() == format.line_count() * length && whole.is_ascii() {
                return (0..format.line_count()).map(|i| &whole[i * length..(i + 1) * length]).collect();
            }
        }
    }
    lines
}

/// Doc 9303 Part 3: the zone holds `A`–`Z`, `0`–`9` and `<` only.
fn check_characters(lines: &[&str]) -> Result<(), MrzError> {
    for (line, text) in lines.iter().enumerate() {
        if let Some((column, found)) = text.chars().enumerate().find(|(_, c)| !check_digit::is_mrz_character(*c)) {
            return Err(MrzError::Character { line: line + 1, column: column + 1, found });
        }
    }
    Ok(())
}

fn check_lengths(lengths: &[usize], format: Format) -> Result<(), MrzError> {
    let expected = format.line_length();
    match lengths.iter().position(|found| *found != expected) {
        Some(line) => Err(MrzError::Length { line: line + 1, expected, found: lengths[line] }),
        None => Ok(()),
    }
}

/// The zone without its trailing fillers.
fn trim_fillers(text: &str) -> &str {
    text.trim_end_matches('<')
}

/// A name field: primary identifier, `<<`, secondary identifier; `<` between name parts
/// (Doc 9303 Part 3 §3.4, convention for writing the name of the holder).
fn split_name(field: &str) -> (String, String) {
    let words = |text: &str| text.split('<').filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ");
    let name = trim_fillers(field);
    let (primary, secondary) = name.split_once("<<").unwrap_or((name, ""));
    (words(primary), words(secondary))
}

/// The document number and what it leaves of the optional data.
struct DocumentNumber<'a> {
    number: String,
    /// Number and check digit as they enter the BAC key (Part 11 §9.7.2).
    with_check_digit: String,
    optional_data: &'a str,
}

/// Reads the fields of ASCII lines of the right count and lengths (so slicing cannot fail).
struct Reader<'a> {
    lines: Vec<&'a str>,
    layout: &'static Layout,
    today: Date,
    checks: Vec<CheckDigitResult>,
}

impl<'a> Reader<'a> {
    fn read(mut self) -> Result<Mrz, MrzError> {
        let layout = self.layout;
        let document_code = self.document_code()?;
        let issuing_state = self.country(Field::IssuingState, layout.issuing_state)?;
        let vietnamese_card = is_vietnamese_identity_card(layout.format, &document_code, &issuing_state);
        let number = self.document_number(vietnamese_card)?;
        let mut personal_number = if vietnamese_card { Some(self.vietnamese_personal_number()?) } else { None };
        let date_of_birth = self.date_of_birth()?;
        let sex = self.sex()?;
        let date_of_expiry = self.date_of_expiry()?;
        let nationality = self.country(Field::Nationality, layout.nationality)?;
        let optional_data = trim_fillers(number.optional_data).to_owned();
        let optional_data_2 = layout.optional_data_2.map(|span| trim_fillers(self.text(span)).to_owned());
        if let Some(check) = layout.optional_data_check {
            self.personal_number_check(check);
            if !optional_data.is_empty() {
                personal_number = Some(optional_data.clone());
            }
        }
        self.composite_check();
        let (primary_identifier, secondary_identifier) = self.name()?;
        let check_digits_valid = self.checks.iter().all(|check| check.valid);
        let mrz_information = format!(
            "{}{}{}",
            number.with_check_digit,
            self.text_with_check(layout.date_of_birth, layout.date_of_birth_check),
            self.text_with_check(layout.date_of_expiry, layout.date_of_expiry_check),
        );
        let name_may_be_truncated = self.byte(layout.name.at(layout.name.len - 1)) != b'<';
        Ok(Mrz {
            format: layout.format,
            document_code,
            issuing_state,
            document_number: number.number,
            optional_data,
            optional_data_2,
            date_of_birth,
            sex,
            date_of_expiry,
            nationality,
            primary_identifier,
            secondary_identifier,
            name_may_be_truncated,
            personal_number,
            check_digits: self.checks,
            check_digits_valid,
            mrz_information,
        })
    }

    fn text(&self, span: Span) -> &'a str {
        let line: &'a str = self.lines[span.line];
        &line[span.start..span.end()]
    }

    fn byte(&self, position: Position) -> u8 {
        self.lines[position.line].as_bytes()[position.column]
    }

    fn text_with_check(&self, span: Span, check: Position) -> String {
        format!("{}{}", self.text(span), char::from(self.byte(check)))
    }

    /// Refuses the first character of `span` that `allowed` rejects.
    fn require(&self, field: Field, span: Span, allowed: impl Fn(u8) -> bool) -> Result<&'a str, MrzError> {
        let text = self.text(span);
        match text.bytes().position(|b| !allowed(b)) {
            Some(offset) => Err(not_allowed(field, span.at(offset), text.as_bytes()[offset])),
            None => Ok(text),
        }
    }

    /// Records the check digit at `at` for `data`.
    fn check(&mut self, field: Field, data: impl IntoIterator<Item = u8>, at: Position) {
        let expected = check_digit::check_digit_of(data);
        let found = char::from(self.byte(at));
        let valid = expected.is_some_and(|digit| found.to_digit(10) == Some(u32::from(digit)));
        self.checks.push(CheckDigitResult {
            field,
            line: at.line + 1,
            column: at.column + 1,
            expected: expected.unwrap_or(0),
            found,
            valid,
        });
    }

    /// Two characters, the first a letter; `V` (visas, Part 7) has another layout.
    fn document_code(&self) -> Result<String, MrzError> {
        let span = self.layout.document_code;
        let code = self.text(span);
        let bytes = code.as_bytes();
        if !bytes[0].is_ascii_uppercase() {
            return Err(not_allowed(Field::DocumentCode, span.at(0), bytes[0]));
        }
        if bytes[0] == b'V' {
            return Err(MrzError::UnsupportedDocument { code: code.to_owned() });
        }
        if !is_letter_or_filler(bytes[1]) {
            return Err(not_allowed(Field::DocumentCode, span.at(1), bytes[1]));
        }
        Ok(trim_fillers(code).to_owned())
    }

    /// Issuing state or nationality: letters, padded with fillers (`D<<`).
    fn country(&self, field: Field, span: Span) -> Result<String, MrzError> {
        Ok(trim_fillers(self.require(field, span, is_letter_or_filler)?).to_owned())
    }

    fn document_number(&mut self, vietnamese_card: bool) -> Result<DocumentNumber<'a>, MrzError> {
        let layout = self.layout;
        let field = self.text(layout.document_number);
        let optional = self.text(layout.optional_data);
        let check_at = layout.document_number_check;
        // Part 5 §4.2.2 note j (TD1), Part 6 §4.2.2 (TD2): a number longer than 9 characters puts its
        // first 9 in the field, a filler where the check digit belongs, and the rest at the start of
        // the optional data followed by the check digit (over the whole number) and a filler.
        // The Vietnamese card's optional data is taken by the personal number, so it cannot continue.
        if layout.long_document_number && !vietnamese_card && self.byte(check_at) == b'<' {
            let run = optional.find('<').unwrap_or(optional.len());
            if run < 2 {
                let start = layout.optional_data.at(0);
                return Err(MrzError::DocumentNumberContinuation { line: start.line + 1, column: start.column + 1 });
            }
            let number = format!("{field}{}", &optional[..run - 1]);
            let check_at = layout.optional_data.at(run - 1);
            self.check(Field::DocumentNumber, number.bytes(), check_at);
            let with_check_digit = format!("{number}{}", char::from(self.byte(check_at)));
            let optional_data = optional.get(run + 1..).unwrap_or("");
            return Ok(DocumentNumber { number, with_check_digit, optional_data });
        }
        self.check(Field::DocumentNumber, field.bytes(), check_at);
        Ok(DocumentNumber {
            number: trim_fillers(field).to_owned(),
            with_check_digit: self.text_with_check(layout.document_number, check_at),
            optional_data: optional,
        })
    }

    /// A Vietnamese citizen identity card's upper line optional data (positions 16–30): the
    /// 12-digit personal identification number, two fillers, and the number's check digit.
    /// (The document number, positions 6–14, is the last 9 digits of that number.)
    fn vietnamese_personal_number(&mut self) -> Result<String, MrzError> {
        let span = self.layout.optional_data;
        let text = self.require(Field::PersonalNumber, Span { len: 12, ..span }, |b| b.is_ascii_digit())?;
        self.require(Field::PersonalNumber, Span { start: span.start + 12, len: 2, ..span }, |b| b == b'<')?;
        self.check(Field::PersonalNumber, text.bytes(), span.at(14));
        Ok(text.to_owned())
    }

    /// Digits, or `<<` for an unknown year, month or day.
    fn date_of_birth(&mut self) -> Result<BirthDate, MrzError> {
        let (span, check) = (self.layout.date_of_birth, self.layout.date_of_birth_check);
        let text = self.require(Field::DateOfBirth, span, |b| b.is_ascii_digit() || b == b'<')?;
        self.check(Field::DateOfBirth, text.bytes(), check);
        date::birth_date(text, self.today)
            .ok_or_else(|| MrzError::Date { field: Field::DateOfBirth, text: text.into() })
    }

    fn date_of_expiry(&mut self) -> Result<Date, MrzError> {
        let (span, check) = (self.layout.date_of_expiry, self.layout.date_of_expiry_check);
        let text = self.require(Field::DateOfExpiry, span, |b| b.is_ascii_digit())?;
        self.check(Field::DateOfExpiry, text.bytes(), check);
        date::expiry_date(text, self.today)
            .ok_or_else(|| MrzError::Date { field: Field::DateOfExpiry, text: text.into() })
    }

    fn sex(&self) -> Result<Sex, MrzError> {
        let at = self.layout.sex;
        let found = self.byte(at);
        Sex::from_mrz(found).ok_or_else(|| not_allowed(Field::Sex, at, found))
    }

    /// TD3: Part 4 §4.2.2 lets an unused personal number field (all fillers) carry a filler as its
    /// check digit instead of 0.
    fn personal_number_check(&mut self, at: Position) {
        let field = self.text(self.layout.optional_data);
        let unused = field.bytes().all(|b| b == b'<');
        if unused && self.byte(at) == b'<' {
            let (line, column) = (at.line + 1, at.column + 1);
            let field = Field::PersonalNumber;
            self.checks.push(CheckDigitResult { field, line, column, expected: 0, found: '<', valid: true });
        } else {
            self.check(Field::PersonalNumber, field.bytes(), at);
        }
    }

    fn composite_check(&mut self) {
        let data: Vec<u8> = self.layout.composite.iter().flat_map(|span| self.text(*span).bytes()).collect();
        self.check(Field::Composite, data, self.layout.composite_check);
    }

    /// Letters and fillers only.
    fn name(&self) -> Result<(String, String), MrzError> {
        Ok(split_name(self.require(Field::Name, self.layout.name, is_letter_or_filler)?))
    }
}

/// The Vietnamese citizen identity card (căn cước công dân / căn cước): TD1, document code `ID`,
/// issued by `VNM`.
fn is_vietnamese_identity_card(format: Format, document_code: &str, issuing_state: &str) -> bool {
    format == Format::Td1 && document_code == "ID" && issuing_state == "VNM"
}

fn is_letter_or_filler(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte == b'<'
}

fn not_allowed(field: Field, at: Position, found: u8) -> MrzError {
    MrzError::NotAllowed { field, line: at.line + 1, column: at.column + 1, found: char::from(found) }
}
