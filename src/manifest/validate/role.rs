//! `roles:` → [`Role`]s: trust, managed policies and inline policy documents.
//!
//! Owns the checks of a role's own fields and of its policy documents' shape (version,
//! statements, effect). It does not check what a policy allows (IAM does, at apply
//! time), nor whether a function's `role:` names a role: that is
//! [`function`](super::function)'s.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::raw::{OneOrMany, RawPolicyDocument, RawRole, Sp};
use crate::manifest::rules;
use crate::model::{DEFAULT_TRUST_SERVICE, Role, Scope};

use super::Validator;
use super::names::NameRules;

const ROLE_NAMES: NameRules = NameRules {
    kind: "role",
    service: "IAM",
    allowed: rules::is_iam_name_char,
    charset: "letters, digits and `+=,.@_-`",
};

impl Validator<'_, '_> {
    pub(super) fn role(
        &mut self,
        scope: &Scope,
        key: &Sp<String>,
        raw: &RawRole,
        default_boundary: Option<&str>,
    ) -> Option<Role> {
        let key_ok = self.resource_key(key, "role");
        let name = self.physical_name(scope, key, raw.name.as_ref(), &ROLE_NAMES);
        let mut trust_services = BTreeSet::new();
        match &raw.trust {
            None => {
                trust_services.insert(DEFAULT_TRUST_SERVICE.to_owned());
            }
            Some(trust) => {
                if let OneOrMany::Many(list) = trust
                    && list.is_empty()
                {
                    self.r
                        .error(key.loc, format!("role `{}` trusts no service", key.value))
                        .help("remove `trust:` to let Lambda assume the role (`lambda.amazonaws.com`)");
                }
                for service in trust.iter() {
                    let service = &service.0;
                    if rules::is_service_principal(&service.value) {
                        trust_services.insert(service.value.clone());
                    } else {
                        let fix = if service.value.contains('.') {
                            String::new()
                        } else {
                            format!(", e.g. `{}.amazonaws.com`", service.value.to_lowercase())
                        };
                        self.r
                            .error(
                                service.loc,
                                format!("`{}` is not a service principal", service.value),
                            )
                            .help(format!(
                                "a service principal looks like `<service>.amazonaws.com`{fix}"
                            ));
                    }
                }
            }
        }
        let mut managed_policies = BTreeSet::new();
        for arn in raw.managed_policies.iter().flatten() {
            if let Some(arn) = self.policy_arn(&arn.0, "managed policy") {
                managed_policies.insert(arn);
            }
        }
        let boundary = match &raw.boundary {
            Some(arn) => self.policy_arn(&arn.0, "permissions boundary"),
            None => default_boundary.map(str::to_owned),
        };
        let mut inline_policies = BTreeMap::new();
        for (name, doc) in raw.policies.iter() {
            if name.value.is_empty()
                || name.value.chars().count() > 128
                || !name.value.chars().all(rules::is_iam_name_char)
            {
                self.r
                    .error(
                        name.loc,
                        format!("`{}` is not a valid policy name", name.value),
                    )
                    .help("an inline policy name is 1 to 128 letters, digits and `+=,.@_-`");
            }
            if let Some(value) = self.policy_document(name, doc) {
                inline_policies.insert(name.value.clone(), value);
            }
        }
        key_ok.then(|| Role {
            key: key.value.clone(),
            name,
            path: scope.iam_path(),
            trust_services,
            managed_policies,
            inline_policies,
            boundary,
        })
    }

    /// A managed policy's ARN (`what`: its use, for the message), or `None` after
    /// reporting why it is not one.
    pub(super) fn policy_arn(&mut self, arn: &Sp<String>, what: &str) -> Option<String> {
        if rules::is_policy_arn(&arn.value) {
            return Some(arn.value.clone());
        }
        self.r
            .error(arn.loc, format!("`{}` is not a managed policy ARN", arn.value))
            .help(format!("a {what} ARN is `arn:<partition>:iam::aws:policy/<path><name>` for AWS managed policies, or `arn:<partition>:iam::<12-digit account id>:policy/<path><name>` for your own"))
            .help_if((!arn.value.starts_with("arn:")).then(|| {
                format!(
                    "for the AWS managed policy of that name, write `arn:aws:iam::aws:policy/{}`",
                    arn.value
                )
            }));
        None
    }

    pub(super) fn policy_document(
        &mut self,
        name: &Sp<String>,
        doc: &RawPolicyDocument,
    ) -> Option<serde_json::Value> {
        let mut ok = true;
        if let Some(version) = &doc.version
            && !matches!(version.value.as_str(), "2012-10-17" | "2008-10-17")
        {
            ok = false;
            self.r
                .error(
                    version.loc,
                    format!(
                        "`Version` of policy `{}` must be `\"2012-10-17\"`, not `{}`",
                        name.value, version.value
                    ),
                )
                .help("`Version` is the policy language version, not a date of yours");
        }
        let statements: Vec<_> = doc.statement.value.iter().collect();
        if statements.is_empty() {
            ok = false;
            self.r
                .error(
                    doc.statement.loc,
                    format!("policy `{}` has no statements", name.value),
                )
                .help(
                    "add a statement with `Effect`, `Action` and `Resource`, or remove the policy",
                );
        }
        for statement in statements {
            match statement.get("Effect").and_then(|e| e.as_str()) {
                Some("Allow" | "Deny") => {}
                other => {
                    ok = false;
                    let what = match other {
                        Some(effect) => format!("has `Effect: {effect}`"),
                        None => "has no `Effect`".to_owned(),
                    };
                    self.r
                        .error(
                            doc.statement.loc,
                            format!("a statement of policy `{}` {what}", name.value),
                        )
                        .help("each statement needs `Effect: Allow` or `Effect: Deny`");
                }
            }
        }
        if !ok {
            return None;
        }
        serde_json::to_value(doc).ok()
    }
}
