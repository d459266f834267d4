//! Vietnam's administrative units (2-tier model, in force since 2025-07-01): loading, checking, lookup
//! and accent-tolerant search.
//!
//! Search compares words, not raw strings, on two keys built from the Unicode canonical decomposition
//! (NFD) of each name:
//! - the *folded* key: every mark removed, `đ` → `d`, lower case: "Thành phố Hà Nội" → `thanh pho ha noi`.
//!   A unit matches when the query's folded words are consecutive words of its name (the last one may
//!   be a prefix, so the list narrows while the citizen types);
//! - the *toned* key: vowel-quality marks (circumflex, breve, horn) kept, the tone mark taken out of the
//!   letters and kept per word. "Hoà" (new placement) and "Hòa" (old placement), "Thuỷ"/"Thủy",
//!   "Qúy"/"Quý" give the same toned word; a match whose toned words equal the query's ranks first.
//!
//! Composed (NFC) and decomposed (NFD) input are treated alike because both go through NFD.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Where the list ships, relative to the working directory of the kiosk.
pub const DEFAULT_PATH: &str = "configs/admin-units-2025.json";

/// Provinces and centrally-run cities since 2025-07-01 (Resolution 202/2025/QH15, Art. 1).
pub const EXPECTED_PROVINCES: usize = 34;

/// A province or centrally-run city ("tỉnh", "thành phố trực thuộc trung ương").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    /// Official 2-digit code, zero-padded (`"01"` Hà Nội).
    pub code: String,
    /// Full name with its kind, in NFC: "Thành phố Hà Nội", "Tỉnh Cao Bằng".
    pub name: String,
    /// Name without its kind: "Hà Nội".
    pub short_name: String,
    /// Its communes, wards and special zones, in code order.
    pub communes: Vec<Commune>,
}

/// A commune-level unit: commune, ward or special zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    /// Official 5-digit code, zero-padded (`"00004"` Phường Ba Đình).
    pub code: String,
    /// Full name with its kind, in NFC: "Phường Ba Đình".
    pub name: String,
    /// Name without its kind: "Ba Đình".
    pub short_name: String,
    /// Commune, ward or special zone.
    #[serde(rename = "type")]
    pub kind: CommuneKind,
}

/// The three kinds of commune-level unit of the 2-tier model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CommuneKind {
    /// "Phường": urban ward.
    #[serde(rename = "Phường")]
    Ward,
    /// "Xã": rural commune.
    #[serde(rename = "Xã")]
    Commune,
    /// "Đặc khu": special zone (island districts).
    #[serde(rename = "Đặc khu")]
    SpecialZone,
}

/// The file as shipped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitsFile {
    /// Provenance line.
    source: String,
    provinces: Vec<Province>,
}

/// What is wrong with the content of an admin-unit file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not the 34 provinces of the 2-tier model.
    #[error("{found} provinces, expected {EXPECTED_PROVINCES}")]
    ProvinceCount {
        /// How many the file holds.
        found: usize,
    },
    /// A province code that is not 2 digits.
    #[error("province code {0:?} is not 2 digits")]
    ProvinceCode(String),
    /// A commune code that is not 5 digits.
    #[error("commune code {code:?} (province {province}) is not 5 digits")]
    CommuneCode {
        /// The province it is listed under.
        province: String,
        /// The code.
        code: String,
    },
    /// A province code listed twice.
    #[error("province code {0} appears twice")]
    DuplicateProvince(String),
    /// A commune code listed twice.
    #[error("commune code {0} appears twice")]
    DuplicateCommune(String),
    /// A unit with an empty name or short name.
    #[error("unit {0} has an empty name")]
    EmptyName(String),
    /// A province without communes.
    #[error("province {0} has no communes")]
    NoCommunes(String),
}

/// Why the admin-unit list cannot be loaded; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AdminUnitsError {
    /// The file cannot be read.
    #[error("{}: cannot read the administrative-unit list: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape.
    #[error("{}: not a valid administrative-unit list: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error (with line and column).
        source: serde_json::Error,
    },
    /// The content breaks a rule of the 2-tier model.
    #[error("{}: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: Problem,
    },
}

/// One search result: a province, or a commune with its province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    /// The province, or the province of the commune.
    pub province: &'a Province,
    /// The commune, for a commune match.
    pub commune: Option<&'a Commune>,
    /// Whether the name carries the same diacritics as the query (tone placement aside).
    pub exact_diacritics: bool,
}

