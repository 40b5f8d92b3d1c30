//! Properties of the engine over random desired models and random live states, run
//! against the in-memory cloud. The manifest loader's are in `loader_props.rs`.
//!
//! The models are valid by construction: role and function references point at keys
//! that exist, environment references to other functions only point "backwards" (no
//! cycles), and routes obey API Gateway's rules (one parameter name per path position,
//! a greedy `{proxy+}` only last). A starting state is what applying another random
//! model leaves, optionally changed out of band afterwards.

use std::collections::{BTreeMap, BTreeSet};

use lade::apply::{self, Event};
use lade::arn::{integration_uri, invoke_url, source_arn};
use lade::cloud::memory::{Account, MemoryCloud};
use lade::kinds::function::function_tags;
use lade::kinds::function::record::{TAG_CONFIG, TAG_SENSITIVE};
use lade::kinds::rest_api::permissions::statement_id;
use lade::kinds::rest_api::routes::wanted_paths;
use lade::live;
use lade::model::*;
use lade::plan::{self, Plan};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

mod fixtures;
use fixtures::*;

mod proptest_cases;
use proptest_cases::config;

const ROLE_KEYS: [&str; 3] = ["api", "worker", "admin"];
const FUNCTION_KEYS: [&str; 4] = ["get", "list", "put", "work"];
const MANAGED: [&str; 3] = [
    BASIC,
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
];
const INLINE: [&str; 2] = ["read", "write"];
const ACTIONS: [&str; 3] = ["dynamodb:GetItem", "s3:GetObject", "sqs:SendMessage"];
/// A role in another account: lade uses it as it is and never touches it.
const EXTERNAL_ROLE: &str = "arn:aws:iam::999999999999:role/external";
const ENV_KEYS: [&str; 5] = ["TABLE", "MODE", "TOKEN", "PEER", "LINK"];
const METHODS: [&str; 4] = ["GET", "POST", "DELETE", "ANY"];
const FIRST_SEGMENTS: [&str; 2] = ["items", "users"];
const LATER_SEGMENTS: [&str; 3] = ["{id}", "tags", "items"];
const REGION: &str = "us-east-1";
/// Every sensitive value the generator makes starts with this.
const SECRET_MARK: &str = "s3cr3t-";

// ---- generators ----

fn role_strategy(key: &'static str) -> impl Strategy<Value = Role> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::btree_set(0..MANAGED.len(), 0..=MANAGED.len()),
        prop::collection::btree_map(0..INLINE.len(), 0..ACTIONS.len(), 0..=INLINE.len()),
    )
        .prop_map(move |(renamed, edge, managed, inline)| {
            let mut role = role(key, &[], &[]);
            if renamed {
                role.name = format!("{}-v2", role.name);
            }
            if edge {
                role.trust_services
                    .insert("edgelambda.amazonaws.com".to_string());
            }
            role.managed_policies = managed
                .into_iter()
                .map(|i| MANAGED[i].to_string())
                .collect();
            role.inline_policies = inline
                .into_iter()
                .map(|(name, action)| (INLINE[name].to_string(), policy_document(action)))
                .collect();
            role
        })
}

fn policy_document(action: usize) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ACTIONS[action], "Resource": "*"}]})
}

/// An environment value: text, optionally followed by a reference of kind `reference`
/// (0 none, 1 an earlier function's ARN, 2 a role's ARN, 3 the API's URL), resolved
/// against what the model holds when it is built.
#[derive(Debug, Clone)]
struct EnvSpec {
    text: u8,
    reference: u8,
    pick: usize,
    sensitive: bool,
}

#[derive(Debug, Clone)]
struct FunctionSpec {
    renamed: bool,
    /// Index into the present roles; past the end means the external role.
    role: usize,
    memory: usize,
    timeout: usize,
    handler: usize,
    runtime: usize,
    arm: bool,
    description: bool,
    environment: BTreeMap<usize, EnvSpec>,
    tags: BTreeMap<usize, usize>,
    code: u8,
}

