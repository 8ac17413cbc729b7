-- How far media-service has removed the data of accounts auth-service
-- deleted: the `sequence` of the last deletion handled
-- (TokenService.ListDeletedUsers). One row; replicas only move it forward.
CREATE TABLE deleted_users_handled (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_sequence bigint NOT NULL
);
INSERT INTO deleted_users_handled (last_sequence) VALUES (0);
