//! lade deploys serverless apps to AWS from a declarative manifest.
//!
//! Data flows one way (see `docs/architecture.md`):
//!
//! ```text
//! lade.yaml ─manifest::load─► Desired ─┐
//! AWS ──────live::read──────► Live ────┴─► diff ─► Changes ─► plan::build ─► Plan
//!                                                        render ◄─┤
//!                                                                 └─► apply::execute ─► Events
//! ```

pub mod apply;
pub mod arn;
pub mod aws;
pub mod cli;
pub mod cloud;
pub mod commands;
pub mod diff;
pub mod kinds;
pub mod limits;
pub mod live;
pub mod local;
pub mod manifest;
pub mod model;
pub mod outputs;
pub mod package;
pub mod plan;
pub mod policy;
pub mod render;
pub mod runtimes;
