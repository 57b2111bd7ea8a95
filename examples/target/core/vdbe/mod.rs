//! Execution of planned statements.

pub mod execute;
