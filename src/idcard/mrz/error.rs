//! Why a machine-readable zone was refused: which line, column and field, in words a technician
//! can act on.

use std::fmt;

use serde::Serialize;

/// A field of the machine-readable zone, as errors and check-digit results name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// Document code: `P` passport, `I`/`A`/`C` identity and other official documents.
    DocumentCode,
    /// Issuing state or organisation (ISO 3166-1 alpha-3 with ICAO's additions).
    IssuingState,
    /// Document number.
    DocumentNumber,
    /// Optional data: TD1 upper line, TD2 lower line.
    OptionalData,
    /// Second optional data field (TD1 middle line).
    OptionalData2,
    /// Date of birth.
    DateOfBirth,
    /// Sex.
    Sex,
    /// Date of expiry.
    DateOfExpiry,
    /// Nationality.
    Nationality,
    /// Personal number: the TD3 optional-data field, or the 12-digit personal identification
    /// number of a Vietnamese citizen identity card.
    PersonalNumber,
    /// The composite check digit over the document number, dates and optional data.
    Composite,
    /// Name of the holder.
    Name,
}

impl Field {
    /// The field's name in plain English ("date of birth").
    pub const fn describe(self) -> &'static str {
        match self {
            Field::DocumentCode => "document code",
            Field::IssuingState => "issuing state",
            Field::DocumentNumber => "document number",
            Field::OptionalData => "optional data",
            Field::OptionalData2 => "second optional data",
            Field::DateOfBirth => "date of birth",
            Field::Sex => "sex",
            Field::DateOfExpiry => "date of expiry",
            Field::Nationality => "nationality",
            Field::PersonalNumber => "personal number",
            Field::Composite => "composite",
            Field::Name => "name",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a machine-readable zone was refused. Lines and columns count from 1, as Doc 9303 numbers
/// positions.
///
/// `Date` quotes the six characters it could not read; every other variant carries no more than one
/// character of the zone, so these errors can be logged without leaking who the holder is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrzError {
    /// Neither 2 lines (TD2, TD3) nor 3 lines (TD1).
    #[error(
        "the MRZ has {found} non-empty lines; a passport (TD3) or TD2 document has 2 and an identity card (TD1) has 3"
    )]
    LineCount {
        /// Non-empty lines given.
        found: usize,
    },
    /// A line of the wrong length.
    #[error("line {line} has {found} characters; it should have {expected}")]
    Length {
        /// Line number.
        line: usize,
        /// Characters the format requires.
        expected: usize,
        /// Characters found (after trimming surrounding white space).
        found: usize,
    },
    /// A character that no MRZ contains (only `A`–`Z`, `0`–`9` and `<` exist).
    #[error("line {line}, column {column}: {} is not an MRZ character (only A-Z, 0-9 and '<' are){}", quoted(*found), hint(*found))]
    Character {
        /// Line number.
        line: usize,
        /// Column (character position) in the line.
        column: usize,
        /// The character.
        found: char,
    },
    /// An MRZ character in a field that does not allow it (a letter in a date, a digit in a name).
    #[error("line {line}, column {column}: {} is not allowed in the {field}", quoted(*found))]
    NotAllowed {
        /// The field.
        field: Field,
        /// Line number.
        line: usize,
        /// Column in the line.
        column: usize,
        /// The character.
        found: char,
    },
    /// A check digit that does not match its field.
    #[error("line {line}, column {column}: {}", check_digit_message(*field, *expected, *found))]
    CheckDigit {
        /// The field the check digit protects.
        field: Field,
        /// Line number of the check digit.
        line: usize,
        /// Column of the check digit.
        column: usize,
        /// The check digit computed from the field.
        expected: u8,
        /// The character printed in the check digit's place.
        found: char,
    },
    /// A date field that names no possible date (month 13, 30 February).
    #[error("the {field} {text:?} is not a possible date (YYMMDD)")]
    Date {
        /// The field.
        field: Field,
        /// The six characters of the field.
        text: String,
    },
    /// A TD1 or TD2 document number marked as continuing into the optional data (a `<` where its
    /// check digit belongs, Doc 9303 Part 5 §4.2.2 note j, Part 6 §4.2.2) with no continuation and
    /// check digit there.
    #[error(
        "line {line}, column {column}: the document number's check digit is '<', which means the number continues in the optional data, but no continuation and check digit follow"
    )]
    DocumentNumberContinuation {
        /// Line number of the optional data.
        line: usize,
        /// Column where the continuation should start.
        column: usize,
    },
    /// A document this reader does not parse, such as a visa (document code `V`).
    #[error("document code {code:?} is a visa; only passports (TD3) and identity cards (TD1, TD2) are read")]
    UnsupportedDocument {
        /// The document code.
        code: String,
    },
}

fn quoted(character: char) -> String {
    if character.is_control() || character.is_whitespace() {
        format!("{character:?} ({})", character.escape_unicode())
    } else {
        format!("'{character}'")
    }
}

fn hint(character: char) -> &'static str {
    if character.is_lowercase() {
        "; the MRZ is upper case, so this is probably an OCR error"
    } else if character.is_whitespace() {
        "; spaces are written as '<' in an MRZ"
    } else {
        ""
    }
}

fn check_digit_message(field: Field, expected: u8, found: char) -> String {
    match field {
        Field::Composite => format!(
            "the composite check digit is {} but the document number, dates and optional data give {expected}",
            quoted(found)
        ),
        _ => format!("the check digit of the {field} is {} but the {field} gives {expected}", quoted(found)),
    }
}