impl Match<'_> {
    /// Code of the matched unit (5 digits for a commune, 2 for a province).
    pub fn code(&self) -> &str {
        self.commune.map_or(&self.province.code, |commune| &commune.code)
    }

    /// Full name of the matched unit.
    pub fn name(&self) -> &str {
        self.commune.map_or(&self.province.name, |commune| &commune.name)
    }
}

/// The loaded, checked and indexed list of administrative units.
#[derive(Debug, Clone)]
pub struct AdminUnits {
    source: String,
    provinces: Vec<Province>,
    province_index: HashMap<String, usize>,
    commune_index: HashMap<String, (usize, usize)>,
    search_index: Vec<Entry>,
}

impl AdminUnits {
    /// Reads, checks and indexes the list at `path`.
    pub fn load(path: &Path) -> Result<Self, AdminUnitsError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| AdminUnitsError::Read { path: path.to_owned(), source })?;
        Self::from_json(&text, path)
    }

    /// Parses, checks and indexes list text; `path` names it in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, AdminUnitsError> {
        let file: UnitsFile =
            serde_json::from_str(text).map_err(|source| AdminUnitsError::Parse { path: path.to_owned(), source })?;
        Self::new(file.source, file.provinces)
            .map_err(|problem| AdminUnitsError::Invalid { path: path.to_owned(), problem })
    }

    fn new(source: String, provinces: Vec<Province>) -> Result<Self, Problem> {
        if provinces.len() != EXPECTED_PROVINCES {
            return Err(Problem::ProvinceCount { found: provinces.len() });
        }
        let mut province_index = HashMap::with_capacity(provinces.len());
        let mut commune_index = HashMap::new();
        for (p, province) in provinces.iter().enumerate() {
            if !is_code(&province.code, 2) {
                return Err(Problem::ProvinceCode(province.code.clone()));
            }
            check_names(&province.code, &province.name, &province.short_name)?;
            if province.communes.is_empty() {
                return Err(Problem::NoCommunes(province.code.clone()));
            }
            if province_index.insert(province.code.clone(), p).is_some() {
                return Err(Problem::DuplicateProvince(province.code.clone()));
            }
            for (c, commune) in province.communes.iter().enumerate() {
                if !is_code(&commune.code, 5) {
                    return Err(Problem::CommuneCode { province: province.code.clone(), code: commune.code.clone() });
                }
                check_names(&commune.code, &commune.name, &commune.short_name)?;
                if commune_index.insert(commune.code.clone(), (p, c)).is_some() {
                    return Err(Problem::DuplicateCommune(commune.code.clone()));
                }
            }
        }
        let search_index = build_search_index(&provinces);
        Ok(AdminUnits { source, provinces, province_index, commune_index, search_index })
    }

    /// The provenance line of the file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All provinces, in code order as listed.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// Number of communes, wards and special zones.
    pub fn commune_count(&self) -> usize {
        self.commune_index.len()
    }

    /// The province with this 2-digit code.
    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_index.get(code).map(|&p| &self.provinces[p])
    }

    /// The communes of the province with this 2-digit code.
    pub fn communes_of(&self, province_code: &str) -> Option<&[Commune]> {
        self.province(province_code).map(|province| province.communes.as_slice())
    }

    /// The commune with this 5-digit code, with its province.
    pub fn commune(&self, code: &str) -> Option<(&Province, &Commune)> {
        self.commune_index.get(code).map(|&(p, c)| (&self.provinces[p], &self.provinces[p].communes[c]))
    }

    /// Provinces and communes whose name matches `text`, best first, at most `limit`.
    pub fn search(&self, text: &str, limit: usize) -> Vec<Match<'_>> {
        self.ranked(text, limit, |_| true)
    }

    /// Provinces whose name matches `text`, best first, at most `limit`.
    pub fn search_provinces(&self, text: &str, limit: usize) -> Vec<Match<'_>> {
        self.ranked(text, limit, |entry| entry.commune.is_none())
    }

    /// Communes of the province `province_code` whose name matches `text`, best first, at most `limit`;
    /// empty for an unknown province.
    pub fn search_communes(&self, province_code: &str, text: &str, limit: usize) -> Vec<Match<'_>> {
        let Some(&p) = self.province_index.get(province_code) else { return Vec::new() };
        self.ranked(text, limit, |entry| entry.province == p && entry.commune.is_some())
    }

    fn ranked(&self, text: &str, limit: usize, keep: impl Fn(&Entry) -> bool) -> Vec<Match<'_>> {
        let query = words_of(text);
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut hits: Vec<(Rank, &Entry)> = self
            .search_index
            .iter()
            .filter(|entry| keep(entry))
            .filter_map(|entry| entry.rank(&query).map(|rank| (rank, entry)))
            .collect();
        hits.sort_by_key(|&(rank, _)| rank);
        hits.into_iter()
            .take(limit)
            .map(|(rank, entry)| {
                let province = &self.provinces[entry.province];
                Match {
                    province,
                    commune: entry.commune.map(|c| &province.communes[c]),
                    exact_diacritics: rank.diacritics == 0,
                }
            })
            .collect()
    }
}

