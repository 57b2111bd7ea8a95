//! Parsing and planning: SQL text → statements → plans the executor runs.

pub mod lexer;
pub mod parser;
pub mod select;
