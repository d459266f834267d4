//! The check digit of ICAO Doc 9303 Part 3 §4.9: each character takes a value (`0`–`9` → 0–9,
//! `A`–`Z` → 10–35, the filler `<` → 0), the values are weighted 7, 3, 1, 7, 3, 1, … from the left,
//! and the check digit is the sum modulo 10.

/// The value a character carries in a check digit, or `None` when it is not an MRZ character.
pub fn character_value(character: u8) -> Option<u8> {
    match character {
        b'0'..=b'9' => Some(character - b'0'),
        b'A'..=b'Z' => Some(character - b'A' + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// The check digit (0–9) of `data`, or `None` when `data` holds a character outside `A-Z0-9<`.
///
/// ```
/// use kiosk::idcard::mrz::check_digit;
/// assert_eq!(check_digit("L898902C3"), Some(6));
/// assert_eq!(check_digit("740812"), Some(2));
/// assert_eq!(check_digit("l898902c3"), None);
/// ```
pub fn check_digit(data: &str) -> Option<u8> {
    check_digit_of(data.bytes())
}

/// The check digit over characters that may come from several fields (the composite check digit
/// runs over non-adjacent stretches of the zone).
pub(super) fn check_digit_of(data: impl IntoIterator<Item = u8>) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, character) in data.into_iter().enumerate() {
        sum += u32::from(character_value(character)?) * WEIGHTS[i % 3];
        // Keep the sum small so arbitrarily long input cannot overflow it.
        sum %= 10;
    }
    // `sum` is below 10 here, so the conversion cannot fail.
    u8::try_from(sum).ok()
}

/// Whether `character` belongs to the MRZ character set of Doc 9303 Part 3: upper-case `A`–`Z`,
/// digits and the filler `<`.
pub(super) fn is_mrz_character(character: char) -> bool {
    character.is_ascii_uppercase() || character.is_ascii_digit() || character == '<'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_part_3() {
        assert_eq!(character_value(b'0'), Some(0));
        assert_eq!(character_value(b'9'), Some(9));
        assert_eq!(character_value(b'A'), Some(10));
        assert_eq!(character_value(b'Z'), Some(35));
        assert_eq!(character_value(b'<'), Some(0));
        assert_eq!(character_value(b'a'), None);
        assert_eq!(character_value(b' '), None);
    }

    #[test]
    fn check_digits_of_the_icao_specimens() {
        // Doc 9303 Part 4 Appendix B (TD3) and Part 5 Appendix B (TD1) specimens.
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("D23145890"), Some(7));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
        assert_eq!(check_digit("L898902C3674081221204159ZE184226B<<<<<1"), Some(0));
        // Part 11 Appendix D: document number with a filler.
        assert_eq!(check_digit("L898902C<"), Some(3));
        assert_eq!(check_digit(""), Some(0));
    }

    #[test]
    fn long_input_does_not_overflow() {
        let long = "Z".repeat(1_000_000);
        assert!(check_digit(&long).is_some());
    }
}
