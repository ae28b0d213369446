//! Tests that cross crates live in `tests/`; this library only makes the README's Rust example
//! a doctest, so the usage it shows keeps compiling.
#![doc = include_str!("../../README.md")]
