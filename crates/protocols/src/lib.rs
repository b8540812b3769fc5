//! The wire protocols of the outside services Souk's provider components talk to, as pure
//! functions: what is signed and how, how amounts and dates are written, how an inbound
//! callback is verified. The provider components and the local sandbox that plays those
//! services both use them, and each is tested against the reference vectors of the service's
//! own documentation and demos, so the two sides cannot agree on a mistake.
//!
//! - [`vnpay`]: VNPay's payment gateway, API 2.1.0.

pub mod vnpay;
