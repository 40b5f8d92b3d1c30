//! From step specifications to the plan's DAG: each kind says what its steps create,
//! set, delete, release and need ([`StepSpec`]); the passes below add every edge.
//!
//! Nothing is wired by hand between kinds. A function step says it needs its role to
//! be ready; the role's steps say they create and set the role; pass 1 joins them. The
//! passes run in this order, each with the reason a person reads in `--explain` (the
//! step's `why`):
//!
//! 1. **Creates before users.** A step that needs an address to exist waits for the
//!    steps that create it; one that needs it ready also waits for those that set it
//!    (a function waits for its role and the role's policies: Lambda checks at
//!    `CreateFunction` that it can assume the role, and the function must not run,
//!    even once, without the permissions the manifest gives it).
//! 2. **One update at a time.** Steps that set the same function run one after the
//!    other, in the order they were planned: Lambda accepts one update at a time per
//!    function (`ResourceConflictException`).
//! 3. **Deletes in reverse.** A step that deletes an address waits for the steps that
//!    delete its parts (a resource after its methods and child resources, a role
//!    after its inline policies and managed attachments: `DeleteRole` fails with
//!    `DeleteConflict` otherwise), and for every step that stops needing it (a role is
//!    deleted after each function that used it is deleted or moved to another role).
//!    For example, removing function `f` and its role `r` gives `DeleteFunction f` and
//!    `DetachRolePolicy r` (in parallel), then `DeleteRole r`.
//! 4. **Replacements create before they destroy.** A function replaced under a new
//!    name is deleted only once its successor exists.
//! 5. **A deployment publishes a complete route table.** The step that creates the
//!    deployment waits for every step that creates, sets or deletes a part of the
//!    deployed API (its settings, resources, methods, integrations and invoke
//!    permissions), except the steps that need the deployment themselves (a
//!    permission is removed, and a function deleted, only once the new deployment no
//!    longer routes to it): the stage only ever serves routes whose functions may be
//!    invoked.
//! 6. **Order and cycles.** Steps are numbered in a topological order; among the steps
//!    that are free to go next, the one of the earliest [`Phase`] (then the one planned
//!    first) comes first, so a plan reads like the script it replaces. A cycle is a bug
//!    in lade and is reported with the steps that form it.
//!
//! Pass 1 also orders a step after the deletes of what it needs gone
//! ([`Need::Gone`]): a trigger made anew (its starting position changed) is created
//! only once the old one is deleted.
//!
//! Steps with no path between them may run concurrently.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use super::address::Address;
use super::{Op, PlanError, Step};

/// Where a step stands when a person reads the plan: the order of DESIGN's invariant 5,
/// roles first and clean-up last. It breaks ties only; edges decide what must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Roles and their policies.
    Roles,
    /// The REST API itself (its URL may be in a function's environment).
    Api,
    /// Functions, created and updated.
    Functions,
    /// Duplicate or unwanted REST APIs, deleted.
    ApiCleanup,
    /// Resources of the API, created.
    Resources,
    /// Methods and integrations.
    Routes,
    /// Routes and resources no longer wanted, deleted.
    RouteCleanup,
    /// Invoke permissions.
    Permissions,
    /// Triggers: the queues and streams that invoke functions.
    Triggers,
    /// Function URLs, and the public statements of those without auth.
    FunctionUrls,
    /// The deployment and its stage.
    Deployment,
    /// Old deployments, pruned.
    Prune,
    /// Invoke permissions no longer wanted.
    PermissionCleanup,
    /// Triggers no longer wanted.
    TriggerCleanup,
    /// Function URLs and public statements no longer wanted.
    FunctionUrlCleanup,
    /// Functions no longer wanted.
    FunctionCleanup,
    /// Roles no longer wanted, with their policies.
    RoleCleanup,
}

