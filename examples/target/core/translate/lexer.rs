//! Tokens of the small SQL dialect.

use crate::{LimboError, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Ident(String),
    Integer(i64),
    Real(f64),
    Str(String),
    Symbol(&'static str),
}

const SYMBOLS: [&str; 19] =
    ["<>", "<=", ">=", "!=", "==", "||", "(", ")", ",", ";", "*", "+", "-", "/", "%", "=", "<", ">", "."];

pub fn tokenize(sql: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
            // A hex integer: at most 16 significant digits, the 64 bits read as two's complement
            // (SQLite's 0xffffffffffffffff is -1).
            let start = i + 2;
            i = start;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            if digits.is_empty() {
                return Err(LimboError::Parse("unrecognized token: \"0x\"".into()));
            }
            if digits.trim_start_matches('0').len() > 16 {
                return Err(LimboError::Parse(format!("hex literal too big: 0x{digits}")));
            }
            let mut value: i64 = 0;
            for d in digits.chars() {
                value = value * 16 + i64::from(d.to_digit(16).unwrap_or(0));
            }
            tokens.push(Token::Integer(value));
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                i += 1;
                if i < chars.len() && (chars[i] == '+' || chars[i] == '-') {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            if let Ok(int) = text.parse::<i64>() {
                tokens.push(Token::Integer(int));
            } else {
                let real = text.parse::<f64>().map_err(|_| LimboError::Parse(format!("bad number {text}")))?;
                tokens.push(Token::Real(real));
            }
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(LimboError::Parse("unterminated string".into())),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Str(s));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            if i >= chars.len() {
                return Err(LimboError::Parse("unterminated identifier".into()));
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS.iter().find(|s| rest.starts_with(**s));
            match symbol {
                Some(s) => {
                    tokens.push(Token::Symbol(s));
                    i += s.chars().count();
                }
                None => return Err(LimboError::Parse(format!("unrecognized token: \"{c}\""))),
            }
        }
    }
    Ok(tokens)
}
