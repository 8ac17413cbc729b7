//! Every conversion between auth-service's protobuf messages and its
//! domain: requests destructured whole (a new field breaks the build until
//! it is handled here), every invalid field reported at once.

use completionist_common::{error::Violations, field_mask, paging::PageSize, time::timestamp};
use completionist_proto::auth as pb;

use crate::{
    accounts::{NewAccount, PasswordChange},
    admin::{DeletionPage, RevokeTarget, UserPage, UserUpdate},
    app::Caller,
    db::{revocations::RevocationRow, users::DeletedUserRow},
    domain::{DisplayName, Email, Password, Role, User, UserId},
    error::Error,
    revocation::RevocationKind,
    sessions::{LoginAttempt, Tokens},
};

impl TryFrom<pb::RegisterRequest> for NewAccount {
    type Error = Error;

    fn try_from(request: pb::RegisterRequest) -> Result<Self, Error> {
        let pb::RegisterRequest {
            email,
            password,
            display_name,
        } = request;
        let mut v = Violations::default();
        let parsed_email = v.check("email", Email::parse(&email));
        let password = v.check("password", Password::parse(&password, Some(&email)));
        let display_name = v.check("display_name", DisplayName::parse(&display_name));
        let (email, password, display_name) = v.finish((parsed_email, password, display_name))?;
        Ok(Self {
            email,
            password,
            display_name,
        })
    }
}

impl TryFrom<pb::LoginRequest> for LoginAttempt {
    type Error = Error;

    fn try_from(request: pb::LoginRequest) -> Result<Self, Error> {
        let pb::LoginRequest { email, password } = request;
        let mut v = Violations::default();
        let email = v.check("email", non_empty(email));
        let password = v.check("password", non_empty(password));
        let (email, password) = v.finish((email, password))?;
        Ok(Self { email, password })
    }
}

impl TryFrom<pb::ChangePasswordRequest> for PasswordChange {
    type Error = Error;

    fn try_from(request: pb::ChangePasswordRequest) -> Result<Self, Error> {
        let pb::ChangePasswordRequest {
            current_password,
            new_password,
        } = request;
        let current =
            non_empty(current_password).map_err(|why| Error::invalid("current_password", why))?;
        Ok(Self {
            current,
            new: new_password,
        })
    }
}

impl TryFrom<pb::ListUsersRequest> for UserPage {
    type Error = Error;

    fn try_from(request: pb::ListUsersRequest) -> Result<Self, Error> {
        let pb::ListUsersRequest {
            page_size,
            page_token,
        } = request;
        let size =
            PageSize::parse(page_size, 20, 100).map_err(|why| Error::invalid("page_size", why))?;
        Ok(Self {
            size,
            token: page_token,
        })
    }
}

impl TryFrom<pb::ListDeletedUsersRequest> for DeletionPage {
    type Error = Error;

    fn try_from(request: pb::ListDeletedUsersRequest) -> Result<Self, Error> {
        let pb::ListDeletedUsersRequest {
            page_size,
            page_token,
            after_sequence,
        } = request;
        let mut v = Violations::default();
        let size = v.check("page_size", PageSize::parse(page_size, 100, 1000));
        let after = v.check(
            "after_sequence",
            if after_sequence < 0 {
                Err("must not be negative")
            } else {
                Ok(after_sequence)
            },
        );
        let (size, after) = v.finish((size, after))?;
        Ok(Self {
            size,
            token: page_token,
            after,
        })
    }
}

impl TryFrom<pb::GetUserRequest> for UserId {
    type Error = Error;

    fn try_from(request: pb::GetUserRequest) -> Result<Self, Error> {
        let pb::GetUserRequest { user_id } = request;
        Self::parse(&user_id).map_err(|why| Error::invalid("user_id", why))
    }
}

impl TryFrom<pb::DeleteUserRequest> for UserId {
    type Error = Error;

    fn try_from(request: pb::DeleteUserRequest) -> Result<Self, Error> {
        let pb::DeleteUserRequest { user_id } = request;
        Self::parse(&user_id).map_err(|why| Error::invalid("user_id", why))
    }
}

impl TryFrom<pb::RevokeUserTokensRequest> for RevokeTarget {
    type Error = Error;

    fn try_from(request: pb::RevokeUserTokensRequest) -> Result<Self, Error> {
        let pb::RevokeUserTokensRequest { user_id } = request;
        if user_id.is_empty() {
            return Ok(Self(None));
        }
        let id = UserId::parse(&user_id).map_err(|why| Error::invalid("user_id", why))?;
        Ok(Self(Some(id)))
    }
}

/// The id and the masked changes of an UpdateUser request (AIP-134).
impl TryFrom<pb::UpdateUserRequest> for UserUpdate {
    type Error = Error;

