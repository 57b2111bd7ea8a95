//! A recursive-descent parser for the dialect the engine supports.

use super::lexer::{tokenize, Token};
use crate::schema::Column;
use crate::types::Value;
use crate::{LimboError, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Column(String),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    Binary(Box<Expr>, BinOp, Box<Expr>),
    IsNull(Box<Expr>, bool),
    Function(String, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResultColumn {
    Star,
    Expr(Expr, Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub columns: Vec<ResultColumn>,
    pub from: Option<String>,
    pub where_clause: Option<Expr>,
    pub order_by: Vec<OrderTerm>,
    pub limit: Option<Expr>,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    CreateTable { name: String, columns: Vec<Column>, if_not_exists: bool },
    CreateIndex { name: String, table: String, columns: Vec<String> },
    Insert { table: String, columns: Option<Vec<String>>, rows: Vec<Vec<Expr>> },
    Select(Select),
}

pub fn parse_statements(sql: &str) -> Result<Vec<Stmt>> {
    let mut parser = Parser { tokens: tokenize(sql)?, pos: 0 };
    let mut out = Vec::new();
    loop {
        while parser.eat_symbol(";") {}
        if parser.peek().is_none() {
            return Ok(out);
        }
        out.push(parser.statement()?);
        if parser.peek().is_some() && !parser.eat_symbol(";") {
            return Err(parser.error_near());
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn error_near(&self) -> LimboError {
        match self.peek() {
            Some(Token::Ident(s)) | Some(Token::Str(s)) => LimboError::Parse(format!("near \"{s}\": syntax error")),
            Some(Token::Symbol(s)) => LimboError::Parse(format!("near \"{s}\": syntax error")),
            Some(Token::Integer(i)) => LimboError::Parse(format!("near \"{i}\": syntax error")),
            Some(Token::Real(r)) => LimboError::Parse(format!("near \"{r}\": syntax error")),
            None => LimboError::Parse("incomplete input".into()),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.error_near())
        }
    }

    fn eat_symbol(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, sym: &str) -> Result<()> {
        if self.eat_symbol(sym) {
            Ok(())
        } else {
            Err(self.error_near())
        }
    }

    fn identifier(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::Ident(s)) if !is_reserved(s) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error_near()),
        }
    }

    fn ident_list(&mut self) -> Result<Vec<String>> {
        self.expect_symbol("(")?;
        let mut names = vec![self.identifier()?];
        while self.eat_symbol(",") {
            names.push(self.identifier()?);
        }
        self.expect_symbol(")")?;
        Ok(names)
    }

    fn statement(&mut self) -> Result<Stmt> {
        if self.eat_keyword("CREATE") {
            if self.eat_keyword("TABLE") {
                return self.create_table();
            }
            let _unique = self.eat_keyword("UNIQUE");
            if self.eat_keyword("INDEX") {
                let name = self.identifier()?;
                self.expect_keyword("ON")?;
                let table = self.identifier()?;
                let columns = self.ident_list()?;
                return Ok(Stmt::CreateIndex { name, table, columns });
            }
            return Err(self.error_near());
        }
        if self.eat_keyword("INSERT") {
            self.expect_keyword("INTO")?;
            let table = self.identifier()?;
            let columns = if matches!(self.peek(), Some(Token::Symbol("("))) { Some(self.ident_list()?) } else { None };
            self.expect_keyword("VALUES")?;
            let mut rows = vec![self.value_row()?];
            while self.eat_symbol(",") {
                rows.push(self.value_row()?);
            }
            return Ok(Stmt::Insert { table, columns, rows });
        }
        if self.is_keyword("SELECT") {
            return Ok(Stmt::Select(self.select()?));
        }
        Err(self.error_near())
    }

    fn create_table(&mut self) -> Result<Stmt> {
        let mut if_not_exists = false;
        if self.eat_keyword("IF") {
            self.expect_keyword("NOT")?;
            self.expect_keyword("EXISTS")?;
            if_not_exists = true;
        }
        let name = self.identifier()?;
        self.expect_symbol("(")?;
        let mut columns = Vec::new();
        loop {
            let col = self.identifier()?;
            let mut ty = None;
            // Type names and column constraints are words up to the next `,` or `)`.
            let mut words = Vec::new();
            while let Some(Token::Ident(word)) = self.peek() {
                words.push(word.clone());
                self.pos += 1;
            }
            if let Some(first) = words.first() {
                ty = Some(first.to_uppercase());
            }
            columns.push(Column { name: col, ty });
            if self.eat_symbol(",") {
                continue;
            }
            self.expect_symbol(")")?;
            break;
        }
        Ok(Stmt::CreateTable { name, columns, if_not_exists })
    }

    fn value_row(&mut self) -> Result<Vec<Expr>> {
        self.expect_symbol("(")?;
        let mut values = vec![self.expr()?];
        while self.eat_symbol(",") {
            values.push(self.expr()?);
        }
        self.expect_symbol(")")?;
        Ok(values)
    }

    fn select(&mut self) -> Result<Select> {
        self.expect_keyword("SELECT")?;
        let mut columns = Vec::new();
        loop {
            if self.eat_symbol("*") {
                columns.push(ResultColumn::Star);
            } else {
                let expr = self.expr()?;
                let alias = if self.eat_keyword("AS") { Some(self.identifier()?) } else { None };
                columns.push(ResultColumn::Expr(expr, alias));
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        let from = if self.eat_keyword("FROM") { Some(self.identifier()?) } else { None };
        let where_clause = if self.eat_keyword("WHERE") { Some(self.expr()?) } else { None };
        let mut order_by = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_keyword("DESC") {
                    true
                } else {
                    self.eat_keyword("ASC");
                    false
                };
                order_by.push(OrderTerm { expr, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") { Some(self.expr()?) } else { None };
        Ok(Select { columns, from, where_clause, order_by, limit })
    }

    fn expr(&mut self) -> Result<Expr> {
        self.or_expr()
    }

    fn or_expr(&mut self) -> Result<Expr> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("OR") {
            left = Expr::Binary(Box::new(left), BinOp::Or, Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr> {
        let mut left = self.not_expr()?;
        while self.eat_keyword("AND") {
            left = Expr::Binary(Box::new(left), BinOp::And, Box::new(self.not_expr()?));
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr> {
        let left = self.additive()?;
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.expect_keyword("NULL")?;
            return Ok(Expr::IsNull(Box::new(left), negated));
        }
        if self.eat_keyword("NOTNULL") {
            return Ok(Expr::IsNull(Box::new(left), true));
        }
        if self.eat_keyword("ISNULL") {
            return Ok(Expr::IsNull(Box::new(left), false));
        }
        let op = match self.peek() {
            Some(Token::Symbol("=")) | Some(Token::Symbol("==")) => BinOp::Eq,
            Some(Token::Symbol("!=")) | Some(Token::Symbol("<>")) => BinOp::Ne,
            Some(Token::Symbol("<")) => BinOp::Lt,
            Some(Token::Symbol("<=")) => BinOp::Le,
            Some(Token::Symbol(">")) => BinOp::Gt,
            Some(Token::Symbol(">=")) => BinOp::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        Ok(Expr::Binary(Box::new(left), op, Box::new(self.additive()?)))
    }

    fn additive(&mut self) -> Result<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Token::Symbol("+")) => BinOp::Add,
                Some(Token::Symbol("-")) => BinOp::Sub,
                Some(Token::Symbol("||")) => BinOp::Concat,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Symbol("*")) => BinOp::Mul,
                Some(Token::Symbol("/")) => BinOp::Div,
                Some(Token::Symbol("%")) => BinOp::Rem,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.eat_symbol("-") {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        if self.eat_symbol("+") {
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr> {
        match self.next() {
            Some(Token::Integer(i)) => Ok(Expr::Literal(Value::Integer(i))),
            Some(Token::Real(r)) => Ok(Expr::Literal(Value::Real(r))),
            Some(Token::Str(s)) => Ok(Expr::Literal(Value::Text(s))),
            Some(Token::Symbol("(")) => {
                let inner = self.expr()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            Some(Token::Ident(word)) if word.eq_ignore_ascii_case("NULL") => Ok(Expr::Literal(Value::Null)),
            Some(Token::Ident(word)) if !is_reserved(&word) => {
                if self.eat_symbol("(") {
                    let mut args = Vec::new();
                    if !self.eat_symbol(")") {
                        loop {
                            args.push(self.expr()?);
                            if !self.eat_symbol(",") {
                                break;
                            }
                        }
                        self.expect_symbol(")")?;
                    }
                    return Ok(Expr::Function(word.to_lowercase(), args));
                }
                Ok(Expr::Column(word))
            }
            _ => {
                self.pos -= 1;
                Err(self.error_near())
            }
        }
    }
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: [&str; 16] = [
        "SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "AND", "OR", "NOT", "IS", "AS", "INSERT", "INTO",
        "VALUES", "CREATE", "TABLE",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}
