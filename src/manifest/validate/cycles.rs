//! Functions whose environments need each other's ARNs: a cycle no order can create.
//!
//! Owns finding the cycles (Tarjan's strongly connected components, then the shortest
//! cycle through each group's first key) and reporting one per group. The edges come
//! from [`function`](super::function), one per `${function:KEY.arn}` written.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::manifest::node::Loc;

use super::Validator;

impl Validator<'_, '_> {
    /// Functions whose environments hold each other's ARNs cannot be created in any
    /// order: each needs the other to exist first. Reports one cycle per strongly
    /// connected group, from its first key, at that key's reference to the next.
    pub(super) fn reference_cycles(&mut self, arn_refs: &BTreeMap<String, Vec<(String, Loc)>>) {
        for group in strongly_connected(arn_refs) {
            let start = &group[0];
            let Some(path) = shortest_cycle(arn_refs, start, &group) else {
                continue;
            };
            let at = arn_refs[start]
                .iter()
                .find(|(to, _)| to == &path[1])
                .map_or(Loc::default(), |(_, loc)| *loc);
            let shown = path
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            if path.len() == 2 {
                self.r
                    .error(
                        at,
                        format!("function `{start}` refers to its own ARN, which does not exist until it is created"),
                    )
                    .help(format!("use `${{function:{start}.name}}`, or read the function's own name at run time from `AWS_LAMBDA_FUNCTION_NAME`"));
            } else {
                self.r
                    .error(
                        at,
                        format!("reference cycle: {shown}: each function's environment needs the next one's ARN, so none can be created first"),
                    )
                    .help(format!(
                        "remove one of the references; `${{function:{}.name}}` is known in advance, and code can look the ARN up from the name",
                        path[1]
                    ));
            }
        }
    }
}

/// The groups of keys that reach each other through `edges` (Tarjan's algorithm), each
/// sorted, keeping only groups that form a cycle (more than one key, or a key that
/// refers to itself). Ordered by first key.
fn strongly_connected(edges: &BTreeMap<String, Vec<(String, Loc)>>) -> Vec<Vec<String>> {
    struct Tarjan<'e> {
        edges: &'e BTreeMap<String, Vec<(String, Loc)>>,
        index: HashMap<&'e str, usize>,
        low: HashMap<&'e str, usize>,
        stack: Vec<&'e str>,
        groups: Vec<Vec<String>>,
    }
    impl<'e> Tarjan<'e> {
        fn visit(&mut self, v: &'e str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for (w, _) in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.edges.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                group.sort();
                let cyclic = group.len() > 1 || self.edges[v].iter().any(|(to, _)| to == v);
                if cyclic {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for key in edges.keys() {
        if !tarjan.index.contains_key(key.as_str()) {
            tarjan.visit(key);
        }
    }
    tarjan.groups.sort();
    tarjan.groups
}

/// The shortest path from `start` back to itself within `group`, both ends included.
fn shortest_cycle(
    edges: &BTreeMap<String, Vec<(String, Loc)>>,
    start: &str,
    group: &[String],
) -> Option<Vec<String>> {
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        let mut next: Vec<&str> = edges
            .get(v)
            .into_iter()
            .flatten()
            .map(|(to, _)| to.as_str())
            .filter(|to| group.iter().any(|g| g == to))
            .collect();
        next.sort_unstable();
        next.dedup();
        for w in next {
            if w == start {
                // Walk back from `v` to `start`, then read it forwards.
                let mut back = Vec::new();
                let mut at = v;
                while at != start {
                    back.push(at.to_owned());
                    at = came_from[at];
                }
                let mut path = vec![start.to_owned()];
                path.extend(back.into_iter().rev());
                path.push(start.to_owned());
                return Some(path);
            }
            if !came_from.contains_key(w) && w != start {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    None
}
