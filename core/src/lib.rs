//! matrix-push: complete, fast and trustworthy Matrix push notifications for mobile apps.
//!
//! Modules follow the data flow of `DESIGN.md`; each knows only the ones above it:
//! 1. [`rules`] — the push-rule model, server defaults, compiled evaluator and explanations.

pub mod rules;
