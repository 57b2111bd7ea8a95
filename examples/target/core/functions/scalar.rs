//! Scalar SQL functions.

use crate::types::Value;
use crate::{LimboError, Result};

/// Arity ranges, checked before a function runs.
fn arity(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "length" | "upper" | "lower" | "abs" | "typeof" => (1, 1),
        "round" => (1, 2),
        "coalesce" => (2, usize::MAX),
        "ifnull" => (2, 2),
        _ => return None,
    })
}

pub fn call(name: &str, args: &[Value]) -> Result<Value> {
    let (min, max) = arity(name).ok_or_else(|| LimboError::Parse(format!("no such function: {name}")))?;
    if args.len() < min || args.len() > max {
        return Err(LimboError::Parse(format!("wrong number of arguments to function {name}()")));
    }
    Ok(match name {
        "length" => match &args[0] {
            Value::Null => Value::Null,
            Value::Text(s) => Value::Integer(s.chars().count() as i64),
            other => Value::Integer(other.to_string().chars().count() as i64),
        },
        "upper" => text_map(&args[0], |s| s.to_uppercase()),
        "lower" => text_map(&args[0], |s| s.to_lowercase()),
        "abs" => match &args[0] {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(i.wrapping_abs()),
            other => Value::Real(other.to_f64().unwrap_or(0.0).abs()),
        },
        "typeof" => Value::Text(
            match &args[0] {
                Value::Null => "null",
                Value::Integer(_) => "integer",
                Value::Real(_) => "real",
                Value::Text(_) => "text",
            }
            .into(),
        ),
        "coalesce" | "ifnull" => args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null),
        "round" => round(args),
        _ => unreachable!("arity() lists every function"),
    })
}

fn text_map(value: &Value, f: impl Fn(&str) -> String) -> Value {
    match value {
        Value::Null => Value::Null,
        other => Value::Text(f(&other.to_string())),
    }
}

/// round(X) and round(X, Y): X rounded to Y digits after the decimal point.
fn round(args: &[Value]) -> Value {
    let digits = args[1].to_f64().unwrap_or(0.0).max(0.0) as i32;
    match args[0].to_f64() {
        None => Value::Null,
        Some(x) => {
            let factor = 10f64.powi(digits);
            Value::Real((x * factor).round() / factor)
        }
    }
}
