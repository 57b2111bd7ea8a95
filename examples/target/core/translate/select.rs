//! Plans a SELECT: expands `*`, checks column references and resolves ORDER BY terms.

use super::parser::{Expr, ResultColumn, Select};
use crate::schema::{Schema, Table};
use crate::{LimboError, Result};

/// Where a sort key comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortKey {
    /// The n-th result column.
    Output(usize),
}

#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub table: Option<String>,
    pub projection: Vec<Expr>,
    pub where_clause: Option<Expr>,
    pub order: Vec<(SortKey, bool)>,
    pub limit: Option<Expr>,
}

pub fn plan_select(schema: &Schema, select: Select) -> Result<SelectPlan> {
    let table = match &select.from {
        Some(name) => Some(schema.table(name).ok_or_else(|| LimboError::Parse(format!("no such table: {name}")))?),
        None => None,
    };
    let mut projection = Vec::new();
    for column in select.columns {
        match column {
            ResultColumn::Star => {
                let table = table.ok_or_else(|| LimboError::Parse("no tables specified".into()))?;
                projection.extend(table.columns.iter().map(|c| Expr::Column(c.name.clone())));
            }
            ResultColumn::Expr(expr, _alias) => projection.push(expr),
        }
    }
    for expr in projection.iter().chain(select.where_clause.iter()) {
        check_columns(expr, table)?;
    }
    let mut order = Vec::new();
    for (i, term) in select.order_by.iter().enumerate() {
        let key = match &term.expr {
            Expr::Literal(crate::Value::Integer(n)) => {
                if *n < 1 || *n as usize > projection.len() {
                    return Err(LimboError::Parse(format!(
                        "{} ORDER BY term out of range - should be between 1 and {}",
                        ordinal(i + 1),
                        projection.len()
                    )));
                }
                SortKey::Output(*n as usize - 1)
            }
            Expr::Column(name) => {
                // Sorting happens on result rows, so the term is matched against the result columns.
                let index = projection
                    .iter()
                    .position(|e| matches!(e, Expr::Column(c) if c.eq_ignore_ascii_case(name)))
                    .unwrap();
                SortKey::Output(index)
            }
            _ => {
                return Err(LimboError::Parse(
                    "ORDER BY supports column names and result column numbers only".into(),
                ))
            }
        };
        order.push((key, term.descending));
    }
    Ok(SelectPlan {
        table: select.from,
        projection,
        where_clause: select.where_clause,
        order,
        limit: select.limit,
    })
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

/// Every column an expression names must exist in the FROM table.
pub fn check_columns(expr: &Expr, table: Option<&Table>) -> Result<()> {
    match expr {
        Expr::Literal(_) => Ok(()),
        Expr::Column(name) => {
            let known = name.eq_ignore_ascii_case("rowid") || table.is_some_and(|t| t.column_index(name).is_some());
            if table.is_some() && known {
                Ok(())
            } else {
                Err(LimboError::Parse(format!("no such column: {name}")))
            }
        }
        Expr::Negate(inner) | Expr::Not(inner) | Expr::IsNull(inner, _) => check_columns(inner, table),
        Expr::Binary(left, _, right) => {
            check_columns(left, table)?;
            check_columns(right, table)
        }
        Expr::Function(_, args) => args.iter().try_for_each(|a| check_columns(a, table)),
    }
}