fn function_spec() -> impl Strategy<Value = FunctionSpec> {
    let env = (0..3u8, 0..4u8, 0..4usize, prop::bool::weighted(0.25)).prop_map(
        |(text, reference, pick, sensitive)| EnvSpec {
            text,
            reference,
            pick,
            sensitive,
        },
    );
    (
        (any::<bool>(), 0..4usize, 0..4usize, 0..3usize),
        (0..2usize, 0..2usize, any::<bool>(), any::<bool>()),
        prop::collection::btree_map(0..ENV_KEYS.len(), env, 0..=3),
        prop::collection::btree_map(0..2usize, 0..2usize, 0..=2),
        0..2u8,
    )
        .prop_map(
            |(
                (renamed, role, memory, timeout),
                (handler, runtime, arm, description),
                environment,
                tags,
                code,
            )| FunctionSpec {
                renamed,
                role,
                memory,
                timeout,
                handler,
                runtime,
                arm,
                description,
                environment,
                tags,
                code,
            },
        )
}

#[derive(Debug, Clone)]
struct RouteSpec {
    method: usize,
    depth: usize,
    segments: [usize; 3],
    proxy: bool,
    function: usize,
    iam: bool,
    api_key: bool,
}

#[derive(Debug, Clone)]
struct ApiSpec {
    routes: Vec<RouteSpec>,
    description: bool,
    edge: bool,
    binary: bool,
}

fn api_spec() -> impl Strategy<Value = ApiSpec> {
    let route = (
        0..METHODS.len(),
        0..=3usize,
        [0..2usize, 0..3usize, 0..3usize],
        prop::bool::weighted(0.25),
        0..4usize,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(method, depth, segments, proxy, function, iam, api_key)| RouteSpec {
                method,
                depth,
                segments,
                proxy,
                function,
                iam,
                api_key,
            },
        );
    (
        prop::collection::vec(route, 1..=6),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(routes, description, edge, binary)| ApiSpec {
            routes,
            description,
            edge,
            binary,
        })
}

/// A model together with the version of each function's code it deploys.
#[derive(Debug, Clone)]
struct Model {
    desired: Desired,
    code: BTreeMap<String, u8>,
}

impl Model {
    fn artifacts(&self) -> BTreeMap<String, Artifact> {
        self.code
            .iter()
            .map(|(key, version)| {
                let bytes = format!("zip of {key}, version {version}");
                (key.clone(), artifact(bytes.as_bytes()))
            })
            .collect()
    }
}

fn model() -> impl Strategy<Value = Model> {
    (
        (
            proptest::option::of(role_strategy(ROLE_KEYS[0])),
            proptest::option::of(role_strategy(ROLE_KEYS[1])),
            proptest::option::of(role_strategy(ROLE_KEYS[2])),
        ),
        prop::collection::vec(proptest::option::of(function_spec()), FUNCTION_KEYS.len()),
        proptest::option::weighted(0.6, api_spec()),
    )
        .prop_map(|((a, b, c), functions, api)| build_model(vec![a, b, c], functions, api))
}

