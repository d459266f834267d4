//! Dossier codes ("mã hồ sơ"): the reference a citizen reads aloud on the phone, types into a portal
//! and sees printed on the receipt, e.g. `1D23-FJ75-4CT5`.
//!
//! Layout: 11 data symbols and 1 check symbol, written in groups of four.
//!
//! | symbols | what | why |
//! |---|---|---|
//! | 1–2 | kiosk tag: SHA-256 of the kiosk id, mod 31² | codes from different kiosks differ even in the same second |
//! | 3–8 | submission time, seconds since 2025-01-01 00:00 UTC, base 31 | codes of one kiosk never repeat (31⁶ s ≈ 28 years) |
//! | 9–11 | random, from the operating system | two kiosks with the same tag in the same second still differ (1 in 29,791 chance of a clash) |
//! | 12 | check symbol | catches typing errors |
//!
//! Alphabet: Crockford's base-32 set (digits and upper-case letters without I, L, O and U) minus `Z`,
//! which leaves 31 symbols: `0123456789ABCDEFGHJKMNPQRSTVWXY`. `Z` goes because it is easily misread
//! as `2` in handwriting, and because 31 is prime, which the check needs.
//!
//! Check: the symbol `c` that makes `Σ vᵢ·3ⁱ + c·3¹¹ ≡ 0 (mod 31)`, over the symbol values `vᵢ` at
//! positions `i = 0..11`. 3 is a primitive root mod 31, so every position has a different non-zero
//! weight. A single wrong symbol changes the sum by `d·wᵢ` with `0 < |d| < 31`, never a multiple of the
//! prime 31; swapping neighbours `a, b` changes it by `(a − b)(wᵢ − wᵢ₊₁)`, again never a multiple of 31.
//! So every single-symbol error and every adjacent transposition (the check symbol included) is
//! detected; the tests below verify this exhaustively on a sample of codes.
//!
//! Reading is forgiving the way Crockford recommends: case is ignored, spaces and dashes are
//! ignored, `O` reads as `0` and `I`/`L` as `1`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The 31 symbols, in value order.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKMNPQRSTVWXY";

/// The prime modulus of the check, equal to the alphabet size.
const MODULUS: u32 = 31;
/// A primitive root mod 31: its powers 3⁰ … 3²⁹ are all different, so position weights differ.
const WEIGHT_BASE: u32 = 3;
/// Symbols of the kiosk tag.
const TAG_LEN: usize = 2;
/// Symbols of the time part.
const TIME_LEN: usize = 6;
/// Symbols of the random part.
const RANDOM_LEN: usize = 3;
/// Data symbols (everything but the check).
const DATA_LEN: usize = TAG_LEN + TIME_LEN + RANDOM_LEN;
/// Symbols of a whole code.
pub const CODE_LEN: usize = DATA_LEN + 1;
/// Symbols per group when written.
const GROUP: usize = 4;
/// 2025-01-01T00:00:00Z: the time part counts seconds from here.
const EPOCH_UNIX: i64 = 1_735_689_600;

/// A valid dossier code, held in canonical form (12 symbols, no dashes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode([u8; CODE_LEN]);

/// Why a typed dossier code is not valid. The messages speak to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Wrong number of symbols (dashes and spaces not counted).
    #[error(
        "a dossier code has {expected} letters and digits (like 1D23-FJ75-4CT5), this one has {found}; check the receipt and type it again"
    )]
    WrongLength {
        /// Symbols expected (12).
        expected: usize,
        /// Symbols found.
        found: usize,
    },
    /// A character that never appears in a dossier code.
    #[error(
        "{character:?} (position {position}) does not appear in dossier codes; check the receipt and type it again"
    )]
    InvalidCharacter {
        /// The character.
        character: char,
        /// 1-based position among the symbols.
        position: usize,
    },
    /// The check symbol does not match: at least one symbol was mistyped or two were swapped.
    #[error("this dossier code contains a typing error; check each character against the receipt")]
    CheckFailed,
    /// The operating system could not supply random bytes for a new code.
    #[error("cannot make a new dossier code: the system random generator failed ({0}); restart the kiosk")]
    Random(String),
}

impl DossierCode {
    /// A new code for a dossier submitted by `kiosk_id` at `unix_seconds`, with random bytes from the
    /// operating system.
    pub fn generate(kiosk_id: &str, unix_seconds: i64) -> Result<Self, CodeError> {
        let mut random = [0u8; 4];
        getrandom::fill(&mut random).map_err(|e| CodeError::Random(e.to_string()))?;
        Ok(Self::from_parts(kiosk_id, unix_seconds, u32::from_le_bytes(random)))
    }

