//! The workbench's integration tests, as one test binary.
//!
//! Each test binary of this crate links the whole stack (DataFusion, Typst,
//! Arrow, axum): about 280 MB in a debug build. One binary instead of one per
//! file keeps a clean `cargo test --workspace` within a small CI disk.
//!
//! - [`security`]: the real router without a browser (token, CSRF, headers,
//!   downloads, read-only SQL, hostile strings).
//! - [`browser`]: end to end in headless Chromium over WebDriver.

mod browser;
mod common;
mod security;