fn build_model(
    roles: Vec<Option<Role>>,
    functions: Vec<Option<FunctionSpec>>,
    api: Option<ApiSpec>,
) -> Model {
    let roles: Vec<Role> = roles.into_iter().flatten().collect();
    let present: Vec<(&str, FunctionSpec)> = FUNCTION_KEYS
        .iter()
        .zip(functions)
        .filter_map(|(key, spec)| spec.map(|spec| (*key, spec)))
        .collect();
    let has_api = api.is_some() && !present.is_empty();
    let mut built = Vec::new();
    let mut code = BTreeMap::new();
    for (index, (key, spec)) in present.iter().enumerate() {
        let mut f = function(key, "unused");
        if spec.renamed {
            f.name = format!("{}-v2", f.name);
        }
        f.role = match roles.get(spec.role) {
            Some(role) => RoleRef::Key(role.key.clone()),
            None => RoleRef::Arn(EXTERNAL_ROLE.to_string()),
        };
        f.memory = [128, 256, 512, 1024][spec.memory];
        f.timeout = [3, 10, 30, 60][spec.timeout];
        f.handler = ["app.handler", "app.main"][spec.handler].to_string();
        f.runtime = ["python3.12", "nodejs22.x"][spec.runtime].to_string();
        f.architecture = if spec.arm {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        };
        f.description = if spec.description {
            format!("the {key} function")
        } else {
            String::new()
        };
        f.environment = spec
            .environment
            .iter()
            .map(|(&name, value)| {
                // A sensitive value is a recognisable canary, so a property can look
                // for it in everything lade prints and saves.
                let text = if value.sensitive {
                    format!("{SECRET_MARK}{key}-{}-{}", ENV_KEYS[name], value.text)
                } else {
                    format!("value-{}", value.text)
                };
                let mut parts = vec![Part::Text(text)];
                // Only functions that come earlier may be referenced: no cycles.
                let reference = match value.reference {
                    1 if index > 0 => Some(CrossRef::FunctionArn(
                        present[value.pick % index].0.to_string(),
                    )),
                    2 if !roles.is_empty() => Some(CrossRef::RoleArn(
                        roles[value.pick % roles.len()].key.clone(),
                    )),
                    3 if has_api => Some(CrossRef::ApiUrl),
                    _ => None,
                };
                parts.extend(reference.map(Part::Ref));
                let env = EnvValue {
                    parts,
                    sensitive: value.sensitive,
                };
                (ENV_KEYS[name].to_string(), env)
            })
            .collect();
        f.tags = spec
            .tags
            .iter()
            .map(|(&k, &v)| {
                (
                    ["team", "cost-centre"][k].to_string(),
                    ["web", "data"][v].to_string(),
                )
            })
            .collect();
        code.insert(key.to_string(), spec.code);
        built.push(f);
    }
    let api = api.filter(|_| has_api).map(|spec| {
        Api::rest(
            ApiSettings {
                name: "shop-dev".into(),
                description: if spec.description {
                    "Items".into()
                } else {
                    String::new()
                },
                endpoint: if spec.edge {
                    Endpoint::Edge
                } else {
                    Endpoint::Regional
                },
                binary_media_types: if spec.binary {
                    BTreeSet::from(["image/png".to_string()])
                } else {
                    BTreeSet::new()
                },
            },
            routes(&spec.routes, &present),
            "dev",
        )
    });
    Model {
        desired: desired_of(roles, built, api),
        code,
    }
}

/// The routes of `specs`, dropping the ones a manifest could not hold: a repeated
/// method and path, or a parameter named differently from a sibling's.
fn routes(specs: &[RouteSpec], functions: &[(&str, FunctionSpec)]) -> Vec<Route> {
    let mut seen = BTreeSet::new();
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    'routes: for spec in specs {
        let mut segments: Vec<&str> = (0..spec.depth)
            .map(|i| {
                if i == 0 {
                    FIRST_SEGMENTS[spec.segments[0] % FIRST_SEGMENTS.len()]
                } else {
                    LATER_SEGMENTS[spec.segments[i]]
                }
            })
            .collect();
        if spec.proxy {
            segments.push("{proxy+}");
        }
        let path = format!("/{}", segments.join("/"));
        let mut slot = String::new();
        let mut claimed = Vec::new();
        for segment in &segments {
            if segment.starts_with('{') {
                let position = format!("{slot}/{{}}");
                match params.get(&position) {
                    Some(name) if name != segment => continue 'routes,
                    _ => claimed.push((position, segment.to_string())),
                }
            }
            slot.push('/');
            slot.push_str(if segment.starts_with('{') {
                "{}"
            } else {
                segment
            });
        }
        let method = METHODS[spec.method];
        if !seen.insert((method, path.clone())) {
            continue;
        }
        params.extend(claimed);
        let mut route = route(method, &path, functions[spec.function % functions.len()].0);
        if spec.iam {
            route.authorization = Authorization::AwsIam;
        }
        route.api_key_required = spec.api_key;
        out.push(route);
    }
    out
}

