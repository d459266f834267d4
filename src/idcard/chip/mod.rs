//! Reading the chip of an ICAO 9303 eMRTD (passport, Vietnamese citizen identity card): the LDS
//! files ([`lds`]) over BER-TLV ([`tlv`]), read through any [`kiosk_hal::card::CardReader`] after
//! access control ([`reader`]), and passive authentication of what was read ([`pa`]).

pub mod command;
pub mod lds;
pub mod pa;
pub mod reader;
pub mod report;
#[cfg(test)]
mod tests;
pub mod tlv;
