DROP TABLE login_failures;
DROP TRIGGER revocations_notify ON revocations;
DROP FUNCTION notify_revocation();
DROP TABLE revocations;
DROP TABLE refresh_tokens;
DROP TABLE users;
