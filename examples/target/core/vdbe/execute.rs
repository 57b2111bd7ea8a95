//! Executes statements against the schema: DDL, INSERT and SELECT.

use crate::functions::scalar;
use crate::schema::{Column, Schema, Table};
use crate::storage::btree::BTree;
use crate::translate::parser::{BinOp, Expr, Stmt};
use crate::translate::select::{plan_select, SelectPlan, SortKey};
use crate::types::Value;
use crate::{LimboError, Result, Rows};
use std::cmp::Ordering;

pub fn execute(schema: &mut Schema, stmt: Stmt) -> Result<Rows> {
    match stmt {
        Stmt::CreateTable { name, columns, if_not_exists } => {
            create_table(schema, name, columns, if_not_exists)?;
            Ok(Vec::new())
        }
        Stmt::CreateIndex { name: _, table, columns: _ } => {
            if schema.table(&table).is_none() {
                return Err(LimboError::Parse(format!("no such table: {table}")));
            }
            todo!("CREATE INDEX")
        }
        Stmt::Insert { table, columns, rows } => {
            insert(schema, &table, columns.as_deref(), rows)?;
            Ok(Vec::new())
        }
        Stmt::Select(select) => {
            let plan = plan_select(schema, select)?;
            run_select(schema, &plan)
        }
    }
}

fn create_table(schema: &mut Schema, name: String, columns: Vec<Column>, if_not_exists: bool) -> Result<()> {
    if schema.table(&name).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(LimboError::Parse(format!("table {name} already exists")));
    }
    for (i, column) in columns.iter().enumerate() {
        if columns[..i].iter().any(|c| c.name.eq_ignore_ascii_case(&column.name)) {
            return Err(LimboError::Parse(format!("duplicate column name: {}", column.name)));
        }
    }
    let btree = BTree::new(columns.len());
    schema.tables.push(Table { name, columns, btree });
    Ok(())
}

fn insert(schema: &mut Schema, name: &str, names: Option<&[String]>, rows: Vec<Vec<Expr>>) -> Result<()> {
    let table = schema.table_mut(name).ok_or_else(|| LimboError::Parse(format!("no such table: {name}")))?;
    if let Some(names) = names {
        for n in names {
            if table.column_index(n).is_none() {
                return Err(LimboError::Parse(format!("table {} has no column named {n}", table.name)));
            }
        }
    }
    for row in rows {
        let values = row.iter().map(|e| eval(e, None, &[])).collect::<Result<Vec<_>>>()?;
        let record = match names {
            None => {
                if values.len() != table.columns.len() {
                    return Err(LimboError::Parse(format!(
                        "table {} has {} columns but {} values were supplied",
                        table.name,
                        table.columns.len(),
                        values.len()
                    )));
                }
                values
            }
            Some(names) => {
                if names.len() != values.len() {
                    return Err(LimboError::Parse(format!(
                        "{} values for {} columns",
                        values.len(),
                        names.len()
                    )));
                }
                // Lay the named values out in table order.
                let mut record = Vec::with_capacity(table.columns.len());
                for column in &table.columns {
                    if let Some(pos) = names.iter().position(|n| n.eq_ignore_ascii_case(&column.name)) {
                        record.push(values[pos].clone());
                    }
                }
                record
            }
        };
        let record = record.into_iter().zip(&table.columns).map(|(v, c)| apply_affinity(v, c)).collect();
        table.btree.insert(record);
    }
    Ok(())
}

/// Column affinity, as far as this engine models it: numeric text stored in INTEGER/REAL columns.
fn apply_affinity(value: Value, column: &Column) -> Value {
    let ty = column.ty.as_deref().unwrap_or("");
    match value {
        Value::Text(ref s) if ty.contains("INT") => s.trim().parse::<i64>().map(Value::Integer).unwrap_or(value),
        Value::Text(ref s) if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") => {
            s.trim().parse::<f64>().map(Value::Real).unwrap_or(value)
        }
        Value::Integer(i) if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") => Value::Real(i as f64),
        other => other,
    }
}