/// What a step needs of an address before it may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// The address exists: wait for the steps that create it.
    Exists(Address),
    /// The address is complete: wait for the steps that create or set it.
    Ready(Address),
    /// The address is gone: wait for the steps that delete it (a trigger that must be
    /// made anew is deleted first, since Lambda allows one per source and function).
    Gone(Address),
}

/// One step as a kind plans it, before the graph orders it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    pub op: Op,
    pub phase: Phase,
    /// Why the step waits for what it waits for; dropped when it waits for nothing.
    pub why: &'static str,
    /// What exists once the step succeeded.
    pub creates: Vec<Address>,
    /// What the step changes in place.
    pub sets: Vec<Address>,
    /// What no longer exists once the step succeeded.
    pub deletes: Vec<Address>,
    /// What the step stops using: deleting any of these waits for it.
    pub releases: Vec<Address>,
    pub needs: Vec<Need>,
    /// For a delete that is half of a replacement: the successor, created first.
    pub replaced_by: Option<Address>,
}

impl StepSpec {
    /// A step with nothing declared yet.
    pub fn new(phase: Phase, op: Op) -> StepSpec {
        StepSpec {
            op,
            phase,
            why: "",
            creates: Vec::new(),
            sets: Vec::new(),
            deletes: Vec::new(),
            releases: Vec::new(),
            needs: Vec::new(),
            replaced_by: None,
        }
    }

    pub fn why(mut self, why: &'static str) -> Self {
        self.why = why;
        self
    }

    pub fn creates(mut self, address: Address) -> Self {
        self.creates.push(address);
        self
    }

    pub fn sets(mut self, address: Address) -> Self {
        self.sets.push(address);
        self
    }

    pub fn deletes(mut self, address: Address) -> Self {
        self.deletes.push(address);
        self
    }

    pub fn releases(mut self, addresses: impl IntoIterator<Item = Address>) -> Self {
        self.releases.extend(addresses);
        self
    }

    pub fn needs(mut self, needs: impl IntoIterator<Item = Need>) -> Self {
        self.needs.extend(needs);
        self
    }

    pub fn replaced_by(mut self, successor: Option<Address>) -> Self {
        self.replaced_by = successor;
        self
    }

    fn touches(&self) -> impl Iterator<Item = &Address> {
        self.creates.iter().chain(&self.sets).chain(&self.deletes)
    }
}

/// Orders `specs` into the plan's steps (see the module docs for the passes).
pub fn build(specs: Vec<StepSpec>) -> Result<Vec<Step>, PlanError> {
    let index = Index::of(&specs);
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); specs.len()];

    for (i, spec) in specs.iter().enumerate() {
        // Pass 1: creates before users.
        for need in &spec.needs {
            match need {
                Need::Exists(address) => edges[i].extend(index.creators(address)),
                Need::Ready(address) => {
                    edges[i].extend(index.creators(address));
                    edges[i].extend(index.setters(address));
                }
                Need::Gone(address) => edges[i].extend(index.deleters(address)),
            }
        }
        // Pass 3: deletes in reverse.
        for address in &spec.deletes {
            edges[i].extend(index.deleting_parts_of(address));
            edges[i].extend(index.releasers(address));
        }
        // Pass 4: replacements create before they destroy.
        if let Some(successor) = &spec.replaced_by {
            edges[i].extend(index.creators(successor));
        }
    }
    // Pass 2: one update at a time per function, in the order planned.
    for setters in index
        .sets
        .iter()
        .filter_map(|(address, steps)| matches!(address, Address::Function(_)).then_some(steps))
    {
        for pair in setters.windows(2) {
            edges[pair[1]].insert(pair[0]);
        }
    }
    // Pass 5: a deployment waits for every change to what it publishes.
    for (i, spec) in specs.iter().enumerate() {
        if !spec.creates.contains(&Address::Deployment) {
            continue;
        }
        for (j, other) in specs.iter().enumerate() {
            let waits_for_it = other.needs.iter().any(|need| match need {
                Need::Exists(address) | Need::Ready(address) | Need::Gone(address) => {
                    address == &Address::Deployment
                }
            });
            if j != i && !waits_for_it && other.touches().any(Address::is_deployed) {
                edges[i].insert(j);
            }
        }
    }
    for (i, deps) in edges.iter_mut().enumerate() {
        deps.remove(&i);
    }

    // Pass 6: number the steps in a topological order, earliest phase first.
    let order = topological(&specs, &edges)?;
    let mut id_of = vec![0; specs.len()];
    for (id, &i) in order.iter().enumerate() {
        id_of[i] = id;
    }
    let mut specs: Vec<Option<StepSpec>> = specs.into_iter().map(Some).collect();
    Ok(order
        .iter()
        .enumerate()
        .map(|(id, &i)| {
            let spec = specs[i].take().expect("each spec is numbered once");
            let mut depends_on: Vec<usize> = edges[i].iter().map(|&d| id_of[d]).collect();
            depends_on.sort_unstable();
            let why = if depends_on.is_empty() {
                String::new()
            } else {
                spec.why.to_string()
            };
            Step {
                id,
                op: spec.op,
                depends_on,
                why,
            }
        })
        .collect())
}

