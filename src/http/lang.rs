//! The reader's language: Thai unless they chose English (a cookie set by `/lang/en`).
use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Th,
    En,
}

impl Lang {
    pub fn t<'a>(self, th: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Th => th,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        self.t("th", "en")
    }

    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let english = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| c.trim() == "lang=en");
        if english { Lang::En } else { Lang::Th }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}
