//! The public case reference, numbered per fiscal year: `2569-0001`.
use super::fiscal_year::FiscalYear;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseReference {
    fiscal_year: FiscalYear,
    sequence: u32,
}

impl CaseReference {
    pub fn new(fiscal_year: FiscalYear, sequence: u32) -> Self {
        Self { fiscal_year, sequence }
    }

    pub fn parse(input: &str) -> Option<Self> {
        let (year, seq) = input.trim().split_once('-')?;
        if year.len() != 4 || seq.len() < 4 || seq.len() > 9 {
            return None;
        }
        if !year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let fiscal_year = FiscalYear::from_be(year.parse().ok()?).ok()?;
        let sequence: u32 = seq.parse().ok()?;
        (sequence > 0).then_some(Self { fiscal_year, sequence })
    }

    pub fn fiscal_year(self) -> FiscalYear {
        self.fiscal_year
    }

    pub fn sequence(self) -> u32 {
        self.sequence
    }
}

impl std::fmt::Display for CaseReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:04}", self.fiscal_year, self.sequence)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_four_digits_and_parses_back() {
        let fy = FiscalYear::from_be(2569).unwrap();
        let r = CaseReference::new(fy, 7);
        assert_eq!(r.to_string(), "2569-0007");
        assert_eq!(CaseReference::parse("2569-0007"), Some(r));
        assert_eq!(CaseReference::new(fy, 12345).to_string(), "2569-12345");
        assert_eq!(CaseReference::parse("2569-0000"), None);
        assert_eq!(CaseReference::parse("25x9-0001"), None);
        assert_eq!(CaseReference::parse("2569-1"), None);
    }
}