/// A change made outside lade, by someone with console access.
#[derive(Debug, Clone)]
enum Tamper {
    Memory(usize),
    DeleteFunction(usize),
    AddTag(usize),
    EnvVar(usize),
    DropPermission(usize),
    DetachManaged(usize),
    DeleteInline(usize),
    TrustPolicy(usize),
    DeleteMethod(usize),
    DeleteStage,
    ApiDescription,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        any::<usize>().prop_map(Tamper::Memory),
        any::<usize>().prop_map(Tamper::DeleteFunction),
        any::<usize>().prop_map(Tamper::AddTag),
        any::<usize>().prop_map(Tamper::EnvVar),
        any::<usize>().prop_map(Tamper::DropPermission),
        any::<usize>().prop_map(Tamper::DetachManaged),
        any::<usize>().prop_map(Tamper::DeleteInline),
        any::<usize>().prop_map(Tamper::TrustPolicy),
        any::<usize>().prop_map(Tamper::DeleteMethod),
        Just(Tamper::DeleteStage),
        Just(Tamper::ApiDescription),
    ]
}

fn nth_key<V>(map: &BTreeMap<String, V>, n: usize) -> Option<String> {
    (!map.is_empty()).then(|| map.keys().nth(n % map.len()).cloned().unwrap())
}

fn apply_tamper(account: &mut Account, tamper: &Tamper) {
    match *tamper {
        Tamper::Memory(n) => {
            if let Some(name) = nth_key(&account.functions, n) {
                account.functions.get_mut(&name).unwrap().memory = 2048;
            }
        }
        Tamper::DeleteFunction(n) => {
            if let Some(name) = nth_key(&account.functions, n) {
                account.functions.remove(&name);
                account.permissions.remove(&name);
            }
        }
        Tamper::AddTag(n) => {
            if let Some(name) = nth_key(&account.functions, n) {
                let tags = &mut account.functions.get_mut(&name).unwrap().tags;
                tags.insert("added-by".into(), "console".into());
            }
        }
        Tamper::EnvVar(n) => {
            if let Some(name) = nth_key(&account.functions, n) {
                let env = &mut account.functions.get_mut(&name).unwrap().environment;
                env.insert("DEBUG".into(), "1".into());
            }
        }
        Tamper::DropPermission(n) => {
            if let Some(name) = nth_key(&account.permissions, n) {
                account.permissions.remove(&name);
            }
        }
        Tamper::DetachManaged(n) => {
            if let Some(name) = nth_key(&account.roles, n) {
                let role = account.roles.get_mut(&name).unwrap();
                let first = role.managed_policies.iter().next().cloned();
                first.map(|arn| role.managed_policies.remove(&arn));
            }
        }
        Tamper::DeleteInline(n) => {
            if let Some(name) = nth_key(&account.roles, n) {
                let role = account.roles.get_mut(&name).unwrap();
                role.inline_policies.pop_first();
            }
        }
        Tamper::TrustPolicy(n) => {
            if let Some(name) = nth_key(&account.roles, n) {
                let services = BTreeSet::from(["ec2.amazonaws.com".to_string()]);
                account.roles.get_mut(&name).unwrap().trust_policy = trust_policy(&services);
            }
        }
        Tamper::DeleteMethod(n) => {
            for api in account.apis.values_mut() {
                let with_methods: Vec<String> = api
                    .resources
                    .iter()
                    .filter(|(_, r)| !r.methods.is_empty())
                    .map(|(path, _)| path.clone())
                    .collect();
                if let Some(path) = with_methods.get(n % with_methods.len().max(1)) {
                    api.resources.get_mut(path).unwrap().methods.pop_first();
                }
            }
        }
        Tamper::DeleteStage => {
            for api in account.apis.values_mut() {
                api.stage = None;
            }
        }
        Tamper::ApiDescription => {
            for api in account.apis.values_mut() {
                api.settings.description = "edited in the console".into();
            }
        }
    }
}

