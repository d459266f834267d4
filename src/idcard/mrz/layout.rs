//! Where each field sits in the three document formats: TD3 (Doc 9303 Part 4 §4.2.2), TD1
//! (Part 5 §4.2.2) and TD2 (Part 6 §4.2.2). Positions here count from 0; errors add 1.

use serde::Serialize;

/// The size of the document, which fixes the zone's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Identity card size: 3 lines of 30 characters (Part 5).
    Td1,
    /// 2 lines of 36 characters (Part 6).
    Td2,
    /// Passport size: 2 lines of 44 characters (Part 4).
    Td3,
}

impl Format {
    /// Lines in the zone.
    pub const fn line_count(self) -> usize {
        self.layout().line_count
    }

    /// Characters per line.
    pub const fn line_length(self) -> usize {
        self.layout().line_length
    }

    /// The name Doc 9303 uses: `TD1`, `TD2`, `TD3`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Td1 => "TD1",
            Format::Td2 => "TD2",
            Format::Td3 => "TD3",
        }
    }

    pub(super) const fn layout(self) -> &'static Layout {
        match self {
            Format::Td1 => &TD1,
            Format::Td2 => &TD2,
            Format::Td3 => &TD3,
        }
    }

    /// The format of a zone with `lengths.len()` lines of these lengths, or `None` when there are
    /// neither 2 nor 3. Two lines are TD3 or TD2: whichever length one line already has, else the
    /// nearer to the first line's length, so that a line one character short is reported as such.
    pub(super) fn for_line_lengths(lengths: &[usize]) -> Option<Format> {
        match lengths {
            [_, _, _] => Some(Format::Td1),
            [first, second] => {
                let telling = [*first, *second].into_iter().find(|n| *n == 36 || *n == 44).unwrap_or(*first);
                Some(if telling >= 40 { Format::Td3 } else { Format::Td2 })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A run of characters on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub line: usize,
    pub start: usize,
    pub len: usize,
}

impl Span {
    const fn new(line: usize, start: usize, len: usize) -> Span {
        Span { line, start, len }
    }

    pub const fn end(self) -> usize {
        self.start + self.len
    }

    pub const fn at(self, offset: usize) -> Position {
        Position { line: self.line, column: self.start + offset }
    }

    #[cfg(test)]
    pub const fn contains(self, position: Position) -> bool {
        position.line == self.line && position.column >= self.start && position.column < self.end()
    }
}

/// One character's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    const fn new(line: usize, column: usize) -> Position {
        Position { line, column }
    }
}

/// The fields of one format.
#[derive(Debug)]
pub(super) struct Layout {
    pub format: Format,
    pub line_count: usize,
    pub line_length: usize,
    pub document_code: Span,
    pub issuing_state: Span,
    pub name: Span,
    pub document_number: Span,
    pub document_number_check: Position,
    pub nationality: Span,
    pub date_of_birth: Span,
    pub date_of_birth_check: Position,
    pub sex: Position,
    pub date_of_expiry: Span,
    pub date_of_expiry_check: Position,
    /// TD1 upper line, TD2 lower line, TD3 personal number.
    pub optional_data: Span,
    /// TD1 middle line only.
    pub optional_data_2: Option<Span>,
    /// TD3 only: the check digit of the personal number field.
    pub optional_data_check: Option<Position>,
    /// The stretches the composite check digit covers, in order.
    pub composite: &'static [Span],
    pub composite_check: Position,
    /// Whether a document number longer than 9 characters may continue into the optional data.
    pub long_document_number: bool,
}

/// For the tests' sweep of substitutions.
#[cfg(test)]
impl Layout {
    /// Every check digit's place.
    pub fn check_digit_positions(&self) -> impl Iterator<Item = Position> + '_ {
        [self.document_number_check, self.date_of_birth_check, self.date_of_expiry_check, self.composite_check]
            .into_iter()
            .chain(self.optional_data_check)
    }

    /// Whether some check digit covers the character at `position` (or is that character).
    pub fn is_under_check_digit(&self, position: Position) -> bool {
        self.composite.iter().any(|span| span.contains(position))
            || self.check_digit_positions().any(|check| check == position)
    }
}

/// Part 5 §4.2.2: upper line code, state, number, check, optional data; middle line birth, sex,
/// expiry, nationality, optional data, composite; lower line name.
const TD1: Layout = Layout {
    format: Format::Td1,
    line_count: 3,
    line_length: 30,
    document_code: Span::new(0, 0, 2),
    issuing_state: Span::new(0, 2, 3),
    document_number: Span::new(0, 5, 9),
    document_number_check: Position::new(0, 14),
    optional_data: Span::new(0, 15, 15),
    date_of_birth: Span::new(1, 0, 6),
    date_of_birth_check: Position::new(1, 6),
    sex: Position::new(1, 7),
    date_of_expiry: Span::new(1, 8, 6),
    date_of_expiry_check: Position::new(1, 14),
    nationality: Span::new(1, 15, 3),
    optional_data_2: Some(Span::new(1, 18, 11)),
    optional_data_check: None,
    // Upper line positions 6–30, middle line 1–7, 9–15 and 19–29.
    composite: &[Span::new(0, 5, 25), Span::new(1, 0, 7), Span::new(1, 8, 7), Span::new(1, 18, 11)],
    composite_check: Position::new(1, 29),
    name: Span::new(2, 0, 30),
    long_document_number: true,
};

