//! CSV cells as spreadsheets open them safely: quoted when needed, and never read as a formula.

/// One CSV field. A leading `=`, `+`, `-`, `@`, tab or carriage return can make a spreadsheet
/// evaluate the cell as a formula (CSV injection), so such text gets a leading apostrophe.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_separators_and_defuses_formulas() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
