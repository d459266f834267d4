//! The executing agency of a dossier: the province or centrally-run city, then the commune, ward or
//! special zone whose People's Committee handles it.
//!
//! Since 1 July 2025 local government has two tiers (Resolution 202/2025/QH15 on the arrangement of
//! provincial-level units; the commune-level arrangements of the National Assembly Standing Committee):
//! 34 provinces/cities and 3,321 communes/wards/special zones. The list is data, loaded from
//! `configs/admin-units-2025.json`; [`units`] loads, checks and searches it.

pub mod units;

pub use units::{AdminUnits, AdminUnitsError, Commune, CommuneKind, Match, Problem, Province};
