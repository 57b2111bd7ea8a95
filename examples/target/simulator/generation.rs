//! Generates a random but valid interaction plan: tables, inserts, selects and property checks.
//! The model tracks what the database must contain so checks can be verified.

use crate::rng::Rng;

const ADJECTIVES: [&str; 12] = [
    "fierce", "quiet", "brave", "gentle", "rapid", "silent", "golden", "hidden", "lucky", "proud", "shiny", "wild",
];
const NOUNS: [&str; 12] = [
    "alpine", "harbor", "meadow", "canyon", "river", "forest", "summit", "island", "valley", "glacier", "desert",
    "prairie",
];
const WORDS: [&str; 10] = ["apple", "cobalt", "delta", "ember", "falcon", "granite", "helix", "iris", "juniper", "krypton"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnType {
    Integer,
    Real,
    Text,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TableModel {
    pub name: String,
    pub columns: Vec<(String, ColumnType)>,
    pub rows: usize,
}

/// What an interaction's result must satisfy.
#[derive(Debug, Clone)]
pub enum Check {
    None,
    /// `SELECT * FROM table` returns exactly this many rows.
    RowCount(usize),
}

#[derive(Debug, Clone)]
pub struct Interaction {
    pub sql: String,
    pub check: Check,
}

pub struct Generator {
    rng: Rng,
    tables: Vec<TableModel>,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { rng: Rng::new(seed), tables: Vec::new() }
    }

    pub fn plan(&mut self, minimum: usize, maximum: usize) -> Vec<Interaction> {
        let length = self.rng.range(minimum.min(maximum) as u64, maximum as u64) as usize;
        let mut plan = Vec::with_capacity(length);
        let initial_tables = self.rng.range(1, 3);
        for _ in 0..initial_tables {
            plan.push(self.create_table());
        }
        while plan.len() < length {
            let roll = self.rng.range(0, 99);
            let interaction = if roll < 5 && self.tables.len() < 5 {
                self.create_table()
            } else if roll < 45 {
                self.insert()
            } else if roll < 55 {
                self.row_count_check()
            } else {
                self.select()
            };
            plan.push(interaction);
        }
        plan
    }

    fn table_name(&mut self) -> String {
        loop {
            let name = format!("{}_{}", self.rng.pick(&ADJECTIVES), self.rng.pick(&NOUNS));
            if !self.tables.iter().any(|t| t.name == name) {
                return name;
            }
        }
    }

    fn create_table(&mut self) -> Interaction {
        let name = self.table_name();
        let count = self.rng.range(1, 5) as usize;
        let mut columns: Vec<(String, ColumnType)> = Vec::new();
        while columns.len() < count {
            let column = format!("{}_{}", self.rng.pick(&WORDS), self.rng.range(0, 99));
            if columns.iter().any(|(c, _)| *c == column) {
                continue;
            }
            let ty = *self.rng.pick(&[ColumnType::Integer, ColumnType::Real, ColumnType::Text]);
            columns.push((column, ty));
        }
        let defs = columns.iter().map(|(c, t)| format!("{c} {}", t.sql())).collect::<Vec<_>>().join(", ");
        let sql = format!("CREATE TABLE {name} ({defs})");
        self.tables.push(TableModel { name, columns, rows: 0 });
        Interaction { sql, check: Check::None }
    }

    fn literal(&mut self, ty: ColumnType) -> String {
        if self.rng.chance(10) {
            return "NULL".into();
        }
        match ty {
            ColumnType::Integer => format!("{}", self.rng.range(0, 2000) as i64 - 1000),
            ColumnType::Real => format!("{}.{}", self.rng.range(0, 9999) as i64 - 5000, self.rng.range(0, 9)),
            ColumnType::Text => format!("'{}: {}'", self.rng.pick(&WORDS), self.rng.pick(&NOUNS)),
        }
    }

    fn insert(&mut self) -> Interaction {
        let t = self.rng.index(self.tables.len());
        let columns = self.tables[t].columns.clone();
        let count = self.rng.range(1, 3) as usize;
        let mut rows = Vec::new();
        for _ in 0..count {
            let values = columns.iter().map(|(_, ty)| self.literal(*ty)).collect::<Vec<_>>();
            rows.push(format!("({})", values.join(", ")));
        }
        self.tables[t].rows += count;
        let sql = format!("INSERT INTO {} VALUES {}", self.tables[t].name, rows.join(", "));
        Interaction { sql, check: Check::None }
    }

    fn row_count_check(&mut self) -> Interaction {
        let t = &self.tables[self.rng.index(self.tables.len())];
        Interaction { sql: format!("SELECT * FROM {}", t.name), check: Check::RowCount(t.rows) }
    }

    /// A projection term over one column: the column itself or a function of it.
    fn projection_term(&mut self, column: &str, ty: ColumnType) -> String {
        if !self.rng.chance(25) {
            return column.to_string();
        }
        match ty {
            ColumnType::Text => format!("{}({column})", self.rng.pick(&["length", "upper", "lower"])),
            ColumnType::Integer | ColumnType::Real => {
                let f = *self.rng.pick(&["abs", "coalesce"]);
                if f == "coalesce" {
                    format!("coalesce({column}, 0)")
                } else {
                    format!("abs({column})")
                }
            }
        }
    }

    fn predicate(&mut self, columns: &[(String, ColumnType)]) -> String {
        let (column, ty) = self.rng.pick(columns).clone();
        if self.rng.chance(15) {
            let negated = if self.rng.chance(50) { " NOT" } else { "" };
            return format!("{column} IS{negated} NULL");
        }
        let op = *self.rng.pick(&["=", "<>", "<", "<=", ">", ">="]);
        let mut literal = self.literal(ty);
        if literal == "NULL" {
            literal = match ty {
                ColumnType::Text => "'m'".into(),
                _ => "0".into(),
            };
        }
        format!("{column} {op} {literal}")
    }

    fn select(&mut self) -> Interaction {
        let table = self.tables[self.rng.index(self.tables.len())].clone();
        let star = self.rng.chance(30);
        let mut selected: Vec<(String, ColumnType)> = Vec::new();
        let mut terms = Vec::new();
        if star {
            selected = table.columns.clone();
            terms.push("*".to_string());
        } else {
            let count = self.rng.range(1, table.columns.len() as u64) as usize;
            for _ in 0..count {
                let (column, ty) = self.rng.pick(&table.columns).clone();
                terms.push(self.projection_term(&column, ty));
                if terms.last() == Some(&column) {
                    selected.push((column, ty));
                }
            }
        }
        let mut sql = format!("SELECT {} FROM {}", terms.join(", "), table.name);
        if self.rng.chance(60) {
            let mut predicate = self.predicate(&table.columns);
            if self.rng.chance(30) {
                let connective = *self.rng.pick(&["AND", "OR"]);
                predicate = format!("{predicate} {connective} {}", self.predicate(&table.columns));
            }
            sql.push_str(&format!(" WHERE {predicate}"));
        }
        // ORDER BY names only columns the query selects.
        if !selected.is_empty() && self.rng.chance(50) {
            let (column, _) = self.rng.pick(&selected).clone();
            let direction = *self.rng.pick(&["", " ASC", " DESC"]);
            sql.push_str(&format!(" ORDER BY {column}{direction}"));
        }
        if self.rng.chance(20) {
            sql.push_str(&format!(" LIMIT {}", self.rng.range(0, 10)));
        }
        Interaction { sql, check: Check::None }
    }
}
