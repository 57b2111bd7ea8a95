//! Table storage. Not a real B-tree: rows in rowid order, which is all SELECT needs.

use crate::types::Value;

#[derive(Debug, Clone)]
pub struct Record {
    pub rowid: i64,
    pub values: Vec<Value>,
}

#[derive(Debug)]
pub struct BTree {
    column_count: usize,
    next_rowid: i64,
    records: Vec<Record>,
}

impl BTree {
    pub fn new(column_count: usize) -> BTree {
        BTree { column_count, next_rowid: 1, records: Vec::new() }
    }

    /// Appends a record; the caller must have laid out one value per column.
    pub fn insert(&mut self, values: Vec<Value>) -> i64 {
        assert!(values.len() == self.column_count, "record arity does not match table column count");
        let rowid = self.next_rowid;
        self.next_rowid += 1;
        self.records.push(Record { rowid, values });
        rowid
    }

    pub fn scan(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
