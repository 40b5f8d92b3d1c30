//! Running a project's functions on this machine: `lade invoke KEY --local` and
//! `lade serve`.
//!
//! Owns: finding a local interpreter for a function's runtime ([`runtime`]), running
//! its handler once in a fresh child process with Lambda's environment, event and a
//! minimal context ([`run`], with the embedded `bootstrap.py` and `bootstrap.mjs`),
//! the environment values a local run sees ([`environment`]), API Gateway's proxy
//! events ([`event`]), its route matching ([`routes`]) and its response mapping
//! ([`response`]), and the local HTTP server ([`serve`]).
//!
//! Does not: call AWS (the commands read the account, when they can, and hand the
//! result in), emulate IAM or any AWS service, or run runtimes other than the Python
//! and Node.js found on the PATH. A handler runs with this machine's environment and
//! credentials, not with its role's.

pub mod environment;
pub mod event;
pub mod response;
pub mod routes;
pub mod run;
pub mod runtime;
pub mod serve;

/// The one line both commands print on stderr when they start, so nobody mistakes a
/// local run for Lambda.
pub const NOT_LAMBDA: &str = "note: running on this machine, not in Lambda: no IAM role (the \
     handler has your environment and credentials), no AWS services emulated, only the \
     Python and Node.js runtimes found on the PATH";
