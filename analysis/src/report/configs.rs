//! Tables that carry the configuration in columns, so a reader can filter them: a `config`
//! column with the label and one column per setting (variant, axis paths).

use crate::sweep::Config;
use crate::table::{Cell, Table};

/// A table whose first columns are `config` and the settings `names`, then `rest`.
pub fn table(stem: &str, title: &str, names: &[String], rest: &[&str]) -> Table {
    let mut columns: Vec<&str> = vec!["config"];
    columns.extend(names.iter().map(String::as_str));
    columns.extend_from_slice(rest);
    Table::new(stem, title, &columns)
}

/// The cells of those first columns for `config` (whose settings are `names`, in order).
pub fn cells(config: &Config) -> Vec<Cell> {
    let mut row = vec![Cell::text(config.label())];
    row.extend(config.values().map(Cell::text));
    row
}