// ---- running the engine ----

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

async fn plan_of(cloud: &MemoryCloud, model: &Model) -> (Plan, Live) {
    let live = live::read(cloud, &model.desired).await.unwrap();
    let plan = plan::build(&model.desired, &live, &model.artifacts()).unwrap();
    (plan, live)
}

/// Plans `model` against `cloud` and applies the plan, recording its events.
async fn plan_and_apply(
    cloud: &MemoryCloud,
    model: &Model,
) -> Result<(Plan, Vec<Event>), TestCaseError> {
    let (plan, live) = plan_of(cloud, model).await;
    let inputs = apply::Inputs {
        artifacts: model.artifacts(),
        secrets: lade::diff::env::secrets(&model.desired, &live),
    };
    let recorder = Recorder::default();
    let outcome = apply::execute(&plan, &inputs, cloud, &recorder, &apply::Limits::default()).await;
    prop_assert!(
        outcome.is_success(),
        "apply failed: {:?}\nsteps: {:#?}",
        outcome,
        plan.steps
            .iter()
            .map(|s| (s.id, s.op.describe(), &s.depends_on))
            .collect::<Vec<_>>()
    );
    Ok((plan, recorder.events()))
}

/// The state a case starts from: `start` applied to a fresh account, then tampered with.
async fn starting_state(start: &Model, tampers: &[Tamper]) -> Result<MemoryCloud, TestCaseError> {
    let cloud = MemoryCloud::new();
    plan_and_apply(&cloud, start).await?;
    {
        let mut account = cloud.account.lock().unwrap();
        for tamper in tampers {
            apply_tamper(&mut account, tamper);
        }
    }
    cloud.clear_calls();
    Ok(cloud)
}

// ---- what "the account matches the model" means, field by field ----