/// Part 6 §4.2.2: upper line code, state, name; lower line number, check, nationality, birth, sex,
/// expiry, optional data, composite.
const TD2: Layout = Layout {
    format: Format::Td2,
    line_count: 2,
    line_length: 36,
    document_code: Span::new(0, 0, 2),
    issuing_state: Span::new(0, 2, 3),
    name: Span::new(0, 5, 31),
    document_number: Span::new(1, 0, 9),
    document_number_check: Position::new(1, 9),
    nationality: Span::new(1, 10, 3),
    date_of_birth: Span::new(1, 13, 6),
    date_of_birth_check: Position::new(1, 19),
    sex: Position::new(1, 20),
    date_of_expiry: Span::new(1, 21, 6),
    date_of_expiry_check: Position::new(1, 27),
    optional_data: Span::new(1, 28, 7),
    optional_data_2: None,
    optional_data_check: None,
    // Lower line positions 1–10, 14–20 and 22–35.
    composite: &[Span::new(1, 0, 10), Span::new(1, 13, 7), Span::new(1, 21, 14)],
    composite_check: Position::new(1, 35),
    long_document_number: true,
};

/// Part 4 §4.2.2: upper line code, state, name; lower line number, check, nationality, birth, sex,
/// expiry, personal number and its check, composite.
const TD3: Layout = Layout {
    format: Format::Td3,
    line_count: 2,
    line_length: 44,
    document_code: Span::new(0, 0, 2),
    issuing_state: Span::new(0, 2, 3),
    name: Span::new(0, 5, 39),
    document_number: Span::new(1, 0, 9),
    document_number_check: Position::new(1, 9),
    nationality: Span::new(1, 10, 3),
    date_of_birth: Span::new(1, 13, 6),
    date_of_birth_check: Position::new(1, 19),
    sex: Position::new(1, 20),
    date_of_expiry: Span::new(1, 21, 6),
    date_of_expiry_check: Position::new(1, 27),
    optional_data: Span::new(1, 28, 14),
    optional_data_2: None,
    optional_data_check: Some(Position::new(1, 42)),
    // Lower line positions 1–10, 14–20 and 22–43.
    composite: &[Span::new(1, 0, 10), Span::new(1, 13, 7), Span::new(1, 21, 22)],
    composite_check: Position::new(1, 43),
    long_document_number: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of a format, so the tests can see that they tile the lines exactly.
    fn spans(layout: &Layout) -> Vec<Span> {
        let single = |p: Position| Span::new(p.line, p.column, 1);
        let mut spans = vec![
            layout.document_code,
            layout.issuing_state,
            layout.name,
            layout.document_number,
            single(layout.document_number_check),
            layout.nationality,
            layout.date_of_birth,
            single(layout.date_of_birth_check),
            single(layout.sex),
            layout.date_of_expiry,
            single(layout.date_of_expiry_check),
            layout.optional_data,
            single(layout.composite_check),
        ];
        spans.extend(layout.optional_data_2);
        spans.extend(layout.optional_data_check.map(single));
        spans
    }

    #[test]
    fn fields_cover_every_position_exactly_once() {
        for format in [Format::Td1, Format::Td2, Format::Td3] {
            let layout = format.layout();
            assert_eq!(layout.format, format);
            let mut seen = vec![vec![0u8; layout.line_length]; layout.line_count];
            for span in spans(layout) {
                for count in &mut seen[span.line][span.start..span.end()] {
                    *count += 1;
                }
            }
            assert!(seen.iter().flatten().all(|count| *count == 1), "{format:?}: {seen:?}");
        }
    }

    #[test]
    fn composite_covers_the_icao_positions() {
        let covered = |format: Format| -> usize { format.layout().composite.iter().map(|s| s.len).sum() };
        // Part 5: 25 + 7 + 7 + 11; Part 6: 10 + 7 + 14; Part 4: 10 + 7 + 22.
        assert_eq!(covered(Format::Td1), 50);
        assert_eq!(covered(Format::Td2), 31);
        assert_eq!(covered(Format::Td3), 39);
    }

    #[test]
    fn format_follows_line_count_and_length() {
        assert_eq!(Format::for_line_lengths(&[30, 30, 30]), Some(Format::Td1));
        assert_eq!(Format::for_line_lengths(&[44, 44]), Some(Format::Td3));
        assert_eq!(Format::for_line_lengths(&[36, 36]), Some(Format::Td2));
        assert_eq!(Format::for_line_lengths(&[43, 44]), Some(Format::Td3));
        assert_eq!(Format::for_line_lengths(&[35, 44]), Some(Format::Td3));
        assert_eq!(Format::for_line_lengths(&[43, 42]), Some(Format::Td3));
        assert_eq!(Format::for_line_lengths(&[37, 12]), Some(Format::Td2));
        assert_eq!(Format::for_line_lengths(&[44]), None);
        assert_eq!(Format::for_line_lengths(&[30, 30, 30, 30]), None);
    }
}
