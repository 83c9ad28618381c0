//! Routing: which unit receives a case, and which rule decided, from category rules and conflict rules.
use super::complaint::Category;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct RoutingRules {
    default_unit: String,
    by_category: HashMap<Category, String>,
    /// unit concerned by a complaint → unit that receives it instead
    alternates: HashMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingDecision {
    pub unit: String,
    /// Recorded with the case in plaintext: `default`, `category:<code>`, or `conflict`. Which unit the
    /// complaint concerns is sealed with the content, never recorded here: the accused may read metadata.
    pub rule: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("routing names unit `{0}`, which is not configured")]
    UnknownUnit(String),
    #[error("unit `{0}` has no alternate, so a complaint about it would be routed to it")]
    NoAlternate(String),
    #[error("the alternate of `{0}` is `{0}` itself")]
    SelfAlternate(String),
}

impl RoutingRules {
    /// Builds the rules and checks them against the configured units, so a bad rule fails at start
    /// and never at the moment a reporter submits.
    pub fn new(
        units: &[&str],
        default_unit: &str,
        by_category: HashMap<Category, String>,
        alternates: HashMap<String, String>,
    ) -> Result<Self, RoutingError> {
        let known =
            |u: &str| units.contains(&u).then_some(()).ok_or_else(|| RoutingError::UnknownUnit(u.to_owned()));
        known(default_unit)?;
        for u in by_category.values() {
            known(u)?;
        }
        for (from, to) in &alternates {
            known(from)?;
            known(to)?;
            if from == to {
                return Err(RoutingError::SelfAlternate(from.clone()));
            }
        }
        // Every unit that can receive cases needs an alternate, or a complaint about it has nowhere to go.
        let receivers = std::iter::once(default_unit).chain(by_category.values().map(String::as_str));
        for u in receivers {
            if !alternates.contains_key(u) {
                return Err(RoutingError::NoAlternate(u.to_owned()));
            }
        }
        Ok(Self { default_unit: default_unit.to_owned(), by_category, alternates })
    }

    pub fn route(&self, category: Category, concerns_unit: Option<&str>) -> RoutingDecision {
        let (unit, rule) = match self.by_category.get(&category) {
            Some(u) => (u.clone(), format!("category:{}", category.code())),
            None => (self.default_unit.clone(), "default".to_owned()),
        };
        match (concerns_unit, self.alternates.get(&unit)) {
            (Some(concerned), Some(alternate)) if concerned == unit => {
                RoutingDecision { unit: alternate.clone(), rule: "conflict".to_owned() }
            }
            _ => RoutingDecision { unit, rule },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rules() -> RoutingRules {
        RoutingRules::new(
            &["palad", "works", "audit"],
            "palad",
            HashMap::from([(Category::Infrastructure, "works".to_owned())]),
            HashMap::from([
                ("palad".to_owned(), "audit".to_owned()),
                ("works".to_owned(), "palad".to_owned()),
                ("audit".to_owned(), "palad".to_owned()),
            ]),
        )
        .unwrap()
    }

    #[test]
    fn default_category_and_conflict_rules_each_decide() {
        let r = rules();
        assert_eq!(r.route(Category::Bribery, None).rule, "default");
        assert_eq!(r.route(Category::Infrastructure, None).unit, "works");
        let d = r.route(Category::Bribery, Some("palad"));
        assert_eq!((d.unit.as_str(), d.rule.as_str()), ("audit", "conflict"));
        let d = r.route(Category::Infrastructure, Some("works"));
        assert_eq!((d.unit.as_str(), d.rule.as_str()), ("palad", "conflict"));
        // A complaint about another unit stays where the category sends it.
        assert_eq!(r.route(Category::Bribery, Some("works")).unit, "palad");
    }

    #[test]
    fn bad_rules_fail_at_construction() {
        let e = RoutingRules::new(&["palad"], "nowhere", HashMap::new(), HashMap::new());
        assert_eq!(e.unwrap_err(), RoutingError::UnknownUnit("nowhere".into()));
        let e = RoutingRules::new(&["palad"], "palad", HashMap::new(), HashMap::new());
        assert_eq!(e.unwrap_err(), RoutingError::NoAlternate("palad".into()));
    }
}