/// Kahn's algorithm with the earliest (phase, planned position) first among the free.
fn topological(specs: &[StepSpec], edges: &[BTreeSet<usize>]) -> Result<Vec<usize>, PlanError> {
    let mut waiting: Vec<usize> = edges.iter().map(BTreeSet::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); specs.len()];
    for (i, deps) in edges.iter().enumerate() {
        for &d in deps {
            users[d].push(i);
        }
    }
    let mut free: BinaryHeap<Reverse<(Phase, usize)>> = (0..specs.len())
        .filter(|&i| waiting[i] == 0)
        .map(|i| Reverse((specs[i].phase, i)))
        .collect();
    let mut order = Vec::with_capacity(specs.len());
    while let Some(Reverse((_, i))) = free.pop() {
        order.push(i);
        for &user in &users[i] {
            waiting[user] -= 1;
            if waiting[user] == 0 {
                free.push(Reverse((specs[user].phase, user)));
            }
        }
    }
    if order.len() < specs.len() {
        let stuck = (0..specs.len())
            .filter(|&i| waiting[i] > 0)
            .map(|i| specs[i].op.describe())
            .collect();
        return Err(PlanError::Cycle(stuck));
    }
    Ok(order)
}

/// Which steps create, set, delete and release each address.
#[derive(Default)]
struct Index {
    creates: BTreeMap<Address, Vec<usize>>,
    sets: BTreeMap<Address, Vec<usize>>,
    deletes: BTreeMap<Address, Vec<usize>>,
    releases: BTreeMap<Address, Vec<usize>>,
}

impl Index {
    fn of(specs: &[StepSpec]) -> Index {
        let mut index = Index::default();
        for (i, spec) in specs.iter().enumerate() {
            let lists = [
                (&spec.creates, &mut index.creates),
                (&spec.sets, &mut index.sets),
                (&spec.deletes, &mut index.deletes),
                (&spec.releases, &mut index.releases),
            ];
            for (addresses, map) in lists {
                for address in addresses {
                    map.entry(address.clone()).or_default().push(i);
                }
            }
        }
        index
    }

