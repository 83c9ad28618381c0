//! The `vocabulary!` macro: closed enums with a stable wire code and Thai/English labels.

/// Generates a closed enum with a stable wire code and Thai/English labels, so pages, the API,
/// the OpenAPI document and the database all use the same list.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $th:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_th(self) -> &'static str {
                match self { $($name::$variant => $th),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
