//! New users for tests, made through the API as a person makes one:
//! Register, then Login.

use completionist_proto::auth::{
    LoginRequest, RegisterRequest, TokenPair, auth_service_client::AuthServiceClient,
};
use tonic::transport::Channel;

/// The password of every user [`register`] makes.
pub const PASSWORD: &str = "long enough password";

/// Registers a user with a fresh email through `auth` (auth-service, or a
/// gateway in front of it); its email.
pub async fn register(auth: &AuthServiceClient<Channel>) -> String {
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    register_as(auth, &email).await;
    email
}

/// Registers `email` (with [`PASSWORD`]) through `auth`.
pub async fn register_as(auth: &AuthServiceClient<Channel>, email: &str) {
    auth.clone()
        .register(RegisterRequest {
            email: email.into(),
            password: PASSWORD.into(),
            display_name: "Test user".into(),
        })
        .await
        .expect("registered");
}

/// Logs `email` (registered by [`register`]) in through `auth`: a new
/// session's tokens.
pub async fn log_in(auth: &AuthServiceClient<Channel>, email: &str) -> TokenPair {
    auth.clone()
        .login(LoginRequest {
            email: email.into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("logged in")
        .into_inner()
        .tokens
        .expect("tokens in the answer")
}

/// A new user's first session's tokens.
pub async fn new_user(auth: &AuthServiceClient<Channel>) -> TokenPair {
    let email = register(auth).await;
    log_in(auth, &email).await
}