fn is_code(code: &str, digits: usize) -> bool {
    code.len() == digits && code.bytes().all(|b| b.is_ascii_digit())
}

fn check_names(code: &str, name: &str, short_name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() || short_name.trim().is_empty() {
        return Err(Problem::EmptyName(code.to_owned()));
    }
    Ok(())
}

/// One word of a name, in both keys.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    /// No marks, `đ` → `d`, lower case.
    folded: String,
    /// Lower case NFD with vowel-quality marks but without the tone mark.
    toneless: String,
    /// The tone mark (a combining character), if any.
    tone: Option<char>,
}

/// The five Vietnamese tone marks as combining characters: huyền, sắc, ngã, hỏi, nặng.
fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{0300}' | '\u{0301}' | '\u{0303}' | '\u{0309}' | '\u{0323}')
}

/// Splits text into words on anything but letters, digits and marks; apostrophes ("Ea H'Leo",
/// "Cư M'gar") join rather than split, so "hleo" and "h'leo" both match.
fn words_of(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut word = Word { folded: String::new(), toneless: String::new(), tone: None };
    for c in text.nfd().flat_map(char::to_lowercase) {
        if is_tone_mark(c) {
            word.tone = word.tone.or(Some(c));
        } else if is_combining_mark(c) {
            word.toneless.push(c);
        } else if c.is_alphanumeric() {
            word.folded.push(if c == 'đ' { 'd' } else { c });
            word.toneless.push(c);
        } else if !matches!(c, '\'' | '\u{2019}') && !word.folded.is_empty() {
            words.push(std::mem::replace(
                &mut word,
                Word { folded: String::new(), toneless: String::new(), tone: None },
            ));
        }
    }
    if !word.folded.is_empty() {
        words.push(word);
    }
    words
}

/// One searchable unit.
#[derive(Debug, Clone)]
struct Entry {
    province: usize,
    commune: Option<usize>,
    /// Words of the short name, then of the full name (which adds the kind, "Phường", "Tỉnh", ...).
    short_name: Vec<Word>,
    name: Vec<Word>,
}

/// Sort key of a hit: smaller is better, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// 0 when the diacritics match the query's.
    diacritics: u8,
    /// 0 when the query's last word is a whole word of the name, 1 when it is a prefix.
    partial: u8,
    /// 0: the query is the whole short name; 1: it starts the short name; 2: elsewhere in the name.
    position: u8,
    /// Provinces before communes.
    commune: bool,
    /// Then the order of the list (code order).
    order: usize,
}

impl Entry {
    fn rank(&self, query: &[Word]) -> Option<Rank> {
        let mut best: Option<Rank> = None;
        for (words, in_short_name) in [(&self.short_name, true), (&self.name, false)] {
            for start in 0..words.len() {
                let Some((diacritics, partial)) = match_at(&words[start..], query) else { continue };
                let position = match (in_short_name, start) {
                    (true, 0) if query.len() == words.len() => 0,
                    (true, 0) => 1,
                    _ => 2,
                };
                let order = self.province * 10_000 + self.commune.map_or(0, |c| c + 1);
                let rank = Rank { diacritics, partial, position, commune: self.commune.is_some(), order };
                best = Some(best.map_or(rank, |b| b.min(rank)));
            }
        }
        best
    }
}

