//! Function names as gpt-oss can write them, and back.
//!
//! The model writes tool names into a TypeScript-like namespace, so a user's `get weather`
//! or `get-weather` must become an identifier before rendering, and the name the model calls
//! must map back to the user's. The rules are Ollama's (its `FunctionNameMap`), so that
//! conversations rendered by either side agree.

use std::collections::HashMap;

use unicode_general_category::{get_general_category, GeneralCategory};

/// Built-in tool names that are never renamed.
const UNTOUCHED: [&str; 4] = ["browser.open", "browser.search", "browser.find", "python"];

/// A two-way map between the names users declare and the identifiers the model sees.
///
/// ```
/// use harmony_tools::FunctionNameMap;
///
/// let mut names = FunctionNameMap::new();
/// assert_eq!(names.add("get weather"), "get_weather");
/// assert_eq!(names.add("get-weather"), "get_weather_2");
/// assert_eq!(names.original("get_weather_2"), Some("get-weather"));
/// assert_eq!(names.add("browser.search"), "browser.search");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionNameMap {
    to_model: HashMap<String, String>,
    to_user: HashMap<String, String>,
}

impl FunctionNameMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a user's name and returns the identifier to render. Duplicates after
    /// sanitising get `_2`, `_3`, ...; the built-ins (`browser.open`, `browser.search`,
    /// `browser.find`, `python`) are kept as they are.
    pub fn add(&mut self, user_name: &str) -> String {
        let model_name = if UNTOUCHED.contains(&user_name) {
            user_name.to_owned()
        } else {
            let base = sanitize(user_name);
            let mut candidate = base.clone();
            let mut n = 2;
            while self.to_user.contains_key(&candidate) {
                candidate = format!("{base}_{n}");
                n += 1;
            }
            candidate
        };
        self.to_model
            .insert(user_name.to_owned(), model_name.clone());
        self.to_user
            .insert(model_name.clone(), user_name.to_owned());
        model_name
    }

    /// The identifier a user's name was rendered as.
    pub fn model_name(&self, user_name: &str) -> Option<&str> {
        self.to_model.get(user_name).map(String::as_str)
    }

    /// The user's name for an identifier the model called.
    pub fn original(&self, model_name: &str) -> Option<&str> {
        self.to_user.get(model_name).map(String::as_str)
    }
}

/// Makes a valid identifier of `name`: space, `-` and `.` become `_`; only letters, decimal
/// digits, `_` and `$` are kept; an empty result is `unnamed`; a leading digit gets `_`.
///
/// ```
/// use harmony_tools::sanitize;
/// assert_eq!(sanitize("get weather!"), "get_weather");
/// assert_eq!(sanitize("123"), "_123");
/// assert_eq!(sanitize("🫠"), "unnamed");
/// ```
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter_map(|c| match c {
            ' ' | '-' | '.' => Some('_'),
            '_' | '$' => Some(c),
            c if is_letter(c) || is_decimal_digit(c) => Some(c),
            _ => None,
        })
        .collect();
    if out.is_empty() {
        return "unnamed".to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn is_letter(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::UppercaseLetter
            | GeneralCategory::LowercaseLetter
            | GeneralCategory::TitlecaseLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::OtherLetter
    )
}

fn is_decimal_digit(c: char) -> bool {
    get_general_category(c) == GeneralCategory::DecimalNumber
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ollama's parser tests (tests/corpus/, from ollama_parser_cases.md) section 7, TestFunctionConvertToValidChars.
    #[test]
    fn ollama_convert_to_valid_chars() {
        for (input, want) in [
            ("get weather", "get_weather"),
            ("get-weather", "get_weather"),
            ("get.weather", "get_weather"),
            ("get weather!", "get_weather"),
            ("a🫠bc", "abc"),
            ("🫠", "unnamed"),
            ("123", "_123"),
            ("$", "$"),
            ("𝓸𝓵𝓵𝓪𝓶𝓪", "𝓸𝓵𝓵𝓪𝓶𝓪"),
            ("ⓞⓛⓛⓐⓜⓐ123", "_123"),
        ] {
            assert_eq!(sanitize(input), want, "{input}");
        }
    }

    /// Section 7, TestFunctionConvertAndAdd: one map per row.
    #[test]
    fn ollama_convert_and_add() {
        let rows: [(&[&str], &[&str]); 5] = [
            (
                &["get weather", "get weather"],
                &["get_weather", "get_weather_2"],
            ),
            (
                &["get weather", "get_weather", "get-weather"],
                &["get_weather", "get_weather_2", "get_weather_3"],
            ),
            (
                &[
                    "get weather",
                    "get_weather",
                    "get-weather",
                    "something-different",
                ],
                &[
                    "get_weather",
                    "get_weather_2",
                    "get_weather_3",
                    "something_different",
                ],
            ),
            (
                &["a", "a", "b", "a", "a", "b", "a"],
                &["a", "a_2", "b", "a_3", "a_4", "b_2", "a_5"],
            ),
            (
                &[
                    "browser.open",
                    "python",
                    "not.a.built-in.function",
                    "browser.not_a_real_built_in",
                ],
                &[
                    "browser.open",
                    "python",
                    "not_a_built_in_function",
                    "browser_not_a_real_built_in",
                ],
            ),
        ];
        for (inputs, wants) in rows {
            let mut map = FunctionNameMap::new();
            let got: Vec<String> = inputs.iter().map(|i| map.add(i)).collect();
            assert_eq!(got, wants);
            for (i, w) in inputs.iter().zip(wants) {
                if inputs.iter().filter(|x| *x == i).count() == 1 {
                    assert_eq!(map.original(w), Some(*i), "reverse of {w}");
                }
            }
        }
    }
}