fn check_account(account: &Account, model: &Model) -> Result<(), TestCaseError> {
    let desired = &model.desired;
    let artifacts = model.artifacts();
    let scope = &desired.scope;

    // Roles.
    let role_names: BTreeSet<&String> = account.roles.keys().collect();
    let wanted_roles: BTreeSet<&String> = desired.roles.values().map(|r| &r.name).collect();
    prop_assert_eq!(role_names, wanted_roles);
    for role in desired.roles.values() {
        let live = &account.roles[&role.name];
        prop_assert_eq!(&live.path, &scope.iam_path());
        prop_assert!(
            lade::policy::equivalent(&live.trust_policy, &role.trust_policy()),
            "trust policy of {}: {} != {}",
            role.name,
            live.trust_policy,
            role.trust_policy()
        );
        prop_assert_eq!(&live.managed_policies, &role.managed_policies);
        prop_assert_eq!(&live.inline_policies, &role.inline_policies);
    }

    // The API first: function environments may hold its URL.
    let api = match &desired.api {
        None => {
            prop_assert!(account.apis.is_empty(), "no API wanted: {:?}", account.apis);
            None
        }
        Some(_) => {
            prop_assert_eq!(account.apis.len(), 1, "exactly one REST API");
            account.apis.values().next()
        }
    };

    // Functions.
    let function_names: BTreeSet<&String> = account.functions.keys().collect();
    let wanted_functions: BTreeSet<&String> = desired.functions.values().map(|f| &f.name).collect();
    prop_assert_eq!(function_names, wanted_functions);
    let function_arn = |key: &str| account.functions[&desired.functions[key].name].arn.clone();
    for function in desired.functions.values() {
        let live = &account.functions[&function.name];
        prop_assert_eq!(&live.handler, &function.handler);
        prop_assert_eq!(&live.runtime, &function.runtime);
        prop_assert_eq!(live.memory, function.memory);
        prop_assert_eq!(live.timeout, function.timeout);
        prop_assert_eq!(&live.description, &function.description);
        prop_assert_eq!(live.architecture, function.architecture);
        prop_assert_eq!(&live.code_sha256, &artifacts[&function.key].sha256);
        let role_arn = match &function.role {
            RoleRef::Key(key) => account.roles[&desired.roles[key].name].arn.clone(),
            RoleRef::Arn(arn) => arn.clone(),
        };
        prop_assert_eq!(&live.role_arn, &role_arn);
        let mut environment = BTreeMap::new();
        for (name, value) in &function.environment {
            let mut text = String::new();
            for part in &value.parts {
                match part {
                    Part::Text(t) => text.push_str(t),
                    Part::Ref(CrossRef::FunctionArn(key)) => text.push_str(&function_arn(key)),
                    Part::Ref(CrossRef::RoleArn(key)) => {
                        text.push_str(&account.roles[&desired.roles[key].name].arn)
                    }
                    Part::Ref(CrossRef::ApiUrl) => {
                        let id = &api.expect("an API").id;
                        text.push_str(&invoke_url(id, REGION, &scope.stage))
                    }
                    Part::Ref(CrossRef::FunctionUrl(key)) => {
                        text.push_str(&account.function_urls[&desired.functions[key].name].url)
                    }
                }
            }
            environment.insert(name.clone(), text);
        }
        prop_assert_eq!(
            &live.environment,
            &environment,
            "environment of {}",
            function.name
        );
        let mut tags = live.tags.clone();
        prop_assert!(
            tags.remove(TAG_CONFIG).is_some(),
            "{} records what lade applied",
            function.name
        );
        let sensitive: Vec<&str> = function
            .environment
            .iter()
            .filter(|(_, value)| value.sensitive)
            .map(|(key, _)| key.as_str())
            .collect();
        prop_assert_eq!(
            tags.remove(TAG_SENSITIVE),
            Some(sensitive.join(" ")),
            "{} records which variables are sensitive",
            function.name
        );
        prop_assert_eq!(tags, function_tags(scope, function));
    }

    // The API, its routes, invoke permissions and stage.
    let sid = statement_id(scope);
    let Some((wanted, api)) = desired.api.as_ref().zip(api) else {
        for (function, statements) in &account.permissions {
            prop_assert!(
                statements.iter().all(|p| p.sid != sid),
                "no API, yet {} keeps lade's statement",
                function
            );
        }
        return Ok(());
    };
    prop_assert!(scope.owns_tags(&api.tags));
    prop_assert_eq!(&api.settings, &wanted.settings);
    let mut paths = wanted_paths(&wanted.routes);
    paths.insert("/".into());
    let live_paths: BTreeSet<String> = api.resources.keys().cloned().collect();
    prop_assert_eq!(live_paths, paths);
    for (path, resource) in &api.resources {
        let methods: BTreeSet<&String> = resource.methods.keys().collect();
        let routed: BTreeSet<&String> = wanted
            .routes
            .iter()
            .filter(|r| &r.path == path)
            .map(|r| &r.method)
            .collect();
        prop_assert_eq!(methods, routed, "methods of {}", path);
    }
    for route in &wanted.routes {
        let method = &api.resources[&route.path].methods[&route.method];
        prop_assert_eq!(&method.authorization, route.authorization.as_str());
        prop_assert_eq!(method.api_key_required, route.api_key_required);
        let integration = method.integration.as_ref().expect("an integration");
        prop_assert_eq!(&integration.kind, "AWS_PROXY");
        prop_assert_eq!(&integration.http_method, "POST");
        prop_assert_eq!(
            Some(integration.uri.clone()),
            integration_uri(&function_arn(&route.function))
        );
    }
    let stage = api.stage.as_ref().expect("a stage");
    prop_assert_eq!(&stage.name, &scope.stage);
    prop_assert_eq!(&stage.deployment_id, &api.deployments[0].id);
    let invoked: BTreeSet<&str> = wanted.routes.iter().map(|r| r.function.as_str()).collect();
    for function in desired.functions.values() {
        let ours: Vec<_> = account
            .permissions
            .get(&function.name)
            .into_iter()
            .flatten()
            .filter(|p| p.sid == sid)
            .collect();
        if invoked.contains(function.key.as_str()) {
            prop_assert_eq!(ours.len(), 1, "one statement on {}", function.name);
            prop_assert_eq!(&ours[0].principal, "apigateway.amazonaws.com");
            prop_assert_eq!(&ours[0].action, "lambda:InvokeFunction");
            prop_assert_eq!(
                ours[0].source_arn.clone(),
                source_arn(&function_arn(&function.key), &api.id)
            );
        } else {
            prop_assert!(ours.is_empty(), "{} is not routed to", function.name);
        }
    }
    Ok(())
}

