//! Fees the kiosk computes before payment: the certified-copy fee ("phí chứng thực bản sao từ bản
//! chính").
//!
//! The rates are set by Circular 226/2016/TT-BTC of 11 November 2016 (Ministry of Finance), Art. 4,
//! fee table: 2,000 VND per page, 1,000 VND per page from the third page on, at most 200,000 VND per
//! copy, pages counted on the original ("trang là căn cứ để thu phí được tính theo trang của bản
//! chính"). DESIGN.md requires every money rule to live in configuration, so every figure here comes
//! from a [`FeeSchedule`]; its [`Default`] holds the Circular's values.
//!
//! Money is whole Vietnamese đồng (`u64`); the đồng has no subunit in use, so there are no floats and
//! no rounding anywhere.

use serde::{Deserialize, Serialize};

/// The certified-copy fee schedule: the `[fees]` configuration section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeSchedule {
    /// Fee per page, in VND, for the first `first_pages` pages of each copy
    /// (Circular 226/2016/TT-BTC Art. 4: 2,000 VND).
    pub first_page_fee_vnd: u64,
    /// How many pages of each copy are charged at `first_page_fee_vnd`
    /// (Circular 226/2016/TT-BTC Art. 4: pages 1 and 2, so 2).
    pub first_pages: u32,
    /// Fee per page, in VND, for every later page of each copy
    /// (Circular 226/2016/TT-BTC Art. 4: 1,000 VND "from the third page on").
    pub later_page_fee_vnd: u64,
    /// Most a single copy can cost, in VND, however many pages it has
    /// (Circular 226/2016/TT-BTC Art. 4: 200,000 VND per copy).
    pub max_per_copy_vnd: u64,
    /// Pages an identity card counts as: both sides of the card are one page of the original unless
    /// the executing agency counts them otherwise (DESIGN.md).
    pub card_pages: u32,
    /// Translation key of the note shown with the "home delivery by post" receipt method: the postal
    /// fee is collected by the postman on delivery, never charged at the kiosk (DESIGN.md).
    pub postal_delivery_note: String,
}

impl Default for FeeSchedule {
    /// The rates of Circular 226/2016/TT-BTC Art. 4; a card counts as one page.
    fn default() -> Self {
        FeeSchedule {
            first_page_fee_vnd: 2_000,
            first_pages: 2,
            later_page_fee_vnd: 1_000,
            max_per_copy_vnd: 200_000,
            card_pages: 1,
            postal_delivery_note: "fee.postal.collected_on_delivery".to_owned(),
        }
    }
}

/// Why a fee cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// At least one copy must be ordered.
    #[error("the number of copies must be at least 1")]
    NoCopies,
    /// The original must have at least one page.
    #[error("the original must have at least one page")]
    NoPages,
    /// The amount does not fit in a `u64` (only possible with an absurd schedule or request).
    #[error("the fee is too large to compute")]
    Overflow,
}

/// What a line of a fee breakdown charges for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeItem {
    /// Pages charged at the first-page rate (pages 1–2 under the Circular).
    FirstPages,
    /// Pages charged at the later-page rate (page 3 on under the Circular).
    LaterPages,
}

/// One line of a per-copy fee: `pages × unit_fee_vnd = amount_vnd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeeLine {
    /// What the line charges for.
    pub item: FeeItem,
    /// Pages of one copy charged on this line.
    pub pages: u32,
    /// Fee per page, in VND.
    pub unit_fee_vnd: u64,
    /// `pages × unit_fee_vnd`, in VND.
    pub amount_vnd: u64,
}

/// A computed certified-copy fee, ready to show on the fee screen and print on the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeBreakdown {
    /// Pages of the original, counted as the Circular counts them.
    pub pages_per_original: u32,
    /// The lines of one copy, before the cap; lines with no pages are left out.
    pub lines: Vec<FeeLine>,
    /// Sum of the lines, in VND, before the per-copy cap.
    pub per_copy_before_cap_vnd: u64,
    /// Whether the per-copy cap lowered the fee.
    pub capped: bool,
    /// Fee for one copy, in VND, after the cap.
    pub per_copy_vnd: u64,
    /// Number of copies ordered.
    pub copies: u32,
    /// `per_copy_vnd × copies`, in VND: the amount to pay at the kiosk.
    pub total_vnd: u64,
}