    fn try_from(request: pb::UpdateUserRequest) -> Result<Self, Error> {
        let pb::UpdateUserRequest { user, update_mask } = request;
        let Some(user) = user else {
            return Err(Error::invalid("user", "is required"));
        };
        let pb::User {
            id,
            display_name,
            role,
            disabled,
            email: _,
            create_time: _,
            update_time: _,
        } = user;
        let mut v = Violations::default();
        let id = v.check("user.id", UserId::parse(&id));
        let (mut new_name, mut new_role, mut new_disabled) = (None, None, None);
        let fields = [
            ("display_name", !display_name.is_empty()),
            ("role", role != pb::Role::Unspecified as i32),
            ("disabled", disabled),
        ];
        field_mask::apply(update_mask, &fields, &mut v, |path, v| match path {
            "display_name" => {
                new_name = v.check("user.display_name", DisplayName::parse(&display_name));
            }
            "role" => new_role = v.check("user.role", role_from_proto(role)),
            _ => new_disabled = Some(disabled),
        });
        let (id,) = v.finish((id,))?;
        Ok(Self {
            id,
            display_name: new_name,
            role: new_role,
            disabled: new_disabled,
        })
    }
}

fn role_from_proto(value: i32) -> Result<Role, String> {
    match pb::Role::try_from(value) {
        Ok(pb::Role::User) => Ok(Role::User),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Unspecified) => Err("must be ROLE_USER or ROLE_ADMIN".into()),
        Err(_) => Err(format!("unknown role {value}")),
    }
}

impl From<Role> for pb::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::User => Self::User,
            Role::Admin => Self::Admin,
        }
    }
}

/// An account as the API shows it.
impl From<User> for pb::User {
    fn from(user: User) -> Self {
        let User {
            id,
            email,
            display_name,
            role,
            disabled,
            created_at,
            updated_at,
        } = user;
        Self {
            id: id.to_string(),
            email,
            display_name,
            role: pb::Role::from(role).into(),
            disabled,
            create_time: Some(timestamp(created_at)),
            update_time: Some(timestamp(updated_at)),
        }
    }
}

impl From<Tokens> for pb::TokenPair {
    fn from(tokens: Tokens) -> Self {
        Self {
            access_token_expire_time: Some(timestamp(tokens.access.claims.expires_at())),
            access_token: tokens.access.token,
            refresh_token: tokens.refresh,
            refresh_token_expire_time: Some(timestamp(tokens.refresh_expires_at)),
            token_type: "Bearer".into(),
        }
    }
}

impl From<Caller> for pb::ValidateTokenResponse {
    fn from(Caller(claims): Caller) -> Self {
        Self {
            user_id: claims.sub.to_string(),
            role: pb::Role::from(claims.role).into(),
            expire_time: Some(timestamp(claims.expires_at())),
            token_id: claims.jti.to_string(),
            session_id: claims.sid.to_string(),
        }
    }
}

impl From<RevocationRow> for pb::WatchRevocationsResponse {
    fn from(row: RevocationRow) -> Self {
        use pb::{revocation::Scope, watch_revocations_response::Event};
        let subject = row.subject.map(|id| id.to_string()).unwrap_or_default();
        let scope = match row.kind {
            RevocationKind::Token => Scope::TokenId(subject),
            RevocationKind::Family => Scope::SessionId(subject),
            RevocationKind::User => Scope::UserId(subject),
            RevocationKind::All => Scope::Everyone(true),
            RevocationKind::Deleted => {
                return Self {
                    event: Some(Event::UserDeleted(pb::UserDeleted {
                        user_id: subject,
                        delete_time: row.issued_before.map(timestamp),
                    })),
                };
            }
        };
        Self {
            event: Some(Event::Revocation(pb::Revocation {
                scope: Some(scope),
                revoke_time: row.issued_before.map(timestamp),
            })),
        }
    }
}

impl From<DeletedUserRow> for pb::DeletedUser {
    fn from(row: DeletedUserRow) -> Self {
        Self {
            user_id: row.user_id.to_string(),
            delete_time: Some(timestamp(row.deleted_at)),
            sequence: row.sequence,
        }
    }
}

fn non_empty(value: String) -> Result<String, &'static str> {
    if value.is_empty() {
        Err("must not be empty")
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_reports_every_invalid_field() {
        let Err(Error::Common(completionist_common::error::CommonError::InvalidArgument(
            violations,
        ))) = NewAccount::try_from(pb::RegisterRequest {
            email: "nope".into(),
            password: "short".into(),
            display_name: " ".into(),
        })
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "display_name"]);
    }

    #[test]
    fn update_mask_paths_are_checked() {
        let request = pb::UpdateUserRequest {
            user: Some(pb::User {
                id: "not-a-uuid".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["email".into(), "role".into()],
            }),
        };
        let Err(Error::Common(completionist_common::error::CommonError::InvalidArgument(
            violations,
        ))) = UserUpdate::try_from(request)
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["user.id", "update_mask", "user.role"]);
    }

    #[test]
    fn roles_map_to_protobuf_and_back() {
        for role in Role::ALL {
            assert_eq!(role_from_proto(pb::Role::from(*role) as i32), Ok(*role));
        }
        assert!(role_from_proto(0).is_err());
        assert!(role_from_proto(99).is_err());
    }
}
