//! The host: command line, REPL, sessions and error reports. Sits on top of
//! [`crate::script`].

pub mod batch;
pub mod cli;
pub mod diagnostic;
pub mod repl;
pub mod session;