    fn find<'a>(
        map: &'a BTreeMap<Address, Vec<usize>>,
        address: &Address,
    ) -> impl Iterator<Item = usize> + 'a {
        map.get(address).into_iter().flatten().copied()
    }

    fn creators<'a>(&'a self, address: &Address) -> impl Iterator<Item = usize> + 'a {
        Self::find(&self.creates, address)
    }

    fn setters<'a>(&'a self, address: &Address) -> impl Iterator<Item = usize> + 'a {
        Self::find(&self.sets, address)
    }

    fn deleters<'a>(&'a self, address: &Address) -> impl Iterator<Item = usize> + 'a {
        Self::find(&self.deletes, address)
    }

    fn releasers<'a>(&'a self, address: &Address) -> impl Iterator<Item = usize> + 'a {
        Self::find(&self.releases, address)
    }

    fn deleting_parts_of<'a>(&'a self, whole: &'a Address) -> impl Iterator<Item = usize> + 'a {
        self.deletes
            .iter()
            .filter(move |(part, _)| part.parent().as_ref() == Some(whole))
            .flat_map(|(_, steps)| steps.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::IamOp;

    fn role(name: &str) -> Address {
        Address::Role(name.into())
    }

    fn delete_role(name: &str) -> Op {
        Op::Iam(IamOp::DeleteRole { role: name.into() })
    }

    #[test]
    fn a_need_waits_for_creators_and_a_ready_need_for_setters_too() {
        let specs = vec![
            StepSpec::new(
                Phase::Roles,
                Op::Iam(IamOp::DeleteRole {
                    role: "create".into(),
                }),
            )
            .creates(role("r")),
            StepSpec::new(
                Phase::Roles,
                Op::Iam(IamOp::DeleteRole {
                    role: "policy".into(),
                }),
            )
            .sets(role("r"))
            .needs([Need::Exists(role("r"))])
            .why("policy after role"),
            StepSpec::new(Phase::Functions, delete_role("exists"))
                .needs([Need::Exists(role("r"))])
                .why("exists"),
            StepSpec::new(Phase::Functions, delete_role("ready"))
                .needs([Need::Ready(role("r"))])
                .why("ready"),
        ];
        let steps = build(specs).unwrap();
        let deps: Vec<&[usize]> = steps.iter().map(|s| s.depends_on.as_slice()).collect();
        assert_eq!(deps, [&[][..], &[0], &[0], &[0, 1]]);
        assert_eq!(steps[0].why, "", "a step that waits for nothing has no why");
        assert_eq!(steps[3].why, "ready");
    }

    #[test]
    fn a_whole_is_deleted_after_its_parts_and_after_its_last_user() {
        let attachment = Address::RoleAttachment {
            role: "r".into(),
            policy_arn: "p".into(),
        };
        let specs = vec![
            StepSpec::new(Phase::RoleCleanup, delete_role("r")).deletes(role("r")),
            StepSpec::new(Phase::RoleCleanup, delete_role("detach")).deletes(attachment),
            StepSpec::new(Phase::FunctionCleanup, delete_role("function"))
                .deletes(Address::Function("f".into()))
                .releases([role("r")]),
        ];
        let steps = build(specs).unwrap();
        // The function's delete comes first by phase; the role's waits for both.
        let order: Vec<String> = steps.iter().map(|s| s.op.describe()).collect();
        assert_eq!(
            order,
            [
                "delete role function",
                "delete role detach",
                "delete role r"
            ]
        );
        assert_eq!(steps[2].depends_on, [0, 1]);
    }

    #[test]
    fn a_cycle_names_its_steps() {
        let specs = vec![
            StepSpec::new(Phase::Roles, delete_role("a"))
                .creates(role("a"))
                .needs([Need::Exists(role("b"))]),
            StepSpec::new(Phase::Roles, delete_role("b"))
                .creates(role("b"))
                .needs([Need::Exists(role("a"))]),
        ];
        let Err(PlanError::Cycle(steps)) = build(specs) else {
            panic!("a cycle must be refused");
        };
        assert_eq!(steps, ["delete role a", "delete role b"]);
    }

    #[test]
    fn updates_of_one_function_chain_in_planned_order() {
        let f = Address::Function("f".into());
        let specs = vec![
            StepSpec::new(Phase::Functions, delete_role("config")).sets(f.clone()),
            StepSpec::new(Phase::Functions, delete_role("code")).sets(f.clone()),
            StepSpec::new(Phase::Functions, delete_role("tags")).sets(f),
        ];
        let steps = build(specs).unwrap();
        let deps: Vec<&[usize]> = steps.iter().map(|s| s.depends_on.as_slice()).collect();
        assert_eq!(deps, [&[][..], &[0], &[1]]);
    }
}
