//! Builtin signatures and field types in, the types of tool-mapping and
//! derivation values out: what a value can be, whether it fits a builtin's
//! parameter or an action's field, and which enum members it can give. Used
//! by [`crate::typeck`] on every `tool` field and every `name: type =
//! derivation`.
//!
//! A value is only refused when it can never fit: a raw argument (`json`)
//! fits everything until binding, and a text fits an enum field (binding
//! checks the member). A value whose members are known — a classifier's
//! result, an enum field, a string literal — must give only members of the
//! enum it feeds.

use crate::schema::{Schema, Type};
use permit0_classify::Ty;
use std::fmt;

/// The type of a tool-mapping value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValTy {
    /// A raw argument, or a value whose shape is not known.
    Json,
    Text,
    Int,
    Bool,
    TextList,
    TextOrList,
    /// A text that is always one of these.
    Members(Vec<String>),
}

impl ValTy {
    /// A signature type as a value type (`T` is settled by the arguments
    /// before this is asked).
    pub fn of_sig(t: Ty) -> ValTy {
        match t {
            Ty::Json | Ty::Same => ValTy::Json,
            Ty::Text => ValTy::Text,
            Ty::Int => ValTy::Int,
            Ty::Bool => ValTy::Bool,
            Ty::TextList => ValTy::TextList,
            Ty::TextOrList => ValTy::TextOrList,
            Ty::OneOf(m) => ValTy::Members(m.iter().map(|s| s.to_string()).collect()),
        }
    }

    /// An input, `actor` or `context` field as a derivation reads it: the
    /// value as sent, before binding (a time may still be RFC 3339 text).
    pub fn of_field(schema: &Schema, ty: Type) -> ValTy {
        match ty {
            Type::Bool => ValTy::Bool,
            Type::Int | Type::Money | Type::Duration => ValTy::Int,
            Type::Str => ValTy::Text,
            Type::List | Type::Set => ValTy::TextList,
            Type::Enum(id) => match schema.enum_def(id) {
                Some(def) => ValTy::Members(def.members.clone()),
                None => ValTy::Json,
            },
            Type::Time | Type::Grants | Type::Chain | Type::Ip | Type::Error => ValTy::Json,
        }
    }

    /// Whether this value can be a builtin's argument of type `p`.
    pub fn fits_param(&self, p: Ty) -> bool {
        use ValTy as V;
        match (p, self) {
            (_, V::Json) | (Ty::Json | Ty::Same, _) => true,
            (Ty::Text, V::Text | V::Members(_)) => true,
            (Ty::Int, V::Int) | (Ty::Bool, V::Bool) => true,
            (Ty::TextList, V::TextList | V::TextOrList) => true,
            (Ty::TextOrList, V::Text | V::Members(_) | V::TextList | V::TextOrList) => true,
            (Ty::OneOf(_), V::Text | V::TextOrList) => true,
            (Ty::OneOf(m), V::Members(v)) => v.iter().all(|x| m.contains(&x.as_str())),
            _ => false,
        }
    }

    /// The type of a value that is one of two (`first`, `one_of`), or
    /// `None` when no field could take both.
    pub fn join(&self, other: &ValTy) -> Option<ValTy> {
        use ValTy as V;
        Some(match (self, other) {
            (a, b) if a == b => a.clone(),
            (V::Json, _) | (_, V::Json) => V::Json,
            (V::Members(a), V::Members(b)) => {
                let mut m = a.clone();
                m.extend(b.iter().filter(|x| !a.contains(x)).cloned());
                V::Members(m)
            }
            (V::Text | V::Members(_), V::Text | V::Members(_)) => V::Text,
            (
                V::Text | V::Members(_) | V::TextList | V::TextOrList,
                V::Text | V::Members(_) | V::TextList | V::TextOrList,
            ) => V::TextOrList,
            _ => return None,
        })
    }

    /// Whether binding could accept this value for a field of type `ty`
    /// (enum members are checked apart, by [`ValTy::outside`]).
    pub fn fits_field(&self, ty: Type) -> bool {
        use ValTy as V;
        matches!(
            (ty, self),
            (Type::Error, _)
                | (_, V::Json)
                | (Type::Bool, V::Bool)
                | (Type::Int | Type::Money | Type::Duration, V::Int)
                | (Type::Time, V::Int | V::Text | V::Members(_))
                | (
                    Type::Str | Type::Enum(_),
                    V::Text | V::Members(_) | V::TextOrList
                )
                | (Type::List | Type::Set, V::TextList | V::TextOrList)
        )
    }

    /// The members this value can give that `members` lacks (binding
    /// matches ASCII letters in any case, and so does this).
    pub fn outside(&self, members: &[String]) -> Vec<String> {
        match self {
            ValTy::Members(v) => v
                .iter()
                .filter(|x| !(x.is_ascii() && members.iter().any(|m| m.eq_ignore_ascii_case(x))))
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for ValTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValTy::Json => f.write_str("json"),
            ValTy::Text => f.write_str("string"),
            ValTy::Int => f.write_str("int"),
            ValTy::Bool => f.write_str("bool"),
            ValTy::TextList => f.write_str("list<string>"),
            ValTy::TextOrList => f.write_str("string | list<string>"),
            // A string literal.
            ValTy::Members(m) if m.len() == 1 => write!(f, "{:?}", m.join("")),
            ValTy::Members(m) => write!(f, "enum {{ {} }}", m.join(", ")),
        }
    }
}

/// `a`, `b` and `c`
pub fn quoted_list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match q.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &[&str]) -> ValTy {
        ValTy::Members(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn raw_arguments_fit_anything_until_binding() {
        for p in [Ty::Text, Ty::Int, Ty::Bool, Ty::TextList, Ty::TextOrList] {
            assert!(ValTy::Json.fits_param(p));
        }
        assert!(ValTy::Json.fits_field(Type::Money));
        assert!(!ValTy::Int.fits_param(Ty::Text));
        assert!(!ValTy::TextList.fits_param(Ty::Text));
        assert!(m(&["a"]).fits_param(Ty::Text));
    }

    #[test]
    fn joins_keep_what_both_sides_can_be() {
        assert_eq!(
            m(&["a", "b"]).join(&m(&["b", "c"])),
            Some(m(&["a", "b", "c"]))
        );
        assert_eq!(m(&["a"]).join(&ValTy::Text), Some(ValTy::Text));
        assert_eq!(ValTy::Text.join(&ValTy::Json), Some(ValTy::Json));
        assert_eq!(ValTy::Text.join(&ValTy::TextList), Some(ValTy::TextOrList));
        assert_eq!(ValTy::Int.join(&ValTy::Text), None);
    }

    #[test]
    fn members_outside_an_enum_are_named() {
        let field = vec!["self".to_string(), "external".to_string()];
        assert_eq!(
            m(&["self", "internal", "External"]).outside(&field),
            vec!["internal".to_string()]
        );
        // An open text is checked when it is bound, not here.
        assert!(ValTy::Text.outside(&field).is_empty());
        assert_eq!(
            quoted_list(&["a".into(), "b".into(), "c".into()]),
            "`a`, `b` and `c`"
        );
    }
}