/// Whether `query` matches the words at the start of `words`: every word equal when folded, the last
/// one possibly a prefix. Returns (diacritics mismatch, last word partial) as 0/1.
fn match_at(words: &[Word], query: &[Word]) -> Option<(u8, u8)> {
    if words.len() < query.len() {
        return None;
    }
    let (last, init) = query.split_last()?;
    let mut same_diacritics = true;
    for (q, w) in init.iter().zip(words) {
        if q.folded != w.folded {
            return None;
        }
        same_diacritics &= q.toneless == w.toneless && q.tone == w.tone;
    }
    let w = &words[init.len()];
    if !w.folded.starts_with(&last.folded) {
        return None;
    }
    same_diacritics &= w.toneless.starts_with(&last.toneless) && last.tone == w.tone;
    Some((u8::from(!same_diacritics), u8::from(w.folded != last.folded)))
}

fn build_search_index(provinces: &[Province]) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(provinces.len() + provinces.iter().map(|p| p.communes.len()).sum::<usize>());
    for (p, province) in provinces.iter().enumerate() {
        entries.push(Entry {
            province: p,
            commune: None,
            short_name: words_of(&province.short_name),
            name: words_of(&province.name),
        });
    }
    for (p, province) in provinces.iter().enumerate() {
        for (c, commune) in province.communes.iter().enumerate() {
            entries.push(Entry {
                province: p,
                commune: Some(c),
                short_name: words_of(&commune.short_name),
                name: words_of(&commune.name),
            });
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::OnceLock;

    use super::*;

    fn units() -> &'static AdminUnits {
        static UNITS: OnceLock<AdminUnits> = OnceLock::new();
        UNITS.get_or_init(|| {
            AdminUnits::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH)).expect("shipped list loads")
        })
    }

    fn codes(matches: &[Match<'_>]) -> BTreeSet<String> {
        matches.iter().map(|m| m.code().to_owned()).collect()
    }

    #[test]
    fn shipped_list_has_34_provinces_and_3321_communes() {
        let units = units();
        assert_eq!(units.provinces().len(), 34);
        assert_eq!(units.commune_count(), 3_321);
        assert!(units.source().contains("vietnamadminunits"));
    }

    #[test]
    fn lookup_by_code() {
        let units = units();
        assert_eq!(units.province("01").unwrap().name, "Thành phố Hà Nội");
        let (province, commune) = units.commune("00004").unwrap();
        assert_eq!((province.code.as_str(), commune.name.as_str()), ("01", "Phường Ba Đình"));
        assert_eq!(commune.kind, CommuneKind::Ward);
        assert_eq!(units.communes_of("01").unwrap().first().unwrap().code, "00004");
        assert!(units.province("99").is_none());
        assert!(units.commune("99999").is_none());
        assert!(units.communes_of("1").is_none());
    }

    #[test]
    fn ha_noi_finds_the_city_first() {
        let hits = units().search("ha noi", 5);
        assert_eq!(hits[0].name(), "Thành phố Hà Nội");
        assert!(hits[0].commune.is_none());
        assert_eq!(units().search("HÀ NỘI", 1)[0].code(), "01");
    }

    #[test]
    fn tone_placement_and_diacritics_do_not_change_the_matches() {
        let plain = codes(&units().search("hoa", usize::MAX));
        assert!(plain.len() > 50);
        for query in ["hòa", "hoà", "Hoà", "HÒA", "ho\u{0300}a", "hoa\u{0300}"] {
            assert_eq!(codes(&units().search(query, usize::MAX)), plain, "{query}");
        }
        assert_eq!(units().search("hòa", 20), units().search("hoà", 20));
    }

    #[test]
    fn old_and_new_tone_placement_are_exact_matches() {
        for query in ["Quý Hòa", "Qúy Hoà", "quy hoa"] {
            let hits = units().search(query, 3);
            assert_eq!(hits[0].commune.unwrap().short_name, "Quý Hòa", "{query}");
            assert_eq!(hits[0].exact_diacritics, query != "quy hoa", "{query}");
        }
    }

    #[test]
    fn exact_diacritics_rank_first() {
        let hits = units().search("hòa", usize::MAX);
        let first_inexact = hits.iter().position(|m| !m.exact_diacritics).unwrap();
        assert!(first_inexact > 0);
        assert!(hits[first_inexact..].iter().all(|m| !m.exact_diacritics));
        // Whole-word "Hòa" before "Hoàng": both carry the same tone, but "hòa" is only a prefix of "hoàng".
        assert!(hits[0].name().split(' ').any(|word| word == "Hòa"), "{}", hits[0].name());
        // Typed without diacritics, "hoa" ranks the plain "Hoa" of "Hoàng Hoa Thám" above every "Hòa".
        let hits = units().search("hoa", usize::MAX);
        assert!(hits[0].exact_diacritics);
        assert!(hits[0].name().split(' ').any(|word| word == "Hoa"), "{}", hits[0].name());
    }

    #[test]
    fn commune_search_is_restricted_to_the_province() {
        let units = units();
        let hits = units.search_communes("01", "ba dinh", 10);
        assert_eq!(hits[0].name(), "Phường Ba Đình");
        let in_ha_noi = units.search_communes("01", "hoa", usize::MAX);
        assert!(!in_ha_noi.is_empty());
        assert!(in_ha_noi.iter().all(|m| m.province.code == "01" && m.commune.is_some()));
        assert!(in_ha_noi.len() < units.search("hoa", usize::MAX).len());
        assert!(units.search_communes("79", "ba dinh", 10).is_empty());
        assert!(units.search_communes("00", "hoa", 10).is_empty());
    }

    #[test]
    fn province_search_and_partial_words() {
        let hits = units().search_provinces("khanh h", 5);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].name(), "Tỉnh Khánh Hòa");
        assert!(units().search("Phường Văn Miếu", 1)[0].name().starts_with("Phường Văn Miếu - Quốc Tử Giám"));
        assert_eq!(units().search("ea hleo", 1)[0].name(), "Xã Ea H'Leo");
        assert_eq!(units().search("Ea H'Leo", 1)[0].name(), "Xã Ea H'Leo");
    }

    #[test]
    fn unknown_or_empty_text_finds_nothing() {
        assert!(units().search("xyzzy", 10).is_empty());
        assert!(units().search("", 10).is_empty());
        assert!(units().search(" - ", 10).is_empty());
        assert!(units().search("ha noi", 0).is_empty());
    }

    #[test]
    fn invalid_lists_are_rejected_naming_the_file() {
        let path = Path::new("configs/broken.json");
        let province = |code: &str, commune: &str| {
            format!(
                r#"{{"code":"{code}","name":"Tỉnh A","short_name":"A","communes":[{{"code":"{commune}","name":"Xã B","short_name":"B","type":"Xã"}}]}}"#
            )
        };
        let file = |provinces: Vec<String>| format!(r#"{{"source":"test","provinces":[{}]}}"#, provinces.join(","));
        let valid: Vec<String> = (1..=34).map(|i| province(&format!("{i:02}"), &format!("{i:05}"))).collect();
        assert!(AdminUnits::from_json(&file(valid.clone()), path).is_ok());

        let problem = |provinces: Vec<String>| match AdminUnits::from_json(&file(provinces), path) {
            Err(AdminUnitsError::Invalid { path: p, problem }) => {
                assert_eq!(p, path);
                problem
            }
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert_eq!(problem(valid[..33].to_vec()), Problem::ProvinceCount { found: 33 });
        let mut bad = valid.clone();
        bad[3] = province("4", "00004");
        assert_eq!(problem(bad), Problem::ProvinceCode("4".into()));
        let mut bad = valid.clone();
        bad[3] = province("03", "00099");
        assert_eq!(problem(bad), Problem::DuplicateProvince("03".into()));
        let mut bad = valid.clone();
        bad[3] = province("04", "00003");
        assert_eq!(problem(bad), Problem::DuplicateCommune("00003".into()));
        let mut bad = valid;
        bad[3] = province("04", "4");
        assert_eq!(problem(bad), Problem::CommuneCode { province: "04".into(), code: "4".into() });

        let error = AdminUnits::from_json("{\"source\":\"x\",\"provinces\":[],\"extra\":1}", path).unwrap_err();
        assert!(matches!(error, AdminUnitsError::Parse { .. }));
        assert!(error.to_string().starts_with("configs/broken.json: "), "{error}");
        let error = AdminUnits::load(Path::new("/nonexistent/units.json")).unwrap_err();
        assert!(error.to_string().starts_with("/nonexistent/units.json: cannot read"), "{error}");
    }
}