fn run_select(schema: &Schema, plan: &SelectPlan) -> Result<Rows> {
    let table = plan.table.as_deref().and_then(|name| schema.table(name));
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
    let mut consider = |rowid: i64, values: &[Value]| -> Result<()> {
        if let Some(filter) = &plan.where_clause {
            if eval_row(filter, table, rowid, values)?.truthy() != Some(true) {
                return Ok(());
            }
        }
        let output =
            plan.projection.iter().map(|e| eval_row(e, table, rowid, values)).collect::<Result<Vec<_>>>()?;
        let keys = plan.order.iter().map(|(key, _)| match key {
            SortKey::Output(i) => output[*i].clone(),
        });
        let keys = keys.collect();
        rows.push((output, keys));
        Ok(())
    };
    match table {
        Some(t) => {
            for record in t.btree.scan() {
                consider(record.rowid, &record.values)?;
            }
        }
        None => consider(0, &[])?,
    }
    if !plan.order.is_empty() {
        rows.sort_by(|a, b| {
            for (i, (_, descending)) in plan.order.iter().enumerate() {
                let ord = a.1[i].sort_cmp(&b.1[i]);
                let ord = if *descending { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let mut out: Rows = rows.into_iter().map(|(output, _)| output).collect();
    if let Some(limit) = &plan.limit {
        if let Value::Integer(n) = eval(limit, None, &[])? {
            if n >= 0 {
                out.truncate(n as usize);
            }
        }
    }
    Ok(out)
}

fn eval_row(expr: &Expr, table: Option<&Table>, rowid: i64, values: &[Value]) -> Result<Value> {
    if let (Expr::Column(name), Some(t)) = (expr, table) {
        if t.column_index(name).is_none() && name.eq_ignore_ascii_case("rowid") {
            return Ok(Value::Integer(rowid));
        }
    }
    eval_with(expr, &|name| {
        table.and_then(|t| t.column_index(name)).map(|i| values[i].clone()).or_else(|| {
            name.eq_ignore_ascii_case("rowid").then_some(Value::Integer(rowid))
        })
    })
}

/// Evaluates an expression with no row in scope (INSERT values, LIMIT).
pub fn eval(expr: &Expr, _table: Option<&Table>, _values: &[Value]) -> Result<Value> {
    eval_with(expr, &|_| None)
}

fn eval_with(expr: &Expr, column: &dyn Fn(&str) -> Option<Value>) -> Result<Value> {
    Ok(match expr {
        Expr::Literal(v) => v.clone(),
        Expr::Column(name) => column(name).ok_or_else(|| LimboError::Parse(format!("no such column: {name}")))?,
        Expr::Negate(inner) => match eval_with(inner, column)? {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(i.wrapping_neg()),
            other => Value::Real(-other.to_f64().unwrap_or(0.0)),
        },
        Expr::Not(inner) => match eval_with(inner, column)?.truthy() {
            None => Value::Null,
            Some(b) => Value::Integer((!b) as i64),
        },
        Expr::IsNull(inner, negated) => Value::Integer((eval_with(inner, column)?.is_null() != *negated) as i64),
        Expr::Function(name, args) => {
            let args = args.iter().map(|a| eval_with(a, column)).collect::<Result<Vec<_>>>()?;
            scalar::call(name, &args)?
        }
        Expr::Binary(left, op, right) => {
            let l = eval_with(left, column)?;
            let r = eval_with(right, column)?;
            binary(&l, *op, &r)
        }
    })
}

fn binary(l: &Value, op: BinOp, r: &Value) -> Value {
    match op {
        BinOp::And => match (l.truthy(), r.truthy()) {
            (Some(false), _) | (_, Some(false)) => Value::Integer(0),
            (Some(true), Some(true)) => Value::Integer(1),
            _ => Value::Null,
        },
        BinOp::Or => match (l.truthy(), r.truthy()) {
            (Some(true), _) | (_, Some(true)) => Value::Integer(1),
            (Some(false), Some(false)) => Value::Integer(0),
            _ => Value::Null,
        },
        _ if l.is_null() || r.is_null() => Value::Null,
        BinOp::Concat => Value::Text(format!("{l}{r}")),
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = l.sort_cmp(r);
            let result = match op {
                BinOp::Eq => ord == Ordering::Equal,
                BinOp::Ne => ord != Ordering::Equal,
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            };
            Value::Integer(result as i64)
        }
        _ => arithmetic(l, op, r),
    }
}

fn as_number(v: &Value) -> Value {
    match v {
        Value::Text(s) => {
            let t = s.trim();
            t.parse::<i64>().map(Value::Integer).unwrap_or_else(|_| Value::Real(v.to_f64().unwrap_or(0.0)))
        }
        other => other.clone(),
    }
}

fn arithmetic(l: &Value, op: BinOp, r: &Value) -> Value {
    match (as_number(l), as_number(r)) {
        (Value::Integer(a), Value::Integer(b)) => {
            let result = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div if b == 0 => return Value::Null,
                BinOp::Div => a.checked_div(b),
                BinOp::Rem if b == 0 => return Value::Null,
                _ => a.checked_rem(b),
            };
            match result {
                Some(v) => Value::Integer(v),
                None => arithmetic(&Value::Real(a as f64), op, &Value::Real(b as f64)),
            }
        }
        (a, b) => {
            let (x, y) = (a.to_f64().unwrap_or(0.0), b.to_f64().unwrap_or(0.0));
            match op {
                BinOp::Add => Value::Real(x + y),
                BinOp::Sub => Value::Real(x - y),
                BinOp::Mul => Value::Real(x * y),
                BinOp::Div if y == 0.0 => Value::Null,
                BinOp::Div => Value::Real(x / y),
                _ if (y as i64) == 0 => Value::Null,
                _ => Value::Real(((x as i64) % (y as i64)) as f64),
            }
        }
    }
}