/// Every step started only after each step it depends on succeeded, and depends only
/// on lower ids.
fn check_order(plan: &Plan, events: &[Event]) -> Result<(), TestCaseError> {
    let mut started = BTreeMap::new();
    let mut succeeded = BTreeMap::new();
    for (at, event) in events.iter().enumerate() {
        match event {
            Event::Started { step, .. } => prop_assert!(started.insert(*step, at).is_none()),
            Event::Succeeded { step, .. } => prop_assert!(succeeded.insert(*step, at).is_none()),
            other => prop_assert!(false, "unexpected event {:?}", other),
        }
    }
    prop_assert_eq!(started.len(), plan.steps.len(), "every step started");
    prop_assert_eq!(succeeded.len(), plan.steps.len(), "every step succeeded");
    for step in &plan.steps {
        for &dependency in &step.depends_on {
            prop_assert!(
                dependency < step.id,
                "step {} depends on later step {}",
                step.id,
                dependency
            );
            prop_assert!(
                succeeded[&dependency] < started[&step.id],
                "step {} ({}) started before step {} ({}) succeeded",
                step.id,
                step.op.describe(),
                dependency,
                plan.steps[dependency].op.describe()
            );
        }
    }
    Ok(())
}

/// The stage only ever serves a complete route table: every call that changes routes
/// or invoke permissions comes before the deployment.
fn check_deployment_last(calls: &[String]) -> Result<(), TestCaseError> {
    const ROUTE_CALLS: [&str; 6] = [
        "CreateResource",
        "PutMethod",
        "PutIntegration",
        "DeleteMethod",
        "DeleteResource",
        "AddPermission",
    ];
    if let Some(deployed) = calls.iter().rposition(|c| c == "CreateDeployment") {
        let late = calls[deployed..]
            .iter()
            .find(|c| ROUTE_CALLS.contains(&c.as_str()));
        prop_assert!(
            late.is_none(),
            "{:?} after the deployment: {:?}",
            late,
            calls
        );
    }
    Ok(())
}

// ---- properties ----