    /// The code for given parts; `random` supplies the random symbols (reduced mod 31³). Times before
    /// 2025 count as 2025-01-01 and times past the 28-year range wrap around.
    pub fn from_parts(kiosk_id: &str, unix_seconds: i64, random: u32) -> Self {
        let digest = Sha256::digest(kiosk_id.as_bytes());
        let tag = u64::from(u16::from_be_bytes([digest[0], digest[1]])) % pow31(TAG_LEN);
        let seconds = u64::try_from(unix_seconds.saturating_sub(EPOCH_UNIX)).unwrap_or(0) % pow31(TIME_LEN);
        let random = u64::from(random) % pow31(RANDOM_LEN);
        let mut values = [0u8; CODE_LEN];
        write_base31(&mut values[..TAG_LEN], tag);
        write_base31(&mut values[TAG_LEN..TAG_LEN + TIME_LEN], seconds);
        write_base31(&mut values[TAG_LEN + TIME_LEN..DATA_LEN], random);
        values[DATA_LEN] = check_value(&values[..DATA_LEN]);
        DossierCode(values.map(|v| ALPHABET[usize::from(v)]))
    }

    /// Reads a typed code: case, spaces and dashes are ignored, `O` reads as `0` and `I`/`L` as `1`.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let mut values = Vec::with_capacity(CODE_LEN);
        for character in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let value =
                symbol_value(character).ok_or(CodeError::InvalidCharacter { character, position: values.len() + 1 })?;
            values.push(value);
        }
        if values.len() != CODE_LEN {
            return Err(CodeError::WrongLength { expected: CODE_LEN, found: values.len() });
        }
        if weighted_sum(&values) != 0 {
            return Err(CodeError::CheckFailed);
        }
        let mut symbols = [0u8; CODE_LEN];
        for (symbol, value) in symbols.iter_mut().zip(values) {
            *symbol = ALPHABET[usize::from(value)];
        }
        Ok(DossierCode(symbols))
    }

    /// The 12 symbols without dashes, e.g. `1D23FJ754CT5`.
    pub fn compact(&self) -> &str {
        // Every symbol comes from ALPHABET, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// `b^n` for the small `n` used here.
fn pow31(n: usize) -> u64 {
    (0..n).fold(1, |acc, _| acc * u64::from(MODULUS))
}

/// Writes `value` into `out` as big-endian base-31 digits.
fn write_base31(out: &mut [u8], mut value: u64) {
    for digit in out.iter_mut().rev() {
        *digit = (value % u64::from(MODULUS)) as u8;
        value /= u64::from(MODULUS);
    }
}

/// `Σ vᵢ·3ⁱ mod 31` over all given positions.
fn weighted_sum(values: &[u8]) -> u32 {
    let mut weight = 1;
    let mut sum = 0;
    for &value in values {
        sum = (sum + u32::from(value) * weight) % MODULUS;
        weight = weight * WEIGHT_BASE % MODULUS;
    }
    sum
}

/// The check value `c` with `sum(data) + c·3¹¹ ≡ 0 (mod 31)`.
fn check_value(data: &[u8]) -> u8 {
    let sum = weighted_sum(data);
    let weight = (0..DATA_LEN).fold(1, |w, _| w * WEIGHT_BASE % MODULUS);
    // The inverse of the weight mod the prime 31 is weight^(31−2) (Fermat).
    let inverse = (0..MODULUS - 2).fold(1, |acc, _| acc * weight % MODULUS);
    ((MODULUS - sum) % MODULUS * inverse % MODULUS) as u8
}

/// The value of a typed character, with Crockford's readings of look-alikes.
fn symbol_value(character: char) -> Option<u8> {
    let upper = match character.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET.iter().position(|&s| char::from(s) == upper).map(|p| p as u8)
}

impl fmt::Display for DossierCode {
    /// Groups of four joined by dashes: `1D23-FJ75-4CT5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.compact().as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).unwrap_or_default())?;
        }
        Ok(())
    }
}

impl fmt::Debug for DossierCode {
    /// A dossier code is not personal data; it is shown as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DossierCode({self})")
    }
}

impl FromStr for DossierCode {
    type Err = CodeError;

    fn from_str(text: &str) -> Result<Self, CodeError> {
        DossierCode::parse(text)
    }
}

impl Serialize for DossierCode {
    /// Written grouped, as on the receipt.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes spread over kiosks, times and random parts.
    fn sample() -> Vec<DossierCode> {
        (0..60u32)
            .map(|i| {
                let kiosk = format!("KIOSK-HN-{:04}", i % 7);
                DossierCode::from_parts(
                    &kiosk,
                    EPOCH_UNIX + 86_400 * 600 + i64::from(i) * 3_607,
                    i.wrapping_mul(2_654_435_761),
                )
            })
            .collect()
    }

    #[test]
    fn generated_codes_parse_back() {
        for code in sample() {
            assert_eq!(DossierCode::parse(&code.to_string()), Ok(code.clone()));
            assert_eq!(DossierCode::parse(code.compact()), Ok(code));
        }
    }

