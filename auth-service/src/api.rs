//! `completionist.auth.v1.AuthService` and the internal `TokenService`: one
//! line per method, each handled end to end by its concept's module.

use completionist_proto::auth::{
    self as pb, auth_service_server::AuthService, token_service_server::TokenService,
};
use tonic::{Request, Response, Status};

use crate::{accounts, admin, app::App, error::Error, revocation, sessions};

pub(crate) struct Api(pub(crate) App);

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(result: Result<T, Error>) -> Reply<T> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl AuthService for Api {
    async fn register(&self, r: Request<pb::RegisterRequest>) -> Reply<pb::RegisterResponse> {
        reply(accounts::register(&self.0, r).await)
    }

    async fn login(&self, r: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        reply(sessions::login(&self.0, r).await)
    }

    async fn refresh(&self, r: Request<pb::RefreshRequest>) -> Reply<pb::RefreshResponse> {
        reply(sessions::refresh(&self.0, r).await)
    }

    async fn logout(&self, r: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        reply(sessions::logout(&self.0, r).await)
    }

    async fn revoke_user_tokens(
        &self,
        r: Request<pb::RevokeUserTokensRequest>,
    ) -> Reply<pb::RevokeUserTokensResponse> {
        reply(admin::revoke_user_tokens(&self.0, r).await)
    }

    async fn revoke_all_tokens(
        &self,
        r: Request<pb::RevokeAllTokensRequest>,
    ) -> Reply<pb::RevokeAllTokensResponse> {
        reply(admin::revoke_all_tokens(&self.0, r).await)
    }

    async fn cleanup_revoked_tokens(
        &self,
        r: Request<pb::CleanupRevokedTokensRequest>,
    ) -> Reply<pb::CleanupRevokedTokensResponse> {
        reply(admin::cleanup_revoked_tokens(&self.0, r).await)
    }

    async fn get_current_user(
        &self,
        r: Request<pb::GetCurrentUserRequest>,
    ) -> Reply<pb::GetCurrentUserResponse> {
        reply(accounts::get_current_user(&self.0, r).await)
    }

    async fn change_password(
        &self,
        r: Request<pb::ChangePasswordRequest>,
    ) -> Reply<pb::ChangePasswordResponse> {
        reply(accounts::change_password(&self.0, r).await)
    }

    async fn list_users(&self, r: Request<pb::ListUsersRequest>) -> Reply<pb::ListUsersResponse> {
        reply(admin::list_users(&self.0, r).await)
    }

    async fn get_user(&self, r: Request<pb::GetUserRequest>) -> Reply<pb::GetUserResponse> {
        reply(admin::get_user(&self.0, r).await)
    }

    async fn update_user(
        &self,
        r: Request<pb::UpdateUserRequest>,
    ) -> Reply<pb::UpdateUserResponse> {
        reply(admin::update_user(&self.0, r).await)
    }

    async fn delete_user(
        &self,
        r: Request<pb::DeleteUserRequest>,
    ) -> Reply<pb::DeleteUserResponse> {
        reply(admin::delete_user(&self.0, r).await)
    }
}

#[tonic::async_trait]
impl TokenService for Api {
    async fn validate_token(
        &self,
        r: Request<pb::ValidateTokenRequest>,
    ) -> Reply<pb::ValidateTokenResponse> {
        reply(sessions::validate_token(&self.0, r).await)
    }

    type WatchRevocationsStream = revocation::Feed;

    async fn watch_revocations(
        &self,
        r: Request<pb::WatchRevocationsRequest>,
    ) -> Reply<revocation::Feed> {
        reply(revocation::watch_revocations(&self.0, r))
    }

    async fn list_deleted_users(
        &self,
        r: Request<pb::ListDeletedUsersRequest>,
    ) -> Reply<pb::ListDeletedUsersResponse> {
        reply(admin::list_deleted_users(&self.0, r).await)
    }
}