proptest! {
    #![proptest_config(config(64))]

    /// From any starting state, applying the plan yields exactly the desired state, and
    /// the next plan is empty.
    #[test]
    fn apply_converges_from_any_state(
        start in model(),
        tampers in prop::collection::vec(tamper(), 0..3),
        target in model(),
    ) {
        block_on(async {
            let cloud = starting_state(&start, &tampers).await?;
            let (plan, events) = plan_and_apply(&cloud, &target).await?;
            check_order(&plan, &events)?;
            check_deployment_last(&cloud.calls())?;
            check_account(&cloud.snapshot(), &target)?;
            let (again, _) = plan_of(&cloud, &target).await;
            prop_assert!(again.is_empty(), "second plan is not empty: {:#?}", again.changes);
            Ok(())
        })?;
    }

    /// A plan for a state that already matches is empty, and applying it (or reading the
    /// account to make it) makes no mutating call.
    #[test]
    fn a_matching_state_plans_nothing_and_changes_nothing(target in model()) {
        block_on(async {
            let cloud = MemoryCloud::new();
            let (first, _) = plan_and_apply(&cloud, &target).await?;
            let something = !target.desired.roles.is_empty() || !target.desired.functions.is_empty();
            prop_assert_eq!(!first.is_empty(), something, "a cold plan creates what the model holds");
            cloud.clear_calls();
            let (plan, _) = plan_of(&cloud, &target).await;
            prop_assert!(plan.is_empty(), "plan is not empty: {:#?}", plan.changes);
            prop_assert!(plan.changes.is_empty());
            let outcome =
                apply::execute(&plan, &target.artifacts().into(), &cloud, &apply::Silent, &apply::Limits::default()).await;
            prop_assert!(outcome.is_success());
            prop_assert_eq!(cloud.mutations(), Vec::<String>::new());
            Ok(())
        })?;
    }

    /// No sensitive value, of the model being planned or of the one applied before,
    /// appears in any rendering of the plan or in its saved JSON.
    #[test]
    fn no_secret_reaches_any_output(
        start in model(),
        tampers in prop::collection::vec(tamper(), 0..2),
        target in model(),
    ) {
        block_on(async {
            let cloud = starting_state(&start, &tampers).await?;
            let (plan, _) = plan_of(&cloud, &target).await;
            let outputs = [
                ("json", lade::render::plan_json(&plan)),
                ("text", lade::render::plan_text(&plan)),
                ("markdown", lade::render::markdown::plan(&plan)),
                ("explain", lade::render::explain::plan(&plan)),
                ("mermaid", lade::render::graph::mermaid(&plan)),
            ];
            for (format, text) in outputs {
                prop_assert!(
                    !text.contains(SECRET_MARK),
                    "a secret in the {} plan:\n{}",
                    format,
                    text
                );
            }
            Ok(())
        })?;
    }

    /// Destroy, from any state lade left, removes everything the project owns.
    #[test]
    fn destroy_leaves_nothing(
        start in model(),
        tampers in prop::collection::vec(tamper(), 0..3),
    ) {
        block_on(async {
            let cloud = starting_state(&start, &tampers).await?;
            let live = live::read(&cloud, &start.desired).await.unwrap();
            let plan = plan::destroy(&scope(), None, &live).unwrap();
            let recorder = Recorder::default();
            let outcome =
                apply::execute(&plan, &Default::default(), &cloud, &recorder, &apply::Limits::default()).await;
            prop_assert!(outcome.is_success(), "destroy failed: {:?}", outcome);
            check_order(&plan, &recorder.events())?;
            let account = cloud.snapshot();
            prop_assert!(account.roles.is_empty(), "roles left: {:?}", account.roles.keys());
            prop_assert!(
                account.functions.is_empty(),
                "functions left: {:?}",
                account.functions.keys()
            );
            prop_assert!(account.apis.is_empty(), "APIs left: {:?}", account.apis.keys());
            Ok(())
        })?;
    }
}

/// The generator itself: the cases above are only as good as the models it makes, so
/// check that it reaches the interesting shapes.
#[test]
fn the_generator_reaches_apis_references_renames_and_secrets() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut apis, mut proxies, mut refs, mut renamed, mut secrets, mut external) =
        (0, 0, 0, 0, 0, 0);
    for _ in 0..200 {
        let model = model().new_tree(&mut runner).unwrap().current();
        let desired = &model.desired;
        if let Some(api) = &desired.api {
            apis += 1;
            proxies += api.routes.iter().any(|r| r.path.ends_with("{proxy+}")) as usize;
        }
        for f in desired.functions.values() {
            refs += f.environment.values().any(|v| v.refs().next().is_some()) as usize;
            renamed += f.name.ends_with("-v2") as usize;
            secrets += f.environment.values().any(|v| v.sensitive) as usize;
            external += matches!(&f.role, RoleRef::Arn(_)) as usize;
        }
    }
    for (what, count) in [
        ("APIs", apis),
        ("proxy routes", proxies),
        ("references", refs),
        ("renamed functions", renamed),
        ("secrets", secrets),
        ("external roles", external),
    ] {
        assert!(count >= 10, "only {count} models with {what} in 200");
    }
}