    #[test]
    fn written_form_is_three_groups_of_four() {
        let text = sample()[0].to_string();
        assert_eq!(text.len(), 14);
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), vec![4, 4, 4]);
        assert!(text.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
    }

    #[test]
    fn every_single_symbol_error_is_detected() {
        for code in sample() {
            for position in 0..CODE_LEN {
                for &wrong in ALPHABET.iter().filter(|&&s| s != code.0[position]) {
                    let mut typed = code.0;
                    typed[position] = wrong;
                    let text = String::from_utf8(typed.to_vec()).unwrap();
                    assert_eq!(DossierCode::parse(&text), Err(CodeError::CheckFailed), "{code} → {text}");
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_detected() {
        let mut swaps = 0;
        for code in sample() {
            for position in 0..CODE_LEN - 1 {
                if code.0[position] == code.0[position + 1] {
                    continue;
                }
                let mut typed = code.0;
                typed.swap(position, position + 1);
                let text = String::from_utf8(typed.to_vec()).unwrap();
                assert_eq!(DossierCode::parse(&text), Err(CodeError::CheckFailed), "{code} → {text}");
                swaps += 1;
            }
        }
        assert!(swaps > 500, "the sample must exercise many swaps, got {swaps}");
    }

    #[test]
    fn look_alikes_case_and_separators_are_forgiven() {
        // Build a code that contains 0 and 1 so the look-alike readings matter.
        let code = (0..10_000u32)
            .map(|r| DossierCode::from_parts("KIOSK-DEV-0001", EPOCH_UNIX + 1_000_000, r))
            .find(|c| c.compact().contains('0') && c.compact().contains('1'))
            .unwrap();
        let sloppy: String = code
            .to_string()
            .chars()
            .map(|c| match c {
                '0' => 'o',
                '1' => 'l',
                '-' => ' ',
                other => other.to_ascii_lowercase(),
            })
            .collect();
        assert_eq!(DossierCode::parse(&sloppy), Ok(code.clone()));
        assert_eq!(DossierCode::parse(&code.to_string().replace('1', "I")), Ok(code));
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        assert_eq!(DossierCode::parse("7KQM-3XH9"), Err(CodeError::WrongLength { expected: 12, found: 8 }));
        assert_eq!(
            DossierCode::parse("7KQM-3XH9-AB2Z"),
            Err(CodeError::InvalidCharacter { character: 'Z', position: 12 })
        );
        assert!(matches!(
            DossierCode::parse("7KQM-3XH9-ABĐC"),
            Err(CodeError::InvalidCharacter { character: 'Đ', .. })
        ));
        assert!(CodeError::CheckFailed.to_string().contains("receipt"));
    }

    #[test]
    fn parts_make_codes_unique() {
        let base = DossierCode::from_parts("KIOSK-A", EPOCH_UNIX + 500, 7);
        assert_ne!(base, DossierCode::from_parts("KIOSK-B", EPOCH_UNIX + 500, 7));
        assert_ne!(base, DossierCode::from_parts("KIOSK-A", EPOCH_UNIX + 501, 7));
        assert_ne!(base, DossierCode::from_parts("KIOSK-A", EPOCH_UNIX + 500, 8));
        // One kiosk over a day, one code per second: all different.
        let day: std::collections::HashSet<_> =
            (0..86_400).map(|s| DossierCode::from_parts("KIOSK-A", EPOCH_UNIX + s, 7)).collect();
        assert_eq!(day.len(), 86_400);
    }

    #[test]
    fn generate_uses_the_system_random_generator() {
        let a = DossierCode::generate("KIOSK-DEV-0001", EPOCH_UNIX + 42).unwrap();
        let b = DossierCode::generate("KIOSK-DEV-0001", EPOCH_UNIX + 42).unwrap();
        // Same kiosk and second: only the random part can differ; 3 symbols make a clash 1 in 29,791,
        // so try a few times before declaring the randomness broken.
        let differs = a != b || (0..5).any(|_| DossierCode::generate("KIOSK-DEV-0001", EPOCH_UNIX + 42).unwrap() != a);
        assert!(differs);
        assert_eq!(a.compact()[..8], b.compact()[..8]);
    }

    #[test]
    fn the_documented_example_is_the_sample_dossier_code() {
        // docs/manifest.md and the messages above quote this code; it is the sample dossier's.
        let sample = DossierCode::from_parts("KIOSK-DEV-0001", crate::dossier::sample::SUBMITTED_UNIX, 4_242);
        assert_eq!(DossierCode::parse("1D23-FJ75-4CT5"), Ok(sample));
    }

    #[test]
    fn code_fits_a_vietqr_purpose() {
        // EMVCo ID 62-08 holds at most 25 characters (src/payment/vietqr.rs).
        assert!(sample()[0].to_string().len() <= 25);
    }
}