impl FeeSchedule {
    /// Checks the schedule; on error returns the offending field and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |field: &str, reason: &str| Err((field.to_owned(), reason.to_owned()));
        if self.first_pages == 0 {
            return invalid("first_pages", "must be at least 1");
        }
        if self.max_per_copy_vnd == 0 {
            return invalid("max_per_copy_vnd", "must be more than 0 (a zero cap would make every copy free)");
        }
        // The Circular's schedule is degressive: later pages never cost more than the first ones.
        if self.later_page_fee_vnd > self.first_page_fee_vnd {
            return invalid("later_page_fee_vnd", "must not exceed first_page_fee_vnd");
        }
        if self.card_pages == 0 {
            return invalid("card_pages", "must be at least 1");
        }
        if self.postal_delivery_note.trim().is_empty() {
            return invalid("postal_delivery_note", "must name a translation key");
        }
        Ok(())
    }

    /// The fee for `copies` certified copies of an original of `pages_per_original` pages
    /// (Circular 226/2016/TT-BTC Art. 4: the per-page rates and the cap apply to each copy).
    pub fn certified_copy(&self, copies: u32, pages_per_original: u32) -> Result<FeeBreakdown, FeeError> {
        if copies == 0 {
            return Err(FeeError::NoCopies);
        }
        if pages_per_original == 0 {
            return Err(FeeError::NoPages);
        }
        let first_pages = pages_per_original.min(self.first_pages);
        let later_pages = pages_per_original - first_pages;
        let lines: Vec<FeeLine> = [
            (FeeItem::FirstPages, first_pages, self.first_page_fee_vnd),
            (FeeItem::LaterPages, later_pages, self.later_page_fee_vnd),
        ]
        .into_iter()
        .filter(|&(_, pages, _)| pages > 0)
        .map(|(item, pages, unit_fee_vnd)| {
            let amount_vnd = unit_fee_vnd.checked_mul(u64::from(pages)).ok_or(FeeError::Overflow)?;
            Ok(FeeLine { item, pages, unit_fee_vnd, amount_vnd })
        })
        .collect::<Result<_, FeeError>>()?;
        let per_copy_before_cap_vnd =
            lines.iter().try_fold(0u64, |sum, line| sum.checked_add(line.amount_vnd)).ok_or(FeeError::Overflow)?;
        let per_copy_vnd = per_copy_before_cap_vnd.min(self.max_per_copy_vnd);
        let total_vnd = per_copy_vnd.checked_mul(u64::from(copies)).ok_or(FeeError::Overflow)?;
        Ok(FeeBreakdown {
            pages_per_original,
            lines,
            per_copy_before_cap_vnd,
            capped: per_copy_vnd < per_copy_before_cap_vnd,
            per_copy_vnd,
            copies,
            total_vnd,
        })
    }

    /// The fee for `copies` certified copies of an identity card, counted as `card_pages` pages.
    pub fn certified_copy_of_card(&self, copies: u32) -> Result<FeeBreakdown, FeeError> {
        self.certified_copy(copies, self.card_pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_copy(pages: u32) -> u64 {
        FeeSchedule::default().certified_copy(1, pages).unwrap().total_vnd
    }

    #[test]
    fn default_schedule_is_valid() {
        assert_eq!(FeeSchedule::default().validate(), Ok(()));
    }

    #[test]
    fn one_and_two_pages_cost_the_first_page_rate() {
        assert_eq!(one_copy(1), 2_000);
        assert_eq!(one_copy(2), 4_000);
    }

    #[test]
    fn third_page_costs_the_later_page_rate() {
        assert_eq!(one_copy(3), 5_000);
    }

    #[test]
    fn hundred_pages_sum_both_rates() {
        let fee = FeeSchedule::default().certified_copy(1, 100).unwrap();
        assert_eq!(fee.total_vnd, 2_000 * 2 + 1_000 * 98);
        assert_eq!(fee.total_vnd, 102_000);
        assert!(!fee.capped);
        assert_eq!(
            fee.lines,
            vec![
                FeeLine { item: FeeItem::FirstPages, pages: 2, unit_fee_vnd: 2_000, amount_vnd: 4_000 },
                FeeLine { item: FeeItem::LaterPages, pages: 98, unit_fee_vnd: 1_000, amount_vnd: 98_000 },
            ]
        );
    }

    #[test]
    fn two_hundred_fifty_pages_hit_the_cap() {
        let fee = FeeSchedule::default().certified_copy(1, 250).unwrap();
        assert_eq!(fee.per_copy_before_cap_vnd, 252_000);
        assert!(fee.capped);
        assert_eq!(fee.per_copy_vnd, 200_000);
        assert_eq!(fee.total_vnd, 200_000);
    }

    #[test]
    fn copies_multiply_the_capped_per_copy_fee() {
        let schedule = FeeSchedule::default();
        assert_eq!(schedule.certified_copy(4, 3).unwrap().total_vnd, 20_000);
        let capped = schedule.certified_copy(3, 250).unwrap();
        assert_eq!((capped.per_copy_vnd, capped.copies, capped.total_vnd), (200_000, 3, 600_000));
    }

    #[test]
    fn card_counts_as_one_page() {
        let fee = FeeSchedule::default().certified_copy_of_card(3).unwrap();
        assert_eq!(fee.pages_per_original, 1);
        assert_eq!(fee.per_copy_vnd, 2_000);
        assert_eq!(fee.total_vnd, 6_000);
    }

    #[test]
    fn zero_copies_or_pages_are_errors() {
        let schedule = FeeSchedule::default();
        assert_eq!(schedule.certified_copy(0, 1), Err(FeeError::NoCopies));
        assert_eq!(schedule.certified_copy(1, 0), Err(FeeError::NoPages));
    }

    #[test]
    fn overflow_is_an_error() {
        let schedule = FeeSchedule { first_page_fee_vnd: u64::MAX, max_per_copy_vnd: u64::MAX, ..Default::default() };
        assert_eq!(schedule.certified_copy(1, 2), Err(FeeError::Overflow));
        let schedule =
            FeeSchedule { max_per_copy_vnd: u64::MAX / 2, first_page_fee_vnd: u64::MAX / 2, ..Default::default() };
        assert_eq!(schedule.certified_copy(u32::MAX, 1), Err(FeeError::Overflow));
    }

    #[test]
    fn custom_schedule_from_toml() {
        let schedule: FeeSchedule = toml::from_str(
            "first_page_fee_vnd = 3000\nfirst_pages = 1\nlater_page_fee_vnd = 500\nmax_per_copy_vnd = 10000\ncard_pages = 2\n",
        )
        .unwrap();
        assert_eq!(schedule.validate(), Ok(()));
        assert_eq!(schedule.postal_delivery_note, FeeSchedule::default().postal_delivery_note);
        assert_eq!(schedule.certified_copy(1, 3).unwrap().total_vnd, 3_000 + 2 * 500);
        assert_eq!(schedule.certified_copy(2, 100).unwrap().total_vnd, 20_000);
        assert_eq!(schedule.certified_copy_of_card(1).unwrap().total_vnd, 3_500);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(toml::from_str::<FeeSchedule>("first_page_fee = 2000\n").is_err());
    }

    #[test]
    fn invalid_schedules_name_the_field() {
        let field_of = |schedule: FeeSchedule| schedule.validate().unwrap_err().0;
        assert_eq!(field_of(FeeSchedule { max_per_copy_vnd: 0, ..Default::default() }), "max_per_copy_vnd");
        assert_eq!(field_of(FeeSchedule { later_page_fee_vnd: 2_001, ..Default::default() }), "later_page_fee_vnd");
        assert_eq!(field_of(FeeSchedule { first_pages: 0, ..Default::default() }), "first_pages");
        assert_eq!(field_of(FeeSchedule { card_pages: 0, ..Default::default() }), "card_pages");
        assert_eq!(
            field_of(FeeSchedule { postal_delivery_note: " ".into(), ..Default::default() }),
            "postal_delivery_note"
        );
    }

    #[test]
    fn breakdown_serializes_for_the_receipt() {
        let json = serde_json::to_value(FeeSchedule::default().certified_copy(2, 3).unwrap()).unwrap();
        assert_eq!(json["total_vnd"], 10_000);
        assert_eq!(json["lines"][1]["item"], "later_pages");
    }
}
