//! The gRPC adapter: each handler turns the request into domain values,
//! makes one call on [`App`], and turns the answer into protobuf.

use completionist_common::{
    error::Violations, metadata::bearer_token, page_token, time::timestamp,
};
use completionist_proto::auth::{self as pb, auth_service_server::AuthService};
use tonic::{Request, Response, Status, metadata::MetadataMap};

use crate::{
    app::{App, Caller, NewAccount, Tokens, UserUpdate},
    db::UserRow,
    domain::{DisplayName, Email, Password, Role, UserId},
    error::Error,
};

/// `completionist.auth.v1.AuthService` over an [`App`].
pub struct AuthApi {
    app: App,
}

impl AuthApi {
    pub fn new(app: App) -> Self {
        Self { app }
    }

    /// The caller behind the request's bearer token.
    async fn caller(&self, metadata: &MetadataMap) -> Result<Caller, Error> {
        let token = bearer_token(metadata).ok_or(Error::MissingToken)?;
        self.app.authenticate(token).await
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn register(&self, request: Request<pb::RegisterRequest>) -> Reply<pb::RegisterResponse> {
        let account = NewAccount::try_from(request.into_inner())?;
        let user = self.app.register(account).await?;
        Ok(Response::new(pb::RegisterResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let email = v.check("email", non_empty(&request.email));
        let password = v.check("password", non_empty(&request.password));
        let (email, password) = v.finish((email, password)).map_err(Error::from)?;
        let (user, tokens) = self.app.login(email, password).await?;
        Ok(Response::new(pb::LoginResponse {
            user: Some(user_to_proto(&user)),
            tokens: Some(tokens_to_proto(tokens)),
        }))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Reply<pb::RefreshResponse> {
        let tokens = self
            .app
            .refresh(&request.into_inner().refresh_token)
            .await?;
        Ok(Response::new(pb::RefreshResponse {
            tokens: Some(tokens_to_proto(tokens)),
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let caller = self.caller(request.metadata()).await?;
        self.app.logout(&caller).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn validate_token(
        &self,
        request: Request<pb::ValidateTokenRequest>,
    ) -> Reply<pb::ValidateTokenResponse> {
        let token = request.into_inner().access_token;
        if token.is_empty() {
            return Err(Error::invalid("access_token", "must not be empty").into());
        }
        let Caller(claims) = self.app.authenticate(&token).await?;
        Ok(Response::new(pb::ValidateTokenResponse {
            user_id: claims.sub.to_string(),
            role: pb::Role::from(claims.role).into(),
            expire_time: Some(timestamp(claims.expires_at())),
            token_id: claims.jti.to_string(),
        }))
    }

    async fn revoke_user_tokens(
        &self,
        request: Request<pb::RevokeUserTokensRequest>,
    ) -> Reply<pb::RevokeUserTokensResponse> {
        let caller = self.caller(request.metadata()).await?;
        let raw = &request.get_ref().user_id;
        let target = if raw.is_empty() {
            None
        } else {
            Some(UserId::parse(raw).map_err(|why| Error::invalid("user_id", why))?)
        };
        let at = self.app.revoke_user_tokens(&caller, target).await?;
        Ok(Response::new(pb::RevokeUserTokensResponse {
            revoke_time: Some(timestamp(at)),
        }))
    }

    async fn revoke_all_tokens(
        &self,
        request: Request<pb::RevokeAllTokensRequest>,
    ) -> Reply<pb::RevokeAllTokensResponse> {
        let caller = self.caller(request.metadata()).await?;
        let at = self.app.revoke_all(&caller).await?;
        Ok(Response::new(pb::RevokeAllTokensResponse {
            revoke_time: Some(timestamp(at)),
        }))
    }

    async fn cleanup_revoked_tokens(
        &self,
        request: Request<pb::CleanupRevokedTokensRequest>,
    ) -> Reply<pb::CleanupRevokedTokensResponse> {
        let caller = self.caller(request.metadata()).await?;
        let deleted = self.app.cleanup_as(&caller).await?;
        Ok(Response::new(pb::CleanupRevokedTokensResponse {
            deleted_count: i64::try_from(deleted).unwrap_or(i64::MAX),
        }))
    }

    async fn get_current_user(
        &self,
        request: Request<pb::GetCurrentUserRequest>,
    ) -> Reply<pb::GetCurrentUserResponse> {
        let caller = self.caller(request.metadata()).await?;
        let user = self.app.current_user(&caller).await?;
        Ok(Response::new(pb::GetCurrentUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Reply<pb::ChangePasswordResponse> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        if request.current_password.is_empty() {
            return Err(Error::invalid("current_password", "must not be empty").into());
        }
        let tokens = self
            .app
            .change_password(&caller, &request.current_password, &request.new_password)
            .await?;
        Ok(Response::new(pb::ChangePasswordResponse {
            tokens: Some(tokens_to_proto(tokens)),
        }))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page_size = page_token::page_size(request.page_size, 20, 100)
            .map_err(|why| Error::invalid("page_size", why))?;
        let (users, next_page_token) = self
            .app
            .list_users(&caller, page_size, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListUsersResponse {
            users: users.iter().map(user_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Reply<pb::GetUserResponse> {
        let caller = self.caller(request.metadata()).await?;
        let id = UserId::parse(&request.get_ref().user_id)
            .map_err(|why| Error::invalid("user_id", why))?;
        let user = self.app.get_user(&caller, id).await?;
        Ok(Response::new(pb::GetUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Reply<pb::UpdateUserResponse> {
        let caller = self.caller(request.metadata()).await?;
        let (id, update) = parse_update(request.into_inner())?;
        let user = self.app.update_user(&caller, id, update).await?;
        Ok(Response::new(pb::UpdateUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Reply<pb::DeleteUserResponse> {
        let caller = self.caller(request.metadata()).await?;
        let id = UserId::parse(&request.get_ref().user_id)
            .map_err(|why| Error::invalid("user_id", why))?;
        self.app.delete_user(&caller, id).await?;
        Ok(Response::new(pb::DeleteUserResponse {}))
    }
}

impl TryFrom<pb::RegisterRequest> for NewAccount {
    type Error = Error;

    fn try_from(request: pb::RegisterRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let email = v.check("email", Email::parse(&request.email));
        let password = v.check(
            "password",
            Password::parse(&request.password, Some(&request.email)),
        );
        let display_name = v.check("display_name", DisplayName::parse(&request.display_name));
        let (email, password, display_name) = v.finish((email, password, display_name))?;
        Ok(Self {
            email,
            password,
            display_name,
        })
    }
}

/// The id and the masked changes of an UpdateUser request. An empty mask
/// means every field set to a non-default value (AIP-134).
fn parse_update(request: pb::UpdateUserRequest) -> Result<(UserId, UserUpdate), Error> {
    let Some(user) = request.user else {
        return Err(Error::invalid("user", "is required"));
    };
    let mut paths = request
        .update_mask
        .map(|mask| mask.paths)
        .unwrap_or_default();
    if paths.is_empty() {
        paths = [
            (!user.display_name.is_empty()).then_some("display_name"),
            (user.role != pb::Role::Unspecified as i32).then_some("role"),
            user.disabled.then_some("disabled"),
        ]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    }
    let mut v = Violations::default();
    let id = v.check("user.id", UserId::parse(&user.id));
    let mut update = UserUpdate::default();
    if paths.is_empty() {
        v.add("update_mask", "names no field to change");
    }
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                update.display_name =
                    v.check("user.display_name", DisplayName::parse(&user.display_name));
            }
            "role" => update.role = v.check("user.role", Role::try_from(user.role)),
            "disabled" => update.disabled = Some(user.disabled),
            other => v.add(
                "update_mask",
                format!("unknown or immutable field {other:?}; use display_name, role or disabled"),
            ),
        }
    }
    let (id,) = v.finish((id,))?;
    Ok((id, update))
}

fn non_empty(value: &str) -> Result<&str, &'static str> {
    if value.is_empty() {
        Err("must not be empty")
    } else {
        Ok(value)
    }
}

/// An account as the API shows it: never with its password hash.
fn user_to_proto(user: &UserRow) -> pb::User {
    let role = user
        .role
        .parse::<Role>()
        .map_or(pb::Role::Unspecified, pb::Role::from);
    pb::User {
        id: user.id.to_string(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: role.into(),
        disabled: user.disabled,
        create_time: Some(timestamp(user.created_at)),
        update_time: Some(timestamp(user.updated_at)),
    }
}

fn tokens_to_proto(tokens: Tokens) -> pb::TokenPair {
    pb::TokenPair {
        access_token: tokens.access.token,
        access_token_expire_time: Some(timestamp(tokens.access.claims.expires_at())),
        refresh_token: tokens.refresh,
        refresh_token_expire_time: Some(timestamp(tokens.refresh_expires_at)),
        token_type: "Bearer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_reports_every_invalid_field() {
        let Err(Error::InvalidArgument(violations)) = NewAccount::try_from(pb::RegisterRequest {
            email: "nope".into(),
            password: "short".into(),
            display_name: " ".into(),
        }) else {
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
        let Err(Error::InvalidArgument(violations)) = parse_update(request) else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["user.id", "update_mask", "user.role"]);
    }
}
