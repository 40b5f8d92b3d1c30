//! The span-carrying YAML tree that every later stage walks.
//!
//! serde-saphyr parses the text into [`Node`]s: each scalar, sequence and mapping keeps
//! the location it came from, and mappings stay ordered key/value lists, so duplicate
//! keys survive parsing and can be reported (and dropped) here rather than silently
//! overwritten. Nothing here knows what a manifest is.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// One YAML node and where it is in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    pub loc: Loc,
    /// Set when a whole-value variable supplied this scalar as text that reads as a
    /// number or boolean (`memory: ${var:memory}` with `--var memory=512`): the node is
    /// typed as YAML would type that text, and still reads as this text where a string
    /// is wanted.
    pub text: Option<String>,
}

/// A position in the manifest: 1-based line and column, and the token's length in
/// characters (0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Loc {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl From<Location> for Loc {
    fn from(l: Location) -> Self {
        Loc {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            len: u32::try_from(l.span().len()).unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order; keys may repeat until [`Node::drop_duplicate_keys`] runs.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The key as text, when it is a plain scalar.
    pub fn as_key(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    /// Removes every repeated key in every mapping of the tree, calling `report` with the
    /// names of the keys leading to the mapping, the repeated key and the first one.
    pub fn drop_duplicate_keys(&mut self, report: &mut dyn FnMut(&[String], &Node, &Node)) {
        self.drop_duplicates_at(&mut Vec::new(), report);
    }

    fn drop_duplicates_at(
        &mut self,
        names: &mut Vec<String>,
        report: &mut dyn FnMut(&[String], &Node, &Node),
    ) {
        match &mut self.kind {
            Kind::Seq(items) => items
                .iter_mut()
                .for_each(|item| item.drop_duplicates_at(names, report)),
            Kind::Map(entries) => {
                let mut kept: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
                for (key, mut value) in entries.drain(..) {
                    if let Some((first, _)) = kept.iter().find(|(k, _)| same_key(k, &key)) {
                        report(names, &key, first);
                        continue;
                    }
                    names.push(key.as_key().unwrap_or_default());
                    value.drop_duplicates_at(names, report);
                    names.pop();
                    kept.push((key, value));
                }
                *entries = kept;
            }
            _ => {}
        }
    }

    /// The keys of this mapping, in order (empty if it is not a mapping).
    pub fn keys(&self) -> Vec<String> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().filter_map(|(k, _)| k.as_key()).collect(),
            _ => Vec::new(),
        }
    }

    /// The value of `key` in this mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_key().as_deref() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (a.as_key(), b.as_key()) {
        (Some(a), Some(b)) => a == b,
        _ => a.kind == b.kind,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(d)?;
        Ok(Node {
            kind: spanned.value,
            loc: spanned.referenced.into(),
            text: None,
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(Kind::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Kind, E> {
        i128::try_from(v)
            .map(Kind::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Kind, E> {
        Ok(Kind::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Kind::Map(entries))
    }
}
